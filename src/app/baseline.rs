//! `upsweep baseline create` and `upsweep baseline prune`: write the secrets found now to a
//! baseline file (hashes, never secrets), and drop the entries whose secrets are gone. The
//! format is documented in [`crate::suppress::baseline`].

use super::git::{self, Mode};
use super::{accept, exit, Outcome};
use crate::cli::{BaselineCommand, BaselineCreateArgs, BaselinePruneArgs, BaselineScanArgs};
use crate::config::file::load_matcher;
use crate::config::{Living, LivingChoice, OutputConfig, ScanConfig};
use crate::input::git as g;
use crate::report::Format;
use crate::suppress::baseline::Baseline;
use anyhow::{bail, Context as _, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub fn run(cmd: BaselineCommand) -> Result<u8> {
    match cmd {
        BaselineCommand::Create(a) => create(&a),
        BaselineCommand::Prune(a) => prune(&a),
    }
}

fn create(a: &BaselineCreateArgs) -> Result<u8> {
    let note = a.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if let Some(report) = &a.from {
        let text = std::fs::read_to_string(report)
            .with_context(|| format!("cannot read report {}", report.display()))?;
        let b = Baseline::from_report(&text, note)
            .with_context(|| format!("report {}", report.display()))?;
        b.write(&a.output)?;
        println!(
            "upsweep: wrote {} to {} (from {})",
            secrets(b.len()),
            a.output.display(),
            report.display()
        );
        return Ok(exit::CLEAN);
    }
    let (outcome, what) = scan(&a.paths, &a.scan)?;
    print_problems(&outcome, a.scan.quiet);
    let mut b = Baseline::new();
    for f in &outcome.findings {
        b.add_finding(f, note);
    }
    b.write(&a.output)?;
    println!(
        "upsweep: wrote {} found in {what} to {}",
        secrets(b.len()),
        a.output.display()
    );
    if outcome.errors.is_empty() {
        Ok(exit::CLEAN)
    } else {
        eprintln!(
            "upsweep: part of the input could not be read: secrets in it are not in the baseline"
        );
        Ok(exit::ERROR)
    }
}

fn prune(a: &BaselinePruneArgs) -> Result<u8> {
    let mut b = Baseline::read(&a.file)?;
    let (outcome, what) = scan(&a.paths, &a.scan)?;
    print_problems(&outcome, a.scan.quiet);
    if !outcome.errors.is_empty() {
        eprintln!(
            "upsweep: not pruning {}: part of the input could not be read, so a secret in it would look gone",
            a.file.display()
        );
        return Ok(exit::ERROR);
    }
    // Found means still there: reported, or set aside by an inline marker or the config file.
    let found: HashSet<&str> = outcome
        .findings
        .iter()
        .map(|f| f.sha256.as_str())
        .chain(outcome.suppressed.iter().map(|s| s.sha256.as_str()))
        .collect();
    let before = b.len();
    let dropped = b.retain_found(&|sha| found.contains(sha));
    let verb = if a.dry_run { "would drop" } else { "dropped" };
    println!(
        "upsweep: {}: {verb} {} of {} no longer found in {what}",
        a.file.display(),
        dropped.len(),
        secrets(before)
    );
    for e in &dropped {
        println!(
            "  {} {} (first seen {}:{}{})",
            e.kind,
            e.sha256,
            e.first_seen.path,
            e.first_seen.line,
            e.note
                .as_deref()
                .map(|n| format!("; {n}"))
                .unwrap_or_default()
        );
    }
    if !a.dry_run && !dropped.is_empty() {
        b.write(&a.file)?;
    }
    Ok(exit::CLEAN)
}

fn secrets(n: usize) -> String {
    format!("{n} secret{}", if n == 1 { "" } else { "s" })
}

/// Scan files, or with `--git` the whole history of one repository, as `scan` and `git`
/// would (config file applied), without a baseline.
fn scan(paths: &[PathBuf], a: &BaselineScanArgs) -> Result<(Outcome, String)> {
    if !a.git {
        let cfg = ScanConfig::for_baseline(paths, a)?;
        let matcher = cfg.matcher()?;
        let mut outcome = super::scan(&cfg, &matcher);
        accept(&mut outcome, &cfg.living.filters);
        let what = if paths.is_empty() {
            ".".to_string()
        } else {
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Ok((outcome, what));
    }
    if paths.len() > 1 {
        bail!("--git takes one repository");
    }
    let repo_path = paths.first().map_or(Path::new("."), PathBuf::as_path);
    let repo = g::open(repo_path)?;
    let root = repo.workdir().unwrap_or(repo.path()).to_path_buf();
    let living = Living::load(
        &root,
        &[],
        LivingChoice {
            config: a.config.as_deref(),
            no_config: a.no_config || (repo.is_bare() && a.config.is_none()),
            baseline: None,
            use_baseline: false,
        },
    )?;
    let max = living.max_file_size(a.engine.max_file_size.as_deref())?;
    let threads = crate::config::threads(a.engine.threads)?;
    let matcher = load_matcher(&living.rule_dirs(&a.engine.rules), &living.disabled_rules)?;
    let output = OutputConfig {
        format: Format::Human,
        path: None,
        show_secrets: false,
        color: false,
        verbose: false,
        quiet: a.quiet,
    };
    let mode = Mode::History { unreachable: false };
    let mut outcome = git::scan(&repo, &mode, &matcher, max, threads, &output)?;
    accept(&mut outcome, &living.filters);
    Ok((
        outcome,
        format!("the git history of {}", repo_path.display()),
    ))
}

/// Errors always; notes unless quiet.
fn print_problems(outcome: &Outcome, quiet: bool) {
    const SHOWN: usize = 20;
    for e in outcome.errors.iter().take(SHOWN) {
        eprintln!("upsweep: error: {}: {}", e.path, e.message);
    }
    if outcome.errors.len() > SHOWN {
        eprintln!(
            "upsweep: error: ... and {} more",
            outcome.errors.len() - SHOWN
        );
    }
    if !quiet {
        for n in &outcome.notes {
            eprintln!("upsweep: note: {n}");
        }
    }
}
