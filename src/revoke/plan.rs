//! From leaks to a plan: fetch the account's inventory now, judge every leak again against it
//! (SHA-256 against the hashes of the current credentials, docs/formats.md §1-2), and turn each leak
//! that is `owned` and current into an action on its resource (docs/formats.md §3). One action per
//! resource and kind of rotation, however many of its credentials leaked.
//!
//! Everything else is listed with its reason: `owned-rotated` and `not-owned` need no action,
//! `unknown` is not actionable (the inventory could not tell), and every leaked Developer API
//! key, which no API can delete, gets its own section: it needs a person in the console.
//!
//! Each action has its own id (`redis:<database id>`, `qstash-token:<user id>`,
//! `qstash-signing-keys:<user id>`, ...), which `--only` takes besides a resource's id or name:
//! a region's QStash token and its signing keys share the user id but are two actions.

use super::leak::Leak;
use crate::finding::Kind;
use crate::upstash::ownership::OwnershipIndex;
use crate::upstash::{
    apikey, AccountVerdict, ApiKeyCheck, ApiKeyStatus, AuditEntry, Credential, FindingVerdict,
    Inventory, Ownership, Problem, Product, Resource, Session,
};
use anyhow::{bail, Result};

/// The leaks, each judged against a fresh inventory.
pub(crate) struct Assessment {
    pub(crate) leaks: Vec<Leak>,
    /// One per leak, in the same order.
    pub(crate) verdicts: Vec<FindingVerdict>,
    pub(crate) inventory: Inventory,
    pub(crate) problems: Vec<Problem>,
}

/// Fetch the inventory (with audit logs when a Developer API key leaked) and judge every leak,
/// as the account check does. `try_keys`: found Developer API keys are tried (`GET
/// /v2/teams`); without it a found key is sent nowhere.
pub(crate) fn assess(session: &Session, leaks: Vec<Leak>, try_keys: bool) -> Assessment {
    let want_audit = leaks
        .iter()
        .any(|l| l.finding.kind == Kind::DeveloperApiKey);
    let inventory = session.inventory(want_audit);
    let verdicts = {
        let index = OwnershipIndex::new(&inventory);
        let http = session.http();
        leaks
            .iter()
            .map(|l| {
                if l.finding.kind != Kind::DeveloperApiKey {
                    return FindingVerdict {
                        account: index.judge(&l.finding),
                        live: None,
                        api_key: None,
                    };
                }
                let configured = inventory
                    .accounts
                    .iter()
                    .any(|a| a.key_sha256 == l.finding.sha256);
                if configured || l.has_secret() {
                    session.block_on(apikey::check(
                        &http,
                        &l.finding,
                        session.accounts(),
                        &inventory,
                        try_keys,
                    ))
                } else {
                    reported_api_key(l, &inventory, http.limits().audit_entries)
                }
            })
            .collect()
    };
    Assessment {
        leaks,
        verdicts,
        problems: inventory.problems(),
        inventory,
    }
}

/// A Developer API key from a report without secrets: it cannot be tried again, so say what
/// the report said, and show the audit log.
fn reported_api_key(l: &Leak, inv: &Inventory, limit: usize) -> FindingVerdict {
    let account = l.reported.as_ref().map(|v| &v.account);
    let api_key = l.reported.as_ref().and_then(|v| v.api_key.as_ref());
    let status = api_key.map_or(ApiKeyStatus::Unknown, |k| k.status);
    let verdict = match account.map(|a| a.verdict) {
        Some(Ownership::Owned) => Ownership::Owned,
        Some(Ownership::NotOwned) => Ownership::NotOwned,
        _ => Ownership::Unknown,
    };
    let said = match account {
        Some(a) => format!("the report says {}: {}", a.verdict.as_str(), a.reason),
        None => "the report has no account verdict for it".to_string(),
    };
    let reason = format!(
        "{said}; the report holds only the key's hash, so upsweep cannot try it again (run \
         `upsweep revoke --check-api-key PATH` on the files that hold it)"
    );
    let email = api_key.and_then(|k| k.email.clone());
    FindingVerdict {
        account: AccountVerdict {
            verdict,
            reason: reason.clone(),
            resource: None,
        },
        live: None,
        api_key: Some(ApiKeyCheck {
            status,
            audit: apikey::audit(
                inv,
                email.as_deref().filter(|_| verdict == Ownership::Owned),
                limit,
            ),
            email,
            reason,
        }),
    }
}

