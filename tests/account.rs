//! The account check (`upsweep::upstash`) against the emulator: ownership of every product and
//! credential, rotation, strangers, every kind of inventory failure, several accounts and
//! teams, live checks, found Developer API keys and the audit log, and the guards that keep
//! secrets on Upstash's hosts. Findings come from the real scanner, so these tests also cover
//! what the scanner hands the account check.

use crate::common::Fake;
use crate::emulator::{legacy_token, scan, shop, Emulator, Fault, FaultKind, World, OPS};
use std::time::{Duration, Instant};
use upsweep::finding::{sha256_hex, Finding};
use upsweep::upstash::{
    self, AccountConfig, AccountReport, ApiError, ApiKeyStatus, Credential, FindingVerdict,
    Liveness, Ownership, Product, Session,
};

fn verdict<'a>(report: &'a AccountReport, secret: &str) -> &'a FindingVerdict {
    report
        .get(&sha256_hex(secret))
        .unwrap_or_else(|| panic!("no verdict for a finding; report: {report:#?}"))
}

fn assert_found(findings: &[Finding], secrets: &[&str]) {
    for s in secrets {
        assert!(
            findings.iter().any(|f| f.secret == *s),
            "the scanner did not find a planted secret (kinds found: {:?})",
            findings.iter().map(|f| f.kind).collect::<Vec<_>>()
        );
    }
}

/// Owned, with this credential of this resource.
fn assert_owned(report: &AccountReport, secret: &str, want: (Product, &str, Credential)) {
    let v = verdict(report, secret);
    assert_eq!(v.account.verdict, Ownership::Owned, "{:#?}", v.account);
    let r = v
        .account
        .resource
        .as_ref()
        .expect("owned names its resource");
    assert_eq!((r.product, r.id.as_str()), (want.0, want.1), "{r:#?}");
    assert_eq!(r.credential, Some(want.2), "{r:#?}");
}

fn assert_unknown(report: &AccountReport, secret: &str, fragment: &str) {
    let v = verdict(report, secret);
    assert_eq!(v.account.verdict, Ownership::Unknown, "{:#?}", v.account);
    assert!(
        v.account.reason.contains(fragment),
        "reason should mention {fragment:?}: {}",
        v.account.reason
    );
}

#[test]
fn every_product_and_credential_is_owned_and_named() {
    let s = shop(1);
    // A legacy token whose REST token the API now reports differently, but whose embedded
    // password is still the database's: owned through the password it carries.
    let (db, legacy, legacy2, vx, sx, eu, us) = {
        let mut w = s.emu.world();
        let n = w.databases[s.legacy_rotated_token].number;
        let other = w.fake.redis_token(n, false, false);
        w.databases[s.legacy_rotated_token].rest_token = other;
        (
            w.databases[s.cache].clone(),
            w.databases[s.legacy].clone(),
            w.databases[s.legacy_rotated_token].clone(),
            w.vector[s.vector].clone(),
            w.search[s.search].clone(),
            w.qstash[s.eu].clone(),
            w.qstash[s.us].clone(),
        )
    };
    let legacy2_token = legacy_token(legacy2.number, &legacy2.id, &legacy2.password);
    let redis = format!(
        "UPSTASH_REDIS_REST_URL=https://{}\nUPSTASH_REDIS_REST_TOKEN={}\nUPSTASH_REDIS_REST_READONLY_TOKEN={}\n",
        db.host, db.rest_token, db.read_only_rest_token
    );
    let old = format!(
        "REDIS_URL=rediss://default:{}@{}:6379\nLEGACY_TOKEN={}\nOLDER_TOKEN={}\n",
        legacy.password, legacy.host, legacy.rest_token, legacy2_token
    );
    let vector = format!(
        "UPSTASH_VECTOR_REST_URL=https://{}\nUPSTASH_VECTOR_REST_TOKEN={}\nUPSTASH_VECTOR_REST_READONLY_TOKEN={}\n",
        vx.host("vector"), vx.token, vx.read_only_token
    );
    let search = format!(
        "UPSTASH_SEARCH_REST_URL=https://{}\nUPSTASH_SEARCH_REST_TOKEN={}\nUPSTASH_SEARCH_READONLY_TOKEN={}\n",
        sx.host("search"), sx.token, sx.read_only_token
    );
    let qstash = format!(
        "QSTASH_TOKEN={}\nQSTASH_CURRENT_SIGNING_KEY={}\nQSTASH_NEXT_SIGNING_KEY={}\n\n\n\n\n\n\n\n\nUS_EAST_1_QSTASH_TOKEN={}\nUS_EAST_1_QSTASH_CURRENT_SIGNING_KEY={}\nUS_EAST_1_QSTASH_NEXT_SIGNING_KEY={}\nQSTASH_READONLY_TOKEN={}\n",
        eu.token, eu.current_signing_key, eu.next_signing_key, us.token, us.current_signing_key, us.next_signing_key, us.read_only_token
    );
    let findings = scan(&[
        ("redis.env", &redis),
        ("old.env", &old),
        ("vector.env", &vector),
        ("search.env", &search),
        ("qstash.env", &qstash),
    ]);

    use Credential::*;
    use Product::{Qstash, Redis, Search, Vector};
    let expected = [
        (&db.rest_token, Redis, &db.id, ReadWriteToken),
        (&db.read_only_rest_token, Redis, &db.id, ReadOnlyToken),
        (&legacy.password, Redis, &legacy.id, Password),
        (&legacy.rest_token, Redis, &legacy.id, ReadWriteToken),
        (&legacy2_token, Redis, &legacy2.id, Password),
        (&vx.token, Vector, &vx.id, ReadWriteToken),
        (&vx.read_only_token, Vector, &vx.id, ReadOnlyToken),
        (&sx.token, Search, &sx.id, ReadWriteToken),
        (&sx.read_only_token, Search, &sx.id, ReadOnlyToken),
        (&eu.token, Qstash, &eu.id, ReadWriteToken),
        (&us.token, Qstash, &us.id, ReadWriteToken),
        (&us.read_only_token, Qstash, &us.id, ReadOnlyToken),
        (&eu.current_signing_key, Qstash, &eu.id, CurrentSigningKey),
        (&eu.next_signing_key, Qstash, &eu.id, NextSigningKey),
        (&us.current_signing_key, Qstash, &us.id, CurrentSigningKey),
        (&us.next_signing_key, Qstash, &us.id, NextSigningKey),
    ];
    let all: Vec<&str> = expected.iter().map(|e| e.0.as_str()).collect();
    assert_found(&findings, &all);

    let report = upstash::check(&findings, &s.cfg(), false);
    assert!(report.complete(), "{:#?}", report.problems);
    for (secret, product, id, credential) in expected {
        assert_owned(&report, secret, (product, id, credential));
    }
    let legacy_reason = &verdict(&report, &legacy2_token).account.reason;
    assert!(legacy_reason.contains("legacy"), "{legacy_reason}");

    // The resource is named well enough to find it, and the JSON has the issue's shape.
    let v = verdict(&report, &db.rest_token);
    let r = v.account.resource.as_ref().unwrap();
    assert_eq!(r.name.as_deref(), Some("prod-cache"));
    assert_eq!(r.region.as_deref(), Some("eu-west-1"));
    assert_eq!(r.endpoint.as_deref(), Some(db.host.as_str()));
    assert_eq!(r.to_string(), "Redis database 'prod-cache' (eu-west-1)");
    let json = serde_json::to_value(v).unwrap();
    assert_eq!(json["account"]["verdict"], "owned");
    assert_eq!(json["account"]["resource"]["product"], "redis");
    assert_eq!(
        json["account"]["resource"]["credential"],
        "read-write-token"
    );
    assert_eq!(json["account"]["resource"]["account"], OPS);
    assert!(json.get("live").is_none(), "no live part without --live");
    let us_r = verdict(&report, &us.token)
        .account
        .resource
        .clone()
        .unwrap();
    assert_eq!(
        us_r.endpoint.as_deref(),
        Some("qstash-us-east-1.upstash.io")
    );

    // Nothing secret went into the report.
    let text = serde_json::to_string(&report).unwrap();
    for s in &all {
        assert!(!text.contains(s), "the report carries a secret");
    }
    assert!(!text.contains(&s.key));
    let summary = &report.accounts[0];
    assert_eq!(
        (
            summary.databases,
            summary.vector_indexes,
            summary.search_indexes
        ),
        (3, 1, 1)
    );
    assert_eq!(summary.qstash_regions, vec!["eu-central-1", "us-east-1"]);
}

