//! The command line as typed: clap derive only. Flags several commands take are declared once,
//! in [`groups`], and flattened into each command; each group has its own heading in `--help`.
//! [`crate::config`] settles what was typed into plain settings, once per command; nothing
//! else reads these types.

pub(crate) mod groups;
mod values;

pub use groups::RulesArgs;
pub(crate) use groups::{
    AccountArgs, ConfigFileArgs, CredentialsArgs, EngineArgs, OutputArgs, ProjectArgs, QuietArgs,
    WalkArgs,
};
pub(crate) use values::ColorChoice;

use crate::report::ListFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "upsweep",
    version,
    about = "Find leaked Upstash credentials in files and git history.",
    long_about = "Find leaked Upstash credentials (Redis, QStash, Vector, Search, Developer API) in files and git history.\n\nExit codes: 0 nothing found and everything scanned; 1 credentials found; 2 usage error or part of the input could not be read.\n\nNothing is sent over the network by a scan."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (default: the current directory); `-` reads standard input.
    Scan(ScanArgs),
    /// Scan git history: every blob reachable from any ref, or only what is staged
    /// (--staged, for a pre-commit hook) or what a range of commits adds (--range, --ci).
    Git(GitArgs),
    /// Rotate leaked credentials of your Upstash account: plan, confirm, rotate, verify, log.
    Revoke(RevokeArgs),
    /// Accept the secrets found now, so that scans with --baseline report only new ones.
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Check a config file (.upsweep.toml).
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// List or check detection rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` for standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    #[command(flatten)]
    pub(crate) account: AccountArgs,
    #[command(flatten)]
    pub(crate) project: ProjectArgs,
}

#[derive(Debug, Args)]
pub struct GitArgs {
    /// The repository (normal, bare or a linked worktree; default: the current directory).
    #[arg(value_name = "REPO", default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Scan only what `git commit` is about to record: the lines the index adds to HEAD.
    #[arg(long, conflicts_with_all = ["range", "since_commit", "ci", "unreachable"])]
    pub(crate) staged: bool,
    /// With --staged: scan whole staged files, not only the added lines.
    #[arg(long, requires = "staged")]
    pub(crate) all_content: bool,
    /// Scan only what the commits in BASE..HEAD add (a pull request).
    #[arg(long, value_name = "BASE..HEAD", conflicts_with_all = ["since_commit", "ci", "unreachable"])]
    pub(crate) range: Option<String>,
    /// Scan only what the commits after REV (up to HEAD) add: the same as --range REV..HEAD.
    #[arg(long, value_name = "REV", conflicts_with_all = ["ci", "unreachable"])]
    pub(crate) since_commit: Option<String>,
    /// Work the range out from the CI's environment (GitHub Actions, GitLab CI).
    #[arg(long, conflicts_with = "unreachable")]
    pub(crate) ci: bool,
    /// Also scan objects no ref reaches (left by resets, amends and rebases).
    #[arg(long)]
    pub(crate) unreachable: bool,
    /// Keep one comment on the pull request current: what it adds and what to do, or that it
    /// is clean now. With --ci (or --range and --pr).
    ///
    /// Needs GITHUB_TOKEN (with pull-requests: write) and GITHUB_REPOSITORY; GITHUB_API_URL for
    /// GitHub Enterprise Server. The comment never holds a secret. If it cannot be written (a
    /// pull request from a fork has a read-only token), a notice says so and the exit code is
    /// still the findings'.
    #[arg(long, conflicts_with_all = ["staged", "unreachable"])]
    pub(crate) pr_comment: bool,
    /// The pull request to comment on (default: the GitHub Actions event's).
    #[arg(long, value_name = "NUMBER", requires = "pr_comment")]
    pub(crate) pr: Option<u64>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    #[command(flatten)]
    pub(crate) account: AccountArgs,
    #[command(flatten)]
    pub(crate) project: ProjectArgs,
}

