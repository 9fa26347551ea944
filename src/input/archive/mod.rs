//! Archives: the files inside zip (jar, war, whl, apk, nupkg), tar, gzip and tar.gz archives,
//! nested ones included (a tgz inside a layer tar inside a `docker save` image tar), handed to
//! a callback one at a time as (chain of names, bytes). Nothing is ever written to disk.
//!
//! What it promises:
//! - **Detection by content** ([`detect`]): a few byte compares on the first 512 bytes, so
//!   calling it on every blob costs nothing measurable; extensions are never consulted.
//! - **Streaming**: tar and gzip are read as streams, at any nesting level, so a 2 GB image
//!   tar is never in memory; only an entry handed to the callback is buffered (at most
//!   [`ArchiveLimits::max_entry_size`]), and a nested zip (which needs random access), bounded
//!   by the same size and by [`ArchiveLimits::max_held`] for all levels together.
//! - **Bounded**: every limit in [`ArchiveLimits`] (decompressed bytes, compression ratio per
//!   decompressor and overall, entries, depth, entry size) ends in a [`SkipReason`] the callback
//!   sees and [`ArchiveStats`] counts; nothing is silently dropped, nothing grows without bound.
//! - **Damage is local**: a truncated or corrupt archive yields what could be read (an entry
//!   cut short is still handed over, with a `Damaged` skip naming it); a zip whose central
//!   directory is missing or lies is read from its local headers; one bad entry never stops
//!   the others of a zip. Encrypted zip entries are skipped and named.
//!
//! # Calling it
//!
//! ```ignore
//! let stats = archive::walk("dist/app.tgz", Input::Bytes(&blob), &limits, &mut |event| match event {
//!     ArchiveEvent::Entry { chain, bytes } => { /* scan bytes; Origin carries chain */ }
//!     ArchiveEvent::Skipped { chain, reason } => { /* a stats counter + a note naming chain */ }
//! });
//! ```
//! `walk` returns with nothing done (`stats.kind == None`) when the input is not an archive.
//!
//! # Phase B: wiring it into the scan (not done here)
//!
//! - **Files** (`input/fs.rs`, `visit`): after reading a file whole (it is at most
//!   `--max-file-size`), `detect(&buf)`; if it is an archive, call `walk(path, Input::Bytes(&buf),
//!   ..)` and scan each entry instead of the raw bytes. When `walk` opened nothing (damaged at
//!   the first byte: `stats.entries == 0` and a `Damaged` skip), scan the raw bytes as today, so
//!   archives never lose what a plain scan found. A file larger than `--max-file-size` is today
//!   skipped unread: read its first [`PREFIX`] bytes instead, and if they are an archive, seek
//!   back and call `walk(path, Input::Seekable(&mut file), ..)`, so a 2 GB `docker save` tar is
//!   streamed from disk (tar entries skipped with a seek, not a read); otherwise skip it as now.
//! - **Git history** (`input/git`, where a worker reads a blob by id): `detect` on the blob's
//!   bytes; an archive goes through `walk(path, Input::Bytes(blob.content()), ..)`. Blob dedup
//!   is unchanged: an archive blob is opened once however many commits hold it, and its
//!   entries inherit the blob's provenance (commit, path).
//! - **Origin**: a variant (or a field on the existing ones) carrying the chain, e.g.
//!   `Origin::Archive { outer: Box<Origin>, chain: Vec<String> }` whose `display_path` is the
//!   chain joined by `!` (`dist/app.tgz!package/.env`, so a human line reads
//!   `dist/app.tgz!package/.env:3:27`). JSON keeps `path` as the outer file and adds
//!   `"archive_path": ["dist/app.tgz", "package/.env"]` (the whole chain, outer first); SARIF's
//!   `artifactLocation.uri` is the outer file (the only thing a code-scanning UI can open),
//!   with the chain in the result's `properties.archive_path` and in its message. Baselines
//!   and allowlists are unchanged (they key on the secret's hash); a baseline's `first_seen.path`
//!   and `skip-paths` globs see the joined chain, so `**/*.tgz!**/test/**` can exclude inside.
//! - **Stats**: `archives_opened` ([`ArchiveStats::archives`]), `archive_entries_scanned`
//!   ([`ArchiveStats::entries`]) and one counter per reason in [`SkipCounts`]
//!   (`archive_skipped_too_deep`, `_too_large`, `_ratio`, `_total_bytes`, `_too_many_entries`,
//!   `_encrypted`, `_unsupported`, `_damaged`, `_trailing_data`); each skip also becomes a note
//!   naming its chain (with the count capped, as errors are). Skips are not errors: exit codes
//!   do not change; an outer archive that cannot be opened at all is scanned raw, as above.
//! - **Flags**: `--no-archives` (archives scanned as opaque bytes, as before) and
//!   `--archive-depth N` (default 4; 0 is the same as `--no-archives`); the other limits as
//!   `.upsweep.toml` keys (`archive-max-bytes`, `archive-max-ratio`, `archive-max-entries`)
//!   rather than flags, since they are rarely changed; `max_entry_size` is `--max-file-size`.
//!
//! Threads: `walk` is synchronous and single-threaded per outer archive (each worker thread of
//! the walker or of the git reader opens its own archives); a budget is per outer archive.

