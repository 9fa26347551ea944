//! File trees: `ignore`'s parallel walker, one worker per thread. Ignore files are respected
//! as git users expect (`.gitignore` inside a repository, `.ignore`, `.git/info/exclude`, the
//! global excludes file) but hidden files are scanned: `.env` is where tokens leak most.
//! `.git` directories are never entered (history is `upsweep git`'s job). In a tree only
//! regular files are opened, so FIFOs and devices cannot hang a scan; a FIFO or device named on
//! the command line (`upsweep scan <(...)`) is read, at most `--max-file-size` of it. Symlinks
//! are followed only on request, and a loop is reported once, not followed.

use super::archive::{ArchiveLimits, Input};
use super::{nested, Event, InputError, Skip};
use crate::finding::Origin;
use crate::util::io::io_message;
use crate::util::paths::display;
use ignore::{DirEntry, WalkBuilder, WalkState};
use std::io::{Read, Seek};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub(crate) struct WalkOptions {
    pub(crate) paths: Vec<PathBuf>,
    pub(crate) no_ignore: bool,
    pub(crate) follow_symlinks: bool,
    pub(crate) max_file_size: u64,
    pub(crate) threads: usize,
    /// Paths to skip (the config file's `skip-paths`): reported as [`Skip::Excluded`], and a
    /// skipped directory is not entered.
    pub(crate) exclude: Option<std::sync::Arc<crate::suppress::paths::PathGlobs>>,
    /// How archives are opened; `None`: they are scanned as they are (`--no-archives`).
    pub(crate) archives: Option<ArchiveLimits>,
}

