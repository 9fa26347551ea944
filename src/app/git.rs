//! `upsweep git`: enumerate blobs (whole history, staged change or commit range), read and
//! scan them in parallel with one repository handle per thread, then attach provenance
//! (introducing commit, author, date, still in HEAD) to the findings.

use super::{check_account, emit, finish, sweep, Outcome, Shared, Worker};
use crate::config::{GitSettings, RepoScan};
use crate::finding::{History, Origin};
use crate::input::git::{self as g, ci, BlobJob, Mode, Survey};
use crate::outcome::{InputError, Skip};
use crate::rules::Matcher;
use anyhow::Result;
use git2::{Oid, Repository};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

pub fn run(s: &GitSettings) -> Result<u8> {
    if let (Some(range), false) = (&s.ci_range, s.output.quiet) {
        eprintln!("upsweep: --ci: {range}");
    }
    let matcher = s.spec.rules.matcher()?;
    let mut outcome = sweep(&s.spec, &matcher)?;
    check_account(&mut outcome, &s.account, s.output.quiet)?;
    emit(&outcome, &matcher, &s.output)?;
    Ok(outcome.exit_code())
}

/// Scan a repository.
pub fn scan(r: &RepoScan, matcher: &Matcher) -> Result<Outcome> {
    let (repo, mode) = (&r.repo, &r.mode);
    let started = Instant::now();
    g::history::configure_libgit2();
    let survey: Survey = match mode {
        Mode::History { unreachable } => g::history::survey(repo, *unreachable),
        Mode::Staged { all_content } => g::changes::staged(repo, *all_content)?,
        Mode::Range { base, head, ci } => {
            let b = ci::resolve(repo, base, *ci)?;
            let h = ci::resolve(repo, head, *ci)?;
            g::changes::range(repo, b, h)?
        }
    };
    let shared = Mutex::new(Shared::default());
    {
        let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
        s.errors.extend(survey.errors.iter().cloned());
    }
    let progress = progress_bar(survey.jobs.len() as u64, r.progress);
    scan_jobs(
        repo,
        &survey.jobs,
        matcher,
        r.max_file_size,
        r.threads,
        &shared,
        &progress,
    );
    progress.finish_and_clear();
    let mut outcome = finish(shared, started);
    if !matches!(mode, Mode::Staged { .. }) {
        outcome.stats.git_commits = Some(survey.commits);
    }
    outcome.notes.extend(survey.notes);
    if !survey.submodules.is_empty() {
        outcome.notes.push(format!(
            "{} submodule{} not followed (scan {} separately): {}",
            survey.submodules.len(),
            if survey.submodules.len() == 1 {
                " was"
            } else {
                "s were"
            },
            if survey.submodules.len() == 1 {
                "it"
            } else {
                "them"
            },
            survey.submodules.join(", ")
        ));
    }
    if matches!(mode, Mode::History { .. }) && survey.commits == 0 && outcome.errors.is_empty() {
        let unborn = matches!(repo.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound);
        outcome.notes.push(if unborn {
            "the repository has no commits yet: nothing in history to scan (use --staged for what is staged)".into()
        } else {
            "no commits are reachable from any ref: nothing in history to scan".into()
        });
    }
    if !matches!(mode, Mode::Staged { .. }) {
        attribute(repo, &mut outcome);
    }
    Ok(outcome)
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

/// A thread takes jobs this many at a time, more to finish a path, up to [`MAX_BATCH`].
const BATCH: usize = 32;
/// A file with thousands of versions is still shared out between threads.
const MAX_BATCH: usize = 8 * BATCH;

/// Read and scan every job, `threads` at a time, each thread with its own repository handle.
/// Jobs are taken in the order listed, in batches that keep a path's versions together: the
/// handles share each pack and its delta-base cache, and two threads resolving one file's
/// delta chain at once would both do the work.
fn scan_jobs(
    repo: &Repository,
    jobs: &[BlobJob],
    matcher: &Matcher,
    max: u64,
    threads: usize,
    shared: &Mutex<Shared>,
    progress: &ProgressBar,
) {
    let path = g::handle_path(repo);
    let batches = batches(jobs);
    let next = AtomicUsize::new(0);
    let bytes_done = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(batches.len()).max(1) {
            scope.spawn(|| {
                let mut worker = Worker::new(matcher, shared);
                let own = match Repository::open(&path) {
                    Ok(r) => r,
                    Err(e) => {
                        worker
                            .local
                            .errors
                            .push(g::error(path.display().to_string(), &e));
                        return;
                    }
                };
                let odb = match own.odb() {
                    Ok(o) => o,
                    Err(e) => {
                        worker.local.errors.push(g::error("object database", &e));
                        return;
                    }
                };
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(batch) = batches.get(i) else { break };
                    let mut n = 0;
                    for job in &jobs[batch.clone()] {
                        n += scan_job(&odb, job, max, &mut worker) as u64;
                    }
                    progress.inc(batch.len() as u64);
                    let total = bytes_done.fetch_add(n, Ordering::Relaxed) + n;
                    if i % 16 == 0 {
                        progress.set_message(format!("{} read", indicatif::HumanBytes(total)));
                    }
                }
            });
        }
    });
}

