//! The write-ahead journal of `upsweep revoke`: the `--audit-log` file, or `journal.jsonl` in
//! the cache directory ([`super::state`]) when none is given. JSON lines, never a credential
//! (resources are named, secrets are SHA-256 hashes).
//!
//! ```text
//! {"event":"run",     "run":"…","time":"…","accounts":[…],"new_credentials":"new.env"}   pre-flight
//! {"event":"intent",  "run":"…","id":"redis:<id>","action":"redis-reset-password",
//!  "resource":{…},"secret_sha256":[…],"leaked":[…],"step":1,"steps":1,"before":{role: hash}}
//! {"event":"outcome", "run":"…","id":"redis:<id>",…,"rotations":1,"outcome":"rotated",
//!  "error":null,"new_sha256":[…],"new_values":"saved"}
//! ```
//!
//! The rules that make it trustworthy:
//! - Each line is one `write(2)` on a file opened with `O_APPEND`: concurrent writers never
//!   interleave inside a line, and a write that cannot be made whole is an error. A line cut
//!   short by a full disk is skipped when read, and the next run starts on a fresh line.
//! - The `intent` line is fsync'd *before* the request that changes Upstash is sent. A run
//!   killed at any point leaves an intent with no outcome, which the next run settles by
//!   reading the resource again ([`super::resume`]).
//! - If a line cannot be written the run makes no further change: before the first rotation it
//!   is refused (pre-flight), mid-run it stops before the next action.

use super::newcreds::Values;
use super::plan::{Action, ActionKind, Leaked, Plan};
use super::state::now_rfc3339;
use crate::finding::Kind;
use crate::upstash::Ownership;
use crate::upstash::{Credential, Resource};
use anyhow::{Context as _, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

/// `new_values` of an outcome whose values a file was asked for and did not get.
pub(crate) const NOT_SAVED: &str = "not-saved";

/// How an action ended, as the journal records it.
pub(crate) struct Outcome<'a> {
    pub(crate) rotations: u8,
    /// `rotated`, `already-rotated`, `failed`, `unconfirmed`, `unknown`, `not-made`, `refused`.
    pub(crate) status: &'a str,
    pub(crate) error: Option<&'a str>,
    /// Hashes of the values after it.
    pub(crate) new_sha256: Vec<String>,
    /// `saved`, `not-saved` ([`NOT_SAVED`]) or `none`.
    pub(crate) new_values: &'a str,
}

/// The journal, open for appending.
pub(crate) struct Journal {
    file: File,
    path: PathBuf,
    /// This run's id, on every line it writes.
    run: String,
    created: bool,
}

/// What the pre-flight header says about the run.
pub(crate) struct RunHeader<'a> {
    pub(crate) accounts: Vec<String>,
    pub(crate) actions: usize,
    pub(crate) new_credentials: Option<&'a Path>,
}

