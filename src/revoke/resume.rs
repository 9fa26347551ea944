//! Settling what an earlier run left unfinished, before anything new is done: every action the
//! journal shows begun but not ended (a run killed with `kill -9`, a power cut, a second
//! Ctrl-C), or ended "unknown" (its answer lost and the resource unreadable), is settled by
//! reading the resource now and comparing its credentials with the hashes the intent line
//! recorded before the write:
//!
//! - they changed: the write was made. Its values are fetched (the Developer API returns a
//!   database's, an index's and a QStash user's credentials; QStash returns the signing keys)
//!   and appended to the `--new-credentials` file, and the outcome is journaled;
//! - they did not: the write was never made (the run's plan makes it, if the leak is still
//!   current);
//! - the resource cannot be read: it stays pending, for the next run.
//!
//! A rotation whose values an earlier run could not save (a full disk) gets them saved the
//! same way. Nothing here sends a write to Upstash.

use super::execute::{self, state, ActionResult, NewValues, Recorder, State, Status, Stop};
use super::journal::{Pending, PendingWhy};
use super::newcreds::Values;
use super::plan::Action;
use crate::upstash::{Credential, Session};

/// One earlier action, settled (or not: see its status).
pub(crate) struct Settled {
    pub(crate) action: Action,
    pub(crate) result: ActionResult,
    /// The earlier run, and when its last line was written.
    pub(crate) run: String,
    pub(crate) time: String,
}

/// Settle `pending` (from [`super::journal::History::pending`]); `interrupted` is asked
/// before each.
pub(crate) fn settle(
    session: &Session,
    pending: Vec<Pending>,
    rec: &mut Recorder,
    interrupted: &dyn Fn() -> Option<u8>,
) -> (Vec<Settled>, Option<Stop>) {
    let mut out = Vec::new();
    for p in pending {
        if let Some(code) = interrupted() {
            return (out, Some(Stop::Signal(code)));
        }
        let (result, record) = one(session, &p, rec);
        let mut stop = None;
        if record {
            if let Err(e) = rec.journal.outcome(&p.action, &result.journal(), true) {
                stop = Some(Stop::Journal(format!("{e:#}")));
            }
        }
        if let (NewValues::NotSaved, Some(_)) = (result.saved, &rec.env) {
            stop.get_or_insert(Stop::Credentials(
                "the new values could not be written to the --new-credentials file".to_string(),
            ));
        }
        out.push(Settled {
            action: p.action,
            result,
            run: p.run,
            time: p.time,
        });
        if stop.is_some() {
            return (out, stop);
        }
    }
    (out, None)
}

/// Whether `v` still shows the credentials recorded in `before` (compared by role).
fn unchanged(before: &[(Credential, Option<String>)], v: &Values) -> bool {
    let now = v.hashes();
    before.iter().all(|(role, h)| {
        now.iter()
            .find(|(r, _)| r == role)
            .is_none_or(|(_, cur)| cur == h)
    })
}

/// Settle one; `true` when the outcome is to be journaled (it is settled).
fn one(session: &Session, p: &Pending, rec: &mut Recorder) -> (ActionResult, bool) {
    let a = &p.action;
    let current = match execute::read(session, a) {
        None => {
            let mut r = ActionResult::new(
                Status::Unknown,
                format!(
                    "cannot be settled: no configured API key of {} (key {}) to read it with",
                    a.resource.account, a.resource.account_key
                ),
            );
            r.advice = Some(
                "run with the API key that run used (UPSTASH_EMAIL/UPSTASH_API_KEY or the account \
                 file)"
                    .to_string(),
            );
            return (r, false);
        }
        Some(Err(e)) => {
            let mut r = ActionResult::new(
                Status::Unknown,
                format!(
                    "cannot be settled yet: {} could not be read ({e}); it stays in the journal \
                     for the next run",
                    a.resource
                ),
            );
            r.error = Some(e.to_string());
            r.advice = Some(execute::advice(&e, a));
            return (r, false);
        }
        Some(Ok(v)) => v,
    };
    if p.why == PendingWhy::Unsaved && rec.env.is_none() {
        let mut r = ActionResult::new(
            Status::Unconfirmed,
            "rotated by an earlier run, whose new values never reached its --new-credentials file",
        );
        r.advice = Some(
            "re-run with --new-credentials FILE to save them (or copy them from the Upstash \
             console)"
                .to_string(),
        );
        return (r, false);
    }
    let made = match p.why {
        PendingWhy::Unsaved => 0,
        PendingWhy::Unsettled if unchanged(&p.before, &current) => p.step - 1,
        PendingWhy::Unsettled => p.step,
    };
    let happened = p.why == PendingWhy::Unsaved || made == p.step;
    let mut r = ActionResult::new(Status::NotMade, String::new());
    r.rotations = made;
    if happened {
        match rec.save(a, &current) {
            Ok(saved) => r.saved = saved,
            Err(e) => {
                r.saved = NewValues::NotSaved;
                r.error = Some(e);
            }
        }
        r.new_values = Some(current.clone());
        if r.saved == NewValues::None && p.had_file {
            // The earlier run saved its values; this one was given no file to save them in.
            r.saved = NewValues::NotSaved;
            r.advice = Some(
                "re-run with --new-credentials FILE to save the new values (or copy them from \
                 the Upstash console)"
                    .to_string(),
            );
        }
    }
    let saved_words = match r.saved {
        NewValues::Saved => "; its new values are saved now",
        NewValues::NotSaved => "; its new values are NOT saved",
        NewValues::None => "",
    };
    let dead = matches!(state(a, &current), State::Dead);
    r.status = match (happened, dead) {
        (true, true) => Status::Rotated,
        (true, false) => Status::Unconfirmed,
        (false, _) => Status::NotMade,
    };
    r.message = match (p.why.clone(), happened) {
        (PendingWhy::Unsaved, _) => format!("rotated by run {}{saved_words}", p.run),
        (PendingWhy::Unsettled, true) if p.steps > 1 => format!(
            "the interrupted rotation ({} of {}) was made{saved_words}",
            p.step, p.steps
        ),
        (PendingWhy::Unsettled, true) => format!("the interrupted rotation was made{saved_words}"),
        (PendingWhy::Unsettled, false) => format!(
            "the interrupted rotation was not made: {} shows the same credentials as before it{}",
            a.resource,
            if made > 0 {
                format!(" ({made} of {} rotations were made before it)", p.steps)
            } else {
                String::new()
            }
        ),
    };
    if happened && !dead {
        r.message
            .push_str("; a leaked credential is still current (this run's plan rotates it)");
    }
    (r, true)
}
