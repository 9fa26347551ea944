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
//! - **Inflated whole where that is safe**: a zip entry or a gzip file that is in memory
//!   (every file read whole, a blob, a nested zip, a small tgz inside a tar) and declares an
//!   output size of at most [`whole::WHOLE_MAX`] that fits every limit is inflated in one
//!   call of libdeflate (`whole.rs`), two to three times faster than streaming; its output
//!   is held (and counted against `max_held`) while its entries are read. A declared size
//!   that lies, a failed check, a second gzip member or trailing bytes send it back to the
//!   streaming readers, which name the problem.
//! - **Bounded**: every limit in [`ArchiveLimits`] (decompressed bytes, compression ratio per
//!   decompressor and overall, entries, depth, entry size) ends in a [`ArchiveSkip`] the callback
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
//! # Where it is used
//!
//! [`super::nested`] is the adapter every input calls: files read whole (`input/fs.rs`),
//! standard input and git blobs go through `walk(.., Input::Bytes(..), ..)`; a file larger
//! than `--max-file-size` whose first bytes are an archive's is streamed from disk with
//! `Input::Seekable` (tar entries not needed are skipped with a seek), and standard input
//! larger than that with `Input::Reader`. Each entry becomes a blob whose
//! `finding::Origin::Archive` carries the chain; each skip a `Skip::InArchive` (the
//! [`ArchiveSkip`] and [`ArchiveSkips`] types live in `outcome`, since reports count them).
//! An archive from which nothing could be read is scanned as raw bytes, as without archives.
//!
//! Threads: `walk` is synchronous and single-threaded per outer archive (each worker thread of
//! the walker or of the git reader opens its own archives); a budget is per outer archive.

mod detect;
mod gzip;
mod limits;
mod name;
mod tar;
mod walker;
mod whole;
mod zip;

#[cfg(test)]
mod tests;

pub(crate) use crate::outcome::{ArchiveSkip, ArchiveSkips};
pub(crate) use detect::{detect, ArchiveKind, PREFIX};
pub(crate) use limits::ArchiveLimits;

use limits::{Budget, OuterCounted};
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
        reason: &'a ArchiveSkip,
    },
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
    /// Zip entries and gzip files inflated whole, in one call (`whole.rs`), not streamed.
    pub whole: u64,
    pub skipped: ArchiveSkips,
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
            w.archive_bytes(kind, bytes);
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
    let reason = ArchiveSkip::Damaged {
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