#[test]
fn rotated_credentials_are_owned_rotated_and_the_new_ones_owned() {
    let s = shop(2);
    let cfg = s.cfg();
    let (old_db, old_vx, old_q) = {
        let w = s.emu.world();
        (
            w.databases[s.cache].clone(),
            w.vector[s.vector].clone(),
            w.qstash[s.eu].clone(),
        )
    };
    // Rotate through the Developer API and the QStash API, as revocation will.
    let session = Session::new(&cfg).unwrap();
    let api = session.developer_api(&cfg.accounts[0]);
    let new_db = session
        .block_on(api.reset_redis_password(&old_db.id))
        .unwrap();
    session
        .block_on(api.reset_vector_password(&old_vx.id))
        .unwrap();
    let new_q = session
        .block_on(api.rotate_qstash_token(&old_q.id))
        .unwrap();
    let qstash = session.qstash_api();
    let keys = session
        .block_on(qstash.rotate_signing_keys("eu-central-1", new_q.token.as_ref().unwrap()))
        .unwrap();
    assert_eq!(
        keys.current.expose(),
        old_q.next_signing_key,
        "next becomes current"
    );
    let new_rest = new_db.rest_token.clone().unwrap();
    assert_ne!(new_rest.expose(), old_db.rest_token);
    assert_eq!(
        s.emu.world().databases[s.cache].rest_token,
        new_rest.expose()
    );

    let files = [
        (
            "a.env",
            format!(
                "UPSTASH_REDIS_REST_URL=https://{}\nUPSTASH_REDIS_REST_TOKEN={}\n",
                old_db.host, old_db.rest_token
            ),
        ),
        (
            "b.env",
            format!("UPSTASH_REDIS_REST_TOKEN={}\n", new_rest.expose()),
        ),
        (
            "c.env",
            format!("UPSTASH_VECTOR_REST_TOKEN={}\n", old_vx.token),
        ),
        ("d.env", format!("QSTASH_TOKEN={}\n", old_q.token)),
        (
            "e.env",
            format!("QSTASH_CURRENT_SIGNING_KEY={}\n", old_q.current_signing_key),
        ),
        (
            "f.env",
            format!("QSTASH_NEXT_SIGNING_KEY={}\n", old_q.next_signing_key),
        ),
    ];
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let findings = scan(&refs);
    let report = upstash::check(&findings, &cfg, true);

    let v = verdict(&report, &old_db.rest_token);
    assert_eq!(
        v.account.verdict,
        Ownership::OwnedRotated,
        "{:#?}",
        v.account
    );
    let r = v.account.resource.as_ref().unwrap();
    assert_eq!(
        (r.product, r.id.as_str(), r.credential),
        (Product::Redis, old_db.id.as_str(), None)
    );
    assert!(v.account.reason.contains("prod-cache") && v.account.reason.contains("rotated"));
    assert_eq!(
        v.live.as_ref().unwrap().verdict,
        Liveness::Dead,
        "{:?}",
        v.live
    );
    assert_owned(
        &report,
        new_rest.expose(),
        (Product::Redis, &old_db.id, Credential::ReadWriteToken),
    );
    assert_eq!(
        verdict(&report, new_rest.expose())
            .live
            .as_ref()
            .unwrap()
            .verdict,
        Liveness::Live
    );

    let v = verdict(&report, &old_vx.token);
    assert_eq!(
        v.account.verdict,
        Ownership::OwnedRotated,
        "{:#?}",
        v.account
    );
    assert_eq!(v.account.resource.as_ref().unwrap().id, old_vx.id);
    assert_eq!(
        v.live.as_ref().unwrap().verdict,
        Liveness::Dead,
        "{:?}",
        v.live
    );
    let v = verdict(&report, &old_q.token);
    assert_eq!(
        v.account.verdict,
        Ownership::OwnedRotated,
        "{:#?}",
        v.account
    );
    assert_eq!(v.account.resource.as_ref().unwrap().id, old_q.id);

    // One rotation kills the leaked current key; the leaked next key is now current.
    assert_eq!(
        verdict(&report, &old_q.current_signing_key).account.verdict,
        Ownership::NotOwned
    );
    assert_owned(
        &report,
        &old_q.next_signing_key,
        (Product::Qstash, &old_q.id, Credential::CurrentSigningKey),
    );

    // The writes were audited by the emulator, under the key's name.
    let w = s.emu.world();
    assert_eq!(
        w.audit
            .iter()
            .filter(|a| a.source == "API_KEY - key-1")
            .count(),
        3
    );
}

