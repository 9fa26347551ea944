//! What a commit's tree holds, searched for a few values the caller already knows: whether a
//! secret a range added is still at the range's head after later edits to its file, and
//! whether a value a commit is about to add is committed already elsewhere. A literal byte
//! search (memchr's `memmem`), not a scan: no rule runs here, and nothing is reported from it
//! but yes or no and a path. An archive is searched entry by entry, as the scan read it.

use crate::input::archive::{self, ArchiveEvent, ArchiveLimits, Input};
use git2::{ObjectType, Odb, OdbObject, Oid, Repository, TreeWalkMode, TreeWalkResult};
use memchr::memmem;

/// How blobs are read for a search: as the scan read them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading<'a> {
    /// A blob over this is not read.
    pub(crate) max_size: u64,
    /// How archives are opened; `None`: as raw bytes.
    pub(crate) archives: Option<&'a ArchiveLimits>,
}

/// Whether `data` holds `needle` as written, or, when it is an archive, one of its entries
/// does.
fn holds(data: &[u8], finder: &memmem::Finder<'_>, how: Reading<'_>) -> bool {
    if finder.find(data).is_some() {
        return true;
    }
    let Some(limits) = how.archives.filter(|_| archive::detect(data).is_some()) else {
        return false;
    };
    let mut found = false;
    archive::walk("", Input::Bytes(data), limits, &mut |e| {
        if let ArchiveEvent::Entry { bytes, .. } = e {
            found = found || finder.find(bytes).is_some();
        }
    });
    found
}

/// Whether the blob `oid` holds `needle` as written (a blob over the size limit is not read).
pub(crate) fn blob_holds(repo: &Repository, oid: Oid, needle: &[u8], how: Reading<'_>) -> bool {
    if needle.is_empty() {
        return false;
    }
    let Ok(odb) = repo.odb() else { return false };
    read_blob(&odb, oid, how).is_some_and(|o| bytes_hold(o.data(), needle, how))
}

/// The blob `oid` as a search reads it: `None` when it is not a blob, is over the size limit
/// or cannot be read.
pub(crate) fn read_blob<'o>(odb: &'o Odb<'_>, oid: Oid, how: Reading<'_>) -> Option<OdbObject<'o>> {
    if oid.is_zero() {
        return None;
    }
    match odb.read_header(oid) {
        Ok((size, ObjectType::Blob)) if size as u64 <= how.max_size => odb.read(oid).ok(),
        _ => None,
    }
}

/// Whether a blob's bytes hold `needle` as written (an archive's, in one of its entries).
pub(crate) fn bytes_hold(data: &[u8], needle: &[u8], how: Reading<'_>) -> bool {
    !needle.is_empty() && holds(data, &memmem::Finder::new(needle), how)
}

/// Whether `commit`'s tree has a file at `path` holding `needle` as written.
pub(crate) fn path_holds(
    repo: &Repository,
    commit: Oid,
    path: &str,
    needle: &[u8],
    how: Reading<'_>,
) -> bool {
    let entry = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .and_then(|t| t.get_path(std::path::Path::new(path)));
    match entry {
        Ok(e) if e.kind() == Some(ObjectType::Blob) => blob_holds(repo, e.id(), needle, how),
        _ => false,
    }
}

/// For each of `needles`, the first path of `commit`'s tree whose file holds it as written
/// (files over the size limit are not read). Reads every file of the tree once, stopping early when
/// every needle is placed.
pub(crate) fn find_in_tree(
    repo: &Repository,
    commit: Oid,
    needles: &[&[u8]],
    how: Reading<'_>,
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
        let small = matches!(odb.read_header(e.id()), Ok((size, _)) if size as u64 <= how.max_size);
        if !small {
            return TreeWalkResult::Ok;
        }
        let Ok(obj) = odb.read(e.id()) else {
            return TreeWalkResult::Ok;
        };
        for (i, f) in finders.iter().enumerate() {
            if found[i].is_none() && !needles[i].is_empty() && holds(obj.data(), f, how) {
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
