//! Where a secret left the tree: for a finding HEAD no longer holds, the commit that took it
//! out ("removed in abc1234, still in history"). The history from HEAD (or a range's head) is
//! walked newest first, each commit diffed against its first parent without reading file
//! contents; the first commit whose diff drops a blob holding the secret and adds none is the
//! one. A rename drops and adds the same blob, so it is not taken for a removal.
//!
//! A whole-history scan knows every blob that holds a secret (each was scanned), so the test is
//! a set lookup. A range scan knows only the blobs whose added lines held it; a later edit of
//! the same file makes a blob it never scanned, so there the blobs a diff touches are also
//! searched for the secret as written.
//!
//! The walk stops when every finding is placed, at a range's base, or a day before the oldest
//! commit that introduced an unplaced finding (nothing older can remove it). A secret removed
//! only on a branch HEAD never merged has no removal commit: it is "not in HEAD" and still in
//! the history.

use super::head::blob_holds;
use git2::{Delta, DiffOptions, Oid, Repository, Sort};
use std::collections::HashSet;

/// A finding to place: the blobs known to hold it, the secret as written, and when its
/// oldest location was committed (Unix seconds).
pub(crate) struct Wanted<'a> {
    pub(crate) blobs: HashSet<Oid>,
    pub(crate) secret: &'a [u8],
    pub(crate) since: i64,
}

/// How the walk reads.
pub(crate) struct Walk {
    pub(crate) head: Oid,
    pub(crate) base: Option<Oid>,
    /// Search blobs not in a finding's set for the secret as written (range scans).
    pub(crate) search: bool,
    pub(crate) max_size: u64,
}

/// The removing commit of each of `wanted`, in order (`None`: not found on HEAD's side).
pub(crate) fn removals(repo: &Repository, walk: &Walk, wanted: &[Wanted<'_>]) -> Vec<Option<Oid>> {
    let mut found: Vec<Option<Oid>> = vec![None; wanted.len()];
    let mut open: Vec<usize> = (0..wanted.len()).collect();
    if open.is_empty() {
        return found;
    }
    let Ok(mut revs) = repo.revwalk() else {
        return found;
    };
    let _ = revs.set_sorting(Sort::TOPOLOGICAL | Sort::TIME);
    if revs.push(walk.head).is_err() {
        return found;
    }
    if let Some(b) = walk.base {
        let _ = revs.hide(b);
    }
    const SLACK: i64 = 86_400;
    for oid in revs.flatten() {
        let bound = open
            .iter()
            .map(|&i| wanted[i].since)
            .min()
            .unwrap_or(i64::MIN);
        let Ok(commit) = repo.find_commit(oid) else {
            continue;
        };
        if commit.time().seconds() < bound.saturating_sub(SLACK) {
            break;
        }
        let Ok(parent) = commit.parent(0) else {
            // A root commit adds; it removes nothing.
            continue;
        };
        let (Ok(new), Ok(old)) = (commit.tree(), parent.tree()) else {
            continue;
        };
        let mut opts = DiffOptions::new();
        opts.ignore_submodules(true);
        let Ok(diff) = repo.diff_tree_to_tree(Some(&old), Some(&new), Some(&mut opts)) else {
            continue;
        };
        let sides: Vec<(Oid, Oid)> = diff
            .deltas()
            .map(|d| {
                let old = d.old_file().id();
                let new = if d.status() == Delta::Deleted {
                    Oid::zero()
                } else {
                    d.new_file().id()
                };
                (old, new)
            })
            .collect();
        open.retain(|&i| {
            let w = &wanted[i];
            let holds = |id: Oid| {
                !id.is_zero()
                    && (w.blobs.contains(&id)
                        || (walk.search && blob_holds(repo, id, w.secret, walk.max_size)))
            };
            let drops = sides.iter().any(|&(o, _)| holds(o));
            let removed = drops && !sides.iter().any(|&(_, n)| holds(n));
            if removed {
                found[i] = Some(oid);
            }
            !removed
        });
        if open.is_empty() {
            break;
        }
    }
    found
}
