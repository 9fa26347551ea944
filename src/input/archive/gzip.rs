//! Gzip: a `.tar.gz` (`.tgz`, `.crate`, an OCI layer blob) is read as the tar inside it, whose
//! entries are the gzip's own (`app.tgz!package/.env`); any other gzip is one entry, named as
//! `gunzip` would name it (`app.log.gz!app.log`). Concatenated members (what `cat a.gz b.gz`
//! or bgzip make) are one stream, as `gunzip` reads them; bytes after the last member that do
//! not start another are left unread and reported, not taken for damage.

use super::detect::{detect, ArchiveKind, PREFIX};
use super::limits::{Counted, InCount, Meter};
use super::name;
use super::walker::{read_full, Flow, Src, Walker};
use super::ArchiveSkip;
use flate2::bufread::GzDecoder;
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Cursor, Read};

impl Walker<'_> {
    pub(crate) fn gzip(&mut self, src: Src<'_>) -> Flow {
        self.stats.archives += 1;
        let budget = self.budget;
        let unit = budget.unit();
        let consumed = Cell::new(0u64);
        let input = BufReader::with_capacity(
            64 << 10,
            Counted {
                inner: src,
                count: &consumed,
            },
        );
        let mut m = Meter::new(Members::new(input), InCount::Live(&consumed), budget, unit);
        let mut head = [0u8; PREFIX];
        let (n, err) = read_full(&mut m, &mut head);
        let flow = match err {
            Some(e) if n == 0 => self.failed(&e),
            None if detect(&head[..n]) == Some(ArchiveKind::Tar) => {
                let mut joined = (&head[..n]).chain(&mut m);
                self.tar_entries(Src::Read(&mut joined))
            }
            err => {
                let member = member_name(&self.chain, m.inner.first_name.as_deref());
                self.chain.push(member);
                let flow = match err {
                    Some(e) => self.partial(&head[..n], &e),
                    None => {
                        let mut joined = (&head[..n]).chain(&mut m);
                        self.entry(&mut joined, None, true)
                    }
                };
                let flow = self.settle_damage(flow);
                self.chain.pop();
                flow
            }
        };
        let flow = match self.settle_damage(flow) {
            Flow::Tripped => match budget.claim(unit) {
                Some(kind) => {
                    self.skip(kind.reason(self.limits()));
                    Flow::Continue
                }
                None => Flow::Tripped,
            },
            other => other,
        };
        if m.inner.trailing {
            self.skip(ArchiveSkip::TrailingData);
        }
        flow
    }
}

impl Walker<'_> {
    /// A gzip file in memory, inflated whole when it is one member whose declared size fits
    /// (see [`Walker::whole`]); `None`, with nothing counted or reported, when it cannot be.
    pub(crate) fn gzip_whole(&mut self, bytes: &[u8]) -> Option<Flow> {
        let n = bytes.len();
        let size = u32::from_le_bytes(bytes.get(n.checked_sub(4)?..)?.try_into().ok()?);
        let out = self.whole(bytes, u64::from(size), true, None)?;
        self.stats.archives += 1;
        let flow = self.held_while(out.len() as u64, |w| {
            if detect(&out) == Some(ArchiveKind::Tar) {
                return w.tar_entries(Src::Seek(&mut Cursor::new(&out[..])));
            }
            let member = member_name(&w.chain, stored_name(bytes));
            w.chain.push(member);
            let flow = w.entry(&mut &out[..], None, true);
            let flow = w.settle_damage(flow);
            w.chain.pop();
            flow
        });
        Some(self.settle_damage(flow))
    }

    /// A gzip met as a stream (an entry of a tar) that declares it is `declared` bytes, at
    /// most [`super::whole::WHOLE_MAX`]: read into memory so that it can be inflated whole;
    /// streamed on from what was read when it cannot be.
    pub(crate) fn gzip_buffered(&mut self, r: &mut dyn Read, declared: u64) -> Flow {
        let cap = self.room().min(declared);
        let mut buf = Vec::new();
        let read = r.take(cap + 1).read_to_end(&mut buf);
        match read {
            Ok(_) if buf.len() as u64 <= cap => self.held_while(buf.len() as u64, |w| {
                w.archive_bytes(ArchiveKind::Gzip, &buf)
            }),
            // Longer than it said, or the read failed: on as a stream, the error where it was.
            Ok(_) => self.gzip(Src::Read(&mut (&buf[..]).chain(r))),
            Err(e) => self.gzip(Src::Read(&mut (&buf[..]).chain(FailOnce(Some(e))))),
        }
    }
}

