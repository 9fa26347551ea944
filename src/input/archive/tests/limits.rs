//! Bombs and limits: each limit ends in a named skip, and the counters prove the work and the
//! memory stayed within it (a test that passes because a machine is fast proves nothing, so
//! none of these measure time).

use super::*;
use crate::input::archive::PREFIX;

fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n).map(|_| rng.u8(..)).collect()
}

/// Text that deflates about 1.6 times (lowercase letters at random).
fn letters(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n).map(|_| rng.lowercase() as u8).collect()
}

#[test]
fn a_single_high_ratio_entry_is_cut_off_and_its_neighbours_still_read() {
    let zeros = vec![0u8; 4 << 20];
    let env = secret(20);
    let z = zip_of(&[
        ("bomb.bin", &zeros, deflated()),
        ("app/.env", &env, deflated()),
    ]);
    assert!(z.len() < 64 << 10, "the bomb is small: {} bytes", z.len());
    // The entry is within the size limit (else it would be skipped as too large, unread).
    let limits = ArchiveLimits {
        ratio_grace: 256 << 10,
        ..ArchiveLimits::default()
    };
    let seen = run_all_ways("bomb.zip", &z, &limits);
    assert_eq!(seen.skip_keys(), [("bomb.zip!bomb.bin", "ratio")]);
    assert_eq!(seen.names(), ["bomb.zip!app/.env"]);
    // Inflating stopped one byte past the entry's allowance (100 times its compressed size),
    // not at 4 MiB; then the .env was read.
    let packed = zip::ZipArchive::new(std::io::Cursor::new(&z))
        .unwrap()
        .by_index(0)
        .unwrap()
        .compressed_size();
    let allowance = (packed * 100).max(limits.ratio_grace);
    assert_eq!(seen.stats.decompressed, allowance + 1 + env.len() as u64);

    // The same as a lone gzip stream.
    let g = gz(&zeros);
    let seen = run_all_ways("bomb.bin.gz", &g, &limits);
    assert_eq!(seen.skip_keys(), [("bomb.bin.gz", "ratio")]);
    assert!(seen.entries.is_empty());
    let allowance = (g.len() as u64 * 100).max(limits.ratio_grace);
    assert!(seen.stats.decompressed <= allowance + 1);
}

/// 42.zip's shape: every layer a zip of 16 copies of the layer below, the bottom one a
/// megabyte of zeros; five layers stand for 16^5 MiB (a terabyte) in a couple of KB.
fn nested_bomb(layers: usize) -> Vec<u8> {
    let mut inner = zip_of(&[("0.dat", &vec![0u8; 1 << 20], deflated())]);
    for layer in 1..layers {
        let names: Vec<String> = (0..16).map(|i| format!("l{layer}-{i:x}.zip")).collect();
        let entries: Vec<(&str, &[u8], _)> = names
            .iter()
            .map(|n| (n.as_str(), &inner[..], deflated()))
            .collect();
        inner = zip_of(&entries);
    }
    inner
}

