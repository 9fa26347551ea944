//! Carrying out a plan, one action at a time, each bounded, journaled and checked:
//!
//! 1. **Write access, up front.** Upstash has no call that says whether an API key is
//!    read-only (no permissions field in `GET /teams`, the audit log or anywhere else in the
//!    Developer API; docs/formats.md §2). So before the first rotation with a key, upsweep
//!    sends it one write that cannot change anything: `POST /redis/reset-password/` on the nil UUID,
//!    which no database has. A read-only key is refused with `Readonly API key` and upsweep
//!    then attempts nothing with it; a key with write access gets a 404. Should Upstash look
//!    the resource up before checking the key (any answer other than `Readonly API key`),
//!    the first real write is refused instead, and nothing further is sent with that key.
//! 2. **Still current?** The resource is read again just before acting; if no leaked hash is
//!    one of its credentials any more, nothing is sent ("already rotated, by this or another
//!    run": safe re-runs, and runs on two machines).
//! 3. **Journal, then rotate** (signing keys: once for a leaked current key, twice for a leaked
//!    next key, as the keys are *now*). Before each write an intent line is fsync'd to the
//!    journal ([`super::journal`]); when it cannot be, nothing is sent.
//! 4. **Save at once.** The new values are taken from Upstash's answer (Vector and Search
//!    answer `"OK"`: they are read back) and appended, fsync'd, to the `--new-credentials`
//!    file before anything else happens.
//! 5. **Never resend.** A write that may have reached Upstash (a timeout, a cut connection, a
//!    5xx, a 503 too) is never sent again: the resource is read to learn whether it happened.
//!    Only what provably did not arrive (a refused connection, DNS; a 429) was retried, by
//!    the HTTP layer.
//! 6. **Confirm.** The resource is read once more; only when no leaked hash is any of its
//!    credentials is the action `rotated`. When that read fails the rotation is `unconfirmed`
//!    (its values are saved all the same).
//!
//! One action's failure never stops the others; a journal or credentials file that cannot be
//! written, or a first Ctrl-C / SIGTERM, stops the run before the next action.

use super::journal::{self, Journal};
use super::newcreds::{EnvFile, Values};
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
    /// A rotation was made, but it could not be confirmed (or a leaked credential is still
    /// shown).
    Unconfirmed,
    /// A write may or may not have been made: its answer was lost and the resource could not
    /// be read again. The next run settles it from the journal.
    Unknown,
    /// Settled from the journal: the interrupted write was not made.
    NotMade,
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
            Status::Unknown => "unknown",
            Status::NotMade => "not-made",
            Status::Refused => "refused",
        }
    }

    /// The leak is dealt with.
    pub(crate) fn is_done(self) -> bool {
        matches!(self, Status::Rotated | Status::AlreadyRotated)
    }
}

/// Whether the new values reached the `--new-credentials` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum NewValues {
    /// Nothing to save, or no file asked for.
    #[default]
    None,
    Saved,
    /// A file was asked for, but they could not be written (or read from Upstash).
    NotSaved,
}

impl NewValues {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            NewValues::None => "none",
            NewValues::Saved => "saved",
            NewValues::NotSaved => journal::NOT_SAVED,
        }
    }
}

/// What one action did.
#[derive(Debug, Clone)]
pub(crate) struct ActionResult {
    pub(crate) status: Status,
    /// Rotations made by this run.
    pub(crate) rotations: u8,
    /// Signing keys: every rotation the journal records for this leak, this run's included
    /// (the receivers' warning counts them all).
    pub(crate) total_rotations: u8,
    /// What happened, in words (never a credential).
    pub(crate) message: String,
    /// The error, when there was one.
    pub(crate) error: Option<String>,
    /// What the user should do about a failure.
    pub(crate) advice: Option<String>,
    /// The resource's credentials after a rotation (for `--new-credentials`).
    pub(crate) new_values: Option<Values>,
    pub(crate) saved: NewValues,
}

