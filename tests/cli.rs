//! The command line as a user meets it: exit codes, inputs that must not break a scan (bad
//! bytes, huge files, loops, FIFOs, unreadable paths), the output options, snapshots of the
//! human and JSON reports, and the `rules` commands.
//!
//! Every run has a deadline: a scan that hangs fails its test instead of stalling the suite.

use crate::common::{findings, Fake, Run, TestEnv};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest any run may take. Healthy runs here take well under a second (debug build).
pub(crate) const DEADLINE: Duration = Duration::from_secs(120);

/// Run `cmd` to completion with `input` on its standard input, failing the test if it has not
/// finished within `deadline` (the process is killed first).
pub(crate) fn run_within(mut cmd: Command, input: Option<Vec<u8>>, deadline: Duration) -> Run {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if input.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("spawn upsweep");
    if let Some(bytes) = input {
        let mut w = child.stdin.take().expect("stdin pipe");
        std::thread::spawn(move || {
            let _ = w.write_all(&bytes);
        });
    }
    let mut out = child.stdout.take().expect("stdout pipe");
    let mut err = child.stderr.take().expect("stderr pipe");
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = wait_within(&mut child, deadline);
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.join().expect("stdout reader")).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().expect("stderr reader")).into_owned(),
    };
    assert_no_panic(&run);
    run
}

/// Wait for `child`, killing it and failing the test once `deadline` has passed.
pub(crate) fn wait_within(
    child: &mut std::process::Child,
    deadline: Duration,
) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for upsweep") {
            return status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("upsweep did not finish within {deadline:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A crash is never an acceptable answer to bad input.
pub(crate) fn assert_no_panic(run: &Run) {
    assert!(
        !run.stderr.contains("panicked") && run.code != 101,
        "upsweep panicked (exit {}):\n{}",
        run.code,
        run.stderr
    );
    assert!(run.code >= 0, "upsweep was killed by a signal");
}

/// `upsweep ARGS...` in the test directory, with a deadline.
pub(crate) fn run(env: &TestEnv, args: &[&str]) -> Run {
    let mut cmd = env.cmd();
    cmd.args(args);
    run_within(cmd, None, DEADLINE)
}

/// `upsweep scan --format json ARGS...`, with the report parsed.
pub(crate) fn scan_json(env: &TestEnv, args: &[&str]) -> (Run, Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(env, &all);
    let v = r.json();
    (r, v)
}

/// Lowercase hex SHA-256, computed independently of upsweep.
pub(crate) fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// (path, line, column) of every location of every finding.
pub(crate) fn places(report: &Value) -> BTreeSet<(String, u64, u64)> {
    findings(report)
        .iter()
        .flat_map(|f| f["locations"].as_array().expect("locations").iter())
        .map(|l| {
            (
                l["path"].as_str().expect("path").to_string(),
                l["line"].as_u64().expect("line"),
                l["column"].as_u64().expect("column"),
            )
        })
        .collect()
}

/// The finding whose full secret is `secret` (the report must come from `--show-secrets`), or
/// whose hash matches it.
pub(crate) fn finding_for<'a>(report: &'a Value, secret: &str) -> Option<&'a Value> {
    let hash = sha256_hex(secret);
    findings(report)
        .iter()
        .find(|f| f["secret_sha256"] == hash.as_str())
}

/// A fixed set of fake credentials (never real ones), the same on every run.
pub(crate) struct Tokens {
    pub host: String,
    pub redis: String,
    pub redis_readonly: String,
    pub legacy: String,
    pub legacy_password: String,
    pub qstash: String,
    pub signing_key: String,
    pub vector_endpoint: String,
    pub vector: String,
    pub api_key: String,
}

impl Tokens {
    pub(crate) fn new(seed: u64) -> Tokens {
        let mut f = Fake::new(seed);
        let number = f.database_number();
        let host = f.redis_host(number);
        let redis = f.redis_token(number, false, false);
        let redis_readonly = f.redis_token(number, true, false);
        let (legacy, legacy_password) = f.redis_token_legacy(number);
        let qstash = f.qstash_token();
        let signing_key = f.signing_key();
        let vector_endpoint = f.index_endpoint();
        let vector = f.vector_token(&vector_endpoint, false);
        let api_key = f.api_key();
        Tokens {
            host,
            redis,
            redis_readonly,
            legacy,
            legacy_password,
            qstash,
            signing_key,
            vector_endpoint,
            vector,
            api_key,
        }
    }

    /// Every full secret a report could leak (the legacy token's embedded password too).
    pub(crate) fn all_secrets(&self) -> Vec<&str> {
        vec![
            &self.redis,
            &self.redis_readonly,
            &self.legacy,
            &self.legacy_password,
            &self.qstash,
            &self.signing_key,
            &self.vector,
            &self.api_key,
        ]
    }

    /// A small tree with one of each common kind, some in more than one place.
    pub(crate) fn plant(&self, env: &TestEnv) {
        let t = self;
        env.write(
            ".env",
            format!(
                "UPSTASH_REDIS_REST_URL=https://{}\nUPSTASH_REDIS_REST_TOKEN={}\nQSTASH_TOKEN={}\nQSTASH_CURRENT_SIGNING_KEY={}\n",
                t.host, t.redis, t.qstash, t.signing_key
            ),
        );
        env.write(
            "config/app.json",
            format!(
                "{{\n  \"vectorUrl\": \"https://{}-vector.upstash.io\",\n  \"vectorToken\": \"{}\",\n  \"cacheToken\": \"{}\"\n}}\n",
                t.vector_endpoint, t.vector, t.redis
            ),
        );
        env.write(
            "src/client.ts",
            format!(
                "export const kv = new Redis({{\n  url: \"https://{}\",\n  token: \"{}\",\n}});\n",
                t.host, t.redis_readonly
            ),
        );
        env.write(
            "deploy/compose.yml",
            format!(
                "services:\n  app:\n    environment:\n      - UPSTASH_REDIS_REST_TOKEN={}\n      - UPSTASH_EMAIL=ops@example.com\n      - UPSTASH_API_KEY={}\n",
                t.legacy, t.api_key
            ),
        );
        env.write("README.md", "# demo\n\nNothing secret here.\n");
    }
}

