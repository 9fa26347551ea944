//! `upsweep merge`: the JSON reports of an audit's shards read back and merged into one
//! report ([`crate::audit::merge`]), in any format, with the exit code the whole audit has.

use super::emit;
use crate::audit::merge;
use crate::config::MergeSettings;
use crate::rules::Matcher;
use anyhow::Result;

pub(super) fn run(s: &MergeSettings) -> Result<u8> {
    let mut outcome = merge::read_reports(&s.reports)?;
    outcome.fail_on = s.fail_on;
    if outcome.account.is_none() && s.fail_on != crate::outcome::FailOn::Any {
        anyhow::bail!(
            "--fail-on {} needs reports made with --account (they carry no verdicts)",
            s.fail_on.as_str()
        );
    }
    // The rules named in SARIF are the shipped ones.
    let matcher = Matcher::load(&[] as &[&str])?;
    emit(&outcome, &matcher, &s.output)?;
    Ok(outcome.exit_code())
}
