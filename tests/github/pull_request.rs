//! The pull-request gate end to end, the binary against the emulator: `upsweep git --ci
//! --pr-comment` (and `--range` with `--pr`) keeps exactly one comment current across pushes,
//! clears it when the pull request no longer adds a credential, never puts a secret in it,
//! finds its comment on a later page, and never lets a failure to comment change the exit
//! code; the job summary lists every finding and says how many annotations GitHub hides.

use super::emulator::{Emulator, Fault, FaultKind};
use super::{acme, TOKEN};
use crate::common::{self, commit, head, rest_token as token, Run, TestEnv};
use std::process::Command;
use upsweep::finding::redact;
use upsweep::github::PR_COMMENT_MARKER;

const REPO: &str = "acme/web";

/// A repository with one commit (a README), the base a pull request starts from.
fn repo() -> TestEnv {
    let env = common::repo();
    env.write("README.md", "web\n");
    commit(&env, "base");
    env
}

/// A pull_request run of GitHub Actions: its event file and environment, against `emu`.
struct Actions<'a> {
    emu: &'a Emulator,
    number: u64,
    base: String,
    token: &'a str,
    events: tempfile::TempDir,
}

impl<'a> Actions<'a> {
    fn new(emu: &'a Emulator, number: u64, base: &str) -> Actions<'a> {
        Actions {
            emu,
            number,
            base: base.to_string(),
            token: TOKEN,
            events: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self, env: &TestEnv, head: &str) -> Command {
        let event = self.events.path().join("event.json");
        std::fs::write(
            &event,
            format!(
                r#"{{"pull_request":{{"number":{},"base":{{"sha":"{}"}},"head":{{"sha":"{head}"}}}}}}"#,
                self.number, self.base
            ),
        )
        .unwrap();
        let mut c = env.cmd();
        c.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_EVENT_PATH", &event)
            .env("GITHUB_SHA", head)
            .env("GITHUB_REF", format!("refs/pull/{}/merge", self.number))
            .env("GITHUB_REPOSITORY", REPO)
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_API_URL", self.emu.url())
            .env("GITHUB_TOKEN", self.token);
        c
    }

    /// `upsweep git --ci --pr-comment --format github` at the repository's HEAD.
    fn run(&self, env: &TestEnv) -> Run {
        let head = head(env);
        self.cmd(env, &head)
            .args(["git", "--ci", "--pr-comment", "--format", "github"])
            .output()
            .expect("run upsweep")
            .into()
    }
}

/// The bodies of the comments carrying upsweep's marker.
fn marked(emu: &Emulator) -> Vec<String> {
    emu.world()
        .comments
        .iter()
        .filter(|c| c.body.contains(PR_COMMENT_MARKER))
        .map(|c| c.body.clone())
        .collect()
}

fn writes(emu: &Emulator) -> Vec<(String, String)> {
    emu.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| (r.method, r.path))
        .collect()
}

fn assert_no_secret(emu: &Emulator, secrets: &[&str]) {
    for r in emu.requests() {
        for s in secrets {
            assert!(
                !r.body.contains(s),
                "a secret was sent to GitHub: {}",
                r.path
            );
        }
    }
    for c in emu.world().comments.iter() {
        for s in secrets {
            assert!(!c.body.contains(s), "a secret is in a comment");
        }
    }
}

#[test]
fn one_comment_kept_current_across_pushes_and_cleared_when_the_pull_request_is_fixed() {
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let pr = w.issue(REPO, "Add the cache", "", true);
    // A long conversation: upsweep's comment will be the 102nd, on page 2 of 100.
    for i in 0..101 {
        w.comment(REPO, pr, &format!("review note {i}"), false);
    }
    let emu = Emulator::start(w, dir);
    let env = repo();
    let base = head(&env);
    let actions = Actions::new(&emu, pr, &base);

    let t1 = token(301);
    env.write(
        "app/.env",
        format!("# cache\nUPSTASH_REDIS_REST_TOKEN={t1}\n"),
    );
    let head1 = commit(&env, "add the cache");
    let r = actions.run(&env);
    assert_eq!(r.code, 1, "the gate fails: {}", r.stderr);
    assert!(
        r.stderr.contains("pull-request comment posted"),
        "{}",
        r.stderr
    );
    let bodies = marked(&emu);
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    let body = &bodies[0];
    assert!(body.starts_with(PR_COMMENT_MARKER), "{body}");
    for want in [
        "this pull request adds 1 Upstash credential",
        "Upstash Redis REST token (read-write)",
        &format!("(https://github.com/acme/web/blob/{head1}/app/.env#L2)"),
        &format!("`{}`", redact(&t1)),
        "`UPSTASH_REDIS_REST_TOKEN`",
        "still at the head",
        "upsweep revoke",
        "upsweep:allow <reason>",
    ] {
        assert!(body.contains(want), "{want:?} missing from:\n{body}");
    }

    // The same head again: the comment is found on page 2 and left alone.
    emu.clear_logs();
    let r = actions.run(&env);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("already up to date"), "{}", r.stderr);
    assert_eq!(writes(&emu), [], "nothing written when nothing changed");
    let pages = emu.requests().len();
    assert_eq!(pages, 2, "both pages of comments read");

