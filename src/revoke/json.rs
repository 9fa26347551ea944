//! `upsweep revoke --format json`: the plan and the results as one JSON document on standard
//! output, for scripts (a security team's runbook). The same facts as the human output
//! ([`super::print`]), never a credential: secrets are SHA-256 hashes, new values are only ever
//! in the `--new-credentials` file.
//!
//! ```json
//! {"version":1,"tool":{…},"command":"revoke","mode":"dry-run","source":".",
//!  "plan":{"actions":[{"id":"redis:…","action":"redis-reset-password","call":"POST …",…}],
//!          "api_keys":[…],"console_steps":[…],"no_action":[…],"not_actionable":[…],
//!          "left_out_by_only":[…],"left_out_by_config":[…],"unfinished":[…],"problems":[…]},
//!  "settled":[…],"results":[{"id":…,"status":"rotated","rotations":1,…}],"not_attempted":[…],
//!  "stopped":null,"new_credentials":"new.env","journal":"…","exit_code":0}
//! ```

use super::apikeys::KeyReport;
use super::execute::{ActionResult, Stop};
use super::plan::{Action, ApiKeyLeak, Note, Plan};
use super::print::{Ending, PlanContext};
use super::resume::Settled;
use crate::upstash::apikey::{CAN_DO, CONSOLE_STEPS};
use serde_json::{json, Value};

/// The schema's version (fields may be added, never renamed or removed within it).
pub(crate) const VERSION: u32 = 1;

fn tool() -> Value {
    json!({"name": "upsweep", "version": env!("CARGO_PKG_VERSION")})
}

/// What the run did with the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Nothing to rotate.
    Nothing,
    /// Planned only (`--dry-run`, not on a terminal, or a "no").
    DryRun,
    /// Rotated.
    Rotate,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Nothing => "nothing-to-do",
            Mode::DryRun => "dry-run",
            Mode::Rotate => "rotate",
        }
    }
}

pub(crate) fn action(a: &Action) -> Value {
    json!({
        "id": a.key(),
        "action": a.kind.name(),
        "title": a.title(),
        "call": a.call(),
        "resource": a.resource,
        "rotations": a.rotations(),
        "prior_rotations": a.prior_rotations,
        "leaked": a.leaked.iter().map(|l| json!({
            "sha256": l.sha256,
            "kind": l.kind.as_str(),
            "credential": l.credential,
            "places": l.places,
        })).collect::<Vec<_>>(),
        "effect": a.effect(),
        "breaks": a.breaks(),
        "warning": a.warning(),
    })
}

fn note(n: &Note) -> Value {
    json!({
        "sha256": n.sha256,
        "kind": n.kind.as_str(),
        "places": n.places,
        "verdict": n.verdict.as_str(),
        "reason": n.reason,
        "resource": n.resource,
    })
}

fn api_key(k: &ApiKeyLeak) -> Value {
    json!({
        "sha256": k.sha256,
        "places": k.places,
        "status": k.status,
        "needs_person": k.pending(),
        "email": k.email,
        "whose": k.whose,
        "can_do": if k.pending() { Some(CAN_DO) } else { None },
        "reason": k.reason,
        "configured": k.configured,
        "audit": k.audit,
    })
}

