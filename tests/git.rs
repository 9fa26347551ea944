//! `upsweep git`: whole history, staged changes, ranges, CI ranges, and broken repositories.

use crate::common::{commit, findings, repo, rest_token as token, Fake, TestEnv};
use serde_json::Value;

fn git_json(env: &TestEnv, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["git", "--format", "json"];
    all.extend_from_slice(args);
    let run = env.run(&all);
    let v = run.json();
    (run.code, v, run.stderr)
}

#[test]
fn a_deleted_token_is_still_found_with_its_introducing_commit() {
    let env = repo();
    let t = token(1);
    env.write("README.md", "hello\n");
    let first = commit(&env, "readme");
    env.write(
        "app/.env",
        format!("# config\nUPSTASH_REDIS_REST_TOKEN={t}\n"),
    );
    let introduced = commit(&env, "add env");
    std::fs::remove_file(env.path().join("app/.env")).unwrap();
    commit(&env, "remove env");
    let (code, v, _) = git_json(&env, &[]);
    assert_eq!(code, 1);
    let f = findings(&v);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["kind"], "redis-rest-token");
    assert_eq!(f[0]["introduced_in"], introduced.as_str());
    assert_ne!(f[0]["introduced_in"], first.as_str());
    assert_eq!(f[0]["in_head"], false);
    let loc = &f[0]["locations"][0];
    assert_eq!(loc["path"], "app/.env");
    assert_eq!(loc["line"], 2);
    assert_eq!(loc["column"], 26);
    assert_eq!(loc["commit"], introduced.as_str());
    assert_eq!(loc["author"], "Test <test@example.com>");
    assert!(loc["date"].as_str().unwrap().ends_with('Z'));
    assert!(v["stats"]["git_commits"].as_u64().unwrap() >= 3);
    assert!(
        !v.to_string().contains(&t),
        "the report must not contain the secret"
    );
}

#[test]
fn the_same_secret_across_many_commits_is_one_finding() {
    let env = repo();
    let t = token(2);
    for i in 0..40 {
        env.write(
            "config.env",
            format!("VERSION={i}\nUPSTASH_REDIS_REST_TOKEN={t}\n"),
        );
        env.write("other.txt", format!("{i}\n"));
        commit(&env, &format!("c{i}"));
    }
    env.write("copy/.env.local", format!("KV_REST_API_TOKEN={t}\n"));
    commit(&env, "copy");
    let (code, v, _) = git_json(&env, &[]);
    assert_eq!(code, 1);
    let f = findings(&v);
    assert_eq!(f.len(), 1, "one finding per secret");
    // Each distinct version of config.env that holds it, plus the copy.
    assert_eq!(f[0]["locations"].as_array().unwrap().len(), 41);
    assert_eq!(f[0]["in_head"], true);
    let first = env.git(&["rev-list", "--max-parents=0", "HEAD"]);
    assert_eq!(f[0]["introduced_in"], first.trim());
}

#[test]
fn every_ref_is_scanned_branches_tags_stash_and_remote_tracking() {
    let env = repo();
    env.write("a.txt", "a\n");
    commit(&env, "base");
    let (t_branch, t_tag, t_stash, t_remote) = (token(3), token(4), token(5), token(6));
    env.git(&["checkout", "-q", "-b", "side"]);
    env.write("side.env", format!("UPSTASH_REDIS_REST_TOKEN={t_branch}\n"));
    commit(&env, "side");
    env.git(&["checkout", "-q", "main"]);
    env.git(&["checkout", "-q", "--detach"]);
    env.write("tagged.env", format!("UPSTASH_REDIS_REST_TOKEN={t_tag}\n"));
    let tagged = commit(&env, "tagged");
    env.git(&["tag", "-a", "v1", "-m", "v1", &tagged]);
    let remote_commit = {
        env.write(
            "remote.env",
            format!("UPSTASH_REDIS_REST_TOKEN={t_remote}\n"),
        );
        commit(&env, "remote")
    };
    env.git(&["update-ref", "refs/remotes/origin/feature", &remote_commit]);
    env.git(&["checkout", "-q", "main"]);
    env.write("a.txt", format!("UPSTASH_REDIS_REST_TOKEN={t_stash}\n"));
    env.git(&["stash", "-q"]);
    let (code, v, _) = git_json(&env, &[]);
    assert_eq!(code, 1);
    let got: Vec<&str> = findings(&v)
        .iter()
        .map(|f| f["secret_sha256"].as_str().unwrap())
        .collect();
    for t in [&t_branch, &t_tag, &t_stash, &t_remote] {
        assert!(
            got.contains(&upsweep::finding::sha256_hex(t).as_str()),
            "missing a token; got {got:?}"
        );
    }
    assert_eq!(got.len(), 4);
}

