//! Upstash Kafka passwords (docs/formats.md §1.5). Kafka closed in 2025, but its credentials
//! are still in code and history, and they sit beside Redis ones: a Kafka password must be
//! reported as what it is, never as a Redis password. Passwords have no layout of their own,
//! so they are only taken in context (a Kafka variable name, or beside a Kafka host); these are
//! the three shapes Upstash issued.

use super::text::{is_hex32, is_uuid_like, longest_run, looks_like_placeholder, MASK_RUN};
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;

/// Whether `v` has the shape of an Upstash Kafka password: 32 lowercase hex; standard base64
/// of a UUID (48 characters); or 60-96 characters of base64url (or base64) with optional `=`
/// padding that decode to at least 44 bytes and mix cases and digits.
pub fn is_kafka_password(v: &[u8]) -> bool {
    if is_hex32(v) {
        return !looks_like_placeholder(v);
    }
    if v.len() == 48 {
        if let Ok(d) = STANDARD.decode(v) {
            return is_uuid_like(&d) && !looks_like_placeholder(&d);
        }
    }
    if !(60..=96).contains(&v.len()) || longest_run(v) >= MASK_RUN {
        return false;
    }
    let Some(bytes) = URL_SAFE
        .decode(padded(v))
        .ok()
        .or_else(|| STANDARD.decode(padded(v)).ok())
    else {
        return false;
    };
    let has = |f: fn(&u8) -> bool| v.iter().any(f);
    bytes.len() >= 44
        && !is_username(&bytes)
        && has(u8::is_ascii_uppercase)
        && has(u8::is_ascii_lowercase)
        && has(u8::is_ascii_digit)
}

/// `v` padded with `=` to a multiple of four.
fn padded(v: &[u8]) -> Vec<u8> {
    let mut p = v.to_vec();
    while !p.len().is_multiple_of(4) {
        p.push(b'=');
    }
    p
}

/// A Kafka user name decodes to the cluster's name and number, a `$`, then random bytes
/// (`notable-rodent-11753$...`): it names the cluster, it is not the password.
pub fn is_username(decoded: &[u8]) -> bool {
    let Some(dollar) = decoded.iter().position(|&b| b == b'$') else {
        return false;
    };
    let name = &decoded[..dollar];
    name.len() >= 3
        && name
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.last().is_some_and(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn the_three_shapes_and_their_look_alikes() {
        assert!(is_kafka_password(b"407951382fad4af1a5f770522f35f36e"));
        let uuid = STANDARD.encode("f8e88ed0-5856-4c9c-9748-63ea8964c6e7");
        assert_eq!(uuid.len(), 48);
        assert!(is_kafka_password(uuid.as_bytes()));
        let random: Vec<u8> = (0u8..52)
            .map(|i| i.wrapping_mul(167).wrapping_add(31))
            .collect();
        let long = URL_SAFE.encode(&random);
        assert_eq!(long.len(), 72);
        assert!(is_kafka_password(long.as_bytes()), "{long}");
        assert!(is_kafka_password(long.trim_end_matches('=').as_bytes()));

        assert!(!is_kafka_password(b"00000000000000000000000000000000"));
        assert!(!is_kafka_password(
            STANDARD
                .encode("not-a-uuid-but-thirty-six-chars-ok")
                .as_bytes()
        ));
        assert!(!is_kafka_password(b"********************************"));
        assert!(!is_kafka_password(&long.as_bytes()[..40]));
        let masked = format!("{}{}", &long[..40], "x".repeat(32));
        assert!(!is_kafka_password(masked.as_bytes()));
        // The user name beside it has the same alphabet and length, and names its cluster.
        let mut user = b"notable-rodent-11753$".to_vec();
        user.extend_from_slice(&random[..30]);
        let user = URL_SAFE_NO_PAD.encode(&user);
        assert!(!is_kafka_password(user.as_bytes()), "{user}");
    }
}
