//! What revocation starts from: the leaked credentials, as findings. From a scan they are the
//! scanner's findings; from a JSON report (`upsweep scan|git --format json --account`) they are
//! rebuilt from what the report carries: the kind, the secret's SHA-256, the structural details
//! (database number, index endpoint, QStash user id, ...) and the locations. A report holds no
//! secret (unless made with `--show-secrets`), so a rebuilt finding's `secret` is empty: the
//! ownership matching needs only the hash and the details.
//!
//! Errors about a report name the finding and the field, never the value (a report made with
//! `--show-secrets` holds secrets).

use crate::finding::{sha256_hex, Context, Details, Finding, Kind, Location, Origin};
use anyhow::{bail, Context as _, Result};
use serde_json::Value;
use std::path::PathBuf;

/// One leaked credential.
#[derive(Debug, Clone)]
pub(crate) struct Leak {
    /// The finding; its `secret` is empty when it came from a report without secrets.
    pub(crate) finding: Finding,
    /// What the report said about it, when it came from one.
    pub(crate) reported: Option<Reported>,
}

/// The account check's words in a report (`"account"` and `"api_key"` of a finding).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reported {
    pub(crate) verdict: Option<String>,
    pub(crate) reason: Option<String>,
    /// `works`, `rejected` or `unknown` (Developer API keys).
    pub(crate) api_key_status: Option<String>,
    pub(crate) api_key_email: Option<String>,
}

impl Leak {
    pub(crate) fn from_finding(finding: Finding) -> Leak {
        Leak {
            finding,
            reported: None,
        }
    }

    /// Whether the secret itself is at hand (a scan, or a report with `--show-secrets`).
    pub(crate) fn has_secret(&self) -> bool {
        !self.finding.secret.is_empty()
    }

    /// Where it was seen, for messages: `web/.env:3`, `config.ts:7 (commit 1a2b3c4d)`.
    pub(crate) fn places(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for l in &self.finding.locations {
            let mut s = format!("{}:{}", l.path, l.line);
            if let Some(c) = &l.commit {
                s.push_str(&format!(" (commit {})", &c[..c.len().min(8)]));
            }
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
}

/// The leaks of a JSON report: a document with a `findings` array (`--format json`), or one
/// finding per line (`--format jsonl`). `name` labels errors.
pub(crate) fn from_report(text: &str, name: &str) -> Result<Vec<Leak>> {
    let values: Vec<Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) => match doc.get("findings") {
            Some(Value::Array(a)) => a.clone(),
            Some(_) => bail!("{name}: \"findings\" is not an array"),
            None if doc.contains_key("secret_sha256") => vec![Value::Object(doc)],
            None => bail!(
                "{name}: not an upsweep JSON report (no \"findings\" array); make one with \
                 `upsweep scan --format json --account -o {name}`"
            ),
        },
        Ok(Value::Array(a)) => a,
        Ok(_) => bail!("{name}: not an upsweep JSON report"),
        Err(first) => {
            // JSON lines: one finding per line.
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let v: Value = serde_json::from_str(line).map_err(|e| {
                    anyhow::anyhow!(
                        "{name}:{}: not JSON: {}",
                        i + 1,
                        crate::upstash::http::json_error(&e)
                    )
                })?;
                out.push(v);
            }
            if out.is_empty() {
                bail!(
                    "{name}: not an upsweep JSON report: {}",
                    crate::upstash::http::json_error(&first)
                );
            }
            out
        }
    };
    let mut leaks: Vec<Leak> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let leak = leak_from_value(v).with_context(|| format!("{name}: finding {}", i + 1))?;
        match leaks
            .iter_mut()
            .find(|l| l.finding.sha256 == leak.finding.sha256)
        {
            Some(same) => same.finding.locations.extend(leak.finding.locations),
            None => leaks.push(leak),
        }
    }
    Ok(leaks)
}

