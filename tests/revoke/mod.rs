//! `upsweep revoke` against the emulator, through the built binary (stdin is not a terminal),
//! each run with a cache directory of its own (`UPSWEEP_CACHE_DIR`: the default journal and
//! the account locks):
//!
//! - `flows`: every product rotated and proven by a fresh inventory, dry runs, a read-only key,
//!   429s, a failure in the middle, `--only`, reports, Git history, the terminal's question;
//! - `faults`: the fault matrix (kill -9 after the Nth rotation reached Upstash, Ctrl-C,
//!   SIGTERM, a second Ctrl-C, a full disk through `RLIMIT_FSIZE`, 503 and resets after
//!   Upstash acted, two runs at once, the confirming read failing): after at most one re-run
//!   every rotation that happened has its values on disk and its journal line, and nothing
//!   was rotated more often than planned;
//! - `story`: the output a person or a script reads: `--format json`, leaked Developer API
//!   keys told one way everywhere, what the configuration left out, `--only` per action,
//!   what goes over the network.
//!
//! Every test checks that no credential, old or new, is in any output, journal or error.

mod faults;
mod flows;
mod story;

use crate::common::{Run, TestEnv};
use crate::emulator::{Emulator, Shop, OPS};
use serde_json::Value;
use std::ops::Deref;
use std::path::PathBuf;
use std::process::Command;
use upsweep::finding::sha256_hex;
use upsweep::upstash::ownership::OwnershipIndex;
use upsweep::upstash::Session;

/// A directory to plant leaks in, and a cache directory of its own.
pub struct Rv {
    pub env: TestEnv,
    pub cache: tempfile::TempDir,
}

impl Deref for Rv {
    type Target = TestEnv;
    fn deref(&self) -> &TestEnv {
        &self.env
    }
}

impl Rv {
    pub fn new() -> Rv {
        Rv {
            env: TestEnv::new(),
            cache: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// `upsweep revoke ARGS` as the account `key`, redirected to `emu`, not yet run.
    pub fn command(&self, emu: &Emulator, key: &str, args: &[&str]) -> Command {
        let mut c = self.env.cmd();
        c.arg("revoke")
            .args(args)
            .env("UPSTASH_EMAIL", OPS)
            .env("UPSTASH_API_KEY", key)
            .env("UPSWEEP_TEST_UPSTASH_ADDR", emu.addr.to_string())
            .env("UPSWEEP_CACHE_DIR", self.cache.path())
            .env_remove("UPSTASH_API_URL");
        c
    }

    pub fn run_as(&self, emu: &Emulator, key: &str, args: &[&str]) -> Run {
        self.command(emu, key, args)
            .output()
            .expect("run upsweep")
            .into()
    }

    pub fn run(&self, s: &Shop, args: &[&str]) -> Run {
        self.run_as(&s.emu, &s.key, args)
    }

    /// The default journal (in the cache directory).
    pub fn journal_path(&self) -> PathBuf {
        self.cache.path().join("revoke").join("journal.jsonl")
    }

    /// The text of a file in the test directory ("" when missing).
    pub fn text(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_default()
    }
}

/// Every credential value the world holds or held: current, retired, and API keys.
pub fn every_value(emu: &Emulator) -> Vec<String> {
    let w = emu.world();
    let mut v: Vec<String> = Vec::new();
    for d in &w.databases {
        v.extend([
            d.password.clone(),
            d.rest_token.clone(),
            d.read_only_rest_token.clone(),
        ]);
        v.extend(d.retired.iter().cloned());
    }
    for ix in w.vector.iter().chain(&w.search) {
        v.extend([ix.token.clone(), ix.read_only_token.clone()]);
        v.extend(ix.retired.iter().cloned());
    }
    for q in &w.qstash {
        v.extend([
            q.token.clone(),
            q.read_only_token.clone(),
            q.current_signing_key.clone(),
            q.next_signing_key.clone(),
        ]);
        v.extend(q.retired.iter().cloned());
    }
    v.extend(w.keys.iter().map(|k| k.key.clone()));
    v
}

pub fn assert_no_secret(emu: &Emulator, what: &str, text: &str) {
    for s in every_value(emu) {
        assert!(
            !text.contains(&s),
            "{what} contains a credential ({}...)",
            &s[..6]
        );
    }
}

/// No credential in a run's output.
pub fn assert_run_clean(emu: &Emulator, what: &str, run: &Run) {
    assert_no_secret(emu, &format!("{what}: stdout"), &run.stdout);
    assert_no_secret(emu, &format!("{what}: stderr"), &run.stderr);
}

/// No credential in any file of the cache directory or in the journals given.
pub fn assert_state_clean(emu: &Emulator, rv: &Rv, extra: &[&str]) {
    for entry in walk(rv.cache.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap_or_default()).into_owned();
        assert_no_secret(emu, &entry.display().to_string(), &text);
    }
    for rel in extra {
        assert_no_secret(emu, rel, &rv.text(rel));
    }
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn posts(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| format!("{} {}", r.host, r.path))
        .collect()
}

/// The journal's lines of one event (`run`, `intent`, `outcome`).
pub fn journal_lines(path: &std::path::Path, event: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["event"] == event)
        .collect()
}