#[test]
fn a_strangers_credentials_are_not_owned() {
    let mut w = World::new(3);
    let me = w.user(OPS);
    let key = w.api_key(OPS, &me, false);
    w.database(&me, "mine", "eu-west-1");
    w.vector_index(&me, "mine");
    w.qstash_user(&me, "eu-central-1");
    let other = w.user("someone@else.example");
    let theirs = w.database(&other, "theirs", "us-east-1");
    let their_index = w.vector_index(&other, "theirs");
    let emu = Emulator::start(w);
    let (db, ix) = {
        let w = emu.world();
        (w.databases[theirs].clone(), w.vector[their_index].clone())
    };
    let mut fake = Fake::new(99);
    let n = fake.database_number();
    let random_token = fake.redis_token(n, false, false);
    let random_qstash = fake.qstash_token();
    let random_key = fake.signing_key();
    let text = format!(
        "UPSTASH_REDIS_REST_TOKEN={}\n\n\n\n\n\n\n\n\n\n\n\nUPSTASH_VECTOR_REST_TOKEN={}\n\n\n\n\n\n\n\n\n\n\n\nOTHER_REDIS_TOKEN={random_token}\nQSTASH_TOKEN={random_qstash}\nQSTASH_CURRENT_SIGNING_KEY={random_key}\n",
        db.rest_token, ix.token
    );
    let findings = scan(&[("x.env", &text)]);
    assert_found(
        &findings,
        &[
            &db.rest_token,
            &ix.token,
            &random_token,
            &random_qstash,
            &random_key,
        ],
    );
    // Called from inside another runtime, the facade runs on a thread of its own.
    let cfg = emu.config(&[(OPS, &key)]);
    let report = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async { upstash::check(&findings, &cfg, false) });
    for s in [
        &db.rest_token,
        &ix.token,
        &random_token,
        &random_qstash,
        &random_key,
    ] {
        let v = verdict(&report, s);
        assert_eq!(v.account.verdict, Ownership::NotOwned, "{:#?}", v.account);
        assert!(v.account.resource.is_none());
    }
}

/// One inventory failure, and what the verdict of a Redis token must then say.
fn failing_inventory(
    name: &str,
    setup: impl FnOnce(&Emulator, &mut AccountConfig),
    expect: &str,
    code: &str,
) {
    let s = shop(10);
    let (db, vx) = {
        let w = s.emu.world();
        (w.databases[s.cache].clone(), w.vector[s.vector].clone())
    };
    let stranger = Fake::new(7).redis_token(12345, false, false);
    let text = format!(
        "UPSTASH_REDIS_REST_TOKEN={}\n\n\n\n\n\n\n\n\n\n\n\nOTHER_REDIS_TOKEN={stranger}\n\n\n\n\n\n\n\n\n\n\n\nUPSTASH_VECTOR_REST_TOKEN={}\n",
        db.rest_token, vx.token
    );
    let findings = scan(&[("x.env", &text)]);
    let mut cfg = s.cfg();
    setup(&s.emu, &mut cfg);
    let started = Instant::now();
    let report = upstash::check(&findings, &cfg, false);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{name}: took {:?}",
        started.elapsed()
    );
    // Neither a database that is ours nor a stranger's may be called not-owned.
    assert_unknown(&report, &db.rest_token, expect);
    assert_unknown(&report, &stranger, expect);
    assert!(
        report.problems.iter().any(|p| p.code == code),
        "{name}: problems {:#?}",
        report.problems
    );
    for p in &report.problems {
        assert!(
            !p.message.contains(&s.key),
            "{name}: a problem quotes the API key"
        );
    }
    let _ = vx;
}

#[test]
fn inventory_failures_make_unknown_never_not_owned() {
    failing_inventory(
        "wrong key",
        |_, cfg| {
            cfg.accounts[0] = upstash::Account::new(OPS, "6e1b2e58-8468-431c-b2db-809dfb27645b")
        },
        "401",
        "unauthorized",
    );
    failing_inventory(
        "429 after retries",
        |emu, _| {
            emu.fault(Fault::new(
                "/v2/redis/databases",
                FaultKind::RateLimited {
                    retry_after: Some(0),
                },
            ))
        },
        "429",
        "rate-limited",
    );
    failing_inventory(
        "Retry-After beyond the limit",
        |emu, _| {
            emu.fault(Fault::new(
                "/v2/redis/databases",
                FaultKind::RateLimited {
                    retry_after: Some(3600),
                },
            ))
        },
        "429",
        "rate-limited",
    );
    failing_inventory(
        "500",
        |emu, _| {
            emu.fault(Fault::new(
                "/v2/redis/databases",
                FaultKind::Status(500, "internal error".into()),
            ))
        },
        "server error 500",
        "server-error",
    );
    failing_inventory(
        "slow",
        |emu, cfg| {
            cfg.limits.request_timeout = Duration::from_millis(300);
            cfg.limits.retries = 1;
            emu.fault(Fault::new(
                "/v2/redis/databases",
                FaultKind::Slow(Duration::from_secs(2)),
            ));
        },
        "timed out",
        "timeout",
    );
    failing_inventory(
        "deadline",
        |emu, cfg| {
            cfg.limits.deadline = Duration::from_millis(400);
            emu.fault(Fault::new(
                "/v2/redis/databases",
                FaultKind::Slow(Duration::from_secs(2)),
            ));
        },
        "deadline",
        "timeout",
    );
    failing_inventory(
        "malformed",
        |emu, _| emu.fault(Fault::new("/v2/redis/databases", FaultKind::Malformed)),
        "malformed",
        "malformed",
    );
    failing_inventory(
        "connection reset",
        |emu, _| emu.fault(Fault::new("/v2/redis/databases", FaultKind::Reset)),
        "connection failed",
        "connection",
    );
    failing_inventory(
        "redirect",
        |emu, _| {
            emu.fault(Fault::new(
                "/v2/redis/databases",
                FaultKind::Status(302, String::new()),
            ))
        },
        "redirect not followed",
        "redirected",
    );
}

