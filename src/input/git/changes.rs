//! What a change adds: the index against HEAD (`--staged`, for a pre-commit hook) or each
//! commit of a range against its parents (`--range`, for a pull request). Only added lines
//! count, so a secret already committed does not block an unrelated change; binary files,
//! which have no lines, count the secrets their new version has and their old one had not.

use super::{BlobJob, Survey};
use git2::{Delta, Diff, DiffOptions, Oid, Repository, Sort, Tree};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What the index would commit, against HEAD (or nothing, on an unborn branch).
pub(crate) fn staged(repo: &Repository, all_content: bool) -> anyhow::Result<Survey> {
    let index = repo
        .index()
        .map_err(|e| anyhow::anyhow!("cannot read the index: {}", e.message()))?;
    let head_tree = match repo.head() {
        Ok(h) => Some(
            h.peel_to_tree()
                .map_err(|e| anyhow::anyhow!("cannot read HEAD's tree: {}", e.message()))?,
        ),
        // An unborn branch: everything staged is new.
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            None
        }
        Err(e) => return Err(anyhow::anyhow!("cannot read HEAD: {}", e.message())),
    };
    let mut opts = diff_options();
    let diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .map_err(|e| anyhow::anyhow!("cannot diff the index against HEAD: {}", e.message()))?;
    Ok(Survey {
        jobs: jobs_from_diffs(&[diff], None, all_content),
        ..Survey::default()
    })
}

/// What the commits in `base..head` add (each against its parents).
pub(crate) fn range(repo: &Repository, base: Oid, head: Oid) -> anyhow::Result<Survey> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    walk.push(head)?;
    walk.hide(base)?;
    let mut s = Survey::default();
    for oid in walk {
        let oid = oid?;
        let commit = repo.find_commit(oid)?;
        s.commits += 1;
        let tree = commit.tree()?;
        let parents: Vec<Tree<'_>> = commit.parents().filter_map(|p| p.tree().ok()).collect();
        let mut diffs = Vec::new();
        if parents.is_empty() {
            diffs.push(repo.diff_tree_to_tree(None, Some(&tree), Some(&mut diff_options()))?);
        }
        for p in &parents {
            diffs.push(repo.diff_tree_to_tree(Some(p), Some(&tree), Some(&mut diff_options()))?);
        }
        s.jobs.extend(jobs_from_diffs(&diffs, Some(oid), false));
    }
    Ok(s)
}

fn diff_options() -> DiffOptions {
    let mut o = DiffOptions::new();
    o.context_lines(0)
        .include_typechange(true)
        .ignore_submodules(true);
    o
}

#[derive(Default)]
struct FileChange {
    new_blob: Option<Oid>,
    old_blob: Option<Oid>,
    binary: bool,
    /// Added lines against each parent (a merge counts only what is new against all of them).
    added: Vec<BTreeSet<u32>>,
}

/// One job per file the diffs add or change. With several diffs (a merge), a line counts only
/// when it is added against every parent.
fn jobs_from_diffs(diffs: &[Diff<'_>], commit: Option<Oid>, all_content: bool) -> Vec<BlobJob> {
    let files: RefCell<BTreeMap<String, FileChange>> = RefCell::new(BTreeMap::new());
    for (i, diff) in diffs.iter().enumerate() {
        collect_changes(diff, i, &files);
    }
    files
        .into_inner()
        .into_iter()
        .filter_map(|(path, f)| f.job(Arc::from(path), commit, all_content, diffs.len()))
        .collect()
}

/// Record, for diff number `i`, every file it adds or changes and the lines it adds.
fn collect_changes(diff: &Diff<'_>, i: usize, files: &RefCell<BTreeMap<String, FileChange>>) {
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let Some(path) = delta.new_file().path() else {
            continue;
        };
        let mut files = files.borrow_mut();
        let f = files
            .entry(path.to_string_lossy().into_owned())
            .or_default();
        f.new_blob = Some(delta.new_file().id());
        if delta.status() != Delta::Added && !delta.old_file().id().is_zero() {
            f.old_blob = Some(delta.old_file().id());
        }
        f.binary |= delta.flags().is_binary();
        while f.added.len() <= i {
            f.added.push(BTreeSet::new());
        }
    }
    let _ = diff.foreach(
        &mut |_, _| true,
        Some(&mut |delta, _| {
            if let Some(p) = delta.new_file().path() {
                if let Some(f) = files.borrow_mut().get_mut(&*p.to_string_lossy()) {
                    f.binary = true;
                }
            }
            true
        }),
        None,
        Some(&mut |delta, _, line| {
            if line.origin() == '+' {
                if let (Some(p), Some(n)) = (delta.new_file().path(), line.new_lineno()) {
                    if let Some(f) = files.borrow_mut().get_mut(&*p.to_string_lossy()) {
                        if let Some(set) = f.added.get_mut(i) {
                            set.insert(n);
                        }
                    }
                }
            }
            true
        }),
    );
}

impl FileChange {
    /// The job for a changed file at `path`, after `parents` diffs (one per parent): the whole
    /// blob, a binary blob less what its old version held, or the lines every diff adds.
    fn job(
        self,
        path: Arc<str>,
        commit: Option<Oid>,
        all_content: bool,
        parents: usize,
    ) -> Option<BlobJob> {
        let oid = self.new_blob?;
        // A file absent from some parent's diff is unchanged against it: nothing new there.
        let touched_by_all = self.added.len() == parents;
        if all_content {
            return Some(BlobJob::whole(oid, commit, Some(path)));
        }
        if self.binary {
            let mut j = BlobJob::whole(oid, commit, Some(path));
            j.minus = self.old_blob;
            return touched_by_all.then_some(j);
        }
        let mut sets = self.added.into_iter();
        let first = sets.next().unwrap_or_default();
        let lines: Vec<u32> = sets
            .fold(first, |acc, s| acc.intersection(&s).copied().collect())
            .into_iter()
            .collect();
        if !touched_by_all || lines.is_empty() {
            return None;
        }
        Some(BlobJob {
            oid,
            commit,
            path: Some(path),
            lines: Some(Arc::new(lines)),
            minus: None,
        })
    }
}
