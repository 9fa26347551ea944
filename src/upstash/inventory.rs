//! The account's own credentials, fetched once per run: teams, Redis databases (each fetched
//! again when the list omits its credentials), Vector and Search indexes, QStash users per
//! region and each region's signing keys. Requests run in parallel, bounded by the client's
//! semaphore; several accounts are fetched at once.
//!
//! The inventory keeps SHA-256 hashes, never the credentials themselves, and keeps every
//! failure where it happened (per account, per section, per database or region): an incomplete
//! section makes the matching say `unknown`, never `not-owned`.

use super::api::AuditLog;
use super::api::{index_slug, Database, DeveloperApi, Index, QstashApi, QstashUser, Team};
use super::credentials::{Account, Secret};
use super::error::ApiError;
use super::http::Http;
use super::verdict::{AccountSummary, Problem, Product};
use tokio::task::JoinSet;

/// Every configured account's inventory, in configuration order.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub accounts: Vec<AccountInventory>,
}

/// One email/key pair's view: each section is what the API answered, or why it did not.
#[derive(Debug, Clone)]
pub struct AccountInventory {
    pub email: String,
    /// Email and key fingerprint, for messages.
    pub label: String,
    /// SHA-256 of the API key this view was fetched with.
    pub key_sha256: String,
    /// [`Account::fingerprint`] of that key.
    pub key_fingerprint: String,
    pub teams: Result<Vec<Team>, ApiError>,
    pub databases: Result<Vec<DbEntry>, ApiError>,
    pub vector: Result<Vec<IndexEntry>, ApiError>,
    pub search: Result<Vec<IndexEntry>, ApiError>,
    pub qstash: Result<Vec<QstashEntry>, ApiError>,
    /// Fetched only when a Developer API key was found.
    pub audit: Option<Result<Vec<AuditLog>, ApiError>>,
}

/// Hashes of a database's credentials (absent ones are `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredHashes {
    pub password: Option<String>,
    pub rest_token: Option<String>,
    pub read_only_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DbEntry {
    pub id: String,
    pub name: String,
    pub host: String,
    pub number: Option<u64>,
    pub region: Option<String>,
    pub customer_id: Option<String>,
    /// Err when the list omitted them and the database's own answer failed.
    pub creds: Result<CredHashes, ApiError>,
}

