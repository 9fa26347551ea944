//! Past one run and one machine: shards merged equal the whole audit, a killed audit re-run
//! with its cache finishes and equals an uninterrupted one, and two audits sharing a cache
//! both finish without harming it.

use super::acme;
use super::audit::{audit, audit_cmd, comparable, finding, findings, organisation, repo_entry};
use super::emulator::Emulator;
use crate::common::{Fake, Run};
use serde_json::Value;
use std::time::{Duration, Instant};

#[test]
fn shards_merged_equal_the_whole_audit() {
    let (emu, planted) = organisation();
    let whole_cache = tempfile::tempdir().unwrap();
    let whole = audit(&emu, whole_cache.path(), &[]).json();
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    let mut sizes = Vec::new();
    for k in 1..=3 {
        let cache = dir.path().join(format!("cache-{k}"));
        std::fs::create_dir_all(&cache).unwrap();
        let out = dir.path().join(format!("shard-{k}.json"));
        let shard = format!("{k}/3");
        let run = audit(
            &emu,
            &cache,
            &["--shard", &shard, "-o", out.to_str().unwrap()],
        );
        assert!((0..=2).contains(&run.code), "{}", run.stderr);
        let r: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        sizes.push(r["repositories"].as_array().unwrap().len());
        reports.push(out);
    }
    // The six repositories are spread over the shards, each in one.
    assert_eq!(sizes.iter().sum::<usize>(), 6, "{sizes:?}");
    let mut merge = std::process::Command::new(env!("CARGO_BIN_EXE_upsweep"));
    merge.arg("merge").args(&reports).args(["--format", "json"]);
    let run: Run = merge.output().unwrap().into();
    // acme/gone failed in its shard: the merged audit fails the same way.
    assert_eq!(run.code, 2, "{}", run.stderr);
    let merged = run.json();
    assert_eq!(comparable(&merged), comparable(&whole));
    assert_eq!(
        finding(&merged, &planted.shared).unwrap()["locations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The other formats read the merged report too; a report that is not one is refused.
    let mut human = std::process::Command::new(env!("CARGO_BIN_EXE_upsweep"));
    human
        .arg("merge")
        .args(&reports)
        .args(["--format", "human"]);
    let h: Run = human.output().unwrap().into();
    assert!(h.stdout.contains("audited 6 repositories"), "{}", h.stdout);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"findings\": 3}").unwrap();
    let mut m = std::process::Command::new(env!("CARGO_BIN_EXE_upsweep"));
    let r: Run = m.arg("merge").arg(&bad).output().unwrap().into();
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad.json"), "{}", r.stderr);
}

/// An organisation of `n` repositories, each with a few commits and, in every third one, a
/// token.
fn many(n: usize) -> Emulator {
    let (mut w, dir) = acme();
    for i in 0..n {
        w.repo("acme", &format!("svc-{i:02}"));
    }
    let emu = Emulator::start(w, dir);
    let mut fake = Fake::new(11);
    for i in 0..n {
        let full = format!("acme/svc-{i:02}");
        for c in 0..3 {
            let body = format!("service {i} step {c}\n");
            emu.commit(
                &full,
                "refs/heads/main",
                &[(format!("src/step{c}.txt").as_str(), body.as_str())],
                "work",
            );
        }
        if i % 3 == 0 {
            let n = fake.database_number();
            let token = fake.redis_token(n, false, false);
            emu.commit(
                &full,
                "refs/heads/main",
                &[(
                    ".env",
                    format!("UPSTASH_REDIS_REST_TOKEN={token}\n").as_str(),
                )],
                "config",
            );
        }
    }
    emu.clear_logs();
    emu
}

/// Completed states in the cache.
fn states(cache: &std::path::Path) -> usize {
    let dir = cache.join("state").join("acme");
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_killed_audit_rerun_with_its_cache_finishes_and_equals_an_uninterrupted_one() {
    let emu = many(24);
    let reference_cache = tempfile::tempdir().unwrap();
    let reference = audit(&emu, reference_cache.path(), &["--jobs", "1"]).json();
    assert_eq!(reference["repositories"].as_array().unwrap().len(), 24);

    let cache = tempfile::tempdir().unwrap();
    let mut child = audit_cmd(&emu, cache.path(), &["--jobs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL: no chance to clean up) once a few repositories are done.
    let started = Instant::now();
    while states(cache.path()) < 4 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = states(cache.path());
    assert!(
        (4..24).contains(&done),
        "killed after {done} of 24 repositories (the audit must be stopped midway)"
    );
    let rerun = audit(&emu, cache.path(), &["--jobs", "1"]);
    assert_eq!(rerun.code, 1, "{}", rerun.stderr);
    let r = rerun.json();
    assert_eq!(comparable(&r), comparable(&reference));
    // What the killed run finished is not scanned again.
    let unchanged = r["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "unchanged")
        .count();
    assert!(unchanged >= 3, "{unchanged}");
}

#[test]
fn two_audits_sharing_a_cache_both_finish_and_leave_it_whole() {
    let emu = many(12);
    let cache = tempfile::tempdir().unwrap();
    let a = audit_cmd(&emu, cache.path(), &["--jobs", "3"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let b = audit_cmd(&emu, cache.path(), &["--jobs", "3"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let a: Run = a.wait_with_output().unwrap().into();
    let b: Run = b.wait_with_output().unwrap().into();
    assert_eq!((a.code, b.code), (1, 1), "{}\n{}", a.stderr, b.stderr);
    assert_eq!(comparable(&a.json()), comparable(&b.json()));
    // The cache is whole: a third run finds every repository unchanged and the same report.
    let c = audit(&emu, cache.path(), &[]).json();
    assert_eq!(comparable(&c), comparable(&a.json()));
    for e in c["repositories"].as_array().unwrap() {
        assert_eq!(e["status"], "unchanged", "{e}");
    }
    assert_eq!(findings(&c).len(), 4);
    assert_eq!(repo_entry(&c, "acme/svc-03")["commits"], 4);
}

#[test]
fn a_repository_killed_midway_resumes_from_its_checkpoint() {
    let (mut w, dir) = acme();
    w.repo("acme", "big");
    let emu = Emulator::start(w, dir);
    // 12,000 small files in one commit (the checkpoint comes every 5,000 blobs) and a token.
    let bodies: Vec<(String, String)> = (0..12_000)
        .map(|i| {
            let text: String = (0..40)
                .map(|l| format!("file {i} line {l}: nothing to see here, moving on\n"))
                .collect();
            (format!("data/{}/f{i}.txt", i % 50), text)
        })
        .collect();
    let mut files: Vec<(&str, &str)> = bodies
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let mut fake = Fake::new(3);
    let n = fake.database_number();
    let token = fake.redis_token(n, false, false);
    let env = format!("UPSTASH_REDIS_REST_TOKEN={token}\n");
    files.push((".env", env.as_str()));
    emu.commit("acme/big", "refs/heads/main", &files, "a lot");
    emu.clear_logs();

    let reference_cache = tempfile::tempdir().unwrap();
    let reference = audit(&emu, reference_cache.path(), &[]).json();
    let cache = tempfile::tempdir().unwrap();
    let state = cache.path().join("state/acme/big.json");
    let mut child = audit_cmd(&emu, cache.path(), &["--threads", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once a checkpoint of the unfinished scan is on disk.
    let started = Instant::now();
    let mut checkpoint: Option<Value> = None;
    while checkpoint.is_none() && started.elapsed() < Duration::from_secs(120) {
        if let Ok(bytes) = std::fs::read(&state) {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                checkpoint = Some(v);
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let checkpoint = checkpoint.expect("a checkpoint was written");
    assert_eq!(
        checkpoint["complete"], false,
        "killed before the scan ended"
    );
    let done = checkpoint["scanned"].as_array().unwrap().len();
    assert!((5_000..12_001).contains(&done), "{done}");

    let rerun = audit(&emu, cache.path(), &[]);
    let r = rerun.json();
    assert_eq!(rerun.code, 1, "{}", rerun.stderr);
    let new = repo_entry(&r, "acme/big")["new_blobs"].as_u64().unwrap();
    assert!(
        new <= 12_001 - done as u64,
        "{new} scanned again after {done}"
    );
    assert_eq!(comparable(&r), comparable(&reference));
    assert!(finding(&r, &token).is_some());
}
