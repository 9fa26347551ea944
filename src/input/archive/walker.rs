//! The walk through one outer archive: the chain of names down to the current entry, the
//! buffers, and what happens to each entry (opened as a nested archive, handed over, or
//! skipped). The formats ([`super::tar`], [`super::zip`], [`super::gzip`]) call back into
//! [`Walker::entry`] for each of their entries.

use super::detect::{detect, ArchiveKind, PREFIX};
use super::limits::{ArchiveLimits, Budget};
use super::whole::{Inflater, WHOLE_MAX};
use super::{ArchiveEvent, ArchiveSkip, ArchiveStats, ReadSeek};
use std::io::{self, Cursor, Read, Seek, SeekFrom};

/// Where an archive's bytes come from, inside the walk: a stream (a tar entry, a gzip
/// stream's output) or something seekable (the outer file, a nested zip held in memory).
pub(crate) enum Src<'a> {
    Read(&'a mut dyn Read),
    Seek(&'a mut dyn ReadSeek),
}

impl Read for Src<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Src::Read(r) => r.read(buf),
            Src::Seek(r) => r.read(buf),
        }
    }
}

impl Seek for Src<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Src::Read(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a stream cannot seek",
            )),
            Src::Seek(r) => r.seek(pos),
        }
    }
}

/// How an entry (or a nested archive) ended, as its container needs to know.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    /// Reading it failed (truncated, corrupt) and the failure is not yet recorded: the
    /// container records it against the entry, and a stream container stops there.
    Broken(String),
    /// A limit tripped (see [`Budget::tripped`]): the unit that owns it records it and goes
    /// on; everyone else unwinds.
    Tripped,
}

pub(crate) struct Walker<'w> {
    pub budget: &'w Budget,
    emit: &'w mut dyn FnMut(ArchiveEvent<'_>),
    /// The outer archive's name, then each entry name down to the current one.
    pub chain: Vec<String>,
    pub stats: ArchiveStats,
    /// Bytes buffered right now (entry buffers and nested zips on the way down).
    pub held: u64,
    /// Spare entry buffers, so that small entries do not each allocate.
    pool: Vec<Vec<u8>>,
    /// Where the walk was when an archive-wide limit stopped it.
    stop_chain: Option<Vec<String>>,
    /// The whole-buffer inflater, made on first use (`None` until then, or if it could not be).
    inflater: Option<Inflater>,
}

