//! Each format, and nesting: what a user's archives hold comes out with the right chain.

use super::*;
use crate::input::archive::ArchiveKind;

#[test]
fn zip_entries_come_out_named_with_directories_left_out() {
    let env = secret(1);
    let readme = b"# app\n".repeat(50);
    let z = zip_of(&[
        ("META-INF/", b"", stored()),
        (
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\n",
            deflated(),
        ),
        ("config/.env", &env, deflated()),
        ("README.md", &readme, stored()),
    ]);
    let seen = run_all_ways("build/app.jar", &z, &ArchiveLimits::default());
    assert_eq!(
        seen.names(),
        [
            "build/app.jar!META-INF/MANIFEST.MF",
            "build/app.jar!config/.env",
            "build/app.jar!README.md"
        ]
    );
    assert_eq!(seen.get("build/app.jar!config/.env"), Some(&env[..]));
    assert_eq!(seen.get("build/app.jar!README.md"), Some(&readme[..]));
    assert!(seen.skips.is_empty(), "{:?}", seen.skips);
    assert_eq!(seen.stats.kind, Some(ArchiveKind::Zip));
    assert_eq!(seen.stats.archives, 1);
    assert_eq!(
        seen.stats.entries_seen, 4,
        "the directory is counted, not handed over"
    );
}

#[test]
fn tar_tgz_and_plain_gzip_are_opened() {
    let env = secret(2);
    let t = tar_of(&[
        ("package/.env", &env),
        ("package/index.js", b"module.exports={}\n"),
    ]);
    let seen = run_all_ways("out.tar", &t, &ArchiveLimits::default());
    assert_eq!(
        seen.names(),
        ["out.tar!package/.env", "out.tar!package/index.js"]
    );
    assert_eq!(seen.stats.kind, Some(ArchiveKind::Tar));

    // A tgz's entries are the tar's: the gzip layer is not a name of its own.
    let tgz = gz(&t);
    let seen = run_all_ways("dist/app.tgz", &tgz, &ArchiveLimits::default());
    assert_eq!(
        seen.names(),
        ["dist/app.tgz!package/.env", "dist/app.tgz!package/index.js"]
    );
    assert_eq!(seen.get("dist/app.tgz!package/.env"), Some(&env[..]));
    assert_eq!(seen.stats.kind, Some(ArchiveKind::Gzip));
    assert_eq!(seen.stats.archives, 1, "a tgz is one archive");
    // Everything up to the tar's end-of-archive blocks was inflated (and counted).
    assert!(seen.stats.decompressed >= (t.len() - 1024) as u64);

    // A gzip of one file: named as gunzip would name it.
    let log = gz(&env);
    let seen = run_all_ways("logs/app.log.gz", &log, &ArchiveLimits::default());
    assert_eq!(seen.names(), ["logs/app.log.gz!app.log"]);
    assert_eq!(seen.get("logs/app.log.gz!app.log"), Some(&env[..]));
}

#[test]
fn a_crate_file_and_a_wheel_are_read_by_content_not_extension() {
    // A .crate is a tar.gz; a .whl, .apk or .nupkg is a zip.
    let t = gz(&tar_of(&[("mycrate-0.1.0/.env", &secret(3))]));
    let seen = run_all_ways("mycrate-0.1.0.crate", &t, &ArchiveLimits::default());
    assert_eq!(seen.names(), ["mycrate-0.1.0.crate!mycrate-0.1.0/.env"]);
    let w = zip_of(&[("pkg/settings.py", &secret(4), deflated())]);
    for name in [
        "pkg-1.0-py3-none-any.whl",
        "app.apk",
        "lib.nupkg",
        "no-extension",
    ] {
        let seen = run_all_ways(name, &w, &ArchiveLimits::default());
        assert_eq!(seen.names(), [format!("{name}!pkg/settings.py")]);
    }
    // And a file named like an archive that is not one is left alone: nothing is done, so
    // the caller scans it as it is.
    let text = b"UPSTASH_REDIS_REST_URL=https://x.upstash.io\n";
    for name in ["fake.tgz", "fake.zip", "fake.tar", "fake.gz"] {
        let seen = run_all_ways(name, text, &ArchiveLimits::default());
        assert!(seen.entries.is_empty() && seen.skips.is_empty());
        assert_eq!(seen.stats, ArchiveStats::default());
    }
}

