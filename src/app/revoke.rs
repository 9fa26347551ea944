//! `upsweep revoke`: gather the leaks (scan files or git history, or read a JSON report), then
//! hand them to [`crate::revoke`] to assess and plan; print the plan, decide (dry run by
//! default, `--yes`, or a confirmation on a terminal), execute, and map the outcome to an exit
//! code ([`crate::revoke::exit`]).

use crate::cli::{Cli, Command, RevokeArgs};
use crate::config::{OutputConfig, ScanConfig};
use crate::input::InputError;
use crate::revoke::{self, audit::AuditLog, exit, newcreds::EnvFile, print, Leak, Plan};
use crate::rules::Matcher;
use crate::upstash::{AccountConfig, Session};
use anyhow::{bail, Context as _, Result};
use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

pub fn run(args: &RevokeArgs) -> Result<u8> {
    let cfg = AccountConfig::from_env(args.account_file.as_deref())?;
    for w in &cfg.warnings {
        eprintln!("upsweep: warning: {w}");
    }
    let (leaks, source, input_errors) = gather(args)?;
    for e in input_errors.iter().take(20) {
        eprintln!("upsweep: error: {}: {}", e.path, e.message);
    }
    if input_errors.len() > 20 {
        eprintln!("upsweep: error: ... and {} more", input_errors.len() - 20);
    }
    let input_code = if input_errors.is_empty() {
        exit::DONE
    } else {
        eprintln!("upsweep: some inputs could not be read: a leak in them is not in this plan");
        exit::ERROR
    };
    let session = Session::new(&cfg)?;

    if args.check_api_key {
        let report = revoke::apikeys::check(&session, leaks);
        out(|w| print::key_report(w, &report, &source))?;
        return Ok(report.exit_code().max(input_code));
    }

    let assessment = revoke::assess(&session, leaks, false);
    let plan = revoke::plan::plan(&assessment, &args.only)?;
    out(|w| print::plan(w, &plan, &source))?;

    let mut code = input_code;
    if !plan.not_actionable.is_empty() {
        code = code.max(exit::ERROR);
    }
    if !plan.api_keys.is_empty() {
        code = code.max(exit::PENDING);
    }
    if plan.actions.is_empty() {
        if !plan.is_empty() {
            out(|w| writeln!(w, "\nNothing to rotate."))?;
        }
        return Ok(code);
    }

    let go = if args.yes {
        true
    } else if args.dry_run || !interactive() {
        false
    } else {
        confirm(&plan)?
    };
    if !go {
        let n = plan.actions.len();
        out(|w| {
            writeln!(
                w,
                "\nDry run: nothing was changed. Re-run with --yes to make {}.",
                if n == 1 {
                    "this rotation".to_string()
                } else {
                    format!("these {n} rotations")
                }
            )
        })?;
        return Ok(code.max(exit::PENDING));
    }

    // Everything that could fail locally fails before the first rotation.
    let mut audit = args.audit_log.as_deref().map(AuditLog::open).transpose()?;
    let mut env_file = args
        .new_credentials
        .as_deref()
        .map(EnvFile::create)
        .transpose()?;
    out(|w| writeln!(w, "\nRotating:"))?;
    let mut log_error: Option<anyhow::Error> = None;
    let mut n = 0;
    let results = revoke::execute(&session, &plan.actions, &mut |a, r| {
        n += 1;
        let _ = out(|w| print::result(w, n, a, r));
        if let Some(log) = &mut audit {
            if let Err(e) = log.record(a, r) {
                log_error.get_or_insert(e);
            }
        }
        if let (Some(f), Some(v)) = (&mut env_file, &r.new_values) {
            f.add(format!("{} (id {})", print::what(a), a.id()), v.clone());
        }
    });
    let written = match env_file {
        Some(f) => {
            let path = f.path().to_string();
            f.finish()?;
            Some(path)
        }
        None => None,
    };
    out(|w| print::summary(w, &results, written.as_deref()))?;
    if let Some(e) = log_error {
        eprintln!("upsweep: error: {e:#}");
        code = code.max(exit::ERROR);
    }
    if results.iter().any(|r| !r.status.is_done()) {
        code = code.max(exit::ERROR);
    }
    Ok(code)
}

/// The leaks, where they came from (for messages), and inputs that could not be read.
fn gather(args: &RevokeArgs) -> Result<(Vec<Leak>, String, Vec<InputError>)> {
    if let Some(report) = &args.report {
        let text = std::fs::read_to_string(report)
            .with_context(|| format!("cannot read report {}", report.display()))?;
        let leaks = revoke::from_report(&text, &report.display().to_string())?;
        return Ok((leaks, format!("report {}", report.display()), Vec::new()));
    }
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        bail!(
            "upsweep revoke cannot read standard input (it may need it to ask for confirmation): \
             save the text to a file, or pass --report"
        );
    }
    let matcher = Matcher::load(&args.rules)?;
    let (outcome, what) = if args.git {
        if args.paths.len() > 1 {
            bail!("--git takes one repository");
        }
        let repo_path = args
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        let repo = crate::input::git::open(&repo_path)?;
        let output = match parse(&["git", "--quiet"], &[])? {
            Command::Git(a) => OutputConfig::from_args(&a.output),
            _ => bail!("internal: git arguments did not parse"),
        };
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mode = super::git::Mode::History { unreachable: false };
        let outcome = super::git::scan(&repo, &mode, &matcher, 64 << 20, threads, &output)?;
        (
            outcome,
            format!("the git history of {}", repo_path.display()),
        )
    } else {
        let cfg = match parse(&["scan", "--quiet"], &args.paths)? {
            Command::Scan(a) => ScanConfig::from_args(&a)?,
            _ => bail!("internal: scan arguments did not parse"),
        };
        let what = if args.paths.is_empty() {
            ".".to_string()
        } else {
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        (super::scan(&cfg, &matcher), what)
    };
    for n in &outcome.notes {
        eprintln!("upsweep: note: {n}");
    }
    let leaks = outcome
        .findings
        .into_iter()
        .map(Leak::from_finding)
        .collect();
    Ok((leaks, what, outcome.errors))
}

/// The scan and git commands' own arguments with their defaults, so a revoke scans exactly as
/// `upsweep scan` / `upsweep git` would.
fn parse(head: &[&str], paths: &[PathBuf]) -> Result<Command> {
    let mut argv: Vec<OsString> = vec!["upsweep".into()];
    argv.extend(head.iter().map(OsString::from));
    if !paths.is_empty() {
        argv.push("--".into());
        argv.extend(paths.iter().map(|p| p.clone().into_os_string()));
    }
    Ok(<Cli as clap::Parser>::try_parse_from(argv)?.command)
}

fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Ask on the terminal, naming what will be rotated.
fn confirm(plan: &Plan) -> Result<bool> {
    let mut err = std::io::stderr().lock();
    writeln!(err, "\nAbout to rotate:")?;
    for a in &plan.actions {
        writeln!(
            err,
            "  - {} (id {}): {}",
            print::what(a),
            a.id(),
            a.effect()
        )?;
    }
    write!(
        err,
        "Clients of these resources break until they get the new values. Rotate now? [y/N] "
    )?;
    err.flush()?;
    drop(err);
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    let a = answer.trim().to_ascii_lowercase();
    Ok(a == "y" || a == "yes")
}

/// Write to stdout now; a closed stdout (`| head`) is not an error.
fn out(f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    match f(&mut w).and_then(|_| w.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("cannot write to standard output"),
    }
}
