//! Secrets allowed by hash (`[[allow]]` in `.upsweep.toml`): a public demo database, a
//! documented test key. Each entry needs a reason; reports show it with `--verbose`.

use crate::finding::Kind;

/// A secret allowed by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AllowEntry {
    /// Lowercase hex.
    pub(crate) sha256: String,
    pub(crate) reason: String,
    /// When set, the hash is allowed only as this kind.
    pub(crate) kind: Option<Kind>,
}
