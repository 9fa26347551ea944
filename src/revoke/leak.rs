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
use crate::outcome::{Suppressed, Why};
use crate::suppress::allowlist::AllowEntry;
use crate::suppress::paths::PathGlobs;
use anyhow::{bail, Context as _, Result};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// One leaked credential.
#[derive(Debug, Clone)]
pub(crate) struct Leak {
    /// The finding; its `secret` is empty when it came from a report without secrets.
    pub(crate) finding: Finding,
    /// What the report said about it, when it came from one.
    pub(crate) reported: Option<Reported>,
}

/// A leak the scan found but the project's configuration (or an `upsweep:allow` comment)
/// left out of the plan: said, never silent (`--no-config` puts the configuration's back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeftOut {
    pub(crate) sha256: String,
    /// The kind's name.
    pub(crate) kind: String,
    pub(crate) places: Vec<String>,
    pub(crate) why: LeftOutWhy,
}

/// Why a leak was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LeftOutWhy {
    /// `[[allow]]` in the config file, with its reason.
    Allowed(String),
    /// Every place it was found is under `skip-paths`.
    SkipPaths,
    /// Only rules turned off by `disable-rules` found it (their ids).
    DisabledRules(Vec<String>),
    /// On a line marked `upsweep:allow` (not configuration: `--no-config` keeps it out).
    Inline(Option<String>),
}

impl LeftOutWhy {
    /// A short name, for JSON and counts.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            LeftOutWhy::Allowed(_) => "allow",
            LeftOutWhy::SkipPaths => "skip-paths",
            LeftOutWhy::DisabledRules(_) => "disable-rules",
            LeftOutWhy::Inline(_) => "inline-allow",
        }
    }

    /// In words.
    pub(crate) fn words(&self) -> String {
        match self {
            LeftOutWhy::Allowed(reason) => format!("allowed by [[allow]]: {reason}"),
            LeftOutWhy::SkipPaths => "found only under skip-paths".to_string(),
            LeftOutWhy::DisabledRules(ids) => {
                format!("found only by rules turned off ({})", ids.join(", "))
            }
            LeftOutWhy::Inline(Some(reason)) => format!("on a line marked upsweep:allow: {reason}"),
            LeftOutWhy::Inline(None) => "on a line marked upsweep:allow".to_string(),
        }
    }
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
        places_of(&self.finding.locations)
    }
}

