//! Secrets allowed by hash (`[[allow]]` in `.upsweep.toml`): a public demo database, a
//! documented test key; or one place allowed by path and line, for a file that cannot carry an
//! `upsweep:allow` comment. Each entry needs a reason; reports show it with `--verbose`.

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

/// One place allowed: what is found on `line` of the file at `path` (relative to the
/// repository root, or a path in a history's trees).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AllowPlace {
    pub(crate) path: String,
    /// 1-based.
    pub(crate) line: u64,
    pub(crate) reason: String,
}
