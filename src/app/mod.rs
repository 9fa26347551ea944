//! Runs a command: one file per command wires its pipeline from settled
//! [`crate::config`] settings (inputs through the scanner, what the project accepts, the
//! account check, the report) and decides the exit code. Nothing here reads flags.

mod actions;
mod baseline;
mod config_check;
mod git;
mod github;
mod hook;
mod merge;
mod revoke;
mod rules;
mod scan;

pub use crate::outcome::exit;

use crate::config::{AccountSettings, Inputs, OutputSettings, ScanSpec, Settings, Target};
use crate::outcome::{Outcome, Skip};
use crate::report::{self, Report};
use crate::rules::Matcher;
use crate::scan::history::{self, RepoOptions};
use crate::scan::pool;
use crate::suppress::Filters;
use crate::upstash::{self, AccountConfig};
use crate::util::progress::Activity;
use anyhow::{Context as _, Result};
use std::io::Write;

/// Run a command.
pub fn run(settings: Settings) -> Result<u8> {
    match settings {
        Settings::Scan(s) => scan::run(&s),
        Settings::Git(s) => git::run(&s),
        Settings::Github(s) => github::run(&s),
        Settings::Merge(s) => merge::run(&s),
        Settings::Revoke(s) => revoke::run(&s),
        Settings::BaselineCreate(s) => baseline::create(&s),
        Settings::BaselinePrune(s) => baseline::prune(&s),
        Settings::ConfigCheck(s) => config_check::run(&s),
        Settings::RulesList(s) => rules::list(&s),
        Settings::RulesCheck(s) => rules::check(&s),
    }
}

/// Read and scan what `spec` names, then set aside what the project accepts.
fn sweep(spec: &ScanSpec, matcher: &Matcher) -> Result<Outcome> {
    let mut outcome = match &spec.target {
        Target::Files(files) => match &files.inputs {
            Inputs::Stdin => pool::stdin(files.max_file_size, files.archives.as_ref(), matcher),
            Inputs::Paths(walk) => pool::walk(walk, matcher),
        },
        Target::History(r) => history::repository(
            &r.repo,
            &RepoOptions {
                mode: &r.mode,
                max_file_size: r.max_file_size,
                archives: r.archives.as_ref(),
                threads: r.threads,
                progress: r.progress,
            },
            matcher,
        )?,
    };
    accept(&mut outcome, &spec.filters);
    Ok(outcome)
}

/// The end of a scan: the findings and the rule set are left to the process's exit, which
/// takes their memory back at once, where dropping them freed it allocation by allocation
/// (about 1 ms of the serial end of a run on the benchmark corpus, bench/README.md). They
/// hold memory only; [`run`] is called once, by the binary.
fn leave(outcome: Outcome, matcher: Matcher) {
    std::mem::forget(outcome);
    std::mem::forget(matcher);
}

/// Set aside what the project accepts (`.upsweep.toml`'s `skip-paths` and `[[allow]]`, the
/// baseline), counting it in the stats.
fn accept(outcome: &mut Outcome, filters: &Filters) {
    if !filters.is_empty() {
        filters.apply(
            &mut outcome.findings,
            &mut outcome.suppressed,
            &mut outcome.stats,
        );
    }
}

