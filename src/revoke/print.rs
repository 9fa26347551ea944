//! Human output of `upsweep revoke`: the plan, what earlier runs left unfinished, each action's
//! result as it ends, the summary, and `--check-api-key`'s findings. Secrets are named by the
//! first 12 hex digits of their SHA-256 and by where they were found; nothing here ever holds
//! a credential. `--format json` says the same in [`super::json`].

use super::apikeys::KeyReport;
use super::execute::{ActionResult, NewValues, Status, Stop};
use super::journal::{Pending, PendingWhy};
use super::leak::LeftOut;
use super::plan::{Action, ApiKeyLeak, Note, Plan};
use super::resume::Settled;
use crate::upstash::apikey::{CAN_DO, CONSOLE_STEPS};
use crate::upstash::{ApiKeyStatus, AuditEntry, Ownership};
use std::io::{self, Write};
use std::path::Path;

/// A secret's short name: `sha256 9f86d081884c`.
pub(crate) fn short(sha256: &str) -> String {
    format!("sha256 {}", &sha256[..sha256.len().min(12)])
}

/// Up to three places, then a count.
pub(crate) fn places(p: &[String]) -> String {
    if p.is_empty() {
        return "(no location)".to_string();
    }
    let mut s = p.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if p.len() > 3 {
        s.push_str(&format!(" and {} more", p.len() - 3));
    }
    s
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the plan says beside the plan itself.
pub(crate) struct PlanContext<'a> {
    pub(crate) source: &'a str,
    /// Leaks the configuration (or `upsweep:allow`) left out.
    pub(crate) left_out: &'a [LeftOut],
    /// The config file applied, if any.
    pub(crate) config_file: Option<&'a str>,
    /// Actions of earlier runs the journal shows unfinished.
    pub(crate) pending: &'a [Pending],
    pub(crate) journal: Option<&'a Path>,
}

/// The plan.
pub(crate) fn plan(w: &mut dyn Write, p: &Plan, cx: &PlanContext<'_>) -> io::Result<()> {
    let source = cx.source;
    if p.is_empty() {
        writeln!(
            w,
            "upsweep revoke: no leaked Upstash credential in {source}: nothing to revoke."
        )?;
    } else {
        plan_headline(w, p, source)?;
    }
    if !p.actions.is_empty() {
        writeln!(w, "\nRotations, in this order ({}):", p.actions.len())?;
        for (i, a) in p.actions.iter().enumerate() {
            action(w, i + 1, a)?;
        }
    }
    if !p.api_keys.is_empty() {
        api_key_section(w, &p.api_keys, &merged_audit(&p.api_keys))?;
    }
    if !p.no_action.is_empty() {
        writeln!(w, "\nNo action needed ({}):", p.no_action.len())?;
        for n in &p.no_action {
            note(w, n)?;
        }
    }
    if !p.not_actionable.is_empty() {
        writeln!(
            w,
            "\nNot actionable: upsweep cannot tell whether these are the account's ({}):",
            p.not_actionable.len()
        )?;
        for n in &p.not_actionable {
            note(w, n)?;
        }
    }
    if !p.deselected.is_empty() {
        writeln!(w, "\nLeft out by --only ({}):", p.deselected.len())?;
        for a in &p.deselected {
            writeln!(w, "  - {} (id {}): {}", a.title(), a.key(), a.call())?;
        }
    }
    left_out(w, cx)?;
    pending(w, cx)?;
    if !p.problems.is_empty() {
        writeln!(w, "\nThe account check could not fetch everything:")?;
        for pr in &p.problems {
            writeln!(w, "  - {pr}")?;
        }
    }
    Ok(())
}

