//! Hostile and broken archives: hostile names, truncation, encryption, a 10 GB sparse tar,
//! trailing garbage, a lying central directory, names that are not UTF-8, random damage. No
//! panic, no hang, nothing written, memory bounded, and what is readable is still read.

use super::*;
use std::fs::File;
use std::io::{Seek, SeekFrom};

/// Every occurrence of `from` in `bytes` replaced by `to` (same length).
fn patch_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

fn find(bytes: &[u8], what: &[u8]) -> usize {
    memchr::memmem::find(bytes, what).expect("present")
}

fn rfind(bytes: &[u8], what: &[u8]) -> usize {
    memchr::memmem::rfind(bytes, what).expect("present")
}

#[test]
fn hostile_tar_names_are_shown_escaped_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let absolute = dir.path().join("written-by-tar.env");
    let mut t = Vec::new();
    raw_tar_entry(&mut t, absolute.to_str().unwrap().as_bytes(), &secret(30));
    raw_tar_entry(&mut t, b"../../escaped.env", &secret(31));
    raw_tar_entry(&mut t, b"a\x1b]0;pwned\x07\x1b[2J\r\n.env", &secret(32));
    raw_tar_entry(&mut t, b"bad\xff\xfe.env", &secret(33));
    raw_tar_entry(&mut t, "inv\u{202e}vne.txt".as_bytes(), &secret(34));
    t.extend([0u8; 1024]);
    let path = dir.path().join("evil.tar");
    std::fs::write(&path, &t).unwrap();

    let mut f = File::open(&path).unwrap();
    let seen = run(
        "evil.tar",
        Input::Seekable(&mut f),
        &ArchiveLimits::default(),
    );
    let expected = [
        format!("evil.tar!{}", absolute.display()),
        "evil.tar!../../escaped.env".to_string(),
        "evil.tar!a\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\x0a.env".to_string(),
        "evil.tar!bad\\xff\\xfe.env".to_string(),
        "evil.tar!inv\\u{202e}vne.txt".to_string(),
    ];
    assert_eq!(seen.names(), expected);
    for (_, bytes) in &seen.entries {
        assert!(bytes.starts_with(b"UPSTASH_REDIS_REST_TOKEN=fixture-003"));
    }
    // Nothing was written anywhere: the directory holds the tar alone, and neither the
    // absolute nor the climbing path exists.
    let listing: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(listing, ["evil.tar"]);
    assert!(!absolute.exists());
    assert!(!dir.path().join("../../escaped.env").exists());
    // No name shown holds a control character.
    for name in seen.names() {
        assert!(!name.chars().any(char::is_control), "{name:?}");
    }
}

#[test]
fn zip_names_that_are_not_utf8_are_shown_safely() {
    // Without the UTF-8 flag a zip name is code page 437: 0xFF there is a no-break space.
    let mut z = zip_of(&[("bad_.env", &secret(35), deflated())]);
    assert_eq!(patch_all(&mut z, b"bad_.env", b"bad\xff.env"), 2);
    let seen = run_all_ways("a.zip", &z, &ArchiveLimits::default());
    assert_eq!(seen.names(), ["a.zip!bad\u{a0}.env"]);

    // With the flag (set by the writer for a non-ASCII name), bytes that are not UTF-8 are
    // shown as bytes rather than replaced.
    let mut z = zip_of(&[("caf\u{e9}_\x1b.env", &secret(36), deflated())]);
    assert_eq!(patch_all(&mut z, b"\xa9_\x1b", b"\xa9\xff\x1b"), 2);
    let seen = run_all_ways("b.zip", &z, &ArchiveLimits::default());
    assert_eq!(seen.names(), ["b.zip!caf\u{e9}\\xff\\x1b.env"]);
    assert_eq!(seen.entries[0].1, secret(36));
}

#[test]
fn an_encrypted_zip_entry_is_skipped_counted_and_named() {
    use zip::unstable::write::FileOptionsExt;
    let locked = deflated().with_deprecated_encryption(b"hunter2").unwrap();
    let z = zip_of(&[
        ("public/.env", &secret(37), deflated()),
        ("private/.env", &secret(38), locked),
        ("public/b.txt", b"b\n", stored()),
    ]);
    let seen = run_all_ways("mixed.zip", &z, &ArchiveLimits::default());
    assert_eq!(
        seen.names(),
        ["mixed.zip!public/.env", "mixed.zip!public/b.txt"]
    );
    assert_eq!(
        seen.skips,
        [("mixed.zip!private/.env".to_string(), ArchiveSkip::Encrypted)]
    );
    assert_eq!(seen.stats.skipped.encrypted, 1);
}

