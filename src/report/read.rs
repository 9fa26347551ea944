//! upsweep's own JSON reports read back, in either shape [`super::json`] writes: one document
//! (`--format json`: `version`, `findings`, `errors`, `stats`, `repositories`) or JSON lines
//! (`--format jsonl`: one finding object per line, an empty file when nothing was found).
//! `revoke --report`, `baseline create --from` and `merge` all read through [`file`], and
//! `--baseline` asks [`is_report`] to tell a report given by mistake from a baseline.
//!
//! Findings come back typed, through the serde types the report is written with ([`Kind`],
//! [`Details`], [`Location`], the account check's verdicts); fields a report may lack are
//! defaulted. A finding is checked as a whole: a known kind, a SHA-256 in hex, a `secret`
//! (reports made with `--show-secrets`) that hashes to it, and where the caller needs them,
//! locations. Errors name
//! the file, the finding (its number in a document, its line in JSON lines) and the field, and
//! never quote a value: a report made with `--show-secrets` holds secrets.

use crate::finding::{sha256_hex, Details, Finding, History, Kind, Location};
use crate::outcome::{InputError, RepoEntry, Stats};
use crate::upstash::{AccountVerdict, ApiKeyCheck, FindingVerdict, LiveVerdict};
use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::Path;

/// What a caller takes from a report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accept {
    /// A document of any `version`, or of none. Callers that read only the findings' kind,
    /// hash, details and locations (revocation, baselines) take reports of other versions;
    /// `merge`, which also adds up `stats` and `repositories`, takes only
    /// [`super::SCHEMA_VERSION`].
    pub(crate) any_version: bool,
    /// Every finding must say where it was seen (`merge` orders findings by their places, a
    /// baseline records the first). Revocation needs only the hash and the details.
    pub(crate) located: bool,
    /// The command that writes the report the caller wants, for messages
    /// (`upsweep scan --format json --account`); ` -o FILE` is added.
    pub(crate) made_by: &'static str,
}

/// A report read back.
#[derive(Debug)]
pub(crate) struct Read {
    /// Its findings, in the report's order.
    pub(crate) findings: Vec<Reported>,
    /// The rest of a document (`--format json`); `None` for JSON lines, which carry findings
    /// only.
    pub(crate) document: Option<Document>,
}

/// One finding of a report, and the account check's verdict on it when the report has one.
#[derive(Debug)]
pub(crate) struct Reported {
    /// Its `secret` is empty unless the report was made with `--show-secrets`; its locations'
    /// origins are restored ([`Location::restore_origin`]).
    pub(crate) finding: Finding,
    pub(crate) verdict: Option<FindingVerdict>,
}

/// What a document says besides its findings.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Document {
    pub(crate) version: Option<u32>,
    pub(crate) errors: Vec<InputError>,
    pub(crate) stats: Stats,
    pub(crate) repositories: Vec<RepoEntry>,
}

/// A finding as [`super::json`] writes it.
#[derive(Deserialize)]
struct Written {
    kind: Kind,
    #[serde(default)]
    rule_id: String,
    secret_sha256: String,
    #[serde(default)]
    preview: Option<String>,
    #[serde(default)]
    details: Details,
    #[serde(default)]
    locations: Vec<Location>,
    #[serde(default)]
    introduced_in: Option<String>,
    #[serde(default)]
    in_head: Option<bool>,
    #[serde(default)]
    removed_in: Option<String>,
    #[serde(default)]
    account: Option<AccountVerdict>,
    #[serde(default)]
    live: Option<LiveVerdict>,
    #[serde(default)]
    api_key: Option<ApiKeyCheck>,
    #[serde(default)]
    secret: Option<String>,
}

/// Read the report at `path`.
pub(crate) fn file(path: &Path, accept: Accept) -> Result<Read> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read report {}", path.display()))?;
    text_of(&text, &path.display().to_string(), accept)
}