/// The plan's first line: how many leaks, and what becomes of them.
fn plan_headline(w: &mut dyn Write, p: &Plan, source: &str) -> io::Result<()> {
    let leaks = p
        .actions
        .iter()
        .chain(&p.deselected)
        .map(|a| a.leaked.len())
        .sum::<usize>()
        + p.api_keys.len()
        + p.no_action.len()
        + p.not_actionable.len();
    let mut parts = Vec::new();
    if !p.actions.is_empty() {
        parts.push(plural(
            p.actions.len(),
            "rotation to make",
            "rotations to make",
        ));
    }
    let keys = p.pending_api_keys();
    if keys > 0 {
        parts.push(format!(
            "{} for a person in the Upstash console",
            plural(keys, "Developer API key", "Developer API keys")
        ));
    }
    let deleted = p.api_keys.len() - keys;
    if deleted > 0 {
        parts.push(format!(
            "{} (rejected with 401)",
            no_longer_works(deleted, "")
        ));
    }
    if !p.no_action.is_empty() {
        parts.push(format!(
            "{} no action",
            plural(p.no_action.len(), "needs", "need")
        ));
    }
    if !p.not_actionable.is_empty() {
        parts.push(format!("{} not actionable", p.not_actionable.len()));
    }
    if !p.deselected.is_empty() {
        parts.push(format!("{} left out by --only", p.deselected.len()));
    }
    writeln!(
        w,
        "upsweep revoke: {} in {source} ({})",
        plural(leaks, "leaked credential", "leaked credentials"),
        parts.join(", ")
    )
}

fn action(w: &mut dyn Write, n: usize, a: &Action) -> io::Result<()> {
    let r = &a.resource;
    writeln!(w, "  {n}. {}  [id {}]", a.title(), a.key())?;
    let mut ident = format!(
        "resource {}, account {} (key {})",
        r.id, r.account, r.account_key
    );
    if let Some(t) = &r.team {
        ident.push_str(&format!(", team {t}"));
    }
    if let Some(e) = &r.endpoint {
        ident.push_str(&format!(", {e}"));
    }
    writeln!(w, "       {ident}")?;
    for l in &a.leaked {
        writeln!(
            w,
            "       leaked:  {} ({}) in {}",
            l.credential,
            short(&l.sha256),
            places(&l.places)
        )?;
    }
    writeln!(w, "       action:  {}: {}", a.call(), a.effect())?;
    writeln!(w, "       breaks:  {}", a.breaks())?;
    if a.prior_rotations > 0 {
        writeln!(
            w,
            "       journal: rotated {} already by an earlier run for this leak",
            plural(a.prior_rotations.into(), "time", "times")
        )?;
    }
    if let Some(warn) = a.warning() {
        writeln!(w, "       warning: {warn}")?;
    }
    Ok(())
}

/// Every leaked key's audit entries, once each, newest first.
fn merged_audit(keys: &[ApiKeyLeak]) -> Vec<AuditEntry> {
    let mut audit: Vec<AuditEntry> = Vec::new();
    for e in keys.iter().flat_map(|k| &k.audit) {
        if !audit.contains(e) {
            audit.push(e.clone());
        }
    }
    audit.sort_by_key(|e| std::cmp::Reverse(e.timestamp));
    audit
}

/// "1 Developer API key no longer works" / "2 leaked Developer API keys no longer work".
fn no_longer_works(n: usize, leaked: &str) -> String {
    format!(
        "{n} {leaked}Developer API key{} no longer work{}",
        crate::util::text::plural_s(n),
        if n == 1 { "s" } else { "" }
    )
}

/// The one story of leaked Developer API keys, told the same by the plan and by
/// `--check-api-key`: whose each is, what it can do, its status, the console steps, and what
/// API keys did lately. Keys confirmed deleted (401) are told apart, once: nothing to do.
pub(crate) fn api_key_section(
    w: &mut dyn Write,
    keys: &[ApiKeyLeak],
    audit: &[AuditEntry],
) -> io::Result<()> {
    let (pending, deleted): (Vec<&ApiKeyLeak>, Vec<&ApiKeyLeak>) =
        keys.iter().partition(|k| k.pending());
    if !pending.is_empty() {
        writeln!(
            w,
            "\nDeveloper API keys: need a person in the Upstash console ({}): no API can delete one",
            pending.len()
        )?;
        for k in &pending {
            api_key(w, k)?;
        }
        writeln!(w, "  Steps, in the Upstash console:")?;
        for (i, s) in CONSOLE_STEPS.iter().enumerate() {
            writeln!(w, "    {}. {s}", i + 1)?;
        }
        audit_entries(w, audit)?;
    }
    if !deleted.is_empty() {
        writeln!(
            w,
            "\n{} (rejected with 401): nothing to do",
            no_longer_works(deleted.len(), "leaked ")
        )?;
        for k in &deleted {
            api_key(w, k)?;
        }
        if pending.is_empty() {
            audit_entries(w, audit)?;
        }
    }
    Ok(())
}

