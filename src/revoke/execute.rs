//! Carrying out a plan, one action at a time, each bounded and checked:
//!
//! 1. **Write access, up front.** Upstash has no call that says whether an API key is
//!    read-only (no permissions field in `GET /teams`, the audit log or anywhere else in the
//!    Developer API; docs/formats.md §2). So before the first rotation with a key, upsweep
//!    sends it one write that cannot change anything: `POST /redis/reset-password/` on the nil UUID,
//!    which no database has. A read-only key is refused with `Readonly API key` and upsweep
//!    then attempts nothing with it; a key with write access gets a 404. Should Upstash look
//!    the resource up before checking the key (any answer other than `Readonly API key`),
//!    the first real write is refused instead, and nothing further is sent with that key.
//! 2. **Still current?** The resource is fetched; if no leaked hash is one of its credentials
//!    any more, nothing is sent (already rotated: safe re-runs).
//! 3. **Rotate** (signing keys: once for a leaked current key, twice for a leaked next key, as
//!    the keys are *now*). A write is never repeated after the server may have acted on it.
//! 4. **Confirm.** The resource is fetched again; only when no leaked hash is any of its
//!    credentials is the action `rotated`. After a failed write it is fetched too: a rotation
//!    the server made despite an error is reported as made.
//!
//! One action's failure never stops the others.

use super::newcreds::Values;
use super::plan::{Action, ActionKind};
use crate::upstash::{
    Account, ApiError, Credential, DeveloperApi, Index, Product, QstashApi, Secret, Session,
};
use std::collections::HashMap;

/// The database id of the write-access probe: the nil UUID, which no database has.
pub(crate) const PROBE_ID: &str = "00000000-0000-0000-0000-000000000000";

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Rotated, and the leaked credentials are confirmed to be none of the resource's.
    Rotated,
    /// Nothing sent: no leaked credential is current any more.
    AlreadyRotated,
    /// Failed: the leaked credential may still be current.
    Failed,
    /// A rotation was made (or may have been), but it could not be confirmed.
    Unconfirmed,
    /// Not attempted: the API key is read-only.
    Refused,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Rotated => "rotated",
            Status::AlreadyRotated => "already-rotated",
            Status::Failed => "failed",
            Status::Unconfirmed => "unconfirmed",
            Status::Refused => "refused",
        }
    }

    /// The leak is dealt with.
    pub(crate) fn is_done(self) -> bool {
        matches!(self, Status::Rotated | Status::AlreadyRotated)
    }
}

/// What one action did.
#[derive(Debug, Clone)]
pub(crate) struct ActionResult {
    pub(crate) status: Status,
    /// Rotations made.
    pub(crate) rotations: u8,
    /// What happened, in words (never a credential).
    pub(crate) message: String,
    /// The error, when there was one.
    pub(crate) error: Option<String>,
    /// What the user should do about a failure.
    pub(crate) advice: Option<String>,
    /// The resource's credentials after a rotation (for `--new-credentials`).
    pub(crate) new_values: Option<Values>,
}

impl ActionResult {
    fn new(status: Status, message: impl Into<String>) -> ActionResult {
        ActionResult {
            status,
            rotations: 0,
            message: message.into(),
            error: None,
            advice: None,
            new_values: None,
        }
    }
}

