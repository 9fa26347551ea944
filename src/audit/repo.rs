//! One repository of an audit, under its lock in the cache: fetch its mirror, scan what is new
//! in its history, and build its findings from what the cache remembers.
//!
//! - Refs as the last complete run left them, and the same size limit: `unchanged`, nothing
//!   read; the findings come from the state, where each blob with findings sits included.
//! - Otherwise the history is surveyed again (commits and trees only), blobs never scanned
//!   are read and scanned ([`super::record`]), and the state is completed with the new refs. A
//!   killed run's checkpoint is such a state, not complete: the re-run scans only the rest.
//!
//! Findings are rebuilt from the stored matches for every blob, new or old, so a first run and
//! a re-run print the same report; a match inside an archive blob keeps the names down to its
//! entry, so its location reads `dist/app.tgz!package/.env` as `upsweep git` shows it. They
//! carry the hash and preview, not the secret; when the secret is needed (`--show-secrets`,
//! the account check) the few blobs holding findings are read from the mirror and scanned
//! again (an archive opened again).

use super::texts;
use super::Options;
use crate::finding::{Finding, Location, Origin};
use crate::github::{
    mirror, Client, GithubConfig, MirrorOptions, Repo, RepoState, SetAside, Store, StoreKey,
    StoredMatch,
};
use crate::input::archive::ArchiveLimits;
use crate::input::git::attribute::{attribute, Tip};
use crate::input::git::{self as g, BlobJob, Mode};
use crate::input::{nested, Event};
use crate::outcome::{
    ArchiveCounts, InputError, Outcome, RepoEntry, RepoStatus, Skip, Suppressed, Why,
};
use crate::rules::Matcher;
use crate::scan::pool::{blob_matches, finish, Collected};
use crate::scan::Scanner;
use git2::{Oid, Repository};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Instant;

/// What the audit of one repository needs besides the repository.
pub(crate) struct Context<'a> {
    pub(crate) client: &'a Client,
    pub(crate) cfg: &'a GithubConfig,
    pub(crate) opts: &'a Options,
    pub(crate) matcher: &'a Matcher,
    pub(crate) key: &'a StoreKey,
    /// Reading threads for this repository's blobs.
    pub(crate) threads: usize,
}

