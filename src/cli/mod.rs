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
    /// GitHub Actions workflow commands: one `::error` annotation per place, no secret.
    Github,
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
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub account: AccountArgs,
    #[command(flatten)]
    pub living: LivingArgs,
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
    /// --live); or only the account's current credentials (or ones that may be: needs --account)
    /// [default: any, or fail-on in .upsweep.toml].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
}

/// The project's config file and baseline, for `scan` and `git`.
#[derive(Debug, Args, Clone, Default)]
pub struct LivingArgs {
    /// Read settings from FILE instead of .upsweep.toml at the repository root.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore .upsweep.toml.
    #[arg(long)]
    pub no_config: bool,
    /// Report only secrets not in this baseline (`upsweep baseline create`); the ones in it are
    /// counted, and listed with --verbose.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
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
    pub paths: Vec<PathBuf>,
    /// The baseline file to write.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
    /// Take the findings of a JSON report (`--format json` or `jsonl`) instead of scanning.
    #[arg(long, value_name = "REPORT", conflicts_with = "git")]
    pub from: Option<PathBuf>,
    /// A note stored with every entry (who accepted them, a ticket).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    #[command(flatten)]
    pub scan: BaselineScanArgs,
}

#[derive(Debug, Args)]
pub struct BaselinePruneArgs {
    /// The baseline file, rewritten in place.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Files or directories to scan (default: the current directory); with --git, the
    /// repository.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Show what would be dropped without writing the file.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub scan: BaselineScanArgs,
}

/// How `baseline create` and `baseline prune` scan.
#[derive(Debug, Args)]
pub struct BaselineScanArgs {
    /// Scan the git history of the repository (every blob reachable from any ref) instead of
    /// files.
    #[arg(long)]
    pub git: bool,
    /// Read settings from FILE instead of .upsweep.toml at the repository root.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore .upsweep.toml.
    #[arg(long)]
    pub no_config: bool,
    /// Also scan files ignored by .gitignore, .ignore and git's exclude files.
    #[arg(long, conflicts_with = "git")]
    pub no_ignore: bool,
    /// Follow symbolic links.
    #[arg(short = 'L', long = "follow", conflicts_with = "git")]
    pub follow: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Print nothing on standard error but errors.
    #[arg(short, long)]
    pub quiet: bool,
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
    /// Also list what was found and not reported (published values, lines marked
    /// upsweep:allow, secrets allowed by .upsweep.toml or in the baseline) and skipped files.
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
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub account: AccountArgs,
    #[command(flatten)]
    pub living: LivingArgs,
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
    pub paths: Vec<PathBuf>,
    /// Plan from a JSON report (`upsweep scan --format json --account -o FILE`, or `git`)
    /// instead of scanning. A report holds hashes, not secrets: enough to plan.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["paths", "git"])]
    pub report: Option<PathBuf>,
    /// Scan the git history of the repository at PATH (every reachable blob) instead of files.
    #[arg(long)]
    pub git: bool,
    /// Read Developer API credentials from FILE (one `EMAIL API_KEY` per line) besides
    /// UPSTASH_EMAIL and UPSTASH_API_KEY.
    #[arg(long, value_name = "FILE")]
    pub account_file: Option<PathBuf>,
    /// Rotate without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Only print the plan, even on a terminal (the default when not on a terminal).
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Act only on this resource (its id or name, as the plan shows it). Repeatable, or
    /// comma-separated.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Write the new credentials to FILE, an env file with the conventional variable names,
    /// created with mode 0600 (it must not exist). They are never printed.
    #[arg(long, value_name = "FILE")]
    pub new_credentials: Option<PathBuf>,
    /// Append one JSON line per attempted rotation to FILE: time, secret hashes, resource,
    /// action, outcome, error. Never a secret.
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// After deleting a leaked Developer API key in the console: confirm it now gets 401, and
    /// show the audit log's actions made with API keys. Rotates nothing.
    #[arg(long, conflicts_with_all = ["yes", "dry_run", "only", "new_credentials", "audit_log"])]
    pub check_api_key: bool,
    /// Also load the rules in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

/// How a scan reads and matches, shared by `scan`, `git` and `baseline`.
#[derive(Debug, Args, Clone)]
pub struct EngineArgs {
    /// Skip (and count) files or blobs larger than this: bytes, or with K, M or G [default: 64M,
    /// or max-file-size in .upsweep.toml].
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,
    /// Also load the rules in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Scanning threads (default: one per core).
    #[arg(short = 'j', long)]
    pub threads: Option<usize>,
}