/// One leaked Developer API key: where, its status, whose, what it can do while it works.
fn api_key(w: &mut dyn Write, k: &ApiKeyLeak) -> io::Result<()> {
    let status = match k.status {
        ApiKeyStatus::Works => "STILL WORKS: delete it in the console",
        ApiKeyStatus::Rejected => "deleted: it gets 401 now; nothing left to do",
        ApiKeyStatus::NotTried => "not tried: treat it as working until it is deleted",
        ApiKeyStatus::Unknown => "UNKNOWN: could not be tried; treat it as working",
    };
    writeln!(
        w,
        "  - API key {} in {}: {status}",
        short(&k.sha256),
        places(&k.places)
    )?;
    writeln!(w, "      whose:   {}", k.whose)?;
    if k.pending() {
        writeln!(w, "      can do:  {CAN_DO}")?;
    }
    if k.reason != k.whose && k.status != ApiKeyStatus::NotTried {
        writeln!(w, "      checked: {}", k.reason)?;
    }
    Ok(())
}

fn audit_entries(w: &mut dyn Write, entries: &[AuditEntry]) -> io::Result<()> {
    if entries.is_empty() {
        return writeln!(
            w,
            "  Audit log: no action made with an API key in the configured accounts' logs (or \
             the logs could not be read)."
        );
    }
    writeln!(w, "  Audit log, actions made with API keys (newest first):")?;
    for e in entries {
        let time = e
            .timestamp
            .map(crate::util::time::rfc3339)
            .unwrap_or_else(|| "(no time)".to_string());
        let mut line = format!("    {time}  {}  {}", e.account, e.action);
        if let Some(ent) = &e.entity {
            line.push_str(&format!(" '{ent}'"));
        }
        line.push_str(&format!("  by {}", e.source));
        if let Some(ip) = &e.ip {
            line.push_str(&format!(" from {ip}"));
        }
        writeln!(w, "{line}")?;
    }
    Ok(())
}

fn note(w: &mut dyn Write, n: &Note) -> io::Result<()> {
    let verdict = match n.verdict {
        Ownership::Owned => "owned",
        Ownership::OwnedRotated => "owned-rotated",
        Ownership::NotOwned => "not-owned",
        Ownership::Unknown => "unknown",
    };
    writeln!(
        w,
        "  - {} ({}) in {}: {verdict}: {}",
        n.kind,
        short(&n.sha256),
        places(&n.places),
        n.reason
    )
}

/// What the configuration left out, counted by reason, each listed (the first 20).
fn left_out(w: &mut dyn Write, cx: &PlanContext<'_>) -> io::Result<()> {
    if cx.left_out.is_empty() {
        return Ok(());
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for l in cx.left_out {
        let name = l.why.as_str();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some(c) => c.1 += 1,
            None => counts.push((name, 1)),
        }
    }
    let by: Vec<String> = counts.iter().map(|(n, c)| format!("{c} by {n}")).collect();
    writeln!(
        w,
        "\nLeft out of this plan ({}: {}):",
        cx.left_out.len(),
        by.join(", ")
    )?;
    const SHOWN: usize = 20;
    for l in cx.left_out.iter().take(SHOWN) {
        writeln!(
            w,
            "  - {} ({}) in {}: {}",
            l.kind,
            short(&l.sha256),
            places(&l.places),
            l.why.words()
        )?;
    }
    if cx.left_out.len() > SHOWN {
        writeln!(w, "  ... and {} more", cx.left_out.len() - SHOWN)?;
    }
    let configured = cx
        .left_out
        .iter()
        .any(|l| !matches!(l.why, super::leak::LeftOutWhy::Inline(_)));
    if configured {
        writeln!(
            w,
            "  {} said so; --no-config puts them in the plan.",
            cx.config_file.unwrap_or("the config file")
        )?;
    }
    Ok(())
}

