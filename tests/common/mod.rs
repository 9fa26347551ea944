//! Shared test fixtures: temporary trees, running the built binary, reading its JSON report.

#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod fake;
pub use fake::Fake;

/// What GitHub Actions sets that upsweep reads.
pub const GITHUB_VARIABLES: [&str; 12] = [
    "GITHUB_ACTIONS",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITHUB_API_URL",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_EVENT_NAME",
    "GITHUB_EVENT_PATH",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITLAB_CI",
];

/// A temporary directory to plant files in and scan.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
}

/// What a run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout parsed as the JSON report.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write `contents` at `rel` (parents created).
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, contents).expect("write");
        p
    }

    /// The upsweep binary, run in this directory with a clean environment for colour and
    /// none of GitHub Actions' variables (a test run inside Actions must not write the job's
    /// summary or comment anywhere; tests that want them set them).
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_upsweep"));
        c.current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for v in GITHUB_VARIABLES {
            c.env_remove(v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.cmd().args(args).output().expect("run upsweep").into()
    }

    /// `upsweep scan --format json ARGS...`
    pub fn scan_json(&self, args: &[&str]) -> (Run, Value) {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        let v = run.json();
        (run, v)
    }

    /// Run `git` in this directory (tests that need a repository).
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(self.dir.path())
            .args(args)
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Findings of a JSON report.
pub fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

/// An empty git repository on branch `main`, its commits unsigned whatever the user's git
/// configuration says.
pub fn repo() -> TestEnv {
    let env = TestEnv::new();
    env.git(&["init", "-q", "-b", "main"]);
    env.git(&["config", "commit.gpgsign", "false"]);
    env
}

/// Stage everything and commit it (an empty commit when nothing changed); the new HEAD.
pub fn commit(env: &TestEnv, msg: &str) -> String {
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "--allow-empty", "-m", msg]);
    head(env)
}

/// The commit HEAD names.
pub fn head(env: &TestEnv) -> String {
    env.git(&["rev-parse", "HEAD"]).trim().to_string()
}

/// A read-write Redis REST token of the current layout, different for each seed.
pub fn rest_token(seed: u64) -> String {
    let mut f = Fake::new(seed);
    let n = f.database_number();
    f.redis_token(n, false, false)
}
