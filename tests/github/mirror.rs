//! Fetching into the cache over git's smart HTTP protocol, against the real `git
//! http-backend`: the token arrives as Basic auth and nowhere else, a re-run transfers nothing,
//! pull-request heads are kept (or not), and failures say why without the token.

use super::emulator::{Emulator, Fault, FaultKind};
use super::{acme, harness, TOKEN};
use git2::Repository;
use std::path::Path;
use upsweep::github::mirror::{fetch, MirrorOptions};
use upsweep::github::repos::list;
use upsweep::github::{FetchError, Filters, Repo, Target};

/// acme/web: main with two commits, a feature branch, a tag, and pull request 1 whose head is
/// on no branch (its branch was deleted).
fn web() -> Emulator {
    let (mut w, dir) = acme();
    w.repo("acme", "web").private = true;
    w.repo("acme", "empty");
    w.repo("acme", "gone").deleted = true;
    let emu = Emulator::start(w, dir);
    let c1 = emu.commit(
        "acme/web",
        "refs/heads/main",
        &[("README.md", "hello\n")],
        "first",
    );
    emu.commit(
        "acme/web",
        "refs/heads/main",
        &[("src/app.js", "console.log(1)\n")],
        "second",
    );
    emu.set_ref("acme/web", "refs/tags/v1", c1);
    emu.commit(
        "acme/web",
        "refs/heads/feature",
        &[("feature.txt", "wip\n")],
        "feature",
    );
    let pr = emu.commit(
        "acme/web",
        "refs/heads/pr-branch",
        &[(".env", "SOMETHING=1\n")],
        "pr",
    );
    emu.set_ref("acme/web", "refs/pull/1/head", pr);
    emu.delete_ref("acme/web", "refs/heads/pr-branch");
    emu.clear_logs();
    emu
}

fn listed(emu: &Emulator, h: &super::Harness) -> Vec<Repo> {
    let l = list(
        &h.client,
        &[Target::org("acme").unwrap()],
        &Filters::default(),
    )
    .unwrap();
    emu.clear_logs();
    l.repos
}

fn repo<'a>(repos: &'a [Repo], name: &str) -> &'a Repo {
    repos.iter().find(|r| r.full_name == name).expect(name)
}

fn refs(path: &Path) -> Vec<String> {
    let r = Repository::open_bare(path).unwrap();
    let mut v: Vec<String> = r
        .references()
        .unwrap()
        .flatten()
        .filter_map(|r| r.name().map(str::to_string))
        .collect();
    v.sort();
    v
}

/// Every file under `dir` that contains `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
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
fn the_token_goes_as_basic_auth_and_nowhere_into_the_cache() {
    let emu = web();
    let h = harness(&emu, Some(TOKEN), |_| {});
    let repos = listed(&emu, &h);
    let cache = tempfile::tempdir().unwrap();
    let f = fetch(
        cache.path(),
        &h.cfg,
        repo(&repos, "acme/web"),
        &MirrorOptions::default(),
    )
    .expect("fetch");
    assert!(f.created && f.received_objects > 0);
    assert_eq!(
        refs(&f.path),
        [
            "refs/heads/feature",
            "refs/heads/main",
            "refs/pull/1/head",
            "refs/tags/v1"
        ]
    );
    let mirror = Repository::open_bare(&f.path).unwrap();
    assert_eq!(mirror.head().unwrap().name(), Some("refs/heads/main"));
    assert_eq!(f.refs, 4);

    // git asked without credentials first, got 401, then sent the token as Basic auth.
    let log = emu.git_requests();
    assert_eq!(log[0].status, 401);
    assert!(log[0].authorization.is_none());
    let authed: Vec<_> = log.iter().filter(|r| r.authorization.is_some()).collect();
    assert!(!authed.is_empty());
    for r in &authed {
        assert_eq!(r.user.as_deref(), Some("x-access-token"));
        assert_eq!(r.password.as_deref(), Some(TOKEN));
        assert_eq!(r.status, 200);
    }
    assert!(authed.iter().any(|r| r.path.ends_with("/git-upload-pack")));

    // Nothing under the cache holds the token: not the mirror's config, refs or logs.
    assert!(files_containing(cache.path(), TOKEN).is_empty());
    let config = std::fs::read_to_string(f.path.join("config")).unwrap();
    assert!(!config.contains("url"), "{config}");
}