/// The account check's stage of `scan` and `git`: its notes when something was found, what
/// fails the run, and the check itself when asked for. `Err` only for a configuration error.
fn check_account(outcome: &mut Outcome, settings: &AccountSettings, quiet: bool) -> Result<()> {
    if !outcome.findings.is_empty() {
        outcome.notes.extend(settings.notes.iter().cloned());
    }
    outcome.fail_on = settings.fail_on;
    let Some(check) = &settings.check else {
        return Ok(());
    };
    let cfg = AccountConfig::from_env(check.file.as_deref())?;
    for w in &cfg.warnings {
        eprintln!("upsweep: warning: {w}");
    }
    if outcome.findings.is_empty() && !check.live {
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
    let n = outcome.findings.len();
    let waiting = Activity::spinner(
        format!(
            "checking your Upstash account: listing its credentials to match {n} finding{}{}",
            crate::util::text::plural_s(n),
            if check.live { ", then live checks" } else { "" }
        ),
        !quiet,
    );
    let mut report = upstash::check(&outcome.findings, &cfg, check.live);
    drop(waiting);
    // A signing key rotated away names no resource: only revoke's journal knows it was ours.
    if let Some(journal) = crate::revoke::state::default_journal() {
        if let Ok(history) = crate::revoke::journal::History::read(&journal) {
            history.amend_report(&outcome.findings, &mut report);
        }
    }
    outcome.add_account(report, quiet);
    Ok(())
}

/// The last word when the account check failed: what failed, and what it left unchecked (the
/// errors above may have scrolled away behind the report).
fn account_failure(outcome: &Outcome) -> Option<String> {
    let account = outcome.account.as_ref()?;
    let unchecked = outcome
        .findings
        .iter()
        .filter(|f| {
            account
                .get(&f.sha256)
                .is_some_and(|v| v.account.verdict == upstash::Ownership::Unknown)
        })
        .count();
    failure_line(&account.problems, unchecked, "")
}

/// `upsweep: the account check failed (<first problem>[; N more parts ...]): N leaked
/// credentials could not be checked against your account<tail>` (`tail` only when N > 0),
/// shared by `scan --account`, `git --account` and `revoke`; `None` when nothing failed.
fn failure_line(problems: &[upstash::Problem], unchecked: usize, tail: &str) -> Option<String> {
    let first = problems.first()?;
    let more = problems.len() - 1;
    let what = match unchecked {
        0 => "every leaked credential was still checked against your account".to_string(),
        1 => format!("1 leaked credential could not be checked against your account{tail}"),
        n => format!("{n} leaked credentials could not be checked against your account{tail}"),
    };
    Some(format!(
        "upsweep: the account check failed ({}: {}{}): {what}",
        first.section,
        first.message,
        if more > 0 {
            format!(
                "; {more} more part{} of the inventory failed too",
                crate::util::text::plural_s(more)
            )
        } else {
            String::new()
        },
    ))
}

/// Print errors and notes on stderr, and the report where asked.
pub(crate) fn emit(outcome: &Outcome, matcher: &Matcher, out: &OutputSettings) -> Result<()> {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    // A partial clone can miss thousands of objects: list the first ones, count the rest.
    const SHOWN: usize = 20;
    for e in outcome.errors.iter().take(SHOWN) {
        let _ = writeln!(err, "upsweep: error: {}: {}", e.path, e.message);
    }
    if outcome.errors.len() > SHOWN {
        let _ = writeln!(
            err,
            "upsweep: error: ... and {} more (all are in the JSON report's errors)",
            outcome.errors.len() - SHOWN
        );
    }
    if !out.quiet {
        for n in &outcome.notes {
            let _ = writeln!(err, "upsweep: note: {n}");
        }
    }
    if !out.quiet {
        for skip in &outcome.skipped {
            let line = match skip {
                Skip::TooLarge { path, size } => Some(format!(
                    "upsweep: skipped {path}: {size} bytes is over --max-file-size"
                )),
                Skip::Loop { path } => Some(format!(
                    "upsweep: not following {path}: it loops back to a directory already scanned"
                )),
                Skip::Symlink { path } if out.verbose => {
                    Some(format!("upsweep: skipped symlink {path} (use --follow)"))
                }
                Skip::Special { path } if out.verbose => {
                    Some(format!("upsweep: skipped {path}: not a regular file"))
                }
                Skip::Excluded { path } if out.verbose => Some(format!(
                    "upsweep: skipped {path}: under skip-paths in the config file"
                )),
                Skip::InArchive { path, reason } if out.verbose => {
                    Some(format!("upsweep: skipped {path}: {reason}"))
                }
                _ => None,
            };
            if let Some(l) = line {
                let _ = writeln!(err, "{l}");
            }
        }
        if let Some(l) = archive_skips_line(outcome, out.verbose) {
            let _ = writeln!(err, "{l}");
        }
    }
    drop(err);
    let report = Report::new(outcome, &matcher.rules);
    let opts = report::Options {
        show_secrets: out.show_secrets,
        color: out.color,
        verbose: out.verbose,
        staged: out.staged,
    };
    // The files first: a SARIF file for the upload exists even if standard output is closed.
    let plain = report::Options {
        color: false,
        ..opts
    };
    for (format, path) in &out.also {
        write_report(&Some(path.clone()), |w| {
            report::write(&report, *format, plain, w)
        })?;
    }
    if let Some(summary) = &out.job_summary {
        let hidden = if out.format == report::Format::Github {
            report::hidden_annotations(&report)
        } else {
            0
        };
        actions::append_job_summary(summary, &report, hidden);
    }
    write_report(&out.path, |w| report::write(&report, out.format, opts, w))?;
    if let Some(line) = account_failure(outcome) {
        eprintln!("{line}");
    }
    // The report went to a file: the one-line summary still says how the run went.
    if let (Some(path), false) = (&out.path, out.quiet) {
        eprintln!(
            "upsweep: {} (report written to {})",
            report::summary_line(&report, out.staged),
            path.display()
        );
    }
    Ok(())
}

/// What was left out of archives, in one line: how many and why without `--verbose` (which
/// names each); with it, how many went unnamed, when a hostile archive held too many to list.
fn archive_skips_line(outcome: &Outcome, verbose: bool) -> Option<String> {
    let skipped = &outcome.stats.archives.skipped;
    let total = skipped.total();
    let listed = outcome
        .skipped
        .iter()
        .filter(|s| matches!(s, Skip::InArchive { .. }))
        .count() as u64;
    if total == 0 || (verbose && listed == total) {
        return None;
    }
    if verbose {
        return Some(format!(
            "upsweep: ... and {} more parts of archives not scanned (the stats count them all)",
            total - listed
        ));
    }
    Some(format!(
        "upsweep: note: {total} part{} of archives {} not scanned ({}); --verbose names them",
        crate::util::text::plural_s(total),
        if total == 1 { "was" } else { "were" },
        skipped.summary()
    ))
}

/// Write to a file or to stdout; a closed stdout (`| head`) is not an error.
pub(crate) fn write_report(
    path: &Option<std::path::PathBuf>,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    match path {
        Some(p) => {
            let file = std::fs::File::create(p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            let mut w = std::io::BufWriter::new(file);
            f(&mut w)
                .and_then(|_| w.flush())
                .with_context(|| format!("cannot write {}", p.display()))
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            match f(&mut w).and_then(|_| w.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}
