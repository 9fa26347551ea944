//! What one outer archive may cost, and the readers that enforce it while bytes flow.
//!
//! Every decompressor's output goes through a [`Meter`], which counts it against the outer
//! archive's [`Budget`] (total bytes decompressed, and the ratio of that total to the outer
//! input) and against its own ratio (output to compressed input). A meter that trips records
//! why in the budget and fails the read; whoever unwinds the readers asks the budget what
//! happened, so a limit is never mistaken for a damaged archive. Nothing here allocates in
//! proportion to the input: the counters are the memory.

use super::ArchiveSkip;
use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};

/// Limits for one outer archive (a file or blob), nested archives included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArchiveLimits {
    /// How many archive layers are opened: 1 opens the file's own entries only. Default 4:
    /// `docker save` image tar -> layer tar -> a package's tgz -> one more (a jar inside a
    /// war inside that). 42.zip-style bombs need more layers than real software ships.
    pub max_depth: u32,
    /// Bytes produced by decompression (gzip, deflate) within one outer archive, every layer
    /// counted. Plain tar data is not counted: it is on disk already and costs a read, not an
    /// expansion. Default 1 GiB: about 4 s of inflating on one core, several times the
    /// unpacked size of any npm package, wheel or jar; bombs aim at many times more.
    pub max_total_bytes: u64,
    /// Output to input of one decompressor (a zip entry, a gzip stream), and of the whole
    /// archive (all decompressed bytes to the outer archive's size). Default 100: source and
    /// text compress 3-20x, highly repetitive data (logs, SQL dumps) rarely past 100; deflate
    /// bombs run at about 1000.
    pub max_ratio: u64,
    /// Output below this never trips a ratio: a small file of zeros or padding (common in test
    /// fixtures) is cheap whatever its ratio. Default 4 MiB. The whole archive may produce this
    /// much on top of its ratio allowance.
    pub ratio_grace: u64,
    /// Entries (files, directories, links) seen in one outer archive, every layer counted.
    /// Default 200,000: a node_modules tree or a large image layer holds tens of thousands;
    /// past this an archive is more likely a bomb of tiny entries (each costs a header, and a
    /// zip's central directory costs memory per entry).
    pub max_entries: u64,
    /// Largest entry handed to the scanner (the caller's `--max-file-size`). Default 64 MiB,
    /// the scan's own default.
    pub max_entry_size: u64,
    /// Bytes buffered at once for one outer archive: the entry being scanned plus every
    /// nested zip held open around it (a zip needs random access, so a nested one is held in
    /// memory; tar and gzip are streamed). Default 128 MiB: a full-size entry inside a
    /// full-size nested zip.
    pub max_held: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_depth: 4,
            max_total_bytes: 1 << 30,
            max_ratio: 100,
            ratio_grace: 4 << 20,
            max_entries: 200_000,
            max_entry_size: 64 << 20,
            max_held: 128 << 20,
        }
    }
}

/// Extended tar headers (GNU long names, PAX records) are read whole by the tar reader, so
/// their size is capped here: real ones are a few hundred bytes, xattr-heavy ones a few KB.
pub(crate) const MAX_TAR_HEADER_BYTES: u64 = 1 << 20;

/// Why a metered read stopped, and which unit (a zip entry, a gzip stream, a tar reader)
/// owns the limit: limits of the whole archive are owned by no unit (`owner` 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trip {
    pub kind: TripKind,
    pub owner: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TripKind {
    /// One decompressor's output passed `max_ratio` times its input.
    Ratio,
    /// The archive's decompressed total passed `max_total_bytes`.
    TotalBytes,
    /// The archive's decompressed total passed `max_ratio` times the outer input.
    OverallRatio,
    /// More than `max_entries` entries.
    Entries,
    /// A tar's extended headers passed [`MAX_TAR_HEADER_BYTES`].
    TarHeader,
}

impl TripKind {
    /// Whether this trip ends the whole outer archive (rather than one unit of it).
    pub fn stops_archive(self) -> bool {
        matches!(
            self,
            TripKind::TotalBytes | TripKind::OverallRatio | TripKind::Entries
        )
    }

    pub fn reason(self, l: &ArchiveLimits) -> ArchiveSkip {
        match self {
            TripKind::Ratio => ArchiveSkip::Ratio { limit: l.max_ratio },
            TripKind::TotalBytes => ArchiveSkip::TotalBytes {
                limit: l.max_total_bytes,
            },
            TripKind::OverallRatio => ArchiveSkip::OverallRatio { limit: l.max_ratio },
            TripKind::Entries => ArchiveSkip::TooManyEntries {
                limit: l.max_entries,
            },
            TripKind::TarHeader => ArchiveSkip::Damaged {
                message: format!(
                    "extended tar header over {} bytes (no tar tool writes one)",
                    MAX_TAR_HEADER_BYTES
                ),
            },
        }
    }
}