/// A reader that fails with the error it holds, then ends.
struct FailOnce(Option<io::Error>);

impl Read for FailOnce {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// The file name a gzip header stores (FNAME), if it stores one.
fn stored_name(gz: &[u8]) -> Option<&[u8]> {
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    let flags = *gz.get(3)?;
    if flags & FNAME == 0 {
        return None;
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let xlen = u16::from_le_bytes(gz.get(10..12)?.try_into().ok()?);
        at = 12 + usize::from(xlen);
    }
    let rest = gz.get(at..)?;
    let end = memchr::memchr(0, rest)?;
    Some(&rest[..end])
}

/// The name of a gzip's content: the gzip's own name without its suffix, as `gunzip` writes
/// it; else the name stored in the gzip header; else a placeholder.
fn member_name(chain: &[String], stored: Option<&[u8]>) -> String {
    let last = chain.last().map(String::as_str).unwrap_or("");
    let base = last.rsplit('/').next().unwrap_or(last);
    let lower = base.to_ascii_lowercase();
    for (suffix, replace) in [(".tgz", ".tar"), (".gz", ""), (".gzip", ""), (".z", "")] {
        if lower.ends_with(suffix) && base.len() > suffix.len() {
            return format!("{}{replace}", &base[..base.len() - suffix.len()]);
        }
    }
    match stored {
        Some(s) if !s.is_empty() => {
            let s = s.rsplit(|&b| b == b'/').next().unwrap_or(s);
            name::from_bytes(s)
        }
        _ => "<gzip content>".to_string(),
    }
}

/// Gzip members one after another, as one stream; stops (without error) at bytes after a
/// member that do not start another, and says so in `trailing`.
struct Members<R: BufRead> {
    dec: Option<GzDecoder<R>>,
    /// The file name in the first member's header, if any.
    first_name: Option<Vec<u8>>,
    trailing: bool,
    first: bool,
}

impl<R: BufRead> Members<R> {
    fn new(r: R) -> Self {
        Members {
            dec: Some(GzDecoder::new(r)),
            first_name: None,
            trailing: false,
            first: true,
        }
    }
}

impl<R: BufRead> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(dec) = &mut self.dec else {
                return Ok(0);
            };
            let n = dec.read(buf)?;
            if self.first {
                self.first = false;
                self.first_name = dec.header().and_then(|h| h.filename()).map(<[u8]>::to_vec);
            }
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This member is done: another one, the end, or something else.
            let mut rest = self.dec.take().map(GzDecoder::into_inner).expect("decoder");
            let next = rest.fill_buf()?;
            match next {
                [] => return Ok(0),
                [0x1f, 0x8b, ..] | [0x1f] => self.dec = Some(GzDecoder::new(rest)),
                _ => {
                    self.trailing = true;
                    return Ok(0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::member_name;

    #[test]
    fn contents_are_named_as_gunzip_names_them() {
        let c = |s: &str| vec![s.to_string()];
        assert_eq!(member_name(&c("logs/app.log.gz"), None), "app.log");
        assert_eq!(member_name(&c("a/b.TGZ"), None), "b.tar");
        assert_eq!(member_name(&c("x.gzip"), Some(b"y")), "x");
        assert_eq!(member_name(&c("blob"), Some(b"dir/.env")), ".env");
        assert_eq!(member_name(&c("blob"), Some(b"\x1b]0;x")), "\\x1b]0;x");
        assert_eq!(member_name(&c("blob"), None), "<gzip content>");
        assert_eq!(member_name(&c(".gz"), None), "<gzip content>");
    }
}