impl Journal {
    /// Pre-flight: open (or create, mode 0600) `path` for appending and write the run's header
    /// line, fsync'd. Refused, with nothing left behind, when it cannot be written.
    pub(crate) fn open(path: &Path, header: &RunHeader<'_>) -> Result<Journal> {
        let shown = path.display();
        let existed = path.exists();
        let torn = existed && !ends_with_newline(path);
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts
            .open(path)
            .with_context(|| format!("the journal {shown}: cannot open for appending"))?;
        let run = format!(
            "{}-{}-{:04x}",
            now_rfc3339().replace([':', '-'], ""),
            std::process::id(),
            fastrand::u16(..)
        );
        let mut j = Journal {
            file,
            path: path.to_path_buf(),
            run,
            created: !existed,
        };
        let line = json!({
            "event": "run",
            "time": now_rfc3339(),
            "run": j.run,
            "upsweep": env!("CARGO_PKG_VERSION"),
            "pid": std::process::id(),
            "accounts": header.accounts,
            "actions": header.actions,
            "new_credentials": header.new_credentials.map(|p| p.display().to_string()),
        });
        let mut text = line.to_string();
        if torn {
            text.insert(0, '\n');
        }
        if let Err(e) = j.write_line(text) {
            j.discard();
            return Err(e).with_context(|| {
                format!(
                    "the journal {shown}: cannot write (is the disk full or read-only?); nothing \
                     was rotated"
                )
            });
        }
        Ok(j)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Before a write to Upstash: what is about to be done, and the resource's credentials
    /// (hashed) as they are now, so a later run can tell whether it happened.
    pub(crate) fn intent(
        &mut self,
        a: &Action,
        step: u8,
        steps: u8,
        before: &Values,
    ) -> Result<()> {
        let mut v = self.base("intent", a);
        v["step"] = json!(step);
        v["steps"] = json!(steps);
        v["before"] = hashes_json(before);
        self.append(v)
    }

    /// After an action (or a settled one): how it ended.
    pub(crate) fn outcome(&mut self, a: &Action, o: &Outcome<'_>, resumed: bool) -> Result<()> {
        let mut v = self.base("outcome", a);
        v["rotations"] = json!(o.rotations);
        v["outcome"] = json!(o.status);
        v["error"] = json!(o.error);
        v["new_sha256"] = json!(o.new_sha256);
        v["new_values"] = json!(o.new_values);
        if resumed {
            v["resumed"] = json!(true);
        }
        self.append(v)
    }

    fn base(&self, event: &str, a: &Action) -> Value {
        json!({
            "event": event,
            "time": now_rfc3339(),
            "run": self.run,
            "id": a.key(),
            "action": a.kind.name(),
            "resource": a.resource,
            "secret_sha256": a.leaked.iter().map(|l| l.sha256.as_str()).collect::<Vec<_>>(),
            "leaked": a.leaked.iter().map(|l| json!({
                "sha256": l.sha256,
                "also": l.also,
                "kind": l.kind.as_str(),
                "credential": l.credential,
            })).collect::<Vec<_>>(),
        })
    }

    fn append(&mut self, v: Value) -> Result<()> {
        self.write_line(v.to_string())
            .with_context(|| format!("the journal {}: cannot write", self.path.display()))
    }

    /// One line, in one `write`, then fsync.
    fn write_line(&mut self, mut text: String) -> std::io::Result<()> {
        text.push('\n');
        crate::util::io::write_once_synced(&mut self.file, text.as_bytes())
    }

    /// A run refused before any rotation leaves no journal it created behind.
    pub(crate) fn discard(self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn ends_with_newline(path: &Path) -> bool {
    let Ok(mut f) = File::open(path) else {
        return true;
    };
    let mut last = [0u8; 1];
    match f.seek(SeekFrom::End(-1)).and_then(|_| f.read(&mut last)) {
        Ok(1) => last[0] == b'\n',
        _ => true,
    }
}

fn hashes_json(v: &Values) -> Value {
    let mut m = serde_json::Map::new();
    for (role, h) in v.hashes() {
        m.insert(role_name(role).to_string(), json!(h));
    }
    Value::Object(m)
}

fn role_name(c: Credential) -> &'static str {
    match c {
        Credential::ReadWriteToken => "read-write-token",
        Credential::ReadOnlyToken => "read-only-token",
        Credential::Password => "password",
        Credential::CurrentSigningKey => "current-signing-key",
        Credential::NextSigningKey => "next-signing-key",
        Credential::ApiKey => "api-key",
    }
}

/// One line as read back (unknown fields ignored; older audit-log lines have no `event`).
#[derive(Debug, Clone, Deserialize)]
struct Line {
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    run: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    resource: Option<Resource>,
    #[serde(default)]
    secret_sha256: Vec<String>,
    #[serde(default)]
    leaked: Vec<LeakedLine>,
    #[serde(default)]
    step: Option<u8>,
    #[serde(default)]
    steps: Option<u8>,
    #[serde(default)]
    before: BTreeMap<String, Option<String>>,
    #[serde(default)]
    rotations: Option<u8>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    new_values: Option<String>,
    #[serde(default)]
    new_credentials: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct LeakedLine {
    sha256: String,
    #[serde(default)]
    also: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    credential: Option<Credential>,
}

/// What the journal holds, read once per run (a missing file is an empty history).
#[derive(Debug, Clone, Default)]
pub(crate) struct History {
    lines: Vec<Line>,
    /// Lines that are not JSON (cut short by a full disk or a crash).
    pub(crate) unreadable: usize,
    pub(crate) path: Option<PathBuf>,
}

/// Why an action of an earlier run needs this run's attention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PendingWhy {
    /// Its intent has no outcome (the run was killed), or its outcome says the write may or
    /// may not have been made: read the resource to learn which.
    Unsettled,
    /// It rotated, but its new values were not saved to the `--new-credentials` file it had.
    Unsaved,
}

/// An action of an earlier run to settle.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) why: PendingWhy,
    pub(crate) action: Action,
    /// The resource's credential hashes before the last write that was begun.
    pub(crate) before: Vec<(Credential, Option<String>)>,
    /// Which write of how many it was (signing keys: a leaked next key needs two).
    pub(crate) step: u8,
    pub(crate) steps: u8,
    pub(crate) run: String,
    pub(crate) time: String,
    /// The earlier run saved new values to a file.
    pub(crate) had_file: bool,
}

impl History {
    /// Read the journal at `path`.
    pub(crate) fn read(path: &Path) -> Result<History> {
        let text = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(History {
                    path: Some(path.to_path_buf()),
                    ..History::default()
                })
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("the journal {}: cannot read", path.display()))
            }
        };
        let mut h = History {
            path: Some(path.to_path_buf()),
            ..History::default()
        };
        for raw in text.split(|b| *b == b'\n') {
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Line>(raw) {
                Ok(l) => h.lines.push(l),
                Err(_) => h.unreadable += 1,
            }
        }
        Ok(h)
    }

    /// Actions of earlier runs that are not settled, for the accounts given (by key
    /// fingerprint): the last line of each action that is an intent, or an outcome saying
    /// `unknown`; and rotations whose values a file was asked for but did not get.
    pub(crate) fn pending(&self, account_keys: &[String]) -> Vec<Pending> {
        let files: BTreeMap<&str, bool> = self
            .lines
            .iter()
            .filter(|l| l.event.as_deref() == Some("run"))
            .filter_map(|l| Some((l.run.as_deref()?, l.new_credentials.is_some())))
            .collect();
        // The last line of each action (by key), and its last intent.
        let mut last: BTreeMap<&str, (&Line, Option<&Line>)> = BTreeMap::new();
        for l in &self.lines {
            let (Some(id), Some(ev)) = (l.id.as_deref(), l.event.as_deref()) else {
                continue;
            };
            let entry = last.entry(id).or_insert((l, None));
            entry.0 = l;
            if ev == "intent" {
                entry.1 = Some(l);
            }
        }
        let mut out = Vec::new();
        for (l, intent) in last.into_values() {
            let why = match (l.event.as_deref(), l.outcome.as_deref()) {
                (Some("intent"), _) | (Some("outcome"), Some("unknown")) => PendingWhy::Unsettled,
                (Some("outcome"), _)
                    if l.new_values.as_deref() == Some(NOT_SAVED)
                        && l.rotations.unwrap_or(0) > 0 =>
                {
                    PendingWhy::Unsaved
                }
                _ => continue,
            };
            let Some(action) = action_of(l) else {
                continue;
            };
            if !account_keys.contains(&action.resource.account_key) {
                continue;
            }
            let base = intent.unwrap_or(l);
            let run = l.run.clone().unwrap_or_default();
            out.push(Pending {
                why,
                before: base
                    .before
                    .iter()
                    .filter_map(|(k, v)| Some((role_of(k)?, v.clone())))
                    .collect(),
                step: base.step.unwrap_or(1),
                steps: base.steps.unwrap_or(1),
                had_file: files.get(run.as_str()).copied().unwrap_or(false),
                time: l.time.clone().unwrap_or_default(),
                run,
                action,
            });
        }
        out
    }

    /// How many signing-key rotations the journal records on `resource_id` for any of
    /// `hashes` (every run's, made or found made): the receivers' warning counts them all.
    pub(crate) fn signing_rotations(&self, resource_id: &str, hashes: &[String]) -> u8 {
        let n: u32 = self
            .lines
            .iter()
            .filter(|l| {
                l.event.as_deref().unwrap_or("outcome") == "outcome"
                    && l.action.as_deref() == Some(ActionKind::RotateSigningKeys.name())
                    && l.resource.as_ref().is_some_and(|r| r.id == resource_id)
                    && l.secret_sha256.iter().any(|h| hashes.contains(h))
            })
            .map(|l| u32::from(l.rotations.unwrap_or(0)))
            .sum();
        n.min(u32::from(u8::MAX)) as u8
    }

    /// What only the journal knows, added to a plan: a leaked signing key that is no current
    /// or next key of any region may be one upsweep rotated away (then it was the account's:
    /// `owned-rotated`, not `not-owned`), and the signing-key rotations already made for a leak
    /// count toward the receivers' warning.
    pub(crate) fn amend(&self, plan: &mut Plan) {
        for n in &mut plan.no_action {
            if n.kind != Kind::QstashSigningKey || n.verdict != Ownership::NotOwned {
                continue;
            }
            if let Some((resource, time)) = self.rotated_signing_key(&n.sha256) {
                n.reason = format!(
                    "already rotated: a signing key of {resource} until upsweep revoke rotated \
                     it away ({time}, journal {})",
                    self.path
                        .as_deref()
                        .map_or(String::new(), |p| p.display().to_string())
                );
                n.verdict = Ownership::OwnedRotated;
                n.resource = Some(resource);
            }
        }
        for a in plan
            .actions
            .iter_mut()
            .filter(|a| a.kind == ActionKind::RotateSigningKeys)
        {
            a.prior_rotations = self.signing_rotations(&a.resource.id, &a.hashes());
        }
    }

    /// The same for the account check of `scan` and `git`: a signing key `not-owned` by the
    /// inventory that upsweep revoke rotated away on this machine is `owned-rotated`.
    pub(crate) fn amend_report(
        &self,
        findings: &[crate::finding::Finding],
        report: &mut crate::upstash::AccountReport,
    ) {
        for f in findings.iter().filter(|f| f.kind == Kind::QstashSigningKey) {
            let Some(v) = report.verdicts.get_mut(&f.sha256) else {
                continue;
            };
            if v.account.verdict != Ownership::NotOwned {
                continue;
            }
            if let Some((resource, time)) = self.rotated_signing_key(&f.sha256) {
                v.account.verdict = Ownership::OwnedRotated;
                v.account.reason = format!(
                    "a signing key of {resource} until upsweep revoke rotated it away ({time})"
                );
                v.account.resource = Some(resource);
            }
        }
    }

    /// A signing key (by hash) that upsweep rotated away: the region's resource and when.
    pub(crate) fn rotated_signing_key(&self, sha256: &str) -> Option<(Resource, String)> {
        self.lines.iter().rev().find_map(|l| {
            let known = l.secret_sha256.iter().any(|h| h == sha256)
                || l.before.values().any(|h| h.as_deref() == Some(sha256));
            (l.action.as_deref() == Some(ActionKind::RotateSigningKeys.name()) && known)
                .then(|| Some((l.resource.clone()?, l.time.clone().unwrap_or_default())))
                .flatten()
        })
    }
}

