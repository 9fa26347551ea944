//! The one way upsweep talks to Upstash: a reqwest client that follows no redirect, sends
//! nothing outside Upstash's hosts, bounds every request by a timeout, the whole run by a
//! deadline and the number in flight by a semaphore, and retries what may be retried.
//!
//! Where a request may go:
//! - `https://api.upstash.com` and `https://*.upstash.io` (databases, indexes, QStash);
//! - the configured Developer API base (`UPSTASH_API_URL`), but only for requests carrying the
//!   configured account's own key ([`Trust::Account`]); a found secret ([`Trust::FoundSecret`])
//!   goes to Upstash's hosts and nowhere else.
//!
//! With `UPSWEEP_TEST_UPSTASH_ADDR` set (a loopback address, checked in [`super::credentials`]),
//! every request for an Upstash host goes to that address over plain HTTP with the original
//! `Host` header. Nothing else can redirect a request: HTTP redirects are not followed, and
//! proxies from the environment are ignored whenever plain HTTP is in play.

use super::credentials::{AccountConfig, Limits, Secret};
use super::error::{body_message, ApiError};
use reqwest::header::{HeaderMap, ACCEPT, HOST, RETRY_AFTER};
use reqwest::{Method, Url};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Largest answer body read (a list of a few thousand databases is well under this).
const MAX_BODY: usize = 32 << 20;

/// Whether `host` is one of Upstash's own: `api.upstash.com` or a name under `upstash.io`.
/// A look-alike (`upstash.io.evil.com`, `evilupstash.io`) is not.
pub fn is_upstash_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    let h = h.strip_suffix('.').unwrap_or(&h);
    if h == "api.upstash.com" {
        return true;
    }
    let Some(prefix) = h.strip_suffix(".upstash.io") else {
        return false;
    };
    !prefix.is_empty()
        && prefix.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Whose credential a request carries, which decides where it may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The configured account's own API key or a token from its inventory.
    Account,
    /// A secret found by the scan: only ever sent to an Upstash host.
    FoundSecret,
}

/// Whether a failed request may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A read: repeat on 429, 5xx, timeouts and dropped connections.
    Read,
    /// A write (a rotation): repeat only when the server provably did not act: a 429 (after
    /// its `Retry-After`) or a connection that was never made. A timeout, a cut connection or
    /// a 5xx (a 503 too) may come after the server acted: reported, never repeated, so the
    /// caller reads the resource again to learn what happened.
    Write,
}

/// How a request authenticates.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Basic(&'a str, &'a Secret),
    Bearer(&'a Secret),
}

impl Auth<'_> {
    fn secrets(&self) -> Vec<&str> {
        match self {
            Auth::None => vec![],
            Auth::Basic(_, s) | Auth::Bearer(s) => vec![s.expose()],
        }
    }
}

/// One request to make.
pub struct Request<'a> {
    pub method: Method,
    pub url: Url,
    pub auth: Auth<'a>,
    pub trust: Trust,
    pub retry: Retry,
}

/// A successful answer (or, from [`Http::probe`], any answer).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// Parse the body as JSON. A parse error names only its position, never the input (which
    /// may hold credentials).
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Malformed {
            what: what.to_string(),
            message: json_error(&e),
        })
    }
}

/// A serde_json error described without quoting the input.
pub fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "could not be read",
        Category::Syntax => "is not valid JSON",
        Category::Data => "does not have the documented fields",
        Category::Eof => "ends too early",
    };
    format!(
        "the answer {what} (line {}, column {})",
        e.line(),
        e.column()
    )
}

/// The client, shared by every call of one run. Cloning is cheap; each clone may carry its own
/// deadline ([`Http::with_deadline`]).
#[derive(Clone)]
pub struct Http {
    inner: Arc<Inner>,
    deadline: Instant,
}

struct Inner {
    client: reqwest::Client,
    redirect: Option<SocketAddr>,
    api_base: Url,
    limits: Limits,
    permits: Semaphore,
}

