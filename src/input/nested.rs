//! Blobs that are archives: every input (files, standard input, git blobs) hands its blobs
//! here, and an archive's entries go on to the worker one by one, each with an
//! [`Origin::Archive`] naming the chain down to it (`dist/app.tgz!package/.env`), so the
//! scanner never knows. A blob that is not an archive (told by its first bytes, never by its
//! name), or any blob when archives are turned off, goes through as it is.
//!
//! What an archive held is reported as it is read: its entries as blobs, what was left out as
//! [`Skip::InArchive`] (counted by reason, named by `--verbose`), and when it is done an
//! [`Event::Opened`]. An archive that cannot be opened at all (damaged at its first bytes, or a
//! zip feature not supported) is scanned as raw bytes, as with archives off, so opening
//! archives never loses what a plain scan found.

use super::archive::{self, ArchiveEvent, ArchiveLimits, ArchiveStats, Input};
use super::{Added, Event, Skip};
use crate::finding::Origin;

/// A blob read whole: scanned as it is, or entry by entry when it is an archive.
pub(crate) fn blob(
    origin: Origin,
    bytes: &[u8],
    archives: Option<&ArchiveLimits>,
    emit: &mut dyn FnMut(Event<'_>),
) {
    if let Some(limits) = archives.filter(|_| archive::detect(bytes).is_some()) {
        if open(&origin, Input::Bytes(bytes), limits, None, emit) {
            return;
        }
    }
    emit(Event::Blob { origin, bytes });
}

/// A blob of which only what a change adds counts. An archive's entries are changes too:
/// each counts what it holds less what the entry of the same name held in the version the
/// change replaces (a binary file has no lines to diff, and an archive is one).
pub(crate) fn change(
    origin: Origin,
    bytes: &[u8],
    added: Added<'_>,
    archives: Option<&ArchiveLimits>,
    emit: &mut dyn FnMut(Event<'_>),
) {
    let whole = added.lines.is_none();
    if let Some(limits) = archives.filter(|_| whole && archive::detect(bytes).is_some()) {
        let before = added.before;
        if open(&origin, Input::Bytes(bytes), limits, Some(before), emit) {
            return;
        }
    }
    emit(Event::Change {
        origin,
        bytes,
        added,
    });
}

/// A file too large to read whole, or standard input: opened straight from the stream when
/// its first bytes are an archive's. False when it is not an archive or nothing could be read
/// from it (the caller then treats it as it would without archives).
pub(crate) fn stream(
    origin: &Origin,
    input: Input<'_>,
    limits: &ArchiveLimits,
    emit: &mut dyn FnMut(Event<'_>),
) -> bool {
    open(origin, input, limits, None, emit)
}

/// What a change's version before held, read on demand.
type Before<'a> = Option<&'a dyn Fn() -> Option<Vec<u8>>>;

/// Walk the archive in `input`, handing each entry on (as a [`Event::Change`] when `change`
/// says what the blob's previous version was). True when it was opened; false when it was
/// not an archive or nothing in it could be read, and nothing but skips was handed on.
fn open(
    origin: &Origin,
    input: Input<'_>,
    limits: &ArchiveLimits,
    change: Option<Before<'_>>,
    emit: &mut dyn FnMut(Event<'_>),
) -> bool {
    let name = origin.display_path();
    let stats = archive::walk(&name, input, limits, &mut |e| match e {
        ArchiveEvent::Entry { chain, bytes } => {
            let inner = inside(origin, chain);
            match change {
                None => emit(Event::Blob {
                    origin: inner,
                    bytes,
                }),
                Some(before) => {
                    let old = || {
                        before
                            .and_then(|b| b())
                            .and_then(|o| entry_in(&o, chain, limits))
                    };
                    emit(Event::Change {
                        origin: inner,
                        bytes,
                        added: Added {
                            lines: None,
                            before: before.map(|_| &old as &dyn Fn() -> Option<Vec<u8>>),
                        },
                    });
                }
            }
        }
        ArchiveEvent::Skipped { chain, reason } => {
            let path = if chain.len() > 1 {
                inside(origin, chain).display_path()
            } else {
                name.clone()
            };
            emit(Event::Skipped(Skip::InArchive {
                path,
                reason: reason.clone(),
            }));
        }
    });
    if !opened(&stats) {
        return false;
    }
    emit(Event::Opened {
        origin: origin.clone(),
        archives: stats.archives,
    });
    true
}

/// Whether a walk opened the archive: it was one, and unless something in it was read, not
/// only damage or an unsupported feature was met.
fn opened(stats: &ArchiveStats) -> bool {
    let s = &stats.skipped;
    stats.kind.is_some() && (stats.entries > 0 || s.damaged + s.unsupported == 0)
}

/// The origin of an entry: `chain` is the outer archive's name, then the names inside.
fn inside(origin: &Origin, chain: &[String]) -> Origin {
    Origin::Archive {
        outer: Box::new(origin.clone()),
        entries: chain[1..].to_vec(),
    }
}

/// The bytes of the entry at `chain` in an earlier version of an archive: the whole of it
/// when that version was not an archive, `None` when it held no such entry.
fn entry_in(old: &[u8], chain: &[String], limits: &ArchiveLimits) -> Option<Vec<u8>> {
    if archive::detect(old).is_none() {
        return Some(old.to_vec());
    }
    let mut found = None;
    archive::walk(&chain[0], Input::Bytes(old), limits, &mut |e| {
        if let ArchiveEvent::Entry { chain: c, bytes } = e {
            if found.is_none() && c == chain {
                found = Some(bytes.to_vec());
            }
        }
    });
    found
}
