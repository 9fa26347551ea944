//! Which repositories an audit covers: every page, private and internal ones the token can
//! read, forks, archived, excluded, deleted and missing ones, each with its reason.

use super::emulator::{Emulator, World};
use super::{acme, harness, TOKEN};
use upsweep::github::repos::list;
use upsweep::github::{Filters, GithubError, Notice, SkipReason, Target};

/// acme: seven repositories of every sort, and one of another organisation.
fn acme_world() -> (World, tempfile::TempDir) {
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    w.repo("acme", "api").private = true;
    w.repo("acme", "platform").internal = true;
    w.repo("acme", "fork-of-lib").fork = true;
    w.repo("acme", "old-site").archived = true;
    w.repo("acme", "legacy-billing");
    w.repo("acme", "gone").deleted = true;
    w.org("other", &[]);
    w.repo("other", "secret").private = true;
    (w, dir)
}

fn names(repos: &[upsweep::github::Repo]) -> Vec<&str> {
    repos.iter().map(|r| r.full_name.as_str()).collect()
}

#[test]
fn an_organisation_is_listed_page_by_page_with_every_skip_explained() {
    let (w, dir) = acme_world();
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |c| c.limits.per_page = 2);
    let filters = Filters {
        include_forks: false,
        exclude_archived: false,
        exclude: vec!["acme/legacy-*".into()],
    };
    let l = list(&h.client, &[Target::org("acme").unwrap()], &filters).unwrap();

    // Private and internal ones the member can read; archived kept; the deleted one is still
    // listed (it 404s later, when fetched).
    assert_eq!(
        names(&l.repos),
        [
            "acme/api",
            "acme/gone",
            "acme/old-site",
            "acme/platform",
            "acme/web"
        ]
    );
    let skipped: Vec<(&str, &SkipReason)> = l
        .skipped
        .iter()
        .map(|s| (s.repo.full_name.as_str(), &s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            ("acme/fork-of-lib", &SkipReason::Fork),
            (
                "acme/legacy-billing",
                &SkipReason::Excluded("acme/legacy-*".into())
            ),
        ]
    );
    assert!(l.failed.is_empty());
    assert_eq!(
        l.skipped[0].reason.to_string(),
        "fork (audit forks with --include-forks)"
    );

    // Seven repositories, two a page: four requests, following the Link header, every one
    // with the token.
    let reqs = emu.requests();
    assert_eq!(reqs.len(), 4, "{reqs:#?}");
    assert_eq!(reqs[0].path, "/orgs/acme/repos?type=all&per_page=2");
    assert!(reqs[3].path.ends_with("page=4"), "{}", reqs[3].path);
    assert!(reqs
        .iter()
        .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")[..])));
    let web = l.repos.iter().find(|r| r.full_name == "acme/web").unwrap();
    assert_eq!(web.clone_url, format!("{}/git/acme/web.git", emu.url()));
    assert_eq!(
        l.repos
            .iter()
            .find(|r| r.full_name == "acme/platform")
            .unwrap()
            .visibility
            .as_deref(),
        Some("internal")
    );
}

#[test]
fn forks_on_request_archived_off_on_request() {
    let (w, dir) = acme_world();
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |_| {});
    let filters = Filters {
        include_forks: true,
        exclude_archived: true,
        exclude: vec![],
    };
    let l = list(&h.client, &[Target::org("acme").unwrap()], &filters).unwrap();
    assert!(names(&l.repos).contains(&"acme/fork-of-lib"));
    assert!(!names(&l.repos).contains(&"acme/old-site"));
    assert_eq!(l.skipped.len(), 1);
    assert_eq!(l.skipped[0].reason, SkipReason::Archived);
}

#[test]
fn without_a_token_only_public_repositories_and_a_warning() {
    let (w, dir) = acme_world();
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, None, |_| {});
    assert_eq!(h.notices(), [Notice::Anonymous]);
    let l = list(
        &h.client,
        &[Target::org("acme").unwrap()],
        &Filters::default(),
    )
    .unwrap();
    assert_eq!(
        names(&l.repos),
        [
            "acme/gone",
            "acme/legacy-billing",
            "acme/old-site",
            "acme/web"
        ]
    );
    assert!(emu.requests().iter().all(|r| r.authorization.is_none()));
}

