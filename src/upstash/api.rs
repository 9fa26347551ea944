//! Typed clients for the two APIs the account check and revocation use: the Developer API
//! (HTTP Basic, the account's email and API key; docs/formats.md §2) and the QStash API's signing-key endpoints (Bearer, a region's QStash token).
//!
//! Answers are read leniently where Upstash varies (empty strings for hidden credentials,
//! `null` for empty lists, a database endpoint given as a slug or a full host) and strictly
//! where it matters (every listed resource has its id, or the answer is `Malformed`).
//! Credential fields are [`Secret`]s.

use super::credentials::{Account, Secret};
use super::error::ApiError;
use super::http::{Answer, Auth, Http, Request, Retry, Trust};
use reqwest::{Method, Url};
use serde::{Deserialize, Deserializer};

/// A Redis database (`GET /redis/databases`, `GET /redis/database/{id}`).
#[derive(Debug, Clone, Deserialize)]
pub struct Database {
    pub database_id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub database_name: String,
    /// A slug (`beloved-stallion-58500`) or a full host.
    #[serde(default, deserialize_with = "lenient_string")]
    pub endpoint: String,
    #[serde(default)]
    pub port: Option<u64>,
    #[serde(default, deserialize_with = "opt_string")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub primary_region: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub customer_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "opt_secret")]
    pub password: Option<Secret>,
    #[serde(default, deserialize_with = "opt_secret")]
    pub rest_token: Option<Secret>,
    #[serde(default, deserialize_with = "opt_secret")]
    pub read_only_rest_token: Option<Secret>,
}

impl Database {
    /// The database's host, `<endpoint>.upstash.io` when the API gives a slug.
    pub fn host(&self) -> String {
        full_host(&self.endpoint, ".upstash.io")
    }

    /// The number at the end of its host, which its REST tokens carry (docs/formats.md §1.1).
    pub fn number(&self) -> Option<u64> {
        crate::decode::host_number(&self.host())
    }

    /// The region worth showing: the primary region of a global database.
    pub fn display_region(&self) -> Option<String> {
        match (&self.region, &self.primary_region) {
            (Some(r), Some(p)) if r == "global" => Some(p.clone()),
            (Some(r), _) => Some(r.clone()),
            (None, p) => p.clone(),
        }
    }

    /// Whether the answer carries all three credentials (a list may omit them).
    pub fn has_credentials(&self) -> bool {
        self.password.is_some() && self.rest_token.is_some() && self.read_only_rest_token.is_some()
    }
}

/// A Vector or Search index (`GET /vector/index`, `GET /search`).
#[derive(Debug, Clone, Deserialize)]
pub struct Index {
    pub id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: String,
    /// The endpoint slug (`glowing-baboon-15797-us1`) or a full host.
    #[serde(default, deserialize_with = "lenient_string")]
    pub endpoint: String,
    #[serde(default, deserialize_with = "opt_string")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub customer_id: Option<String>,
    #[serde(default, deserialize_with = "opt_secret")]
    pub token: Option<Secret>,
    #[serde(default, deserialize_with = "opt_secret")]
    pub read_only_token: Option<Secret>,
}

/// The index endpoint slug, whatever form the API or a token gives it in
/// (`x-us1`, `x-us1-vector.upstash.io`, `https://x-us1-search.upstash.io/`).
pub fn index_slug(endpoint: &str) -> String {
    let e = endpoint.trim().to_ascii_lowercase();
    let e = e.strip_prefix("https://").unwrap_or(&e);
    let e = e.split(['/', ':']).next().unwrap_or("");
    let e = e.strip_suffix(".upstash.io").unwrap_or(e);
    let e = e
        .strip_suffix("-vector")
        .or(e.strip_suffix("-search"))
        .unwrap_or(e);
    e.to_string()
}

/// A QStash user: one per region (`GET /qstash/users`).
#[derive(Debug, Clone, Deserialize)]
pub struct QstashUser {
    pub id: String,
    #[serde(default, deserialize_with = "opt_string")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub customer_id: Option<String>,
    #[serde(default, deserialize_with = "opt_secret")]
    pub token: Option<Secret>,
    #[serde(default, deserialize_with = "opt_secret")]
    pub read_only_token: Option<Secret>,
}

/// `GET /teams`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Team {
    pub team_id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub team_name: String,
}

