//! The main flows: every product rotated and proven by a fresh inventory, dry runs that send no
//! write, a read-only key refused up front, 429 then success, a 500 in the middle of three
//! actions, re-runs that do nothing, `--only`, reports, Git history, leaked Developer API keys
//! and `--check-api-key`, the terminal's question; no secret, old or new, in the output or the
//! journal.

use super::{
    assert_all_dead, assert_no_secret, assert_state_clean, every_value, journal_lines, plant,
    posts, Rv,
};
use crate::common::Run;
use crate::emulator::{shop, Emulator, Fault, FaultKind, World, OPS};
use upsweep::finding::sha256_hex;

/// The outcome lines of a journal in the test directory.
fn audit_lines(rv: &Rv, name: &str) -> Vec<serde_json::Value> {
    journal_lines(&rv.path().join(name), "outcome")
}

#[test]
fn every_product_is_rotated_confirmed_and_logged_without_a_secret() {
    let s = shop(101);
    let rv = Rv::new();
    let leaked = plant(&rv, &s);
    let (cache_id, eu_before) = {
        let w = s.emu.world();
        (w.databases[s.cache].id.clone(), w.qstash[s.eu].clone())
    };
    let run = rv.run(
        &s,
        &[
            "--yes",
            "--audit-log",
            "audit.jsonl",
            "--new-credentials",
            "new.env",
            "leaks",
        ],
    );
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );

    // The plan came first, naming resources and who breaks.
    let plan_at = run.stdout.find("Rotations, in this order").expect("a plan");
    let rotating_at = run.stdout.find("Rotating:").expect("execution");
    assert!(plan_at < rotating_at);
    for want in [
        "Redis database 'prod-cache' (eu-west-1)",
        "Redis database 'old-sessions' (eu-west-1)",
        "Vector index 'embeddings' (us-east-1)",
        "Search index 'docs' (eu-west-1)",
        "QStash (eu-central-1) token",
        "QStash (eu-central-1) signing keys",
        "QStash (us-east-1) signing keys",
        "breaks:",
        "twice",
        &cache_id,
    ] {
        assert!(
            run.stdout.contains(want),
            "missing {want:?}:\n{}",
            run.stdout
        );
    }
    assert_eq!(run.stdout.matches("[rotated]").count(), 7, "{}", run.stdout);

    // One reset of the cache although two of its credentials leaked; the EU next key twice.
    let p = posts(&s.emu);
    let count = |frag: &str| p.iter().filter(|x| x.contains(frag)).count();
    assert_eq!(
        count(&format!("/v2/redis/reset-password/{cache_id}")),
        1,
        "{p:#?}"
    );
    assert_eq!(
        count("qstash-eu-central-1.upstash.io /v2/keys/rotate"),
        2,
        "{p:#?}"
    );
    assert_eq!(
        count("qstash-us-east-1.upstash.io /v2/keys/rotate"),
        1,
        "{p:#?}"
    );
    {
        let w = s.emu.world();
        let eu = &w.qstash[s.eu];
        assert!(eu.retired.contains(&eu_before.current_signing_key));
        assert!(eu.retired.contains(&eu_before.next_signing_key));
    }

    // A fresh inventory proves every leaked value dead.
    let secrets: Vec<&str> = leaked.secrets.iter().map(String::as_str).collect();
    assert_all_dead(&s, &secrets);

    // The journal: an intent before each of the 8 writes, then one outcome per action, all
    // rotated, each with its new values saved; hashes only.
    let intents = journal_lines(&rv.path().join("audit.jsonl"), "intent");
    assert_eq!(intents.len(), 8, "{intents:#?}");
    let lines = audit_lines(&rv, "audit.jsonl");
    assert_eq!(lines.len(), 7);
    for l in &lines {
        assert_eq!(l["outcome"], "rotated", "{l}");
        assert_eq!(l["new_values"], "saved", "{l}");
        assert!(l["time"].as_str().unwrap().ends_with('Z'));
        assert!(l["error"].is_null());
    }
    let eu_keys = lines
        .iter()
        .find(|l| {
            l["action"] == "qstash-rotate-signing-keys" && l["resource"]["region"] == "eu-central-1"
        })
        .expect("the EU signing keys' outcome");
    assert_eq!(
        eu_keys["rotations"], 2,
        "the EU next signing key: {eu_keys}"
    );
    let logged: Vec<&str> = lines
        .iter()
        .flat_map(|l| l["secret_sha256"].as_array().unwrap())
        .map(|h| h.as_str().unwrap())
        .collect();
    for x in &leaked.secrets {
        assert!(logged.contains(&sha256_hex(x).as_str()));
    }
    let actions: Vec<&str> = lines
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "redis-reset-password",
            "redis-reset-password",
            "vector-reset-password",
            "search-reset-password",
            "qstash-rotate-token",
            "qstash-rotate-signing-keys",
            "qstash-rotate-signing-keys"
        ]
    );

    // No credential, old or new, in the output or the log.
    let log_text = std::fs::read_to_string(rv.path().join("audit.jsonl")).unwrap();
    assert_no_secret(&s.emu, "stdout", &run.stdout);
    assert_no_secret(&s.emu, "stderr", &run.stderr);
    assert_no_secret(&s.emu, "the audit log", &log_text);

    // The new credentials went to the file, mode 0600, under the conventional names.
    let new = std::fs::read_to_string(rv.path().join("new.env")).unwrap();
    {
        let w = s.emu.world();
        let db = &w.databases[s.cache];
        assert!(
            new.contains(&format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token))
                || new.contains(&format!("_UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token))
        );
        assert!(new.contains(&format!(
            "UPSTASH_VECTOR_REST_TOKEN={}\n",
            w.vector[s.vector].token
        )));
        assert!(new.contains(&format!(
            "UPSTASH_SEARCH_READONLY_TOKEN={}\n",
            w.search[s.search].read_only_token
        )));
        assert!(new.contains(&format!("QSTASH_TOKEN={}\n", w.qstash[s.eu].token)));
        assert!(new.contains(&format!(
            "EU_CENTRAL_1_QSTASH_NEXT_SIGNING_KEY={}\n",
            w.qstash[s.eu].next_signing_key
        )));
        assert!(new.contains(&format!(
            "US_EAST_1_QSTASH_CURRENT_SIGNING_KEY={}\n",
            w.qstash[s.us].current_signing_key
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(rv.path().join("new.env"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A second run finds everything done and sends no write.
    s.emu.clear_log();
    let again = rv.run(
        &s,
        &[
            "--yes",
            "--audit-log",
            "audit.jsonl",
            "--new-credentials",
            "new.env",
            "leaks",
        ],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(posts(&s.emu).is_empty(), "{:#?}", posts(&s.emu));
    assert!(
        again.stdout.contains("Nothing to rotate"),
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("already rotated"), "{}", again.stdout);
    // Signing keys name no resource once rotated away: the journal knows them.
    assert!(
        again.stdout.contains("owned-rotated: already rotated: a signing key of QStash (eu-central-1) until upsweep revoke rotated it away"),
        "the signing keys: {}",
        again.stdout
    );
    assert!(!again.stdout.contains("not-owned"), "{}", again.stdout);
    assert_eq!(
        audit_lines(&rv, "audit.jsonl").len(),
        7,
        "nothing attempted, nothing logged"
    );
    assert_no_secret(&s.emu, "stdout of the second run", &again.stdout);
    assert_state_clean(&s.emu, &rv, &["audit.jsonl"]);
}

#[test]
fn a_dry_run_changes_nothing_and_lists_what_needs_no_action() {
    let s = shop(102);
    let rv = Rv::new();
    plant(&rv, &s);
    let stranger = crate::common::Fake::new(5).redis_token(12345, false, false);
    rv.write("leaks/other.env", format!("OTHER_REDIS_TOKEN={stranger}\n"));
    let before = every_value(&s.emu);
    s.emu.clear_log();

    for args in [&["leaks"][..], &["--dry-run", "leaks"][..]] {
        let run = rv.run(&s, args);
        assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("Dry run: nothing was changed"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("Rotations, in this order (7)"),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("not-owned"), "{}", run.stdout);
        assert!(
            run.stdout.contains("No action needed (1)"),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("every client of this database"));
        assert!(run.stdout.contains("warning:"), "the signing-key warning");
        assert_no_secret(&s.emu, "a dry run's stdout", &run.stdout);
        assert_no_secret(&s.emu, "a dry run's stderr", &run.stderr);
    }
    assert!(posts(&s.emu).is_empty(), "{:#?}", posts(&s.emu));
    assert_eq!(every_value(&s.emu), before, "the emulator's state changed");
    assert!(!rv.path().join("new.env").exists());
}

/// A Kafka password (Kafka closed in 2025) cannot be rotated: the plan lists it as not
/// actionable with the reason, and nothing is sent for it.
#[test]
fn a_kafka_password_is_not_actionable_and_says_why() {
    let s = shop(103);
    let rv = Rv::new();
    let mut f = crate::common::Fake::new(6);
    let host = f.kafka_host(true);
    let pw = f.kafka_password(1);
    rv.write(
        "leaks/kafka.env",
        format!("UPSTASH_KAFKA_REST_URL=https://{host}\nUPSTASH_KAFKA_REST_PASSWORD={pw}\n"),
    );
    s.emu.clear_log();
    let run = rv.run(&s, &["--dry-run", "leaks"]);
    assert!(
        run.stdout.contains("Not actionable") && run.stdout.contains("closed Kafka in 2025"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(!run.stdout.contains(&pw) && !run.stderr.contains(&pw));
    assert!(posts(&s.emu).is_empty(), "{:#?}", posts(&s.emu));
}

#[test]
fn a_read_only_key_is_refused_before_anything_is_attempted() {
    let mut w = World::new(103);
    let me = w.user(OPS);
    let key = w.api_key(OPS, &me, true);
    let d = w.database(&me, "cache", "eu-west-1");
    let v = w.vector_index(&me, "embeddings");
    let emu = Emulator::start(w);
    let (db, vx) = {
        let w = emu.world();
        (w.databases[d].clone(), w.vector[v].clone())
    };
    let rv = Rv::new();
    rv.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token),
    );
    rv.write("b.env", format!("UPSTASH_VECTOR_REST_TOKEN={}\n", vx.token));
    let before = every_value(&emu);
    let run = rv.run_as(&emu, &key, &["--yes", "--audit-log", "log.jsonl", "."]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.matches("[REFUSED]").count(), 2, "{}", run.stdout);
    assert!(run.stdout.contains("read-only"), "{}", run.stdout);
    assert!(run.stdout.contains("Management API"), "says what to do");
    // The one write sent is the probe, on a database id nobody has.
    let p = posts(&emu);
    assert_eq!(
        p,
        vec!["api.upstash.com /v2/redis/reset-password/00000000-0000-0000-0000-000000000000"]
    );
    assert_eq!(every_value(&emu), before);
    let lines = audit_lines(&rv, "log.jsonl");
    assert_eq!(lines.len(), 2);
    assert!(lines
        .iter()
        .all(|l| l["outcome"] == "refused" && l["error"].as_str().unwrap().contains("read-only")));
}

#[test]
fn a_rate_limited_rotation_is_retried_then_made() {
    let s = shop(104);
    let rv = Rv::new();
    let (id, token) = {
        let w = s.emu.world();
        (
            w.databases[s.cache].id.clone(),
            w.databases[s.cache].rest_token.clone(),
        )
    };
    rv.write("a.env", format!("UPSTASH_REDIS_REST_TOKEN={token}\n"));
    let path = format!("/v2/redis/reset-password/{id}");
    s.emu.fault(
        Fault::new(
            &path,
            FaultKind::RateLimited {
                retry_after: Some(0),
            },
        )
        .method("POST")
        .times(1),
    );
    let run = rv.run(&s, &["--yes", "."]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("[rotated]"), "{}", run.stdout);
    let statuses: Vec<u16> = s
        .emu
        .requests()
        .iter()
        .filter(|r| r.path == path)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![429, 200]);
    assert_all_dead(&s, &[&token]);
}

#[test]
fn a_failure_in_the_middle_stops_nothing_else_and_a_rerun_finishes() {
    let s = shop(105);
    let rv = Rv::new();
    let (db, vx, sx) = {
        let w = s.emu.world();
        (
            w.databases[s.cache].clone(),
            w.vector[s.vector].clone(),
            w.search[s.search].clone(),
        )
    };
    rv.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token),
    );
    rv.write("b.env", format!("UPSTASH_VECTOR_REST_TOKEN={}\n", vx.token));
    rv.write("c.env", format!("UPSTASH_SEARCH_REST_TOKEN={}\n", sx.token));
    // The second of three actions (Redis, Vector, Search) gets a 500.
    s.emu.fault(
        Fault::new(
            &format!("/v2/vector/index/{}/reset-password", vx.id),
            FaultKind::Status(500, r#"{"error":"internal error"}"#.into()),
        )
        .method("POST"),
    );
    let run = rv.run(&s, &["--yes", "--audit-log", "audit.jsonl", "."]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.matches("[rotated]").count(), 2, "{}", run.stdout);
    assert_eq!(run.stdout.matches("[FAILED]").count(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("server error 500"), "{}", run.stdout);
    assert!(run
        .stdout
        .contains("what to do: Upstash answered with a server error"));
    let lines = audit_lines(&rv, "audit.jsonl");
    let outcomes: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["action"].as_str().unwrap(),
                l["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("redis-reset-password", "rotated"),
            ("vector-reset-password", "failed"),
            ("search-reset-password", "rotated"),
        ]
    );
    assert!(lines[1]["error"].as_str().unwrap().contains("500"));
    assert_eq!(lines[1]["secret_sha256"][0], sha256_hex(&vx.token));
    assert_all_dead(&s, &[&db.rest_token, &sx.token]);
    assert_eq!(
        s.emu.world().vector[s.vector].token,
        vx.token,
        "the failed one is unchanged"
    );
    // The write that failed was not repeated (the server may have acted).
    let vector_posts = posts(&s.emu)
        .iter()
        .filter(|p| p.contains("/v2/vector/"))
        .count();
    assert_eq!(vector_posts, 1);

    // Once Upstash is well again, a re-run rotates only what is left.
    s.emu.clear_faults();
    s.emu.clear_log();
    let again = rv.run(&s, &["--yes", "--audit-log", "audit.jsonl", "."]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let p = posts(&s.emu);
    assert_eq!(p.len(), 2, "the probe and the Vector reset: {p:#?}");
    assert!(p[1].ends_with(&format!("/v2/vector/index/{}/reset-password", vx.id)));
    assert_all_dead(&s, &[&vx.token]);
    assert_eq!(audit_lines(&rv, "audit.jsonl").len(), 4);
}

#[test]
fn a_resource_deleted_meanwhile_is_reported_with_what_to_do() {
    let s = shop(106);
    let rv = Rv::new();
    let (db, vx) = {
        let w = s.emu.world();
        (w.databases[s.cache].clone(), w.vector[s.vector].clone())
    };
    rv.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token),
    );
    rv.write("b.env", format!("UPSTASH_VECTOR_REST_TOKEN={}\n", vx.token));
    // The inventory lists the database; by the time it is acted on, it is gone.
    s.emu.fault(Fault::new(
        &format!("/v2/redis/database/{}", db.id),
        FaultKind::Status(404, r#"{"error":"database not found"}"#.into()),
    ));
    let run = rv.run(&s, &["--yes", "."]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("[FAILED] Redis database 'prod-cache'"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("no longer exists"), "{}", run.stdout);
    assert!(
        run.stdout.contains("[rotated] Vector index 'embeddings'"),
        "{}",
        run.stdout
    );
    assert!(!posts(&s.emu).iter().any(|p| p.contains(&db.id)));
}

#[test]
fn what_the_inventory_cannot_tell_is_not_actionable_and_the_rest_proceeds() {
    let s = shop(112);
    let rv = Rv::new();
    let (db, vx) = {
        let w = s.emu.world();
        (w.databases[s.cache].clone(), w.vector[s.vector].clone())
    };
    rv.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token),
    );
    rv.write("b.env", format!("UPSTASH_VECTOR_REST_TOKEN={}\n", vx.token));
    // The Vector list fails: that leak cannot be judged.
    s.emu.fault(Fault::new(
        "/v2/vector/index",
        FaultKind::Status(400, "listing unavailable".into()),
    ));
    let run = rv.run(&s, &["--yes", "."]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("Not actionable: upsweep cannot tell"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("vector-token"), "{}", run.stdout);
    assert!(run.stdout.contains("listing unavailable"), "{}", run.stdout);
    assert!(run.stdout.contains("[rotated] Redis database 'prod-cache'"));
    assert_eq!(s.emu.world().vector[s.vector].token, vx.token);
    s.emu.clear_faults();
    assert_all_dead(&s, &[&db.rest_token]);
}

#[test]
fn a_leak_in_git_history_is_planned_with_its_commit() {
    let s = shop(113);
    let rv = Rv::new();
    let token = s.emu.world().databases[s.cache].rest_token.clone();
    rv.git(&["init", "-q"]);
    rv.write(".env", format!("UPSTASH_REDIS_REST_TOKEN={token}\n"));
    rv.git(&["add", ".env"]);
    rv.git(&["commit", "-q", "-m", "oops"]);
    rv.git(&["rm", "-q", ".env"]);
    rv.git(&["commit", "-q", "-m", "remove it"]);
    let files_only = rv.run(&s, &["."]);
    assert!(
        files_only.stdout.contains("nothing to revoke"),
        "{}",
        files_only.stdout
    );
    let run = rv.run(&s, &["--git", "."]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("in the git history of ."),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("in .env:1 (commit "), "{}", run.stdout);
    assert!(
        run.stdout.contains("Redis database 'prod-cache'"),
        "{}",
        run.stdout
    );
}

#[test]
fn only_limits_the_plan_to_the_chosen_resources() {
    let s = shop(107);
    let rv = Rv::new();
    let (db, vx) = {
        let w = s.emu.world();
        (w.databases[s.cache].clone(), w.vector[s.vector].clone())
    };
    rv.write(
        "a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token),
    );
    rv.write("b.env", format!("UPSTASH_VECTOR_REST_TOKEN={}\n", vx.token));
    let run = rv.run(&s, &["--yes", "--only", &vx.id, "."]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("Left out by --only (1)"),
        "{}",
        run.stdout
    );
    assert_all_dead(&s, &[&vx.token]);
    assert_eq!(s.emu.world().databases[s.cache].rest_token, db.rest_token);
    let typo = rv.run(&s, &["--yes", "--only", "no-such-id", "."]);
    assert_eq!(typo.code, 2);
    assert!(typo.stderr.contains("--only no-such-id"), "{}", typo.stderr);
}

#[test]
fn a_report_of_hashes_is_enough_to_plan_and_rotate() {
    let s = shop(108);
    let rv = Rv::new();
    let (db, legacy, eu) = {
        let w = s.emu.world();
        (
            w.databases[s.cache].clone(),
            w.databases[s.legacy].clone(),
            w.qstash[s.eu].clone(),
        )
    };
    rv.write(
        "src/a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token),
    );
    rv.write("src/b.env", format!("LEGACY_TOKEN={}\n", legacy.rest_token));
    rv.write(
        "src/c.env",
        format!("QSTASH_CURRENT_SIGNING_KEY={}\n", eu.current_signing_key),
    );
    let scan_run: Run = rv
        .cmd()
        .args([
            "scan",
            "--format",
            "json",
            "--account",
            "-o",
            "scan.json",
            "src",
        ])
        .env("UPSTASH_EMAIL", OPS)
        .env("UPSTASH_API_KEY", &s.key)
        .env("UPSWEEP_TEST_UPSTASH_ADDR", s.emu.addr.to_string())
        .output()
        .unwrap()
        .into();
    assert_eq!(scan_run.code, 1, "{}", scan_run.stderr);
    let report = std::fs::read_to_string(rv.path().join("scan.json")).unwrap();
    assert!(
        !report.contains(&db.rest_token),
        "the report holds no secret"
    );

    let dry = rv.run(&s, &["--report", "scan.json"]);
    assert_eq!(dry.code, 1, "{}\n{}", dry.stdout, dry.stderr);
    assert!(dry.stdout.contains("in report scan.json"), "{}", dry.stdout);
    assert!(
        dry.stdout.contains("Rotations, in this order (3)"),
        "{}",
        dry.stdout
    );
    let run = rv.run(&s, &["--report", "scan.json", "--yes"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_all_dead(
        &s,
        &[
            &db.rest_token,
            &legacy.rest_token,
            &legacy.password,
            &eu.current_signing_key,
        ],
    );
    // The same report later: everything shows as done.
    let again = rv.run(&s, &["--report", "scan.json", "--yes"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("No action needed (3)"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_leaked_developer_api_key_gets_console_steps_then_the_check_confirms_it_dead() {
    let mut w = World::new(109);
    let me = w.user(OPS);
    let configured = w.api_key(OPS, &me, false);
    let leaked = w.api_key(OPS, &me, false);
    w.keys[1].name = "ci-deploy".into();
    w.audit_entry(&me, "Create Database", "API_KEY - ci-deploy", "cache");
    w.audit_entry(&me, "Rename Database", "CONSOLE", "cache");
    let emu = Emulator::start(w);
    let rv = Rv::new();
    rv.write(
        "k.env",
        format!("UPSTASH_EMAIL={OPS}\nUPSTASH_API_KEY={leaked}\n"),
    );

    let plan = rv.run_as(&emu, &configured, &["--yes", "."]);
    assert_eq!(plan.code, 1, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains(
            "Developer API keys: need a person in the Upstash console (1): no API can delete one"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("not tried: treat it as working"),
        "without --live a found key is sent nowhere: {}",
        plan.stdout
    );
    assert!(plan.stdout.contains("Account > Management API"));
    assert!(plan.stdout.contains("--check-api-key"));
    assert!(
        plan.stdout
            .contains("Create Database 'cache'  by API_KEY - ci-deploy"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("Rename Database"),
        "console actions are not listed"
    );
    assert!(posts(&emu).is_empty());

    let still = rv.run_as(&emu, &configured, &["--check-api-key", "."]);
    assert_eq!(still.code, 1, "{}\n{}", still.stdout, still.stderr);
    assert!(
        still
            .stdout
            .contains("STILL WORKS: delete it in the console"),
        "{}",
        still.stdout
    );
    assert!(
        still
            .stdout
            .contains("whose:   a key of ops@example.com, a configured account: it WORKS"),
        "{}",
        still.stdout
    );

    // The user deletes it in the console.
    emu.world().keys.retain(|k| k.key != leaked);
    let dead = rv.run_as(&emu, &configured, &["--check-api-key", "."]);
    assert_eq!(dead.code, 0, "{}\n{}", dead.stdout, dead.stderr);
    assert!(
        dead.stdout.contains("deleted: it gets 401 now"),
        "{}",
        dead.stdout
    );
    assert!(dead.stdout.contains("Create Database"), "{}", dead.stdout);
    for r in [&plan, &still, &dead] {
        assert_no_secret(&emu, "stdout", &r.stdout);
        assert!(!r.stdout.contains(&leaked) && !r.stderr.contains(&leaked));
    }
    // And the plan, told to try it, now calls it done.
    let after = rv.run_as(&emu, &configured, &["--live", "."]);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    assert!(after.stdout.contains("rejected (401)"), "{}", after.stdout);
    assert!(
        after.stdout.contains("deleted: it gets 401 now"),
        "{}",
        after.stdout
    );
}

#[test]
fn nothing_found_is_nothing_to_do_and_bad_usage_is_an_error() {
    let s = shop(110);
    let rv = Rv::new();
    rv.write("clean.txt", "nothing to see\n");
    let run = rv.run(&s, &["."]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("nothing to revoke"), "{}", run.stdout);
    let no_account: Run = rv
        .cmd()
        .args(["revoke", "."])
        .env_remove("UPSTASH_EMAIL")
        .env_remove("UPSTASH_API_KEY")
        .output()
        .unwrap()
        .into();
    assert_eq!(no_account.code, 2);
    assert!(
        no_account.stderr.contains("UPSTASH_API_KEY"),
        "{}",
        no_account.stderr
    );
    let both = rv.run(&s, &["--report", "r.json", "--git"]);
    assert_eq!(both.code, 2);
    // An existing --new-credentials file is refused before anything is rotated.
    let token = s.emu.world().databases[s.cache].rest_token.clone();
    rv.write("a.env", format!("UPSTASH_REDIS_REST_TOKEN={token}\n"));
    rv.write("taken.env", "keep me\n");
    s.emu.clear_log();
    let taken = rv.run(&s, &["--yes", "--new-credentials", "taken.env", "."]);
    assert_eq!(taken.code, 2, "{}\n{}", taken.stdout, taken.stderr);
    assert!(taken.stderr.contains("exists"), "{}", taken.stderr);
    assert!(posts(&s.emu).is_empty());
    assert_eq!(
        std::fs::read_to_string(rv.path().join("taken.env")).unwrap(),
        "keep me\n"
    );
}

/// On a terminal without --yes, revoke asks, naming what it will rotate. The terminal is a
/// pseudo-terminal made by util-linux `script`; the test is skipped where it is missing.
#[test]
fn on_a_terminal_it_asks_first() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let script = std::path::Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("skipped: no /usr/bin/script to make a pseudo-terminal");
        return;
    }
    let s = shop(111);
    let rv = Rv::new();
    let token = s.emu.world().databases[s.cache].rest_token.clone();
    rv.write("a.env", format!("UPSTASH_REDIS_REST_TOKEN={token}\n"));
    // Answer on the terminal; stdin stays open until the command ends (killed after 20 s).
    let ask = |answer: &str| -> (i32, String) {
        let cmd = format!("{} revoke .", env!("CARGO_BIN_EXE_upsweep"));
        let mut child = Command::new(script)
            .args(["-q", "-e", "-c", &cmd, "/dev/null"])
            .current_dir(rv.path())
            .env("NO_COLOR", "1")
            .env("UPSTASH_EMAIL", OPS)
            .env("UPSTASH_API_KEY", &s.key)
            .env("UPSWEEP_TEST_UPSTASH_ADDR", s.emu.addr.to_string())
            .env("UPSWEEP_CACHE_DIR", rv.cache.path())
            .env_remove("UPSTASH_API_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run script");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(answer.as_bytes()).unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let started = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("revoke on a terminal did not finish");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(stdin);
        (status.code().unwrap_or(-1), reader.join().unwrap())
    };

    let (code, text) = ask("n\n");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("About to rotate:"), "{text}");
    assert!(
        text.contains("- Redis database 'prod-cache' (eu-west-1)"),
        "{text}"
    );
    assert!(text.contains("Dry run: nothing was changed"), "{text}");
    assert_eq!(s.emu.world().databases[s.cache].rest_token, token);
    assert!(posts(&s.emu).is_empty());

    let (code, text) = ask("y\n");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("[rotated] Redis database 'prod-cache'"),
        "{text}"
    );
    assert_all_dead(&s, &[&token]);
    assert_no_secret(&s.emu, "the terminal", &text);
}
