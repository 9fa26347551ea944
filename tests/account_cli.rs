//! `--account`, `--live` and `--fail-on` from the command line, against the emulator: what the
//! user sees first, the JSON verdicts, and the exit codes.

use crate::common::{commit, findings, repo, Run, TestEnv};
use crate::emulator::fixtures::{shop, Shop, OPS};
use crate::emulator::{Fault, FaultKind};

/// Run upsweep with the shop's account in the environment, redirected to the emulator.
fn run(env: &TestEnv, shop: &Shop, args: &[&str]) -> Run {
    env.cmd()
        .args(args)
        .env("UPSTASH_EMAIL", OPS)
        .env("UPSTASH_API_KEY", &shop.key)
        .env("UPSWEEP_TEST_UPSTASH_ADDR", shop.emu.addr.to_string())
        .env_remove("UPSTASH_API_URL")
        .output()
        .expect("run upsweep")
        .into()
}

fn plant(env: &TestEnv, shop: &Shop) -> String {
    let token = shop.emu.world().databases[shop.cache].rest_token.clone();
    env.write(
        "web/.env.local",
        format!("A=1\nB=2\nUPSTASH_REDIS_REST_TOKEN={token}\n"),
    );
    token
}

#[test]
fn an_owned_current_credential_is_named_first_and_in_json() {
    let shop = shop(41);
    let env = TestEnv::new();
    let token = plant(&env, &shop);
    let r = run(&env, &shop, &["scan", "--account"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let first = r.stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first, "1 leaked credential belongs to your account and is current:",
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "Redis database 'prod-cache' (eu-west-1) read-write token, found in web/.env.local:3"
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(&token) && !r.stderr.contains(&token));
    let r = run(&env, &shop, &["scan", "--account", "--format", "json"]);
    let v = r.json();
    let f = &findings(&v)[0];
    assert_eq!(f["account"]["verdict"], "owned");
    assert_eq!(f["account"]["resource"]["name"], "prod-cache");
    assert_eq!(f["account"]["resource"]["product"], "redis");
    assert!(f.get("live").is_none(), "no live check unless asked");
    assert!(!r.stdout.contains(&token));
    // The summary says what --live found, and the run's last line names no unread input.
    let r = run(&env, &shop, &["scan", "--account", "--live"]);
    assert_eq!(
        r.stdout.lines().next().unwrap_or_default(),
        "1 leaked credential belongs to your account and is current; it still works:",
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("could not be read"), "{}", r.stdout);
}

#[test]
fn fail_on_owned_passes_an_audit_whose_leaks_are_all_rotated() {
    let shop = shop(42);
    let env = TestEnv::new();
    plant(&env, &shop);
    shop.emu.world().reset_database(shop.cache);
    let r = run(&env, &shop, &["scan", "--account", "--format", "json"]);
    assert_eq!(r.code, 1, "--fail-on any is the default: still a finding");
    assert_eq!(
        findings(&r.json())[0]["account"]["verdict"],
        "owned-rotated"
    );
    let r = run(&env, &shop, &["scan", "--account", "--fail-on", "owned"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("already been replaced"),
        "still listed: {}",
        r.stdout
    );
    // A current one fails the same gate.
    let fresh = shop.emu.world().databases[shop.cache].rest_token.clone();
    env.write("new.env", format!("UPSTASH_REDIS_REST_TOKEN={fresh}\n"));
    assert_eq!(
        run(&env, &shop, &["scan", "--account", "--fail-on", "owned"]).code,
        1
    );
}

#[test]
fn fail_on_live_needs_live_and_a_dead_credential_passes() {
    let shop = shop(43);
    let env = TestEnv::new();
    plant(&env, &shop);
    let r = run(&env, &shop, &["scan", "--account", "--fail-on", "live"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--fail-on live needs --live"),
        "{}",
        r.stderr
    );
    shop.emu.world().reset_database(shop.cache);
    let r = run(
        &env,
        &shop,
        &["scan", "--live", "--fail-on", "live", "--format", "json"],
    );
    assert_eq!(
        r.code, 0,
        "a rotated credential no longer works: {}",
        r.stderr
    );
}

#[test]
fn an_incomplete_inventory_is_an_error_never_not_owned() {
    let shop = shop(44);
    let env = TestEnv::new();
    plant(&env, &shop);
    shop.emu.fault(Fault::new(
        "/v2/redis",
        FaultKind::Status(500, "boom".into()),
    ));
    let r = run(&env, &shop, &["scan", "--account", "--format", "json"]);
    assert_eq!(r.code, 2, "the account check failed: {}", r.stderr);
    let v = r.json();
    assert_eq!(findings(&v)[0]["account"]["verdict"], "unknown");
    assert!(v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["path"].as_str().unwrap().starts_with("account check")));
    assert!(r.stderr.contains("account check"), "{}", r.stderr);
}

#[test]
fn credentials_come_only_from_the_environment_or_a_file() {
    let env = TestEnv::new();
    env.write("a.txt", "nothing\n");
    let r: Run = env
        .cmd()
        .args(["scan", "--account"])
        .env_remove("UPSTASH_EMAIL")
        .env_remove("UPSTASH_API_KEY")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("UPSTASH_EMAIL") && r.stderr.contains("--account-file"),
        "{}",
        r.stderr
    );
    // There is no flag that takes a key.
    let r = env.run(&["scan", "--api-key", "x"]);
    assert_eq!(r.code, 2);
}

#[test]
fn git_history_with_the_account_file() {
    let shop = shop(45);
    let env = repo();
    let token = plant(&env, &shop);
    commit(&env, "leak");
    let file = env.write("../accounts.txt", format!("# ops\n{OPS} {}\n", shop.key));
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let r: Run = env
        .cmd()
        .args([
            "git",
            "--format",
            "json",
            "--account-file",
            file.to_str().unwrap(),
        ])
        .env_remove("UPSTASH_EMAIL")
        .env_remove("UPSTASH_API_KEY")
        .env("UPSWEEP_TEST_UPSTASH_ADDR", shop.emu.addr.to_string())
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(findings(&v)[0]["account"]["verdict"], "owned");
    assert!(!r.stdout.contains(&token));
}
