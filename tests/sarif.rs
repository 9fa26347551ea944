//! `--format sarif`: validated against the published OASIS SARIF 2.1.0 JSON schema (a copy in
//! `tests/fixtures/`, see its README; validation is offline), and checked for what GitHub code
//! scanning relies on: every result's rule in `tool.driver.rules`, one physical location per
//! result with a relative forward-slash URI, start line and column, `partialFingerprints` from
//! the secret's hash, and no full secret unless `--show-secrets`.

use crate::cli::{run, scan_json, sha256_hex, Tokens};
use crate::common::{commit, findings, repo, TestEnv};
use serde_json::Value;
use std::collections::BTreeSet;

const SCHEMA: &str = include_str!("fixtures/sarif-schema-2.1.0.json");

/// The published schema, compiled without any network: it is draft-04, whose meta-schema the
/// `jsonschema` crate carries, and its `$ref`s are all internal. (The crate is built without
/// its HTTP and file resolvers, so a reference it had to fetch would fail here, not go out.)
fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema fixture is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles offline")
}

/// Schema violations of `doc`, as readable lines.
pub(crate) fn violations(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

fn sarif(env: &TestEnv, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "sarif"];
    all.extend_from_slice(args);
    let r = run(env, &all);
    let v = r.json();
    (r.code, v)
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().expect("results")
}

/// A tree with every common kind, a secret in two files, a path with a space and a non-ASCII
/// name, and a nested path.
fn planted() -> (TestEnv, Tokens) {
    let env = TestEnv::new();
    let t = Tokens::new(31);
    t.plant(&env);
    env.write(
        "docs/setup guide/ré sumé.md",
        format!("```\nQSTASH_TOKEN={}\n```\n", t.qstash),
    );
    (env, t)
}

#[test]
fn sarif_output_conforms_to_the_published_schema() {
    let (env, _) = planted();
    // With findings and an input error (a notification), with secrets shown, and clean.
    let (code, doc) = sarif(&env, &[".", "missing-dir"]);
    assert_eq!(code, 2);
    assert_eq!(violations(&doc), Vec::<String>::new());
    assert!(results(&doc).len() >= 8);
    let (code, doc) = sarif(&env, &["--show-secrets"]);
    assert_eq!(code, 1);
    assert_eq!(violations(&doc), Vec::<String>::new());
    let (code, doc) = sarif(&env, &["README.md"]);
    assert_eq!(code, 0);
    assert_eq!(violations(&doc), Vec::<String>::new());
    assert_eq!(results(&doc).len(), 0);
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(
        doc["$schema"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
}

#[test]
fn the_schema_check_catches_what_the_schema_forbids() {
    // The validation above can fail: documents GitHub would reject are caught.
    let (env, _) = planted();
    let (_, good) = sarif(&env, &[]);
    let mut wrong_version = good.clone();
    wrong_version["version"] = "2.0.0".into();
    assert!(!violations(&wrong_version).is_empty());
    let mut no_message = good.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!violations(&no_message).is_empty());
    let mut bad_line = good.clone();
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!violations(&bad_line).is_empty());
    let mut no_driver_name = good;
    no_driver_name["runs"][0]["tool"]["driver"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    assert!(!violations(&no_driver_name).is_empty());
}

#[test]
fn every_result_names_a_rule_listed_in_tool_driver_rules() {
    let (env, _) = planted();
    let (_, doc) = sarif(&env, &[]);
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        ids.len(),
        "rule ids are unique"
    );
    for r in rules {
        // What GitHub shows for an alert, and the severity it sorts by.
        assert!(r["shortDescription"]["text"].is_string());
        assert!(r["fullDescription"]["text"].is_string());
        assert!(r["help"]["text"].is_string());
        assert!(r["properties"]["security-severity"].is_string());
    }
    for res in results(&doc) {
        let id = res["ruleId"].as_str().unwrap();
        let index = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(ids[index], id, "ruleIndex points at the result's rule");
    }
}

