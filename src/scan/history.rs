//! A history scan from end to end: enumerate what the mode asks for, read the blobs and scan
//! them on the worker pool (one repository handle per thread), say what the user should know
//! (submodules, an empty history), then attach provenance to the findings.

use super::pool::{finish, Collected, Worker};
use crate::input::git::{self as g, attribute, read, Mode, Survey};
use crate::outcome::Outcome;
use crate::rules::Matcher;
use anyhow::Result;
use git2::Repository;
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

/// How a repository is scanned.
pub(crate) struct RepoOptions<'a> {
    pub(crate) mode: &'a Mode,
    /// Blobs larger than this are skipped (and counted).
    pub(crate) max_file_size: u64,
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
    let survey: Survey = g::survey(repo, mode)?;
    let shared = Mutex::new(Collected::default());
    {
        let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
        s.errors.extend(survey.errors.iter().cloned());
    }
    let bar = progress_bar(survey.jobs.len() as u64, opts.progress);
    read::read(
        repo,
        &survey.jobs,
        opts.max_file_size,
        opts.threads,
        || {
            let mut w = Worker::new(matcher, &shared);
            move |e| w.handle(e)
        },
        &|p| {
            bar.inc(p.jobs);
            if p.batch % 16 == 0 {
                bar.set_message(format!("{} read", HumanBytes(p.bytes)));
            }
        },
    );
    bar.finish_and_clear();
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

fn progress_bar(total: u64, wanted: bool) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() || total < 1000 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} scanning {pos}/{len} objects [{bar:30}] {per_sec} {msg} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}
