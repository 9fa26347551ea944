//! The whole history: every blob reachable from any ref (branches, tags, remote-tracking refs,
//! the stash and its reflog, a detached HEAD), each listed once with the oldest commit whose
//! tree holds it and its path there. Commits are visited parents first, and a tree already
//! visited is not entered again, so each tree and blob is looked at once.

use super::{error, BlobJob, Survey};
use crate::input::InputError;
use git2::{ObjectType, Oid, Repository, Sort, TreeWalkMode};
use std::collections::HashSet;
use std::sync::Arc;

/// Every reachable blob, and with `unreachable`, every other blob in the object database.
pub fn survey(repo: &Repository, unreachable: bool) -> Survey {
    let mut s = Survey::default();
    let mut walk = match repo.revwalk() {
        Ok(w) => w,
        Err(e) => {
            s.errors.push(error("revwalk", &e));
            return s;
        }
    };
    let _ = walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE);
    let mut seen_trees: HashSet<Oid> = HashSet::new();
    let mut seen_blobs: HashSet<Oid> = HashSet::new();
    let mut submodules: HashSet<String> = HashSet::new();
    // Refs that point at trees or blobs directly (rare, but a tag can).
    let mut loose_targets: Vec<(Oid, ObjectType, String)> = Vec::new();

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

    for step in walk {
        let oid = match step {
            Ok(o) => o,
            Err(e) => {
                s.errors.push(error("history walk", &e));
                continue;
            }
        };
        let commit = match repo.find_commit(oid) {
            Ok(c) => c,
            Err(e) => {
                s.errors.push(error(format!("commit {oid}"), &e));
                continue;
            }
        };
        s.commits += 1;
        match commit.tree() {
            Ok(tree) => walk_tree(
                repo,
                &tree,
                Some(oid),
                &mut seen_trees,
                &mut seen_blobs,
                &mut submodules,
                &mut s,
            ),
            Err(e) => s.errors.push(InputError {
                path: format!("commit {oid}"),
                message: format!("its tree cannot be read: {}", e.message()),
            }),
        }
    }
    for (oid, kind, name) in loose_targets {
        match kind {
            ObjectType::Blob if seen_blobs.insert(oid) => {
                s.jobs.push(BlobJob::whole(
                    oid,
                    None,
                    Some(Arc::from(format!("<{name}>"))),
                ));
            }
            ObjectType::Tree => {
                if let Ok(tree) = repo.find_tree(oid) {
                    if seen_trees.insert(oid) {
                        walk_tree(
                            repo,
                            &tree,
                            None,
                            &mut seen_trees,
                            &mut seen_blobs,
                            &mut submodules,
                            &mut s,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    if unreachable {
        add_unreachable(repo, &mut seen_blobs, &mut s);
    }
    let mut subs: Vec<String> = submodules.into_iter().collect();
    subs.sort();
    s.submodules = subs;
    if repo.is_shallow() {
        s.notes.push(
            "this is a shallow clone: history older than its shallow boundary is not in the repository and was not scanned (fetch it with `git fetch --unshallow`)".into(),
        );
    }
    s
}

/// Enter `tree` and every subtree not seen before, listing blobs not seen before.
fn walk_tree(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    commit: Option<Oid>,
    seen_trees: &mut HashSet<Oid>,
    seen_blobs: &mut HashSet<Oid>,
    submodules: &mut HashSet<String>,
    s: &mut Survey,
) {
    let mut stack: Vec<(Oid, String)> = Vec::new();
    visit_entries(
        tree, "", commit, seen_trees, seen_blobs, submodules, s, &mut stack,
    );
    while let Some((oid, prefix)) = stack.pop() {
        match repo.find_tree(oid) {
            Ok(sub) => visit_entries(
                &sub, &prefix, commit, seen_trees, seen_blobs, submodules, s, &mut stack,
            ),
            Err(e) => s.errors.push(InputError {
                path: format!("{prefix} (tree {oid})"),
                message: format!("cannot be read: {}", e.message()),
            }),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn visit_entries(
    tree: &git2::Tree<'_>,
    prefix: &str,
    commit: Option<Oid>,
    seen_trees: &mut HashSet<Oid>,
    seen_blobs: &mut HashSet<Oid>,
    submodules: &mut HashSet<String>,
    s: &mut Survey,
    stack: &mut Vec<(Oid, String)>,
) {
    let path_of = |entry: &git2::TreeEntry<'_>| {
        let name = String::from_utf8_lossy(entry.name_bytes());
        if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        }
    };
    for entry in tree.iter() {
        match entry.kind() {
            Some(ObjectType::Blob) if seen_blobs.insert(entry.id()) => {
                s.jobs.push(BlobJob::whole(
                    entry.id(),
                    commit,
                    Some(Arc::from(path_of(&entry))),
                ));
            }
            Some(ObjectType::Tree) if seen_trees.insert(entry.id()) => {
                stack.push((entry.id(), path_of(&entry)));
            }
            Some(ObjectType::Commit) => {
                submodules.insert(path_of(&entry));
            }
            _ => {}
        }
    }
}

/// Blobs in the object database that no ref reaches (left by resets, amends and rebases).
fn add_unreachable(repo: &Repository, seen_blobs: &mut HashSet<Oid>, s: &mut Survey) {
    let odb = match repo.odb() {
        Ok(o) => o,
        Err(e) => {
            s.errors.push(error("object database", &e));
            return;
        }
    };
    let mut all = Vec::new();
    if let Err(e) = odb.foreach(|oid| {
        all.push(*oid);
        true
    }) {
        s.errors.push(error("object database", &e));
    }
    for oid in all {
        if seen_blobs.contains(&oid) {
            continue;
        }
        match odb.read_header(oid) {
            Ok((_, ObjectType::Blob)) => {
                seen_blobs.insert(oid);
                s.jobs.push(BlobJob::whole(oid, None, None));
            }
            Ok(_) => {}
            Err(e) => s.errors.push(error(format!("object {oid}"), &e)),
        }
    }
}

/// Every blob in HEAD's tree (to say whether a secret is still there).
pub fn head_blobs(repo: &Repository) -> HashSet<Oid> {
    let mut set = HashSet::new();
    if let Ok(tree) = repo.head().and_then(|h| h.peel_to_tree()) {
        let _ = tree.walk(TreeWalkMode::PreOrder, |_, e| {
            if e.kind() == Some(ObjectType::Blob) {
                set.insert(e.id());
            }
            git2::TreeWalkResult::Ok
        });
    }
    set
}