// Nothing calls this module yet: the scan and history inputs are wired to it (as above) after
// the inputs' refactor lands. Its tests exercise all of it meanwhile.
#![allow(dead_code)]

mod detect;
mod gzip;
mod limits;
mod name;
mod tar;
mod walker;
mod zip;

#[cfg(test)]
mod tests;

pub(crate) use detect::{detect, ArchiveKind, PREFIX};
pub(crate) use limits::ArchiveLimits;

use limits::{Budget, OuterCounted};
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use walker::{read_full, Src, Walker};

/// Something that can be read and repositioned (a file, a cursor over bytes).
pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// Where an outer archive's bytes come from.
pub(crate) enum Input<'a> {
    /// Bytes already in memory (a git blob, a file read whole).
    Bytes(&'a [u8]),
    /// A stream read once (standard input). A zip from a stream is buffered (it needs random
    /// access), within `max_entry_size`. When the stream is not an archive, its first
    /// [`PREFIX`] bytes have been read all the same: call [`detect`] first if they matter.
    Reader(&'a mut dyn Read),
    /// A file, positioned at the archive's start: tar entries not needed are skipped by
    /// seeking, and a zip is read in place.
    Seekable(&'a mut dyn ReadSeek),
}

/// What the callback receives.
#[derive(Debug)]
pub(crate) enum ArchiveEvent<'a> {
    /// An entry to scan. `chain` is the outer archive's name (as the caller gave it) followed
    /// by each entry name down to this one, made safe to print.
    Entry {
        chain: &'a [String],
        bytes: &'a [u8],
    },
    /// Something deliberately not scanned, or damage met: `chain` names it (the outer
    /// archive's name alone when the whole archive is concerned).
    Skipped {
        chain: &'a [String],
        reason: &'a SkipReason,
    },
}

/// Why part of an archive was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SkipReason {
    /// A nested archive beyond `max_depth` layers: not opened (its bytes are handed over as
    /// they are, like any file, when within the size limit).
    TooDeep { limit: u32 },
    /// An entry larger than `limit` (`max_entry_size`, or what `max_held` still allows).
    /// `size` is the size its header declares, or at least the bytes read.
    TooLarge { size: u64, limit: u64 },
    /// A decompressor's output passed `limit` times its input (a compression bomb).
    Ratio { limit: u64 },
    /// The outer archive's decompressed bytes passed `limit`: the rest was not read.
    TotalBytes { limit: u64 },
    /// The outer archive's decompressed bytes passed `limit` times its own size: the rest was
    /// not read.
    OverallRatio { limit: u64 },
    /// More than `limit` entries: the rest was not read.
    TooManyEntries { limit: u64 },
    /// An encrypted zip entry: there is no password to read it with.
    Encrypted,
    /// A compression method or archive feature not supported (bzip2, LZMA, multi-disk zip).
    Unsupported { what: String },
    /// Truncated or corrupt: what came before the damage was scanned.
    Damaged { message: String },
    /// Bytes after the end of a gzip stream that are not another gzip member.
    TrailingData,
}

impl SkipReason {
    /// A short stable key for stats and JSON.
    pub fn key(&self) -> &'static str {
        match self {
            SkipReason::TooDeep { .. } => "too-deep",
            SkipReason::TooLarge { .. } => "too-large",
            SkipReason::Ratio { .. } => "ratio",
            SkipReason::TotalBytes { .. } => "total-bytes",
            SkipReason::OverallRatio { .. } => "overall-ratio",
            SkipReason::TooManyEntries { .. } => "too-many-entries",
            SkipReason::Encrypted => "encrypted",
            SkipReason::Unsupported { .. } => "unsupported",
            SkipReason::Damaged { .. } => "damaged",
            SkipReason::TrailingData => "trailing-data",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::TooDeep { limit } => write!(
                f,
                "archive nested more than {limit} deep: not opened (scanned as it is)"
            ),
            SkipReason::TooLarge { size, limit } => write!(
                f,
                "entry of {size} bytes or more is larger than the {limit}-byte limit: not scanned"
            ),
            SkipReason::Ratio { limit } => write!(
                f,
                "expands more than {limit} times its compressed size (a compression bomb?): not scanned past that"
            ),
            SkipReason::TotalBytes { limit } => write!(
                f,
                "more than {limit} bytes decompressed from one archive: the rest was not scanned"
            ),
            SkipReason::OverallRatio { limit } => write!(
                f,
                "archive expands more than {limit} times its size (a compression bomb?): the rest was not scanned"
            ),
            SkipReason::TooManyEntries { limit } => write!(
                f,
                "more than {limit} entries in one archive: the rest was not scanned"
            ),
            SkipReason::Encrypted => write!(f, "encrypted: not scanned"),
            SkipReason::Unsupported { what } => write!(f, "not supported ({what}): not scanned"),
            SkipReason::Damaged { message } => {
                write!(f, "damaged ({message}): scanned what could be read")
            }
            SkipReason::TrailingData => {
                write!(f, "data after the end of the gzip stream: not scanned")
            }
        }
    }
}