#[test]
fn a_second_fetch_transfers_nothing_and_a_new_commit_only_itself() {
    let emu = web();
    let h = harness(&emu, Some(TOKEN), |_| {});
    let repos = listed(&emu, &h);
    let cache = tempfile::tempdir().unwrap();
    let web = repo(&repos, "acme/web");
    fetch(cache.path(), &h.cfg, web, &MirrorOptions::default()).unwrap();
    emu.clear_logs();

    let again = fetch(cache.path(), &h.cfg, web, &MirrorOptions::default()).unwrap();
    assert!(!again.created);
    assert_eq!((again.received_objects, again.updated_refs), (0, 0));
    // Only the ref advertisement: no pack was asked for.
    let log = emu.git_requests();
    assert!(
        log.iter().all(|r| r.path.contains("/info/refs")),
        "{log:#?}"
    );

    let new = emu.commit(
        "acme/web",
        "refs/heads/main",
        &[("config.env", "KEY=value\n")],
        "third",
    );
    emu.clear_logs();
    let third = fetch(cache.path(), &h.cfg, web, &MirrorOptions::default()).unwrap();
    // The commit, its tree, one new blob and the changed root tree: nothing older.
    assert!(
        (1..=4).contains(&third.received_objects),
        "{}",
        third.received_objects
    );
    assert_eq!(third.updated_refs, 1);
    let mirror = Repository::open_bare(&third.path).unwrap();
    assert_eq!(
        mirror.find_reference("refs/heads/main").unwrap().target(),
        Some(new)
    );
    assert!(emu
        .git_requests()
        .iter()
        .any(|r| r.path.ends_with("/git-upload-pack")));
}

#[test]
fn pull_request_heads_can_be_left_out_and_branches_deleted_upstream_go() {
    let emu = web();
    let h = harness(&emu, Some(TOKEN), |_| {});
    let repos = listed(&emu, &h);
    let cache = tempfile::tempdir().unwrap();
    let web = repo(&repos, "acme/web");
    fetch(cache.path(), &h.cfg, web, &MirrorOptions::default()).unwrap();
    emu.delete_ref("acme/web", "refs/heads/feature");
    let opts = MirrorOptions {
        pull_requests: false,
        ..MirrorOptions::default()
    };
    let f = fetch(cache.path(), &h.cfg, web, &opts).unwrap();
    assert_eq!(refs(&f.path), ["refs/heads/main", "refs/tags/v1"]);
}

#[test]
fn an_empty_repository_gives_an_empty_mirror() {
    let emu = web();
    let h = harness(&emu, Some(TOKEN), |_| {});
    let repos = listed(&emu, &h);
    let empty = repo(&repos, "acme/empty");
    assert_eq!(empty.size, 0);
    let cache = tempfile::tempdir().unwrap();
    let f = fetch(cache.path(), &h.cfg, empty, &MirrorOptions::default()).unwrap();
    assert_eq!((f.refs, f.received_objects), (0, 0));
}

#[test]
fn a_repository_deleted_after_the_listing_fails_with_the_reason() {
    let emu = web();
    let h = harness(&emu, Some(TOKEN), |_| {});
    let repos = listed(&emu, &h);
    let cache = tempfile::tempdir().unwrap();
    let e = fetch(
        cache.path(),
        &h.cfg,
        repo(&repos, "acme/gone"),
        &MirrorOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, FetchError::Git(_)), "{e:?}");
    assert!(e.to_string().contains("404"), "{e}");
    assert!(!e.to_string().contains(TOKEN));
}

#[test]
fn a_rejected_token_fails_once_instead_of_looping() {
    let emu = web();
    let h = harness(&emu, Some(TOKEN), |_| {});
    let repos = listed(&emu, &h);
    let wrong = harness(&emu, Some("ghp_revokedTokenValue000000000"), |_| {});
    let cache = tempfile::tempdir().unwrap();
    let e = fetch(
        cache.path(),
        &wrong.cfg,
        repo(&repos, "acme/web"),
        &MirrorOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e, FetchError::Auth("the token was rejected".into()));
    assert!(emu.git_requests().len() <= 3, "{:#?}", emu.git_requests());
    // Without a token at all, git is told so.
    let anon = harness(&emu, None, |_| {});
    let e = fetch(
        cache.path(),
        &anon.cfg,
        repo(&repos, "acme/web"),
        &MirrorOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("needs a token"), "{e}");
}