#[test]
fn one_failing_section_leaves_the_others_decided() {
    let s = shop(11);
    let (db, vx) = {
        let w = s.emu.world();
        (w.databases[s.cache].clone(), w.vector[s.vector].clone())
    };
    s.emu.fault(Fault::new(
        "/v2/redis/databases",
        FaultKind::Status(503, r#"{"message":"maintenance"}"#.into()),
    ));
    let text = format!(
        "UPSTASH_REDIS_REST_TOKEN={}\n\n\n\n\n\n\n\n\n\n\n\nUPSTASH_VECTOR_REST_TOKEN={}\n",
        db.rest_token, vx.token
    );
    let report = upstash::check(&scan(&[("x.env", &text)]), &s.cfg(), false);
    assert_unknown(&report, &db.rest_token, "maintenance");
    assert_owned(
        &report,
        &vx.token,
        (Product::Vector, &vx.id, Credential::ReadWriteToken),
    );
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert_eq!(report.problems[0].section, "Redis databases");
    // 503 is retried: 1 + 2 retries.
    let tries = s
        .emu
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/redis/databases")
        .count();
    assert_eq!(tries, 3);
}

#[test]
fn platform_accounts_get_403_with_the_explanation() {
    let mut w = World::new(12);
    let me = w.platform_user(OPS, "Vercel");
    let key = w.api_key(OPS, &me, false);
    let emu = Emulator::start(w);
    let token = Fake::new(5).redis_token(22222, false, false);
    let findings = scan(&[("x.env", &format!("UPSTASH_REDIS_REST_TOKEN={token}\n"))]);
    let report = upstash::check(&findings, &emu.config(&[(OPS, &key)]), false);
    assert_unknown(&report, &token, "Vercel or Fly");
    assert_eq!(
        report.problems.len(),
        1,
        "one problem for the whole inventory: {:#?}",
        report.problems
    );
    assert_eq!(report.problems[0].status, Some(403));
    assert!(matches!(
        report.problems[0].error,
        ApiError::Forbidden { .. }
    ));
}

#[test]
fn retry_after_is_honoured_then_the_answer_is_used() {
    let s = shop(13);
    let db = s.emu.world().databases[s.cache].clone();
    s.emu.fault(
        Fault::new(
            "/v2/redis/databases",
            FaultKind::RateLimited {
                retry_after: Some(1),
            },
        )
        .times(1),
    );
    let findings = scan(&[(
        "x.env",
        &format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token),
    )]);
    let started = Instant::now();
    let report = upstash::check(&findings, &s.cfg(), false);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    assert_owned(
        &report,
        &db.rest_token,
        (Product::Redis, &db.id, Credential::ReadWriteToken),
    );
    let statuses: Vec<u16> = s
        .emu
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/redis/databases")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![429, 200]);
}

#[test]
fn a_list_without_credentials_is_completed_database_by_database() {
    let mut w = World::new(14);
    let me = w.user(OPS);
    let key = w.api_key(OPS, &me, false);
    let a = w.database(&me, "a", "eu-west-1");
    let b = w.database(&me, "b", "us-east-1");
    let c = w.legacy_database(&me, "c");
    w.list_without_credentials = true;
    let emu = Emulator::start(w);
    let (da, db_, dc) = {
        let w = emu.world();
        (
            w.databases[a].clone(),
            w.databases[b].clone(),
            w.databases[c].clone(),
        )
    };
    // Database b's own answer fails.
    emu.fault(Fault::new(
        &format!("/v2/redis/database/{}", db_.id),
        FaultKind::Status(500, "boom".into()),
    ));
    let stranger = Fake::new(8).redis_token(11111, false, false);
    let text = format!(
        "UPSTASH_REDIS_REST_TOKEN={}\n\n\n\n\n\n\n\n\n\n\n\nB_REDIS_TOKEN={}\n\n\n\n\n\n\n\n\n\n\n\nC_REDIS_PASSWORD={}\n\n\n\n\n\n\n\n\n\n\n\nOTHER_REDIS_TOKEN={stranger}\n",
        da.rest_token, db_.read_only_rest_token, dc.rest_token
    );
    let findings = scan(&[("x.env", &text)]);
    let report = upstash::check(&findings, &emu.config(&[(OPS, &key)]), false);
    assert_owned(
        &report,
        &da.rest_token,
        (Product::Redis, &da.id, Credential::ReadWriteToken),
    );
    assert_owned(
        &report,
        &dc.rest_token,
        (Product::Redis, &dc.id, Credential::ReadWriteToken),
    );
    assert_unknown(&report, &db_.read_only_rest_token, "'b'");
    // The stranger's token names no database of the account: not-owned despite b's failure.
    assert_eq!(
        verdict(&report, &stranger).account.verdict,
        Ownership::NotOwned
    );
    let log = emu.requests();
    for d in [&da, &dc] {
        assert!(log
            .iter()
            .any(|r| r.path == format!("/v2/redis/database/{}", d.id) && r.status == 200));
    }
    assert!(
        report.problems.iter().any(|p| p.section.contains("'b'")),
        "{:#?}",
        report.problems
    );
}

#[test]
fn a_credential_the_api_does_not_show_is_unknown_not_rotated() {
    let mut w = World::new(28);
    let me = w.user(OPS);
    let key = w.api_key(OPS, &me, false);
    let d = w.database(&me, "cache", "eu-west-1");
    w.omit_read_only_tokens = true;
    let emu = Emulator::start(w);
    let db = emu.world().databases[d].clone();
    let text = format!(
        "UPSTASH_REDIS_REST_TOKEN={}\n\n\n\n\n\n\n\n\n\n\n\nKV_REST_API_READ_ONLY_TOKEN={}\n",
        db.rest_token, db.read_only_rest_token
    );
    let report = upstash::check(
        &scan(&[("x.env", &text)]),
        &emu.config(&[(OPS, &key)]),
        false,
    );
    assert_owned(
        &report,
        &db.rest_token,
        (Product::Redis, &db.id, Credential::ReadWriteToken),
    );
    assert_unknown(
        &report,
        &db.read_only_rest_token,
        "did not show the read-only token",
    );
}