#[test]
fn truncated_zips_yield_the_entries_before_the_cut() {
    let names: Vec<String> = (0..4).map(|i| format!("dir/{i}.env")).collect();
    let datas: Vec<Vec<u8>> = (0..4).map(|i| secret(40 + i).repeat(20)).collect();
    let entries: Vec<(&str, &[u8], _)> = names
        .iter()
        .zip(&datas)
        .map(|(n, d)| (n.as_str(), &d[..], deflated()))
        .collect();
    let z = zip_of(&entries);
    // Cut just before the central directory: every entry is whole, the directory is gone,
    // and the local headers give them all back.
    let cd = rfind(&z, b"PK\x01\x02");
    let first_cd = find(&z, b"PK\x01\x02");
    assert!(first_cd < cd);
    let seen = run_all_ways("cut.zip", &z[..first_cd], &ArchiveLimits::default());
    assert_eq!(seen.names().len(), 4, "{:?}", seen.skips);
    assert_eq!(seen.get("cut.zip!dir/3.env"), Some(&datas[3][..]));
    assert_eq!(seen.skip_keys(), [("cut.zip", "damaged")]);

    // Cut anywhere: never a panic, never a wrong byte handed over, the entries wholly before
    // the cut always found.
    let starts: Vec<usize> = (1..4)
        .map(|i| find(&z, format!("dir/{i}.env").as_bytes()) - 30)
        .collect();
    for cut in (0..z.len()).step_by(3) {
        let seen = run_all_ways("cut.zip", &z[..cut], &ArchiveLimits::default());
        for (chain, bytes) in &seen.entries {
            let i: usize = chain["cut.zip!dir/".len()..][..1].parse().unwrap();
            assert!(
                datas[i].starts_with(bytes),
                "cut {cut}: {chain} is not a prefix"
            );
        }
        let whole = starts.iter().filter(|&&s| s <= cut).count();
        let found = seen
            .entries
            .iter()
            .filter(|(_, b)| b.len() == datas[0].len())
            .count();
        assert!(
            found >= whole,
            "cut {cut}: {found} whole entries, expected {whole}"
        );
    }
}

#[test]
fn truncated_tar_gz_yields_what_was_read_and_names_the_damage() {
    let a = letters_like(6 << 10, 1);
    let c = letters_like(6 << 10, 2);
    let env = secret(50);
    let t = tar_of(&[("a.txt", &a), ("b/.env", &env), ("c.txt", &c)]);
    let tgz = gz(&t);
    // Cut in the middle of the last entry: the first two are whole, the third is handed over
    // as far as it goes, and named as damaged.
    let cut = tgz.len() - tgz.len() / 5;
    let seen = run_all_ways("cut.tgz", &tgz[..cut], &ArchiveLimits::default());
    assert_eq!(seen.get("cut.tgz!b/.env"), Some(&env[..]));
    assert_eq!(seen.get("cut.tgz!a.txt"), Some(&a[..]));
    let partial = seen
        .get("cut.tgz!c.txt")
        .expect("the cut entry is handed over");
    assert!(partial.len() < c.len() && c.starts_with(partial));
    assert_eq!(seen.skip_keys(), [("cut.tgz!c.txt", "damaged")]);

    // Cut anywhere: the damage named once, unless the cut spared every entry (then only the
    // tar's end-of-archive blocks or the gzip's trailer were lost, which may go unnoticed).
    for cut in (0..tgz.len()).step_by(5) {
        let seen = run_all_ways("cut.tgz", &tgz[..cut], &ArchiveLimits::default());
        let whole = seen.get("cut.tgz!c.txt") == Some(&c[..]);
        if whole || cut < 3 {
            assert!(
                seen.stats.skipped.damaged <= 1,
                "cut {cut}: {:?}",
                seen.skips
            );
        } else {
            assert_eq!(seen.stats.skipped.damaged, 1, "cut {cut}: {:?}", seen.skips);
        }
        for (chain, bytes) in &seen.entries {
            // Cut inside the first tar header: too little to tell a tar, so the gzip's content
            // is handed over as one file, as far as it goes.
            let want: &[u8] = match chain.as_str() {
                "cut.tgz!cut.tar" => &t,
                "cut.tgz!b/.env" => &env,
                "cut.tgz!c.txt" => &c,
                _ => &a,
            };
            assert!(want.starts_with(bytes), "cut {cut}: {chain}");
        }
    }
}

/// Text that compresses a little (so a cut lands inside entries, not in one tiny block).
fn letters_like(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n).map(|_| rng.lowercase() as u8).collect()
}

