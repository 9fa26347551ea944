//! `upsweep baseline create` and `upsweep baseline prune`: write the secrets found now to a
//! baseline file (hashes, never secrets), and drop the entries whose secrets are gone. The
//! format is documented in [`crate::suppress::baseline`].

use super::{exit, sweep};
use crate::config::{BaselineCreateSettings, BaselinePruneSettings, ScanSpec, Source};
use crate::outcome::Outcome;
use crate::suppress::baseline::Baseline;
use anyhow::{Context as _, Result};
use std::collections::HashSet;

pub(super) fn create(a: &BaselineCreateSettings) -> Result<u8> {
    let note = a.note.as_deref();
    let spec = match &a.source {
        Source::Report(report) => {
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
        Source::Scan(spec) => spec,
    };
    let outcome = scan(spec)?;
    print_problems(&outcome, a.quiet);
    let mut b = Baseline::new();
    for f in &outcome.findings {
        b.add_finding(f, note);
    }
    b.write(&a.output)?;
    println!(
        "upsweep: wrote {} found in {} to {}",
        secrets(b.len()),
        spec.what,
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

pub(super) fn prune(a: &BaselinePruneSettings) -> Result<u8> {
    let mut b = Baseline::read(&a.file)?;
    let outcome = scan(&a.spec)?;
    print_problems(&outcome, a.quiet);
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
        "upsweep: {}: {verb} {} of {} no longer found in {}",
        a.file.display(),
        dropped.len(),
        secrets(before),
        a.spec.what
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

/// Scan as `scan` or `git` would (the config file applied), without a baseline.
fn scan(spec: &ScanSpec) -> Result<Outcome> {
    let matcher = spec.rules.matcher()?;
    sweep(spec, &matcher)
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