#[test]
fn unreachable_objects_only_with_the_flag() {
    let env = repo();
    env.write("a.txt", "a\n");
    commit(&env, "base");
    let t = token(7);
    env.write("b.env", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    commit(&env, "oops");
    env.git(&["reset", "-q", "--hard", "HEAD~1"]);
    env.git(&["reflog", "expire", "--expire=now", "--all"]);
    let (code, v, _) = git_json(&env, &[]);
    assert_eq!(
        (code, findings(&v).len()),
        (0, 0),
        "reset-away commit is not reachable"
    );
    let (code, v, _) = git_json(&env, &["--unreachable"]);
    assert_eq!(code, 1);
    let f = &findings(&v)[0];
    assert_eq!(f["introduced_in"], Value::Null);
    assert!(f["locations"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("<unreachable blob"));
}

#[test]
fn bare_clones_and_linked_worktrees() {
    let env = repo();
    let t = token(8);
    env.write("x.env", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    commit(&env, "x");
    let bare = env.path().join("bare.git");
    env.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    let run = env.run(&["git", "--format", "json", bare.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(findings(&run.json()).len(), 1);
    let wt = env.path().join("wt");
    env.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", "wt"]);
    let run = env.run(&["git", "--format", "json", wt.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(findings(&run.json()).len(), 1);
}

#[test]
fn staged_counts_only_what_the_commit_adds() {
    let env = repo();
    let old = token(9);
    env.write(
        "settings.env",
        format!("A=1\nUPSTASH_REDIS_REST_TOKEN={old}\n"),
    );
    commit(&env, "already leaked");
    // An unrelated staged change in the same file: the committed secret does not block it.
    env.write(
        "settings.env",
        format!("A=2\nUPSTASH_REDIS_REST_TOKEN={old}\nB=3\n"),
    );
    env.git(&["add", "settings.env"]);
    let (code, v, _) = git_json(&env, &["--staged"]);
    assert_eq!((code, findings(&v).len()), (0, 0));
    // --all-content scans the whole staged file.
    let (code, _, _) = git_json(&env, &["--staged", "--all-content"]);
    assert_eq!(code, 1);
    // A new secret on an added line blocks.
    let new = token(10);
    env.write("web/.env.local", format!("\n\nKV_REST_API_TOKEN={new}\n"));
    env.git(&["add", "web/.env.local"]);
    let (code, v, _) = git_json(&env, &["--staged"]);
    assert_eq!(code, 1);
    let f = findings(&v);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["locations"][0]["path"], "web/.env.local");
    assert_eq!(f[0]["locations"][0]["line"], 3);
    assert!(
        f[0].get("introduced_in").is_none(),
        "staged findings have no commit"
    );
    // Unstaged changes are not what the commit records.
    env.git(&["reset", "-q"]);
    let (code, _, _) = git_json(&env, &["--staged"]);
    assert_eq!(code, 0);
}

#[test]
fn staged_on_an_unborn_branch_and_in_a_binary_file() {
    let env = repo();
    let t = token(11);
    env.write("first.env", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    let mut bin = vec![0u8, 159, 146, 150, 0];
    bin.extend_from_slice(token(12).as_bytes());
    bin.extend_from_slice(&[0, 0, 255]);
    env.write("data.db", &bin);
    env.git(&["add", "-A"]);
    let (code, v, _) = git_json(&env, &["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&v).len(), 2);
    commit(&env, "first");
    // Changing the binary file without adding a secret does not block.
    bin.extend_from_slice(b"more");
    env.write("data.db", &bin);
    env.git(&["add", "-A"]);
    let (code, _, _) = git_json(&env, &["--staged"]);
    assert_eq!(code, 0);
}

#[test]
fn range_and_since_commit_scan_only_what_the_commits_add() {
    let env = repo();
    let before = token(13);
    env.write("a.env", format!("UPSTASH_REDIS_REST_TOKEN={before}\n"));
    let base = commit(&env, "base");
    env.write("b.txt", "x\n");
    commit(&env, "unrelated");
    let added = token(14);
    env.write("c.env", format!("KV_REST_API_TOKEN={added}\n"));
    let head = commit(&env, "adds a token");
    for args in [
        vec!["--range".to_string(), format!("{base}..{head}")],
        vec!["--since-commit".into(), base.clone()],
    ] {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, v, _) = git_json(&env, &a);
        assert_eq!(code, 1);
        let f = findings(&v);
        assert_eq!(f.len(), 1, "{args:?}");
        assert_eq!(f[0]["secret_sha256"], upsweep::finding::sha256_hex(&added));
        assert_eq!(f[0]["introduced_in"], head.as_str());
    }
    let (code, _, _) = git_json(&env, &["--range", &format!("{head}..{head}")]);
    assert_eq!(code, 0);
}

#[test]
fn a_merge_of_the_base_branch_does_not_count_its_changes() {
    let env = repo();
    env.write("a.txt", "a\n");
    let base = commit(&env, "base");
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.write("f.txt", "feature\n");
    commit(&env, "feature work");
    env.git(&["checkout", "-q", "main"]);
    let on_main = token(15);
    env.write("main.env", format!("UPSTASH_REDIS_REST_TOKEN={on_main}\n"));
    let main_tip = commit(&env, "main gets a token");
    env.git(&["checkout", "-q", "feature"]);
    env.git(&["merge", "-q", "--no-edit", "main"]);
    // The pull request is main_tip..feature: the merge brings main's change, which is not new.
    let (code, v, _) = git_json(&env, &["--range", &format!("{main_tip}..feature")]);
    assert_eq!((code, findings(&v).len()), (0, 0), "{v}");
    let (code, _, _) = git_json(&env, &["--range", &format!("{base}..feature")]);
    assert_eq!(code, 1, "from the old base, main's commit is in the range");
}

#[test]
fn ci_mode_reads_github_actions_and_explains_a_missing_base() {
    let env = repo();
    env.write("a.txt", "a\n");
    let base = commit(&env, "base");
    let t = token(16);
    env.write("b.env", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    let head = commit(&env, "pr");
    let event = env.write(
        "../event.json",
        format!(r#"{{"pull_request":{{"base":{{"sha":"{base}"}},"head":{{"sha":"{head}"}}}}}}"#),
    );
    let run = |event_path: &std::path::Path| {
        env.cmd()
            .args(["git", "--ci", "--format", "json"])
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_EVENT_PATH", event_path)
            .env("GITHUB_SHA", &head)
            .output()
            .unwrap()
    };
    let out = run(&event);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = env.write(
        "../event2.json",
        r#"{"pull_request":{"base":{"sha":"1234567890123456789012345678901234567890"},"head":{"sha":"x"}}}"#,
    );
    let out = run(&missing);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fetch-depth: 0") && err.contains("git fetch"),
        "{err}"
    );
}

#[test]
fn broken_inputs_get_clear_messages() {
    // Not a repository.
    let env = TestEnv::new();
    let run = env.run(&["git"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not a git repository"),
        "{}",
        run.stderr
    );
    // An empty repository: nothing to scan, said plainly.
    let env = repo();
    let run = env.run(&["git"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("no commits yet"), "{}", run.stderr);
    // A detached HEAD is fine.
    env.write("a.env", format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(17)));
    commit(&env, "a");
    env.git(&["checkout", "-q", "--detach"]);
    assert_eq!(env.run(&["git"]).code, 1);
}

#[test]
fn a_missing_object_is_an_error_and_the_rest_is_scanned() {
    let env = repo();
    let t = token(18);
    env.write("keep.env", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    env.write("lost.txt", "this blob will disappear\n");
    commit(&env, "two files");
    let lost = env.git(&["rev-parse", "HEAD:lost.txt"]);
    let lost = lost.trim();
    std::fs::remove_file(
        env.path()
            .join(".git/objects")
            .join(&lost[..2])
            .join(&lost[2..]),
    )
    .unwrap();
    let (code, v, stderr) = git_json(&env, &[]);
    assert_eq!(code, 2, "part of the history could not be read");
    assert_eq!(findings(&v).len(), 1, "the readable blob is still scanned");
    let errors = v["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["path"].as_str().unwrap().contains("lost.txt")),
        "{errors:?}"
    );
    assert!(stderr.contains("lost.txt"));
}

#[test]
fn submodules_huge_blobs_and_shallow_clones_are_reported() {
    let env = repo();
    env.write("big.bin", vec![b'x'; 2 << 20]);
    env.write("a.env", format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(19)));
    commit(&env, "big");
    // A gitlink (submodule entry) without fetching anything.
    let head = env.git(&["rev-parse", "HEAD"]);
    env.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{},vendor/lib", head.trim()),
    ]);
    env.git(&["commit", "-q", "-m", "submodule"]);
    let (code, v, stderr) = git_json(&env, &["--max-file-size", "1M"]);
    assert_eq!(code, 1);
    assert_eq!(v["stats"]["skipped_too_large"], 1);
    assert!(
        stderr.contains("submodule") && stderr.contains("vendor/lib"),
        "{stderr}"
    );
    // A shallow clone says so.
    let shallow = env.path().join("shallow");
    env.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &format!("file://{}", env.path().display()),
        shallow.to_str().unwrap(),
    ]);
    let run = env.run(&["git", shallow.to_str().unwrap()]);
    assert!(run.stderr.contains("shallow clone"), "{}", run.stderr);
}

#[test]
fn fifty_thousand_refs() {
    let env = repo();
    env.write("a.env", format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(20)));
    let head = commit(&env, "a");
    let mut input = String::new();
    for i in 0..50_000 {
        input.push_str(&format!("create refs/tags/t{i} {head}\n"));
    }
    let mut child = std::process::Command::new("git")
        .current_dir(env.path())
        .args(["update-ref", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    env.git(&["pack-refs", "--all"]);
    let (code, v, _) = git_json(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&v).len(), 1);
}

/// The real pre-commit framework, running the `upsweep-system` hook of this repository's
/// `.pre-commit-hooks.yaml`: a commit that stages a token is blocked with the finding shown,
/// a clean commit goes through.
#[test]
fn pre_commit_hook_blocks_a_commit_with_a_token() {
    if std::process::Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "pre-commit must be installed in CI (.ci/run installs it)"
        );
        eprintln!("skipping: pre-commit is not installed (pip install pre-commit)");
        return;
    }
    // A hook repository holding this project's manifest, committed so pre-commit can clone it.
    let hooks = repo();
    let manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();
    hooks.write(".pre-commit-hooks.yaml", manifest);
    let rev = commit(&hooks, "hooks");
    let work = repo();
    work.write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: upsweep-system\n",
            hooks.path().display()
        ),
    );
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_upsweep"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(work.path())
            .args(args)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", home.path())
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap()
    };
    let install = std::process::Command::new("pre-commit")
        .current_dir(work.path())
        .arg("install")
        .env("PRE_COMMIT_HOME", home.path())
        .output()
        .unwrap();
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    work.write("clean.txt", "nothing secret\n");
    assert!(git(&["add", "-A"]).status.success());
    let ok = git(&["commit", "-q", "-m", "clean"]);
    assert!(
        ok.status.success(),
        "clean commit blocked: {}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    work.write(".env", format!("UPSTASH_REDIS_REST_TOKEN={}\n", token(21)));
    assert!(git(&["add", "-A"]).status.success());
    let blocked = git(&["commit", "-q", "-m", "leak"]);
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&blocked.stdout),
        String::from_utf8_lossy(&blocked.stderr)
    );
    assert!(!blocked.status.success(), "the commit went through: {out}");
    assert!(
        out.contains("Upstash Redis REST token") && out.contains(".env:1:26"),
        "{out}"
    );
    assert!(
        !out.contains(&token(21)),
        "the hook output must not show the secret"
    );
    assert!(
        out.contains("commit stopped") && out.contains("SKIP=upsweep git commit"),
        "says what to do: {out}"
    );
}

