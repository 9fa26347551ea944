//! The fault matrix. Each test breaks a run in one way, then checks what the issue asks of
//! every fault: after at most one re-run, each rotation that happened has its new values on
//! disk and its journal line, no resource was rotated more often than planned, the output
//! said what happened, and no credential, old or new, is in any output, journal or error.
//!
//! The faults are real: the child is killed with SIGKILL or sent SIGINT/SIGTERM while the
//! emulator holds back the answer to a rotation it has made; a full disk is `RLIMIT_FSIZE` set
//! in the child (writes past it fail with EFBIG, as on a full filesystem); 503s, resets and
//! garbled answers come after the emulator acted.

use super::{
    assert_all_dead, assert_current_values_saved, assert_run_clean, assert_state_clean,
    journal_lines, plant, posts, rotations_per_resource, Rv, PLANNED,
};
use crate::common::Run;
use crate::emulator::{shop, Fault, FaultKind, Shop};
use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const ARGS: [&str; 4] = ["--yes", "--new-credentials", "new.env", "leaks"];

/// Start `upsweep revoke ARGS` in the background, its output piped.
fn spawn(rv: &Rv, s: &Shop, args: &[&str]) -> Child {
    rv.command(&s.emu, &s.key, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start upsweep")
}

/// Wait (at most 30 s) until the emulator has received `n` rotation requests.
fn wait_for_rotations(s: &Shop, n: usize) {
    let started = Instant::now();
    while s.emu.rotations().len() < n {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "only {} rotation(s) arrived: {:#?}",
            s.emu.rotations().len(),
            s.emu.rotations()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(child: &Child, sig: i32) {
    let pid = i32::try_from(child.id()).expect("a pid");
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig})");
}

/// Wait for the child and collect its output.
fn finish(mut child: Child) -> Run {
    let mut out = String::new();
    let mut err = String::new();
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t = std::thread::spawn(move || {
        let mut e = String::new();
        let _ = se.read_to_string(&mut e);
        e
    });
    let _ = so.read_to_string(&mut out);
    let status = child.wait().expect("wait");
    err.push_str(&t.join().unwrap());
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out,
        stderr: err,
    }
}

/// After the re-run: every planned rotation made exactly once (the EU next key twice), every
/// leaked value dead, every value now in force in `new.env`, nothing left unfinished in the
/// journal, a third run with nothing to do, and no secret anywhere.
fn assert_finished(rv: &Rv, s: &Shop, leaked: &[String], rotations: &[String]) {
    assert_eq!(
        rotations_per_resource(s, rotations),
        PLANNED,
        "rotations per resource: {rotations:#?}"
    );
    let secrets: Vec<&str> = leaked.iter().map(String::as_str).collect();
    assert_all_dead(s, &secrets);
    assert_current_values_saved(rv, s, "new.env");
    let outcomes = journal_lines(&rv.journal_path(), "outcome");
    for id in [
        "redis:",
        "vector:",
        "search:",
        "qstash-token:",
        "qstash-signing-keys:",
    ] {
        assert!(
            outcomes
                .iter()
                .any(|l| l["id"].as_str().unwrap_or("").starts_with(id)),
            "no outcome line for {id}: {outcomes:#?}"
        );
    }
    s.emu.clear_log();
    let third = rv.run(s, &["leaks"]);
    assert_eq!(third.code, 0, "{}\n{}", third.stdout, third.stderr);
    assert!(
        third.stdout.contains("Nothing to rotate"),
        "{}",
        third.stdout
    );
    assert!(!third.stdout.contains("Unfinished"), "{}", third.stdout);
    assert!(posts(&s.emu).is_empty());
    assert_run_clean(&s.emu, "the third run", &third);
    assert_state_clean(&s.emu, rv, &[]);
}