/// The rotations upsweep can make (docs/formats.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ActionKind {
    /// `POST /redis/reset-password/{id}`: the password and both REST tokens.
    ResetRedis,
    /// `POST /vector/index/{id}/reset-password`: both tokens.
    ResetVector,
    /// `POST /search/{id}/reset-password`: both tokens.
    ResetSearch,
    /// `POST /qstash/rotate-token/{id}`.
    RotateQstashToken,
    /// `POST {qstash host}/v2/keys/rotate`, once or twice.
    RotateSigningKeys,
}

impl ActionKind {
    const ALL: [ActionKind; 5] = [
        ActionKind::ResetRedis,
        ActionKind::ResetVector,
        ActionKind::ResetSearch,
        ActionKind::RotateQstashToken,
        ActionKind::RotateSigningKeys,
    ];

    /// The name the journal uses.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ActionKind::ResetRedis => "redis-reset-password",
            ActionKind::ResetVector => "vector-reset-password",
            ActionKind::ResetSearch => "search-reset-password",
            ActionKind::RotateQstashToken => "qstash-rotate-token",
            ActionKind::RotateSigningKeys => "qstash-rotate-signing-keys",
        }
    }

    /// The kind a journal line names.
    pub(crate) fn from_name(name: &str) -> Option<ActionKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The first part of an action's id (`redis:<id>`).
    fn short(self) -> &'static str {
        match self {
            ActionKind::ResetRedis => "redis",
            ActionKind::ResetVector => "vector",
            ActionKind::ResetSearch => "search",
            ActionKind::RotateQstashToken => "qstash-token",
            ActionKind::RotateSigningKeys => "qstash-signing-keys",
        }
    }
}

/// One leaked credential of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leaked {
    pub(crate) sha256: String,
    /// Another hash that must die with it: the password a legacy Redis token carries.
    pub(crate) also: Option<String>,
    pub(crate) kind: Kind,
    /// Which of the resource's credentials it is.
    pub(crate) credential: Credential,
    pub(crate) places: Vec<String>,
}

/// One rotation of one resource.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub(crate) kind: ActionKind,
    /// The resource (its `credential` is unset: an action serves every leaked credential).
    pub(crate) resource: Resource,
    pub(crate) leaked: Vec<Leaked>,
    /// Signing keys: rotations the journal already records for these leaks (earlier runs).
    pub(crate) prior_rotations: u8,
}

impl Action {
    /// The resource's id.
    pub(crate) fn id(&self) -> &str {
        &self.resource.id
    }

    /// The action's own id, which `--only` takes: `redis:<database id>`,
    /// `qstash-token:<user id>`, `qstash-signing-keys:<user id>`.
    pub(crate) fn key(&self) -> String {
        format!("{}:{}", self.kind.short(), self.resource.id)
    }

    /// `Redis database 'prod-cache' (eu-west-1)`, `QStash (us-east-1) signing keys`.
    pub(crate) fn title(&self) -> String {
        match self.kind {
            ActionKind::RotateQstashToken => format!("{} token", self.resource),
            ActionKind::RotateSigningKeys => format!("{} signing keys", self.resource),
            _ => self.resource.to_string(),
        }
    }

    /// How many rotations the plan expects: a leaked next signing key needs two.
    pub(crate) fn rotations(&self) -> u8 {
        if self.kind == ActionKind::RotateSigningKeys
            && self
                .leaked
                .iter()
                .any(|l| l.credential == Credential::NextSigningKey)
        {
            2
        } else {
            1
        }
    }