/// A region's QStash signing keys (`GET {qstash host}/v2/keys`).
#[derive(Debug, Clone, Deserialize)]
pub struct SigningKeys {
    pub current: Secret,
    pub next: Secret,
}

/// One audit-log entry (`GET https://api.upstash.com/auditlogs`). Only what upsweep shows.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditLog {
    #[serde(default)]
    pub timestamp: Option<serde_json::Value>,
    #[serde(default)]
    pub action: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "opt_string")]
    pub action_string: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub source: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub entity: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub ip: Option<String>,
}

impl AuditLog {
    /// Seconds since the epoch, whether given as seconds, milliseconds or a numeric string.
    pub fn unix_seconds(&self) -> Option<i64> {
        let n = match self.timestamp.as_ref()? {
            serde_json::Value::Number(n) => n.as_f64()? as i64,
            serde_json::Value::String(s) => s.trim().parse::<i64>().ok()?,
            _ => return None,
        };
        Some(if n > 100_000_000_000 { n / 1000 } else { n })
    }

    /// The action in words (`action_string`, else `action`).
    pub fn action_text(&self) -> String {
        if let Some(s) = &self.action_string {
            return s.clone();
        }
        match &self.action {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }

    /// Whether the action was made with a Developer API key (`source`: `API_KEY - <name>`).
    pub fn by_api_key(&self) -> bool {
        self.source
            .as_deref()
            .map(|s| {
                s.to_ascii_uppercase()
                    .replace([' ', '-'], "_")
                    .contains("API_KEY")
            })
            .unwrap_or(false)
    }
}

/// The Developer API, authenticated as one email/key pair.
#[derive(Clone)]
pub struct DeveloperApi {
    http: Http,
    base: Url,
    email: String,
    key: Secret,
    trust: Trust,
}

impl DeveloperApi {
    /// The configured account's client, at the configured base URL.
    pub fn new(http: &Http, account: &Account) -> DeveloperApi {
        DeveloperApi {
            http: http.clone(),
            base: http.api_base().clone(),
            email: account.email.clone(),
            key: account.api_key.clone(),
            trust: Trust::Account,
        }
    }

    /// A client authenticating with a *found* key: it only talks to Upstash's own host (the
    /// configured base when that is an Upstash host, else `https://api.upstash.com/v2`).
    pub fn for_found_key(http: &Http, email: &str, key: &Secret) -> DeveloperApi {
        let configured = http.api_base();
        let base = if configured
            .host_str()
            .is_some_and(super::http::is_upstash_host)
            && configured.scheme() == "https"
        {
            configured.clone()
        } else {
            Url::parse(super::credentials::DEFAULT_API_URL).expect("default API URL")
        };
        DeveloperApi {
            http: http.clone(),
            base,
            email: email.to_string(),
            key: key.clone(),
            trust: Trust::FoundSecret,
        }
    }

    pub fn email(&self) -> &str {
        &self.email
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut u = self.base.clone();
        {
            let mut p = u.path_segments_mut().expect("http(s) URL has a path");
            p.pop_if_empty();
            p.extend(segments);
        }
        u
    }

    /// `https://api.upstash.com/auditlogs`: the base without its `/v2`.
    fn audit_url(&self) -> Url {
        let mut u = self.base.clone();
        {
            let mut p = u.path_segments_mut().expect("http(s) URL has a path");
            p.pop_if_empty();
            if self.base.path_segments().and_then(|mut s| s.next_back()) == Some("v2") {
                p.pop();
            }
            p.push("auditlogs");
        }
        u
    }

    async fn call(&self, method: Method, url: Url, retry: Retry) -> Result<Answer, ApiError> {
        self.http
            .send(Request {
                method,
                url,
                auth: Auth::Basic(&self.email, &self.key),
                trust: self.trust,
                retry,
            })
            .await
    }

    async fn get_list<T: serde::de::DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<Vec<T>, ApiError> {
        let url = self.url(segments);
        let what = format!("GET {}", url.path());
        let answer = self.call(Method::GET, url, Retry::Read).await?;
        Ok(answer.json::<Option<Vec<T>>>(&what)?.unwrap_or_default())
    }

