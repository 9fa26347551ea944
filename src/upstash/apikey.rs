//! A found Developer API key. Upstash has no API to list or delete API keys (docs/formats.md §2), so
//! ownership cannot be read from the inventory: with `--live` (and only then: a found secret is
//! sent nowhere unless asked) the key is tried with a read-only call (`GET /v2/teams`, sent
//! only to `api.upstash.com`) with the email written beside it, then each configured account's
//! email. The report says whether it works and for whom, and shows the recent audit-log actions
//! made with API keys, from the configured key(s) that can read the log, so the user can see
//! what a leaked key did.
//!
//! One story everywhere (`scan --account`, `revoke`, `revoke --check-api-key`): a leaked key
//! needs a person in the Upstash console. [`whose`], [`CAN_DO`] and [`CONSOLE_STEPS`] are
//! the words every command uses for it.

use super::api::DeveloperApi;
use super::credentials::{Account, Secret};
use super::error::ApiError;
use super::http::Http;
use super::inventory::{AccountInventory, Inventory};
use super::verdict::{
    AccountVerdict, ApiKeyCheck, ApiKeyStatus, AuditEntry, Credential, FindingVerdict, LiveVerdict,
    Liveness, Ownership, Product, Resource,
};
use crate::finding::Finding;

/// Check one found API key. `live` decides whether the verdict carries a `live` part (the
/// `api_key` part always says whether it works).
pub async fn check(
    http: &Http,
    f: &Finding,
    accounts: &[Account],
    inv: &Inventory,
    live: bool,
) -> FindingVerdict {
    let found = Found {
        f,
        accounts,
        inv,
        audit_limit: http.limits().audit_entries,
    };
    // The configured key itself: its inventory already showed whether it works.
    if let Some(acct) = inv.accounts.iter().find(|a| a.key_sha256 == f.sha256) {
        let (account, key) = found.configured(acct);
        return verdict(account, key, live);
    }
    if !live {
        let (account, mut key) = not_tried(f);
        key.audit = audit(inv, None, found.audit_limit);
        return verdict(account, key, live);
    }
    let emails = found.emails();
    if emails.is_empty() {
        let (account, key) = untried();
        return verdict(account, key, live);
    }
    let key = Secret::new(f.secret.clone());
    let mut rejected: Vec<String> = Vec::new();
    let mut unsure: Vec<String> = Vec::new();
    for email in &emails {
        let api = DeveloperApi::for_found_key(http, email, &key);
        match api.teams().await {
            Ok(_) => {
                let (account, key) = found.works(email);
                return verdict(account, key, live);
            }
            Err(ApiError::Unauthorized { .. }) => rejected.push(email.clone()),
            Err(e) => unsure.push(format!("as {email}: {e}")),
        }
    }
    let (account, key) = found.not_working(&rejected, unsure);
    verdict(account, key, live)
}

/// A found key and what it is judged against.
struct Found<'a> {
    f: &'a Finding,
    accounts: &'a [Account],
    inv: &'a Inventory,
    audit_limit: usize,
}

