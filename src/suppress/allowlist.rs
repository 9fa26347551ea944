//! Secrets allowed by hash (`[[allow]]` in `.upsweep.toml`): a public demo database, a
//! documented test key. Each entry needs a reason; reports show it with `--verbose`.

use crate::finding::Kind;

/// A secret allowed by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    /// Lowercase hex.
    pub sha256: String,
    pub reason: String,
    /// When set, the hash is allowed only as this kind.
    pub kind: Option<Kind>,
}
