//! `--issues` incremental: a re-run lists each of the three listings with `since` (the
//! server's clock at the last complete listing, less the overlap), scans only what was
//! created or edited, and prints the report a run with an empty cache prints; another key or
//! an unreadable texts state lists everything again; a listing cut short keeps its old point.

use super::audit::{audit, comparable, finding, findings, repo_entry};
use super::emulator::{parse_iso8601, Emulator, Fault, FaultKind};
use super::{acme, TOKEN};
use crate::common::{Fake, Run};
use serde_json::Value;
use std::path::Path;

/// The three listings of acme/web's texts.
const LISTINGS: [&str; 3] = [
    "/repos/acme/web/issues?",
    "/repos/acme/web/issues/comments?",
    "/repos/acme/web/pulls/comments?",
];

/// Texts in acme/web when the organisation is made.
const TEXTS: u64 = 6;

struct Org {
    emu: Emulator,
    /// In issue 1's body.
    in_issue: String,
    /// In a review comment of pull request 3.
    in_review: String,
    /// Issue 1 and issue 2 (clean).
    bug: u64,
    clean: u64,
}

fn token(fake: &mut Fake) -> (String, String) {
    let n = fake.database_number();
    let host = fake.redis_host(n);
    let token = fake.redis_token(n, false, false);
    (
        format!("UPSTASH_REDIS_REST_URL=https://{host}\nUPSTASH_REDIS_REST_TOKEN={token}\n"),
        token,
    )
}

/// acme/web with one commit and six texts: a secret in an issue's body and in a review
/// comment, one on a line marked `upsweep:allow` in a comment, the rest clean; then the
/// emulator's clock moves an hour on, so the texts are older than any run's overlap.
fn organisation(seed: u64) -> Org {
    let (mut w, dir) = acme();
    w.repo("acme", "web");
    let mut fake = Fake::new(seed);
    let (issue_env, in_issue) = token(&mut fake);
    let (review_env, in_review) = token(&mut fake);
    let n = fake.database_number();
    let allowed = fake.redis_token(n, true, false);
    let bug = w.issue(
        "acme/web",
        "Login broken",
        &format!("my .env:\n{issue_env}"),
        false,
    );
    let clean = w.issue("acme/web", "Docs", "typo on the front page", false);
    let pr = w.issue("acme/web", "Add cache", "uses redis", true);
    w.comment("acme/web", bug, "same here", false);
    w.comment(
        "acme/web",
        clean,
        &format!("TOKEN={allowed} # upsweep:allow the docs' example"),
        false,
    );
    w.comment("acme/web", pr, &review_env, true);
    w.advance(3600);
    let emu = Emulator::start(w, dir);
    emu.commit("acme/web", "refs/heads/main", &[("a.txt", "a\n")], "a");
    emu.clear_logs();
    Org {
        emu,
        in_issue,
        in_review,
        bug,
        clean,
    }
}

fn issues(emu: &Emulator, cache: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--issues"];
    all.extend_from_slice(args);
    audit(emu, cache, &all)
}

/// `comparable`, with the counts of what was set aside, less what says how much a run did.
fn same(r: &Value) -> Value {
    let mut c = comparable(r);
    for e in c["repositories"].as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("texts");
    }
    c["suppressed_public"] = r["stats"]["suppressed_public"].clone();
    c
}