impl ActionResult {
    /// The journal's outcome line.
    pub(crate) fn journal(&self) -> journal::Outcome<'_> {
        journal::Outcome {
            rotations: self.rotations,
            status: self.status.as_str(),
            error: self.error.as_deref(),
            new_sha256: self
                .new_values
                .as_ref()
                .map(|v| v.hashes().into_iter().filter_map(|(_, h)| h).collect())
                .unwrap_or_default(),
            new_values: self.saved.as_str(),
        }
    }

    pub(crate) fn new(status: Status, message: impl Into<String>) -> ActionResult {
        ActionResult {
            status,
            rotations: 0,
            total_rotations: 0,
            message: message.into(),
            error: None,
            advice: None,
            new_values: None,
            saved: NewValues::None,
        }
    }
}

/// Why a run stopped before its last action.
#[derive(Debug, Clone)]
pub(crate) enum Stop {
    /// A first Ctrl-C or SIGTERM; the exit code (130, 143).
    Signal(u8),
    /// The journal could not be written.
    Journal(String),
    /// New values could not be saved.
    Credentials(String),
}

/// Where an executing run records: the journal, and the new-credentials file if asked for.
pub(crate) struct Recorder {
    pub(crate) journal: Journal,
    pub(crate) env: Option<EnvFile>,
}

impl Recorder {
    /// Save `v` at once; `NewValues::None` when no file was asked for.
    pub(crate) fn save(&mut self, a: &Action, v: &Values) -> Result<NewValues, String> {
        let Some(env) = &mut self.env else {
            return Ok(NewValues::None);
        };
        let what = format!("{} (id {})", a.title(), a.id());
        env.append(&a.key(), &what, v)
            .map(|_| NewValues::Saved)
            .map_err(|e| format!("{e:#}"))
    }
}

/// What a run did: a result per attempted action (by index), the actions left, and why it
/// stopped early.
pub(crate) struct Execution {
    pub(crate) results: Vec<(usize, ActionResult)>,
    pub(crate) left: Vec<usize>,
    pub(crate) stop: Option<Stop>,
}

/// Execute `actions` in order. `interrupted` is asked before each action (a signal's exit
/// code); `on_result` sees each result as it is known.
pub(crate) fn execute(
    session: &Session,
    actions: &[Action],
    rec: &mut Recorder,
    interrupted: &dyn Fn() -> Option<u8>,
    on_result: &mut dyn FnMut(&Action, &ActionResult),
) -> Execution {
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

    let mut out = Execution {
        results: Vec::with_capacity(actions.len()),
        left: Vec::new(),
        stop: None,
    };
    for (i, a) in actions.iter().enumerate() {
        if out.stop.is_none() {
            if let Some(code) = interrupted() {
                out.stop = Some(Stop::Signal(code));
            }
        }
        if out.stop.is_some() {
            out.left.push(i);
            continue;
        }
        let (mut result, stop) = match account_for(session, a) {
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
                (r, None)
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
                        (r, None)
                    }
                    None => {
                        let done = Runner {
                            session,
                            api: session.developer_api(acct),
                            qstash: session.qstash_api(),
                            action: a,
                        }
                        .run(rec);
                        if let Some(ApiError::ReadOnlyKey { message }) = &done.write_error {
                            read_only.insert(
                                fp,
                                ApiError::ReadOnlyKey {
                                    message: message.clone(),
                                },
                            );
                        }
                        (done.result, done.stop)
                    }
                }
            }
        };
        result.total_rotations = a.prior_rotations.saturating_add(result.rotations);
        let mut stop = stop;
        if let Err(e) = rec.journal.outcome(a, &result.journal(), false) {
            stop.get_or_insert(Stop::Journal(format!("{e:#}")));
        }
        on_result(a, &result);
        out.results.push((i, result));
        out.stop = stop;
    }
    out
}

/// Whether the action writes through the Developer API (signing keys rotate with the region's
/// QStash token, which a read-only API key can still read).
fn writes_with_api_key(a: &Action) -> bool {
    a.kind != ActionKind::RotateSigningKeys
}

/// A resource's current values, read with the configured account it was seen with (`None`:
/// no such account is configured).
pub(crate) fn read(session: &Session, a: &Action) -> Option<Result<Values, ApiError>> {
    let acct = account_for(session, a)?;
    Some(
        Runner {
            session,
            api: session.developer_api(acct),
            qstash: session.qstash_api(),
            action: a,
        }
        .fetch(),
    )
}

