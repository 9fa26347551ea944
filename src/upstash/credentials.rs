//! What the account check needs to know before it talks to anyone: the Developer API
//! credentials (one email/key pair per account or team), where the API lives, the test
//! redirection, and the limits every request obeys.
//!
//! Credentials never come from a command-line argument: from `UPSTASH_EMAIL` and
//! `UPSTASH_API_KEY`, or from an account file (format below). API keys are held in [`Secret`],
//! whose `Debug` prints nothing of the value.
//!
//! # Account file
//!
//! One Developer API key per line: the account's email, whitespace, the API key.
//!
//! ```text
//! # upsweep account file. A key sees one context (your personal account or one team):
//! # list one key per team you want covered.
//! ops@example.com        8d2f0c9e-5b1a-4c6e-9f3d-2a7b6c1e0d4f
//! ops@example.com        1b9e7a2c-3d4f-4a5b-8c6d-7e8f9a0b1c2d
//! platform@example.com   0f1e2d3c-4b5a-4968-8776-655443322110
//! ```
//!
//! Blank lines and lines starting with `#` are ignored; anything else must be exactly two
//! fields. The same email may appear on several lines (one key per team). Errors name the line,
//! never the key. On Unix a file readable by group or others gets a warning in
//! [`AccountConfig::warnings`]: it holds credentials, so make it `chmod 600`.

use anyhow::{bail, Context as _, Result};
use reqwest::Url;
use sha2::{Digest, Sha256};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// The Developer API's documented base.
pub const DEFAULT_API_URL: &str = "https://api.upstash.com/v2";
/// Environment variable overriding [`DEFAULT_API_URL`] (tests, corporate proxies).
pub const ENV_API_URL: &str = "UPSTASH_API_URL";
/// Environment variable sending every request meant for an Upstash host to a loopback address.
pub const ENV_TEST_ADDR: &str = "UPSWEEP_TEST_UPSTASH_ADDR";
pub const ENV_EMAIL: &str = "UPSTASH_EMAIL";
pub const ENV_API_KEY: &str = "UPSTASH_API_KEY";

/// A credential value: compared, hashed and sent, never printed.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that sends or compares it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Lowercase hex SHA-256, the form every comparison uses.
    pub fn sha256(&self) -> String {
        crate::finding::sha256_hex(&self.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// One Developer API credential: the account's email and one API key (personal or one team).
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub email: String,
    pub api_key: Secret,
    /// Where it was configured (`environment`, `accounts.txt:3`), for messages.
    pub source: String,
}

impl Account {
    pub fn new(email: impl Into<String>, api_key: impl Into<String>) -> Account {
        Account {
            email: email.into(),
            api_key: Secret::new(api_key),
            source: "configuration".to_string(),
        }
    }

    /// The first 8 hex digits of the key's SHA-256: tells two keys of one email apart without
    /// revealing either.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.api_key.expose().as_bytes());
        format!(
            "{:02x}{:02x}{:02x}{:02x}",
            digest[0], digest[1], digest[2], digest[3]
        )
    }

    /// A short identity for messages and reports: `ops@example.com (key 1a2b3c4d)`.
    pub fn label(&self) -> String {
        format!("{} (key {})", self.email, self.fingerprint())
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("email", &self.email)
            .field("api_key", &self.api_key)
            .field("source", &self.source)
            .finish()
    }
}

/// Timeouts, retries and parallelism. The defaults suit the real API; tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// One HTTP attempt, connection to last byte.
    pub request_timeout: Duration,
    /// The whole check (inventory, live checks, API-key checks) ends by then; what is not
    /// answered becomes `unknown`.
    pub deadline: Duration,
    /// Extra attempts after the first for 429, 5xx, timeouts and dropped connections (writes
    /// are repeated only when the server cannot have acted: 429, refused connections).
    pub retries: u32,
    /// First backoff; doubled each retry, with jitter.
    pub backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the retries at once.
    pub max_retry_after: Duration,
    /// Developer API and QStash requests in flight at once.
    pub concurrency: usize,
    /// Live-check requests in flight at once.
    pub live_concurrency: usize,
    /// Minimum spacing of live-check requests to one host.
    pub per_host_interval: Duration,
    /// Audit-log entries kept per account.
    pub audit_entries: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            request_timeout: Duration::from_secs(15),
            deadline: Duration::from_secs(90),
            retries: 3,
            backoff: Duration::from_millis(300),
            max_retry_after: Duration::from_secs(30),
            concurrency: 8,
            live_concurrency: 4,
            per_host_interval: Duration::from_millis(250),
            audit_entries: 20,
        }
    }
}