impl Found<'_> {
    /// The key as a resource of `email`'s account.
    fn resource(&self, email: &str) -> Resource {
        Resource {
            product: Product::DeveloperApi,
            id: self.f.sha256.chars().take(8).collect(),
            name: None,
            region: None,
            endpoint: None,
            credential: Some(Credential::ApiKey),
            account: email.to_string(),
            // The configured key of that email (the one that reads its audit log).
            account_key: self
                .inv
                .accounts
                .iter()
                .find(|a| a.email.eq_ignore_ascii_case(email))
                .map(|a| a.key_fingerprint.clone())
                .unwrap_or_default(),
            team: None,
        }
    }

    /// The key is one the run is configured with.
    fn configured(&self, acct: &AccountInventory) -> (AccountVerdict, ApiKeyCheck) {
        let (status, reason) = match &acct.teams {
            Ok(_) => (
                ApiKeyStatus::Works,
                format!(
                    "it is the configured API key of {}, and it works",
                    acct.email
                ),
            ),
            Err(e @ ApiError::Unauthorized { .. }) => (
                ApiKeyStatus::Rejected,
                format!("it is the configured API key of {}: {e}", acct.email),
            ),
            Err(e) => (
                ApiKeyStatus::Unknown,
                format!("it is the configured API key of {}: {e}", acct.email),
            ),
        };
        (
            AccountVerdict {
                verdict: Ownership::Owned,
                reason: format!("the configured Developer API key of {}", acct.email),
                resource: Some(self.resource(&acct.email)),
            },
            ApiKeyCheck {
                status,
                email: (status == ApiKeyStatus::Works).then(|| acct.email.clone()),
                reason,
                audit: audit(self.inv, Some(&acct.email), self.audit_limit),
            },
        )
    }

    /// The emails to try the key with: the one written beside it, then each configured
    /// account's, each once.
    fn emails(&self) -> Vec<String> {
        let mut emails: Vec<String> = Vec::new();
        for e in self
            .f
            .details
            .email
            .iter()
            .chain(self.accounts.iter().map(|a| &a.email))
        {
            if !emails.iter().any(|x| x.eq_ignore_ascii_case(e)) {
                emails.push(e.clone());
            }
        }
        emails
    }

    /// `GET /v2/teams` as `email` succeeded.
    fn works(&self, email: &str) -> (AccountVerdict, ApiKeyCheck) {
        let configured = self
            .accounts
            .iter()
            .any(|a| a.email.eq_ignore_ascii_case(email));
        let account = if configured {
            AccountVerdict {
                verdict: Ownership::Owned,
                reason: format!("a working Developer API key of {email} (GET /v2/teams succeeded)"),
                resource: Some(self.resource(email)),
            }
        } else {
            AccountVerdict {
                verdict: Ownership::NotOwned,
                reason: format!("a working Developer API key of {email}, not a configured account"),
                resource: None,
            }
        };
        (
            account,
            ApiKeyCheck {
                status: ApiKeyStatus::Works,
                email: Some(email.to_string()),
                reason: format!("GET /v2/teams as {email} succeeded: the key works; delete it in the Upstash console (Account > Management API)"),
                audit: audit(self.inv, configured.then_some(email), self.audit_limit),
            },
        )
    }

    /// No email worked: rejected with each (`rejected`), or no clear answer (`unsure`).
    fn not_working(
        &self,
        rejected: &[String],
        unsure: Vec<String>,
    ) -> (AccountVerdict, ApiKeyCheck) {
        let (status, reason) = if unsure.is_empty() {
            (
                ApiKeyStatus::Rejected,
                format!(
                    "rejected (401) as {}: deleted, or a key of another email",
                    rejected.join(", ")
                ),
            )
        } else {
            let mut parts = unsure;
            if !rejected.is_empty() {
                parts.push(format!("rejected (401) as {}", rejected.join(", ")));
            }
            (ApiKeyStatus::Unknown, parts.join("; "))
        };
        (
            AccountVerdict {
                verdict: Ownership::Unknown,
                reason: format!("Upstash has no API to list API keys, and this one does not work with the emails tried ({reason})"),
                resource: None,
            },
            ApiKeyCheck {
                status,
                email: None,
                reason,
                audit: audit(self.inv, None, self.audit_limit),
            },
        )
    }
}

/// Without `--live` a found key is not sent anywhere.
fn not_tried(f: &Finding) -> (AccountVerdict, ApiKeyCheck) {
    let beside = f
        .details
        .email
        .as_deref()
        .map(|e| format!(" (written beside {e})"))
        .unwrap_or_default();
    let why = format!(
        "not tried{beside}: a found Developer API key is sent to Upstash (GET /v2/teams) only \
         with --live, and Upstash has no API that lists API keys, so whose it is and whether it \
         works are not known"
    );
    (
        AccountVerdict {
            verdict: Ownership::Unknown,
            reason: why.clone(),
            resource: None,
        },
        ApiKeyCheck {
            status: ApiKeyStatus::NotTried,
            email: None,
            reason: why,
            audit: Vec::new(),
        },
    )
}

/// No email is known to try the key with.
fn untried() -> (AccountVerdict, ApiKeyCheck) {
    let why = "no email is written beside it and no account is configured, so it cannot be tried"
        .to_string();
    (
        AccountVerdict {
            verdict: Ownership::Unknown,
            reason: why.clone(),
            resource: None,
        },
        ApiKeyCheck {
            status: ApiKeyStatus::Unknown,
            email: None,
            reason: why,
            audit: Vec::new(),
        },
    )
}