/// Skips, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SkipCounts {
    pub too_deep: u64,
    pub too_large: u64,
    /// Per-decompressor and overall ratio.
    pub ratio: u64,
    pub total_bytes: u64,
    pub too_many_entries: u64,
    pub encrypted: u64,
    pub unsupported: u64,
    pub damaged: u64,
    pub trailing_data: u64,
}

impl SkipCounts {
    fn count(&mut self, r: &SkipReason) {
        let c = match r {
            SkipReason::TooDeep { .. } => &mut self.too_deep,
            SkipReason::TooLarge { .. } => &mut self.too_large,
            SkipReason::Ratio { .. } | SkipReason::OverallRatio { .. } => &mut self.ratio,
            SkipReason::TotalBytes { .. } => &mut self.total_bytes,
            SkipReason::TooManyEntries { .. } => &mut self.too_many_entries,
            SkipReason::Encrypted => &mut self.encrypted,
            SkipReason::Unsupported { .. } => &mut self.unsupported,
            SkipReason::Damaged { .. } => &mut self.damaged,
            SkipReason::TrailingData => &mut self.trailing_data,
        };
        *c += 1;
    }

    pub fn total(&self) -> u64 {
        self.too_deep
            + self.too_large
            + self.ratio
            + self.total_bytes
            + self.too_many_entries
            + self.encrypted
            + self.unsupported
            + self.damaged
            + self.trailing_data
    }
}

/// What one [`walk`] did. The byte counters are also how tests prove memory stayed bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ArchiveStats {
    /// The outer archive's format; `None` when the input was not an archive (nothing done).
    pub kind: Option<ArchiveKind>,
    /// Archives opened, the outer one and every nested one.
    pub archives: u64,
    /// Entries handed to the callback, and their bytes.
    pub entries: u64,
    pub bytes: u64,
    /// Entries met (files, directories, links, skipped ones), counted against `max_entries`.
    pub entries_seen: u64,
    /// Bytes produced by decompression, counted against `max_total_bytes`.
    pub decompressed: u64,
    /// The most bytes buffered at once (entry buffers and nested zips, all levels).
    pub peak_held: u64,
    pub skipped: SkipCounts,
}

/// Open the archive in `input`, named `name` (the outer file's path as shown to the user),
/// and hand every entry, at every nesting level, to `emit`. Never fails: damage and limits are
/// reported through `emit` as skips and counted in the returned stats.
pub(crate) fn walk(
    name: &str,
    input: Input<'_>,
    limits: &ArchiveLimits,
    emit: &mut dyn FnMut(ArchiveEvent<'_>),
) -> ArchiveStats {
    let mut head = [0u8; PREFIX];
    match input {
        Input::Bytes(bytes) => {
            let Some(kind) = detect(bytes) else {
                return ArchiveStats::default();
            };
            let budget = Budget::new(limits.clone(), Some(bytes.len() as u64));
            let mut w = Walker::new(name, &budget, emit);
            let mut cur = io::Cursor::new(bytes);
            w.archive(kind, Src::Seek(&mut cur));
            w.finish(kind)
        }
        Input::Seekable(r) => {
            let opened = (|| -> io::Result<_> {
                let start = r.stream_position()?;
                let n = match read_full(r, &mut head) {
                    (n, None) => n,
                    (_, Some(e)) => return Err(e),
                };
                let end = r.seek(SeekFrom::End(0))?;
                r.seek(SeekFrom::Start(start))?;
                Ok((n, end.saturating_sub(start)))
            })();
            let (n, size) = match opened {
                Ok(v) => v,
                Err(e) => return unreadable(name, emit, &e),
            };
            let Some(kind) = detect(&head[..n]) else {
                return ArchiveStats::default();
            };
            let budget = Budget::new(limits.clone(), Some(size));
            let mut w = Walker::new(name, &budget, emit);
            w.archive(kind, Src::Seek(r));
            w.finish(kind)
        }
        Input::Reader(r) => {
            let budget = Budget::new(limits.clone(), None);
            let mut counted = OuterCounted {
                inner: r,
                budget: &budget,
            };
            let n = match read_full(&mut counted, &mut head) {
                (n, None) => n,
                (_, Some(e)) => return unreadable(name, emit, &e),
            };
            let Some(kind) = detect(&head[..n]) else {
                return ArchiveStats::default();
            };
            let mut joined = (&head[..n]).chain(counted);
            let mut w = Walker::new(name, &budget, emit);
            w.archive(kind, Src::Read(&mut joined));
            w.finish(kind)
        }
    }
}

/// An input that failed before its first bytes could be told apart.
fn unreadable(name: &str, emit: &mut dyn FnMut(ArchiveEvent<'_>), e: &io::Error) -> ArchiveStats {
    let reason = SkipReason::Damaged {
        message: format!("cannot read: {e}"),
    };
    let mut stats = ArchiveStats::default();
    stats.skipped.count(&reason);
    emit(ArchiveEvent::Skipped {
        chain: &[name.to_string()],
        reason: &reason,
    });
    stats
}