/// Execute `actions` in order; `on_result` sees each result as it is known (print it, log it).
pub(crate) fn execute(
    session: &Session,
    actions: &[Action],
    on_result: &mut dyn FnMut(&Action, &ActionResult),
) -> Vec<ActionResult> {
    // Keys found read-only (fingerprint -> the refusal), probed before anything is attempted.
    let mut read_only: HashMap<String, ApiError> = HashMap::new();
    let mut probed: Vec<String> = Vec::new();
    for a in actions.iter().filter(|a| writes_with_api_key(a)) {
        let Some(acct) = account_for(session, a) else {
            continue;
        };
        let fp = acct.fingerprint();
        if probed.contains(&fp) {
            continue;
        }
        probed.push(fp.clone());
        let api = session.developer_api(acct);
        if let Err(e @ ApiError::ReadOnlyKey { .. }) =
            session.block_on(api.reset_redis_password(PROBE_ID))
        {
            read_only.insert(fp, e);
        }
    }

    let mut out = Vec::with_capacity(actions.len());
    for a in actions {
        let result = match account_for(session, a) {
            None => {
                let mut r = ActionResult::new(
                    Status::Failed,
                    format!(
                        "no configured API key of {} (key {}) to act with",
                        a.resource.account, a.resource.account_key
                    ),
                );
                r.advice = Some(
                    "run with the same UPSTASH_EMAIL/UPSTASH_API_KEY or account file as the report"
                        .to_string(),
                );
                r
            }
            Some(acct) => {
                let fp = acct.fingerprint();
                match read_only.get(&fp).filter(|_| writes_with_api_key(a)) {
                    Some(e) => {
                        let mut r = ActionResult::new(
                            Status::Refused,
                            format!(
                                "not attempted: the API key of {} (key {fp}) is read-only",
                                acct.email
                            ),
                        );
                        r.error = Some(e.to_string());
                        r.advice = Some(advice(e, a));
                        r
                    }
                    None => {
                        let r = Runner {
                            session,
                            api: session.developer_api(acct),
                            qstash: session.qstash_api(),
                            action: a,
                        }
                        .run();
                        if let Some(ApiError::ReadOnlyKey { message }) = &r.1 {
                            read_only.insert(
                                fp,
                                ApiError::ReadOnlyKey {
                                    message: message.clone(),
                                },
                            );
                        }
                        r.0
                    }
                }
            }
        };
        on_result(a, &result);
        out.push(result);
    }
    out
}

/// Whether the action writes through the Developer API (signing keys rotate with the region's
/// QStash token, which a read-only API key can still read).
fn writes_with_api_key(a: &Action) -> bool {
    a.kind != ActionKind::RotateSigningKeys
}

/// The configured account the resource was seen with.
fn account_for<'s>(session: &'s Session, a: &Action) -> Option<&'s Account> {
    session.accounts().iter().find(|acct| {
        acct.email == a.resource.account && acct.fingerprint() == a.resource.account_key
    })
}

/// Whether the leaked credentials are still the resource's.
enum State {
    /// No leaked hash is a credential, and every role a leak held is shown.
    Dead,
    Alive,
    /// No leaked hash shown, but the answer hides a credential a leak was.
    Unclear(Credential),
}

fn state(a: &Action, v: &Values) -> State {
    let leaked = a.hashes();
    let current = v.hashes();
    if current
        .iter()
        .any(|(_, h)| h.as_ref().is_some_and(|h| leaked.contains(h)))
    {
        return State::Alive;
    }
    for l in &a.leaked {
        // A signing key moves from next to current: both are shown, so either role will do.
        let shown = current
            .iter()
            .any(|(role, h)| *role == l.credential && h.is_some());
        if !shown && !matches!(v, Values::SigningKeys { .. }) {
            return State::Unclear(l.credential);
        }
    }
    State::Dead
}

struct Runner<'a> {
    session: &'a Session,
    api: DeveloperApi,
    qstash: QstashApi,
    action: &'a Action,
}

