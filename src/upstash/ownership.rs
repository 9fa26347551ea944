//! Is a found secret the account's? Decided locally: the finding's SHA-256 is looked up among
//! the hashes of the inventory's credentials. No secret is sent anywhere for this.
//!
//! - `owned`: the hash is a current credential (a legacy Redis token also matches through the
//!   password it carries, `embedded_password_sha256`).
//! - `owned-rotated`: no hash matches, but the secret names one of the account's resources: a
//!   Redis token's database number (or a legacy token's database id, or the number of a Redis
//!   host written beside a password), a Vector/Search token's index endpoint, a QStash token's
//!   user id.
//! - `not-owned`: nothing matches, every section that could hold it was fetched, and every
//!   team the user belongs to is covered by a configured key (a key sees one team; the teams a
//!   key covers are the `customer_id`s of the resources it lists).
//! - `unknown`: otherwise, with the failure as the reason.

use super::api::{index_slug, qstash_host, Team};
use super::error::ApiError;
use super::http::is_upstash_host;
use super::inventory::{AccountInventory, DbEntry, IndexEntry, Inventory, QstashEntry};
use super::verdict::{AccountVerdict, Credential, Ownership, Product, Resource};
use crate::finding::{Finding, Kind};
use std::collections::{HashMap, HashSet};

/// Matches findings against an inventory. Built once per run: a hash map of every credential.
pub struct OwnershipIndex<'a> {
    inv: &'a Inventory,
    by_hash: HashMap<String, Resource>,
    /// Teams the user belongs to that no configured key covers.
    pub uncovered: Vec<Team>,
    /// An account whose teams could not be listed, and why.
    teams_error: Option<(String, ApiError)>,
}

enum Per {
    Rotated(Resource),
    Unknown(String),
    NotOwned,
}

