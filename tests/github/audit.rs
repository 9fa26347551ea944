//! `upsweep github` end to end, the binary against the emulator: one report for an
//! organisation with each secret once across repositories, repository entries, a re-run that
//! scans nothing and says the same, a new commit found alone, the token nowhere in the cache or
//! the output, secrets read back from the mirror only when asked, and `--issues`.

use super::emulator::{Emulator, World};
use super::{acme, TOKEN};
use crate::common::{Fake, Run};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Tokens planted in the organisation.
pub struct Planted {
    /// In acme/web's .env and, copied, in acme/api's config.
    pub shared: String,
    /// Only in acme/api, deleted by a later commit.
    pub api_only: String,
    /// On a line marked upsweep:allow in acme/web.
    pub allowed: String,
}

fn env_line(fake: &mut Fake) -> (String, String) {
    let n = fake.database_number();
    let host = fake.redis_host(n);
    let token = fake.redis_token(n, false, false);
    (
        format!("UPSTASH_REDIS_REST_URL=https://{host}\nUPSTASH_REDIS_REST_TOKEN={token}\n"),
        token,
    )
}

/// acme: web (private, two commits, the shared token and an allowed one), api (the shared token
/// and one of its own, deleted later), old (archived, clean), fork-of-x (a fork), empty (no
/// commits), gone (deleted after listing: fails).
pub fn organisation() -> (Emulator, Planted) {
    let (mut w, dir) = acme();
    w.repo("acme", "web").private = true;
    w.repo("acme", "api");
    w.repo("acme", "old").archived = true;
    w.repo("acme", "fork-of-x").fork = true;
    w.repo("acme", "empty");
    w.repo("acme", "gone").deleted = true;
    let emu = Emulator::start(w, dir);
    let mut fake = Fake::new(42);
    let (env, shared) = env_line(&mut fake);
    let (api_env, api_only) = env_line(&mut fake);
    let n = fake.database_number();
    let allowed = fake.redis_token(n, true, false);
    emu.commit(
        "acme/web",
        "refs/heads/main",
        &[("README.md", "# web\n")],
        "first",
    );
    emu.commit(
        "acme/web",
        "refs/heads/main",
        &[
            (".env", env.as_str()),
            (
                "test/fixture.env",
                &format!("TOKEN={allowed} # upsweep:allow test fixture\n"),
            ),
        ],
        "config",
    );
    emu.commit(
        "acme/api",
        "refs/heads/main",
        &[
            ("config/app.env", env.as_str()),
            ("deploy.env", api_env.as_str()),
        ],
        "config",
    );
    emu.commit(
        "acme/api",
        "refs/heads/main",
        &[("deploy.env", "# moved to the vault\n")],
        "remove the token",
    );
    emu.commit(
        "acme/old",
        "refs/heads/main",
        &[("a.txt", "nothing\n")],
        "x",
    );
    emu.commit(
        "acme/fork-of-x",
        "refs/heads/main",
        &[("b.env", env.as_str())],
        "x",
    );
    emu.clear_logs();
    (
        emu,
        Planted {
            shared,
            api_only,
            allowed,
        },
    )
}

/// `upsweep github --org acme --format json` (and `args`) against `emu` with `cache`.
pub fn audit(emu: &Emulator, cache: &Path, args: &[&str]) -> Run {
    audit_cmd(emu, cache, args)
        .output()
        .expect("run upsweep")
        .into()
}

pub fn audit_cmd(emu: &Emulator, cache: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_upsweep"));
    // No .upsweep.toml above the cache: the audit runs with the defaults.
    c.current_dir(cache)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .args(["github", "--github-api-url", &emu.url(), "--cache"])
        .arg(cache)
        .args(args);
    if !args.contains(&"--jobs") {
        c.args(["--jobs", "2"]);
    }
    if !args.contains(&"--format") {
        c.args(["--format", "json"]);
    }
    if !args
        .iter()
        .any(|a| a.starts_with("--org") || a.starts_with("--repo"))
    {
        c.args(["--org", "acme"]);
    }
    c
}

pub fn findings(r: &Value) -> &Vec<Value> {
    r["findings"].as_array().expect("findings")
}