/// Actions of earlier runs the journal shows unfinished.
fn pending(w: &mut dyn Write, cx: &PlanContext<'_>) -> io::Result<()> {
    if cx.pending.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "\nUnfinished by an earlier run ({}, journal {}): a run that rotates settles them first \
         by reading each resource (no rotation is sent for them):",
        cx.pending.len(),
        cx.journal.map_or("?".into(), |p| p.display().to_string())
    )?;
    for p in cx.pending {
        let why = match p.why {
            PendingWhy::Unsettled => "interrupted before its outcome was known",
            PendingWhy::Unsaved => "rotated, but its new values were not saved",
        };
        writeln!(
            w,
            "  - {} [id {}]: {why} (run {}, {})",
            p.action.title(),
            p.action.key(),
            p.run,
            p.time
        )?;
    }
    Ok(())
}

fn tag(s: Status) -> &'static str {
    match s {
        Status::Rotated => "rotated",
        Status::AlreadyRotated => "done",
        Status::Failed => "FAILED",
        Status::Unconfirmed => "UNCONFIRMED",
        Status::Unknown => "UNKNOWN",
        Status::NotMade => "not made",
        Status::Refused => "REFUSED",
    }
}

/// What settling an earlier run's actions found.
pub(crate) fn settled(w: &mut dyn Write, items: &[Settled]) -> io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(w, "\nSettling what an earlier run left unfinished:")?;
    for s in items {
        writeln!(
            w,
            "  - [{}] {} [id {}]: {} (run {}, {})",
            tag(s.result.status),
            s.action.title(),
            s.action.key(),
            s.result.message,
            s.run,
            s.time
        )?;
        if let Some(adv) = &s.result.advice {
            writeln!(w, "       what to do: {adv}")?;
        }
        if s.result.rotations > 0 {
            if let Some(warn) = s.action.warning_after(s.result.rotations) {
                writeln!(w, "       warning: {warn}")?;
            }
        }
    }
    Ok(())
}

/// One action's result, as it ends.
pub(crate) fn result(w: &mut dyn Write, n: usize, a: &Action, r: &ActionResult) -> io::Result<()> {
    writeln!(
        w,
        "  {n}. [{}] {} (id {}): {}",
        tag(r.status),
        a.title(),
        a.key(),
        r.message
    )?;
    if let Some(e) = &r.error {
        writeln!(w, "       error: {e}")?;
    }
    if let Some(adv) = &r.advice {
        writeln!(w, "       what to do: {adv}")?;
    }
    if r.saved == NewValues::NotSaved {
        writeln!(
            w,
            "       new values: NOT saved to the --new-credentials file; a re-run with it \
             saves them"
        )?;
    }
    if r.total_rotations > r.rotations && r.rotations > 0 {
        writeln!(
            w,
            "       journal: {} rotations in all for this leak, earlier runs' included",
            r.total_rotations
        )?;
    }
    if r.rotations > 0 {
        if let Some(warn) = a.warning_after(r.total_rotations.max(r.rotations)) {
            writeln!(w, "       warning: {warn}")?;
        }
    }
    Ok(())
}

/// How a run ended, for the summary.
pub(crate) struct Ending<'a> {
    pub(crate) results: &'a [(usize, ActionResult)],
    pub(crate) settled: &'a [Settled],
    /// Actions not attempted.
    pub(crate) left: Vec<&'a Action>,
    pub(crate) stop: Option<&'a Stop>,
    pub(crate) new_credentials: Option<&'a Path>,
    pub(crate) journal: &'a Path,
    /// Leaked Developer API keys still to delete.
    pub(crate) api_keys: usize,
}

