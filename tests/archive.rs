//! Archives as a user meets them: secrets inside zip (jar, whl, nupkg), tar, gzip, tar.gz and
//! nested archives are found at their place inside (`dist/app.tgz!package/.env:3:27`), in
//! files, on standard input and in git history; every report format names the chain; limits,
//! damage and hostile names end in counted, named skips, never a crash. Every archive is built
//! here, at test time, with the crates that read them (or patched byte by byte).

use crate::cli::{finding_for, run, run_within, scan_json, sha256_hex, Tokens, DEADLINE};
use crate::common::{commit, findings, repo, TestEnv};
use flate2::write::GzEncoder;
use serde_json::{json, Value};
use std::io::{Seek, SeekFrom, Write};
use std::time::{Duration, Instant};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

/// A tar of (name, bytes).
pub fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).expect("tar entry");
    }
    b.into_inner().expect("tar")
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

pub fn tgz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    gzip(&tar(entries))
}

/// A zip of (name, bytes), deflated.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).expect("zip entry");
        w.write_all(data).expect("zip data");
    }
    w.finish().expect("zip").into_inner()
}

/// A tar's name as it is written for an absolute or `..` path (the tar crate refuses those).
fn tar_raw_names(entries: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// A `.env` with the token on line 3 at column 26.
fn dotenv(token: &str) -> Vec<u8> {
    format!("# app\nNODE_ENV=production\nUPSTASH_REDIS_REST_TOKEN={token}\n").into_bytes()
}

/// The locations of a finding as (path, archive_path, line, column).
fn spots(f: &Value) -> Vec<(String, Value, u64, u64)> {
    f["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| {
            (
                l["path"].as_str().expect("path").to_string(),
                l.get("archive_path").cloned().unwrap_or(Value::Null),
                l["line"].as_u64().expect("line"),
                l["column"].as_u64().expect("column"),
            )
        })
        .collect()
}

/// Text that does not compress much.
fn hex_lines(n: u32) -> Vec<u8> {
    (0..n)
        .flat_map(|i| format!("{:08x}\n", i.wrapping_mul(2_654_435_761)).into_bytes())
        .collect()
}

fn only_finding(v: &Value) -> &Value {
    let f = findings(v);
    assert_eq!(f.len(), 1, "{v:#}");
    &f[0]
}

// ---------------------------------------------------------------------------------------------
// Formats, nesting, and where a finding inside is
// ---------------------------------------------------------------------------------------------

