//! The whole history: every blob reachable from any ref (branches, tags, remote-tracking refs,
//! the stash and its reflog, a detached HEAD), each listed once with the oldest commit whose
//! tree holds it and its path there. Commits are visited parents first, and a tree already
//! visited is not entered again, so each tree and blob is looked at once. Trees are read as raw
//! objects and their entries parsed in place: no `git_tree` is built for a tree read once.
//!
//! The list comes back sorted by path, each path's versions oldest first, because that is the
//! order in which libgit2 reads a packed history fastest: git stores the versions of a file
//! as chains of deltas, and libgit2 keeps the delta bases it resolves in a small cache per pack
//! (16 MB, emptied whenever it fills up). Read in commit order, the chains of thousands of
//! files compete for that cache and each blob costs much of its chain again; read path by
//! path, each chain is resolved about once (a third of the CPU on a delta-packed history, see
//! bench/README.md). Memory is an entry per blob and per tree, whatever the number of commits.

use super::{error, BlobJob, Survey};
use crate::input::InputError;
use git2::{ObjectType, Odb, Oid, Repository, Sort, TreeWalkMode};
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Once};

/// Process-wide libgit2 settings for reading many objects once. upsweep only reads, and
/// reads each object of a history once, so:
/// - objects are not hashed again to check their id (`git cat-file` does not either; a
///   damaged zlib stream or delta is still an error). That hash is a collision-detecting
///   SHA-1 and cost a third of a history scan;
/// - libgit2's object cache is off: it kept every tree and commit read (up to 256 MB), which
///   made memory grow with the history and was never hit again;
/// - packs are mapped in windows of 64 MB, at most 256 MB at a time (libgit2's defaults, 1 GB
///   and 8 GB, map a whole pack however large).
///
/// Called before any thread of a scan uses libgit2 (the options are global to the process).
pub(crate) fn configure_libgit2() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        git2::opts::strict_hash_verification(false);
        git2::opts::enable_caching(false);
        // SAFETY: these only set two global sizes; the caller runs this before its threads
        // use libgit2, and upsweep runs no other libgit2 work concurrently with a scan.
        unsafe {
            let _ = git2::opts::set_mwindow_size(64 << 20);
            let _ = git2::opts::set_mwindow_mapped_limit(256 << 20);
        }
    });
}

/// Every reachable blob, and with `unreachable`, every other blob in the object database,
/// sorted by path (see the module's documentation).
pub(crate) fn survey(repo: &Repository, unreachable: bool) -> Survey {
    let mut s = Survey::default();
    let odb = match repo.odb() {
        Ok(o) => o,
        Err(e) => {
            s.errors.push(error("object database", &e));
            return s;
        }
    };
    let mut walk = match repo.revwalk() {
        Ok(w) => w,
        Err(e) => {
            s.errors.push(error("revwalk", &e));
            return s;
        }
    };
    let _ = walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE);
    let tips = tips(repo, &mut s);
    let loose = push_tips(repo, &mut walk, tips, &mut s);
    let mut seen = Seen::new(&odb);
    for step in walk {
        match step {
            Ok(oid) => seen.commit(repo, oid),
            Err(e) => s.errors.push(error("history walk", &e)),
        }
    }
    seen.loose(loose);
    if unreachable {
        seen.unreachable();
    }
    seen.finish(repo, s)
}

/// Where the history starts: HEAD, every reference, and the stash's reflog.
fn tips(repo: &Repository, s: &mut Survey) -> Vec<(Oid, String)> {
    let mut tips: Vec<(Oid, String)> = Vec::new();
    if let Ok(head) = repo.head() {
        if let Some(t) = head.target() {
            tips.push((t, "HEAD".into()));
        }
    }
    match repo.references() {
        Ok(refs) => {
            for r in refs {
                let r = match r {
                    Ok(r) => r,
                    Err(e) => {
                        s.errors.push(error("reference", &e));
                        continue;
                    }
                };
                s.refs += 1;
                let name = r.name().unwrap_or("?").to_string();
                match r.resolve().ok().and_then(|r| r.target()) {
                    Some(t) => tips.push((t, name)),
                    None => continue,
                }
            }
        }
        Err(e) => s.errors.push(error("references", &e)),
    }
    // Older stashes live in the stash reflog only.
    if let Ok(log) = repo.reflog("refs/stash") {
        for entry in log.iter() {
            tips.push((entry.id_new(), "refs/stash@{..}".into()));
        }
    }
    tips
}

