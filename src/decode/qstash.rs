//! QStash tokens (standard base64 of `{"UserID":..,"Password":..}`, the password 32 hex or, in
//! older tokens, a UUID) and signing keys (`sig_` + 28 base58 characters; keys made in 2022 and
//! earlier are longer). The QStash development server's published credentials are recognised
//! and marked as public values (docs/formats.md §1.4) so they can be suppressed.

use super::identifier::{name_evidence, NAME_NATS};
use super::text::{
    canonical, ends_cleanly, is_hex32, is_uuid_like, longest_run, looks_like_placeholder,
    starts_cleanly, Alphabet, Written, MASK_RUN,
};
use super::Decoded;
use crate::finding::{Details, Kind};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;

/// Signing keys of the QStash development server, published by Upstash.
pub const PUBLIC_SIGNING_KEYS: [&str; 10] = [
    "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r",
    "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs",
    "sig_7GVPjvuwsfqF65iC8fSrs1dfYruM",
    "sig_5NoELc3EFnZn4DVS5bDs2Nk4b7Ua",
    "sig_6jWGaWRxHsw4vMSPJprXadyvrybF",
    "sig_7qHbvhmahe5GwfePDiS5Lg3pi6Qx",
    "sig_5T8FcSsynBjn9mMLBsXhpacRovJf",
    "sig_7GFR4YaDshFcqsxWRZpRB161jguD",
    "sig_7RvLjqfZBvP5KEUimQCE1pvpLuou",
    "sig_7W3ZNbfKWk5NWwEs3U4ixuQ7fxwE",
];

const PUBLIC_USERS: [(&str, &str); 4] = [
    ("defaultUser", "defaultPassword"),
    ("testUser1", "testPassword"),
    ("testUser2", "testPassword"),
    ("testUser3", "testPassword"),
];

const DEV_SERVER: &str = "QStash development server credential";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenJson {
    #[serde(rename = "UserID")]
    user_id: String,
    #[serde(rename = "Password")]
    password: String,
}

/// Decode a QStash token at `hay[start..]`.
pub fn qstash_token(hay: &[u8], start: usize) -> Option<Decoded> {
    if !starts_cleanly(hay, start, Alphabet::Standard) {
        return None;
    }
    let w = Written::read(hay.get(start..)?, Alphabet::Standard, 1024);
    let unpadded = w.unpadded_len();
    let bytes = STANDARD_NO_PAD.decode(&w.chars[..unpadded]).ok()?;
    let parsed: TokenJson = serde_json::from_slice(&bytes).ok()?;
    let public = PUBLIC_USERS
        .iter()
        .any(|(u, p)| parsed.user_id == *u && parsed.password == *p);
    let real_shape = !parsed.user_id.is_empty()
        && parsed.user_id.len() <= 64
        && parsed
            .user_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && is_token_password(parsed.password.as_bytes());
    if !public && !real_shape {
        return None;
    }
    let n = w.chars.len();
    let written_len = w.written_len(n);
    if !ends_cleanly(hay, start + written_len, Alphabet::Standard) {
        return None;
    }
    Some(Decoded {
        kind: Kind::QstashToken,
        secret: canonical(&w.chars[..unpadded], true)?,
        details: Details {
            user_id: Some(parsed.user_id),
            public_value: public.then_some(DEV_SERVER),
            ..Details::default()
        },
        written_len,
        encoding: w.encoding,
    })
}

/// A QStash token's password: 32 hex (upper or lower case), or a UUID in older tokens. Either
/// way not a placeholder run (`0000...`).
fn is_token_password(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    (is_hex32(&lower) || is_uuid_like(&lower)) && !looks_like_placeholder(&lower)
}

/// Characters after `sig_` in a current signing key.
pub const SIGNING_KEY_CHARS: usize = 28;
/// Characters after `sig_` in the longer keys made in 2022 and earlier: 46 and 47 are the usual
/// lengths, 50 is seen in an SDK example of the time; any length base58 gives 33-38 bytes is
/// taken.
pub const LEGACY_SIGNING_KEY_CHARS: std::ops::RangeInclusive<usize> = 44..=52;

fn is_base58(b: u8) -> bool {
    b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l')
}

