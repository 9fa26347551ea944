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

#[test]
fn a_listing_from_a_point_sends_since_and_ends_at_the_servers_clock_less_the_overlap() {
    use super::emulator::iso8601;
    use upsweep::github::texts::{list_since, Since, OVERLAP_SECS};
    use upsweep::github::TextListing;
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let old = w.issue("acme/web", "Old", "before", false);
    w.advance(3600);
    let new = w.issue("acme/web", "New", "after", false);
    w.comment("acme/web", old, "a late comment", false);
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |_| {});
    let name = RepoName::parse("acme/web").unwrap();
    let now = emu.world().now();
    // From half an hour ago: the old issue is not listed, the new one and the comment are.
    let mut since = Since::new();
    since.insert(TextListing::Issues, iso8601(now - 1800));
    since.insert(TextListing::Comments, iso8601(now - 1800));
    let t = list_since(&h.client, &name, &since);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    let base = emu.url();
    let urls: Vec<&str> = t.texts.iter().map(|x| x.url.as_str()).collect();
    assert_eq!(urls.len(), 2, "{urls:?}");
    assert_eq!(urls[0], format!("{base}/acme/web/issues/{new}"));
    assert!(urls[1].contains("#issuecomment-"), "{urls:?}");
    assert_eq!(t.whole, [TextListing::ReviewComments]);
    let log = emu.requests();
    assert!(log[0].path.starts_with(&format!(
        "/repos/acme/web/issues?state=all&since={}",
        iso8601(now - 1800)
    )));
    // Each listing is complete up to the server's clock at its first answer, less the overlap.
    for l in TextListing::ALL {
        let point = t.complete[&l].as_deref().expect("a point");
        let at = super::emulator::parse_iso8601(point).unwrap();
        let back = now as i64 - OVERLAP_SECS - at as i64;
        assert!((-5..=0).contains(&back), "{l:?}: {point}");
    }

    // A listing that fails gives no point; issues turned off (410) give one of none.
    emu.fault(Fault::new(
        "/repos/acme/web/issues/comments",
        FaultKind::Status(404, "Not Found".into()),
    ));
    emu.fault(Fault::new(
        "/repos/acme/web/issues",
        FaultKind::Status(410, "Issues are disabled for this repo".into()),
    ));
    let t = list_since(&h.client, &name, &Since::new());
    assert_eq!(t.errors.len(), 1, "{:?}", t.errors);
    assert_eq!(t.complete.get(&TextListing::Issues), Some(&None));
    assert_eq!(t.complete.get(&TextListing::Comments), None);
    assert!(t.complete[&TextListing::ReviewComments].is_some());
}