#[test]
fn kill_9_after_the_nth_rotation_reached_upstash_then_a_rerun_completes() {
    // The first write, one in the middle, the first of the two EU signing-key rotations or
    // the US one, and the very last.
    for (seed, n) in [(201u64, 1usize), (202, 4), (203, 6), (204, 8)] {
        let s = shop(seed);
        let rv = Rv::new();
        let leaked = plant(&rv, &s).secrets;
        s.emu.fault(
            Fault::rotation(FaultKind::ActThen(Box::new(FaultKind::Slow(
                Duration::from_secs(20),
            ))))
            .skip(n - 1)
            .times(1),
        );
        let child = spawn(&rv, &s, &ARGS);
        wait_for_rotations(&s, n);
        let mut child = child;
        child.kill().expect("SIGKILL");
        let killed = finish(child);
        assert_ne!(killed.code, 0, "n={n}: {}", killed.stdout);
        let first = s.emu.rotations();
        assert_eq!(first.len(), n, "n={n}: nothing after the kill");
        s.emu.clear_faults();

        let again = rv.run(&s, &ARGS);
        assert_eq!(again.code, 0, "n={n}:\n{}\n{}", again.stdout, again.stderr);
        assert!(
            again
                .stdout
                .contains("Settling what an earlier run left unfinished"),
            "n={n}: {}",
            again.stdout
        );
        assert!(
            again
                .stdout
                .contains("was made; its new values are saved now"),
            "n={n}: {}",
            again.stdout
        );
        // The receivers' warning counts the killed run's signing-key rotation too.
        if first[n - 1].contains("qstash-eu-central-1.upstash.io /v2/keys/rotate") {
            assert!(
                again.stdout.contains("after two rotations QStash signs"),
                "n={n}: {}",
                again.stdout
            );
        }
        assert_run_clean(&s.emu, "the killed run", &killed);
        assert_run_clean(&s.emu, "the re-run", &again);
        let all = s.emu.rotations();
        assert_finished(&rv, &s, &leaked, &all);
    }
}

#[test]
fn ctrl_c_finishes_the_action_in_flight_and_a_rerun_does_the_rest() {
    for (seed, n, sig, code, said) in [
        (211u64, 3usize, libc::SIGINT, 130, "Interrupted (Ctrl-C)"),
        (212, 2, libc::SIGTERM, 143, "Stopped (SIGTERM)"),
    ] {
        let s = shop(seed);
        let rv = Rv::new();
        let leaked = plant(&rv, &s).secrets;
        // The nth rotation is made, and its answer comes a moment later: the signal arrives
        // while it is in flight.
        s.emu.fault(
            Fault::rotation(FaultKind::ActThen(Box::new(FaultKind::Slow(
                Duration::from_millis(3000),
            ))))
            .skip(n - 1)
            .times(1),
        );
        let child = spawn(&rv, &s, &ARGS);
        wait_for_rotations(&s, n);
        signal(&child, sig);
        let run = finish(child);
        assert_eq!(run.code, code, "{}\n{}", run.stdout, run.stderr);
        assert_eq!(s.emu.rotations().len(), n, "nothing begun after the signal");
        assert!(
            run.stdout
                .contains(&format!("{said}: {n} actions attempted, {} left.", 7 - n)),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("  left: "), "{}", run.stdout);
        assert!(
            run.stderr.contains("interrupted: finishing and recording"),
            "{}",
            run.stderr
        );
        // The action in flight was finished, journaled and saved.
        assert_eq!(run.stdout.matches("[rotated]").count(), n, "{}", run.stdout);
        let outcomes = journal_lines(&rv.journal_path(), "outcome");
        assert_eq!(outcomes.len(), n, "{outcomes:#?}");
        assert!(outcomes.iter().all(|o| o["new_values"] == "saved"));
        assert_eq!(rv.text("new.env").matches(": new values as of ").count(), n);
        assert_run_clean(&s.emu, "the interrupted run", &run);
        s.emu.clear_faults();

        let again = rv.run(&s, &ARGS);
        assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
        assert!(
            !again.stdout.contains("Settling"),
            "nothing was left in flight"
        );
        assert_run_clean(&s.emu, "the re-run", &again);
        let all = s.emu.rotations();
        assert_finished(&rv, &s, &leaked, &all);
    }
}

