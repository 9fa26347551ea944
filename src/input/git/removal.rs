//! Where a secret left the tree: for a finding HEAD no longer holds, the commit that took it
//! out ("removed in abc1234, still in history").
//!
//! The quick way, tried first ([`bisect`]): along HEAD's first-parent line, the commits from
//! the one that brought the secret in (the commit that introduced it, or the merge that brought
//! it over) up to the removal hold it at one of its paths, and the newer ones do not; a binary
//! search over that line finds the boundary with a few path lookups, and one diff at the
//! boundary checks that the secret was not merely moved to another path. When that cannot
//! answer (a move, a line the search cannot bound), the history from HEAD (or a range's head)
//! is walked newest first ([`removals`]), each commit diffed against its first parent without
//! reading file contents; the first commit whose diff drops a blob holding the secret and adds
//! none is the one. A rename drops and adds the same blob, so it is not taken for a removal.
//! On a 2,000-commit history the walk costs as much as the scan itself, the search a few
//! milliseconds.
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

use super::head::{blob_holds, bytes_hold, read_blob, Reading};
use git2::{Delta, DiffOptions, ObjectType, Odb, OdbObject, Oid, Repository, Sort};
use std::collections::HashSet;

/// A finding to place: the blobs known to hold it, the secret as written, and when its
/// oldest location was committed (Unix seconds).
pub(crate) struct Wanted<'a> {
    pub(crate) blobs: HashSet<Oid>,
    /// The paths it was seen at, and the commit that introduced it.
    pub(crate) paths: Vec<String>,
    pub(crate) introduced: Option<Oid>,
    pub(crate) secret: &'a [u8],
    pub(crate) since: i64,
}

/// How the walk reads.
pub(crate) struct Walk<'a> {
    pub(crate) head: Oid,
    pub(crate) base: Option<Oid>,
    /// Search blobs not in a finding's set for the secret as written (range scans).
    pub(crate) search: bool,
    pub(crate) reading: Reading<'a>,
}

/// The removing commit of each of `wanted`, in order (`None`: not found on HEAD's side).
pub(crate) fn removals(
    repo: &Repository,
    walk: &Walk<'_>,
    wanted: &[&Wanted<'_>],
) -> Vec<Option<Oid>> {
    let mut found: Vec<Option<Oid>> = vec![None; wanted.len()];
    let mut open: Vec<usize> = (0..wanted.len()).collect();
    if open.is_empty() {
        return found;
    }
    let Ok(mut revs) = repo.revwalk() else {
        return found;
    };
    let odb = repo.odb().ok();
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
        // Which findings the commit drops a blob of, then which of those it adds one of again.
        let drops = any_holds(&odb, walk, wanted, &open, sides.iter().map(|s| s.0), None);
        let adds = any_holds(
            &odb,
            walk,
            wanted,
            &open,
            sides.iter().map(|s| s.1),
            Some(&drops),
        );
        let mut still = Vec::with_capacity(open.len());
        for (k, &i) in open.iter().enumerate() {
            if drops[k] && !adds[k] {
                found[i] = Some(oid);
            } else {
                still.push(i);
            }
        }
        open = still;
        if open.is_empty() {
            break;
        }
    }
    found
}

/// For each of `open` (those `only` marks, when given), whether one of `ids` holds it: a blob
/// of its set, or, when the walk searches, a blob whose bytes hold its secret. Each blob is
/// read at most once, and only when a finding still needs it searched.
fn any_holds(
    odb: &Option<Odb<'_>>,
    walk: &Walk<'_>,
    wanted: &[&Wanted<'_>],
    open: &[usize],
    ids: impl Iterator<Item = Oid>,
    only: Option<&[bool]>,
) -> Vec<bool> {
    let mut held = vec![false; open.len()];
    for id in ids.filter(|id| !id.is_zero()) {
        let mut data: Option<Option<OdbObject<'_>>> = None;
        for (k, &i) in open.iter().enumerate() {
            if held[k] || only.is_some_and(|o| !o[k]) {
                continue;
            }
            let w = wanted[i];
            held[k] = w.blobs.contains(&id)
                || (walk.search
                    && data
                        .get_or_insert_with(|| {
                            odb.as_ref().and_then(|o| read_blob(o, id, walk.reading))
                        })
                        .as_ref()
                        .is_some_and(|o| bytes_hold(o.data(), w.secret, walk.reading)));
        }
    }
    held
}

/// HEAD's first-parent line, newest first, down to (not including) `walk.base`.
pub(crate) fn first_parents(repo: &Repository, walk: &Walk<'_>) -> Vec<Oid> {
    let mut line = Vec::new();
    let mut at = repo.find_commit(walk.head).ok();
    while let Some(c) = at {
        if Some(c.id()) == walk.base {
            break;
        }
        line.push(c.id());
        at = c.parent(0).ok();
    }
    line
}

/// The removing commit of `w` by binary search over `line` (newest first, `line[0]` the head,
/// which does not hold it): `Some(Some(c))` found, `Some(None)` the secret never was on HEAD's
/// side of the history (no commit there removed it), `None` the search cannot tell (then walk).
pub(crate) fn bisect(
    repo: &Repository,
    line: &[Oid],
    walk: &Walk<'_>,
    w: &Wanted<'_>,
) -> Option<Option<Oid>> {
    let intro = w.introduced?;
    let brings =
        |i: usize| line[i] == intro || repo.graph_descendant_of(line[i], intro).unwrap_or(false);
    if line.is_empty() {
        return None;
    }
    if !brings(0) {
        return Some(None);
    }
    // The oldest commit of the line that has the introducing commit in its history.
    let (mut yes, mut no) = (0usize, line.len());
    while no - yes > 1 {
        let mid = yes + (no - yes) / 2;
        if brings(mid) {
            yes = mid;
        } else {
            no = mid;
        }
    }
    let holds_blob = |id: Oid| {
        w.blobs.contains(&id) || (walk.search && blob_holds(repo, id, w.secret, walk.reading))
    };
    let holds = |i: usize| {
        let Ok(tree) = repo.find_commit(line[i]).and_then(|c| c.tree()) else {
            return false;
        };
        w.paths.iter().any(|p| {
            tree.get_path(std::path::Path::new(p))
                .is_ok_and(|e| e.kind() == Some(ObjectType::Blob) && holds_blob(e.id()))
        })
    };
    // Between the head (does not hold) and that commit (holds): the newest commit that holds.
    let (mut gone, mut held) = (0usize, yes);
    if held == 0 || !holds(held) {
        return None;
    }
    while held - gone > 1 {
        let mid = gone + (held - gone) / 2;
        if holds(mid) {
            held = mid;
        } else {
            gone = mid;
        }
    }
    // line[gone] drops it: check it did not only move it.
    let (child, parent) = (
        repo.find_commit(line[gone]).ok()?,
        repo.find_commit(line[held]).ok()?,
    );
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(true);
    let diff = repo
        .diff_tree_to_tree(
            Some(&parent.tree().ok()?),
            Some(&child.tree().ok()?),
            Some(&mut opts),
        )
        .ok()?;
    let moved = diff
        .deltas()
        .any(|d| d.status() != Delta::Deleted && holds_blob(d.new_file().id()));
    (!moved).then_some(Some(line[gone]))
}
