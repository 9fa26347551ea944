//! Which archive a blob is, from its first bytes only: a name proves nothing (a `.jar`, `.whl`,
//! `.apk`, `.nupkg` is a zip, a `.tgz` or `.crate` a gzip'd tar, and a `.zip` may be anything).
//!
//! The test must cost nothing on the files that are not archives, which is nearly all of
//! them: a zip or gzip is two or four byte compares; a tar needs 512 bytes, and a text file
//! fails at its first check (a digit or space at offset 148, where a tar keeps its checksum)
//! before the 512-byte sum is ever taken.

/// The formats opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArchiveKind {
    /// zip and everything built on it: jar, war, whl, apk, nupkg, xpi, docx.
    Zip,
    /// ustar, GNU, pax and old (v7) tar.
    Tar,
    /// A gzip stream: usually a tar (`.tgz`, `.tar.gz`, `.crate`), sometimes one file.
    Gzip,
}

/// Bytes [`detect`] wants to see (fewer is fine: short blobs are simply not tars).
pub(crate) const PREFIX: usize = 512;

/// The archive `head` (the first bytes of a blob, ideally [`PREFIX`] of them) starts.
pub(crate) fn detect(head: &[u8]) -> Option<ArchiveKind> {
    match head {
        // A local file header; an empty archive (end of central directory only); a spanned
        // or split archive's marker before its first local header.
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] | [b'P', b'K', 7, 8, ..] => {
            Some(ArchiveKind::Zip)
        }
        // Magic, then the only compression method gzip defines (deflate).
        [0x1f, 0x8b, 8, ..] => Some(ArchiveKind::Gzip),
        _ if is_tar_header(head) => Some(ArchiveKind::Tar),
        _ => None,
    }
}

/// A tar header block: `ustar` at 257 (POSIX and GNU), or an old-style header with a name, and
/// in both cases a checksum field that matches the block.
fn is_tar_header(h: &[u8]) -> bool {
    let Some(h) = h.get(..512) else { return false };
    // The checksum field: octal digits, padded with spaces, ended by NUL or space. Its first
    // byte rejects text and binary data alike.
    if !matches!(h[148], b'0'..=b'7' | b' ') {
        return false;
    }
    let ustar = &h[257..262] == b"ustar";
    if !ustar && (h[0] == 0 || !octal_field(&h[100..108]) || !octal_field(&h[124..136])) {
        // An old-style header has a name, and octal mode and size fields.
        return false;
    }
    let Some(stored) = octal(&h[148..156]) else {
        return false;
    };
    // The sum of the block with the checksum field read as spaces; some old tars summed
    // signed bytes, which readers accept too.
    let unsigned: u64 = h[..148]
        .iter()
        .chain(&h[156..])
        .map(|&b| u64::from(b))
        .sum::<u64>()
        + 8 * u64::from(b' ');
    let signed: i64 = h[..148]
        .iter()
        .chain(&h[156..])
        .map(|&b| i64::from(b as i8))
        .sum::<i64>()
        + 8 * i64::from(b' ');
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}

/// A numeric tar field: leading spaces, octal digits, then NUL or space padding.
fn octal(f: &[u8]) -> Option<u64> {
    let s = f.iter().position(|&b| b != b' ').unwrap_or(f.len());
    let digits = f[s..]
        .iter()
        .take_while(|b| b.is_ascii_digit() && **b < b'8');
    let mut v: u64 = 0;
    let mut n = 0;
    for &d in digits {
        v = v.checked_mul(8)?.checked_add(u64::from(d - b'0'))?;
        n += 1;
    }
    let rest = &f[s + n..];
    (n > 0 && rest.iter().all(|&b| b == 0 || b == b' ')).then_some(v)
}

/// An octal field, or one in GNU's base-256 form (high bit set), or empty.
fn octal_field(f: &[u8]) -> bool {
    f[0] & 0x80 != 0 || f.iter().all(|&b| b == 0) || octal(f).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(name: &str, data: &[u8], header: tar::Header) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = header;
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn archives_are_told_by_content() {
        assert_eq!(detect(b"PK\x03\x04\x14\x00"), Some(ArchiveKind::Zip));
        assert_eq!(detect(b"PK\x05\x06"), Some(ArchiveKind::Zip));
        assert_eq!(detect(b"PK\x07\x08PK\x03\x04"), Some(ArchiveKind::Zip));
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0]), Some(ArchiveKind::Gzip));
        let ustar = tar_of("a/.env", b"K=v\n", tar::Header::new_ustar());
        assert_eq!(detect(&ustar), Some(ArchiveKind::Tar));
        let gnu = tar_of("a/.env", b"K=v\n", tar::Header::new_gnu());
        assert_eq!(detect(&gnu), Some(ArchiveKind::Tar));
        let old = tar_of("a/.env", b"K=v\n", tar::Header::new_old());
        assert_eq!(&old[257..262], &[0; 5], "a v7 header has no magic");
        assert_eq!(detect(&old), Some(ArchiveKind::Tar));
    }

    #[test]
    fn near_misses_are_not_archives() {
        assert_eq!(detect(b""), None);
        assert_eq!(detect(b"PK"), None);
        assert_eq!(detect(b"PK\x01\x02"), None, "a central directory alone");
        assert_eq!(detect(&[0x1f, 0x8b]), None, "too short to say");
        assert_eq!(detect(&[0x1f, 0x8b, 9]), None, "not deflate");
        let text = "UPSTASH_REDIS_REST_URL=https://x.upstash.io\n".repeat(20);
        assert_eq!(detect(text.as_bytes()), None);
        // A tar header with one byte changed fails its checksum.
        let mut t = tar_of("a", b"x", tar::Header::new_ustar());
        t[0] = b'b';
        assert_eq!(detect(&t), None);
        // 512 zero bytes (a disk image, padding) are not a tar either.
        assert_eq!(detect(&[0u8; 1024]), None);
        // Digits at 148 with a matching sum but no name, mode or magic: not an old header.
        let mut fake = vec![0u8; 512];
        fake[148..156].copy_from_slice(b"000400\0 ");
        assert_eq!(detect(&fake), None);
        // Extensions prove nothing: a text file named .tgz is text (the caller passes bytes).
        assert_eq!(detect(b"not really a tarball"), None);
    }
}