/// Audit `repo`. Never fails: what went wrong is the entry's `failed` status, its reason and
/// an error of the outcome.
pub(crate) fn audit(cx: &Context<'_>, repo: &Repo) -> Outcome {
    let started = Instant::now();
    let name = match repo.name() {
        Ok(n) => n,
        Err(e) => return failed(&repo.full_name, format!("{e:#}")),
    };
    let store = Store::new(&cx.opts.cache);
    let _lock = match store.lock(&name, cx.opts.lock_wait) {
        Ok(l) => l,
        Err(e) => return failed(&repo.full_name, format!("{e:#}")),
    };
    let mirror_opts = MirrorOptions {
        pull_requests: cx.opts.pull_requests,
        deadline: cx.opts.fetch_deadline,
    };
    let fetched = match mirror::fetch(&cx.opts.cache, cx.cfg, repo, &mirror_opts) {
        Ok(f) => f,
        Err(e) => return failed(&repo.full_name, format!("cannot fetch: {e}")),
    };
    let git = match Repository::open_bare(&fetched.path) {
        Ok(g) => g,
        Err(e) => {
            return failed(
                &repo.full_name,
                format!("cannot open its mirror: {}", e.message()),
            )
        }
    };
    let tips = match mirror::tips(&fetched.path) {
        Ok(t) => t,
        Err(e) => return failed(&repo.full_name, e.to_string()),
    };
    let loaded = store.load(&name, cx.key);
    let mut notes = Vec::new();
    if let Some(why) = &loaded.discarded {
        notes.push(format!("{name}: the cache's state was not used: {why}"));
    }
    let mut state = loaded.state;
    let max = cx.opts.max_file_size;

    let mut entry = RepoEntry {
        name: name.to_string(),
        status: RepoStatus::Scanned,
        reason: None,
        commits: 0,
        blobs: 0,
        new_blobs: 0,
        texts: None,
    };
    let collected = Mutex::new(Collected::default());
    let mut errors: Vec<InputError> = Vec::new();
    let mut archives = ArchiveCounts::default();
    let (new_blobs, new_bytes) = if state.unchanged(&tips, max) {
        entry.status = RepoStatus::Unchanged;
        (0, 0)
    } else {
        let survey = match g::survey(&git, &Mode::History { unreachable: false }) {
            Ok(s) => s,
            Err(e) => return failed(&repo.full_name, format!("{e:#}")),
        };
        errors.extend(survey.errors.iter().cloned());
        let new: Vec<BlobJob> = survey
            .jobs
            .iter()
            .filter(|j| !state.is_scanned(&j.oid.to_string()))
            .cloned()
            .collect();
        let recorded = super::record::scan_new(
            &git,
            &new,
            max,
            cx.opts.archives.as_ref(),
            cx.threads,
            cx.matcher,
            &mut state,
            &store,
            &name,
        );
        errors.extend(recorded.errors);
        if let Some(e) = recorded.save_error {
            notes.push(format!("{name}: a checkpoint could not be written: {e}"));
        }
        // Where each blob with findings sits now, and which are still reachable.
        let reachable: std::collections::HashMap<String, &BlobJob> =
            survey.jobs.iter().map(|j| (j.oid.to_string(), j)).collect();
        for (blob, found) in state.found.iter_mut() {
            match reachable.get(blob) {
                Some(job) => {
                    found.reachable = true;
                    found.commit = job.commit.map(|c| c.to_string());
                    found.path = job.path.as_deref().map(str::to_string);
                }
                None => found.reachable = false,
            }
        }
        state.tips = tips;
        state.commits = survey.commits;
        state.blobs = survey.jobs.len() as u64;
        state.max_file_size = max;
        state.too_large = recorded.too_large;
        state.complete = errors.is_empty();
        if let Err(e) = store.save(&name, &state) {
            notes.push(format!("{name}: its state could not be written: {e:#}"));
        }
        if !survey.submodules.is_empty() {
            notes.push(format!(
                "{name}: {} submodule(s) not followed: {}",
                survey.submodules.len(),
                survey.submodules.join(", ")
            ));
        }
        archives = recorded.archives;
        (recorded.blobs, recorded.bytes)
    };
    entry.commits = state.commits;
    entry.blobs = state.blobs;
    entry.new_blobs = new_blobs;
    {
        let mut c = collected.lock().unwrap_or_else(|p| p.into_inner());
        rebuild(&state, repo, &mut c);
        c.stats.files_scanned = new_blobs;
        c.stats.bytes_scanned = new_bytes;
        c.stats.archives = archives;
        c.stats.skipped_too_large = state.too_large.len() as u64;
        for l in &state.too_large {
            c.skipped.push(Skip::TooLarge {
                path: format!("{name}: {}", l.path),
                size: l.size,
            });
        }
        c.errors.extend(errors.into_iter().map(|e| InputError {
            path: format!("{name}: {}", e.path),
            message: e.message,
        }));
    }
    let mut outcome = finish(collected, started);
    outcome.stats.git_commits = Some(state.commits);
    attribute(&git, &mut outcome.findings, &Tip::head_of(&git));
    if cx.opts.secrets {
        recover_secrets(
            &git,
            cx.matcher,
            cx.opts.archives.as_ref(),
            &mut outcome.findings,
        );
    }
    if cx.opts.issues {
        let tcx = texts::Cx {
            client: cx.client,
            store: &store,
            matcher: cx.matcher,
            key: cx.key,
            secrets: cx.opts.secrets,
        };
        let t = texts::scan(&tcx, &name, repo);
        entry.texts = Some(t.scanned);
        outcome.findings.extend(t.findings);
        outcome.suppressed.extend(t.suppressed);
        outcome.stats.suppressed_public += t.suppressed_public;
        outcome.stats.suppressed_inline += t.suppressed_inline;
        for e in t.errors {
            outcome.errors.push(InputError {
                path: format!("{name}: issues"),
                message: e,
            });
        }
        notes.extend(t.notes);
    }
    outcome.stats.errors = outcome.errors.len() as u64;
    if let Some(first) = outcome.errors.first() {
        entry.status = RepoStatus::Failed;
        entry.reason = Some(match outcome.errors.len() {
            1 => format!("{}: {}", first.path, first.message),
            n => format!("{n} errors, the first: {}: {}", first.path, first.message),
        });
    }
    outcome.notes = notes;
    outcome.repositories = Some(vec![entry]);
    outcome
}

/// A repository that could not be audited.
pub(crate) fn failed(name: &str, reason: String) -> Outcome {
    Outcome {
        errors: vec![InputError {
            path: name.to_string(),
            message: reason.clone(),
        }],
        repositories: Some(vec![RepoEntry {
            name: name.to_string(),
            status: RepoStatus::Failed,
            reason: Some(reason),
            commits: 0,
            blobs: 0,
            new_blobs: 0,
            texts: None,
        }]),
        ..Outcome::default()
    }
}

