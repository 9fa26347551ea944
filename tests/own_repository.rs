//! upsweep's own repository scans clean: `cargo run --release -- scan .`, the README's first
//! command, is the first thing a new user runs, and it must not report the project's own test
//! values. The tracked files (as `git ls-files` lists them, in their working-tree state) are
//! copied to a fresh directory, as a clone would have them, and scanned with no flag.

use crate::cli::run;
use crate::common::TestEnv;
use std::path::Path;
use std::process::Command;

#[test]
fn the_repository_s_tracked_files_scan_clean_with_no_flag() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output();
    let Some(listed) = listed.ok().filter(|o| o.status.success()) else {
        // A source tarball has no git: say so. CI always runs on a clone, so there it fails.
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is not a git checkout: cannot list the tracked files",
            root.display()
        );
        eprintln!("SKIPPED: {} is not a git checkout", root.display());
        return;
    };
    let env = TestEnv::new();
    let mut copied = 0;
    for rel in listed.stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let rel = String::from_utf8_lossy(rel).into_owned();
        let from = root.join(&rel);
        // Tracked but deleted in the working tree, or a submodule: not in a clone's files.
        if !from.is_file() {
            continue;
        }
        env.write(&rel, std::fs::read(&from).expect("read a tracked file"));
        copied += 1;
    }
    assert!(copied > 50, "only {copied} tracked files were found");
    let r = run(&env, &["scan"]);
    assert_eq!(
        r.code, 0,
        "`upsweep scan .` on this repository reports something: build the value at test time \
         (from its layout, or with tests/common/fake.rs) or allow it with a reason.\n{}\n{}",
        r.stdout, r.stderr
    );
    assert!(
        r.stdout.contains("no Upstash credentials found"),
        "{}",
        r.stdout
    );
}
