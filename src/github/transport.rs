//! git's smart HTTP protocol over reqwest (rustls), registered with libgit2 for `http://` and
//! `https://` URLs, so fetching needs no OpenSSL: libgit2 is built without its own HTTPS
//! support, and this subtransport carries its requests.
//!
//! The protocol is the stateless one git speaks over HTTP: `GET URL/info/refs?service=
//! git-upload-pack` for the ref advertisement, then one `POST URL/git-upload-pack` per round of
//! negotiation, the request body written by libgit2 and the answer streamed back to it. Only
//! fetching is supported.
//!
//! What the token may do here:
//! - It is sent only while [`mirror::fetch`](super::mirror::fetch) runs on the same thread (the
//!   fetch's [`FetchContext`] is set for the thread, and libgit2 calls back on the thread that
//!   fetches), and only to a URL that fetch allows ([`GithubConfig::allows_git_host`]: the API's
//!   own host, HTTPS, or HTTP on loopback).
//! - It is sent as git does: a request first goes without it; after a `401` asking for Basic
//!   credentials it is repeated with `x-access-token:TOKEN`, and the fetch's later requests
//!   carry it at once. A second `401` means the token was refused: the fetch fails instead of
//!   asking again.
//! - Redirects are never followed (the answer is an error); plain `http://` is refused for any
//!   host but loopback; error messages are scrubbed of the token.
//!
//! Bounds: a connection within 15 s, no wait for data longer than two minutes, and the fetch's
//! own deadline over all of its requests.

use super::config::{is_loopback_host, GithubConfig};
use super::error::scrub;
use base64::Engine as _;
use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};
use reqwest::{StatusCode, Url};
use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest wait for the next bytes of an answer.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// What one fetch lets the transport do, and what the transport learnt.
pub(crate) struct FetchContext {
    cfg: GithubConfig,
    deadline: Instant,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// A server of this fetch asked for credentials: send the token at once from now on.
    send_token: bool,
    /// Why credentials were refused or could not be given, when they were.
    refused: Option<String>,
    /// The fetch's deadline passed during a request.
    timed_out: bool,
}

impl FetchContext {
    pub(crate) fn new(cfg: &GithubConfig, deadline: Instant) -> Arc<FetchContext> {
        Arc::new(FetchContext {
            cfg: cfg.clone(),
            deadline,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Why the server's demand for credentials was not met, if it was not.
    pub(crate) fn refused(&self) -> Option<String> {
        self.state().refused.clone()
    }

    pub(crate) fn timed_out(&self) -> bool {
        self.state().timed_out
    }

    /// The token the fetch may send, for [`scrub`].
    fn token(&self) -> Option<&str> {
        self.cfg.token.as_ref().map(|t| t.expose())
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<FetchContext>>> = const { RefCell::new(None) };
}

/// Run `f` (a fetch) with `ctx` as this thread's fetch context, cleared afterwards whatever
/// happens.
pub(crate) fn with_context<T>(ctx: Arc<FetchContext>, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|c| *c.borrow_mut() = None);
        }
    }
    CURRENT.with(|c| *c.borrow_mut() = Some(ctx));
    let _reset = Reset;
    f()
}

/// Register the transport for `http://` and `https://` (once per process, before any fetch).
pub(crate) fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for scheme in ["http", "https"] {
            // SAFETY: registration happens once, under `Once`, before this process fetches
            // anything (every fetch calls this first); nothing else registers transports.
            let r = unsafe {
                git2::transport::register(scheme, |remote| {
                    let ctx = CURRENT.with(|c| c.borrow().clone());
                    Transport::smart(remote, true, Subtransport { ctx })
                })
            };
            if let Err(e) = r {
                eprintln!(
                    "upsweep: warning: the HTTP transport for git could not be registered: {}",
                    e.message()
                );
            }
        }
    });
}

