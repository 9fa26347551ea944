//! `--format json` (one document) and `--format jsonl` (one finding per line). The schema is
//! documented in the README and versioned by [`super::SCHEMA_VERSION`].

use super::{Options, Report, SCHEMA_VERSION};
use crate::finding::Finding;
use serde_json::{json, Value};
use std::io::Write;

pub(super) fn finding_value(f: &Finding, r: &Report<'_>, opts: Options) -> Value {
    let mut v = json!({
        "kind": f.kind,
        "rule_id": f.rule_id,
        "title": f.title(),
        "secret_sha256": f.sha256,
        "preview": f.preview(),
        "details": f.details,
        "browser_exposed": f.browser_exposed(),
        "locations": f.locations,
    });
    if let Some(h) = &f.history {
        v["introduced_in"] = serde_json::to_value(&h.introduced_in).unwrap_or_default();
        v["in_head"] = Value::Bool(h.in_head);
        if let Some(c) = &h.removed_in {
            v["removed_in"] = Value::String(c.clone());
        }
    }
    if let Some(verdict) = r.account.and_then(|a| a.get(&f.sha256)) {
        v["account"] = json!(verdict.account);
        if let Some(live) = &verdict.live {
            v["live"] = json!(live);
        }
        if let Some(k) = &verdict.api_key {
            v["api_key"] = json!(k);
        }
    }
    if opts.show_secrets {
        v["secret"] = Value::String(f.secret.clone());
    }
    v
}

pub(super) fn write_document(
    r: &Report<'_>,
    opts: Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut doc = json!({
        "version": SCHEMA_VERSION,
        "tool": { "name": "upsweep", "version": env!("CARGO_PKG_VERSION") },
        "findings": r.findings.iter().map(|f| finding_value(f, r, opts)).collect::<Vec<_>>(),
        "errors": r.errors,
        "stats": r.stats,
    });
    if let Some(repos) = r.repositories {
        doc["repositories"] = json!(repos);
    }
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

pub(super) fn write_lines(
    r: &Report<'_>,
    opts: Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for f in r.findings {
        serde_json::to_writer(&mut *out, &finding_value(f, r, opts))?;
        writeln!(out)?;
    }
    Ok(())
}
