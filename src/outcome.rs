//! The result model: what a run found, set aside, skipped and could not read, with its stats,
//! notes and the account check's verdicts. Inputs, the scanner's workers, the filters and the
//! account check fill an [`Outcome`] in; reports read it and nothing else; its
//! [`Outcome::exit_code`] is the run's.

use crate::finding::Finding;
use crate::upstash::{AccountReport, Liveness, Ownership};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Exit codes (README, "Exit codes").
pub mod exit {
    /// Everything asked for was scanned and nothing was found.
    pub const CLEAN: u8 = 0;
    /// Something was found.
    pub const FOUND: u8 = 1;
    /// A usage error, or part of the input could not be read.
    pub const ERROR: u8 = 2;
}

/// What a scan produced.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) findings: Vec<Finding>,
    pub(crate) errors: Vec<InputError>,
    pub(crate) stats: Stats,
    /// Found and not reported: published values, allowed, baselined (`--verbose` lists them).
    pub(crate) suppressed: Vec<Suppressed>,
    /// Skipped paths, for `--verbose`.
    pub(crate) skipped: Vec<Skip>,
    /// Things the user should know that are not errors (a shallow clone, submodules).
    pub(crate) notes: Vec<String>,
    /// The account check's verdicts, when asked for.
    pub(crate) account: Option<AccountReport>,
    /// What makes exit code 1.
    pub(crate) fail_on: FailOn,
    /// Git scans: the repository and the commit scanned.
    pub(crate) git: Option<Revision>,
    /// An organisation audit: what became of each repository.
    pub(crate) repositories: Option<Vec<RepoEntry>>,
}

/// Which repository and commit a git scan read: the commit is HEAD, or the head of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Revision {
    pub(crate) commit: String,
    /// The branch HEAD is on, when it is on one.
    pub(crate) branch: Option<String>,
    /// The `origin` remote's URL, without credentials, when it is a URL.
    pub(crate) repository: Option<String>,
}

impl Outcome {
    /// 2 when part of the input could not be read, else 1 when a finding fails the run under
    /// [`Outcome::fail_on`], else 0.
    pub(crate) fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            exit::ERROR
        } else if self.findings.iter().any(|f| self.fails(&f.sha256)) {
            exit::FOUND
        } else {
            exit::CLEAN
        }
    }

    /// Whether a finding fails the run.
    fn fails(&self, sha256: &str) -> bool {
        let verdict = self.account.as_ref().and_then(|r| r.get(sha256));
        match self.fail_on {
            FailOn::Any => true,
            FailOn::Owned => verdict
                .is_none_or(|v| matches!(v.account.verdict, Ownership::Owned | Ownership::Unknown)),
            FailOn::Live => match verdict {
                None => true,
                Some(v) => match v.account.verdict {
                    // A current credential of the account works.
                    Ownership::Owned => true,
                    // Replaced by a new credential: revoked.
                    Ownership::OwnedRotated => false,
                    _ => v.live.as_ref().is_none_or(|l| l.verdict != Liveness::Dead),
                },
            },
        }
    }

    /// Take the account check's report: its problems become errors of the run (an incomplete
    /// inventory is never a clean answer), teams no key covers a note (unless `quiet`).
    pub(crate) fn add_account(&mut self, report: AccountReport, quiet: bool) {
        for p in &report.problems {
            self.errors.push(InputError {
                path: format!("account check ({})", p.account),
                message: format!("{}: {}", p.section, p.message),
            });
        }
        self.stats.errors = self.errors.len() as u64;
        if !report.uncovered_teams.is_empty() && !quiet {
            let names: Vec<String> = report
                .uncovered_teams
                .iter()
                .map(|t| {
                    serde_json::to_value(t)
                        .ok()
                        .and_then(|v| v["team_name"].as_str().map(str::to_string))
                        .unwrap_or_default()
                })
                .collect();
            self.notes.push(format!(
                "no configured API key covers {} of your teams ({}): credentials of those teams show as unknown; add a key per team with --account-file",
                names.len(),
                names.join(", ")
            ));
        }
        self.account = Some(report);
    }
}

