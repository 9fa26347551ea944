//! What an audit remembers of each repository between runs, so a nightly audit of an unchanged
//! organisation scans no blob and still prints the complete report: which blobs were scanned,
//! and what was found in each.
//!
//! # What is stored, and what is not
//!
//! Per blob with findings, each match as the report needs it: rule, kind, the secret's SHA-256
//! and redacted preview, line and column (in an archive blob: the names down to the entry, and
//! the entry's line and column), and the structural details and context (variable,
//! host, encoding) as the report prints them, and whether it was set aside by what the blob
//! itself says (an `upsweep:allow` marker on its line, a value Upstash publishes): those depend
//! on the text, which a later run does not read again. What the project decides (`skip-paths`,
//! `[[allow]]`, baselines) is applied to each run's report instead, so changing it needs no
//! scan. Where each such blob sits (its oldest commit and path) is kept as of the recorded refs;
//! a run whose refs moved takes it from its own survey of the history.
//!
//! **The secret itself is not stored.** Everything a report shows by default, baselines,
//! allowlists and the account check (ownership is matched on SHA-256, locally) work from the
//! hash. The three things that need the value, `--show-secrets`, `--live` and trying a found
//! Developer API key, are rare and can read it again from the mirror: the blob id is the key
//! of each entry, and scanning the few blobs that hold findings costs nothing next to the
//! audit. A cache directory full of live credentials in clear would be a second leak, kept on
//! CI runners and volumes people share; hashes and previews are not.
//!
//! # Versioning
//!
//! Each state carries a [`StoreKey`]: the state format, upsweep's version, a fingerprint of
//! the compiled rules ([`rules_fingerprint`]) and how archives are opened (off, or their
//! limits: an archive blob's matches depend on them). A state written under another key is not
//! used (its blobs are scanned again), so a new rule, a fixed decoder or archives opened
//! deeper reach old history.
//!
//! # Safety on disk
//!
//! A state is written whole to a temporary file beside it, flushed, and renamed over the old
//! one: a kill at any point leaves the old state or the new one, never half of either. A run
//! checkpoints as it goes, so a killed audit re-run with the same cache redoes at most the
//! work since the last checkpoint. Two audits sharing a cache take each repository's lock
//! ([`Store::lock`], an OS file lock, released by the OS even when a process is killed) before
//! fetching its mirror or touching its state. A state that cannot be read (a disk error, a
//! file from elsewhere) is set aside and the repository scanned again, never a failure.
//!
//! # Texts (`--issues`)
//!
//! Beside each state, under `CACHE/texts/owner/name.json`, a [`TextsState`]: the issues,
//! pull requests and comments whose text held matches (per text its URL, kind, author and
//! [`StoredMatch`]es, never the secret), and per listing the point it was complete up to, so
//! a re-run lists only what was created or edited since. Same key, same safety: written whole
//! and renamed, under the repository's lock; another key or an unreadable file lists
//! everything again.

use super::repos::RepoName;
use super::texts::{Since, TextKind};
use crate::finding::{Context, Details, Kind, RawMatch};
use crate::rules::Matcher;
use anyhow::{anyhow, Context as _, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Bumped whenever the state's layout changes (3: matches inside archive blobs).
pub const FORMAT: u32 = 3;

/// What a state is valid for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreKey {
    pub format: u32,
    pub upsweep: String,
    /// [`rules_fingerprint`] of the rules that scanned.
    pub rules: String,
    /// How archive blobs were opened (`off`, or the limits), as the audit describes it.
    #[serde(default)]
    pub archives: String,
}

impl StoreKey {
    /// The key of this build with these rules.
    pub fn current(matcher: &Matcher) -> StoreKey {
        StoreKey {
            format: FORMAT,
            upsweep: env!("CARGO_PKG_VERSION").to_string(),
            rules: rules_fingerprint(matcher),
            archives: String::new(),
        }
    }

    /// The same key for a scan that opens archives as `archives` describes.
    pub fn with_archives(self, archives: String) -> StoreKey {
        StoreKey { archives, ..self }
    }