/// Start the walk at every tip that is (or peels to) a commit; returns the tips that point at
/// trees or blobs directly (rare, but a tag can), with their kind and name.
fn push_tips(
    repo: &Repository,
    walk: &mut git2::Revwalk<'_>,
    tips: Vec<(Oid, String)>,
    s: &mut Survey,
) -> Vec<(Oid, ObjectType, String)> {
    let mut loose_targets: Vec<(Oid, ObjectType, String)> = Vec::new();
    for (oid, name) in tips {
        let obj = match repo.find_object(oid, None) {
            Ok(o) => o,
            Err(e) => {
                s.errors.push(InputError {
                    path: name,
                    message: format!("points at {oid}, which cannot be read: {}", e.message()),
                });
                continue;
            }
        };
        match obj.peel(ObjectType::Commit) {
            Ok(c) => {
                if let Err(e) = walk.push(c.id()) {
                    s.errors.push(error(name, &e));
                }
            }
            Err(_) => match obj.kind() {
                Some(ObjectType::Tag) | Some(ObjectType::Tree) | Some(ObjectType::Blob) => {
                    if let Ok(target) = obj
                        .peel(ObjectType::Tree)
                        .or_else(|_| obj.peel(ObjectType::Blob))
                    {
                        if let Some(kind) = target.kind() {
                            loose_targets.push((target.id(), kind, name));
                        }
                    }
                }
                _ => {}
            },
        }
    }
    loose_targets
}

/// A walk in progress: what it has seen and listed.
struct Seen<'a, 'r> {
    odb: &'a Odb<'r>,
    trees: OidSet,
    blobs: OidSet,
    /// Every path listed, once: a file's versions share their path.
    paths: HashSet<Arc<str>>,
    submodules: HashSet<String>,
    jobs: Vec<BlobJob>,
    errors: Vec<InputError>,
    commits: u64,
    /// Trees still to enter, with their paths (kept to reuse its allocation).
    stack: Vec<(Oid, String)>,
}

impl<'a, 'r> Seen<'a, 'r> {
    fn new(odb: &'a Odb<'r>) -> Seen<'a, 'r> {
        Seen {
            odb,
            trees: OidSet::default(),
            blobs: OidSet::default(),
            paths: HashSet::new(),
            submodules: HashSet::new(),
            jobs: Vec::new(),
            errors: Vec::new(),
            commits: 0,
            stack: Vec::new(),
        }
    }

    /// List what refs point at directly: a blob, or a tree's contents.
    fn loose(&mut self, targets: Vec<(Oid, ObjectType, String)>) {
        for (oid, kind, name) in targets {
            match kind {
                ObjectType::Blob if self.blobs.insert(oid) => {
                    self.jobs.push(BlobJob::whole(
                        oid,
                        None,
                        Some(Arc::from(format!("<{name}>"))),
                    ));
                }
                ObjectType::Tree if self.trees.insert(oid) => self.walk_tree(oid, None),
                _ => {}
            }
        }
    }

    /// The survey: the jobs sorted by path, the counts, what could not be read, the
    /// submodules met, and a note for a shallow clone.
    fn finish(mut self, repo: &Repository, mut s: Survey) -> Survey {
        // Stable: each path's versions stay in the order found, oldest commit first.
        self.jobs.sort_by(|a, b| a.path.cmp(&b.path));
        s.jobs = self.jobs;
        s.commits = self.commits;
        s.errors.extend(self.errors);
        let mut subs: Vec<String> = self.submodules.into_iter().collect();
        subs.sort();
        s.submodules = subs;
        if repo.is_shallow() {
            s.notes.push(
                "this is a shallow clone: history older than its shallow boundary is not in the repository and was not scanned (fetch it with `git fetch --unshallow`)".into(),
            );
        }
        s
    }
}

