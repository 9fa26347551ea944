//! `--format json` (one document) and `--format jsonl` (one finding per line). The schema is
//! documented in the README and versioned by [`super::SCHEMA_VERSION`].

use super::{Options, Report, SCHEMA_VERSION};
use crate::finding::{Details, Finding, Kind, Location};
use crate::upstash::verdict::{AccountVerdict, ApiKeyCheck, LiveVerdict};
use serde::Serialize;
use std::io::Write;

/// A finding as the JSON reports write it, fields in this order. Serialized straight from the
/// finding's own parts: a document of hundreds of findings built as a `serde_json::Value`
/// first cost milliseconds of a run's serial end.
#[derive(Serialize)]
pub(super) struct FindingJson<'a> {
    kind: &'a Kind,
    rule_id: &'a str,
    title: &'static str,
    secret_sha256: &'a str,
    preview: String,
    details: &'a Details,
    browser_exposed: bool,
    locations: &'a [Location],
    #[serde(skip_serializing_if = "Option::is_none")]
    introduced_in: Option<&'a Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_head: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    removed_in: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a AccountVerdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    live: Option<&'a LiveVerdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<&'a ApiKeyCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

pub(super) fn finding_json<'a>(f: &'a Finding, r: &Report<'a>, opts: Options) -> FindingJson<'a> {
    let verdict = r.account.and_then(|a| a.get(&f.sha256));
    FindingJson {
        kind: &f.kind,
        rule_id: &f.rule_id,
        title: f.title(),
        secret_sha256: &f.sha256,
        preview: f.preview(),
        details: &f.details,
        browser_exposed: f.browser_exposed(),
        locations: &f.locations,
        introduced_in: f.history.as_ref().map(|h| &h.introduced_in),
        in_head: f.history.as_ref().map(|h| h.in_head),
        removed_in: f.history.as_ref().and_then(|h| h.removed_in.as_deref()),
        account: verdict.map(|v| &v.account),
        live: verdict.and_then(|v| v.live.as_ref()),
        api_key: verdict.and_then(|v| v.api_key.as_ref()),
        secret: opts.show_secrets.then_some(f.secret.as_str()),
    }
}

/// The whole document, fields in this order.
#[derive(Serialize)]
struct Document<'a, E: Serialize, S: Serialize, R: Serialize> {
    version: u32,
    tool: Tool,
    findings: Vec<FindingJson<'a>>,
    errors: E,
    stats: S,
    #[serde(skip_serializing_if = "Option::is_none")]
    repositories: Option<R>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

pub(super) fn write_document(
    r: &Report<'_>,
    opts: Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let doc = Document {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "upsweep",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: r
            .findings
            .iter()
            .map(|f| finding_json(f, r, opts))
            .collect(),
        errors: r.errors,
        stats: r.stats,
        repositories: r.repositories,
    };
    super::write_pretty_json(out, &doc)
}

pub(super) fn write_lines(
    r: &Report<'_>,
    opts: Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut buf = super::buffered(out);
    for f in r.findings {
        serde_json::to_writer(&mut buf, &finding_json(f, r, opts))?;
        buf.write_all(b"\n")?;
    }
    buf.flush()
}
