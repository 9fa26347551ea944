//! Whole-buffer inflating: a deflate stream (a zip entry) or a gzip file that is in memory and
//! declares its own size is decoded in one call of libdeflate straight into a buffer of that
//! size. That is two to three times faster than streaming through flate2 (which also copies
//! out of a 32 KB window and allocates a decoder state per entry), and nothing is guessed:
//! the fast path is taken only when the declared size fits every limit before a byte is
//! written, and only when the stream decodes to exactly that size (and, for gzip, its own
//! CRC and length check, with no byte left after the one member). Anything else (a size that
//! lies, a second gzip member, trailing bytes, damage, a bomb's size) goes back to the
//! streaming readers, which name the problem as before.

use std::ptr::NonNull;

/// Largest output decoded whole: past this, an entry is streamed (memory stays bounded by a
/// few of these per thread; the corpus's npm packages, wheels and jars are far smaller).
pub(crate) const WHOLE_MAX: u64 = 8 << 20;

/// One libdeflate decompressor (about 10 KB; reused for every stream of one outer archive).
pub(crate) struct Inflater(NonNull<libdeflate_sys::libdeflate_decompressor>);

impl Inflater {
    pub fn new() -> Option<Inflater> {
        // SAFETY: no arguments; a null result (out of memory) is refused below.
        let p = unsafe { libdeflate_sys::libdeflate_alloc_decompressor() };
        NonNull::new(p).map(Inflater)
    }

    /// `input` (a raw deflate stream, or a whole gzip file when `gzip`) decoded into exactly
    /// `size` bytes; `None` unless it decodes without error to that many bytes, and a gzip is
    /// one member that uses every byte of `input` and passes its CRC-32 and length checks.
    pub fn inflate(&mut self, input: &[u8], size: usize, gzip: bool) -> Option<Vec<u8>> {
        let d = self.0.as_ptr();
        let mut out: Vec<u8> = Vec::with_capacity(size);
        let (inp, out_ptr) = (input.as_ptr().cast(), out.as_mut_ptr().cast());
        let mut used = input.len();
        // SAFETY: `d` is a live decompressor used by this thread only; `input` is valid for
        // its length; `out` has room for `size` bytes; `used` is a valid place for the count
        // of input bytes a gzip's first member took. A null `actual_out_nbytes_ret` asks
        // libdeflate to succeed only when it fills all `size` bytes.
        let r = unsafe {
            if gzip {
                libdeflate_sys::libdeflate_gzip_decompress_ex(
                    d,
                    inp,
                    input.len(),
                    out_ptr,
                    size,
                    &mut used,
                    std::ptr::null_mut(),
                )
            } else {
                libdeflate_sys::libdeflate_deflate_decompress(
                    d,
                    inp,
                    input.len(),
                    out_ptr,
                    size,
                    std::ptr::null_mut(),
                )
            }
        };
        if r != libdeflate_sys::libdeflate_result_LIBDEFLATE_SUCCESS || used != input.len() {
            return None;
        }
        // SAFETY: on success libdeflate wrote all `size` bytes (the capacity reserved above).
        unsafe { out.set_len(size) };
        Some(out)
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: allocated by `libdeflate_alloc_decompressor`, freed once.
        unsafe { libdeflate_sys::libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder};
    use flate2::Compression;
    use std::io::Write;

    fn text() -> Vec<u8> {
        (0..20_000u32)
            .flat_map(|i| format!("line {i} of some text {}\n", i * 7919 % 1013).into_bytes())
            .collect()
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn decodes_only_to_the_exact_declared_size() {
        let data = text();
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(&data).unwrap();
        let raw = e.finish().unwrap();
        let mut inf = Inflater::new().unwrap();
        assert_eq!(
            inf.inflate(&raw, data.len(), false).as_deref(),
            Some(&data[..])
        );
        assert_eq!(
            inf.inflate(&raw, data.len() - 1, false),
            None,
            "a size too small"
        );
        assert_eq!(
            inf.inflate(&raw, data.len() + 1, false),
            None,
            "a size too large"
        );
        assert_eq!(
            inf.inflate(&raw[..raw.len() / 2], data.len(), false),
            None,
            "cut short"
        );
    }

    #[test]
    fn a_gzip_must_be_one_whole_member() {
        let data = text();
        let one = gz(&data);
        let mut inf = Inflater::new().unwrap();
        assert_eq!(
            inf.inflate(&one, data.len(), true).as_deref(),
            Some(&data[..])
        );
        let mut two = one.clone();
        two.extend_from_slice(&gz(b"second member"));
        assert_eq!(inf.inflate(&two, data.len(), true), None, "a second member");
        let mut trailing = one.clone();
        trailing.extend_from_slice(b"\0\0garbage");
        assert_eq!(
            inf.inflate(&trailing, data.len(), true),
            None,
            "trailing bytes"
        );
        let mut bad_crc = one.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert_eq!(inf.inflate(&bad_crc, data.len(), true), None, "a wrong CRC");
    }
}
