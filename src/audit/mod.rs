//! The organisation audit (`upsweep github`): list the repositories of organisations, users
//! and named repositories ([`crate::github::repos`]), keep the shard's part ([`shard`]), audit
//! each repository under its lock in the cache, several at once ([`repo`]: fetch, scan what is
//! new, rebuild the findings from the cache), and merge them into one outcome ([`merge`]).
//!
//! ```text
//! listing -> shard K/N -> rayon over repositories (--jobs) -> repo::audit (lock, fetch,
//!     survey, record::scan_new, rebuild, attribute, texts) -> merge::combine -> Outcome
//! ```
//!
//! Where the filters apply: what depends on a blob's text (an `upsweep:allow` marker, a value
//! Upstash publishes) is decided when the blob is scanned and remembered with its matches;
//! what the project decides (`skip-paths`, `[[allow]]`, the baseline) is applied by the
//! command to the merged findings, every run, as for `upsweep git`.

pub(crate) mod merge;
pub(crate) mod record;
pub(crate) mod repo;
pub(crate) mod shard;
pub(crate) mod texts;

use crate::github::{repos, Client, Filters, GithubConfig, StoreKey, Target};
use crate::input::archive::ArchiveLimits;
use crate::outcome::{InputError, Outcome, RepoEntry, RepoStatus};
use crate::rules::Matcher;
use anyhow::Result;
use merge::Part;
use rayon::prelude::*;
use shard::Shard;
use std::path::PathBuf;
use std::time::Duration;

/// How an audit runs.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The cache: mirrors and remembered states.
    pub(crate) cache: PathBuf,
    /// Repositories audited at once.
    pub(crate) jobs: usize,
    /// Cores for reading blobs, shared out between the repositories audited at once.
    pub(crate) threads: usize,
    pub(crate) pull_requests: bool,
    pub(crate) issues: bool,
    pub(crate) max_file_size: u64,
    /// How archive blobs are opened; `None`: scanned as they are.
    pub(crate) archives: Option<ArchiveLimits>,
    pub(crate) shard: Option<Shard>,
    /// How long to wait for another audit sharing the cache to release a repository.
    pub(crate) lock_wait: Duration,
    pub(crate) fetch_deadline: Duration,
    /// Put the secrets back into findings (`--show-secrets`, the account check).
    pub(crate) secrets: bool,
}

/// Audit what `targets` name. `say` hears what a user should know as it happens (a
/// repository done, a rate-limit wait is said by the client's notices instead). `Err` only
/// when nothing can start (a bad `--exclude` glob).
pub(crate) fn run(
    client: &Client,
    cfg: &GithubConfig,
    targets: &[Target],
    filters: &Filters,
    opts: &Options,
    matcher: &Matcher,
    say: &(dyn Fn(&str) + Sync),
) -> Result<Outcome> {
    let listing = repos::list(client, targets, filters)?;
    let mine = |full: &str| opts.shard.is_none_or(|s| s.contains(full));
    let mut parts: Vec<Part> = Vec::new();
    let mut entries: Vec<RepoEntry> = Vec::new();
    let mut errors: Vec<InputError> = Vec::new();
    for s in listing.skipped.iter().filter(|s| mine(&s.repo.full_name)) {
        entries.push(RepoEntry {
            name: s.repo.full_name.clone(),
            status: RepoStatus::Skipped,
            reason: Some(s.reason.to_string()),
            commits: 0,
            blobs: 0,
            new_blobs: 0,
            texts: None,
        });
    }
    for f in &listing.failed {
        let reason = f.reason();
        errors.push(InputError {
            path: f.name.clone(),
            message: reason.clone(),
        });
        entries.push(RepoEntry {
            name: f.name.clone(),
            status: RepoStatus::Failed,
            reason: Some(reason),
            commits: 0,
            blobs: 0,
            new_blobs: 0,
            texts: None,
        });
    }
    let repos: Vec<_> = listing
        .repos
        .iter()
        .filter(|r| mine(&r.full_name))
        .collect();
    let total = repos.len();
    let listed = match opts.shard {
        Some(s) => format!("{total} repositories in shard {s}"),
        None => format!("{total} repositories"),
    };
    say(&format!("auditing {listed}"));
    let key = StoreKey::current(matcher).with_archives(archive_key(opts.archives.as_ref()));
    let jobs = opts.jobs.clamp(1, total.max(1));
    let cx = repo::Context {
        client,
        cfg,
        opts,
        matcher,
        key: &key,
        threads: (opts.threads / jobs).max(1),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("upsweep-audit-{i}"))
        .build()?;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let outcomes: Vec<Outcome> = pool.install(|| {
        repos
            .par_iter()
            .map(|r| {
                let o = repo::audit(&cx, r);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if let Some(e) = o.repositories.as_ref().and_then(|v| v.first()) {
                    say(&format!(
                        "[{n}/{total}] {}: {}{}",
                        e.name,
                        e.status.as_str(),
                        match (e.status, e.texts) {
                            (RepoStatus::Failed, _) => String::new(),
                            (_, None) => format!(" ({} new blobs)", e.new_blobs),
                            (_, Some(t)) => format!(" ({} new blobs, {t} texts)", e.new_blobs),
                        }
                    ));
                }
                o
            })
            .collect()
    });
    parts.extend(outcomes.into_iter().map(Part::of));
    parts.push(Part {
        errors,
        repositories: entries,
        ..Part::default()
    });
    Ok(merge::combine(parts))
}

/// How archives are opened, as the cache's key remembers it: what is found in an archive blob
/// depends on every limit, so a state scanned under others is not used.
fn archive_key(limits: Option<&ArchiveLimits>) -> String {
    match limits {
        None => "off".to_string(),
        Some(l) => format!(
            "depth {}, {} bytes, ratio {} (grace {}), {} entries, entry {} bytes, held {} bytes",
            l.max_depth,
            l.max_total_bytes,
            l.max_ratio,
            l.ratio_grace,
            l.max_entries,
            l.max_entry_size,
            l.max_held
        ),
    }
}