/// Decode a QStash signing key at `hay[start..]` (`sig_` + 28 base58 characters, or 44-52 for
/// a key made in 2022 or earlier).
///
/// The shape alone is weak (C code has `sig_` identifiers, and CamelCase names are made of
/// base58 characters), so a key must also stand alone (no identifier characters either side,
/// not called like a function), must not read as a name (`identifier::name_evidence`), and
/// must either look random (keys mix upper case, lower case and digits and change character
/// class often, where names are words) or have QStash or signing named beside it.
pub fn signing_key(hay: &[u8], start: usize) -> Option<Decoded> {
    let rest = hay.get(start..)?;
    if !rest.starts_with(b"sig_") {
        return None;
    }
    let n = rest[4..].iter().take_while(|&&b| is_base58(b)).count();
    if n != SIGNING_KEY_CHARS && !LEGACY_SIGNING_KEY_CHARS.contains(&n) {
        return None;
    }
    let len = 4 + n;
    let v = &rest[..len];
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    if start > 0 && ident(hay[start - 1]) {
        return None;
    }
    if let Some(&next) = hay.get(start + len) {
        if ident(next) || next == b'(' {
            return None;
        }
    }
    let secret = std::str::from_utf8(v).ok()?.to_string();
    let public = PUBLIC_SIGNING_KEYS.contains(&secret.as_str());
    let mut seen = [false; 256];
    v[4..].iter().for_each(|&b| seen[usize::from(b)] = true);
    let distinct = seen.iter().filter(|&&s| s).count();
    // Random keys use ~21 distinct characters of 28 (~30 of 46); `sig_xxxx...` and
    // `sig_abcabc...` are placeholders, and a run of one character is a masked tail.
    if distinct < 12 || longest_run(&v[4..]) >= MASK_RUN {
        return None;
    }
    let name = name_evidence(&v[4..])?;
    // Strong evidence of a name outweighs any context: signing code has both the word
    // "signing" and `sig_` names. A random key is lost here at most once in 1.2 million.
    if !public && name >= NAME_NATS {
        return None;
    }
    // Likelier a name than random (a random key is, about once in 10,000 at 28 characters,
    // far less often when longer): only with QStash or signing named beside it.
    let random = name < 0.0 && looks_random(&v[4..]);
    if !public && !random && !qstash_nearby(hay, start) {
        return None;
    }
    Some(Decoded {
        kind: Kind::QstashSigningKey,
        secret,
        details: Details {
            public_value: public.then_some(DEV_SERVER),
            ..Details::default()
        },
        written_len: len,
        encoding: None,
    })
}

/// Whether the text just around a key names QStash or a signing key
/// (`QSTASH_CURRENT_SIGNING_KEY=`, `currentSigningKey:`, "the signing key"), which vouches
/// for a key that happens to look less random. "Signing" alone is not enough: code that
/// signs things has names like `SigningCert` beside its `sig_` names.
fn qstash_nearby(hay: &[u8], start: usize) -> bool {
    let lo = start.saturating_sub(256);
    let hi = (start + 32 + 256).min(hay.len());
    let near = hay[lo..hi].to_ascii_lowercase();
    if memchr::memmem::find(&near, b"qstash").is_some() {
        return true;
    }
    memchr::memmem::find_iter(&near, b"signing").any(|at| {
        let after = &near[at + 7..];
        let after = match after.first() {
            Some(b'_' | b'-' | b' ') => &after[1..],
            _ => after,
        };
        after.starts_with(b"key")
    })
}