    /// Why a state written under `self` cannot be used under `now`, if it cannot.
    pub fn mismatch(&self, now: &StoreKey) -> Option<String> {
        if self.format != now.format {
            Some(format!(
                "the state format changed ({} -> {})",
                self.format, now.format
            ))
        } else if self.upsweep != now.upsweep {
            Some(format!(
                "upsweep changed ({} -> {})",
                self.upsweep, now.upsweep
            ))
        } else if self.rules != now.rules {
            Some("the rules changed".to_string())
        } else if self.archives != now.archives {
            Some("the archive settings changed".to_string())
        } else {
            None
        }
    }
}

/// SHA-256 over everything in the compiled rules that decides what a scan finds: each rule's
/// id, kind, pattern, decoder, context pattern and context window, in order.
pub fn rules_fingerprint(matcher: &Matcher) -> String {
    let mut h = Sha256::new();
    for r in &matcher.rules {
        for part in [
            r.id.as_str(),
            r.kind.as_str(),
            r.pattern.as_str(),
            &format!("{:?}", r.decoder),
            r.context.as_ref().map_or("", |c| c.as_str()),
            &r.context_lines.to_string(),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One match in a blob, as the report needs it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMatch {
    pub rule_id: String,
    pub kind: Kind,
    pub sha256: String,
    /// The redacted preview ([`crate::finding::redact`]).
    pub preview: String,
    pub line: u64,
    pub column: u64,
    #[serde(default)]
    pub details: Details,
    #[serde(default)]
    pub context: Context,
    /// Not reported, for what the blob says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_aside: Option<SetAside>,
    /// In an archive blob: the names from the blob down to the entry holding the match, one
    /// per nesting level (`line` and `column` are the entry's); empty for the blob itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<String>,
}

/// Why a match is not reported, decided from the blob's own text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "why")]
pub enum SetAside {
    /// An `upsweep:allow` marker on its line, with the reason written after it.
    Inline { reason: Option<String> },
    /// A value Upstash publishes (named).
    Public { name: String },
}

impl StoredMatch {
    /// What to remember of a scanner match; `allowed` is the reason of an `upsweep:allow`
    /// marker on its line, when there is one.
    pub fn from_raw(
        m: &RawMatch,
        matcher: &Matcher,
        allowed: Option<Option<String>>,
    ) -> StoredMatch {
        let set_aside = match (m.details.public_value, allowed) {
            (Some(name), _) => Some(SetAside::Public {
                name: name.to_string(),
            }),
            (None, Some(reason)) => Some(SetAside::Inline { reason }),
            (None, None) => None,
        };
        StoredMatch {
            rule_id: matcher.rule(m.rule).id.clone(),
            kind: m.kind,
            sha256: crate::finding::sha256_hex(&m.secret),
            preview: crate::finding::redact(&m.secret),
            line: m.line,
            column: m.column,
            details: m.details.clone(),
            context: m.context.clone(),
            set_aside,
            entries: Vec::new(),
        }
    }

    /// The same match, inside the archive entry that `entries` names.
    pub fn inside(self, entries: &[String]) -> StoredMatch {
        StoredMatch {
            entries: entries.to_vec(),
            ..self
        }
    }
}

/// A blob with findings: where it sits (as of the state's refs) and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundBlob {
    /// Reachable from the state's refs (a blob a force-push left behind is kept, unreported,
    /// in case it comes back).
    #[serde(default = "yes")]
    pub reachable: bool,
    /// The oldest commit holding it, and its path there.
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    pub matches: Vec<StoredMatch>,
}

fn yes() -> bool {
    true
}

/// A blob over the size limit, not scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LargeBlob {
    /// As a report names it.
    pub path: String,
    pub size: u64,
}

/// What is remembered of one repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoState {
    pub key: StoreKey,
    /// `owner/name`.
    pub repository: String,
    /// The mirror's refs (name -> commit) when the state was last completed: equal refs on the
    /// next run mean nothing changed (`unchanged`, no survey needed).
    #[serde(default)]
    pub tips: BTreeMap<String, String>,
    /// Whether every blob reachable from `tips` was scanned (false while a run is in progress:
    /// a checkpoint of a killed run).
    #[serde(default)]
    pub complete: bool,
    /// Every blob id scanned, with or without findings.
    #[serde(default)]
    pub scanned: BTreeSet<String>,
    /// The blobs with findings.
    #[serde(default)]
    pub found: BTreeMap<String, FoundBlob>,
    /// As of `tips`: commits, and unique blobs reachable from them.
    #[serde(default)]
    pub commits: u64,
    #[serde(default)]
    pub blobs: u64,
    /// The size limit of the last completed run, and the blobs it left out: a run with another
    /// limit looks at the history again.
    #[serde(default)]
    pub max_file_size: u64,
    #[serde(default)]
    pub too_large: Vec<LargeBlob>,
}