fn role_of(name: &str) -> Option<Credential> {
    [
        Credential::ReadWriteToken,
        Credential::ReadOnlyToken,
        Credential::Password,
        Credential::CurrentSigningKey,
        Credential::NextSigningKey,
        Credential::ApiKey,
    ]
    .into_iter()
    .find(|c| role_name(*c) == name)
}

/// The action a line names, rebuilt.
fn action_of(l: &Line) -> Option<Action> {
    let kind = ActionKind::from_name(l.action.as_deref()?)?;
    let resource = l.resource.clone()?;
    let leaked = if l.leaked.is_empty() {
        l.secret_sha256
            .iter()
            .map(|h| Leaked {
                sha256: h.clone(),
                also: None,
                kind: Kind::RedisRestToken,
                credential: Credential::ReadWriteToken,
                places: Vec::new(),
            })
            .collect()
    } else {
        l.leaked
            .iter()
            .map(|x| Leaked {
                sha256: x.sha256.clone(),
                also: x.also.clone(),
                kind: x
                    .kind
                    .as_deref()
                    .and_then(Kind::parse)
                    .unwrap_or(Kind::RedisRestToken),
                credential: x.credential.unwrap_or(Credential::ReadWriteToken),
                places: Vec::new(),
            })
            .collect()
    };
    Some(Action {
        kind,
        resource,
        leaked,
        prior_rotations: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstash::{Product, Secret};
    use std::io::Write as _;

    fn action() -> Action {
        Action {
            kind: ActionKind::RotateSigningKeys,
            resource: Resource {
                product: Product::Qstash,
                id: "q1".into(),
                name: None,
                region: Some("eu-central-1".into()),
                endpoint: None,
                credential: None,
                account: "ops@example.com".into(),
                account_key: "1a2b3c4d".into(),
                team: None,
            },
            leaked: vec![Leaked {
                sha256: "aa".repeat(32),
                also: None,
                kind: Kind::QstashSigningKey,
                credential: Credential::NextSigningKey,
                places: vec!["a.env:1".into()],
            }],
            prior_rotations: 0,
        }
    }

    fn keys(c: &str, n: &str) -> Values {
        Values::SigningKeys {
            current: Secret::new(c),
            next: Secret::new(n),
        }
    }

    #[test]
    fn an_intent_without_an_outcome_is_pending_and_an_outcome_settles_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let header = RunHeader {
            accounts: vec!["ops@example.com (key 1a2b3c4d)".into()],
            actions: 1,
            new_credentials: Some(Path::new("new.env")),
        };
        let a = action();
        let mut j = Journal::open(&path, &header).unwrap();
        j.intent(&a, 1, 2, &keys("sig_a", "sig_b")).unwrap();
        j.intent(&a, 2, 2, &keys("sig_b", "sig_c")).unwrap();
        drop(j);
        let h = History::read(&path).unwrap();
        let p = h.pending(&["1a2b3c4d".to_string()]);
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].why.clone(), p[0].step, p[0].steps),
            (PendingWhy::Unsettled, 2, 2)
        );
        assert!(p[0].had_file);
        assert_eq!(p[0].action.leaked[0].credential, Credential::NextSigningKey);
        assert!(p[0].before.contains(&(
            Credential::CurrentSigningKey,
            Some(Secret::new("sig_b").sha256())
        )));
        assert!(
            h.pending(&["other".to_string()]).is_empty(),
            "another account's"
        );
        // The signing key rotated away is known to be the account's.
        assert!(h
            .rotated_signing_key(&Secret::new("sig_a").sha256())
            .is_some());

        // A torn line (a full disk) is skipped, and the next run starts a fresh line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"event\":\"outc")
            .unwrap();
        let mut j = Journal::open(&path, &header).unwrap();
        let done = Outcome {
            rotations: 2,
            status: "rotated",
            error: None,
            new_sha256: Vec::new(),
            new_values: "saved",
        };
        j.outcome(&a, &done, true).unwrap();
        let h = History::read(&path).unwrap();
        assert_eq!(h.unreadable, 1);
        assert!(h.pending(&["1a2b3c4d".to_string()]).is_empty());
        assert_eq!(h.signing_rotations("q1", &["aa".repeat(32)]), 2);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("sig_a") && !text.contains("sig_b"),
            "hashes only"
        );
    }

    #[test]
    fn a_refused_run_leaves_no_journal_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let header = RunHeader {
            accounts: Vec::new(),
            actions: 0,
            new_credentials: None,
        };
        Journal::open(&path, &header).unwrap().discard();
        assert!(!path.exists());
        std::fs::write(&path, "").unwrap();
        Journal::open(&path, &header).unwrap().discard();
        assert!(path.exists(), "a file that was there stays");
    }
}
