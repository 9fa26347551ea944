//! The result model: what a run found, set aside, skipped and could not read. Inputs, the
//! scanner's workers, the filters and the account check fill it in; reports read it and nothing
//! else.

use serde::{Deserialize, Serialize};

/// What makes exit code 1 (`--fail-on`, `fail-on` in `.upsweep.toml`; README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// Any finding.
    #[default]
    Any,
    /// A finding that works or may work: owned and current, or live, or not known to be dead.
    Live,
    /// A finding that is, or may be, a current credential of the account.
    Owned,
}

impl FailOn {
    /// The name the flag and the config file use.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Any => "any",
            FailOn::Live => "live",
            FailOn::Owned => "owned",
        }
    }
}

/// Why something was deliberately not scanned (counted in the stats, never silent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    TooLarge {
        path: String,
        size: u64,
    },
    Symlink {
        path: String,
    },
    Special {
        path: String,
    },
    /// A directory loop met while following symlinks: its contents were already scanned.
    Loop {
        path: String,
    },
    /// Under the config file's `skip-paths`.
    Excluded {
        path: String,
    },
}

/// An input that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    pub path: String,
    pub message: String,
}

/// Counters a run reports in `stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped_too_large: u64,
    pub skipped_symlinks: u64,
    pub skipped_special: u64,
    pub symlink_loops: u64,
    /// Files or directories (scan), or places in history (git), under `skip-paths`.
    pub skipped_by_config: u64,
    pub suppressed_public: u64,
    /// Occurrences on lines marked `upsweep:allow`.
    pub suppressed_inline: u64,
    /// Secrets allowed by hash in `.upsweep.toml`.
    pub suppressed_allowed: u64,
    /// Secrets in the baseline.
    pub suppressed_baseline: u64,
    pub errors: u64,
    pub duration_ms: u64,
    /// Git scans: commits whose trees (or changes) were examined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_commits: Option<u64>,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.files_scanned += o.files_scanned;
        self.bytes_scanned += o.bytes_scanned;
        self.skipped_too_large += o.skipped_too_large;
        self.skipped_symlinks += o.skipped_symlinks;
        self.skipped_special += o.skipped_special;
        self.symlink_loops += o.symlink_loops;
        self.skipped_by_config += o.skipped_by_config;
        self.suppressed_public += o.suppressed_public;
        self.suppressed_inline += o.suppressed_inline;
        self.suppressed_allowed += o.suppressed_allowed;
        self.suppressed_baseline += o.suppressed_baseline;
        self.errors += o.errors;
    }
}

/// Why something found is not reported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// A value Upstash publishes (named): not a leak.
    Public(&'static str),
    /// An `upsweep:allow` comment on the line, with its reason when it gives one.
    Inline(Option<String>),
    /// Allowed by hash in the config file, with the entry's reason.
    Allowed(String),
    /// In the baseline, with the entry's note.
    Baseline(Option<String>),
}

/// A finding (or one occurrence of it) set aside, for the stats and `--verbose`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Suppressed {
    pub why: Why,
    /// The kind, with the published value's name for [`Why::Public`].
    pub what: String,
    /// `path:line:column` (the first place, for a whole secret).
    pub at: String,
    pub sha256: String,
}