#[test]
fn a_10_gb_sparse_tar_costs_nothing() {
    const TEN_GB: u64 = 10 << 30;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.tar");
    let env = secret(51);
    {
        // One 10 GB entry whose data is a hole in the file, then a small entry after it.
        let mut f = File::create(&path).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_path("disk.img").unwrap();
        h.set_size(TEN_GB);
        h.set_mode(0o644);
        h.set_cksum();
        f.write_all(h.as_bytes()).unwrap();
        f.set_len(512 + TEN_GB).unwrap();
        f.seek(SeekFrom::Start(512 + TEN_GB)).unwrap();
        let tail = tar_of(&[("after/.env", &env)]);
        f.write_all(&tail).unwrap();
    }
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 512 + TEN_GB + 2048);
    let mut f = File::open(&path).unwrap();
    let seen = run(
        "sparse.tar",
        Input::Seekable(&mut f),
        &ArchiveLimits::default(),
    );
    assert_eq!(seen.names(), ["sparse.tar!after/.env"]);
    assert_eq!(
        seen.skips,
        [(
            "sparse.tar!disk.img".to_string(),
            ArchiveSkip::TooLarge {
                size: TEN_GB,
                limit: 64 << 20
            }
        )]
    );
    // The entry was passed over with a seek: a few blocks read, not 10 GB.
    assert!(seen.stats.peak_held < 4096);
    assert_eq!(seen.stats.decompressed, 0);
}

/// A GNU sparse entry: a 10 GB file stored as one 512-byte block of data at its start.
fn gnu_sparse_tar(data_block: &[u8; 512], real: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_path("huge.sparse").unwrap();
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_size(512); // the data stored in the archive
    {
        // One data region at the start, then an empty one at the end (how GNU tar says that
        // the file ends in a hole).
        let gnu = h.as_gnu_mut().unwrap();
        gnu.sparse[0].set_offset(0);
        gnu.sparse[0].set_length(512);
        gnu.sparse[1].set_offset(real);
        gnu.sparse[1].set_length(0);
        gnu.set_real_size(real);
    }
    h.set_cksum();
    let mut t = h.as_bytes().to_vec();
    t.extend_from_slice(data_block);
    let tail = tar_of(&[("after/.env", &secret(52))]);
    t.extend(tail);
    t
}

#[test]
fn a_gnu_sparse_entry_of_10_gb_is_not_expanded() {
    let mut block = [0u8; 512];
    block[..30].copy_from_slice(b"UPSTASH_REDIS_REST_TOKEN=abcde");
    let t = gnu_sparse_tar(&block, 10 << 30);
    assert!(t.len() < 8192);
    let seen = run_all_ways("sparse.tar", &t, &ArchiveLimits::default());
    assert_eq!(seen.names(), ["sparse.tar!after/.env"]);
    assert_eq!(
        seen.skips,
        [(
            "sparse.tar!huge.sparse".to_string(),
            ArchiveSkip::TooLarge {
                size: 10 << 30,
                limit: 64 << 20
            }
        )]
    );
    assert!(seen.stats.peak_held < 4096);

    // Within the size limit, a sparse entry is handed over expanded (its holes as zeros),
    // and never opened as a nested archive, whose holes could be read forever.
    let mut t = gnu_sparse_tar(&block, 4096);
    let seen = run_all_ways("small-sparse.tar", &t, &ArchiveLimits::default());
    let got = seen.get("small-sparse.tar!huge.sparse").unwrap();
    assert_eq!(got.len(), 4096);
    assert_eq!(&got[..512], &block[..]);
    // Its data being a tar header changes nothing.
    let inner = tar_of(&[("x", b"y")]);
    t[512..1024].copy_from_slice(&inner[..512]);
    let seen = run_all_ways("small-sparse.tar", &t, &ArchiveLimits::default());
    assert_eq!(seen.stats.archives, 1);
    assert!(seen.get("small-sparse.tar!huge.sparse").is_some());
}