#[test]
fn several_accounts_and_teams() {
    let mut w = World::new(15);
    let me = w.user(OPS);
    let dev = w.user("dev@example.com");
    let team = w.team("platform", &[OPS, "dev@example.com"]);
    let personal_key = w.api_key(OPS, &me, false);
    let team_key = w.api_key(OPS, &team, true);
    let dev_key = w.api_key("dev@example.com", &dev, false);
    let mine = w.database(&me, "personal", "eu-west-1");
    let teams = w.database(&team, "shared", "us-east-1");
    let devs = w.vector_index(&dev, "dev-index");
    let emu = Emulator::start(w);
    let (dm, dt, ix, team_id) = {
        let w = emu.world();
        (
            w.databases[mine].clone(),
            w.databases[teams].clone(),
            w.vector[devs].clone(),
            w.teams[0].id.clone(),
        )
    };
    let stranger = Fake::new(9).redis_token(13131, false, false);
    let text = format!(
        "A_REDIS_TOKEN={}\n\n\n\n\n\n\n\n\n\n\n\nB_REDIS_TOKEN={}\n\n\n\n\n\n\n\n\n\n\n\nUPSTASH_VECTOR_REST_TOKEN={}\n\n\n\n\n\n\n\n\n\n\n\nC_REDIS_TOKEN={stranger}\n",
        dm.rest_token, dt.rest_token, ix.token
    );
    let findings = scan(&[("x.env", &text)]);

    // All three keys: everything is decided.
    let all = emu.config(&[
        (OPS, &personal_key),
        (OPS, &team_key),
        ("dev@example.com", &dev_key),
    ]);
    let report = upstash::check(&findings, &all, false);
    assert!(report.complete(), "{:#?}", report.problems);
    assert_owned(
        &report,
        &dm.rest_token,
        (Product::Redis, &dm.id, Credential::ReadWriteToken),
    );
    assert_owned(
        &report,
        &dt.rest_token,
        (Product::Redis, &dt.id, Credential::ReadWriteToken),
    );
    assert_owned(
        &report,
        &ix.token,
        (Product::Vector, &ix.id, Credential::ReadWriteToken),
    );
    let r = verdict(&report, &dt.rest_token)
        .account
        .resource
        .clone()
        .unwrap();
    assert_eq!(
        (r.account.as_str(), r.team.as_deref()),
        (OPS, Some("platform"))
    );
    let team_key_fingerprint = upstash::Account::new(OPS, &team_key).fingerprint();
    assert_eq!(r.account_key, team_key_fingerprint, "the key to act with");
    let r = verdict(&report, &ix.token)
        .account
        .resource
        .clone()
        .unwrap();
    assert_eq!(r.account, "dev@example.com");
    assert_eq!(
        verdict(&report, &stranger).account.verdict,
        Ownership::NotOwned
    );
    assert!(report.uncovered_teams.is_empty());
    assert_eq!(report.accounts.len(), 3);

    // Only the personal key: the team it cannot see makes non-matches unknown.
    let personal = emu.config(&[(OPS, &personal_key)]);
    let report = upstash::check(&findings, &personal, false);
    assert_owned(
        &report,
        &dm.rest_token,
        (Product::Redis, &dm.id, Credential::ReadWriteToken),
    );
    assert_unknown(&report, &dt.rest_token, "'platform'");
    assert_unknown(&report, &stranger, "no configured API key covers");
    assert_eq!(report.uncovered_teams.len(), 1);
    assert_eq!(report.uncovered_teams[0].team_id, team_id);
}

#[test]
fn an_account_file_configures_several_keys() {
    let env = crate::common::TestEnv::new();
    let path = env.write(
        "accounts.txt",
        "# ops, personal and team keys\nops@example.com  8d2f0c9e-5b1a-4c6e-9f3d-2a7b6c1e0d4f\n\nops@example.com 1b9e7a2c-3d4f-4a5b-8c6d-7e8f9a0b1c2d\n",
    );
    let cfg = AccountConfig::from_lookup(Some(&path), |_| None).unwrap();
    assert_eq!(cfg.accounts.len(), 2);
    assert_eq!(cfg.accounts[1].source, format!("{}:4", path.display()));
    let bad = env.write("bad.txt", "ops@example.com\n");
    let err = format!(
        "{:#}",
        AccountConfig::from_lookup(Some(&bad), |_| None).unwrap_err()
    );
    assert!(err.contains("bad.txt:1"), "{err}");
}

