//! Zip (and jar, war, whl, apk, nupkg): read through the central directory, each entry on its
//! own, so one bad entry (encrypted, an unsupported method, a lying offset or size, a bad
//! checksum) is skipped and named while the others are read. Before the directory is parsed
//! its declared entry count is checked against the entry limit, since the zip reader keeps a
//! record per entry. A zip with no usable directory (truncated, or lying beyond repair) is
//! read from its local headers instead, as far as they go.

use super::limits::{InCount, Meter, TripKind};
use super::name;
use super::walker::{Flow, Walker};
use super::{ArchiveSkip, ReadSeek};
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

impl Walker<'_> {
    /// A zip met as a stream: held in memory (bounded) and read from there.
    pub(crate) fn zip_buffered(&mut self, r: &mut dyn Read, declared: Option<u64>) -> Flow {
        let buf = match self.buffer(r, declared) {
            Ok(b) => b,
            Err(flow) => return flow,
        };
        self.held_while(buf.len() as u64, |w| {
            w.zip(&mut Cursor::new(&buf[..]), Some(&buf))
        })
    }

    /// A zip read through `r`; `mem` is its bytes when they are in memory, so that deflated
    /// entries can be inflated whole.
    pub(crate) fn zip(&mut self, r: &mut dyn ReadSeek, mem: Option<&[u8]>) -> Flow {
        self.stats.archives += 1;
        let remaining = self
            .limits()
            .max_entries
            .saturating_sub(self.stats.entries_seen);
        if let Ok(Some(claimed)) = claimed_entries(r) {
            if claimed > remaining {
                self.budget.trip(TripKind::Entries, 0);
                self.note_stop();
                return Flow::Tripped;
            }
        }
        if let Err(e) = r.seek(SeekFrom::Start(0)) {
            self.skip(ArchiveSkip::Damaged {
                message: e.to_string(),
            });
            return Flow::Continue;
        }
        let mut archive = match ZipArchive::new(&mut *r) {
            Ok(a) => a,
            Err(ZipError::UnsupportedArchive(what)) => {
                self.skip(ArchiveSkip::Unsupported { what: what.into() });
                return Flow::Continue;
            }
            Err(e) => return self.zip_local_headers(r, &e),
        };
        for i in 0..archive.len() {
            if self.budget.stopped() {
                return Flow::Tripped;
            }
            if let Some(flow) = mem.and_then(|bytes| self.zip_whole(&mut archive, i, bytes)) {
                if flow == Flow::Tripped {
                    return flow;
                }
                continue;
            }
            let failed = match archive.by_index(i) {
                Ok(mut f) => {
                    if f.is_dir() {
                        if !self.count_entry() {
                            return Flow::Tripped;
                        }
                        continue;
                    }
                    self.chain.push(name::zip(f.name_raw(), f.name()));
                    let (size, packed) = (f.size(), f.compressed_size());
                    let stored = f.compression() == CompressionMethod::Stored;
                    let flow = self.zip_entry(&mut f, stored, size, packed);
                    self.chain.pop();
                    if flow == Flow::Tripped {
                        return flow;
                    }
                    continue;
                }
                Err(e) => entry_error(e),
            };
            let shown = archive
                .name_for_index(i)
                .map(|n| name::zip(n.as_bytes(), n))
                .unwrap_or_else(|| format!("<entry {i}>"));
            self.chain.push(shown);
            let counted = self.count_entry();
            if counted {
                self.skip(failed);
            }
            self.chain.pop();
            if !counted {
                return Flow::Tripped;
            }
        }
        Flow::Continue
    }

    /// Entry `i`, inflated whole from the zip's `bytes` when it is deflated, not encrypted,
    /// declares a size that fits (see [`Walker::whole`]) and its CRC-32 agrees; `None`, with
    /// nothing done, otherwise (the zip reader then reads it, and names what is wrong).
    fn zip_whole<R: Read + Seek>(
        &mut self,
        archive: &mut ZipArchive<R>,
        i: usize,
        bytes: &[u8],
    ) -> Option<Flow> {
        let (name, size, crc, data) = {
            let f = archive.by_index_raw(i).ok()?;
            if f.is_dir() || f.encrypted() || f.compression() != CompressionMethod::Deflated {
                return None;
            }
            let start = usize::try_from(f.data_start()?).ok()?;
            let end = start.checked_add(usize::try_from(f.compressed_size()).ok()?)?;
            let name = name::zip(f.name_raw(), f.name());
            (name, f.size(), f.crc32(), bytes.get(start..end)?)
        };
        let out = self.whole(data, size, false, Some(crc))?;
        self.chain.push(name);
        let unit = self.budget.unit();
        let flow = self.held_while(size, |w| w.entry(&mut &out[..], Some(size), true));
        let flow = self.entry_outcome(flow, unit);
        self.chain.pop();
        Some(flow)
    }

    /// One entry (its name on the chain): a compressed one is metered; the outcome recorded.
    fn zip_entry(&mut self, f: &mut dyn Read, stored: bool, size: u64, packed: u64) -> Flow {
        let unit = self.budget.unit();
        let budget = self.budget;
        let flow = if stored {
            self.entry(f, Some(size), true)
        } else {
            let mut m = Meter::new(f, InCount::Fixed(packed), budget, unit);
            self.entry(&mut m, Some(size), true)
        };
        self.entry_outcome(flow, unit)
    }

    /// How an entry read by `unit` ended, recorded: damage is named and the zip goes on; a
    /// limit `unit` owns is named and the zip goes on; anything else unwinds.
    fn entry_outcome(&mut self, flow: Flow, unit: u32) -> Flow {
        let budget = self.budget;
        match self.settle_damage(flow) {
            Flow::Tripped => match budget.claim(unit) {
                Some(kind) => {
                    self.skip(kind.reason(self.limits()));
                    Flow::Continue
                }
                None => Flow::Tripped,
            },
            other => other,
        }
    }

    /// No usable central directory: walk the local headers from the start, as far as they go.
    /// (An entry whose sizes are only in a data descriptor after its data ends the walk when
    /// it is stored rather than deflated: nothing says where its data ends.)
    fn zip_local_headers(&mut self, r: &mut dyn ReadSeek, why: &ZipError) -> Flow {
        self.skip(ArchiveSkip::Damaged {
            message: format!("{why}; entries read from their local headers"),
        });
        if r.seek(SeekFrom::Start(0)).is_err() {
            return Flow::Continue;
        }
        let mut r = r;
        loop {
            if self.budget.stopped() {
                return Flow::Tripped;
            }
            let mut f = match zip::read::read_zipfile_from_stream(&mut r) {
                Ok(Some(f)) => f,
                // The central directory's start, the end of the data, or damage: either way the
                // local headers end here.
                Ok(None) | Err(_) => return Flow::Continue,
            };
            if f.is_dir() {
                if !self.count_entry() {
                    return Flow::Tripped;
                }
                continue;
            }
            self.chain.push(name::zip(f.name_raw(), f.name()));
            let (size, packed) = (f.size(), f.compressed_size());
            let stored = f.compression() == CompressionMethod::Stored;
            let flow = self.zip_entry(&mut f, stored, size, packed);
            self.chain.pop();
            if flow == Flow::Tripped {
                return flow;
            }
        }
    }
}

