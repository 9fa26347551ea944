//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning takes it. Rules go in
//! `tool.driver.rules`, each result has a physical location per place the secret was seen, and
//! `partialFingerprints` carry the secret's hash so an alert survives the secret moving.

use super::{Options, Report};
use serde_json::{json, Value};
use std::io::Write;

pub fn write(r: &Report<'_>, opts: Options, out: &mut dyn Write) -> std::io::Result<()> {
    let rules: Vec<Value> = r
        .rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "name": rule.id.replace(['.', '-'], "_"),
                "shortDescription": { "text": rule.name },
                "fullDescription": { "text": rule.description },
                "helpUri": rule.references.first().cloned().unwrap_or_else(|| "https://upstash.com/docs".into()),
                "help": {
                    "text": format!("{}\n\nRotate the credential (upsweep revoke, or the Upstash console) and remove it from the repository history.", rule.description),
                },
                "defaultConfiguration": { "level": "error" },
                "properties": {
                    "tags": ["security", "secret", "upstash"],
                    "security-severity": "9.0",
                    "precision": if rule.decoder.is_structural() { "very-high" } else { "high" },
                },
            })
        })
        .collect();
    let index_of = |id: &str| r.rules.iter().position(|rule| rule.id == id).unwrap_or(0);
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let locations: Vec<Value> = f
                .locations
                .iter()
                .map(|l| {
                    json!({
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri(&l.path) },
                            "region": { "startLine": l.line, "startColumn": l.column },
                        }
                    })
                })
                .collect();
            let mut message = format!("{} ({}) sha256:{}", f.title(), f.preview(), f.sha256);
            if f.browser_exposed() {
                message.push_str("; assigned to a browser-exposed variable");
            }
            if opts.show_secrets {
                message.push_str(&format!("; secret: {}", f.secret));
            }
            json!({
                "ruleId": f.rule_id,
                "ruleIndex": index_of(&f.rule_id),
                "level": "error",
                "kind": "fail",
                "message": { "text": message },
                "locations": locations,
                "partialFingerprints": { "secretSha256/v1": f.sha256 },
                "properties": {
                    "kind": f.kind,
                    "secret_sha256": f.sha256,
                    "details": f.details,
                },
            })
        })
        .collect();
    let notifications: Vec<Value> = r
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}", e.path, e.message) },
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "upsweep",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/upsweep/upsweep",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "invocations": [{
                "executionSuccessful": r.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// A relative path as a SARIF URI reference: forward slashes, reserved bytes percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
