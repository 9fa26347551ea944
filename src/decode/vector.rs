//! Vector and Search tokens (docs/formats.md §1.2): standard base64 of a 4-byte header (zero, then
//! the lengths of endpoint, user and password) followed by those three fields. The token names
//! its own index endpoint; the user says read-write (`admin`) or read-only (`readonly`).

use super::text::{
    canonical, ends_cleanly, longest_run, starts_cleanly, Alphabet, Written, MASK_RUN,
};
use super::Decoded;
use crate::finding::{Details, Kind};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;

const MAX_CHARS: usize = 4 * (4 + 3 * 255) / 3 + 4;

/// Decode a Vector/Search token at `hay[start..]`. The kind is `vector-token(-readonly)`; the
/// scanner refines it to Search from what is written nearby.
pub fn vector_token(hay: &[u8], start: usize) -> Option<Decoded> {
    if !starts_cleanly(hay, start, Alphabet::Standard) {
        return None;
    }
    let w = Written::read(hay.get(start..)?, Alphabet::Standard, MAX_CHARS);
    let chars = &w.chars[..w.unpadded_len()];
    let head = STANDARD_NO_PAD.decode(chars.get(..4)?).ok()?;
    if head[0] != 0 {
        return None;
    }
    let (le, lu) = (usize::from(head[1]), usize::from(head[2]));
    let first = STANDARD_NO_PAD.decode(chars.get(..8)?).ok()?;
    let lp = usize::from(first[3]);
    let total = 4 + le + lu + lp;
    let need = (total * 4).div_ceil(3);
    if le == 0 || lp < 16 || chars.len() < need {
        return None;
    }
    let bytes = STANDARD_NO_PAD.decode(&chars[..need]).ok()?;
    if bytes.len() != total {
        return None;
    }
    // `VVVV` decodes to `UUU`, which passes the field checks below: a masked tail
    // (`...VVVVVVVV`) is recognised by the repeated character itself.
    if longest_run(&chars[4..need]) >= MASK_RUN {
        return None;
    }
    let endpoint = &bytes[4..4 + le];
    let user = &bytes[4 + le..4 + le + lu];
    let password = &bytes[4 + le + lu..];
    let endpoint_ok = endpoint
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && endpoint[0] != b'-';
    let (kind, access) = match user {
        b"admin" => (Kind::VectorToken, "read-write"),
        b"readonly" => (Kind::VectorTokenReadonly, "read-only"),
        _ => return None,
    };
    let password_ok = password
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
    if !endpoint_ok || !password_ok {
        return None;
    }
    let mut n = need;
    while w.chars.get(n) == Some(&b'=') && n < 4 * need.div_ceil(4) {
        n += 1;
    }
    let written_len = w.written_len(n);
    if !ends_cleanly(hay, start + written_len, Alphabet::Standard) {
        return None;
    }
    Some(Decoded {
        kind,
        secret: canonical(&chars[..need], true)?,
        details: Details {
            access: Some(access),
            index_endpoint: Some(String::from_utf8(endpoint.to_vec()).ok()?),
            ..Details::default()
        },
        written_len,
        encoding: w.encoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(endpoint: &str, user: &str) -> String {
        use base64::engine::general_purpose::STANDARD;
        let pw = STANDARD.encode("96ad0856-03b1-4ee7-9666-e81abd0349e1");
        let mut b = vec![0, endpoint.len() as u8, user.len() as u8, pw.len() as u8];
        b.extend_from_slice(endpoint.as_bytes());
        b.extend_from_slice(user.as_bytes());
        b.extend_from_slice(pw.as_bytes());
        STANDARD.encode(b)
    }

    #[test]
    fn read_write_and_read_only_tokens_decode() {
        let t = token("prompt-mite-85913-us1", "admin");
        let d = vector_token(t.as_bytes(), 0).unwrap();
        assert_eq!(d.kind, Kind::VectorToken);
        assert_eq!(
            d.details.index_endpoint.as_deref(),
            Some("prompt-mite-85913-us1")
        );
        assert_eq!(d.written_len, t.len());
        let t = token("prompt-mite-85913-us1", "readonly");
        assert_eq!(
            vector_token(t.as_bytes(), 0).unwrap().kind,
            Kind::VectorTokenReadonly
        );
    }

    #[test]
    fn edited_or_truncated_tokens_are_rejected() {
        let t = token("prompt-mite-85913-us1", "admin");
        assert!(vector_token(&t.as_bytes()[..t.len() - 10], 0).is_none());
        let edited = t.replacen("ABU", "ABZ", 1);
        assert!(vector_token(edited.as_bytes(), 0).is_none());
        let masked = format!("{}{}", &t[..t.len() - 24], "V".repeat(24));
        assert!(vector_token(masked.as_bytes(), 0).is_none(), "{masked}");
        let guest = token("prompt-mite-85913-us1", "guest");
        assert!(vector_token(guest.as_bytes(), 0).is_none());
    }
}
