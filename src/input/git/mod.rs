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
pub(crate) mod head;
pub(crate) mod history;
pub(crate) mod read;
pub(crate) mod removal;

use super::InputError;
pub(crate) use crate::outcome::Revision;
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
    /// The commit the scan stands at: HEAD, or the head of a range.
    pub(crate) head: Option<Oid>,
    /// A range's base: what is behind it was not scanned.
    pub(crate) base: Option<Oid>,
}

/// Enumerate what `mode` asks for: the blobs to read, with their provenance.
pub(crate) fn survey(repo: &Repository, mode: &Mode) -> Result<Survey> {
    history::configure_libgit2();
    let head = || {
        repo.head()
            .and_then(|h| h.peel_to_commit())
            .ok()
            .map(|c| c.id())
    };
    Ok(match mode {
        Mode::History { unreachable } => Survey {
            head: head(),
            ..history::survey(repo, *unreachable)
        },
        Mode::Staged { all_content } => Survey {
            head: head(),
            ..changes::staged(repo, *all_content)?
        },
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
            Survey {
                head: Some(h),
                base: Some(b),
                ..changes::range(repo, b, h)?
            }
        }
    })
}

/// Which repository and commit a scan read, for reports: SARIF's `versionControlProvenance`,
/// links to files at that commit.
pub(crate) fn revision(repo: &Repository, head: Option<Oid>) -> Option<Revision> {
    let commit = head?.to_string();
    let branch = repo
        .head()
        .ok()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().map(str::to_string));
    let repository = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().and_then(remote_uri));
    Some(Revision {
        commit,
        branch,
        repository,
    })
}

/// A remote's URL as a URI without credentials: `https://user:token@host/o/n.git` loses its
/// user and password, scp-like `git@host:o/n.git` becomes `ssh://git@host/o/n.git`; anything
/// else (a local path) is `None`.
pub(crate) fn remote_uri(url: &str) -> Option<String> {
    let url = url.trim();
    if let Some((scheme, rest)) = url.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "https" | "http" | "ssh" | "git") {
            return None;
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let host = match authority.rsplit_once('@') {
            // The user of an ssh URL names no secret; an http one may be a token.
            Some((user, host)) if scheme == "ssh" && !user.contains(':') => {
                format!("{user}@{host}")
            }
            Some((_, host)) => host.to_string(),
            None => authority.to_string(),
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return None;
        }
        return Some(format!("{scheme}://{host}{path}"));
    }
    // scp-like: [user@]host:path, never with a slash before the colon.
    let (left, path) = url.split_once(':')?;
    if left.contains('/') || path.is_empty() || left.is_empty() {
        return None;
    }
    let (user, host) = match left.rsplit_once('@') {
        Some((u, h)) if !u.contains(':') => (Some(u), h),
        Some(_) => return None,
        None => (None, left),
    };
    let path = path.trim_start_matches('/');
    Some(match user {
        Some(u) => format!("ssh://{u}@{host}/{path}"),
        None => format!("ssh://{host}/{path}"),
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

#[cfg(test)]
mod tests {
    use super::remote_uri;

    #[test]
    fn remote_urls_lose_their_credentials() {
        assert_eq!(
            remote_uri("https://x-access-token:ghs_abc@github.com/acme/web.git").as_deref(),
            Some("https://github.com/acme/web.git")
        );
        assert_eq!(
            remote_uri("git@github.com:acme/web.git").as_deref(),
            Some("ssh://git@github.com/acme/web.git")
        );
        assert_eq!(
            remote_uri("ssh://git@host:22/o/n").as_deref(),
            Some("ssh://git@host:22/o/n")
        );
        assert_eq!(
            remote_uri("ssh://user:pw@host/o/n").as_deref(),
            Some("ssh://host/o/n")
        );
        assert_eq!(remote_uri("/srv/git/web.git"), None);
        assert_eq!(remote_uri("file:///srv/git/web.git"), None);
        assert_eq!(remote_uri("../web"), None);
    }
}