    /// Every hash that must not be a credential of the resource afterwards.
    pub(crate) fn hashes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for l in &self.leaked {
            for h in std::iter::once(&l.sha256).chain(&l.also) {
                if !out.contains(h) {
                    out.push(h.clone());
                }
            }
        }
        out
    }

    /// The call, as the plan prints it.
    pub(crate) fn call(&self) -> String {
        let id = &self.resource.id;
        match self.kind {
            ActionKind::ResetRedis => format!("POST /redis/reset-password/{id}"),
            ActionKind::ResetVector => format!("POST /vector/index/{id}/reset-password"),
            ActionKind::ResetSearch => format!("POST /search/{id}/reset-password"),
            ActionKind::RotateQstashToken => format!("POST /qstash/rotate-token/{id}"),
            ActionKind::RotateSigningKeys => format!(
                "POST https://{}/v2/keys/rotate{}",
                self.resource
                    .endpoint
                    .clone()
                    .unwrap_or_else(|| crate::upstash::qstash_host("")),
                if self.rotations() == 2 {
                    ", twice (the leaked key is the next signing key: it is current after one rotation)"
                } else {
                    ", once"
                }
            ),
        }
    }

    /// What changes.
    pub(crate) fn effect(&self) -> &'static str {
        match self.kind {
            ActionKind::ResetRedis => {
                "new password, read-write and read-only REST tokens (all three change together)"
            }
            ActionKind::ResetVector | ActionKind::ResetSearch => {
                "new read-write and read-only tokens"
            }
            ActionKind::RotateQstashToken => "a new QStash token for this region",
            ActionKind::RotateSigningKeys => {
                "the next signing key becomes current and a new next key is minted"
            }
        }
    }

    /// Who breaks until they get the new values.
    pub(crate) fn breaks(&self) -> String {
        let region = self.resource.region.as_deref().unwrap_or("its region");
        match self.kind {
            ActionKind::ResetRedis => "every client of this database (REST and TCP) until it is \
                                       given the new password and tokens"
                .to_string(),
            ActionKind::ResetVector | ActionKind::ResetSearch => {
                "every client of this index until it is given the new tokens".to_string()
            }
            ActionKind::RotateQstashToken => {
                format!("every publisher using QStash in {region} until it is given the new token")
            }
            ActionKind::RotateSigningKeys => format!(
                "every receiver verifying QStash signatures from {region}, until it is \
                 redeployed with the new current and next signing keys"
            ),
        }
    }

    /// The warning about receivers, for signing keys, as planned (the journal's earlier
    /// rotations for these leaks counted in).
    pub(crate) fn warning(&self) -> Option<String> {
        self.warning_after(self.prior_rotations.saturating_add(self.rotations()))
    }

    /// The warning about receivers after `n` signing-key rotations in all.
    pub(crate) fn warning_after(&self, n: u8) -> Option<String> {
        (self.kind == ActionKind::RotateSigningKeys && n > 0).then(|| {
            if n >= 2 {
                "after two rotations QStash signs with a key no receiver has: every receiver \
                 rejects messages until it is redeployed with the new signing keys. Redeploy at once."
                    .to_string()
            } else {
                "after one rotation QStash signs with your old next key, so receivers keep \
                 working, but they still accept the leaked key until they are redeployed with the \
                 new signing keys; the next rotation breaks any receiver not redeployed."
                    .to_string()
            }
        })
    }

    /// Whether `--only VALUE` selects it (its own id, the resource's id, or its name).
    fn selected_by(&self, value: &str) -> bool {
        self.key() == value
            || self.resource.id == value
            || self.resource.name.as_deref() == Some(value)
    }
}

/// A leak that needs no action, or that upsweep cannot act on.
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub(crate) sha256: String,
    pub(crate) kind: Kind,
    pub(crate) places: Vec<String>,
    pub(crate) verdict: Ownership,
    pub(crate) reason: String,
    pub(crate) resource: Option<Resource>,
}

/// A leaked Developer API key: no API deletes one, so it needs a person in the console.
#[derive(Debug, Clone)]
pub(crate) struct ApiKeyLeak {
    pub(crate) sha256: String,
    pub(crate) places: Vec<String>,
    pub(crate) status: ApiKeyStatus,
    /// The email it works with.
    pub(crate) email: Option<String>,
    /// Whose it is and where it stands ([`apikey::whose`]).
    pub(crate) whose: String,
    pub(crate) reason: String,
    /// It is the key this run uses.
    pub(crate) configured: bool,
    /// Recent actions made with API keys (newest first).
    pub(crate) audit: Vec<AuditEntry>,
}