/// The counters of one outer archive, shared by every reader working on it (one thread).
pub(crate) struct Budget {
    pub limits: ArchiveLimits,
    /// Bytes produced by decompressors so far.
    pub decompressed: Cell<u64>,
    /// The outer archive's size when known (a file, a blob); else the bytes read of it so far.
    outer_size: Option<u64>,
    outer_read: Cell<u64>,
    trip: Cell<Option<Trip>>,
    next_unit: Cell<u32>,
}

impl Budget {
    pub fn new(limits: ArchiveLimits, outer_size: Option<u64>) -> Budget {
        Budget {
            limits,
            decompressed: Cell::new(0),
            outer_size,
            outer_read: Cell::new(0),
            trip: Cell::new(None),
            next_unit: Cell::new(1),
        }
    }

    /// A fresh owner id for a unit that can trip on its own.
    pub fn unit(&self) -> u32 {
        let id = self.next_unit.get();
        self.next_unit.set(id + 1);
        id
    }

    pub fn trip(&self, kind: TripKind, owner: u32) -> io::Error {
        if self.trip.get().is_none() {
            let owner = if kind.stops_archive() { 0 } else { owner };
            self.trip.set(Some(Trip { kind, owner }));
        }
        io::Error::other(format!("archive limit reached: {kind:?}"))
    }

    pub fn tripped(&self) -> Option<Trip> {
        self.trip.get()
    }

    /// Take the trip if `owner` owns it: that unit records the skip and goes on.
    pub fn claim(&self, owner: u32) -> Option<TripKind> {
        match self.trip.get() {
            Some(t) if t.owner == owner && owner != 0 => {
                self.trip.set(None);
                Some(t.kind)
            }
            _ => None,
        }
    }

    /// Whether the whole archive has stopped.
    pub fn stopped(&self) -> bool {
        self.trip.get().is_some_and(|t| t.kind.stops_archive())
    }

    fn outer(&self) -> u64 {
        self.outer_size.unwrap_or_else(|| self.outer_read.get())
    }

    /// The most one decompressor may produce from `input` bytes.
    fn allowance(&self, input: u64) -> u64 {
        input
            .saturating_mul(self.limits.max_ratio)
            .max(self.limits.ratio_grace)
    }

    /// Whether one decompressor may produce `out` bytes from `input` bytes, with every limit
    /// (its own ratio, the archive's total and overall ratio) still unmet afterwards.
    pub fn fits(&self, input: u64, out: u64) -> bool {
        let total = self.decompressed.get().saturating_add(out);
        out <= self.allowance(input)
            && total <= self.limits.max_total_bytes
            && total <= self.overall_allowance()
    }

    /// Count `n` bytes decompressed (by a whole-buffer inflate that [`Budget::fits`] allowed).
    pub fn count(&self, n: u64) {
        self.decompressed.set(self.decompressed.get() + n);
    }

    /// The most the whole archive may produce: the grace on top of the ratio (not the larger
    /// of the two, as for one decompressor), so that one entry cut off at its own limit does
    /// not use up the allowance of the entries after it.
    fn overall_allowance(&self) -> u64 {
        self.outer()
            .saturating_mul(self.limits.max_ratio)
            .saturating_add(self.limits.ratio_grace)
    }
}

/// A decompressor's input size: known up front (a zip entry's compressed size), or counted as
/// it is read (a gzip stream).
#[derive(Clone, Copy)]
pub(crate) enum InCount<'a> {
    Fixed(u64),
    Live(&'a Cell<u64>),
}

/// Counts the bytes read through it (a gzip stream's compressed input, a streamed outer
/// archive).
pub(crate) struct Counted<'a, R> {
    pub inner: R,
    pub count: &'a Cell<u64>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Counts a streamed outer archive's bytes for the overall ratio.
pub(crate) struct OuterCounted<'b, R> {
    pub inner: R,
    pub budget: &'b Budget,
}

impl<R: Read> Read for OuterCounted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let c = &self.budget.outer_read;
        c.set(c.get() + n as u64);
        Ok(n)
    }
}

/// The output side of one decompressor: every byte is counted against the budget.
pub(crate) struct Meter<'a, R> {
    pub inner: R,
    input: InCount<'a>,
    out: u64,
    budget: &'a Budget,
    owner: u32,
}

