//! A history scan from end to end: enumerate what the mode asks for, read the blobs and scan
//! them on the worker pool (one repository handle per thread), say what the user should know
//! (submodules, an empty history), then attach provenance to the findings.

use super::pool::{finish, Collected, Worker};
use crate::input::archive::ArchiveLimits;
use crate::input::git::{self as g, attribute, read, Mode, Survey};
use crate::outcome::Outcome;
use crate::rules::Matcher;
use crate::util::progress::Activity;
use crate::util::size::{human_bytes, human_rate};
use anyhow::Result;
use git2::Repository;
use std::sync::Mutex;
use std::time::Instant;

/// How a repository is scanned.
pub(crate) struct RepoOptions<'a> {
    pub(crate) mode: &'a Mode,
    /// Blobs larger than this are skipped (and counted).
    pub(crate) max_file_size: u64,
    /// How archive blobs are opened; `None`: scanned as they are.
    pub(crate) archives: Option<&'a ArchiveLimits>,
    pub(crate) threads: usize,
    /// Whether a progress bar may be drawn (on a terminal, for large histories).
    pub(crate) progress: bool,
}

/// Scan what `opts.mode` names in `repo`.
pub(crate) fn repository(
    repo: &Repository,
    opts: &RepoOptions<'_>,
    matcher: &Matcher,
) -> Result<Outcome> {
    let mode = opts.mode;
    let started = Instant::now();
    // Something on screen at once: listing a long history takes a while before any blob is
    // read.
    let listing = Activity::spinner(
        match mode {
            Mode::Staged { .. } => "reading what is staged",
            _ => "listing the history's commits and blobs",
        },
        opts.progress,
    );
    let survey: Survey = g::survey(repo, mode)?;
    drop(listing);
    let shared = Mutex::new(Collected::default());
    {
        let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
        s.errors.extend(survey.errors.iter().cloned());
    }
    let bar = progress_bar(survey.jobs.len() as u64, opts.progress);
    let reading = Instant::now();
    read::read(
        repo,
        &survey.jobs,
        opts.max_file_size,
        opts.archives,
        opts.threads,
        || {
            let mut w = Worker::new(matcher, &shared);
            move |e| w.handle(e)
        },
        &|p| {
            bar.inc(p.jobs);
            if p.batch % 16 == 0 {
                bar.set_message(format!(
                    "{} read, {}",
                    human_bytes(p.bytes),
                    human_rate(p.bytes, reading.elapsed().as_secs_f64())
                ));
            }
        },
    );
    drop(bar);
    let mut outcome = finish(shared, started);
    if !matches!(mode, Mode::Staged { .. }) {
        outcome.stats.git_commits = Some(survey.commits);
    }
    outcome.notes.extend(survey.notes);
    if let Some(note) = submodules_note(&survey.submodules) {
        outcome.notes.push(note);
    }
    if matches!(mode, Mode::History { .. }) && survey.commits == 0 && outcome.errors.is_empty() {
        outcome.notes.push(empty_history_note(repo));
    }
    if !matches!(mode, Mode::Staged { .. }) {
        let tip = attribute::Tip {
            head: survey.head,
            base: survey.base,
            partial: matches!(mode, Mode::Range { .. }),
            max_size: opts.max_file_size,
            archives: opts.archives.cloned(),
            removals: true,
        };
        attribute::attribute(repo, &mut outcome.findings, &tip);
    }
    outcome.git = g::revision(repo, survey.head);
    Ok(outcome)
}

fn submodules_note(submodules: &[String]) -> Option<String> {
    let n = submodules.len();
    (n > 0).then(|| {
        format!(
            "{n} submodule{} not followed (scan {} separately): {}",
            if n == 1 { " was" } else { "s were" },
            if n == 1 { "it" } else { "them" },
            submodules.join(", ")
        )
    })
}

fn empty_history_note(repo: &Repository) -> String {
    let unborn = matches!(repo.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound);
    if unborn {
        "the repository has no commits yet: nothing in history to scan (use --staged for what is staged)".into()
    } else {
        "no commits are reachable from any ref: nothing in history to scan".into()
    }
}

/// The bar for reading `total` blobs: counts in blobs (as the summary counts them), sizes and
/// rate in the summary's decimal units. Only for histories worth a bar.
fn progress_bar(total: u64, wanted: bool) -> Activity {
    if total < 1000 {
        return Activity::hidden();
    }
    let bar = Activity::bar(
        total,
        "{spinner} scanning {human_pos}/{human_len} blobs [{bar:30}] {msg}, eta {eta}",
        wanted,
    );
    bar.set_message("0 B read");
    bar
}
