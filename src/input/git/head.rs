//! What a commit's tree holds, searched for a few values the caller already knows: whether a
//! secret a range added is still at the range's head after later edits to its file, and
//! whether a value a commit is about to add is committed already elsewhere. A literal byte
//! search (memchr's `memmem`), not a scan: no rule runs here, and nothing is reported from it
//! but yes or no and a path.

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use memchr::memmem;

/// Whether the blob `oid` holds `needle` as written (a blob over `max_size` is not read).
pub(crate) fn blob_holds(repo: &Repository, oid: Oid, needle: &[u8], max_size: u64) -> bool {
    if oid.is_zero() || needle.is_empty() {
        return false;
    }
    let Ok(odb) = repo.odb() else { return false };
    match odb.read_header(oid) {
        Ok((size, ObjectType::Blob)) if size as u64 <= max_size => {}
        _ => return false,
    }
    odb.read(oid)
        .map(|o| memmem::find(o.data(), needle).is_some())
        .unwrap_or(false)
}

/// Whether `commit`'s tree has a file at `path` holding `needle` as written.
pub(crate) fn path_holds(
    repo: &Repository,
    commit: Oid,
    path: &str,
    needle: &[u8],
    max_size: u64,
) -> bool {
    let entry = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .and_then(|t| t.get_path(std::path::Path::new(path)));
    match entry {
        Ok(e) if e.kind() == Some(ObjectType::Blob) => blob_holds(repo, e.id(), needle, max_size),
        _ => false,
    }
}

/// For each of `needles`, the first path of `commit`'s tree whose file holds it as written
/// (files over `max_size` are not read). Reads every file of the tree once, stopping early when
/// every needle is placed.
pub(crate) fn find_in_tree(
    repo: &Repository,
    commit: Oid,
    needles: &[&[u8]],
    max_size: u64,
) -> Vec<Option<String>> {
    let mut found: Vec<Option<String>> = vec![None; needles.len()];
    let (Ok(tree), Ok(odb)) = (repo.find_commit(commit).and_then(|c| c.tree()), repo.odb()) else {
        return found;
    };
    let finders: Vec<memmem::Finder<'_>> = needles.iter().map(memmem::Finder::new).collect();
    let _ = tree.walk(TreeWalkMode::PreOrder, |dir, e| {
        if e.kind() != Some(ObjectType::Blob) {
            return TreeWalkResult::Ok;
        }
        let small = matches!(odb.read_header(e.id()), Ok((size, _)) if size as u64 <= max_size);
        if !small {
            return TreeWalkResult::Ok;
        }
        let Ok(obj) = odb.read(e.id()) else {
            return TreeWalkResult::Ok;
        };
        for (i, f) in finders.iter().enumerate() {
            if found[i].is_none() && !needles[i].is_empty() && f.find(obj.data()).is_some() {
                found[i] = Some(format!("{dir}{}", e.name().unwrap_or("?")));
            }
        }
        if found.iter().all(Option::is_some) {
            TreeWalkResult::Abort
        } else {
            TreeWalkResult::Ok
        }
    });
    found
}
