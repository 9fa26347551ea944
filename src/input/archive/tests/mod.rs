//! Archive tests. Every fixture is built here, at test time, with the same crates that read it
//! (zip, tar, flate2) or by patching their output byte by byte where a hostile archive is
//! wanted; no binary fixture is committed.

mod bad_input;
mod formats;
mod limits;

use super::{walk, ArchiveEvent, ArchiveLimits, ArchiveSkip, ArchiveStats, Input};
use flate2::write::GzEncoder;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Everything a walk handed over.
#[derive(Debug, Default)]
pub(super) struct Seen {
    pub entries: Vec<(String, Vec<u8>)>,
    pub skips: Vec<(String, ArchiveSkip)>,
    pub stats: ArchiveStats,
}

impl Seen {
    /// The bytes handed over for the chain `joined` (names joined by `!`).
    pub fn get(&self, joined: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(c, _)| c == joined)
            .map(|(_, b)| b.as_slice())
    }

    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(c, _)| c.as_str()).collect()
    }

    pub fn skip_keys(&self) -> Vec<(&str, &'static str)> {
        self.skips
            .iter()
            .map(|(c, r)| (c.as_str(), r.key()))
            .collect()
    }
}

pub(super) fn run(name: &str, input: Input<'_>, limits: &ArchiveLimits) -> Seen {
    let mut seen = Seen::default();
    let stats = walk(name, input, limits, &mut |e| match e {
        ArchiveEvent::Entry { chain, bytes } => {
            seen.entries.push((chain.join("!"), bytes.to_vec()));
        }
        ArchiveEvent::Skipped { chain, reason } => {
            seen.skips.push((chain.join("!"), reason.clone()));
        }
    });
    seen.stats = stats;
    // The stats agree with what the callback saw.
    assert_eq!(seen.stats.entries, seen.entries.len() as u64);
    assert_eq!(
        seen.stats.bytes,
        seen.entries
            .iter()
            .map(|(_, b)| b.len() as u64)
            .sum::<u64>()
    );
    assert_eq!(seen.stats.skipped.total(), seen.skips.len() as u64);
    seen
}

/// Walk bytes three ways (in memory, as a file-like seekable reader, as a one-way stream) and
/// check the three agree; the in-memory walk's result.
pub(super) fn run_all_ways(name: &str, bytes: &[u8], limits: &ArchiveLimits) -> Seen {
    let a = run(name, Input::Bytes(bytes), limits);
    let mut cur = Cursor::new(bytes);
    let b = run(name, Input::Seekable(&mut cur), limits);
    let mut stream = bytes;
    let c = run(name, Input::Reader(&mut stream), limits);
    for other in [&b, &c] {
        assert_eq!(a.entries, other.entries, "entries differ by input kind");
        assert_eq!(
            a.skip_keys(),
            other.skip_keys(),
            "skips differ by input kind"
        );
    }
    a
}

pub(super) fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

pub(super) fn stored() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
}

/// A zip of (name, bytes, options).
pub(super) fn zip_of(entries: &[(&str, &[u8], SimpleFileOptions)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data, opts) in entries {
        if name.ends_with('/') {
            w.add_directory(*name, *opts).unwrap();
            continue;
        }
        w.start_file(*name, *opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A ustar archive of (name, bytes).
pub(super) fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// A tar entry header with `name` written raw (the tar crate refuses `..` and absolute names
/// when building, as it should; a hostile archive is not built with a careful tool).
pub(super) fn raw_tar_entry(out: &mut Vec<u8>, name: &[u8], data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

pub(super) fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Limits scaled down so tests run in milliseconds in a debug build.
pub(super) fn small_limits() -> ArchiveLimits {
    ArchiveLimits {
        max_total_bytes: 8 << 20,
        ratio_grace: 256 << 10,
        max_entry_size: 256 << 10,
        max_held: 512 << 10,
        ..ArchiveLimits::default()
    }
}

/// A line that stands for a credential in these tests (what is inside does not matter to the
/// archive reader: it is handed over byte for byte).
pub(super) fn secret(n: u32) -> Vec<u8> {
    format!("UPSTASH_REDIS_REST_TOKEN=fixture-{n:04}\n").into_bytes()
}
