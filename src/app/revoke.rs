//! `upsweep revoke`: gather the leaks (scan files or git history, or read a JSON report), say
//! what the configuration left out, then hand them to [`crate::revoke`] to assess and plan;
//! print the plan, decide (dry run by default, `--yes`, or a confirmation on a terminal), and
//! to rotate: lock the accounts, pre-flight the journal and the new-credentials file, settle
//! what an earlier run left unfinished, execute under the signal handlers, and map the outcome
//! to an exit code ([`crate::revoke::exit`]).

use crate::config::{RevokeSettings, Source};
use crate::outcome::InputError;
use crate::report;
use crate::revoke::execute::{Execution, NewValues, Recorder, Status, Stop};
use crate::revoke::interrupt::Interrupt;
use crate::revoke::journal::{History, Journal, Pending, RunHeader};
use crate::revoke::json::{self, Mode};
use crate::revoke::leak::{LeaveOut, LeftOut};
use crate::revoke::newcreds::{EnvFile, Named, Naming};
use crate::revoke::plan::{Action, ActionKind};
use crate::revoke::print::{self, Ending, PlanContext};
use crate::revoke::resume::{self, Settled};
use crate::revoke::{self, apikeys, exit, state, Leak, Plan};
use crate::upstash::{AccountConfig, Session};
use anyhow::{anyhow, Context as _, Result};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

pub(super) fn run(args: &RevokeSettings) -> Result<u8> {
    let cfg = AccountConfig::from_env(args.account_file.as_deref())?;
    for w in &cfg.warnings {
        eprintln!("upsweep: warning: {w}");
    }
    let gathered = gather(&args.source, &args.leave_out)?;
    let input_code = report_input_errors(&gathered.errors);
    let session = Session::new(&cfg)?;
    let source = gathered.source.clone();

    if args.check_api_key {
        let report = apikeys::check(&session, gathered.leaks);
        let code = report.exit_code().max(input_code);
        if args.json {
            out_json(&json::key_report(&report, &source, code))?;
        } else {
            out(|w| print::key_report(w, &report, &source))?;
        }
        let untried = report
            .keys
            .iter()
            .filter(|k| k.status == crate::upstash::ApiKeyStatus::Unknown)
            .count();
        if let Some(line) = super::failure_line(&report.problems, untried, "") {
            eprintln!("{line}");
        }
        return Ok(code);
    }

    let journal_path = args.audit_log.clone().or_else(state::default_journal);
    let history = read_history(journal_path.as_deref());
    let keys: Vec<String> = session.accounts().iter().map(|a| a.fingerprint()).collect();
    let waiting = crate::util::progress::Activity::spinner(
        "asking your Upstash account which leaked credentials are its own",
        true,
    );
    let assessment = revoke::assess(&session, gathered.leaks, args.live);
    drop(waiting);
    let mut plan = revoke::plan::plan(&assessment, &args.only)?;
    history.amend(&mut plan);
    let pending = history.pending(&keys);
    let config_file = args.leave_out.config_file.clone();
    let cx = PlanContext {
        source: &source,
        left_out: &gathered.left_out,
        config_file: config_file.as_deref(),
        pending: &pending,
        journal: journal_path.as_deref(),
    };
    if !args.json {
        out(|w| print::plan(w, &plan, &cx))?;
    }

    let mut code = input_code;
    if !plan.not_actionable.is_empty() {
        code = code.max(exit::ERROR);
    }
    if plan.pending_api_keys() > 0 {
        code = code.max(exit::PENDING);
    }
    if plan.actions.is_empty() && pending.is_empty() {
        if args.json {
            out_json(&json::run(
                &source,
                &plan,
                &cx,
                Mode::Nothing,
                None,
                &plan.actions,
                code,
            ))?;
        } else if !plan.not_actionable.is_empty() {
            let n = plan.not_actionable.len();
            out(|w| {
                writeln!(
                    w,
                    "\nNothing to rotate yet: the account check could not tell whether {} the \
                     account's (above).",
                    print::plural(n, "leaked credential is", "leaked credentials are")
                )
            })?;
        } else if !plan.is_empty() {
            out(|w| writeln!(w, "\nNothing to rotate."))?;
        }
        account_failure(&plan);
        return Ok(code);
    }
    if !decide(args, &plan, &pending)? {
        code = code.max(exit::PENDING);
        if args.json {
            out_json(&json::run(
                &source,
                &plan,
                &cx,
                Mode::DryRun,
                None,
                &plan.actions,
                code,
            ))?;
        } else {
            out(|w| writeln!(w, "\n{}", dry_run_words(&plan, pending.len())))?;
        }
        account_failure(&plan);
        return Ok(code);
    }
    let Some(journal_path) = journal_path.as_deref() else {
        eprintln!(
            "upsweep: error: no cache directory for the journal (set {} or HOME), and no \
             --audit-log FILE: nothing was rotated",
            state::ENV_CACHE_DIR
        );
        return Ok(exit::ERROR);
    };
    let rotated = rotate(&session, args, &mut plan, journal_path, &cx)?;
    account_failure(&plan);
    Ok(match rotated {
        c @ (exit::SIGINT | exit::SIGTERM) => c,
        c => code.max(c),
    })
}