    // Another push adds a second credential: the same comment, updated.
    let t2 = token(302);
    env.write("src/cache.ts", format!("export const token = \"{t2}\";\n"));
    let head2 = commit(&env, "use it");
    emu.clear_logs();
    let r = actions.run(&env);
    assert_eq!(r.code, 1);
    assert_eq!(writes(&emu).len(), 1);
    assert_eq!(writes(&emu)[0].0, "PATCH");
    let bodies = marked(&emu);
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0].contains("adds 2 Upstash credentials"),
        "{}",
        bodies[0]
    );
    assert!(bodies[0].contains(&format!("blob/{head2}/src/cache.ts#L1")));

    // The branch is rewritten without the credentials (a force push): the comment says so.
    env.git(&["reset", "-q", "--hard", &base]);
    env.write(
        "app/.env",
        "# cache\nUPSTASH_REDIS_REST_TOKEN=${UPSTASH_REDIS_REST_TOKEN}\n",
    );
    commit(&env, "add the cache, from the environment");
    let r = actions.run(&env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("pull-request comment updated"),
        "{}",
        r.stderr
    );
    let bodies = marked(&emu);
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0].contains("no Upstash credentials added")
            && bodies[0].contains("rotate it anyway"),
        "{}",
        bodies[0]
    );
    assert_eq!(
        emu.world().comments.len(),
        101 + 1,
        "never a second comment"
    );
    assert_no_secret(&emu, &[&t1, &t2]);
}

/// With `--account`, the comment says which values are current credentials of the account
/// (the resource, never the account's email), and `--show-secrets` does not reach it.
#[test]
fn the_comment_gives_the_account_verdict_and_never_the_secret() {
    use crate::emulator::fixtures::{shop, OPS};
    let shop = shop(62);
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let pr = w.issue(REPO, "Wire the cache", "", true);
    let emu = Emulator::start(w, dir);
    let env = repo();
    let actions = Actions::new(&emu, pr, &head(&env));
    let owned = shop.emu.world().databases[shop.cache].rest_token.clone();
    let stranger = token(305);
    env.write(
        "app/.env",
        format!("UPSTASH_REDIS_REST_TOKEN={owned}\nOTHER_REDIS_TOKEN={stranger}\n"),
    );
    let head = commit(&env, "wire the cache");
    let summary = tempfile::NamedTempFile::new().unwrap().into_temp_path();
    let r: Run = actions
        .cmd(&env, &head)
        .args(["git", "--ci", "--pr-comment", "--account", "--show-secrets"])
        .env("UPSTASH_EMAIL", OPS)
        .env("UPSTASH_API_KEY", &shop.key)
        .env("UPSWEEP_TEST_UPSTASH_ADDR", shop.emu.addr.to_string())
        .env_remove("UPSTASH_API_URL")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains(&owned),
        "--show-secrets is honoured on the log"
    );
    let bodies = marked(&emu);
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    let body = &bodies[0];
    assert!(body.contains("adds 2 Upstash credentials"), "{body}");
    assert!(
        body.contains("**yours, current**: Redis database 'prod-cache' (eu-west-1)"),
        "the owned one is named: {body}"
    );
    assert!(body.contains("not your account's"), "{body}");
    assert!(!body.contains(OPS), "no account email in a comment: {body}");
    assert_no_secret(&emu, &[&owned, &stranger]);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains("**yours, current**"), "{text}");
    for s in [&owned, &stranger] {
        assert!(!text.contains(s.as_str()), "a secret in the job summary");
    }
}

