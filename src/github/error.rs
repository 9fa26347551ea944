//! The ways a call to GitHub can fail, typed so callers can branch on them: a repository that
//! is gone is `failed` and the audit goes on; a rate limit past `--max-wait` stops the listing;
//! a 403 on a pull-request comment (a fork's read-only token) becomes a notice.
//!
//! Messages keep GitHub's own words (its error bodies are `{"message": ..}`), cut short,
//! stripped of control characters and scrubbed of the token.

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

/// GitHub's message from an error body (`{"message": ..}` or text), safe to show.
pub fn body_message(body: &str, scrub: &[&str]) -> String {
    let raw = match serde_json::from_str::<serde_json::Value>(body.trim()) {
        Ok(serde_json::Value::Object(map)) => map
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| body.trim().to_string()),
        _ => body.trim().to_string(),
    };
    sanitize(&raw, scrub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_githubs_words_without_the_token() {
        let m = body_message(
            r#"{"message":"Bad credentials ghp_abcdef123","documentation_url":"x"}"#,
            &["ghp_abcdef123"],
        );
        assert_eq!(m, "Bad credentials [redacted]");
        let e = GithubError::Unauthorized { message: m };
        assert!(e.to_string().contains("Bad credentials"));
        assert!(!e.to_string().contains("ghp_abcdef123"));
        assert_eq!(body_message("plain\ntext", &[]), "plain text");
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
