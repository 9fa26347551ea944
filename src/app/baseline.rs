//! `upsweep baseline create` and `upsweep baseline prune`: write the secrets found now to a
//! baseline file (hashes, never secrets), and drop the entries whose secrets are gone. The
//! format is documented in [`crate::suppress::baseline`].

use super::{exit, sweep};
use crate::config::{BaselineCreateSettings, BaselinePruneSettings, ScanSpec, Source, Target};
use crate::finding::Kind;
use crate::outcome::Outcome;
use crate::report::{self, read::Accept};
use crate::rules::Matcher;
use crate::suppress::baseline::{Baseline, Entry};
use anyhow::{bail, Result};
use std::collections::HashSet;
use std::path::Path;

/// A baseline is made from any version of report: it takes each finding's kind, hash and
/// first location.
const FROM_REPORT: Accept = Accept {
    any_version: true,
    located: true,
    made_by: "upsweep scan --format json",
};

pub(super) fn create(a: &BaselineCreateSettings) -> Result<u8> {
    if !a.force && a.output.exists() {
        bail!(
            "{} already exists: pass --force to replace it, or keep it and drop the entries no \
             longer found with `upsweep baseline prune {}`",
            a.output.display(),
            a.output.display()
        );
    }
    let note = a.note.as_deref();
    let spec = match &a.source {
        Source::Report(report) => {
            // Each secret as first seen in the report: kind, hash and its first location.
            let mut b = Baseline::new();
            for r in report::read::file(report, FROM_REPORT)?.findings {
                b.add_finding(&r.finding, note);
            }
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
    let matcher = a.spec.rules.matcher()?;
    let outcome = sweep(&a.spec, &matcher)?;
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
    // Not found, but the configuration kept the scan from looking: not known to be gone.
    let unchecked: Vec<(Entry, String)> = b
        .entries()
        .filter(|e| !found.contains(e.sha256.as_str()))
        .filter_map(|e| not_looked_for(e, &a.spec, &matcher).map(|why| (e.clone(), why)))
        .collect();
    let before = b.len();
    let dropped = b.retain_found(&|e| {
        found.contains(e.sha256.as_str()) || unchecked.iter().any(|(u, _)| u.sha256 == e.sha256)
    });
    let verb = if a.dry_run { "would drop" } else { "dropped" };
    println!(
        "upsweep: {}: {verb} {} of {} no longer found in {}",
        a.file.display(),
        dropped.len(),
        secrets(before),
        a.spec.what
    );
    for e in &dropped {
        println!("  {}", describe(e));
    }
    if !unchecked.is_empty() {
        println!(
            "upsweep: kept {} the configuration keeps the scan from seeing (not known to be gone):",
            secrets(unchecked.len())
        );
        for (e, why) in &unchecked {
            println!("  {}: {why}", describe(e));
        }
    }
    if !a.dry_run && !dropped.is_empty() {
        b.write(&a.file)?;
    }
    Ok(exit::CLEAN)
}

/// `redis-rest-token 5025... (first seen config/.env:2; note)`.
fn describe(e: &Entry) -> String {
    format!(
        "{} {} (first seen {}:{}{})",
        e.kind,
        e.sha256,
        e.first_seen.path,
        e.first_seen.line,
        e.note
            .as_deref()
            .map(|n| format!("; {n}"))
            .unwrap_or_default()
    )
}

/// Why the scan could not have found an entry's secret, when the configuration is the reason:
/// every rule that finds its kind is disabled, or it was first seen under `skip-paths`.
fn not_looked_for(e: &Entry, spec: &ScanSpec, matcher: &Matcher) -> Option<String> {
    // Read-only variants and Search tokens come from the same rules as their kin.
    let family = |k: Kind| match k {
        Kind::RedisRestTokenReadonly => Kind::RedisRestToken,
        Kind::VectorTokenReadonly | Kind::SearchToken | Kind::SearchTokenReadonly => {
            Kind::VectorToken
        }
        k => k,
    };
    if !matcher
        .rules
        .iter()
        .any(|r| family(r.kind) == family(e.kind))
    {
        return Some(format!("every rule that finds {} is disabled", e.kind));
    }
    let globs = spec.filters.skip_paths.as_ref()?;
    let path = &e.first_seen.path;
    let under = match (&spec.target, &e.first_seen.commit) {
        (Target::Files(_), None) => globs.matches_file(Path::new(path)),
        _ => globs.matches_relative(path),
    };
    under.then(|| format!("{path} is under skip-paths"))
}

fn secrets(n: usize) -> String {
    format!("{n} secret{}", crate::util::text::plural_s(n))
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
