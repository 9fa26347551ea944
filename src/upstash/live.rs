//! `--live`: does a credential still work? One harmless read, sent only to the host the
//! credential belongs to (or the Upstash host written beside it), and only under `upstash.io`:
//! `GET /ping` for a Redis REST token, `GET /info` for a Vector or Search token, `GET
//! /v2/queues` for a QStash token. A 2xx is `live`, a 401 is `dead`; a 429, a timeout, any other
//! status or error is `unknown`, never `dead`. Hosts the scanner also detects but that are not
//! under `upstash.io` (`*.upstashdev.com`, `*.kv.vercel-storage.com`) are never contacted, and
//! a Kafka password is never probed (the product is closed).
//!
//! A credential the inventory holds as current is `live` without a request. Requests are
//! bounded in number at once, spaced per host, and end at the run's deadline.

use super::api::{index_slug, qstash_host};
use super::credentials::Secret;
use super::http::{is_upstash_host, Http};
use super::ownership::is_redis_host;
use super::verdict::{FindingVerdict, LiveVerdict, Liveness, Ownership, Product};
use crate::finding::{Finding, Kind};
use reqwest::Url;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The QStash regions tried, in order, when nothing beside a token names its region.
pub const QSTASH_REGIONS: [&str; 2] = ["eu-central-1", "us-east-1"];

/// What to ask for one finding: URLs tried in order, or why nothing can be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Probe(Vec<Url>),
    Skip(String),
}

/// Live-check every finding in `verdicts` (Developer API keys excepted: their check is
/// [`super::apikey`]'s) and store the result in each verdict's `live`.
pub async fn check(
    http: &Http,
    findings: &[Finding],
    verdicts: &mut BTreeMap<String, FindingVerdict>,
) {
    let limits = http.limits().clone();
    let gate = Arc::new(HostGate::new(limits.per_host_interval));
    let permits = Arc::new(Semaphore::new(limits.live_concurrency.max(1)));
    let mut set = JoinSet::new();
    for f in findings {
        if f.kind == Kind::DeveloperApiKey {
            continue;
        }
        let Some(v) = verdicts.get_mut(&f.sha256) else {
            continue;
        };
        if v.account.verdict == Ownership::Owned {
            v.live = Some(LiveVerdict {
                verdict: Liveness::Live,
                reason: "a current credential in the account's inventory".to_string(),
            });
            continue;
        }
        let rotated_host = v
            .account
            .resource
            .as_ref()
            .filter(|_| v.account.verdict == Ownership::OwnedRotated)
            .and_then(|r| r.endpoint.clone());
        match plan(f, rotated_host.as_deref()) {
            Plan::Skip(reason) => {
                v.live = Some(LiveVerdict {
                    verdict: Liveness::Unknown,
                    reason,
                })
            }
            Plan::Probe(urls) => {
                let http = http.clone();
                let gate = gate.clone();
                let permits = permits.clone();
                let token = Secret::new(f.secret.clone());
                let sha = f.sha256.clone();
                set.spawn(
                    async move { (sha, probe_all(&http, &gate, &permits, &urls, &token).await) },
                );
            }
        }
    }
    while let Some(joined) = set.join_next().await {
        let (sha, live) = joined.expect("live-check task does not panic");
        if let Some(v) = verdicts.get_mut(&sha) {
            v.live = Some(live);
        }
    }
}

async fn probe_all(
    http: &Http,
    gate: &HostGate,
    permits: &Semaphore,
    urls: &[Url],
    token: &Secret,
) -> LiveVerdict {
    let mut dead: Vec<String> = Vec::new();
    let mut unsure: Vec<String> = Vec::new();
    for url in urls {
        let host = url.host_str().unwrap_or("").to_string();
        let what = format!("GET {} on {host}", url.path());
        gate.wait(&host, http.deadline()).await;
        let Ok(_permit) = permits.acquire().await else {
            break;
        };
        match http.probe(url, token).await {
            Ok(a) if (200..300).contains(&a.status) => {
                return LiveVerdict {
                    verdict: Liveness::Live,
                    reason: format!("{what} answered {}", a.status),
                }
            }
            Ok(a) if a.status == 401 => dead.push(host),
            Ok(a) if a.status == 429 => unsure.push(format!("{what}: rate limited (429)")),
            Ok(a) => unsure.push(format!("{what} answered {}", a.status)),
            Err(e) => unsure.push(format!("{what}: {e}")),
        }
    }
    if !dead.is_empty() && unsure.is_empty() {
        LiveVerdict {
            verdict: Liveness::Dead,
            reason: format!("rejected (401) by {}", dead.join(", ")),
        }
    } else {
        let mut parts = unsure;
        if !dead.is_empty() {
            parts.push(format!("rejected (401) by {}", dead.join(", ")));
        }
        LiveVerdict {
            verdict: Liveness::Unknown,
            reason: if parts.is_empty() {
                "no answer before the deadline".to_string()
            } else {
                parts.join("; ")
            },
        }
    }
}

