//! The GitHub Action (`action.yml`) and the example workflow (`docs/github-workflow.yml`):
//! both pass check-jsonschema's built-in `github-actions` and `github-workflows` schemas (the
//! schemas are vendored in the Python package: no network), the README carries the workflow as
//! it is, and the action's own shell steps are run here with a stand-in upsweep to see what
//! they pass it, what they write to `GITHUB_OUTPUT`, and that an API key is never printed.

use crate::common::TestEnv;
use std::path::{Path, PathBuf};
use std::process::Command;
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Yaml {
    YamlLoader::load_from_str(&read(rel))
        .unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"))
        .remove(0)
}

/// `check-jsonschema`, or `None` (with a loud message) when it is not installed outside CI.
fn check_jsonschema() -> Option<&'static str> {
    let ok = Command::new("check-jsonschema")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("check-jsonschema");
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "check-jsonschema must be installed in CI (.ci/run installs it with pip)"
    );
    eprintln!(
        "\n*** SKIPPED: the schema checks of action.yml and docs/github-workflow.yml need \
         check-jsonschema (pip install check-jsonschema) ***\n"
    );
    None
}

/// Validate `file` against a built-in schema; `(passed, what it said)`.
fn validate(bin: &str, schema: &str, file: &Path) -> (bool, String) {
    let out = Command::new(bin)
        .args(["--builtin-schema", schema, "--no-cache"])
        .arg(file)
        .output()
        .expect("run check-jsonschema");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn action_and_workflow_pass_their_schemas_and_broken_copies_do_not() {
    let Some(bin) = check_jsonschema() else {
        return;
    };
    let (ok, said) = validate(bin, "vendor.github-actions", &root().join("action.yml"));
    assert!(ok, "action.yml: {said}");
    let (ok, said) = validate(
        bin,
        "vendor.github-workflows",
        &root().join("docs/github-workflow.yml"),
    );
    assert!(ok, "docs/github-workflow.yml: {said}");

    // The check can fail: a typo GitHub would reject is caught in each file.
    let env = TestEnv::new();
    let broken_action = env.write(
        "action.yml",
        read("action.yml").replace("using: composite", "using: compositee"),
    );
    assert!(!validate(bin, "vendor.github-actions", &broken_action).0);
    let broken_workflow = env.write(
        "workflow.yml",
        read("docs/github-workflow.yml").replace("pull-requests: write", "pull-requests: writ"),
    );
    assert!(!validate(bin, "vendor.github-workflows", &broken_workflow).0);
}

#[test]
fn the_readme_shows_the_workflow_file_as_it_is() {
    let readme = read("README.md");
    let workflow = read("docs/github-workflow.yml");
    assert!(
        readme.contains(&format!("```yaml\n{workflow}```")),
        "README.md's workflow differs from docs/github-workflow.yml"
    );
}

/// The pinned versions people copy name a release that exists: the tag of this crate's
/// version (`v` + Cargo.toml's version), created when that version is released. A version
/// bump that forgets the snippets fails here.
#[test]
fn the_pre_commit_snippet_and_the_workflow_pin_this_version() {
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let readme = read("README.md");
    let start = readme
        .find("## Pre-commit hook")
        .expect("the README has a pre-commit section");
    let section = &readme[start..];
    let revs: Vec<&str> = section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("rev:"))
        .map(str::trim)
        .collect();
    assert_eq!(revs.first(), Some(&tag.as_str()), "the pre-commit rev");
    assert!(
        section.contains("pre-commit autoupdate --freeze"),
        "the README explains freezing the rev"
    );
    let workflow = read("docs/github-workflow.yml");
    let uses: Vec<&str> = workflow
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- uses: upsweep/upsweep@"))
        .collect();
    assert_eq!(uses, [tag.as_str()], "the workflow pins the action");
}