#[test]
fn live_checks_ask_the_tokens_own_host_and_never_guess_dead() {
    let mut w = World::new(16);
    let me = w.user(OPS);
    let key = w.api_key(OPS, &me, false);
    let mine = w.database(&me, "mine", "eu-west-1");
    let other = w.user("someone@else.example");
    let alive = w.database(&other, "alive", "eu-west-1");
    let dead = w.database(&other, "dead", "eu-west-1");
    let limited = w.database(&other, "limited", "eu-west-1");
    let hostless = w.database(&other, "hostless", "eu-west-1");
    let vx = w.vector_index(&other, "their-index");
    let q = w.qstash_user(&other, "us-east-1");
    let emu = Emulator::start(w);
    let (dm, da, dd, dl, dh, ix, qu) = {
        let mut w = emu.world();
        let dead_token = w.databases[dead].rest_token.clone();
        w.reset_database(dead);
        let mut dd = w.databases[dead].clone();
        dd.rest_token = dead_token;
        (
            w.databases[mine].clone(),
            w.databases[alive].clone(),
            dd,
            w.databases[limited].clone(),
            w.databases[hostless].clone(),
            w.vector[vx].clone(),
            w.qstash[q].clone(),
        )
    };
    emu.fault(
        Fault::new(
            "/ping",
            FaultKind::RateLimited {
                retry_after: Some(1),
            },
        )
        .on_host(&dl.host),
    );
    let redis = |d: &crate::emulator::Db| {
        format!(
            "UPSTASH_REDIS_REST_URL=https://{}\nUPSTASH_REDIS_REST_TOKEN={}\n",
            d.host, d.rest_token
        )
    };
    let files = [
        ("mine.env", redis(&dm)),
        ("alive.env", redis(&da)),
        ("dead.env", redis(&dd)),
        ("limited.env", redis(&dl)),
        (
            "hostless.env",
            format!("UPSTASH_REDIS_REST_TOKEN={}\n", dh.rest_token),
        ),
        (
            "vector.env",
            format!("UPSTASH_VECTOR_REST_TOKEN={}\n", ix.token),
        ),
        (
            "qstash.env",
            format!(
                "QSTASH_TOKEN={}\nQSTASH_CURRENT_SIGNING_KEY={}\n",
                qu.token, qu.current_signing_key
            ),
        ),
    ];
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let findings = scan(&refs);
    emu.clear_log();
    let report = upstash::check(&findings, &emu.config(&[(OPS, &key)]), true);
    let live = |s: &str| {
        verdict(&report, s)
            .live
            .clone()
            .expect("--live gives every finding a live part")
    };

    assert_eq!(live(&dm.rest_token).verdict, Liveness::Live);
    assert_eq!(
        live(&da.rest_token).verdict,
        Liveness::Live,
        "{:?}",
        live(&da.rest_token)
    );
    assert_eq!(
        live(&dd.rest_token).verdict,
        Liveness::Dead,
        "{:?}",
        live(&dd.rest_token)
    );
    let l = live(&dl.rest_token);
    assert_eq!(l.verdict, Liveness::Unknown, "a 429 is not dead: {l:?}");
    assert!(l.reason.contains("429"), "{l:?}");
    let l = live(&dh.rest_token);
    assert_eq!(l.verdict, Liveness::Unknown);
    assert!(l.reason.contains("no Upstash host"), "{l:?}");
    assert_eq!(
        live(&ix.token).verdict,
        Liveness::Live,
        "{:?}",
        live(&ix.token)
    );
    let l = live(&qu.token);
    assert_eq!(
        l.verdict,
        Liveness::Live,
        "found in its region after the default one: {l:?}"
    );
    assert_eq!(live(&qu.current_signing_key).verdict, Liveness::Unknown);
    let json = serde_json::to_value(verdict(&report, &dd.rest_token)).unwrap();
    assert_eq!(json["live"]["verdict"], "dead");

    // Each token went only to its own host; the owned one went nowhere.
    let log = emu.requests();
    for r in log.iter().filter(|r| r.path == "/ping") {
        let token = r
            .authorization
            .as_deref()
            .unwrap_or("")
            .trim_start_matches("Bearer ")
            .to_string();
        let db = [&da, &dd, &dl]
            .into_iter()
            .find(|d| d.rest_token == token)
            .expect("only not-owned tokens are pinged");
        assert_eq!(r.host, db.host);
    }
    assert!(
        !log.iter().any(|r| r.host == dm.host),
        "an owned token needs no request"
    );
    assert!(!log.iter().any(|r| r.host == dh.host));
    let info: Vec<_> = log.iter().filter(|r| r.path == "/info").collect();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].host, ix.host("vector"));
    let qhosts: Vec<&str> = log
        .iter()
        .filter(|r| r.path == "/v2/queues")
        .map(|r| r.host.as_str())
        .collect();
    assert_eq!(
        qhosts,
        vec![
            "qstash-eu-central-1.upstash.io",
            "qstash-us-east-1.upstash.io"
        ]
    );
}

#[test]
fn found_developer_api_keys_are_tried_and_the_audit_log_shown() {
    let mut w = World::new(17);
    let me = w.user(OPS);
    let configured = w.api_key(OPS, &me, false);
    let leaked = w.api_key(OPS, &me, false);
    w.keys[1].name = "ci-deploy".into();
    let other = w.user("someone@else.example");
    let theirs = w.api_key("someone@else.example", &other, false);
    w.audit_entry(&me, "Create Database", "API_KEY - ci-deploy", "cache");
    w.audit_entry(&me, "Rename Database", "CONSOLE", "cache");
    w.audit_entry(&me, "Reset Password", "API_KEY - ci-deploy", "cache");
    let emu = Emulator::start(w);
    let deleted = Fake::new(18).api_key();
    let files = [
        (
            "leaked.env",
            format!("UPSTASH_EMAIL={OPS}\nUPSTASH_API_KEY={leaked}\n"),
        ),
        (
            "deleted.tf",
            format!(
                "provider \"upstash\" {{\n  email   = \"{OPS}\"\n  api_key = \"{deleted}\"\n}}\n"
            ),
        ),
        (
            "theirs.env",
            format!("UPSTASH_EMAIL=someone@else.example\nUPSTASH_API_KEY={theirs}\n"),
        ),
        ("configured.env", format!("UPSTASH_API_KEY={configured}\n")),
    ];
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let findings = scan(&refs);
    assert_found(&findings, &[&leaked, &deleted, &theirs, &configured]);
    let report = upstash::check(&findings, &emu.config(&[(OPS, &configured)]), true);

    let v = verdict(&report, &leaked);
    assert_eq!(v.account.verdict, Ownership::Owned, "{:#?}", v.account);
    let k = v.api_key.as_ref().unwrap();
    assert_eq!(
        (k.status, k.email.as_deref()),
        (ApiKeyStatus::Works, Some(OPS))
    );
    assert_eq!(v.live.as_ref().unwrap().verdict, Liveness::Live);
    let actions: Vec<&str> = k.audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["Reset Password", "Create Database"],
        "newest first, API keys only"
    );
    assert!(k.audit.iter().all(|e| e.source == "API_KEY - ci-deploy"));

    let v = verdict(&report, &deleted);
    assert_eq!(v.api_key.as_ref().unwrap().status, ApiKeyStatus::Rejected);
    assert_eq!(v.live.as_ref().unwrap().verdict, Liveness::Dead);
    assert_eq!(
        v.account.verdict,
        Ownership::Unknown,
        "a rejected key may be a deleted one of ours"
    );

    let v = verdict(&report, &theirs);
    assert_eq!(v.account.verdict, Ownership::NotOwned, "{:#?}", v.account);
    assert_eq!(
        v.api_key.as_ref().unwrap().email.as_deref(),
        Some("someone@else.example")
    );

    let v = verdict(&report, &configured);
    assert_eq!(v.account.verdict, Ownership::Owned);
    assert_eq!(v.api_key.as_ref().unwrap().status, ApiKeyStatus::Works);

    // Found keys were only ever sent to api.upstash.com, with a read.
    for r in emu.requests() {
        if r.authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))
        {
            assert_eq!(r.host, "api.upstash.com");
            assert!(r.method == "GET", "{r:?}");
        }
    }
}