/// The last line when the inventory could not be fetched in full: what failed, and how many
/// leaks that left out of the plan (the plan's own account of it may have scrolled away).
fn account_failure(plan: &Plan) {
    let unchecked = plan.not_actionable.len();
    let tail = if unchecked == 1 {
        ", so it is not in this plan"
    } else {
        ", so they are not in this plan"
    };
    if let Some(line) = super::failure_line(&plan.problems, unchecked, tail) {
        eprintln!("{line}");
    }
}

/// What a scan or a report gave.
struct Gathered {
    leaks: Vec<Leak>,
    /// Where they came from, for messages.
    source: String,
    errors: Vec<InputError>,
    left_out: Vec<LeftOut>,
}

/// The journal as it is now (a missing one is empty; an unreadable one is said, then empty).
fn read_history(path: Option<&Path>) -> History {
    let Some(path) = path else {
        return History::default();
    };
    match History::read(path) {
        Ok(h) => {
            if h.unreadable > 0 {
                eprintln!(
                    "upsweep: warning: the journal {}: {} line(s) are not JSON (cut short by a \
                     full disk or a crash?) and were skipped",
                    path.display(),
                    h.unreadable
                );
            }
            h
        }
        Err(e) => {
            eprintln!("upsweep: warning: {e:#}: earlier runs are not known");
            History::default()
        }
    }
}

fn dry_run_words(plan: &Plan, pending: usize) -> String {
    let n = plan.actions.len();
    let mut what = Vec::new();
    if n > 0 {
        what.push(if n == 1 {
            "make this rotation".to_string()
        } else {
            format!("make these {n} rotations")
        });
    }
    if pending > 0 {
        what.push(format!(
            "settle {} left unfinished (no rotation is sent for them)",
            print::plural(pending, "action", "actions")
        ));
    }
    format!(
        "Dry run: nothing was changed. Re-run with --yes to {}.",
        what.join(" and ")
    )
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

/// Whether to act: `--yes`; never on `--dry-run` or off a terminal; else the user says.
fn decide(args: &RevokeSettings, plan: &Plan, pending: &[Pending]) -> Result<bool> {
    if args.yes {
        Ok(true)
    } else if args.dry_run || !interactive() {
        Ok(false)
    } else {
        confirm(plan, pending)
    }
}

/// Lock, pre-flight, settle, rotate, sum up: the exit code of this part.
fn rotate(
    session: &Session,
    args: &RevokeSettings,
    plan: &mut Plan,
    journal_path: &Path,
    cx: &PlanContext<'_>,
) -> Result<u8> {
    let emails: Vec<&str> = session
        .accounts()
        .iter()
        .map(|a| a.email.as_str())
        .collect();
    let _lock = match state::lock(&emails) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("upsweep: error: {e:#}");
            return Ok(exit::ERROR);
        }
    };
    if args.audit_log.is_none() {
        state::revoke_dir()?;
    }
    // With the lock held: what another run may have finished since the plan was made.
    let keys: Vec<String> = session.accounts().iter().map(|a| a.fingerprint()).collect();
    let pending = read_history(Some(journal_path)).pending(&keys);

    // Pre-flight: both files written and fsync'd before anything changes.
    let named: Vec<&Action> = plan
        .actions
        .iter()
        .chain(pending.iter().map(|p| &p.action))
        .collect();
    let keys_of: Vec<String> = named.iter().map(|a| a.key()).collect();
    let naming = Naming::new(
        &named
            .iter()
            .zip(&keys_of)
            .map(|(a, key)| Named {
                key,
                product: a.resource.product,
                signing: a.kind == ActionKind::RotateSigningKeys,
                name: a.resource.name.as_deref(),
                region: a.resource.region.as_deref(),
                id: &a.resource.id,
            })
            .collect::<Vec<_>>(),
    );
    let env = match &args.new_credentials {
        Some(p) => Some(EnvFile::open(p, naming)?),
        None => None,
    };
    let header = RunHeader {
        accounts: session.accounts().iter().map(|a| a.label()).collect(),
        actions: plan.actions.len(),
        new_credentials: args.new_credentials.as_deref(),
    };
    let journal = match Journal::open(journal_path, &header) {
        Ok(j) => j,
        Err(e) => {
            if let Some(env) = env {
                env.discard();
            }
            return Err(e);
        }
    };
    let mut rec = Recorder { journal, env };

    let interrupt = Interrupt::install()?;
    let signalled = || interrupt.signalled();
    let (settled, stop) = resume::settle(session, pending, &mut rec, &signalled);
    if !args.json {
        out(|w| print::settled(w, &settled))?;
    }
    // The journal now holds what was settled: count every signing-key rotation it records.
    read_history(Some(journal_path)).amend(plan);

    let execution = match stop {
        Some(stop) => Execution {
            results: Vec::new(),
            left: (0..plan.actions.len()).collect(),
            stop: Some(stop),
        },
        None if plan.actions.is_empty() => Execution {
            results: Vec::new(),
            left: Vec::new(),
            stop: None,
        },
        None => {
            if !args.json {
                out(|w| writeln!(w, "\nRotating:"))?;
            }
            let mut n = 0;
            let json_mode = args.json;
            revoke::execute(session, &plan.actions, &mut rec, &signalled, &mut |a, r| {
                n += 1;
                if !json_mode {
                    let _ = out(|w| print::result(w, n, a, r));
                }
            })
        }
    };
    drop(interrupt);

    let ending = Ending {
        results: &execution.results,
        settled: &settled,
        left: execution.left.iter().map(|i| &plan.actions[*i]).collect(),
        stop: execution.stop.as_ref(),
        new_credentials: rec.env.as_ref().map(EnvFile::path),
        journal: rec.journal.path(),
        api_keys: plan.pending_api_keys(),
    };
    let code = exit_code(&execution, &settled);
    if args.json {
        let whole = code.max(if plan.not_actionable.is_empty() {
            exit::DONE
        } else {
            exit::ERROR
        });
        out_json(&json::run(
            cx.source,
            plan,
            cx,
            Mode::Rotate,
            Some(&ending),
            &plan.actions,
            whole,
        ))?;
    } else {
        out(|w| print::summary(w, &ending))?;
    }
    if let Some(Stop::Journal(e) | Stop::Credentials(e)) = &execution.stop {
        eprintln!("upsweep: error: {e}");
    }
    Ok(code)
}

