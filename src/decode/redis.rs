//! Redis REST tokens (docs/formats.md §1.1): base64url of a header (type, database number, layout
//! flag, two field lengths) and two fields. The header's lengths must add up to exactly the
//! decoded length, which rejects placeholders, truncations and random base64 at once.

use super::text::{
    canonical, ends_cleanly, is_hex32, is_uuid_like, longest_run, starts_cleanly, Alphabet,
    Written, MASK_RUN,
};
use super::Decoded;
use crate::finding::{sha256_hex, Details, Kind};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Longest token we read: 8-byte id header (12 bytes) + 255 + 255 bytes, in base64.
const MAX_CHARS: usize = 4 * (12 + 255 + 255) / 3 + 4;

/// Decode a Redis REST token written at `hay[start..]`.
pub fn redis_token(hay: &[u8], start: usize) -> Option<Decoded> {
    if !starts_cleanly(hay, start, Alphabet::Url) {
        return None;
    }
    let w = Written::read(hay.get(start..)?, Alphabet::Url, MAX_CHARS);
    let chars = &w.chars[..w.unpadded_len()];
    // The header: 6 bytes (8 chars) or, with an 8-byte id, 12 bytes (16 chars).
    let first = decode_prefix(chars, 8)?;
    let wide = first[0] & 0x80 != 0;
    let access = match first[0] & 0x7f {
        0x01 => "read-write",
        0x02 => "read-only",
        _ => return None,
    };
    let id_len = if wide { 8 } else { 2 };
    let header_len = 1 + id_len + 3;
    let header = if wide {
        decode_prefix(chars, 16)?
    } else {
        first
    };
    let id = header[1..1 + id_len]
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let flag = header[1 + id_len];
    let (len_a, len_b) = (
        usize::from(header[2 + id_len]),
        usize::from(header[3 + id_len]),
    );
    let total = header_len + len_a + len_b;
    let need = (total * 4).div_ceil(3);
    if chars.len() < need {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(&chars[..need]).ok()?;
    if bytes.len() != total {
        return None;
    }
    // The header of a token with a small 8-byte id is mostly `A`; the fields never repeat a
    // character six times unless someone masked them (`...xxxxxxxx`, `...AAAAAAAA`).
    if longest_run(&chars[4 * header_len / 3..need]) >= MASK_RUN {
        return None;
    }
    let field_a = &bytes[header_len..header_len + len_a];
    let field_b = &bytes[header_len + len_a..];
    let mut details = Details {
        access: Some(access),
        id_bytes: Some(id_len as u8),
        database_number: Some(id),
        ..Details::default()
    };
    // The layout flag is mostly 0x01 for legacy and 0x00 for current tokens, but legacy tokens
    // with 0x00 exist (read-write and read-only): the fields decide the layout, not the flag.
    if flag > 0x01 {
        return None;
    }
    if is_uuid_like(field_a) {
        // Legacy: field a is the database UUID; field b the password (read-write) or 32
        // random bytes (read-only).
        if len_b != 32 {
            return None;
        }
        details.layout = Some("legacy");
        details.database_id = Some(String::from_utf8_lossy(field_a).into_owned());
        if access == "read-write" {
            if !is_hex32(field_b) {
                return None;
            }
            details.exposes_password = true;
            details.embedded_password_sha256 = Some(sha256_hex(std::str::from_utf8(field_b).ok()?));
        } else if is_one_byte_repeated(field_b) {
            return None;
        }
    } else if is_p_digits(field_a) {
        // Current: field a is "p1"/"p2"; field b 32 hex (+ "p<digits>") or 32 random bytes.
        details.layout = Some("current");
        let ok = match access {
            "read-write" => {
                field_b.len() >= 32
                    && is_hex32(&field_b[..32])
                    && (field_b.len() == 32 || is_p_digits(&field_b[32..]))
            }
            _ => len_b == 32 && !is_one_byte_repeated(field_b),
        };
        if !ok {
            return None;
        }
    } else {
        return None;
    }
    // Padding as written belongs to the value as written; what follows must not continue it.
    // The secret is the token as issued: legacy tokens padded, current tokens unpadded.
    let secret = canonical(&chars[..need], details.layout == Some("legacy"))?;
    let mut n = need;
    while w.chars.get(n) == Some(&b'=') && n < 4 * need.div_ceil(4) {
        n += 1;
    }
    let written_len = w.written_len(n);
    if !ends_cleanly(hay, start + written_len, Alphabet::Url) {
        return None;
    }
    let kind = if access == "read-write" {
        Kind::RedisRestToken
    } else {
        Kind::RedisRestTokenReadonly
    };
    Some(Decoded {
        kind,
        secret,
        details,
        written_len,
        encoding: w.encoding,
    })
}

fn decode_prefix(chars: &[u8], n: usize) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(chars.get(..n)?).ok()
}