/// The hosts written beside a finding that agree with it, lowercased, with no port or path.
fn hosts_beside(f: &Finding) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let from_locations = f
        .locations
        .iter()
        .filter(|l| l.context.host_agrees != Some(false))
        .filter_map(|l| l.context.host.clone());
    for h in from_locations.chain(f.details.url_host.clone()) {
        let h = bare_host(&h);
        if !h.is_empty() && !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

fn bare_host(h: &str) -> String {
    let h = h.trim().to_ascii_lowercase();
    let h = h.split("://").last().unwrap_or("");
    let h = h.split(['/', '?', '#']).next().unwrap_or("");
    let h = h.rsplit('@').next().unwrap_or("");
    h.split(':').next().unwrap_or("").to_string()
}

/// What to ask for a finding (pure: no I/O), given the host of the account resource an
/// `owned-rotated` verdict named.
pub fn plan(f: &Finding, rotated_host: Option<&str>) -> Plan {
    let beside = hosts_beside(f);
    let foreign: Vec<&String> = beside.iter().filter(|h| !is_upstash_host(h)).collect();
    let mut hosts: Vec<String> = Vec::new();
    let push = |hosts: &mut Vec<String>, h: String| {
        if is_upstash_host(&h) && !hosts.contains(&h) {
            hosts.push(h);
        }
    };
    let path;
    match f.kind {
        Kind::RedisPassword => return Plan::Skip(password_only()),
        Kind::RedisUrl if f.details.password_kind == Some(Kind::RedisPassword) => {
            return Plan::Skip(password_only())
        }
        Kind::RedisRestToken | Kind::RedisRestTokenReadonly | Kind::RedisUrl => {
            path = "/ping";
            let n = f.details.database_number;
            for h in &beside {
                if is_redis_host(h) && (n.is_none() || crate::decode::host_number(h) == n) {
                    push(&mut hosts, h.clone());
                }
            }
            if let Some(h) = rotated_host {
                push(&mut hosts, h.to_ascii_lowercase());
            }
        }
        Kind::VectorToken
        | Kind::VectorTokenReadonly
        | Kind::SearchToken
        | Kind::SearchTokenReadonly => {
            path = "/info";
            let slug = f.details.index_endpoint.as_deref().map(index_slug);
            for h in &beside {
                if is_index_host(h) && slug.as_deref().is_none_or(|s| index_slug(h) == s) {
                    push(&mut hosts, h.clone());
                }
            }
            if let Some(h) = rotated_host {
                push(&mut hosts, h.to_ascii_lowercase());
            }
            if let Some(s) = slug.filter(|s| !s.is_empty()) {
                let products: &[Product] = match (f.kind, f.details.product) {
                    (Kind::SearchToken | Kind::SearchTokenReadonly, _) | (_, Some("search")) => {
                        &[Product::Search]
                    }
                    (_, Some("unknown")) => &[Product::Vector, Product::Search],
                    _ => &[Product::Vector],
                };
                for p in products {
                    let suffix = if *p == Product::Search {
                        "search"
                    } else {
                        "vector"
                    };
                    push(&mut hosts, format!("{s}-{suffix}.upstash.io"));
                }
            }
        }
        Kind::QstashToken => {
            path = "/v2/queues";
            for h in &beside {
                if h.starts_with("qstash") {
                    push(&mut hosts, h.clone());
                }
            }
            let from_variable = f
                .locations
                .iter()
                .filter_map(|l| l.context.variable.as_deref())
                .find_map(region_of_variable);
            for region in from_variable.into_iter().chain(QSTASH_REGIONS) {
                push(&mut hosts, qstash_host(region));
            }
        }
        Kind::QstashSigningKey => return Plan::Skip(
            "a signing key cannot be tested with a request: it only signs and verifies messages"
                .to_string(),
        ),
        Kind::DeveloperApiKey => {
            return Plan::Skip("checked by authenticating with it".to_string())
        }
        Kind::KafkaPassword => return Plan::Skip(super::ownership::KAFKA_CLOSED.to_string()),
    }
    if hosts.is_empty() {
        return Plan::Skip(match foreign.first() {
            Some(h) => format!("the host written beside it ({h}) is not under upstash.io: not contacted"),
            None => "no Upstash host is written beside it (the token carries only its database number), so there is nowhere safe to ask".to_string(),
        });
    }
    Plan::Probe(
        hosts
            .into_iter()
            .filter_map(|h| Url::parse(&format!("https://{h}{path}")).ok())
            .collect(),
    )
}

fn password_only() -> String {
    "a database password is only accepted over the Redis protocol; the live check makes HTTPS reads only"
        .to_string()
}

fn is_index_host(h: &str) -> bool {
    let label = h.split('.').next().unwrap_or("");
    is_upstash_host(h) && (label.ends_with("-vector") || label.ends_with("-search"))
}

/// `US_EAST_1_QSTASH_TOKEN` -> `us-east-1`.
fn region_of_variable(v: &str) -> Option<&'static str> {
    let v = v.to_ascii_uppercase();
    if v.contains("US_EAST_1") || v.contains("US-EAST-1") {
        Some("us-east-1")
    } else if v.contains("EU_CENTRAL_1") || v.contains("EU-CENTRAL-1") {
        Some("eu-central-1")
    } else {
        None
    }
}

/// Spaces requests to one host at least `interval` apart.
struct HostGate {
    interval: Duration,
    next: Mutex<HashMap<String, Instant>>,
}

impl HostGate {
    fn new(interval: Duration) -> HostGate {
        HostGate {
            interval,
            next: Mutex::new(HashMap::new()),
        }
    }

    async fn wait(&self, host: &str, deadline: Instant) {
        let slot = {
            let mut next = self.next.lock().expect("host gate lock");
            let now = Instant::now();
            let slot = next.get(host).copied().unwrap_or(now).max(now);
            next.insert(host.to_string(), slot + self.interval);
            slot
        };
        tokio::time::sleep_until(tokio::time::Instant::from_std(slot.min(deadline))).await;
    }
}
