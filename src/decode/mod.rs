//! Structural decoders: given the bytes where a candidate starts, decide whether a real
//! credential of a known layout is written there, how long it is, and what it reveals.
//!
//! Decoders take untrusted input and never panic: every index is checked, every length comes
//! from the value itself and is compared against what is present. They also undo the encodings
//! real files wrap values in (`%3D` in URLs, `\/` in JSON) so the secret they return is the
//! credential itself, and report how much of the input it occupied as written.

mod identifier;
mod kafka;
mod qstash;
mod redis;
#[cfg(test)]
pub(crate) mod samples;
mod text;
mod url;
mod vector;

pub use kafka::is_kafka_password;
pub use qstash::{qstash_token, signing_key, PUBLIC_SIGNING_KEYS};
pub use redis::redis_token;
pub use text::{is_hex32, is_uuid_v4, Alphabet, Written};
pub use url::{host_number, redis_url, HOST_SUFFIXES};
pub use vector::vector_token;

use crate::finding::{Details, Kind};

/// A credential a decoder recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub kind: Kind,
    /// The credential itself, with any escaping undone, in the form Upstash issues it: `=`
    /// padding as issued (legacy Redis, Vector, Search and QStash tokens padded, current Redis
    /// tokens not), so one credential written with and without padding is one secret.
    pub secret: String,
    pub details: Details,
    /// How many bytes of the input it occupied as written.
    pub written_len: usize,
    /// `percent` or `json-escape` when the written form was escaped.
    pub encoding: Option<&'static str>,
}

/// The decoders a rule can name (`decoder = "..."` in `rules/*.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecoderKind {
    RedisRestToken,
    VectorToken,
    QstashToken,
    QstashSigningKey,
    RedisUrl,
    /// 32 lowercase hex characters: a legacy Redis password, only meaningful in context.
    Hex32,
    /// A lowercase UUID v4: a Developer API key, only meaningful in context.
    UuidV4,
    /// A standard-base64 value (a Kubernetes Secret's `data:`): decoded and scanned again.
    Base64Nested,
    /// An Upstash Kafka password (32 hex, base64 of a UUID, or long base64url): only
    /// meaningful in context.
    KafkaPassword,
    /// 32 lowercase hex standing alone inside a binary file (a compiled `.pyc`, a `.class`):
    /// only searched for in binary files that name an Upstash host.
    Hex32Binary,
}

impl DecoderKind {
    pub const NAMES: [(&'static str, DecoderKind); 10] = [
        ("redis-rest-token", DecoderKind::RedisRestToken),
        ("vector-token", DecoderKind::VectorToken),
        ("qstash-token", DecoderKind::QstashToken),
        ("qstash-signing-key", DecoderKind::QstashSigningKey),
        ("redis-url", DecoderKind::RedisUrl),
        ("hex32", DecoderKind::Hex32),
        ("uuid-v4", DecoderKind::UuidV4),
        ("base64-nested", DecoderKind::Base64Nested),
        ("kafka-password", DecoderKind::KafkaPassword),
        ("hex32-binary", DecoderKind::Hex32Binary),
    ];

    pub fn parse(s: &str) -> Option<DecoderKind> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, d)| *d)
    }

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, d)| *d == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// Whether rules with this decoder are searched for only in binary files (and there over
    /// the whole file, not only its runs of text).
    pub fn binary_only(self) -> bool {
        self == DecoderKind::Hex32Binary
    }

    /// Whether this decoder checks a layout (and so finds a bare value with no keyword near).
    pub fn is_structural(self) -> bool {
        matches!(
            self,
            DecoderKind::RedisRestToken
                | DecoderKind::VectorToken
                | DecoderKind::QstashToken
                | DecoderKind::QstashSigningKey
        )
    }
}

/// Decode a value matched in context (hex password, UUID API key, Kafka password): the whole
/// value is the secret.
pub fn context_value(decoder: DecoderKind, kind: Kind, value: &[u8]) -> Option<Decoded> {
    let ok = match decoder {
        DecoderKind::Hex32 | DecoderKind::Hex32Binary => {
            is_hex32(value) && !text::looks_like_placeholder(value)
        }
        DecoderKind::UuidV4 => is_uuid_v4(value) && !text::looks_like_placeholder(value),
        DecoderKind::KafkaPassword => is_kafka_password(value),
        _ => false,
    };
    if !ok {
        return None;
    }
    Some(Decoded {
        kind,
        secret: String::from_utf8(value.to_vec()).ok()?,
        details: Details::default(),
        written_len: value.len(),
        encoding: None,
    })
}
