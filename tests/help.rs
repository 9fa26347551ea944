//! `--help` is complete: every command's help lists every flag it takes, each with a
//! description. The commands are walked from clap's own definition, so a new command or flag
//! is checked without touching this test.

use crate::cli::run;
use crate::common::TestEnv;
use clap::CommandFactory;

/// Every command path (`["scan"]`, `["baseline", "create"]`) and its flags' long names.
fn commands() -> Vec<(Vec<String>, Vec<String>)> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, Vec<String>)>) {
        if cmd.has_subcommands() {
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let mut p = path.clone();
                p.push(sub.get_name().to_string());
                walk(sub, p, out);
            }
            return;
        }
        let flags = cmd
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long().map(str::to_string))
            .collect();
        out.push((path, flags));
    }
    let mut out = Vec::new();
    walk(&upsweep::cli::Cli::command(), Vec::new(), &mut out);
    out
}

/// The help's entries (`--flag`) and their descriptions: the text after the flag on its line,
/// or the indented lines below it.
fn entries(help: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = help.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if !(2..=6).contains(&indent) || !t.starts_with('-') {
            continue;
        }
        let Some(long) = t.split([' ', ',']).find(|w| w.starts_with("--")).map(|w| {
            w.trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_string()
        }) else {
            continue;
        };
        // Same line: after the flag and its value name, two spaces or more.
        let same = t
            .split_once("  ")
            .map(|(_, d)| d.trim().to_string())
            .unwrap_or_default();
        let below: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| {
                let s = l.trim_start();
                !s.is_empty() && l.len() - s.len() > indent + 2
            })
            .map(|l| l.trim())
            .collect();
        let description = if same.is_empty() {
            below.join(" ")
        } else {
            same
        };
        out.push((long, description));
    }
    out
}

#[test]
fn every_flag_of_every_command_is_in_its_help_with_a_description() {
    let env = TestEnv::new();
    let all = commands();
    assert!(all.len() >= 8, "{all:?}");
    for (path, flags) in all {
        for help in ["--help", "-h"] {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push(help);
            let r = run(&env, &args);
            assert_eq!(r.code, 0, "upsweep {}: {}", args.join(" "), r.stderr);
            let listed = entries(&r.stdout);
            for flag in &flags {
                let entry = listed.iter().find(|(l, _)| l == &format!("--{flag}"));
                let Some((_, description)) = entry else {
                    panic!(
                        "upsweep {} does not list --{flag}:\n{}",
                        args.join(" "),
                        r.stdout
                    );
                };
                assert!(
                    description.len() >= 10,
                    "upsweep {}: --{flag} has no description ({description:?})",
                    args.join(" ")
                );
            }
        }
    }
}

#[test]
fn a_flag_without_a_description_is_seen_as_such() {
    let help = "Options:\n  -a, --alpha <N>  Does a thing\n      --beta\n          Does another thing\n          over two lines\n\n      --gamma\n\n  -h, --help  Print help\n";
    let got = entries(help);
    assert_eq!(
        got,
        [
            ("--alpha".to_string(), "Does a thing".to_string()),
            (
                "--beta".to_string(),
                "Does another thing over two lines".to_string()
            ),
            ("--gamma".to_string(), String::new()),
            ("--help".to_string(), "Print help".to_string()),
        ]
    );
}