#[test]
fn trailing_garbage_after_a_gzip_stream_is_reported_not_fatal() {
    let env = secret(53);
    let mut g = gz(&env);
    g.extend_from_slice(b"\0\0\0\0garbage after the stream\n");
    let seen = run_all_ways("app.env.gz", &g, &ArchiveLimits::default());
    assert_eq!(seen.get("app.env.gz!app.env"), Some(&env[..]));
    assert_eq!(seen.skip_keys(), [("app.env.gz", "trailing-data")]);

    // A tgz with garbage after it: the tar ends at its end-of-archive blocks, the garbage is
    // never reached.
    let mut tgz = gz(&tar_of(&[("p/.env", &env)]));
    tgz.extend_from_slice(b"JUNKJUNK");
    let seen = run_all_ways("p.tgz", &tgz, &ArchiveLimits::default());
    assert_eq!(seen.names(), ["p.tgz!p/.env"]);
    assert!(seen.skips.is_empty());

    // Garbage that looks like the start of another member but is not one: damage, after the
    // first member's content was read whole.
    let mut g = gz(&env);
    g.extend_from_slice(&[0x1f, 0x8b, 8, 0xff, 1, 2]);
    let seen = run_all_ways("x.gz", &g, &ArchiveLimits::default());
    assert_eq!(seen.get("x.gz!x"), Some(&env[..]));
    assert_eq!(seen.skip_keys(), [("x.gz!x", "damaged")]);
}