#[test]
fn every_format_is_opened_by_content_and_the_place_inside_is_reported() {
    let env = TestEnv::new();
    let t = Tokens::new(101);
    let env_file = dotenv(&t.redis);
    let py = format!("API = 'x'\nQSTASH_TOKEN = \"{}\"\n", t.qstash);
    env.write("dist/app.tgz", tgz(&[("package/.env", &env_file)]));
    env.write(
        "dist/lib.jar",
        zip(&[("META-INF/app.properties", &env_file)]),
    );
    env.write(
        "dist/tool-1.0-py3-none-any.whl",
        zip(&[("tool/settings.py", py.as_bytes())]),
    );
    env.write("dist/App.1.0.nupkg", zip(&[("content/.env", &env_file)]));
    env.write(
        "dist/crate-0.1.0.crate",
        tgz(&[("crate-0.1.0/.env", &env_file)]),
    );
    env.write("dist/plain.tar", tar(&[("etc/app.env", &env_file)]));
    env.write("logs/env.gz", gzip(&env_file));
    // The name says nothing: a zip named .txt is opened, a text file named .tgz is text.
    env.write("notes.txt", zip(&[("inner/.env", &env_file)]));
    env.write(
        "fake.tgz",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis),
    );

    let (r, v) = scan_json(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let redis = finding_for(&v, &t.redis).expect("the redis token");
    let mut got = spots(redis);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let want = vec![
        (
            "dist/App.1.0.nupkg",
            json!(["dist/App.1.0.nupkg", "content/.env"]),
            3,
            26,
        ),
        (
            "dist/app.tgz",
            json!(["dist/app.tgz", "package/.env"]),
            3,
            26,
        ),
        (
            "dist/crate-0.1.0.crate",
            json!(["dist/crate-0.1.0.crate", "crate-0.1.0/.env"]),
            3,
            26,
        ),
        (
            "dist/lib.jar",
            json!(["dist/lib.jar", "META-INF/app.properties"]),
            3,
            26,
        ),
        (
            "dist/plain.tar",
            json!(["dist/plain.tar", "etc/app.env"]),
            3,
            26,
        ),
        ("fake.tgz", Value::Null, 1, 26),
        ("logs/env.gz", json!(["logs/env.gz", "env"]), 3, 26),
        ("notes.txt", json!(["notes.txt", "inner/.env"]), 3, 26),
    ];
    let want: Vec<(String, Value, u64, u64)> = want
        .into_iter()
        .map(|(p, a, l, c)| (p.to_string(), a, l, c))
        .collect();
    assert_eq!(got, want, "one finding, every place: {redis:#}");
    let qstash = finding_for(&v, &t.qstash).expect("the qstash token in the wheel");
    assert_eq!(
        spots(qstash),
        vec![(
            "dist/tool-1.0-py3-none-any.whl".to_string(),
            json!(["dist/tool-1.0-py3-none-any.whl", "tool/settings.py"]),
            2,
            17
        )]
    );
    assert_eq!(findings(&v).len(), 2);
    let s = &v["stats"];
    assert_eq!(s["archives"]["opened"], 8, "{s:#}");
    assert_eq!(s["archives"]["entries_scanned"], 8, "{s:#}");
    // Each archive is one file scanned; its entries are counted apart.
    assert_eq!(s["files_scanned"], 9, "{s:#}");

    // Human output: the chain joined by `!`, then line and column.
    let r = run(&env, &["scan", "dist/app.tgz"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("  dist/app.tgz!package/.env:3:26"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("1 archive opened (1 entry scanned)"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_docker_save_image_is_opened_down_to_a_package_inside_a_layer() {
    let env = TestEnv::new();
    let t = Tokens::new(102);
    let package = tgz(&[
        ("package/package.json", b"{\"name\": \"app\"}\n"),
        ("package/.env", &dotenv(&t.redis)),
    ]);
    let layer = tar(&[
        ("usr/lib/node_modules/app/app-1.0.0.tgz", &package),
        ("etc/hostname", b"box\n"),
    ]);
    let image = tar(&[
        ("manifest.json", b"[{\"Layers\": [\"3f1a/layer.tar\"]}]\n"),
        ("3f1a/layer.tar", &layer),
    ]);
    env.write("image.tar", &image);
    let (r, v) = scan_json(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let chain = json!([
        "image.tar",
        "3f1a/layer.tar",
        "usr/lib/node_modules/app/app-1.0.0.tgz",
        "package/.env"
    ]);
    assert_eq!(
        spots(only_finding(&v)),
        vec![("image.tar".to_string(), chain, 3, 26)]
    );
    assert_eq!(v["stats"]["archives"]["opened"], 3);
    assert_eq!(v["stats"]["archives"]["entries_scanned"], 4);

    // Two levels only: the package is not opened, and that is counted and named.
    let (r, v) = scan_json(&env, &["--archive-depth", "2", "--verbose"]);
    assert_eq!(r.code, 0, "a deliberate skip is not an error: {}", r.stderr);
    assert_eq!(v["stats"]["archives"]["skipped"]["too_deep"], 1);
    assert!(
        r.stderr.contains(
            "image.tar!3f1a/layer.tar!usr/lib/node_modules/app/app-1.0.0.tgz: archive nested more than 2 deep"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn no_archives_scans_them_as_opaque_bytes_as_before() {
    let env = TestEnv::new();
    let t = Tokens::new(103);
    env.write("app.tgz", tgz(&[("package/.env", &dotenv(&t.redis))]));
    // A stored (uncompressed) zip entry is plain text in the file: found either way.
    let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(
        "conf/.env",
        SimpleFileOptions::default().compression_method(CompressionMethod::Stored),
    )
    .unwrap();
    w.write_all(&dotenv(&t.qstash)).unwrap();
    env.write("stored.zip", w.finish().unwrap().into_inner());

    let (r, v) = scan_json(&env, &["--no-archives"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        findings(&v).len(),
        1,
        "the tgz is compressed: nothing in it is seen"
    );
    let f = finding_for(&v, &t.qstash).expect("the stored entry, as raw bytes");
    assert_eq!(f["locations"][0]["path"], "stored.zip");
    assert!(f["locations"][0].get("archive_path").is_none());
    assert_eq!(v["stats"]["archives"]["opened"], 0);

    // --archive-depth 0 is the same, and so is `archives = false` in .upsweep.toml.
    let (_, v0) = scan_json(&env, &["--archive-depth", "0"]);
    assert_eq!(findings(&v0).len(), 1);
    env.write(".upsweep.toml", "archives = false\n");
    let (_, vf) = scan_json(&env, &[]);
    assert_eq!(findings(&vf).len(), 1);
    let r = run(&env, &["config", "check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("ok (archives off)"), "{}", r.stdout);
    // A flag asking for a depth opens them again.
    let (_, vd) = scan_json(&env, &["--archive-depth", "3"]);
    assert_eq!(findings(&vd).len(), 2);
    // Nonsense is a usage error, not a silent default.
    let r = run(&env, &["scan", "--archive-depth", "40"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--archive-depth 40: at most 16"),
        "{}",
        r.stderr
    );
    let r = run(&env, &["scan", "--archive-depth", "2", "--no-archives"]);
    assert_eq!(r.code, 2, "the two flags contradict each other");
}

#[test]
fn standard_input_can_be_an_archive() {
    let env = TestEnv::new();
    let t = Tokens::new(104);
    let bytes = tgz(&[("package/.env", &dotenv(&t.redis))]);
    let mut cmd = env.cmd();
    cmd.args(["scan", "--format", "json", "-"]);
    let r = run_within(cmd, Some(bytes.clone()), DEADLINE);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        spots(only_finding(&v)),
        vec![(
            "<stdin>".to_string(),
            json!(["<stdin>", "package/.env"]),
            3,
            26
        )]
    );

    // Streamed: larger than --max-file-size as a whole, each entry within it.
    let big = tgz(&[
        ("package/filler.txt", "x".repeat(300_000).as_bytes()),
        ("package/.env", &dotenv(&t.redis)),
    ]);
    let mut cmd = env.cmd();
    cmd.args(["scan", "--format", "json", "--max-file-size", "100K", "-"]);
    let r = run_within(cmd, Some(big), DEADLINE);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        v["stats"]["archives"]["skipped"]["too_large"], 1,
        "the filler"
    );
    assert!(finding_for(&v, &t.redis).is_some());
}

// ---------------------------------------------------------------------------------------------
// Size: --max-file-size is per entry; a huge image is streamed from disk
// ---------------------------------------------------------------------------------------------

#[test]
fn max_file_size_applies_per_entry_and_a_larger_archive_is_still_opened() {
    let env = TestEnv::new();
    let t = Tokens::new(105);
    let filler: Vec<u8> = (0..200_000u32)
        .flat_map(|i| format!("{i}\n").into_bytes())
        .collect();
    env.write(
        "big.tar",
        tar(&[
            ("a/filler-1.txt", &filler[..900_000]),
            ("a/too-big.bin", &filler),
            ("a/filler-2.txt", &filler[..900_000]),
            ("a/.env", &dotenv(&t.redis)),
        ]),
    );
    let (r, v) = scan_json(&env, &["--max-file-size", "1M", "--verbose"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(finding_for(&v, &t.redis).is_some());
    assert_eq!(
        v["stats"]["skipped_too_large"], 0,
        "the tar itself is not skipped"
    );
    assert_eq!(v["stats"]["archives"]["skipped"]["too_large"], 1);
    assert_eq!(v["stats"]["archives"]["entries_scanned"], 3);
    assert!(
        r.stderr.contains("big.tar!a/too-big.bin: entry of"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_2gb_image_tar_is_streamed_from_disk_not_read_whole() {
    let env = TestEnv::new();
    let t = Tokens::new(106);
    // A docker-save-like tar whose first layer is 2 GiB (sparse on disk: zeros) and whose
    // last entry holds a token.
    let path = env.path().join("image.tar");
    let mut f = std::fs::File::create(&path).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_path("9c2e/layer.tar").unwrap();
    h.set_size(2 << 30);
    h.set_mode(0o644);
    h.set_cksum();
    f.write_all(h.as_bytes()).unwrap();
    f.seek(SeekFrom::Current(2 << 30)).unwrap();
    let tail = tar(&[("9c2e/.env", &dotenv(&t.redis))]);
    f.write_all(&tail).unwrap();
    drop(f);

    let started = Instant::now();
    let (r, v) = scan_json(&env, &["--verbose"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the big layer is skipped with a seek, not read"
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        spots(only_finding(&v)),
        vec![(
            "image.tar".to_string(),
            json!(["image.tar", "9c2e/.env"]),
            3,
            26
        )]
    );
    assert_eq!(v["stats"]["skipped_too_large"], 0);
    assert_eq!(v["stats"]["archives"]["skipped"]["too_large"], 1);
    assert!(
        r.stderr
            .contains("image.tar!9c2e/layer.tar: entry of 2147483648 bytes"),
        "{}",
        r.stderr
    );
    // Not an archive and over the limit: skipped unread, as before.
    let f = std::fs::File::create(env.path().join("huge.db")).unwrap();
    f.set_len(2 << 30).unwrap();
    drop(f);
    let (_, v) = scan_json(&env, &["huge.db"]);
    assert_eq!(v["stats"]["skipped_too_large"], 1);
}

// ---------------------------------------------------------------------------------------------
// Bad input: bombs, damage, encryption, hostile names
// ---------------------------------------------------------------------------------------------

#[test]
fn bombs_and_limits_are_counted_skips_with_their_reason() {
    let env = TestEnv::new();
    let t = Tokens::new(107);
    // One entry of 16 MB of zeros deflates to about 16 KB: a ratio of about 1000.
    let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(false);
    w.start_file("zeros.bin", opts).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..16 {
        w.write_all(&zeros).unwrap();
    }
    w.start_file("app/.env", opts).unwrap();
    w.write_all(&dotenv(&t.redis)).unwrap();
    env.write("bomb.zip", w.finish().unwrap().into_inner());
    // 42.zip-style: zips of zips, ten levels deep.
    let mut nested = zip(&[("0.txt", b"deep\n")]);
    for i in 1..10 {
        let name = format!("{i}.zip");
        nested = zip(&[
            (name.as_str(), &nested),
            (name.as_str().trim_end_matches(".zip"), b"x"),
        ]);
    }
    env.write("42.zip", &nested);

    let (r, v) = scan_json(&env, &["--verbose"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let skipped = &v["stats"]["archives"]["skipped"];
    assert_eq!(skipped["ratio"], 1, "{skipped:#}");
    assert_eq!(skipped["too_deep"], 1, "{skipped:#}");
    // The bomb's other entry is still read.
    assert!(finding_for(&v, &t.redis).is_some());
    assert!(
        r.stderr
            .contains("bomb.zip!zeros.bin: expands more than 100 times its compressed size"),
        "{}",
        r.stderr
    );

    // The per-archive limits of .upsweep.toml: decompressed bytes and entries.
    let e2 = TestEnv::new();
    let text: Vec<u8> = (0..400_000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    e2.write(
        "a.tgz",
        tgz(&[("a.txt", &text), ("b/.env", &dotenv(&t.redis))]),
    );
    let many: Vec<(String, Vec<u8>)> = (0..50)
        .map(|i| (format!("f{i}.txt"), b"x\n".to_vec()))
        .collect();
    let many: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    e2.write("many.tar", tar(&many));
    e2.write(
        ".upsweep.toml",
        "archive-max-bytes = \"1M\"\narchive-max-entries = 20\n",
    );
    let (r, v) = scan_json(&e2, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let skipped = &v["stats"]["archives"]["skipped"];
    assert_eq!(skipped["total_bytes"], 1, "{skipped:#}");
    assert_eq!(skipped["too_many_entries"], 1, "{skipped:#}");
    assert!(
        r.stderr.contains("parts of archives were not scanned"),
        "without --verbose, one line says how many and why: {}",
        r.stderr
    );
    assert!(r.stderr.contains("--verbose names them"), "{}", r.stderr);
}

#[test]
fn damaged_and_encrypted_archives_never_stop_the_scan() {
    let env = TestEnv::new();
    let t = Tokens::new(108);
    // Cut in the middle of its second entry: the first is still scanned.
    let whole = tgz(&[
        ("a/.env", &dotenv(&t.redis)),
        ("b/filler.txt", &hex_lines(50_000)),
    ]);
    env.write("cut.tgz", &whole[..whole.len() / 2]);
    // Garbage after a valid gzip stream.
    let mut trailing = gzip(format!("QSTASH_TOKEN={}\n", t.qstash).as_bytes());
    trailing.extend_from_slice(b"\x00\x01garbage that is not gzip");
    env.write("trailing.gz", &trailing);
    // A zip whose only entry claims to be encrypted (flag bit 0): skipped, counted, named.
    let key = format!("QSTASH_CURRENT_SIGNING_KEY={}\n", t.signing_key);
    let mut enc = zip(&[("secret/\x1b[31mred.env", key.as_bytes())]);
    let local = 6;
    enc[local] |= 1;
    let cd = enc
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory");
    enc[cd + 8] |= 1;
    env.write("locked.zip", &enc);
    // Starts like a zip but is not one: scanned as raw bytes, as before.
    let mut fake = b"PK\x03\x04".to_vec();
    fake.extend_from_slice(format!("\nUPSTASH_VECTOR_REST_TOKEN={}\n", t.vector).as_bytes());
    env.write("not-really.zip", &fake);

    let (r, v) = scan_json(&env, &["--verbose"]);
    assert_eq!(r.code, 1, "skips are not read errors: {}", r.stderr);
    assert!(v["errors"].as_array().unwrap().is_empty());
    assert!(finding_for(&v, &t.redis).is_some(), "before the cut");
    assert!(finding_for(&v, &t.qstash).is_some(), "before the garbage");
    assert!(finding_for(&v, &t.signing_key).is_none(), "encrypted");
    let raw = finding_for(&v, &t.vector).expect("the raw bytes of what is no zip");
    assert_eq!(raw["locations"][0]["path"], "not-really.zip");
    assert!(raw["locations"][0].get("archive_path").is_none());
    let skipped = &v["stats"]["archives"]["skipped"];
    assert_eq!(skipped["encrypted"], 1, "{skipped:#}");
    assert_eq!(skipped["trailing_data"], 1, "{skipped:#}");
    assert!(skipped["damaged"].as_u64().unwrap() >= 1, "{skipped:#}");
    // Names are shown safely: the escape character never reaches the terminal.
    assert!(
        r.stderr
            .contains("locked.zip!secret/\\x1b[31mred.env: encrypted: not scanned"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains('\x1b'));
    assert!(
        r.stderr.contains("skipped cut.tgz!b/filler.txt: damaged"),
        "{}",
        r.stderr
    );
}

#[test]
fn absolute_and_dot_dot_names_are_shown_as_written_and_nothing_is_written() {
    let env = TestEnv::new();
    let t = Tokens::new(109);
    env.write(
        "evil.tar",
        tar_raw_names(&[
            (b"/etc/upsweep-archive-test.env", &dotenv(&t.redis)),
            (b"../../upsweep-escape.env", &dotenv(&t.qstash)),
        ]),
    );
    let (r, v) = scan_json(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let redis = finding_for(&v, &t.redis).unwrap();
    assert_eq!(
        redis["locations"][0]["archive_path"],
        json!(["evil.tar", "/etc/upsweep-archive-test.env"])
    );
    let q = finding_for(&v, &t.qstash).unwrap();
    assert_eq!(
        q["locations"][0]["archive_path"],
        json!(["evil.tar", "../../upsweep-escape.env"])
    );
    assert!(!std::path::Path::new("/etc/upsweep-archive-test.env").exists());
    assert!(!env.path().join("../../upsweep-escape.env").exists());
    assert!(!env.path().join("../upsweep-escape.env").exists());
}

// ---------------------------------------------------------------------------------------------
// Report formats, baselines, allowlists
// ---------------------------------------------------------------------------------------------

/// A tree with the same token in a plain file and inside an archive, and another token only
/// inside.
fn mixed() -> (TestEnv, Tokens) {
    let env = TestEnv::new();
    let t = Tokens::new(110);
    env.write(".env", format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis));
    env.write(
        "dist/app.tgz",
        tgz(&[
            ("package/.env", &dotenv(&t.redis)),
            (
                "package/lib/q.js",
                format!("const q = \"{}\";\n", t.qstash).as_bytes(),
            ),
        ]),
    );
    (env, t)
}

#[test]
fn jsonl_sarif_and_github_point_at_the_outer_file_and_name_the_chain() {
    let (env, t) = mixed();
    // JSON lines: the same locations as the JSON document.
    let r = run(&env, &["scan", "--format", "jsonl"]);
    assert_eq!(r.code, 1);
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let q = lines
        .iter()
        .find(|f| f["secret_sha256"] == sha256_hex(&t.qstash).as_str())
        .expect("qstash line");
    assert_eq!(q["locations"][0]["path"], "dist/app.tgz");
    assert_eq!(
        q["locations"][0]["archive_path"],
        json!(["dist/app.tgz", "package/lib/q.js"])
    );

    // SARIF: the artifact is the outer file (what a code-scanning UI can open); the chain is
    // in the logical location, the message and the properties. It validates (sarif.rs).
    let r = run(&env, &["scan", "--format", "sarif"]);
    let doc = r.json();
    assert!(
        crate::sarif::violations(&doc).is_empty(),
        "{:?}",
        crate::sarif::violations(&doc)
    );
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let inside: Vec<&Value> = results
        .iter()
        .filter(|r| r["properties"].get("archive_path").is_some())
        .collect();
    assert_eq!(inside.len(), 2, "{doc:#}");
    for res in &inside {
        let loc = &res["locations"][0];
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "dist/app.tgz"
        );
        let fq = loc["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        assert!(fq.starts_with("dist/app.tgz!package/"), "{fq}");
        assert!(res["message"]["text"].as_str().unwrap().contains(fq));
    }
    let plain = results
        .iter()
        .find(|r| r["properties"].get("archive_path").is_none())
        .expect("the plain .env");
    assert_eq!(
        plain["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ".env"
    );

    // GitHub annotations: on the outer file, the place inside in the message.
    let r = run(&env, &["scan", "--format", "github"]);
    let q_line = r
        .stdout
        .lines()
        .find(|l| l.contains("QStash"))
        .expect("an annotation for the qstash token");
    assert!(
        q_line.starts_with("::error file=dist/app.tgz,title="),
        "{q_line}"
    );
    assert!(
        q_line.contains("dist/app.tgz!package/lib/q.js:1:12"),
        "{q_line}"
    );
}

#[test]
fn baselines_and_allowlists_treat_a_secret_inside_as_the_same_secret() {
    let (env, t) = mixed();
    let (_, v) = scan_json(&env, &[]);
    let redis = finding_for(&v, &t.redis).unwrap();
    assert_eq!(
        redis["locations"].as_array().unwrap().len(),
        2,
        "one finding, two places"
    );

    // A baseline made now accepts both, wherever they are.
    let r = run(&env, &["baseline", "create", "-o", "base.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let base: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path().join("base.json")).unwrap())
            .unwrap();
    let paths: Vec<&str> = base["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["first_seen"]["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"dist/app.tgz!package/lib/q.js"),
        "{paths:?}"
    );
    let (r, v) = scan_json(&env, &["--baseline", "base.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(v["stats"]["suppressed_baseline"], 2);

    // A baseline from a JSON report keeps the chain too.
    let r = run(&env, &["scan", "--format", "json", "-o", "report.json"]);
    assert_eq!(r.code, 1);
    let r = run(
        &env,
        &[
            "baseline",
            "create",
            "--from",
            "report.json",
            "-o",
            "b2.json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let b2 = std::fs::read_to_string(env.path().join("b2.json")).unwrap();
    assert!(b2.contains("dist/app.tgz!package/lib/q.js"), "{b2}");

    // An [[allow]] by hash allows it inside archives too.
    env.write(
        ".upsweep.toml",
        format!(
            "[[allow]]\nsha256 = \"{}\"\nreason = \"demo\"\n",
            sha256_hex(&t.qstash)
        ),
    );
    let (_, v) = scan_json(&env, &[]);
    assert!(finding_for(&v, &t.qstash).is_none());
    assert_eq!(v["stats"]["suppressed_allowed"], 1);

    // skip-paths sees the chain: a pattern can leave out a part of an archive.
    env.write(".upsweep.toml", "skip-paths = [\"**/lib/**\"]\n");
    let (_, v) = scan_json(&env, &[]);
    assert!(finding_for(&v, &t.qstash).is_none());
    assert!(finding_for(&v, &t.redis).is_some());
}

// ---------------------------------------------------------------------------------------------
// Git history
// ---------------------------------------------------------------------------------------------

#[test]
fn an_archive_in_history_is_opened_and_attributed_to_its_commit() {
    let env = repo();
    let t = Tokens::new(111);
    env.write("README.md", "hi\n");
    commit(&env, "readme");
    env.write("dist/app.tgz", tgz(&[("package/.env", &dotenv(&t.redis))]));
    let added = commit(&env, "ship the package");
    std::fs::remove_file(env.path().join("dist/app.tgz")).unwrap();
    commit(&env, "remove it");

    let r = run(&env, &["git", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    let f = only_finding(&v);
    let l = &f["locations"][0];
    assert_eq!(l["path"], "dist/app.tgz");
    assert_eq!(l["archive_path"], json!(["dist/app.tgz", "package/.env"]));
    assert_eq!(
        (l["line"].as_u64(), l["column"].as_u64()),
        (Some(3), Some(26))
    );
    assert_eq!(l["commit"], added.as_str());
    assert_eq!(l["author"], "Test <test@example.com>");
    assert_eq!(f["introduced_in"], added.as_str());
    assert_eq!(f["in_head"], false);
    assert_eq!(v["stats"]["archives"]["opened"], 1);

    let r = run(&env, &["git"]);
    assert!(
        r.stdout.contains("dist/app.tgz!package/.env:3:26"),
        "{}",
        r.stdout
    );
    let r = run(&env, &["git", "--format", "json", "--no-archives"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_range_counts_only_what_a_changed_archive_adds() {
    let env = repo();
    let t = Tokens::new(112);
    env.write("dist/app.zip", zip(&[("conf/.env", &dotenv(&t.redis))]));
    let base = commit(&env, "v1");
    // The next version keeps the old token and adds another, in a new entry.
    env.write(
        "dist/app.zip",
        zip(&[
            ("conf/.env", &dotenv(&t.redis)),
            (
                "conf/queue.env",
                format!("QSTASH_TOKEN={}\n", t.qstash).as_bytes(),
            ),
        ]),
    );
    commit(&env, "v2");
    let range = format!("{base}..HEAD");
    let r = run(&env, &["git", "--format", "json", "--range", &range]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    let f = only_finding(&v);
    assert_eq!(f["secret_sha256"], sha256_hex(&t.qstash).as_str());
    assert_eq!(
        f["locations"][0]["archive_path"],
        json!(["dist/app.zip", "conf/queue.env"])
    );

    // Staged: a new archive is scanned whole.
    let key = format!(
        "UPSTASH_EMAIL=ops@example.com\nUPSTASH_API_KEY={}\n",
        t.api_key
    );
    env.write("dist/other.tgz", tgz(&[("x/.env", key.as_bytes())]));
    env.git(&["add", "-A"]);
    let r = run(&env, &["git", "--format", "json", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        only_finding(&v)["locations"][0]["archive_path"],
        json!(["dist/other.tgz", "x/.env"])
    );
}