fn leak_from_value(v: &Value) -> Result<Leak> {
    let Some(obj) = v.as_object() else {
        bail!("not a JSON object");
    };
    let kind_name = obj
        .get("kind")
        .and_then(Value::as_str)
        .context("no \"kind\"")?;
    let Some(kind) = Kind::parse(kind_name) else {
        bail!("unknown kind {kind_name:?}");
    };
    let sha256 = obj
        .get("secret_sha256")
        .and_then(Value::as_str)
        .context("no \"secret_sha256\"")?
        .to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("\"secret_sha256\" is not a SHA-256 in hex");
    }
    let secret = match obj.get("secret").and_then(Value::as_str) {
        Some(s) if sha256_hex(s) == sha256 => s.to_string(),
        Some(_) => bail!("\"secret\" does not match \"secret_sha256\""),
        None => String::new(),
    };
    let rule_id = str_of(obj.get("rule_id")).unwrap_or_default();
    let details = obj.get("details").map(details).unwrap_or_default();
    let locations = obj
        .get("locations")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|l| location(l, &rule_id)).collect())
        .unwrap_or_default();
    let account = obj.get("account");
    let api_key = obj.get("api_key").or_else(|| {
        // Tolerate the account check's verdict nested under "account".
        account.and_then(|a| a.get("api_key"))
    });
    let reported = Reported {
        verdict: account.and_then(|a| str_of(a.get("verdict"))),
        reason: account.and_then(|a| str_of(a.get("reason"))),
        api_key_status: api_key.and_then(|k| str_of(k.get("status"))),
        api_key_email: api_key.and_then(|k| str_of(k.get("email"))),
    };
    Ok(Leak {
        finding: Finding {
            kind,
            rule_id,
            secret,
            known_preview: str_of(obj.get("preview")),
            sha256,
            details,
            locations,
            history: None,
        },
        reported: Some(reported),
    })
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// The details a report carries, as the scanner would have filled them.
fn details(v: &Value) -> Details {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let pick = |k: &str, allowed: &[&'static str]| -> Option<&'static str> {
        let got = s(k)?;
        allowed.iter().copied().find(|a| *a == got)
    };
    Details {
        access: pick("access", &["read-write", "read-only"]),
        layout: pick("layout", &["current", "legacy"]),
        id_bytes: v
            .get("id_bytes")
            .and_then(Value::as_u64)
            .and_then(|n| u8::try_from(n).ok()),
        database_number: v.get("database_number").and_then(Value::as_u64),
        database_id: s("database_id").map(str::to_string),
        exposes_password: v
            .get("exposes_password")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        embedded_password_sha256: s("embedded_password_sha256").map(str::to_ascii_lowercase),
        index_endpoint: s("index_endpoint").map(str::to_string),
        product: pick("product", &["vector", "search", "unknown"]),
        user_id: s("user_id").map(str::to_string),
        url_host: s("url_host").map(str::to_string),
        url_port: v
            .get("url_port")
            .and_then(Value::as_u64)
            .and_then(|n| u16::try_from(n).ok()),
        url_user: s("url_user").map(str::to_string),
        password_kind: s("password_kind").and_then(Kind::parse),
        email: s("email").map(str::to_string),
        ..Details::default()
    }
}

fn location(v: &Value, rule_id: &str) -> Option<Location> {
    let path = v.get("path")?.as_str()?.to_string();
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Some(Location {
        repository: s("repository"),
        url: s("url"),
        line: v.get("line").and_then(Value::as_u64).unwrap_or(0),
        column: v.get("column").and_then(Value::as_u64).unwrap_or(0),
        rule_id: s("rule_id").unwrap_or_else(|| rule_id.to_string()),
        commit: s("commit"),
        author: s("author"),
        date: s("date"),
        blob: s("blob"),
        context: Context {
            variable: s("variable"),
            browser_exposed: v
                .get("browser_exposed")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            host: s("host"),
            host_agrees: v.get("host_agrees").and_then(Value::as_bool),
            ..Context::default()
        },
        origin: Origin::File(PathBuf::from(&path)),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn a_json_document_and_json_lines_give_the_same_leaks() {
        let finding = format!(
            r#"{{"kind":"redis-rest-token","rule_id":"upstash-redis-rest-token","secret_sha256":"{HASH}",
               "details":{{"access":"read-write","database_number":30143,"layout":"current"}},
               "locations":[{{"path":"web/.env","line":3,"column":25,"host":"x-30143.upstash.io"}}],
               "account":{{"verdict":"owned","reason":"current read-write token"}}}}"#
        );
        let doc = format!(r#"{{"version":1,"findings":[{finding}],"errors":[]}}"#);
        let a = from_report(&doc, "r.json").unwrap();
        let lines = format!("{}\n\n", finding.replace('\n', " "));
        let b = from_report(&lines, "r.jsonl").unwrap();
        for leaks in [a, b] {
            assert_eq!(leaks.len(), 1);
            let l = &leaks[0];
            assert_eq!(l.finding.kind, Kind::RedisRestToken);
            assert_eq!(l.finding.details.database_number, Some(30143));
            assert_eq!(l.finding.details.access, Some("read-write"));
            assert_eq!(
                l.finding.locations[0].context.host.as_deref(),
                Some("x-30143.upstash.io")
            );
            assert!(!l.has_secret());
            assert_eq!(l.places(), vec!["web/.env:3"]);
            assert_eq!(
                l.reported.as_ref().unwrap().verdict.as_deref(),
                Some("owned")
            );
        }
    }

    #[test]
    fn bad_reports_are_refused_without_quoting_them() {
        for (text, want) in [
            ("{\"tool\":1}", "no \"findings\""),
            (
                r#"{"findings":[{"kind":"nope","secret_sha256":"x"}]}"#,
                "unknown kind",
            ),
            (
                r#"{"findings":[{"kind":"qstash-token","secret_sha256":"abc"}]}"#,
                "not a SHA-256",
            ),
            (
                &format!(
                    r#"{{"findings":[{{"kind":"qstash-token","secret_sha256":"{HASH}","secret":"s3cr3t-value"}}]}}"#
                ),
                "does not match",
            ),
            ("not json s3cr3t-value", "not JSON"),
        ] {
            let err = format!("{:#}", from_report(text, "r.json").unwrap_err());
            assert!(err.contains(want), "{err}");
            assert!(!err.contains("s3cr3t-value"), "{err}");
        }
        // The secret, when the report has it, is kept (it must hash to the reported hash).
        let ok = format!(
            r#"{{"findings":[{{"kind":"developer-api-key","secret_sha256":"{HASH}","secret":"hello"}}]}}"#
        );
        assert!(from_report(&ok, "r.json").unwrap()[0].has_secret());
    }
}
