//! Which repositories an audit covers: every page of each organisation's and user's listing,
//! plus repositories named one by one, filtered as the user asked, each skipped one with its
//! reason and each target that could not be listed with why.
//!
//! - `--org NAME`: `GET /orgs/NAME/repos?type=all` (public, private and internal ones the token
//!   can read).
//! - `--user NAME`: the token's own user gets `GET /user/repos?affiliation=owner` (its private
//!   repositories too); any other user `GET /users/NAME/repos?type=owner` (public ones).
//! - `--repo OWNER/NAME`: `GET /repos/OWNER/NAME`. A repository named this way is audited even
//!   when it is a fork or archived (it was asked for by name); `--exclude` still applies.
//!
//! Forks are skipped unless `include_forks`; archived repositories are kept (their history still
//! leaks) unless `exclude_archived`; `exclude` globs match `owner/name` case-insensitively, `*`
//! staying within one segment (`acme/*-archive`, `*/test-*`). A repository listed by several
//! targets is audited once. Results are sorted by name, so every run and every shard sees the
//! same order.

use super::client::Client;
use super::error::GithubError;
use anyhow::{bail, Result};
use globset::{GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// `owner/name`, checked against GitHub's naming rules so it can go in a URL path as is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RepoName {
    pub owner: String,
    pub name: String,
}

impl RepoName {
    pub fn new(owner: &str, name: &str) -> Result<RepoName> {
        check_login(owner)?;
        check_repo(name)?;
        Ok(RepoName {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    /// `owner/name` (as `--repo` and `GITHUB_REPOSITORY` write it).
    pub fn parse(s: &str) -> Result<RepoName> {
        match s.trim().split_once('/') {
            Some((o, n)) => RepoName::new(o, n.trim_end_matches(".git")),
            None => bail!("{s:?} is not OWNER/NAME"),
        }
    }

    /// The API path of the repository: `/repos/owner/name`.
    pub fn api_path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// A user or organisation login: letters, digits and single hyphens, at most 39 characters
/// (GitHub Enterprise adds `_` for managed users, accepted too).
pub fn check_login(s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= 39
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        bail!("{s:?} is not a GitHub user or organisation name");
    }
    Ok(())
}

/// A repository name: letters, digits, `.`, `_`, `-`, at most 100 characters, not `.`/`..`.
pub fn check_repo(s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= 100
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        bail!("{s:?} is not a GitHub repository name");
    }
    Ok(())
}

/// What to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Org(String),
    User(String),
    Repo(RepoName),
}

impl Target {
    pub fn org(name: &str) -> Result<Target> {
        check_login(name)?;
        Ok(Target::Org(name.to_string()))
    }

    pub fn user(name: &str) -> Result<Target> {
        check_login(name)?;
        Ok(Target::User(name.to_string()))
    }

    pub fn repo(full: &str) -> Result<Target> {
        Ok(Target::Repo(RepoName::parse(full)?))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Org(o) => write!(f, "organisation {o}"),
            Target::User(u) => write!(f, "user {u}"),
            Target::Repo(r) => write!(f, "repository {r}"),
        }
    }
}

/// Which listed repositories to audit.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub include_forks: bool,
    pub exclude_archived: bool,
    /// Globs on `owner/name`.
    pub exclude: Vec<String>,
}

/// A repository as the API lists it (the fields upsweep uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repo {
    /// `owner/name`.
    pub full_name: String,
    pub private: bool,
    /// `public`, `private` or `internal` (absent on old GitHub Enterprise Server versions).
    #[serde(default)]
    pub visibility: Option<String>,
    pub fork: bool,
    #[serde(default)]
    pub archived: bool,
    /// The repository's page, the base of permalinks (`{html_url}/blob/COMMIT/PATH#LLINE`).
    pub html_url: String,
    /// What git fetches from.
    pub clone_url: String,
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Kilobytes; 0 for an empty repository (a hint: GitHub updates it lazily).
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub pushed_at: Option<String>,
}

impl Repo {
    /// The checked name, or why the API's `full_name` cannot be one.
    pub fn name(&self) -> Result<RepoName> {
        RepoName::parse(&self.full_name)
    }

