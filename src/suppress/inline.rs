//! Inline allow markers: an `upsweep:allow` comment on a line sets aside what is found on that
//! line (a test fixture, a documented example), with the reason written after it. Unlike the
//! other filters this one keys on where a secret was written, so it is applied per blob, while
//! the text is at hand (see `scan::pool`).

/// The marker that allows the findings of the line it is written on.
pub(crate) const INLINE_MARKER: &str = "upsweep:allow";

/// If the line holding byte `offset` of `text` carries an `upsweep:allow` marker, the reason
/// written after it (`Some(None)` when there is none).
///
/// The marker is matched as a word: `upsweep:allowed` is not one. The reason is the rest of the
/// line after the marker, without separators (`:`, `-`) and comment closers (`*/`, `-->`).
pub(crate) fn inline_allow(text: &[u8], offset: usize) -> Option<Option<String>> {
    let offset = offset.min(text.len());
    let start = memchr::memrchr(b'\n', &text[..offset]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &text[offset..]).map_or(text.len(), |i| offset + i);
    let line = &text[start..end];
    let finder = memchr::memmem::Finder::new(INLINE_MARKER.as_bytes());
    for at in finder.find_iter(line) {
        let after = &line[at + INLINE_MARKER.len()..];
        let word = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        // `upsweep:allowed` or `upsweep:allow-next-line`: another word, not this marker.
        if word(after.first()) || (after.first() == Some(&b'-') && word(after.get(1))) {
            continue;
        }
        return Some(reason(after));
    }
    None
}

fn reason(after: &[u8]) -> Option<String> {
    let mut s = String::from_utf8_lossy(after).trim().to_string();
    for closer in ["*/", "-->", "#}", "%>", "--%>"] {
        if let Some(t) = s.strip_suffix(closer) {
            s = t.trim_end().to_string();
        }
    }
    let s = s
        .trim_start_matches(|c: char| c == ':' || c == '-' || c == '—' || c.is_whitespace())
        .trim();
    (!s.is_empty()).then(|| s.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markers_and_reasons() {
        let t = b"A=1\nTOKEN=abc # upsweep:allow test fixture\nB=abc\n";
        let at = |needle: &str, from: usize| {
            from + memchr::memmem::find(&t[from..], needle.as_bytes()).unwrap()
        };
        assert_eq!(
            inline_allow(t, at("abc", 0)),
            Some(Some("test fixture".into()))
        );
        assert_eq!(inline_allow(t, at("abc", 20)), None);
        assert_eq!(inline_allow(b"x = 'v' // upsweep:allow", 5), Some(None));
        assert_eq!(
            inline_allow(b"x /* upsweep:allow: demo key */", 0),
            Some(Some("demo key".into()))
        );
        assert_eq!(
            inline_allow(b"<!-- upsweep:allow - docs -->", 0),
            Some(Some("docs".into()))
        );
        assert_eq!(inline_allow(b"x # upsweep:allowed", 0), None);
        assert_eq!(inline_allow(b"x # upsweep:allow-next-line", 0), None);
        assert_eq!(
            inline_allow(b"x # upsweep:allow\tcopied", 0),
            Some(Some("copied".into()))
        );
    }
}
