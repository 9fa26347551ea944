//! Each repository as a bare mirror under the cache: fetched with git2 over HTTPS (plain HTTP
//! only on loopback, for tests; the HTTP itself is [`super::transport`], over reqwest and
//! rustls), incrementally: a re-run asks the server for what is new and
//! transfers nothing when nothing is.
//!
//! What is fetched: every branch and tag, and unless disabled the pull-request heads
//! (`refs/pull/N/head`): GitHub keeps them readable forever, even once the pull request is closed
//! and its branch deleted, so what was pushed there leaked. Refs that vanished upstream are
//! pruned; HEAD names the default branch, so a scan can tell what is still in it.
//!
//! Where the token goes: only to the git server that asks for it, as HTTP Basic auth
//! (`x-access-token`), by [`super::transport`] while this fetch runs, and only for a clone URL
//! on the API's own host ([`GithubConfig::allows_git_host`]) over HTTPS (or HTTP on loopback);
//! refused once, it is not sent again and the fetch fails. It is never in a URL, the mirror's config (the remote is anonymous: nothing is
//! written there), a ref, a log or an error message. Redirects are not followed.
//!
//! Layout: `CACHE/mirrors/HOST[_PORT]/owner/name.git`, lowercased (GitHub names are
//! case-insensitive). Callers hold the repository's lock ([`super::store::RepoLock`]) while
//! fetching: two audits sharing a cache never fetch into the same mirror at once, which is also
//! what makes removing a killed fetch's leftover `*.lock` files safe, and re-creating a mirror
//! a run killed while creating it left without `HEAD`.

use super::config::GithubConfig;
use super::repos::{Repo, RepoName};
use super::transport::{self, FetchContext};
use crate::util::io::io_message;
use git2::{AutotagOption, FetchOptions, FetchPrune, RemoteCallbacks, RemoteRedirect, Repository};
use reqwest::Url;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How to fetch.
#[derive(Debug, Clone)]
pub struct MirrorOptions {
    /// Also fetch `refs/pull/*/head`.
    pub pull_requests: bool,
    /// Give up a fetch that takes longer than this.
    pub deadline: Duration,
}

impl Default for MirrorOptions {
    fn default() -> MirrorOptions {
        MirrorOptions {
            pull_requests: true,
            deadline: Duration::from_secs(60 * 60),
        }
    }
}

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The bare mirror.
    pub path: PathBuf,
    /// The mirror did not exist before this fetch.
    pub created: bool,
    /// Objects and bytes the server sent (0 when nothing was new).
    pub received_objects: usize,
    pub received_bytes: usize,
    /// Refs created, moved or deleted.
    pub updated_refs: usize,
    /// Refs in the mirror after the fetch (0 for an empty repository).
    pub refs: usize,
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Not attempted: the clone URL is not one the token may go to, or not a URL.
    #[error("not fetched: {0}")]
    Refused(String),
    /// The server refused the credentials (or wanted some and there was no token).
    #[error("the git server refused access: {0}")]
    Auth(String),
    /// Longer than the deadline.
    #[error("the fetch took longer than {}s and was stopped", .0.as_secs())]
    Timeout(Duration),
    /// Anything else git said (not found, corrupt pack, connection).
    #[error("git: {0}")]
    Git(String),
    /// The cache could not be written.
    #[error("the cache: {0}")]
    Cache(String),
}

/// Where the mirror of `name` cloned from `clone_url` lives under `cache`.
pub fn mirror_path(cache: &Path, clone_url: &Url, name: &RepoName) -> PathBuf {
    let host = clone_url
        .host_str()
        .unwrap_or("unknown")
        .to_ascii_lowercase();
    let host = match clone_url.port() {
        Some(p) => format!("{host}_{p}"),
        None => host,
    };
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache
        .join("mirrors")
        .join(host)
        .join(name.owner.to_ascii_lowercase())
        .join(format!("{}.git", name.name.to_ascii_lowercase()))
}