/// The plan, with what was left out of it and what earlier runs left unfinished.
pub(crate) fn plan(p: &Plan, cx: &PlanContext<'_>) -> Value {
    json!({
        "actions": p.actions.iter().map(action).collect::<Vec<_>>(),
        "api_keys": p.api_keys.iter().map(api_key).collect::<Vec<_>>(),
        "console_steps": if p.api_keys.is_empty() { Vec::new() } else { CONSOLE_STEPS.to_vec() },
        "no_action": p.no_action.iter().map(note).collect::<Vec<_>>(),
        "not_actionable": p.not_actionable.iter().map(note).collect::<Vec<_>>(),
        "left_out_by_only": p.deselected.iter().map(action).collect::<Vec<_>>(),
        "left_out_by_config": cx.left_out.iter().map(|l| json!({
            "sha256": l.sha256,
            "kind": l.kind,
            "places": l.places,
            "why": l.why.as_str(),
            "detail": l.why.words(),
        })).collect::<Vec<_>>(),
        "config_file": cx.config_file,
        "unfinished": cx.pending.iter().map(|x| json!({
            "id": x.action.key(),
            "title": x.action.title(),
            "why": match x.why {
                super::journal::PendingWhy::Unsettled => "interrupted",
                super::journal::PendingWhy::Unsaved => "values-not-saved",
            },
            "run": x.run,
            "time": x.time,
        })).collect::<Vec<_>>(),
        "problems": p.problems,
    })
}

pub(crate) fn result(a: &Action, r: &ActionResult) -> Value {
    json!({
        "id": a.key(),
        "action": a.kind.name(),
        "title": a.title(),
        "status": r.status.as_str(),
        "rotations": r.rotations,
        "total_rotations": r.total_rotations,
        "message": r.message,
        "error": r.error,
        "advice": r.advice,
        "warning": if r.rotations > 0 { a.warning_after(r.total_rotations.max(r.rotations)) } else { None },
        "new_credentials": r.saved.as_str(),
    })
}

fn settled(s: &Settled) -> Value {
    let mut v = result(&s.action, &s.result);
    v["earlier_run"] = json!(s.run);
    v
}

/// The whole run: the plan, what was settled and rotated, and how it ended.
pub(crate) fn run(
    source: &str,
    p: &Plan,
    cx: &PlanContext<'_>,
    mode: Mode,
    ending: Option<&Ending<'_>>,
    actions: &[Action],
    exit_code: u8,
) -> Value {
    let (settled_v, results, left, stopped, new_credentials, journal) = match ending {
        Some(e) => (
            e.settled.iter().map(settled).collect::<Vec<_>>(),
            e.results
                .iter()
                .map(|(i, r)| result(&actions[*i], r))
                .collect::<Vec<_>>(),
            e.left
                .iter()
                .map(|a| json!({"id": a.key(), "title": a.title()}))
                .collect::<Vec<_>>(),
            e.stop.map(|s| match s {
                Stop::Signal(130) => json!({"why": "interrupted", "signal": "SIGINT"}),
                Stop::Signal(143) => json!({"why": "interrupted", "signal": "SIGTERM"}),
                Stop::Signal(n) => json!({"why": "interrupted", "exit": n}),
                Stop::Journal(m) => json!({"why": "journal-not-written", "message": m}),
                Stop::Credentials(m) => json!({"why": "new-credentials-not-written", "message": m}),
            }),
            e.new_credentials.map(|p| p.display().to_string()),
            Some(e.journal.display().to_string()),
        ),
        None => (Vec::new(), Vec::new(), Vec::new(), None, None, None),
    };
    json!({
        "version": VERSION,
        "tool": tool(),
        "command": "revoke",
        "mode": mode.as_str(),
        "source": source,
        "plan": plan(p, cx),
        "settled": settled_v,
        "results": results,
        "not_attempted": left,
        "stopped": stopped,
        "new_credentials": new_credentials,
        "journal": journal,
        "exit_code": exit_code,
    })
}

/// `--check-api-key --format json`.
pub(crate) fn key_report(r: &KeyReport, source: &str, exit_code: u8) -> Value {
    json!({
        "version": VERSION,
        "tool": tool(),
        "command": "revoke --check-api-key",
        "source": source,
        "api_keys": r.keys.iter().map(api_key).collect::<Vec<_>>(),
        "console_steps": if r.keys.iter().any(ApiKeyLeak::pending) { CONSOLE_STEPS.to_vec() } else { Vec::new() },
        "audit": r.audit,
        "problems": r.problems,
        "exit_code": exit_code,
    })
}
