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
    match existing {
        Some(c) if c.body.as_deref() == Some(body.as_str()) => Ok(Upserted::Unchanged {
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
    fn the_marker_leads_the_body_once() {
        let b = with_marker(PR_COMMENT_MARKER, "hello");
        assert_eq!(b, format!("{PR_COMMENT_MARKER}\nhello"));
        assert_eq!(with_marker(PR_COMMENT_MARKER, &b), b);
    }
}