impl Seen<'_, '_> {
    /// Walk a commit's tree, unless an earlier commit had the same tree.
    fn commit(&mut self, repo: &Repository, oid: Oid) {
        let tree = match repo.find_commit(oid) {
            Ok(c) => c.tree_id(),
            Err(e) => {
                self.errors.push(error(format!("commit {oid}"), &e));
                return;
            }
        };
        self.commits += 1;
        if self.trees.insert(tree) {
            self.walk_tree(tree, Some(oid));
        }
    }

    /// Enter the tree `root` (already marked seen) and every subtree not seen before, listing
    /// blobs not seen before.
    fn walk_tree(&mut self, root: Oid, commit: Option<Oid>) {
        let mut path = String::new();
        self.stack.push((root, String::new()));
        while let Some((oid, prefix)) = self.stack.pop() {
            let obj = match self.odb.read(oid) {
                Ok(o) => o,
                Err(e) => {
                    self.errors.push(tree_error(&prefix, oid, e.message()));
                    continue;
                }
            };
            if obj.kind() != ObjectType::Tree {
                self.errors
                    .push(tree_error(&prefix, oid, "it is not a tree"));
                continue;
            }
            let path_of = |path: &mut String, name: &[u8]| {
                path.clear();
                if !prefix.is_empty() {
                    path.push_str(&prefix);
                    path.push('/');
                }
                path.push_str(&String::from_utf8_lossy(name));
            };
            let mut entries = Entries(obj.data());
            for entry in &mut entries {
                match entry.kind {
                    ObjectType::Blob if self.blobs.insert(entry.oid) => {
                        path_of(&mut path, entry.name);
                        let shared = match self.paths.get(path.as_str()) {
                            Some(p) => p.clone(),
                            None => {
                                let p: Arc<str> = Arc::from(path.as_str());
                                self.paths.insert(p.clone());
                                p
                            }
                        };
                        self.jobs
                            .push(BlobJob::whole(entry.oid, commit, Some(shared)));
                    }
                    ObjectType::Tree if self.trees.insert(entry.oid) => {
                        path_of(&mut path, entry.name);
                        self.stack.push((entry.oid, path.clone()));
                    }
                    ObjectType::Commit => {
                        path_of(&mut path, entry.name);
                        self.submodules.insert(path.clone());
                    }
                    _ => {}
                }
            }
            if !entries.0.is_empty() {
                self.errors
                    .push(tree_error(&prefix, oid, "it is malformed"));
            }
        }
    }

    /// Blobs in the object database that no ref reaches (left by resets, amends and rebases).
    fn unreachable(&mut self) {
        let mut all = Vec::new();
        if let Err(e) = self.odb.foreach(|oid| {
            all.push(*oid);
            true
        }) {
            self.errors.push(error("object database", &e));
        }
        for oid in all {
            if self.blobs.contains(&oid) || self.trees.contains(&oid) {
                continue;
            }
            match self.odb.read_header(oid) {
                Ok((_, ObjectType::Blob)) => {
                    self.blobs.insert(oid);
                    self.jobs.push(BlobJob::whole(oid, None, None));
                }
                Ok(_) => {}
                Err(e) => self.errors.push(error(format!("object {oid}"), &e)),
            }
        }
    }
}

/// A set of object ids. Ids are SHA-1 digests, so a cheap mix of their bytes with a random key
/// hashes them as well as SipHash does (which cost a tenth of the walk).
type OidSet = HashSet<Oid, OidHashing>;

#[derive(Clone)]
struct OidHashing(u64);

impl Default for OidHashing {
    fn default() -> OidHashing {
        OidHashing(std::collections::hash_map::RandomState::new().hash_one(0u8))
    }
}

impl BuildHasher for OidHashing {
    type Hasher = OidHasher;
    fn build_hasher(&self) -> OidHasher {
        OidHasher(self.0)
    }
}