/// The audit examples install upsweep from git: each install names this version's tag, so a
/// nightly audit does not build whatever the default branch holds that night.
#[test]
fn the_audit_examples_install_this_version() {
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    for file in [
        "README.md",
        "docs/github-audit.yml",
        "docs/kubernetes-audit.yaml",
    ] {
        let installs: Vec<String> = read(file)
            .lines()
            .filter(|l| l.contains("cargo install") && l.contains("--git"))
            .map(str::to_owned)
            .collect();
        assert!(!installs.is_empty(), "{file} installs upsweep from git");
        for line in installs {
            assert!(
                line.contains(&format!("--tag {tag}")),
                "{file}: an unpinned install: {line}"
            );
        }
    }
}

#[test]
fn the_workflow_asks_for_each_permission_a_feature_needs() {
    let w = yaml("docs/github-workflow.yml");
    let job = &w["jobs"]["upsweep"];
    let perms = &job["permissions"];
    for (p, v) in [
        ("contents", "read"),
        ("security-events", "write"),
        ("actions", "read"),
        ("pull-requests", "write"),
    ] {
        assert_eq!(perms[p].as_str(), Some(v), "permission {p}");
    }
    let steps = job["steps"].as_vec().expect("steps");
    let checkout = &steps[0];
    assert_eq!(checkout["with"]["fetch-depth"].as_i64(), Some(0));
    let action = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("upsweep/upsweep@"))
        })
        .expect("the workflow uses the action");
    let uses = action["uses"].as_str().unwrap();
    assert!(!uses.ends_with("@main"), "pinned, not main: {uses}");
    let upload = action["with"]["upload-sarif"].as_str().unwrap_or_default();
    assert!(
        upload.contains("head.repo.full_name == github.repository"),
        "no SARIF upload from forks: {upload}"
    );
    let text = read("docs/github-workflow.yml");
    // Code scanning on a private repository needs Advanced Security: the workflow says how
    // to do without it.
    assert!(
        text.contains("Advanced Security; without it, set upload-sarif to false"),
        "{text}"
    );
}

/// The action's steps by id.
fn step<'a>(action: &'a Yaml, id: &str) -> &'a Yaml {
    action["runs"]["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .find(|s| s["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no step {id}"))
}

#[test]
fn the_action_installs_its_own_ref_once_and_restores_it_from_the_cache() {
    let a = yaml("action.yml");
    let steps = a["runs"]["steps"].as_vec().unwrap();
    let install = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("cargo install"))
        })
        .expect("an install step");
    let run = install["run"].as_str().unwrap();
    assert!(
        run.contains("--locked") && run.contains("--path \"$GITHUB_ACTION_PATH\""),
        "builds the action's own source, locked: {run}"
    );
    assert_eq!(
        install["if"].as_str(),
        Some("steps.cache.outputs.cache-hit != 'true'")
    );
    let cache = step(&a, "cache");
    assert!(cache["uses"]
        .as_str()
        .unwrap()
        .starts_with("actions/cache/restore@"));
    assert!(steps.iter().any(|s| s["uses"]
        .as_str()
        .is_some_and(|u| u.starts_with("actions/cache/save@"))));

    // The key step, run as the runner would: OS, architecture, ref and a hash of the source.
    let build = step(&a, "build");
    let env = TestEnv::new();
    let out_file = env.write("github_output", "");
    let run_key = || {
        std::fs::write(&out_file, "").unwrap();
        let o = Command::new("bash")
            .args(["-eo", "pipefail", "-c", build["run"].as_str().unwrap()])
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_OUTPUT", &out_file)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TOOL_CACHE", env.path())
            .env("ACTION_REF", "v0.1.0")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outputs(&out_file)
    };
    let first = run_key();
    let key = first
        .iter()
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(key.starts_with("upsweep-Linux-X64-v0.1.0-"), "{key}");
    assert!(key.len() > "upsweep-Linux-X64-v0.1.0-".len() + 10, "{key}");
    assert_eq!(run_key(), first, "the same source gives the same key");
}