/// Read a report's text; `name` labels errors.
pub(crate) fn text_of(text: &str, name: &str, accept: Accept) -> Result<Read> {
    let make = || format!("make one with `{} -o {name}`", accept.made_by);
    let (findings, document) = match split(text) {
        Ok(Shape::Document(mut doc)) => {
            let Some(Value::Array(findings)) = doc.remove("findings") else {
                bail!("{name}: \"findings\" is not an array");
            };
            let document: Document = typed(Value::Object(doc))
                .map_err(|e| anyhow::anyhow!("{name}: {}", wrong(&e, "the document")))?;
            if !accept.any_version {
                match document.version {
                    Some(v) if v == super::SCHEMA_VERSION => {}
                    Some(v) => bail!(
                        "{name}: report version {v} (this upsweep reads version {})",
                        super::SCHEMA_VERSION
                    ),
                    None => bail!(
                        "{name}: no \"version\": not a report upsweep wrote; {}",
                        make()
                    ),
                }
            }
            let at = |i: usize| format!("{name}: finding {}", i + 1);
            let numbered = findings.into_iter().enumerate().map(|(i, v)| (at(i), v));
            (numbered.collect::<Vec<_>>(), Some(document))
        }
        Ok(Shape::Lines(lines)) => {
            let at = |line: usize| format!("{name}:{line}");
            let numbered = lines.into_iter().map(|(line, v)| (at(line), v));
            (numbered.collect(), None)
        }
        Err(NotReport::Line { line, column }) => bail!(
            "{name}:{line}: not JSON (column {column}): a JSON lines report has one finding per \
             line"
        ),
        Err(NotReport::EndsEarly { line, column }) => bail!(
            "{name}: the JSON ends too early (line {line}, column {column}): not a whole upsweep \
             JSON report"
        ),
        Err(NotReport::NotJson) => {
            bail!(
                "{name}: not an upsweep JSON report (it is not JSON); {}",
                make()
            )
        }
        Err(NotReport::Other(what)) => {
            bail!("{name}: not an upsweep JSON report ({what}); {}", make())
        }
    };
    let findings = findings
        .into_iter()
        .map(|(at, v)| finding(v, accept).with_context(|| at))
        .collect::<Result<Vec<_>>>()?;
    Ok(Read { findings, document })
}

/// Whether `text` is one of upsweep's JSON reports (either shape), for a command that
/// expected something else.
pub(crate) fn is_report(text: &str) -> bool {
    split(text).is_ok()
}

/// A report's two shapes, parsed as far as JSON values.
enum Shape {
    /// The document, its `findings` still in it.
    Document(Map<String, Value>),
    /// Each finding with its line number.
    Lines(Vec<(usize, Value)>),
}

/// Why a text is not a report.
enum NotReport {
    NotJson,
    /// One JSON document, cut short.
    EndsEarly {
        line: usize,
        column: usize,
    },
    /// JSON lines whose line `line` is not JSON.
    Line {
        line: usize,
        column: usize,
    },
    /// JSON, but not upsweep's report: what it is.
    Other(&'static str),
}

fn split(text: &str) -> std::result::Result<Shape, NotReport> {
    let whole = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) if doc.contains_key("findings") => {
            return Ok(Shape::Document(doc));
        }
        // One line of JSON lines.
        Ok(Value::Object(doc)) if doc.contains_key("secret_sha256") => {
            let line = text.lines().position(|l| !l.trim().is_empty()).unwrap_or(0);
            return Ok(Shape::Lines(vec![(line + 1, Value::Object(doc))]));
        }
        Ok(Value::Object(doc)) => return Err(NotReport::Other(foreign(&doc))),
        Ok(Value::Array(_)) => return Err(NotReport::Other("a JSON array, not an object")),
        Ok(_) => return Err(NotReport::Other("a JSON value that is not an object")),
        Err(e) => e,
    };
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v) if !lines.is_empty() => lines.push((i + 1, v)),
            Ok(v) if v.get("secret_sha256").is_some() => lines.push((i + 1, v)),
            Ok(_) => return Err(NotReport::Other("its first line is not a finding")),
            // Not even its first line is JSON: a whole document cut short, or not JSON at all.
            Err(_) if lines.is_empty() => {
                return Err(match whole.classify() {
                    serde_json::error::Category::Eof if text.trim_start().starts_with('{') => {
                        NotReport::EndsEarly {
                            line: whole.line(),
                            column: whole.column(),
                        }
                    }
                    _ => NotReport::NotJson,
                })
            }
            Err(e) => {
                return Err(NotReport::Line {
                    line: i + 1,
                    column: e.column(),
                })
            }
        }
    }
    // Nothing but blank lines: JSON lines of a scan that found nothing.
    Ok(Shape::Lines(lines))
}