#[test]
fn a_second_ctrl_c_stops_at_once_and_the_journal_still_tells_the_truth() {
    let s = shop(221);
    let rv = Rv::new();
    let leaked = plant(&rv, &s).secrets;
    s.emu.fault(
        Fault::rotation(FaultKind::ActThen(Box::new(FaultKind::Slow(
            Duration::from_secs(20),
        ))))
        .skip(3)
        .times(1),
    );
    let child = spawn(&rv, &s, &ARGS);
    wait_for_rotations(&s, 4);
    let started = Instant::now();
    signal(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGINT);
    let run = finish(child);
    assert_eq!(run.code, 130, "{}\n{}", run.stdout, run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the second Ctrl-C did not wait for the held answer"
    );
    // The fourth write has its intent and no outcome.
    let intents = journal_lines(&rv.journal_path(), "intent");
    let outcomes = journal_lines(&rv.journal_path(), "outcome");
    assert_eq!((intents.len(), outcomes.len()), (4, 3));
    s.emu.clear_faults();

    // A dry run names what is unfinished, and sends nothing.
    let dry = rv.run(&s, &["leaks"]);
    assert_eq!(dry.code, 1, "{}", dry.stdout);
    assert!(
        dry.stdout.contains("Unfinished by an earlier run (1"),
        "{}",
        dry.stdout
    );
    assert_eq!(s.emu.rotations().len(), 4);

    let again = rv.run(&s, &ARGS);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("the interrupted rotation was made"),
        "{}",
        again.stdout
    );
    assert_run_clean(&s.emu, "the stopped run", &run);
    assert_run_clean(&s.emu, "the re-run", &again);
    let all = s.emu.rotations();
    assert_finished(&rv, &s, &leaked, &all);
}

