//! An emulator of the parts of GitHub upsweep talks to, for tests: the REST API (repository
//! listings, issues and comments, pull-request comments) and git's smart HTTP protocol for
//! fetches, on one axum server on 127.0.0.1:0.
//!
//! - REST (`server.rs`): `GET /orgs/{org}/repos`, `/users/{user}/repos`, `/user/repos`
//!   (`affiliation`), `/user`, `/repos/{o}/{n}`, issues, issue comments, review comments, a
//!   pull request's comments (create, list, update). Pagination as GitHub does it: `per_page`
//!   (default 30, at most 100), `page`, and a `Link` header with `next`/`last`/`prev`/`first`.
//!   Visibility: private and internal repositories only for a token that can read them; a
//!   deleted repository is still listed (a listing races a deletion) but 404s after.
//! - Requests without a `User-Agent` get 403, as on GitHub.
//! - Tokens: `Authorization: Bearer T` or `token T`; a wrong one gets 401 `Bad credentials`;
//!   a read-only one (a fork's pull request) gets 403 on writes.
//! - Rate limits: every answer carries `x-ratelimit-*`; with [`Rate`] set, requests spend it and
//!   a spent limit answers 403 with `x-ratelimit-remaining: 0` until `x-ratelimit-reset`.
//!   Faults ([`FaultKind`]) add secondary limits (403/429 with or without `Retry-After`) and
//!   any status, for chosen paths and a number of times.
//! - git (`git.rs`): `/git/{owner}/{name}.git/...` runs the real `git http-backend` as CGI over
//!   bare repositories the test builds ([`Emulator::commit`]); it requires a valid token as HTTP
//!   Basic auth (401 with `WWW-Authenticate: Basic` otherwise) and logs what arrived.
//! - Issues and comments carry `updated_at`; their listings take `since`
//!   (`YYYY-MM-DDTHH:MM:SSZ`: only what was updated at or after it; anything else 422), as
//!   GitHub documents. Every answer has a `Date` header. Both read the emulator's clock, real
//!   time moved by [`World::advance`], so a test can make texts older than a run's overlap.
//! - Every request is logged ([`Emulator::requests`] with the size of each answer's body,
//!   [`Emulator::git_requests`]).

#![allow(dead_code)]

mod git;
mod server;

use axum::Router;
use git2::{build::TreeUpdateBuilder, FileMode, Oid, Repository, Signature, Time};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// A repository as GitHub knows it.
#[derive(Debug, Clone)]
pub struct GhRepo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub private: bool,
    /// Visible to every member of its organisation (GitHub Enterprise).
    pub internal: bool,
    pub fork: bool,
    pub archived: bool,
    /// Listed, but 404 on every other request (deleted after the listing was made).
    pub deleted: bool,
    pub default_branch: String,
    /// Logins with access besides the owner and its organisation's members.
    pub collaborators: Vec<String>,
}

impl GhRepo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// An issue or a pull request.
#[derive(Debug, Clone)]
pub struct GhIssue {
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub pull_request: bool,
    pub user: String,
    /// Unix seconds on the emulator's clock: created or last edited.
    pub updated_at: u64,
}

/// An issue comment (or a review comment on a pull request's diff).
#[derive(Debug, Clone)]
pub struct GhComment {
    pub id: u64,
    pub repo: String,
    pub number: u64,
    pub body: String,
    pub user: String,
    pub review: bool,
    /// Unix seconds on the emulator's clock: created or last edited.
    pub updated_at: u64,
}

/// A token and whose it is.
#[derive(Debug, Clone)]
pub struct GhToken {
    pub token: String,
    pub login: String,
    /// Writes answer 403 "Resource not accessible by integration".
    pub read_only: bool,
}

/// The primary rate limit.
#[derive(Debug, Clone)]
pub struct Rate {
    pub limit: u64,
    pub remaining: u64,
    /// Unix seconds.
    pub reset: u64,
    /// Seconds from a reset to the next.
    pub window: u64,
}