#[test]
fn the_tokens_own_user_includes_its_private_repositories() {
    let (mut w, dir) = acme();
    w.repo("alice", "dotfiles");
    w.repo("alice", "diary").private = true;
    w.user("bob");
    w.repo("bob", "blog");
    w.repo("bob", "taxes").private = true;
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |_| {});
    let targets = [Target::user("alice").unwrap(), Target::user("bob").unwrap()];
    let l = list(&h.client, &targets, &Filters::default()).unwrap();
    assert_eq!(
        names(&l.repos),
        ["alice/diary", "alice/dotfiles", "bob/blog"]
    );
    let paths: Vec<String> = emu.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/user",
            "/user/repos?affiliation=owner&per_page=100",
            "/users/bob/repos?type=owner&per_page=100"
        ]
    );
}

#[test]
fn named_repositories_are_audited_even_as_forks_and_missing_ones_fail() {
    let (w, dir) = acme_world();
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |_| {});
    let targets = [
        Target::repo("acme/fork-of-lib").unwrap(),
        Target::repo("acme/gone").unwrap(),
        Target::repo("other/secret").unwrap(),
        Target::org("acme").unwrap(),
    ];
    let l = list(&h.client, &targets, &Filters::default()).unwrap();
    // The fork was asked for by name; acme's listing adds the rest once each.
    assert!(names(&l.repos).contains(&"acme/fork-of-lib"));
    assert_eq!(
        names(&l.repos)
            .iter()
            .filter(|n| **n == "acme/gone")
            .count(),
        1
    );
    let failed: Vec<(&str, Option<u16>)> = l
        .failed
        .iter()
        .map(|f| (f.name.as_str(), f.error.status()))
        .collect();
    assert_eq!(
        failed,
        [("acme/gone", Some(404)), ("other/secret", Some(404))]
    );
    assert!(
        l.failed[1]
            .reason()
            .contains("repository other/secret could not be listed: 404"),
        "{}",
        l.failed[1].reason()
    );
    assert!(l.stopped().is_none());
}

#[test]
fn an_unknown_organisation_fails_and_the_others_are_still_listed() {
    let (w, dir) = acme_world();
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |_| {});
    let targets = [Target::org("nosuch").unwrap(), Target::org("acme").unwrap()];
    let l = list(&h.client, &targets, &Filters::default()).unwrap();
    assert_eq!(l.repos.len(), 6);
    assert_eq!(l.failed.len(), 1);
    assert!(matches!(l.failed[0].error, GithubError::NotFound { .. }));
}

#[test]
fn a_rejected_token_stops_the_run_and_is_never_quoted() {
    let (w, dir) = acme_world();
    let emu = Emulator::start(w, dir);
    let wrong = "ghp_wrongTokenValue9876543210";
    let h = harness(&emu, Some(wrong), |_| {});
    let l = list(
        &h.client,
        &[Target::org("acme").unwrap()],
        &Filters::default(),
    )
    .unwrap();
    assert!(l.repos.is_empty());
    let e = l.stopped().expect("401 stops the run");
    assert!(matches!(e, GithubError::Unauthorized { .. }));
    let reason = l.failed[0].reason();
    assert!(reason.contains("Bad credentials"), "{reason}");
    assert!(!reason.contains(wrong));
}

#[test]
fn a_next_page_link_to_another_host_is_not_followed() {
    let (mut w, dir) = acme_world();
    w.link_base = Some("http://127.0.0.2:1".into());
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |c| c.limits.per_page = 3);
    let l = list(
        &h.client,
        &[Target::org("acme").unwrap()],
        &Filters::default(),
    )
    .unwrap();
    // The first page is kept; the link elsewhere is refused, so nothing more was sent.
    assert_eq!(l.failed.len(), 1);
    assert_eq!(l.failed[0].listed, 3);
    assert!(matches!(l.failed[0].error, GithubError::Refused { .. }));
    assert!(l.failed[0]
        .reason()
        .contains("stopped after 3 repositories"));
    assert_eq!(emu.requests().len(), 1);
}

#[test]
fn bad_names_and_globs_are_refused_before_anything_is_sent() {
    assert!(Target::repo("acme/web/x").is_err());
    assert!(Target::org("acme corp").is_err());
    let (w, dir) = acme_world();
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |_| {});
    let filters = Filters {
        exclude: vec!["acme/[".into()],
        ..Filters::default()
    };
    let e = list(&h.client, &[Target::org("acme").unwrap()], &filters).unwrap_err();
    assert!(format!("{e:#}").contains("--exclude"), "{e:#}");
    assert!(emu.requests().is_empty());
}