/// Run with writes limited to `limit` bytes per file (`RLIMIT_FSIZE`): past it a write fails
/// with EFBIG, as on a full disk (SIGXFSZ is ignored, so the write returns the error).
#[cfg(target_os = "linux")]
fn run_with_file_limit(rv: &Rv, s: &Shop, args: &[&str], limit: u64) -> Run {
    use std::os::unix::process::CommandExt;
    let mut c = rv.command(&s.emu, &s.key, args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            let r = libc::rlimit {
                rlim_cur: limit as libc::rlim_t,
                rlim_max: limit as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &r) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    c.output().expect("run upsweep").into()
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_refused_before_anything_changes() {
    let s = shop(231);
    let rv = Rv::new();
    plant(&rv, &s);
    let args = [
        "--yes",
        "--new-credentials",
        "new.env",
        "--audit-log",
        "audit.jsonl",
        "leaks",
    ];
    let run = run_with_file_limit(&rv, &s, &args, 0);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("is the disk full or read-only?")
            && run.stderr.contains("nothing was rotated"),
        "{}",
        run.stderr
    );
    assert!(posts(&s.emu).is_empty(), "{:#?}", posts(&s.emu));
    assert!(!rv.path().join("new.env").exists(), "no empty file left");
    assert!(
        !rv.path().join("audit.jsonl").exists(),
        "no empty file left"
    );
    assert_run_clean(&s.emu, "the refused run", &run);
}

#[cfg(target_os = "linux")]
#[test]
fn a_disk_that_fills_mid_run_stops_before_the_next_action_and_a_rerun_completes() {
    let s = shop(232);
    let rv = Rv::new();
    let leaked = plant(&rv, &s).secrets;
    let run = run_with_file_limit(&rv, &s, &ARGS, 5000);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let made = s.emu.rotations().len();
    assert!(
        made > 0 && made < 8,
        "the limit should let some rotations through: {made}\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("Stopped: "), "{}", run.stdout);
    assert!(run.stderr.contains("cannot write"), "{}", run.stderr);
    assert_run_clean(&s.emu, "the run on a full disk", &run);

    let again = rv.run(&s, &ARGS);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_run_clean(&s.emu, "the re-run", &again);
    let all = s.emu.rotations();
    assert_finished(&rv, &s, &leaked, &all);
}

#[cfg(target_os = "linux")]
#[test]
fn new_values_that_cannot_be_saved_stop_the_run_and_a_rerun_saves_them() {
    let s = shop(233);
    let rv = Rv::new();
    let leaked = plant(&rv, &s).secrets;
    // The credentials file of an earlier run, nearly at the size limit; the journal is small:
    // the first rotation's values are the first write to fail.
    let header = "# New Upstash credentials written by `upsweep revoke`. Redeploy every client with\n\
                  # them, then delete this file. A later block for a resource replaces an earlier one.\n";
    let padding = format!("# {}\n", "-".repeat(3000));
    rv.write("new.env", format!("{header}{padding}"));
    {
        use std::os::unix::fs::PermissionsExt;
        let p = rv.path().join("new.env");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let limit = (header.len() + padding.len() + 120) as u64;
    let run = run_with_file_limit(&rv, &s, &ARGS, limit);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        s.emu.rotations().len(),
        1,
        "stopped after the first rotation"
    );
    assert!(
        run.stdout
            .contains("Stopped: --new-credentials new.env: cannot write"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("could NOT be saved"), "{}", run.stdout);
    let outcome = &journal_lines(&rv.journal_path(), "outcome")[0];
    assert_eq!(outcome["new_values"], "not-saved", "{outcome}");
    assert_run_clean(&s.emu, "the run", &run);

    let again = rv.run(&s, &ARGS);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("its new values are saved now"),
        "{}",
        again.stdout
    );
    assert_run_clean(&s.emu, "the re-run", &again);
    let all = s.emu.rotations();
    assert_finished(&rv, &s, &leaked, &all);
}

#[test]
fn errors_after_upstash_acted_are_read_back_never_resent() {
    let s = shop(241);
    let rv = Rv::new();
    let leaked = plant(&rv, &s).secrets;
    let (cache, legacy, eu) = {
        let w = s.emu.world();
        (
            w.databases[s.cache].id.clone(),
            w.databases[s.legacy].id.clone(),
            w.qstash[s.eu].id.clone(),
        )
    };
    let after = |k: FaultKind| FaultKind::ActThen(Box::new(k));
    // A 503 after the reset, a garbled answer after the legacy reset, the connection cut
    // after the token rotation, and a 503 after the first of two signing-key rotations.
    s.emu.fault(
        Fault::new(
            &format!("/v2/redis/reset-password/{cache}"),
            after(FaultKind::Status(503, "Service Unavailable".into())),
        )
        .times(1),
    );
    s.emu.fault(
        Fault::new(
            &format!("/v2/redis/reset-password/{legacy}"),
            after(FaultKind::Malformed),
        )
        .times(1),
    );
    s.emu.fault(
        Fault::new(
            &format!("/v2/qstash/rotate-token/{eu}"),
            after(FaultKind::Reset),
        )
        .times(1),
    );
    s.emu.fault(
        Fault::new(
            "/v2/keys/rotate",
            after(FaultKind::Status(503, "busy".into())),
        )
        .on_host("qstash-eu-central-1.upstash.io")
        .times(1),
    );
    let run = rv.run(&s, &ARGS);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.matches("[rotated]").count(), 7, "{}", run.stdout);
    assert_eq!(
        run.stdout
            .matches("but reading it again shows the rotation was made")
            .count(),
        4,
        "{}",
        run.stdout
    );
    // The EU signing keys: the first rotation's 503 came after it was made, so one more
    // rotation (not two) was sent, and the warning counts both.
    assert!(
        run.stdout.contains("after two rotations QStash signs"),
        "{}",
        run.stdout
    );
    assert_run_clean(&s.emu, "the run", &run);
    let all = s.emu.rotations();
    assert_finished(&rv, &s, &leaked, &all);
}

#[test]
fn a_write_that_did_not_happen_is_reported_not_made_and_never_resent() {
    let s = shop(242);
    let rv = Rv::new();
    let leaked = plant(&rv, &s).secrets;
    let (vx, sx) = {
        let w = s.emu.world();
        (w.vector[s.vector].id.clone(), w.search[s.search].id.clone())
    };
    // A 503 that did not act, and a connection cut before the request was served.
    s.emu.fault(
        Fault::new(
            &format!("/v2/vector/index/{vx}/reset-password"),
            FaultKind::Status(503, "Service Unavailable".into()),
        )
        .method("POST"),
    );
    s.emu.fault(
        Fault::new(&format!("/v2/search/{sx}/reset-password"), FaultKind::Reset).method("POST"),
    );
    let run = rv.run(&s, &ARGS);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.matches("[FAILED]").count(), 2, "{}", run.stdout);
    assert_eq!(
        run.stdout
            .matches("reading it again shows nothing changed, and nothing was sent again")
            .count(),
        2,
        "{}",
        run.stdout
    );
    let first = s.emu.rotations();
    assert_eq!(
        rotations_per_resource(&s, &first)[2..4],
        [1, 1],
        "each sent once: {first:#?}"
    );
    assert_run_clean(&s.emu, "the run", &run);
    s.emu.clear_faults();
    let again = rv.run(&s, &ARGS);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    // The two that were not made are made now: two more writes, the others done.
    let all = s.emu.rotations();
    let mut planned = PLANNED;
    planned[2] += 1;
    planned[3] += 1;
    assert_eq!(rotations_per_resource(&s, &all), planned);
    let secrets: Vec<&str> = leaked.iter().map(String::as_str).collect();
    assert_all_dead(&s, &secrets);
    assert_current_values_saved(&rv, &s, "new.env");
}

