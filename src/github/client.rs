//! The one way upsweep talks to the GitHub REST API: octocrab's client (its HTTP stack, base
//! URI and token handling) behind plain blocking calls on a small runtime owned here, with the
//! policies octocrab leaves to its caller:
//!
//! - **Rate limits.** The primary limit (`x-ratelimit-remaining: 0`) is waited out until
//!   `x-ratelimit-reset`, each wait announced through the [`Notice`] callback, as long as the
//!   whole run has waited less than [`Limits::max_wait`]; past it every call fails at once with
//!   [`GithubError::RateLimited`], so the caller stops and reports what was not reached. A
//!   successful answer that says the limit is spent makes the next call wait first instead of
//!   failing. Secondary limits (403/429 with `Retry-After`, or GitHub's "secondary rate limit"
//!   message) are waited as told, a bounded number of times.
//! - **Where the token goes.** Requests are made with paths only: octocrab joins them to the
//!   configured base and adds the token to requests for that host alone. A `Link` to the next
//!   page is followed only when it points at the same scheme, host, port and base path; no
//!   redirect is ever followed (octocrab is built without its redirect layer).
//! - **Bounds.** A timeout per request; bounded repeats of reads after 5xx or dropped
//!   connections; writes are repeated only when GitHub refused them unprocessed (rate limits).
//!
//! octocrab's typed models are not used for answers: each caller reads the few fields it needs
//! into its own small struct, so a field GitHub adds, renames or nulls does not fail a listing.

use super::config::{GithubConfig, Limits, Token};
use super::error::{body_message, human, scrub, GithubError};
use reqwest::Url;
use serde::de::DeserializeOwned;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Something the user should hear about while calls go on (printed on stderr by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// No token: public repositories only, 60 requests an hour.
    Anonymous,
    /// The primary rate limit is spent: waiting this long for it to reset.
    PrimaryWait { wait: Duration },
    /// A secondary rate limit: waiting this long before attempt `attempt`.
    SecondaryWait { wait: Duration, attempt: u32 },
    /// A read failed in a way worth repeating (5xx, dropped connection, timeout).
    Retrying { why: String, attempt: u32 },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Anonymous => f.write_str(
                "no GITHUB_TOKEN or GH_TOKEN: only public repositories can be read, and GitHub \
                 allows 60 API requests an hour without a token",
            ),
            Notice::PrimaryWait { wait } => write!(
                f,
                "GitHub API rate limit reached: waiting {} for it to reset",
                human(*wait)
            ),
            Notice::SecondaryWait { wait, attempt } => write!(
                f,
                "GitHub secondary rate limit: waiting {} before attempt {attempt}",
                human(*wait)
            ),
            Notice::Retrying { why, attempt } => {
                write!(f, "GitHub API: {why}; attempt {attempt}")
            }
        }
    }
}

/// Where notices go.
pub type NoticeSink = Arc<dyn Fn(&Notice) + Send + Sync>;

/// One page of a listing, and the path of the next one.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Path and query of the next page (relative to the host), when there is one.
    pub next: Option<String>,
}

/// What every page of a listing gave, and the error that stopped it early, if one did.
#[derive(Debug)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub error: Option<GithubError>,
    /// The `Date` header of the first page's answer (the server's clock when the listing
    /// began), when it had one.
    pub date: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
    Patch,
}

/// An answer: status, the headers the policies read, and the body.
struct Answer {
    status: u16,
    remaining: Option<u64>,
    reset: Option<u64>,
    retry_after: Option<u64>,
    link: Option<String>,
    /// The `Date` header.
    date: Option<String>,
    body: String,
}

#[derive(Default)]
struct RateState {
    /// Wall time this run spent waiting for rate limits.
    waited: Duration,
    /// Waits are counted up to here already (waits of concurrent calls overlap).
    counted_until: Option<Instant>,
    /// A spent primary limit learnt from an answer: wait until then before the next request.
    blocked_until: Option<SystemTime>,
    /// Set once the limit resets later than the run may wait: every call fails with it.
    exhausted: Option<GithubError>,
}

