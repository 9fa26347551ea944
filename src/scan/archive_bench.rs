//! The work `bench/archive` times (here, not in `input::archive`, because it scans and inputs
//! never import the scanner): walking an archive from disk as the file walker will (a
//! seekable file, default limits), with or without scanning each entry. Ignored tests, so a
//! normal `cargo test` never runs them; they measure nothing themselves (the script times
//! the process against `tar xzf -O` of the same file) and assert only that the walk was
//! complete, so a fast figure cannot come from an archive half read.

use crate::input::archive::{walk, ArchiveEvent, ArchiveLimits, Input};
use crate::rules::Matcher;
use crate::scan::Scanner;
use std::fs::File;

/// The archive to walk, from `UPSWEEP_ARCHIVE_BENCH`.
fn archive() -> Option<(String, File)> {
    let path = std::env::var("UPSWEEP_ARCHIVE_BENCH").ok()?;
    let f = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Some((path, f))
}

fn run(scan: bool) {
    let Some((name, mut file)) = archive() else {
        eprintln!("UPSWEEP_ARCHIVE_BENCH is not set: nothing to do");
        return;
    };
    let matcher = Matcher::load(&[] as &[&str]).expect("rules");
    let mut scanner = Scanner::new(&matcher);
    let (mut matches, mut skips) = (0usize, Vec::new());
    let limits = ArchiveLimits::default();
    let stats = walk(
        &name,
        Input::Seekable(&mut file),
        &limits,
        &mut |e| match e {
            ArchiveEvent::Entry { bytes, .. } if scan => {
                let (text, _) = crate::input::text_view(bytes);
                matches += scanner.scan(&text).len();
            }
            ArchiveEvent::Entry { .. } => {}
            ArchiveEvent::Skipped { chain, reason } => {
                skips.push(format!("{}: {reason}", chain.join("!")))
            }
        },
    );
    println!(
        "entries {} bytes {} decompressed {} matches {} skips {}",
        stats.entries,
        stats.bytes,
        stats.decompressed,
        matches,
        skips.len()
    );
    assert!(stats.entries > 0, "not an archive: {name}");
    assert!(skips.is_empty(), "the walk was not complete: {skips:?}");
}

#[test]
#[ignore = "benchmark work: run by bench/archive"]
fn bench_walk() {
    run(false);
}

#[test]
#[ignore = "benchmark work: run by bench/archive"]
fn bench_walk_and_scan() {
    run(true);
}