#[test]
fn a_second_run_for_the_account_is_refused_while_the_first_holds_the_lock() {
    let s = shop(252);
    let rv = Rv::new();
    let leaked = plant(&rv, &s).secrets;
    // The first run is in the middle of its first rotation (held by the emulator).
    s.emu.fault(
        Fault::rotation(FaultKind::ActThen(Box::new(FaultKind::Slow(
            Duration::from_secs(20),
        ))))
        .times(1),
    );
    let first = spawn(&rv, &s, &ARGS);
    wait_for_rotations(&s, 1);
    let second = rv.run(&s, &["--yes", "--new-credentials", "second.env", "leaks"]);
    assert_eq!(second.code, 2, "{}\n{}", second.stdout, second.stderr);
    assert!(
        second.stderr.contains(
            "another `upsweep revoke` is acting for ops@example.com on this machine (process "
        ),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains("Nothing was changed by this run"));
    assert!(
        !rv.path().join("second.env").exists(),
        "no file left behind"
    );
    assert_eq!(s.emu.rotations().len(), 1, "the second run sent nothing");
    assert_run_clean(&s.emu, "the refused run", &second);
    // The first run is killed; the lock dies with it, and a re-run finishes.
    let mut first = first;
    first.kill().unwrap();
    finish(first);
    s.emu.clear_faults();
    let again = rv.run(&s, &ARGS);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let all = s.emu.rotations();
    assert_finished(&rv, &s, &leaked, &all);
}

#[test]
fn two_runs_started_together_make_one_set_of_rotations() {
    let s = shop(251);
    let rv = Rv::new();
    let leaked = plant(&rv, &s).secrets;
    // Each rotation answers after 500 ms: the runs overlap.
    s.emu.fault(Fault::rotation(FaultKind::ActThen(Box::new(
        FaultKind::Slow(Duration::from_millis(500)),
    ))));
    let a = spawn(&rv, &s, &["--yes", "--new-credentials", "new.env", "leaks"]);
    let b = spawn(&rv, &s, &["--yes", "--new-credentials", "b.env", "leaks"]);
    let (a, b) = (finish(a), finish(b));
    let runs = [&a, &b];
    // One run rotates everything. The other is refused by the lock (or, on a machine so slow
    // that it only planned after the first had finished, finds everything already rotated).
    let winner = runs
        .iter()
        .find(|r| r.stdout.matches("[rotated]").count() == 7)
        .unwrap_or_else(|| {
            panic!(
                "no run rotated everything:\n{}\n---\n{}",
                a.stdout, b.stdout
            )
        });
    let loser = runs.iter().find(|r| !std::ptr::eq(**r, *winner)).unwrap();
    assert_eq!(winner.code, 0, "{}", winner.stderr);
    assert!(
        (loser.code == 2
            && loser
                .stderr
                .contains("another `upsweep revoke` is acting for ops@example.com"))
            || (loser.code == 0 && !loser.stdout.contains("[rotated]")),
        "{}\n{}",
        loser.stdout,
        loser.stderr
    );
    if std::ptr::eq(*winner, &b) {
        let _ = std::fs::remove_file(rv.path().join("new.env"));
        std::fs::rename(rv.path().join("b.env"), rv.path().join("new.env")).unwrap();
    }
    assert_run_clean(&s.emu, "run a", &a);
    assert_run_clean(&s.emu, "run b", &b);
    s.emu.clear_faults();
    let all = s.emu.rotations();
    assert_finished(&rv, &s, &leaked, &all);
}

