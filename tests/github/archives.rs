//! An organisation audit opens archive blobs as `upsweep git` does: a secret inside a tgz
//! committed in an audited repository is reported at its chain (`dist/app.tgz!package/.env`),
//! kept so in the cache (a re-run that scans nothing says the same), read back by `upsweep
//! merge`, recovered from the mirror with `--show-secrets`, and not found with `--no-archives`
//! (the cache is not used across the change).

use super::acme;
use super::audit::{audit, comparable, finding, repo_entry};
use super::emulator::Emulator;
use crate::archive::tgz;
use crate::common::{Fake, Run};
use serde_json::{json, Value};
use std::process::Command;

/// acme/shop with `dist/app.tgz` holding `package/.env` (the token on line 3, column 26).
fn shop() -> (Emulator, String) {
    let (mut w, dir) = acme();
    w.repo("acme", "shop");
    let emu = Emulator::start(w, dir);
    let mut fake = Fake::new(11);
    let n = fake.database_number();
    let host = fake.redis_host(n);
    let token = fake.redis_token(n, false, false);
    let env = format!(
        "# shop\nUPSTASH_REDIS_REST_URL=https://{host}\nUPSTASH_REDIS_REST_TOKEN={token}\n"
    );
    let package = tgz(&[
        (
            "package/package.json",
            br#"{"name": "shop", "version": "1.0.0"}"#,
        ),
        ("package/.env", env.as_bytes()),
    ]);
    emu.commit(
        "acme/shop",
        "refs/heads/main",
        &[("README.md", "# shop\n")],
        "first",
    );
    emu.commit_bytes(
        "acme/shop",
        "refs/heads/main",
        &[("dist/app.tgz", package.as_slice())],
        "the package",
    );
    emu.clear_logs();
    (emu, token)
}

/// The one location of `token`'s finding in `r`.
fn place<'a>(r: &'a Value, token: &str) -> &'a Value {
    let f = finding(r, token).unwrap_or_else(|| panic!("the token inside the archive: {r}"));
    let locations = f["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 1, "{f}");
    &locations[0]
}

fn assert_inside(l: &Value) {
    assert_eq!(l["repository"], "acme/shop", "{l}");
    assert_eq!(l["path"], "dist/app.tgz", "{l}");
    assert_eq!(
        l["archive_path"],
        json!(["dist/app.tgz", "package/.env"]),
        "{l}"
    );
    assert_eq!(
        (l["line"].as_u64(), l["column"].as_u64()),
        (Some(3), Some(26)),
        "{l}"
    );
    // The link is to the archive file at its commit: the line is the entry's, not the file's.
    let url = l["url"].as_str().expect("url");
    assert!(url.ends_with("/dist/app.tgz"), "{url}");
    assert!(url.contains("/acme/shop/blob/"), "{url}");
}

#[test]
fn a_secret_in_a_committed_tgz_is_found_at_its_chain_cached_merged_and_recovered() {
    let (emu, token) = shop();
    let cache = tempfile::tempdir().unwrap();
    let out = cache.path().join("audit.json");
    let run = audit(&emu, cache.path(), &["-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let first: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_inside(place(&first, &token));
    assert_eq!(
        first["stats"]["archives"]["opened"], 1,
        "{}",
        first["stats"]
    );
    assert_eq!(
        first["stats"]["archives"]["entries_scanned"], 2,
        "{}",
        first["stats"]
    );
    assert!(
        first["findings"][0].get("secret").is_none(),
        "no secret unless asked"
    );

    // A re-run scans nothing and says the same: the cache kept the chain.
    let again = audit(&emu, cache.path(), &[]).json();
    assert_eq!(repo_entry(&again, "acme/shop")["status"], "unchanged");
    assert_eq!(comparable(&again), comparable(&first));

    // `upsweep merge` reads the chain back and writes it again, in JSON and for people.
    let merged: Run = Command::new(env!("CARGO_BIN_EXE_upsweep"))
        .arg("merge")
        .arg(&out)
        .args(["--format", "json"])
        .output()
        .unwrap()
        .into();
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    assert_inside(place(&merged.json(), &token));
    let human: Run = Command::new(env!("CARGO_BIN_EXE_upsweep"))
        .env("NO_COLOR", "1")
        .arg("merge")
        .arg(&out)
        .args(["--format", "human"])
        .output()
        .unwrap()
        .into();
    assert!(
        human.stdout.contains("dist/app.tgz!package/.env:3:26"),
        "{}",
        human.stdout
    );

    // The secret itself comes back from the mirror, out of the archive, when asked.
    let shown = audit(&emu, cache.path(), &["--show-secrets"]).json();
    assert_eq!(
        finding(&shown, &token).unwrap()["secret"],
        token.as_str(),
        "{shown}"
    );
}

#[test]
fn no_archives_leaves_the_tgz_closed_and_the_cache_is_not_reused_across_the_change() {
    let (emu, token) = shop();
    let cache = tempfile::tempdir().unwrap();
    let opened = audit(&emu, cache.path(), &[]).json();
    assert!(finding(&opened, &token).is_some(), "{opened}");
    let closed = audit(&emu, cache.path(), &["--no-archives"]).json();
    let entry = repo_entry(&closed, "acme/shop");
    assert_eq!(
        entry["status"], "scanned",
        "the archive settings changed: {entry}"
    );
    assert!(finding(&closed, &token).is_none(), "{closed}");
    assert_eq!(
        closed["stats"]["archives"]["opened"], 0,
        "{}",
        closed["stats"]
    );
    let deeper = audit(&emu, cache.path(), &["--archive-depth", "2"]).json();
    assert_inside(place(&deeper, &token));
}