/// The `since` each listing of acme/web was sent with by the requests since the logs were
/// last cleared (`None`: listed without one), in LISTINGS' order.
fn sent_since(emu: &Emulator) -> Vec<Option<String>> {
    let log = emu.requests();
    LISTINGS
        .iter()
        .map(|l| {
            let firsts: Vec<&str> = log
                .iter()
                .filter(|r| r.path.starts_with(l) && !r.path.contains("&page="))
                .map(|r| r.path.as_str())
                .collect();
            assert_eq!(firsts.len(), 1, "{l} listed once: {firsts:?}");
            firsts[0]
                .split(['?', '&'])
                .find_map(|kv| kv.strip_prefix("since="))
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn an_unchanged_organisation_lists_from_since_scans_no_text_and_reports_the_same() {
    let org = organisation(21);
    let emu = &org.emu;
    let cache = tempfile::tempdir().unwrap();
    let first = issues(emu, cache.path(), &[]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let first = first.json();
    assert_eq!(sent_since(emu), [None, None, None], "a first run lists all");
    assert_eq!(repo_entry(&first, "acme/web")["texts"], TEXTS);
    assert!(finding(&first, &org.in_issue).is_some());
    assert!(finding(&first, &org.in_review).is_some());
    assert_eq!(first["stats"]["suppressed_inline"], 1);

    emu.clear_logs();
    let now = emu.world().now();
    let second = issues(emu, cache.path(), &[]);
    assert_eq!(second.code, 1, "{}", second.stderr);
    let second = second.json();
    // Every listing from the server's clock at the first run, less the five-minute overlap.
    for since in sent_since(emu) {
        let since = since.expect("every listing sent with since");
        let at = parse_iso8601(&since).unwrap_or_else(|| panic!("ISO 8601: {since}"));
        assert!(
            at <= now - 300 && at + 300 + 60 >= now,
            "{since} is the first run's clock less the overlap"
        );
    }
    let web = repo_entry(&second, "acme/web");
    assert_eq!(web["texts"], 0, "{web}");
    assert_eq!(web["new_blobs"], 0, "{web}");
    assert_eq!(same(&first), same(&second));
    // Without --issues the entry says nothing of texts.
    let plain = audit(emu, cache.path(), &[]).json();
    assert!(repo_entry(&plain, "acme/web").get("texts").is_none());
}

#[test]
fn an_edited_issue_and_a_new_comment_are_all_a_rerun_scans_and_it_reports_as_a_fresh_run() {
    let org = organisation(22);
    let emu = &org.emu;
    let cache = tempfile::tempdir().unwrap();
    let first = issues(emu, cache.path(), &[]).json();
    assert!(finding(&first, &org.in_issue).is_some());

    // The issue's secret is edited out; a comment pastes a new one.
    let mut fake = Fake::new(99);
    let (env, pasted) = token(&mut fake);
    {
        let mut w = emu.world();
        w.edit_issue("acme/web", org.bug, "my .env: (removed)");
        w.comment("acme/web", org.clean, &format!("try mine:\n{env}"), false);
    }
    let second = issues(emu, cache.path(), &[]);
    assert_eq!(second.code, 1, "{}", second.stderr);
    let second = second.json();
    assert_eq!(
        repo_entry(&second, "acme/web")["texts"],
        2,
        "just those two"
    );
    assert!(finding(&second, &org.in_issue).is_none(), "edited out");
    let f = finding(&second, &pasted).expect("the pasted secret");
    let url = f["locations"][0]["url"].as_str().unwrap();
    assert!(url.contains("#issuecomment-"), "{url}");
    assert_eq!(f["locations"][0]["line"], 3);
    assert!(finding(&second, &org.in_review).is_some(), "remembered");
    assert_eq!(findings(&second).len(), 2, "{second}");

    let empty = tempfile::tempdir().unwrap();
    let fresh = issues(emu, empty.path(), &[]).json();
    assert_eq!(repo_entry(&fresh, "acme/web")["texts"], TEXTS + 1);
    assert_eq!(same(&second), same(&fresh));
    assert_eq!(
        second["findings"], fresh["findings"],
        "same order, same locations"
    );

    // The cache remembers hashes and previews, never the secrets.
    for s in [&pasted, &org.in_review] {
        let tail = &s[s.len() - 24..];
        let hits = super::audit::files_containing(cache.path(), tail);
        assert!(hits.is_empty(), "{hits:?}");
    }
    let state = std::fs::read_to_string(cache.path().join("texts/acme/web.json")).unwrap();
    assert!(state.contains(&upsweep::finding::sha256_hex(&pasted)));
}

#[test]
fn changed_rules_or_a_corrupt_texts_state_list_everything_again() {
    let org = organisation(23);
    let emu = &org.emu;
    let cache = tempfile::tempdir().unwrap();
    let first = issues(emu, cache.path(), &[]).json();

    let cfg = cache.path().join("audit.toml");
    std::fs::write(&cfg, "disable-rules = [\"upstash.qstash.token\"]\n").unwrap();
    emu.clear_logs();
    let run = issues(emu, cache.path(), &["--config", cfg.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(sent_since(emu), [None, None, None]);
    assert_eq!(repo_entry(&run.json(), "acme/web")["texts"], TEXTS);
    assert!(
        run.stderr
            .contains("the rules changed: listing every text again"),
        "{}",
        run.stderr
    );
    assert_eq!(same(&first), same(&run.json()));

    // An unreadable texts state is set aside: everything is listed, nothing fails.
    let state = cache.path().join("texts/acme/web.json");
    std::fs::write(&state, "{\"key\": 7, trailing").unwrap();
    emu.clear_logs();
    let run = issues(emu, cache.path(), &[]);
    assert_eq!(run.code, 1, "not an error: {}", run.stderr);
    assert_eq!(sent_since(emu), [None, None, None]);
    let r = run.json();
    assert_eq!(repo_entry(&r, "acme/web")["texts"], TEXTS);
    assert_eq!(repo_entry(&r, "acme/web")["status"], "scanned");
    assert!(
        run.stderr.contains("listing every text again"),
        "{}",
        run.stderr
    );
    assert_eq!(same(&first), same(&r));
    // And written whole again: the next run lists from since.
    emu.clear_logs();
    let r = issues(emu, cache.path(), &[]).json();
    assert!(sent_since(emu).iter().all(Option::is_some));
    assert_eq!(repo_entry(&r, "acme/web")["texts"], 0);
}

#[test]
fn a_listing_cut_short_keeps_its_point_and_the_next_run_sees_its_texts() {
    let org = organisation(24);
    let emu = &org.emu;
    let cache = tempfile::tempdir().unwrap();
    issues(emu, cache.path(), &[]);

    // An hour later, 101 new comments (two pages), a secret in the last; page 2 fails.
    let mut fake = Fake::new(77);
    let (env, late) = token(&mut fake);
    {
        let mut w = emu.world();
        w.advance(3600);
        for i in 0..100 {
            w.comment("acme/web", org.clean, &format!("+1 ({i})"), false);
        }
        w.comment("acme/web", org.clean, &format!("mine:\n{env}"), false);
    }
    emu.fault(
        Fault::new(
            "/repos/acme/web/issues/comments",
            FaultKind::Status(403, "Resource not accessible by integration".into()),
        )
        .query("&page=2")
        .times(1),
    );
    emu.clear_logs();
    let second = issues(emu, cache.path(), &[]);
    assert_eq!(second.code, 2, "a listing failed: {}", second.stderr);
    let second_since = sent_since(emu);
    let r = second.json();
    let web = repo_entry(&r, "acme/web");
    assert_eq!(web["status"], "failed", "{web}");
    assert!(web["reason"].as_str().unwrap().contains("issues"), "{web}");
    assert_eq!(web["texts"], 100, "page 1 was scanned");
    assert!(finding(&r, &late).is_none(), "on the page that failed");
    assert!(
        finding(&r, &org.in_review).is_some(),
        "the rest is reported"
    );

    // An hour later again: the comments are listed from the same point, the others moved on.
    emu.world().advance(3600);
    emu.clear_logs();
    let third = issues(emu, cache.path(), &[]);
    assert_eq!(third.code, 1, "{}", third.stderr);
    let third_since = sent_since(emu);
    assert_eq!(third_since[1], second_since[1], "comments: not advanced");
    assert_ne!(third_since[0], second_since[0], "issues: advanced");
    assert_ne!(third_since[2], second_since[2], "review comments: advanced");
    let r = third.json();
    assert_eq!(repo_entry(&r, "acme/web")["texts"], 101);
    let f = finding(&r, &late).expect("the comment a cut listing missed");
    assert!(f["locations"][0]["url"]
        .as_str()
        .unwrap()
        .contains("#issuecomment-"));
}

#[test]
fn secrets_asked_for_list_every_text_again_and_forget_deleted_ones() {
    let org = organisation(25);
    let emu = &org.emu;
    let cache = tempfile::tempdir().unwrap();
    issues(emu, cache.path(), &[]);
    // The issue holding a secret is deleted: `since` cannot see it, the finding stays.
    emu.world()
        .issues
        .retain(|i| !(i.repo == "acme/web" && i.number == org.bug));
    let kept = issues(emu, cache.path(), &[]).json();
    assert!(finding(&kept, &org.in_issue).is_some());
    // A run that needs the secrets lists everything: the secret comes back with the text it
    // is in, and the deleted issue's finding is gone.
    emu.clear_logs();
    let run = issues(emu, cache.path(), &["--show-secrets"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(sent_since(emu), [None, None, None]);
    let r = run.json();
    assert_eq!(
        finding(&r, &org.in_review).expect("the review's")["secret"],
        org.in_review.as_str()
    );
    assert!(finding(&r, &org.in_issue).is_none(), "{r}");
    // The next run lists from since again, and the secrets went nowhere near the cache.
    let tail = &org.in_review[org.in_review.len() - 24..];
    assert!(super::audit::files_containing(cache.path(), tail).is_empty());
    assert!(super::audit::files_containing(cache.path(), TOKEN).is_empty());
}