#[test]
fn concatenated_gzip_members_are_one_stream() {
    let mut two = gz(b"FIRST=1\n");
    two.extend(gz(b"SECOND=2\n"));
    let seen = run_all_ways("both.env.gz", &two, &ArchiveLimits::default());
    assert_eq!(
        seen.get("both.env.gz!both.env"),
        Some(&b"FIRST=1\nSECOND=2\n"[..])
    );
    assert!(seen.skips.is_empty());
}

#[test]
fn an_empty_zip_and_an_empty_tar_hold_nothing_and_are_not_errors() {
    let z = zip_of(&[]);
    assert!(z.starts_with(b"PK\x05\x06"));
    let seen = run_all_ways("empty.zip", &z, &ArchiveLimits::default());
    assert_eq!(seen.stats.kind, Some(ArchiveKind::Zip));
    assert!(seen.entries.is_empty() && seen.skips.is_empty());
    let t = tar_of(&[("empty.txt", b"")]);
    let seen = run_all_ways("e.tar", &t, &ArchiveLimits::default());
    assert!(seen.entries.is_empty() && seen.skips.is_empty());
    assert_eq!(seen.stats.entries_seen, 1);
}

/// A `docker save` image: an image tar of layer tars (legacy layout) and a gzip'd layer blob
/// (OCI layout), one layer holding an npm package tgz.
fn docker_image() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let env = secret(5);
    let npmrc = secret(6);
    let tgz = gz(&tar_of(&[
        ("package/package.json", b"{\"name\":\"app\"}\n"),
        ("package/.env", &env),
    ]));
    let layer1 = tar_of(&[
        ("app/dist/app.tgz", &tgz),
        ("etc/hosts", b"127.0.0.1 localhost\n"),
    ]);
    let layer2 = gz(&tar_of(&[("root/.npmrc", &npmrc)]));
    let image = tar_of(&[
        ("manifest.json", b"[{\"Layers\":[\"abc/layer.tar\"]}]\n"),
        ("abc/layer.tar", &layer1),
        ("blobs/sha256/9f86d08", &layer2),
    ]);
    (image, env, npmrc)
}

#[test]
fn a_docker_save_image_is_opened_down_to_the_package_inside_a_layer() {
    let (image, env, npmrc) = docker_image();
    let seen = run_all_ways("image.tar", &image, &ArchiveLimits::default());
    assert_eq!(
        seen.names(),
        [
            "image.tar!manifest.json",
            "image.tar!abc/layer.tar!app/dist/app.tgz!package/package.json",
            "image.tar!abc/layer.tar!app/dist/app.tgz!package/.env",
            "image.tar!abc/layer.tar!etc/hosts",
            "image.tar!blobs/sha256/9f86d08!root/.npmrc",
        ]
    );
    assert_eq!(
        seen.get("image.tar!abc/layer.tar!app/dist/app.tgz!package/.env"),
        Some(&env[..])
    );
    assert_eq!(
        seen.get("image.tar!blobs/sha256/9f86d08!root/.npmrc"),
        Some(&npmrc[..])
    );
    assert_eq!(seen.stats.archives, 4);
    assert!(seen.skips.is_empty());
}