/// Walk every path; each walking thread gets its own worker from `make_worker`, which is
/// dropped when the thread finishes (flush per-thread results in its `Drop`).
pub(crate) fn walk<W, F>(opts: &WalkOptions, make_worker: F)
where
    F: Fn() -> W + Sync,
    W: FnMut(Event<'_>) + Send,
{
    let Some((first, rest)) = opts.paths.split_first() else {
        return;
    };
    // Paths that do not exist are reported here, plainly, rather than as walker errors.
    let mut builder: Option<WalkBuilder> = None;
    let mut missing = Vec::new();
    for p in std::iter::once(first).chain(rest) {
        if let Err(e) = std::fs::symlink_metadata(p) {
            let message = if e.kind() == std::io::ErrorKind::NotFound {
                "no such file or directory".to_string()
            } else {
                format!("cannot read: {}", io_message(&e))
            };
            missing.push((p.clone(), message));
            continue;
        }
        match &mut builder {
            None => builder = Some(WalkBuilder::new(p)),
            Some(b) => {
                b.add(p);
            }
        }
    }
    if !missing.is_empty() {
        let mut w = make_worker();
        for (p, message) in missing {
            w(Event::Error(InputError {
                path: p.display().to_string(),
                message,
            }));
        }
    }
    let Some(mut builder) = builder else { return };
    builder
        .hidden(false)
        .ignore(!opts.no_ignore)
        .git_ignore(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .parents(!opts.no_ignore)
        .follow_links(opts.follow_symlinks)
        .threads(opts.threads)
        .filter_entry(|e| !(e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir())));
    let max = opts.max_file_size;
    let exclude = opts.exclude.as_deref();
    let archives = opts.archives.as_ref();
    builder.build_parallel().run(|| {
        let mut worker = make_worker();
        let mut buf = Vec::new();
        Box::new(move |entry| {
            if let (Ok(e), Some(x)) = (&entry, exclude) {
                if x.matches_file(e.path()) {
                    let path = display(e.path());
                    worker(Event::Skipped(Skip::Excluded { path }));
                    return WalkState::Skip;
                }
            }
            visit(entry, max, archives, &mut buf, &mut worker);
            WalkState::Continue
        })
    });
}

fn visit<W: FnMut(Event<'_>)>(
    entry: Result<DirEntry, ignore::Error>,
    max: u64,
    archives: Option<&ArchiveLimits>,
    buf: &mut Vec<u8>,
    worker: &mut W,
) {
    let entry = match entry {
        Ok(e) => e,
        Err(err) => {
            worker(classify_walk_error(&err));
            return;
        }
    };
    // The path as reports show it: made only when something is reported about the file.
    let path = || display(entry.path());
    let Some(ft) = entry.file_type() else {
        // stdin is never produced by the walker; nothing else lacks a type.
        return;
    };
    if ft.is_dir() {
        return;
    }
    if ft.is_symlink() {
        // Only reached when not following symlinks.
        worker(Event::Skipped(Skip::Symlink { path: path() }));
        return;
    }
    let named_special = entry.depth() == 0 && readable_special(ft);
    if !(ft.is_file() || named_special) {
        // A FIFO or device met in a tree could block or never end: skipped. One named on the
        // command line (`upsweep scan <(...)`) is read, as the user asked.
        worker(Event::Skipped(Skip::Special { path: path() }));
        return;
    }
    // Opened, then read: the size is asked of the open file only when it fills the worker's
    // buffer (which grows to the largest file the worker has read), so most files cost an
    // open, two reads and a close, and no stat.
    let mut file = match std::fs::File::open(entry.path()) {
        Ok(f) => f,
        Err(e) => {
            // A file too large to scan is reported as such even when it cannot be opened.
            match entry.metadata() {
                Ok(m) if m.is_file() && m.len() > max => {
                    let size = m.len();
                    worker(Event::Skipped(Skip::TooLarge { path: path(), size }));
                }
                _ => worker(Event::Error(InputError {
                    path: path(),
                    message: format!("cannot read: {}", io_message(&e)),
                })),
            }
            return;
        }
    };
    let origin = || Origin::File(entry.path().to_path_buf());
    match read_whole(&mut file, max, buf) {
        Err(e) => worker(Event::Error(InputError {
            path: path(),
            message: format!("cannot read: {}", io_message(&e)),
        })),
        Ok(Whole::Read(n)) => nested::blob(origin(), &buf[..n], archives, worker),
        // Too large to read whole, but an archive (a `docker save` image) is streamed from
        // the file, from its start, each entry within the limit.
        Ok(Whole::TooLarge { size, regular }) => {
            let streamed = regular
                && archives.is_some_and(|limits| {
                    file.rewind().is_ok()
                        && nested::stream(
                            &origin(),
                            Input::Seekable(&mut file),
                            limits,
                            &mut *worker,
                        )
                });
            if !streamed {
                worker(Event::Skipped(Skip::TooLarge { path: path(), size }));
            }
        }
    }
}

/// What [`read_whole`] read.
enum Whole {
    /// The whole file, its `n` bytes at the start of the buffer.
    Read(usize),
    /// A file larger than the limit: `size` bytes (or, for a pipe or device, the limit and
    /// one), `regular` when it is a regular file (which can be read again from its start).
    TooLarge { size: u64, regular: bool },
}

/// Read `file` to its end into `buf`, at most `max` bytes. The first read asks for as much as
/// `buf` holds already (at least `MIN_READ`, at most `FIRST_READ`: a file too large to scan
/// costs no more than that); only a file that fills it is asked its size, which sizes the
/// next read or shows it too large. `buf` is a worker's, reused from file to
/// file: it keeps its length (bytes already zeroed once), so a file costs no allocation and
/// no clearing.
fn read_whole(file: &mut std::fs::File, max: u64, buf: &mut Vec<u8>) -> std::io::Result<Whole> {
    const MIN_READ: u64 = 8 * 1024;
    const FIRST_READ: u64 = 1 << 20;
    let cap = max.saturating_add(1);
    let mut want = (buf.len() as u64).clamp(MIN_READ, FIRST_READ).min(cap) as usize;
    let mut filled = 0;
    let mut sized = false;
    loop {
        if buf.len() < want {
            buf.resize(want, 0);
        }
        match file.read(&mut buf[filled..want]) {
            Ok(0) => return Ok(Whole::Read(filled)),
            Ok(n) => {
                filled += n;
                if filled < want {
                    continue;
                }
                if !sized {
                    sized = true;
                    let meta = file.metadata()?;
                    if meta.is_file() {
                        // A regular file: its size, and one byte more to find its end.
                        if meta.len() > max {
                            return Ok(Whole::TooLarge {
                                size: meta.len(),
                                regular: true,
                            });
                        }
                        want = want.max(meta.len().saturating_add(1).min(cap) as usize);
                        if filled < want {
                            continue;
                        }
                    }
                }
                if filled as u64 >= cap {
                    // A pipe or device, or a file that grew while read.
                    return Ok(Whole::TooLarge {
                        size: filled as u64,
                        regular: false,
                    });
                }
                want = (want as u64).saturating_mul(2).min(cap) as usize;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// A FIFO or character device, which can be read when named on the command line.
#[cfg(unix)]
fn readable_special(ft: std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    ft.is_fifo() || ft.is_char_device()
}

#[cfg(not(unix))]
fn readable_special(_: std::fs::FileType) -> bool {
    false
}

fn classify_walk_error(err: &ignore::Error) -> Event<'static> {
    let (path, inner) = unwrap_error(err);
    match inner {
        ignore::Error::Loop { child, .. } => Event::Skipped(Skip::Loop {
            path: display(child),
        }),
        ignore::Error::Io(e) => {
            let path = path.unwrap_or_else(|| "?".into());
            let meta = std::fs::symlink_metadata(&path).ok();
            let message = match meta {
                Some(m) if m.is_symlink() && e.kind() == std::io::ErrorKind::NotFound => {
                    "broken symbolic link: its target does not exist".to_string()
                }
                Some(m) if m.is_dir() => format!("cannot read directory: {}", io_message(e)),
                _ => format!("cannot read: {}", io_message(e)),
            };
            Event::Error(InputError { path, message })
        }
        other => Event::Error(InputError {
            path: path.unwrap_or_else(|| "?".into()),
            message: other.to_string(),
        }),
    }
}

fn unwrap_error(err: &ignore::Error) -> (Option<String>, &ignore::Error) {
    let mut path = None;
    let mut e = err;
    loop {
        match e {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert_with(|| display(p));
                e = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                e = err
            }
            _ => return (path, e),
        }
    }
}