/// What the shop leaks in `leaks/`: the cache's read-write and read-only tokens (one database,
/// two credentials), the legacy database's password, the Vector token, the Search read-only
/// token, the EU QStash token and its *next* signing key, and the US *current* signing key.
/// Seven actions: two Redis resets, Vector, Search, the EU token, EU signing keys (twice), US
/// signing keys (once).
pub struct Leaked {
    pub secrets: Vec<String>,
}

pub fn plant(env: &TestEnv, s: &Shop) -> Leaked {
    let w = s.emu.world();
    let (db, legacy, vx, sx, eu, us) = (
        &w.databases[s.cache],
        &w.databases[s.legacy],
        &w.vector[s.vector],
        &w.search[s.search],
        &w.qstash[s.eu],
        &w.qstash[s.us],
    );
    env.write(
        "leaks/redis.env",
        format!(
            "UPSTASH_REDIS_REST_URL=https://{}\nUPSTASH_REDIS_REST_TOKEN={}\nUPSTASH_REDIS_REST_READONLY_TOKEN={}\n",
            db.host, db.rest_token, db.read_only_rest_token
        ),
    );
    env.write(
        "leaks/old.env",
        format!(
            "REDIS_URL=rediss://default:{}@{}:6379\n",
            legacy.password, legacy.host
        ),
    );
    env.write(
        "leaks/vector.env",
        format!(
            "UPSTASH_VECTOR_REST_URL=https://{}\nUPSTASH_VECTOR_REST_TOKEN={}\n",
            vx.host("vector"),
            vx.token
        ),
    );
    env.write(
        "leaks/search.env",
        format!(
            "UPSTASH_SEARCH_REST_URL=https://{}\nUPSTASH_SEARCH_READONLY_TOKEN={}\n",
            sx.host("search"),
            sx.read_only_token
        ),
    );
    env.write(
        "leaks/qstash.env",
        format!(
            "QSTASH_TOKEN={}\nQSTASH_NEXT_SIGNING_KEY={}\n",
            eu.token, eu.next_signing_key
        ),
    );
    env.write(
        "leaks/us.env",
        format!(
            "US_EAST_1_QSTASH_CURRENT_SIGNING_KEY={}\n",
            us.current_signing_key
        ),
    );
    Leaked {
        secrets: vec![
            db.rest_token.clone(),
            db.read_only_rest_token.clone(),
            legacy.password.clone(),
            vx.token.clone(),
            sx.read_only_token.clone(),
            eu.token.clone(),
            eu.next_signing_key.clone(),
            us.current_signing_key.clone(),
        ],
    }
}

