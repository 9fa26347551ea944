//! The ready-made audit examples in docs/ are valid: the GitHub Actions workflow against
//! GitHub's workflow schema (`check-jsonschema --builtin-schema vendor.github-workflows`), the
//! Kubernetes objects against Kubernetes' API schemas (`kubernetes-validate --strict`). Both
//! tools come from PyPI; `.ci/run` installs them. Missing in CI (`CI` set) is a failure;
//! missing on a developer's machine, the test says so loudly and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn docs(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name)
}

/// Whether `tool` can run; in CI its absence fails the test.
fn available(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let msg = format!(
            "{tool} is not installed: `python3 -m pip install check-jsonschema \
             kubernetes-validate` (.ci/run does)"
        );
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("SKIPPED (not in CI): {msg}");
    }
    ok
}

fn run(tool: &str, args: &[&str], file: &Path) -> (bool, String) {
    let out = Command::new(tool).args(args).arg(file).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `file` with `from` replaced by `to`, written to a temporary file.
fn altered(file: &Path, from: &str, to: &str, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{from:?} is in {}", file.display());
    let out = dir.join(file.file_name().unwrap());
    std::fs::write(&out, text.replacen(from, to, 1)).unwrap();
    out
}

#[test]
fn the_workflows_pass_githubs_workflow_schema() {
    let tool = "check-jsonschema";
    if !available(tool) {
        return;
    }
    let args = ["--builtin-schema", "vendor.github-workflows"];
    for name in ["github-audit.yml", "github-workflow.yml"] {
        let (ok, said) = run(tool, &args, &docs(name));
        assert!(ok, "{name}: {said}");
    }
    // The check can fail: a job without runs-on is not a workflow.
    let dir = tempfile::tempdir().unwrap();
    let broken = altered(
        &docs("github-audit.yml"),
        "runs-on: ubuntu-latest",
        "runs-off: ubuntu-latest",
        dir.path(),
    );
    let (ok, _) = run(tool, &args, &broken);
    assert!(!ok, "a broken workflow passed the schema check");
}

#[test]
fn the_kubernetes_example_passes_kubernetes_schemas() {
    let tool = "kubernetes-validate";
    if !available(tool) {
        return;
    }
    let file = docs("kubernetes-audit.yaml");
    let (ok, said) = run(tool, &["--strict"], &file);
    assert!(ok, "{said}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("completionMode: Indexed") && text.contains("JOB_COMPLETION_INDEX"));
    assert!(text.contains("secretKeyRef") && text.contains("upsweep merge"));
    // The check can fail: an unknown completion mode is refused.
    let dir = tempfile::tempdir().unwrap();
    let broken = altered(
        &file,
        "completionMode: Indexed",
        "completionMode: 7",
        dir.path(),
    );
    let (ok, _) = run(tool, &["--strict"], &broken);
    assert!(!ok, "a broken Job passed the schema check");
}

#[test]
fn the_readme_shows_the_examples_as_they_are_in_docs() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for name in ["github-audit.yml", "kubernetes-audit.yaml"] {
        let text = std::fs::read_to_string(docs(name)).unwrap();
        assert!(
            readme.contains(&format!("```yaml\n{text}```")),
            "README.md's copy of docs/{name} differs from the file"
        );
    }
}
