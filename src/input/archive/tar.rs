//! Tar (ustar, GNU, pax, v7), read as a stream: each regular file is an entry; directories,
//! links and devices carry no content and are only counted. From a seekable input (a file, a
//! blob in memory) the data of entries not read is skipped with a seek, so a 10 GB entry over
//! the size limit costs nothing; from a stream it is read through (and, inside a gzip,
//! counted as decompressed).
//!
//! The tar reader reads extended headers (GNU long names, PAX records) whole into memory,
//! whatever size they claim, so everything it reads between two entries' data goes through a
//! [`HeaderGuard`] capped at [`MAX_TAR_HEADER_BYTES`].

use super::limits::{HeaderGuard, MAX_TAR_HEADER_BYTES};
use super::name;
use super::walker::{Flow, Src, Walker};
use super::ArchiveSkip;
use std::cell::Cell;

impl Walker<'_> {
    pub(crate) fn tar(&mut self, src: Src<'_>) -> Flow {
        self.stats.archives += 1;
        self.tar_entries(src)
    }

    /// The entries of a tar (also the inside of a `.tar.gz`, which counts as one archive).
    pub(crate) fn tar_entries(&mut self, src: Src<'_>) -> Flow {
        let budget = self.budget;
        let unit = budget.unit();
        let seekable = matches!(src, Src::Seek(_));
        let read = Cell::new(0u64);
        let limit = Cell::new(u64::MAX);
        let guard = HeaderGuard {
            inner: src,
            read: &read,
            limit: &limit,
            budget,
            owner: unit,
        };
        let mut archive = ::tar::Archive::new(guard);
        let entries = if seekable {
            archive.entries_with_seek()
        } else {
            archive.entries()
        };
        let mut entries = match entries {
            Ok(e) => e,
            Err(e) => {
                self.skip(ArchiveSkip::Damaged {
                    message: e.to_string(),
                });
                return Flow::Continue;
            }
        };
        // From a stream, the reader skips the rest of the previous entry's data by reading it
        // before the next header: that much is allowed on top of the header cap.
        let mut data_end = 0u64;
        loop {
            let start = if seekable {
                read.get()
            } else {
                read.get().max(data_end)
            };
            // A header block, padding and the extended headers.
            limit.set(start.saturating_add(MAX_TAR_HEADER_BYTES + 1024));
            let next = entries.next();
            limit.set(u64::MAX);
            let mut e = match next {
                None => return Flow::Continue,
                Some(Ok(e)) => e,
                Some(Err(err)) => {
                    if let Some(kind) = budget.claim(unit) {
                        self.skip(kind.reason(self.limits()));
                    } else if budget.tripped().is_some() {
                        self.note_stop();
                        return Flow::Tripped;
                    } else {
                        self.skip(ArchiveSkip::Damaged {
                            message: err.to_string(),
                        });
                    }
                    return Flow::Continue;
                }
            };
            let kind = e.header().entry_type();
            let sparse = kind.is_gnu_sparse();
            // The bytes this entry takes in the archive (a sparse entry's size is the size of
            // the file it stands for; its stored data is what the header's size field says).
            let stored = if sparse {
                e.header().entry_size().unwrap_or(0)
            } else {
                e.size()
            };
            data_end = read.get().saturating_add(stored);
            if !(kind.is_file() || kind.is_contiguous() || sparse) {
                if !self.count_entry() {
                    return Flow::Tripped;
                }
                continue;
            }
            self.chain.push(name::from_bytes(&e.path_bytes()));
            let size = e.size();
            let flow = self.entry(&mut e, Some(size), !sparse);
            let stop = match flow {
                Flow::Continue => false,
                Flow::Broken(message) => {
                    // The stream is broken: nothing after this entry can be found.
                    self.skip(ArchiveSkip::Damaged { message });
                    true
                }
                Flow::Tripped => {
                    self.chain.pop();
                    return Flow::Tripped;
                }
            };
            self.chain.pop();
            if stop {
                return Flow::Continue;
            }
        }
    }
}
