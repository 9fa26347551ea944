//! The command line as typed (clap derive only). [`crate::config`] turns it into plain settings.

use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// List or check detection rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Show every rule: id, kind, decoder and description.
    List {
        /// Also load the rules in DIR (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Lint a rule directory (default: the shipped rules): ids unique, patterns compile, every
    /// example found with the right kind, no negative example found.
    Check {
        /// Directory of *.toml rule files.
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
    Jsonl,
    Sarif,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` for standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also scan files ignored by .gitignore, .ignore and git's exclude files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links (loops are detected and reported, never followed twice).
    #[arg(short = 'L', long = "follow")]
    pub follow: bool,
    /// Skip (and count) files larger than this: bytes, or with K, M or G.
    #[arg(long, value_name = "SIZE", default_value = "64M")]
    pub max_file_size: String,
    /// Also load the rules in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Scanning threads (default: one per core).
    #[arg(short = 'j', long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub account: AccountArgs,
}

/// The account check: which findings belong to the user's Upstash account, and still work.
#[derive(Debug, Args, Clone)]
pub struct AccountArgs {
    /// Check findings against your Upstash account (UPSTASH_EMAIL and UPSTASH_API_KEY from the
    /// environment): lists the account's credentials through the Developer API and compares
    /// SHA-256 hashes locally. Found secrets are not sent anywhere.
    #[arg(long)]
    pub account: bool,
    /// Accounts to check against, one `EMAIL API_KEY` per line (one key sees one team).
    /// Implies --account.
    #[arg(long, value_name = "FILE")]
    pub account_file: Option<PathBuf>,
    /// Also check whether credentials that are not the account's still work, with one harmless
    /// read sent only to the Upstash host the credential belongs to. Implies --account.
    #[arg(long)]
    pub live: bool,
    /// What makes exit code 1: any finding; only credentials that still work (or may: needs
    /// --live); or only the account's current credentials (or ones that may be: needs --account).
    #[arg(long, value_enum, default_value_t = FailOn::Any)]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Any,
    Live,
    Owned,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format.
    #[arg(short = 'f', long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Put full secrets in the report (by default only a SHA-256 and a redacted preview).
    #[arg(long)]
    pub show_secrets: bool,
    /// When to colour human output (auto: on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Also list suppressed published values and skipped files.
    #[arg(short, long)]
    pub verbose: bool,
    /// Print nothing on standard error but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct GitArgs {
    /// The repository (normal, bare or a linked worktree; default: the current directory).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Scan only what `git commit` is about to record: the lines the index adds to HEAD.
    #[arg(long, conflicts_with_all = ["range", "since_commit", "ci", "unreachable"])]
    pub staged: bool,
    /// With --staged: scan whole staged files, not only the added lines.
    #[arg(long, requires = "staged")]
    pub all_content: bool,
    /// Scan only what the commits in BASE..HEAD add (a pull request).
    #[arg(long, value_name = "BASE..HEAD", conflicts_with_all = ["since_commit", "ci", "unreachable"])]
    pub range: Option<String>,
    /// Scan only what the commits after REV (up to HEAD) add: the same as --range REV..HEAD.
    #[arg(long, value_name = "REV", conflicts_with_all = ["ci", "unreachable"])]
    pub since_commit: Option<String>,
    /// Work the range out from the CI's environment (GitHub Actions, GitLab CI).
    #[arg(long, conflicts_with = "unreachable")]
    pub ci: bool,
    /// Also scan objects no ref reaches (left by resets, amends and rebases).
    #[arg(long)]
    pub unreachable: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Skip (and count) blobs larger than this: bytes, or with K, M or G.
    #[arg(long, value_name = "SIZE", default_value = "64M")]
    pub max_file_size: String,
    /// Also load the rules in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Scanning threads (default: one per core).
    #[arg(short = 'j', long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub account: AccountArgs,
}
