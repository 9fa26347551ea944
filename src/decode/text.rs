//! Reading a base64 value as it is written in real files: escapes undone, alphabet checked,
//! and where it ends.

/// The two base64 alphabets Upstash tokens use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// `A-Z a-z 0-9 - _` (Redis REST tokens).
    Url,
    /// `A-Z a-z 0-9 + /` (Vector, Search and QStash tokens).
    Standard,
}

impl Alphabet {
    pub fn contains(self, b: u8) -> bool {
        b.is_ascii_alphanumeric()
            || match self {
                Alphabet::Url => b == b'-' || b == b'_',
                Alphabet::Standard => b == b'+' || b == b'/',
            }
    }
}

/// A base64 value as written: the characters it stands for, and where each ends in the input.
#[derive(Debug, Default)]
pub struct Written {
    /// The value with escapes undone (alphabet characters and `=` padding).
    pub chars: Vec<u8>,
    /// `ends[i]` is the input offset just past the written form of `chars[i]`.
    pub ends: Vec<usize>,
    pub encoding: Option<&'static str>,
}

impl Written {
    /// Read alphabet characters (then `=` padding) from the start of `raw`, undoing
    /// `%2B %2F %3D`, `\/` and `\u002B`-style escapes, stopping at anything else. At most
    /// `limit` characters are read.
    pub fn read(raw: &[u8], alphabet: Alphabet, limit: usize) -> Written {
        let mut w = Written::default();
        let mut i = 0;
        let mut in_padding = false;
        while i < raw.len() && w.chars.len() < limit {
            let (c, n, enc) = match unescape_at(raw, i) {
                Some(x) => x,
                None => break,
            };
            let valid = if c == b'=' {
                true
            } else {
                !in_padding && alphabet.contains(c)
            };
            if !valid {
                break;
            }
            in_padding |= c == b'=';
            if enc.is_some() {
                w.encoding = enc;
            }
            i += n;
            w.chars.push(c);
            w.ends.push(i);
        }
        w
    }

    /// Input bytes taken by the first `n` characters.
    pub fn written_len(&self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.ends[n - 1]
        }
    }

    /// Number of characters before padding.
    pub fn unpadded_len(&self) -> usize {
        self.chars
            .iter()
            .position(|&c| c == b'=')
            .unwrap_or(self.chars.len())
    }
}

/// One character of a value at `raw[i]`: the byte it stands for, how many input bytes it took,
/// and the escape used.
fn unescape_at(raw: &[u8], i: usize) -> Option<(u8, usize, Option<&'static str>)> {
    let b = *raw.get(i)?;
    match b {
        b'%' => {
            let hex = raw.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            matches!(v, b'+' | b'/' | b'=').then_some((v, 3, Some("percent")))
        }
        b'\\' => match raw.get(i + 1)? {
            b'/' => Some((b'/', 2, Some("json-escape"))),
            b'u' => {
                let hex = raw.get(i + 2..i + 6)?;
                let v = u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                let v = u8::try_from(v).ok()?;
                matches!(v, b'+' | b'/' | b'=').then_some((v, 6, Some("json-escape")))
            }
            _ => None,
        },
        _ => Some((b, 1, None)),
    }
}

/// A base64 credential in the form Upstash issues it, whatever padding was written: the
/// characters, then `=` to a multiple of four when the kind is issued `padded`. The same token
/// written with and without its padding is then one secret, with the hash the account's own
/// copy has.
pub(super) fn canonical(unpadded: &[u8], padded: bool) -> Option<String> {
    let mut s = String::from_utf8(unpadded.to_vec()).ok()?;
    if padded {
        while s.len() % 4 != 0 {
            s.push('=');
        }
    }
    Some(s)
}

/// Whether the byte before a value lets it start there: not inside a longer run of the same
/// alphabet. A JSON/C escape (`\n`, `\t`, `\r`) before the value counts as a separator.
pub(super) fn starts_cleanly(hay: &[u8], start: usize, alphabet: Alphabet) -> bool {
    if start == 0 {
        return true;
    }
    let Some(&prev) = hay.get(start - 1) else {
        return false;
    };
    if !alphabet.contains(prev) {
        return true;
    }
    start >= 2 && hay[start - 2] == b'\\' && matches!(prev, b'n' | b'r' | b't')
}

/// Whether the value ends cleanly at `end`: what follows is not more of the same alphabet.
pub(super) fn ends_cleanly(hay: &[u8], end: usize, alphabet: Alphabet) -> bool {
    match hay.get(end) {
        None => true,
        Some(&b) => !(alphabet.contains(b) || b == b'='),
    }
}

