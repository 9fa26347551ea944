//! The ways a call to Upstash can fail, typed so callers can branch on them (the account check
//! turns each into an `unknown` verdict with its reason; revocation stops on a read-only key and
//! retries nothing that rotated).
//!
//! Messages never carry a secret: the server's own words are kept (Upstash's error bodies are
//! `{"error":..}`, `{"message":..}` or plain text), cut short, stripped of control characters and
//! scrubbed of every credential the request carried.

use std::fmt;
use std::time::Duration;

/// Why a request to Upstash did not give a usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401: wrong email or API key, a deleted key, or a token that is not (or no longer) valid.
    #[error("401 Unauthorized: the credentials were rejected{}", said(.message))]
    Unauthorized { message: String },
    /// 403: the Developer API refuses this account.
    #[error(
        "403 Forbidden: this account cannot use the Developer API; accounts created through \
         Vercel or Fly.io have no Developer API access (manage them from the Vercel or Fly \
         dashboard, or use a native Upstash account){}",
        said(.message)
    )]
    Forbidden { message: String },
    /// A write was refused because the API key is read-only.
    #[error(
        "the API key is read-only: it cannot rotate or change anything (create a key with write \
         access in the Upstash console, Account > Management API){}",
        said(.message)
    )]
    ReadOnlyKey { message: String },
    /// 404: the resource does not exist (deleted meanwhile, or another team's).
    #[error("404 Not Found{}", said(.message))]
    NotFound { message: String },
    /// 429, still after the bounded retries (or at once when Upstash asks for a longer wait
    /// than upsweep keeps a run waiting).
    #[error("429 rate limited, still after {attempts} attempt(s){}", retry_after_text(.retry_after))]
    RateLimited {
        attempts: u32,
        retry_after: Option<Duration>,
    },
    /// 5xx, still after the bounded retries (or at once for a write, which is never repeated
    /// after the server may have acted on it).
    #[error("server error {status} after {attempts} attempt(s){}", said(.message))]
    Server {
        status: u16,
        attempts: u32,
        message: String,
    },
    /// Any other unexpected status.
    #[error("unexpected HTTP status {status}{}", said(.message))]
    Status { status: u16, message: String },
    /// A 3xx answer: redirects are never followed (a credential must not be sent elsewhere).
    #[error("HTTP {status} redirect not followed")]
    Redirected { status: u16 },
    /// No answer within the per-request timeout (after the bounded retries) or the deadline.
    #[error("{}", timeout_text(.after, *.deadline))]
    Timeout { after: Duration, deadline: bool },
    /// The connection was cut after the request was sent, or the answer could not be read:
    /// the server may have acted on it.
    #[error("connection failed: {message}")]
    Connection { message: String },
    /// No connection could be made (refused, DNS, TLS handshake): the request never left,
    /// so the server cannot have acted on it.
    #[error("connection failed: {message} (the request was not sent)")]
    Unreachable { message: String },
    /// The answer was not what the API documents.
    #[error("malformed answer to {what}: {message}")]
    Malformed { what: String, message: String },
    /// upsweep refused to send the request (a host outside Upstash, an invalid URL).
    #[error("not sent: {message}")]
    Refused { message: String },
}

impl ApiError {
    /// A stable short code for machine-readable output.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::ReadOnlyKey { .. } => "read-only-key",
            ApiError::NotFound { .. } => "not-found",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::Server { .. } => "server-error",
            ApiError::Status { .. } => "http-status",
            ApiError::Redirected { .. } => "redirected",
            ApiError::Timeout { .. } => "timeout",
            ApiError::Connection { .. } => "connection",
            ApiError::Unreachable { .. } => "unreachable",
            ApiError::Malformed { .. } => "malformed",
            ApiError::Refused { .. } => "refused",
        }
    }

    /// The HTTP status behind the error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Unauthorized { .. } => Some(401),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::NotFound { .. } => Some(404),
            ApiError::RateLimited { .. } => Some(429),
            ApiError::Server { status, .. }
            | ApiError::Status { status, .. }
            | ApiError::Redirected { status } => Some(*status),
            _ => None,
        }
    }
}

fn said(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" (Upstash said: {message})")
    }
}

impl ApiError {
    /// Whether the request provably never reached Upstash, or Upstash refused it unprocessed
    /// (429): only then may a write be sent again.
    pub fn not_processed(&self) -> bool {
        matches!(
            self,
            ApiError::Unreachable { .. } | ApiError::RateLimited { .. } | ApiError::Refused { .. }
        )
    }

    /// The wait Upstash asked for, in words (`2 minutes`), when it said.
    pub fn wait(&self) -> Option<String> {
        match self {
            ApiError::RateLimited {
                retry_after: Some(d),
                ..
            } => Some(wait_words(*d)),
            _ => None,
        }
    }
}