pub fn finding<'a>(r: &'a Value, secret: &str) -> Option<&'a Value> {
    let sha = upsweep::finding::sha256_hex(secret);
    findings(r)
        .iter()
        .find(|f| f["secret_sha256"] == sha.as_str())
}

pub fn repo_entry<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {}", r["repositories"]))
}

/// What must be equal between two audits of the same history: findings (with every location)
/// and the repositories, less what says how much this run did.
pub fn comparable(r: &Value) -> Value {
    let mut repos = r["repositories"].clone();
    for e in repos.as_array_mut().expect("repositories") {
        e.as_object_mut().unwrap().remove("new_blobs");
        if e["status"] == "unchanged" {
            e["status"] = "scanned".into();
        }
    }
    serde_json::json!({
        "findings": r["findings"],
        "repositories": repos,
        "errors": r["errors"],
        "suppressed_inline": r["stats"]["suppressed_inline"],
        "skipped_too_large": r["stats"]["skipped_too_large"],
        "git_commits": r["stats"]["git_commits"],
    })
}

/// Every file under `dir` that contains `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    hits.push(p.display().to_string());
                }
            }
        }
    }
    hits
}

#[test]
fn one_report_for_the_organisation_with_each_secret_once() {
    let (emu, planted) = organisation();
    let cache = tempfile::tempdir().unwrap();
    let run = audit(&emu, cache.path(), &[]);
    let r = run.json();
    // acme/gone could not be fetched: exit 2, the others still audited.
    assert_eq!(run.code, 2, "{}\n{}", run.stderr, r);

    // The shared token: one finding, a location in each repository, with permalinks.
    let f = finding(&r, &planted.shared).expect("the shared token");
    let locs = f["locations"].as_array().unwrap();
    let repos: Vec<&str> = locs
        .iter()
        .map(|l| l["repository"].as_str().unwrap())
        .collect();
    assert_eq!(repos, ["acme/api", "acme/web"], "{f}");
    for l in locs {
        let commit = l["commit"].as_str().unwrap();
        let path = l["path"].as_str().unwrap();
        assert_eq!(
            l["url"],
            format!(
                "{}/{}/blob/{commit}/{path}#L{}",
                emu.url(),
                l["repository"].as_str().unwrap(),
                l["line"]
            )
        );
        assert_eq!(l["line"], 2);
        assert!(l["author"].as_str().unwrap().contains("dev@example.com"));
    }
    assert_eq!(f["in_head"], true);
    assert!(f["preview"].as_str().unwrap().ends_with("chars)"));
    assert!(!r.to_string().contains(&planted.shared));
    // The deleted one is still a finding (history leaks), no longer in HEAD.
    let api = finding(&r, &planted.api_only).expect("the deleted token");
    assert_eq!(api["in_head"], false);
    assert_eq!(api["locations"][0]["path"], "deploy.env");
    // The fork is skipped, so its copy is not a location; the allowed line is set aside.
    assert!(finding(&r, &planted.allowed).is_none());
    assert_eq!(r["stats"]["suppressed_inline"], 1);
    assert_eq!(findings(&r).len(), 2, "{r}");

    assert_eq!(repo_entry(&r, "acme/web")["status"], "scanned");
    assert_eq!(repo_entry(&r, "acme/web")["commits"], 2);
    assert_eq!(repo_entry(&r, "acme/web")["blobs"], 3);
    assert_eq!(repo_entry(&r, "acme/web")["new_blobs"], 3);
    assert_eq!(repo_entry(&r, "acme/old")["status"], "scanned");
    assert_eq!(repo_entry(&r, "acme/empty")["status"], "scanned");
    assert_eq!(repo_entry(&r, "acme/empty")["commits"], 0);
    assert_eq!(repo_entry(&r, "acme/fork-of-x")["status"], "skipped");
    assert!(repo_entry(&r, "acme/fork-of-x")["reason"]
        .as_str()
        .unwrap()
        .contains("fork"));
    let gone = repo_entry(&r, "acme/gone");
    assert_eq!(gone["status"], "failed");
    assert!(gone["reason"].as_str().unwrap().contains("404"), "{gone}");
    assert_eq!(r["repositories"].as_array().unwrap().len(), 6);
    assert!(run.stderr.contains("acme/gone"), "{}", run.stderr);

    // Human output names the repository of each place, and the audit's summary.
    let human = audit(&emu, cache.path(), &["--format", "human"]);
    assert!(
        human.stdout.contains("[acme/api] config/app.env:2:"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains(
            "audited 6 repositories: 0 scanned (0 new blobs), 4 unchanged, 1 skipped, 1 failed"
        ),
        "{}",
        human.stdout
    );
    // JSON lines carry the repository in every location.
    let lines = audit(&emu, cache.path(), &["--format", "jsonl"]);
    assert_eq!(lines.stdout.lines().count(), 2);
    assert!(lines.stdout.contains("\"repository\":\"acme/web\""));
}

#[test]
fn a_rerun_scans_nothing_and_reports_the_same_and_a_new_commit_is_found() {
    let (emu, _) = organisation();
    let cache = tempfile::tempdir().unwrap();
    let first = audit(&emu, cache.path(), &[]).json();
    let second = audit(&emu, cache.path(), &[]).json();
    for e in second["repositories"].as_array().unwrap() {
        if e["status"] != "failed" && e["status"] != "skipped" {
            assert_eq!(e["status"], "unchanged", "{e}");
            assert_eq!(e["new_blobs"], 0, "{e}");
        }
    }
    assert_eq!(second["stats"]["files_scanned"], 0);
    assert_eq!(comparable(&first), comparable(&second));

    // A new commit in acme/api: only it is scanned, only its new blob, and its token found.
    let mut fake = Fake::new(7);
    let (env, token) = env_line(&mut fake);
    emu.commit(
        "acme/api",
        "refs/heads/feature",
        &[("worker.env", env.as_str())],
        "a worker",
    );
    let third = audit(&emu, cache.path(), &[]).json();
    let api = repo_entry(&third, "acme/api");
    assert_eq!(api["status"], "scanned");
    assert_eq!(api["new_blobs"], 1, "{api}");
    assert_eq!(repo_entry(&third, "acme/web")["status"], "unchanged");
    let f = finding(&third, &token).expect("the new token");
    assert_eq!(f["locations"][0]["path"], "worker.env");
    assert_eq!(f["in_head"], false, "on a branch, not the default one");
    assert_eq!(findings(&third).len(), 3);
}

#[test]
fn the_token_is_in_no_file_of_the_cache_nor_in_any_output_and_no_secret_in_the_cache() {
    let (emu, planted) = organisation();
    let cache = tempfile::tempdir().unwrap();
    let run = audit(&emu, cache.path(), &["--verbose"]);
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
    assert!(files_containing(cache.path(), TOKEN).is_empty());
    // The cache holds hashes and previews, never the found secrets.
    for s in [&planted.shared, &planted.api_only, &planted.allowed] {
        let tail = &s[s.len() - 24..];
        let hits: Vec<String> = files_containing(&cache.path().join("state"), tail);
        assert!(hits.is_empty(), "{hits:?}");
    }
    // Every git request that carried credentials carried the token as Basic auth, and only
    // after a 401 asked for it.
    let log = emu.git_requests();
    assert!(log
        .iter()
        .any(|r| r.status == 401 && r.authorization.is_none()));
    for r in log.iter().filter(|r| r.authorization.is_some()) {
        assert_eq!(r.user.as_deref(), Some("x-access-token"));
        assert_eq!(r.password.as_deref(), Some(TOKEN));
    }
}

#[test]
fn secrets_come_back_from_the_mirror_only_when_asked() {
    let (emu, planted) = organisation();
    let cache = tempfile::tempdir().unwrap();
    audit(&emu, cache.path(), &[]);
    // A re-run (nothing scanned) with --show-secrets reads the few blobs with findings again.
    let r = audit(&emu, cache.path(), &["--show-secrets"]).json();
    assert_eq!(r["stats"]["files_scanned"], 0);
    let f = finding(&r, &planted.shared).unwrap();
    assert_eq!(f["secret"], planted.shared.as_str());
    assert_eq!(
        finding(&r, &planted.api_only).unwrap()["secret"],
        planted.api_only.as_str()
    );
    // And still nothing of them in the cache.
    let tail = &planted.shared[planted.shared.len() - 24..];
    assert!(files_containing(&cache.path().join("state"), tail).is_empty());
}

#[test]
fn issues_and_comments_are_scanned_with_their_urls() {
    let (mut w, dir): (World, _) = acme();
    w.repo("acme", "web");
    let mut fake = Fake::new(9);
    let (env, token) = env_line(&mut fake);
    let n = w.issue("acme/web", "Login broken", "it fails", false);
    let c = w.comment("acme/web", n, &format!("my config:\n{env}"), false);
    let emu = Emulator::start(w, dir);
    emu.commit("acme/web", "refs/heads/main", &[("a.txt", "a\n")], "a");
    let cache = tempfile::tempdir().unwrap();
    let without = audit(&emu, cache.path(), &[]).json();
    assert!(finding(&without, &token).is_none());
    let run = audit(&emu, cache.path(), &["--issues"]);
    let r = run.json();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = finding(&r, &token).expect("the pasted token");
    let l = &f["locations"][0];
    assert_eq!(l["repository"], "acme/web");
    assert_eq!(l["line"], 3);
    let url = l["url"].as_str().unwrap();
    assert!(url.ends_with(&format!("#issuecomment-{c}")), "{url}");
    assert_eq!(l["path"], url);
}

#[test]
fn the_account_check_judges_the_audit_and_revoke_plans_from_its_report() {
    let s = crate::emulator::shop(120);
    let db = s.emu.world().databases[s.cache].clone();
    let (mut w, dir): (World, _) = acme();
    w.repo("acme", "web");
    let emu = Emulator::start(w, dir);
    emu.commit(
        "acme/web",
        "refs/heads/main",
        &[(
            "deploy/prod.env",
            format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token).as_str(),
        )],
        "deploy",
    );
    let cache = tempfile::tempdir().unwrap();
    let report = cache.path().join("audit.json");
    let upstash = |c: &mut Command| {
        c.env("UPSTASH_EMAIL", crate::emulator::OPS)
            .env("UPSTASH_API_KEY", &s.key)
            .env("UPSWEEP_TEST_UPSTASH_ADDR", s.emu.addr.to_string())
            .env_remove("UPSTASH_API_URL");
    };
    let mut c = audit_cmd(
        &emu,
        cache.path(),
        &[
            "--account",
            "--fail-on",
            "owned",
            "-o",
            report.to_str().unwrap(),
        ],
    );
    upstash(&mut c);
    let run: Run = c.output().unwrap().into();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let f = finding(&r, &db.rest_token).expect("the leaked token");
    assert_eq!(f["account"]["verdict"], "owned", "{f}");
    assert!(!r.to_string().contains(&db.rest_token));

    let mut revoke = Command::new(env!("CARGO_BIN_EXE_upsweep"));
    revoke
        .current_dir(cache.path())
        .args(["revoke", "--report", "audit.json"])
        .stdin(std::process::Stdio::null());
    upstash(&mut revoke);
    let dry: Run = revoke.output().unwrap().into();
    assert_eq!(dry.code, 1, "{}\n{}", dry.stdout, dry.stderr);
    assert!(
        dry.stdout.contains("Rotations, in this order (1)"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("deploy/prod.env"), "{}", dry.stdout);
}

#[test]
fn a_rate_limit_past_max_wait_fails_what_was_not_reached_and_the_rest_is_audited() {
    use super::emulator::{Fault, FaultKind};
    let (mut w, dir): (World, _) = acme();
    w.org("beta", &["alice"]);
    w.repo("acme", "web");
    w.repo("beta", "site");
    let emu = Emulator::start(w, dir);
    let mut fake = Fake::new(5);
    let (env, token) = env_line(&mut fake);
    emu.commit(
        "acme/web",
        "refs/heads/main",
        &[(".env", env.as_str())],
        "x",
    );
    emu.commit("beta/site", "refs/heads/main", &[("a.txt", "a\n")], "x");
    // beta cannot be listed before the limit resets, in an hour: past --max-wait.
    emu.fault(Fault::new(
        "/orgs/beta/repos",
        FaultKind::Primary { reset_in: 3600 },
    ));
    let cache = tempfile::tempdir().unwrap();
    let run = audit(
        &emu,
        cache.path(),
        &["--org", "acme", "--org", "beta", "--max-wait", "2s"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let r = run.json();
    let beta = repo_entry(&r, "beta");
    assert_eq!(beta["status"], "failed");
    let reason = beta["reason"].as_str().unwrap();
    assert!(
        reason.contains("rate limit") && reason.contains("--max-wait"),
        "{reason}"
    );
    // What was listed before is audited all the same.
    assert_eq!(repo_entry(&r, "acme/web")["status"], "scanned");
    assert!(finding(&r, &token).is_some());
    assert!(run.stderr.contains("rate limit"), "{}", run.stderr);
}

#[test]
fn changed_rules_scan_the_history_again_and_the_projects_choices_need_no_scan() {
    let (emu, planted) = organisation();
    let cache = tempfile::tempdir().unwrap();
    audit(&emu, cache.path(), &[]);
    // A rule turned off changes what a scan finds: every repository is scanned again.
    let cfg = cache.path().join("audit.toml");
    std::fs::write(&cfg, "disable-rules = [\"upstash.qstash.token\"]\n").unwrap();
    let run = audit(&emu, cache.path(), &["--config", cfg.to_str().unwrap()]);
    let r = run.json();
    assert_eq!(repo_entry(&r, "acme/web")["status"], "scanned");
    assert_eq!(repo_entry(&r, "acme/web")["new_blobs"], 3);
    assert!(run.stderr.contains("the rules changed"), "{}", run.stderr);
    // An allowed hash is the project's choice: applied to the report, nothing scanned.
    let sha = upsweep::finding::sha256_hex(&planted.shared);
    std::fs::write(
        &cfg,
        format!(
            "disable-rules = [\"upstash.qstash.token\"]\n[[allow]]\nsha256 = \"{sha}\"\nreason = \"a demo database\"\n"
        ),
    )
    .unwrap();
    let r = audit(&emu, cache.path(), &["--config", cfg.to_str().unwrap()]).json();
    assert_eq!(r["stats"]["files_scanned"], 0);
    assert!(finding(&r, &planted.shared).is_none());
    assert_eq!(r["stats"]["suppressed_allowed"], 1);
    assert!(finding(&r, &planted.api_only).is_some());
}

/// Without --cache the mirrors go to `github` in UPSWEEP_CACHE_DIR (the cache directory
/// `revoke` uses too), not to the platform's cache under HOME; a second run finds them there
/// and scans nothing new.
#[test]
fn without_cache_the_audit_keeps_its_mirrors_in_upsweep_cache_dir() {
    let (emu, _) = organisation();
    let tmp = tempfile::tempdir().unwrap();
    let (cache, home) = (tmp.path().join("cache"), tmp.path().join("home"));
    std::fs::create_dir_all(&home).unwrap();
    let run = || -> Run {
        Command::new(env!("CARGO_BIN_EXE_upsweep"))
            .current_dir(tmp.path())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .env("GITHUB_TOKEN", TOKEN)
            .env_remove("GH_TOKEN")
            .env_remove("GITHUB_API_URL")
            .env_remove("XDG_CACHE_HOME")
            .env("HOME", &home)
            .env("UPSWEEP_CACHE_DIR", &cache)
            .args(["github", "--github-api-url", &emu.url(), "--org", "acme"])
            .args(["--jobs", "2", "--format", "json"])
            .output()
            .expect("run upsweep")
            .into()
    };
    let first = run();
    assert_eq!(first.code, 2, "acme/gone fails: {}", first.stderr);
    let mirrors = std::fs::read_dir(cache.join("github"))
        .expect("the cache under UPSWEEP_CACHE_DIR/github")
        .count();
    assert!(mirrors > 0, "something is kept in the cache");
    assert!(
        !home.join(".cache").exists(),
        "nothing written under HOME's cache"
    );
    let second = run().json();
    assert_eq!(second["stats"]["files_scanned"], 0, "{second}");
    assert_eq!(comparable(&second), comparable(&first.json()));
}
