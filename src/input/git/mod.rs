//! Git inputs: the whole history (every blob reachable from any ref, each read once), what the
//! index is about to commit (`--staged`), and what a range of commits adds (`--range`, `--ci`).
//!
//! Enumeration ([`survey`]: which blobs, with which provenance) is single-threaded and reads
//! only commits and trees; the blobs are then read ([`read`]) and scanned in parallel, each
//! thread with its own repository handle. Provenance is recorded while enumerating, so
//! attribution ([`attribute`]) never costs a second pass over blob contents.

pub(crate) mod attribute;
pub(crate) mod changes;
pub(crate) mod ci;
pub(crate) mod history;
pub(crate) mod read;

use super::InputError;
use crate::util::time::rfc3339;
use anyhow::{anyhow, Result};
use git2::{Oid, Repository, RepositoryOpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What part of the history to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every blob reachable from any ref (and with `unreachable`, every other blob too).
    History { unreachable: bool },
    /// What `git commit` is about to record: the lines the index adds to HEAD (or whole
    /// staged files with `all_content`).
    Staged { all_content: bool },
    /// What the commits in `base..head` add; with `merge_base` (`base...head`), what the
    /// commits since the merge base of the two add; `ci` when the range came from a CI's
    /// environment (a missing base is then explained).
    Range {
        base: String,
        head: String,
        merge_base: bool,
        ci: bool,
    },
}

/// One blob to scan and what it stands for.
#[derive(Debug, Clone)]
pub(crate) struct BlobJob {
    pub(crate) oid: Oid,
    /// The commit that introduced it at `path`; none for the index or unreachable objects.
    pub(crate) commit: Option<Oid>,
    pub(crate) path: Option<Arc<str>>,
    /// Only these 1-based lines count (what a change adds); `None`: the whole blob counts.
    pub(crate) lines: Option<Arc<Vec<u32>>>,
    /// Secrets also in this blob (the version a change replaces) do not count: used for binary
    /// files, which have no lines to diff.
    pub(crate) minus: Option<Oid>,
}

impl BlobJob {
    pub(crate) fn whole(oid: Oid, commit: Option<Oid>, path: Option<Arc<str>>) -> BlobJob {
        BlobJob {
            oid,
            commit,
            path,
            lines: None,
            minus: None,
        }
    }
}

/// What an enumeration found besides blobs.
#[derive(Debug, Default)]
pub(crate) struct Survey {
    pub(crate) jobs: Vec<BlobJob>,
    pub(crate) commits: u64,
    pub(crate) refs: u64,
    /// Submodule paths met (gitlinks are not followed).
    pub(crate) submodules: Vec<String>,
    pub(crate) notes: Vec<String>,
    pub(crate) errors: Vec<InputError>,
}

/// Enumerate what `mode` asks for: the blobs to read, with their provenance.
pub(crate) fn survey(repo: &Repository, mode: &Mode) -> Result<Survey> {
    history::configure_libgit2();
    Ok(match mode {
        Mode::History { unreachable } => history::survey(repo, *unreachable),
        Mode::Staged { all_content } => changes::staged(repo, *all_content)?,
        Mode::Range {
            base,
            head,
            merge_base,
            ci,
        } => {
            let mut b = ci::resolve(repo, base, *ci)?;
            let h = ci::resolve(repo, head, *ci)?;
            if *merge_base {
                b = repo.merge_base(b, h).map_err(|e| {
                    anyhow!(
                        "--range {base}...{head}: {base} and {head} have no common ancestor ({})",
                        e.message()
                    )
                })?;
            }
            changes::range(repo, b, h)?
        }
    })
}

/// Open a repository (normal, bare or linked worktree), with a message that says what is wrong.
pub(crate) fn open(path: &Path) -> Result<Repository> {
    if !path.exists() {
        return Err(anyhow!("{}: no such file or directory", path.display()));
    }
    Repository::open_ext(
        path,
        RepositoryOpenFlags::empty(),
        std::iter::empty::<&std::ffi::OsStr>(),
    )
    .map_err(|e| {
        anyhow!(
            "{} is not a git repository (or cannot be opened: {})",
            path.display(),
            e.message()
        )
    })
}

/// The path worker threads open their own handles at: the git directory itself.
pub(crate) fn handle_path(repo: &Repository) -> PathBuf {
    repo.path().to_path_buf()
}

/// A git error in words for the report.
pub(crate) fn error(what: impl Into<String>, e: &git2::Error) -> InputError {
    InputError {
        path: what.into(),
        message: e.message().to_string(),
    }
}

/// A commit's author and date (RFC 3339, UTC) for a report.
pub(crate) fn commit_meta(repo: &Repository, oid: Oid) -> Option<(String, String)> {
    let c = repo.find_commit(oid).ok()?;
    let author = c.author();
    let who = match (author.name(), author.email()) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        (Some(n), None) => n.to_string(),
        (None, Some(e)) => format!("<{e}>"),
        (None, None) => String::new(),
    };
    Some((who, rfc3339(author.when().seconds())))
}
