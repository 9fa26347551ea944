//! The GitHub side against the emulator: listing, rate limits, fetching into the cache, the
//! incremental store, issue texts and the pull-request comment.

pub mod emulator;

mod archives;
mod audit;
mod bench;
mod docs;
mod resume;

mod comment;
mod issues_cache;
mod listing;
mod mirror;
mod pull_request;
mod rate;
mod store;
mod texts;

use emulator::{Emulator, World};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use upsweep::github::{Client, GithubConfig, Notice, Token};

/// The token the emulated organisation's member holds.
pub const TOKEN: &str = "ghp_emulatedTokenValue0123456789abcdef";

/// A client for the emulator and the notices it says.
pub struct Harness {
    pub cfg: GithubConfig,
    pub client: Client,
    pub notices: Arc<Mutex<Vec<Notice>>>,
}

impl Harness {
    pub fn notices(&self) -> Vec<Notice> {
        self.notices.lock().unwrap().clone()
    }
}

/// Limits short enough for tests.
pub fn fast(cfg: &mut GithubConfig) {
    cfg.limits.request_timeout = Duration::from_secs(10);
    cfg.limits.max_wait = Duration::from_secs(8);
    cfg.limits.retries = 2;
    cfg.limits.backoff = Duration::from_millis(10);
    cfg.limits.secondary_wait = Duration::from_millis(50);
}

/// A client of `emu` with `token` (none: anonymous), as configured by `tune`.
pub fn harness(
    emu: &Emulator,
    token: Option<&str>,
    tune: impl FnOnce(&mut GithubConfig),
) -> Harness {
    let mut cfg = GithubConfig::new(&emu.url(), token.map(|t| Token::new(t).unwrap())).unwrap();
    fast(&mut cfg);
    tune(&mut cfg);
    let notices: Arc<Mutex<Vec<Notice>>> = Arc::default();
    let sink = notices.clone();
    let client = Client::new(
        &cfg,
        Arc::new(move |n: &Notice| sink.lock().unwrap().push(n.clone())),
    )
    .expect("client");
    Harness {
        cfg,
        client,
        notices,
    }
}

/// An organisation `acme` with member `alice` holding [`TOKEN`].
pub fn acme() -> (World, tempfile::TempDir) {
    let (mut w, dir) = Emulator::new_world();
    w.user("alice");
    w.org("acme", &["alice"]);
    w.token(TOKEN, "alice", false);
    (w, dir)
}