impl RepoState {
    pub fn new(key: StoreKey, repository: &str) -> RepoState {
        RepoState {
            key,
            repository: repository.to_string(),
            tips: BTreeMap::new(),
            complete: false,
            scanned: BTreeSet::new(),
            found: BTreeMap::new(),
            commits: 0,
            blobs: 0,
            max_file_size: 0,
            too_large: Vec::new(),
        }
    }

    pub fn is_scanned(&self, blob: &str) -> bool {
        self.scanned.contains(blob)
    }

    /// Remember that `blob` (introduced by `commit` at `path`) was scanned and found
    /// `matches` (empty: nothing).
    pub fn record(
        &mut self,
        blob: &str,
        commit: Option<&str>,
        path: Option<&str>,
        matches: Vec<StoredMatch>,
    ) {
        self.scanned.insert(blob.to_string());
        if matches.is_empty() {
            self.found.remove(blob);
        } else {
            self.found.insert(
                blob.to_string(),
                FoundBlob {
                    reachable: true,
                    commit: commit.map(str::to_string),
                    path: path.map(str::to_string),
                    matches,
                },
            );
        }
    }

    /// What was found in `blob` (empty when nothing or not scanned).
    pub fn matches(&self, blob: &str) -> &[StoredMatch] {
        self.found.get(blob).map_or(&[], |f| f.matches.as_slice())
    }

    /// Whether the mirror's refs are those of the last completed run, scanned with the same
    /// size limit.
    pub fn unchanged(&self, tips: &BTreeMap<String, String>, max_file_size: u64) -> bool {
        self.complete && &self.tips == tips && self.max_file_size == max_file_size
    }
}

/// A text (issue, pull request, comment) whose text held matches, as the report needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundText {
    pub kind: TextKind,
    #[serde(default)]
    pub author: Option<String>,
    pub matches: Vec<StoredMatch>,
}

/// What is remembered of one repository's texts (`--issues`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextsState {
    pub key: StoreKey,
    /// `owner/name`.
    pub repository: String,
    /// Per listing, the point (`YYYY-MM-DDTHH:MM:SSZ`, the server's clock) it was last
    /// complete up to: the next run lists from there. A listing without one lists everything.
    #[serde(default)]
    pub since: Since,
    /// The texts with matches, by URL.
    #[serde(default)]
    pub found: BTreeMap<String, FoundText>,
}

impl TextsState {
    pub fn new(key: StoreKey, repository: &str) -> TextsState {
        TextsState {
            key,
            repository: repository.to_string(),
            since: Since::new(),
            found: BTreeMap::new(),
        }
    }

    /// Remember what the text at `url` holds now (empty: nothing, and it is forgotten).
    pub fn record(
        &mut self,
        url: &str,
        kind: TextKind,
        author: Option<&str>,
        matches: Vec<StoredMatch>,
    ) {
        if matches.is_empty() {
            self.found.remove(url);
        } else {
            self.found.insert(
                url.to_string(),
                FoundText {
                    kind,
                    author: author.map(str::to_string),
                    matches,
                },
            );
        }
    }
}

/// A state as loaded: a repository's blobs ([`RepoState`]) or its texts ([`TextsState`]).
#[derive(Debug)]
pub struct Loaded<S = RepoState> {
    pub state: S,
    /// Why an earlier state was not used (changed rules or version, unreadable), if there was
    /// one.
    pub discarded: Option<String>,
}