impl<'a, R: Read> Meter<'a, R> {
    pub fn new(inner: R, input: InCount<'a>, budget: &'a Budget, owner: u32) -> Self {
        Meter {
            inner,
            input,
            out: 0,
            budget,
            owner,
        }
    }
}

impl<R: Read> Read for Meter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let b = self.budget;
        if b.tripped().is_some() {
            return Err(io::Error::other("archive limit reached"));
        }
        let input = match self.input {
            InCount::Fixed(n) => n,
            InCount::Live(c) => c.get(),
        };
        let total = b.decompressed.get();
        // Ask for no more than the tightest limit allows, plus one byte to see it passed: the
        // counters then never overshoot a limit by more than a byte.
        let room = [
            b.allowance(input).saturating_sub(self.out),
            b.limits.max_total_bytes.saturating_sub(total),
            b.overall_allowance().saturating_sub(total),
        ]
        .into_iter()
        .min()
        .unwrap_or(0)
        .saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.out += n as u64;
        let total = total + n as u64;
        b.decompressed.set(total);
        // This decompressor's own ratio first: when it is the bomb, it is named, and the
        // archive's other entries are still read.
        if self.out > b.allowance(input) {
            return Err(b.trip(TripKind::Ratio, self.owner));
        }
        if total > b.limits.max_total_bytes {
            return Err(b.trip(TripKind::TotalBytes, 0));
        }
        if total > b.overall_allowance() {
            return Err(b.trip(TripKind::OverallRatio, 0));
        }
        Ok(n)
    }
}

/// Bytes an archive reader takes from its input that are not entry data (tar headers and
/// extended headers) are capped: the tar reader reads a GNU long name or PAX record whole
/// into memory, whatever size its header claims.
pub(crate) struct HeaderGuard<'a, R> {
    pub inner: R,
    /// Bytes read so far.
    pub read: &'a Cell<u64>,
    /// Reading past this position trips [`TripKind::TarHeader`]; `u64::MAX` while entry
    /// data is read.
    pub limit: &'a Cell<u64>,
    pub budget: &'a Budget,
    pub owner: u32,
}

impl<R: Read> Read for HeaderGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.limit.get().saturating_sub(self.read.get());
        if room == 0 {
            return Err(self.budget.trip(TripKind::TarHeader, self.owner));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for HeaderGuard<'_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> ArchiveLimits {
        ArchiveLimits {
            max_total_bytes: 1000,
            max_ratio: 10,
            ratio_grace: 100,
            ..ArchiveLimits::default()
        }
    }

    #[test]
    fn a_meter_trips_its_own_ratio_and_the_owner_claims_it() {
        let b = Budget::new(small(), Some(10_000));
        let data = vec![0u8; 500];
        let owner = b.unit();
        // 20 bytes of input allow max(20 * 10, 100) = 200 bytes of output.
        let mut m = Meter::new(&data[..], InCount::Fixed(20), &b, owner);
        let mut out = Vec::new();
        let err = m.read_to_end(&mut out).unwrap_err();
        assert!(err.to_string().contains("limit"));
        assert!(out.len() <= 200 + 64, "read {} bytes", out.len());
        assert!(!b.stopped());
        assert_eq!(b.claim(owner + 1), None, "another unit cannot claim it");
        assert_eq!(b.claim(owner), Some(TripKind::Ratio));
        assert_eq!(b.tripped(), None);
    }

    #[test]
    fn the_total_stops_the_whole_archive() {
        let b = Budget::new(small(), Some(1_000_000));
        let data = vec![0u8; 5000];
        let owner = b.unit();
        let mut m = Meter::new(&data[..], InCount::Fixed(5000), &b, owner);
        let mut buf = [0u8; 64];
        let mut got = 0u64;
        while let Ok(n) = m.read(&mut buf) {
            got += n as u64;
        }
        assert!(got <= 1000);
        assert!(b.stopped());
        assert_eq!(
            b.claim(owner),
            None,
            "an archive-wide limit belongs to no unit"
        );
        assert_eq!(b.tripped().unwrap().kind, TripKind::TotalBytes);
    }

    #[test]
    fn the_header_guard_caps_reads_between_entries() {
        let b = Budget::new(ArchiveLimits::default(), None);
        let data = vec![7u8; 4096];
        let read = Cell::new(0);
        let limit = Cell::new(1000);
        let mut g = HeaderGuard {
            inner: &data[..],
            read: &read,
            limit: &limit,
            budget: &b,
            owner: 3,
        };
        let mut out = Vec::new();
        assert!(g.read_to_end(&mut out).is_err());
        assert_eq!(out.len(), 1000);
        assert_eq!(b.claim(3), Some(TripKind::TarHeader));
    }
}