/// The refspecs fetched.
pub fn refspecs(pull_requests: bool) -> Vec<&'static str> {
    let mut v = vec!["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];
    if pull_requests {
        v.push("+refs/pull/*/head:refs/pull/*/head");
    }
    v
}

/// Fetch `repo` into its mirror under `cache` (created on first use).
pub fn fetch(
    cache: &Path,
    cfg: &GithubConfig,
    repo: &Repo,
    opts: &MirrorOptions,
) -> Result<Fetched, FetchError> {
    transport::register();
    let name = repo
        .name()
        .map_err(|e| FetchError::Refused(format!("{e:#}")))?;
    let url = Url::parse(&repo.clone_url)
        .map_err(|_| FetchError::Refused(format!("{name}: the clone URL is not a URL")))?;
    if !cfg.allows_git_host(&url) {
        return Err(FetchError::Refused(format!(
            "{name}: the clone URL {} is not HTTPS on the GitHub host of {} (the token goes \
             nowhere else)",
            super::transport::redact_url(&url),
            cfg.api_url()
        )));
    }
    let path = mirror_path(cache, &url, &name);
    let (git, created) = open_or_create(&path)
        .map_err(|(what, e)| FetchError::Cache(format!("{what} {}: {e}", path.display())))?;
    if !opts.pull_requests {
        drop_pull_refs(&git);
    }

    let updated = Cell::new(0usize);
    let started = Instant::now();
    let timed_out = Cell::new(false);
    let ctx = FetchContext::new(cfg, started + opts.deadline);
    {
        let mut cb = RemoteCallbacks::new();
        cb.update_tips(|_, _, _| {
            updated.set(updated.get() + 1);
            true
        });
        cb.transfer_progress(|_| {
            if started.elapsed() > opts.deadline {
                timed_out.set(true);
                return false;
            }
            true
        });
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(cb)
            .prune(FetchPrune::On)
            .download_tags(AutotagOption::None)
            .follow_redirects(RemoteRedirect::None);
        let mut remote = git
            .remote_anonymous(url.as_str())
            .map_err(|e| FetchError::Git(e.message().to_string()))?;
        let specs = refspecs(opts.pull_requests);
        let result =
            transport::with_context(ctx.clone(), || remote.fetch(&specs, Some(&mut fo), None));
        let stats = remote.stats();
        let (received_objects, received_bytes) = (stats.received_objects(), stats.received_bytes());
        if let Err(e) = result {
            if timed_out.get() || ctx.timed_out() {
                return Err(FetchError::Timeout(opts.deadline));
            }
            if let Some(why) = ctx.refused() {
                return Err(FetchError::Auth(why));
            }
            let token_text = cfg.token.as_ref().map(|t| t.expose());
            return Err(FetchError::Git(super::error::scrub(
                e.message(),
                token_text,
            )));
        }
        if let Some(branch) = repo.default_branch.as_deref() {
            let r = format!("refs/heads/{branch}");
            if git.find_reference(&r).is_ok() {
                let _ = git.set_head(&r);
            }
        }
        let refs = git.references().map(|r| r.count()).unwrap_or(0);
        Ok(Fetched {
            path,
            created,
            received_objects,
            received_bytes,
            updated_refs: updated.get(),
            refs,
        })
    }
}

/// The mirror's refs and the commits they name: equal tips on the next run mean nothing
/// changed upstream ([`super::store::RepoState::unchanged`]).
pub fn tips(path: &Path) -> Result<BTreeMap<String, String>, FetchError> {
    let git = Repository::open_bare(path).map_err(|e| {
        FetchError::Cache(format!("cannot open {}: {}", path.display(), e.message()))
    })?;
    let refs = git
        .references()
        .map_err(|e| FetchError::Git(e.message().to_string()))?;
    Ok(refs
        .flatten()
        .filter_map(|r| Some((r.name()?.to_string(), r.target()?.to_string())))
        .collect())
}