/// A wait in words: `45 seconds`, `2 minutes`, `1 hour 30 minutes`.
pub fn wait_words(d: Duration) -> String {
    let s = d.as_secs();
    let unit = |n: u64, one: &str| format!("{n} {one}{}", crate::util::text::plural_s(n));
    if s < 60 {
        unit(s, "second")
    } else if s < 3600 {
        let (m, r) = (s / 60, s % 60);
        if r == 0 {
            unit(m, "minute")
        } else {
            format!("{} {}", unit(m, "minute"), unit(r, "second"))
        }
    } else {
        let (h, m) = (s / 3600, (s % 3600) / 60);
        if m == 0 {
            unit(h, "hour")
        } else {
            format!("{} {}", unit(h, "hour"), unit(m, "minute"))
        }
    }
}

fn retry_after_text(d: &Option<Duration>) -> String {
    match d {
        Some(d) => format!(
            " (Upstash asked to wait {}: Retry-After {})",
            wait_words(*d),
            d.as_secs()
        ),
        None => String::new(),
    }
}

fn timeout_text(after: &Duration, deadline: bool) -> String {
    if deadline {
        format!("deadline of {} exceeded", Secs(*after))
    } else {
        format!("timed out after {}", Secs(*after))
    }
}

struct Secs(Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{:.1}s", self.0.as_secs_f64())
        }
    }
}

/// The server's message from an error body, whatever its shape, safe to show: at most
/// [`MESSAGE_CHARS`] characters, no control characters, and every string in `scrub` (the
/// credentials the request carried) replaced by `[redacted]`.
pub fn body_message(body: &[u8], scrub: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let raw = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(map)) => ["error", "message", "msg", "detail", "reason"]
            .iter()
            .find_map(|k| match map.get(*k) {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Object(inner)) => inner
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string),
                _ => None,
            })
            .unwrap_or_else(|| text.to_string()),
        _ => text.to_string(),
    };
    sanitize(&raw, scrub)
}

/// Longest server message kept in an error.
pub const MESSAGE_CHARS: usize = 200;

/// Scrub, strip control characters, cut short.
pub fn sanitize(raw: &str, scrub: &[&str]) -> String {
    let mut s = raw.to_string();
    for secret in scrub {
        if secret.len() >= 4 {
            s = s.replace(secret, "[redacted]");
        }
    }
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MESSAGE_CHARS)
        .collect();
    if s.chars().count() > MESSAGE_CHARS {
        out.push('…');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_body_shape_gives_its_message() {
        assert_eq!(body_message(br#"{"error":"bad key"}"#, &[]), "bad key");
        assert_eq!(body_message(br#"{"message":"nope"}"#, &[]), "nope");
        assert_eq!(body_message(br#""OK""#, &[]), "OK");
        assert_eq!(body_message(b"plain\ntext  here\n", &[]), "plain text here");
        assert_eq!(body_message(b"", &[]), "");
        assert_eq!(body_message(br#"{"code":7}"#, &[]), r#"{"code":7}"#);
    }

    #[test]
    fn messages_are_scrubbed_and_bounded() {
        let m = body_message(
            br#"{"error":"token AXW_secretvalue is invalid"}"#,
            &["AXW_secretvalue"],
        );
        assert_eq!(m, "token [redacted] is invalid");
        let long = "x".repeat(5000);
        assert!(body_message(long.as_bytes(), &[]).chars().count() <= MESSAGE_CHARS + 1);
    }

    #[test]
    fn waits_are_said_in_words() {
        assert_eq!(wait_words(Duration::from_secs(1)), "1 second");
        assert_eq!(wait_words(Duration::from_secs(45)), "45 seconds");
        assert_eq!(wait_words(Duration::from_secs(120)), "2 minutes");
        assert_eq!(wait_words(Duration::from_secs(90)), "1 minute 30 seconds");
        assert_eq!(wait_words(Duration::from_secs(5400)), "1 hour 30 minutes");
        let e = ApiError::RateLimited {
            attempts: 1,
            retry_after: Some(Duration::from_secs(120)),
        };
        assert!(e.to_string().contains("wait 2 minutes"), "{e}");
        assert_eq!(e.wait().as_deref(), Some("2 minutes"));
        assert!(e.not_processed());
        assert!(!ApiError::Connection {
            message: "reset".into()
        }
        .not_processed());
    }

    #[test]
    fn forbidden_explains_platform_accounts() {
        let e = ApiError::Forbidden {
            message: String::new(),
        };
        let s = e.to_string();
        assert!(s.contains("Vercel") && s.contains("Fly"), "{s}");
        assert_eq!(e.status(), Some(403));
    }
}