/// `jobs` cut into runs of [`BATCH`] to [`MAX_BATCH`] jobs, each ending where the path changes
/// if it can.
fn batches(jobs: &[BlobJob]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::with_capacity(jobs.len() / BATCH + 1);
    let mut start = 0;
    for i in 1..=jobs.len() {
        let len = i - start;
        if i == jobs.len() || len >= MAX_BATCH || (len >= BATCH && jobs[i].path != jobs[i - 1].path)
        {
            out.push(start..i);
            start = i;
        }
    }
    out
}

fn origin(job: &BlobJob) -> Origin {
    Origin::Git {
        blob: job.oid.to_string(),
        commit: job.commit.map(|c| c.to_string()),
        path: job.path.as_deref().map(str::to_string),
    }
}

/// Scan one blob; returns the bytes read.
fn scan_job(odb: &git2::Odb<'_>, job: &BlobJob, max: u64, worker: &mut Worker<'_>) -> usize {
    let what = || {
        let o = origin(job);
        format!("{} (blob {})", o.display_path(), job.oid)
    };
    match odb.read_header(job.oid) {
        Ok((size, _)) if size as u64 > max => {
            worker.local.stats.skipped_too_large += 1;
            worker.local.skipped.push(Skip::TooLarge {
                path: what(),
                size: size as u64,
            });
            return 0;
        }
        Ok(_) => {}
        Err(e) => {
            worker.local.errors.push(InputError {
                path: what(),
                message: missing_message(&e),
            });
            return 0;
        }
    }
    let obj = match odb.read(job.oid) {
        Ok(o) => o,
        Err(e) => {
            worker.local.errors.push(InputError {
                path: what(),
                message: missing_message(&e),
            });
            return 0;
        }
    };
    let bytes = obj.data();
    worker.local.stats.files_scanned += 1;
    worker.local.stats.bytes_scanned += bytes.len() as u64;
    let mut found = worker.matches(bytes);
    if let Some(lines) = &job.lines {
        found.retain(|m| u32::try_from(m.line).is_ok_and(|l| lines.binary_search(&l).is_ok()));
    }
    if let (Some(minus), false) = (job.minus, found.is_empty()) {
        if let Ok(old) = odb.read(minus) {
            let before: HashSet<String> = worker
                .matches(old.data())
                .into_iter()
                .map(|m| m.secret)
                .collect();
            found.retain(|m| !before.contains(&m.secret));
        }
    }
    worker.keep(&origin(job), found);
    bytes.len()
}

fn missing_message(e: &git2::Error) -> String {
    if e.code() == git2::ErrorCode::NotFound {
        "object is missing from the repository (a partial clone, or a corrupt repository)".into()
    } else {
        format!("cannot be read: {}", e.message())
    }
}

/// Fill each location's author and date, each finding's introducing commit, and whether HEAD
/// still holds it. Reads only the commits of findings: no second pass over blob contents.
fn attribute(repo: &Repository, outcome: &mut Outcome) {
    if outcome.findings.is_empty() {
        return;
    }
    let head = g::history::head_blobs(repo);
    let mut meta: HashMap<String, Option<(String, String, i64)>> = HashMap::new();
    for f in &mut outcome.findings {
        let mut oldest: Option<(i64, String)> = None;
        let mut in_head = false;
        for l in &mut f.locations {
            if let Some(b) = l.blob.as_deref().and_then(|b| Oid::from_str(b).ok()) {
                in_head |= head.contains(&b);
            }
            let Some(c) = l.commit.clone() else { continue };
            let m = meta.entry(c.clone()).or_insert_with(|| {
                let oid = Oid::from_str(&c).ok()?;
                let (who, date) = g::commit_meta(repo, oid)?;
                let t = repo.find_commit(oid).ok()?.time().seconds();
                Some((who, date, t))
            });
            if let Some((who, date, t)) = m {
                l.author = Some(who.clone());
                l.date = Some(date.clone());
                // Older by date; on the same second, the ancestor is older.
                let older = match &oldest {
                    None => true,
                    Some((ot, oc)) => {
                        *t < *ot
                            || (*t == *ot
                                && matches!(
                                    (Oid::from_str(oc), Oid::from_str(&c)),
                                    (Ok(o), Ok(n)) if repo.graph_descendant_of(o, n).unwrap_or(false)
                                ))
                    }
                };
                if older {
                    oldest = Some((*t, c.clone()));
                }
            }
        }
        f.history = Some(History {
            introduced_in: oldest.map(|(_, c)| c),
            in_head,
        });
        f.locations
            .sort_by(|a, b| (&a.date, &a.path, a.line).cmp(&(&b.date, &b.path, b.line)));
    }
}