fn outputs(file: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Run the action's scan step with a stand-in upsweep that records its arguments and
/// environment and exits `code`; what it was given, and the step's outputs and log.
fn scan_step(vars: &[(&str, &str)], code: i32) -> (String, Vec<(String, String)>, String) {
    let a = yaml("action.yml");
    let env = TestEnv::new();
    let args_file = env.path().join("args");
    let stub = env.write(
        "bin/upsweep",
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\necho \"account=${{UPSTASH_EMAIL:+set}}\" >> '{}'\nexit {code}\n",
            args_file.display(),
            args_file.display()
        ),
    );
    make_executable(&stub);
    let out_file = env.write("github_output", "");
    let mut c = Command::new("bash");
    c.args([
        "-eo",
        "pipefail",
        "-c",
        step(&a, "scan")["run"].as_str().unwrap(),
    ])
    .current_dir(env.path())
    .env("UPSWEEP_BIN", &stub)
    .env("GITHUB_OUTPUT", &out_file)
    .env("UPSWEEP_FORMAT", "github");
    for (k, v) in vars {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "the scan step itself passes: {o:?}");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (
        std::fs::read_to_string(&args_file).unwrap_or_default(),
        outputs(&out_file),
        log,
    )
}

#[cfg(unix)]
fn make_executable(p: &PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(not(unix))]
fn make_executable(_: &PathBuf) {}

#[test]
fn the_scan_step_scans_once_with_every_output_and_keeps_the_key_out_of_the_log() {
    let key = "0f0e0d0c-upstash-api-key-never-printed";
    let (args, outs, log) = scan_step(
        &[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("UPSWEEP_ARGS", "--baseline .upsweep-baseline.json"),
            ("UPSWEEP_FAIL_ON", "owned"),
            ("UPSWEEP_UPLOAD", "true"),
            ("UPSWEEP_PR_COMMENT", "true"),
            ("UPSTASH_EMAIL", "ops@example.com"),
            ("UPSTASH_API_KEY", key),
        ],
        1,
    );
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        args,
        [
            "git",
            "--ci",
            "--format",
            "github",
            "--baseline",
            ".upsweep-baseline.json",
            "--fail-on",
            "owned",
            "--account",
            "--sarif",
            "upsweep.sarif",
            "--pr-comment",
            "account=set",
        ]
    );
    assert!(outs.contains(&("exit-code".into(), "1".into())), "{outs:?}");
    assert!(outs.contains(&("sarif".into(), "upsweep.sarif".into())));
    assert!(!log.contains(key), "the API key was printed: {log}");

    // A push: no comment; no SARIF unless asked; an email alone turns nothing on.
    let (args, outs, log) = scan_step(
        &[
            ("GITHUB_EVENT_NAME", "push"),
            ("UPSWEEP_UPLOAD", "false"),
            ("UPSWEEP_PR_COMMENT", "true"),
            ("UPSTASH_EMAIL", "ops@example.com"),
        ],
        0,
    );
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        ["git", "--ci", "--format", "github", "account="]
    );
    assert!(outs.contains(&("exit-code".into(), "0".into())));
    assert!(log.contains("go together"), "{log}");
}

#[test]
fn the_gate_step_fails_on_findings_and_errors_only() {
    let a = yaml("action.yml");
    let steps = a["runs"]["steps"].as_vec().unwrap();
    let gate = steps.last().unwrap();
    assert_eq!(gate["name"].as_str(), Some("Gate"));
    for (code, want) in [("0", 0), ("1", 1), ("2", 2), ("", 2)] {
        let o = Command::new("bash")
            .args(["-eo", "pipefail", "-c", gate["run"].as_str().unwrap()])
            .env("CODE", code)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(want), "exit code {code:?}");
    }
    // The upload runs after a failing scan and never for a fork's pull request.
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload step");
    let cond = upload["if"].as_str().unwrap();
    assert!(
        cond.contains("!cancelled()") && cond.contains("head.repo.full_name == github.repository"),
        "{cond}"
    );
    // The Upstash inputs reach upsweep as environment only, never spliced into a script.
    let text = read("action.yml");
    for s in steps {
        if let Some(run) = s["run"].as_str() {
            assert!(
                !run.contains("inputs."),
                "an input spliced into a script: {run}"
            );
        }
    }
    assert!(text.contains("UPSTASH_API_KEY: ${{ inputs.upstash-api-key }}"));
}
