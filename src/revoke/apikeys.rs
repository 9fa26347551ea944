//! Leaked Developer API keys. No API lists or deletes them (docs/formats.md §2), so revocation is
//! the user's, in the console; upsweep gives the steps, and `upsweep revoke --check-api-key`
//! then proves the work: each leaked key is tried again with a read-only call (`GET /v2/teams`,
//! only ever to `api.upstash.com`) and must now get 401, and the audit log's actions made with
//! API keys are shown so the user can see what a leaked key did.

use super::leak::Leak;
use super::plan::assess;
use crate::finding::Kind;
use crate::upstash::{apikey, ApiKeyStatus, AuditEntry, Problem, Session};

/// The console steps to delete a leaked API key.
pub(crate) const CONSOLE_STEPS: [&str; 4] = [
    "create a replacement key first if tools need one: https://console.upstash.com > Account > Management API > Create API Key",
    "delete the leaked key there (Account > Management API, the key's Delete button); if you cannot tell which key it is, delete every key and create new ones",
    "review what API keys did: the audit-log actions below (and Account > Audit Logs in the console)",
    "run `upsweep revoke --check-api-key` on the same files (or report) to confirm the key now gets 401",
];

/// One leaked key, tried again.
#[derive(Debug, Clone)]
pub(crate) struct KeyCheck {
    pub(crate) sha256: String,
    pub(crate) places: Vec<String>,
    pub(crate) status: ApiKeyStatus,
    /// The email it works with.
    pub(crate) email: Option<String>,
    pub(crate) reason: String,
    /// It is a key this run is configured with.
    pub(crate) configured: bool,
}

/// What `--check-api-key` found.
#[derive(Debug, Clone)]
pub(crate) struct KeyReport {
    pub(crate) keys: Vec<KeyCheck>,
    /// Recent actions made with API keys in the configured accounts (newest first).
    pub(crate) audit: Vec<AuditEntry>,
    pub(crate) problems: Vec<Problem>,
}

impl KeyReport {
    /// 0: every leaked key is rejected (or none leaked); 1: one still works; 2: one could not
    /// be tried.
    pub(crate) fn exit_code(&self) -> u8 {
        if self.keys.iter().any(|k| k.status == ApiKeyStatus::Unknown) {
            super::exit::ERROR
        } else if self.keys.iter().any(|k| k.status == ApiKeyStatus::Works) {
            super::exit::PENDING
        } else {
            super::exit::DONE
        }
    }
}

/// Try every leaked Developer API key among `leaks` again, and read the audit logs.
pub(crate) fn check(session: &Session, leaks: Vec<Leak>) -> KeyReport {
    let keys: Vec<Leak> = leaks
        .into_iter()
        .filter(|l| l.finding.kind == Kind::DeveloperApiKey)
        .collect();
    let a = assess(session, keys, true);
    let limit = session.http().limits().audit_entries;
    let keys = a
        .leaks
        .iter()
        .zip(&a.verdicts)
        .map(|(l, v)| {
            let configured = a
                .inventory
                .accounts
                .iter()
                .any(|acct| acct.key_sha256 == l.finding.sha256);
            if !l.has_secret() && !configured {
                // A report's word is not a fresh answer: the key itself must be tried.
                return KeyCheck {
                    sha256: l.finding.sha256.clone(),
                    places: l.places(),
                    status: ApiKeyStatus::Unknown,
                    email: None,
                    reason: "the report holds only the key's hash, so it cannot be tried: run \
                             `upsweep revoke --check-api-key PATH` on the files that hold it (or \
                             on a report made with --show-secrets)"
                        .to_string(),
                    configured,
                };
            }
            let k = v.api_key.clone();
            KeyCheck {
                sha256: l.finding.sha256.clone(),
                places: l.places(),
                status: k.as_ref().map_or(ApiKeyStatus::Unknown, |k| k.status),
                email: k.as_ref().and_then(|k| k.email.clone()),
                reason: k.map_or_else(|| v.account.reason.clone(), |k| k.reason),
                configured,
            }
        })
        .collect();
    KeyReport {
        keys,
        audit: apikey::audit(&a.inventory, None, limit),
        problems: a.problems,
    }
}
