//! Rate limits and failures: the primary limit waited out (and said), or past `--max-wait`
//! the listing stopped with what was not reached failed; secondary limits waited as told with
//! bounded retries; server errors repeated for reads.

use super::emulator::{now_secs, Emulator, Fault, FaultKind, Rate};
use super::{acme, harness, TOKEN};
use std::time::{Duration, Instant};
use upsweep::github::repos::list;
use upsweep::github::{Filters, GithubError, Notice, Target};

fn org_of(n: usize) -> (super::emulator::World, tempfile::TempDir) {
    let (mut w, dir) = acme();
    for i in 0..n {
        w.repo("acme", &format!("r{i}"));
    }
    (w, dir)
}

fn acme_target() -> [Target; 1] {
    [Target::org("acme").unwrap()]
}

#[test]
fn a_spent_primary_limit_is_waited_out_before_the_next_request() {
    let (mut w, dir) = org_of(4);
    // Two requests left in this window, which ends in a second or two.
    w.rate = Some(Rate {
        limit: 2,
        remaining: 2,
        reset: now_secs() + 2,
        window: 3600,
    });
    let emu = Emulator::start(w, dir);
    let h = harness(&emu, Some(TOKEN), |c| c.limits.per_page = 1);
    let started = Instant::now();
    let l = list(&h.client, &acme_target(), &Filters::default()).unwrap();
    assert_eq!(l.repos.len(), 4);
    assert!(l.failed.is_empty(), "{:?}", l.failed);
    // The answer that spent the limit said so: the client waited for the reset instead of
    // sending a request bound to fail.
    assert!(emu.requests().iter().all(|r| r.status == 200));
    let waits: Vec<_> = h
        .notices()
        .into_iter()
        .filter(|n| matches!(n, Notice::PrimaryWait { .. }))
        .collect();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert!(waits[0].to_string().contains("rate limit reached: waiting"));
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(h.client.waited() > Duration::ZERO);
}

#[test]
fn a_rate_limited_answer_is_waited_out_and_repeated() {
    let (w, dir) = org_of(2);
    let emu = Emulator::start(w, dir);
    emu.fault(Fault::new("/orgs/acme/repos", FaultKind::Primary { reset_in: 2 }).times(1));
    let h = harness(&emu, Some(TOKEN), |_| {});
    let l = list(&h.client, &acme_target(), &Filters::default()).unwrap();
    assert_eq!(l.repos.len(), 2);
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [403, 200]);
    assert!(h
        .notices()
        .iter()
        .any(|n| matches!(n, Notice::PrimaryWait { .. })));
}

#[test]
fn past_max_wait_the_listing_stops_and_what_was_not_reached_fails() {
    let (mut w, dir) = org_of(3);
    w.org("beta", &["alice"]);
    w.repo("beta", "b1");
    w.org("gamma", &["alice"]);
    w.repo("gamma", "g1");
    let emu = Emulator::start(w, dir);
    // beta's listing meets a limit that resets in an hour; the run may wait 8 s.
    emu.fault(Fault::new(
        "/orgs/beta/repos",
        FaultKind::Primary { reset_in: 3600 },
    ));
    let h = harness(&emu, Some(TOKEN), |_| {});
    let targets = [
        Target::org("acme").unwrap(),
        Target::org("beta").unwrap(),
        Target::org("gamma").unwrap(),
    ];
    let started = Instant::now();
    let l = list(&h.client, &targets, &Filters::default()).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it must not wait"
    );
    assert_eq!(l.repos.len(), 3, "acme was listed before the limit");
    let failed: Vec<&str> = l.failed.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(failed, ["beta", "gamma"]);
    let reason = l.failed[1].reason();
    assert!(
        reason.contains("rate limit exhausted") && reason.contains("--max-wait"),
        "{reason}"
    );
    assert!(matches!(l.stopped(), Some(GithubError::RateLimited { .. })));
    // Nothing was asked about gamma: the client knew the limit was spent.
    assert!(!emu.requests().iter().any(|r| r.path.contains("gamma")));
}

#[test]
fn secondary_limits_are_waited_as_told() {
    let (w, dir) = org_of(1);
    let emu = Emulator::start(w, dir);
    emu.fault(
        Fault::new(
            "/orgs/acme/repos",
            FaultKind::Secondary {
                status: 403,
                retry_after: Some(1),
            },
        )
        .times(1),
    );
    emu.fault(
        Fault::new(
            "/orgs/acme/repos",
            FaultKind::Secondary {
                status: 429,
                retry_after: None,
            },
        )
        .times(1),
    );
    let h = harness(&emu, Some(TOKEN), |_| {});
    let started = Instant::now();
    let l = list(&h.client, &acme_target(), &Filters::default()).unwrap();
    assert_eq!(l.repos.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 honoured"
    );
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [403, 429, 200]);
    let waits: Vec<Notice> = h
        .notices()
        .into_iter()
        .filter(|n| matches!(n, Notice::SecondaryWait { .. }))
        .collect();
    assert_eq!(
        waits[0],
        Notice::SecondaryWait {
            wait: Duration::from_secs(1),
            attempt: 2
        }
    );
    assert_eq!(waits.len(), 2);
}

#[test]
fn secondary_limits_are_retried_a_bounded_number_of_times() {
    let (w, dir) = org_of(1);
    let emu = Emulator::start(w, dir);
    emu.fault(Fault::new(
        "/orgs/acme/repos",
        FaultKind::Secondary {
            status: 429,
            retry_after: Some(0),
        },
    ));
    let h = harness(&emu, Some(TOKEN), |c| c.limits.retries = 2);
    let l = list(&h.client, &acme_target(), &Filters::default()).unwrap();
    assert!(matches!(
        l.failed[0].error,
        GithubError::SecondaryRateLimited { attempts: 3, .. }
    ));
    assert_eq!(emu.requests().len(), 3);
    assert!(
        l.stopped().is_none(),
        "a secondary limit fails one target only"
    );
}

#[test]
fn a_403_without_a_limit_is_forbidden_at_once() {
    let (w, dir) = org_of(1);
    let emu = Emulator::start(w, dir);
    emu.fault(Fault::new(
        "/orgs/acme/repos",
        FaultKind::Status(
            403,
            "Resource protected by organization SAML enforcement.".into(),
        ),
    ));
    let h = harness(&emu, Some(TOKEN), |_| {});
    let l = list(&h.client, &acme_target(), &Filters::default()).unwrap();
    assert!(matches!(l.failed[0].error, GithubError::Forbidden { .. }));
    assert!(l.failed[0].reason().contains("SAML"));
    assert_eq!(emu.requests().len(), 1);
}

#[test]
fn server_errors_are_repeated_for_reads() {
    let (w, dir) = org_of(1);
    let emu = Emulator::start(w, dir);
    emu.fault(
        Fault::new(
            "/orgs/acme/repos",
            FaultKind::Status(502, "Bad gateway".into()),
        )
        .times(2),
    );
    let h = harness(&emu, Some(TOKEN), |_| {});
    let l = list(&h.client, &acme_target(), &Filters::default()).unwrap();
    assert_eq!(l.repos.len(), 1);
    assert_eq!(emu.requests().len(), 3);
    assert!(h
        .notices()
        .iter()
        .any(|n| matches!(n, Notice::Retrying { attempt: 2, .. })));
}
