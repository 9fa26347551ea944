//! One report from many parts: the repositories of an audit, or the reports of its shards
//! (`upsweep merge`). Both go through [`combine`], so merging the shards of an audit gives what
//! the unsharded audit gives: one finding per secret (by SHA-256) with every location of every
//! part, the most specific kind any part gave it, the oldest introduction, `in_head` if any
//! repository still holds it; every repository entry once; errors, skips and counts summed.
//!
//! Order is fixed, so equal audits print equal reports: repositories by name; a finding's
//! locations by repository, date, path, line, column and commit; findings by their first
//! location, then hash.

use crate::finding::{Finding, History, Location};
use crate::outcome::{InputError, Outcome, RepoEntry, Skip, Stats, Suppressed};
use crate::report::{
    self,
    read::{Accept, Read},
};
use crate::scan::aggregate::Aggregator;
use crate::upstash::{AccountReport, FindingVerdict};
use anyhow::{bail, Result};
use std::collections::BTreeMap;

/// A part of an audit: one repository's results, or one shard's report read back.
#[derive(Debug, Default)]
pub(crate) struct Part {
    pub(crate) findings: Vec<Finding>,
    pub(crate) suppressed: Vec<Suppressed>,
    pub(crate) errors: Vec<InputError>,
    pub(crate) stats: Stats,
    pub(crate) skipped: Vec<Skip>,
    pub(crate) notes: Vec<String>,
    pub(crate) repositories: Vec<RepoEntry>,
    /// The account check's verdicts a shard's report carried, by secret SHA-256.
    pub(crate) verdicts: BTreeMap<String, FindingVerdict>,
}

impl Part {
    /// The part an outcome makes (a repository's scan).
    pub(crate) fn of(outcome: Outcome) -> Part {
        Part {
            findings: outcome.findings,
            suppressed: outcome.suppressed,
            errors: outcome.errors,
            stats: outcome.stats,
            skipped: outcome.skipped,
            notes: outcome.notes,
            repositories: outcome.repositories.unwrap_or_default(),
            verdicts: BTreeMap::new(),
        }
    }
}

/// Merge `parts` into one outcome.
pub(crate) fn combine(parts: Vec<Part>) -> Outcome {
    let mut aggregator = Aggregator::default();
    // Per secret: the histories the parts gave.
    let mut histories: BTreeMap<String, Vec<History>> = BTreeMap::new();
    let mut out = Outcome::default();
    let mut verdicts = BTreeMap::new();
    let mut duration = 0;
    let mut repositories: Vec<RepoEntry> = Vec::new();
    for part in parts {
        for f in part.findings {
            if let Some(h) = &f.history {
                histories
                    .entry(f.sha256.clone())
                    .or_default()
                    .push(h.clone());
            }
            aggregator.add_finding(f);
        }
        out.suppressed.extend(part.suppressed);
        out.errors.extend(part.errors);
        duration = duration.max(part.stats.duration_ms);
        out.stats.add(&part.stats);
        out.skipped.extend(part.skipped);
        for n in part.notes {
            if !out.notes.contains(&n) {
                out.notes.push(n);
            }
        }
        repositories.extend(part.repositories);
        verdicts.extend(part.verdicts);
    }
    let mut findings = aggregator.finish();
    for f in &mut findings {
        f.history = histories.get(&f.sha256).map(|hs| history(f, hs));
        order_locations(&mut f.locations);
    }
    order_findings(&mut findings);
    out.findings = findings;
    out.suppressed.sort();
    out.errors
        .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    out.errors.dedup();
    out.stats.errors = out.errors.len() as u64;
    out.stats.duration_ms = duration;
    repositories.sort_by(|a, b| {
        a.name
            .to_ascii_lowercase()
            .cmp(&b.name.to_ascii_lowercase())
    });
    // A listing that failed is said by every shard: once is enough.
    repositories.dedup();
    out.repositories = Some(repositories);
    if !verdicts.is_empty() {
        out.account = Some(AccountReport {
            verdicts,
            accounts: Vec::new(),
            problems: Vec::new(),
            uncovered_teams: Vec::new(),
            elapsed_ms: 0,
        });
    }
    out
}

