//! What a new user meets first (issue 14): summaries whose every number names its reason,
//! `--range` with three dots, baselines that are not overwritten by accident and prune that
//! says why it keeps an entry, `-o FILE` keeping the summary on stderr, and messages that say
//! what to do instead.

use crate::cli::run;
use crate::common::{commit, findings, repo, rest_token as token, Fake, Run, TestEnv};
use crate::emulator::fixtures::OPS;
use crate::emulator::{Emulator, World};

// ---------------------------------------------------------------------------------------------
// Summaries

/// Someone else's live and dead databases leaked beside the files of `OPS`, whose account
/// (one personal key) may also be in a team no configured key covers.
fn strangers(seed: u64, in_a_team: bool) -> (TestEnv, Emulator, String) {
    let mut w = World::new(seed);
    let me = w.user(OPS);
    let key = w.api_key(OPS, &me, false);
    if in_a_team {
        w.team("platform", &[OPS]);
    }
    let other = w.user("someone@else.example");
    let alive = w.database(&other, "alive", "eu-west-1");
    let dead = w.database(&other, "dead", "eu-west-1");
    let emu = Emulator::start(w);
    let (da, dd) = {
        let mut w = emu.world();
        let dead_token = w.databases[dead].rest_token.clone();
        w.reset_database(dead);
        let mut dd = w.databases[dead].clone();
        dd.rest_token = dead_token;
        (w.databases[alive].clone(), dd)
    };
    let env = TestEnv::new();
    for (name, d) in [("alive.env", &da), ("dead.env", &dd)] {
        env.write(
            name,
            format!(
                "UPSTASH_REDIS_REST_URL=https://{}\nUPSTASH_REDIS_REST_TOKEN={}\n",
                d.host, d.rest_token
            ),
        );
    }
    (env, emu, key)
}

/// `scan --live` as `OPS`; the summary at the top of the report.
fn top_summary(env: &TestEnv, emu: &Emulator, key: &str) -> (Run, Vec<String>) {
    let r: Run = env
        .cmd()
        .args(["scan", "--live"])
        .env("UPSTASH_EMAIL", OPS)
        .env("UPSTASH_API_KEY", key)
        .env("UPSWEEP_TEST_UPSTASH_ADDR", emu.addr.to_string())
        .env_remove("UPSTASH_API_URL")
        .output()
        .expect("run upsweep")
        .into();
    let top = r
        .stdout
        .lines()
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    (r, top)
}

#[test]
fn the_account_summary_names_each_reason_and_what_live_found() {
    let (env, emu, key) = strangers(140, false);
    let (r, top) = top_summary(&env, &emu, &key);
    assert_eq!(r.code, 1, "no error, credentials found: {}", r.stderr);
    assert_eq!(
        top,
        ["2 leaked credentials are not your account's; 1 of these still works, 1 no longer works."],
        "{}",
        r.stdout
    );
    // Nothing failed, but a team no key covers may hold them: that is the reason given, not
    // an incomplete inventory and errors that are not there.
    let (env, emu, key) = strangers(141, true);
    let (r, top) = top_summary(&env, &emu, &key);
    assert_eq!(r.code, 1, "no error: {}", r.stderr);
    assert!(!r.stderr.contains("error"), "{}", r.stderr);
    assert_eq!(top.len(), 1, "{}", r.stdout);
    assert!(
        top[0].starts_with(
            "2 leaked credentials could not be checked: not in what the configured key(s) see, \
             but the user also belongs to team(s) 'platform' that no configured API key covers"
        ) && top[0].ends_with("; 1 of these still works, 1 no longer works."),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("see the errors"), "{}", r.stdout);
}

// ---------------------------------------------------------------------------------------------
// Ranges