/// The findings (and what was set aside) of every reachable blob the state remembers.
fn rebuild(state: &RepoState, repo: &Repo, c: &mut Collected) {
    let repository = repo.full_name.clone();
    for (blob, found) in &state.found {
        if !found.reachable {
            continue;
        }
        let blob_origin = Origin::Git {
            blob: blob.clone(),
            commit: found.commit.clone(),
            path: found.path.clone(),
        };
        for m in &found.matches {
            let origin = match m.entries.as_slice() {
                [] => blob_origin.clone(),
                entries => Origin::Archive {
                    outer: Box::new(blob_origin.clone()),
                    entries: entries.to_vec(),
                },
            };
            let at = || format!("{}:{}:{}", origin.display_path(), m.line, m.column);
            match &m.set_aside {
                Some(SetAside::Inline { reason }) => c.aggregator.suppressed.push(Suppressed {
                    why: Why::Inline(reason.clone()),
                    what: m.kind.to_string(),
                    at: at(),
                    sha256: m.sha256.clone(),
                }),
                Some(SetAside::Public { name }) => c.aggregator.suppressed.push(Suppressed {
                    why: Why::Public(name.clone()),
                    what: format!("{} ({name})", m.kind),
                    at: at(),
                    sha256: m.sha256.clone(),
                }),
                None => c
                    .aggregator
                    .add_finding(finding(m, &origin, &repository, repo)),
            }
        }
    }
}

/// A finding from a stored match, at `origin` (a git blob, or an entry inside one) in
/// `repository`.
fn finding(m: &StoredMatch, origin: &Origin, repository: &str, repo: &Repo) -> Finding {
    let Origin::Git { blob, commit, path } = origin.outer() else {
        unreachable!("stored matches are git blobs")
    };
    // Inside an archive the line is the entry's: the link is to the archive file.
    let line = Some(m.line).filter(|_| m.entries.is_empty());
    let url = match (commit, path) {
        (Some(c), Some(p)) => Some(repo.permalink(c, p, line)),
        _ => None,
    };
    Finding {
        kind: m.kind,
        rule_id: m.rule_id.clone(),
        secret: String::new(),
        known_preview: Some(m.preview.clone()),
        sha256: m.sha256.clone(),
        details: m.details.clone(),
        locations: vec![Location {
            repository: Some(repository.to_string()),
            path: origin.display_path(),
            archive_path: origin.archive_path(),
            line: m.line,
            column: m.column,
            rule_id: m.rule_id.clone(),
            commit: commit.clone(),
            author: None,
            date: None,
            blob: Some(blob.clone()),
            url,
            context: m.context.clone(),
            origin: origin.clone(),
        }],
        history: None,
    }
}

/// Put the secrets back into findings rebuilt without them, by scanning again the blobs that
/// hold them (read from the mirror; an archive opened again as `archives` allows). A secret
/// not found again stays empty.
fn recover_secrets(
    git: &Repository,
    matcher: &Matcher,
    archives: Option<&ArchiveLimits>,
    findings: &mut [Finding],
) {
    let Ok(odb) = git.odb() else { return };
    let mut scanner = Scanner::new(matcher);
    let mut done: HashSet<String> = HashSet::new();
    let mut secrets: std::collections::HashMap<String, String> = Default::default();
    for f in findings.iter() {
        if !f.secret.is_empty() || secrets.contains_key(&f.sha256) {
            continue;
        }
        for l in &f.locations {
            let Some(blob) = &l.blob else { continue };
            if !done.insert(blob.clone()) {
                continue;
            }
            let Ok(obj) = Oid::from_str(blob).and_then(|o| odb.read(o)) else {
                continue;
            };
            let origin = Origin::Git {
                blob: blob.clone(),
                commit: None,
                path: None,
            };
            nested::blob(origin, obj.data(), archives, &mut |e| {
                if let Event::Blob { bytes, .. } = e {
                    for (m, _) in blob_matches(&mut scanner, bytes) {
                        secrets
                            .entry(crate::finding::sha256_hex(&m.secret))
                            .or_insert(m.secret);
                    }
                }
            });
            if secrets.contains_key(&f.sha256) {
                break;
            }
        }
    }
    for f in findings {
        if f.secret.is_empty() {
            if let Some(s) = secrets.get(&f.sha256) {
                f.secret = s.clone();
            }
        }
    }
}
