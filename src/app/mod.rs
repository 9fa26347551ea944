//! Runs a command: one file per command wires its pipeline from settled
//! [`crate::config`] settings (inputs through the scanner, what the project accepts, the
//! account check, the report) and decides the exit code. Nothing here reads flags.

mod account;
mod baseline;
mod config_check;
mod git;
mod revoke;
mod rules;
mod scan;

use crate::config::{
    AccountSettings, FileScan, Inputs, OutputSettings, ScanSpec, Settings, Target,
};
use crate::finding::Finding;
use crate::input::{self, Event};
use crate::outcome::{FailOn, InputError, Skip, Stats, Suppressed, Why};
use crate::report::{self, Report};
use crate::rules::Matcher;
use crate::scan::aggregate::Aggregator;
use crate::scan::Scanner;
use crate::suppress::Filters;
use anyhow::{Context as _, Result};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

/// Exit codes (README, "Exit codes").
pub mod exit {
    /// Everything asked for was scanned and nothing was found.
    pub const CLEAN: u8 = 0;
    /// Something was found.
    pub const FOUND: u8 = 1;
    /// A usage error, or part of the input could not be read.
    pub const ERROR: u8 = 2;
}

/// What a scan produced.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub stats: Stats,
    /// Found and not reported: published values, allowed, baselined (`--verbose` lists them).
    pub suppressed: Vec<Suppressed>,
    /// Skipped paths, for `--verbose`.
    pub skipped: Vec<Skip>,
    /// Things the user should know that are not errors (a shallow clone, submodules).
    pub notes: Vec<String>,
    /// The account check's verdicts, when asked for.
    pub account: Option<crate::upstash::AccountReport>,
    /// What makes exit code 1.
    pub fail_on: FailOn,
}

impl Outcome {
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            exit::ERROR
        } else if self
            .findings
            .iter()
            .any(|f| account::fails(self, &f.sha256, self.fail_on))
        {
            exit::FOUND
        } else {
            exit::CLEAN
        }
    }
}

/// Run a command.
pub fn run(settings: Settings) -> Result<u8> {
    match settings {
        Settings::Scan(s) => scan::run(&s),
        Settings::Git(s) => git::run(&s),
        Settings::Revoke(s) => revoke::run(&s),
        Settings::BaselineCreate(s) => baseline::create(&s),
        Settings::BaselinePrune(s) => baseline::prune(&s),
        Settings::ConfigCheck(s) => config_check::run(&s),
        Settings::RulesList(s) => rules::list(&s),
        Settings::RulesCheck(s) => rules::check(&s),
    }
}

/// Read and scan what `spec` names, then set aside what the project accepts.
pub(crate) fn sweep(spec: &ScanSpec, matcher: &Matcher) -> Result<Outcome> {
    let mut outcome = match &spec.target {
        Target::Files(files) => scan_files(files, matcher),
        Target::History(repo) => git::scan(repo, matcher)?,
    };
    accept(&mut outcome, &spec.filters);
    Ok(outcome)
}

/// The account check's part of a finished scan: its notes when something was found, what
/// fails the run, and the check itself when asked for.
pub(crate) fn check_account(
    outcome: &mut Outcome,
    settings: &AccountSettings,
    quiet: bool,
) -> Result<()> {
    if !outcome.findings.is_empty() {
        outcome.notes.extend(settings.notes.iter().cloned());
    }
    outcome.fail_on = settings.fail_on;
    if let Some(check) = &settings.check {
        account::apply(outcome, check, quiet)?;
    }
    Ok(())
}

/// Scan files (or standard input).
pub(crate) fn scan_files(files: &FileScan, matcher: &Matcher) -> Outcome {
    let started = Instant::now();
    let shared = Mutex::new(Shared::default());
    match &files.inputs {
        Inputs::Stdin => {
            let mut w = Worker::new(matcher, &shared);
            input::stdin(files.max_file_size, &mut |e| w.handle(e));
        }
        Inputs::Paths(opts) => {
            input::fs::walk(opts, || {
                let mut w = Worker::new(matcher, &shared);
                move |e: Event<'_>| w.handle(e)
            });
        }
    }
    finish(shared, started)
}

