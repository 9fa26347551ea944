//! What revocation starts from: the leaked credentials, as findings. From a scan they are the
//! scanner's findings; from a JSON report (`upsweep scan|git --format json --account`) they are
//! rebuilt from what the report carries ([`crate::report::read`]): the kind, the secret's
//! SHA-256, the structural details (database number, index endpoint, QStash user id, ...) and
//! the locations. A report holds no secret (unless made with `--show-secrets`), so a rebuilt
//! finding's `secret` is empty: the ownership matching needs only the hash and the details.

use crate::finding::{Finding, Location};
use crate::outcome::{Suppressed, Why};
use crate::report::read::{Accept, Read};
use crate::suppress::allowlist::AllowEntry;
use crate::suppress::paths::PathGlobs;
use crate::upstash::FindingVerdict;
use std::sync::Arc;

/// One leaked credential.
#[derive(Debug, Clone)]
pub(crate) struct Leak {
    /// The finding; its `secret` is empty when it came from a report without secrets.
    pub(crate) finding: Finding,
    /// The account check's verdict a report carried, when it came from one that has it.
    pub(crate) reported: Option<FindingVerdict>,
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

/// How revocation reads a report: any version (it needs only the findings' kind, hash,
/// details and locations).
pub(crate) const REPORT: Accept = Accept {
    any_version: true,
    located: false,
    made_by: "upsweep scan --format json --account",
};

/// The leaks of a report read back ([`crate::report::read`]): one per secret, the places of
/// a secret written twice (JSON lines of several scans) joined.
pub(crate) fn from_report(read: Read) -> Vec<Leak> {
    let mut leaks: Vec<Leak> = Vec::new();
    for r in read.findings {
        match leaks
            .iter_mut()
            .find(|l| l.finding.sha256 == r.finding.sha256)
        {
            Some(same) => same.finding.locations.extend(r.finding.locations),
            None => leaks.push(Leak {
                finding: r.finding,
                reported: r.verdict,
            }),
        }
    }
    leaks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Context, Details, Kind, Origin};
    use crate::upstash::Ownership;
    use std::path::PathBuf;

    fn from_text(text: &str, name: &str) -> anyhow::Result<Vec<Leak>> {
        crate::report::read::text_of(text, name, REPORT).map(from_report)
    }

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
        let a = from_text(&doc, "r.json").unwrap();
        let lines = format!("{}\n\n", finding.replace('\n', " "));
        let b = from_text(&lines, "r.jsonl").unwrap();
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
                l.reported.as_ref().unwrap().account.verdict,
                Ownership::Owned
            );
        }
    }

    #[test]
    fn a_secret_on_several_lines_is_one_leak_with_every_place() {
        let line = |path: &str| {
            format!(
                r#"{{"kind":"qstash-token","secret_sha256":"{HASH}","locations":[{{"path":"{path}","line":1,"column":1}}]}}"#
            )
        };
        let text = format!("{}\n{}\n", line("a.env"), line("b.env"));
        let leaks = from_text(&text, "r.jsonl").unwrap();
        assert_eq!(leaks.len(), 1);
        assert_eq!(leaks[0].places(), vec!["a.env:1", "b.env:1"]);
        assert!(
            leaks[0].reported.is_none(),
            "no account verdict in the report"
        );
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
        let leaks = from_text(&doc, "r.json").unwrap();
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
            let err = format!("{:#}", from_text(text, "r.json").unwrap_err());
            assert!(err.contains(want), "{err}");
            assert!(!err.contains("s3cr3t-value"), "{err}");
        }
        // The secret, when the report has it, is kept (it must hash to the reported hash).
        let ok = format!(
            r#"{{"findings":[{{"kind":"developer-api-key","secret_sha256":"{HASH}","secret":"hello"}}]}}"#
        );
        assert!(from_text(&ok, "r.json").unwrap()[0].has_secret());
    }
}
