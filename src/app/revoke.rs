//! `upsweep revoke`: gather the leaks (scan files or git history, or read a JSON report), then
//! hand them to [`crate::revoke`] to assess and plan; print the plan, decide (dry run by
//! default, `--yes`, or a confirmation on a terminal), execute, and map the outcome to an exit
//! code ([`crate::revoke::exit`]).

use crate::config::{RevokeSettings, Source};
use crate::outcome::InputError;
use crate::revoke::{self, audit::AuditLog, exit, newcreds::EnvFile, print, Leak, Plan};
use crate::upstash::{AccountConfig, Session};
use anyhow::{Context as _, Result};
use std::io::{BufRead, IsTerminal, Write};

pub(super) fn run(args: &RevokeSettings) -> Result<u8> {
    let cfg = AccountConfig::from_env(args.account_file.as_deref())?;
    for w in &cfg.warnings {
        eprintln!("upsweep: warning: {w}");
    }
    let (leaks, source, input_errors) = gather(&args.source)?;
    let input_code = report_input_errors(&input_errors);
    let session = Session::new(&cfg)?;

    if args.check_api_key {
        let report = revoke::apikeys::check(&session, leaks);
        out(|w| print::key_report(w, &report, &source))?;
        return Ok(report.exit_code().max(input_code));
    }

    let waiting = crate::util::progress::Activity::spinner(
        "asking your Upstash account which leaked credentials are its own",
        true,
    );
    let assessment = revoke::assess(&session, leaks, false);
    drop(waiting);
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
    if !decide(args, &plan)? {
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
    Ok(code.max(rotate(&session, args, &plan)?))
}

/// Print the inputs that could not be read (the first 20); exit code 2 when there are any.
fn report_input_errors(errors: &[InputError]) -> u8 {
    for e in errors.iter().take(20) {
        eprintln!("upsweep: error: {}: {}", e.path, e.message);
    }
    if errors.len() > 20 {
        eprintln!("upsweep: error: ... and {} more", errors.len() - 20);
    }
    if errors.is_empty() {
        exit::DONE
    } else {
        eprintln!("upsweep: some inputs could not be read: a leak in them is not in this plan");
        exit::ERROR
    }
}

/// Whether to rotate: `--yes`; never on `--dry-run` or off a terminal; else the user says.
fn decide(args: &RevokeSettings, plan: &Plan) -> Result<bool> {
    if args.yes {
        Ok(true)
    } else if args.dry_run || !interactive() {
        Ok(false)
    } else {
        confirm(plan)
    }
}

/// Make the plan's rotations, one at a time, printing each result, logging it and saving the
/// new values as they come; exit code 2 when one failed or the log could not be written.
fn rotate(session: &Session, args: &RevokeSettings, plan: &Plan) -> Result<u8> {
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
    let results = revoke::execute(session, &plan.actions, &mut |a, r| {
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
    let mut code = exit::DONE;
    if let Some(e) = log_error {
        eprintln!("upsweep: error: {e:#}");
        code = exit::ERROR;
    }
    if results.iter().any(|r| !r.status.is_done()) {
        code = exit::ERROR;
    }
    Ok(code)
}

/// The leaks, where they came from (for messages), and inputs that could not be read.
fn gather(source: &Source) -> Result<(Vec<Leak>, String, Vec<InputError>)> {
    let spec = match source {
        Source::Report(report) => {
            let text = std::fs::read_to_string(report)
                .with_context(|| format!("cannot read report {}", report.display()))?;
            let leaks = revoke::from_report(&text, &report.display().to_string())?;
            return Ok((leaks, format!("report {}", report.display()), Vec::new()));
        }
        Source::Scan(spec) => spec,
    };
    let matcher = spec.rules.matcher()?;
    let outcome = super::sweep(spec, &matcher)?;
    for n in &outcome.notes {
        eprintln!("upsweep: note: {n}");
    }
    let leaks = outcome
        .findings
        .into_iter()
        .map(Leak::from_finding)
        .collect();
    Ok((leaks, spec.what.clone(), outcome.errors))
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
