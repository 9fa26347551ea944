//! `redis://` / `rediss://` URLs on Upstash or Vercel KV hosts whose password is a database
//! password or a REST token. The secret is the password: it is what leaks and what the
//! account's inventory holds. Older consoles printed `redis://PASSWORD@host:port` for
//! `redis-cli -u`, with no user and no colon: then the userinfo is the password.

use super::text::is_hex32;
use super::{redis::redis_token, Decoded};
use crate::finding::{Details, Kind};

/// Host suffixes a Redis URL must have to be an Upstash credential, and that an Upstash host
/// written near a value ends with (`upstashdev.com` is a domain of Upstash's own seen in
/// public code: detected, never contacted).
pub const HOST_SUFFIXES: [&str; 3] = [".upstash.io", ".kv.vercel-storage.com", ".upstashdev.com"];

/// Decode the parts a `redis-url` rule captured (`user` is empty when the URL has none).
pub fn redis_url(
    user: &[u8],
    password: &[u8],
    host: &[u8],
    port: Option<&[u8]>,
) -> Option<Decoded> {
    let host = std::str::from_utf8(host).ok()?.to_ascii_lowercase();
    if !HOST_SUFFIXES
        .iter()
        .any(|s| host.ends_with(s) && host.len() > s.len())
    {
        return None;
    }
    let decoded_pw = percent_decode(password)?;
    let (password_kind, mut details, secret) = if is_hex32(&decoded_pw) {
        if super::text::looks_like_placeholder(&decoded_pw) {
            return None;
        }
        let pw = String::from_utf8(decoded_pw).ok()?;
        (Kind::RedisPassword, Details::default(), pw)
    } else {
        let d = redis_token(&decoded_pw, 0)?;
        if d.written_len != decoded_pw.len() {
            return None;
        }
        // The token as issued (a legacy token's padding is often dropped in a URL).
        (d.kind, d.details, d.secret)
    };
    details.password_kind = Some(password_kind);
    details.url_host = Some(host.clone());
    details.url_user = Some(String::from_utf8(user.to_vec()).ok()?).filter(|u| !u.is_empty());
    details.url_port = port.and_then(|p| std::str::from_utf8(p).ok()?.parse().ok());
    if details.database_number.is_none() {
        details.database_number = host_number(&host);
    }
    Some(Decoded {
        kind: Kind::RedisUrl,
        secret,
        details,
        written_len: password.len(),
        encoding: (password.contains(&b'%')).then_some("percent"),
    })
}

/// The number at the end of a Redis host's first label (`eu2-sought-mollusk-30143` -> 30143).
pub fn host_number(host: &str) -> Option<u64> {
    let label = host.split('.').next()?;
    let digits = label.rsplit('-').next()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn percent_decode(v: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%' {
            let hex = std::str::from_utf8(v.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(v[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_password_url_on_upstash_host() {
        let d = redis_url(
            b"default",
            b"038a8e27c45e43068d5f186085399884",
            b"eu2-sought-mollusk-30143.upstash.io",
            Some(b"30143"),
        )
        .unwrap();
        assert_eq!(d.kind, Kind::RedisUrl);
        assert_eq!(d.details.password_kind, Some(Kind::RedisPassword));
        assert_eq!(d.details.database_number, Some(30143));
        assert_eq!(d.details.url_port, Some(30143));
    }

    #[test]
    fn other_hosts_and_placeholder_passwords_are_not_upstash_credentials() {
        let pw = b"038a8e27c45e43068d5f186085399884";
        assert!(redis_url(b"", pw, b"localhost", None).is_none());
        assert!(redis_url(b"", pw, b"upstash.io.evil.com", None).is_none());
        assert!(redis_url(b"", b"********", b"x-1.upstash.io", None).is_none());
        assert!(redis_url(b"", b"<password>", b"x-1.upstash.io", None).is_none());
        assert!(redis_url(b"", pw, b"upstashdev.com", None).is_none());
    }

    #[test]
    fn a_password_without_a_user_and_upstashdev_hosts() {
        let pw = b"038a8e27c45e43068d5f186085399884";
        let d = redis_url(b"", pw, b"us1-calm-otter-31337.upstash.io", Some(b"31337")).unwrap();
        assert_eq!(d.details.url_user, None);
        assert_eq!(d.details.password_kind, Some(Kind::RedisPassword));
        assert_eq!(d.details.database_number, Some(31337));
        let d = redis_url(b"", pw, b"eu1-calm-otter-31337.UpstashDev.com", None).unwrap();
        assert_eq!(
            d.details.url_host.as_deref(),
            Some("eu1-calm-otter-31337.upstashdev.com")
        );
    }
}