impl Runner<'_> {
    /// The result, and the error of a write (so a read-only key stops further writes).
    fn run(&self) -> (ActionResult, Option<ApiError>) {
        let a = self.action;
        let before = match self.fetch() {
            Ok(v) => v,
            Err(e) => {
                let mut r = ActionResult::new(
                    Status::Failed,
                    format!(
                        "could not read {} before rotating: nothing was sent",
                        a.resource
                    ),
                );
                r.error = Some(e.to_string());
                r.advice = Some(advice(&e, a));
                return (r, None);
            }
        };
        let wanted = match state(a, &before) {
            State::Dead => return (
                ActionResult::new(
                    Status::AlreadyRotated,
                    "already rotated: no leaked credential is current any more, nothing was sent",
                ),
                None,
            ),
            _ => self.rotations_needed(&before),
        };
        let mut made = 0u8;
        let mut write_error = None;
        for _ in 0..wanted {
            match self.rotate() {
                Ok(()) => made += 1,
                Err(e) => {
                    write_error = Some(e);
                    break;
                }
            }
        }
        let after = self.fetch();
        let mut r = ActionResult::new(Status::Failed, String::new());
        r.rotations = made;
        match (&write_error, after) {
            (_, Ok(v)) => {
                let st = state(a, &v);
                let changed = v
                    .hashes()
                    .iter()
                    .zip(before.hashes().iter())
                    .any(|(x, y)| x.1 != y.1);
                if changed {
                    r.new_values = Some(v);
                }
                match (st, &write_error) {
                    (State::Dead, None) => {
                        r.status = Status::Rotated;
                        r.message = format!(
                            "rotated{}; checked: no leaked credential is current",
                            times(made)
                        );
                    }
                    (State::Dead, Some(e)) => {
                        r.status = Status::Rotated;
                        r.message = format!(
                            "rotated despite an error ({e}); checked: no leaked credential is current"
                        );
                    }
                    (State::Alive, Some(e)) => {
                        r.message = if made > 0 {
                            format!(
                                "rotated {made} of {wanted} times, then failed: the leaked key is \
                                 still a signing key (now the current one)"
                            )
                        } else {
                            "the rotation failed: the leaked credential is still current"
                                .to_string()
                        };
                        r.error = Some(e.to_string());
                        r.advice = Some(advice(e, a));
                    }
                    (State::Alive, None) => {
                        r.status = Status::Unconfirmed;
                        r.message = format!(
                            "rotated{}, but a leaked credential is still current",
                            times(made)
                        );
                        r.advice = Some(format!(
                            "re-run `upsweep revoke`; if it stays current, rotate it from the \
                             {} page in the Upstash console",
                            a.resource.product.title()
                        ));
                    }
                    (State::Unclear(role), e) => {
                        r.status = Status::Unconfirmed;
                        r.message = format!(
                            "rotated{}, but the API no longer shows the {role}, so upsweep \
                             cannot confirm the leaked one is dead",
                            times(made)
                        );
                        r.error = e.as_ref().map(ToString::to_string);
                        r.advice = Some(
                            "check the resource in the Upstash console, and re-run `upsweep revoke`"
                                .to_string(),
                        );
                    }
                }
            }
            (Some(e), Err(fetch_error)) => {
                r.message = format!(
                    "the rotation failed, and {} could not be read again to see whether it \
                     happened anyway ({fetch_error})",
                    a.resource
                );
                r.error = Some(e.to_string());
                r.advice = Some(advice(e, a));
            }
            (None, Err(fetch_error)) => {
                r.status = Status::Unconfirmed;
                r.message = format!(
                    "rotated{}, but {} could not be read again to confirm it",
                    times(made),
                    a.resource
                );
                r.error = Some(fetch_error.to_string());
                r.advice = Some(
                    "re-run `upsweep revoke`: it checks first and rotates nothing twice; the new \
                     credentials are in the Upstash console"
                        .to_string(),
                );
            }
        }
        (r, write_error)
    }

    /// Signing keys: as many rotations as the leaked keys need now (a next key, two); else one.
    fn rotations_needed(&self, before: &Values) -> u8 {
        let leaked = self.action.hashes();
        match before {
            Values::SigningKeys { next, .. } if leaked.contains(&next.sha256()) => 2,
            _ => 1,
        }
    }

    /// The resource's current values.
    fn fetch(&self) -> Result<Values, ApiError> {
        let r = &self.action.resource;
        let s = self.session;
        match self.action.kind {
            ActionKind::ResetRedis => {
                let db = s.block_on(self.api.database(&r.id))?;
                Ok(Values::Redis {
                    name: db.database_name.clone(),
                    host: db.host(),
                    port: db.port,
                    password: db.password,
                    rest_token: db.rest_token,
                    read_only_token: db.read_only_rest_token,
                })
            }
            ActionKind::ResetVector => Ok(index_values(
                Product::Vector,
                s.block_on(self.api.vector_index(&r.id))?,
            )),
            ActionKind::ResetSearch => Ok(index_values(
                Product::Search,
                s.block_on(self.api.search_index(&r.id))?,
            )),
            ActionKind::RotateQstashToken => {
                let u = s.block_on(self.api.qstash_user(&r.id))?;
                Ok(Values::QstashToken {
                    region: u.region.unwrap_or_default(),
                    token: u.token,
                    read_only_token: u.read_only_token,
                })
            }
            ActionKind::RotateSigningKeys => {
                let (region, token) = self.qstash_token()?;
                let keys = s.block_on(self.qstash.signing_keys(&region, &token))?;
                Ok(Values::SigningKeys {
                    region,
                    current: keys.current,
                    next: keys.next,
                })
            }
        }
    }

    /// The region and current token of the QStash user (read fresh: a token rotated earlier in
    /// this run is the one that works now).
    fn qstash_token(&self) -> Result<(String, Secret), ApiError> {
        let r = &self.action.resource;
        let u = self.session.block_on(self.api.qstash_user(&r.id))?;
        let region = u
            .region
            .clone()
            .or_else(|| r.region.clone())
            .unwrap_or_default();
        let token = u.token.ok_or_else(|| ApiError::Malformed {
            what: format!("GET /qstash/user/{}", r.id),
            message: "the answer carries no token, so the signing keys cannot be rotated".into(),
        })?;
        Ok((region, token))
    }

    /// One rotation.
    fn rotate(&self) -> Result<(), ApiError> {
        let id = &self.action.resource.id;
        let s = self.session;
        match self.action.kind {
            ActionKind::ResetRedis => s.block_on(self.api.reset_redis_password(id)).map(drop),
            ActionKind::ResetVector => s.block_on(self.api.reset_vector_password(id)),
            ActionKind::ResetSearch => s.block_on(self.api.reset_search_password(id)),
            ActionKind::RotateQstashToken => s.block_on(self.api.rotate_qstash_token(id)).map(drop),
            ActionKind::RotateSigningKeys => {
                let (region, token) = self.qstash_token()?;
                s.block_on(self.qstash.rotate_signing_keys(&region, &token))
                    .map(drop)
            }
        }
    }
}

