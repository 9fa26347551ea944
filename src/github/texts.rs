//! The prose of a repository (`--issues`): issue and pull-request titles and bodies, their
//! comments and pull-request review comments, each with the URL a report points at. People
//! paste credentials into bug reports and review threads as often as into code.
//!
//! Three listings per repository, whatever the number of issues: `GET /repos/O/N/issues`
//! (`state=all`; pull requests are issues there), `GET /repos/O/N/issues/comments` (comments on
//! both) and `GET /repos/O/N/pulls/comments` (review comments on diffs). A repository with
//! issues turned off answers 410 Gone: no texts, and no error either.

use super::client::Client;
use super::error::GithubError;
use super::repos::RepoName;
use serde::Deserialize;

/// What a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TextKind {
    Issue,
    PullRequest,
    /// A comment on an issue or a pull request's conversation.
    Comment,
    /// A comment on a line of a pull request's diff.
    ReviewComment,
}

impl TextKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TextKind::Issue => "issue",
            TextKind::PullRequest => "pull-request",
            TextKind::Comment => "comment",
            TextKind::ReviewComment => "review-comment",
        }
    }
}

/// One text to scan. For issues and pull requests it is the title, a blank line and the body,
/// so line 1 is the title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub kind: TextKind,
    /// Where a person reads it (`https://github.com/o/n/issues/7#issuecomment-42`).
    pub url: String,
    pub author: Option<String>,
    pub text: String,
}

/// The texts of a repository, and the error that cut a listing short, if one did (the texts
/// listed before it are kept).
#[derive(Debug, Default)]
pub struct Texts {
    pub texts: Vec<Text>,
    pub errors: Vec<GithubError>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

#[derive(Deserialize)]
struct Issue {
    html_url: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    user: Option<User>,
    /// Present on pull requests.
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Comment {
    html_url: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    user: Option<User>,
}

/// Every issue, pull request, comment and review comment of `repo`.
pub fn list(client: &Client, repo: &RepoName) -> Texts {
    let mut out = Texts::default();
    let base = repo.api_path();
    let issues = client.get_all::<Issue>(&format!("{base}/issues?state=all"), "issues");
    for i in issues.items {
        let kind = if i.pull_request.is_some() {
            TextKind::PullRequest
        } else {
            TextKind::Issue
        };
        let text = format!(
            "{}\n\n{}",
            i.title.unwrap_or_default(),
            i.body.unwrap_or_default()
        );
        out.texts.push(Text {
            kind,
            url: i.html_url,
            author: i.user.map(|u| u.login),
            text,
        });
    }
    out.errors.extend(issues.error.filter(|e| !disabled(e)));
    for (path, kind, what) in [
        (
            format!("{base}/issues/comments"),
            TextKind::Comment,
            "issue comments",
        ),
        (
            format!("{base}/pulls/comments"),
            TextKind::ReviewComment,
            "review comments",
        ),
    ] {
        let listed = client.get_all::<Comment>(&path, what);
        out.texts.extend(listed.items.into_iter().map(|c| Text {
            kind,
            url: c.html_url,
            author: c.user.map(|u| u.login),
            text: c.body.unwrap_or_default(),
        }));
        out.errors.extend(listed.error.filter(|e| !disabled(e)));
    }
    out
}

/// 410 Gone: the repository has issues turned off. Nothing to read, nothing wrong.
fn disabled(e: &GithubError) -> bool {
    e.status() == Some(410)
}
