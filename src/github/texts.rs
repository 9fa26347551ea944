//! The prose of a repository (`--issues`): issue and pull-request titles and bodies, their
//! comments and pull-request review comments, each with the URL a report points at. People
//! paste credentials into bug reports and review threads as often as into code.
//!
//! Three listings per repository, whatever the number of issues: `GET /repos/O/N/issues`
//! (`state=all`; pull requests are issues there), `GET /repos/O/N/issues/comments` (comments on
//! both) and `GET /repos/O/N/pulls/comments` (review comments on diffs). A repository with
//! issues turned off answers 410 Gone: no texts, and no error either.
//!
//! Each listing can start from a point in time ([`Since`]): GitHub's `since` parameter returns
//! only what was created or edited (`updated_at`) at or after it. The point a listing is
//! complete up to is the server's own clock, the `Date` of the listing's first answer, less
//! [`OVERLAP_SECS`], so a text edited while the listing ran, or a clock a little off, is listed
//! again rather than missed. A listing cut short gives no point.

use super::client::Client;
use super::error::GithubError;
use super::repos::RepoName;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How far back of the server's clock a listing's point is set: what was edited while a
/// listing ran is listed again by the next run.
pub const OVERLAP_SECS: i64 = 5 * 60;

/// What a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

    /// The listing that gives texts of this kind.
    pub fn listing(self) -> TextListing {
        match self {
            TextKind::Issue | TextKind::PullRequest => TextListing::Issues,
            TextKind::Comment => TextListing::Comments,
            TextKind::ReviewComment => TextListing::ReviewComments,
        }
    }
}

/// One of the three listings of a repository's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextListing {
    /// `GET /repos/O/N/issues?state=all`: issues and pull requests.
    Issues,
    /// `GET /repos/O/N/issues/comments`.
    Comments,
    /// `GET /repos/O/N/pulls/comments`.
    ReviewComments,
}

impl TextListing {
    pub const ALL: [TextListing; 3] = [
        TextListing::Issues,
        TextListing::Comments,
        TextListing::ReviewComments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TextListing::Issues => "issues",
            TextListing::Comments => "issue comments",
            TextListing::ReviewComments => "review comments",
        }
    }
}

/// Where each listing starts: `YYYY-MM-DDTHH:MM:SSZ` as GitHub's `since` takes it; a listing
/// without one lists everything.
pub type Since = BTreeMap<TextListing, String>;

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
    /// Per listing that went to its end: the point a next run can list from (the server's
    /// clock at its first answer, less [`OVERLAP_SECS`]), `None` when the server gave no
    /// usable `Date` or the listing has nothing to give (issues turned off).
    pub complete: BTreeMap<TextListing, Option<String>>,
    /// The listings that were asked for everything (no `since`).
    pub whole: Vec<TextListing>,
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
    list_since(client, repo, &Since::new())
}

/// The texts of `repo` created or edited since each listing's point in `since` (everything,
/// for a listing without one).
pub fn list_since(client: &Client, repo: &RepoName, since: &Since) -> Texts {
    let mut out = Texts::default();
    let base = repo.api_path();
    for listing in TextListing::ALL {
        let path = match listing {
            TextListing::Issues => format!("{base}/issues?state=all"),
            TextListing::Comments => format!("{base}/issues/comments"),
            TextListing::ReviewComments => format!("{base}/pulls/comments"),
        };
        let path = match since.get(&listing) {
            Some(t) => {
                let sep = if path.contains('?') { '&' } else { '?' };
                format!("{path}{sep}since={t}")
            }
            None => {
                out.whole.push(listing);
                path
            }
        };
        let (error, date) = match listing {
            TextListing::Issues => {
                let listed = client.get_all::<Issue>(&path, listing.as_str());
                out.texts.extend(listed.items.into_iter().map(Issue::text));
                (listed.error, listed.date)
            }
            TextListing::Comments | TextListing::ReviewComments => {
                let kind = match listing {
                    TextListing::Comments => TextKind::Comment,
                    _ => TextKind::ReviewComment,
                };
                let listed = client.get_all::<Comment>(&path, listing.as_str());
                out.texts
                    .extend(listed.items.into_iter().map(|c| c.text(kind)));
                (listed.error, listed.date)
            }
        };
        match error {
            None => {
                let point = date
                    .as_deref()
                    .and_then(http_date)
                    .map(|t| crate::util::time::rfc3339(t - OVERLAP_SECS));
                out.complete.insert(listing, point);
            }
            Some(e) if disabled(&e) => {
                out.complete.insert(listing, None);
            }
            Some(e) => out.errors.push(e),
        }
    }
    out
}

impl Issue {
    fn text(self) -> Text {
        let kind = if self.pull_request.is_some() {
            TextKind::PullRequest
        } else {
            TextKind::Issue
        };
        Text {
            kind,
            url: self.html_url,
            author: self.user.map(|u| u.login),
            text: format!(
                "{}\n\n{}",
                self.title.unwrap_or_default(),
                self.body.unwrap_or_default()
            ),
        }
    }
}

impl Comment {
    fn text(self, kind: TextKind) -> Text {
        Text {
            kind,
            url: self.html_url,
            author: self.user.map(|u| u.login),
            text: self.body.unwrap_or_default(),
        }
    }
}

/// 410 Gone: the repository has issues turned off. Nothing to read, nothing wrong.
fn disabled(e: &GithubError) -> bool {
    e.status() == Some(410)
}

/// Seconds since the epoch of an HTTP date as servers send it (`Wed, 02 Dec 2026 17:54:27
/// GMT`, RFC 9110's IMF-fixdate, or the two obsolete forms it asks recipients to accept);
/// `None` for any other shape.
pub fn http_date(s: &str) -> Option<i64> {
    let t = httpdate::parse_http_date(s).ok()?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_read_as_servers_send_them() {
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            http_date("Sat, 29 Nov 2025 18:30:00 GMT"),
            Some(1_764_441_000)
        );
        assert_eq!(
            http_date("Tue, 29 Feb 2000 00:00:00 GMT"),
            Some(951_782_400)
        );
        let t = 1_780_000_123;
        let back = crate::util::time::rfc3339(t);
        assert_eq!(back, "2026-05-28T20:28:43Z");
        assert_eq!(http_date("Thu, 28 May 2026 20:28:43 GMT"), Some(t));
        // The obsolete forms RFC 9110 asks a recipient to accept: RFC 850's and asctime's.
        for old in [
            "Saturday, 29-Nov-25 18:30:00 GMT",
            "Sat Nov 29 18:30:00 2025",
        ] {
            assert_eq!(http_date(old), Some(1_764_441_000), "{old}");
        }
        for bad in [
            "",
            "Sat, 29 Nov 2025 18:30:00",
            "Sat, 29 Nov 2025 18:30:00 UTC",
            "Sat, 29 Foo 2025 18:30:00 GMT",
            "Sat, 29 Nov 2025 18:30 GMT",
            "Sat, 29 Nov 2025 25:30:00 GMT",
        ] {
            assert_eq!(http_date(bad), None, "{bad}");
        }
    }
}
