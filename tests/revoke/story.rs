//! What a person or a script reads: `--format json`, a leaked Developer API key told the same
//! way by every command, what the configuration left out of a plan, `--only` per action, and
//! what goes over the network (a found key is sent nowhere without `--live`).

use super::{assert_no_secret, assert_run_clean, plant, posts, Rv};
use crate::common::Run;
use crate::emulator::{shop, Emulator, World, OPS};
use base64::Engine;
use serde_json::Value;
use upsweep::finding::sha256_hex;

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\n{}",
            run.stdout, run.stderr
        )
    })
}

#[test]
fn format_json_is_one_document_for_the_plan_and_for_the_results() {
    let s = shop(301);
    let rv = Rv::new();
    plant(&rv, &s);
    let dry = rv.run(&s, &["--format", "json", "leaks"]);
    assert_eq!(dry.code, 1, "{}\n{}", dry.stdout, dry.stderr);
    let v = json_of(&dry);
    assert_eq!(v["version"], 1);
    assert_eq!(v["command"], "revoke");
    assert_eq!(v["mode"], "dry-run");
    assert_eq!(v["exit_code"], 1);
    let actions = v["plan"]["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 7);
    let ids: Vec<&str> = actions.iter().map(|a| a["id"].as_str().unwrap()).collect();
    let eu = s.emu.world().qstash[s.eu].id.clone();
    assert!(
        ids.contains(&format!("qstash-token:{eu}").as_str()),
        "{ids:?}"
    );
    assert!(ids.contains(&format!("qstash-signing-keys:{eu}").as_str()));
    let eu_keys = actions
        .iter()
        .find(|a| a["id"] == format!("qstash-signing-keys:{eu}"))
        .unwrap();
    assert_eq!(eu_keys["rotations"], 2);
    assert!(eu_keys["warning"].as_str().unwrap().contains("Redeploy"));
    assert!(v["results"].as_array().unwrap().is_empty());
    assert!(posts(&s.emu).is_empty());
    assert_run_clean(&s.emu, "the JSON plan", &dry);

    let run = rv.run(
        &s,
        &[
            "--format",
            "json",
            "--yes",
            "--new-credentials",
            "new.env",
            "leaks",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let v = json_of(&run);
    assert_eq!(v["mode"], "rotate");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["new_credentials"], "new.env");
    assert!(v["journal"].as_str().unwrap().ends_with("journal.jsonl"));
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    for r in results {
        assert_eq!(r["status"], "rotated", "{r}");
        assert_eq!(r["new_credentials"], "saved", "{r}");
    }
    assert!(v["stopped"].is_null());
    assert_run_clean(&s.emu, "the JSON results", &run);
}

#[test]
fn only_takes_each_actions_own_id() {
    let s = shop(302);
    let rv = Rv::new();
    plant(&rv, &s);
    let eu = s.emu.world().qstash[s.eu].clone();
    let id = format!("qstash-token:{}", eu.id);
    let run = rv.run(&s, &["--yes", "--only", &id, "leaks"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("Left out by --only (6)"),
        "{}",
        run.stdout
    );
    let p = posts(&s.emu);
    assert_eq!(
        p.iter()
            .filter(|x| x.contains("/v2/qstash/rotate-token/"))
            .count(),
        1
    );
    assert!(
        !p.iter().any(|x| x.contains("/v2/keys/rotate")),
        "the region's signing keys are another action: {p:#?}"
    );
    let w = s.emu.world();
    assert_ne!(w.qstash[s.eu].token, eu.token);
    assert_eq!(w.qstash[s.eu].next_signing_key, eu.next_signing_key);
    drop(w);
    // The resource's id still names every action on it.
    let both = rv.run(&s, &["--dry-run", "--only", &eu.id, "leaks"]);
    assert!(
        both.stdout.contains("Rotations, in this order (1)"),
        "the token is done, the keys remain: {}",
        both.stdout
    );
    assert_run_clean(&s.emu, "--only", &run);
}

#[test]
fn what_the_configuration_left_out_is_said_and_no_config_puts_it_back() {
    let s = shop(303);
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
        "app/.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token),
    );
    rv.write(
        "fixtures/vector.env",
        format!("UPSTASH_VECTOR_REST_TOKEN={}\n", vx.token),
    );
    rv.write(
        "app/search.env",
        format!(
            "UPSTASH_SEARCH_REST_TOKEN={} # upsweep:allow demo index\n",
            sx.token
        ),
    );
    rv.write(
        ".upsweep.toml",
        format!(
            "skip-paths = [\"fixtures/\"]\n\n[[allow]]\nsha256 = \"{}\"\nreason = \"the shared demo cache\"\n",
            sha256_hex(&db.rest_token)
        ),
    );
    let run = rv.run(&s, &["."]);
    assert_eq!(
        run.code, 0,
        "nothing left to rotate: {}\n{}",
        run.stdout, run.stderr
    );
    for want in [
        "Left out of this plan (3: ",
        "1 by allow",
        "1 by skip-paths",
        "1 by inline-allow",
        "allowed by [[allow]]: the shared demo cache",
        "found only under skip-paths",
        "on a line marked upsweep:allow: demo index",
        "--no-config puts them in the plan.",
    ] {
        assert!(
            run.stdout.contains(want),
            "missing {want:?}:\n{}",
            run.stdout
        );
    }
    let json = json_of(&rv.run(&s, &["--format", "json", "."]));
    let left = json["plan"]["left_out_by_config"].as_array().unwrap();
    let whys: Vec<&str> = left.iter().map(|l| l["why"].as_str().unwrap()).collect();
    assert_eq!(whys.len(), 3, "{whys:?}");
    assert!(json["plan"]["config_file"]
        .as_str()
        .unwrap()
        .ends_with(".upsweep.toml"));

    let all = rv.run(&s, &["--no-config", "."]);
    assert_eq!(all.code, 1, "{}\n{}", all.stdout, all.stderr);
    assert!(
        all.stdout.contains("Rotations, in this order (2)"),
        "{}",
        all.stdout
    );
    assert!(
        all.stdout
            .contains("Left out of this plan (1: 1 by inline-allow)"),
        "an upsweep:allow comment is not configuration: {}",
        all.stdout
    );
    assert!(posts(&s.emu).is_empty());
    assert_run_clean(&s.emu, "the plan", &run);
}

/// The emulator's log of requests that carried `key` (as the Basic password).
fn requests_with(emu: &Emulator, key: &str) -> usize {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{OPS}:{key}"));
    emu.requests()
        .iter()
        .filter(|r| {
            r.authorization
                .as_deref()
                .is_some_and(|a| a.contains(&basic))
        })
        .count()
}

#[test]
fn a_leaked_developer_api_key_tells_one_story_everywhere_until_it_is_deleted() {
    let mut w = World::new(304);
    let me = w.user(OPS);
    let configured = w.api_key(OPS, &me, false);
    let leaked = w.api_key(OPS, &me, false);
    w.keys[1].name = "ci-deploy".into();
    w.audit_entry(&me, "Create Database", "API_KEY - ci-deploy", "cache");
    let db = w.database(&me, "cache", "eu-west-1");
    let emu = Emulator::start(w);
    let token = emu.world().databases[db].rest_token.clone();
    let rv = Rv::new();
    rv.write(
        "deploy/k.env",
        format!(
            "UPSTASH_EMAIL={OPS}\nUPSTASH_API_KEY={leaked}\nUPSTASH_REDIS_REST_TOKEN={token}\n"
        ),
    );
    let scan = |args: &[&str]| -> Run {
        rv.cmd()
            .arg("scan")
            .args(args)
            .env("UPSTASH_EMAIL", OPS)
            .env("UPSTASH_API_KEY", &configured)
            .env("UPSWEEP_TEST_UPSTASH_ADDR", emu.addr.to_string())
            .output()
            .unwrap()
            .into()
    };

    // Without --live the found key is sent nowhere, and every command still says it needs a
    // person.
    let summary = scan(&["--account", "deploy"]);
    assert_eq!(summary.code, 1, "{}", summary.stderr);
    assert!(
        summary
            .stdout
            .contains("1 leaked Developer API key needs a person in the Upstash console"),
        "{}",
        summary.stdout
    );
    assert!(
        !summary.stdout.contains("not your account's"),
        "the key is not folded into a count: {}",
        summary.stdout
    );
    let plan = rv.run_as(&emu, &configured, &["--yes", "deploy"]);
    assert_eq!(plan.code, 1, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("[rotated] Redis database 'cache'"));
    assert!(
        plan.stdout.contains(
            "Result: 1 rotated, 1 Developer API key still to delete in the Upstash console."
        ),
        "{}",
        plan.stdout
    );
    assert_eq!(requests_with(&emu, &leaked), 0, "sent without --live");

    // With --live it is tried, once, with a read.
    let live = scan(&["--account", "--live", "deploy"]);
    assert!(
        live.stdout
            .contains("a key of ops@example.com, a configured account: it WORKS"),
        "{}",
        live.stdout
    );
    let report = scan(&[
        "--account",
        "--live",
        "--format",
        "json",
        "-o",
        "report.json",
        "deploy",
    ]);
    assert_eq!(report.code, 1, "{}", report.stderr);
    let from_report = rv.run_as(&emu, &configured, &["--report", "report.json"]);
    let plan_live = rv.run_as(&emu, &configured, &["--live", "deploy"]);
    let check = rv.run_as(&emu, &configured, &["--check-api-key", "deploy"]);
    for (what, r, status) in [
        ("revoke --report", &from_report, "STILL WORKS"),
        ("revoke --live", &plan_live, "STILL WORKS"),
        ("revoke --check-api-key", &check, "STILL WORKS"),
        ("revoke (no --live)", &plan, "not tried"),
    ] {
        assert_eq!(r.code, 1, "{what}: {}\n{}", r.stdout, r.stderr);
        for want in [
            "Developer API keys: need a person in the Upstash console (1): no API can delete one",
            status,
            "whose:",
            "can do:  everything the Developer API allows",
            "Steps, in the Upstash console:",
            "Account > Management API",
            "Create Database 'cache'  by API_KEY - ci-deploy",
        ] {
            assert!(
                r.stdout.contains(want),
                "{what}: missing {want:?}:\n{}",
                r.stdout
            );
        }
        assert_run_clean(&emu, what, r);
    }
    let check_json = json_of(&rv.run_as(
        &emu,
        &configured,
        &["--check-api-key", "--format", "json", "deploy"],
    ));
    assert_eq!(check_json["command"], "revoke --check-api-key");
    assert_eq!(check_json["exit_code"], 1);
    assert_eq!(check_json["api_keys"][0]["status"], "works");
    assert_eq!(check_json["api_keys"][0]["needs_person"], true);
    assert_eq!(check_json["console_steps"].as_array().unwrap().len(), 4);
    assert_no_secret(
        &emu,
        "--check-api-key --format json",
        &check_json.to_string(),
    );
    assert!(requests_with(&emu, &leaked) > 0);
    for r in emu.requests() {
        if r.authorization.as_deref().is_some_and(|a| {
            a.contains(&base64::engine::general_purpose::STANDARD.encode(format!("{OPS}:{leaked}")))
        }) {
            assert_eq!(
                (r.method.as_str(), r.host.as_str()),
                ("GET", "api.upstash.com")
            );
            assert_eq!(r.path, "/v2/teams");
        }
    }

    // Deleted in the console: the check confirms it, and revoke has nothing left.
    emu.world().keys.retain(|k| k.key != leaked);
    let dead = rv.run_as(&emu, &configured, &["--check-api-key", "deploy"]);
    assert_eq!(dead.code, 0, "{}\n{}", dead.stdout, dead.stderr);
    assert!(
        dead.stdout.contains("deleted: it gets 401 now"),
        "{}",
        dead.stdout
    );
    let done = rv.run_as(&emu, &configured, &["--live", "deploy"]);
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    let json = json_of(&rv.run_as(&emu, &configured, &["--live", "--format", "json", "deploy"]));
    assert_eq!(json["plan"]["api_keys"][0]["status"], "rejected");
    assert_eq!(json["plan"]["api_keys"][0]["needs_person"], false);
    for r in [&summary, &live, &dead, &done] {
        assert_no_secret(&emu, "stdout", &r.stdout);
    }
}

/// A leaked Developer API key already deleted (401 when tried) is told once, with nothing to
/// do, by the scan's summary and by the plan; it is in no "needs a person" section or count.
#[test]
fn a_deleted_developer_api_key_is_told_once_with_nothing_to_do() {
    let mut w = World::new(306);
    let me = w.user(OPS);
    let configured = w.api_key(OPS, &me, false);
    let leaked = w.api_key(OPS, &me, false);
    let emu = Emulator::start(w);
    emu.world().keys.retain(|k| k.key != leaked);
    let rv = Rv::new();
    rv.write(
        "old/k.env",
        format!(
            "UPSTASH_API_KEY={leaked}
"
        ),
    );
    let told = "1 leaked Developer API key no longer works (rejected with 401): nothing to do";
    let scan: Run = rv
        .cmd()
        .args(["scan", "--account", "--live", "old"])
        .env("UPSTASH_EMAIL", OPS)
        .env("UPSTASH_API_KEY", &configured)
        .env("UPSWEEP_TEST_UPSTASH_ADDR", emu.addr.to_string())
        .output()
        .unwrap()
        .into();
    let plan = rv.run_as(&emu, &configured, &["--live", "old"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    for (what, r) in [("scan --account --live", &scan), ("revoke --live", &plan)] {
        assert_eq!(
            r.stdout.matches(told).count(),
            1,
            "{what}: told once:\n{}",
            r.stdout
        );
        assert!(!r.stdout.contains("need a person"), "{what}: {}", r.stdout);
        assert!(!r.stdout.contains("needs a person"), "{what}: {}", r.stdout);
        assert_no_secret(&emu, what, &r.stdout);
    }
    assert!(
        plan.stdout.starts_with(
            "upsweep revoke: 1 leaked credential in old (1 Developer API key no longer works \
             (rejected with 401))"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("deleted: it gets 401 now"),
        "{}",
        plan.stdout
    );
}

#[test]
fn a_signing_key_rotated_away_is_owned_rotated_for_the_scan_too() {
    let s = shop(305);
    let rv = Rv::new();
    let key = s.emu.world().qstash[s.us].current_signing_key.clone();
    rv.write(
        "leaks/us.env",
        format!("QSTASH_CURRENT_SIGNING_KEY={key}\n"),
    );
    let run = rv.run(&s, &["--yes", "leaks"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let scan = |cache: &std::path::Path| -> Value {
        let r: Run = rv
            .cmd()
            .args(["scan", "--account", "--format", "json", "leaks"])
            .env("UPSTASH_EMAIL", OPS)
            .env("UPSTASH_API_KEY", &s.key)
            .env("UPSWEEP_TEST_UPSTASH_ADDR", s.emu.addr.to_string())
            .env("UPSWEEP_CACHE_DIR", cache)
            .output()
            .unwrap()
            .into();
        r.json()
    };
    let with = scan(rv.cache.path());
    let account = &with["findings"][0]["account"];
    assert_eq!(account["verdict"], "owned-rotated", "{account}");
    assert!(
        account["reason"]
            .as_str()
            .unwrap()
            .contains("until upsweep revoke rotated it away"),
        "{account}"
    );
    // Without the journal (another machine) the inventory alone cannot tell.
    let elsewhere = tempfile::tempdir().unwrap();
    let without = scan(elsewhere.path());
    assert_eq!(without["findings"][0]["account"]["verdict"], "not-owned");
}