impl<'w> Walker<'w> {
    pub fn new(
        name: &str,
        budget: &'w Budget,
        emit: &'w mut dyn FnMut(ArchiveEvent<'_>),
    ) -> Walker<'w> {
        Walker {
            budget,
            emit,
            chain: vec![name.to_string()],
            stats: ArchiveStats::default(),
            held: 0,
            pool: Vec::new(),
            stop_chain: None,
            inflater: None,
        }
    }

    pub fn limits(&self) -> &'w ArchiveLimits {
        &self.budget.limits
    }

    /// Record an archive-wide stop (once, where it was first seen) and report it.
    pub fn finish(mut self, kind: ArchiveKind) -> ArchiveStats {
        if let Some(t) = self.budget.tripped().filter(|t| t.kind.stops_archive()) {
            let reason = t.kind.reason(self.limits());
            let chain = self
                .stop_chain
                .take()
                .unwrap_or_else(|| self.chain[..1].to_vec());
            self.skip_at(&chain, reason);
        }
        self.stats.kind = Some(kind);
        self.stats.decompressed = self.budget.decompressed.get();
        self.stats
    }

    /// `flow` with damage recorded: a `Damaged` skip at the current chain, and the walk goes
    /// on; any other flow as it is.
    pub fn settle_damage(&mut self, flow: Flow) -> Flow {
        match flow {
            Flow::Broken(message) => {
                self.skip(ArchiveSkip::Damaged { message });
                Flow::Continue
            }
            other => other,
        }
    }

    pub fn skip(&mut self, reason: ArchiveSkip) {
        let chain = std::mem::take(&mut self.chain);
        self.skip_at(&chain, reason);
        self.chain = chain;
    }

    fn skip_at(&mut self, chain: &[String], reason: ArchiveSkip) {
        self.stats.skipped.count(&reason);
        (self.emit)(ArchiveEvent::Skipped {
            chain,
            reason: &reason,
        });
    }

    /// Note where an archive-wide stop was first seen (the deepest place, as the walk
    /// unwinds from it).
    pub fn note_stop(&mut self) {
        if self.stop_chain.is_none() && self.budget.stopped() {
            self.stop_chain = Some(self.chain.clone());
        }
    }

    /// Count one entry against `max_entries`; false when that stops the archive.
    pub fn count_entry(&mut self) -> bool {
        self.stats.entries_seen += 1;
        if self.stats.entries_seen > self.limits().max_entries {
            self.budget.trip(super::limits::TripKind::Entries, 0);
            self.note_stop();
            return false;
        }
        true
    }

    /// A read failed: a limit, or damage.
    pub fn failed(&mut self, e: &io::Error) -> Flow {
        if self.budget.tripped().is_some() {
            self.note_stop();
            Flow::Tripped
        } else {
            Flow::Broken(e.to_string())
        }
    }

    /// Open an archive of `kind` whose bytes are `src`, as the last name on the chain.
    pub fn archive(&mut self, kind: ArchiveKind, src: Src<'_>) -> Flow {
        match (kind, src) {
            (ArchiveKind::Zip, Src::Seek(r)) => self.zip(r, None),
            (ArchiveKind::Zip, Src::Read(r)) => self.zip_buffered(r, None),
            (ArchiveKind::Tar, src) => self.tar(src),
            (ArchiveKind::Gzip, src) => self.gzip(src),
        }
    }

    /// Open an archive of `kind` that is in memory: zip entries and a gzip file that declare
    /// their size are inflated whole ([`Walker::whole`]); the rest as from any seekable source.
    pub fn archive_bytes(&mut self, kind: ArchiveKind, bytes: &[u8]) -> Flow {
        let mut cur = Cursor::new(bytes);
        match kind {
            ArchiveKind::Zip => self.zip(&mut cur, Some(bytes)),
            ArchiveKind::Tar => self.tar(Src::Seek(&mut cur)),
            ArchiveKind::Gzip => match self.gzip_whole(bytes) {
                Some(flow) => flow,
                None => self.gzip(Src::Seek(&mut cur)),
            },
        }
    }

    /// `input` (a raw deflate stream, or a gzip file when `gzip`) inflated whole into the
    /// `size` bytes it declares (at most [`WHOLE_MAX`]), when that size fits every limit: the
    /// entry-size limit, the held limit twice over (the output is held while its entries are
    /// copied out, [`Walker::held_while`]), this stream's ratio to its `input.len()`
    /// compressed bytes, and the archive's decompressed total and overall ratio; and, given
    /// `crc`, when the output's CRC-32 is that. Then the bytes are counted as decompressed.
    /// `None` (nothing counted) otherwise: the caller streams it instead, which names the
    /// problem.
    pub fn whole(
        &mut self,
        input: &[u8],
        size: u64,
        gzip: bool,
        crc: Option<u32>,
    ) -> Option<Vec<u8>> {
        let free = self.limits().max_held.saturating_sub(self.held);
        if size == 0 || size > WHOLE_MAX || size > self.limits().max_entry_size || size > free / 2 {
            return None;
        }
        if !self.budget.fits(input.len() as u64, size) {
            return None;
        }
        if self.inflater.is_none() {
            self.inflater = Inflater::new();
        }
        let out = self
            .inflater
            .as_mut()?
            .inflate(input, usize::try_from(size).ok()?, gzip)?;
        if crc.is_some_and(|c| crc32fast::hash(&out) != c) {
            return None;
        }
        self.budget.count(size);
        self.stats.whole += 1;
        Some(out)
    }

    /// `f` run while `len` bytes more are held (a nested archive or an inflated output being
    /// read), counted in `held` and its peak.
    pub fn held_while<T>(&mut self, len: u64, f: impl FnOnce(&mut Self) -> T) -> T {
        self.held += len;
        self.stats.peak_held = self.stats.peak_held.max(self.held);
        let out = f(self);
        self.held -= len;
        out
    }

    /// The most an entry buffer may hold now.
    pub fn room(&self) -> u64 {
        let l = self.limits();
        l.max_entry_size.min(l.max_held.saturating_sub(self.held))
    }

    /// One entry, its name already on the chain; `declared` is the size its header gives.
    /// An entry that is an archive is opened (within `max_depth`) unless `nestable` is false
    /// (a sparse tar entry, whose holes would read as endless zeros); anything else is
    /// buffered and handed over.
    pub fn entry(&mut self, r: &mut dyn Read, declared: Option<u64>, nestable: bool) -> Flow {
        if !self.count_entry() {
            return Flow::Tripped;
        }
        let mut head = [0u8; PREFIX];
        let (n, err) = read_full(r, &mut head);
        if let Some(e) = err {
            return self.partial(&head[..n], &e);
        }
        let head = &head[..n];
        if let Some(kind) = detect(head).filter(|_| nestable) {
            let max = self.limits().max_depth;
            if self.chain.len() <= max as usize {
                let mut joined = head.chain(r);
                let flow = match kind {
                    ArchiveKind::Zip => self.zip_buffered(&mut joined, declared),
                    // A small gzip (a package's tgz in a layer tar) is read into memory, where
                    // it can be inflated whole.
                    ArchiveKind::Gzip => match declared.filter(|&d| d <= WHOLE_MAX) {
                        Some(d) => self.gzip_buffered(&mut joined, d),
                        None => self.gzip(Src::Read(&mut joined)),
                    },
                    _ => self.archive(kind, Src::Read(&mut joined)),
                };
                return flow;
            }
            self.skip(ArchiveSkip::TooDeep { limit: max });
        }
        self.leaf(head, r, declared)
    }

    /// Buffer an entry (its first bytes already read into `head`) and hand it over.
    fn leaf(&mut self, head: &[u8], r: &mut dyn Read, declared: Option<u64>) -> Flow {
        let cap = self.room();
        if let Some(size) = declared.filter(|&s| s > cap) {
            self.skip(ArchiveSkip::TooLarge { size, limit: cap });
            return Flow::Continue;
        }
        let mut buf = self.pool.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(head);
        let read = if head.len() < PREFIX {
            Ok(0) // read_full stopped short: the entry has ended
        } else {
            let more = (cap + 1).saturating_sub(head.len() as u64);
            r.take(more).read_to_end(&mut buf)
        };
        let len = buf.len() as u64;
        self.stats.peak_held = self.stats.peak_held.max(self.held + len);
        let flow = match read {
            Err(e) => match self.failed(&e) {
                Flow::Broken(m) => {
                    // Cut short: what was read is still worth scanning.
                    self.hand_over(&buf);
                    Flow::Broken(m)
                }
                other => other,
            },
            Ok(_) if len > cap => {
                self.skip(ArchiveSkip::TooLarge {
                    size: len,
                    limit: cap,
                });
                Flow::Continue
            }
            Ok(_) => {
                self.hand_over(&buf);
                Flow::Continue
            }
        };
        self.pool.push(buf);
        flow
    }

    /// An entry whose reading failed after `head`: what was read is handed over when the
    /// failure is damage (a limit discards it).
    pub fn partial(&mut self, head: &[u8], e: &io::Error) -> Flow {
        let flow = self.failed(e);
        if let Flow::Broken(_) = flow {
            if head.len() as u64 <= self.room() {
                self.stats.peak_held = self.stats.peak_held.max(self.held + head.len() as u64);
                self.hand_over(head);
            }
        }
        flow
    }

    fn hand_over(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.stats.entries += 1;
        self.stats.bytes += bytes.len() as u64;
        (self.emit)(ArchiveEvent::Entry {
            chain: &self.chain,
            bytes,
        });
    }

    /// Read a whole nested archive into memory (a zip needs random access), within the
    /// entry-size and held-bytes limits; what was read when the read failed part way. `Err`
    /// with how to go on when it was skipped or a limit tripped.
    pub fn buffer(&mut self, r: &mut dyn Read, declared: Option<u64>) -> Result<Vec<u8>, Flow> {
        let cap = self.room();
        if let Some(size) = declared.filter(|&s| s > cap) {
            self.skip(ArchiveSkip::TooLarge { size, limit: cap });
            return Err(Flow::Continue);
        }
        let mut buf = Vec::new();
        let read = r.take(cap + 1).read_to_end(&mut buf);
        self.stats.peak_held = self.stats.peak_held.max(self.held + buf.len() as u64);
        match read {
            Err(e) => match self.failed(&e) {
                // A cut-off zip can still be read from its local headers.
                Flow::Broken(_) => Ok(buf),
                other => Err(other),
            },
            Ok(_) if buf.len() as u64 > cap => {
                self.skip(ArchiveSkip::TooLarge {
                    size: buf.len() as u64,
                    limit: cap,
                });
                Err(Flow::Continue)
            }
            Ok(_) => Ok(buf),
        }
    }
}

/// Read until `buf` is full or the input ends: the count read, and the error that stopped
/// it early, if one did (the bytes before it are still in `buf`).
pub(crate) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}