/// The HTTP client and the runtime it runs on, shared by every fetch of the process (so
/// connections to one host are reused from repository to repository).
fn client() -> &'static (tokio::runtime::Runtime, Result<reqwest::Client, String>) {
    static CLIENT: OnceLock<(tokio::runtime::Runtime, Result<reqwest::Client, String>)> =
        OnceLock::new();
    CLIENT.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("upsweep-git-http")
            .enable_all()
            .build()
            .expect("a tokio runtime starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("git/2.0 (upsweep ", env!("CARGO_PKG_VERSION"), ")"))
            .build()
            .map_err(|e| format!("the HTTP client could not start: {e}"));
        (rt, client)
    })
}

struct Subtransport {
    ctx: Option<Arc<FetchContext>>,
}

impl SmartSubtransport for Subtransport {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let (path, post) = match action {
            Service::UploadPackLs => ("/info/refs?service=git-upload-pack", false),
            Service::UploadPack => ("/git-upload-pack", true),
            Service::ReceivePackLs | Service::ReceivePack => {
                return Err(git2::Error::from_str(
                    "upsweep only fetches: pushing is not supported",
                ))
            }
        };
        let url = Url::parse(&format!("{}{path}", url.trim_end_matches('/')))
            .map_err(|_| git2::Error::from_str("the remote is not a URL"))?;
        Ok(Box::new(Stream {
            ctx: self.ctx.clone(),
            url,
            post,
            body: Vec::new(),
            answer: None,
        }))
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

/// One request: what libgit2 writes is its body, what it reads the answer.
struct Stream {
    ctx: Option<Arc<FetchContext>>,
    url: Url,
    post: bool,
    body: Vec<u8>,
    answer: Option<Answer>,
}

/// An answer being read: the response, and the rest of the last chunk received.
struct Answer {
    response: reqwest::Response,
    chunk: bytes::Bytes,
}

fn other(message: String) -> io::Error {
    io::Error::other(message)
}

/// How long the next wait may be: the idle timeout, cut short by the fetch's deadline.
fn budget(ctx: Option<&FetchContext>) -> io::Result<Duration> {
    let Some(ctx) = ctx else {
        return Ok(IDLE_TIMEOUT);
    };
    let left = ctx.deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        ctx.state().timed_out = true;
        return Err(other("the fetch's deadline passed".into()));
    }
    Ok(left.min(IDLE_TIMEOUT))
}

/// Run `fut` on the shared runtime within the wait budget; `shown` names the URL in errors.
fn wait<F: std::future::Future>(
    ctx: Option<&FetchContext>,
    shown: &str,
    fut: F,
) -> io::Result<F::Output> {
    let budget = budget(ctx)?;
    let (rt, _) = client();
    match rt.block_on(async { tokio::time::timeout(budget, fut).await }) {
        Ok(v) => Ok(v),
        Err(_) => {
            if let Some(ctx) = ctx {
                if Instant::now() >= ctx.deadline {
                    ctx.state().timed_out = true;
                }
            }
            Err(other(format!(
                "no answer from {shown} within {}s",
                budget.as_secs()
            )))
        }
    }
}

impl Stream {
    /// Where the URL may be sent to at all, and whether the token may go with it.
    fn check_url(&self) -> io::Result<bool> {
        let host = self.url.host_str().unwrap_or("");
        match self.url.scheme() {
            "https" => {}
            "http" if is_loopback_host(host) => {}
            s => {
                return Err(other(format!(
                    "{s}:// to {host} is not allowed (git is fetched over HTTPS, or HTTP on \
                     loopback only)"
                )))
            }
        }
        Ok(self
            .ctx
            .as_ref()
            .is_some_and(|c| c.cfg.token.is_some() && c.cfg.allows_git_host(&self.url)))
    }

    /// The URL as it may be shown.
    fn shown(&self) -> String {
        redact_url(&self.url)
    }