/// What a fault does.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// This status and `{"message": ..}`.
    Status(u16, String),
    /// A secondary limit: 403 or 429, `Retry-After` when given, GitHub's message.
    Secondary {
        status: u16,
        retry_after: Option<u64>,
    },
    /// The primary limit, spent until `reset_in` seconds from now.
    Primary { reset_in: u64 },
    /// `302 Found` to this location.
    Redirect(String),
}

/// A fault for requests whose path starts with `path`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub path: String,
    pub method: Option<String>,
    /// Only requests whose query contains this (`page=2`).
    pub query: Option<String>,
    pub kind: FaultKind,
    pub remaining: Option<usize>,
}

impl Fault {
    pub fn new(path: &str, kind: FaultKind) -> Fault {
        Fault {
            path: path.to_string(),
            method: None,
            query: None,
            kind,
            remaining: None,
        }
    }

    pub fn times(mut self, n: usize) -> Fault {
        self.remaining = Some(n);
        self
    }

    pub fn method(mut self, m: &str) -> Fault {
        self.method = Some(m.to_string());
        self
    }

    pub fn query(mut self, q: &str) -> Fault {
        self.query = Some(q.to_string());
        self
    }
}

/// One API request.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub authorization: Option<String>,
    pub status: u16,
    /// The request body (writes).
    pub body: String,
    /// The size of the answer's body, in bytes.
    pub answer_bytes: usize,
}

/// One git request.
#[derive(Debug, Clone)]
pub struct GitLogged {
    pub method: String,
    /// Path and query, from `/git/`.
    pub path: String,
    /// The raw `Authorization` header.
    pub authorization: Option<String>,
    /// Basic auth as it arrived, decoded.
    pub user: Option<String>,
    pub password: Option<String>,
    pub status: u16,
}

/// Everything the emulator knows.
pub struct World {
    pub tokens: Vec<GhToken>,
    /// Organisation name -> member logins.
    pub orgs: Vec<(String, Vec<String>)>,
    pub users: Vec<String>,
    pub repos: Vec<GhRepo>,
    pub issues: Vec<GhIssue>,
    pub comments: Vec<GhComment>,
    pub rate: Option<Rate>,
    pub faults: Vec<Fault>,
    /// Base of `Link` URLs instead of this server's (tests of links to elsewhere).
    pub link_base: Option<String>,
    /// git: whether public repositories need the token too (GitHub's do not; the default here
    /// is yes, so every fetch exercises the credential path).
    pub git_auth_public: bool,
    pub log: Vec<Logged>,
    pub git_log: Vec<GitLogged>,
    /// Where the bare repositories live: `ROOT/owner/name.git`.
    pub git_root: PathBuf,
    next_id: u64,
    /// Seconds the emulator's clock is ahead of real time.
    clock_offset: u64,
}

impl World {
    pub fn new(git_root: &Path) -> World {
        World {
            tokens: Vec::new(),
            orgs: Vec::new(),
            users: Vec::new(),
            repos: Vec::new(),
            issues: Vec::new(),
            comments: Vec::new(),
            rate: None,
            faults: Vec::new(),
            link_base: None,
            git_auth_public: true,
            log: Vec::new(),
            git_log: Vec::new(),
            git_root: git_root.to_path_buf(),
            next_id: 1000,
            clock_offset: 0,
        }
    }

    /// The emulator's clock, in Unix seconds.
    pub fn now(&self) -> u64 {
        now_secs() + self.clock_offset
    }

