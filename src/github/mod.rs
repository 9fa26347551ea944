//! The GitHub side: list an organisation's repositories, fetch each into a cache, remember
//! what was scanned, read issue and pull-request texts, and keep one comment on a pull request
//! current. Network is on an island, as for Upstash: octocrab's async client runs on a small
//! runtime owned by [`Client`], behind plain blocking calls; git fetches are git2's own.
//!
//! ```text
//! GithubConfig (API base, token from GITHUB_TOKEN/GH_TOKEN, limits)
//!     -> Client: octocrab + rate limits (wait up to max_wait, notices), pagination, no redirects
//!     -> repos::list(targets, filters)  -> Listing { repos, skipped (reason), failed (reason) }
//!     -> mirror::fetch(cache, repo)     -> bare mirror; git's HTTP is transport.rs (reqwest)
//!     -> store: per repository, scanned blobs and what they held (hashes, never secrets), lock;
//!        and the texts that held matches, with the point each text listing is complete up to
//!     -> texts::list_since(repo, since) -> issue / pull-request / comment texts with URLs, new or
//!        edited since each listing's point (--issues)
//!     -> comment::upsert(pr, marker)    -> one pull-request comment, created or updated
//! ```
//!
//! ```no_run
//! # fn demo() -> anyhow::Result<()> {
//! use std::sync::Arc;
//! use upsweep::github::{self, Client, Filters, GithubConfig, MirrorOptions, Target};
//! let cfg = GithubConfig::from_env(None)?; // GITHUB_API_URL, GITHUB_TOKEN / GH_TOKEN
//! let client = Client::new(&cfg, Arc::new(|n| eprintln!("upsweep: {n}")))?;
//! let listing = github::repos::list(&client, &[Target::org("acme")?], &Filters::default())?;
//! let cache = std::path::Path::new("/var/cache/upsweep/github");
//! for repo in &listing.repos {
//!     let name = repo.name()?;
//!     let store = github::Store::new(cache);
//!     let _lock = store.lock(&name, std::time::Duration::from_secs(600))?;
//!     match github::mirror::fetch(cache, &cfg, repo, &MirrorOptions::default()) {
//!         Ok(f) => println!("{name}: {} new objects in {}", f.received_objects, f.path.display()),
//!         Err(e) => println!("{name}: failed: {e}"),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! What keeps the token safe: it comes from the environment only and is held in a
//! [`Token`] whose `Debug` prints nothing; octocrab sends it only to the configured API host
//! (HTTPS, or HTTP on loopback), next-page links elsewhere are refused and redirects never
//! followed; git's HTTP (`transport`) sends it as Basic auth only to the API's own git host,
//! only when that server asks, and only while a fetch runs; errors
//! are scrubbed of it.

pub mod client;
pub mod comment;
pub mod config;
pub mod error;
pub mod mirror;
pub mod repos;
pub mod store;
pub mod texts;
pub(crate) mod transport;

pub use client::{Client, Listed, Notice, NoticeSink, Page};
pub use comment::{PullRequest, Upserted, PR_COMMENT_MARKER};
pub use config::{GithubConfig, Limits, Token};
pub use error::GithubError;
pub use mirror::{FetchError, Fetched, MirrorOptions};
pub use repos::{Filters, ListFailure, Listing, Repo, RepoName, SkipReason, Skipped, Target};
pub use store::{
    FoundBlob, FoundText, LargeBlob, Loaded, LoadedTexts, RepoLock, RepoState, SetAside, Store,
    StoreKey, StoredMatch, TextsState,
};
pub use texts::{Since, Text, TextKind, TextListing, Texts};