    /// The GitHub permalink of a line: `{html_url}/blob/{commit}/{path}#L{line}`, the path
    /// percent-encoded segment by segment; of the whole file when `line` is `None` (an
    /// archive, whose lines are its entries').
    pub fn permalink(&self, commit: &str, path: &str, line: Option<u64>) -> String {
        permalink(&self.html_url, commit, path, line)
    }
}

/// The permalink of a line in the repository whose page is `html_url`:
/// `{html_url}/blob/{commit}/{path}#L{line}`, the path percent-encoded segment by segment; of
/// the whole file when `line` is `None`.
pub fn permalink(html_url: &str, commit: &str, path: &str, line: Option<u64>) -> String {
    let encoded: Vec<String> = path.split('/').map(encode_segment).collect();
    let anchor = line.map_or(String::new(), |l| format!("#L{l}"));
    format!(
        "{}/blob/{commit}/{}{anchor}",
        html_url.trim_end_matches('/'),
        encoded.join("/")
    )
}

fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Why a listed repository is not audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    Fork,
    Archived,
    /// Matched this `--exclude` glob.
    Excluded(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Fork => f.write_str("fork (audit forks with --include-forks)"),
            SkipReason::Archived => f.write_str("archived (--exclude-archived)"),
            SkipReason::Excluded(g) => write!(f, "excluded by --exclude {g}"),
        }
    }
}

/// A listed repository left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub repo: Repo,
    pub reason: SkipReason,
}

/// A target (or one named repository) that could not be listed, and why. Repositories a
/// partial listing did give are audited all the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFailure {
    /// `owner/name` for a named repository, else the target's login.
    pub name: String,
    pub target: Target,
    /// How many repositories this target's listing gave before it failed.
    pub listed: usize,
    pub error: GithubError,
}

impl ListFailure {
    /// The reason as a report shows it.
    pub fn reason(&self) -> String {
        if self.listed > 0 {
            format!(
                "listing {} stopped after {} repositories: {}",
                self.target, self.listed, self.error
            )
        } else {
            format!("{} could not be listed: {}", self.target, self.error)
        }
    }
}

/// What the listing gave.
#[derive(Debug, Default)]
pub struct Listing {
    /// To audit, sorted by `full_name`, each once.
    pub repos: Vec<Repo>,
    pub skipped: Vec<Skipped>,
    pub failed: Vec<ListFailure>,
}

impl Listing {
    /// Whether some listing failed because the run must stop asking GitHub (rate limit spent
    /// past `--max-wait`, token rejected).
    pub fn stopped(&self) -> Option<&GithubError> {
        self.failed
            .iter()
            .map(|f| &f.error)
            .find(|e| e.stops_the_run())
    }
}

/// The compiled `--exclude` globs.
struct Excludes {
    set: GlobSet,
    globs: Vec<String>,
}

impl Excludes {
    fn new(globs: &[String]) -> Result<Excludes> {
        let mut b = GlobSetBuilder::new();
        for g in globs {
            let glob = globset::GlobBuilder::new(g)
                .case_insensitive(true)
                .literal_separator(true)
                .build()
                .map_err(|e| anyhow::anyhow!("--exclude {g:?} is not a glob: {e}"))?;
            b.add(glob);
        }
        Ok(Excludes {
            set: b.build()?,
            globs: globs.to_vec(),
        })
    }

    fn matching(&self, full_name: &str) -> Option<&str> {
        self.set
            .matches(full_name)
            .first()
            .map(|&i| self.globs[i].as_str())
    }
}

/// Check the filters (a bad glob is an error before anything is sent).
pub fn check_filters(filters: &Filters) -> Result<()> {
    Excludes::new(&filters.exclude).map(|_| ())
}

