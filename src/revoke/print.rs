//! Human output of `upsweep revoke`: the plan, each action's result as it ends, the summary,
//! and `--check-api-key`'s findings. Secrets are named by the first 12 hex digits of their
//! SHA-256 and by where they were found; nothing here ever holds a credential.

use super::apikeys::{KeyReport, CONSOLE_STEPS};
use super::execute::{ActionResult, Status};
use super::plan::{Action, ActionKind, ApiKeyLeak, Note, Plan};
use crate::upstash::{ApiKeyStatus, AuditEntry, Ownership};
use std::io::{self, Write};

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

/// `Redis database 'prod-cache' (eu-west-1)`, `QStash (us-east-1) signing keys`.
pub(crate) fn what(a: &Action) -> String {
    match a.kind {
        ActionKind::RotateQstashToken => format!("{} token", a.resource),
        ActionKind::RotateSigningKeys => format!("{} signing keys", a.resource),
        _ => a.resource.to_string(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The plan.
pub(crate) fn plan(w: &mut dyn Write, p: &Plan, source: &str) -> io::Result<()> {
    if p.is_empty() {
        return writeln!(
            w,
            "upsweep revoke: no leaked Upstash credential in {source}: nothing to revoke."
        );
    }
    plan_headline(w, p, source)?;
    if !p.actions.is_empty() {
        writeln!(w, "\nRotations, in this order ({}):", p.actions.len())?;
        for (i, a) in p.actions.iter().enumerate() {
            action(w, i + 1, a)?;
        }
    }
    if !p.api_keys.is_empty() {
        api_keys(w, &p.api_keys)?;
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
            writeln!(w, "  - {} (id {}): {}", what(a), a.id(), a.call())?;
        }
    }
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
    if !p.api_keys.is_empty() {
        parts.push(format!(
            "{} to delete in the console",
            plural(p.api_keys.len(), "Developer API key", "Developer API keys")
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

/// Leaked Developer API keys: each key, the console steps, and what API keys did lately.
fn api_keys(w: &mut dyn Write, keys: &[ApiKeyLeak]) -> io::Result<()> {
    writeln!(
        w,
        "\nDeveloper API keys: no API can delete them, do it in the console ({}):",
        keys.len()
    )?;
    for k in keys {
        api_key(w, k)?;
    }
    writeln!(w, "  Steps:")?;
    for (i, s) in CONSOLE_STEPS.iter().enumerate() {
        writeln!(w, "    {}. {s}", i + 1)?;
    }
    let mut audit: Vec<&AuditEntry> = Vec::new();
    for e in keys.iter().flat_map(|k| &k.audit) {
        if !audit.contains(&e) {
            audit.push(e);
        }
    }
    audit_entries(w, &audit)
}

fn action(w: &mut dyn Write, n: usize, a: &Action) -> io::Result<()> {
    let r = &a.resource;
    writeln!(w, "  {n}. {}", what(a))?;
    let mut ident = format!("id {}, account {} (key {})", r.id, r.account, r.account_key);
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
    if let Some(warn) = a.warning() {
        writeln!(w, "       warning: {warn}")?;
    }
    Ok(())
}

fn api_key(w: &mut dyn Write, k: &ApiKeyLeak) -> io::Result<()> {
    let status = match k.status {
        ApiKeyStatus::Works => format!(
            "works{}",
            k.email
                .as_ref()
                .map(|e| format!(" as {e}"))
                .unwrap_or_default()
        ),
        ApiKeyStatus::Rejected => "rejected (401)".to_string(),
        ApiKeyStatus::Unknown => "not known whether it works".to_string(),
    };
    writeln!(
        w,
        "  - API key {} in {}: {status}",
        short(&k.sha256),
        places(&k.places)
    )?;
    writeln!(w, "      {}", k.reason)?;
    if k.configured {
        writeln!(
            w,
            "      this is the API key upsweep is using: create the replacement first, rotate \
             with it, then delete this one"
        )?;
    }
    Ok(())
}

fn audit_entries(w: &mut dyn Write, entries: &[&AuditEntry]) -> io::Result<()> {
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

/// One action's result, as it ends.
pub(crate) fn result(w: &mut dyn Write, n: usize, a: &Action, r: &ActionResult) -> io::Result<()> {
    let tag = match r.status {
        Status::Rotated => "rotated",
        Status::AlreadyRotated => "done",
        Status::Failed => "FAILED",
        Status::Unconfirmed => "UNCONFIRMED",
        Status::Refused => "REFUSED",
    };
    writeln!(
        w,
        "  {n}. [{tag}] {} (id {}): {}",
        what(a),
        a.id(),
        r.message
    )?;
    if let Some(e) = &r.error {
        writeln!(w, "       error: {e}")?;
    }
    if let Some(adv) = &r.advice {
        writeln!(w, "       what to do: {adv}")?;
    }
    if let Some(warn) = a.warning_after(r.rotations) {
        writeln!(w, "       warning: {warn}")?;
    }
    Ok(())
}

/// The closing lines after execution.
pub(crate) fn summary(
    w: &mut dyn Write,
    results: &[ActionResult],
    new_credentials: Option<&str>,
) -> io::Result<()> {
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    let mut parts = Vec::new();
    for (s, word) in [
        (Status::Rotated, "rotated"),
        (Status::AlreadyRotated, "already rotated"),
        (Status::Failed, "failed"),
        (Status::Unconfirmed, "unconfirmed"),
        (Status::Refused, "refused (read-only API key)"),
    ] {
        let n = count(s);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    writeln!(w, "\nResult: {}.", parts.join(", "))?;
    let changed = results.iter().any(|r| r.new_values.is_some());
    match (new_credentials, changed) {
        (Some(path), true) => writeln!(
            w,
            "New credentials written to {path} (mode 0600): redeploy every client with them, \
             then delete the file."
        )?,
        (None, true) => writeln!(
            w,
            "New credentials are not printed: copy them from the Upstash console (next time, \
             --new-credentials FILE writes them to a file) and redeploy every client."
        )?,
        _ => {}
    }
    if results.iter().any(|r| !r.status.is_done()) {
        writeln!(
            w,
            "Some actions did not complete: see \"what to do\" above. Re-running `upsweep revoke` \
             is safe: it checks each resource first and rotates nothing twice."
        )?;
    }
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
        writeln!(
            w,
            "upsweep revoke --check-api-key: {} in {source}:",
            plural(
                r.keys.len(),
                "leaked Developer API key",
                "leaked Developer API keys"
            )
        )?;
        for k in &r.keys {
            let verdict = match k.status {
                ApiKeyStatus::Rejected => "dead: it gets 401 now".to_string(),
                ApiKeyStatus::Works => format!(
                    "STILL WORKS{}: delete it in the console (Account > Management API)",
                    k.email
                        .as_ref()
                        .map(|e| format!(" as {e}"))
                        .unwrap_or_default()
                ),
                ApiKeyStatus::Unknown => "UNKNOWN: could not be tried".to_string(),
            };
            writeln!(
                w,
                "  - API key {} in {}: {verdict}",
                short(&k.sha256),
                places(&k.places)
            )?;
            writeln!(w, "      {}", k.reason)?;
            if k.configured {
                writeln!(w, "      this is the API key upsweep is configured with")?;
            }
        }
    }
    let entries: Vec<&AuditEntry> = r.audit.iter().collect();
    audit_entries(w, &entries)?;
    if !r.problems.is_empty() {
        writeln!(w, "The account check could not fetch everything:")?;
        for p in &r.problems {
            writeln!(w, "  - {p}")?;
        }
    }
    Ok(())
}