/// A GitHub API client. Blocking: call it from plain threads (rayon workers included), never
/// from inside a tokio runtime. Shared between threads by reference; the rate-limit state is
/// shared too, so one thread's spent limit makes the others wait.
pub struct Client {
    rt: tokio::runtime::Runtime,
    octo: octocrab::Octocrab,
    api_url: Url,
    /// The base's path, without a trailing slash (`""` for api.github.com, `/api/v3` on GHES).
    base_path: String,
    token: Option<Token>,
    limits: Limits,
    notices: NoticeSink,
    rate: Mutex<RateState>,
}

impl Client {
    /// A client for `cfg`; notices go to `notices`. Says [`Notice::Anonymous`] at once when
    /// there is no token.
    pub fn new(cfg: &GithubConfig, notices: NoticeSink) -> anyhow::Result<Client> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let api_url = cfg.api_url().clone();
        let octo = {
            // octocrab's connector needs a runtime to be built in.
            let _guard = rt.enter();
            let mut b = octocrab::Octocrab::builder()
                .base_uri(api_url.as_str())
                .map_err(|e| anyhow::anyhow!("the API base {api_url} is not usable: {e}"))?
                .add_header(
                    reqwest::header::ACCEPT,
                    "application/vnd.github+json".to_string(),
                )
                .add_header(
                    reqwest::header::HeaderName::from_static("x-github-api-version"),
                    "2022-11-28".to_string(),
                );
            if let Some(t) = &cfg.token {
                b = b.personal_token(t.expose().to_string());
            }
            b.build()
                .map_err(|e| anyhow::anyhow!("the GitHub client could not start: {e}"))?
        };
        if cfg.token.is_none() {
            notices(&Notice::Anonymous);
        }
        Ok(Client {
            rt,
            octo,
            base_path: api_url.path().trim_end_matches('/').to_string(),
            api_url,
            token: cfg.token.clone(),
            limits: cfg.limits.clone(),
            notices,
            rate: Mutex::new(RateState::default()),
        })
    }

    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How long this client has waited for rate limits so far.
    pub fn waited(&self) -> Duration {
        self.rate_state().waited
    }

    /// `GET path` (relative to the API base, with its query), parsed as `T`.
    pub fn get_json<T: DeserializeOwned>(&self, path: &str, what: &str) -> Result<T, GithubError> {
        let a = self.call(Verb::Get, &self.full(path), None)?;
        parse(&a.body, what)
    }

    /// One page of a listing at `path_and_query` as returned by [`Page::next`] or built by
    /// [`Client::first_page`].
    pub fn get_page<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
        what: &str,
    ) -> Result<Page<T>, GithubError> {
        let (items, next, _) = self.page_and_link(path_and_query, what)?;
        Ok(Page { items, next: next? })
    }

    /// A page's items, its next page's path or why that link is not followed, and the
    /// answer's `Date` header.
    #[allow(clippy::type_complexity)]
    fn page_and_link<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
        what: &str,
    ) -> Result<(Vec<T>, Result<Option<String>, GithubError>, Option<String>), GithubError> {
        let a = self.call(Verb::Get, path_and_query, None)?;
        let items = parse(&a.body, what)?;
        let next = match a.link.as_deref().and_then(next_link) {
            Some(url) => self.same_api(&url).map(Some),
            None => Ok(None),
        };
        Ok((items, next, a.date))
    }

    /// The first page's path of a listing at `path` (relative to the API base), with
    /// `per_page` set to the configured size.
    pub fn first_page(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{sep}per_page={}", self.full(path), self.limits.per_page)
    }

    /// Every page of the listing at `path` (relative to the API base). What was listed before an
    /// error is kept beside it.
    pub fn get_all<T: DeserializeOwned>(&self, path: &str, what: &str) -> Listed<T> {
        let mut items = Vec::new();
        let mut date = None;
        let mut next = Some(self.first_page(path));
        let mut pages = 0usize;
        while let Some(p) = next.take() {
            pages += 1;
            if pages > 10_000 {
                return Listed {
                    items,
                    error: Some(GithubError::Refused {
                        message: format!("{what}: more than 10000 pages, stopped"),
                    }),
                    date,
                };
            }
            match self.page_and_link::<T>(&p, what) {
                Ok((page, link, answered)) => {
                    if pages == 1 {
                        date = answered;
                    }
                    items.extend(page);
                    match link {
                        Ok(n) => next = n,
                        Err(e) => {
                            return Listed {
                                items,
                                error: Some(e),
                                date,
                            }
                        }
                    }
                }
                Err(e) => {
                    return Listed {
                        items,
                        error: Some(e),
                        date,
                    }
                }
            }
        }
        Listed {
            items,
            error: None,
            date,
        }
    }

    /// `POST path` with a JSON body; never repeated unless GitHub refused it unprocessed.
    pub fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
        what: &str,
    ) -> Result<T, GithubError> {
        let a = self.call(Verb::Post, &self.full(path), Some(body))?;
        parse(&a.body, what)
    }

    /// `PATCH path` with a JSON body.
    pub fn patch_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
        what: &str,
    ) -> Result<T, GithubError> {
        let a = self.call(Verb::Patch, &self.full(path), Some(body))?;
        parse(&a.body, what)
    }

    /// The request path for `path` under the API base.
    fn full(&self, path: &str) -> String {
        format!("{}{path}", self.base_path)
    }

    /// A next-page URL as a path, if it stays on the API (same scheme, host, port, base path).
    fn same_api(&self, url: &str) -> Result<String, GithubError> {
        let refused = || GithubError::Refused {
            message: "the next-page link points away from the configured GitHub API".into(),
        };
        let u = Url::parse(url).map_err(|_| refused())?;
        let a = &self.api_url;
        let same = u.scheme() == a.scheme()
            && u.host_str() == a.host_str()
            && u.port_or_known_default() == a.port_or_known_default()
            && u.username().is_empty()
            && u.password().is_none()
            && (self.base_path.is_empty()
                || u.path() == self.base_path
                || u.path().starts_with(&format!("{}/", self.base_path)));
        if !same {
            return Err(refused());
        }
        Ok(match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
    }

    fn rate_state(&self) -> std::sync::MutexGuard<'_, RateState> {
        self.rate.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The token this client sends, for [`super::error::scrub`].
    fn token(&self) -> Option<&str> {
        self.token.as_ref().map(|t| t.expose())
    }

    /// Send one request under every policy of the module.
    fn call(
        &self,
        verb: Verb,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, GithubError> {
        self.rt.block_on(self.call_async(verb, path, body))
    }

    async fn call_async(
        &self,
        verb: Verb,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, GithubError> {
        let mut attempt = 0u32;
        // Answers saying "spent" whose reset time has already passed (clock skew): bounded.
        let mut stale_resets = 0u32;
        loop {
            attempt += 1;
            self.wait_if_blocked().await?;
            let answer = match self.send(verb, path, body).await {
                Ok(a) => a,
                Err(e) => {
                    let repeatable = verb != Verb::Post
                        && matches!(
                            e,
                            GithubError::Connection { .. } | GithubError::Timeout { .. }
                        );
                    if repeatable && attempt <= self.limits.retries {
                        self.note(Notice::Retrying {
                            why: e.to_string(),
                            attempt: attempt + 1,
                        });
                        tokio::time::sleep(backoff(self.limits.backoff, attempt)).await;
                        continue;
                    }
                    return Err(e);
                }
            };
            if (200..300).contains(&answer.status) {
                if answer.remaining == Some(0) {
                    if let Some(reset) = answer.reset {
                        self.rate_state().blocked_until =
                            Some(UNIX_EPOCH + Duration::from_secs(reset));
                    }
                }
                return Ok(answer);
            }
            let message = body_message(&answer.body, self.token());
            let limited = answer.status == 429
                || (answer.status == 403
                    && (answer.remaining == Some(0)
                        || answer.retry_after.is_some()
                        || is_secondary_message(&message)));
            if limited {
                if let Some(secs) = answer.retry_after {
                    // Retry-After first, as GitHub's documentation says.
                    if attempt > self.limits.retries {
                        return Err(GithubError::SecondaryRateLimited {
                            attempts: attempt,
                            message,
                        });
                    }
                    let wait = Duration::from_secs(secs);
                    self.note(Notice::SecondaryWait {
                        wait,
                        attempt: attempt + 1,
                    });
                    self.sleep_counted(wait).await?;
                    continue;
                }
                if answer.remaining == Some(0) {
                    let reset = answer.reset.map(|r| UNIX_EPOCH + Duration::from_secs(r));
                    let passed = reset.is_some_and(|r| r <= SystemTime::now());
                    if passed {
                        stale_resets += 1;
                        if stale_resets > 3 {
                            return Err(GithubError::RateLimited {
                                reset_in: None,
                                waited: self.waited(),
                            });
                        }
                    }
                    match reset {
                        Some(r) => {
                            self.rate_state().blocked_until = Some(r.max(SystemTime::now()));
                            // Not a repeat of a failure: the request was refused unprocessed.
                            attempt -= 1;
                            if passed {
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                            continue;
                        }
                        None => {
                            return Err(GithubError::RateLimited {
                                reset_in: None,
                                waited: self.waited(),
                            })
                        }
                    }
                }
                // A secondary limit that does not say how long.
                if attempt > self.limits.retries {
                    return Err(GithubError::SecondaryRateLimited {
                        attempts: attempt,
                        message,
                    });
                }
                let wait = self
                    .limits
                    .secondary_wait
                    .saturating_mul(1 << (attempt - 1).min(4));
                self.note(Notice::SecondaryWait {
                    wait,
                    attempt: attempt + 1,
                });
                self.sleep_counted(wait).await?;
                continue;
            }
            if answer.status >= 500 {
                if verb == Verb::Get && attempt <= self.limits.retries {
                    self.note(Notice::Retrying {
                        why: format!("server error {}", answer.status),
                        attempt: attempt + 1,
                    });
                    tokio::time::sleep(backoff(self.limits.backoff, attempt)).await;
                    continue;
                }
                return Err(GithubError::Server {
                    status: answer.status,
                    attempts: attempt,
                    message,
                });
            }
            return Err(match answer.status {
                401 => GithubError::Unauthorized { message },
                403 => GithubError::Forbidden { message },
                404 => GithubError::NotFound { message },
                s => GithubError::Status { status: s, message },
            });
        }
    }

    fn note(&self, n: Notice) {
        (self.notices)(&n)
    }

    /// Before a request: if the primary limit is known to be spent, wait for its reset (or fail
    /// when that is past what the run may wait).
    async fn wait_if_blocked(&self) -> Result<(), GithubError> {
        let until = {
            let st = self.rate_state();
            if let Some(e) = &st.exhausted {
                return Err(e.clone());
            }
            st.blocked_until
        };
        let Some(until) = until else {
            return Ok(());
        };
        let now = SystemTime::now();
        let wait = until
            .duration_since(now)
            .unwrap_or_default()
            .saturating_add(Duration::from_millis(100));
        if wait >= Duration::from_secs(1) {
            self.note(Notice::PrimaryWait { wait });
        }
        let r = self.sleep_counted(wait).await;
        let mut st = self.rate_state();
        if st.blocked_until == Some(until) {
            st.blocked_until = None;
        }
        r
    }

    /// Sleep `wait` if the run's waiting budget allows it, counting overlapping waits of
    /// concurrent calls once; otherwise mark the client exhausted and fail.
    async fn sleep_counted(&self, wait: Duration) -> Result<(), GithubError> {
        {
            let mut st = self.rate_state();
            let now = Instant::now();
            let end = now + wait;
            let from = st.counted_until.map_or(now, |c| c.max(now));
            let extra = end.saturating_duration_since(from);
            if st.waited + extra > self.limits.max_wait {
                let e = GithubError::RateLimited {
                    reset_in: Some(wait),
                    waited: st.waited,
                };
                st.exhausted = Some(e.clone());
                return Err(e);
            }
            st.waited += extra;
            st.counted_until = Some(st.counted_until.map_or(end, |c| c.max(end)));
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// One HTTP exchange through octocrab, bounded by the request timeout.
    async fn send(
        &self,
        verb: Verb,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, GithubError> {
        let after = self.limits.request_timeout;
        let exchange = async {
            let resp = match verb {
                Verb::Get => self.octo._get(path).await,
                Verb::Post => self.octo._post(path, body).await,
                Verb::Patch => self.octo._patch(path, body).await,
            }
            .map_err(|e| self.connection(e))?;
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|s| s.trim().to_string())
            };
            let num = |name: &str| header(name).and_then(|v| v.parse::<u64>().ok());
            let status = resp.status().as_u16();
            let remaining = num("x-ratelimit-remaining");
            let reset = num("x-ratelimit-reset");
            let retry_after = num("retry-after");
            let link = header("link");
            let date = header("date");
            let body = self
                .octo
                .body_to_string(resp)
                .await
                .map_err(|e| self.connection(e))?;
            Ok(Answer {
                status,
                remaining,
                reset,
                retry_after,
                link,
                date,
                body,
            })
        };
        timeout(after, exchange).await
    }

    fn connection(&self, e: octocrab::Error) -> GithubError {
        let text = match &e {
            octocrab::Error::Service { source, .. } => source.to_string(),
            octocrab::Error::Hyper { source, .. } => source.to_string(),
            other => other.to_string(),
        };
        // octocrab's Display can append a backtrace: keep the first line.
        let first = text.lines().next().unwrap_or("").to_string();
        GithubError::Connection {
            message: crate::upstash::error::sanitize(&scrub(&first, self.token()), &[]),
        }
    }
}

async fn timeout<F, T>(after: Duration, fut: F) -> Result<T, GithubError>
where
    F: Future<Output = Result<T, GithubError>>,
{
    match tokio::time::timeout(after, fut).await {
        Ok(r) => r,
        Err(_) => Err(GithubError::Timeout { after }),
    }
}

/// GitHub's words for a secondary limit without `Retry-After`.
fn is_secondary_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("secondary rate limit") || m.contains("abuse detection")
}

fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << (attempt.saturating_sub(1)).min(10));
    exp.min(Duration::from_secs(10))
        .mul_f64(0.75 + fastrand::f64() * 0.5)
}

/// Parse a body as `T`; an error names only its position, never the body.
fn parse<T: DeserializeOwned>(body: &str, what: &str) -> Result<T, GithubError> {
    serde_json::from_str(body).map_err(|e| GithubError::Malformed {
        what: what.to_string(),
        message: crate::upstash::http::json_error(&e),
    })
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let url = target.strip_prefix('<')?.strip_suffix('>')?;
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == "next"))
                .unwrap_or(false)
        });
        is_next.then(|| url.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_are_found_among_the_others() {
        let h = r#"<https://api.github.com/organizations/9/repos?page=1>; rel="prev", <https://api.github.com/organizations/9/repos?page=3>; rel="next", <https://api.github.com/organizations/9/repos?page=5>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/organizations/9/repos?page=3")
        );
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="first""#), None);
        assert_eq!(next_link(""), None);
    }

    fn client(base: &str) -> Client {
        let cfg = GithubConfig::new(base, Some(Token::new("ghp_test").unwrap())).unwrap();
        Client::new(&cfg, Arc::new(|_| {})).unwrap()
    }

    #[test]
    fn next_pages_stay_on_the_api() {
        let c = client("https://ghe.example.com/api/v3");
        assert_eq!(
            c.same_api("https://ghe.example.com/api/v3/organizations/1/repos?page=2")
                .unwrap(),
            "/api/v3/organizations/1/repos?page=2"
        );
        for bad in [
            "https://evil.example.com/api/v3/x?page=2",
            "http://ghe.example.com/api/v3/x?page=2",
            "https://ghe.example.com:444/api/v3/x?page=2",
            "https://ghe.example.com/other/x?page=2",
            "https://ghe.example.com/api/v3x/y",
            "https://u:p@ghe.example.com/api/v3/x",
            "not a url",
        ] {
            assert!(c.same_api(bad).is_err(), "{bad}");
        }
        let c = client("https://api.github.com");
        assert_eq!(
            c.same_api("https://api.github.com:443/user/repos?page=2")
                .unwrap(),
            "/user/repos?page=2"
        );
        assert_eq!(c.first_page("/orgs/a/repos"), "/orgs/a/repos?per_page=100");
        assert_eq!(
            c.first_page("/orgs/a/repos?type=all"),
            "/orgs/a/repos?type=all&per_page=100"
        );
    }

    #[test]
    fn notices_read_as_sentences() {
        let s = Notice::PrimaryWait {
            wait: Duration::from_secs(125),
        }
        .to_string();
        assert!(s.contains("waiting 2m 5s"), "{s}");
        assert!(Notice::Anonymous
            .to_string()
            .contains("60 API requests an hour"));
    }
}