fn index_values(product: Product, ix: Index) -> Values {
    let slug = crate::upstash::api::index_slug(&ix.endpoint);
    let suffix = if product == Product::Search {
        "search"
    } else {
        "vector"
    };
    Values::Index {
        product,
        name: ix.name,
        host: format!("{slug}-{suffix}.upstash.io"),
        token: ix.token,
        read_only_token: ix.read_only_token,
    }
}

fn times(n: u8) -> &'static str {
    match n {
        2 => " twice",
        _ => "",
    }
}

/// What to do about a failed action.
pub(crate) fn advice(e: &ApiError, a: &Action) -> String {
    let rerun =
        "re-run `upsweep revoke`: it checks each resource first, so nothing is rotated twice";
    match e {
        ApiError::ReadOnlyKey { .. } => format!(
            "the API key of {} (key {}) is read-only: create a key with write access in the \
             Upstash console (Account > Management API), configure it instead, and {rerun}",
            a.resource.account, a.resource.account_key
        ),
        ApiError::RateLimited { .. } => {
            format!("Upstash is rate limiting requests: wait a minute, then {rerun}")
        }
        ApiError::Server { .. } => format!("Upstash answered with a server error: {rerun}"),
        ApiError::NotFound { .. } => format!(
            "{} no longer exists (deleted since the plan was made?): a deleted resource's \
             credentials died with it; if it still shows in the Upstash console, {rerun}",
            a.resource
        ),
        ApiError::Unauthorized { .. } if a.kind == ActionKind::RotateSigningKeys => {
            format!("the region's QStash token was rejected: {rerun}")
        }
        ApiError::Unauthorized { .. } => format!(
            "the API key was rejected: check UPSTASH_EMAIL and UPSTASH_API_KEY (or the account \
             file), then {rerun}"
        ),
        ApiError::Forbidden { .. } => "this account cannot use the Developer API: rotate the \
                                      credential from the Upstash (or Vercel/Fly) dashboard"
            .to_string(),
        ApiError::Timeout { .. } | ApiError::Connection { .. } => {
            format!("Upstash did not answer: check the network, then {rerun}")
        }
        _ => format!(
            "{rerun}; if it fails again, rotate it from the {} page in the Upstash console",
            a.resource.product.title()
        ),
    }
}
