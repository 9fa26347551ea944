//! The ways a call to GitHub can fail, typed so callers can branch on them: a repository that
//! is gone is `failed` and the audit goes on; a rate limit past `--max-wait` stops the listing;
//! a 403 on a pull-request comment (a fork's read-only token) becomes a notice.
//!
//! Messages keep GitHub's own words (its error bodies are `{"message": ..}`), cut short,
//! stripped of control characters and scrubbed of the token ([`scrub`], which every message of
//! the GitHub side goes through: the API client's, the mirror's and git's HTTP transport's).

use crate::upstash::error::sanitize;
use std::time::Duration;

/// Why a GitHub call did not give a usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GithubError {
    /// 401: no token where one is needed, or a wrong, expired or revoked one.
    #[error("401 Unauthorized: GitHub rejected the token (wrong, expired or revoked?){}", said(.message))]
    Unauthorized { message: String },
    /// 403 that is not a rate limit: the token lacks a scope or permission (a fork's read-only
    /// token in a pull request), or the resource is blocked.
    #[error("403 Forbidden{}", said(.message))]
    Forbidden { message: String },
    /// 404: it does not exist, or the token cannot see it (GitHub answers 404 for private
    /// repositories it hides).
    #[error("404 Not Found: it does not exist or the token cannot see it{}", said(.message))]
    NotFound { message: String },
    /// The primary rate limit is spent and resets later than the run may wait (`--max-wait`).
    #[error("{}", rate_text(*.reset_in, *.waited))]
    RateLimited {
        /// How long until the limit resets, when GitHub said.
        reset_in: Option<Duration>,
        /// How long this run already waited for it.
        waited: Duration,
    },
    /// A secondary rate limit, still after the bounded retries.
    #[error("secondary rate limit, still after {attempts} attempt(s){}", said(.message))]
    SecondaryRateLimited { attempts: u32, message: String },
    /// 5xx, still after the bounded retries (writes are never repeated).
    #[error("GitHub server error {status} after {attempts} attempt(s){}", said(.message))]
    Server {
        status: u16,
        attempts: u32,
        message: String,
    },
    /// Any other unexpected status (422 for a bad request, 3xx: redirects are not followed).
    #[error("unexpected HTTP status {status}{}", said(.message))]
    Status { status: u16, message: String },
    /// No answer in time.
    #[error("no answer within {}s", .after.as_secs())]
    Timeout { after: Duration },
    /// The connection failed (refused, reset, DNS, TLS).
    #[error("connection failed: {message}")]
    Connection { message: String },
    /// The answer was not what the API documents.
    #[error("malformed answer to {what}: {message}")]
    Malformed { what: String, message: String },
    /// upsweep refused to send it (a next-page link to another host, a bad name).
    #[error("not sent: {message}")]
    Refused { message: String },
}

impl GithubError {
    /// A stable short code for machine-readable output.
    pub fn code(&self) -> &'static str {
        match self {
            GithubError::Unauthorized { .. } => "unauthorized",
            GithubError::Forbidden { .. } => "forbidden",
            GithubError::NotFound { .. } => "not-found",
            GithubError::RateLimited { .. } => "rate-limited",
            GithubError::SecondaryRateLimited { .. } => "secondary-rate-limited",
            GithubError::Server { .. } => "server-error",
            GithubError::Status { .. } => "http-status",
            GithubError::Timeout { .. } => "timeout",
            GithubError::Connection { .. } => "connection",
            GithubError::Malformed { .. } => "malformed",
            GithubError::Refused { .. } => "refused",
        }
    }

    /// The HTTP status behind the error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            GithubError::Unauthorized { .. } => Some(401),
            GithubError::Forbidden { .. } => Some(403),
            GithubError::NotFound { .. } => Some(404),
            GithubError::Server { status, .. } | GithubError::Status { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Whether the run should stop asking GitHub anything (the rate limit is spent for longer
    /// than it may wait, or the token is rejected): what was not reached yet is `failed`.
    pub fn stops_the_run(&self) -> bool {
        matches!(
            self,
            GithubError::RateLimited { .. } | GithubError::Unauthorized { .. }
        )
    }
}

fn said(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" (GitHub said: {message})")
    }
}