pub fn is_hex32(v: &[u8]) -> bool {
    v.len() == 32 && v.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub fn is_uuid_v4(v: &[u8]) -> bool {
    if v.len() != 36 {
        return false;
    }
    for (i, &b) in v.iter().enumerate() {
        let ok = match i {
            8 | 13 | 18 | 23 => b == b'-',
            14 => b == b'4',
            19 => matches!(b, b'8' | b'9' | b'a' | b'b'),
            _ => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
        };
        if !ok {
            return false;
        }
    }
    true
}

/// A UUID of any version in lowercase hex (`8-4-4-4-12`).
pub fn is_uuid_like(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
        })
}

/// The longest run of one repeated byte in `v`.
pub(super) fn longest_run(v: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    for (i, &b) in v.iter().enumerate() {
        run = if i > 0 && v[i - 1] == b { run + 1 } else { 1 };
        best = best.max(run);
    }
    best
}

/// A run this long of one character marks a masked value (`...a1b2000000`, `...xxxxxx`): random
/// hex has one in about 40,000 values, random base64 one in about 30 million.
pub(super) const MASK_RUN: usize = 6;

/// Values that are obviously not secrets though they have the right shape: all one character,
/// a short pattern repeated (`00000000-0000-4000-8000-000000000000`, `abcdabcd...`), or the
/// tail of a real value masked with one repeated character.
pub(super) fn looks_like_placeholder(v: &[u8]) -> bool {
    let hexish: Vec<u8> = v.iter().copied().filter(|&b| b != b'-').collect();
    if hexish.is_empty() || longest_run(&hexish) >= MASK_RUN {
        return true;
    }
    let mut distinct = [false; 256];
    for &b in &hexish {
        distinct[b as usize] = true;
    }
    let count = distinct.iter().filter(|&&d| d).count();
    if count <= 3 {
        return true;
    }
    // A short period repeated: "0123456789abcdef0123456789abcdef", "deadbeef" x4.
    (1..=8).any(|p| {
        hexish.len() >= 2 * p && hexish.iter().enumerate().all(|(i, &b)| b == hexish[i % p])
    }) || is_sequential(&hexish)
}

fn is_sequential(v: &[u8]) -> bool {
    const SEQ: &[u8] = b"0123456789abcdef0123456789abcdef0123456789abcdef";
    v.len() >= 16 && SEQ.windows(v.len()).any(|w| w == v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_and_json_escapes_are_undone() {
        let w = Written::read(b"ab%3D\"", Alphabet::Url, 100);
        assert_eq!(w.chars, b"ab=");
        assert_eq!(w.written_len(3), 5);
        assert_eq!(w.encoding, Some("percent"));
        let w = Written::read(b"a\\/b\\u002Bc", Alphabet::Standard, 100);
        assert_eq!(w.chars, b"a/b+c");
        assert_eq!(w.encoding, Some("json-escape"));
    }

    #[test]
    fn padding_ends_the_alphabet() {
        let w = Written::read(b"ab==cd", Alphabet::Standard, 100);
        assert_eq!(w.chars, b"ab==");
        assert_eq!(w.unpadded_len(), 2);
    }

    #[test]
    fn uuid_and_hex_shapes() {
        assert!(is_uuid_v4(b"96ad0856-03b1-4ee7-9666-e81abd0349e1"));
        assert!(!is_uuid_v4(b"96ad0856-03b1-1ee7-9666-e81abd0349e1"));
        assert!(!is_uuid_v4(b"96AD0856-03b1-4ee7-9666-e81abd0349e1"));
        assert!(is_hex32(b"038a8e27c45e43068d5f186085399884"));
        assert!(!is_hex32(b"2553feg6a2d9842h2a0gcdb5f8efe9934"));
    }

    #[test]
    fn placeholders_are_recognised() {
        assert!(looks_like_placeholder(
            b"00000000-0000-4000-8000-000000000000"
        ));
        assert!(looks_like_placeholder(b"0123456789abcdef0123456789abcdef"));
        assert!(looks_like_placeholder(b"deadbeefdeadbeefdeadbeefdeadbeef"));
        assert!(looks_like_placeholder(b"038a8e27c45e43068d5f180000000000"));
        assert!(looks_like_placeholder(
            b"96ad0856-03b1-4ee7-9666-e81a00000000"
        ));
        assert!(!looks_like_placeholder(
            b"96ad0856-03b1-4ee7-9666-e81abd0349e1"
        ));
        assert!(!looks_like_placeholder(b"038a8e27c45e43068d5f186085399884"));
    }
}