/// Random base58 of 28 characters has ~17 changes of character class (upper/lower/digit) on
/// average and has 8 or fewer about once in 850 keys; names change class only at word
/// starts. Both cases must be present, as in any random key.
fn looks_random(v: &[u8]) -> bool {
    let class = |b: u8| {
        if b.is_ascii_digit() {
            0
        } else if b.is_ascii_uppercase() {
            1
        } else {
            2
        }
    };
    let changes = v.windows(2).filter(|w| class(w[0]) != class(w[1])).count();
    let upper = v.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = v.iter().filter(|b| b.is_ascii_lowercase()).count();
    // More than 8 changes in 28 characters, in proportion for longer keys.
    changes * 28 > 8 * v.len() && upper >= 2 && lower >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_server_token_is_marked_public() {
        let t = b"eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=";
        let d = qstash_token(t, 0).unwrap();
        assert_eq!(d.details.user_id.as_deref(), Some("defaultUser"));
        assert!(d.details.public_value.is_some());
        assert_eq!(d.written_len, t.len());
    }

    #[test]
    fn real_shaped_token_decodes_and_truncation_is_rejected() {
        use crate::decode::samples::{qstash_token as token, DOCS_DATABASE_ID, DOCS_PASSWORD};
        let t = token(DOCS_DATABASE_ID, DOCS_PASSWORD);
        assert_eq!(t.len(), 128);
        let d = qstash_token(t.as_bytes(), 0).unwrap();
        assert_eq!(d.secret, t);
        assert!(d.details.public_value.is_none());
        assert!(qstash_token(&t.as_bytes()[..100], 0).is_none());
    }

    #[test]
    fn older_tokens_with_a_uuid_password_decode() {
        use base64::engine::general_purpose::STANDARD;
        let json = r#"{"UserID":"96ad0856-03b1-4ee7-9666-e81abd0349e1","Password":"5f0e3c4a-1b2d-4e6f-8a9b-0c1d2e3f4a5b"}"#;
        let t = STANDARD.encode(json);
        let d = qstash_token(t.as_bytes(), 0).expect("decodes");
        assert_eq!(d.secret, t);
        assert_eq!(d.written_len, t.len());
        // A UUID-shaped placeholder, or a password of neither shape, is not a token.
        for pw in [
            "00000000-0000-0000-0000-000000000000",
            "5f0e3c4a-1b2d-4e6f-8a9b",
            "hunter2",
        ] {
            let json =
                format!(r#"{{"UserID":"96ad0856-03b1-4ee7-9666-e81abd0349e1","Password":"{pw}"}}"#);
            assert!(
                qstash_token(STANDARD.encode(json).as_bytes(), 0).is_none(),
                "{pw}"
            );
        }
    }

    #[test]
    fn longer_signing_keys_of_2022_decode_and_other_lengths_do_not() {
        let body = "3vXk9TqZ2mRb7NwHc4Lp8YsFd6Gj1Ke5Ua2Bt9Vr3Qh7Mn4Wz8";
        for n in [46, 47, 50] {
            let key = format!("sig_{}", &body[..n]);
            let text = format!("QSTASH_CURRENT_SIGNING_KEY={key}\n");
            let d = signing_key(text.as_bytes(), 27).unwrap_or_else(|| panic!("{key}"));
            assert_eq!(d.secret, key);
            assert_eq!(d.written_len, 4 + n);
        }
        for n in [27, 29, 35, 43, 53] {
            let key = format!("sig_{}", &body[..n.min(body.len())]);
            let key = if n == 53 { format!("{key}xyz") } else { key };
            assert!(
                signing_key(format!("{key} ").as_bytes(), 0).is_none(),
                "{key}"
            );
        }
        // A long `sig_` identifier made of words is still an identifier (assembled at test
        // time: written whole, a scan of this file reports it).
        let words = "HandTermRequestQueueMaskWaitReapPendingSetGetUp";
        assert!(signing_key(format!("int sig_{words};").as_bytes(), 4).is_none());
    }

    #[test]
    fn signing_keys_versus_identifiers() {
        assert!(signing_key(b"KEY=sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r\n", 4).is_some());
        assert!(signing_key(b"sig_HandleTerminationRequestsNowX(", 0).is_none());
        assert!(signing_key(b"void sig_HandleTerminationRequestsNowX;", 5).is_none());
        assert!(signing_key(b"sig_7kYjw48mhY7kAjqNGcy6cr29RJ6rX", 0).is_none());
        // Five or more words change class often, but still read as words.
        // Written whole here these would read as keys to a scan of this file (their context
        // is the test's, not C's): assembled at test time.
        let c = |before: &str, name: &str, after: &str| format!("{before}sig_{name}{after}");
        let q = c("int ", "QueueWaitUserWaitSafeRequest", " = 0;");
        assert!(signing_key(q.as_bytes(), 4).is_none());
        let w = c("s->", "waitUserQuitHangStopDispatch", " = 1;");
        assert!(signing_key(w.as_bytes(), 3).is_none());
        let r = c("int ", "RestoreHangTermGetCountRea12", ";");
        assert!(signing_key(r.as_bytes(), 4).is_none());
    }
}
