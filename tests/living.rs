//! Living with findings: `.upsweep.toml` (skip-paths, disabled rules, allowed hashes, fail-on,
//! and the problems `config check` names), inline `upsweep:allow` markers, baselines (create,
//! match, prune; hashes only), `--format github` annotations, and the shipped GitHub action and
//! workflow.

use crate::cli::{run, scan_json, sha256_hex};
use crate::common::{commit, findings, repo, rest_token as token, Fake, Run, TestEnv};
use serde_json::Value;
use std::collections::BTreeSet;
use yaml_rust2::{Yaml, YamlLoader};

/// The hashes of a report's findings.
fn hashes(report: &Value) -> BTreeSet<String> {
    findings(report)
        .iter()
        .map(|f| f["secret_sha256"].as_str().unwrap().to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| sha256_hex(s)).collect()
}

fn read_baseline(env: &TestEnv, name: &str) -> (String, Value) {
    let text = std::fs::read_to_string(env.path().join(name)).expect("baseline written");
    let v: Value = serde_json::from_str(&text).expect("baseline is JSON");
    (text, v)
}

fn baseline_hashes(v: &Value) -> BTreeSet<String> {
    v["secrets"]
        .as_array()
        .expect("secrets array")
        .iter()
        .map(|e| e["sha256"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------------------------

#[test]
fn the_baseline_survives_moves_and_reformatting() {
    let env = repo();
    let (a, b) = (token(101), token(102));
    env.write(".env", format!("# app\nUPSTASH_REDIS_REST_TOKEN={a}\n"));
    env.write(
        "config/app.json",
        format!("{{\n  \"cacheToken\": \"{b}\"\n}}\n"),
    );
    let r = run(&env, &["baseline", "create", "-o", "baseline.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("wrote 2 secrets"), "{}", r.stdout);

    // Both secrets move: another file, another line, another syntax, other indentation.
    std::fs::remove_file(env.path().join(".env")).unwrap();
    env.write(
        "deploy/values.yaml",
        format!("redis:\n\n    # moved here\n    token: \"{a}\"\n"),
    );
    env.write(
        "config/app.json",
        format!("{{\"name\": \"x\", \"other\": 1,\n\n\n      \"cacheToken\":\"{b}\"}}\n"),
    );
    let (r, v) = scan_json(&env, &["--baseline", "baseline.json"]);
    assert_eq!(r.code, 0, "moved secrets are not new: {}", r.stdout);
    assert!(findings(&v).is_empty());
    assert_eq!(v["stats"]["suppressed_baseline"], 2);

    // The same in history: a baseline made from it holds across a later commit that moves them.
    commit(&env, "moved");
    let r = run(&env, &["baseline", "create", "--git", "-o", "history.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (_, h) = read_baseline(&env, "history.json");
    assert_eq!(baseline_hashes(&h), set(&[&a, &b]));
    assert!(h["secrets"][0]["first_seen"]["commit"].is_string());
    env.write("elsewhere/.env.local", format!("KV_REST_API_TOKEN={a}\n"));
    commit(&env, "copied");
    let r = run(
        &env,
        &["git", "--format", "json", "--baseline", "history.json"],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["stats"]["suppressed_baseline"], 2);
}

#[test]
fn a_new_secret_on_a_baselined_line_is_reported() {
    let env = repo();
    let (old, new) = (token(111), token(112));
    env.write(".env", format!("A=1\nUPSTASH_REDIS_REST_TOKEN={old}\n"));
    assert_eq!(run(&env, &["baseline", "create", "-o", "b.json"]).code, 0);
    // The baselined line now holds another secret.
    env.write(".env", format!("A=1\nUPSTASH_REDIS_REST_TOKEN={new}\n"));
    let (r, v) = scan_json(&env, &["--baseline", "b.json"]);
    assert_eq!(r.code, 1);
    assert_eq!(hashes(&v), set(&[&new]));
    assert_eq!(v["locations"].get(0), None);
    assert_eq!(findings(&v)[0]["locations"][0]["line"], 2);
    // Both on one line: only the new one is reported.
    env.write(".env", format!("A=1\nTOKENS={old},{new}\n"));
    let (r, v) = scan_json(&env, &["--baseline", "b.json"]);
    assert_eq!(r.code, 1);
    assert_eq!(hashes(&v), set(&[&new]));
    assert_eq!(v["stats"]["suppressed_baseline"], 1);
    // Without the baseline both are.
    let (_, v) = scan_json(&env, &[]);
    assert_eq!(hashes(&v), set(&[&old, &new]));
}

#[test]
fn prune_removes_exactly_the_stale_entries() {
    let env = repo();
    let (a, b, c) = (token(121), token(122), token(123));
    env.write("a.env", format!("UPSTASH_REDIS_REST_TOKEN={a}\n"));
    env.write("b.env", format!("UPSTASH_REDIS_REST_TOKEN={b}\n"));
    env.write("c.env", format!("UPSTASH_REDIS_REST_TOKEN={c}\n"));
    commit(&env, "three");
    let r = run(
        &env,
        &["baseline", "create", "-o", "b.json", "--note", "OPS-7"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (_, v) = read_baseline(&env, "b.json");
    assert_eq!(baseline_hashes(&v), set(&[&a, &b, &c]));
    assert!(v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["note"] == "OPS-7"));

    std::fs::remove_file(env.path().join("b.env")).unwrap();
    // A dry run names the stale entry and changes nothing.
    let r = run(&env, &["baseline", "prune", "b.json", "--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("would drop 1 of 3"), "{}", r.stdout);
    assert!(r.stdout.contains(&sha256_hex(&b)), "{}", r.stdout);
    assert_eq!(baseline_hashes(&read_baseline(&env, "b.json").1).len(), 3);

    // History still holds the deleted secret: a history prune keeps it.
    let r = run(&env, &["baseline", "prune", "b.json", "--git"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("dropped 0 of 3"), "{}", r.stdout);

    let r = run(&env, &["baseline", "prune", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("dropped 1 of 3"), "{}", r.stdout);
    let (_, v) = read_baseline(&env, "b.json");
    assert_eq!(
        baseline_hashes(&v),
        set(&[&a, &c]),
        "exactly the stale entry goes"
    );
    assert!(
        v["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["note"] == "OPS-7"),
        "notes are kept"
    );
    // A secret kept only by an inline marker is still there: not stale.
    env.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={a} # upsweep:allow fixture\n"),
    );
    let r = run(&env, &["baseline", "prune", "b.json"]);
    assert!(r.stdout.contains("dropped 0 of 2"), "{}", r.stdout);
}

#[test]
fn prune_refuses_when_part_of_the_input_cannot_be_read() {
    let env = TestEnv::new();
    let a = token(125);
    env.write("a.env", format!("UPSTASH_REDIS_REST_TOKEN={a}\n"));
    assert_eq!(run(&env, &["baseline", "create", "-o", "b.json"]).code, 0);
    let before = read_baseline(&env, "b.json").0;
    let r = run(&env, &["baseline", "prune", "b.json", "missing-dir"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not pruning"), "{}", r.stderr);
    assert_eq!(read_baseline(&env, "b.json").0, before);
}

#[test]
fn the_baseline_file_contains_no_secret() {
    let env = TestEnv::new();
    let t = crate::cli::Tokens::new(130);
    t.plant(&env);
    let r = run(&env, &["baseline", "create", ".", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (text, v) = read_baseline(&env, "b.json");
    assert_eq!(v["version"], 1);
    assert!(v["secrets"].as_array().unwrap().len() >= 6);
    for s in t.all_secrets() {
        assert!(!text.contains(s), "the baseline holds a secret");
    }
    for e in v["secrets"].as_array().unwrap() {
        let keys: BTreeSet<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(
            keys.is_subset(&["kind", "sha256", "first_seen", "note"].into()),
            "{keys:?}"
        );
        assert!(upsweep::finding::Kind::parse(e["kind"].as_str().unwrap()).is_some());
        assert_eq!(e["sha256"].as_str().unwrap().len(), 64);
    }
    // From a report, even one made with --show-secrets: still hashes only.
    let r = run(
        &env,
        &[
            "scan",
            "--format",
            "json",
            "--show-secrets",
            "-o",
            "report.json",
            "src",
            ".env",
            "config",
            "deploy",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = run(
        &env,
        &[
            "baseline",
            "create",
            "--from",
            "report.json",
            "-o",
            "from-report.json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (text2, v2) = read_baseline(&env, "from-report.json");
    for s in t.all_secrets() {
        assert!(
            !text2.contains(s),
            "a baseline from a report holds a secret"
        );
    }
    assert_eq!(baseline_hashes(&v2), baseline_hashes(&v));
}

#[test]
fn a_broken_baseline_is_an_error_not_an_empty_one() {
    let env = TestEnv::new();
    env.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(135)),
    );
    env.write("v9.json", r#"{"version": 9, "secrets": []}"#);
    let r = run(&env, &["scan", "--baseline", "v9.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("v9.json") && r.stderr.contains("version 9"),
        "{}",
        r.stderr
    );
    let r = run(&env, &["scan", "--baseline", "nope.json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope.json"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// .upsweep.toml
// ---------------------------------------------------------------------------------------------

/// `config check FILE` and `scan --config FILE` on a broken file: both name file, line, key.
fn check_problem(text: &str, expect: &[&str]) {
    let env = TestEnv::new();
    env.write("cfg/upsweep.toml", text);
    let r = run(&env, &["config", "check", "cfg/upsweep.toml"]);
    assert_eq!(r.code, 1, "config check: {}", r.stderr);
    for e in expect {
        assert!(
            r.stderr.contains(e),
            "config check should say {e:?}:\n{}",
            r.stderr
        );
    }
    let r = run(&env, &["scan", "--config", "cfg/upsweep.toml"]);
    assert_eq!(r.code, 2, "a scan with a broken config is an error");
    assert!(r.stdout.is_empty());
    for e in expect {
        assert!(r.stderr.contains(e), "scan should say {e:?}:\n{}", r.stderr);
    }
}

const SHA: &str = "50258ea82b69e1294f4ec0724e62a2255e3016f1956f810cb9572903088a55d7";

#[test]
fn a_malformed_config_names_the_file_line_and_key() {
    // An unknown key (a typo), not ignored.
    check_problem(
        "skip-paths = [\"vendor/\"]\nskip-path = [\"x\"]\n",
        &["cfg/upsweep.toml:2:1: key `skip-path`: unknown key `skip-path`"],
    );
    // A value of the wrong type.
    check_problem(
        "# sizes\nmax-file-size = true\n",
        &["cfg/upsweep.toml:2:17: key `max-file-size`: invalid type: boolean"],
    );
    check_problem(
        "disable-rules = \"upstash.redis.password\"\n",
        &["cfg/upsweep.toml:1:17: key `disable-rules`: invalid type: string"],
    );
    // An allow entry without a reason: the entry is named by its position.
    check_problem(
        &format!(
            "[[allow]]\nsha256 = \"{SHA}\"\nreason = \"demo\"\n\n[[allow]]\nsha256 = \"{}\"\n",
            "1".repeat(64)
        ),
        &["cfg/upsweep.toml:5:1: key `allow[2].reason`: missing required key `reason`"],
    );
    // A blank reason is no reason.
    check_problem(
        &format!("[[allow]]\nsha256 = \"{SHA}\"\nreason = \"   \"\n"),
        &["cfg/upsweep.toml:3:10: key `allow[1].reason`: must say why"],
    );
    // A hash that is not a SHA-256 (a secret pasted by mistake, say).
    check_problem(
        "[[allow]]\nsha256 = \"AXW_AAIgcDEwZDk1MWM5NTYwMmY0\"\nreason = \"x\"\n",
        &["cfg/upsweep.toml:2:10: key `allow[1].sha256`: must be a SHA-256: 64 hex digits"],
    );
    // Several validation problems are reported together.
    check_problem(
        "fail-on = \"sometimes\"\n",
        &["cfg/upsweep.toml:1:11: key `fail-on`: unknown variant `sometimes`"],
    );
    check_problem(
        "disable-rules = [\"upstash.no-such-rule\"]\nskip-paths = [\"ok\", \"bad/[\"]\n",
        &[
            "cfg/upsweep.toml:1:18: key `disable-rules[1]`: no rule has the id",
            "cfg/upsweep.toml:2:21: key `skip-paths[2]`: invalid pattern",
        ],
    );
    let env = TestEnv::new();
    env.write(
        "c.toml",
        "max-file-size = \"lots\"\ndisable-rules = [\"x\"]\n",
    );
    let r = run(&env, &["config", "check", "c.toml"]);
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stderr);
    assert!(
        lines[0].starts_with("c.toml:1:17: key `max-file-size`: invalid size"),
        "{}",
        r.stderr
    );
    assert!(
        lines[1].starts_with("c.toml:2:18: key `disable-rules[1]`"),
        "{}",
        r.stderr
    );
    assert_eq!(lines[2], "c.toml: 2 problems");
}

#[test]
fn config_check_accepts_a_good_file_and_finds_it_at_the_repository_root() {
    let env = repo();
    env.write(
        ".upsweep.toml",
        format!(
            "skip-paths = [\"vendor/\"]\nmax-file-size = \"1M\"\nfail-on = \"any\"\n[[allow]]\nsha256 = \"{SHA}\"\nreason = \"docs example\"\n"
        ),
    );
    env.write("sub/dir/x.txt", "x\n");
    let mut cmd = env.cmd();
    cmd.current_dir(env.path().join("sub/dir"))
        .args(["config", "check"]);
    let r: Run = cmd.output().unwrap().into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(".upsweep.toml: ok"), "{}", r.stdout);
    assert!(r.stdout.contains("1 allowed secret"), "{}", r.stdout);
    // A missing file is an error, not a pass.
    let r = run(&env, &["config", "check", "nope.toml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope.toml"), "{}", r.stderr);
}

#[test]
fn skip_paths_and_disabled_rules() {
    let env = repo();
    let (keep, vendor, fixture, deep) = (token(141), token(142), token(143), token(144));
    let qstash = Fake::new(145).qstash_token();
    env.write(
        ".upsweep.toml",
        "skip-paths = [\"vendor/\", \"*.fixture\", \"/docs/*.md\"]\ndisable-rules = [\"upstash.qstash.token\"]\n",
    );
    env.write(
        "keep.env",
        format!("UPSTASH_REDIS_REST_TOKEN={keep}\nQSTASH_TOKEN={qstash}\n"),
    );
    env.write(
        "vendor/lib/x.env",
        format!("UPSTASH_REDIS_REST_TOKEN={vendor}\n"),
    );
    env.write("a.fixture", format!("UPSTASH_REDIS_REST_TOKEN={fixture}\n"));
    env.write(
        "deep/er/b.fixture",
        format!("UPSTASH_REDIS_REST_TOKEN={fixture}\n"),
    );
    env.write(
        "docs/guide.md",
        format!("# guide\nUPSTASH_REDIS_REST_TOKEN={deep}\n"),
    );
    // Anchored: docs/*.md does not reach into a subdirectory.
    env.write(
        "docs/more/deep.md",
        format!("UPSTASH_REDIS_REST_TOKEN={deep}\n"),
    );
    let (r, v) = scan_json(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(hashes(&v), set(&[&keep, &deep]), "{}", r.stdout);
    let deep_paths: Vec<&str> = findings(&v)
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap())
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert!(deep_paths.contains(&"docs/more/deep.md"), "{deep_paths:?}");
    assert!(!deep_paths.contains(&"docs/guide.md"), "{deep_paths:?}");
    assert_eq!(
        v["stats"]["skipped_by_config"], 4,
        "vendor, a.fixture, b.fixture, guide.md"
    );
    // The same from a subdirectory, naming a path: the config is still the root's, and the
    // globs are still relative to the root.
    let mut cmd = env.cmd();
    cmd.current_dir(env.path().join("deep"))
        .args(["scan", "--format", "json", "."]);
    let r: Run = cmd.output().unwrap().into();
    assert_eq!(
        r.code, 0,
        "b.fixture is skipped from here too: {}",
        r.stdout
    );
    // Verbose names what was skipped.
    let r = run(&env, &["scan", "-v"]);
    assert!(
        r.stderr.contains("skipped vendor: under skip-paths"),
        "{}",
        r.stderr
    );
    // --no-config ignores the file; --config names another.
    let (_, v) = scan_json(&env, &["--no-config"]);
    assert_eq!(hashes(&v).len(), 5, "{v}");
    env.write("other.toml", "skip-paths = [\"*.env\"]\n");
    let (_, v) = scan_json(&env, &["--config", "other.toml"]);
    assert!(!hashes(&v).contains(&sha256_hex(&keep)));
    assert!(
        hashes(&v).contains(&sha256_hex(&vendor)) || hashes(&v).contains(&sha256_hex(&fixture))
    );

    // History: paths in the tree are matched the same way.
    commit(&env, "all");
    let r = run(&env, &["git", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(hashes(&v), set(&[&keep, &deep]));
    assert!(v["stats"]["skipped_by_config"].as_u64().unwrap() >= 3);
}

#[test]
fn rule_dirs_are_relative_to_the_config_file_and_their_rules_can_be_disabled() {
    let env = repo();
    env.write(
        "tools/rules/acme.toml",
        r#"
[[rule]]
id = "acme.cache-password"
name = "ACME cache password"
kind = "redis-password"
description = "The password of ACME's Upstash cache."
pattern = '''acme_cache_secret\s*=\s*"(?P<secret>[0-9a-f]{32})"'''
decoder = "hex32"
examples = ['acme_cache_secret = "5f0c2b9e8d7a41c3b6e2f1a09d8c7b6a"']
negative_examples = ['acme_cache_secret = "not a password"']
"#,
    );
    env.write(
        "app.py",
        "acme_cache_secret = \"5f0c2b9e8d7a41c3b6e2f1a09d8c7b6a\"\n",
    );
    env.write("config/upsweep.toml", "rule-dirs = [\"../tools/rules\"]\n");
    let (r, v) = scan_json(&env, &["--config", "config/upsweep.toml"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(findings(&v)[0]["rule_id"], "acme.cache-password");
    env.write(
        ".upsweep.toml",
        "rule-dirs = [\"tools/rules\"]\ndisable-rules = [\"acme.cache-password\"]\n",
    );
    let (r, _) = scan_json(&env, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn allowed_hashes_fail_on_and_max_file_size_from_the_file_and_flags_override_them() {
    let env = repo();
    let (allowed, other) = (token(151), token(152));
    env.write("a.env", format!("UPSTASH_REDIS_REST_TOKEN={allowed}\n"));
    env.write(
        ".upsweep.toml",
        format!(
            "max-file-size = 200\nfail-on = \"live\"\n[[allow]]\nsha256 = \"{}\"\nreason = \"public demo database\"\n",
            sha256_hex(&allowed)
        ),
    );
    let (r, v) = scan_json(&env, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(v["stats"]["suppressed_allowed"], 1);
    let r = run(&env, &["scan", "-v"]);
    assert!(
        r.stdout
            .contains("allowed in the config file (public demo database)"),
        "{}",
        r.stdout
    );
    // An allow entry with a kind allows the hash only as that kind.
    env.write(
        ".upsweep.toml",
        format!(
            "[[allow]]\nsha256 = \"{}\"\nreason = \"x\"\nkind = \"qstash-token\"\n",
            sha256_hex(&allowed)
        ),
    );
    assert_eq!(scan_json(&env, &[]).0.code, 1);

    // max-file-size from the file; the flag overrides it.
    env.write(".upsweep.toml", "max-file-size = 200\nfail-on = \"live\"\n");
    env.write(
        "big.env",
        format!("{}\nUPSTASH_REDIS_REST_TOKEN={other}\n", "#".repeat(300)),
    );
    let (r, v) = scan_json(&env, &[]);
    assert_eq!(v["stats"]["skipped_too_large"], 1, "{}", r.stderr);
    let (_, v) = scan_json(&env, &["--max-file-size", "1K"]);
    assert_eq!(v["stats"]["skipped_too_large"], 0);
    assert!(hashes(&v).contains(&sha256_hex(&other)));
    // fail-on = live without --live: a note, and any finding fails (never a silent pass).
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("fail-on = \"live\", which needs --live"),
        "{}",
        r.stderr
    );
    // The flag overrides the file: --fail-on any, no note.
    let r = run(&env, &["scan", "--fail-on", "any"]);
    assert_eq!(r.code, 1);
    assert!(!r.stderr.contains("needs --live"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// Inline upsweep:allow
// ---------------------------------------------------------------------------------------------

#[test]
fn inline_allow_is_counted_and_listed_with_verbose() {
    let env = TestEnv::new();
    let (fixture, bare, real) = (token(161), token(162), token(163));
    env.write(
        "tests/fixture.env",
        format!(
            "# fixtures\nUPSTASH_REDIS_REST_TOKEN={fixture} # upsweep:allow test fixture\nKV_REST_API_TOKEN=\"{bare}\" // upsweep:allow\nUPSTASH_REDIS_REST_TOKEN={real}\n"
        ),
    );
    let (r, v) = scan_json(&env, &[]);
    assert_eq!(r.code, 1);
    assert_eq!(hashes(&v), set(&[&real]), "only the unmarked line");
    assert_eq!(v["stats"]["suppressed_inline"], 2);
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["version", "tool", "findings", "errors", "stats"].into()
    );

    let r = run(&env, &["scan", "--color", "never"]);
    assert!(
        r.stdout.contains("2 places marked upsweep:allow"),
        "the summary counts them: {}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("suppressed"),
        "listed only with --verbose"
    );
    let r = run(&env, &["scan", "--color", "never", "--verbose"]);
    let listed: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("suppressed"))
        .collect();
    assert_eq!(listed.len(), 2, "{}", r.stdout);
    assert!(listed.iter().any(|l| l.contains("tests/fixture.env:2:26")
        && l.contains(&sha256_hex(&fixture))
        && l.contains("marked upsweep:allow on its line (test fixture)")));
    assert!(listed
        .iter()
        .any(|l| l.contains("tests/fixture.env:3:")
            && l.ends_with("marked upsweep:allow on its line")));
    for s in [&fixture, &bare, &real] {
        assert!(!r.stdout.contains(s.as_str()), "no secret in the listing");
    }

    // The same secret marked on one line and not on another is still reported, once.
    env.write("b.env", format!("UPSTASH_REDIS_REST_TOKEN={fixture}\n"));
    let (_, v) = scan_json(&env, &[]);
    assert_eq!(hashes(&v), set(&[&real, &fixture]));
    let f = findings(&v)
        .iter()
        .find(|f| f["secret_sha256"] == sha256_hex(&fixture).as_str())
        .unwrap();
    assert_eq!(f["locations"].as_array().unwrap().len(), 1);
}

#[test]
fn inline_allow_lets_a_staged_fixture_through_the_pre_commit_hook() {
    let env = repo();
    env.write("README.md", "hi\n");
    commit(&env, "init");
    let t = token(171);
    env.write(
        "tests/data.env",
        format!("UPSTASH_REDIS_REST_TOKEN={t}  # upsweep:allow: fake, for the parser tests\n"),
    );
    env.git(&["add", "-A"]);
    let r = run(&env, &["git", "--staged", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["stats"]["suppressed_inline"], 1);
    // Dropping the marker blocks the commit.
    env.write("tests/data.env", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    env.git(&["add", "-A"]);
    assert_eq!(run(&env, &["git", "--staged"]).code, 1);
}

// ---------------------------------------------------------------------------------------------
// --format github
// ---------------------------------------------------------------------------------------------

/// A parsed workflow command: `::name prop=value,...::message`, unescaped.
struct Annotation {
    level: String,
    props: Vec<(String, String)>,
    message: String,
}

impl Annotation {
    fn prop(&self, k: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
}

fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// Parse every `::` line, asserting it is a well-formed workflow command: no raw `,` or `:`
/// inside a property value, no raw `%` that is not an escape, nothing after a newline.
fn annotations(stdout: &str) -> Vec<Annotation> {
    let escape = regex::Regex::new(r"%(?:25|0D|0A|3A|2C)").unwrap();
    let command = regex::Regex::new(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$").unwrap();
    let mut out = Vec::new();
    for line in stdout.lines().filter(|l| l.starts_with("::")) {
        let c = command
            .captures(line)
            .unwrap_or_else(|| panic!("not a workflow command: {line:?}"));
        let mut props = Vec::new();
        if let Some(p) = c.get(2) {
            for kv in p.as_str().split(',') {
                let (k, v) = kv
                    .split_once('=')
                    .unwrap_or_else(|| panic!("bad property {kv:?} in {line:?}"));
                assert!(
                    ["file", "line", "col", "endLine", "endColumn", "title"].contains(&k),
                    "unknown property {k:?}"
                );
                assert_eq!(
                    escape.replace_all(v, "").matches('%').count(),
                    0,
                    "an unescaped % in {v:?}"
                );
                props.push((k.to_string(), unescape(v)));
            }
        }
        let msg = c.get(3).unwrap().as_str();
        assert_eq!(
            escape.replace_all(msg, "").matches('%').count(),
            0,
            "{msg:?}"
        );
        out.push(Annotation {
            level: c.get(1).unwrap().as_str().to_string(),
            props,
            message: unescape(msg),
        });
    }
    out
}

#[test]
fn annotations_are_valid_workflow_commands_relative_to_the_repository_root() {
    let env = repo();
    let t = token(181);
    let u = token(182);
    // Names that need escaping: commas, colons, percent signs, a newline.
    let names = [
        "app/a,b.env",
        "app/c:d.env",
        "app/100%.env",
        "app/new\nline.env",
        "app/plain.env",
    ];
    // (Each file's text differs: history lists a blob once, at its first path.)
    for n in &names {
        env.write(n, format!("# {n:?}\nUPSTASH_REDIS_REST_TOKEN={t}\n"));
    }
    env.write("other/.env", format!("KV_REST_API_TOKEN={u}\n"));

    // Run from a subdirectory, naming paths relative to it: files are still annotated by their
    // path from the repository root.
    let mut cmd = env.cmd();
    cmd.current_dir(env.path().join("app")).args([
        "scan",
        "--format",
        "github",
        ".",
        "../other",
        "--show-secrets",
    ]);
    let r: Run = cmd.output().unwrap().into();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let notes = annotations(&r.stdout);
    assert_eq!(notes.len(), names.len() + 1, "{}", r.stdout);
    let files: BTreeSet<&str> = notes.iter().map(|a| a.prop("file").unwrap()).collect();
    let mut expect: BTreeSet<&str> = names.iter().copied().collect();
    expect.insert("other/.env");
    assert_eq!(files, expect);
    for a in &notes {
        assert_eq!(a.level, "error");
        let line = if a.prop("file") == Some("other/.env") {
            "1"
        } else {
            "2"
        };
        assert_eq!(a.prop("line"), Some(line));
        assert!(a.prop("col").unwrap().parse::<u32>().unwrap() >= 1);
        assert_eq!(
            a.prop("title"),
            Some("Upstash Redis REST token (read-write)")
        );
        assert!(a.message.contains("sha256 "), "{}", a.message);
    }
    // No secret, even with --show-secrets.
    assert!(!r.stdout.contains(&t) && !r.stdout.contains(&u));
    assert!(r
        .stdout
        .contains("upsweep: 2 leaked credentials in 6 places"));

    // History: tree paths, the commit in the message.
    commit(&env, "leaks");
    let r = run(&env, &["git", "--format", "github"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let notes = annotations(&r.stdout);
    let files: BTreeSet<&str> = notes.iter().map(|a| a.prop("file").unwrap()).collect();
    assert!(files.contains("app/new\nline.env"), "{files:?}");
    assert!(files.contains("other/.env"), "{files:?}");
    assert!(notes.iter().all(|a| a.message.contains("(commit ")));

    // Nothing found: no command at all, a plain line.
    let clean = TestEnv::new();
    clean.write("x.txt", "nothing\n");
    let r = run(&clean, &["scan", "--format", "github"]);
    assert_eq!(r.code, 0);
    assert!(annotations(&r.stdout).is_empty());
    assert_eq!(r.stdout, "upsweep: no Upstash credentials found\n");
}

#[test]
fn annotations_name_inputs_that_could_not_be_read() {
    let env = TestEnv::new();
    let r = run(&env, &["scan", "--format", "github", "no,such:dir"]);
    assert_eq!(r.code, 2);
    let notes = annotations(&r.stdout);
    assert_eq!(notes.len(), 1, "{}", r.stdout);
    assert!(notes[0].prop("file").is_none());
    assert!(
        notes[0].message.starts_with("no,such:dir: "),
        "{}",
        notes[0].message
    );
}

// ---------------------------------------------------------------------------------------------
// The GitHub action and the documented workflow
// ---------------------------------------------------------------------------------------------

fn load_yaml(rel: &str) -> Yaml {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(docs.len(), 1, "{rel}: one document");
    docs.remove(0)
}

fn steps(y: &Yaml) -> &Vec<Yaml> {
    y.as_vec().expect("steps is a list")
}

#[test]
fn the_action_is_a_composite_action_that_builds_and_runs_upsweep() {
    let a = load_yaml("action.yml");
    assert!(a["name"].as_str().is_some());
    assert!(a["description"].as_str().is_some());
    for input in [
        "args",
        "format",
        "sarif",
        "fail-on",
        "upload-sarif",
        "pr-comment",
        "upstash-email",
        "upstash-api-key",
    ] {
        let i = &a["inputs"][input];
        assert!(i["description"].as_str().is_some(), "input {input}");
        assert!(!i["default"].is_badvalue(), "input {input} has a default");
    }
    assert_eq!(a["inputs"]["format"]["default"].as_str(), Some("github"));
    assert_eq!(a["runs"]["using"].as_str(), Some("composite"));
    let steps = steps(&a["runs"]["steps"]);
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    for s in steps {
        if s["run"].as_str().is_some() {
            assert_eq!(
                s["shell"].as_str(),
                Some("bash"),
                "composite run steps need a shell"
            );
        }
    }
    let all = runs.join("\n");
    assert!(
        all.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""),
        "{all}"
    );
    // One scan gives the log's format and the SARIF file.
    assert_eq!(all.matches(" git --ci").count(), 1, "{all}");
    assert!(all.contains("--sarif"), "{all}");
    // Inputs reach the script through the environment, never pasted into it.
    assert!(
        !all.contains("${{"),
        "inputs must not be interpolated into scripts"
    );
    let outputs = &a["outputs"]["sarif"]["value"];
    assert!(outputs
        .as_str()
        .unwrap()
        .contains("steps.scan.outputs.sarif"));
}

#[test]
fn the_documented_workflow_gates_pull_requests_and_uploads_sarif() {
    let w = load_yaml("docs/github-workflow.yml");
    assert!(
        !w["on"]["pull_request"].is_badvalue(),
        "runs on pull requests"
    );
    let jobs = w["jobs"].as_hash().expect("jobs");
    assert_eq!(jobs.len(), 1);
    let job = jobs.values().next().unwrap();
    assert_eq!(
        job["permissions"]["security-events"].as_str(),
        Some("write")
    );
    let steps = steps(&job["steps"]);
    let checkout = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout@"))
        })
        .expect("a checkout step");
    assert_eq!(checkout["with"]["fetch-depth"].as_i64(), Some(0));
    // The action runs the gate and writes and uploads SARIF (not from forks) in one scan.
    let action = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("upsweep/upsweep@"))
        })
        .expect("the upsweep action");
    assert!(action["with"]["upload-sarif"]
        .as_str()
        .is_some_and(|c| c.contains("github.repository")));
    assert_eq!(
        job["permissions"]["pull-requests"].as_str(),
        Some("write"),
        "for the comment"
    );
}
