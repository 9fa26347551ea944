//! The incremental store: what is remembered (never a secret), invalidation by rules and
//! version, atomic writes under concurrent readers, corrupt states set aside, and the lock two
//! audits sharing a cache take.

use crate::common::Fake;
use std::collections::BTreeMap;
use std::time::Duration;
use upsweep::github::{RepoName, RepoState, Store, StoreKey, StoredMatch};
use upsweep::rules::Matcher;
use upsweep::scan::Scanner;

fn matcher() -> Matcher {
    Matcher::load(&[] as &[&str]).unwrap()
}

fn name() -> RepoName {
    RepoName::parse("acme/web").unwrap()
}

/// A state with one blob holding a real-shaped Redis token, and the token.
fn state_with_finding(m: &Matcher) -> (RepoState, String) {
    let mut fake = Fake::new(7);
    let n = fake.database_number();
    let host = fake.redis_host(n);
    let token = fake.redis_token(n, false, false);
    let text = format!("UPSTASH_REDIS_REST_URL=https://{host}\nUPSTASH_REDIS_REST_TOKEN={token}\n");
    let raw = Scanner::new(m).scan(text.as_bytes());
    assert!(!raw.is_empty(), "the scanner finds the token");
    let stored: Vec<StoredMatch> = raw
        .iter()
        .map(|r| StoredMatch::from_raw(r, m, None))
        .collect();
    let mut s = RepoState::new(StoreKey::current(m), "acme/web");
    s.record(
        "1111111111111111111111111111111111111111",
        None,
        None,
        vec![],
    );
    s.record(
        "2222222222222222222222222222222222222222",
        Some("3333333333333333333333333333333333333333"),
        Some("web/.env"),
        stored,
    );
    s.tips.insert(
        "refs/heads/main".into(),
        "3333333333333333333333333333333333333333".into(),
    );
    s.complete = true;
    s.max_file_size = 1 << 20;
    (s, token)
}

#[test]
fn a_state_round_trips_with_hashes_and_previews_never_the_secret() {
    let m = matcher();
    let cache = tempfile::tempdir().unwrap();
    let store = Store::new(cache.path());
    let (state, token) = state_with_finding(&m);
    let _lock = store.lock(&name(), Duration::ZERO).unwrap();
    store.save(&name(), &state).unwrap();

    let loaded = store.load(&name(), &StoreKey::current(&m));
    assert!(loaded.discarded.is_none());
    assert_eq!(loaded.state, state);
    let found = loaded
        .state
        .matches("2222222222222222222222222222222222222222");
    let token_match = found
        .iter()
        .find(|f| f.kind.as_str() == "redis-rest-token")
        .expect("the token's match");
    assert_eq!(token_match.sha256, upsweep::finding::sha256_hex(&token));
    assert_eq!(token_match.preview, upsweep::finding::redact(&token));
    assert_eq!(token_match.line, 2);
    assert_eq!(
        token_match.context.variable.as_deref(),
        Some("UPSTASH_REDIS_REST_TOKEN")
    );
    assert!(loaded
        .state
        .is_scanned("1111111111111111111111111111111111111111"));
    assert!(loaded.state.unchanged(&state.tips, 1 << 20));

    // Nowhere on disk: the state holds what the report needs, not the credential.
    let text = std::fs::read_to_string(store.path(&name())).unwrap();
    assert!(!text.contains(&token));
    let secret_part = &token[token.len() - 20..];
    assert!(!text.contains(secret_part));
}

#[test]
fn a_change_of_rules_or_version_discards_the_state() {
    let m = matcher();
    let cache = tempfile::tempdir().unwrap();
    let store = Store::new(cache.path());
    let (state, _) = state_with_finding(&m);
    store.save(&name(), &state).unwrap();

    let mut rules = m.rules.clone();
    rules.pop();
    let fewer = Matcher::new(rules).unwrap();
    let l = store.load(&name(), &StoreKey::current(&fewer));
    assert_eq!(
        l.discarded.as_deref(),
        Some("the rules changed: scanning again")
    );
    assert!(l.state.scanned.is_empty() && !l.state.complete);

    let mut newer = StoreKey::current(&m);
    newer.upsweep = "99.0.0".into();
    let l = store.load(&name(), &newer);
    assert!(l.discarded.unwrap().contains("upsweep changed"));
}

#[test]
fn a_corrupt_or_foreign_state_is_set_aside_not_an_error() {
    let m = matcher();
    let cache = tempfile::tempdir().unwrap();
    let store = Store::new(cache.path());
    std::fs::create_dir_all(store.path(&name()).parent().unwrap()).unwrap();
    std::fs::write(store.path(&name()), b"{\"key\": {\"format\": 1, trunc").unwrap();
    let l = store.load(&name(), &StoreKey::current(&m));
    assert!(l
        .discarded
        .unwrap()
        .contains("not a state upsweep can read"));
    assert!(l.state.scanned.is_empty());

    let (mut other, _) = state_with_finding(&m);
    other.repository = "acme/api".into();
    store.save(&name(), &other).unwrap();
    let l = store.load(&name(), &StoreKey::current(&m));
    assert!(l.discarded.unwrap().contains("holds the state of acme/api"));
}

#[test]
fn saves_replace_the_state_whole_while_others_read_it() {
    let m = matcher();
    let cache = tempfile::tempdir().unwrap();
    let store = Store::new(cache.path());
    let (mut state, _) = state_with_finding(&m);
    store.save(&name(), &state).unwrap();
    let key = StoreKey::current(&m);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let l = store.load(&name(), &key);
                assert!(
                    l.discarded.is_none(),
                    "a reader saw a partial state: {:?}",
                    l.discarded
                );
                reads += 1;
            }
            reads
        });
        // Growing states, written again and again: a reader never sees half of one.
        for i in 0..200 {
            state.record(&format!("{i:040x}"), None, None, vec![]);
            store.save(&name(), &state).unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    });
    assert_eq!(store.load(&name(), &key).state.scanned.len(), 2 + 200);
    // No temporary file is left behind.
    let dir = store.path(&name()).parent().unwrap().to_path_buf();
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn two_audits_sharing_a_cache_take_turns() {
    let cache = tempfile::tempdir().unwrap();
    let a = Store::new(cache.path());
    let b = Store::new(cache.path());
    let held = a.lock(&name(), Duration::ZERO).unwrap();
    let e = b.lock(&name(), Duration::from_millis(200)).unwrap_err();
    assert!(
        e.to_string()
            .contains("in use by another audit sharing this cache"),
        "{e}"
    );
    // Another repository is not blocked.
    b.lock(&RepoName::parse("acme/api").unwrap(), Duration::ZERO)
        .unwrap();
    // Released on drop, a waiter gets it.
    let waiter = std::thread::spawn(move || b.lock(&name(), Duration::from_secs(10)).is_ok());
    std::thread::sleep(Duration::from_millis(100));
    drop(held);
    assert!(waiter.join().unwrap());
}

#[test]
fn unchanged_means_same_refs_and_a_completed_run() {
    let m = matcher();
    let (mut s, _) = state_with_finding(&m);
    let tips = s.tips.clone();
    assert!(s.unchanged(&tips, 1 << 20));
    let mut moved: BTreeMap<String, String> = tips.clone();
    moved.insert("refs/heads/main".into(), "4".repeat(40));
    assert!(!s.unchanged(&moved, 1 << 20));
    s.complete = false;
    assert!(
        !s.unchanged(&tips, 1 << 20),
        "a killed run's checkpoint is not complete"
    );
}