/// The configured account the resource was seen with.
pub(crate) fn account_for<'s>(session: &'s Session, a: &Action) -> Option<&'s Account> {
    session.accounts().iter().find(|acct| {
        acct.email == a.resource.account && acct.fingerprint() == a.resource.account_key
    })
}

/// Whether the leaked credentials are still the resource's.
pub(crate) enum State {
    /// No leaked hash is a credential, and every role a leak held is shown.
    Dead,
    Alive,
    /// No leaked hash shown, but the answer hides a credential a leak was.
    Unclear(Credential),
}

pub(crate) fn state(a: &Action, v: &Values) -> State {
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

/// What a [`Runner`] returns: the result, the error of a write (a read-only key stops further
/// writes with it), and why the run must stop.
struct Done {
    result: ActionResult,
    write_error: Option<ApiError>,
    stop: Option<Stop>,
}

/// Whether two readings of a resource differ (a rotation happened between them).
pub(crate) fn changed(a: &Values, b: &Values) -> bool {
    a.hashes() != b.hashes()
}

impl Runner<'_> {
    fn run(&self, rec: &mut Recorder) -> Done {
        let a = self.action;
        let done = |result: ActionResult| Done {
            result,
            write_error: None,
            stop: None,
        };
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
                return done(r);
            }
        };
        if let State::Dead = state(a, &before) {
            return done(ActionResult::new(
                Status::AlreadyRotated,
                "already rotated, by this or another run: no leaked credential is current any \
                 more, so nothing was sent",
            ));
        }
        let wanted = self.rotations_needed(&before);
        let mut cur = before;
        let mut made = 0u8;
        let mut r = ActionResult::new(Status::Failed, String::new());
        // The write that failed and provably did not happen (or was refused unprocessed).
        let mut write_error: Option<ApiError> = None;
        // A write whose error came after Upstash acted on it.
        let mut acted_despite: Option<ApiError> = None;
        // A write whose answer was lost, and the read that could not tell.
        let mut lost: Option<(ApiError, ApiError)> = None;
        // Rotated, but the new values could not be read (Vector/Search answer "OK").
        let mut unread: Option<ApiError> = None;
        let mut stop: Option<Stop> = None;
        for step in 1..=wanted {
            if let Err(e) = rec.journal.intent(a, step, wanted, &cur) {
                stop = Some(Stop::Journal(format!("{e:#}")));
                break;
            }
            let fresh: Option<Values> = match self.rotate() {
                Ok(answer) => {
                    made += 1;
                    match answer {
                        Some(v) => Some(v),
                        None => match self.fetch() {
                            Ok(v) => Some(v),
                            Err(e) => {
                                unread = Some(e);
                                None
                            }
                        },
                    }
                }
                Err(e) if e.not_processed() => {
                    write_error = Some(e);
                    break;
                }
                Err(e) => match self.fetch() {
                    Ok(v) if changed(&v, &cur) => {
                        made += 1;
                        acted_despite = Some(e);
                        Some(v)
                    }
                    Ok(_) => {
                        write_error = Some(e);
                        break;
                    }
                    Err(fe) => {
                        lost = Some((e, fe));
                        break;
                    }
                },
            };
            if let Some(v) = fresh {
                match rec.save(a, &v) {
                    Ok(saved) => r.saved = saved,
                    Err(e) => {
                        r.saved = NewValues::NotSaved;
                        stop = Some(Stop::Credentials(e));
                    }
                }
                cur = v.clone();
                r.new_values = Some(v);
            } else if rec.env.is_some() {
                r.saved = NewValues::NotSaved;
            }
            if stop.is_some() || unread.is_some() {
                break;
            }
        }
        r.rotations = made;
        if made == 0 && write_error.is_none() && lost.is_none() {
            if let Some(Stop::Journal(e)) = &stop {
                let mut r = ActionResult::new(
                    Status::Failed,
                    "not attempted: the journal could not be written, so nothing was sent",
                );
                r.error = Some(e.clone());
                r.advice = Some(
                    "free some space (or make the journal writable), then re-run `upsweep revoke`"
                        .to_string(),
                );
                return Done {
                    result: r,
                    write_error: None,
                    stop,
                };
            }
        }

        if let Some((e, fe)) = lost {
            r.status = Status::Unknown;
            r.message = format!(
                "{}the last rotation may or may not have been made: its answer was lost ({e}), \
                 and {} could not be read again to tell ({fe}); nothing was sent again",
                if made > 0 {
                    format!("rotated {made} of {wanted} times, then ")
                } else {
                    String::new()
                },
                a.resource
            );
            r.error = Some(e.to_string());
            r.advice = Some(
                "re-run `upsweep revoke`: it reads the journal and the resource, saves the new \
                 values if the rotation happened, and rotates nothing twice"
                    .to_string(),
            );
            return Done {
                result: r,
                write_error: Some(e),
                stop,
            };
        }

        let confirm = match &unread {
            Some(e) => Err(e.clone()),
            None => self.fetch(),
        };
        match confirm {
            Ok(v) => {
                if made > 0 && r.new_values.as_ref().is_none_or(|nv| changed(nv, &v)) {
                    // Newer than what was saved (another rotation meanwhile): save it too.
                    if stop.is_none() {
                        match rec.save(a, &v) {
                            Ok(saved) => r.saved = saved,
                            Err(e) => {
                                r.saved = NewValues::NotSaved;
                                stop = Some(Stop::Credentials(e));
                            }
                        }
                    }
                    r.new_values = Some(v.clone());
                }
                self.judge(&mut r, &v, wanted, &write_error, &acted_despite);
            }
            Err(fe) if made > 0 => {
                r.status = Status::Unconfirmed;
                r.message = format!(
                    "rotated{}, not yet confirmed: {} could not be read again ({fe}){}",
                    times(made),
                    a.resource,
                    match r.saved {
                        NewValues::Saved => "; the new values from Upstash's answer are saved",
                        NewValues::NotSaved => "; the new values could not be saved",
                        NewValues::None => "",
                    }
                );
                r.error = Some(
                    acted_despite
                        .as_ref()
                        .map_or_else(|| fe.to_string(), ToString::to_string),
                );
                r.advice = Some(
                    "re-run `upsweep revoke`: it reads each resource first (and saves any new \
                     values it is missing), and rotates nothing twice"
                        .to_string(),
                );
            }
            Err(fe) => {
                r.status = Status::Failed;
                let e = write_error.clone();
                r.message = match &e {
                    Some(e) => format!(
                        "the rotation failed ({e}), and {} could not be read again ({fe})",
                        a.resource
                    ),
                    None => format!("{} could not be read again ({fe})", a.resource),
                };
                r.error = Some(
                    e.as_ref()
                        .map_or_else(|| fe.to_string(), ToString::to_string),
                );
                r.advice = Some(advice(e.as_ref().unwrap_or(&fe), a));
            }
        }
        Done {
            result: r,
            write_error,
            stop,
        }
    }

    /// The status and words, from the resource as read after the writes.
    fn judge(
        &self,
        r: &mut ActionResult,
        after: &Values,
        wanted: u8,
        write_error: &Option<ApiError>,
        acted_despite: &Option<ApiError>,
    ) {
        let a = self.action;
        let made = r.rotations;
        let despite = acted_despite
            .as_ref()
            .map(|e| {
                format!(" (Upstash answered with an error, {e}, but reading it again shows the rotation was made)")
            })
            .unwrap_or_default();
        if let Some(e) = acted_despite {
            r.error = Some(e.to_string());
        }
        match state(a, after) {
            State::Dead if made > 0 => {
                r.status = Status::Rotated;
                r.message = format!(
                    "rotated{}{despite}; checked: no leaked credential is current",
                    times(made)
                );
            }
            State::Dead => {
                r.status = Status::AlreadyRotated;
                r.message =
                    "rotated meanwhile by another run: no leaked credential is current".to_string();
            }
            State::Alive => {
                if let Some(e) = write_error {
                    r.status = Status::Failed;
                    r.message = if made > 0 {
                        format!(
                            "rotated {made} of {wanted} times{despite}, then the next rotation \
                             was not made ({}): the leaked key is still a signing key (now the \
                             current one)",
                            not_made(e)
                        )
                    } else {
                        format!(
                            "the rotation was not made ({}): the leaked credential is still current",
                            not_made(e)
                        )
                    };
                    r.error = Some(e.to_string());
                    r.advice = Some(advice(e, a));
                } else if made < wanted {
                    r.status = Status::Failed;
                    r.message = format!(
                        "rotated {made} of {wanted} times{despite}, then stopped: the leaked key \
                         is still a signing key (now the current one)"
                    );
                    r.advice =
                        Some("re-run `upsweep revoke` to make the remaining rotation".to_string());
                } else {
                    r.status = Status::Unconfirmed;
                    r.message = format!(
                        "rotated{}{despite}, but a leaked credential is still current",
                        times(made)
                    );
                    r.advice = Some(format!(
                        "re-run `upsweep revoke`; if it stays current, rotate it from the {} \
                         page in the Upstash console",
                        a.resource.product.title()
                    ));
                }
            }
            State::Unclear(role) => {
                r.status = Status::Unconfirmed;
                r.message = format!(
                    "rotated{}{despite}, but the API no longer shows the {role}, so upsweep \
                     cannot confirm the leaked one is dead",
                    times(made)
                );
                if let Some(e) = write_error {
                    r.error = Some(e.to_string());
                }
                r.advice = Some(
                    "check the resource in the Upstash console, and re-run `upsweep revoke`"
                        .to_string(),
                );
            }
        }
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
            ActionKind::ResetRedis => Ok(redis_values(s.block_on(self.api.database(&r.id))?)),
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

    /// One rotation, and the new values when the answer carries them.
    fn rotate(&self) -> Result<Option<Values>, ApiError> {
        let id = &self.action.resource.id;
        let s = self.session;
        match self.action.kind {
            ActionKind::ResetRedis => {
                let db = s.block_on(self.api.reset_redis_password(id))?;
                Ok((db.rest_token.is_some() || db.password.is_some()).then(|| redis_values(db)))
            }
            ActionKind::ResetVector => s.block_on(self.api.reset_vector_password(id)).map(|_| None),
            ActionKind::ResetSearch => s.block_on(self.api.reset_search_password(id)).map(|_| None),
            ActionKind::RotateQstashToken => {
                let u = s.block_on(self.api.rotate_qstash_token(id))?;
                let region = u
                    .region
                    .clone()
                    .or_else(|| self.action.resource.region.clone())
                    .unwrap_or_default();
                Ok(u.token.is_some().then_some(Values::QstashToken {
                    region,
                    token: u.token,
                    read_only_token: u.read_only_token,
                }))
            }
            ActionKind::RotateSigningKeys => {
                let (region, token) = self.qstash_token()?;
                let keys = s.block_on(self.qstash.rotate_signing_keys(&region, &token))?;
                Ok(Some(Values::SigningKeys {
                    current: keys.current,
                    next: keys.next,
                }))
            }
        }
    }
}

fn redis_values(db: crate::upstash::Database) -> Values {
    Values::Redis {
        host: db.host(),
        port: db.port,
        password: db.password,
        rest_token: db.rest_token,
        read_only_token: db.read_only_rest_token,
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
        host: format!("{slug}-{suffix}.upstash.io"),
        token: ix.token,
        read_only_token: ix.read_only_token,
    }
}

/// Why a write was not made, in words.
fn not_made(e: &ApiError) -> String {
    if e.not_processed() {
        format!("{e}")
    } else {
        format!("{e}; reading it again shows nothing changed, and nothing was sent again")
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
        ApiError::RateLimited { .. } => match e.wait() {
            Some(wait) => format!("Upstash asked to wait {wait}: wait that long, then {rerun}"),
            None => format!("Upstash is rate limiting requests: wait a little, then {rerun}"),
        },
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
        ApiError::Timeout { .. } | ApiError::Connection { .. } | ApiError::Unreachable { .. } => {
            format!("Upstash did not answer: check the network, then {rerun}")
        }
        _ => format!(
            "{rerun}; if it fails again, rotate it from the {} page in the Upstash console",
            a.resource.product.title()
        ),
    }
}