#[test]
fn a_42_zip_style_nested_bomb_stops_early_whatever_the_depth() {
    let bomb = nested_bomb(5);
    assert!(bomb.len() < 32 << 10, "{} bytes", bomb.len());

    // Default limits: four layers are opened; the fifth is not (too deep), and the overall
    // ratio stops the walk long before the 65,536 fourth-layer zips are all read.
    let limits = ArchiveLimits::default();
    let seen = run_all_ways("42.zip", &bomb, &limits);
    assert!(seen.stats.skipped.too_deep > 0);
    assert_eq!(
        seen.stats.skipped.ratio,
        1,
        "{:?}",
        &seen.skips[seen.skips.len() - 1..]
    );
    assert!(matches!(
        seen.skips.last().unwrap().1,
        ArchiveSkip::OverallRatio { limit: 100 }
    ));
    let overall = bomb.len() as u64 * 100 + limits.ratio_grace;
    assert!(seen.stats.decompressed <= overall + 1);
    assert!(
        seen.stats.entries_seen < 20_000,
        "{}",
        seen.stats.entries_seen
    );

    // With no depth limit to speak of, the bottom layer's entries trip their own ratio one by
    // one, until the total stops everything.
    let limits = ArchiveLimits {
        max_depth: 32,
        max_ratio: 1_000_000,
        max_total_bytes: 8 << 20,
        max_entry_size: 2 << 20,
        max_held: 4 << 20,
        ..ArchiveLimits::default()
    };
    let seen = run("42.zip", Input::Bytes(&bomb), &limits);
    assert!(seen.entries.iter().all(|(_, b)| b.iter().all(|&x| x == 0)));
    assert_eq!(seen.stats.skipped.total_bytes, 1, "{:?}", seen.skips);
    assert!(seen.stats.decompressed <= limits.max_total_bytes + 1);
    // What was held at once stayed within the held limit (nested zips plus one entry).
    assert!(seen.stats.peak_held <= limits.max_held);
}

#[test]
fn overlapping_zip_entries_are_stopped_by_the_overall_ratio() {
    // Fifield's non-recursive bomb: many central-directory entries share one local file's
    // data, so each entry's own ratio looks harmless.
    let data = letters(300 << 10, 1);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("kernel.txt", deflated()).unwrap();
    w.write_all(&data).unwrap();
    for i in 0..200 {
        w.shallow_copy_file("kernel.txt", &format!("copy-{i}.txt"))
            .unwrap();
    }
    let z = w.finish().unwrap().into_inner();
    let limits = ArchiveLimits {
        max_ratio: 10,
        ratio_grace: 256 << 10,
        ..ArchiveLimits::default()
    };
    let seen = run_all_ways("overlap.zip", &z, &limits);
    assert_eq!(seen.stats.skipped.ratio, 1);
    let (at, why) = seen.skips.last().unwrap();
    assert_eq!(why, &ArchiveSkip::OverallRatio { limit: 10 });
    assert!(at.starts_with("overlap.zip!copy-"), "{at}");
    let allowed = z.len() as u64 * 10 + limits.ratio_grace;
    assert_eq!(seen.stats.decompressed, allowed + 1);
    assert!(seen.entries.len() < 10, "{} entries", seen.entries.len());
}

#[test]
fn the_total_decompressed_limit_stops_the_archive_where_it_was_reached() {
    let files: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| (format!("data/{i:02}.txt"), letters(128 << 10, i)))
        .collect();
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (n.as_str(), &d[..])).collect();
    let tgz = gz(&tar_of(&entries));
    let limits = ArchiveLimits {
        max_total_bytes: 512 << 10,
        ..ArchiveLimits::default()
    };
    let seen = run_all_ways("data.tgz", &tgz, &limits);
    assert_eq!(seen.stats.skipped.total_bytes, 1);
    assert_eq!(seen.skips.len(), 1);
    let (at, _) = &seen.skips[0];
    assert!(
        at.starts_with("data.tgz!data/0"),
        "stopped inside an entry: {at}"
    );
    assert_eq!(seen.entries.len(), 3, "{:?}", seen.names());
    assert_eq!(seen.stats.decompressed, limits.max_total_bytes + 1);
}

#[test]
fn too_many_entries_stop_the_archive() {
    let names: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let limits = ArchiveLimits {
        max_entries: 10,
        ..ArchiveLimits::default()
    };
    let seen = run_all_ways("many.tar", &tar_of(&entries), &limits);
    assert_eq!(seen.entries.len(), 10);
    assert_eq!(
        seen.skips,
        [(
            "many.tar!f10".to_string(),
            ArchiveSkip::TooManyEntries { limit: 10 }
        )]
    );

    // A zip says how many entries it has before any is read: too many, and none is parsed.
    let zentries: Vec<(&str, &[u8], _)> = names
        .iter()
        .map(|n| (n.as_str(), &b"x"[..], stored()))
        .collect();
    let seen = run_all_ways("many.zip", &zip_of(&zentries), &limits);
    assert!(seen.entries.is_empty());
    assert_eq!(seen.skip_keys(), [("many.zip", "too-many-entries")]);
}