#[test]
fn each_place_is_one_result_with_a_relative_location_and_the_secret_hash() {
    let (env, t) = planted();
    let (_, doc) = sarif(&env, &[]);
    let (_, json) = scan_json(&env, &["--show-secrets"]);
    // The same places as the JSON report, one result each (GitHub reads only the first
    // location of a result).
    let mut from_json = BTreeSet::new();
    for f in findings(&json) {
        let hash = sha256_hex(f["secret"].as_str().unwrap());
        assert_eq!(f["secret_sha256"], hash.as_str());
        for l in f["locations"].as_array().unwrap() {
            from_json.insert((
                l["path"].as_str().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
                l["column"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                hash.clone(),
            ));
        }
    }
    let mut from_sarif = BTreeSet::new();
    for res in results(&doc) {
        let locs = res["locations"].as_array().unwrap();
        assert_eq!(locs.len(), 1, "one location per result");
        let loc = &locs[0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains(':') && !uri.contains('\\'),
            "not a relative forward-slash URI: {uri}"
        );
        assert!(!uri.starts_with("./"), "{uri}");
        let fingerprint = res["partialFingerprints"]["secretSha256/v1"]
            .as_str()
            .unwrap();
        assert_eq!(res["properties"]["secret_sha256"], fingerprint);
        from_sarif.insert((
            percent_decode(uri),
            loc["region"]["startLine"].as_u64().unwrap(),
            loc["region"]["startColumn"].as_u64().unwrap(),
            res["ruleId"].as_str().unwrap().to_string(),
            fingerprint.to_string(),
        ));
    }
    assert_eq!(from_sarif, from_json);
    assert_eq!(doc["runs"][0]["columnKind"], "unicodeCodePoints");

    // The nested, spaced, non-ASCII path is percent-encoded, with forward slashes.
    let qstash = sha256_hex(&t.qstash);
    let uris: BTreeSet<&str> = results(&doc)
        .iter()
        .filter(|r| r["partialFingerprints"]["secretSha256/v1"] == qstash.as_str())
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris,
        [".env", "docs/setup%20guide/r%C3%A9%20sum%C3%A9.md"].into()
    );
}

