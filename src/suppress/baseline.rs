//! Baselines: secrets a project has accepted (already known, already rotated, tracked
//! elsewhere), so a gate reports only new ones. An entry is a secret's kind and SHA-256, where
//! it was first seen and an optional note; it never holds the secret. Because entries key on
//! the secret itself, moving a baselined secret to another line or file, or reformatting the
//! file around it, does not make it new, while a new secret written on a baselined line is new.
//!
//! The file is JSON, versioned by its `version` field ([`VERSION`]); entries are sorted by kind
//! and hash so a regenerated baseline diffs cleanly:
//!
//! ```json
//! {
//!   "version": 1,
//!   "tool": "upsweep",
//!   "secrets": [
//!     {
//!       "kind": "redis-rest-token",
//!       "sha256": "50258ea82b69e1294f4ec0724e62a2255e3016f1956f810cb9572903088a55d7",
//!       "first_seen": { "path": "config/.env", "line": 2, "commit": "9f1c..." },
//!       "note": "staging database, rotation tracked in OPS-142"
//!     }
//!   ]
//! }
//! ```
//!
//! `first_seen.commit` is there only for baselines made from history (`--git`). A finding is in
//! the baseline when its SHA-256 is: the kind is recorded for people and tools reading the
//! file, and a secret a later version of the rules classifies more precisely stays accepted.

use crate::finding::{Finding, Kind};
use anyhow::{bail, Context as _, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The baseline format's version. Bumped only on breaking changes.
pub(crate) const VERSION: u32 = 1;

/// One accepted secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    pub(crate) kind: Kind,
    /// Lowercase hex SHA-256 of the secret.
    pub(crate) sha256: String,
    pub(crate) first_seen: FirstSeen,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
}

/// Where an accepted secret was first seen (for people: matching never uses it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FirstSeen {
    pub(crate) path: String,
    pub(crate) line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) commit: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u32,
    #[serde(default = "tool_name")]
    tool: String,
    secrets: Vec<Entry>,
}

fn tool_name() -> String {
    "upsweep".into()
}

/// A baseline: accepted secrets by hash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Baseline {
    entries: BTreeMap<(Kind, String), Entry>,
    by_hash: HashMap<String, (Kind, String)>,
}

impl Baseline {
    pub(crate) fn new() -> Baseline {
        Baseline::default()
    }

    /// Read and check a baseline file.
    pub(crate) fn read(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read baseline {}", path.display()))?;
        if crate::report::read::is_report(&text) {
            bail!(
                "{p} is an upsweep scan report, not a baseline: make a baseline from it with \
                 `upsweep baseline create --from {p} -o BASELINE` and pass that file",
                p = path.display()
            );
        }
        Baseline::parse(&text).with_context(|| format!("baseline {}", path.display()))
    }

