//! The emulated organisation `bench/github-audit` measures against: an ignored test that serves
//! the emulator until told to stop. With `UPSWEEP_BENCH_DIR=DIR` it builds organisation `bench`
//! (`UPSWEEP_BENCH_REPOS` repositories, default 200, each with a history of a few dozen commits
//! and, in every tenth, a token; and texts for `--issues`: 30 issues and pull requests with 3
//! comments each and 3 review comments, a token in a few of them, all an hour older than the
//! emulator's clock, so no run's overlap lists them again), writes the API's URL to `DIR/url`,
//! then waits:
//!
//! - a file `DIR/change` makes it commit to one repository and add a comment holding a new
//!   token to one of its issues (answered by `DIR/changed`);
//! - a file `DIR/tally-TAG` makes it write `DIR/requests-TAG.json`: the requests it served
//!   since the last tally (`api`, of which `texts` the three listings of texts, answering
//!   `texts_bytes` of JSON, and `git`), then forget them;
//! - `DIR/stop` ends it (as does an hour).
//!
//! Without the variable it returns at once, so `--ignored` runs stay short.

use super::emulator::{commit_files, Emulator, World};
use super::{acme, TOKEN};
use crate::common::Fake;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The repository the change goes to.
const CHANGED: &str = "service-007";

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
    let mut text_fake = Fake::new(2025);
    for i in 0..n {
        texts(&mut w, i, &mut text_fake);
    }
    // What a run lists from is the server's clock less an overlap of minutes: texts an hour old
    // are behind every run's point.
    w.advance(3600);
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
            commit_files(
                &git,
                "refs/heads/main",
                &[(".env", &env(&mut fake))],
                "config",
            );
        }
    }
    emu.clear_logs();
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    std::fs::write(dir.join("url"), emu.url()).unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3600) && !dir.join("stop").exists() {
        if dir.join("change").exists() && !dir.join("changed").exists() {
            let git = root.join("bench").join(format!("{CHANGED}.git"));
            commit_files(
                &git,
                "refs/heads/main",
                &[("src/new.rs", "// a change\n")],
                "change",
            );
            let body = format!("still failing with\n{}", env(&mut text_fake));
            emu.world()
                .comment(&format!("bench/{CHANGED}"), 1, &body, false);
            std::fs::write(dir.join("changed"), "").unwrap();
        }
        tally(&emu, &dir);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `.env` line with a new Redis token.
fn env(fake: &mut Fake) -> String {
    let db = fake.database_number();
    format!(
        "UPSTASH_REDIS_REST_TOKEN={}\n",
        fake.redis_token(db, false, false)
    )
}

/// Repository `i`'s texts: 30 issues (every third a pull request), 3 comments on each, a review
/// comment on each of the first 3 pull requests. A token in issue 2's body of every 40th
/// repository from the 4th, in a comment of every 40th from the 14th, in a review comment of
/// every 40th from the 24th.
fn texts(w: &mut World, i: usize, fake: &mut Fake) {
    let repo = format!("bench/service-{i:03}");
    for k in 1..=30u64 {
        let pr = k % 3 == 0;
        let mut body: String = (0..5)
            .map(|l| {
                format!(
                    "Service {i} {} {k}, paragraph {l}: steps, logs, what was expected.\n",
                    if pr { "change" } else { "report" }
                )
            })
            .collect();
        if k == 2 && i % 40 == 3 {
            body.push_str(&format!("my settings:\n{}", env(fake)));
        }
        let title = format!("Service {i}: {} {k}", if pr { "change" } else { "problem" });
        let number = w.issue(&repo, &title, &body, pr);
        for c in 0..3 {
            let mut text = format!("Comment {c} on {number}: seen here too, with version 1.{c}.\n");
            if c == 1 && k == 5 && i % 40 == 13 {
                text.push_str(&env(fake));
            }
            w.comment(&repo, number, &text, false);
        }
        if pr && k <= 9 {
            let mut text = format!("Review of {number}: this line could use the pool.\n");
            if k == 6 && i % 40 == 23 {
                text.push_str(&env(fake));
            }
            w.comment(&repo, number, &text, true);
        }
    }
}

/// Answer each `DIR/tally-TAG` with `DIR/requests-TAG.json` (written whole, then renamed into
/// place): the requests served since the last tally, which it forgets.
fn tally(emu: &Emulator, dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(tag) = name.strip_prefix("tally-") else {
            continue;
        };
        let json = {
            let mut w = emu.world();
            let listings: Vec<usize> = w
                .log
                .iter()
                .filter(|r| {
                    let p = r.path.split('?').next().unwrap_or("");
                    p.ends_with("/issues")
                        || p.ends_with("/issues/comments")
                        || p.ends_with("/pulls/comments")
                })
                .map(|r| r.answer_bytes)
                .collect();
            let json = format!(
                "{{\"api\": {}, \"texts\": {}, \"texts_bytes\": {}, \"git\": {}}}\n",
                w.log.len(),
                listings.len(),
                listings.iter().sum::<usize>(),
                w.git_log.len()
            );
            w.log.clear();
            w.git_log.clear();
            json
        };
        let tmp = dir.join(format!(".requests-{tag}.json"));
        std::fs::write(&tmp, json).unwrap();
        std::fs::rename(&tmp, dir.join(format!("requests-{tag}.json"))).unwrap();
        std::fs::remove_file(e.path()).unwrap();
    }
}
