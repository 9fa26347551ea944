//! The pull-request comment: one comment per pull request, kept current across pushes. The
//! comment carries a hidden marker (an HTML comment GitHub does not render); a re-run finds it
//! among the pull request's comments, on whichever page it is, and edits it instead of adding
//! another.
//!
//! Writing the comment is best effort for the caller: a fork's pull request gets a read-only
//! token (403) and any API failure comes back as a [`GithubError`] the caller turns into a
//! notice, never into a different exit code. The body is the caller's: it must never hold a
//! secret (redacted previews only).

use super::client::Client;
use super::error::GithubError;
use super::repos::RepoName;
use serde::Deserialize;
use serde_json::json;

/// The marker upsweep's pull-request comment carries.
pub const PR_COMMENT_MARKER: &str = "<!-- upsweep:pull-request-comment -->";

/// What the upsert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upserted {
    Created {
        id: u64,
        url: String,
    },
    Updated {
        id: u64,
        url: String,
    },
    /// The comment already said exactly this: nothing was sent.
    Unchanged {
        id: u64,
        url: String,
    },
}

impl Upserted {
    pub fn url(&self) -> &str {
        match self {
            Upserted::Created { url, .. }
            | Upserted::Updated { url, .. }
            | Upserted::Unchanged { url, .. } => url,
        }
    }
}

/// The pull request a CI run is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub repo: RepoName,
    pub number: u64,
    /// The head commit, when the event says (links in the comment point at it).
    pub head_sha: Option<String>,
}

impl PullRequest {
    /// From GitHub Actions' environment: `GITHUB_REPOSITORY`, and the number from `number`
    /// (`--pr`), else the event file (`GITHUB_EVENT_PATH`, `pull_request.number`), else
    /// `GITHUB_REF` (`refs/pull/N/merge`).
    pub fn from_env(number: Option<u64>) -> anyhow::Result<PullRequest> {
        Self::from_lookup(
            number,
            |k| std::env::var(k).ok(),
            |p| std::fs::read_to_string(p).ok(),
        )
    }

