//! The worker pool that drives inputs through the scanner: every input thread gets a
//! [`Worker`] (its own [`Scanner`] and results), which turns the input's [`Event`]s into
//! findings, errors, skips and counts, and folds them into the shared results when the thread
//! ends. [`finish`] makes the [`Outcome`]. Inline `upsweep:allow` markers are honoured here,
//! while each blob's text is at hand.

use super::aggregate::Aggregator;
use super::Scanner;
use crate::finding::{Origin, RawMatch};
use crate::input::archive::ArchiveLimits;
use crate::input::fs::WalkOptions;
use crate::input::{self, Added, Event};
use crate::outcome::{InputError, Outcome, Skip, Stats, Why};
use crate::rules::Matcher;
use crate::suppress::inline;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Instant;

/// Scan files and directories, one worker per walking thread.
pub(crate) fn walk(opts: &WalkOptions, matcher: &Matcher) -> Outcome {
    let started = Instant::now();
    let shared = Mutex::new(Collected::default());
    input::fs::walk(opts, || {
        let mut w = Worker::new(matcher, &shared);
        move |e: Event<'_>| w.handle(e)
    });
    finish(shared, started)
}

/// Scan standard input, at most `limit` bytes (an archive's entries each).
pub(crate) fn stdin(limit: u64, archives: Option<&ArchiveLimits>, matcher: &Matcher) -> Outcome {
    let started = Instant::now();
    let shared = Mutex::new(Collected::default());
    {
        let mut w = Worker::new(matcher, &shared);
        input::stdin(limit, archives, &mut |e| w.handle(e));
    }
    finish(shared, started)
}

/// Archive skips kept for `--verbose` per scanning thread; the rest are only counted.
const LISTED_ARCHIVE_SKIPS: u64 = 10_000;

/// What the workers collected.
#[derive(Default)]
pub(crate) struct Collected {
    pub(crate) aggregator: Aggregator,
    pub(crate) errors: Vec<InputError>,
    pub(crate) stats: Stats,
    pub(crate) skipped: Vec<Skip>,
}

/// Every credential in a blob (UTF-16 text seen as UTF-8), each with the reason of the
/// `upsweep:allow` marker on its line when there is one (`Some(None)`: a marker without a
/// reason).
pub(crate) fn blob_matches(
    scanner: &mut Scanner<'_>,
    bytes: &[u8],
) -> Vec<(RawMatch, Option<Option<String>>)> {
    let (text, encoding) = input::text_view(bytes);
    let mut found = scanner.scan(&text);
    if let Some(enc) = encoding {
        for m in &mut found {
            m.context.encoding.get_or_insert(enc);
        }
    }
    // Most blobs have no marker at all: one pass says so.
    let marker = inline::INLINE_MARKER.as_bytes();
    let marked = !found.is_empty() && memchr::memmem::find(&text, marker).is_some();
    found
        .into_iter()
        .map(|m| {
            let allowed = if marked {
                inline::inline_allow(&text, m.offset)
            } else {
                None
            };
            (m, allowed)
        })
        .collect()
}

/// Fold what the workers collected into an [`Outcome`].
pub(crate) fn finish(shared: Mutex<Collected>, started: Instant) -> Outcome {
    let mut shared = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    // A marked line kept through many commits is one place.
    shared.aggregator.suppressed.sort();
    shared
        .aggregator
        .suppressed
        .dedup_by(|a, b| a == b && matches!(a.why, Why::Inline(_)));
    let count = |f: fn(&Why) -> bool| {
        shared
            .aggregator
            .suppressed
            .iter()
            .filter(|s| f(&s.why))
            .count() as u64
    };
    let public = count(|w| matches!(w, Why::Public(_)));
    let inline = count(|w| matches!(w, Why::Inline(_)));
    shared.stats.suppressed_public = public;
    shared.stats.suppressed_inline = inline;
    shared.stats.duration_ms = started.elapsed().as_millis() as u64;
    shared.errors.sort_by(|a, b| a.path.cmp(&b.path));
    shared.stats.errors = shared.errors.len() as u64;
    let suppressed = std::mem::take(&mut shared.aggregator.suppressed);
    Outcome {
        findings: shared.aggregator.finish(),
        errors: shared.errors,
        stats: shared.stats,
        suppressed,
        skipped: shared.skipped,
        ..Outcome::default()
    }
}