fn places_of(locations: &[Location]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in locations {
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

/// What the project's configuration (`.upsweep.toml`, or `--config FILE`) would leave out of a
/// revocation plan: `skip-paths`, `[[allow]]` and `disable-rules`. Revocation scans
/// everything and applies these afterwards, so that it can say exactly which leaks they left
/// out. The baseline is not applied: a baselined secret is accepted in CI, and still leaked.
#[derive(Debug, Clone, Default)]
pub(crate) struct LeaveOut {
    /// The config file, for messages (`None`: none, or `--no-config`).
    pub(crate) config_file: Option<String>,
    pub(crate) skip_paths: Option<Arc<PathGlobs>>,
    pub(crate) allow: Vec<AllowEntry>,
    pub(crate) disabled_rules: Vec<String>,
}

impl LeaveOut {
    /// Split `findings` into those the plan takes and those left out (with `suppressed`'s
    /// inline `upsweep:allow` ones not found anywhere else).
    pub(crate) fn apply(
        &self,
        findings: Vec<Finding>,
        suppressed: &[Suppressed],
    ) -> (Vec<Finding>, Vec<LeftOut>) {
        let mut keep = Vec::new();
        let mut out = Vec::new();
        for mut f in findings {
            let left = |f: &Finding, why| LeftOut {
                sha256: f.sha256.clone(),
                kind: f.kind.to_string(),
                places: places_of(&f.locations),
                why,
            };
            if !self.disabled_rules.is_empty() {
                let ids: Vec<String> = {
                    let mut v: Vec<String> =
                        f.locations.iter().map(|l| l.rule_id.clone()).collect();
                    v.sort();
                    v.dedup();
                    v
                };
                if ids.iter().all(|id| self.disabled_rules.contains(id)) {
                    out.push(left(&f, LeftOutWhy::DisabledRules(ids)));
                    continue;
                }
                f.locations
                    .retain(|l| !self.disabled_rules.contains(&l.rule_id));
            }
            if let Some(globs) = &self.skip_paths {
                if f.locations.iter().all(|l| globs.matches_origin(&l.origin)) {
                    out.push(left(&f, LeftOutWhy::SkipPaths));
                    continue;
                }
                f.locations.retain(|l| !globs.matches_origin(&l.origin));
            }
            if let Some(a) = self
                .allow
                .iter()
                .find(|a| a.sha256 == f.sha256 && a.kind.is_none_or(|k| k == f.kind))
            {
                out.push(left(&f, LeftOutWhy::Allowed(a.reason.clone())));
                continue;
            }
            keep.push(f);
        }
        for s in suppressed {
            let Why::Inline(reason) = &s.why else {
                continue;
            };
            if keep.iter().any(|f| f.sha256 == s.sha256) {
                continue;
            }
            let place =
                s.at.rsplit_once(':')
                    .map_or(s.at.clone(), |(p, _)| p.to_string());
            match out.iter_mut().find(|l| l.sha256 == s.sha256) {
                Some(l) if matches!(l.why, LeftOutWhy::Inline(_)) => {
                    if !l.places.contains(&place) {
                        l.places.push(place);
                    }
                }
                Some(_) => {}
                None => out.push(LeftOut {
                    sha256: s.sha256.clone(),
                    kind: s.what.clone(),
                    places: vec![place],
                    why: LeftOutWhy::Inline(reason.clone()),
                }),
            }
        }
        (keep, out)
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
                let v: Value = match serde_json::from_str(line) {
                    Ok(v) => v,
                    // Not even its first line is JSON: not a report at all.
                    Err(_) if out.is_empty() => bail!(
                        "{name}: not an upsweep JSON report (it is not JSON); make one with \
                         `upsweep scan --format json --account -o {name}`"
                    ),
                    Err(e) => bail!(
                        "{name}:{}: not JSON (column {}): a JSON lines report has one finding per line",
                        i + 1,
                        e.column()
                    ),
                };
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
    let file = v.get("path")?.as_str()?.to_string();
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    // Inside an archive: the outer file, then the names down to the entry.
    let archive_path: Option<Vec<String>> = v
        .get("archive_path")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .filter(|a: &Vec<String>| a.len() > 1);
    let outer = Origin::File(PathBuf::from(&file));
    let (origin, path) = match &archive_path {
        Some(chain) => {
            let o = Origin::Archive {
                outer: Box::new(outer),
                entries: chain[1..].to_vec(),
            };
            let p = o.display_path();
            (o, p)
        }
        None => (outer, file),
    };
    Some(Location {
        repository: s("repository"),
        url: s("url"),
        archive_path,
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
        origin,
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

    fn finding(sha: char, places: &[(&str, &str)]) -> Finding {
        Finding {
            kind: Kind::RedisRestToken,
            rule_id: places[0].1.to_string(),
            secret: String::new(),
            sha256: sha.to_string().repeat(64),
            details: Details::default(),
            locations: places
                .iter()
                .map(|(path, rule)| Location {
                    path: path.to_string(),
                    line: 1,
                    column: 1,
                    rule_id: rule.to_string(),
                    commit: None,
                    author: None,
                    date: None,
                    blob: None,
                    context: Context::default(),
                    origin: Origin::File(PathBuf::from(path)),
                    repository: None,
                    url: None,
                    archive_path: None,
                })
                .collect(),
            history: None,
            known_preview: None,
        }
    }

    #[test]
    fn the_configuration_leaves_out_what_it_says_and_each_is_named() {
        let root = std::path::Path::new(".");
        let leave = LeaveOut {
            config_file: Some(".upsweep.toml".into()),
            skip_paths: Some(Arc::new(
                PathGlobs::new(&["vendor/".to_string()], root).unwrap(),
            )),
            allow: vec![AllowEntry {
                sha256: "c".repeat(64),
                reason: "demo".into(),
                kind: None,
            }],
            disabled_rules: vec!["noisy".into()],
        };
        let findings = vec![
            finding('a', &[("vendor/x.env", "r"), ("app/.env", "r")]),
            finding('b', &[("vendor/y.env", "r")]),
            finding('c', &[("app/demo.env", "r")]),
            finding('d', &[("app/z.env", "noisy")]),
            finding('e', &[("app/w.env", "noisy"), ("app/v.env", "r")]),
        ];
        let inline = Suppressed {
            why: Why::Inline(Some("fixture".into())),
            what: "qstash-token".into(),
            at: "tests/t.env:3:9".into(),
            sha256: "f".repeat(64),
        };
        let (keep, out) = leave.apply(findings, &[inline]);
        let kept: Vec<(char, Vec<String>)> = keep
            .iter()
            .map(|f| (f.sha256.chars().next().unwrap(), places_of(&f.locations)))
            .collect();
        assert_eq!(
            kept,
            vec![
                ('a', vec!["app/.env:1".to_string()]),
                ('e', vec!["app/v.env:1".to_string()])
            ],
            "places under skip-paths or only by a disabled rule are dropped"
        );
        let whys: Vec<(char, &str)> = out
            .iter()
            .map(|l| (l.sha256.chars().next().unwrap(), l.why.as_str()))
            .collect();
        assert_eq!(
            whys,
            vec![
                ('b', "skip-paths"),
                ('c', "allow"),
                ('d', "disable-rules"),
                ('f', "inline-allow")
            ]
        );
        assert_eq!(out[3].places, vec!["tests/t.env:3"]);
        assert!(out[2].why.words().contains("noisy"));
    }

    #[test]
    fn a_place_inside_an_archive_keeps_its_chain() {
        let doc = format!(
            r#"{{"findings":[{{"kind":"redis-rest-token","secret_sha256":"{HASH}",
               "locations":[{{"path":"dist/app.tgz","archive_path":["dist/app.tgz","package/.env"],"line":3,"column":26}}]}}]}}"#
        );
        let leaks = from_report(&doc, "r.json").unwrap();
        let l = &leaks[0].finding.locations[0];
        assert_eq!(l.path, "dist/app.tgz!package/.env");
        assert_eq!(l.file(), "dist/app.tgz");
        assert_eq!(leaks[0].places(), vec!["dist/app.tgz!package/.env:3"]);
        assert_eq!(
            l.origin.outer(),
            &Origin::File(PathBuf::from("dist/app.tgz"))
        );
        // Written back, the location reads as it was read.
        let v = serde_json::to_value(l).unwrap();
        assert_eq!(v["path"], "dist/app.tgz");
        assert_eq!(
            v["archive_path"],
            serde_json::json!(["dist/app.tgz", "package/.env"])
        );
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