/// Everything the account check is configured with.
#[derive(Clone)]
pub struct AccountConfig {
    pub accounts: Vec<Account>,
    pub limits: Limits,
    /// Things worth telling the user (a world-readable account file).
    pub warnings: Vec<String>,
    api_url: Url,
    test_addr: Option<SocketAddr>,
}

impl fmt::Debug for AccountConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountConfig")
            .field("accounts", &self.accounts)
            .field("limits", &self.limits)
            .field("api_url", &self.api_url.as_str())
            .field("test_addr", &self.test_addr)
            .finish()
    }
}

impl AccountConfig {
    /// A configuration for these accounts with the documented API URL and default limits.
    pub fn new(accounts: Vec<Account>) -> AccountConfig {
        AccountConfig {
            accounts,
            limits: Limits::default(),
            warnings: Vec::new(),
            api_url: Url::parse(DEFAULT_API_URL).expect("default API URL"),
            test_addr: None,
        }
    }

    /// From the process environment (`UPSTASH_EMAIL`, `UPSTASH_API_KEY`, `UPSTASH_API_URL`,
    /// `UPSWEEP_TEST_UPSTASH_ADDR`) and, when given, an account file. Fails when no account is
    /// configured, when only half of the email/key pair is set, or when an override is refused.
    pub fn from_env(account_file: Option<&Path>) -> Result<AccountConfig> {
        Self::from_lookup(account_file, |name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the environment given as a lookup function (tests run
    /// in parallel and must not share the process environment).
    pub fn from_lookup(
        account_file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<AccountConfig> {
        let var = |name: &str| {
            env(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut cfg = AccountConfig::new(Vec::new());
        if let Some(path) = account_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read account file {}", path.display()))?;
            cfg.accounts = parse_account_file(&text, &path.display().to_string())?;
            if cfg.accounts.is_empty() {
                bail!("account file {} lists no account", path.display());
            }
            if let Some(w) = permission_warning(path) {
                cfg.warnings.push(w);
            }
        }
        match (var(ENV_EMAIL), var(ENV_API_KEY)) {
            (Some(email), Some(key)) => {
                let mut a = Account::new(email, key);
                a.source = "environment".to_string();
                if !cfg
                    .accounts
                    .iter()
                    .any(|b| b.email == a.email && b.api_key == a.api_key)
                {
                    cfg.accounts.push(a);
                }
            }
            (Some(_), None) => bail!("{ENV_EMAIL} is set but {ENV_API_KEY} is not"),
            (None, Some(_)) => bail!("{ENV_API_KEY} is set but {ENV_EMAIL} is not"),
            (None, None) => {}
        }
        if cfg.accounts.is_empty() {
            bail!(
                "no Upstash account configured: set {ENV_EMAIL} and {ENV_API_KEY}, or pass \
                 --account-file (one `EMAIL API_KEY` per line)"
            );
        }
        if let Some(url) = var(ENV_API_URL) {
            cfg.set_api_url(&url)
                .with_context(|| format!("{ENV_API_URL} refused"))?;
        }
        if let Some(addr) = var(ENV_TEST_ADDR) {
            cfg.set_test_addr(&addr)
                .with_context(|| format!("{ENV_TEST_ADDR} refused"))?;
        }
        Ok(cfg)
    }

    /// The Developer API base URL (default `https://api.upstash.com/v2`).
    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    /// Override the Developer API base. HTTPS is required, except on a loopback address.
    /// Only the configured account's own key is sent there: a found secret goes only to
    /// Upstash's hosts.
    pub fn set_api_url(&mut self, url: &str) -> Result<()> {
        let parsed = Url::parse(url.trim_end_matches('/')).context("not a URL")?;
        let host = parsed.host_str().unwrap_or("");
        match parsed.scheme() {
            "https" => {}
            "http" if is_loopback_host(host) => {}
            s => bail!(
                "scheme {s}:// is not allowed (use https://, or http:// on a loopback address)"
            ),
        }
        if host.is_empty() || !parsed.username().is_empty() || parsed.password().is_some() {
            bail!("the URL must name a host and carry no credentials");
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            bail!("the URL must not have a query or fragment");
        }
        self.api_url = parsed;
        Ok(())
    }

    /// Where requests for Upstash hosts go instead, when testing.
    pub fn test_addr(&self) -> Option<SocketAddr> {
        self.test_addr
    }

    /// Send every request meant for an Upstash host to `addr` (`127.0.0.1:PORT`) over plain
    /// HTTP, keeping the original `Host` header. Refused unless `addr` is a loopback IP address.
    pub fn set_test_addr(&mut self, addr: &str) -> Result<()> {
        self.test_addr = Some(parse_test_addr(addr)?);
        Ok(())
    }
}

/// `127.0.0.1:PORT` or `[::1]:PORT`; anything that is not a loopback IP address is refused.
pub fn parse_test_addr(addr: &str) -> Result<SocketAddr> {
    let sa: SocketAddr = addr.trim().parse().with_context(|| {
        format!("{addr:?} is not an IP address and port such as 127.0.0.1:8080")
    })?;
    if !sa.ip().is_loopback() {
        bail!(
            "{sa} is not a loopback address: the test redirection only sends requests to this \
             machine (127.0.0.0/8 or ::1)"
        );
    }
    if sa.port() == 0 {
        bail!("{sa} has no port");
    }
    Ok(sa)
}

fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Parse an account file (format in the module docs). `name` labels errors and accounts.
pub fn parse_account_file(text: &str, name: &str) -> Result<Vec<Account>> {
    let mut out: Vec<Account> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [email, key] = fields[..] else {
            bail!(
                "{name}:{}: expected `EMAIL API_KEY` (two fields separated by spaces), found {} field(s)",
                i + 1,
                fields.len()
            );
        };
        if !email.contains('@') {
            bail!(
                "{name}:{}: the first field must be the account's email",
                i + 1
            );
        }
        let account = Account {
            email: email.to_string(),
            api_key: Secret::new(key),
            source: format!("{name}:{}", i + 1),
        };
        if !out
            .iter()
            .any(|a| a.email == account.email && a.api_key == account.api_key)
        {
            out.push(account);
        }
    }
    Ok(out)
}

#[cfg(unix)]
fn permission_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "account file {} is readable by other users (mode {:o}): it holds API keys, run chmod 600 on it",
            path.display(),
            mode & 0o777
        )
    })
}

