//! The account check: which leaked credentials belong to the user's Upstash account, which of
//! those are current, and which still work. The only network in a scan, on an island: a small
//! tokio runtime owned here, behind plain blocking functions.
//!
//! ```text
//! AccountConfig (email/key pairs, limits, overrides)
//!     -> inventory: Developer API + QStash keys, fetched once, in parallel, hashes only
//!     -> ownership: each finding's SHA-256 against the inventory, locally
//!     -> apikey:    (with live) found Developer API keys tried with GET /v2/teams
//!     -> live:      (opt-in) one harmless read per credential, to its own Upstash host
//!     -> AccountReport { verdicts by secret SHA-256, problems, accounts }
//! ```
//!
//! The facade is [`check`]. Revocation reuses the clients through a [`Session`].
//!
//! ```no_run
//! # fn demo(findings: &[upsweep::finding::Finding]) -> anyhow::Result<()> {
//! use upsweep::upstash::{self, AccountConfig, Ownership};
//! // UPSTASH_EMAIL/UPSTASH_API_KEY, or an account file; UPSTASH_API_URL and
//! // UPSWEEP_TEST_UPSTASH_ADDR are honoured (and checked) here.
//! let cfg = AccountConfig::from_env(None)?;
//! let report = upstash::check(findings, &cfg, /* live */ false);
//! for f in findings {
//!     let v = report.get(&f.sha256).expect("a verdict per finding");
//!     if v.account.verdict == Ownership::Owned {
//!         let r = v.account.resource.as_ref().unwrap();
//!         println!("{} {}", r, r.credential.unwrap()); // Redis database 'x' (eu-west-1) read-write token
//!     }
//! }
//! for p in &report.problems {
//!     eprintln!("account check: {p}");
//! }
//! # Ok(()) }
//! ```
//!
//! What keeps secrets safe here: the inventory holds hashes; found secrets are only sent to
//! Upstash's hosts (`is_upstash_host`), never following a redirect; errors quote the server
//! but scrub the credentials the request carried; every type holding a credential has a
//! redacting `Debug`.

pub mod api;
pub mod apikey;
pub mod credentials;
pub mod error;
pub mod http;
pub mod inventory;
pub mod live;
pub mod ownership;
pub mod verdict;

pub use api::{
    qstash_host, Database, DeveloperApi, Index, QstashApi, QstashUser, SigningKeys, Team,
};
pub use credentials::{parse_account_file, Account, AccountConfig, Limits, Secret};
pub use error::ApiError;
pub use http::{is_upstash_host, Http};
pub use inventory::Inventory;
pub use verdict::{
    AccountReport, AccountSummary, AccountVerdict, ApiKeyCheck, ApiKeyStatus, AuditEntry,
    Credential, FindingVerdict, LiveVerdict, Liveness, Ownership, Problem, Product, Resource,
};

use crate::finding::{Finding, Kind};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

/// Check findings against the configured account(s): fetch the inventory once, match every
/// finding by SHA-256, and with `live` try found Developer API keys and check whether the
/// other credentials still work (without it no found secret leaves the machine). Never fails: what could not be learned is an `unknown` verdict and
/// a [`Problem`]. Blocking; safe to call from inside another tokio runtime (it then runs on a
/// thread of its own).
pub fn check(findings: &[Finding], cfg: &AccountConfig, live: bool) -> AccountReport {
    run_blocking(check_async(findings, cfg, live))
}

/// [`check`] for callers already in async code.
pub async fn check_async(findings: &[Finding], cfg: &AccountConfig, live: bool) -> AccountReport {
    let started = Instant::now();
    let http = match Http::new(cfg) {
        Ok(h) => h,
        Err(e) => {
            let why = format!("the HTTP client could not start: {e}");
            return AccountReport {
                verdicts: findings
                    .iter()
                    .map(|f| {
                        (
                            f.sha256.clone(),
                            FindingVerdict {
                                account: AccountVerdict {
                                    verdict: Ownership::Unknown,
                                    reason: why.clone(),
                                    resource: None,
                                },
                                live: None,
                                api_key: None,
                            },
                        )
                    })
                    .collect(),
                accounts: Vec::new(),
                problems: Vec::new(),
                uncovered_teams: Vec::new(),
                elapsed_ms: 0,
            };
        }
    };
    let want_audit = findings.iter().any(|f| f.kind == Kind::DeveloperApiKey);
    let inv = inventory::fetch(&http, &cfg.accounts, want_audit).await;
    let matcher = ownership::OwnershipIndex::new(&inv);
    let mut verdicts: BTreeMap<String, FindingVerdict> = BTreeMap::new();
    for f in findings {
        let v = if f.kind == Kind::DeveloperApiKey {
            apikey::check(&http, f, &cfg.accounts, &inv, live).await
        } else {
            FindingVerdict {
                account: matcher.judge(f),
                live: None,
                api_key: None,
            }
        };
        verdicts.insert(f.sha256.clone(), v);
    }
    if live {
        live::check(&http, findings, &mut verdicts).await;
    }
    AccountReport {
        verdicts,
        accounts: inv.summaries(),
        problems: inv.problems(),
        uncovered_teams: matcher.uncovered.clone(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// A runtime and a client for callers that act on the account (revocation): blocking access
/// to the typed Developer API and QStash clients, with the same limits, host policy and test
/// redirection as [`check`]. Each client handed out gets a fresh deadline.
pub struct Session {
    rt: tokio::runtime::Runtime,
    http: Http,
    accounts: Vec<Account>,
}

impl Session {
    pub fn new(cfg: &AccountConfig) -> anyhow::Result<Session> {
        Ok(Session {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            http: Http::new(cfg)?,
            accounts: cfg.accounts.clone(),
        })
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// Run a future to completion. Must not be called from inside a tokio runtime.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }

    /// The client, its deadline starting now.
    pub fn http(&self) -> Http {
        self.http.with_deadline(self.http.limits().deadline)
    }

    /// The Developer API as `account`, its deadline starting now.
    pub fn developer_api(&self, account: &Account) -> DeveloperApi {
        DeveloperApi::new(&self.http(), account)
    }

    /// The QStash signing-key API, its deadline starting now.
    pub fn qstash_api(&self) -> QstashApi {
        QstashApi::new(&self.http())
    }

    /// Every configured account's inventory (with audit logs when `audit`).
    pub fn inventory(&self, audit: bool) -> Inventory {
        let http = self.http();
        self.block_on(inventory::fetch(&http, &self.accounts, audit))
    }
}

/// Run `fut` on a runtime of its own; on a thread of its own when called inside a runtime.
fn run_blocking<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    let run = move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime starts")
            .block_on(fut)
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(run).join().expect("account check thread"))
    } else {
        run()
    }
}