impl Http {
    /// A client for `cfg`, its deadline starting now.
    pub fn new(cfg: &AccountConfig) -> anyhow::Result<Http> {
        let limits = cfg.limits.clone();
        let plain_http = cfg.test_addr().is_some() || cfg.api_url().scheme() == "http";
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("upsweep/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(limits.request_timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(30));
        if plain_http {
            builder = builder.no_proxy();
        }
        let client = builder.build()?;
        Ok(Http {
            deadline: Instant::now() + limits.deadline,
            inner: Arc::new(Inner {
                client,
                redirect: cfg.test_addr(),
                api_base: cfg.api_url().clone(),
                permits: Semaphore::new(limits.concurrency.max(1)),
                limits,
            }),
        })
    }

    /// The same client with a deadline `after` from now.
    pub fn with_deadline(&self, after: Duration) -> Http {
        Http {
            inner: self.inner.clone(),
            deadline: Instant::now() + after,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The configured Developer API base.
    pub fn api_base(&self) -> &Url {
        &self.inner.api_base
    }

    /// Where `url` is actually sent and the `Host` header to send, or why it is refused.
    pub fn route(&self, url: &Url, trust: Trust) -> Result<(Url, Option<String>), ApiError> {
        let host = url.host_str().unwrap_or("");
        let clean = url.username().is_empty() && url.password().is_none();
        if url.scheme() == "https" && clean && is_upstash_host(host) {
            let Some(addr) = self.inner.redirect else {
                return Ok((url.clone(), None));
            };
            let mut actual =
                Url::parse(&format!("http://{addr}/")).map_err(|_| refused("bad test address"))?;
            actual.set_path(url.path());
            actual.set_query(url.query());
            let host_header = match url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            };
            return Ok((actual, Some(host_header)));
        }
        let base = &self.inner.api_base;
        if trust == Trust::Account
            && clean
            && url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default()
        {
            return Ok((url.clone(), None));
        }
        Err(refused(&format!(
            "{} is not an Upstash host (only https://api.upstash.com and https://*.upstash.io are contacted)",
            if host.is_empty() { "the URL" } else { host }
        )))
    }

    /// Send a request, retrying as its [`Retry`] allows, and return a 2xx answer or the error.
    pub async fn send(&self, req: Request<'_>) -> Result<Answer, ApiError> {
        let (url, host_header) = self.route(&req.url, req.trust)?;
        let limits = &self.inner.limits;
        let scrub = req.auth.secrets();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let remaining = self.remaining()?;
            let clipped = remaining < limits.request_timeout;
            let timeout = remaining.min(limits.request_timeout);
            let result = self
                .attempt(&req, &url, host_header.as_deref(), timeout, remaining)
                .await;
            let (err, retry_after, may_retry) = match result {
                Ok(r) if (200..300).contains(&r.status) => {
                    return Ok(Answer {
                        status: r.status,
                        body: r.body,
                    })
                }
                Ok(r) => {
                    let err = status_error(r.status, &r.body, &scrub, attempt, r.retry_after);
                    let may_retry = match r.status {
                        429 => !matches!(err, ApiError::ReadOnlyKey { .. }),
                        500..=599 => req.retry == Retry::Read,
                        _ => false,
                    };
                    (err, r.retry_after, may_retry)
                }
                Err(t) => {
                    let err = if t.timed_out {
                        ApiError::Timeout {
                            after: if clipped { limits.deadline } else { timeout },
                            deadline: clipped,
                        }
                    } else if t.connect {
                        match t.err {
                            ApiError::Connection { message } => ApiError::Unreachable { message },
                            other => other,
                        }
                    } else {
                        t.err
                    };
                    (err, None, t.connect || req.retry == Retry::Read)
                }
            };
            if !may_retry || attempt > limits.retries {
                return Err(err);
            }
            let wait = match retry_after {
                Some(ra) if ra > limits.max_retry_after => return Err(err),
                Some(ra) => ra,
                None => backoff(limits.backoff, attempt),
            };
            if Instant::now() + wait >= self.deadline {
                return Err(err);
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt, no retry, any status returned as an answer: for live checks, where a 401 is
    /// the answer sought. Only ever to an Upstash host.
    pub async fn probe(&self, url: &Url, token: &Secret) -> Result<Answer, ApiError> {
        let (actual, host_header) = self.route(url, Trust::FoundSecret)?;
        let remaining = self.remaining()?;
        let timeout = remaining.min(self.inner.limits.request_timeout);
        let req = Request {
            method: Method::GET,
            url: url.clone(),
            auth: Auth::Bearer(token),
            trust: Trust::FoundSecret,
            retry: Retry::Read,
        };
        match self
            .attempt(&req, &actual, host_header.as_deref(), timeout, remaining)
            .await
        {
            Ok(r) => Ok(Answer {
                status: r.status,
                body: r.body,
            }),
            Err(t) if t.timed_out => Err(ApiError::Timeout {
                after: timeout,
                deadline: remaining < self.inner.limits.request_timeout,
            }),
            Err(t) => Err(t.err),
        }
    }

    fn remaining(&self) -> Result<Duration, ApiError> {
        self.deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(ApiError::Timeout {
                after: self.inner.limits.deadline,
                deadline: true,
            })
    }

    async fn attempt(
        &self,
        req: &Request<'_>,
        url: &Url,
        host_header: Option<&str>,
        timeout: Duration,
        remaining: Duration,
    ) -> Result<Raw, Transport> {
        let _permit = match tokio::time::timeout(remaining, self.inner.permits.acquire()).await {
            Ok(Ok(p)) => p,
            _ => {
                return Err(Transport {
                    err: ApiError::Timeout {
                        after: self.inner.limits.deadline,
                        deadline: true,
                    },
                    timed_out: false,
                    connect: false,
                })
            }
        };
        let mut rb = self
            .inner
            .client
            .request(req.method.clone(), url.clone())
            .timeout(timeout)
            .header(ACCEPT, "application/json");
        if let Some(h) = host_header {
            rb = rb.header(HOST, h);
        }
        rb = match req.auth {
            Auth::None => rb,
            Auth::Basic(user, key) => rb.basic_auth(user, Some(key.expose())),
            Auth::Bearer(token) => rb.bearer_auth(token.expose()),
        };
        if req.method == Method::POST {
            rb = rb.body(Vec::new());
        }
        let resp = rb.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(Transport {
                err: ApiError::Connection {
                    message: "answer too large".to_string(),
                },
                timed_out: false,
                connect: false,
            });
        }
        let body = resp.bytes().await.map_err(transport)?;
        Ok(Raw {
            status,
            retry_after,
            body: body.to_vec(),
        })
    }
}

struct Raw {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

struct Transport {
    err: ApiError,
    timed_out: bool,
    /// The connection was never made, so the server cannot have acted.
    connect: bool,
}

fn transport(e: reqwest::Error) -> Transport {
    let e = e.without_url();
    Transport {
        timed_out: e.is_timeout(),
        connect: e.is_connect(),
        err: ApiError::Connection {
            message: error_chain(&e),
        },
    }
}

/// An error and its causes, joined, without repeats ("error sending request: connection
/// reset by peer").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    super::error::sanitize(&parts.join(": "), &[])
}

fn refused(message: &str) -> ApiError {
    ApiError::Refused {
        message: message.to_string(),
    }
}

/// `Retry-After` in seconds (the HTTP-date form falls back to our own backoff).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << (attempt - 1).min(10));
    let capped = exp.min(Duration::from_secs(10));
    // Jitter: 75% to 125%.
    capped.mul_f64(0.75 + fastrand::f64() * 0.5)
}

/// The typed error for a non-2xx status.
fn status_error(
    status: u16,
    body: &[u8],
    scrub: &[&str],
    attempts: u32,
    retry_after: Option<Duration>,
) -> ApiError {
    let message = body_message(body, scrub);
    let lower = message.to_ascii_lowercase();
    if ["readonly api key", "read-only api key", "read only api key"]
        .iter()
        .any(|p| lower.contains(p))
    {
        return ApiError::ReadOnlyKey { message };
    }
    match status {
        300..=399 => ApiError::Redirected { status },
        401 => ApiError::Unauthorized { message },
        403 => ApiError::Forbidden { message },
        404 => ApiError::NotFound { message },
        429 => ApiError::RateLimited {
            attempts,
            retry_after,
        },
        500..=599 => ApiError::Server {
            status,
            attempts,
            message,
        },
        _ => ApiError::Status { status, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstash::credentials::Account;

    #[test]
    fn only_upstash_hosts_are_upstash_hosts() {
        for ok in [
            "api.upstash.com",
            "eu2-sought-mollusk-30143.upstash.io",
            "prompt-mite-85913-us1-vector.upstash.io",
            "qstash-us-east-1.upstash.io",
            "QSTASH.UPSTASH.IO",
        ] {
            assert!(is_upstash_host(ok), "{ok}");
        }
        for bad in [
            "upstash.io",
            ".upstash.io",
            "evilupstash.io",
            "upstash.io.evil.com",
            "x.upstash.io.evil.com",
            "api.upstash.com.evil.com",
            "console.upstash.com",
            "a..upstash.io",
            "a_b.upstash.io",
            "x.kv.vercel-storage.com",
            "127.0.0.1",
            "",
        ] {
            assert!(!is_upstash_host(bad), "{bad}");
        }
    }

    fn http(api: Option<&str>, test: Option<&str>) -> Http {
        let mut cfg = AccountConfig::new(vec![Account::new("a@b.c", "k")]);
        if let Some(a) = api {
            cfg.set_api_url(a).unwrap();
        }
        if let Some(t) = test {
            cfg.set_test_addr(t).unwrap();
        }
        Http::new(&cfg).unwrap()
    }

    #[test]
    fn routing_keeps_host_and_refuses_strangers() {
        let h = http(None, Some("127.0.0.1:9"));
        let u = Url::parse("https://api.upstash.com/v2/teams").unwrap();
        let (actual, host) = h.route(&u, Trust::Account).unwrap();
        assert_eq!(actual.as_str(), "http://127.0.0.1:9/v2/teams");
        assert_eq!(host.as_deref(), Some("api.upstash.com"));
        let u = Url::parse("https://x-1.upstash.io/ping?a=b").unwrap();
        let (actual, host) = h.route(&u, Trust::FoundSecret).unwrap();
        assert_eq!(actual.as_str(), "http://127.0.0.1:9/ping?a=b");
        assert_eq!(host.as_deref(), Some("x-1.upstash.io"));
        for bad in [
            "https://evil.example.com/ping",
            "http://x-1.upstash.io/ping",
            "https://user:pw@x-1.upstash.io/ping",
            "https://127.0.0.1:9/ping",
        ] {
            let u = Url::parse(bad).unwrap();
            assert!(
                matches!(
                    h.route(&u, Trust::FoundSecret),
                    Err(ApiError::Refused { .. })
                ),
                "{bad}"
            );
        }
        let direct = http(None, None);
        let u = Url::parse("https://api.upstash.com/v2/teams").unwrap();
        assert_eq!(direct.route(&u, Trust::FoundSecret).unwrap(), (u, None));
    }

    #[test]
    fn a_custom_api_url_receives_only_the_accounts_own_key() {
        let h = http(Some("https://proxy.corp.example/upstash/v2"), None);
        let u = Url::parse("https://proxy.corp.example/upstash/v2/teams").unwrap();
        assert!(h.route(&u, Trust::Account).is_ok());
        assert!(h.route(&u, Trust::FoundSecret).is_err());
        let other = Url::parse("https://proxy.corp.example:8443/v2/teams").unwrap();
        assert!(h.route(&other, Trust::Account).is_err());
    }

    #[test]
    fn statuses_become_typed_errors() {
        assert!(matches!(
            status_error(401, b"nope", &[], 1, None),
            ApiError::Unauthorized { .. }
        ));
        assert!(matches!(
            status_error(403, br#"{"error":"vercel"}"#, &[], 1, None),
            ApiError::Forbidden { .. }
        ));
        assert!(matches!(
            status_error(
                403,
                br#"{"message":"Readonly API key cannot do this"}"#,
                &[],
                1,
                None
            ),
            ApiError::ReadOnlyKey { .. }
        ));
        assert!(matches!(
            status_error(400, b"Readonly API key", &[], 1, None),
            ApiError::ReadOnlyKey { .. }
        ));
        assert!(matches!(
            status_error(429, b"", &[], 4, Some(Duration::from_secs(2))),
            ApiError::RateLimited { attempts: 4, .. }
        ));
        assert!(matches!(
            status_error(502, b"bad gateway", &[], 1, None),
            ApiError::Server { status: 502, .. }
        ));
        assert!(matches!(
            status_error(302, b"", &[], 1, None),
            ApiError::Redirected { status: 302 }
        ));
        let e = status_error(401, b"token s3cr3t-token bad", &["s3cr3t-token"], 1, None);
        assert!(!e.to_string().contains("s3cr3t-token"));
    }

    #[test]
    fn retry_after_in_seconds() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn json_errors_never_quote_the_input() {
        let e = serde_json::from_str::<u32>(r#""AXW_secret""#).unwrap_err();
        assert!(!json_error(&e).contains("AXW_secret"));
    }
}