/// A secret's history across parts: still in some HEAD if any part says so; introduced by
/// the candidate commit whose location is oldest (by date, then repository and commit).
fn history(f: &Finding, parts: &[History]) -> History {
    let in_head = parts.iter().any(|h| h.in_head);
    let introduced_in = parts
        .iter()
        .filter_map(|h| h.introduced_in.as_deref())
        .filter_map(|c| {
            f.locations
                .iter()
                .filter(|l| l.commit.as_deref() == Some(c))
                .map(|l| (l.date.clone(), l.repository.clone(), c.to_string()))
                .min()
        })
        .min()
        .map(|(_, _, c)| c);
    History {
        introduced_in,
        in_head,
        // The audit does not look for removals (see `attribute::Tip::removals`).
        removed_in: None,
    }
}

/// Locations by repository, then as a history scan orders them (date, path, line), then
/// column and commit.
pub(crate) fn order_locations(locations: &mut [Location]) {
    locations.sort_by(|a, b| {
        (&a.repository, &a.date, &a.path, a.line, a.column, &a.commit).cmp(&(
            &b.repository,
            &b.date,
            &b.path,
            b.line,
            b.column,
            &b.commit,
        ))
    });
}

/// Findings by their first location, then hash.
pub(crate) fn order_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            let l = f.locations.first();
            (
                l.and_then(|l| l.repository.clone()),
                l.map(|l| l.path.clone()),
                l.map(|l| (l.line, l.column)),
                f.sha256.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
}

/// How `merge` reads a shard's report: a document of this upsweep's version (it adds up the
/// stats and the repositories, which JSON lines do not carry).
const SHARD: Accept = Accept {
    any_version: false,
    located: true,
    made_by: "upsweep github --shard K/N --format json",
};

/// A report read back as a part; `name` labels errors.
fn part_of(read: Read, name: &str) -> Result<Part> {
    let Some(doc) = read.document else {
        bail!(
            "{name}: JSON lines (`--format jsonl`) carry no stats or repositories: merge the \
             audit's `--format json` reports"
        );
    };
    let mut part = Part {
        errors: doc.errors,
        stats: doc.stats,
        repositories: doc.repositories,
        ..Part::default()
    };
    for r in read.findings {
        if let Some(v) = r.verdict {
            part.verdicts.insert(r.finding.sha256.clone(), v);
        }
        part.findings.push(r.finding);
    }
    Ok(part)
}

/// Read and merge the reports at `paths`.
pub(crate) fn read_reports(paths: &[std::path::PathBuf]) -> Result<Outcome> {
    let mut parts = Vec::new();
    for p in paths {
        let read = report::read::file(p, SHARD)?;
        parts.push(part_of(read, &p.display().to_string())?);
    }
    Ok(combine(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_report_must_be_a_document() {
        let line = format!(
            r#"{{"kind":"qstash-token","secret_sha256":"{}","locations":[{{"path":"a","line":1,"column":1}}]}}"#,
            "a".repeat(64)
        );
        let read = report::read::text_of(&line, "shard-1.jsonl", SHARD).unwrap();
        let err = part_of(read, "shard-1.jsonl").unwrap_err().to_string();
        assert!(
            err.starts_with("shard-1.jsonl: JSON lines (`--format jsonl`) carry no stats"),
            "{err}"
        );
        let doc = format!(
            r#"{{"version":1,"findings":[{line}],"stats":{{"files_scanned":2}},"repositories":[{{"name":"acme/a","status":"scanned"}}]}}"#
        );
        let read = report::read::text_of(&doc, "shard-1.json", SHARD).unwrap();
        let part = part_of(read, "shard-1.json").unwrap();
        assert_eq!(part.findings.len(), 1);
        assert_eq!(part.stats.files_scanned, 2);
        assert_eq!(part.repositories[0].name, "acme/a");
    }
}
