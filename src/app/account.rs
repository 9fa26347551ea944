//! `--account`, `--live` and `--fail-on` for `scan` and `git`: run the account check on a
//! finished scan, fold its problems into the run's errors, and decide what fails the run.

use super::Outcome;
use crate::cli::{AccountArgs, FailOn};
use crate::input::InputError;
use crate::upstash::{self, AccountConfig, Liveness, Ownership};
use anyhow::{bail, Result};
use std::path::PathBuf;

/// What makes exit code 1 (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailPolicy {
    /// Any finding.
    #[default]
    Any,
    /// A finding that works or may work: owned and current, or live, or not known to be dead.
    Live,
    /// A finding that is, or may be, a current credential of the account.
    Owned,
}

/// The account check as asked for on the command line.
#[derive(Debug, Clone)]
pub struct AccountOptions {
    pub file: Option<PathBuf>,
    pub live: bool,
}

/// Validate the flags: `None` when no account check was asked for.
pub fn options(a: &AccountArgs) -> Result<(Option<AccountOptions>, FailPolicy)> {
    let enabled = a.account || a.account_file.is_some() || a.live;
    let policy = match a.fail_on.unwrap_or(FailOn::Any) {
        FailOn::Any => FailPolicy::Any,
        FailOn::Live if !a.live => {
            bail!("--fail-on live needs --live (without it nothing is known to be dead)")
        }
        FailOn::Live => FailPolicy::Live,
        FailOn::Owned if !enabled => bail!("--fail-on owned needs --account"),
        FailOn::Owned => FailPolicy::Owned,
    };
    let opts = enabled.then(|| AccountOptions {
        file: a.account_file.clone(),
        live: a.live,
    });
    Ok((opts, policy))
}

/// Check the outcome's findings against the account(s). Problems become errors of the run
/// (an incomplete inventory is never a clean answer).
pub fn apply(outcome: &mut Outcome, opts: &AccountOptions, quiet: bool) -> Result<()> {
    let cfg = AccountConfig::from_env(opts.file.as_deref())?;
    for w in &cfg.warnings {
        eprintln!("upsweep: warning: {w}");
    }
    if outcome.findings.is_empty() && !opts.live {
        // Nothing to match: no request is worth making.
        outcome.account = Some(upstash::AccountReport {
            verdicts: Default::default(),
            accounts: Vec::new(),
            problems: Vec::new(),
            uncovered_teams: Vec::new(),
            elapsed_ms: 0,
        });
        return Ok(());
    }
    let report = upstash::check(&outcome.findings, &cfg, opts.live);
    for p in &report.problems {
        outcome.errors.push(InputError {
            path: format!("account check ({})", p.account),
            message: format!("{}: {}", p.section, p.message),
        });
    }
    outcome.stats.errors = outcome.errors.len() as u64;
    if !report.uncovered_teams.is_empty() && !quiet {
        let names: Vec<String> = report
            .uncovered_teams
            .iter()
            .map(|t| {
                serde_json::to_value(t)
                    .ok()
                    .and_then(|v| v["team_name"].as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .collect();
        outcome.notes.push(format!(
            "no configured API key covers {} of your teams ({}): credentials of those teams show as unknown; add a key per team with --account-file",
            names.len(),
            names.join(", ")
        ));
    }
    outcome.account = Some(report);
    Ok(())
}

/// Whether a finding fails the run under `policy`.
pub fn fails(outcome: &Outcome, sha256: &str, policy: FailPolicy) -> bool {
    let verdict = outcome.account.as_ref().and_then(|r| r.get(sha256));
    match policy {
        FailPolicy::Any => true,
        FailPolicy::Owned => verdict
            .is_none_or(|v| matches!(v.account.verdict, Ownership::Owned | Ownership::Unknown)),
        FailPolicy::Live => match verdict {
            None => true,
            Some(v) => match v.account.verdict {
                // A current credential of the account works.
                Ownership::Owned => true,
                // Replaced by a new credential: revoked.
                Ownership::OwnedRotated => false,
                _ => v.live.as_ref().is_none_or(|l| l.verdict != Liveness::Dead),
            },
        },
    }
}