#[test]
fn a_clone_url_off_the_api_host_is_never_contacted() {
    let emu = web();
    let h = harness(&emu, Some(TOKEN), |_| {});
    let repos = listed(&emu, &h);
    let mut elsewhere = repo(&repos, "acme/web").clone();
    elsewhere.clone_url = "http://example.com/acme/web.git".into();
    let cache = tempfile::tempdir().unwrap();
    let e = fetch(cache.path(), &h.cfg, &elsewhere, &MirrorOptions::default()).unwrap_err();
    assert!(matches!(e, FetchError::Refused(_)), "{e:?}");
    assert!(emu.git_requests().is_empty());
    assert!(!cache.path().join("mirrors").exists());
}

#[test]
fn a_mirror_feeds_the_history_engine_pull_request_heads_included() {
    let emu = web();
    let h = harness(&emu, Some(TOKEN), |_| {});
    let repos = listed(&emu, &h);
    let cache = tempfile::tempdir().unwrap();
    let f = fetch(
        cache.path(),
        &h.cfg,
        repo(&repos, "acme/web"),
        &MirrorOptions::default(),
    )
    .unwrap();
    // `upsweep git` on the mirror: the pull request's commit lives on no branch, only
    // refs/pull/1/head reaches it, and it is counted with the three others.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_upsweep"))
        .args(["git", "--format", "json"])
        .arg(&f.path)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(
        report["errors"].as_array().map(Vec::len),
        Some(0),
        "{report}"
    );
    assert_eq!(report["stats"]["git_commits"], 4, "{report}");
    // README.md, feature.txt, src/app.js, the pull request's .env and b.txt's absence.
    assert_eq!(report["stats"]["files_scanned"], 4, "{report}");
}

#[test]
fn tips_say_whether_anything_changed_and_a_killed_fetch_leaves_nothing_in_the_way() {
    let emu = web();
    let h = harness(&emu, Some(TOKEN), |_| {});
    let repos = listed(&emu, &h);
    let web = repo(&repos, "acme/web");
    let cache = tempfile::tempdir().unwrap();
    let f = fetch(cache.path(), &h.cfg, web, &MirrorOptions::default()).unwrap();
    let before = upsweep::github::mirror::tips(&f.path).unwrap();
    assert_eq!(before.len(), 4);
    // A fetch killed while updating refs leaves its lock files behind.
    std::fs::write(f.path.join("packed-refs.lock"), b"").unwrap();
    std::fs::write(f.path.join("refs/heads/main.lock"), b"").unwrap();
    let new = emu.commit("acme/web", "refs/heads/main", &[("b.txt", "b\n")], "more");
    let again = fetch(cache.path(), &h.cfg, web, &MirrorOptions::default()).unwrap();
    assert_eq!(again.updated_refs, 1);
    let after = upsweep::github::mirror::tips(&f.path).unwrap();
    assert_ne!(before, after);
    assert_eq!(after["refs/heads/main"], new.to_string());
    assert!(!f.path.join("refs/heads/main.lock").exists());
}

#[test]
fn a_redirect_is_not_followed_and_a_server_error_is_a_failure() {
    let emu = web();
    let h = harness(&emu, Some(TOKEN), |_| {});
    let repos = listed(&emu, &h);
    let web = repo(&repos, "acme/web");
    let cache = tempfile::tempdir().unwrap();
    // A redirect to another host (where the token must never go): not followed.
    emu.fault(
        Fault::new(
            "/git/acme/web.git/info/refs",
            FaultKind::Redirect("http://127.0.0.2:9/elsewhere/web.git/info/refs".into()),
        )
        .times(1),
    );
    let e = fetch(cache.path(), &h.cfg, web, &MirrorOptions::default()).unwrap_err();
    assert!(matches!(e, FetchError::Git(_)), "{e:?}");
    assert!(e.to_string().contains("redirects are not followed"), "{e}");
    assert_eq!(emu.git_requests().len(), 1, "{:#?}", emu.git_requests());

    // A server error on the pack request: the fetch fails with the status, without the token.
    emu.clear_logs();
    emu.fault(
        Fault::new(
            "/git/acme/web.git/git-upload-pack",
            FaultKind::Status(500, "boom".into()),
        )
        .times(1),
    );
    let e = fetch(cache.path(), &h.cfg, web, &MirrorOptions::default()).unwrap_err();
    assert!(e.to_string().contains("500"), "{e}");
    assert!(!e.to_string().contains(TOKEN));
    // And the next fetch works.
    let f = fetch(cache.path(), &h.cfg, web, &MirrorOptions::default()).unwrap();
    assert_eq!(f.refs, 4);
}