/// A fresh inventory of the account: none of `secrets` may be a current credential (their
/// hashes are matched as the account check matches them), and the emulator agrees.
pub fn assert_all_dead(s: &Shop, secrets: &[&str]) {
    let session = Session::new(&s.cfg()).unwrap();
    let inv = session.inventory(false);
    assert!(inv.problems().is_empty(), "{:#?}", inv.problems());
    let index = OwnershipIndex::new(&inv);
    let w = s.emu.world();
    for x in secrets {
        assert!(
            index.lookup(&sha256_hex(x)).is_none(),
            "a leaked credential is still current: {:#?}",
            index.lookup(&sha256_hex(x))
        );
        let current = w
            .databases
            .iter()
            .flat_map(|d| [&d.password, &d.rest_token, &d.read_only_rest_token])
            .chain(
                w.vector
                    .iter()
                    .chain(&w.search)
                    .flat_map(|i| [&i.token, &i.read_only_token]),
            )
            .chain(w.qstash.iter().flat_map(|q| {
                [
                    &q.token,
                    &q.read_only_token,
                    &q.current_signing_key,
                    &q.next_signing_key,
                ]
            }))
            .any(|c| c == *x);
        assert!(!current, "a leaked value is still current in the emulator");
    }
}

/// Every current credential of the shop's rotated resources (the seven actions of [`plant`])
/// is in the new-credentials file `rel`: what a person redeploys with.
pub fn assert_current_values_saved(rv: &Rv, s: &Shop, rel: &str) {
    let text = rv.text(rel);
    let w = s.emu.world();
    let mut want: Vec<(&str, String)> = vec![
        (
            "prod-cache rest token",
            w.databases[s.cache].rest_token.clone(),
        ),
        (
            "prod-cache read-only token",
            w.databases[s.cache].read_only_rest_token.clone(),
        ),
        (
            "old-sessions password",
            w.databases[s.legacy].password.clone(),
        ),
        ("vector token", w.vector[s.vector].token.clone()),
        (
            "search read-only token",
            w.search[s.search].read_only_token.clone(),
        ),
        ("EU QStash token", w.qstash[s.eu].token.clone()),
        (
            "EU current signing key",
            w.qstash[s.eu].current_signing_key.clone(),
        ),
        (
            "EU next signing key",
            w.qstash[s.eu].next_signing_key.clone(),
        ),
        (
            "US current signing key",
            w.qstash[s.us].current_signing_key.clone(),
        ),
        (
            "US next signing key",
            w.qstash[s.us].next_signing_key.clone(),
        ),
    ];
    want.retain(|(_, v)| !v.is_empty());
    for (what, v) in want {
        assert!(
            text.contains(&format!("={v}\n")) || text.contains(&format!(":{v}@")),
            "the {what} now in force is not in {rel}:\n{}",
            text.lines()
                .map(|l| l.split('=').next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// How many rotation requests reached each resource of the shop, by the paths of `rotations`
/// (`Emulator::rotations`): (cache, legacy, vector, search, EU token, EU keys, US keys).
pub fn rotations_per_resource(s: &Shop, rotations: &[String]) -> [usize; 7] {
    let w = s.emu.world();
    let count = |frag: &str| rotations.iter().filter(|p| p.contains(frag)).count();
    [
        count(&format!(
            "/v2/redis/reset-password/{}",
            w.databases[s.cache].id
        )),
        count(&format!(
            "/v2/redis/reset-password/{}",
            w.databases[s.legacy].id
        )),
        count(&format!(
            "/v2/vector/index/{}/reset-password",
            w.vector[s.vector].id
        )),
        count(&format!(
            "/v2/search/{}/reset-password",
            w.search[s.search].id
        )),
        count(&format!("/v2/qstash/rotate-token/{}", w.qstash[s.eu].id)),
        count("qstash-eu-central-1.upstash.io /v2/keys/rotate"),
        count("qstash-us-east-1.upstash.io /v2/keys/rotate"),
    ]
}

/// The plan of [`plant`]: one rotation each, two of the EU signing keys.
pub const PLANNED: [usize; 7] = [1, 1, 1, 1, 1, 2, 1];