#[test]
fn nesting_stops_at_the_configured_depth_and_says_so() {
    let (image, _, _) = docker_image();
    let limits = ArchiveLimits {
        max_depth: 2,
        ..ArchiveLimits::default()
    };
    let seen = run_all_ways("image.tar", &image, &limits);
    // The tgz is the third layer: named as too deep, and handed over as it is (a scan of
    // its bytes is what happened before archives were opened).
    assert_eq!(
        seen.skip_keys(),
        [("image.tar!abc/layer.tar!app/dist/app.tgz", "too-deep")]
    );
    assert!(seen
        .names()
        .contains(&"image.tar!abc/layer.tar!app/dist/app.tgz"));
    assert!(seen
        .names()
        .contains(&"image.tar!blobs/sha256/9f86d08!root/.npmrc"));
    assert_eq!(seen.skips[0].1, ArchiveSkip::TooDeep { limit: 2 });

    // Depth 1: the outer archive's own entries only.
    let limits = ArchiveLimits {
        max_depth: 1,
        ..ArchiveLimits::default()
    };
    let seen = run_all_ways("image.tar", &image, &limits);
    assert_eq!(seen.entries.len(), 3);
    assert_eq!(seen.stats.skipped.too_deep, 2);
}

#[test]
fn zips_nest_in_zips_and_in_tars() {
    let jar = zip_of(&[("application.properties", &secret(7), deflated())]);
    let war = zip_of(&[
        ("WEB-INF/lib/core.jar", &jar, deflated()),
        ("WEB-INF/web.xml", b"<web-app/>\n", deflated()),
    ]);
    let bundle = gz(&tar_of(&[("deploy/app.war", &war)]));
    let seen = run_all_ways("release.tar.gz", &bundle, &ArchiveLimits::default());
    assert_eq!(
        seen.names(),
        [
            "release.tar.gz!deploy/app.war!WEB-INF/lib/core.jar!application.properties",
            "release.tar.gz!deploy/app.war!WEB-INF/web.xml",
        ]
    );
    assert_eq!(seen.stats.archives, 3);
    // The war and the jar were held in memory (zips need random access), nothing more.
    assert!(seen.stats.peak_held >= (war.len() + jar.len()) as u64);
    assert!(seen.stats.peak_held < (war.len() + jar.len() + 4096) as u64);
}

#[test]
fn a_tar_of_every_header_flavour_and_long_names_is_read() {
    let long = format!("{}/.env", "d".repeat(150));
    let mut b = tar::Builder::new(Vec::new());
    for (i, mut h) in [
        tar::Header::new_gnu(),
        tar::Header::new_ustar(),
        tar::Header::new_old(),
    ]
    .into_iter()
    .enumerate()
    {
        let data = secret(10 + i as u32);
        h.set_size(data.len() as u64);
        h.set_mode(0o600);
        h.set_cksum();
        b.append_data(&mut h, format!("f{i}.env"), &data[..])
            .unwrap();
    }
    // A GNU long name (more than 100 bytes).
    let mut h = tar::Header::new_gnu();
    h.set_size(4);
    h.set_cksum();
    b.append_data(&mut h, &long, &b"K=v\n"[..]).unwrap();
    // A directory and a symlink carry no content.
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_size(0);
    h.set_cksum();
    b.append_data(&mut h, "dir/", &b""[..]).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "link", "/etc/passwd").unwrap();
    let t = b.into_inner().unwrap();
    let seen = run_all_ways("x.tar", &t, &ArchiveLimits::default());
    assert_eq!(
        seen.names(),
        [
            "x.tar!f0.env",
            "x.tar!f1.env",
            "x.tar!f2.env",
            &format!("x.tar!{long}")
        ]
    );
    assert_eq!(seen.stats.entries_seen, 6);
}