/// What makes exit code 1 (`--fail-on`, `fail-on` in `.upsweep.toml`; README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum FailOn {
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
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FailOn::Any => "any",
            FailOn::Live => "live",
            FailOn::Owned => "owned",
        }
    }
}

/// What an organisation audit did with one repository (the report's `repositories`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RepoEntry {
    /// `owner/name` (or an organisation or user whose listing failed).
    pub(crate) name: String,
    pub(crate) status: RepoStatus,
    /// Why it was skipped or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    /// Commits in its history, and unique blobs reachable from them.
    #[serde(default)]
    pub(crate) commits: u64,
    #[serde(default)]
    pub(crate) blobs: u64,
    /// Blobs read and scanned by this run (the others were remembered from earlier runs).
    #[serde(default)]
    pub(crate) new_blobs: u64,
    /// With `--issues`: issues, pull requests and comments listed and scanned by this run (new
    /// or edited since the last; the others were remembered from earlier runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) texts: Option<u64>,
}

/// The fate of a repository in an audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RepoStatus {
    /// Its history was fetched and what was new in it scanned.
    Scanned,
    /// Nothing changed since the last complete audit: its findings come from the cache.
    Unchanged,
    /// Left out on purpose (a fork, archived, `--exclude`).
    Skipped,
    /// It could not be listed, fetched or read: the run's exit code is 2.
    Failed,
}

impl RepoStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RepoStatus::Scanned => "scanned",
            RepoStatus::Unchanged => "unchanged",
            RepoStatus::Skipped => "skipped",
            RepoStatus::Failed => "failed",
        }
    }
}

/// Why something was deliberately not scanned (counted in the stats, never silent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skip {
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
    /// Part of an archive: an entry (or the rest of the archive) not scanned, named by its
    /// place (`dist/app.tgz!package/big.bin`, or the archive alone).
    InArchive {
        path: String,
        reason: ArchiveSkip,
    },
}

/// Why part of an archive was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArchiveSkip {
    /// A nested archive beyond `max_depth` layers: not opened (its bytes are handed over as
    /// they are, like any file, when within the size limit).
    TooDeep { limit: u32 },
    /// An entry larger than `limit` (`max_entry_size`, or what `max_held` still allows).
    /// `size` is the size its header declares, or at least the bytes read.
    TooLarge { size: u64, limit: u64 },
    /// A decompressor's output passed `limit` times its input (a compression bomb).
    Ratio { limit: u64 },
    /// The outer archive's decompressed bytes passed `limit`: the rest was not read.
    TotalBytes { limit: u64 },
    /// The outer archive's decompressed bytes passed `limit` times its own size: the rest was
    /// not read.
    OverallRatio { limit: u64 },
    /// More than `limit` entries: the rest was not read.
    TooManyEntries { limit: u64 },
    /// An encrypted zip entry: there is no password to read it with.
    Encrypted,
    /// A compression method or archive feature not supported (bzip2, LZMA, multi-disk zip).
    Unsupported { what: String },
    /// Truncated or corrupt: what came before the damage was scanned.
    Damaged { message: String },
    /// Bytes after the end of a gzip stream that are not another gzip member.
    TrailingData,
}

impl ArchiveSkip {
    /// A short stable key (the archive tests compare skips by it).
    #[cfg(test)]
    pub(crate) fn key(&self) -> &'static str {
        match self {
            ArchiveSkip::TooDeep { .. } => "too-deep",
            ArchiveSkip::TooLarge { .. } => "too-large",
            ArchiveSkip::Ratio { .. } => "ratio",
            ArchiveSkip::TotalBytes { .. } => "total-bytes",
            ArchiveSkip::OverallRatio { .. } => "overall-ratio",
            ArchiveSkip::TooManyEntries { .. } => "too-many-entries",
            ArchiveSkip::Encrypted => "encrypted",
            ArchiveSkip::Unsupported { .. } => "unsupported",
            ArchiveSkip::Damaged { .. } => "damaged",
            ArchiveSkip::TrailingData => "trailing-data",
        }
    }
}

