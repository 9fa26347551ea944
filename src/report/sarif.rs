//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning takes it. Rules go in
//! `tool.driver.rules`; each place a secret was seen is its own result (GitHub annotates only
//! the first location of a result, so one result with five locations would show one file of
//! five); `partialFingerprints` carry the secret's hash, so an alert follows the secret when
//! lines move. Artifact URIs are relative to the current directory with forward slashes (what
//! GitHub resolves against the repository root); a path outside it becomes a `file://` URI.
//! A secret inside an archive is a result on the archive file (region: its first line), with
//! the chain down to the entry as a logical location (`dist/app.tgz!package/.env:3:27`), in
//! the message and in `properties.archive_path`, `archive_line` and `archive_column`.
//!
//! Git scans say which commit each result came from: the run's `versionControlProvenance`
//! (the `origin` remote, without credentials, and the commit scanned) and, per result,
//! `properties.commit`, `author`, `date`, `introduced_in`, `in_head` and `removed_in`.
//!
//! Built with `serde_json` rather than a typed SARIF crate: the document is small, and
//! `tests/sarif.rs` validates it against the published OASIS schema.

use super::{Options, Report};
use crate::finding::{Finding, Location, Origin};
use crate::outcome::Revision;
use crate::util::paths::normalize;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Component, Path};

/// The OASIS schema this output conforms to (the `id` of the published schema).
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

pub(super) fn write(r: &Report<'_>, opts: Options, out: &mut dyn Write) -> std::io::Result<()> {
    let cwd = std::env::current_dir().ok();
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
    let results: Vec<Value> = r
        .findings
        .iter()
        .flat_map(|f| {
            let rule_index = r.rules.iter().position(|rule| rule.id == f.rule_id);
            // History scans can see one secret at one place in many commits: one result each.
            let mut seen = std::collections::HashSet::new();
            f.locations
                .iter()
                .filter_map(|l| {
                    // Inside an archive the artifact is the outer file: the one thing a
                    // code-scanning UI can open.
                    let file = match l.origin.outer() {
                        Origin::File(p) => Some(p.as_path()),
                        _ => None,
                    };
                    let uri = match (&l.repository, &l.url) {
                        // An audit's location: the file at its commit on GitHub.
                        (Some(_), Some(url)) => url.split('#').next().unwrap_or(url).to_string(),
                        _ => artifact_uri(l.file(), file, cwd.as_deref()),
                    };
                    seen.insert((uri.clone(), l.path.clone(), l.line, l.column))
                        .then(|| result(f, l, uri, rule_index, opts))
                })
                .collect::<Vec<_>>()
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
    let mut doc = json!({
        "$schema": SCHEMA,
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
    if let Some(vcs) = r.git.and_then(provenance) {
        doc["runs"][0]["versionControlProvenance"] = json!([vcs]);
    }
    super::write_pretty_json(out, &doc)
}

/// The repository and commit scanned, when the repository has a URL (`origin`); SARIF needs
/// one to name a repository.
fn provenance(g: &Revision) -> Option<Value> {
    let uri = g.repository.as_deref()?;
    let mut v = json!({ "repositoryUri": uri, "revisionId": g.commit });
    if let Some(b) = &g.branch {
        v["branch"] = json!(b);
    }
    Some(v)
}

/// One result: one place a secret was seen.
fn result(
    f: &Finding,
    l: &Location,
    uri: String,
    rule_index: Option<usize>,
    opts: Options,
) -> Value {
    let mut message = format!("{} ({}) sha256:{}", f.title(), f.preview(), f.sha256);
    let place = format!("{}:{}:{}", l.path, l.line, l.column);
    if l.archive_path.is_some() {
        message.push_str(&format!("; inside an archive at {place}"));
    }
    if let Some(repo) = &l.repository {
        message.push_str(&format!("; in {repo}"));
    }
    if f.locations.len() > 1 {
        message.push_str(&format!(
            "; the same secret is in {} places",
            f.locations.len()
        ));
    }
    if l.context.browser_exposed {
        message.push_str("; assigned to a browser-exposed variable");
    }
    if opts.show_secrets {
        message.push_str(&format!("; secret: {}", f.secret));
    }
    let mut v = json!({
        "ruleId": f.rule_id,
        "level": "error",
        "kind": "fail",
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri },
                "region": { "startLine": l.line, "startColumn": l.column },
            }
        }],
        "partialFingerprints": { "secretSha256/v1": f.sha256 },
        "properties": {
            "kind": f.kind,
            "secret_sha256": f.sha256,
            "details": f.details,
        },
    });
    if let Some(chain) = &l.archive_path {
        // The line and column are the entry's, not the archive's: the region is the archive
        // as a whole, and the entry is named as a logical location.
        let loc = &mut v["locations"][0];
        loc["physicalLocation"]["region"] = json!({ "startLine": 1 });
        loc["logicalLocations"] = json!([{
            "name": chain.last(),
            "fullyQualifiedName": place,
        }]);
        v["properties"]["archive_path"] = json!(chain);
        v["properties"]["archive_line"] = json!(l.line);
        v["properties"]["archive_column"] = json!(l.column);
    }
    if let Some(repo) = &l.repository {
        v["properties"]["repository"] = json!(repo);
    }
    if let Some(i) = rule_index {
        v["ruleIndex"] = json!(i);
    }
    let props = &mut v["properties"];
    for (key, value) in [
        ("commit", &l.commit),
        ("author", &l.author),
        ("date", &l.date),
    ] {
        if let Some(x) = value {
            props[key] = json!(x);
        }
    }
    if let Some(h) = &f.history {
        props["introduced_in"] = json!(h.introduced_in);
        props["in_head"] = json!(h.in_head);
        if let Some(c) = &h.removed_in {
            props["removed_in"] = json!(c);
        }
    }
    v
}

/// Where a location is, as a URI. A file on disk is made relative to `cwd` when it is under it
/// (with `..` resolved), and is otherwise an absolute `file://` URI. Other origins (a path in a
/// git tree, standard input) keep their display path, already relative to the repository.
fn artifact_uri(display: &str, file: Option<&Path>, cwd: Option<&Path>) -> String {
    let Some(path) = file else {
        return uri(display);
    };
    let plain = path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if plain {
        return uri(display);
    }
    let Some(cwd) = cwd else {
        return uri(display);
    };
    let absolute = normalize(&cwd.join(path));
    match absolute.strip_prefix(normalize(cwd)) {
        Ok(rel) if !rel.as_os_str().is_empty() => uri(&rel.to_string_lossy()),
        _ => format!("file://{}", uri(&absolute.to_string_lossy())),
    }
}

/// A path as a SARIF URI reference: forward slashes, reserved bytes percent-encoded.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file_uri(path: &str) -> String {
        artifact_uri(path, Some(Path::new(path)), Some(Path::new("/repo")))
    }

    #[test]
    fn uris_are_relative_to_the_working_directory() {
        assert_eq!(file_uri("src/a b.env"), "src/a%20b.env");
        assert_eq!(file_uri("/repo/src/x.env"), "src/x.env");
        assert_eq!(file_uri("../repo/x.env"), "x.env");
        assert_eq!(file_uri("../other/x.env"), "file:///other/x.env");
        assert_eq!(file_uri("/elsewhere/ä.env"), "file:///elsewhere/%C3%A4.env");
        assert_eq!(artifact_uri("dir\\x.env", None, None), "dir/x.env");
    }
}