    async fn get_one<T: serde::de::DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<T, ApiError> {
        let url = self.url(segments);
        let what = format!("GET {}", url.path());
        self.call(Method::GET, url, Retry::Read).await?.json(&what)
    }

    /// A write whose answer is a JSON document (the resource with its new values).
    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<T, ApiError> {
        let url = self.url(segments);
        let what = format!("POST {}", url.path());
        self.call(Method::POST, url, Retry::Write)
            .await?
            .json(&what)
    }

    async fn post(&self, segments: &[&str]) -> Result<Answer, ApiError> {
        self.call(Method::POST, self.url(segments), Retry::Write)
            .await
    }

    /// `GET /teams`: a cheap read that proves the key works.
    pub async fn teams(&self) -> Result<Vec<Team>, ApiError> {
        self.get_list(&["teams"]).await
    }

    pub async fn databases(&self) -> Result<Vec<Database>, ApiError> {
        self.get_list(&["redis", "databases"]).await
    }

    pub async fn database(&self, id: &str) -> Result<Database, ApiError> {
        self.get_one(&["redis", "database", id]).await
    }

    /// `POST /redis/reset-password/{id}`: rotates the password and both REST tokens; answers
    /// with the database and its new values.
    pub async fn reset_redis_password(&self, id: &str) -> Result<Database, ApiError> {
        self.post_json(&["redis", "reset-password", id]).await
    }

    pub async fn vector_indexes(&self) -> Result<Vec<Index>, ApiError> {
        self.get_list(&["vector", "index"]).await
    }

    pub async fn vector_index(&self, id: &str) -> Result<Index, ApiError> {
        self.get_one(&["vector", "index", id]).await
    }

    /// `POST /vector/index/{id}/reset-password` (answers `"OK"`; fetch the index for the new
    /// tokens).
    pub async fn reset_vector_password(&self, id: &str) -> Result<(), ApiError> {
        self.post(&["vector", "index", id, "reset-password"])
            .await
            .map(drop)
    }

    pub async fn search_indexes(&self) -> Result<Vec<Index>, ApiError> {
        self.get_list(&["search"]).await
    }

    pub async fn search_index(&self, id: &str) -> Result<Index, ApiError> {
        self.get_one(&["search", id]).await
    }

    /// `POST /search/{id}/reset-password` (answers `"OK"`).
    pub async fn reset_search_password(&self, id: &str) -> Result<(), ApiError> {
        self.post(&["search", id, "reset-password"]).await.map(drop)
    }

    pub async fn qstash_users(&self) -> Result<Vec<QstashUser>, ApiError> {
        self.get_list(&["qstash", "users"]).await
    }

    pub async fn qstash_user(&self, id: &str) -> Result<QstashUser, ApiError> {
        self.get_one(&["qstash", "user", id]).await
    }

    /// `POST /qstash/rotate-token/{id}`: answers with the user and its new token.
    pub async fn rotate_qstash_token(&self, id: &str) -> Result<QstashUser, ApiError> {
        self.post_json(&["qstash", "rotate-token", id]).await
    }

    /// `GET /auditlogs` (outside `/v2`).
    pub async fn audit_logs(&self) -> Result<Vec<AuditLog>, ApiError> {
        let url = self.audit_url();
        let what = format!("GET {}", url.path());
        let answer = self.call(Method::GET, url, Retry::Read).await?;
        Ok(answer
            .json::<Option<Vec<AuditLog>>>(&what)?
            .unwrap_or_default())
    }
}

/// The QStash API host of a region (`eu-central-1` -> `qstash-eu-central-1.upstash.io`).
pub fn qstash_host(region: &str) -> String {
    let r: String = region
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if r.is_empty() {
        "qstash.upstash.io".to_string()
    } else {
        format!("qstash-{r}.upstash.io")
    }
}

/// The QStash API's signing-key endpoints, authenticated with a region's QStash token.
#[derive(Clone)]
pub struct QstashApi {
    http: Http,
}

impl QstashApi {
    pub fn new(http: &Http) -> QstashApi {
        QstashApi { http: http.clone() }
    }

    fn url(region: &str, path: &str) -> Url {
        Url::parse(&format!("https://{}{path}", qstash_host(region))).expect("QStash URL")
    }