#[test]
fn archives_in_memory_are_inflated_whole_with_the_results_of_streaming() {
    // From memory a tgz and a jar's deflated entries are inflated in one call each; from a
    // seekable input (a large file streamed from disk) the tgz is streamed. Every way hands
    // over the same entries and names the same skips.
    let props = b"upstash.token=abc\n".repeat(200);
    let jar = zip_of(&[
        ("META-INF/", b"", deflated()),
        ("app.properties", &props, deflated()),
        ("notes.txt", b"stored text", stored()),
    ]);
    let tar = tar_of(&[("package/.env", &secret(1)), ("package/lib.jar", &jar)]);
    let tgz = gz(&tar);
    let limits = ArchiveLimits::default();
    let seen = run_all_ways("app.tgz", &tgz, &limits);
    assert_eq!(
        seen.names(),
        [
            "app.tgz!package/.env",
            "app.tgz!package/lib.jar!app.properties",
            "app.tgz!package/lib.jar!notes.txt"
        ]
    );
    assert_eq!(
        seen.get("app.tgz!package/lib.jar!app.properties"),
        Some(&props[..])
    );
    assert!(seen.skips.is_empty());
    // The tgz and the deflated entry; the stored entry is read as it is.
    assert_eq!(seen.stats.whole, 2);
    let mut cur = Cursor::new(&tgz[..]);
    let streamed = run("app.tgz", Input::Seekable(&mut cur), &limits);
    assert_eq!(streamed.stats.whole, 1, "only the jar, held in memory");
    // Inflated whole, all of each stream is counted (the tar's end blocks too, which the
    // streaming reader stops before).
    assert_eq!(seen.stats.decompressed, (tar.len() + props.len()) as u64);
    assert!(streamed.stats.decompressed <= seen.stats.decompressed);
    assert_eq!(seen.stats.archives, streamed.stats.archives);
}

#[test]
fn a_stream_whose_own_checks_fail_is_left_to_the_streaming_reader() {
    let limits = ArchiveLimits::default();
    // A gzip whose trailer gives a length the data does not have.
    let mut gzip = gz(&secret(2));
    let n = gzip.len();
    gzip[n - 1] ^= 0x40;
    let seen = run_all_ways("s.env.gz", &gzip, &limits);
    assert_eq!(seen.stats.whole, 0);
    assert_eq!(seen.get("s.env.gz!s.env"), Some(&secret(2)[..]));
    assert_eq!(seen.skip_keys(), [("s.env.gz!s.env", "damaged")]);
    // A zip entry whose central directory gives a CRC-32 its data does not have.
    let data = b"UPSTASH_REDIS_REST_TOKEN=x\n".repeat(50);
    let mut z = zip_of(&[("a.env", &data, deflated())]);
    let cd = memchr::memmem::find(&z, b"PK\x01\x02").expect("central directory");
    z[cd + 16] ^= 1;
    let seen = run_all_ways("a.zip", &z, &limits);
    assert_eq!(seen.stats.whole, 0);
    assert_eq!(seen.skip_keys(), [("a.zip!a.env", "damaged")]);
}

#[test]
fn a_gzip_without_a_suffix_is_named_by_its_header_whether_inflated_whole_or_streamed() {
    // Inflated whole, the header is read by upsweep's own parser; streamed, by flate2's: the
    // entry must be named the same either way (run_all_ways compares the ways).
    let data = secret(3);
    let with_name = |extra: Option<&[u8]>| {
        let mut b = flate2::GzBuilder::new().filename("dist/app.env");
        if let Some(x) = extra {
            b = b.extra(x);
        }
        let mut e = b.write(Vec::new(), flate2::Compression::default());
        e.write_all(&data).unwrap();
        e.finish().unwrap()
    };
    let limits = ArchiveLimits::default();
    for gzip in [with_name(None), with_name(Some(b"AB\x02\x00zz"))] {
        let seen = run_all_ways("blob", &gzip, &limits);
        assert_eq!(seen.names(), ["blob!app.env"]);
        assert_eq!(seen.get("blob!app.env"), Some(&data[..]));
        assert_eq!(seen.stats.whole, 1);
    }
    let seen = run_all_ways("blob", &gz(&data), &limits);
    assert_eq!(seen.names(), ["blob!<gzip content>"]);
}