/// A texts state as loaded.
pub type LoadedTexts = Loaded<TextsState>;

/// What [`Store::load`] and [`Store::load_texts`] check of a state they read.
trait Keyed: serde::de::DeserializeOwned {
    fn key(&self) -> &StoreKey;
    fn repository(&self) -> &str;
}

impl Keyed for RepoState {
    fn key(&self) -> &StoreKey {
        &self.key
    }
    fn repository(&self) -> &str {
        &self.repository
    }
}

impl Keyed for TextsState {
    fn key(&self) -> &StoreKey {
        &self.key
    }
    fn repository(&self) -> &str {
        &self.repository
    }
}

/// The state at `path` if it was written under `key` for `name`, else `fresh` and why the old
/// one was not used; `again` says what follows then (`scanning again`).
fn load_keyed<S: Keyed>(
    path: &Path,
    name: &RepoName,
    key: &StoreKey,
    fresh: S,
    again: &str,
) -> Loaded<S> {
    let fresh = |why: Option<String>| Loaded {
        state: fresh,
        discarded: why,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return fresh(None),
        Err(e) => return fresh(Some(format!("{} could not be read: {e}", path.display()))),
    };
    let state: S = match serde_json::from_slice(&bytes) {
        Ok(s) => s,
        Err(e) => {
            return fresh(Some(format!(
                "{} is not a state upsweep can read ({}): {again}",
                path.display(),
                crate::upstash::http::json_error(&e)
            )))
        }
    };
    if let Some(why) = state.key().mismatch(key) {
        return fresh(Some(format!("{why}: {again}")));
    }
    if !state.repository().eq_ignore_ascii_case(&name.to_string()) {
        return fresh(Some(format!(
            "{} holds the state of {}: {again}",
            path.display(),
            state.repository()
        )));
    }
    Loaded {
        state,
        discarded: None,
    }
}

/// The states of a cache: `CACHE/state/owner/name.json`, each with its `.lock`, and the
/// texts states, `CACHE/texts/owner/name.json`.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    texts: PathBuf,
}

/// A repository's lock: held while its mirror is fetched and its state read and written.
/// Released on drop, and by the OS when the process dies.
#[derive(Debug)]
pub struct RepoLock {
    _file: File,
    pub path: PathBuf,
}

static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// The store of cache directory `cache` (created when first written).
    pub fn new(cache: &Path) -> Store {
        Store {
            root: cache.join("state"),
            texts: cache.join("texts"),
        }
    }

    /// `state/owner/name.EXT` (appended: repository names may hold dots).
    fn file(&self, name: &RepoName, ext: &str) -> PathBuf {
        repo_file(&self.root, name, ext)
    }

    /// Where `name`'s state lives.
    pub fn path(&self, name: &RepoName) -> PathBuf {
        self.file(name, "json")
    }

    /// Where `name`'s texts state lives.
    pub fn texts_path(&self, name: &RepoName) -> PathBuf {
        repo_file(&self.texts, name, "json")
    }

    /// Take `name`'s lock, waiting up to `wait` for another audit to release it.
    pub fn lock(&self, name: &RepoName, wait: Duration) -> Result<RepoLock> {
        let path = self.file(name, "lock");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let started = Instant::now();
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => return Ok(RepoLock { _file: file, path }),
                Err(fs4::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(anyhow!(
                        "{name} is in use by another audit sharing this cache ({} locked for \
                         more than {}s)",
                        path.display(),
                        wait.as_secs()
                    ))
                }
                Err(fs4::TryLockError::Error(e)) => {
                    return Err(anyhow!("cannot lock {}: {e}", path.display()))
                }
            }
        }
    }

    /// `name`'s state if it was written under `key`, else a fresh one saying why the old one
    /// was discarded. Call with the repository's lock held.
    pub fn load(&self, name: &RepoName, key: &StoreKey) -> Loaded {
        let fresh = RepoState::new(key.clone(), &name.to_string());
        load_keyed(&self.path(name), name, key, fresh, "scanning again")
    }

    /// Write `state` atomically (temporary file, flush, rename). Call with the lock held.
    pub fn save(&self, name: &RepoName, state: &RepoState) -> Result<()> {
        write_whole(&self.path(name), name, state)
    }

    /// `name`'s texts state if it was written under `key`, else a fresh one (everything is
    /// listed again) saying why the old one was discarded. Call with the repository's lock
    /// held.
    pub fn load_texts(&self, name: &RepoName, key: &StoreKey) -> LoadedTexts {
        let fresh = TextsState::new(key.clone(), &name.to_string());
        load_keyed(
            &self.texts_path(name),
            name,
            key,
            fresh,
            "listing every text again",
        )
    }

    /// Write `state` atomically, as [`Store::save`]. Call with the lock held.
    pub fn save_texts(&self, name: &RepoName, state: &TextsState) -> Result<()> {
        write_whole(&self.texts_path(name), name, state)
    }
}

