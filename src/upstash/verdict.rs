//! What the account check says about each finding, shaped as the JSON report carries it:
//! `"account": {"verdict", "reason", "resource"}`, `"live": {"verdict", "reason"}`, and for a
//! Developer API key `"api_key": {"status", "email", "reason", "audit"}`. Nothing here holds a
//! secret: resources are named by id, name, region and host; credentials by their role.

use super::api::Team;
use super::error::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Whether a finding belongs to the configured account(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ownership {
    /// A current credential of one of the account's resources.
    Owned,
    /// It names a resource of the account (database number, index endpoint, QStash user) but
    /// is no longer its credential: a stale leak.
    OwnedRotated,
    /// Nothing in a complete inventory matches.
    NotOwned,
    /// The inventory could not be completed; `reason` says why. Never a guess of not-owned.
    Unknown,
}

impl Ownership {
    pub fn as_str(self) -> &'static str {
        match self {
            Ownership::Owned => "owned",
            Ownership::OwnedRotated => "owned-rotated",
            Ownership::NotOwned => "not-owned",
            Ownership::Unknown => "unknown",
        }
    }
}

/// Whether a credential still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Liveness {
    Live,
    /// Upstash rejected it (401).
    Dead,
    /// No conclusive answer: rate limited, timed out, an error, or nothing safe to ask.
    Unknown,
}

impl Liveness {
    pub fn as_str(self) -> &'static str {
        match self {
            Liveness::Live => "live",
            Liveness::Dead => "dead",
            Liveness::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Product {
    Redis,
    Vector,
    Search,
    Qstash,
    DeveloperApi,
}

impl Product {
    pub fn title(self) -> &'static str {
        match self {
            Product::Redis => "Redis database",
            Product::Vector => "Vector index",
            Product::Search => "Search index",
            Product::Qstash => "QStash",
            Product::DeveloperApi => "Developer API key",
        }
    }
}

/// Which of a resource's credentials a secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credential {
    ReadWriteToken,
    ReadOnlyToken,
    Password,
    CurrentSigningKey,
    NextSigningKey,
    ApiKey,
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credential::ReadWriteToken => "read-write token",
            Credential::ReadOnlyToken => "read-only token",
            Credential::Password => "password",
            Credential::CurrentSigningKey => "current signing key",
            Credential::NextSigningKey => "next signing key",
            Credential::ApiKey => "API key",
        })
    }
}

/// A resource of the account, named well enough to find it in the console and to act on it.
/// Revocation's journal writes it and reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub product: Product,
    /// The API's id (database id, index id, QStash user id; for an API key, the first 8 hex
    /// digits of its SHA-256).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The host clients use (`eu2-sought-mollusk-30143.upstash.io`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Which credential of the resource the secret is (owned only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<Credential>,
    /// The configured account (email) whose inventory holds it.
    pub account: String,
    /// Fingerprint of the configured API key that sees it (`Account::fingerprint`): the key
    /// to act on it with, when one email has several keys (one per team).
    pub account_key: String,
    /// The team that owns it, when it is a team's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

impl fmt::Display for Resource {
    /// `Redis database 'prod-cache' (eu-west-1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.product.title())?;
        match (&self.name, self.product) {
            (_, Product::Qstash) => {}
            (Some(n), _) if !n.is_empty() => write!(f, " '{n}'")?,
            _ => write!(f, " {}", self.id)?,
        }
        if let Some(r) = &self.region {
            write!(f, " ({r})")?;
        }
        Ok(())
    }
}

/// `"account": {...}` of one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountVerdict {
    pub verdict: Ownership,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
}

/// `"live": {...}` of one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveVerdict {
    pub verdict: Liveness,
    pub reason: String,
}

/// What authenticating with a found Developer API key showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyCheck {
    /// `works`, `rejected` (401 with every email tried), `not-tried` (found without `--live`:
    /// a found key is sent nowhere unless asked) or `unknown`.
    pub status: ApiKeyStatus,
    /// The email it works with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub reason: String,
    /// Recent audit-log actions made with API keys, from the account(s) whose key can read
    /// the log (newest first). The log names keys, not their values: review them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit: Vec<AuditEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApiKeyStatus {
    Works,
    Rejected,
    /// Found without `--live`: not sent to Upstash, so not known.
    NotTried,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    pub action: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// Everything the check says about one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingVerdict {
    pub account: AccountVerdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveVerdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKeyCheck>,
}

/// A part of an account's inventory that could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The account (email and key fingerprint).
    pub account: String,
    /// What could not be fetched (`Redis databases`, `QStash signing keys (us-east-1)`).
    pub section: String,
    /// [`ApiError::code`].
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub message: String,
    #[serde(skip)]
    pub error: ApiError,
}

impl Problem {
    pub fn new(account: &str, section: impl Into<String>, error: &ApiError) -> Problem {
        Problem {
            account: account.to_string(),
            section: section.into(),
            code: error.code(),
            status: error.status(),
            message: error.to_string(),
            error: error.clone(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.account, self.section, self.message)
    }
}

/// What one configured account's inventory held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSummary {
    /// Email and key fingerprint.
    pub account: String,
    pub email: String,
    /// Every section was fetched.
    pub complete: bool,
    pub databases: usize,
    pub vector_indexes: usize,
    pub search_indexes: usize,
    pub qstash_regions: Vec<String>,
    pub teams: Vec<Team>,
}

/// The result of [`super::check`]: a verdict per finding (keyed by the secret's SHA-256) and
/// what the inventory could not fetch.
#[derive(Debug, Clone, Serialize)]
pub struct AccountReport {
    pub verdicts: BTreeMap<String, FindingVerdict>,
    pub accounts: Vec<AccountSummary>,
    /// Every part of the inventory that failed (also the reason of each `unknown`).
    pub problems: Vec<Problem>,
    /// Teams the user belongs to that no configured key covers.
    pub uncovered_teams: Vec<Team>,
    pub elapsed_ms: u64,
}

impl AccountReport {
    /// The verdict for a finding's `sha256`.
    pub fn get(&self, sha256: &str) -> Option<&FindingVerdict> {
        self.verdicts.get(sha256)
    }

    /// Whether every account's inventory was complete.
    pub fn complete(&self) -> bool {
        self.problems.is_empty()
    }
}