/// What a JSON object that is not upsweep's report looks like.
fn foreign(doc: &Map<String, Value>) -> &'static str {
    let schema = doc.get("$schema").and_then(Value::as_str).unwrap_or("");
    if doc.contains_key("runs") || schema.contains("sarif") {
        "a SARIF log: upsweep reads back its JSON reports"
    } else if doc.contains_key("secrets") {
        "an upsweep baseline"
    } else {
        "no \"findings\" array"
    }
}

fn finding(v: Value, accept: Accept) -> Result<Reported> {
    if !v.is_object() {
        bail!("not a JSON object");
    }
    let w: Written = typed(v).map_err(|e| anyhow::anyhow!(wrong(&e, "the finding")))?;
    let sha256 = w.secret_sha256.to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("\"secret_sha256\" is not a SHA-256 in hex");
    }
    let secret = match w.secret {
        Some(s) if sha256_hex(&s) == sha256 => s,
        Some(_) => bail!("\"secret\" does not match \"secret_sha256\""),
        None => String::new(),
    };
    let mut locations = w.locations;
    if accept.located && locations.is_empty() {
        bail!("no locations");
    }
    for l in &mut locations {
        if l.rule_id.is_empty() {
            l.rule_id.clone_from(&w.rule_id);
        }
        l.restore_origin();
    }
    let verdict = w.account.map(|account| FindingVerdict {
        account,
        live: w.live,
        api_key: w.api_key,
    });
    Ok(Reported {
        finding: Finding {
            kind: w.kind,
            rule_id: w.rule_id,
            secret,
            known_preview: w.preview,
            sha256,
            details: w.details,
            locations,
            history: w.in_head.map(|in_head| History {
                introduced_in: w.introduced_in,
                in_head,
                removed_in: w.removed_in,
            }),
        },
        verdict,
    })
}

type FieldError = serde_path_to_error::Error<serde_json::Error>;

fn typed<T: serde::de::DeserializeOwned>(v: Value) -> std::result::Result<T, FieldError> {
    serde_path_to_error::deserialize(v)
}

/// What is wrong with a field, named by its path (`locations[0].line`), without the value.
/// `whole` names the value the path starts from, for an error at its top.
fn wrong(e: &FieldError, whole: &str) -> String {
    let path = e.path().to_string();
    let at = if path == "." {
        whole.to_string()
    } else {
        format!("\"{path}\"")
    };
    // serde's messages: `missing field `x``, `unknown variant `v`, expected one of ...`,
    // `invalid type: string "v", expected u64`, `invalid value: integer `300`, expected u8`.
    let message = e.inner().to_string();
    let expected = message.split_once(", expected ").map(|(_, x)| x);
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|f| f.strip_suffix('`'))
    {
        return if path == "." {
            format!("no \"{field}\"")
        } else {
            format!("{at} has no \"{field}\"")
        };
    }
    if message.starts_with("unknown variant") {
        if path == "kind" {
            return "unknown kind (not one this upsweep knows)".to_string();
        }
        return format!("{at} is not {}", expected.unwrap_or("a documented value"));
    }
    if message.starts_with("invalid type") {
        return format!("{at} is not {}", noun(expected.unwrap_or("")));
    }
    if message.starts_with("invalid value") {
        return format!("{at} is out of range");
    }
    format!("{at} does not have the documented shape")
}