/// The closing lines after execution.
pub(crate) fn summary(w: &mut dyn Write, e: &Ending<'_>) -> io::Result<()> {
    let count = |s: Status| e.results.iter().filter(|(_, r)| r.status == s).count();
    let mut parts = Vec::new();
    for (s, word) in [
        (Status::Rotated, "rotated"),
        (Status::AlreadyRotated, "already rotated"),
        (Status::Failed, "failed"),
        (Status::Unconfirmed, "not yet confirmed"),
        (Status::Unknown, "may or may not have been made"),
        (Status::Refused, "refused (read-only API key)"),
    ] {
        let n = count(s);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    if !e.left.is_empty() {
        parts.push(format!("{} not attempted", e.left.len()));
    }
    if e.api_keys > 0 {
        parts.push(format!(
            "{} still to delete in the Upstash console",
            plural(e.api_keys, "Developer API key", "Developer API keys")
        ));
    }
    if parts.is_empty() {
        parts.push("nothing was rotated".to_string());
    }
    writeln!(w, "\nResult: {}.", parts.join(", "))?;
    if let Some(stop) = e.stop {
        let why = match stop {
            Stop::Signal(130) => "Interrupted (Ctrl-C)".to_string(),
            Stop::Signal(143) => "Stopped (SIGTERM)".to_string(),
            Stop::Signal(n) => format!("Stopped (signal, exit {n})"),
            Stop::Journal(err) => format!("Stopped: {err}"),
            Stop::Credentials(err) => format!("Stopped: {err}"),
        };
        writeln!(
            w,
            "{why}: {} attempted, {} left.",
            plural(e.results.len(), "action", "actions"),
            e.left.len()
        )?;
        for a in &e.left {
            writeln!(w, "  left: {} [id {}]", a.title(), a.key())?;
        }
        writeln!(
            w,
            "Run the same command again to finish: it reads the journal ({}), settles what was \
             in flight, and rotates nothing twice.",
            e.journal.display()
        )?;
    }
    let count = |saved: NewValues| {
        e.results
            .iter()
            .map(|(_, r)| r)
            .chain(e.settled.iter().map(|s| &s.result))
            .filter(|r| r.saved == saved)
            .count()
    };
    let (saved, unsaved) = (count(NewValues::Saved), count(NewValues::NotSaved));
    let changed = e
        .results
        .iter()
        .any(|(_, r)| r.rotations > 0 || r.new_values.is_some());
    match e.new_credentials {
        Some(path) if saved > 0 => writeln!(
            w,
            "New credentials of {} written to {} (mode 0600) as each rotation was made: redeploy \
             every client with them, then delete the file.",
            plural(saved, "rotation", "rotations"),
            path.display()
        )?,
        None if changed => writeln!(
            w,
            "New credentials are not printed: copy them from the Upstash console (next time, \
             --new-credentials FILE writes them to a file) and redeploy every client."
        )?,
        _ => {}
    }
    if unsaved > 0 {
        writeln!(
            w,
            "The new values of {} could NOT be saved: they are in the Upstash console, and a \
             re-run with --new-credentials saves them.",
            plural(unsaved, "rotation", "rotations")
        )?;
    }
    if e.results.iter().any(|(_, r)| !r.status.is_done()) {
        writeln!(
            w,
            "Some actions did not complete: see \"what to do\" above. Re-running `upsweep revoke` \
             is safe: it checks each resource first and rotates nothing twice."
        )?;
    }
    writeln!(w, "Journal: {}", e.journal.display())?;
    Ok(())
}

/// `--check-api-key`'s findings.
pub(crate) fn key_report(w: &mut dyn Write, r: &KeyReport, source: &str) -> io::Result<()> {
    if r.keys.is_empty() {
        writeln!(
            w,
            "upsweep revoke --check-api-key: no leaked Developer API key in {source}."
        )?;
    } else {
        let works = r
            .keys
            .iter()
            .filter(|k| k.status == ApiKeyStatus::Works)
            .count();
        writeln!(
            w,
            "upsweep revoke --check-api-key: {} in {source}; {} still {}.",
            plural(
                r.keys.len(),
                "leaked Developer API key",
                "leaked Developer API keys"
            ),
            works,
            if works == 1 { "works" } else { "work" }
        )?;
    }
    if !r.keys.is_empty() {
        api_key_section(w, &r.keys, &r.audit)?;
    } else {
        audit_entries(w, &r.audit)?;
    }
    if !r.problems.is_empty() {
        writeln!(w, "The account check could not fetch everything:")?;
        for p in &r.problems {
            writeln!(w, "  - {p}")?;
        }
    }
    Ok(())
}