/// One scanning thread's state; flushed into the shared [`Collected`] when dropped.
pub(crate) struct Worker<'a> {
    scanner: Scanner<'a>,
    local: Collected,
    shared: &'a Mutex<Collected>,
    /// Matches of the blobs scanned since the last [`Worker::keep`] that sit on a line marked
    /// `upsweep:allow`, by (offset, secret), with the marker's reason.
    allowed: HashMap<(usize, String), Option<String>>,
}

impl<'a> Worker<'a> {
    pub(crate) fn new(matcher: &'a Matcher, shared: &'a Mutex<Collected>) -> Worker<'a> {
        Worker {
            scanner: Scanner::new(matcher),
            local: Collected::default(),
            shared,
            allowed: HashMap::new(),
        }
    }

    pub(crate) fn handle(&mut self, event: Event<'_>) {
        match event {
            Event::Blob { origin, bytes } => {
                self.count(&origin, bytes);
                let found = self.matches(bytes);
                self.keep(&origin, found);
            }
            Event::Change {
                origin,
                bytes,
                added,
            } => {
                self.count(&origin, bytes);
                let found = self.added(bytes, &added);
                self.keep(&origin, found);
            }
            Event::Error(e) => self.local.errors.push(e),
            Event::Skipped(skip) => {
                let s = &mut self.local.stats;
                match &skip {
                    Skip::TooLarge { .. } => s.skipped_too_large += 1,
                    Skip::Symlink { .. } => s.skipped_symlinks += 1,
                    Skip::Special { .. } => s.skipped_special += 1,
                    Skip::Loop { .. } => s.symlink_loops += 1,
                    Skip::Excluded { .. } => s.skipped_by_config += 1,
                    Skip::InArchive { reason, .. } => {
                        s.archives.skipped.count(reason);
                        // A hostile archive can hold many thousands: count them all, list some.
                        if s.archives.skipped.total() > LISTED_ARCHIVE_SKIPS {
                            return;
                        }
                    }
                }
                self.local.skipped.push(skip);
            }
            Event::Opened { archives, .. } => {
                // The archive itself is a file scanned; its entries are counted apart.
                self.local.stats.files_scanned += 1;
                self.local.stats.archives.opened += archives;
            }
        }
    }

    fn count(&mut self, origin: &Origin, bytes: &[u8]) {
        let s = &mut self.local.stats;
        if let Origin::Archive { .. } = origin {
            s.archives.entries_scanned += 1;
        } else {
            s.files_scanned += 1;
        }
        s.bytes_scanned += bytes.len() as u64;
    }

    /// Every credential in a blob; those on lines marked `upsweep:allow` are noted for
    /// [`Worker::keep`].
    fn matches(&mut self, bytes: &[u8]) -> Vec<RawMatch> {
        let mut found = Vec::new();
        for (m, allowed) in blob_matches(&mut self.scanner, bytes) {
            if let Some(reason) = allowed {
                self.allowed.insert((m.offset, m.secret.clone()), reason);
            }
            found.push(m);
        }
        found
    }

    /// The credentials a change adds to a blob: on the added lines, and not already in the
    /// version it replaces.
    fn added(&mut self, bytes: &[u8], added: &Added<'_>) -> Vec<RawMatch> {
        let mut found = self.matches(bytes);
        if let Some(lines) = added.lines {
            found.retain(|m| u32::try_from(m.line).is_ok_and(|l| lines.binary_search(&l).is_ok()));
        }
        if let (Some(before), false) = (added.before, found.is_empty()) {
            if let Some(old) = before() {
                let held: HashSet<String> =
                    self.matches(&old).into_iter().map(|m| m.secret).collect();
                found.retain(|m| !held.contains(&m.secret));
            }
        }
        found
    }

    /// Fold a blob's matches (those [`Worker::matches`] returned, possibly fewer) into the
    /// results; the ones on lines marked `upsweep:allow` are set aside.
    fn keep(&mut self, origin: &Origin, mut found: Vec<RawMatch>) {
        let allowed = std::mem::take(&mut self.allowed);
        if !allowed.is_empty() {
            let mut reported = Vec::with_capacity(found.len());
            for m in found {
                match allowed.get(&(m.offset, m.secret.clone())) {
                    Some(reason) => {
                        let reason = reason.clone();
                        self.local.aggregator.allow_inline(origin, m, reason);
                    }
                    None => reported.push(m),
                }
            }
            found = reported;
        }
        if !found.is_empty() {
            self.local
                .aggregator
                .add(self.scanner.matcher(), origin, found);
        }
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.aggregator.merge(local.aggregator);
        shared.errors.extend(local.errors);
        shared.stats.add(&local.stats);
        shared.skipped.extend(local.skipped);
    }
}