    /// Move the emulator's clock `secs` ahead.
    pub fn advance(&mut self, secs: u64) {
        self.clock_offset += secs;
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn user(&mut self, login: &str) {
        self.users.push(login.to_string());
    }

    pub fn org(&mut self, name: &str, members: &[&str]) {
        self.orgs.push((
            name.to_string(),
            members.iter().map(|m| m.to_string()).collect(),
        ));
    }

    pub fn token(&mut self, token: &str, login: &str, read_only: bool) {
        self.tokens.push(GhToken {
            token: token.to_string(),
            login: login.to_string(),
            read_only,
        });
    }

    /// A public repository with a bare git repository behind it (no commits yet: empty).
    pub fn repo(&mut self, owner: &str, name: &str) -> &mut GhRepo {
        let id = self.next_id();
        let dir = self.git_root.join(owner).join(format!("{name}.git"));
        std::fs::create_dir_all(&dir).expect("git dir");
        Repository::init_bare(&dir).expect("bare repository");
        self.repos.push(GhRepo {
            id,
            owner: owner.to_string(),
            name: name.to_string(),
            private: false,
            internal: false,
            fork: false,
            archived: false,
            deleted: false,
            default_branch: "main".to_string(),
            collaborators: Vec::new(),
        });
        self.repos.last_mut().expect("just pushed")
    }

    pub fn find_repo(&self, full: &str) -> Option<&GhRepo> {
        self.repos
            .iter()
            .find(|r| r.full_name().eq_ignore_ascii_case(full))
    }

    pub fn issue(&mut self, repo: &str, title: &str, body: &str, pull_request: bool) -> u64 {
        let number = self.issues.iter().filter(|i| i.repo == repo).count() as u64 + 1;
        self.issues.push(GhIssue {
            repo: repo.to_string(),
            number,
            title: title.to_string(),
            body: Some(body.to_string()),
            pull_request,
            user: "octocat".to_string(),
            updated_at: self.now(),
        });
        number
    }

    /// Give issue `number` of `repo` a new body, edited now.
    pub fn edit_issue(&mut self, repo: &str, number: u64, body: &str) {
        let now = self.now();
        let i = self
            .issues
            .iter_mut()
            .find(|i| i.repo == repo && i.number == number)
            .expect("the issue exists");
        i.body = Some(body.to_string());
        i.updated_at = now;
    }

    /// Give comment `id` a new body, edited now.
    pub fn edit_comment(&mut self, id: u64, body: &str) {
        let now = self.now();
        let c = self
            .comments
            .iter_mut()
            .find(|c| c.id == id)
            .expect("the comment exists");
        c.body = body.to_string();
        c.updated_at = now;
    }

    pub fn comment(&mut self, repo: &str, number: u64, body: &str, review: bool) -> u64 {
        let id = self.next_id();
        self.comments.push(GhComment {
            id,
            repo: repo.to_string(),
            number,
            body: body.to_string(),
            user: "octocat".to_string(),
            review,
            updated_at: self.now(),
        });
        id
    }

    pub(crate) fn take_fault(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
    ) -> Option<FaultKind> {
        let f = self.faults.iter_mut().find(|f| {
            path.starts_with(&f.path)
                && f.query.as_deref().is_none_or(|q| query.contains(q))
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.remaining != Some(0)
        })?;
        if let Some(n) = &mut f.remaining {
            *n -= 1;
        }
        Some(f.kind.clone())
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso8601(secs: u64) -> String {
    let (y, m, d, hh, mm, ss) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// Unix seconds as an HTTP date (`Wed, 02 Dec 2026 17:54:27 GMT`).
pub fn http_date(secs: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// `YYYY-MM-DDTHH:MM:SSZ` as Unix seconds.
pub fn parse_iso8601(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let (era, yoe) = (y / 400, y % 400);
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Year, month, day, hour, minute, second of Unix seconds (civil from days).
fn civil(secs: u64) -> (u64, u64, u64, u64, u64, u64) {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
}

type Shared = Arc<Mutex<World>>;

/// The running emulator. Dropping it stops the server.
pub struct Emulator {
    pub addr: SocketAddr,
    world: Shared,
    rt: Option<tokio::runtime::Runtime>,
    _git_root: Option<tempfile::TempDir>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl Emulator {
    /// A world whose bare repositories live in a temporary directory of the emulator's.
    pub fn new_world() -> (World, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        (World::new(dir.path()), dir)
    }

    /// Serve `world` (its git repositories in `git_root`, kept until the emulator drops).
    pub fn start(world: World, git_root: tempfile::TempDir) -> Emulator {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("emulator runtime");
        let listener = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let world: Shared = Arc::new(Mutex::new(world));
        let app = Router::new()
            .fallback(server::handle)
            .with_state(server::State {
                world: world.clone(),
                base: format!("http://{addr}"),
            });
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Emulator {
            addr,
            world,
            rt: Some(rt),
            _git_root: Some(git_root),
        }
    }

    /// The API base to configure upsweep with.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn fault(&self, f: Fault) {
        self.world().faults.push(f);
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.world().log.clone()
    }

    pub fn git_requests(&self) -> Vec<GitLogged> {
        self.world().git_log.clone()
    }

    pub fn clear_logs(&self) {
        let mut w = self.world();
        w.log.clear();
        w.git_log.clear();
    }

    /// The bare repository behind `full` (`owner/name`).
    pub fn git_dir(&self, full: &str) -> PathBuf {
        let (o, n) = full.split_once('/').expect("owner/name");
        self.world().git_root.join(o).join(format!("{n}.git"))
    }

    /// Commit `files` (path, contents) on top of `refname` (created if missing) in `full`'s
    /// repository; returns the commit.
    pub fn commit(&self, full: &str, refname: &str, files: &[(&str, &str)], message: &str) -> Oid {
        commit_files(&self.git_dir(full), refname, files, message)
    }

    /// [`Emulator::commit`] with contents as bytes (an archive, a binary file).
    pub fn commit_bytes(
        &self,
        full: &str,
        refname: &str,
        files: &[(&str, &[u8])],
        message: &str,
    ) -> Oid {
        commit_blobs(&self.git_dir(full), refname, files, message)
    }

    /// Point `refname` (`refs/pull/7/head`) at `commit` in `full`'s repository.
    pub fn set_ref(&self, full: &str, refname: &str, commit: Oid) {
        let repo = Repository::open_bare(self.git_dir(full)).expect("open bare");
        repo.reference(refname, commit, true, "test").expect("ref");
    }

    /// Delete `refname` in `full`'s repository.
    pub fn delete_ref(&self, full: &str, refname: &str) {
        let repo = Repository::open_bare(self.git_dir(full)).expect("open bare");
        repo.find_reference(refname)
            .expect("ref exists")
            .delete()
            .expect("delete ref");
    }
}

/// Commit `files` on top of `refname` in the bare repository at `dir`, with a fixed author and
/// a clock that moves a minute per commit (ids are the same on every run).
pub fn commit_files(dir: &Path, refname: &str, files: &[(&str, &str)], message: &str) -> Oid {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (*p, c.as_bytes())).collect();
    commit_blobs(dir, refname, &bytes, message)
}

/// [`commit_files`] with contents as bytes.
pub fn commit_blobs(dir: &Path, refname: &str, files: &[(&str, &[u8])], message: &str) -> Oid {
    let repo = Repository::open_bare(dir).expect("open bare");
    let parent = repo
        .find_reference(refname)
        .ok()
        .and_then(|r| r.peel_to_commit().ok());
    let base = match &parent {
        Some(c) => c.tree().expect("tree"),
        None => {
            let empty = repo
                .treebuilder(None)
                .expect("tb")
                .write()
                .expect("empty tree");
            repo.find_tree(empty).expect("empty tree")
        }
    };
    let mut up = TreeUpdateBuilder::new();
    for (path, contents) in files {
        let blob = repo.blob(contents).expect("blob");
        up.upsert(*path, blob, FileMode::Blob);
    }
    let tree_id = up.create_updated(&repo, &base).expect("tree");
    let tree = repo.find_tree(tree_id).expect("tree");
    let secs = parent
        .as_ref()
        .map_or(1_700_000_000, |p| p.time().seconds() + 60);
    let when = Time::new(secs, 0);
    let sig = Signature::new("Dev", "dev@example.com", &when).expect("signature");
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some(refname), &sig, &sig, message, &tree, &parents)
        .expect("commit")
}

/// How many refs `owner/name`'s bare repository has (0: an empty repository).
pub fn ref_count(git_root: &Path, owner: &str, name: &str) -> usize {
    Repository::open_bare(git_root.join(owner).join(format!("{name}.git")))
        .ok()
        .and_then(|r| r.references().ok().map(|refs| refs.count()))
        .unwrap_or(0)
}