/// Remove `refs/pull/*` left by an earlier fetch that included them.
fn drop_pull_refs(git: &Repository) {
    let Ok(refs) = git.references_glob("refs/pull/*") else {
        return;
    };
    let names: Vec<String> = refs
        .flatten()
        .filter_map(|r| r.name().map(str::to_string))
        .collect();
    for n in names {
        if let Ok(mut r) = git.find_reference(&n) {
            let _ = r.delete();
        }
    }
}

/// The mirror at `path`, opened, or created when it has no `HEAD` yet (then `true`). A
/// directory without `HEAD` is what a run killed while creating the mirror leaves (git writes
/// `config`, through `config.lock`, before `HEAD`): it holds nothing of value and is created
/// again from scratch. Lock files a killed fetch left in a whole mirror are removed first.
/// Only called while holding the repository's lock.
fn open_or_create(path: &Path) -> Result<(Repository, bool), (&'static str, String)> {
    if path.join("HEAD").exists() {
        clear_stale_locks(path);
        let git =
            Repository::open_bare(path).map_err(|e| ("cannot open", e.message().to_string()))?;
        return Ok((git, false));
    }
    if path.exists() {
        std::fs::remove_dir_all(path).map_err(|e| ("cannot clear", io_message(&e)))?;
    }
    std::fs::create_dir_all(path).map_err(|e| ("cannot create", io_message(&e)))?;
    let git =
        Repository::init_bare(path).map_err(|e| ("cannot create", e.message().to_string()))?;
    Ok((git, true))
}

/// Lock files a killed fetch left (`packed-refs.lock`, `refs/heads/x.lock`, `shallow.lock`).
/// Only called while holding the repository's lock, so no live fetch owns them.
fn clear_stale_locks(path: &Path) {
    for top in [
        "packed-refs.lock",
        "shallow.lock",
        "config.lock",
        "HEAD.lock",
    ] {
        let _ = std::fs::remove_file(path.join(top));
    }
    let mut stack = vec![path.join("refs")];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(_) if p.extension().is_some_and(|x| x == "lock") => {
                    let _ = std::fs::remove_file(&p);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run killed while creating a mirror leaves a directory with `config.lock` and no
    /// `HEAD`; the next run creates the mirror again instead of failing on the lock, and a
    /// whole mirror's leftover locks are removed when it is opened.
    #[test]
    fn a_mirror_a_killed_run_left_half_made_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acme").join("svc.git");
        std::fs::create_dir_all(path.join("objects")).unwrap();
        std::fs::write(path.join("config.lock"), "[core]\n").unwrap();
        std::fs::write(path.join("description"), "half made\n").unwrap();
        let (git, created) = open_or_create(&path).expect("made again");
        assert!(created && git.is_bare());
        assert!(path.join("HEAD").exists() && !path.join("config.lock").exists());
        drop(git);
        std::fs::write(path.join("config.lock"), "").unwrap();
        std::fs::write(path.join("packed-refs.lock"), "").unwrap();
        let (git, created) = open_or_create(&path).expect("opened");
        assert!(!created && git.is_bare());
        assert!(!path.join("config.lock").exists() && !path.join("packed-refs.lock").exists());
        // The mirror's config can be written again (what the failed run could not do).
        git.config().unwrap().set_str("upsweep.test", "1").unwrap();
    }

    #[test]
    fn mirrors_live_under_host_owner_name() {
        let n = RepoName::parse("Acme/Web").unwrap();
        let u = Url::parse("http://127.0.0.1:5000/git/Acme/Web.git").unwrap();
        assert_eq!(
            mirror_path(Path::new("/c"), &u, &n),
            PathBuf::from("/c/mirrors/127.0.0.1_5000/acme/web.git")
        );
        let u = Url::parse("https://github.com/acme/web.git").unwrap();
        assert_eq!(
            mirror_path(Path::new("/c"), &u, &n),
            PathBuf::from("/c/mirrors/github.com/acme/web.git")
        );
    }

    #[test]
    fn pull_request_heads_are_optional() {
        assert_eq!(refspecs(true).len(), 3);
        assert!(!refspecs(false).iter().any(|s| s.contains("pull")));
    }
}