impl<'a> OwnershipIndex<'a> {
    pub fn new(inv: &'a Inventory) -> OwnershipIndex<'a> {
        let mut by_hash: HashMap<String, Resource> = HashMap::new();
        let mut put = |h: &Option<String>, r: Resource| {
            if let Some(h) = h {
                by_hash.entry(h.clone()).or_insert(r);
            }
        };
        for acct in &inv.accounts {
            for db in acct.databases.iter().flatten() {
                if let Ok(c) = &db.creds {
                    // A new database's password is its read-write token: call it a token.
                    put(
                        &c.rest_token,
                        db_resource(acct, db, Some(Credential::ReadWriteToken)),
                    );
                    put(
                        &c.read_only_token,
                        db_resource(acct, db, Some(Credential::ReadOnlyToken)),
                    );
                    put(
                        &c.password,
                        db_resource(acct, db, Some(Credential::Password)),
                    );
                }
            }
            for ix in acct
                .vector
                .iter()
                .flatten()
                .chain(acct.search.iter().flatten())
            {
                put(
                    &ix.token,
                    index_resource(acct, ix, Some(Credential::ReadWriteToken)),
                );
                put(
                    &ix.read_only_token,
                    index_resource(acct, ix, Some(Credential::ReadOnlyToken)),
                );
            }
            for q in acct.qstash.iter().flatten() {
                put(
                    &q.token,
                    qstash_resource(acct, q, Some(Credential::ReadWriteToken)),
                );
                put(
                    &q.read_only_token,
                    qstash_resource(acct, q, Some(Credential::ReadOnlyToken)),
                );
                if let Ok(s) = &q.signing {
                    put(
                        &Some(s.current.clone()),
                        qstash_resource(acct, q, Some(Credential::CurrentSigningKey)),
                    );
                    put(
                        &Some(s.next.clone()),
                        qstash_resource(acct, q, Some(Credential::NextSigningKey)),
                    );
                }
            }
        }
        let covered: HashSet<String> = inv.accounts.iter().flat_map(|a| a.contexts()).collect();
        let mut uncovered: Vec<Team> = Vec::new();
        let mut teams_error = None;
        for acct in &inv.accounts {
            match &acct.teams {
                Ok(teams) => {
                    for t in teams {
                        let seen = covered.contains(&t.team_id) || covered.contains(&t.team_name);
                        if !seen && !uncovered.iter().any(|u| u.team_id == t.team_id) {
                            uncovered.push(t.clone());
                        }
                    }
                }
                Err(e) => {
                    teams_error.get_or_insert((acct.label.clone(), e.clone()));
                }
            }
        }
        OwnershipIndex {
            inv,
            by_hash,
            uncovered,
            teams_error,
        }
    }

    /// The current credential with this SHA-256, if any.
    pub fn lookup(&self, sha256: &str) -> Option<&Resource> {
        self.by_hash.get(sha256)
    }

    /// The account verdict for one finding (not a Developer API key: those are checked by
    /// authenticating with them, see `apikey`).
    pub fn judge(&self, f: &Finding) -> AccountVerdict {
        if f.kind == Kind::KafkaPassword {
            return unknown(KAFKA_CLOSED.to_string());
        }
        if self.inv.accounts.is_empty() {
            return unknown("no Upstash account is configured".to_string());
        }
        if let Some(r) = self.by_hash.get(&f.sha256) {
            let cred = r
                .credential
                .expect("indexed resources name their credential");
            return AccountVerdict {
                verdict: Ownership::Owned,
                reason: format!("current {cred} of {r} in {}", r.account),
                resource: Some(r.clone()),
            };
        }
        if let Some(r) = f
            .details
            .embedded_password_sha256
            .as_ref()
            .and_then(|h| self.by_hash.get(h))
            .filter(|r| r.credential == Some(Credential::Password))
        {
            return AccountVerdict {
                verdict: Ownership::Owned,
                reason: format!(
                    "legacy read-write token carrying the current password of {r} in {}",
                    r.account
                ),
                resource: Some(r.clone()),
            };
        }
        let mut unknowns: Vec<String> = Vec::new();
        for acct in &self.inv.accounts {
            match per_account(f, acct) {
                Per::Rotated(r) => {
                    return AccountVerdict {
                        verdict: Ownership::OwnedRotated,
                        reason: format!(
                            "names {r} of {} but is no longer one of its credentials (rotated)",
                            r.account
                        ),
                        resource: Some(r),
                    }
                }
                Per::Unknown(why) => unknowns.push(format!("{}: {why}", acct.label)),
                Per::NotOwned => {}
            }
        }
        if !unknowns.is_empty() {
            return unknown(format!("inventory incomplete for {}", unknowns.join("; ")));
        }
        if let Some((label, e)) = &self.teams_error {
            return unknown(format!(
                "could not list the teams of {label} ({e}), so a team no configured key covers may hold it"
            ));
        }
        if !self.uncovered.is_empty() {
            let names: Vec<String> = self
                .uncovered
                .iter()
                .map(|t| {
                    format!(
                        "'{}'",
                        if t.team_name.is_empty() {
                            &t.team_id
                        } else {
                            &t.team_name
                        }
                    )
                })
                .collect();
            return unknown(format!(
                "not in what the configured key(s) see, but the user also belongs to team(s) {} \
                 that no configured API key covers (a key sees one team): add a key per team to \
                 the account file",
                names.join(", ")
            ));
        }
        let n = self.inv.accounts.len();
        AccountVerdict {
            verdict: Ownership::NotOwned,
            reason: format!(
                "matches no credential or resource of the {n} configured account key{}",
                crate::util::text::plural_s(n)
            ),
            resource: None,
        }
    }
}

/// Why a Kafka password gets no verdict: nothing is left to ask (docs/formats.md §1.5).
pub const KAFKA_CLOSED: &str = "an Upstash Kafka password: Upstash closed Kafka in 2025 and the \
     Developer API no longer lists clusters, so it cannot be matched to an account, checked or \
     rotated; remove it from the code and its history, and from anything that still uses it";

fn unknown(reason: String) -> AccountVerdict {
    AccountVerdict {
        verdict: Ownership::Unknown,
        reason,
        resource: None,
    }
}

fn per_account(f: &Finding, acct: &AccountInventory) -> Per {
    match f.kind {
        Kind::RedisRestToken
        | Kind::RedisRestTokenReadonly
        | Kind::RedisPassword
        | Kind::RedisUrl => redis(f, acct),
        Kind::VectorToken | Kind::VectorTokenReadonly => match f.details.product {
            Some("search") => indexes(f, acct, &[Product::Search]),
            Some("unknown") => indexes(f, acct, &[Product::Vector, Product::Search]),
            _ => indexes(f, acct, &[Product::Vector]),
        },
        Kind::SearchToken | Kind::SearchTokenReadonly => indexes(f, acct, &[Product::Search]),
        Kind::QstashToken => match &acct.qstash {
            Err(e) => Per::Unknown(format!("QStash users: {e}")),
            Ok(users) => match users
                .iter()
                .find(|u| f.details.user_id.as_deref() == Some(u.id.as_str()))
            {
                Some(u) if u.token.is_some() && u.read_only_token.is_some() => {
                    Per::Rotated(qstash_resource(acct, u, None))
                }
                Some(u) => Per::Unknown(format!(
                    "the API did not show both tokens of the QStash user ({}) the token names",
                    u.region
                )),
                None => Per::NotOwned,
            },
        },
        Kind::QstashSigningKey => match &acct.qstash {
            Err(e) => Per::Unknown(format!("QStash users: {e}")),
            Ok(users) => match users
                .iter()
                .find_map(|u| u.signing.as_ref().err().map(|e| (u, e)))
            {
                Some((u, e)) => Per::Unknown(format!("QStash signing keys ({}): {e}", u.region)),
                None => Per::NotOwned,
            },
        },
        Kind::DeveloperApiKey | Kind::KafkaPassword => Per::NotOwned,
    }
}

/// The database numbers a Redis secret names: its own (tokens), else those of the Redis hosts
/// written beside it (a bare password).
fn redis_numbers(f: &Finding) -> Vec<u64> {
    if let Some(n) = f.details.database_number {
        return vec![n];
    }
    let mut out = Vec::new();
    let hosts = f
        .locations
        .iter()
        .filter_map(|l| l.context.host.as_deref())
        .chain(f.details.url_host.as_deref());
    for h in hosts {
        if is_redis_host(h) {
            if let Some(n) = crate::decode::host_number(h) {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
    }
    out
}

/// An Upstash host that is a Redis database's (not an index's, QStash's or the API's).
pub fn is_redis_host(h: &str) -> bool {
    let h = h.to_ascii_lowercase();
    let label = h.split('.').next().unwrap_or("");
    is_upstash_host(&h)
        && h != "api.upstash.com"
        && !label.ends_with("-vector")
        && !label.ends_with("-search")
        && !label.ends_with("-kafka")
        && !label.starts_with("qstash")
}

fn redis(f: &Finding, acct: &AccountInventory) -> Per {
    let dbs = match &acct.databases {
        Err(e) => return Per::Unknown(format!("Redis databases: {e}")),
        Ok(d) => d,
    };
    let numbers = redis_numbers(f);
    let id = f.details.database_id.as_deref();
    let named: Vec<&DbEntry> = dbs
        .iter()
        .filter(|d| d.number.is_some_and(|n| numbers.contains(&n)) || Some(d.id.as_str()) == id)
        .collect();
    let read_only = f.details.access == Some("read-only");
    for d in &named {
        if let Ok(c) = &d.creds {
            // Rotated only if the credential it would be is known and differs.
            let shown = if read_only {
                c.read_only_token.is_some()
            } else {
                c.rest_token.is_some() || c.password.is_some()
            };
            return if shown {
                Per::Rotated(db_resource(acct, d, None))
            } else {
                Per::Unknown(format!(
                    "the API did not show the {} of Redis database '{}' ({}), the one the secret names",
                    if read_only { "read-only token" } else { "password or token" },
                    d.name,
                    d.id
                ))
            };
        }
    }
    if let Some((d, Err(e))) = named.first().map(|d| (d, &d.creds)) {
        return Per::Unknown(format!(
            "Redis database '{}' ({}) is the one the secret names, but its credentials could not be fetched: {e}",
            d.name, d.id
        ));
    }
    // A secret that names no database (a bare password) could be any database's; so could any
    // database whose host carries no number.
    let identifies = !numbers.is_empty() || id.is_some();
    let failed = dbs.iter().find_map(|d| match &d.creds {
        Err(e) if !identifies || d.number.is_none() => Some((d, e)),
        _ => None,
    });
    if let Some((d, e)) = failed {
        return Per::Unknown(format!(
            "credentials of Redis database '{}' ({}) could not be fetched: {e}",
            d.name, d.id
        ));
    }
    Per::NotOwned
}

fn indexes(f: &Finding, acct: &AccountInventory, products: &[Product]) -> Per {
    let slug = f.details.index_endpoint.as_deref().map(index_slug);
    let mut unknown = None;
    for p in products {
        let (list, title) = match p {
            Product::Search => (&acct.search, "Search indexes"),
            _ => (&acct.vector, "Vector indexes"),
        };
        match list {
            Err(e) => {
                unknown.get_or_insert(format!("{title}: {e}"));
            }
            Ok(list) => {
                if let Some(ix) = list.iter().find(|ix| Some(&ix.slug) == slug.as_ref()) {
                    let read_only = f.details.access == Some("read-only");
                    let shown = if read_only {
                        &ix.read_only_token
                    } else {
                        &ix.token
                    };
                    if shown.is_none() {
                        return Per::Unknown(format!(
                            "the API did not show the tokens of {} index '{}' ({}), the one the token names",
                            if *p == Product::Search { "Search" } else { "Vector" },
                            ix.name,
                            ix.id
                        ));
                    }
                    return Per::Rotated(index_resource(acct, ix, None));
                }
            }
        }
    }
    match unknown {
        Some(why) => Per::Unknown(why),
        None => Per::NotOwned,
    }
}

fn db_resource(acct: &AccountInventory, db: &DbEntry, credential: Option<Credential>) -> Resource {
    Resource {
        product: Product::Redis,
        id: db.id.clone(),
        name: Some(db.name.clone()).filter(|n| !n.is_empty()),
        region: db.region.clone(),
        endpoint: Some(db.host.clone()),
        credential,
        account: acct.email.clone(),
        account_key: acct.key_fingerprint.clone(),
        team: acct.team_name(&db.customer_id),
    }
}

fn index_resource(
    acct: &AccountInventory,
    ix: &IndexEntry,
    credential: Option<Credential>,
) -> Resource {
    Resource {
        product: ix.product,
        id: ix.id.clone(),
        name: Some(ix.name.clone()).filter(|n| !n.is_empty()),
        region: ix.region.clone(),
        endpoint: Some(ix.host.clone()),
        credential,
        account: acct.email.clone(),
        account_key: acct.key_fingerprint.clone(),
        team: acct.team_name(&ix.customer_id),
    }
}

fn qstash_resource(
    acct: &AccountInventory,
    q: &QstashEntry,
    credential: Option<Credential>,
) -> Resource {
    Resource {
        product: Product::Qstash,
        id: q.id.clone(),
        name: None,
        region: Some(q.region.clone()).filter(|r| !r.is_empty()),
        endpoint: Some(qstash_host(&q.region)),
        credential,
        account: acct.email.clone(),
        account_key: acct.key_fingerprint.clone(),
        team: acct.team_name(&q.customer_id),
    }
}