#[test]
fn the_test_redirection_is_loopback_only_and_strangers_are_never_contacted() {
    let env = |addr: &'static str| {
        move |k: &str| match k {
            "UPSTASH_EMAIL" => Some(OPS.to_string()),
            "UPSTASH_API_KEY" => Some("8d2f0c9e-5b1a-4c6e-9f3d-2a7b6c1e0d4f".to_string()),
            "UPSWEEP_TEST_UPSTASH_ADDR" => Some(addr.to_string()),
            _ => None,
        }
    };
    for bad in [
        "192.168.1.10:8080",
        "0.0.0.0:8080",
        "api.upstash.com:443",
        "localhost:8080",
    ] {
        let err = AccountConfig::from_lookup(None, env(bad)).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("UPSWEEP_TEST_UPSTASH_ADDR"), "{msg}");
    }
    let err = format!(
        "{:#}",
        AccountConfig::from_lookup(None, env("10.0.0.1:80")).unwrap_err()
    );
    assert!(err.contains("loopback"), "{err}");
    let ok = AccountConfig::from_lookup(None, env("127.0.0.1:8080")).unwrap();
    assert_eq!(ok.test_addr().unwrap().to_string(), "127.0.0.1:8080");

    // A stranger host written beside a token is never contacted: a listener stands in for it.
    let canary = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    canary.set_nonblocking(true).unwrap();
    let canary_addr = canary.local_addr().unwrap();
    let s = shop(19);
    let token = Fake::new(20).redis_token(30143, false, false);
    let text = format!(
        "KV_REST_API_URL=https://sought-mollusk-30143.kv.vercel-storage.com\nKV_REST_API_TOKEN={token}\n"
    );
    let mut findings = scan(&[("x.env", &text)]);
    let l = {
        let report = upstash::check(&findings, &s.cfg(), true);
        verdict(&report, &token).live.clone().unwrap()
    };
    assert_eq!(l.verdict, Liveness::Unknown);
    assert!(l.reason.contains("not under upstash.io"), "{l:?}");
    // Even a host planted directly in the finding.
    for f in &mut findings {
        for loc in &mut f.locations {
            loc.context.host = Some(format!("127.0.0.1:{}", canary_addr.port()));
            loc.context.host_agrees = None;
        }
        f.details.url_host = Some("evil.example.com".into());
    }
    let report = upstash::check(&findings, &s.cfg(), true);
    assert_eq!(
        verdict(&report, &token).live.as_ref().unwrap().verdict,
        Liveness::Unknown
    );
    assert!(canary.accept().is_err(), "the stranger host was contacted");
    for host in [
        format!("127.0.0.1:{}", canary_addr.port()),
        "sought-mollusk-30143.upstash.io.evil.com".to_string(),
        "sought-mollusk-30143.evilupstash.io".to_string(),
    ] {
        for f in &mut findings {
            f.details.url_host = None;
            for loc in &mut f.locations {
                loc.context.host = Some(host.clone());
            }
            match upstash::live::plan(f, None) {
                upstash::live::Plan::Skip(why) => {
                    assert!(why.contains("not under upstash.io"), "{why}")
                }
                upstash::live::Plan::Probe(urls) => panic!("would ask {urls:?}"),
            }
        }
    }
    assert!(s
        .emu
        .requests()
        .iter()
        .all(|r| r.host.ends_with(".upstash.io") || r.host == "api.upstash.com"));

    // A custom UPSTASH_API_URL receives the configured key, never a found one.
    let mut w = World::new(21);
    let me = w.user(OPS);
    let key = w.api_key(OPS, &me, false);
    let proxy = Emulator::start(w);
    let found = Fake::new(22).api_key();
    let mut cfg = s.emu.config(&[(OPS, &key)]);
    cfg.set_api_url(&format!("http://{}/v2", proxy.addr))
        .unwrap();
    let findings = scan(&[(
        "k.env",
        &format!("UPSTASH_EMAIL={OPS}\nUPSTASH_API_KEY={found}\n"),
    )]);
    // With --live (a found key is sent nowhere without it).
    let report = upstash::check(&findings, &cfg, true);
    assert!(report.complete(), "{:#?}", report.problems);
    let proxied = proxy.requests();
    assert!(
        proxied.iter().any(|r| r.path == "/v2/redis/databases"),
        "the account's inventory went to the configured URL"
    );
    assert!(
        proxied.iter().all(|r| r.user.as_deref() == Some(OPS)
            && !r.authorization.as_deref().unwrap_or("").is_empty())
            && !proxied
                .iter()
                .any(|r| basic_key(r.authorization.as_deref()) == Some(found.clone())),
        "a found key went to the configured URL"
    );
    assert!(s
        .emu
        .requests()
        .iter()
        .any(|r| basic_key(r.authorization.as_deref()) == Some(found.clone())));
}

/// Hosts under `upstashdev.com` (an Upstash domain seen in public code) are detected, but a
/// live check stays on `upstash.io`: nothing is sent there, and the verdict says why. A Kafka
/// password gets no request either, and an account verdict that explains it.
#[test]
fn upstashdev_hosts_are_never_contacted_and_kafka_passwords_are_explained() {
    let s = shop(23);
    let mut f = Fake::new(24);
    let token = f.redis_token(30143, false, false);
    let url_pw = f.redis_token(30144, false, false);
    let kafka_host = f.kafka_host(true);
    let kafka_pw = f.kafka_password(0);
    let findings = scan(&[
        (
            "dev.env",
            &format!(
                "UPSTASH_REDIS_REST_URL=https://eu1-sought-mollusk-30143.upstashdev.com\nUPSTASH_REDIS_REST_TOKEN={token}\nREDIS_URL=rediss://default:{url_pw}@eu1-proud-otter-30144.upstashdev.com:30144\n"
            ),
        ),
        (
            "kafka.env",
            &format!("UPSTASH_KAFKA_REST_URL=https://{kafka_host}\nUPSTASH_KAFKA_REST_PASSWORD={kafka_pw}\n"),
        ),
    ]);
    assert_found(&findings, &[&token, &url_pw, &kafka_pw]);
    let report = upstash::check(&findings, &s.cfg(), true);
    for secret in [&token, &url_pw] {
        let live = verdict(&report, secret).live.clone().expect("a live part");
        assert_eq!(live.verdict, Liveness::Unknown, "{live:?}");
        assert!(
            live.reason.contains("upstashdev.com") && live.reason.contains("not under upstash.io"),
            "{live:?}"
        );
    }
    let k = verdict(&report, &kafka_pw);
    assert_eq!(k.account.verdict, Ownership::Unknown);
    assert!(
        k.account.reason.contains("closed Kafka in 2025"),
        "{:?}",
        k.account
    );
    let live = k.live.clone().expect("a live part");
    assert_eq!(live.verdict, Liveness::Unknown);
    assert!(live.reason.contains("closed Kafka"), "{live:?}");
    let requests = s.emu.requests();
    assert!(
        requests
            .iter()
            .all(|r| !r.host.contains("upstashdev") && !r.host.contains("kafka")),
        "{requests:#?}"
    );
    assert!(
        !requests.iter().any(|r| r.path == "/ping"),
        "no live request was made for the tokens: {requests:#?}"
    );
}

