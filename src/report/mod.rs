//! Reports: one printer per format behind [`write()`]. Printers only read a finished
//! [`Report`]; none of them prints a full secret unless `show_secrets` is set.

mod github;
mod human;
mod json;
pub(crate) mod markdown;
pub(crate) mod read;
mod rule_list;
mod sarif;

pub(crate) use rule_list::write_rule_list;
pub use rule_list::ListFormat;

use crate::finding::Finding;
use crate::outcome::{InputError, Outcome, RepoEntry, Revision, Stats, Suppressed};
use crate::rules::Rule;
use crate::upstash::AccountReport;
use std::io::Write;

/// The version of the JSON report schema (README, "Output"). Bumped only on breaking changes.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// A report format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Human,
    Json,
    Jsonl,
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

impl Format {
    /// The name `--format` takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Sarif => "sarif",
            Format::Github => "github",
        }
    }
}

/// Everything a run has to say: a finished [`Outcome`] and the rules that found it.
pub(crate) struct Report<'a> {
    pub(crate) findings: &'a [Finding],
    pub(crate) errors: &'a [InputError],
    pub(crate) stats: &'a Stats,
    /// What was found and not reported (published values, allowed, baselined), for
    /// `--verbose`.
    pub(crate) suppressed: &'a [Suppressed],
    pub(crate) rules: &'a [Rule],
    /// The account check's verdicts, when one ran.
    pub(crate) account: Option<&'a AccountReport>,
    /// Git scans: the repository and commit scanned.
    pub(crate) git: Option<&'a Revision>,
    /// An organisation audit's repositories.
    pub(crate) repositories: Option<&'a [RepoEntry]>,
}

impl<'a> Report<'a> {
    pub(crate) fn new(outcome: &'a Outcome, rules: &'a [Rule]) -> Report<'a> {
        Report {
            findings: &outcome.findings,
            errors: &outcome.errors,
            stats: &outcome.stats,
            suppressed: &outcome.suppressed,
            rules,
            account: outcome.account.as_ref(),
            git: outcome.git.as_ref(),
            repositories: outcome.repositories.as_deref(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub(crate) show_secrets: bool,
    pub(crate) color: bool,
    pub(crate) verbose: bool,
    /// What was found is staged, not committed (`git --staged`): nothing has leaked yet.
    pub(crate) staged: bool,
}

/// The human report's one-line summary (`3 leaked credentials in 4 places (2 files); scanned
/// ...`), without colour.
pub(crate) fn summary_line(report: &Report<'_>, staged: bool) -> String {
    human::summary_line(report, staged)
}

pub(crate) fn write(
    report: &Report<'_>,
    format: Format,
    opts: Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::write(report, opts, out),
        Format::Json => json::write_document(report, opts, out),
        Format::Jsonl => json::write_lines(report, opts, out),
        Format::Sarif => sarif::write(report, opts, out),
        Format::Github => github::write(report, opts, out),
    }
}

/// `value` as pretty JSON and a newline, through [`buffered`].
pub(crate) fn write_pretty_json(
    out: &mut dyn Write,
    value: &impl serde::Serialize,
) -> std::io::Result<()> {
    let mut buf = buffered(out);
    serde_json::to_writer_pretty(&mut buf, value)?;
    buf.write_all(b"\n")?;
    buf.flush()
}

/// A buffer of a concrete type in front of `out`, passing writes on a megabyte at a time.
/// serde_json writes in many small pieces, and each through `dyn Write` cost more than the
/// serializing (0.3-0.5 ms of a report of 4,000 locations, in the run's serial end).
pub(crate) fn buffered(out: &mut dyn Write) -> std::io::BufWriter<&mut dyn Write> {
    std::io::BufWriter::with_capacity(1 << 20, out)
}

/// How many of `--format github`'s annotations GitHub will not show: it shows at most
/// [`github::SHOWN_PER_STEP`] error and as many warning annotations per step.
pub(crate) fn hidden_annotations(report: &Report<'_>) -> usize {
    github::hidden(report)
}

/// A commit id as people write it (its first 7 characters).
pub(crate) fn short_commit(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}
