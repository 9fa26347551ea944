//! The pull-request comment: created once, found again on whichever page it is, updated in
//! place, left alone when unchanged; a read-only token's 403 comes back typed.

use super::emulator::Emulator;
use super::{acme, harness, TOKEN};
use upsweep::github::comment::upsert;
use upsweep::github::{GithubError, RepoName, Upserted, PR_COMMENT_MARKER};

fn marked(emu: &Emulator) -> Vec<String> {
    emu.world()
        .comments
        .iter()
        .filter(|c| c.body.contains(PR_COMMENT_MARKER))
        .map(|c| c.body.clone())
        .collect()
}

#[test]
fn one_comment_created_then_kept_current_even_past_the_first_page() {
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let pr = w.issue("acme/web", "Add cache", "", true);
    // A busy conversation: the marker comment will be on page 2 of 10 a page.
    for i in 0..12 {
        w.comment("acme/web", pr, &format!("review note {i}"), false);
    }
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |c| c.limits.per_page = 10);
    let repo = RepoName::parse("acme/web").unwrap();

    let first = upsert(
        &h.client,
        &repo,
        pr,
        PR_COMMENT_MARKER,
        "1 credential added",
    )
    .unwrap();
    let Upserted::Created { id, url } = first.clone() else {
        panic!("{first:?}")
    };
    assert!(url.ends_with(&format!("#issuecomment-{id}")), "{url}");
    assert_eq!(
        marked(&emu),
        [format!("{PR_COMMENT_MARKER}\n1 credential added")]
    );

    // Another push adds a comment after ours; ours is now on page 2.
    emu.world().comment("acme/web", pr, "LGTM", false);
    emu.world().comment("acme/web", pr, "ship it", false);
    emu.clear_logs();
    let same = upsert(
        &h.client,
        &repo,
        pr,
        PR_COMMENT_MARKER,
        "1 credential added",
    )
    .unwrap();
    assert_eq!(
        same,
        Upserted::Unchanged {
            id,
            url: url.clone()
        }
    );
    let reqs = emu.requests();
    assert!(reqs.iter().all(|r| r.method == "GET"), "nothing written");
    assert_eq!(reqs.len(), 2, "found on page 2: {reqs:#?}");

    let fixed = upsert(
        &h.client,
        &repo,
        pr,
        PR_COMMENT_MARKER,
        "No credentials added any more",
    )
    .unwrap();
    assert_eq!(fixed, Upserted::Updated { id, url });
    assert_eq!(
        marked(&emu),
        [format!(
            "{PR_COMMENT_MARKER}\nNo credentials added any more"
        )]
    );
    let patch = emu
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(patch.path, format!("/repos/acme/web/issues/comments/{id}"));
    assert_eq!(emu.world().comments.len(), 12 + 1 + 2);
}

#[test]
fn a_read_only_token_gets_a_typed_403_and_nothing_changes() {
    let (mut w, dir) = acme();
    w.token("ghs_forkReadOnlyToken0000000000", "github-actions", true);
    w.repo("acme", "web");
    let pr = w.issue("acme/web", "From a fork", "", true);
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some("ghs_forkReadOnlyToken0000000000"), |_| {});
    let e = upsert(
        &h.client,
        &RepoName::parse("acme/web").unwrap(),
        pr,
        PR_COMMENT_MARKER,
        "body",
    )
    .unwrap_err();
    assert!(matches!(e, GithubError::Forbidden { .. }), "{e:?}");
    assert!(e
        .to_string()
        .contains("Resource not accessible by integration"));
    assert!(emu.world().comments.is_empty());
    // A write is refused, not repeated.
    assert_eq!(
        emu.requests().iter().filter(|r| r.method == "POST").count(),
        1
    );
}

#[test]
fn a_missing_pull_request_is_not_found() {
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |_| {});
    let e = upsert(
        &h.client,
        &RepoName::parse("acme/web").unwrap(),
        99,
        PR_COMMENT_MARKER,
        "body",
    )
    .unwrap_err();
    assert_eq!(e.status(), Some(404));
}
