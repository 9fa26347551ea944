//! Leaked Developer API keys. No API lists or deletes them (docs/formats.md §2), so revocation is
//! a person's, in the console: every command tells the same story (whose key, what it can do,
//! the console steps; [`crate::upstash::apikey`]). `upsweep revoke --check-api-key` then proves
//! the work: each leaked key is tried again with a read-only call (`GET /v2/teams`, only ever
//! to `api.upstash.com`; asking for the check is asking for the key to be sent) and must now
//! get 401, and the audit log's actions made with API keys are shown so the user can see what a
//! leaked key did.

use super::leak::Leak;
use super::plan::{assess, ApiKeyLeak};
use crate::finding::Kind;
use crate::upstash::{apikey, ApiKeyStatus, AuditEntry, Problem, Session};

/// What `--check-api-key` found.
#[derive(Debug, Clone)]
pub(crate) struct KeyReport {
    pub(crate) keys: Vec<ApiKeyLeak>,
    /// Recent actions made with API keys in the configured accounts (newest first).
    pub(crate) audit: Vec<AuditEntry>,
    pub(crate) problems: Vec<Problem>,
}

impl KeyReport {
    /// 0: every leaked key is rejected (or none leaked); 1: one still works; 2: one could not
    /// be tried.
    pub(crate) fn exit_code(&self) -> u8 {
        if self
            .keys
            .iter()
            .any(|k| matches!(k.status, ApiKeyStatus::Unknown | ApiKeyStatus::NotTried))
        {
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
    let emails: Vec<&str> = a
        .inventory
        .accounts
        .iter()
        .map(|x| x.email.as_str())
        .collect();
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
            let mut k = v.api_key.clone().unwrap_or(crate::upstash::ApiKeyCheck {
                status: ApiKeyStatus::Unknown,
                email: None,
                reason: v.account.reason.clone(),
                audit: Vec::new(),
            });
            if !l.has_secret() && !configured {
                // A report's word is not a fresh answer: the key itself must be tried.
                k.status = ApiKeyStatus::Unknown;
                k.email = None;
                k.reason = "the report holds only the key's hash, so it cannot be tried: run \
                            `upsweep revoke --check-api-key PATH` on the files that hold it (or \
                            on a report made with --show-secrets)"
                    .to_string();
            }
            ApiKeyLeak {
                sha256: l.finding.sha256.clone(),
                places: l.places(),
                status: k.status,
                whose: apikey::whose(&k, configured, &emails),
                email: k.email.clone(),
                reason: k.reason.clone(),
                configured,
                audit: Vec::new(),
            }
        })
        .collect();
    KeyReport {
        keys,
        audit: apikey::audit(&a.inventory, None, limit),
        problems: a.problems,
    }
}
