//! An emulator of the Upstash services upsweep talks to, for tests: the Developer API
//! (docs/formats.md §2), the QStash signing-key endpoints, Redis REST `/ping` and Vector/Search
//! `/info`. One axum server on 127.0.0.1:0 answers for every host; requests are routed by their
//! `Host` header, as `UPSWEEP_TEST_UPSTASH_ADDR` sends them.
//!
//! - State is a [`World`] built with [`crate::common::Fake`] (so every token decodes like a real
//!   one), mutable and inspectable while the server runs ([`Emulator::world`]).
//! - Basic auth is checked against API keys; a key sees one context (personal or one team);
//!   read-only keys cannot write (`Readonly API key`); users made through Vercel/Fly get 403.
//! - Writes rotate for real: reset-password, rotate-token and `/v2/keys/rotate` replace the
//!   values, keep the old ones in `retired`, and append to the audit log.
//! - Faults ([`Fault`]): a status (500...), 429 with `Retry-After`, a slow answer, malformed
//!   JSON, or a connection reset (done before HTTP parsing, on the raw socket). Every response
//!   says `Connection: close`, so each request comes on a fresh connection the reset can cut.
//!   [`FaultKind::ActThen`] first does what the request asks (a rotation happens) and then
//!   fails: a 503 or a reset after the server acted, or an answer held back (a process can be
//!   killed while its rotation is made but not answered). [`Fault::rotation`] matches every
//!   rotation request (every POST but the write-access probe), [`Fault::skip`] lets the first
//!   ones through.
//! - Every request is logged ([`Emulator::requests`]): method, host, path, status, who.

#![allow(dead_code)]

pub mod fixtures;
mod server;

#[allow(unused_imports)]
pub use fixtures::{scan, shop, Shop, OPS};

use crate::common::Fake;
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use upsweep::upstash::{Account, AccountConfig, Limits};

/// Whose a resource or an API key is: a user's personal account or a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Personal(String),
    Team(String),
}