fn verdict(account: AccountVerdict, key: ApiKeyCheck, live: bool) -> FindingVerdict {
    let live = live.then(|| LiveVerdict {
        verdict: match key.status {
            ApiKeyStatus::Works => Liveness::Live,
            ApiKeyStatus::Rejected => Liveness::Dead,
            ApiKeyStatus::Unknown | ApiKeyStatus::NotTried => Liveness::Unknown,
        },
        reason: key.reason.clone(),
    });
    FindingVerdict {
        account,
        live,
        api_key: Some(key),
    }
}

/// Recent actions made with API keys, newest first, from the audit logs of `email`'s keys (or
/// of every configured key when `None`), at most `limit` per account key. Revocation shows
/// them beside a leaked key it cannot try again (a report holds only its hash).
pub fn audit(inv: &Inventory, email: Option<&str>, limit: usize) -> Vec<AuditEntry> {
    let mut out: Vec<AuditEntry> = Vec::new();
    for acct in &inv.accounts {
        if email.is_some_and(|e| !acct.email.eq_ignore_ascii_case(e)) {
            continue;
        }
        let Some(Ok(logs)) = &acct.audit else {
            continue;
        };
        let mut mine: Vec<AuditEntry> = logs
            .iter()
            .filter(|l| l.by_api_key())
            .map(|l| AuditEntry {
                account: acct.email.clone(),
                timestamp: l.unix_seconds(),
                action: l.action_text(),
                source: l.source.clone().unwrap_or_default(),
                entity: l.entity.clone().filter(|e| !e.is_empty() && e != "NA"),
                ip: l.ip.clone().filter(|i| !i.is_empty()),
            })
            .collect();
        mine.sort_by_key(|e| std::cmp::Reverse(e.timestamp));
        mine.truncate(limit);
        for e in mine {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.timestamp));
    out
}

/// What a working Developer API key can do: the same words everywhere.
pub const CAN_DO: &str = "everything the Developer API allows in its account or team: read \
    every Redis database's, Vector and Search index's and QStash user's credentials, create, \
    change and delete them, and rotate their credentials (Upstash does not say whether a key is \
    read-only)";

/// The console steps to delete a leaked API key: the same words everywhere.
pub const CONSOLE_STEPS: [&str; 4] = [
    "create a replacement key first if tools need one: https://console.upstash.com > Account > Management API > Create API Key",
    "delete the leaked key there (Account > Management API, the key's Delete button); if you cannot tell which key it is, delete every key and create new ones",
    "review what API keys did: the audit-log actions listed here (and Account > Audit Logs in the console)",
    "run `upsweep revoke --check-api-key` on the same files (or report) to confirm the key now gets 401",
];

/// Whose a leaked key is and where it stands, in one line: `configured` when it is a key the
/// run itself uses.
pub fn whose(k: &ApiKeyCheck, configured: bool, configured_emails: &[&str]) -> String {
    match (k.status, &k.email) {
        _ if configured => format!(
            "the API key upsweep itself is configured with{}: create the replacement first, \
             switch to it, then delete this one",
            k.email
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ),
        (ApiKeyStatus::Works, Some(e))
            if configured_emails.iter().any(|c| c.eq_ignore_ascii_case(e)) =>
        {
            format!("a key of {e}, a configured account: it WORKS (GET /v2/teams succeeded)")
        }
        (ApiKeyStatus::Works, Some(e)) => format!(
            "a key of {e}, not a configured account: it WORKS; only {e} can delete it, so tell \
             them"
        ),
        (ApiKeyStatus::Works, None) => "it WORKS".to_string(),
        (ApiKeyStatus::Rejected, _) => {
            "rejected (401) with every email tried: deleted, or another email's key".to_string()
        }
        (ApiKeyStatus::NotTried, _) => "not known until it is tried (add --live to try it \
                                         with one read, GET /v2/teams)"
            .to_string(),
        (ApiKeyStatus::Unknown, _) => format!("not known whether it works: {}", k.reason),
    }
}