/// A commit with a fixed author and date, so ids (and the snapshot) are the same on every run.
fn commit_as(env: &TestEnv, msg: &str, who: &str, date: &str) -> String {
    env.git(&["add", "-A"]);
    let out = std::process::Command::new("git")
        .current_dir(env.path())
        .args(["commit", "-q", "--allow-empty", "-m", msg])
        .env("GIT_AUTHOR_NAME", who)
        .env(
            "GIT_AUTHOR_EMAIL",
            format!("{}@example.com", who.to_lowercase()),
        )
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_NAME", who)
        .env(
            "GIT_COMMITTER_EMAIL",
            format!("{}@example.com", who.to_lowercase()),
        )
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .expect("git commit");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.git(&["rev-parse", "HEAD"]).trim().to_string()
}

/// The human report of a history: each place with its commit, author and date; each secret
/// with where it came in and whether HEAD still holds it, was removed (and where), or lives on
/// another branch only.
#[test]
fn snapshot_human_history() {
    let env = repo();
    let mut fake = Fake::new(2025);
    let n = fake.database_number();
    let redis = fake.redis_token(n, false, false);
    let qstash = fake.qstash_token();
    let endpoint = fake.index_endpoint();
    let vector = fake.vector_token(&endpoint, false);
    env.write("README.md", "shop\n");
    commit_as(&env, "readme", "Alice", "2024-03-01T10:00:00Z");
    env.write(
        "app/.env",
        format!("# cache\nUPSTASH_REDIS_REST_TOKEN={redis}\n"),
    );
    env.write("src/queue.ts", format!("const token = \"{qstash}\";\n"));
    let added = commit_as(&env, "cache and queue", "Alice", "2024-03-02T10:00:00Z");
    std::fs::remove_file(env.path().join("app/.env")).unwrap();
    let removed = commit_as(&env, "no env file", "Bob", "2024-03-05T10:00:00Z");
    env.write(
        "src/queue.ts",
        format!("// queue\nconst token = \"{qstash}\";\n"),
    );
    commit_as(&env, "comment", "Bob", "2024-03-06T10:00:00Z");
    env.git(&["checkout", "-q", "-b", "experiment"]);
    env.write(
        "search.env",
        format!("UPSTASH_VECTOR_REST_TOKEN={vector}\n"),
    );
    commit_as(&env, "try vector", "Carol", "2024-03-07T10:00:00Z");
    env.git(&["checkout", "-q", "main"]);

    let (code, v, _) = git_json(&env, &[]);
    assert_eq!(code, 1);
    let by_kind = |k: &str| {
        findings(&v)
            .iter()
            .find(|f| f["kind"] == k)
            .unwrap_or_else(|| panic!("no {k}"))
            .clone()
    };
    let r = by_kind("redis-rest-token");
    assert_eq!(r["introduced_in"], added.as_str());
    assert_eq!(r["in_head"], false);
    assert_eq!(r["removed_in"], removed.as_str());
    let q = by_kind("qstash-token");
    assert_eq!(
        (q["in_head"].as_bool(), q.get("removed_in")),
        (Some(true), None)
    );
    let x = by_kind("vector-token");
    assert_eq!(
        (x["in_head"].as_bool(), x.get("removed_in")),
        (Some(false), None)
    );

    let run = env.run(&["git", "--color", "never", "-j", "1"]);
    assert_eq!(run.code, 1);
    let re = regex::Regex::new(r"in \d+\.\d\d s").unwrap();
    let normalized = re.replace_all(&run.stdout, "in [duration] s");
    for s in [&redis, &qstash, &vector] {
        assert!(!normalized.contains(s.as_str()));
    }
    insta::assert_snapshot!("human_history", normalized.to_string());
}