#[test]
fn a_confirming_read_that_fails_keeps_the_values_and_a_rerun_confirms() {
    let s = shop(261);
    let rv = Rv::new();
    let (db, vx) = {
        let w = s.emu.world();
        (w.databases[s.cache].clone(), w.vector[s.vector].clone())
    };
    rv.write(
        "leaks/a.env",
        format!("UPSTASH_REDIS_REST_TOKEN={}\n", db.rest_token),
    );
    rv.write(
        "leaks/b.env",
        format!("UPSTASH_VECTOR_REST_TOKEN={}\n", vx.token),
    );
    // The read before the rotation works; every read after it fails (with the retries).
    s.emu.fault(
        Fault::new(
            &format!("/v2/redis/database/{}", db.id),
            FaultKind::Status(500, "down".into()),
        )
        .method("GET")
        .skip(1),
    );
    s.emu.fault(
        Fault::new(
            &format!("/v2/vector/index/{}", vx.id),
            FaultKind::Status(500, "down".into()),
        )
        .method("GET")
        .skip(1),
    );
    let run = rv.run(&s, &ARGS);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.matches("[UNCONFIRMED]").count(),
        2,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "rotated, not yet confirmed: Redis database 'prod-cache' (eu-west-1) could not be read again"
        ) && run
            .stdout
            .contains("the new values from Upstash's answer are saved"),
        "{}",
        run.stdout
    );
    // Redis answers a reset with the new values: they are on disk although no read worked.
    let new_token = s.emu.world().databases[s.cache].rest_token.clone();
    assert!(rv.text("new.env").contains(&format!("={new_token}\n")));
    // Vector answers "OK": its new tokens could not be read, and the journal says so.
    let outcomes = journal_lines(&rv.journal_path(), "outcome");
    let vector = outcomes
        .iter()
        .find(|o| o["action"] == "vector-reset-password")
        .unwrap();
    assert_eq!(vector["new_values"], "not-saved", "{vector}");
    assert_eq!(vector["rotations"], 1);
    assert_run_clean(&s.emu, "the run", &run);

    s.emu.clear_faults();
    let again = rv.run(&s, &ARGS);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("its new values are saved now"),
        "{}",
        again.stdout
    );
    let new_vx = s.emu.world().vector[s.vector].token.clone();
    assert!(rv.text("new.env").contains(&format!("={new_vx}\n")));
    assert_eq!(s.emu.rotations().len(), 2, "nothing rotated twice");
    assert_all_dead(&s, &[&db.rest_token, &vx.token]);
    assert_run_clean(&s.emu, "the re-run", &again);
    assert_state_clean(&s.emu, &rv, &[]);
}

#[test]
fn a_long_retry_after_is_said_as_it_is_and_not_waited_for() {
    let s = shop(271);
    let rv = Rv::new();
    let token = s.emu.world().databases[s.cache].rest_token.clone();
    rv.write("leaks/a.env", format!("UPSTASH_REDIS_REST_TOKEN={token}\n"));
    s.emu.fault(Fault::rotation(FaultKind::RateLimited {
        retry_after: Some(120),
    }));
    let started = Instant::now();
    let run = rv.run(&s, &ARGS);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("Upstash asked to wait 2 minutes: wait that long, then re-run"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("a minute"), "{}", run.stdout);
    assert_eq!(
        s.emu.rotations().len(),
        1,
        "a 429 is not resent past its wait"
    );
    assert_eq!(s.emu.world().databases[s.cache].rest_token, token);
}

#[test]
fn a_lost_answer_with_an_unreadable_resource_is_unknown_until_a_rerun_settles_it() {
    let s = shop(281);
    let rv = Rv::new();
    let vx = s.emu.world().vector[s.vector].clone();
    rv.write(
        "leaks/b.env",
        format!("UPSTASH_VECTOR_REST_TOKEN={}\n", vx.token),
    );
    // The reset is made but answered 500, and the index cannot be read afterwards.
    s.emu.fault(
        Fault::rotation(FaultKind::ActThen(Box::new(FaultKind::Status(
            500,
            "oops".into(),
        ))))
        .times(1),
    );
    s.emu.fault(
        Fault::new(
            &format!("/v2/vector/index/{}", vx.id),
            FaultKind::Status(502, "bad gateway".into()),
        )
        .method("GET")
        .skip(1),
    );
    let run = rv.run(&s, &ARGS);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("[UNKNOWN] Vector index 'embeddings'")
            && run.stdout.contains("may or may not have been made"),
        "{}",
        run.stdout
    );
    assert_eq!(s.emu.rotations().len(), 1, "never resent");
    let outcome = &journal_lines(&rv.journal_path(), "outcome")[0];
    assert_eq!(outcome["outcome"], "unknown");
    assert_run_clean(&s.emu, "the run", &run);

    s.emu.clear_faults();
    let again = rv.run(&s, &ARGS);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again
            .stdout
            .contains("the interrupted rotation was made; its new values are saved now"),
        "{}",
        again.stdout
    );
    assert_eq!(
        s.emu.rotations().len(),
        1,
        "settled by reading, not by rotating"
    );
    let new = s.emu.world().vector[s.vector].token.clone();
    assert!(rv
        .text("new.env")
        .contains(&format!("UPSTASH_VECTOR_REST_TOKEN={new}\n")));
    assert_all_dead(&s, &[&vx.token]);
    assert_run_clean(&s.emu, "the re-run", &again);
    assert_state_clean(&s.emu, &rv, &[]);
}