/// `dir/owner/name.ext`, in lower case (GitHub's names are case-insensitive).
fn repo_file(dir: &Path, name: &RepoName, ext: &str) -> PathBuf {
    dir.join(name.owner.to_ascii_lowercase())
        .join(format!("{}.{ext}", name.name.to_ascii_lowercase()))
}

/// Write `value` to `path` whole: a temporary file beside it, flushed, renamed over it.
fn write_whole(path: &Path, name: &RepoName, value: &impl Serialize) -> Result<()> {
    let dir = path.parent().expect("a state path has a parent");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        name.name.to_ascii_lowercase(),
        std::process::id(),
        TMP_SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let write = || -> Result<()> {
        let mut f = File::create(&tmp)?;
        serde_json::to_writer(&mut f, value)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself reaches the disk with the directory.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> StoreKey {
        StoreKey {
            format: FORMAT,
            upsweep: "1.0.0".into(),
            rules: "abc".into(),
            archives: "off".into(),
        }
    }

    #[test]
    fn keys_say_what_changed() {
        let k = key();
        assert_eq!(k.mismatch(&k), None);
        let mut r = k.clone();
        r.rules = "def".into();
        assert_eq!(k.mismatch(&r).as_deref(), Some("the rules changed"));
        let mut v = k.clone();
        v.upsweep = "1.1.0".into();
        assert!(k.mismatch(&v).unwrap().contains("1.0.0 -> 1.1.0"));
        let a = k.clone().with_archives("depth 4".into());
        assert_eq!(
            k.mismatch(&a).as_deref(),
            Some("the archive settings changed")
        );
    }

    #[test]
    fn the_rules_fingerprint_follows_the_rules() {
        let m = Matcher::load(&[] as &[&str]).unwrap();
        let a = rules_fingerprint(&m);
        assert_eq!(a.len(), 64);
        assert_eq!(
            a,
            rules_fingerprint(&Matcher::load(&[] as &[&str]).unwrap())
        );
        let mut rules = m.rules.clone();
        rules[0].pattern.push_str("|zzzz_never");
        let changed = Matcher::new(rules).unwrap();
        assert_ne!(a, rules_fingerprint(&changed));
    }

    #[test]
    fn dotted_names_get_files_of_their_own() {
        let store = Store::new(Path::new("/c"));
        let a = RepoName::parse("acme/web.site").unwrap();
        let b = RepoName::parse("acme/web.api").unwrap();
        assert_eq!(store.path(&a), Path::new("/c/state/acme/web.site.json"));
        assert_ne!(store.path(&a), store.path(&b));
    }

    #[test]
    fn state_records_scans_and_findings() {
        let mut s = RepoState::new(key(), "acme/web");
        s.record("b1", None, None, vec![]);
        assert!(s.is_scanned("b1") && s.matches("b1").is_empty());
        assert!(!s.is_scanned("b2"));
        let mut tips = BTreeMap::new();
        tips.insert("refs/heads/main".to_string(), "c1".to_string());
        assert!(!s.unchanged(&tips, 10));
        s.tips = tips.clone();
        s.complete = true;
        s.max_file_size = 10;
        assert!(s.unchanged(&tips, 10));
        assert!(!s.unchanged(&tips, 20), "another size limit looks again");
    }
}