/// The pre-commit hook's message when it blocks: stopped before the value entered history,
/// and what to do; with a value already committed elsewhere, it says so.
#[test]
fn a_blocked_commit_says_what_to_do() {
    let env = repo();
    env.write("README.md", "x\n");
    commit(&env, "readme");
    let t = token(31);
    env.write("web/.env", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    env.git(&["add", "-A"]);
    let r = env.run(&["git", "--staged"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("1 staged credential in 1 place"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("leaked"), "not leaked yet: {}", r.stdout);
    for want in [
        "commit stopped",
        "staged, not committed",
        "before the value entered the history",
        "environment variable or a secret store",
        "git restore --staged web/.env",
        "upsweep:allow <reason>",
        "SKIP=upsweep git commit",
    ] {
        assert!(r.stderr.contains(want), "{want:?} missing:\n{}", r.stderr);
    }
    assert!(!r.stderr.contains(&t) && !r.stdout.contains(&t));
    // The same value committed before, in another file: not a value that is only staged.
    env.git(&["reset", "-q"]);
    env.write(
        "old/config.js",
        format!("module.exports = {{ token: \"{t}\" }};\n"),
    );
    env.git(&["add", "old/config.js"]);
    env.git(&["commit", "-q", "-m", "old config"]);
    env.git(&["add", "web/.env"]);
    let r = env.run(&["git", "--staged"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("it is already committed")
            && r.stderr.contains("HEAD has it in old/config.js")
            && r.stderr.contains("upsweep revoke"),
        "{}",
        r.stderr
    );
    // --quiet: the report only.
    let r = env.run(&["git", "--staged", "-q"]);
    assert_eq!(r.code, 1);
    assert!(!r.stderr.contains("commit stopped"), "{}", r.stderr);
}

/// A staged archive holding a credential: the hook names the place inside and unstages the
/// archive file; a value HEAD already holds inside an archive is found there.
#[test]
fn a_blocked_commit_of_an_archive_names_its_file() {
    use crate::archive::tgz;
    let env = repo();
    env.write("README.md", "x\n");
    commit(&env, "readme");
    let t = token(33);
    let dotenv = format!("UPSTASH_REDIS_REST_TOKEN={t}\n");
    env.write("dist/app.tgz", tgz(&[("package/.env", dotenv.as_bytes())]));
    env.git(&["add", "-A"]);
    let r = env.run(&["git", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("dist/app.tgz!package/.env:1:"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("git restore --staged dist/app.tgz\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("before the value entered the history"),
        "{}",
        r.stderr
    );
    // Committed inside the archive, then staged again in a plain file.
    env.git(&["commit", "-q", "-m", "bundle"]);
    env.write("web/.env", &dotenv);
    env.git(&["add", "web/.env"]);
    let r = env.run(&["git", "--staged"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("HEAD has it in dist/app.tgz"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(&t) && !r.stdout.contains(&t));
}

/// With `--account`, the hook says whether the staged value is a current credential of the
/// account (and the account's own email goes nowhere near the message).
#[test]
fn a_blocked_commit_with_the_account_names_a_current_credential() {
    use crate::emulator::fixtures::{shop, OPS};
    let shop = shop(61);
    let env = repo();
    env.write("README.md", "x\n");
    commit(&env, "readme");
    let t = shop.emu.world().databases[shop.cache].rest_token.clone();
    env.write(".env.local", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    env.git(&["add", "-A"]);
    let r: crate::common::Run = env
        .cmd()
        .args(["git", "--staged", "--account"])
        .env("UPSTASH_EMAIL", OPS)
        .env("UPSTASH_API_KEY", &shop.key)
        .env("UPSWEEP_TEST_UPSTASH_ADDR", shop.emu.addr.to_string())
        .env_remove("UPSTASH_API_URL")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "a current credential of your account (Redis database 'prod-cache' (eu-west-1)"
        ) && r.stderr.contains("It is not in HEAD")
            && r.stderr.contains("upsweep revoke"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(&t));
}

/// `removed_in` is the commit that took the secret out of HEAD's tree: through a merged
/// branch, and past a rename (a move is not a removal).
#[test]
fn removed_in_follows_merges_and_renames() {
    let env = repo();
    env.write("README.md", "x\n");
    commit(&env, "readme");
    let (a, b) = (token(71), token(72));
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.write("svc/.env", format!("UPSTASH_REDIS_REST_TOKEN={a}\n"));
    commit(&env, "feature adds a token");
    env.git(&["checkout", "-q", "main"]);
    env.write("other.txt", "main moves on\n");
    commit(&env, "main");
    env.git(&["merge", "-q", "--no-ff", "--no-edit", "feature"]);
    env.write("cfg/app.env", format!("UPSTASH_REDIS_REST_TOKEN={b}\n"));
    commit(&env, "second token");
    env.git(&["mv", "cfg/app.env", "cfg/renamed.env"]);
    commit(&env, "rename");
    for i in 0..5 {
        env.write("other.txt", format!("step {i}\n"));
        commit(&env, "noise");
    }
    std::fs::remove_file(env.path().join("svc/.env")).unwrap();
    let gone_a = commit(&env, "drop the first");
    env.write("other.txt", "more\n");
    commit(&env, "noise");
    std::fs::remove_file(env.path().join("cfg/renamed.env")).unwrap();
    let gone_b = commit(&env, "drop the second");
    let (code, v, _) = git_json(&env, &[]);
    assert_eq!(code, 1);
    let f = findings(&v);
    assert_eq!(f.len(), 2);
    let of = |path: &str| {
        f.iter()
            .find(|x| x["locations"][0]["path"] == path)
            .unwrap_or_else(|| panic!("no finding at {path}: {v}"))
    };
    assert_eq!(of("svc/.env")["removed_in"], gone_a.as_str());
    assert_eq!(
        of("cfg/app.env")["removed_in"],
        gone_b.as_str(),
        "not the rename"
    );
}

/// A history for the range tests: a readme (the range's base, returned with the token), then
/// `cfg/app.env` gets a token, an edit beside it, and a rename to `cfg/renamed.env`.
fn token_edited_then_renamed(env: &TestEnv, seed: u64) -> (String, String) {
    env.write("README.md", "x\n");
    let base = commit(env, "readme");
    let t = token(seed);
    env.write("cfg/app.env", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    commit(env, "adds a token");
    env.write(
        "cfg/app.env",
        format!("REGION=eu\nUPSTASH_REDIS_REST_TOKEN={t}\n"),
    );
    commit(env, "an edit beside it");
    env.git(&["mv", "cfg/app.env", "cfg/renamed.env"]);
    commit(env, "rename");
    (base, t)
}

/// `upsweep git --range BASE..HEAD --format json`: exit 1 and exactly one finding.
fn one_finding_in_range(env: &TestEnv, base: &str) -> Value {
    let range = format!("{base}..HEAD");
    let (code, v, err) = git_json(env, &["--range", &range]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(findings(&v).len(), 1, "{v}");
    v
}

/// A range scan never reads a blob whose added lines do not hold the secret: here the last
/// version before the removal (an edit beside the token after a rename) was never scanned, so
/// only searching the blobs a commit touches for the secret as written tells that the removing
/// commit is the one that takes the line out, not the edit before it.
#[test]
fn a_range_names_the_removal_of_a_version_it_never_read() {
    let env = repo();
    let (base, t) = token_edited_then_renamed(&env, 74);
    env.write(
        "cfg/renamed.env",
        format!("REGION=eu\nZONE=1\nUPSTASH_REDIS_REST_TOKEN={t}\n"),
    );
    let edit = commit(&env, "another edit beside it");
    env.write("cfg/renamed.env", "REGION=eu\nZONE=1\n");
    let gone = commit(&env, "takes the token out");
    env.write("other.txt", "later\n");
    commit(&env, "noise");
    let v = one_finding_in_range(&env, &base);
    let f = findings(&v);
    // The version the removal dropped is none of the finding's locations.
    let edit_blob = env.git(&["rev-parse", &format!("{edit}:cfg/renamed.env")]);
    assert!(
        f[0]["locations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["blob"] != edit_blob.trim()),
        "{v}"
    );
    assert_eq!(
        f[0]["removed_in"],
        gone.as_str(),
        "not the edit before it: {v}"
    );
}

/// A range scan knows only the blobs whose added lines held a secret: after an edit beside it
/// and a rename (blobs it never scanned), the commit that takes the line out is still the one
/// named, not the rename.
#[test]
fn a_range_finds_the_removal_in_blobs_it_never_scanned() {
    let env = repo();
    let (base, _) = token_edited_then_renamed(&env, 73);
    env.write("cfg/renamed.env", "REGION=eu\n");
    let gone = commit(&env, "takes the token out");
    env.write("other.txt", "later\n");
    commit(&env, "noise");
    let v = one_finding_in_range(&env, &base);
    let f = findings(&v);
    assert_eq!(f[0]["in_head"], false, "{v}");
    assert_eq!(f[0]["removed_in"], gone.as_str(), "not the rename: {v}");
}