/// Offsets of the fields of a zip's records (little-endian), for lying about them.
fn put_u16(z: &mut [u8], at: usize, v: u16) {
    z[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(z: &mut [u8], at: usize, v: u32) {
    z[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(z: &mut Vec<u8>, v: u64) {
    z.extend_from_slice(&v.to_le_bytes());
}

fn three_entry_zip() -> (Vec<u8>, Vec<Vec<u8>>) {
    let datas: Vec<Vec<u8>> = (0..3).map(|i| secret(60 + i).repeat(10)).collect();
    let z = zip_of(&[
        ("one.env", &datas[0], deflated()),
        ("two.env", &datas[1], deflated()),
        ("three.env", &datas[2], stored()),
    ]);
    (z, datas)
}

#[test]
fn a_central_directory_that_lies_about_its_entry_count() {
    let (mut z, datas) = three_entry_zip();
    let eocd = rfind(&z, b"PK\x05\x06");
    // More entries than there are: the directory cannot be read as declared, and the local
    // headers give the entries back.
    put_u16(&mut z, eocd + 8, 9);
    put_u16(&mut z, eocd + 10, 9);
    let seen = run_all_ways("lie.zip", &z, &ArchiveLimits::default());
    assert_eq!(seen.get("lie.zip!two.env"), Some(&datas[1][..]));
    assert_eq!(seen.entries.len(), 3);
    assert_eq!(seen.skip_keys(), [("lie.zip", "damaged")]);

    // Fewer: the entries the directory lists are read (the zip reader trusts its directory).
    let (mut z, _) = three_entry_zip();
    put_u16(&mut z, eocd + 8, 1);
    put_u16(&mut z, eocd + 10, 1);
    let seen = run_all_ways("lie.zip", &z, &ArchiveLimits::default());
    assert!(!seen.entries.is_empty());
}

#[test]
fn a_zip64_directory_claiming_a_trillion_entries_is_refused_before_it_is_read() {
    let (mut z, _) = three_entry_zip();
    let eocd = rfind(&z, b"PK\x05\x06");
    let cd_size = u32::from_le_bytes(z[eocd + 12..eocd + 16].try_into().unwrap());
    let cd_start = u32::from_le_bytes(z[eocd + 16..eocd + 20].try_into().unwrap());
    z.truncate(eocd);
    // A zip64 end record and its locator, claiming 2^40 entries.
    let rec = z.len() as u64;
    z.extend_from_slice(b"PK\x06\x06");
    put_u64(&mut z, 44);
    z.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    put_u64(&mut z, 1 << 40);
    put_u64(&mut z, 1 << 40);
    put_u64(&mut z, u64::from(cd_size));
    put_u64(&mut z, u64::from(cd_start));
    z.extend_from_slice(b"PK\x06\x07\0\0\0\0");
    put_u64(&mut z, rec);
    z.extend_from_slice(&[1, 0, 0, 0]);
    // The classic record, every field saturated: "see the zip64 record".
    z.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    z.extend_from_slice(&[0xff; 12]);
    z.extend_from_slice(&[0, 0]);
    let seen = run_all_ways("huge.zip", &z, &ArchiveLimits::default());
    assert!(seen.entries.is_empty());
    assert_eq!(seen.skip_keys(), [("huge.zip", "too-many-entries")]);
}

#[test]
fn a_central_directory_that_lies_about_offsets_and_sizes() {
    let (z, datas) = three_entry_zip();
    let cds: Vec<usize> = memchr::memmem::find_iter(&z, b"PK\x01\x02").collect();
    assert_eq!(cds.len(), 3);

    // The second entry's data "starts" past the end of the file: that entry is damaged, the
    // others are read.
    let mut bad = z.clone();
    put_u32(&mut bad, cds[1] + 42, 0x7fff_0000);
    let seen = run_all_ways("off.zip", &bad, &ArchiveLimits::default());
    assert_eq!(seen.names(), ["off.zip!one.env", "off.zip!three.env"]);
    assert_eq!(seen.skip_keys(), [("off.zip!two.env", "damaged")]);

    // The first entry claims to be 5 bytes uncompressed: the checksum of what the
    // directory promises does not hold, so it is named as damaged, with what was read.
    let mut bad = z.clone();
    put_u32(&mut bad, cds[0] + 24, 5);
    let seen = run_all_ways("size.zip", &bad, &ArchiveLimits::default());
    assert_eq!(seen.get("size.zip!two.env"), Some(&datas[1][..]));
    for (chain, bytes) in &seen.entries {
        if chain == "size.zip!one.env" {
            assert!(datas[0].starts_with(bytes));
        }
    }
    assert!(seen.stats.skipped.damaged <= 1);

    // The stored entry claims 4 GB compressed and uncompressed: read up to what the file
    // holds and the size limit, no further.
    let mut bad = z.clone();
    put_u32(&mut bad, cds[2] + 20, u32::MAX - 1);
    put_u32(&mut bad, cds[2] + 24, u32::MAX - 1);
    let seen = run_all_ways("big.zip", &bad, &ArchiveLimits::default());
    assert_eq!(seen.skip_keys(), [("big.zip!three.env", "too-large")]);
    assert_eq!(seen.entries.len(), 2);

    // A method the reader does not support: named, the others read.
    let mut bad = z.clone();
    put_u16(&mut bad, cds[1] + 10, 12); // bzip2
    let local = find(&bad, b"two.env") - 30;
    put_u16(&mut bad, local + 8, 12);
    let seen = run_all_ways("m.zip", &bad, &ArchiveLimits::default());
    assert_eq!(seen.names(), ["m.zip!one.env", "m.zip!three.env"]);
    assert_eq!(seen.skip_keys(), [("m.zip!two.env", "unsupported")]);
}

#[test]
fn an_oversized_tar_extended_header_is_refused_without_reading_it() {
    // A GNU long-name entry claiming 2 MiB: the tar reader would read it whole into memory.
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::GNULongName);
    h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
    h.set_size(2 << 20);
    h.set_cksum();
    let mut t = tar_of(&[("first/.env", &secret(70))]);
    t.truncate(t.len() - 1024); // drop the end-of-archive blocks
    t.extend_from_slice(h.as_bytes());
    t.extend(std::iter::repeat_n(b'a', 2 << 20));
    t.extend(tar_of(&[("x", b"y")]));
    let seen = run_all_ways("long.tar", &t, &ArchiveLimits::default());
    assert_eq!(seen.names(), ["long.tar!first/.env"]);
    assert_eq!(seen.skip_keys(), [("long.tar", "damaged")]);
    assert!(seen.skips[0].1.to_string().contains("extended tar header"));
}

#[test]
fn random_damage_never_panics_and_stays_within_the_limits() {
    let jar = zip_of(&[
        ("a.properties", &secret(80), deflated()),
        ("b.bin", &[7u8; 3000], stored()),
    ]);
    let inner = tar_of(&[("lib/app.jar", &jar), ("x/.env", &secret(81))]);
    let samples = [
        gz(&inner),
        inner.clone(),
        jar.clone(),
        zip_of(&[
            ("in.tgz", &gz(&inner), stored()),
            ("c.txt", b"c", deflated()),
        ]),
    ];
    let limits = small_limits();
    let mut rng = fastrand::Rng::with_seed(42);
    for round in 0..400 {
        let mut s = samples[round % samples.len()].clone();
        for _ in 0..rng.usize(1..6) {
            let i = rng.usize(..s.len());
            s[i] = rng.u8(..);
        }
        if rng.bool() {
            s.truncate(rng.usize(..s.len()));
        }
        // The three input kinds may see damage differently (a seek past the end of a cut tar
        // finds its end; a read finds it cut), so each is checked on its own.
        let mut cur = Cursor::new(&s[..]);
        let mut stream = &s[..];
        for seen in [
            run("fuzz", Input::Bytes(&s), &limits),
            run("fuzz", Input::Seekable(&mut cur), &limits),
            run("fuzz", Input::Reader(&mut stream), &limits),
        ] {
            assert!(seen.stats.peak_held <= limits.max_held);
            assert!(seen.stats.decompressed <= limits.max_total_bytes + 1);
        }
    }
}