/// The exit code of the rotating part.
fn exit_code(e: &Execution, settled: &[Settled]) -> u8 {
    match &e.stop {
        Some(Stop::Signal(code)) => return *code,
        Some(_) => return exit::ERROR,
        None => {}
    }
    let results = e.results.iter().map(|(_, r)| r);
    let mut code = exit::DONE;
    for r in results.chain(settled.iter().map(|s| &s.result)) {
        if r.saved == NewValues::NotSaved {
            code = code.max(exit::PENDING);
        }
    }
    for (_, r) in &e.results {
        if !r.status.is_done() {
            code = exit::ERROR;
        }
    }
    if settled.iter().any(|s| s.result.status == Status::Unknown) {
        code = exit::ERROR;
    }
    code
}

/// The leaks, where they came from (for messages), the inputs that could not be read, and
/// what the configuration left out.
fn gather(source: &Source, leave_out: &LeaveOut) -> Result<Gathered> {
    let spec = match source {
        Source::Report(report) => {
            let leaks = revoke::from_report(report::read::file(report, revoke::REPORT)?);
            return Ok(Gathered {
                leaks,
                source: format!("report {}", report.display()),
                errors: Vec::new(),
                left_out: Vec::new(),
            });
        }
        Source::Scan(spec) => spec,
    };
    let matcher = spec.rules.matcher()?;
    let outcome = super::sweep(spec, &matcher)?;
    for n in &outcome.notes {
        eprintln!("upsweep: note: {n}");
    }
    let (findings, left_out) = leave_out.apply(outcome.findings, &outcome.suppressed);
    Ok(Gathered {
        leaks: findings.into_iter().map(Leak::from_finding).collect(),
        source: spec.what.clone(),
        errors: outcome.errors,
        left_out,
    })
}

fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Ask on the terminal, naming what will be rotated.
fn confirm(plan: &Plan, pending: &[Pending]) -> Result<bool> {
    let mut err = std::io::stderr().lock();
    if !plan.actions.is_empty() {
        writeln!(err, "\nAbout to rotate:")?;
        for a in &plan.actions {
            writeln!(err, "  - {} (id {}): {}", a.title(), a.key(), a.effect())?;
        }
    }
    if !pending.is_empty() {
        writeln!(
            err,
            "About to settle {} an earlier run left unfinished (reads only).",
            print::plural(pending.len(), "action", "actions")
        )?;
    }
    write!(
        err,
        "Clients of these resources break until they get the new values. Go ahead? [y/N] "
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

/// The JSON document, pretty, on stdout.
fn out_json(v: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(v).map_err(|e| anyhow!("{e}"))?;
    out(|w| writeln!(w, "{text}"))
}