impl Owner {
    /// What the API reports as `customer_id`: the email, or the team id.
    pub fn customer_id(&self) -> String {
        match self {
            Owner::Personal(e) | Owner::Team(e) => e.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub email: String,
    /// `Some("Vercel")` for an account made through a platform: the Developer API says 403.
    pub platform: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub email: String,
    pub key: String,
    pub name: String,
    pub owner: Owner,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct TeamRec {
    pub id: String,
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Db {
    pub id: String,
    pub name: String,
    pub number: u64,
    pub host: String,
    pub region: String,
    pub owner: Owner,
    pub password: String,
    pub rest_token: String,
    pub read_only_rest_token: String,
    pub legacy: bool,
    /// Every value this database had before a reset.
    pub retired: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct IndexRec {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub region: String,
    pub owner: Owner,
    pub token: String,
    pub read_only_token: String,
    pub retired: Vec<String>,
}

impl IndexRec {
    pub fn host(&self, product: &str) -> String {
        format!("{}-{product}.upstash.io", self.slug)
    }
}

#[derive(Debug, Clone)]
pub struct QstashRec {
    pub id: String,
    pub region: String,
    pub owner: Owner,
    pub token: String,
    pub read_only_token: String,
    pub current_signing_key: String,
    pub next_signing_key: String,
    pub retired: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AuditRec {
    pub owner: Owner,
    pub timestamp: i64,
    pub action: String,
    pub source: String,
    pub entity: String,
    pub ip: String,
}

/// What a fault does to a matching request.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// Answer this status and body instead.
    Status(u16, String),
    /// 429, with `Retry-After: N` when given.
    RateLimited { retry_after: Option<u64> },
    /// Wait, then answer normally.
    Slow(Duration),
    /// 200 with a body that is not valid JSON.
    Malformed,
    /// Reset the TCP connection before answering.
    Reset,
    /// Do what the request asks (the write is made and logged), then fail as the inner kind
    /// says: a status (a 503 after the rotation), `Reset` (the connection cut after the
    /// server acted), `Slow` (the answer held back), `Malformed` (a garbled answer).
    ActThen(Box<FaultKind>),
}

impl FaultKind {
    /// Whether it acts on the raw connection (before HTTP parsing).
    fn at_connection(&self) -> bool {
        match self {
            FaultKind::Reset => true,
            FaultKind::ActThen(inner) => matches!(**inner, FaultKind::Reset),
            _ => false,
        }
    }
}

/// A fault for requests whose path starts with `path` (and host/method, when set).
#[derive(Debug, Clone)]
pub struct Fault {
    pub path: String,
    pub host: Option<String>,
    pub method: Option<String>,
    pub kind: FaultKind,
    /// How many requests it hits; `None` for all.
    pub remaining: Option<usize>,
    /// How many matching requests it lets through first.
    pub skip: usize,
    /// Requests whose path contains this are not matched.
    pub unless: Option<String>,
}

impl Fault {
    pub fn new(path: &str, kind: FaultKind) -> Fault {
        Fault {
            path: path.to_string(),
            host: None,
            method: None,
            kind,
            remaining: None,
            skip: 0,
            unless: None,
        }
    }

    /// Every rotation request: every POST except the write-access probe (on the nil UUID).
    pub fn rotation(kind: FaultKind) -> Fault {
        let mut f = Fault::new("/", kind).method("POST");
        f.unless = Some("00000000-0000-0000-0000-000000000000".to_string());
        f
    }

    /// Let the first `n` matching requests through.
    pub fn skip(mut self, n: usize) -> Fault {
        self.skip = n;
        self
    }

    pub fn times(mut self, n: usize) -> Fault {
        self.remaining = Some(n);
        self
    }

    pub fn on_host(mut self, host: &str) -> Fault {
        self.host = Some(host.to_string());
        self
    }

    pub fn method(mut self, m: &str) -> Fault {
        self.method = Some(m.to_string());
        self
    }

    fn matches(&self, method: &str, host: &str, path: &str) -> bool {
        path.starts_with(&self.path)
            && self.unless.as_deref().is_none_or(|u| !path.contains(u))
            && self.host.as_deref().is_none_or(|h| h == host)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.remaining != Some(0)
    }
}

/// One request the emulator received.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub host: String,
    /// Path and query.
    pub path: String,
    /// 0 when the connection was reset.
    pub status: u16,
    /// The Basic-auth user (email), when there was one.
    pub user: Option<String>,
    /// The raw `Authorization` header (tests check which secret went where).
    pub authorization: Option<String>,
}

/// The emulated accounts and services.
pub struct World {
    pub fake: Fake,
    pub users: Vec<User>,
    pub keys: Vec<ApiKey>,
    pub teams: Vec<TeamRec>,
    pub databases: Vec<Db>,
    pub vector: Vec<IndexRec>,
    pub search: Vec<IndexRec>,
    pub qstash: Vec<QstashRec>,
    pub audit: Vec<AuditRec>,
    pub faults: Vec<Fault>,
    /// `GET /redis/databases` omits password and tokens (fetch each database for them).
    pub list_without_credentials: bool,
    /// Databases' answers never carry `read_only_rest_token` (an older API).
    pub omit_read_only_tokens: bool,
    pub log: Vec<Logged>,
    clock: i64,
}

impl World {
    pub fn new(seed: u64) -> World {
        World {
            fake: Fake::new(seed),
            users: Vec::new(),
            keys: Vec::new(),
            teams: Vec::new(),
            databases: Vec::new(),
            vector: Vec::new(),
            search: Vec::new(),
            qstash: Vec::new(),
            audit: Vec::new(),
            faults: Vec::new(),
            list_without_credentials: false,
            omit_read_only_tokens: false,
            log: Vec::new(),
            clock: 1_764_000_000,
        }
    }

    /// A native Upstash user; returns its personal context.
    pub fn user(&mut self, email: &str) -> Owner {
        self.users.push(User {
            email: email.to_string(),
            platform: None,
        });
        Owner::Personal(email.to_string())
    }

    /// A user made through Vercel or Fly: every Developer API call answers 403.
    pub fn platform_user(&mut self, email: &str, platform: &str) -> Owner {
        self.users.push(User {
            email: email.to_string(),
            platform: Some(platform.to_string()),
        });
        Owner::Personal(email.to_string())
    }

    /// A team with these members; returns its context.
    pub fn team(&mut self, name: &str, members: &[&str]) -> Owner {
        let id = self.fake.uuid_v4();
        self.teams.push(TeamRec {
            id: id.clone(),
            name: name.to_string(),
            members: members.iter().map(|m| m.to_string()).collect(),
        });
        Owner::Team(id)
    }

    /// A Developer API key of `email` for one context.
    pub fn api_key(&mut self, email: &str, owner: &Owner, read_only: bool) -> String {
        let key = self.fake.api_key();
        let name = format!("key-{}", self.keys.len() + 1);
        self.keys.push(ApiKey {
            email: email.to_string(),
            key: key.clone(),
            name,
            owner: owner.clone(),
            read_only,
        });
        key
    }

    fn fresh_number(&mut self) -> u64 {
        loop {
            let n = self.fake.database_number();
            if !self.databases.iter().any(|d| d.number == n) {
                return n;
            }
        }
    }

    fn fresh_slug(&mut self) -> String {
        loop {
            let s = self.fake.index_endpoint();
            if !self.vector.iter().chain(&self.search).any(|i| i.slug == s) {
                return s;
            }
        }
    }

    /// A current-layout database: its password is its read-write token. Returns its index.
    pub fn database(&mut self, owner: &Owner, name: &str, region: &str) -> usize {
        let number = self.fresh_number();
        let host = self.fake.redis_host(number);
        let rest_token = self.fake.redis_token(number, false, false);
        let read_only_rest_token = self.fake.redis_token(number, true, false);
        let id = self.fake.uuid_v4();
        self.databases.push(Db {
            id,
            name: name.to_string(),
            number,
            host,
            region: region.to_string(),
            owner: owner.clone(),
            password: rest_token.clone(),
            rest_token,
            read_only_rest_token,
            legacy: false,
            retired: Vec::new(),
        });
        self.databases.len() - 1
    }

    /// An old database: a 32-hex password, a legacy REST token carrying it, a region-prefixed
    /// host given as a full host name in `endpoint`.
    pub fn legacy_database(&mut self, owner: &Owner, name: &str) -> usize {
        let number = self.fresh_number();
        let id = self.fake.uuid_v4();
        let password = self.fake.hex(32);
        let host = format!("eu2-{}", self.fake.redis_host(number));
        let rest_token = legacy_token(number, &id, &password);
        let read_only_rest_token = self.fake.redis_token(number, true, false);
        self.databases.push(Db {
            id,
            name: name.to_string(),
            number,
            host,
            region: "eu-west-1".to_string(),
            owner: owner.clone(),
            password,
            rest_token,
            read_only_rest_token,
            legacy: true,
            retired: Vec::new(),
        });
        self.databases.len() - 1
    }

    fn index(&mut self, owner: &Owner, name: &str) -> IndexRec {
        let slug = self.fresh_slug();
        IndexRec {
            id: self.fake.uuid_v4(),
            name: name.to_string(),
            token: self.fake.vector_token(&slug, false),
            read_only_token: self.fake.vector_token(&slug, true),
            slug,
            region: "us-east-1".to_string(),
            owner: owner.clone(),
            retired: Vec::new(),
        }
    }

    pub fn vector_index(&mut self, owner: &Owner, name: &str) -> usize {
        let ix = self.index(owner, name);
        self.vector.push(ix);
        self.vector.len() - 1
    }

    pub fn search_index(&mut self, owner: &Owner, name: &str) -> usize {
        let mut ix = self.index(owner, name);
        ix.region = "eu-west-1".to_string();
        self.search.push(ix);
        self.search.len() - 1
    }

    /// The QStash user of `owner` in `region` (`eu-central-1`, `us-east-1`).
    pub fn qstash_user(&mut self, owner: &Owner, region: &str) -> usize {
        let id = self.fake.uuid_v4();
        let token = qstash_token(&id, &self.fake.hex(32));
        let read_only_token = qstash_token(&id, &self.fake.hex(32));
        let current_signing_key = self.fake.signing_key();
        let next_signing_key = self.fake.signing_key();
        self.qstash.push(QstashRec {
            id,
            region: region.to_string(),
            owner: owner.clone(),
            token,
            read_only_token,
            current_signing_key,
            next_signing_key,
            retired: Vec::new(),
        });
        self.qstash.len() - 1
    }

    /// What `POST /redis/reset-password/{id}` does: new password and both tokens.
    pub fn reset_database(&mut self, i: usize) {
        let number = self.databases[i].number;
        let (password, rest_token) = if self.databases[i].legacy {
            let pw = self.fake.hex(32);
            let token = legacy_token(number, &self.databases[i].id, &pw);
            (pw, token)
        } else {
            let t = self.fake.redis_token(number, false, false);
            (t.clone(), t)
        };
        let read_only = self.fake.redis_token(number, true, false);
        let db = &mut self.databases[i];
        let old = [
            std::mem::replace(&mut db.password, password),
            std::mem::replace(&mut db.rest_token, rest_token),
            std::mem::replace(&mut db.read_only_rest_token, read_only),
        ];
        db.retired.extend(old);
    }

    fn reset_index(fake: &mut Fake, ix: &mut IndexRec) {
        let token = fake.vector_token(&ix.slug, false);
        let ro = fake.vector_token(&ix.slug, true);
        ix.retired.push(std::mem::replace(&mut ix.token, token));
        ix.retired
            .push(std::mem::replace(&mut ix.read_only_token, ro));
    }

    pub fn reset_vector(&mut self, i: usize) {
        Self::reset_index(&mut self.fake, &mut self.vector[i]);
    }

    pub fn reset_search(&mut self, i: usize) {
        Self::reset_index(&mut self.fake, &mut self.search[i]);
    }

    /// What `POST /qstash/rotate-token/{id}` does: a new token for the same user id.
    pub fn rotate_qstash_token(&mut self, i: usize) {
        let id = self.qstash[i].id.clone();
        let token = qstash_token(&id, &self.fake.hex(32));
        let ro = qstash_token(&id, &self.fake.hex(32));
        let q = &mut self.qstash[i];
        q.retired.push(std::mem::replace(&mut q.token, token));
        q.retired
            .push(std::mem::replace(&mut q.read_only_token, ro));
    }

    /// What `POST /v2/keys/rotate` does: next becomes current, a new next is minted.
    pub fn rotate_signing_keys(&mut self, i: usize) {
        let new_next = self.fake.signing_key();
        let q = &mut self.qstash[i];
        let old_next = std::mem::replace(&mut q.next_signing_key, new_next);
        let old_current = std::mem::replace(&mut q.current_signing_key, old_next);
        q.retired.push(old_current);
    }

    /// An audit-log entry in `owner`'s log.
    pub fn audit_entry(&mut self, owner: &Owner, action: &str, source: &str, entity: &str) {
        self.clock += 60;
        self.audit.push(AuditRec {
            owner: owner.clone(),
            timestamp: self.clock,
            action: action.to_string(),
            source: source.to_string(),
            entity: entity.to_string(),
            ip: "203.0.113.7".to_string(),
        });
    }

    pub(crate) fn take_fault(
        &mut self,
        method: &str,
        host: &str,
        path: &str,
        resets: bool,
    ) -> Option<FaultKind> {
        let f = self
            .faults
            .iter_mut()
            .find(|f| f.matches(method, host, path) && f.kind.at_connection() == resets)?;
        if f.skip > 0 {
            f.skip -= 1;
            return None;
        }
        if let Some(n) = &mut f.remaining {
            *n -= 1;
        }
        Some(f.kind.clone())
    }
}

/// A legacy Redis REST token (docs/formats.md §1.1) for a database number, id and password.
pub fn legacy_token(number: u64, id: &str, password: &str) -> String {
    let mut b = vec![
        0x01,
        (number >> 8) as u8,
        number as u8,
        0x01,
        id.len() as u8,
        password.len() as u8,
    ];
    b.extend_from_slice(id.as_bytes());
    b.extend_from_slice(password.as_bytes());
    URL_SAFE.encode(b)
}

/// A QStash token for a user id and password.
pub fn qstash_token(user_id: &str, password: &str) -> String {
    STANDARD.encode(format!(
        r#"{{"UserID":"{user_id}","Password":"{password}"}}"#
    ))
}

type Shared = Arc<Mutex<World>>;

/// The running emulator. Dropping it stops the server.
pub struct Emulator {
    pub addr: SocketAddr,
    world: Shared,
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl Emulator {
    /// Serve `world` on 127.0.0.1 (a port of its own) until dropped.
    pub fn start(world: World) -> Emulator {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("emulator runtime");
        let world: Shared = Arc::new(Mutex::new(world));
        let listener = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = mpsc::channel(256);
        rt.spawn(server::gatekeeper(listener, tx, world.clone()));
        let app = Router::new()
            .fallback(server::handle)
            .with_state(world.clone());
        rt.spawn(async move {
            let _ = axum::serve(server::Gate { rx, addr }, app).await;
        });
        Emulator {
            addr,
            world,
            rt: Some(rt),
        }
    }

    /// The state, locked: read it, change it, add faults. Do not hold it across a request.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn fault(&self, f: Fault) {
        self.world().faults.push(f);
    }

    pub fn clear_faults(&self) {
        self.world().faults.clear();
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.world().log.clone()
    }

    /// The rotation requests received so far (POSTs but the write-access probe), as
    /// `host path`.
    pub fn rotations(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r.method == "POST" && !r.path.contains("00000000-0000-0000-0000-000000000000")
            })
            .map(|r| format!("{} {}", r.host, r.path))
            .collect()
    }

    pub fn clear_log(&self) {
        self.world().log.clear();
    }

    /// Limits short enough for tests (retries after 10 ms, 2 s per request).
    pub fn fast_limits() -> Limits {
        Limits {
            request_timeout: Duration::from_secs(2),
            deadline: Duration::from_secs(20),
            retries: 2,
            backoff: Duration::from_millis(10),
            max_retry_after: Duration::from_secs(3),
            concurrency: 8,
            live_concurrency: 4,
            per_host_interval: Duration::from_millis(5),
            audit_entries: 20,
        }
    }

    /// An account configuration for these email/key pairs, redirected here.
    pub fn config(&self, accounts: &[(&str, &str)]) -> AccountConfig {
        let mut cfg =
            AccountConfig::new(accounts.iter().map(|(e, k)| Account::new(*e, *k)).collect());
        cfg.set_test_addr(&self.addr.to_string())
            .expect("loopback address");
        cfg.limits = Self::fast_limits();
        cfg
    }
}