/// A credential inside an archive: the comment and the job summary name the place inside
/// (`dist/app.tgz!package/.env:1`) and link the archive file at the head (its lines are the
/// entry's, so no line); an archive rebuilt around the same entry still holds it at the head.
#[test]
fn an_archive_is_named_by_its_chain_and_linked_at_its_file() {
    use crate::archive::tgz;
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let pr = w.issue(REPO, "Ship the bundle", "", true);
    let emu = Emulator::start(w, dir);
    let env = repo();
    let actions = Actions::new(&emu, pr, &head(&env));
    let t = token(306);
    let dotenv = format!("UPSTASH_REDIS_REST_TOKEN={t}\n");
    env.write("dist/app.tgz", tgz(&[("package/.env", dotenv.as_bytes())]));
    commit(&env, "ship the bundle");
    // Rebuilt with one more file: the archive's bytes change, the .env entry does not.
    env.write(
        "dist/app.tgz",
        tgz(&[
            ("package/.env", dotenv.as_bytes()),
            ("package/index.js", b"module.exports = 1;\n"),
        ]),
    );
    let head = commit(&env, "rebuild the bundle");
    let summary = tempfile::NamedTempFile::new().unwrap().into_temp_path();
    let r: Run = actions
        .cmd(&env, &head)
        .args(["git", "--ci", "--pr-comment", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let bodies = marked(&emu);
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    let link = format!(
        "[dist/app.tgz!package/.env:1](https://github.com/acme/web/blob/{head}/dist/app.tgz)"
    );
    assert!(bodies[0].contains(&link), "{link} missing:\n{}", bodies[0]);
    assert!(
        bodies[0].contains("still at the head"),
        "the rebuilt archive still holds it: {}",
        bodies[0]
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains(&link), "{link} missing:\n{text}");
    assert_no_secret(&emu, &[&t]);
    assert!(!text.contains(&t));
}

#[test]
fn a_clean_pull_request_gets_no_comment() {
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let pr = w.issue(REPO, "Docs", "", true);
    let emu = Emulator::start(w, dir);
    let env = repo();
    let actions = Actions::new(&emu, pr, &head(&env));
    env.write(
        "docs/cache.md",
        "Set UPSTASH_REDIS_REST_TOKEN in the environment.\n",
    );
    commit(&env, "docs");
    let r = actions.run(&env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(emu.world().comments.is_empty());
    assert_eq!(writes(&emu), []);
}

#[test]
fn a_range_with_pr_links_a_removed_credential_where_it_was_added() {
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let pr = w.issue(REPO, "Try the cache", "", true);
    let emu = Emulator::start(w, dir);
    let env = repo();
    let base = head(&env);
    let t = token(303);
    env.write("app/.env", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    let added = commit(&env, "add");
    env.write("app/.env", "UPSTASH_REDIS_REST_TOKEN=\n");
    let removed = commit(&env, "oops, remove");
    let r: Run = env
        .cmd()
        .args(["git", "--range", &format!("{base}..HEAD"), "--pr-comment"])
        .args(["--pr", &pr.to_string()])
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_API_URL", emu.url())
        .env("GITHUB_TOKEN", TOKEN)
        .output()
        .unwrap()
        .into();
    assert_eq!(
        r.code, 1,
        "a later commit does not take it back: {}",
        r.stderr
    );
    assert!(
        r.stdout.contains(&format!("removed in {}", &removed[..7])),
        "{}",
        r.stdout
    );
    let bodies = marked(&emu);
    assert_eq!(bodies.len(), 1);
    let body = &bodies[0];
    assert!(
        body.contains(&format!("removed in `{}`", &removed[..7])),
        "{body}"
    );
    // Without GITHUB_SERVER_URL, links go to the web host of the API (here, the emulator's).
    assert!(
        body.contains(&format!("{}/acme/web/blob/{added}/app/.env#L1", emu.url())),
        "linked where it is: {body}"
    );
    assert_no_secret(&emu, &[&t]);
}

#[test]
fn a_read_only_token_or_a_failing_api_never_changes_the_exit_code() {
    let (mut w, dir) = acme();
    w.token("ghs_forkReadOnlyToken0000000000", "github-actions", true);
    w.repo("acme", "web");
    let pr = w.issue(REPO, "From a fork", "", true);
    let emu = Emulator::start(w, dir);
    let env = repo();
    let mut actions = Actions::new(&emu, pr, &head(&env));
    actions.token = "ghs_forkReadOnlyToken0000000000";
    let t = token(304);
    env.write(".env", format!("UPSTASH_REDIS_REST_TOKEN={t}\n"));
    commit(&env, "leak");

    let r = actions.run(&env);
    assert_eq!(r.code, 1, "the findings decide: {}", r.stderr);
    assert!(
        r.stderr.contains("notice: could not comment") && r.stderr.contains("403"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("fork"), "says why: {}", r.stderr);
    assert!(emu.world().comments.is_empty());

    // Any other failure: a server error, no server, plain http off loopback, no token.
    actions.token = TOKEN;
    emu.fault(Fault::new(
        "/repos/acme/web/issues",
        FaultKind::Status(500, "boom".into()),
    ));
    let r = actions.run(&env);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("notice"), "{}", r.stderr);
    let head = head(&env);
    for (var, value, says) in [
        ("GITHUB_API_URL", "http://127.0.0.1:9", "could not comment"),
        (
            "GITHUB_API_URL",
            "http://github.example.com",
            "plain http://",
        ),
        ("GITHUB_TOKEN", "", "GITHUB_TOKEN is not set"),
    ] {
        let r: Run = actions
            .cmd(&env, &head)
            .args(["git", "--ci", "--pr-comment"])
            .env(var, value)
            .output()
            .unwrap()
            .into();
        assert_eq!(r.code, 1, "{var}={value}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{var}={value}: {}", r.stderr);
        assert!(!r.stderr.contains(&t));
    }
    // And a push event is no pull request: nothing to comment on, the gate as usual.
    let r: Run = actions
        .cmd(&env, &head)
        .args(["git", "--range", "HEAD~1..HEAD", "--pr-comment"])
        .env_remove("GITHUB_EVENT_PATH")
        .env("GITHUB_REF", "refs/heads/main")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no pull request number"), "{}", r.stderr);
}

#[test]
fn pr_comment_needs_a_range() {
    let env = repo();
    let r: Run = env
        .cmd()
        .args(["git", "--pr-comment"])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--ci"), "{}", r.stderr);
    let r: Run = env
        .cmd()
        .args(["git", "--pr", "3"])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 2, "--pr without --pr-comment: {}", r.stderr);
}

#[test]
fn the_job_summary_lists_every_finding_and_the_annotations_github_hides() {
    let env = repo();
    let base = head(&env);
    let tokens: Vec<String> = (0..12).map(|i| token(400 + i)).collect();
    for (i, t) in tokens.iter().enumerate() {
        env.write(
            &format!("svc{i}/.env"),
            format!("UPSTASH_REDIS_REST_TOKEN={t}\n"),
        );
    }
    let head = commit(&env, "twelve services");
    let summary = tempfile::NamedTempFile::new().unwrap().into_temp_path();
    std::fs::write(&summary, "## earlier step\n").unwrap();
    let events = tempfile::tempdir().unwrap();
    let event = events.path().join("event.json");
    std::fs::write(
        &event,
        format!(r#"{{"pull_request":{{"number":5,"base":{{"sha":"{base}"}},"head":{{"sha":"{head}"}}}}}}"#),
    )
    .unwrap();
    let r: Run = env
        .cmd()
        .args(["git", "--ci", "--format", "github"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_SHA", &head)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.starts_with("::error "))
            .count(),
        12
    );
    assert!(
        r.stdout.contains("2 of these 12 annotations are not shown"),
        "{}",
        r.stdout
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("## earlier step\n"),
        "appended, not replaced"
    );
    assert!(
        text.contains("12 leaked credentials in 12 places"),
        "{text}"
    );
    assert!(
        text.contains("**2 annotations of this step are not shown**"),
        "{text}"
    );
    for (i, t) in tokens.iter().enumerate() {
        assert!(!text.contains(t.as_str()), "a secret in the summary");
        assert!(text.contains(&redact(t)), "finding {i} missing:\n{text}");
        assert!(
            text.contains(&format!(
                "(https://github.com/acme/web/blob/{head}/svc{i}/.env#L1)"
            )),
            "finding {i} not linked:\n{text}"
        );
    }
    // Outside a GitHub run (no --ci, no --format github), nothing is appended.
    let before = std::fs::read_to_string(&summary).unwrap();
    let r: Run = env
        .cmd()
        .args(["git", "--range", &format!("{base}..HEAD")])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1);
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), before);
}