/// Why the zip reader would not open an entry.
fn entry_error(e: ZipError) -> ArchiveSkip {
    match e {
        ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED) => ArchiveSkip::Encrypted,
        ZipError::UnsupportedArchive(what) => ArchiveSkip::Unsupported { what: what.into() },
        ZipError::CompressionMethodNotSupported(m) => ArchiveSkip::Unsupported {
            what: format!("compression method {m}"),
        },
        other => ArchiveSkip::Damaged {
            message: other.to_string(),
        },
    }
}

/// The entry count the last end-of-central-directory record declares (its zip64 form when
/// the classic one is saturated), read from the last 64 KiB; `None` when there is none.
fn claimed_entries(r: &mut dyn ReadSeek) -> io::Result<Option<u64>> {
    const EOCD: usize = 22;
    let len = r.seek(SeekFrom::End(0))?;
    let tail_len = len.min((EOCD + u16::MAX as usize) as u64);
    r.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    r.take(tail_len).read_to_end(&mut tail)?;
    let Some(at) = memchr::memmem::rfind(&tail, b"PK\x05\x06").filter(|&p| p + EOCD <= tail.len())
    else {
        return Ok(None);
    };
    let u16_at = |p: usize| u16::from_le_bytes([tail[p], tail[p + 1]]);
    let entries = u16_at(at + 10);
    if entries != u16::MAX {
        return Ok(Some(u64::from(entries)));
    }
    // Zip64: a locator right before the record points at the zip64 record.
    let Some(loc) = at
        .checked_sub(20)
        .filter(|&l| &tail[l..l + 4] == b"PK\x06\x07")
    else {
        return Ok(Some(u64::from(entries)));
    };
    let offset = u64::from_le_bytes(tail[loc + 8..loc + 16].try_into().unwrap_or_default());
    r.seek(SeekFrom::Start(offset))?;
    let mut rec = [0u8; 56];
    if r.read_exact(&mut rec).is_err() || &rec[..4] != b"PK\x06\x06" {
        return Ok(Some(u64::from(entries)));
    }
    Ok(Some(u64::from_le_bytes(
        rec[32..40].try_into().unwrap_or_default(),
    )))
}