#[test]
fn entries_over_the_size_limit_are_skipped_by_name() {
    let limits = small_limits();
    let big = letters(512 << 10, 3);
    let env = secret(21);
    let t = tar_of(&[("big.sql", &big), ("app/.env", &env)]);
    let seen = run_all_ways("dump.tar", &t, &limits);
    assert_eq!(seen.names(), ["dump.tar!app/.env"]);
    assert_eq!(
        seen.skips,
        [(
            "dump.tar!big.sql".to_string(),
            ArchiveSkip::TooLarge {
                size: 512 << 10,
                limit: 256 << 10
            }
        )]
    );
    // Nothing near the big entry's size was ever buffered.
    assert!(seen.stats.peak_held < 4096, "{}", seen.stats.peak_held);

    // A gzip declares no size: it is read up to the limit and no further.
    let seen = run_all_ways("big.sql.gz", &gz(&big), &limits);
    assert_eq!(seen.skip_keys(), [("big.sql.gz!big.sql", "too-large")]);
    assert!(seen.stats.peak_held <= limits.max_entry_size + 1);
}

#[test]
fn a_layer_larger_than_the_entry_limit_is_streamed_not_buffered() {
    // The memory bound, by the counters: the layer is three times the entry-size limit, yet
    // the package inside it is found and nothing near the layer's size was ever held. A
    // reader that buffered nested archives would have to skip the layer as too large. (The
    // package's tgz is small, so it and the tar inside it are held to be inflated whole.)
    let limits = small_limits();
    let env = secret(22);
    let package = tar_of(&[("package/.env", &env)]);
    let app = gz(&package);
    let filler = random_bytes(1 << 20, 4);
    let layer = tar_of(&[("usr/lib/libbig.so", &filler), ("app/app.tgz", &app)]);
    assert!(layer.len() as u64 > 3 * limits.max_entry_size);
    let image = tar_of(&[("abc/layer.tar", &layer)]);
    let seen = run_all_ways("image.tar", &image, &limits);
    assert_eq!(
        seen.get("image.tar!abc/layer.tar!app/app.tgz!package/.env"),
        Some(&env[..])
    );
    assert_eq!(
        seen.skip_keys(),
        [("image.tar!abc/layer.tar!usr/lib/libbig.so", "too-large")]
    );
    let held = app.len() + package.len() + PREFIX + env.len();
    assert!(seen.stats.peak_held <= held as u64);
    assert!(seen.stats.peak_held < limits.max_entry_size);
}

#[test]
fn nested_zips_and_the_entry_inside_share_one_held_budget() {
    // A stored nested zip of 1.25 MiB is held while its 1 MiB entry would be buffered: with
    // 2 MiB to hold in all, the entry does not fit and is skipped, naming what was left.
    let payload = random_bytes(1 << 20, 5);
    let padding = random_bytes(256 << 10, 6);
    let inner = zip_of(&[
        ("pad.bin", &padding, stored()),
        ("payload.bin", &payload, stored()),
    ]);
    let outer = zip_of(&[("inner.zip", &inner, stored())]);
    let limits = ArchiveLimits {
        max_entry_size: 2 << 20,
        max_held: 2 << 20,
        ..ArchiveLimits::default()
    };
    let seen = run("outer.zip", Input::Bytes(&outer), &limits);
    assert_eq!(seen.names(), ["outer.zip!inner.zip!pad.bin"]);
    let (at, why) = &seen.skips[0];
    assert_eq!(at, "outer.zip!inner.zip!payload.bin");
    let room = (2 << 20) - inner.len() as u64;
    assert_eq!(
        why,
        &ArchiveSkip::TooLarge {
            size: 1 << 20,
            limit: room
        }
    );
    assert!(seen.stats.peak_held <= limits.max_held);
}
