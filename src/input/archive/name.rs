//! Entry names as they are shown: an archive's names are whatever its author wrote, so they
//! are made safe to print. Nothing is ever extracted, so `/etc/passwd` or `../../x` are just
//! names and stay as written; what could mislead a reader or a terminal is escaped: control
//! characters (`\x1b` would start a terminal escape sequence), bidirectional overrides (which
//! reorder what is shown), and bytes that are not UTF-8.

use std::fmt::Write;

/// A tar entry's name (or any name given as bytes): UTF-8 where it is, `\xNN` where not.
pub(crate) fn from_bytes(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        push_escaped(&mut out, chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// A zip entry's name: its raw bytes when they are UTF-8 (most tools write UTF-8 whether or
/// not they set the flag saying so); otherwise the zip reader's decoding (code page 437, the
/// format's default) when it had no replacement characters to make; otherwise the bytes.
pub(crate) fn zip(raw: &[u8], decoded: &str) -> String {
    if std::str::from_utf8(raw).is_ok() || decoded.contains(char::REPLACEMENT_CHARACTER) {
        from_bytes(raw)
    } else {
        let mut out = String::with_capacity(decoded.len());
        push_escaped(&mut out, decoded);
        out
    }
}

fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        if needs_escape(c) {
            let n = c as u32;
            if n < 0x80 {
                let _ = write!(out, "\\x{n:02x}");
            } else {
                let _ = write!(out, "\\u{{{n:x}}}");
            }
        } else {
            out.push(c);
        }
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // Bidirectional embeddings, overrides and isolates; line and paragraph separators.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
            // Marks that change direction or hide themselves.
            | '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shown_as_written_with_dangerous_characters_escaped() {
        assert_eq!(from_bytes(b"package/.env"), "package/.env");
        assert_eq!(from_bytes(b"/etc/passwd"), "/etc/passwd");
        assert_eq!(from_bytes(b"../../.ssh/id"), "../../.ssh/id");
        assert_eq!(from_bytes(b"a\x1b[31mred\n"), "a\\x1b[31mred\\x0a");
        assert_eq!(from_bytes(b"caf\xc3\xa9"), "caf\u{e9}");
        assert_eq!(from_bytes(b"bad\xff\xfe.txt"), "bad\\xff\\xfe.txt");
        assert_eq!(from_bytes(b"x\xc3"), "x\\xc3", "a cut-off sequence");
        assert_eq!(
            from_bytes("invoice\u{202e}fdp.exe".as_bytes()),
            "invoice\\u{202e}fdp.exe"
        );
        assert_eq!(from_bytes(b"\x85"), "\\x85");
        assert_eq!(from_bytes("\u{85}".as_bytes()), "\\u{85}", "C1 control");
    }

    #[test]
    fn zip_names_prefer_utf8_then_the_readers_code_page() {
        assert_eq!(zip(b"caf\xc3\xa9", "caf\u{251c}\u{2310}"), "caf\u{e9}");
        // 0x82 is e-acute in code page 437 and is not UTF-8.
        assert_eq!(zip(b"caf\x82", "caf\u{e9}"), "caf\u{e9}");
        // The reader replaced what it could not decode: show the bytes instead.
        assert_eq!(zip(b"a\xff", "a\u{fffd}"), "a\\xff");
        assert_eq!(zip(b"a\x07", "a\x07"), "a\\x07");
    }
}
