//! What the GitHub side needs before it sends anything: where the REST API lives, the token,
//! and the limits every call obeys.
//!
//! - The API base comes from an explicit value (`--github-api-url`), else `GITHUB_API_URL`
//!   (set by GitHub Actions and GitHub Enterprise Server), else `https://api.github.com`.
//!   Plain `http://` is accepted only for a loopback host (tests): the token never travels
//!   unencrypted off this machine.
//! - The token comes from `GITHUB_TOKEN` or `GH_TOKEN`, never from an argument, and lives in a
//!   [`Token`], whose `Debug` and `Display` print nothing of it. Without one, only public
//!   repositories can be read, at 60 requests an hour.

use anyhow::{bail, Context as _, Result};
use reqwest::Url;
use std::fmt;
use std::time::Duration;

/// GitHub's public REST API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// Set by GitHub Actions and GitHub Enterprise Server runners.
pub const ENV_API_URL: &str = "GITHUB_API_URL";
/// Where the token is read from, in this order.
pub const ENV_TOKENS: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];

/// A GitHub token: sent as a header (the API, and git's HTTP when it asks), never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token from its value: surrounding whitespace (a trailing newline from a file) is
    /// dropped; anything that cannot be an HTTP header value is refused, without quoting it.
    pub fn new(value: &str) -> Result<Token> {
        let v = value.trim();
        if v.is_empty() {
            bail!("the token is empty");
        }
        if !v.bytes().all(|b| b.is_ascii_graphic()) {
            bail!(
                "the token holds characters no GitHub token has (spaces, control characters or \
                 non-ASCII): check how it was set"
            );
        }
        Ok(Token(v.to_string()))
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// The first of `GITHUB_TOKEN`, `GH_TOKEN` that is set and not empty, with the variable's name.
pub fn token_from_env() -> Result<Option<(Token, &'static str)>> {
    token_from(|k| std::env::var(k).ok())
}

fn token_from(get: impl Fn(&str) -> Option<String>) -> Result<Option<(Token, &'static str)>> {
    for name in ENV_TOKENS {
        match get(name) {
            Some(v) if !v.trim().is_empty() => {
                let t = Token::new(&v).with_context(|| format!("{name} is not usable"))?;
                return Ok(Some((t, name)));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Bounds on every call.
#[derive(Debug, Clone)]
pub struct Limits {
    /// One request, from sending to the whole body read.
    pub request_timeout: Duration,
    /// How long the whole run may wait for the primary rate limit to reset (`--max-wait`).
    /// Past it, calls fail with [`super::GithubError::RateLimited`].
    pub max_wait: Duration,
    /// Repeats of one request after a secondary rate limit, a 5xx or a dropped connection.
    pub retries: u32,
    /// First pause between repeats (doubled each time, capped at 10 s).
    pub backoff: Duration,
    /// The pause after a secondary limit that does not say how long (GitHub: "at least one
    /// minute").
    pub secondary_wait: Duration,
    /// `per_page` asked of every listing (GitHub's maximum is 100).
    pub per_page: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            request_timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(15 * 60),
            retries: 3,
            backoff: Duration::from_millis(500),
            secondary_wait: Duration::from_secs(60),
            per_page: 100,
        }
    }
}

/// Where the API is, who we are, and the limits.
#[derive(Debug, Clone)]
pub struct GithubConfig {
    api_url: Url,
    pub token: Option<Token>,
    /// Which variable the token came from (`GITHUB_TOKEN`), for messages.
    pub token_source: Option<&'static str>,
    pub limits: Limits,
}

impl GithubConfig {
    /// A configuration for `api_url` (checked as [`check_api_url`] does) and `token`.
    pub fn new(api_url: &str, token: Option<Token>) -> Result<GithubConfig> {
        Ok(GithubConfig {
            api_url: check_api_url(api_url)?,
            token,
            token_source: None,
            limits: Limits::default(),
        })
    }

    /// From the environment: the API base is `explicit` if given, else `GITHUB_API_URL`, else
    /// [`DEFAULT_API_URL`]; the token is `GITHUB_TOKEN` or `GH_TOKEN`.
    pub fn from_env(explicit: Option<&str>) -> Result<GithubConfig> {
        Self::from_lookup(explicit, |k| std::env::var(k).ok())
    }

    /// [`GithubConfig::from_env`] over any variable lookup (tests).
    pub fn from_lookup(
        explicit: Option<&str>,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<GithubConfig> {
        let (url, from) = match explicit {
            Some(u) => (u.to_string(), "--github-api-url"),
            None => match get(ENV_API_URL).filter(|v| !v.trim().is_empty()) {
                Some(u) => (u, ENV_API_URL),
                None => (DEFAULT_API_URL.to_string(), "the default"),
            },
        };
        let api_url = check_api_url(url.trim()).with_context(|| format!("{from} ({url})"))?;
        let (token, token_source) = match token_from(get)? {
            Some((t, name)) => (Some(t), Some(name)),
            None => (None, None),
        };
        Ok(GithubConfig {
            api_url,
            token,
            token_source,
            limits: Limits::default(),
        })
    }

    /// The API base, without a trailing slash in its path.
    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    /// The web address people read (links in comments): `GITHUB_SERVER_URL` when Actions sets
    /// it, else the API base less its `api.` label (`api.github.com` -> `github.com`) or its
    /// `/api/v3` path (GitHub Enterprise Server).
    pub fn web_url(&self, server_url: Option<&str>) -> String {
        if let Some(s) = server_url.map(str::trim).filter(|s| !s.is_empty()) {
            if let Ok(u) = check_api_url(s) {
                return u.as_str().trim_end_matches('/').to_string();
            }
        }
        let a = &self.api_url;
        let host = a.host_str().unwrap_or("");
        let host = host.strip_prefix("api.").unwrap_or(host);
        match a.port() {
            Some(p) => format!("{}://{host}:{p}", a.scheme()),
            None => format!("{}://{host}", a.scheme()),
        }
    }

    /// The host git clones are expected on: the API host itself (GitHub Enterprise Server,
    /// tests) or the API host without its `api.` label (`api.github.com` -> `github.com`).
    pub fn allows_git_host(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let api = self.api_url.host_str().unwrap_or("");
        let secure = match url.scheme() {
            "https" => true,
            "http" => is_loopback_host(host) && is_loopback_host(api),
            _ => false,
        };
        let clean = url.username().is_empty() && url.password().is_none();
        let related = host.eq_ignore_ascii_case(api)
            || api
                .strip_prefix("api.")
                .is_some_and(|web| host.eq_ignore_ascii_case(web));
        secure && clean && related
    }
}

/// Parse and check an API base: `https://` anywhere, `http://` only on a loopback host; a host,
/// no credentials, no query or fragment. The path is kept (GitHub Enterprise Server serves the
/// API under `/api/v3`), without a trailing slash.
pub fn check_api_url(url: &str) -> Result<Url> {
    let mut parsed = Url::parse(url).context("not a URL")?;
    let host = parsed.host_str().unwrap_or("").to_string();
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback_host(&host) => {}
        "http" => bail!(
            "plain http:// is only accepted for a loopback host (127.0.0.1, ::1, localhost): \
             the token would travel unencrypted; use https://"
        ),
        s => bail!("scheme {s}:// is not allowed (use https://)"),
    }
    if host.is_empty() || !parsed.username().is_empty() || parsed.password().is_some() {
        bail!("the URL must name a host and carry no credentials");
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        bail!("the URL must not have a query or fragment");
    }
    let path = parsed.path().trim_end_matches('/').to_string();
    parsed.set_path(&path);
    Ok(parsed)
}

/// `localhost`, `127.0.0.0/8` or `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn api_url_precedence_explicit_then_env_then_default() {
        let env = lookup(&[("GITHUB_API_URL", "https://ghe.example.com/api/v3/")]);
        let c = GithubConfig::from_lookup(Some("http://127.0.0.1:9"), &env).unwrap();
        assert_eq!(c.api_url().as_str(), "http://127.0.0.1:9/");
        let c = GithubConfig::from_lookup(None, &env).unwrap();
        assert_eq!(c.api_url().as_str(), "https://ghe.example.com/api/v3");
        let c = GithubConfig::from_lookup(None, lookup(&[])).unwrap();
        assert_eq!(c.api_url().as_str(), "https://api.github.com/");
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:80",
            "http://localhost:3000/api",
            "https://api.github.com",
            "https://ghe.corp.example/api/v3",
        ] {
            assert!(check_api_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.github.com",
            "http://10.0.0.1",
            "http://localhost.evil.example",
            "ftp://api.github.com",
            "https://user:pw@api.github.com",
            "https://api.github.com?x=1",
            "not a url",
        ] {
            assert!(check_api_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_from_github_token_then_gh_token_never_quoted() {
        let (t, from) = token_from(lookup(&[
            ("GH_TOKEN", "ghp_b"),
            ("GITHUB_TOKEN", "ghp_a\n"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((t.expose(), from), ("ghp_a", "GITHUB_TOKEN"));
        let (t, from) = token_from(lookup(&[("GITHUB_TOKEN", " "), ("GH_TOKEN", "ghp_b")]))
            .unwrap()
            .unwrap();
        assert_eq!((t.expose(), from), ("ghp_b", "GH_TOKEN"));
        assert!(token_from(lookup(&[])).unwrap().is_none());
        let err = token_from(lookup(&[("GITHUB_TOKEN", "ghp_se cret")])).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("GITHUB_TOKEN") && !msg.contains("cret"),
            "{msg}"
        );
        assert_eq!(
            format!("{:?}", Token::new("ghp_x").unwrap()),
            "Token([redacted])"
        );
    }

    #[test]
    fn web_links_follow_the_server_or_the_api_host() {
        let gh = GithubConfig::new(DEFAULT_API_URL, None).unwrap();
        assert_eq!(gh.web_url(None), "https://github.com");
        assert_eq!(
            gh.web_url(Some("https://github.example.com/")),
            "https://github.example.com"
        );
        assert_eq!(
            gh.web_url(Some("http://evil.example")),
            "https://github.com"
        );
        let ghe = GithubConfig::new("https://ghe.corp.example/api/v3", None).unwrap();
        assert_eq!(ghe.web_url(None), "https://ghe.corp.example");
        let local = GithubConfig::new("http://127.0.0.1:5000", None).unwrap();
        assert_eq!(local.web_url(None), "http://127.0.0.1:5000");
    }

    #[test]
    fn git_hosts_follow_the_api_host() {
        let gh = GithubConfig::new(DEFAULT_API_URL, None).unwrap();
        let ok = |c: &GithubConfig, u: &str| c.allows_git_host(&Url::parse(u).unwrap());
        assert!(ok(&gh, "https://github.com/o/n.git"));
        assert!(ok(&gh, "https://api.github.com/o/n.git"));
        assert!(!ok(&gh, "http://github.com/o/n.git"));
        assert!(!ok(&gh, "https://github.com.evil.example/o/n.git"));
        assert!(!ok(&gh, "https://x:y@github.com/o/n.git"));
        assert!(!ok(&gh, "ssh://github.com/o/n.git"));
        let ghe = GithubConfig::new("https://ghe.corp.example/api/v3", None).unwrap();
        assert!(ok(&ghe, "https://ghe.corp.example/o/n.git"));
        assert!(!ok(&ghe, "https://github.com/o/n.git"));
        let local = GithubConfig::new("http://127.0.0.1:5000", None).unwrap();
        assert!(ok(&local, "http://127.0.0.1:5000/git/o/n.git"));
        assert!(!ok(&local, "http://example.com/o/n.git"));
    }
}
