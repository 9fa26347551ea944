//! `upsweep scan`: files, directories or standard input through the scanner, the project's
//! filters and the account check when asked, then the report.

use super::{check_account, emit, sweep};
use crate::config::ScanSettings;
use anyhow::Result;

pub(super) fn run(s: &ScanSettings) -> Result<u8> {
    let matcher = s.spec.rules.matcher()?;
    let mut outcome = sweep(&s.spec, &matcher)?;
    check_account(&mut outcome, &s.account, s.output.quiet)?;
    emit(&outcome, &matcher, &s.output)?;
    let code = outcome.exit_code();
    super::leave(outcome, matcher);
    Ok(code)
}
