//! `--issues`: issue and pull-request texts, comments and review comments, all pages, each
//! with the URL a report points at.

use super::emulator::{Emulator, Fault, FaultKind};
use super::{acme, harness, TOKEN};
use upsweep::github::texts::list;
use upsweep::github::{RepoName, TextKind};

#[test]
fn issues_pull_requests_and_their_comments_come_with_their_urls() {
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let bug = w.issue(
        "acme/web",
        "Login broken",
        "Here is my .env:\nTOKEN=abc",
        false,
    );
    let pr = w.issue("acme/web", "Add cache", "Uses redis", true);
    for i in 0..5 {
        w.comment("acme/web", bug, &format!("comment {i}"), false);
    }
    let review = w.comment("acme/web", pr, "hard-coded key on this line", true);
    let emu = Emulator::start(w, dir);
    let base = emu.url();
    let h = harness(&emu, Some(TOKEN), |c| c.limits.per_page = 2);
    let t = list(&h.client, &RepoName::parse("acme/web").unwrap());
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    assert_eq!(t.texts.len(), 2 + 5 + 1);

    let issue = &t.texts[0];
    assert_eq!(issue.kind, TextKind::Issue);
    assert_eq!(issue.url, format!("{base}/acme/web/issues/{bug}"));
    assert_eq!(issue.text, "Login broken\n\nHere is my .env:\nTOKEN=abc");
    assert_eq!(t.texts[1].kind, TextKind::PullRequest);
    assert_eq!(t.texts[1].url, format!("{base}/acme/web/pull/{pr}"));

    let comments: Vec<&str> = t
        .texts
        .iter()
        .filter(|x| x.kind == TextKind::Comment)
        .map(|x| x.text.as_str())
        .collect();
    assert_eq!(comments.len(), 5, "all three pages");
    let r = t.texts.last().unwrap();
    assert_eq!(r.kind, TextKind::ReviewComment);
    assert_eq!(
        r.url,
        format!("{base}/acme/web/pull/{pr}#discussion_r{review}")
    );
    assert_eq!(r.author.as_deref(), Some("octocat"));
}

#[test]
fn a_repository_that_cannot_be_read_gives_errors_not_texts() {
    let (w, dir) = acme();
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |_| {});
    let t = list(&h.client, &RepoName::parse("acme/nothing").unwrap());
    assert!(t.texts.is_empty());
    assert_eq!(t.errors.len(), 3);
    assert!(t.errors.iter().all(|e| e.status() == Some(404)));
}

#[test]
fn issues_turned_off_is_not_an_error() {
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let pr = w.issue("acme/web", "Add cache", "", true);
    w.comment("acme/web", pr, "nit", true);
    let emu = Emulator::start(w, dir);
    emu.fault(Fault::new(
        "/repos/acme/web/issues",
        FaultKind::Status(410, "Issues are disabled for this repo".into()),
    ));
    let h = harness(&emu, Some(TOKEN), |_| {});
    let t = list(&h.client, &RepoName::parse("acme/web").unwrap());
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    let kinds: Vec<TextKind> = t.texts.iter().map(|x| x.kind).collect();
    assert_eq!(kinds, [TextKind::ReviewComment]);
}