/// List every target, all pages, and sort the repositories into audited and skipped.
pub fn list(client: &Client, targets: &[Target], filters: &Filters) -> Result<Listing> {
    let excludes = Excludes::new(&filters.exclude)?;
    let mut viewer: Option<Result<String, GithubError>> = None;
    // By lowercase full name: GitHub names are case-insensitive.
    let mut chosen: BTreeMap<String, (Repo, bool)> = BTreeMap::new();
    let mut failed = Vec::new();
    for target in targets {
        let (path, named) = match target {
            Target::Org(o) => (format!("/orgs/{o}/repos?type=all"), false),
            Target::User(u) => {
                let own = client.has_token()
                    && match viewer.get_or_insert_with(|| viewer_login(client)) {
                        Ok(login) => login.eq_ignore_ascii_case(u),
                        Err(_) => false,
                    };
                if own {
                    ("/user/repos?affiliation=owner".to_string(), false)
                } else {
                    (format!("/users/{u}/repos?type=owner"), false)
                }
            }
            Target::Repo(r) => (r.api_path(), true),
        };
        if named {
            match client.get_json::<Repo>(&path, "a repository") {
                Ok(repo) => {
                    chosen.insert(repo.full_name.to_ascii_lowercase(), (repo, true));
                }
                Err(error) => failed.push(ListFailure {
                    name: target_name(target),
                    target: target.clone(),
                    listed: 0,
                    error,
                }),
            }
            continue;
        }
        let listed = client.get_all::<Repo>(&path, "a repository listing");
        let n = listed.items.len();
        for repo in listed.items {
            chosen
                .entry(repo.full_name.to_ascii_lowercase())
                .or_insert((repo, false));
        }
        if let Some(error) = listed.error {
            failed.push(ListFailure {
                name: target_name(target),
                target: target.clone(),
                listed: n,
                error,
            });
        }
    }
    let mut out = Listing {
        failed,
        ..Listing::default()
    };
    for (_, (repo, named)) in chosen {
        let reason = if let Some(g) = excludes.matching(&repo.full_name) {
            Some(SkipReason::Excluded(g.to_string()))
        } else if named {
            None
        } else if repo.fork && !filters.include_forks {
            Some(SkipReason::Fork)
        } else if repo.archived && filters.exclude_archived {
            Some(SkipReason::Archived)
        } else {
            None
        };
        match reason {
            Some(reason) => out.skipped.push(Skipped { repo, reason }),
            None => out.repos.push(repo),
        }
    }
    Ok(out)
}

fn target_name(t: &Target) -> String {
    match t {
        Target::Org(n) | Target::User(n) => n.clone(),
        Target::Repo(r) => r.to_string(),
    }
}

/// The token's own login (`GET /user`).
pub fn viewer_login(client: &Client) -> Result<String, GithubError> {
    #[derive(Deserialize)]
    struct User {
        login: String,
    }
    client
        .get_json::<User>("/user", "the authenticated user")
        .map(|u| u.login)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_they_reach_a_url() {
        assert_eq!(
            RepoName::parse("acme/web.site").unwrap().api_path(),
            "/repos/acme/web.site"
        );
        assert_eq!(RepoName::parse("acme/api.git").unwrap().name, "api");
        for bad in [
            "acme", "acme/", "/x", "a/b/c", "acme/..", "ac me/x", "acme/x?y", "-a/x",
        ] {
            assert!(RepoName::parse(bad).is_err(), "{bad}");
        }
        assert!(Target::org("acme-corp").is_ok());
        assert!(Target::org("acme/corp").is_err());
    }

    #[test]
    fn excludes_match_owner_and_name_within_segments() {
        let e = Excludes::new(&["acme/*-archive".into(), "*/TEST-*".into()]).unwrap();
        assert_eq!(e.matching("acme/old-archive"), Some("acme/*-archive"));
        assert_eq!(e.matching("Acme/Old-Archive"), Some("acme/*-archive"));
        assert_eq!(e.matching("other/test-x"), Some("*/TEST-*"));
        assert_eq!(e.matching("acme/web"), None);
        assert!(Excludes::new(&["acme/[".into()]).is_err());
    }

    #[test]
    fn permalinks_encode_paths() {
        let r = Repo {
            full_name: "acme/web".into(),
            private: false,
            visibility: None,
            fork: false,
            archived: false,
            html_url: "https://github.com/acme/web".into(),
            clone_url: "https://github.com/acme/web.git".into(),
            default_branch: None,
            size: 1,
            pushed_at: None,
        };
        assert_eq!(
            r.permalink("abc123", "config/my env#1.txt", Some(7)),
            "https://github.com/acme/web/blob/abc123/config/my%20env%231.txt#L7"
        );
        assert_eq!(
            r.permalink("abc123", "dist/app.tgz", None),
            "https://github.com/acme/web/blob/abc123/dist/app.tgz"
        );
    }
}