#[test]
fn a_three_dot_range_scans_what_the_branch_adds_since_the_merge_base() {
    let env = repo();
    env.write("a.txt", "a\n");
    commit(&env, "base");
    env.git(&["checkout", "-q", "-b", "feature"]);
    let on_feature = token(141);
    env.write("f.env", format!("UPSTASH_REDIS_REST_TOKEN={on_feature}\n"));
    commit(&env, "feature adds a token");
    env.git(&["checkout", "-q", "main"]);
    env.write(
        "main.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(142)),
    );
    commit(&env, "main moves on with a token of its own");
    let r = run(
        &env,
        &["git", "--range", "main...feature", "--format", "json"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    let found: Vec<&str> = findings(&v)
        .iter()
        .map(|f| f["locations"][0]["path"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["f.env"], "only the branch's own change: {v}");
    // The other way round: what main adds since the branch point.
    let r = run(
        &env,
        &["git", "--range", "feature...main", "--format", "json"],
    );
    let v = r.json();
    assert_eq!(findings(&v).len(), 1);
    assert_eq!(findings(&v)[0]["locations"][0]["path"], "main.env");
    // A side left out is HEAD (main here), as in git.
    let r = run(&env, &["git", "--range", "...feature", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(findings(&r.json())[0]["locations"][0]["path"], "f.env");
    // Unrelated histories have no merge base: said so.
    env.git(&["checkout", "-q", "--orphan", "lonely"]);
    env.git(&["rm", "-rfq", "."]);
    env.write("l.txt", "l\n");
    commit(&env, "unrelated");
    let r = run(&env, &["git", "--range", "main...lonely"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no common ancestor"), "{}", r.stderr);
    let r = run(&env, &["git", "--range", "main"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("BASE...HEAD"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// Baselines

#[test]
fn baseline_create_does_not_overwrite_without_force() {
    let env = TestEnv::new();
    env.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(143)),
    );
    assert_eq!(run(&env, &["baseline", "create", "-o", "b.json"]).code, 0);
    let before = std::fs::read_to_string(env.path().join("b.json")).unwrap();
    env.write(
        "c.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(144)),
    );
    let r = run(&env, &["baseline", "create", "-o", "b.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("b.json already exists: pass --force"),
        "{}",
        r.stderr
    );
    let after = std::fs::read_to_string(env.path().join("b.json")).unwrap();
    assert_eq!(before, after, "the file was changed");
    let r = run(&env, &["baseline", "create", "-o", "b.json", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("wrote 2 secrets"), "{}", r.stdout);
}

#[test]
fn prune_tells_gone_secrets_from_ones_the_configuration_hides() {
    let env = repo();
    let (gone, vendored, kept) = (token(145), token(146), token(147));
    env.write("app/.env", format!("UPSTASH_REDIS_REST_TOKEN={gone}\n"));
    env.write(
        "vendor/x.env",
        format!("UPSTASH_REDIS_REST_TOKEN={vendored}\n"),
    );
    env.write("src/.env", format!("UPSTASH_REDIS_REST_TOKEN={kept}\n"));
    env.write(
        "q.env",
        format!("QSTASH_TOKEN={}\n", Fake::new(148).qstash_token()),
    );
    assert_eq!(run(&env, &["baseline", "create", "-o", "b.json"]).code, 0);
    std::fs::remove_file(env.path().join("app/.env")).unwrap();
    env.write(
        ".upsweep.toml",
        "skip-paths = [\"vendor/\"]\ndisable-rules = [\"upstash.qstash.token\"]\n",
    );
    let r = run(&env, &["baseline", "prune", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("dropped 1 of 4 secrets no longer found"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("kept 2 secrets the configuration keeps the scan from seeing"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("vendor/x.env is under skip-paths"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("every rule that finds qstash-token is disabled"),
        "{}",
        r.stdout
    );
    let text = std::fs::read_to_string(env.path().join("b.json")).unwrap();
    assert_eq!(text.matches("\"sha256\"").count(), 3, "{text}");
    assert!(text.contains("vendor/x.env") && !text.contains("app/.env"));
}

#[test]
fn with_every_finding_baselined_the_summary_says_none_are_new() {
    let env = TestEnv::new();
    env.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(149)),
    );
    env.write(
        "b.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(150)),
    );
    assert_eq!(run(&env, &["baseline", "create", "-o", "b.json"]).code, 0);
    let r = run(&env, &["scan", "--baseline", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let last = r.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("no new Upstash credentials (2 baselined); scanned 3 files"),
        "{last}"
    );
    assert!(!last.contains("in the baseline"), "said twice: {last}");
}

// ---------------------------------------------------------------------------------------------
// Output

#[test]
fn a_report_written_to_a_file_keeps_the_summary_on_stderr_unless_quiet() {
    let env = TestEnv::new();
    env.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(151)),
    );
    for format in ["human", "json", "sarif"] {
        let r = run(&env, &["scan", "--format", format, "-o", "report.out"]);
        assert_eq!(r.code, 1);
        assert_eq!(r.stdout, "");
        assert!(
            r.stderr
                .contains("upsweep: 1 leaked credential in 1 place (1 file); scanned ")
                && r.stderr.contains("(report written to report.out)"),
            "{format}: {}",
            r.stderr
        );
    }
    let r = run(&env, &["scan", "-q", "-o", "report.out"]);
    assert_eq!((r.code, r.stderr.as_str()), (1, ""));
}

// ---------------------------------------------------------------------------------------------
// Messages that say what to do instead

#[test]
fn git_on_a_plain_directory_suggests_scan() {
    let env = TestEnv::new();
    env.write("dir/a.txt", "a\n");
    let r = run(&env, &["git", "dir"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("dir is not a git repository"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("run `upsweep scan dir`"), "{}", r.stderr);
}

#[test]
fn a_scan_report_given_as_a_baseline_says_how_to_make_one() {
    let env = TestEnv::new();
    env.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(152)),
    );
    run(&env, &["scan", "--format", "json", "-o", "report.json"]);
    run(&env, &["scan", "--format", "jsonl", "-o", "report.jsonl"]);
    for report in ["report.json", "report.jsonl"] {
        let r = run(&env, &["scan", "--baseline", report]);
        assert_eq!(r.code, 2);
        assert!(
            r.stderr.contains(&format!(
                "{report} is an upsweep scan report, not a baseline: make a baseline from it with `upsweep baseline create --from {report} -o BASELINE`"
            )),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn revoke_names_a_file_that_is_not_a_report() {
    let env = TestEnv::new();
    env.write("garbage.txt", "this is not\na report\n");
    let r: Run = env
        .cmd()
        .args(["revoke", "--report", "garbage.txt"])
        .env("UPSTASH_EMAIL", OPS)
        .env("UPSTASH_API_KEY", "00000000-0000-4000-8000-000000000000")
        .env("UPSWEEP_TEST_UPSTASH_ADDR", "127.0.0.1:9")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("garbage.txt: not an upsweep JSON report (it is not JSON)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("the answer"), "{}", r.stderr);
}

#[test]
fn config_check_outside_a_repository_does_not_speak_of_a_repository_root() {
    let env = TestEnv::new();
    let r = run(&env, &["config", "check"]);
    assert_eq!(r.code, 2);
    assert!(!r.stderr.contains("repository root"), "{}", r.stderr);
    assert!(
        r.stderr.contains("not inside a git repository"),
        "{}",
        r.stderr
    );
    let env = repo();
    let r = run(&env, &["config", "check"]);
    assert!(r.stderr.contains("at the repository root"), "{}", r.stderr);
}

#[test]
fn the_variable_column_never_shows_a_host() {
    let env = TestEnv::new();
    let mut f = Fake::new(153);
    let n = f.database_number();
    let host = f.redis_host(n);
    let t = f.redis_token(n, false, false);
    env.write("connect.py", format!("r = redis.connect({host}, {t})\n"));
    env.write("hosts.json", format!("{{\"{host}\": \"{t}\"}}\n"));
    let r = run(&env, &["scan", "--format", "json"]);
    let v = r.json();
    let locations = findings(&v)[0]["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 2, "{v}");
    for l in locations {
        assert!(l.get("variable").is_none(), "{l}");
        assert_eq!(l["host"], host.as_str());
    }
}

// ---------------------------------------------------------------------------------------------
// Inline allow on the line before

#[test]
fn allow_next_line_sets_aside_a_value_in_json() {
    let env = TestEnv::new();
    let (allowed, reported) = (token(154), token(155));
    env.write(
        "fixtures/config.json",
        format!(
            "{{\n  \"//\": \"upsweep:allow-next-line test fixture, never deployed\",\n  \"UPSTASH_REDIS_REST_TOKEN\": \"{allowed}\",\n  \"OTHER_REDIS_TOKEN\": \"{reported}\"\n}}\n"
        ),
    );
    let r = run(&env, &["scan", "--format", "json", "--verbose"]);
    let v = r.json();
    assert_eq!(findings(&v).len(), 1, "{v}");
    assert_eq!(findings(&v)[0]["locations"][0]["line"], 4);
    assert_eq!(v["stats"]["suppressed_inline"], 1);
    let r = run(&env, &["scan", "--verbose"]);
    assert!(
        r.stdout.contains("fixtures/config.json:3:32")
            && r.stdout.contains("(test fixture, never deployed)"),
        "{}",
        r.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// config check

#[test]
fn config_check_reports_five_mistakes_as_five_problems_in_one_run() {
    let env = TestEnv::new();
    env.write(
        ".upsweep.toml",
        "skip-paths = [\"vendor/\" \"*.lock\"]\nmax-file-size = \"lots\"\nfail-on = owned\nbaseline = \"missing.json\"\n[[allow]]\nsha256 = \"abc\"\nreason = \"demo\"\ncolour = \"red\"\n",
    );
    let r = run(&env, &["config", "check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 7, "{}", r.stderr);
    for (line, key) in [
        (1, "skip-paths"),
        (2, "max-file-size"),
        (3, "fail-on"),
        (6, "allow[1].sha256"),
        (8, "allow[1].colour"),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!(".upsweep.toml:{line}:"))
                    && l.contains(&format!("key `{key}`"))),
            "no problem at line {line} ({key}):\n{}",
            r.stderr
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("key `baseline`")),
        "{}",
        r.stderr
    );
    assert!(
        lines[6].ends_with(".upsweep.toml: 6 problems"),
        "{}",
        lines[6]
    );
}

// ---------------------------------------------------------------------------------------------
// Waits and progress on a terminal

/// A server that accepts connections and never answers, until dropped.
struct Silent {
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Silent {
    fn start() -> Silent {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                if let Ok((c, _)) = listener.accept() {
                    held.push(c);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        });
        Silent { addr, stop }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Start `args` under a pseudo-terminal (util-linux `script`); `None` when it is missing.
fn on_terminal(
    env: &TestEnv,
    args: &str,
    vars: &[(&str, String)],
) -> Option<(
    std::process::Child,
    std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
)> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let probe = Command::new("script").arg("--version").output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: util-linux `script` is not installed");
        return None;
    }
    let line = format!("{} {args}", env!("CARGO_BIN_EXE_upsweep"));
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(env.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn script");
    let mut out = child.stdout.take().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    Some((child, seen))
}

fn text(seen: &std::sync::Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&seen.lock().unwrap()).into_owned()
}

#[test]
fn on_a_terminal_the_account_wait_is_named_and_ctrl_c_clears_it() {
    use std::io::Write;
    let silent = Silent::start();
    let env = TestEnv::new();
    env.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(156)),
    );
    let vars = [
        ("UPSTASH_EMAIL", OPS.to_string()),
        (
            "UPSTASH_API_KEY",
            "00000000-0000-4000-8000-000000000000".to_string(),
        ),
        ("UPSWEEP_TEST_UPSTASH_ADDR", silent.addr.to_string()),
    ];
    let Some((mut child, seen)) = on_terminal(&env, "scan --account", &vars) else {
        return;
    };
    let waiting = "checking your Upstash account: listing its credentials to match 1 finding";
    let started = std::time::Instant::now();
    while !text(&seen).contains(waiting) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "nothing says what is waited for:\n{:?}",
            text(&seen)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Ctrl-C, typed at the terminal.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    let status = crate::cli::wait_within(&mut child, std::time::Duration::from_secs(60));
    drop(stdin);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = text(&seen);
    assert_eq!(status.code(), Some(130), "{out:?}");
    let at = out
        .rfind("upsweep: interrupted")
        .expect("an interrupted line");
    let last_draw = out.rfind(waiting).unwrap();
    let clear = "\x1b[2K";
    assert!(
        out[last_draw..at].contains(clear),
        "the spinner was not cleared before the interrupted line: {out:?}"
    );
    assert!(!out[at..].contains(waiting), "drawn again after: {out:?}");
}

#[test]
fn off_a_terminal_an_unreachable_api_ends_with_the_failure_and_nothing_animated() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let env = TestEnv::new();
    env.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(157)),
    );
    let r: Run = env
        .cmd()
        .args(["scan", "--account"])
        .env("UPSTASH_EMAIL", OPS)
        .env("UPSTASH_API_KEY", "00000000-0000-4000-8000-000000000000")
        .env("UPSWEEP_TEST_UPSTASH_ADDR", closed.to_string())
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 2);
    assert!(
        !r.stderr.contains('\r') && !r.stderr.contains('\x1b'),
        "{:?}",
        r.stderr
    );
    let last = r.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("upsweep: the account check failed (")
            && last.contains("connection")
            && last.ends_with(": 1 leaked credential could not be checked against your account"),
        "{}",
        r.stderr
    );
    // Every input was read: the summary blames the account check, not the files.
    assert!(!r.stdout.contains("could not be read"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("; the account check failed (1 part of the inventory)"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_history_bar_counts_blobs_and_sizes_in_the_summary_s_units() {
    let env = repo();
    for i in 0..1100 {
        env.write(&format!("d{}/f{i}.txt", i % 10), format!("file {i}\n"));
    }
    commit(&env, "many files");
    let Some((mut child, seen)) = on_terminal(&env, "git", &[]) else {
        return;
    };
    let status = crate::cli::wait_within(&mut child, std::time::Duration::from_secs(120));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = text(&seen);
    assert_eq!(status.code(), Some(0), "{out:?}");
    assert!(out.contains("/1,100 blobs ["), "{out:?}");
    assert!(out.contains(" B read"), "sizes with their unit: {out:?}");
    assert!(!out.contains("KiB") && !out.contains("MiB"), "{out:?}");
    assert!(out.contains("scanned 1,100 blobs"), "{out:?}");
}

#[test]
fn a_place_allowed_by_path_and_line_in_the_config_file() {
    let env = repo();
    let (allowed, reported) = (token(158), token(159));
    env.write(
        "data/config.json",
        format!("{{\n  \"a\": 1,\n  \"UPSTASH_REDIS_REST_TOKEN\": \"{allowed}\",\n  \"OTHER_REDIS_TOKEN\": \"{reported}\"\n}}\n"),
    );
    // The same value elsewhere is still reported: the entry allows a place, not a secret.
    env.write("other.env", format!("UPSTASH_REDIS_REST_TOKEN={allowed}\n"));
    env.write(
        ".upsweep.toml",
        "[[allow]]\npath = \"data/config.json\"\nline = 3\nreason = \"fixture, never deployed\"\n",
    );
    let check = run(&env, &["config", "check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stdout.contains("1 allowed place"), "{}", check.stdout);
    commit(&env, "fixtures");
    for cmd in ["scan", "git"] {
        let r = run(&env, &[cmd, "--format", "json"]);
        let v = r.json();
        let places: Vec<(String, u64)> = findings(&v)
            .iter()
            .flat_map(|f| f["locations"].as_array().unwrap())
            .map(|l| {
                (
                    l["path"].as_str().unwrap().to_string(),
                    l["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(places.len(), 2, "{cmd}: {v}");
        assert!(
            places.contains(&("data/config.json".into(), 4)),
            "{cmd}: {places:?}"
        );
        assert!(
            places.contains(&("other.env".into(), 1)),
            "{cmd}: {places:?}"
        );
        assert_eq!(v["stats"]["suppressed_allowed_places"], 1, "{cmd}");
    }
    let r = run(&env, &["scan", "--verbose"]);
    assert!(
        r.stdout
            .contains("its place is allowed in the config file (fixture, never deployed)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("1 place allowed by path and line in the config file"),
        "{}",
        r.stdout
    );
}

#[test]
fn revoke_with_the_api_unreachable_ends_with_the_failure_and_what_is_not_planned() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let env = TestEnv::new();
    env.write(
        "a.env",
        format!(
            "UPSTASH_REDIS_REST_TOKEN={}\nOTHER_REDIS_TOKEN={}\n",
            token(160),
            token(161)
        ),
    );
    // `upsweep revoke ARGS` with an account whose API is not there.
    let revoke = |args: &[&str]| -> Run {
        env.cmd()
            .arg("revoke")
            .args(args)
            .env("UPSTASH_EMAIL", OPS)
            .env("UPSTASH_API_KEY", "00000000-0000-4000-8000-000000000000")
            .env("UPSWEEP_TEST_UPSTASH_ADDR", closed.to_string())
            .output()
            .unwrap()
            .into()
    };
    for json in [false, true] {
        let r = revoke(if json {
            &["--format", "json", "."]
        } else {
            &["."]
        });
        assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
        let last = r.stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("upsweep: the account check failed (whole inventory: connection")
                && last.ends_with(
                    ": 2 leaked credentials could not be checked against your account, so they \
                     are not in this plan"
                ),
            "json {json}: {}",
            r.stderr
        );
        if !json {
            assert!(!r.stdout.contains("Nothing to rotate."), "{}", r.stdout);
            assert!(
                r.stdout.trim_end().ends_with(
                    "Nothing to rotate yet: the account check could not tell whether 2 leaked \
                     credentials are the account's (above)."
                ),
                "{}",
                r.stdout
            );
        }
    }
    // --check-api-key too: a key that could not be tried is named in the last line.
    env.write(
        "b.env",
        format!("UPSTASH_API_KEY={}\n", Fake::new(162).api_key()),
    );
    let r = revoke(&["--check-api-key", "b.env"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let last = r.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("upsweep: the account check failed (whole inventory: connection")
            && last.ends_with(": 1 leaked credential could not be checked against your account"),
        "{}",
        r.stderr
    );
}