fn rate_text(reset_in: Option<Duration>, waited: Duration) -> String {
    let when = match reset_in {
        Some(d) => format!("it resets in {}", human(d)),
        None => "GitHub did not say when it resets".to_string(),
    };
    format!(
        "GitHub API rate limit exhausted: {when}, past the time this run may wait (--max-wait; \
         waited {} already)",
        human(waited)
    )
}

/// `45s`, `12m 5s`, `1h 3m`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    }
}

/// `message` with the token taken out, in every form it travels in: the token itself, the
/// Basic credentials git's HTTP sends it as (`x-access-token:TOKEN` in base64, see
/// [`super::transport`]), and any user name and password written in a URL
/// (`https://user:secret@host/` becomes `https://host/`). Control characters become spaces. The
/// one scrubber of the API client's, the mirror's and the transport's messages.
pub(crate) fn scrub(message: &str, token: Option<&str>) -> String {
    use base64::Engine as _;
    let mut s = without_userinfo(message);
    if let Some(t) = token.filter(|t| t.len() >= 4) {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{t}"));
        s = s.replace(&basic, "[redacted]").replace(t, "[redacted]");
    }
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` with the userinfo of every URL in it (`user:password@` after `://`) left out.
fn without_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || "/?#\"'<>".contains(c))
            .unwrap_or(tail.len());
        let host_at = tail[..end].rfind('@').map_or(0, |at| at + 1);
        rest = &tail[host_at..];
    }
    out.push_str(rest);
    out
}

/// GitHub's message from an error body (`{"message": ..}` or text), safe to show.
pub fn body_message(body: &str, token: Option<&str>) -> String {
    let raw = match serde_json::from_str::<serde_json::Value>(body.trim()) {
        Ok(serde_json::Value::Object(map)) => map
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| body.trim().to_string()),
        _ => body.trim().to_string(),
    };
    sanitize(&scrub(&raw, token), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_githubs_words_without_the_token() {
        let m = body_message(
            r#"{"message":"Bad credentials ghp_abcdef123","documentation_url":"x"}"#,
            Some("ghp_abcdef123"),
        );
        assert_eq!(m, "Bad credentials [redacted]");
        let e = GithubError::Unauthorized { message: m };
        assert!(e.to_string().contains("Bad credentials"));
        assert!(!e.to_string().contains("ghp_abcdef123"));
        assert_eq!(body_message("plain\ntext", None), "plain text");
    }

    #[test]
    fn the_token_is_scrubbed_in_every_form() {
        use base64::Engine as _;
        let token = "ghp_secret123";
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
        for (message, want) in [
            ("bad ghp_secret123\nmore", "bad [redacted] more"),
            (
                &format!("sent Authorization: Basic {basic} and failed"),
                "sent Authorization: Basic [redacted] and failed",
            ),
            (
                "fetch https://x-access-token:ghp_secret123@github.com/acme/web.git failed",
                "fetch https://github.com/acme/web.git failed",
            ),
            (
                "http://someone:other-pass@127.0.0.1:5000/git?x=1 and https://u@h",
                "http://127.0.0.1:5000/git?x=1 and https://h",
            ),
        ] {
            let got = scrub(message, Some(token));
            assert_eq!(got, want);
            assert!(!got.contains("secret123") && !got.contains(&basic));
        }
        // Userinfo goes even when no token is configured.
        assert_eq!(scrub("at https://a:b@host/x", None), "at https://host/x");
    }

    #[test]
    fn a_message_without_a_token_is_unchanged() {
        for m in [
            "404 from https://github.com/acme/web.git/info/refs?service=git-upload-pack",
            "mail ops@example.com about it: see https://github.com/acme",
            "",
        ] {
            assert_eq!(scrub(m, Some("ghp_secret123")), m);
            assert_eq!(scrub(m, None), m);
        }
    }

    #[test]
    fn rate_limit_says_when_and_how_long_it_waited() {
        let e = GithubError::RateLimited {
            reset_in: Some(Duration::from_secs(3600)),
            waited: Duration::from_secs(65),
        };
        let s = e.to_string();
        assert!(s.contains("resets in 1h 0m") && s.contains("1m 5s"), "{s}");
        assert!(e.stops_the_run());
        assert!(!GithubError::Forbidden {
            message: String::new()
        }
        .stops_the_run());
    }
}