impl ApiKeyLeak {
    /// It still needs the person: not known to be deleted (every key not rejected).
    pub(crate) fn pending(&self) -> bool {
        self.status != ApiKeyStatus::Rejected
    }
}

/// What revocation will do, and what it will not, with reasons.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    /// Rotations to make, in the order they are made.
    pub(crate) actions: Vec<Action>,
    /// Rotations left out by `--only`.
    pub(crate) deselected: Vec<Action>,
    /// Every leaked Developer API key, deleted ones (401) included.
    pub(crate) api_keys: Vec<ApiKeyLeak>,
    /// Already rotated, or not the account's.
    pub(crate) no_action: Vec<Note>,
    /// The account check could not tell.
    pub(crate) not_actionable: Vec<Note>,
    /// What the inventory could not fetch.
    pub(crate) problems: Vec<Problem>,
}

impl Plan {
    /// Nothing at all was leaked.
    pub(crate) fn is_empty(&self) -> bool {
        self.actions.is_empty()
            && self.deselected.is_empty()
            && self.api_keys.is_empty()
            && self.no_action.is_empty()
            && self.not_actionable.is_empty()
    }
}

/// Build the plan; `only` keeps the chosen actions (an action's id, or a resource's id or
/// name). An `only` value that names nothing leaked is an error (a typo must not look like
/// "nothing to do"). The journal then adds what only it knows
/// ([`super::journal::History::amend`]).
pub(crate) fn plan(a: &Assessment, only: &[String]) -> Result<Plan> {
    let mut p = Plan {
        problems: a.problems.clone(),
        ..Plan::default()
    };
    let mut actions: Vec<Action> = Vec::new();
    for (leak, v) in a.leaks.iter().zip(&a.verdicts) {
        if leak.finding.kind == Kind::DeveloperApiKey {
            p.add_api_key(leak, v, &a.inventory);
            continue;
        }
        match triage(leak, v) {
            Triage::Act(kind, resource, leaked) => merge(&mut actions, kind, resource, leaked),
            Triage::NoAction(n) => p.no_action.push(n),
            Triage::NotActionable(n) => p.not_actionable.push(n),
        }
    }
    actions.sort_by(|x, y| {
        (x.kind, &x.resource.name, &x.resource.id).cmp(&(y.kind, &y.resource.name, &y.resource.id))
    });
    check_only(only, &actions, &p.no_action)?;
    if only.is_empty() {
        p.actions = actions;
    } else {
        let (keep, drop): (Vec<Action>, Vec<Action>) = actions
            .into_iter()
            .partition(|x| only.iter().any(|v| x.selected_by(v)));
        p.actions = keep;
        p.deselected = drop;
    }
    Ok(p)
}

/// What to do about one leak that is not a Developer API key.
enum Triage {
    /// Rotate: which rotation, on which resource, for which leaked credential.
    Act(ActionKind, Resource, Leaked),
    /// Already rotated, or not the account's.
    NoAction(Note),
    /// The account check could not tell (or named no resource).
    NotActionable(Note),
}

/// A leak listed with its reason instead of acted on.
fn note(leak: &Leak, v: &FindingVerdict, reason: String) -> Note {
    let f = &leak.finding;
    Note {
        sha256: f.sha256.clone(),
        kind: f.kind,
        places: leak.places(),
        verdict: v.account.verdict,
        reason,
        resource: v.account.resource.clone(),
    }
}

