//! Scanning a repository's new blobs into its remembered state: each reading thread scans with
//! its own [`Scanner`] and records what every blob held ([`StoredMatch`]es, never secrets,
//! with what the blob's own text sets aside) in the shared [`RepoState`], which is written to
//! the cache every [`CHECKPOINT`] or [`CHECKPOINT_BLOBS`] blobs, whichever comes first, so a
//! killed audit loses at most that much work.
//!
//! An archive blob is opened as `upsweep git` opens it: its entries come one by one, and their
//! matches (each with the names down to its entry) are gathered by the reading thread and
//! recorded together when the archive is done, so a checkpoint never holds half an archive.

use crate::finding::Origin;
use crate::github::{LargeBlob, RepoName, RepoState, Store, StoredMatch};
use crate::input::archive::ArchiveLimits;
use crate::input::git::{read, BlobJob};
use crate::input::Event;
use crate::outcome::{ArchiveCounts, InputError, Skip};
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
    /// Archives opened in the new blobs, their entries, and what was left out of them.
    pub(crate) archives: ArchiveCounts,
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

impl Shared<'_> {
    /// Remember one blob (all of an archive's entries at once), checkpointing when due.
    fn record(
        &mut self,
        origin: &Origin,
        bytes: u64,
        stored: Vec<StoredMatch>,
        store: &Store,
        name: &RepoName,
    ) {
        let Origin::Git { blob, commit, path } = origin else {
            return;
        };
        self.state
            .record(blob, commit.as_deref(), path.as_deref(), stored);
        self.recorded.blobs += 1;
        self.recorded.bytes += bytes;
        self.since_save += 1;
        if self.since_save >= CHECKPOINT_BLOBS || self.last_save.elapsed() >= CHECKPOINT {
            if let Err(e) = store.save(name, self.state) {
                self.recorded.save_error = Some(format!("{e:#}"));
            }
            self.last_save = Instant::now();
            self.since_save = 0;
        }
    }
}

/// Read and scan `jobs` (blobs not scanned before) with `threads` threads, opening archive
/// blobs as `archives` allows, recording each in `state` and checkpointing it to `store` as
/// `name`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_new(
    git: &Repository,
    jobs: &[BlobJob],
    max_file_size: u64,
    archives: Option<&ArchiveLimits>,
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
        archives,
        threads,
        || {
            let mut scanner = Scanner::new(matcher);
            let shared = &shared;
            // The archive being read on this thread: its entries' matches and bytes so far.
            let mut pending: Vec<StoredMatch> = Vec::new();
            let mut pending_bytes = 0u64;
            let mut entries = 0u64;
            move |e: Event<'_>| match e {
                Event::Blob { origin, bytes } | Event::Change { origin, bytes, .. } => {
                    let stored = blob_matches(&mut scanner, bytes)
                        .into_iter()
                        .map(|(m, allowed)| StoredMatch::from_raw(&m, matcher, allowed));
                    match &origin {
                        Origin::Archive { entries: chain, .. } => {
                            pending.extend(stored.map(|m| m.inside(chain)));
                            pending_bytes += bytes.len() as u64;
                            entries += 1;
                        }
                        _ => {
                            let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                            s.record(&origin, bytes.len() as u64, stored.collect(), store, name);
                        }
                    }
                }
                Event::Opened { origin, archives } => {
                    let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                    s.recorded.archives.opened += archives;
                    s.recorded.archives.entries_scanned += std::mem::take(&mut entries);
                    let bytes = std::mem::take(&mut pending_bytes);
                    s.record(&origin, bytes, std::mem::take(&mut pending), store, name);
                }
                Event::Skipped(Skip::InArchive { reason, .. }) => {
                    let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                    s.recorded.archives.skipped.count(&reason);
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