    /// [`PullRequest::from_env`] over any variable lookup and file reader (tests).
    pub fn from_lookup(
        number: Option<u64>,
        get: impl Fn(&str) -> Option<String>,
        read: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<PullRequest> {
        use anyhow::{anyhow, Context as _};
        let repo = get("GITHUB_REPOSITORY")
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                anyhow!(
                    "GITHUB_REPOSITORY is not set (owner/name of the pull request's repository)"
                )
            })?;
        let repo = RepoName::parse(&repo).context("GITHUB_REPOSITORY")?;
        let event: Option<serde_json::Value> = get("GITHUB_EVENT_PATH")
            .and_then(|p| read(&p))
            .and_then(|t| serde_json::from_str(&t).ok());
        let pr = event.as_ref().and_then(|e| e.get("pull_request"));
        let head_sha = pr
            .and_then(|p| p.pointer("/head/sha"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let from_event = pr.and_then(|p| p.get("number")).and_then(|n| n.as_u64());
        let from_ref = get("GITHUB_REF").and_then(|r| {
            r.strip_prefix("refs/pull/")?
                .split('/')
                .next()?
                .parse::<u64>()
                .ok()
        });
        let number = number.or(from_event).or(from_ref).ok_or_else(|| {
            anyhow!("no pull request number: not a pull_request event (give the number with --pr)")
        })?;
        Ok(PullRequest {
            repo,
            number,
            head_sha,
        })
    }
}

#[derive(Deserialize)]
struct Comment {
    id: u64,
    html_url: String,
    #[serde(default)]
    body: Option<String>,
}

/// The body as posted: the marker on its own first line, then `body`.
pub fn with_marker(marker: &str, body: &str) -> String {
    if body.contains(marker) {
        body.to_string()
    } else {
        format!("{marker}\n{body}")
    }
}

/// Create or update the comment carrying `marker` on pull request (or issue) `number` of
/// `repo`. When several comments carry the marker (two runs racing), the oldest is kept
/// current.
pub fn upsert(
    client: &Client,
    repo: &RepoName,
    number: u64,
    marker: &str,
    body: &str,
) -> Result<Upserted, GithubError> {
    let body = with_marker(marker, body);
    let existing = find(client, repo, number, marker)?;
    write(client, repo, number, existing, &body)
}

/// Update the comment carrying `marker`, if there is one; create none (a pull request that
/// never added a credential gets no comment saying it is clean).
pub fn update_existing(
    client: &Client,
    repo: &RepoName,
    number: u64,
    marker: &str,
    body: &str,
) -> Result<Option<Upserted>, GithubError> {
    let body = with_marker(marker, body);
    match find(client, repo, number, marker)? {
        Some(c) => write(client, repo, number, Some(c), &body).map(Some),
        None => Ok(None),
    }
}

/// Edit `existing` to say `body` (nothing is sent when it already does), or create it.
fn write(
    client: &Client,
    repo: &RepoName,
    number: u64,
    existing: Option<Comment>,
    body: &str,
) -> Result<Upserted, GithubError> {
    match existing {
        Some(c) if c.body.as_deref() == Some(body) => Ok(Upserted::Unchanged {
            id: c.id,
            url: c.html_url,
        }),
        Some(c) => {
            let updated: Comment = client.patch_json(
                &format!("{}/issues/comments/{}", repo.api_path(), c.id),
                &json!({ "body": body }),
                "the updated comment",
            )?;
            Ok(Upserted::Updated {
                id: updated.id,
                url: updated.html_url,
            })
        }
        None => {
            let created: Comment = client.post_json(
                &format!("{}/issues/{number}/comments", repo.api_path()),
                &json!({ "body": body }),
                "the new comment",
            )?;
            Ok(Upserted::Created {
                id: created.id,
                url: created.html_url,
            })
        }
    }
}

/// The first comment (oldest first, as GitHub lists them) carrying `marker`, page after page.
fn find(
    client: &Client,
    repo: &RepoName,
    number: u64,
    marker: &str,
) -> Result<Option<Comment>, GithubError> {
    let mut next =
        Some(client.first_page(&format!("{}/issues/{number}/comments", repo.api_path())));
    while let Some(p) = next.take() {
        let page = client.get_page::<Comment>(&p, "the pull request's comments")?;
        if let Some(c) = page
            .items
            .into_iter()
            .find(|c| c.body.as_deref().is_some_and(|b| b.contains(marker)))
        {
            return Ok(Some(c));
        }
        next = page.next;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pull_request_comes_from_the_actions_environment() {
        let env = |vars: Vec<(&'static str, &'static str)>| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let event = |_: &str| {
            Some(r#"{"pull_request": {"number": 42, "head": {"sha": "abc123"}}}"#.to_string())
        };
        let pr = PullRequest::from_lookup(
            None,
            env(vec![
                ("GITHUB_REPOSITORY", "acme/web"),
                ("GITHUB_EVENT_PATH", "/e.json"),
                ("GITHUB_REF", "refs/pull/7/merge"),
            ]),
            event,
        )
        .unwrap();
        assert_eq!((pr.repo.to_string().as_str(), pr.number), ("acme/web", 42));
        assert_eq!(pr.head_sha.as_deref(), Some("abc123"));
        let pr = PullRequest::from_lookup(
            None,
            env(vec![
                ("GITHUB_REPOSITORY", "acme/web"),
                ("GITHUB_REF", "refs/pull/7/merge"),
            ]),
            |_| None,
        )
        .unwrap();
        assert_eq!(pr.number, 7);
        let pr = PullRequest::from_lookup(
            Some(9),
            env(vec![("GITHUB_REPOSITORY", "acme/web")]),
            |_| None,
        )
        .unwrap();
        assert_eq!(pr.number, 9);
        let e = PullRequest::from_lookup(
            None,
            env(vec![
                ("GITHUB_REPOSITORY", "acme/web"),
                ("GITHUB_REF", "refs/heads/main"),
            ]),
            |_| None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("--pr"), "{e}");
        assert!(PullRequest::from_lookup(Some(1), env(vec![]), |_| None).is_err());
    }

    #[test]
    fn the_marker_leads_the_body_once() {
        let b = with_marker(PR_COMMENT_MARKER, "hello");
        assert_eq!(b, format!("{PR_COMMENT_MARKER}\nhello"));
        assert_eq!(with_marker(PR_COMMENT_MARKER, &b), b);
    }
}