/// `upsweep revoke`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Revocation plans first: for every leaked credential that is a current credential of your account \
(found by comparing SHA-256 hashes with the account's inventory, fetched now), the rotation, the \
resource and who breaks. Nothing changes without --yes (or a 'y' on a terminal). After each \
rotation the resource is fetched again and the leaked hash must be none of its credentials. \
Re-running is safe: what is already rotated is skipped.

Credentials: UPSTASH_EMAIL and UPSTASH_API_KEY, or --account-file (as for --account).

Exit codes:
  0  nothing left to do: every planned rotation done and confirmed, or nothing to rotate
  1  something is left for you: a dry run (or a 'no') with rotations pending, or a leaked
     Developer API key to delete in the console (--check-api-key: a key still works)
  2  a rotation failed or could not be confirmed, a leak could not be judged (the account check
     was incomplete), part of the input could not be read, or a usage error")]
pub struct RevokeArgs {
    /// Files or directories to scan (default: the current directory); with --git, the
    /// repository.
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// Plan from a JSON report instead of scanning.
    ///
    /// A report (`upsweep scan --format json --account -o FILE`, or `git`) holds hashes, not
    /// secrets: enough to plan.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["paths", "git"])]
    pub(crate) report: Option<PathBuf>,
    /// Scan the git history of the repository at PATH (every reachable blob) instead of files.
    #[arg(long)]
    pub(crate) git: bool,
    /// Rotate without asking.
    #[arg(short = 'y', long)]
    pub(crate) yes: bool,
    /// Only print the plan, even on a terminal (the default when not on a terminal).
    #[arg(long, conflicts_with = "yes")]
    pub(crate) dry_run: bool,
    /// Act only on this resource (its id or name, as the plan shows it); repeatable, or
    /// comma-separated.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub(crate) only: Vec<String>,
    /// Write the new credentials to FILE, an env file (mode 0600) that must not exist.
    ///
    /// The file holds the conventional variable names. New credentials are never printed.
    #[arg(long, value_name = "FILE")]
    pub(crate) new_credentials: Option<PathBuf>,
    /// Append one JSON line per attempted rotation to FILE (never a secret).
    ///
    /// Each line holds the time, the secret hashes, the resource, the action, the outcome and
    /// any error.
    #[arg(long, value_name = "FILE")]
    pub(crate) audit_log: Option<PathBuf>,
    /// After deleting a leaked Developer API key in the console, confirm it now gets 401.
    ///
    /// Also shows the audit log's actions made with API keys. Rotates nothing.
    #[arg(long, conflicts_with_all = ["yes", "dry_run", "only", "new_credentials", "audit_log"])]
    pub(crate) check_api_key: bool,
    #[command(flatten)]
    pub(crate) credentials: CredentialsArgs,
    #[command(flatten)]
    pub(crate) rules: RulesArgs,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan (or read a report) and write every secret found to a baseline file: kind, SHA-256,
    /// first place seen, optional note. Never the secret itself.
    Create(BaselineCreateArgs),
    /// Drop the entries of a baseline whose secrets are no longer found.
    Prune(BaselinePruneArgs),
}

#[derive(Debug, Args)]
pub struct BaselineCreateArgs {
    /// Files or directories to scan (default: the current directory); with --git, the
    /// repository.
    #[arg(value_name = "PATH", conflicts_with = "from")]
    pub(crate) paths: Vec<PathBuf>,
    /// The baseline file to write.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// Take the findings of a JSON report (`--format json` or `jsonl`) instead of scanning.
    #[arg(long, value_name = "REPORT", conflicts_with = "git")]
    pub(crate) from: Option<PathBuf>,
    /// A note stored with every entry (who accepted them, a ticket).
    #[arg(long, value_name = "TEXT")]
    pub(crate) note: Option<String>,
    #[command(flatten)]
    pub(crate) scan: BaselineScanArgs,
}

#[derive(Debug, Args)]
pub struct BaselinePruneArgs {
    /// The baseline file, rewritten in place.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Files or directories to scan (default: the current directory); with --git, the
    /// repository.
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// Show what would be dropped without writing the file.
    #[arg(long)]
    pub(crate) dry_run: bool,
    #[command(flatten)]
    pub(crate) scan: BaselineScanArgs,
}

/// How `baseline create` and `baseline prune` scan: as `scan` or `git` would, without a
/// baseline.
#[derive(Debug, Args)]
pub(crate) struct BaselineScanArgs {
    /// Scan the git history of the repository (every blob reachable from any ref) instead of
    /// files.
    #[arg(long, conflicts_with_all = ["no_ignore", "follow"])]
    pub(crate) git: bool,
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    #[command(flatten)]
    pub(crate) quiet: QuietArgs,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file (default: .upsweep.toml at the repository root): every problem
    /// with its file, line, column and key. Exit 0 when valid, 1 when not, 2 when unreadable.
    Check {
        /// The file to check.
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Show every rule: id, kind, decoder and description.
    List {
        /// How to print the list.
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// Lint a rule directory (default: the shipped rules): ids unique, patterns compile, every
    /// example found with the right kind, no negative example found.
    Check {
        /// Directory of *.toml rule files.
        dir: Option<PathBuf>,
    },
}