/// serde's name of what it expected, as a report's reader would say it.
fn noun(expected: &str) -> &str {
    let number = expected.len() > 1
        && matches!(expected.as_bytes()[0], b'u' | b'i')
        && expected[1..].bytes().all(|b| b.is_ascii_digit());
    match expected {
        _ if number => "a whole number",
        "a sequence" => "an array",
        "a map" => "an object",
        e if e.starts_with("struct ") => "an object",
        "a string" | "a boolean" => expected,
        _ => "of the documented type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Origin;
    use crate::upstash::{ApiKeyStatus, Ownership};
    use std::path::PathBuf;

    const HASH: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    const ANY: Accept = Accept {
        any_version: true,
        located: true,
        made_by: "upsweep scan --format json",
    };
    const CURRENT: Accept = Accept {
        any_version: false,
        located: true,
        made_by: "upsweep github --format json",
    };

    fn one(extra: &str) -> String {
        format!(
            r#"{{"kind":"redis-rest-token","rule_id":"upstash.redis.rest-token","secret_sha256":"{HASH}","preview":"AXW_AA…","details":{{"access":"read-write","database_number":30143}},"locations":[{{"path":"web/.env","line":3,"column":25,"rule_id":"upstash.redis.rest-token","blob":"6d5482a","commit":"e698953"}}]{extra}}}"#
        )
    }

    fn error(text: &str, accept: Accept) -> String {
        format!("{:#}", text_of(text, "r.json", accept).unwrap_err())
    }

    #[test]
    fn a_document_and_json_lines_give_the_same_findings() {
        let f = one(r#","account":{"verdict":"owned","reason":"current read-write token"}"#);
        let doc = format!(
            r#"{{"version":1,"tool":{{"name":"upsweep","version":"0.1.0"}},"findings":[{f},{f}],
                "errors":[{{"path":"locked.env","message":"cannot read"}}],"stats":{{"files_scanned":4}}}}"#
        );
        let lines = format!("{f}\n\n{f}\n");
        let a = text_of(&doc, "r.json", CURRENT).unwrap();
        let b = text_of(&lines, "r.jsonl", CURRENT).unwrap();
        let d = a.document.as_ref().expect("a document");
        assert_eq!(d.version, Some(1));
        assert_eq!(d.errors[0].path, "locked.env");
        assert_eq!(d.stats.files_scanned, 4);
        assert!(b.document.is_none(), "JSON lines carry findings only");
        for read in [a, b] {
            assert_eq!(read.findings.len(), 2);
            let r = &read.findings[0];
            let f = &r.finding;
            assert_eq!(f.kind, Kind::RedisRestToken);
            assert_eq!(f.sha256, HASH);
            assert!(f.secret.is_empty());
            assert_eq!(f.preview(), "AXW_AA…");
            assert_eq!(f.details.database_number, Some(30143));
            assert_eq!(f.details.access, Some("read-write"));
            let l = &f.locations[0];
            assert_eq!((l.path.as_str(), l.line, l.column), ("web/.env", 3, 25));
            assert_eq!(
                l.origin,
                Origin::Git {
                    blob: "6d5482a".into(),
                    commit: Some("e698953".into()),
                    path: Some("web/.env".into())
                }
            );
            let v = r.verdict.as_ref().expect("the account verdict");
            assert_eq!(v.account.verdict, Ownership::Owned);
        }
    }

    #[test]
    fn what_older_reports_lack_is_defaulted() {
        // No version, rule ids, preview, details, columns or verdicts; a chain of one.
        let text = format!(
            r#"{{"findings":[{{"kind":"developer-api-key","secret_sha256":"{}","secret":"hello",
                "locations":[{{"path":"a.env","line":1}},{{"path":"b.zip","archive_path":["b.zip","x/.env"],"line":2,"column":4}}],
                "api_key":{{"status":"works","reason":"r"}}}}]}}"#,
            HASH.to_ascii_uppercase()
        );
        let read = text_of(&text, "old.json", ANY).unwrap();
        let r = &read.findings[0];
        assert_eq!(r.finding.sha256, HASH, "the hash is lowercased");
        assert_eq!(
            r.finding.secret, "hello",
            "a secret that hashes to it is kept"
        );
        assert_eq!(r.finding.locations[0].column, 0);
        assert_eq!(r.finding.locations[0].origin, Origin::File("a.env".into()));
        let inside = &r.finding.locations[1];
        assert_eq!(inside.path, "b.zip!x/.env");
        assert_eq!(inside.origin.outer(), &Origin::File(PathBuf::from("b.zip")));
        assert!(r.verdict.is_none(), "an api_key without an account verdict");
        // The same report is refused where only the current version is read.
        assert!(error(&text, CURRENT).contains("no \"version\""));
    }

    #[test]
    fn a_location_without_a_rule_id_takes_the_findings() {
        let text = format!(
            r#"{{"kind":"qstash-token","rule_id":"q","secret_sha256":"{HASH}","locations":[{{"path":"a","line":1,"column":1}}]}}"#
        );
        let read = text_of(&text, "r.jsonl", ANY).unwrap();
        assert_eq!(read.findings[0].finding.locations[0].rule_id, "q");
    }

    #[test]
    fn locations_are_needed_only_where_the_caller_says() {
        let text = format!(r#"{{"kind":"qstash-token","secret_sha256":"{HASH}"}}"#);
        let unplaced = Accept {
            located: false,
            ..ANY
        };
        let read = text_of(&text, "r.jsonl", unplaced).unwrap();
        assert!(read.findings[0].finding.locations.is_empty());
        assert!(error(&text, ANY).contains("r.json:1: no locations"));
    }

    #[test]
    fn nothing_but_blank_lines_is_a_report_of_nothing() {
        for text in ["", "\n\n  \n"] {
            let read = text_of(text, "r.jsonl", ANY).unwrap();
            assert!(read.findings.is_empty() && read.document.is_none());
            assert!(is_report(text));
        }
    }

    #[test]
    fn the_verdicts_come_back_typed() {
        let f = one(
            r#","account":{"verdict":"owned-rotated","reason":"stale"},"live":{"verdict":"dead","reason":"401"},"api_key":{"status":"rejected","reason":"401"},"in_head":false,"introduced_in":"e698953""#,
        );
        let read = text_of(&f, "r.jsonl", ANY).unwrap();
        let r = &read.findings[0];
        let v = r.verdict.as_ref().unwrap();
        assert_eq!(v.account.verdict, Ownership::OwnedRotated);
        assert_eq!(v.live.as_ref().unwrap().reason, "401");
        assert_eq!(v.api_key.as_ref().unwrap().status, ApiKeyStatus::Rejected);
        let h = r.finding.history.as_ref().unwrap();
        assert!(!h.in_head);
        assert_eq!(h.introduced_in.as_deref(), Some("e698953"));
    }

    #[test]
    fn each_kind_of_bad_input_is_named_with_the_file_and_never_quotes_a_value() {
        let secretly = |extra: &str| {
            format!(
                r#"{{"version":1,"findings":[{}]}}"#,
                one(&format!(r#","secret":"s3cr3t-value"{extra}"#))
            )
        };
        let lines_with_bad_second = format!("{}\n{{\"kind\": s3cr3t-value\n", one(""));
        for (text, accept, want) in [
            ("not json s3cr3t-value", ANY, "r.json: not an upsweep JSON report (it is not JSON); make one with `upsweep scan --format json -o r.json`"),
            ("{\n  \"version\": 1,\n  \"findings\": [\n", ANY, "r.json: the JSON ends too early (line 4, column 0)"),
            (&lines_with_bad_second, ANY, "r.json:2: not JSON (column 10): a JSON lines report has one finding per line"),
            ("{\"tool\":1}", ANY, "r.json: not an upsweep JSON report (no \"findings\" array)"),
            ("{\"version\":\"2.1.0\",\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"runs\":[]}", ANY, "(a SARIF log: upsweep reads back its JSON reports)"),
            ("{\"version\":1,\"tool\":\"upsweep\",\"secrets\":[]}", ANY, "(an upsweep baseline)"),
            ("[1, 2]", ANY, "(a JSON array, not an object)"),
            ("{\"journal\":1}\n{\"x\":2}\n", ANY, "(its first line is not a finding)"),
            ("{\"findings\": 3}", ANY, "r.json: \"findings\" is not an array"),
            ("{\"version\":2,\"findings\":[]}", CURRENT, "r.json: report version 2 (this upsweep reads version 1)"),
            ("{\"version\":1,\"findings\":[],\"stats\":{\"files_scanned\":\"many\"}}", ANY, "r.json: \"stats.files_scanned\" is not a whole number"),
            ("{\"findings\":[7]}", ANY, "r.json: finding 1: not a JSON object"),
            ("{\"findings\":[{\"secret_sha256\":\"x\"}]}", ANY, "r.json: finding 1: no \"kind\""),
            (r#"{"findings":[{"kind":"nope","secret_sha256":"x"}]}"#, ANY, "finding 1: unknown kind"),
            (r#"{"findings":[{"kind":"qstash-token"}]}"#, ANY, "finding 1: no \"secret_sha256\""),
            (r#"{"findings":[{"kind":"qstash-token","secret_sha256":"abc"}]}"#, ANY, "finding 1: \"secret_sha256\" is not a SHA-256 in hex"),
            (&secretly(""), ANY, "r.json: finding 1: \"secret\" does not match \"secret_sha256\""),
            (&format!(r#"{{"findings":[{{"kind":"qstash-token","secret_sha256":"{HASH}"}}]}}"#), ANY, "r.json: finding 1: no locations"),
            (&format!(r#"{{"findings":[{{"kind":"qstash-token","secret_sha256":"{HASH}","locations":[{{"line":1}}]}}]}}"#), ANY, "finding 1: \"locations[0]\" has no \"path\""),
            (&format!(r#"{{"findings":[{{"kind":"qstash-token","secret_sha256":"{HASH}","locations":[{{"path":"a","line":"s3cr3t-value"}}]}}]}}"#), ANY, "finding 1: \"locations[0].line\" is not a whole number"),
            (&format!("\n{}", one(r#","account":{"verdict":"s3cr3t-value","reason":"r"}"#)), ANY, "r.json:2: \"account.verdict\" is not one of `owned`, `owned-rotated`, `not-owned`, `unknown`"),
            (&format!("{}\n{}", one(""), one(r#","details":{"id_bytes":300}"#)), ANY, "r.json:2: \"details.id_bytes\" is out of range"),
        ] {
            let err = error(text, accept);
            assert!(err.contains(want), "want {want:?}, got {err:?}");
            assert!(!err.contains("s3cr3t-value"), "{err}");
            assert!(!err.contains("the answer"), "{err}");
        }
    }

    #[test]
    fn reports_are_told_from_other_json() {
        assert!(is_report(&format!(
            r#"{{"version":1,"findings":[{}]}}"#,
            one("")
        )));
        assert!(is_report(&format!("{}\n{}\n", one(""), one(""))));
        assert!(!is_report(r#"{"version":1,"tool":"upsweep","secrets":[]}"#));
        assert!(!is_report("{\"journal\":1}\n{\"x\":2}\n"));
        assert!(!is_report("not json"));
    }

    #[test]
    fn a_file_is_named_in_its_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone.json");
        let err = format!("{:#}", file(&missing, ANY).unwrap_err());
        assert!(
            err.contains("cannot read report") && err.contains("gone.json"),
            "{err}"
        );
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\"findings\": 3}").unwrap();
        let err = format!("{:#}", file(&bad, ANY).unwrap_err());
        assert!(err.starts_with(&bad.display().to_string()), "{err}");
    }
}
