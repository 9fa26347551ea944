//! The account check's stage of `scan` and `git`: run it on a finished scan, fold its
//! problems into the run's errors, and decide which findings fail the run.

use super::Outcome;
use crate::config::AccountCheck;
use crate::outcome::{FailOn, InputError};
use crate::upstash::{self, AccountConfig, Liveness, Ownership};
use anyhow::Result;

/// Check the outcome's findings against the account(s). Problems become errors of the run
/// (an incomplete inventory is never a clean answer).
pub fn apply(outcome: &mut Outcome, opts: &AccountCheck, quiet: bool) -> Result<()> {
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
pub fn fails(outcome: &Outcome, sha256: &str, policy: FailOn) -> bool {
    let verdict = outcome.account.as_ref().and_then(|r| r.get(sha256));
    match policy {
        FailOn::Any => true,
        FailOn::Owned => verdict
            .is_none_or(|v| matches!(v.account.verdict, Ownership::Owned | Ownership::Unknown)),
        FailOn::Live => match verdict {
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