/// The tree's effective user id (the owner of `/proc/self` is the process's euid).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

// ---------------------------------------------------------------------------------------------
// Exit codes
// ---------------------------------------------------------------------------------------------

#[test]
fn exit_0_when_nothing_is_found() {
    let env = TestEnv::new();
    env.write("README.md", "no credentials here\n");
    env.write("src/main.rs", "fn main() {}\n");
    let r = run(&env, &["scan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("no Upstash credentials found"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("scanned 2 files"), "{}", r.stdout);
    assert_eq!(r.stderr, "");
}

#[test]
fn exit_1_when_a_credential_is_found() {
    let env = TestEnv::new();
    let t = Tokens::new(1);
    env.write(".env", format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis));
    let r = run(&env, &["scan"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(".env:1:26"), "{}", r.stdout);
    assert!(
        r.stdout.contains("1 leaked credential in 1 place"),
        "{}",
        r.stdout
    );
}

#[test]
fn usage_errors_exit_2_with_a_message_and_no_report() {
    let env = TestEnv::new();
    env.write(".env", "nothing\n");
    let cases: &[(&[&str], &str)] = &[
        (&["scan", "--bogus"], "--bogus"),
        (
            &["scan", "--max-file-size", "lots", "."],
            "invalid size \"lots\"",
        ),
        (&["scan", "--max-file-size", "0", "."], "invalid size \"0\""),
        (&["scan", "--max-file-size", "99999999999G"], "invalid size"),
        (
            &["scan", "-", ".env"],
            "cannot be combined with other paths",
        ),
        (
            &["scan", ".env", "-"],
            "cannot be combined with other paths",
        ),
        (&["scan", "--format", "xml"], "xml"),
        (&["scan", "--color", "sometimes"], "sometimes"),
        (&["scan", "--threads", "0"], "--threads must be at least 1"),
        (&["frobnicate"], "frobnicate"),
        (&[], "Usage"),
    ];
    for (args, says) in cases {
        let r = run(&env, args);
        assert_eq!(r.code, 2, "{args:?} should be a usage error: {}", r.stderr);
        assert!(
            r.stderr.contains(says),
            "{args:?}: stderr should mention {says:?}:\n{}",
            r.stderr
        );
        assert_eq!(r.stdout, "", "{args:?}: no report on a usage error");
    }
}

#[test]
fn help_and_version_exit_0_and_document_the_exit_codes() {
    let env = TestEnv::new();
    let r = run(&env, &["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Exit codes"), "{}", r.stdout);
    let r = run(&env, &["scan", "--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("--max-file-size"), "{}", r.stdout);
    let r = run(&env, &["--version"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains(env!("CARGO_PKG_VERSION")), "{}", r.stdout);
}

#[test]
fn a_path_that_does_not_exist_is_an_error_and_the_rest_is_still_scanned() {
    let env = TestEnv::new();
    let t = Tokens::new(2);
    env.write(
        "app/.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis),
    );
    let (r, v) = scan_json(&env, &["no/such/dir", "app"]);
    assert_eq!(r.code, 2, "an unreadable input makes the exit code 2");
    assert!(
        r.stderr.contains("no/such/dir: no such file or directory"),
        "{}",
        r.stderr
    );
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["path"], "no/such/dir");
    assert_eq!(errors[0]["message"], "no such file or directory");
    assert_eq!(v["stats"]["errors"], 1);
    assert!(
        finding_for(&v, &t.redis).is_some(),
        "the rest was not scanned"
    );

    // The human report says so too, after listing what it found.
    let r = run(&env, &["scan", "app", "no/such/dir"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("app/.env:1:26"), "{}", r.stdout);
    assert!(
        r.stdout.contains("1 input could not be read"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("upsweep: error: no/such/dir"),
        "{}",
        r.stderr
    );
}

/// Permission denial cannot be produced for root, who reads anything: when the tests run as
/// root, upsweep is run as the unprivileged user `nobody` (uid 65534) instead. If that is not
/// possible here, the test says why and checks nothing.
#[test]
fn unreadable_files_and_directories_are_listed_and_the_rest_is_still_scanned() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let env = TestEnv::new();
    let t = Tokens::new(3);
    env.write("ok/.env", format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis));
    let secret = env.write("locked.env", format!("QSTASH_TOKEN={}\n", t.qstash));
    env.write("closed/inner.env", format!("QSTASH_TOKEN={}\n", t.qstash));
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    mode(env.path(), 0o755).unwrap();
    mode(&secret, 0o000).unwrap();
    mode(&env.path().join("closed"), 0o000).unwrap();

    let as_user = |mut c: Command| {
        if running_as_root() {
            c.uid(65534).gid(65534).env("HOME", "/nonexistent");
        }
        c
    };
    // Can this machine deny a read at all (and can `nobody` run the binary)?
    let probe = as_user(Command::new("cat")).arg(&secret).output();
    let denied = probe.is_ok_and(|o| !o.status.success());
    let runs = as_user(Command::new(env!("CARGO_BIN_EXE_upsweep")))
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !denied || !runs {
        eprintln!(
            "SKIPPED unreadable_files...: permission denial cannot be produced here \
             (running as root and cannot drop to uid 65534, or that user cannot run {})",
            env!("CARGO_BIN_EXE_upsweep")
        );
        return;
    }

    let mut cmd = as_user(env.cmd());
    cmd.args(["scan", "--format", "json"]);
    let r = run_within(cmd, None, DEADLINE);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let v = r.json();
    let errors: Vec<(String, String)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (
                "closed".to_string(),
                "cannot read directory: Permission denied".to_string()
            ),
            (
                "locked.env".to_string(),
                "cannot read: Permission denied".to_string()
            ),
        ]
    );
    assert!(
        r.stderr
            .contains("upsweep: error: locked.env: cannot read: Permission denied"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("upsweep: error: closed: cannot read directory"),
        "{}",
        r.stderr
    );
    assert!(
        finding_for(&v, &t.redis).is_some(),
        "the readable file was not scanned"
    );
    assert!(
        finding_for(&v, &t.qstash).is_none(),
        "an unreadable file cannot be reported from"
    );
    mode(&env.path().join("closed"), 0o755).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Bad input: a clear message or a clean result, never a panic or a hang
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_utf8_and_nul_bytes_around_a_token_do_not_hide_it() {
    let env = TestEnv::new();
    let t = Tokens::new(4);
    let mut bytes = b"\xff\xfe\xfd\x00\x00garbage\xc3\x28 ".to_vec(); // 15 columns
    bytes.extend_from_slice(t.redis.as_bytes());
    bytes.extend_from_slice(b"\x00\x80\n\x00\x00KEY=");
    bytes.extend_from_slice(t.signing_key.as_bytes());
    bytes.extend_from_slice(b"\x00\xff\n");
    env.write("mixed.bin", &bytes);
    let (r, v) = scan_json(&env, &["--show-secrets"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Each invalid byte counts as one column, as an editor shows it as one replacement mark.
    let redis = finding_for(&v, &t.redis).expect("token after invalid UTF-8 and NULs");
    assert_eq!(redis["locations"][0]["line"], 1);
    assert_eq!(redis["locations"][0]["column"], 16);
    let key = finding_for(&v, &t.signing_key).expect("signing key after NULs");
    assert_eq!(key["locations"][0]["line"], 2);
    assert_eq!(key["locations"][0]["column"], 7);
}

#[test]
fn a_2gb_file_is_skipped_counted_and_named_by_default() {
    let env = TestEnv::new();
    let t = Tokens::new(5);
    // Sparse: 2 GiB long, a few KiB on disk. A token sits at its end.
    let path = env.path().join("huge.db");
    let mut f = std::fs::File::create(&path).unwrap();
    f.set_len(2 << 30).unwrap();
    use std::io::{Seek, SeekFrom};
    f.seek(SeekFrom::Start((2 << 30) - 200)).unwrap();
    f.write_all(format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.qstash).as_bytes())
        .unwrap();
    drop(f);
    env.write(
        "small.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis),
    );
    let started = Instant::now();
    let (r, v) = scan_json(&env, &[]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "a skipped file must not be read"
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(v["stats"]["skipped_too_large"], 1);
    assert_eq!(v["stats"]["files_scanned"], 1);
    assert!(
        r.stderr
            .contains("skipped huge.db: 2147483648 bytes is over --max-file-size"),
        "{}",
        r.stderr
    );
    assert_eq!(findings(&v).len(), 1);
    assert!(finding_for(&v, &t.redis).is_some());

    // The human summary says it too.
    let r = run(&env, &["scan", "huge.db"]);
    assert_eq!(r.code, 0, "a deliberate, reported skip is not a read error");
    assert!(
        r.stdout.contains("1 file over --max-file-size skipped"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_20mb_single_line_finds_every_token_at_the_right_column() {
    let env = TestEnv::new();
    let t = Tokens::new(6);
    // Multi-byte filler: columns count characters, not bytes.
    let mut line = "é".repeat(5_000_000); // 10 MB
    let first_col = line.chars().count() + 2;
    line.push(' ');
    line.push_str(&t.redis);
    line.push_str(";var a=\"");
    line.push_str(&"x".repeat(10_000_000));
    line.push_str("\",k=\"");
    let second_col = line.chars().count() + 1;
    line.push_str(&t.vector);
    line.push_str("\";");
    env.write("bundle.min.js", format!("{line}\n"));
    let (r, v) = scan_json(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let got = places(&v);
    let want: BTreeSet<_> = [
        ("bundle.min.js".to_string(), 1, first_col as u64),
        ("bundle.min.js".to_string(), 1, second_col as u64),
    ]
    .into();
    assert_eq!(got, want);
}

#[test]
fn symlink_loops_are_not_followed_by_default_and_reported_with_follow() {
    use std::os::unix::fs::symlink;
    let env = TestEnv::new();
    let t = Tokens::new(7);
    env.write(
        "real/.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis),
    );
    symlink("..", env.path().join("real/up")).unwrap();
    symlink(".", env.path().join("real/self")).unwrap();
    let outside = TestEnv::new();
    outside.write("linked.env", format!("QSTASH_TOKEN={}\n", t.qstash));
    symlink(outside.path(), env.path().join("elsewhere")).unwrap();

    let (r, v) = scan_json(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(v["stats"]["skipped_symlinks"], 3);
    assert_eq!(v["stats"]["symlink_loops"], 0);
    assert_eq!(
        places(&v),
        [("real/.env".to_string(), 1, 26)].into(),
        "symlinks are not followed unless asked"
    );

    let (r, v) = scan_json(&env, &["--follow"]);
    assert_eq!(r.code, 1, "a loop is not a read error: {}", r.stderr);
    assert_eq!(v["stats"]["symlink_loops"], 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("not following real/up: it loops back"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("not following real/self: it loops back"),
        "{}",
        r.stderr
    );
    assert_eq!(
        places(&v),
        [
            ("elsewhere/linked.env".to_string(), 1, 14),
            ("real/.env".to_string(), 1, 26)
        ]
        .into(),
        "each file once, and the linked directory with --follow"
    );
}

#[test]
fn a_broken_symlink_is_named_as_such() {
    use std::os::unix::fs::symlink;
    let env = TestEnv::new();
    symlink("/nonexistent/target", env.path().join("dangling")).unwrap();
    env.write("a.txt", "nothing\n");
    // Not followed: nothing to read, nothing wrong.
    let (r, _) = scan_json(&env, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Followed: the target cannot be read, and the message says why.
    let (r, v) = scan_json(&env, &["--follow"]);
    assert_eq!(r.code, 2);
    assert_eq!(v["errors"][0]["path"], "dangling");
    assert_eq!(
        v["errors"][0]["message"],
        "broken symbolic link: its target does not exist"
    );
    assert_eq!(v["stats"]["files_scanned"], 1);
}

fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(st.success(), "mkfifo {}", path.display());
}

#[test]
fn a_fifo_in_the_tree_is_skipped_without_hanging() {
    use std::os::unix::fs::symlink;
    let env = TestEnv::new();
    let t = Tokens::new(8);
    env.write(
        "pipes/.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis),
    );
    mkfifo(&env.path().join("pipes/fifo"));
    symlink("fifo", env.path().join("pipes/fifo-link")).unwrap();
    // No writer ever opens the FIFO: opening it for reading would block forever.
    for follow in [false, true] {
        let mut args = vec!["--verbose"];
        if follow {
            args.push("--follow");
        }
        let (r, v) = scan_json(&env, &args);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(finding_for(&v, &t.redis).is_some());
        let special = v["stats"]["skipped_special"].as_u64().unwrap();
        assert_eq!(special, if follow { 2 } else { 1 }, "{}", r.stderr);
        assert!(
            r.stderr.contains("skipped pipes/fifo: not a regular file"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn a_fifo_named_on_the_command_line_is_read() {
    // `upsweep scan <(git show HEAD:.env)` passes a pipe: the user asked for it to be read.
    let env = TestEnv::new();
    let t = Tokens::new(9);
    let fifo = env.path().join("fifo");
    mkfifo(&fifo);
    let content = format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Blocks until upsweep opens the pipe for reading.
            std::fs::write(&fifo, content).expect("write the fifo");
        })
    };
    let (r, v) = scan_json(&env, &["fifo"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(places(&v), [("fifo".to_string(), 1, 26)].into());
    writer.join().unwrap();

    // A device named on the command line is read too, within --max-file-size.
    let (r, v) = scan_json(&env, &["/dev/null"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(v["stats"]["files_scanned"], 1);
    let (r, v) = scan_json(&env, &["--max-file-size", "1M", "/dev/zero"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(v["stats"]["skipped_too_large"], 1);
    assert!(
        r.stderr.contains("skipped /dev/zero"),
        "an endless device is cut at --max-file-size: {}",
        r.stderr
    );
}

#[test]
fn deeply_nested_directories_are_scanned() {
    let env = TestEnv::new();
    let t = Tokens::new(10);
    let rel: Vec<String> = (0..200).map(|i| format!("d{i}")).collect();
    let rel = format!("{}/.env", rel.join("/"));
    env.write(&rel, format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis));
    let (r, v) = scan_json(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(places(&v), [(rel, 1, 26)].into());
}

#[test]
fn an_empty_directory_is_a_clean_result() {
    let env = TestEnv::new();
    std::fs::create_dir(env.path().join("empty")).unwrap();
    let (r, v) = scan_json(&env, &["empty"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(findings(&v).len(), 0);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
    assert_eq!(v["stats"]["files_scanned"], 0);
    assert_eq!(r.stderr, "");
    let r = run(&env, &["scan", "empty"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .starts_with("no Upstash credentials found; scanned 0 files"),
        "{}",
        r.stdout
    );
}

#[test]
fn binary_files_are_scanned() {
    let env = TestEnv::new();
    let t = Tokens::new(11);
    // A database-like file: header, binary noise, a token stored as a value, more noise.
    let mut db = b"SQLite format 3\x00\x10\x00\x01\x01\x00@  ".to_vec();
    db.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    db.extend_from_slice(b"\x00\x00\x81\x17");
    db.extend_from_slice(t.qstash.as_bytes());
    db.extend((0..4096u32).map(|i| (i.wrapping_mul(40_503) >> 8) as u8));
    env.write("data/app.sqlite", &db);
    // A UTF-16 file, as Windows tools write them.
    let mut utf16 = vec![0xFF, 0xFE];
    for u in format!("UPSTASH_REDIS_REST_TOKEN={}\r\n", t.redis).encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    env.write("win/settings.env", &utf16);
    let (r, v) = scan_json(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let q = finding_for(&v, &t.qstash).expect("token inside a binary file");
    assert_eq!(q["kind"], "qstash-token");
    assert_eq!(q["locations"][0]["path"], "data/app.sqlite");
    let w = finding_for(&v, &t.redis).expect("token inside a UTF-16 file");
    assert_eq!(w["locations"][0]["path"], "win/settings.env");
    assert_eq!(w["locations"][0]["encoding"], "utf-16");
}

#[test]
fn files_over_max_file_size_are_skipped_counted_and_mentioned() {
    let env = TestEnv::new();
    let t = Tokens::new(12);
    let mut big = format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis);
    big.push_str(&"# padding\n".repeat(30)); // about 380 bytes
    let size = big.len();
    env.write("big.env", &big);
    env.write("small.env", "A=1\n");
    let (r, v) = scan_json(&env, &["--max-file-size", "200"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(findings(&v).len(), 0);
    assert_eq!(v["stats"]["skipped_too_large"], 1);
    assert_eq!(v["stats"]["files_scanned"], 1);
    assert!(
        r.stderr.contains(&format!(
            "skipped big.env: {size} bytes is over --max-file-size"
        )),
        "a skip is never silent: {}",
        r.stderr
    );
    let r = run(&env, &["scan", "--max-file-size", "200"]);
    assert!(
        r.stdout.contains("1 file over --max-file-size skipped"),
        "{}",
        r.stdout
    );
    // Raised, the file is scanned; up to the largest size there is, without overflow.
    for limit in ["1K", "18446744073709551615"] {
        let (r, v) = scan_json(&env, &["--max-file-size", limit]);
        assert_eq!(r.code, 1, "{limit}: {}", r.stderr);
        assert_eq!(v["stats"]["skipped_too_large"], 0);
        assert!(finding_for(&v, &t.redis).is_some(), "{limit}");
    }
}

#[test]
fn quiet_keeps_errors_on_stderr_and_drops_the_notes() {
    let env = TestEnv::new();
    env.write("big.txt", "x".repeat(300));
    let r = run(&env, &["scan", "--max-file-size", "100", "."]);
    assert!(r.stderr.contains("skipped big.txt"), "{}", r.stderr);
    let r = run(&env, &["scan", "-q", "--max-file-size", "100", ".", "gone"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "upsweep: error: gone: no such file or directory\n"
    );
    // The report still counts the skip: quiet is never silent about what was not scanned.
    assert!(
        r.stdout.contains("1 file over --max-file-size skipped"),
        "{}",
        r.stdout
    );
}

#[test]
fn gitignore_is_respected_in_a_repository_but_dotfiles_are_scanned() {
    let env = TestEnv::new();
    let t = Tokens::new(13);
    env.git(&["init", "-q"]);
    env.write(".gitignore", "build/\n*.local\n");
    env.write(".git/info/exclude", "scratch.txt\n");
    env.write(".env", format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis));
    env.write(".config/app.yml", format!("qstash_token: {}\n", t.qstash));
    env.write("build/bundle.js", format!("const k=\"{}\";\n", t.vector));
    env.write(
        ".env.local",
        format!("QSTASH_CURRENT_SIGNING_KEY={}\n", t.signing_key),
    );
    env.write(
        "scratch.txt",
        format!("KV_REST_API_READ_ONLY_TOKEN={}\n", t.redis_readonly),
    );
    // .git itself is never scanned, ignored or not.
    env.write(".git/COMMIT_EDITMSG", format!("add {}\n", t.legacy));
    env.write("vendor/lib/.git/config", format!("token = {}\n", t.legacy));

    let (r, v) = scan_json(&env, &["--show-secrets"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let found: BTreeSet<&str> = findings(&v)
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(found, [t.redis.as_str(), t.qstash.as_str()].into());

    let (r, v) = scan_json(&env, &["--show-secrets", "--no-ignore"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let found: BTreeSet<&str> = findings(&v)
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(
        found,
        [
            t.redis.as_str(),
            t.qstash.as_str(),
            t.vector.as_str(),
            t.signing_key.as_str(),
            t.redis_readonly.as_str()
        ]
        .into(),
        "--no-ignore scans ignored files, but never .git"
    );
}

#[test]
fn dot_ignore_files_are_respected_outside_a_repository() {
    let env = TestEnv::new();
    let t = Tokens::new(14);
    env.write(".ignore", "fixtures/\n");
    env.write(
        "fixtures/.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis),
    );
    env.write("app/.env", format!("QSTASH_TOKEN={}\n", t.qstash));
    let (_, v) = scan_json(&env, &[]);
    assert_eq!(places(&v), [("app/.env".to_string(), 1, 14)].into());
    let (_, v) = scan_json(&env, &["--no-ignore"]);
    assert_eq!(places(&v).len(), 2);
}

#[test]
fn standard_input_is_scanned_with_a_dash() {
    let env = TestEnv::new();
    let t = Tokens::new(15);
    let mut cmd = env.cmd();
    cmd.args(["scan", "--format", "json", "-"]);
    let input = format!(
        "line one\nexport UPSTASH_REDIS_REST_TOKEN=\"{}\"\n",
        t.redis
    );
    let r = run_within(cmd, Some(input.into_bytes()), DEADLINE);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(places(&r.json()), [("<stdin>".to_string(), 2, 34)].into());

    let mut cmd = env.cmd();
    cmd.args(["scan", "-"]);
    let r = run_within(cmd, Some(b"nothing here\n".to_vec()), DEADLINE);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("no Upstash credentials found; scanned 1 file"),
        "{}",
        r.stdout
    );

    // Larger than --max-file-size: an error that says what to do, not a silent pass.
    let mut cmd = env.cmd();
    cmd.args(["scan", "--max-file-size", "16", "-"]);
    let r = run_within(cmd, Some(vec![b'a'; 4096]), DEADLINE);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("standard input is larger than --max-file-size"),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Output options
// ---------------------------------------------------------------------------------------------

#[test]
fn output_file_gets_the_report_and_stdout_stays_empty() {
    let env = TestEnv::new();
    let t = Tokens::new(16);
    t.plant(&env);
    let r = run(
        &env,
        &[
            "scan",
            "--format",
            "json",
            "--output",
            "out/report.json",
            ".",
        ],
    );
    assert_eq!(r.code, 2, "the directory out/ does not exist");
    assert!(
        r.stderr.contains("cannot write out/report.json"),
        "the message names the path: {}",
        r.stderr
    );
    std::fs::create_dir(env.path().join("out")).unwrap();
    let r = run(
        &env,
        &["scan", "--format", "json", "-o", "out/report.json", "."],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let text = std::fs::read_to_string(env.path().join("out/report.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(findings(&v).len(), 7);
    // The report holds no secret, so scanning it again finds nothing in it.
    let (_, again) = scan_json(&env, &[]);
    assert_eq!(places(&again), places(&v));
    assert!(places(&again)
        .iter()
        .all(|(p, _, _)| !p.starts_with("out/")));
}

#[test]
fn no_format_shows_a_full_secret_unless_asked() {
    let env = TestEnv::new();
    let t = Tokens::new(17);
    t.plant(&env);
    for format in ["human", "json", "jsonl", "sarif"] {
        let r = run(&env, &["scan", "--format", format, "--verbose"]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        for secret in t.all_secrets() {
            assert!(
                !r.stdout.contains(secret) && !r.stderr.contains(secret),
                "--format {format} shows the full secret {secret}"
            );
        }
        // What identifies a finding without revealing it is there.
        assert!(
            r.stdout.contains(&sha256_hex(&t.redis)),
            "{format}: no secret hash"
        );

        let r = run(&env, &["scan", "--format", format, "--show-secrets"]);
        assert_eq!(r.code, 1);
        for secret in [&t.redis, &t.qstash, &t.vector, &t.signing_key, &t.legacy] {
            assert!(
                r.stdout.contains(secret.as_str()),
                "--format {format} --show-secrets lacks {secret}"
            );
        }
    }
}

/// Run upsweep under a pseudo-terminal (with util-linux `script`), as a user at a shell would.
fn on_terminal(env: &TestEnv, args: &str, no_color: bool) -> Option<String> {
    let probe = Command::new("script").arg("--version").output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED colour on a terminal: util-linux `script` is not installed");
        return None;
    }
    let line = format!("{} {args}", env!("CARGO_BIN_EXE_upsweep"));
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(env.path())
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let r = run_within(cmd, None, DEADLINE);
    Some(r.stdout)
}

#[test]
fn colour_on_a_terminal_unless_no_color_or_color_never() {
    let env = TestEnv::new();
    let t = Tokens::new(18);
    env.write(".env", format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis));
    const ESC: &str = "\x1b[";
    let Some(tty) = on_terminal(&env, "scan", false) else {
        return;
    };
    assert!(tty.contains(ESC), "no colour on a terminal:\n{tty}");
    assert!(tty.contains(".env:1:26"));
    let no_color = on_terminal(&env, "scan", true).unwrap();
    assert!(!no_color.contains(ESC), "NO_COLOR is ignored:\n{no_color}");
    assert!(no_color.contains(".env:1:26"));
    let never = on_terminal(&env, "scan --color never", false).unwrap();
    assert!(!never.contains(ESC), "--color never is ignored");
    // A file is never coloured unless asked.
    on_terminal(&env, "scan -o report.txt", false).unwrap();
    let file = std::fs::read_to_string(env.path().join("report.txt")).unwrap();
    assert!(!file.contains(ESC), "colour codes in a report file");
    assert!(file.contains(".env:1:26"));

    // Not a terminal: plain unless asked, and --color always wins over NO_COLOR.
    let r = run(&env, &["scan"]);
    assert!(!r.stdout.contains(ESC));
    let r = run(&env, &["scan", "--color", "always"]);
    assert!(r.stdout.contains(ESC), "--color always is ignored");
}

#[test]
fn jsonl_has_one_finding_per_line() {
    let env = TestEnv::new();
    let t = Tokens::new(19);
    t.plant(&env);
    let (_, doc) = scan_json(&env, &[]);
    let r = run(&env, &["scan", "--format", "jsonl"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.ends_with('\n'));
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON value ({e}): {l}"))
        })
        .collect();
    assert_eq!(lines.len(), findings(&doc).len());
    assert_eq!(
        &lines,
        findings(&doc),
        "the same findings as the JSON report"
    );
    // Nothing found: no lines at all.
    let clean = TestEnv::new();
    clean.write("a.txt", "nothing\n");
    let r = run(&clean, &["scan", "--format", "jsonl"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
}

#[test]
fn json_report_has_the_documented_shape() {
    let env = TestEnv::new();
    let t = Tokens::new(20);
    t.plant(&env);
    let (r, v) = scan_json(&env, &["--show-secrets", ".", "missing"]);
    assert_eq!(r.code, 2);
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["version", "tool", "findings", "errors", "stats"].into()
    );
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "upsweep");
    assert_eq!(v["errors"][0]["path"], "missing");
    for key in [
        "files_scanned",
        "bytes_scanned",
        "skipped_too_large",
        "errors",
        "duration_ms",
    ] {
        assert!(v["stats"][key].is_u64(), "stats.{key}");
    }
    let fs = findings(&v);
    assert_eq!(fs.len(), 7);
    for f in fs {
        let secret = f["secret"].as_str().expect("--show-secrets adds secret");
        assert_eq!(f["secret_sha256"], sha256_hex(secret).as_str());
        assert!(upsweep::finding::Kind::parse(f["kind"].as_str().unwrap()).is_some());
        assert!(f["rule_id"].as_str().unwrap().starts_with("upstash."));
        let locs = f["locations"].as_array().unwrap();
        assert!(!locs.is_empty());
        for l in locs {
            assert!(l["path"].is_string() && l["line"].as_u64() >= Some(1));
            assert!(l["column"].as_u64() >= Some(1));
        }
    }
    let redis = finding_for(&v, &t.redis).unwrap();
    assert_eq!(
        redis["locations"].as_array().unwrap().len(),
        2,
        "one finding per secret"
    );
    // Without --show-secrets there is no `secret` key at all.
    let (_, v) = scan_json(&env, &[]);
    assert!(findings(&v).iter().all(|f| f.get("secret").is_none()));
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let env = TestEnv::new();
    let mut fake = Fake::new(21);
    // Enough findings that the report is far larger than a pipe's buffer.
    let mut text = String::new();
    for _ in 0..2000 {
        let n = fake.database_number();
        text.push_str(&format!(
            "UPSTASH_REDIS_REST_TOKEN={}\n",
            fake.redis_token(n, false, false)
        ));
    }
    env.write("many.env", text);
    for format in ["json", "human"] {
        let mut child = env
            .cmd()
            .args(["scan", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut first = [0u8; 10];
        out.read_exact(&mut first).unwrap();
        drop(out); // `| head -c 10`
        let mut err = child.stderr.take().unwrap();
        let status = wait_within(&mut child, DEADLINE);
        let mut stderr = String::new();
        err.read_to_string(&mut stderr).unwrap();
        assert!(
            !stderr.contains("panicked") && !stderr.to_lowercase().contains("broken pipe"),
            "{format}: {stderr}"
        );
        assert_eq!(
            status.code(),
            Some(1),
            "{format}: a closed pipe is not an error"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots: the human and JSON reports of a small fixed tree
// ---------------------------------------------------------------------------------------------

fn snapshot_tree() -> TestEnv {
    let env = TestEnv::new();
    Tokens::new(2024).plant(&env);
    env
}

#[test]
fn snapshot_human_report() {
    let env = snapshot_tree();
    let r = run(&env, &["scan", "--color", "never", "-j", "1"]);
    assert_eq!(r.code, 1);
    let re = regex::Regex::new(r"in \d+\.\d\d s").unwrap();
    let normalized = re.replace_all(&r.stdout, "in [duration] s");
    insta::assert_snapshot!("human_report", normalized.to_string());
}

#[test]
fn snapshot_json_report() {
    let env = snapshot_tree();
    let (r, mut v) = scan_json(&env, &["-j", "1"]);
    assert_eq!(r.code, 1);
    assert!(v["stats"]["duration_ms"].is_u64());
    v["stats"]["duration_ms"] = Value::from(0);
    v["tool"]["version"] = Value::from("[version]");
    insta::assert_snapshot!("json_report", serde_json::to_string_pretty(&v).unwrap());
}

// ---------------------------------------------------------------------------------------------
// `upsweep rules list` and `upsweep rules check`
// ---------------------------------------------------------------------------------------------

const CUSTOM_RULE: &str = r#"
[[rule]]
id = "acme.cache-password"
name = "ACME cache password"
kind = "redis-password"
description = "The password of ACME's Upstash cache, under the in-house name acme_cache_secret."
pattern = '''acme_cache_secret\s*=\s*"(?P<secret>[0-9a-f]{32})"'''
decoder = "hex32"
references = ["https://example.com/acme/cache"]
examples = ['acme_cache_secret = "5f0c2b9e8d7a41c3b6e2f1a09d8c7b6a"']
negative_examples = ['acme_cache_secret = "not a password"']
"#;

#[test]
fn rules_list_shows_every_shipped_rule_and_user_rules() {
    let env = TestEnv::new();
    let r = run(&env, &["rules", "list", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rules = r.json();
    let rules = rules.as_array().unwrap();
    for rule in rules {
        let kind = rule["kind"].as_str().unwrap();
        assert!(upsweep::finding::Kind::parse(kind).is_some(), "{kind}");
        assert!(rule["examples"].as_u64() > Some(0), "{rule}");
        assert!(rule["source"].as_str().unwrap().starts_with("rules/"));
    }
    let decoders: BTreeSet<&str> = rules
        .iter()
        .map(|r| r["decoder"].as_str().unwrap())
        .collect();
    for d in [
        "redis-rest-token",
        "vector-token",
        "qstash-token",
        "qstash-signing-key",
        "redis-url",
        "hex32",
        "uuid-v4",
    ] {
        assert!(decoders.contains(d), "no rule uses the {d} decoder");
    }
    let human = run(&env, &["rules", "list"]);
    assert_eq!(human.code, 0);
    for rule in rules {
        assert!(human.stdout.contains(rule["id"].as_str().unwrap()));
    }
    assert!(human
        .stdout
        .trim_end()
        .ends_with(&format!("{} rules", rules.len())));

    env.write("my-rules/acme.toml", CUSTOM_RULE);
    let r = run(&env, &["rules", "list", "--rules", "my-rules"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("acme.cache-password  [redis-password]"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("my-rules/acme.toml"), "{}", r.stdout);
}

#[test]
fn rules_check_passes_the_shipped_rules_and_a_valid_user_directory() {
    let env = TestEnv::new();
    let r = run(&env, &["rules", "check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("shipped rules:"), "{}", r.stdout);
    assert!(r.stdout.contains("all checks pass"), "{}", r.stdout);

    env.write("my-rules/acme.toml", CUSTOM_RULE);
    let r = run(&env, &["rules", "check", "my-rules"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("my-rules: 1 "), "{}", r.stdout);
    assert!(r.stdout.contains("all checks pass"), "{}", r.stdout);
}

#[test]
fn scan_with_user_rules_finds_the_custom_rule_example() {
    let env = TestEnv::new();
    env.write("my-rules/acme.toml", CUSTOM_RULE);
    env.write(
        "app/settings.py",
        "DEBUG = False\nacme_cache_secret = \"5f0c2b9e8d7a41c3b6e2f1a09d8c7b6a\"\n",
    );
    let (r, v) = scan_json(&env, &["app"]);
    assert_eq!(
        r.code, 0,
        "without the rule, nothing says this is a credential"
    );
    assert_eq!(findings(&v).len(), 0);
    let (r, v) = scan_json(&env, &["--rules", "my-rules", "app"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = &findings(&v)[0];
    assert_eq!(f["rule_id"], "acme.cache-password");
    assert_eq!(f["kind"], "redis-password");
    assert_eq!(
        f["secret_sha256"],
        sha256_hex("5f0c2b9e8d7a41c3b6e2f1a09d8c7b6a").as_str()
    );
    assert_eq!(places(&v), [("app/settings.py".to_string(), 2, 22)].into());
}

/// Lint a one-file rule directory; return (exit code, stderr).
fn check_rules(env: &TestEnv, dir: &str, toml: &str) -> (i32, String) {
    env.write(&format!("{dir}/rules.toml"), toml);
    let r = run(env, &["rules", "check", dir]);
    assert_eq!(r.stdout, "", "problems go to stderr");
    (r.code, r.stderr)
}

#[test]
fn rules_check_reports_a_duplicate_id() {
    let env = TestEnv::new();
    let twice = format!("{CUSTOM_RULE}\n{CUSTOM_RULE}");
    let (code, err) = check_rules(&env, "dup", &twice);
    assert_eq!(code, 1);
    assert!(
        err.contains("acme.cache-password (dup/rules.toml): id is already used in dup/rules.toml"),
        "{err}"
    );
    // Clashing with a shipped rule's id is a duplicate too.
    let clash = CUSTOM_RULE.replace("acme.cache-password", "upstash.redis.rest-token");
    let (code, err) = check_rules(&env, "clash", &clash);
    assert_eq!(code, 1);
    assert!(err.contains("upstash.redis.rest-token"), "{err}");
    assert!(err.contains("id is already used in"), "{err}");
    assert!(
        err.contains("clash/rules.toml"),
        "names the user's file: {err}"
    );
    assert!(err.contains("1 problem"), "{err}");
}

#[test]
fn rules_check_reports_a_pattern_that_does_not_compile() {
    let env = TestEnv::new();
    let bad = CUSTOM_RULE.replace(
        r#"acme_cache_secret\s*=\s*"(?P<secret>[0-9a-f]{32})""#,
        r#"acme_cache_secret = "(?P<secret>[0-9a-f]{32}""#,
    );
    assert_ne!(bad, CUSTOM_RULE);
    let (code, err) = check_rules(&env, "bad", &bad);
    assert_eq!(code, 1);
    assert!(err.contains("acme.cache-password"), "{err}");
    assert!(err.contains("bad/rules.toml"), "names the file: {err}");
    assert!(err.contains("pattern does not compile"), "{err}");
    // The same directory given to a scan stops it before it starts, naming the rule.
    let r = run(&env, &["scan", "--rules", "bad", "."]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("pattern does not compile"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn rules_check_reports_an_example_not_found() {
    let env = TestEnv::new();
    let bad = CUSTOM_RULE.replace(
        r#"examples = ['acme_cache_secret = "5f0c2b9e8d7a41c3b6e2f1a09d8c7b6a"']"#,
        r#"examples = ['acme_cache_secret: 5f0c2b9e8d7a41c3b6e2f1a09d8c7b6a']"#,
    );
    assert_ne!(bad, CUSTOM_RULE);
    let (code, err) = check_rules(&env, "nofind", &bad);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "acme.cache-password (nofind/rules.toml): example not found: acme_cache_secret: 5f0c"
        ),
        "{err}"
    );
}

#[test]
fn rules_check_reports_a_negative_example_found() {
    let env = TestEnv::new();
    let bad = CUSTOM_RULE.replace(
        r#"negative_examples = ['acme_cache_secret = "not a password"']"#,
        r#"negative_examples = ['acme_cache_secret = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"']"#,
    );
    assert_ne!(bad, CUSTOM_RULE);
    let (code, err) = check_rules(&env, "neg", &bad);
    assert_eq!(code, 1);
    assert!(
        err.contains("acme.cache-password (neg/rules.toml): negative example found by acme.cache-password as redis-password"),
        "{err}"
    );
}

#[test]
fn rules_check_and_scan_name_a_rule_directory_that_cannot_be_used() {
    let env = TestEnv::new();
    let r = run(&env, &["rules", "check", "nowhere"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot read rule directory nowhere"),
        "{}",
        r.stderr
    );
    env.write("broken/x.toml", "[[rule]]\nid = \"x\"\nthis is not toml");
    let r = run(&env, &["scan", "--rules", "broken", "."]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("broken/x.toml"), "{}", r.stderr);
    std::fs::create_dir(env.path().join("hollow")).unwrap();
    let r = run(&env, &["scan", "--rules", "hollow", "."]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("rule directory hollow holds no .toml files"),
        "{}",
        r.stderr
    );
}
