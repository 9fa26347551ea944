//! Inputs: where the bytes come from. Each input turns what it reads into [`Event`]s for a
//! per-thread worker (`scan::pool`): a blob to scan with its [`Origin`], an input that could
//! not be read, or something skipped on purpose. Inputs never scan and never stop at one bad
//! entry.

pub(crate) mod archive;
pub(crate) mod fs;
pub(crate) mod git;
pub(crate) mod nested;

use crate::finding::Origin;
pub(crate) use crate::outcome::{InputError, Skip};
use std::borrow::Cow;
use std::io::Read;

/// What an input hands its worker.
pub(crate) enum Event<'a> {
    /// A blob to scan whole.
    Blob {
        origin: Origin,
        bytes: &'a [u8],
    },
    /// A blob of which only what a change adds counts (`git --staged`, `--range`).
    Change {
        origin: Origin,
        bytes: &'a [u8],
        added: Added<'a>,
    },
    Error(InputError),
    Skipped(Skip),
    /// A file or blob was opened as an archive: its entries came (before this event) as blobs
    /// with an [`Origin::Archive`], what was left out of it as [`Skip::InArchive`]; `origin` is
    /// the file or blob itself, and `archives` counts it and every archive nested in it.
    Opened {
        origin: Origin,
        archives: u64,
    },
}

/// What a change adds to a blob.
pub(crate) struct Added<'a> {
    /// Only these 1-based lines count (sorted); `None`: every line does.
    pub(crate) lines: Option<&'a [u32]>,
    /// The version the change replaces, read on demand: secrets it already held do not count.
    /// Used for binary files, which have no lines to diff; `None` when it cannot be read.
    pub(crate) before: Option<&'a dyn Fn() -> Option<Vec<u8>>>,
}

/// The text a scan should see: a UTF-8 byte-order mark is dropped, UTF-16 files (with a byte-order mark, as Windows tools write
/// them) are turned into UTF-8 so their values match; everything else is scanned as it is.
pub(crate) fn text_view(bytes: &[u8]) -> (Cow<'_, [u8]>, Option<&'static str>) {
    // A UTF-8 byte-order mark is not text: columns on line 1 count from after it.
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return (Cow::Borrowed(rest), None);
    }
    let le = bytes.starts_with(&[0xFF, 0xFE]);
    let be = bytes.starts_with(&[0xFE, 0xFF]);
    if !(le || be) || !bytes.len().is_multiple_of(2) {
        return (Cow::Borrowed(bytes), None);
    }
    let units = bytes[2..].chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    (Cow::Owned(text.into_bytes()), Some("utf-16"))
}

/// Read standard input, at most `limit` bytes. When `archives` allows, an archive is opened
/// (each entry at most `limit` bytes), and one larger than `limit` is read as it streams in.
pub(crate) fn stdin(
    limit: u64,
    archives: Option<&archive::ArchiveLimits>,
    emit: &mut dyn FnMut(Event<'_>),
) {
    let mut stdin = std::io::stdin().lock();
    let mut buf = Vec::new();
    let read = (&mut stdin)
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf);
    let too_large = || {
        Event::Error(InputError {
            path: "<stdin>".into(),
            message: format!("standard input is larger than --max-file-size ({limit} bytes); raise it to scan this input"),
        })
    };
    match read {
        Err(e) => emit(Event::Error(InputError {
            path: "<stdin>".into(),
            message: format!(
                "cannot read standard input: {}",
                crate::util::io::io_message(&e)
            ),
        })),
        Ok(_) if buf.len() as u64 > limit => match archives {
            Some(limits) if archive::detect(&buf).is_some() => {
                let mut joined = (&buf[..]).chain(&mut stdin);
                let input = archive::Input::Reader(&mut joined);
                if !nested::stream(&Origin::Stdin, input, limits, emit) {
                    emit(too_large());
                }
            }
            _ => emit(too_large()),
        },
        Ok(_) => nested::blob(Origin::Stdin, &buf, archives, emit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_bom_becomes_utf8() {
        let mut b = vec![0xFF, 0xFE];
        for u in "KEY=v".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let (t, enc) = text_view(&b);
        assert_eq!(&*t, b"KEY=v");
        assert_eq!(enc, Some("utf-16"));
        let (t, enc) = text_view(b"plain");
        assert_eq!(&*t, b"plain");
        assert_eq!(enc, None);
    }
}