fn triage(leak: &Leak, v: &FindingVerdict) -> Triage {
    let f = &leak.finding;
    match v.account.verdict {
        Ownership::Owned => {}
        Ownership::OwnedRotated => {
            return Triage::NoAction(note(
                leak,
                v,
                format!("already rotated: {}", v.account.reason),
            ))
        }
        Ownership::NotOwned => {
            // A signing key names no resource: once rotated away, only the journal knows it
            // was the account's (`History::amend`).
            let reason = if f.kind == Kind::QstashSigningKey {
                "not a current or next signing key of any QStash region of the account: \
                 already rotated away, or another account's"
                    .to_string()
            } else {
                format!("not the account's: {}", v.account.reason)
            };
            return Triage::NoAction(note(leak, v, reason));
        }
        Ownership::Unknown => {
            return Triage::NotActionable(note(leak, v, v.account.reason.clone()));
        }
    }
    let Some(resource) = v.account.resource.clone() else {
        return Triage::NotActionable(note(
            leak,
            v,
            format!("the account check named no resource: {}", v.account.reason),
        ));
    };
    let credential = resource.credential.unwrap_or(Credential::ReadWriteToken);
    let kind = match (resource.product, credential) {
        (Product::Redis, _) => ActionKind::ResetRedis,
        (Product::Vector, _) => ActionKind::ResetVector,
        (Product::Search, _) => ActionKind::ResetSearch,
        (Product::Qstash, Credential::CurrentSigningKey | Credential::NextSigningKey) => {
            ActionKind::RotateSigningKeys
        }
        (Product::Qstash, _) => ActionKind::RotateQstashToken,
        (Product::DeveloperApi, _) => {
            return Triage::NotActionable(note(
                leak,
                v,
                "a Developer API key found as another kind of credential".to_string(),
            ));
        }
    };
    let leaked = Leaked {
        sha256: f.sha256.clone(),
        also: f.details.embedded_password_sha256.clone(),
        kind: f.kind,
        credential,
        places: leak.places(),
    };
    Triage::Act(kind, resource, leaked)
}

/// One action per resource and kind of rotation, however many of its credentials leaked.
fn merge(actions: &mut Vec<Action>, kind: ActionKind, resource: Resource, leaked: Leaked) {
    let same = actions.iter_mut().find(|x| {
        x.kind == kind
            && x.resource.id == resource.id
            && x.resource.account_key == resource.account_key
    });
    match same {
        Some(x) => {
            if !x.leaked.iter().any(|l| l.sha256 == leaked.sha256) {
                x.leaked.push(leaked);
            }
        }
        None => actions.push(Action {
            kind,
            resource: Resource {
                credential: None,
                ..resource
            },
            leaked: vec![leaked],
            prior_rotations: 0,
        }),
    }
}

/// Every `--only` value must name an action or a leaked resource: one acted on, or one that
/// needs no action.
fn check_only(only: &[String], actions: &[Action], no_action: &[Note]) -> Result<()> {
    for value in only {
        let known = actions.iter().any(|x| x.selected_by(value))
            || no_action.iter().any(|n| {
                n.resource
                    .as_ref()
                    .is_some_and(|r| r.id == *value || r.name.as_deref() == Some(value))
            });
        if !known {
            let ids: Vec<String> = actions
                .iter()
                .map(|x| format!("{} ({})", x.key(), x.title()))
                .collect();
            bail!(
                "--only {value}: no action of the plan and no leaked resource has this id or \
                 name{}",
                if ids.is_empty() {
                    String::new()
                } else {
                    format!("; the plan's actions are: {}", ids.join(", "))
                }
            );
        }
    }
    Ok(())
}

impl Plan {
    /// A leaked Developer API key: always its own section, whatever its status.
    fn add_api_key(&mut self, leak: &Leak, v: &FindingVerdict, inventory: &Inventory) {
        let f = &leak.finding;
        let k = v.api_key.clone().unwrap_or(ApiKeyCheck {
            status: ApiKeyStatus::Unknown,
            email: None,
            reason: v.account.reason.clone(),
            audit: Vec::new(),
        });
        let configured = inventory
            .accounts
            .iter()
            .any(|acct| acct.key_sha256 == f.sha256);
        let emails: Vec<&str> = inventory
            .accounts
            .iter()
            .map(|a| a.email.as_str())
            .collect();
        self.api_keys.push(ApiKeyLeak {
            sha256: f.sha256.clone(),
            places: leak.places(),
            status: k.status,
            whose: apikey::whose(&k, configured, &emails),
            email: k.email.clone(),
            reason: k.reason.clone(),
            configured,
            audit: k.audit.clone(),
        });
    }