    pub(crate) fn parse(text: &str) -> Result<Baseline> {
        let version = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| anyhow::anyhow!("not JSON: {e}"))?
            .get("version")
            .and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => bail!(
                "format version {v} is not one this upsweep reads (it reads version {VERSION}): upgrade upsweep, or recreate the baseline"
            ),
            None => bail!("not an upsweep baseline: no numeric `version` field"),
        }
        let doc: Document = serde_json::from_str(text)
            .map_err(|e| anyhow::anyhow!("line {}, column {}: {e}", e.line(), e.column()))?;
        let mut b = Baseline::new();
        for e in doc.secrets {
            if !is_sha256(&e.sha256) {
                bail!(
                    "entry for {} at {}:{}: sha256 must be 64 lowercase hex digits, not {:?}",
                    e.kind,
                    e.first_seen.path,
                    e.first_seen.line,
                    e.sha256
                );
            }
            b.insert(e);
        }
        Ok(b)
    }

    /// The file's text (pretty JSON, entries sorted, a final newline).
    pub(crate) fn to_json(&self) -> String {
        let doc = Document {
            version: VERSION,
            tool: tool_name(),
            secrets: self.entries.values().cloned().collect(),
        };
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Write the file (through a temporary file in the same directory, so a failed write never
    /// leaves half a baseline).
    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "baseline".into());
        let tmp = dir.join(format!(".{name}.upsweep-tmp"));
        std::fs::write(&tmp, self.to_json())
            .and_then(|_| std::fs::rename(&tmp, path))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })
            .with_context(|| format!("cannot write baseline {}", path.display()))
    }

    pub(crate) fn insert(&mut self, e: Entry) {
        let key = (e.kind, e.sha256.clone());
        self.by_hash.insert(e.sha256.clone(), key.clone());
        self.entries.entry(key).or_insert(e);
    }

    /// Add a finding (first seen at its first location), unless its secret is already in.
    pub(crate) fn add_finding(&mut self, f: &Finding, note: Option<&str>) {
        if self.by_hash.contains_key(&f.sha256) {
            return;
        }
        let first = &f.locations[0];
        self.insert(Entry {
            kind: f.kind,
            sha256: f.sha256.clone(),
            first_seen: FirstSeen {
                path: first.path.clone(),
                line: first.line,
                commit: first.commit.clone(),
            },
            note: note.map(str::to_string),
        });
    }

    /// The entry accepting a secret with this hash.
    pub(crate) fn get(&self, sha256: &str) -> Option<&Entry> {
        self.by_hash.get(sha256).and_then(|k| self.entries.get(k))
    }

    /// The entries, by kind and hash.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Keep only the entries whose secret `found` says is still there; returns the ones dropped.
    pub(crate) fn retain_found(&mut self, found: &dyn Fn(&Entry) -> bool) -> Vec<Entry> {
        let (keep, drop): (Vec<_>, Vec<_>) = std::mem::take(&mut self.entries)
            .into_values()
            .partition(|e| found(e));
        self.by_hash.clear();
        for e in keep {
            self.insert(e);
        }
        drop
    }
}

/// 64 lowercase hex digits.
pub(crate) fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: Kind, sha: char, path: &str) -> Entry {
        Entry {
            kind,
            sha256: sha.to_string().repeat(64),
            first_seen: FirstSeen {
                path: path.into(),
                line: 3,
                commit: None,
            },
            note: None,
        }
    }

    #[test]
    fn round_trips_sorted_and_versioned() {
        let mut b = Baseline::new();
        b.insert(entry(Kind::QstashToken, 'b', "b.env"));
        b.insert(entry(Kind::RedisRestToken, 'a', "a.env"));
        let text = b.to_json();
        assert!(text.starts_with("{\n  \"version\": 1,"));
        assert!(text.find("redis-rest-token").unwrap() < text.find("qstash-token").unwrap());
        assert_eq!(Baseline::parse(&text).unwrap(), b);
        assert!(b.get(&"a".repeat(64)).is_some());
    }

    #[test]
    fn rejects_other_versions_and_bad_hashes() {
        let e = Baseline::parse(r#"{"version": 9, "secrets": []}"#).unwrap_err();
        assert!(e.to_string().contains("version 9"), "{e}");
        let e = Baseline::parse(r#"{"secrets": []}"#).unwrap_err();
        assert!(e.to_string().contains("not an upsweep baseline"), "{e}");
        let bad = r#"{"version": 1, "secrets": [{"kind": "redis-rest-token", "sha256": "ABC", "first_seen": {"path": "x", "line": 1}}]}"#;
        assert!(Baseline::parse(bad).is_err());
    }

    #[test]
    fn retain_found_returns_what_was_dropped() {
        let mut b = Baseline::new();
        b.insert(entry(Kind::QstashToken, 'b', "b.env"));
        b.insert(entry(Kind::RedisRestToken, 'a', "a.env"));
        let a = "a".repeat(64);
        let dropped = b.retain_found(&|e| e.sha256 == a);
        assert_eq!(dropped.len(), 1);
        assert_eq!(b.len(), 1);
        assert!(b.get(&a).is_some());
        assert!(b.get(&"b".repeat(64)).is_none());
    }
}