/// Set aside what the project accepts (`.upsweep.toml`'s `skip-paths` and `[[allow]]`, the
/// baseline), counting it in the stats.
pub(crate) fn accept(outcome: &mut Outcome, filters: &Filters) {
    if !filters.is_empty() {
        filters.apply(
            &mut outcome.findings,
            &mut outcome.suppressed,
            &mut outcome.stats,
        );
    }
}

/// Fold what the workers collected into an [`Outcome`].
pub(crate) fn finish(shared: Mutex<Shared>, started: Instant) -> Outcome {
    let mut shared = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    // A marked line kept through many commits is one place.
    shared.aggregator.suppressed.sort();
    shared
        .aggregator
        .suppressed
        .dedup_by(|a, b| a == b && matches!(a.why, Why::Inline(_)));
    let count = |f: fn(&Why) -> bool| {
        shared
            .aggregator
            .suppressed
            .iter()
            .filter(|s| f(&s.why))
            .count() as u64
    };
    let public = count(|w| matches!(w, Why::Public(_)));
    let inline = count(|w| matches!(w, Why::Inline(_)));
    shared.stats.suppressed_public = public;
    shared.stats.suppressed_inline = inline;
    shared.stats.duration_ms = started.elapsed().as_millis() as u64;
    shared.errors.sort_by(|a, b| a.path.cmp(&b.path));
    shared.stats.errors = shared.errors.len() as u64;
    let suppressed = std::mem::take(&mut shared.aggregator.suppressed);
    Outcome {
        findings: shared.aggregator.finish(),
        errors: shared.errors,
        stats: shared.stats,
        suppressed,
        skipped: shared.skipped,
        notes: Vec::new(),
        account: None,
        fail_on: FailOn::Any,
    }
}

#[derive(Default)]
pub(crate) struct Shared {
    aggregator: Aggregator,
    errors: Vec<InputError>,
    stats: Stats,
    skipped: Vec<Skip>,
}

/// One scanning thread's state; flushed into [`Shared`] when dropped.
pub(crate) struct Worker<'a> {
    scanner: Scanner<'a>,
    local: Shared,
    shared: &'a Mutex<Shared>,
    /// Matches of the blobs scanned since the last [`Worker::keep`] that sit on a line marked
    /// `upsweep:allow`, by (offset, secret), with the marker's reason.
    allowed: HashMap<(usize, String), Option<String>>,
}

impl<'a> Worker<'a> {
    fn new(matcher: &'a Matcher, shared: &'a Mutex<Shared>) -> Worker<'a> {
        Worker {
            scanner: Scanner::new(matcher),
            local: Shared::default(),
            shared,
            allowed: HashMap::new(),
        }
    }

    fn handle(&mut self, event: Event<'_>) {
        let s = &mut self.local.stats;
        match event {
            Event::Blob { origin, bytes } => {
                s.files_scanned += 1;
                s.bytes_scanned += bytes.len() as u64;
                let found = self.matches(bytes);
                self.keep(&origin, found);
            }
            Event::Error(e) => self.local.errors.push(e),
            Event::Skipped(skip) => {
                match &skip {
                    Skip::TooLarge { .. } => s.skipped_too_large += 1,
                    Skip::Symlink { .. } => s.skipped_symlinks += 1,
                    Skip::Special { .. } => s.skipped_special += 1,
                    Skip::Loop { .. } => s.symlink_loops += 1,
                    Skip::Excluded { .. } => s.skipped_by_config += 1,
                }
                self.local.skipped.push(skip);
            }
        }
    }
}

