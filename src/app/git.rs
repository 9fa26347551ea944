//! `upsweep git`: the whole history, what is staged or what a range of commits adds, through
//! the scanner (`scan::history`), the project's filters and the account check when asked,
//! then the report.

use super::{check_account, emit, sweep};
use crate::config::GitSettings;
use anyhow::Result;

pub(super) fn run(s: &GitSettings) -> Result<u8> {
    if let (Some(range), false) = (&s.ci_range, s.output.quiet) {
        eprintln!("upsweep: --ci: {range}");
    }
    let matcher = s.spec.rules.matcher()?;
    let mut outcome = sweep(&s.spec, &matcher)?;
    check_account(&mut outcome, &s.account, s.output.quiet)?;
    emit(&outcome, &matcher, &s.output)?;
    Ok(outcome.exit_code())
}