#[test]
fn paths_typed_absolute_or_with_dotdot_still_give_relative_uris() {
    let (env, _) = planted();
    let abs = env.path().join("config");
    let (_, doc) = sarif(&env, &[abs.to_str().unwrap()]);
    let uris: Vec<&str> = results(&doc)
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(!uris.is_empty());
    assert!(uris.iter().all(|u| *u == "config/app.json"), "{uris:?}");

    // Outside the working directory a relative URI would point into the wrong repository:
    // an absolute file:// URI instead.
    let outside = TestEnv::new();
    let t = Tokens::new(32);
    outside.write("x.env", format!("QSTASH_TOKEN={}\n", t.qstash));
    let rel = format!(
        "../{}",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    let (_, doc) = sarif(&env, &[&rel]);
    let uri = results(&doc)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert_eq!(
        uri,
        format!("file://{}/x.env", outside.path().display()),
        "scanned as {rel}"
    );
    assert_eq!(violations(&doc), Vec::<String>::new());
}

#[test]
fn sarif_has_no_full_secret_unless_asked() {
    let (env, t) = planted();
    let r = run(&env, &["scan", "--format", "sarif"]);
    for secret in t.all_secrets() {
        assert!(!r.stdout.contains(secret), "SARIF shows {secret}");
    }
    let r = run(&env, &["scan", "--format", "sarif", "--show-secrets"]);
    let doc = r.json();
    for secret in [&t.redis, &t.qstash, &t.vector, &t.signing_key, &t.legacy] {
        let hash = sha256_hex(secret);
        let res = results(&doc)
            .iter()
            .find(|r| r["partialFingerprints"]["secretSha256/v1"] == hash.as_str())
            .expect("a result for the secret");
        assert!(
            res["message"]["text"]
                .as_str()
                .unwrap()
                .contains(secret.as_str()),
            "--show-secrets puts the secret in the message"
        );
    }
}

#[test]
fn read_errors_are_tool_notifications_and_mark_the_run_unsuccessful() {
    let (env, _) = planted();
    let (code, doc) = sarif(&env, &[".", "missing-dir"]);
    assert_eq!(code, 2);
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0]["message"]["text"],
        "missing-dir: no such file or directory"
    );
    let (_, doc) = sarif(&env, &[]);
    assert_eq!(
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

/// Undo `%XX` escapes (the URIs upsweep writes use only those).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A history scan's SARIF names the repository and commit scanned and, per result, the commit
/// that added the secret, its author and date, and where the secret stands in history.
#[test]
fn git_results_carry_their_commit_and_the_run_its_revision() {
    let env = repo();
    env.git(&[
        "remote",
        "add",
        "origin",
        "https://x-access-token:ghs_notARealToken000@github.com/acme/web.git",
    ]);
    let t = Tokens::new(77);
    env.write(
        "app/.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", t.redis),
    );
    let added = commit(&env, "add");
    std::fs::remove_file(env.path().join("app/.env")).unwrap();
    env.write("src/q.ts", format!("const q = \"{}\";\n", t.qstash));
    let head = commit(&env, "swap");

    let r = run(&env, &["git", "--format", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(violations(&doc), Vec::<String>::new());
    let vcs = &doc["runs"][0]["versionControlProvenance"][0];
    assert_eq!(vcs["repositoryUri"], "https://github.com/acme/web.git");
    assert_eq!(vcs["revisionId"], head.as_str());
    assert_eq!(vcs["branch"], "main");
    assert!(
        !r.stdout.contains("ghs_notARealToken000"),
        "no credential of the remote"
    );
    let by_uri = |u: &str| {
        results(&doc)
            .iter()
            .find(|x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == u)
            .unwrap_or_else(|| panic!("no result for {u}"))
            .clone()
    };
    let gone = by_uri("app/.env");
    let p = &gone["properties"];
    assert_eq!(p["commit"], added.as_str());
    assert_eq!(p["introduced_in"], added.as_str());
    assert_eq!(p["author"], "Test <test@example.com>");
    assert!(p["date"].as_str().is_some_and(|d| d.ends_with('Z')), "{p}");
    assert_eq!(p["in_head"], false);
    assert_eq!(p["removed_in"], head.as_str());
    let here = by_uri("src/q.ts");
    assert_eq!(here["properties"]["commit"], head.as_str());
    assert_eq!(here["properties"]["in_head"], true);
    assert!(here["properties"].get("removed_in").is_none());
    // No remote URL: no provenance (SARIF needs a repository URI), the results keep theirs.
    env.git(&["remote", "remove", "origin"]);
    let r = run(&env, &["git", "--format", "sarif"]);
    let doc = r.json();
    assert_eq!(violations(&doc), Vec::<String>::new());
    assert!(doc["runs"][0].get("versionControlProvenance").is_none());
    assert!(results(&doc)[0]["properties"]["introduced_in"].is_string());
}

/// `--sarif FILE` and `--json FILE` write the same scan beside the main report.
#[test]
fn one_scan_writes_sarif_and_json_files_beside_the_main_report() {
    let (env, t) = planted();
    let r = run(
        &env,
        &[
            "scan", "--format", "github", "--sarif", "r.sarif", "--json", "r.json",
        ],
    );
    assert_eq!(r.code, 1);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path().join("r.sarif")).unwrap())
            .unwrap();
    assert_eq!(violations(&sarif), Vec::<String>::new());
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path().join("r.json")).unwrap()).unwrap();
    let annotations = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .count();
    assert_eq!(results(&sarif).len(), annotations, "the same places");
    let (_, alone) = scan_json(&env, &[]);
    assert_eq!(findings(&json).len(), findings(&alone).len());
    assert!(!findings(&json).is_empty());
    for s in t.all_secrets() {
        assert!(!r.stdout.contains(s));
        assert!(!serde_json::to_string(&sarif).unwrap().contains(s));
    }
    let r = run(&env, &["scan", "-o", "x.json", "--json", "x.json"]);
    assert_eq!(r.code, 2, "one file for two reports: {}", r.stderr);
    assert!(r.stderr.contains("different files"), "{}", r.stderr);
}