    /// `GET /v2/keys`: the region's current and next signing keys.
    pub async fn signing_keys(
        &self,
        region: &str,
        token: &Secret,
    ) -> Result<SigningKeys, ApiError> {
        let url = Self::url(region, "/v2/keys");
        let answer = self
            .http
            .send(Request {
                method: Method::GET,
                url,
                auth: Auth::Bearer(token),
                trust: Trust::Account,
                retry: Retry::Read,
            })
            .await?;
        answer.json("GET /v2/keys")
    }

    /// `POST /v2/keys/rotate`: next becomes current and a new next is minted.
    pub async fn rotate_signing_keys(
        &self,
        region: &str,
        token: &Secret,
    ) -> Result<SigningKeys, ApiError> {
        let url = Self::url(region, "/v2/keys/rotate");
        let answer = self
            .http
            .send(Request {
                method: Method::POST,
                url,
                auth: Auth::Bearer(token),
                trust: Trust::Account,
                retry: Retry::Write,
            })
            .await?;
        answer.json("POST /v2/keys/rotate")
    }
}

fn full_host(endpoint: &str, suffix: &str) -> String {
    let e = endpoint.trim().to_ascii_lowercase();
    let e = e.strip_prefix("https://").unwrap_or(&e);
    let e = e.split(['/', ':']).next().unwrap_or("");
    if e.contains('.') {
        e.to_string()
    } else {
        format!("{e}{suffix}")
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_default())
}

/// A string, or nothing for `null`/missing; numbers and booleans are accepted as text.
fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

/// A credential, or nothing when missing, `null` or empty (hidden credentials).
fn opt_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.trim().is_empty())
        .map(Secret::new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn databases_parse_with_or_without_credentials() {
        let with: Database = serde_json::from_str(
            r#"{"database_id":"d1","database_name":"cache","endpoint":"eu2-sought-mollusk-30143",
                "region":"global","primary_region":"eu-west-1","port":6379,
                "password":"p","rest_token":"t","read_only_rest_token":"r","extra":[1]}"#,
        )
        .unwrap();
        assert!(with.has_credentials());
        assert_eq!(with.host(), "eu2-sought-mollusk-30143.upstash.io");
        assert_eq!(with.number(), Some(30143));
        assert_eq!(with.display_region().as_deref(), Some("eu-west-1"));
        let without: Database = serde_json::from_str(
            r#"{"database_id":"d1","endpoint":"x-1.upstash.io","password":"","rest_token":null}"#,
        )
        .unwrap();
        assert!(!without.has_credentials() && without.password.is_none());
        assert_eq!(without.number(), Some(1));
        assert!(serde_json::from_str::<Database>(r#"{"database_name":"no id"}"#).is_err());
    }

    #[test]
    fn index_slugs_normalise() {
        for e in [
            "glowing-baboon-15797-us1",
            "glowing-baboon-15797-us1-vector.upstash.io",
            "https://glowing-baboon-15797-us1-search.upstash.io/",
        ] {
            assert_eq!(index_slug(e), "glowing-baboon-15797-us1");
        }
    }

    #[test]
    fn qstash_hosts_per_region() {
        assert_eq!(
            qstash_host("eu-central-1"),
            "qstash-eu-central-1.upstash.io"
        );
        assert_eq!(qstash_host("US-EAST-1"), "qstash-us-east-1.upstash.io");
        assert_eq!(qstash_host("../evil.com/"), "qstash-evilcom.upstash.io");
        assert_eq!(qstash_host(""), "qstash.upstash.io");
    }

    #[test]
    fn audit_entries_by_api_key() {
        let e: AuditLog = serde_json::from_str(
            r#"{"timestamp":1764587058000,"action":13,"action_string":"Delete Team","source":"API_KEY - ci"}"#,
        )
        .unwrap();
        assert!(e.by_api_key());
        assert_eq!(e.unix_seconds(), Some(1764587058));
        assert_eq!(e.action_text(), "Delete Team");
        let c: AuditLog = serde_json::from_str(r#"{"source":"CONSOLE"}"#).unwrap();
        assert!(!c.by_api_key());
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let d: Database = serde_json::from_str(
            r#"{"database_id":"d","password":"pw-value-1234","rest_token":"tok-value-1234"}"#,
        )
        .unwrap();
        let s = format!("{d:?}");
        assert!(
            !s.contains("pw-value-1234") && !s.contains("tok-value-1234"),
            "{s}"
        );
    }
}