    /// Leaked Developer API keys not known to be deleted.
    pub(crate) fn pending_api_keys(&self) -> usize {
        self.api_keys.iter().filter(|k| k.pending()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(product: Product, id: &str, credential: Credential) -> Resource {
        Resource {
            product,
            id: id.to_string(),
            name: Some(format!("{id}-name")),
            region: Some("us-east-1".to_string()),
            endpoint: Some("qstash-us-east-1.upstash.io".to_string()),
            credential: Some(credential),
            account: "ops@example.com".to_string(),
            account_key: "1a2b3c4d".to_string(),
            team: None,
        }
    }

    fn leak(kind: Kind, sha: &str) -> Leak {
        let text = format!(
            r#"{{"kind":"{}","secret_sha256":"{}","locations":[{{"path":"a.env","line":1}}]}}"#,
            kind.as_str(),
            sha.repeat(64 / sha.len())
        );
        let read = crate::report::read::text_of(&text, "r", super::super::leak::REPORT).unwrap();
        super::super::leak::from_report(read).remove(0)
    }

    fn owned(r: Resource) -> FindingVerdict {
        FindingVerdict {
            account: AccountVerdict {
                verdict: Ownership::Owned,
                reason: "current".into(),
                resource: Some(r),
            },
            live: None,
            api_key: None,
        }
    }

    #[test]
    fn one_action_per_resource_and_two_rotations_for_a_next_key() {
        let a = Assessment {
            leaks: vec![
                leak(Kind::RedisRestToken, "a"),
                leak(Kind::RedisRestTokenReadonly, "b"),
                leak(Kind::QstashSigningKey, "c"),
                leak(Kind::QstashSigningKey, "d"),
                leak(Kind::QstashToken, "e"),
            ],
            verdicts: vec![
                owned(resource(Product::Redis, "db", Credential::ReadWriteToken)),
                owned(resource(Product::Redis, "db", Credential::ReadOnlyToken)),
                owned(resource(
                    Product::Qstash,
                    "q",
                    Credential::CurrentSigningKey,
                )),
                owned(resource(Product::Qstash, "q", Credential::NextSigningKey)),
                owned(resource(Product::Qstash, "q", Credential::ReadWriteToken)),
            ],
            inventory: Inventory::default(),
            problems: Vec::new(),
        };
        let p = plan(&a, &[]).unwrap();
        let kinds: Vec<ActionKind> = p.actions.iter().map(|x| x.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ActionKind::ResetRedis,
                ActionKind::RotateQstashToken,
                ActionKind::RotateSigningKeys
            ]
        );
        assert_eq!(p.actions[0].leaked.len(), 2);
        assert_eq!(p.actions[2].rotations(), 2);
        assert!(p.actions[2].warning().unwrap().contains("redeploy"));
        assert!(p.actions[2].call().contains("twice"));

        let only = plan(&a, &["q".to_string()]).unwrap();
        assert_eq!(only.actions.len(), 2);
        assert_eq!(only.deselected.len(), 1);
        // The token and the signing keys of one region share the user id: each action has its
        // own id.
        let token = plan(&a, &["qstash-token:q".to_string()]).unwrap();
        assert_eq!(token.actions.len(), 1);
        assert_eq!(token.actions[0].kind, ActionKind::RotateQstashToken);
        let keys = plan(&a, &["qstash-signing-keys:q".to_string()]).unwrap();
        assert_eq!(keys.actions.len(), 1);
        assert_eq!(keys.actions[0].kind, ActionKind::RotateSigningKeys);
        assert_eq!(keys.deselected.len(), 2);
        let by_name = plan(&a, &["db-name".to_string()]).unwrap();
        assert_eq!(by_name.actions.len(), 1);
        let err = plan(&a, &["nope".to_string()]).unwrap_err().to_string();
        assert!(
            err.contains("--only nope")
                && err.contains("redis:db")
                && err.contains("qstash-token:q"),
            "{err}"
        );
    }
}
