//! Reading the blobs an enumeration listed, `threads` at a time, each thread with its own
//! repository handle, and handing them to that thread's worker as [`Event`]s. Jobs are taken
//! in the order listed, in batches that keep a path's versions together: the handles share
//! each pack and its delta-base cache, and two threads resolving one file's delta chain at
//! once would both do the work.

use super::{error, handle_path, BlobJob};
use crate::finding::Origin;
use crate::input::archive::ArchiveLimits;
use crate::input::{nested, Added, Event, InputError, Skip};
use git2::Repository;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A thread takes jobs this many at a time, more to finish a path, up to [`MAX_BATCH`].
const BATCH: usize = 32;
/// A file with thousands of versions is still shared out between threads.
const MAX_BATCH: usize = 8 * BATCH;

/// How far reading has got, reported after each batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Progress {
    /// The batch just done (batches are numbered from 0).
    pub(crate) batch: usize,
    /// The jobs in it.
    pub(crate) jobs: u64,
    /// Bytes read so far, by every thread.
    pub(crate) bytes: u64,
}

/// Read every job's blob (blobs over `max` bytes are skipped) and hand it to a worker, an
/// archive entry by entry when `archives` allows; each reading thread gets its own worker
/// from `make_worker`, dropped when the thread finishes.
pub(crate) fn read<W, F>(
    repo: &Repository,
    jobs: &[BlobJob],
    max: u64,
    archives: Option<&ArchiveLimits>,
    threads: usize,
    make_worker: F,
    progress: &(dyn Fn(Progress) + Sync),
) where
    F: Fn() -> W + Sync,
    W: FnMut(Event<'_>),
{
    let path = handle_path(repo);
    let batches = batches(jobs);
    let next = AtomicUsize::new(0);
    let bytes_done = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(batches.len()).max(1) {
            scope.spawn(|| {
                let mut worker = make_worker();
                let own = match Repository::open(&path) {
                    Ok(r) => r,
                    Err(e) => {
                        worker(Event::Error(error(path.display().to_string(), &e)));
                        return;
                    }
                };
                let odb = match own.odb() {
                    Ok(o) => o,
                    Err(e) => {
                        worker(Event::Error(error("object database", &e)));
                        return;
                    }
                };
                loop {
                    let batch = next.fetch_add(1, Ordering::Relaxed);
                    let Some(range) = batches.get(batch) else {
                        break;
                    };
                    let mut n = 0;
                    for job in &jobs[range.clone()] {
                        n += read_job(&odb, job, max, archives, &mut worker) as u64;
                    }
                    let bytes = bytes_done.fetch_add(n, Ordering::Relaxed) + n;
                    progress(Progress {
                        batch,
                        jobs: range.len() as u64,
                        bytes,
                    });
                }
            });
        }
    });
}

/// `jobs` cut into runs of [`BATCH`] to [`MAX_BATCH`] jobs, each ending where the path changes
/// if it can.
fn batches(jobs: &[BlobJob]) -> Vec<Range<usize>> {
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

/// Where a job's blob came from.
pub(crate) fn origin(job: &BlobJob) -> Origin {
    Origin::Git {
        blob: job.oid.to_string(),
        commit: job.commit.map(|c| c.to_string()),
        path: job.path.as_deref().map(str::to_string),
    }
}

/// Read one blob and hand it to the worker; returns the bytes read.
fn read_job<W: FnMut(Event<'_>)>(
    odb: &git2::Odb<'_>,
    job: &BlobJob,
    max: u64,
    archives: Option<&ArchiveLimits>,
    worker: &mut W,
) -> usize {
    let what = || format!("{} (blob {})", origin(job).display_path(), job.oid);
    match odb.read_header(job.oid) {
        Ok((size, _)) if size as u64 > max => {
            worker(Event::Skipped(Skip::TooLarge {
                path: what(),
                size: size as u64,
            }));
            return 0;
        }
        Ok(_) => {}
        Err(e) => {
            worker(Event::Error(InputError {
                path: what(),
                message: missing_message(&e),
            }));
            return 0;
        }
    }
    let obj = match odb.read(job.oid) {
        Ok(o) => o,
        Err(e) => {
            worker(Event::Error(InputError {
                path: what(),
                message: missing_message(&e),
            }));
            return 0;
        }
    };
    let bytes = obj.data();
    if job.lines.is_none() && job.minus.is_none() {
        nested::blob(origin(job), bytes, archives, worker);
    } else {
        let before = job
            .minus
            .map(|minus| move || odb.read(minus).ok().map(|o| o.data().to_vec()));
        let added = Added {
            lines: job.lines.as_deref().map(Vec::as_slice),
            before: before.as_ref().map(|f| f as &dyn Fn() -> Option<Vec<u8>>),
        };
        nested::change(origin(job), bytes, added, archives, worker);
    }
    bytes.len()
}

fn missing_message(e: &git2::Error) -> String {
    if e.code() == git2::ErrorCode::NotFound {
        "object is missing from the repository (a partial clone, or a corrupt repository)".into()
    } else {
        format!("cannot be read: {}", e.message())
    }
}
