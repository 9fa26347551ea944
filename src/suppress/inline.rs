//! Inline allow markers: an `upsweep:allow` comment on a line sets aside what is found on that
//! line (a test fixture, a documented example), and `upsweep:allow-next-line` what is found on
//! the line after it (JSON and minified files, where nothing can share the value's line), each
//! with the reason written after it. Unlike the other filters this one keys on where a secret
//! was written, so it is applied per blob, while the text is at hand (see `scan::pool`).

/// The marker that allows the findings of the line it is written on. Also the start of
/// [`NEXT_LINE_MARKER`], so one search finds both.
pub(crate) const INLINE_MARKER: &str = "upsweep:allow";

/// The marker that allows the findings of the line after it.
pub(crate) const NEXT_LINE_MARKER: &str = "upsweep:allow-next-line";

/// If the line holding byte `offset` of `text` carries an `upsweep:allow` marker, or the line
/// before it an `upsweep:allow-next-line` marker, the reason written after the marker
/// (`Some(None)` when there is none).
///
/// Markers are matched as words: `upsweep:allowed` is neither. The reason is the rest of the
/// line after the marker, without separators (`:`, `-`), comment closers (`*/`, `-->`) and the
/// quotes and comma of a JSON string (`"_": "upsweep:allow-next-line fixture",`).
pub(crate) fn inline_allow(text: &[u8], offset: usize) -> Option<Option<String>> {
    let offset = offset.min(text.len());
    let start = memchr::memrchr(b'\n', &text[..offset]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &text[offset..]).map_or(text.len(), |i| offset + i);
    if let Some(reason) = marker(&text[start..end], INLINE_MARKER) {
        return Some(reason);
    }
    let before = start.checked_sub(1)?;
    let prev_start = memchr::memrchr(b'\n', &text[..before]).map_or(0, |i| i + 1);
    marker(&text[prev_start..before], NEXT_LINE_MARKER)
}

/// The reason after `name` in `line`, when `name` is written there as a word of its own.
fn marker(line: &[u8], name: &str) -> Option<Option<String>> {
    let finder = memchr::memmem::Finder::new(name.as_bytes());
    for at in finder.find_iter(line) {
        let after = &line[at + name.len()..];
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
    for closer in ["*/", "-->", "#}", "%>", "--%>", ",", "\"", "'"] {
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

    #[test]
    fn next_line_markers_allow_only_the_line_after_them() {
        let t = b"{\n  \"_\": \"upsweep:allow-next-line test fixture\",\n  \"token\": \"abc\",\n  \"other\": \"abc\"\n}\n";
        let at = |needle: &str, from: usize| {
            from + memchr::memmem::find(&t[from..], needle.as_bytes()).unwrap()
        };
        let first = at("abc", 0);
        assert_eq!(inline_allow(t, first), Some(Some("test fixture".into())));
        assert_eq!(
            inline_allow(t, at("abc", first + 1)),
            None,
            "two lines down"
        );
        // The marker's own line is not allowed by it, and the first line has no line before.
        assert_eq!(inline_allow(b"x # upsweep:allow-next-line\n", 0), None);
        assert_eq!(
            inline_allow(b"// upsweep:allow-next-line\nabc", 29),
            Some(None)
        );
        assert_eq!(inline_allow(b"// upsweep:allow-next-lines\nabc", 29), None);
        assert_eq!(inline_allow(b"abc", 1), None);
    }
}