fn is_one_byte_repeated(v: &[u8]) -> bool {
    v.iter().all(|&b| Some(&b) == v.first())
}

fn is_p_digits(v: &[u8]) -> bool {
    v.len() >= 2 && v[0] == b'p' && v[1..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::samples::{self, DOCS_DATABASE_ID, DOCS_PASSWORD};

    /// The public example value from Upstash's old API documentation (docs/formats.md §1.1),
    /// built from its layout.
    fn docs_example() -> String {
        samples::docs_legacy_token()
    }

    #[test]
    fn documented_legacy_token_decodes() {
        let docs = docs_example();
        let d = redis_token(docs.as_bytes(), 0).expect("decodes");
        assert_eq!(d.kind, Kind::RedisRestToken);
        assert_eq!(d.secret, docs);
        assert_eq!(d.written_len, 100);
        assert_eq!(d.details.database_number, Some(30143));
        assert_eq!(d.details.layout, Some("legacy"));
        assert_eq!(d.details.database_id.as_deref(), Some(DOCS_DATABASE_ID));
        assert!(d.details.exposes_password);
        assert_eq!(
            d.details.embedded_password_sha256,
            Some(sha256_hex(DOCS_PASSWORD))
        );
    }

    #[test]
    fn docs_placeholder_truncation_and_edits_are_rejected() {
        let docs = docs_example();
        let docs = docs.as_str();
        assert!(redis_token(b"AYNgAS2553feg6a2d9842h2a0gcdb5f8efe9934DQ=", 0).is_none());
        let truncated = &docs[..80];
        assert!(redis_token(truncated.as_bytes(), 0).is_none());
        let masked = format!("{}****************", &docs[..84]);
        assert!(redis_token(masked.as_bytes(), 0).is_none());
        // Glued into a longer run of the same alphabet: not a token boundary.
        let glued = format!("x{docs}");
        assert!(redis_token(glued.as_bytes(), 1).is_none());
        let glued_after = format!("{}Q", &docs[..99]);
        assert!(redis_token(glued_after.as_bytes(), 0).is_none());
    }

    #[test]
    fn a_read_only_token_masked_with_one_character_is_rejected() {
        // Read-only tokens end in 32 random bytes, so only the mask itself gives them away.
        let mut b = vec![0x02, 0x75, 0xbf, 0x00, 0x02, 0x20];
        b.extend_from_slice(b"p1");
        b.extend((0u8..32).map(|i| i.wrapping_mul(97).wrapping_add(13)));
        let t = URL_SAFE_NO_PAD.encode(&b);
        let d = redis_token(t.as_bytes(), 0).expect("decodes");
        assert_eq!(d.kind, Kind::RedisRestTokenReadonly);
        for fill in ["x", "A", "0"] {
            let masked = format!("{}{}", &t[..t.len() - 12], fill.repeat(12));
            assert!(redis_token(masked.as_bytes(), 0).is_none(), "{masked}");
        }
        // A small 8-byte id is mostly `A`s in the header; that is not a mask.
        let mut w = vec![0x82, 0, 0, 0, 0, 0, 0, 0x03, 0xe8, 0x00, 0x02, 0x20];
        w.extend_from_slice(&b[6..]);
        let t = URL_SAFE_NO_PAD.encode(&w);
        assert!(t.starts_with("ggAAAAAAA"));
        assert_eq!(
            redis_token(t.as_bytes(), 0)
                .unwrap()
                .details
                .database_number,
            Some(1000)
        );
    }

    #[test]
    fn the_secret_is_the_token_as_issued_whatever_padding_is_written() {
        let docs = docs_example();
        let unpadded = docs.trim_end_matches('=');
        let d = redis_token(unpadded.as_bytes(), 0).expect("decodes unpadded");
        assert_eq!(d.secret, docs);
        assert_eq!(d.written_len, 99);
        let current = samples::current_token();
        let padded = format!("{current}==");
        let d = redis_token(padded.as_bytes(), 0).expect("decodes padded");
        assert_eq!(d.secret, current);
        assert_eq!(d.written_len, padded.len());
    }

    /// Build a token from its parts (type, 2-byte number, flag, fields).
    fn token(typ: u8, number: u16, flag: u8, a: &[u8], b: &[u8]) -> String {
        let mut v = vec![typ];
        v.extend_from_slice(&number.to_be_bytes());
        v.extend_from_slice(&[flag, a.len() as u8, b.len() as u8]);
        v.extend_from_slice(a);
        v.extend_from_slice(b);
        base64::engine::general_purpose::URL_SAFE.encode(v)
    }

    #[test]
    fn the_fields_decide_the_layout_not_the_flag() {
        let id = b"96ad0856-03b1-4ee7-9666-e81abd0349e1";
        let pw = b"038a8e27c45e43068d5f186085399884";
        let random: Vec<u8> = (0u8..32)
            .map(|i| i.wrapping_mul(89).wrapping_add(7))
            .collect();
        for flag in [0x00, 0x01] {
            // Legacy read-write: the database id and its password, whatever the flag.
            let t = token(0x01, 30143, flag, id, pw);
            let d = redis_token(t.as_bytes(), 0).unwrap_or_else(|| panic!("flag {flag}: {t}"));
            assert_eq!(d.kind, Kind::RedisRestToken);
            assert_eq!(d.details.layout, Some("legacy"));
            assert!(d.details.exposes_password);
            assert_eq!(
                d.details.embedded_password_sha256,
                Some(sha256_hex("038a8e27c45e43068d5f186085399884"))
            );
            // Legacy read-only.
            let t = token(0x02, 30143, flag, id, &random);
            let d = redis_token(t.as_bytes(), 0).expect("legacy read-only");
            assert_eq!(d.kind, Kind::RedisRestTokenReadonly);
            assert_eq!(d.details.layout, Some("legacy"));
            assert_eq!(
                d.details.database_id.as_deref(),
                Some(std::str::from_utf8(id).unwrap())
            );
            // Current read-write.
            let t = token(0x01, 30143, flag, b"p1", pw);
            assert_eq!(
                redis_token(t.as_bytes(), 0).unwrap().details.layout,
                Some("current")
            );
        }
        // Fields that are neither layout fail, whatever the flag; so does an unknown flag.
        assert!(redis_token(token(0x01, 30143, 0, b"q1", pw).as_bytes(), 0).is_none());
        assert!(redis_token(token(0x01, 30143, 0, &id[..35], pw).as_bytes(), 0).is_none());
        assert!(redis_token(token(0x01, 30143, 2, id, pw).as_bytes(), 0).is_none());
        assert!(redis_token(token(0x01, 30143, 0, id, &random).as_bytes(), 0).is_none());
        assert!(redis_token(token(0x02, 30143, 0, id, &[b'x'; 32]).as_bytes(), 0).is_none());
    }

    #[test]
    fn percent_encoded_padding_in_a_url_is_undone() {
        let docs = docs_example();
        let url = format!("?_token={}%3D&x=1", &docs[..99]);
        let d = redis_token(url.as_bytes(), 8).expect("decodes");
        assert_eq!(d.secret, docs);
        assert_eq!(d.written_len, 102);
        assert_eq!(d.encoding, Some("percent"));
    }
}
