//! The emulated organisation `bench/github-audit` measures against: an ignored test that serves
//! the emulator until told to stop. With `UPSWEEP_BENCH_DIR=DIR` it builds organisation `bench`
//! (`UPSWEEP_BENCH_REPOS` repositories, default 200, each with a history of a few dozen commits
//! and, in every tenth, a token), writes the API's URL to `DIR/url`, then waits: a file
//! `DIR/change` makes it commit to one repository (answered by `DIR/changed`), `DIR/stop` ends
//! it (as does an hour). Without the variable it returns at once, so `--ignored` runs stay
//! short.

use super::emulator::{commit_files, Emulator};
use super::{acme, TOKEN};
use crate::common::Fake;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[test]
#[ignore = "driven by bench/github-audit"]
fn serve_emulated_organisation() {
    let Some(dir) = std::env::var_os("UPSWEEP_BENCH_DIR").map(PathBuf::from) else {
        return;
    };
    let n: usize = std::env::var("UPSWEEP_BENCH_REPOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let (mut w, git_dir) = acme();
    w.org("bench", &["alice"]);
    // Public repositories fetch without credentials, as on GitHub: the reference `git clone`
    // needs none.
    w.git_auth_public = false;
    for i in 0..n {
        w.repo("bench", &format!("service-{i:03}"));
    }
    let root = w.git_root.clone();
    let emu = Emulator::start(w, git_dir);
    let mut fake = Fake::new(2024);
    for i in 0..n {
        let git = root.join("bench").join(format!("service-{i:03}.git"));
        for c in 0..30 {
            let files: Vec<(String, String)> = (0..3)
                .map(|k| {
                    let f = (c * 3 + k) % 40;
                    let body: String = (0..40)
                        .map(|l| format!("// service {i} file {f} commit {c} line {l}\n"))
                        .collect();
                    (format!("src/module{}/file{f}.rs", f % 5), body)
                })
                .collect();
            let refs: Vec<(&str, &str)> = files
                .iter()
                .map(|(p, b)| (p.as_str(), b.as_str()))
                .collect();
            commit_files(&git, "refs/heads/main", &refs, "work");
        }
        if i % 10 == 0 {
            let db = fake.database_number();
            let token = fake.redis_token(db, false, false);
            let env = format!("UPSTASH_REDIS_REST_TOKEN={token}\n");
            commit_files(&git, "refs/heads/main", &[(".env", env.as_str())], "config");
        }
    }
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    std::fs::write(dir.join("url"), emu.url()).unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3600) && !dir.join("stop").exists() {
        if dir.join("change").exists() && !dir.join("changed").exists() {
            let git = root.join("bench").join("service-007.git");
            commit_files(
                &git,
                "refs/heads/main",
                &[("src/new.rs", "// a change\n")],
                "change",
            );
            std::fs::write(dir.join("changed"), "").unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