#[derive(Debug, Clone)]
pub struct IndexEntry {
    pub product: Product,
    pub id: String,
    pub name: String,
    pub slug: String,
    pub host: String,
    pub region: Option<String>,
    pub customer_id: Option<String>,
    pub token: Option<String>,
    pub read_only_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct QstashEntry {
    pub id: String,
    pub region: String,
    pub customer_id: Option<String>,
    pub token: Option<String>,
    pub read_only_token: Option<String>,
    pub signing: Result<SigningHashes, ApiError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningHashes {
    pub current: String,
    pub next: String,
}

fn hash(s: &Option<Secret>) -> Option<String> {
    s.as_ref().map(Secret::sha256)
}

/// Fetch every account's inventory (and audit logs when `want_audit`).
pub async fn fetch(http: &Http, accounts: &[Account], want_audit: bool) -> Inventory {
    let mut set = JoinSet::new();
    for (i, account) in accounts.iter().enumerate() {
        let http = http.clone();
        let account = account.clone();
        set.spawn(async move { (i, fetch_account(&http, &account, want_audit).await) });
    }
    let mut out: Vec<(usize, AccountInventory)> = Vec::with_capacity(accounts.len());
    while let Some(joined) = set.join_next().await {
        out.push(joined.expect("inventory task does not panic"));
    }
    out.sort_by_key(|(i, _)| *i);
    Inventory {
        accounts: out.into_iter().map(|(_, a)| a).collect(),
    }
}

/// One account's inventory.
pub async fn fetch_account(http: &Http, account: &Account, want_audit: bool) -> AccountInventory {
    let api = DeveloperApi::new(http, account);
    let audit = async {
        if want_audit {
            Some(api.audit_logs().await)
        } else {
            None
        }
    };
    let (teams, databases, vector, search, qstash, audit) = tokio::join!(
        api.teams(),
        databases(&api),
        indexes(&api, Product::Vector),
        indexes(&api, Product::Search),
        qstash(http, &api),
        audit,
    );
    AccountInventory {
        email: account.email.clone(),
        label: account.label(),
        key_sha256: account.api_key.sha256(),
        key_fingerprint: account.fingerprint(),
        teams,
        databases,
        vector,
        search,
        qstash,
        audit,
    }
}

async fn databases(api: &DeveloperApi) -> Result<Vec<DbEntry>, ApiError> {
    let list = api.databases().await?;
    let mut out: Vec<Option<DbEntry>> = vec![None; list.len()];
    let mut set = JoinSet::new();
    for (i, db) in list.into_iter().enumerate() {
        if db.has_credentials() {
            let creds = db_creds(&db);
            out[i] = Some(db_entry(&db, Ok(creds)));
        } else {
            // The list omitted credentials: ask for this database.
            let api = api.clone();
            set.spawn(async move {
                let creds = match api.database(&db.database_id).await {
                    Ok(full) if full.password.is_some() || full.rest_token.is_some() => {
                        Ok(db_creds(&full))
                    }
                    Ok(_) => Err(ApiError::Malformed {
                        what: format!("GET /redis/database/{}", db.database_id),
                        message: "the answer carries no credentials".to_string(),
                    }),
                    Err(e) => Err(e),
                };
                (i, db_entry(&db, creds))
            });
        }
    }
    while let Some(joined) = set.join_next().await {
        let (i, entry) = joined.expect("database task does not panic");
        out[i] = Some(entry);
    }
    Ok(out.into_iter().flatten().collect())
}

fn db_creds(db: &Database) -> CredHashes {
    CredHashes {
        password: hash(&db.password),
        rest_token: hash(&db.rest_token),
        read_only_token: hash(&db.read_only_rest_token),
    }
}

fn db_entry(db: &Database, creds: Result<CredHashes, ApiError>) -> DbEntry {
    DbEntry {
        id: db.database_id.clone(),
        name: db.database_name.clone(),
        host: db.host(),
        number: db.number(),
        region: db.display_region(),
        customer_id: db.customer_id.clone(),
        creds,
    }
}

async fn indexes(api: &DeveloperApi, product: Product) -> Result<Vec<IndexEntry>, ApiError> {
    let list: Vec<Index> = match product {
        Product::Search => api.search_indexes().await?,
        _ => api.vector_indexes().await?,
    };
    let suffix = if product == Product::Search {
        "-search.upstash.io"
    } else {
        "-vector.upstash.io"
    };
    Ok(list
        .into_iter()
        .map(|ix| {
            let slug = index_slug(&ix.endpoint);
            IndexEntry {
                product,
                host: format!("{slug}{suffix}"),
                slug,
                id: ix.id,
                name: ix.name,
                region: ix.region,
                customer_id: ix.customer_id,
                token: hash(&ix.token),
                read_only_token: hash(&ix.read_only_token),
            }
        })
        .collect())
}

async fn qstash(http: &Http, api: &DeveloperApi) -> Result<Vec<QstashEntry>, ApiError> {
    let users: Vec<QstashUser> = api.qstash_users().await?;
    let keys_api = QstashApi::new(http);
    let mut set = JoinSet::new();
    for (i, user) in users.into_iter().enumerate() {
        let keys_api = keys_api.clone();
        set.spawn(async move {
            let region = user.region.clone().unwrap_or_default();
            let signing = match &user.token {
                Some(token) => keys_api
                    .signing_keys(&region, token)
                    .await
                    .map(|k| SigningHashes {
                        current: k.current.sha256(),
                        next: k.next.sha256(),
                    }),
                None => Err(ApiError::Malformed {
                    what: "GET /qstash/users".to_string(),
                    message: "a QStash user has no token, so its signing keys cannot be read"
                        .to_string(),
                }),
            };
            (
                i,
                QstashEntry {
                    id: user.id,
                    region,
                    customer_id: user.customer_id,
                    token: hash(&user.token),
                    read_only_token: hash(&user.read_only_token),
                    signing,
                },
            )
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        out.push(joined.expect("QStash task does not panic"));
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

impl AccountInventory {
    /// Every failure in this account's inventory, one line each. When every top-level section
    /// failed the same way (a wrong key, a platform account) that is one problem, not five.
    pub fn problems(&self) -> Vec<Problem> {
        let top: [(&str, Option<&ApiError>); 5] = [
            ("teams", self.teams.as_ref().err()),
            ("Redis databases", self.databases.as_ref().err()),
            ("Vector indexes", self.vector.as_ref().err()),
            ("Search indexes", self.search.as_ref().err()),
            ("QStash users", self.qstash.as_ref().err()),
        ];
        if let Some(first) = top[0].1 {
            if top
                .iter()
                .all(|(_, e)| e.is_some_and(|e| e.code() == first.code()))
            {
                return vec![Problem::new(&self.label, "whole inventory", first)];
            }
        }
        let mut out: Vec<Problem> = top
            .iter()
            .filter_map(|(s, e)| e.map(|e| Problem::new(&self.label, *s, e)))
            .collect();
        if let Ok(dbs) = &self.databases {
            for db in dbs {
                if let Err(e) = &db.creds {
                    out.push(Problem::new(
                        &self.label,
                        format!("Redis database '{}' ({}) credentials", db.name, db.id),
                        e,
                    ));
                }
            }
        }
        if let Ok(users) = &self.qstash {
            for u in users {
                if let Err(e) = &u.signing {
                    out.push(Problem::new(
                        &self.label,
                        format!("QStash signing keys ({})", u.region),
                        e,
                    ));
                }
            }
        }
        if let Some(Err(e)) = &self.audit {
            out.push(Problem::new(&self.label, "audit log", e));
        }
        out
    }

    pub fn summary(&self) -> AccountSummary {
        let len = |r: Result<usize, &ApiError>| r.unwrap_or(0);
        AccountSummary {
            account: self.label.clone(),
            email: self.email.clone(),
            complete: self.problems().is_empty(),
            databases: len(self.databases.as_ref().map(Vec::len)),
            vector_indexes: len(self.vector.as_ref().map(Vec::len)),
            search_indexes: len(self.search.as_ref().map(Vec::len)),
            qstash_regions: self
                .qstash
                .as_ref()
                .map(|u| u.iter().map(|q| q.region.clone()).collect())
                .unwrap_or_default(),
            teams: self.teams.clone().unwrap_or_default(),
        }
    }

    /// The contexts (`customer_id`s: an email or a team id) whose resources this key sees.
    pub fn contexts(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |c: &Option<String>| {
            if let Some(c) = c {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        };
        for db in self.databases.iter().flatten() {
            add(&db.customer_id);
        }
        for ix in self
            .vector
            .iter()
            .flatten()
            .chain(self.search.iter().flatten())
        {
            add(&ix.customer_id);
        }
        for q in self.qstash.iter().flatten() {
            add(&q.customer_id);
        }
        out
    }

    /// The team name for a `customer_id` that is one of this user's teams.
    pub fn team_name(&self, customer_id: &Option<String>) -> Option<String> {
        let c = customer_id.as_ref()?;
        self.teams
            .iter()
            .flatten()
            .find(|t| &t.team_id == c)
            .map(|t| {
                if t.team_name.is_empty() {
                    t.team_id.clone()
                } else {
                    t.team_name.clone()
                }
            })
    }
}

impl Inventory {
    pub fn problems(&self) -> Vec<Problem> {
        self.accounts.iter().flat_map(|a| a.problems()).collect()
    }

    pub fn summaries(&self) -> Vec<AccountSummary> {
        self.accounts.iter().map(|a| a.summary()).collect()
    }
}