impl Worker<'_> {
    /// Every credential in a blob (UTF-16 text seen as UTF-8).
    fn matches(&mut self, bytes: &[u8]) -> Vec<crate::finding::RawMatch> {
        let (text, encoding) = input::text_view(bytes);
        let mut found = self.scanner.scan(&text);
        if let Some(enc) = encoding {
            for m in &mut found {
                m.context.encoding.get_or_insert(enc);
            }
        }
        // Most blobs have no marker at all: one pass says so.
        let marker = crate::suppress::inline::INLINE_MARKER.as_bytes();
        if !found.is_empty() && memchr::memmem::find(&text, marker).is_some() {
            for m in &found {
                if let Some(reason) = crate::suppress::inline::inline_allow(&text, m.offset) {
                    self.allowed.insert((m.offset, m.secret.clone()), reason);
                }
            }
        }
        found
    }

    /// Fold a blob's matches (those [`Worker::matches`] returned, possibly fewer) into the
    /// results; the ones on lines marked `upsweep:allow` are set aside.
    fn keep(&mut self, origin: &crate::finding::Origin, mut found: Vec<crate::finding::RawMatch>) {
        let allowed = std::mem::take(&mut self.allowed);
        if !allowed.is_empty() {
            let mut reported = Vec::with_capacity(found.len());
            for m in found {
                match allowed.get(&(m.offset, m.secret.clone())) {
                    Some(reason) => {
                        let reason = reason.clone();
                        self.local.aggregator.allow_inline(origin, m, reason);
                    }
                    None => reported.push(m),
                }
            }
            found = reported;
        }
        if !found.is_empty() {
            self.local
                .aggregator
                .add(self.scanner.matcher(), origin, found);
        }
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.aggregator.merge(local.aggregator);
        shared.errors.extend(local.errors);
        shared.stats.add(&local.stats);
        shared.skipped.extend(local.skipped);
    }
}

/// Print errors and notes on stderr, and the report where asked.
pub fn emit(outcome: &Outcome, matcher: &Matcher, out: &OutputSettings) -> Result<()> {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    // A partial clone can miss thousands of objects: list the first ones, count the rest.
    const SHOWN: usize = 20;
    for e in outcome.errors.iter().take(SHOWN) {
        let _ = writeln!(err, "upsweep: error: {}: {}", e.path, e.message);
    }
    if outcome.errors.len() > SHOWN {
        let _ = writeln!(
            err,
            "upsweep: error: ... and {} more (all are in the JSON report's errors)",
            outcome.errors.len() - SHOWN
        );
    }
    if !out.quiet {
        for n in &outcome.notes {
            let _ = writeln!(err, "upsweep: note: {n}");
        }
    }
    if !out.quiet {
        for skip in &outcome.skipped {
            let line = match skip {
                Skip::TooLarge { path, size } => Some(format!(
                    "upsweep: skipped {path}: {size} bytes is over --max-file-size"
                )),
                Skip::Loop { path } => Some(format!(
                    "upsweep: not following {path}: it loops back to a directory already scanned"
                )),
                Skip::Symlink { path } if out.verbose => {
                    Some(format!("upsweep: skipped symlink {path} (use --follow)"))
                }
                Skip::Special { path } if out.verbose => {
                    Some(format!("upsweep: skipped {path}: not a regular file"))
                }
                Skip::Excluded { path } if out.verbose => Some(format!(
                    "upsweep: skipped {path}: under skip-paths in the config file"
                )),
                _ => None,
            };
            if let Some(l) = line {
                let _ = writeln!(err, "{l}");
            }
        }
    }
    drop(err);
    let report = Report {
        findings: &outcome.findings,
        errors: &outcome.errors,
        stats: &outcome.stats,
        suppressed: &outcome.suppressed,
        rules: &matcher.rules,
        account: outcome.account.as_ref(),
    };
    let opts = report::Options {
        show_secrets: out.show_secrets,
        color: out.color,
        verbose: out.verbose,
    };
    write_report(&out.path, |w| report::write(&report, out.format, opts, w))
}

/// Write to a file or to stdout; a closed stdout (`| head`) is not an error.
pub fn write_report(
    path: &Option<std::path::PathBuf>,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    match path {
        Some(p) => {
            let file = std::fs::File::create(p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            let mut w = std::io::BufWriter::new(file);
            f(&mut w)
                .and_then(|_| w.flush())
                .with_context(|| format!("cannot write {}", p.display()))
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            match f(&mut w).and_then(|_| w.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}
