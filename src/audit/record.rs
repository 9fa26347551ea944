//! Scanning a repository's new blobs into its remembered state: each reading thread scans with
//! its own [`Scanner`] and records what every blob held ([`StoredMatch`]es, never secrets,
//! with what the blob's own text sets aside) in the shared [`RepoState`], which is written to
//! the cache every [`CHECKPOINT`] or [`CHECKPOINT_BLOBS`] blobs, whichever comes first, so a
//! killed audit loses at most that much work.

use crate::finding::Origin;
use crate::github::{LargeBlob, RepoName, RepoState, Store, StoredMatch};
use crate::input::git::{read, BlobJob};
use crate::input::Event;
use crate::outcome::{InputError, Skip};
use crate::rules::Matcher;
use crate::scan::pool::blob_matches;
use crate::scan::Scanner;
use git2::Repository;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a scan in progress is written to the cache...
pub(crate) const CHECKPOINT: Duration = Duration::from_secs(5);
/// ... or after how many blobs (a state's size grows with them, so this keeps a write small
/// next to the work it saves).
pub(crate) const CHECKPOINT_BLOBS: u64 = 5_000;

/// What a scan of new blobs did, besides recording them.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    pub(crate) blobs: u64,
    pub(crate) bytes: u64,
    pub(crate) too_large: Vec<LargeBlob>,
    pub(crate) errors: Vec<InputError>,
    /// A checkpoint that could not be written (the scan went on).
    pub(crate) save_error: Option<String>,
}

struct Shared<'a> {
    state: &'a mut RepoState,
    recorded: Recorded,
    last_save: Instant,
    since_save: u64,
}

/// Read and scan `jobs` (blobs not scanned before) with `threads` threads, recording each in
/// `state` and checkpointing it to `store` as `name`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_new(
    git: &Repository,
    jobs: &[BlobJob],
    max_file_size: u64,
    threads: usize,
    matcher: &Matcher,
    state: &mut RepoState,
    store: &Store,
    name: &RepoName,
) -> Recorded {
    let shared = Mutex::new(Shared {
        state,
        recorded: Recorded::default(),
        last_save: Instant::now(),
        since_save: 0,
    });
    read::read(
        git,
        jobs,
        max_file_size,
        threads,
        || {
            let mut scanner = Scanner::new(matcher);
            let shared = &shared;
            move |e: Event<'_>| match e {
                Event::Blob { origin, bytes } | Event::Change { origin, bytes, .. } => {
                    let stored: Vec<StoredMatch> = blob_matches(&mut scanner, bytes)
                        .into_iter()
                        .map(|(m, allowed)| StoredMatch::from_raw(&m, matcher, allowed))
                        .collect();
                    let Origin::Git { blob, commit, path } = origin else {
                        return;
                    };
                    let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                    s.state
                        .record(&blob, commit.as_deref(), path.as_deref(), stored);
                    s.recorded.blobs += 1;
                    s.recorded.bytes += bytes.len() as u64;
                    s.since_save += 1;
                    if s.since_save >= CHECKPOINT_BLOBS || s.last_save.elapsed() >= CHECKPOINT {
                        if let Err(e) = store.save(name, s.state) {
                            s.recorded.save_error = Some(format!("{e:#}"));
                        }
                        s.last_save = Instant::now();
                        s.since_save = 0;
                    }
                }
                Event::Error(e) => {
                    let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                    s.recorded.errors.push(e);
                }
                Event::Skipped(Skip::TooLarge { path, size }) => {
                    let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                    s.recorded.too_large.push(LargeBlob { path, size });
                }
                Event::Skipped(_) => {}
            }
        },
        &|_| {},
    );
    let shared = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut recorded = shared.recorded;
    recorded.too_large.sort_by(|a, b| a.path.cmp(&b.path));
    recorded
}
