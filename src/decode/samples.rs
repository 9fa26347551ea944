//! Test values built from their layout at test time (docs/formats.md §1.1, §1.2), so that no
//! credential-shaped literal sits in upsweep's own source: `upsweep scan .` on this repository
//! stays clean, and the layout each test relies on is spelled out where it is used.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;

/// The database UUID and password of the public example in Upstash's old API docs.
pub(crate) const DOCS_DATABASE_ID: &str = "96ad0856-03b1-4ee7-9666-e81abd0349e1";
pub(crate) const DOCS_PASSWORD: &str = "038a8e27c45e43068d5f186085399884";

/// A Redis REST token: type byte, 2-byte database number, flag, the two field lengths and the
/// fields, base64url with `=` padding (strip it for the current layout's form).
pub(crate) fn redis_token(kind: u8, database: u16, flag: u8, a: &[u8], b: &[u8]) -> String {
    let mut bytes = vec![kind];
    bytes.extend_from_slice(&database.to_be_bytes());
    bytes.extend_from_slice(&[flag, a.len() as u8, b.len() as u8]);
    bytes.extend_from_slice(a);
    bytes.extend_from_slice(b);
    URL_SAFE.encode(bytes)
}

/// The legacy read-write token of Upstash's old API docs (database #30143; it carries the
/// database's password), 100 characters with its `=`.
pub(crate) fn docs_legacy_token() -> String {
    redis_token(
        0x01,
        30143,
        0x01,
        DOCS_DATABASE_ID.as_bytes(),
        DOCS_PASSWORD.as_bytes(),
    )
}

/// A current-layout read-write token of database #30143, 54 characters, unpadded.
pub(crate) fn current_token() -> String {
    redis_token(
        0x01,
        30143,
        0x00,
        b"p1",
        b"0d951c95602f417c2d017e07fc10d0f9",
    )
    .trim_end_matches('=')
    .to_string()
}

/// A QStash token: standard base64 of `{"UserID":..,"Password":..}`.
pub(crate) fn qstash_token(user: &str, password: &str) -> String {
    STANDARD.encode(format!(r#"{{"UserID":"{user}","Password":"{password}"}}"#))
}

#[test]
fn the_built_values_have_the_documented_shapes() {
    let legacy = docs_legacy_token();
    assert_eq!(legacy.len(), 100);
    assert!(legacy.starts_with("AXW_AS") && legacy.ends_with('='));
    let current = current_token();
    assert_eq!(current.len(), 54);
    assert!(current.starts_with("AXW_AA"));
    assert!(qstash_token("96ad", "x").starts_with("eyJVc2VySUQiOiI"));
}
