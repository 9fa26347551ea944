//! `upsweep git`: the whole history, what is staged or what a range of commits adds, through
//! the scanner (`scan::history`), the project's filters and the account check when asked,
//! then the report; for a pre-commit hook that blocks, what to do ([`super::hook`]); with
//! `--pr-comment`, the pull request's comment ([`super::actions`]).

use super::{actions, check_account, emit, hook, sweep};
use crate::config::{GitSettings, Target};
use crate::input::git::head::Reading;
use crate::outcome::exit;
use anyhow::Result;

pub(super) fn run(s: &GitSettings) -> Result<u8> {
    if let (Some(range), false) = (&s.ci_range, s.output.quiet) {
        eprintln!("upsweep: --ci: {range}");
    }
    let matcher = s.spec.rules.matcher()?;
    let mut outcome = sweep(&s.spec, &matcher)?;
    check_account(&mut outcome, &s.account, s.output.quiet)?;
    emit(&outcome, &matcher, &s.output)?;
    let code = outcome.exit_code();
    if s.staged && code == exit::FOUND && !s.output.quiet {
        if let Target::History(r) = &s.spec.target {
            let how = Reading {
                max_size: r.max_file_size,
                archives: r.archives.as_ref(),
            };
            eprint!("{}", hook::advice(&outcome, &r.repo, how));
        }
    }
    if let Some(pr) = &s.pr_comment {
        actions::comment_on_pull_request(&outcome, &matcher, pr.number, s.output.quiet);
    }
    super::leave(outcome, matcher);
    Ok(code)
}