impl fmt::Display for ArchiveSkip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArchiveSkip::TooDeep { limit } => write!(
                f,
                "archive nested more than {limit} deep: not opened (scanned as it is)"
            ),
            ArchiveSkip::TooLarge { size, limit } => write!(
                f,
                "entry of {size} bytes or more is larger than the {limit}-byte limit: not scanned"
            ),
            ArchiveSkip::Ratio { limit } => write!(
                f,
                "expands more than {limit} times its compressed size (a compression bomb?): not scanned past that"
            ),
            ArchiveSkip::TotalBytes { limit } => write!(
                f,
                "more than {limit} bytes decompressed from one archive: the rest was not scanned"
            ),
            ArchiveSkip::OverallRatio { limit } => write!(
                f,
                "archive expands more than {limit} times its size (a compression bomb?): the rest was not scanned"
            ),
            ArchiveSkip::TooManyEntries { limit } => write!(
                f,
                "more than {limit} entries in one archive: the rest was not scanned"
            ),
            ArchiveSkip::Encrypted => write!(f, "encrypted: not scanned"),
            ArchiveSkip::Unsupported { what } => write!(f, "not supported ({what}): not scanned"),
            ArchiveSkip::Damaged { message } => {
                write!(f, "damaged ({message}): scanned what could be read")
            }
            ArchiveSkip::TrailingData => {
                write!(f, "data after the end of the gzip stream: not scanned")
            }
        }
    }
}

/// Parts of archives not scanned, by reason (the `archives.skipped` of a report's stats).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ArchiveSkips {
    pub(crate) too_deep: u64,
    pub(crate) too_large: u64,
    /// Per-decompressor and overall ratio.
    pub(crate) ratio: u64,
    pub(crate) total_bytes: u64,
    pub(crate) too_many_entries: u64,
    pub(crate) encrypted: u64,
    pub(crate) unsupported: u64,
    pub(crate) damaged: u64,
    pub(crate) trailing_data: u64,
}

impl ArchiveSkips {
    pub(crate) fn count(&mut self, r: &ArchiveSkip) {
        let c = match r {
            ArchiveSkip::TooDeep { .. } => &mut self.too_deep,
            ArchiveSkip::TooLarge { .. } => &mut self.too_large,
            ArchiveSkip::Ratio { .. } | ArchiveSkip::OverallRatio { .. } => &mut self.ratio,
            ArchiveSkip::TotalBytes { .. } => &mut self.total_bytes,
            ArchiveSkip::TooManyEntries { .. } => &mut self.too_many_entries,
            ArchiveSkip::Encrypted => &mut self.encrypted,
            ArchiveSkip::Unsupported { .. } => &mut self.unsupported,
            ArchiveSkip::Damaged { .. } => &mut self.damaged,
            ArchiveSkip::TrailingData => &mut self.trailing_data,
        };
        *c += 1;
    }

    fn add(&mut self, o: &ArchiveSkips) {
        self.too_deep += o.too_deep;
        self.too_large += o.too_large;
        self.ratio += o.ratio;
        self.total_bytes += o.total_bytes;
        self.too_many_entries += o.too_many_entries;
        self.encrypted += o.encrypted;
        self.unsupported += o.unsupported;
        self.damaged += o.damaged;
        self.trailing_data += o.trailing_data;
    }