#[cfg(not(unix))]
fn permission_warning(_: &Path) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "8d2f0c9e-5b1a-4c6e-9f3d-2a7b6c1e0d4f";

    #[test]
    fn account_file_lines_comments_and_errors() {
        let text = format!("# comment\n\nops@example.com  {KEY}\n  team@example.com\t{KEY}x  \n");
        let a = parse_account_file(&text, "acc.txt").unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].email, "ops@example.com");
        assert_eq!(a[0].api_key.expose(), KEY);
        assert_eq!(a[1].source, "acc.txt:4");
        let err = parse_account_file(&format!("ops@example.com {KEY} extra\n"), "f")
            .unwrap_err()
            .to_string();
        assert!(err.contains("f:1") && !err.contains(KEY), "{err}");
        let err = parse_account_file(&format!("{KEY}\n"), "f")
            .unwrap_err()
            .to_string();
        assert!(!err.contains(KEY), "{err}");
    }

    #[test]
    fn environment_pairs_and_overrides() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let cfg =
            AccountConfig::from_lookup(None, env(&[(ENV_EMAIL, "a@b.c"), (ENV_API_KEY, KEY)]))
                .unwrap();
        assert_eq!(cfg.accounts.len(), 1);
        assert_eq!(cfg.api_url().as_str(), "https://api.upstash.com/v2");
        assert!(cfg.test_addr().is_none());
        assert!(AccountConfig::from_lookup(None, env(&[(ENV_EMAIL, "a@b.c")])).is_err());
        assert!(AccountConfig::from_lookup(None, env(&[])).is_err());
        let bad = AccountConfig::from_lookup(
            None,
            env(&[
                (ENV_EMAIL, "a@b.c"),
                (ENV_API_KEY, KEY),
                (ENV_TEST_ADDR, "10.0.0.1:80"),
            ]),
        );
        assert!(format!("{:#}", bad.unwrap_err()).contains("loopback"));
        let bad = AccountConfig::from_lookup(
            None,
            env(&[
                (ENV_EMAIL, "a@b.c"),
                (ENV_API_KEY, KEY),
                (ENV_API_URL, "http://proxy.corp:8080/v2"),
            ]),
        );
        assert!(bad.is_err());
    }

    #[test]
    fn test_address_must_be_loopback() {
        assert!(parse_test_addr("127.0.0.1:4000").is_ok());
        assert!(parse_test_addr("[::1]:4000").is_ok());
        for bad in [
            "10.0.0.1:80",
            "0.0.0.0:80",
            "localhost:80",
            "api.upstash.com:443",
            "127.0.0.1",
        ] {
            assert!(parse_test_addr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_keys() {
        let mut cfg = AccountConfig::new(vec![Account::new("a@b.c", KEY)]);
        cfg.set_api_url("https://proxy.example.com/v2").unwrap();
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains(KEY) && dbg.contains("a@b.c"), "{dbg}");
        assert!(!cfg.accounts[0].label().contains(KEY));
    }
}