fn basic_key(auth: Option<&str>) -> Option<String> {
    use base64::Engine;
    let b64 = auth?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some(
        String::from_utf8(decoded)
            .ok()?
            .split_once(':')?
            .1
            .to_string(),
    )
}

#[test]
fn a_read_only_key_reads_the_inventory_but_cannot_write() {
    let mut w = World::new(23);
    let me = w.user(OPS);
    let key = w.api_key(OPS, &me, true);
    let d = w.database(&me, "cache", "eu-west-1");
    let emu = Emulator::start(w);
    let db = emu.world().databases[d].clone();
    let cfg = emu.config(&[(OPS, &key)]);
    let findings = scan(&[(
        "x.env",
        &format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token),
    )]);
    let report = upstash::check(&findings, &cfg, false);
    assert_owned(
        &report,
        &db.rest_token,
        (Product::Redis, &db.id, Credential::ReadWriteToken),
    );
    let session = Session::new(&cfg).unwrap();
    let api = session.developer_api(&cfg.accounts[0]);
    let err = session
        .block_on(api.reset_redis_password(&db.id))
        .unwrap_err();
    assert!(matches!(err, ApiError::ReadOnlyKey { .. }), "{err:?}");
    assert!(err.to_string().contains("read-only"));
    assert_eq!(
        emu.world().databases[d].rest_token,
        db.rest_token,
        "nothing rotated"
    );
    // A write is not repeated after a 500 (the server may have acted).
    let mut w = World::new(24);
    let me = w.user(OPS);
    let key = w.api_key(OPS, &me, false);
    let d = w.database(&me, "cache", "eu-west-1");
    let emu = Emulator::start(w);
    let id = emu.world().databases[d].id.clone();
    emu.fault(Fault::new(
        "/v2/redis/reset-password",
        FaultKind::Status(500, "oops".into()),
    ));
    let cfg = emu.config(&[(OPS, &key)]);
    let session = Session::new(&cfg).unwrap();
    let api = session.developer_api(&cfg.accounts[0]);
    let err = session.block_on(api.reset_redis_password(&id)).unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Server {
                status: 500,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        emu.requests().iter().filter(|r| r.method == "POST").count(),
        1
    );
}

#[test]
fn qstash_signing_keys_failures_are_per_region() {
    let s = shop(25);
    let (eu, us) = {
        let w = s.emu.world();
        (w.qstash[s.eu].clone(), w.qstash[s.us].clone())
    };
    s.emu.fault(
        Fault::new("/v2/keys", FaultKind::Status(500, "down".into()))
            .on_host("qstash-us-east-1.upstash.io"),
    );
    let stranger = Fake::new(26).signing_key();
    let text = format!(
        "QSTASH_CURRENT_SIGNING_KEY={}\n\n\n\n\n\n\n\n\n\n\n\nOTHER_SIGNING_KEY={stranger}\nQSTASH_TOKEN={}\n",
        eu.current_signing_key, us.token
    );
    let report = upstash::check(&scan(&[("x.env", &text)]), &s.cfg(), false);
    assert_owned(
        &report,
        &eu.current_signing_key,
        (Product::Qstash, &eu.id, Credential::CurrentSigningKey),
    );
    assert_unknown(&report, &stranger, "us-east-1");
    assert_owned(
        &report,
        &us.token,
        (Product::Qstash, &us.id, Credential::ReadWriteToken),
    );
    assert!(report
        .problems
        .iter()
        .any(|p| p.section == "QStash signing keys (us-east-1)"));
}

/// Benchmark: 200 databases (listed without credentials, so 200 more requests), 50 indexes,
/// 2 QStash regions. Run with
/// `cargo test --release --test integration account::inventory_benchmark -- --ignored --nocapture`.
#[test]
#[ignore]
fn inventory_benchmark() {
    let mut w = World::new(27);
    let me = w.user(OPS);
    let key = w.api_key(OPS, &me, false);
    for i in 0..200 {
        w.database(&me, &format!("db-{i}"), "eu-west-1");
    }
    for i in 0..25 {
        w.vector_index(&me, &format!("vx-{i}"));
        w.search_index(&me, &format!("sx-{i}"));
    }
    w.qstash_user(&me, "eu-central-1");
    w.qstash_user(&me, "us-east-1");
    let emu = Emulator::start(w);
    let tokens: Vec<String> = emu
        .world()
        .databases
        .iter()
        .map(|d| d.rest_token.clone())
        .collect();
    let text: String = tokens
        .iter()
        .map(|t| format!("UPSTASH_REDIS_REST_TOKEN={t}\n\n\n\n\n\n\n\n\n\n\n\n"))
        .collect();
    let findings = scan(&[("x.env", &text)]);
    let mut cfg = emu.config(&[(OPS, &key)]);
    cfg.limits = upstash::Limits::default();
    for without in [false, true] {
        emu.world().list_without_credentials = without;
        emu.clear_log();
        let started = Instant::now();
        let report = upstash::check(&findings, &cfg, false);
        let took = started.elapsed();
        assert!(report.complete(), "{:#?}", report.problems);
        let owned = report
            .verdicts
            .values()
            .filter(|v| v.account.verdict == Ownership::Owned)
            .count();
        assert_eq!(owned, 200);
        println!(
            "inventory of 200 databases, 50 indexes, 2 QStash regions ({} list): {} requests in {:?}",
            if without { "without credentials" } else { "with credentials" },
            emu.requests().len(),
            took
        );
        assert!(took < Duration::from_secs(2), "took {took:?}");
    }
}