struct OidHasher(u64);

impl Hasher for OidHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0 ^ u64::from_le_bytes(word)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

fn tree_error(prefix: &str, oid: Oid, why: &str) -> InputError {
    InputError {
        path: format!("{prefix} (tree {oid})"),
        message: format!("cannot be read: {why}"),
    }
}

/// One entry of a raw tree object: `<octal mode> <name>\0<20-byte id>`.
struct Entry<'a> {
    kind: ObjectType,
    name: &'a [u8],
    oid: Oid,
}

/// The entries of a raw tree object; stops early, leaving the rest, at a malformed entry.
struct Entries<'a>(&'a [u8]);

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let rest = self.0;
        let space = rest.iter().position(|&b| b == b' ')?;
        let nul = space + 1 + rest[space + 1..].iter().position(|&b| b == 0)?;
        let id = rest.get(nul + 1..nul + 21)?;
        let mode = rest[..space]
            .iter()
            .try_fold(0u32, |m, &d| match d {
                b'0'..=b'7' if m < 1 << 24 => Some(m << 3 | u32::from(d - b'0')),
                _ => None,
            })
            .filter(|_| space > 0)?;
        let oid = Oid::from_bytes(id).ok()?;
        self.0 = &rest[nul + 21..];
        // As git reads modes: a directory, a gitlink (submodule), or else a file or symlink.
        let kind = match mode & 0o170000 {
            0o040000 => ObjectType::Tree,
            0o160000 => ObjectType::Commit,
            _ => ObjectType::Blob,
        };
        Some(Entry {
            kind,
            name: &rest[space + 1..nul],
            oid,
        })
    }
}

/// Every blob in a commit's tree (to say whether a secret is still there).
pub(crate) fn commit_blobs(repo: &Repository, commit: Oid) -> HashSet<Oid> {
    let mut set = HashSet::new();
    if let Ok(tree) = repo.find_commit(commit).and_then(|c| c.tree()) {
        let _ = tree.walk(TreeWalkMode::PreOrder, |_, e| {
            if e.kind() == Some(ObjectType::Blob) {
                set.insert(e.id());
            }
            git2::TreeWalkResult::Ok
        });
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_tree_entries_parse_like_git() {
        let id = |b: u8| [b; 20];
        let mut raw = Vec::new();
        for (mode, name, b) in [
            ("100644", "a.txt", 1u8),
            ("100755", "run.sh", 2),
            ("120000", "link", 3),
            ("40000", "dir", 4),
            ("160000", "vendor", 5),
        ] {
            raw.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            raw.extend_from_slice(&id(b));
        }
        let got: Vec<(ObjectType, String, Oid)> = Entries(&raw)
            .map(|e| (e.kind, String::from_utf8_lossy(e.name).into_owned(), e.oid))
            .collect();
        let oid = |b| Oid::from_bytes(&id(b)).unwrap();
        assert_eq!(
            got,
            vec![
                (ObjectType::Blob, "a.txt".into(), oid(1)),
                (ObjectType::Blob, "run.sh".into(), oid(2)),
                (ObjectType::Blob, "link".into(), oid(3)),
                (ObjectType::Tree, "dir".into(), oid(4)),
                (ObjectType::Commit, "vendor".into(), oid(5)),
            ]
        );
    }

    #[test]
    fn a_truncated_tree_stops_and_leaves_the_rest() {
        let mut raw = b"100644 a\0".to_vec();
        raw.extend_from_slice(&[7; 20]);
        raw.extend_from_slice(b"100644 b\0short");
        let mut entries = Entries(&raw);
        assert_eq!(entries.by_ref().count(), 1);
        assert!(!entries.0.is_empty());
        for bad in [&b"10x644 a\0"[..], b" a\0", b"100644a"] {
            let mut raw = bad.to_vec();
            raw.extend_from_slice(&[7; 20]);
            assert_eq!(Entries(&raw).count(), 0, "{bad:?}");
        }
    }
}