    fn request(&self, with_token: bool) -> io::Result<reqwest::Response> {
        let (_, client) = client();
        let client = client.as_ref().map_err(|e| other(e.clone()))?;
        let mut req = if self.post {
            client
                .post(self.url.clone())
                .header("content-type", "application/x-git-upload-pack-request")
                .header("accept", "application/x-git-upload-pack-result")
                .body(self.body.clone())
        } else {
            client.get(self.url.clone()).header("accept", "*/*")
        };
        if with_token {
            if let Some(t) = self.ctx.as_ref().and_then(|c| c.cfg.token.as_ref()) {
                let basic = base64::engine::general_purpose::STANDARD
                    .encode(format!("x-access-token:{}", t.expose()));
                let mut value =
                    reqwest::header::HeaderValue::from_str(&format!("Basic {basic}"))
                        .map_err(|_| other("the token cannot be sent in a header".into()))?;
                value.set_sensitive(true);
                req = req.header(reqwest::header::AUTHORIZATION, value);
            }
        }
        let sent = wait(self.ctx.as_deref(), &self.shown(), req.send())?;
        sent.map_err(|e| {
            let mut msg = format!("{} could not be reached: {e}", self.shown());
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                msg.push_str(&format!(": {s}"));
                source = s.source();
            }
            other(scrub(
                &msg,
                self.ctx.as_deref().and_then(FetchContext::token),
            ))
        })
    }

    /// Send the request (with the token once a server asked for it), and check the answer.
    fn send(&mut self) -> io::Result<()> {
        let may_send_token = self.check_url()?;
        let ctx = self.ctx.clone();
        let known = ctx.as_ref().is_some_and(|c| c.state().send_token);
        let mut with_token = may_send_token && known;
        let response = loop {
            let r = self.request(with_token)?;
            if r.status() != StatusCode::UNAUTHORIZED {
                break r;
            }
            let why = match &ctx {
                Some(c) if c.cfg.token.is_none() => {
                    "the repository needs a token (set GITHUB_TOKEN)"
                }
                Some(_) if with_token => "the token was rejected",
                Some(_) if !may_send_token => "credentials were asked for by another host",
                Some(c) => {
                    c.state().send_token = true;
                    with_token = true;
                    continue;
                }
                None => "the server asked for credentials",
            };
            if let Some(c) = &ctx {
                c.state().refused = Some(why.to_string());
            }
            return Err(other(format!("{why} (401 from {})", self.shown())));
        };
        let status = response.status();
        if status.is_redirection() {
            return Err(other(format!(
                "{} answered {status} (a redirect): redirects are not followed",
                self.shown()
            )));
        }
        if !status.is_success() {
            return Err(other(format!(
                "unexpected HTTP status {} from {}",
                status.as_u16(),
                self.shown()
            )));
        }
        let expected = if self.post {
            "application/x-git-upload-pack-result"
        } else {
            "application/x-git-upload-pack-advertisement"
        };
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !content_type.trim().eq_ignore_ascii_case(expected) {
            return Err(other(format!(
                "{} is not a smart git HTTP server (content type {content_type:?}, expected \
                 {expected})",
                self.shown()
            )));
        }
        self.answer = Some(Answer {
            response,
            chunk: bytes::Bytes::new(),
        });
        Ok(())
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.answer.is_none() {
            self.send()?;
        }
        let shown = self.shown();
        let ctx = self.ctx.clone();
        let answer = self.answer.as_mut().expect("sent above");
        while answer.chunk.is_empty() {
            match wait(ctx.as_deref(), &shown, answer.response.chunk())? {
                Ok(Some(bytes)) => answer.chunk = bytes,
                Ok(None) => return Ok(0),
                Err(e) => {
                    let msg = format!("reading from {shown}: {e}");
                    return Err(other(scrub(
                        &msg,
                        ctx.as_deref().and_then(FetchContext::token),
                    )));
                }
            }
        }
        let n = buf.len().min(answer.chunk.len());
        buf[..n].copy_from_slice(&answer.chunk[..n]);
        answer.chunk = answer.chunk.slice(n..);
        Ok(n)
    }
}

impl Write for Stream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.answer.is_some() {
            return Err(other("the request was already sent".into()));
        }
        self.body.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A URL as it may be shown (no credentials, no query): what every fetch or transport error
/// names.
pub(super) fn redact_url(u: &Url) -> String {
    let mut u = u.clone();
    u.set_query(None);
    scrub(u.as_str(), None)
}