    /// The non-zero counts in words, most first: `2 encrypted, 1 too deep`.
    pub(crate) fn summary(&self) -> String {
        let mut parts = [
            (self.too_deep, "nested too deep"),
            (self.too_large, "too large"),
            (self.ratio, "over the compression ratio"),
            (self.total_bytes, "over the decompressed total"),
            (self.too_many_entries, "over the entry count"),
            (self.encrypted, "encrypted"),
            (self.unsupported, "not supported"),
            (self.damaged, "damaged"),
            (self.trailing_data, "trailing data"),
        ];
        parts.sort_by_key(|p| std::cmp::Reverse(p.0));
        parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn total(&self) -> u64 {
        self.too_deep
            + self.too_large
            + self.ratio
            + self.total_bytes
            + self.too_many_entries
            + self.encrypted
            + self.unsupported
            + self.damaged
            + self.trailing_data
    }
}

/// An input that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InputError {
    pub(crate) path: String,
    pub(crate) message: String,
}

/// Counters a run reports in `stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Stats {
    pub(crate) files_scanned: u64,
    pub(crate) bytes_scanned: u64,
    pub(crate) skipped_too_large: u64,
    pub(crate) skipped_symlinks: u64,
    pub(crate) skipped_special: u64,
    pub(crate) symlink_loops: u64,
    /// Files or directories (scan), or places in history (git), under `skip-paths`.
    pub(crate) skipped_by_config: u64,
    pub(crate) suppressed_public: u64,
    /// Occurrences on lines marked `upsweep:allow`.
    pub(crate) suppressed_inline: u64,
    /// Secrets allowed by hash in `.upsweep.toml`.
    pub(crate) suppressed_allowed: u64,
    /// Places allowed by path and line in `.upsweep.toml` (in the JSON report when not 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub(crate) suppressed_allowed_places: u64,
    /// Secrets in the baseline.
    pub(crate) suppressed_baseline: u64,
    pub(crate) errors: u64,
    pub(crate) duration_ms: u64,
    /// Git scans: commits whose trees (or changes) were examined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) git_commits: Option<u64>,
    /// What was opened inside files and blobs that are archives.
    pub(crate) archives: ArchiveCounts,
}

/// Archives opened, their entries scanned, and what was left out of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ArchiveCounts {
    /// Archives opened, nested ones included (a file or blob that is an archive counts once
    /// in `files_scanned`).
    pub(crate) opened: u64,
    /// Entries scanned (their bytes are in `bytes_scanned`).
    pub(crate) entries_scanned: u64,
    pub(crate) skipped: ArchiveSkips,
}

impl ArchiveCounts {
    fn add(&mut self, o: &ArchiveCounts) {
        self.opened += o.opened;
        self.entries_scanned += o.entries_scanned;
        self.skipped.add(&o.skipped);
    }
}

impl Stats {
    pub(crate) fn add(&mut self, o: &Stats) {
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
        self.suppressed_allowed_places += o.suppressed_allowed_places;
        self.suppressed_baseline += o.suppressed_baseline;
        self.errors += o.errors;
        self.archives.add(&o.archives);
        if let Some(c) = o.git_commits {
            self.git_commits = Some(self.git_commits.unwrap_or(0) + c);
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Why something found is not reported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Why {
    /// A value Upstash publishes (named): not a leak.
    Public(String),
    /// An `upsweep:allow` comment on the line, with its reason when it gives one.
    Inline(Option<String>),
    /// Allowed by hash in the config file, with the entry's reason.
    Allowed(String),
    /// Its place (path and line) allowed in the config file, with the entry's reason.
    AllowedPlace(String),
    /// In the baseline, with the entry's note.
    Baseline(Option<String>),
}

/// A finding (or one occurrence of it) set aside, for the stats and `--verbose`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Suppressed {
    pub(crate) why: Why,
    /// The kind, with the published value's name for [`Why::Public`].
    pub(crate) what: String,
    /// `path:line:column` (the first place, for a whole secret).
    pub(crate) at: String,
    pub(crate) sha256: String,
}
