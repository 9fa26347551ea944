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
    /// Audit every repository of GitHub organisations and users: each fetched into a cache,
    /// its whole history scanned (on a re-run, only what is new), one report.
    Github(GithubArgs),
    /// Merge JSON reports (the shards of an audit, `github --shard K/N`) into one report.
    Merge(MergeArgs),
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
    /// Scan only what the commits in BASE..HEAD add (a pull request); BASE...HEAD: since their
    /// merge base, as `git diff BASE...HEAD`.
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

/// `upsweep github`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
The token is read from GITHUB_TOKEN or GH_TOKEN (never from an argument); without one only \
public repositories can be read, at 60 API requests an hour. It goes to the GitHub API and, as \
HTTP Basic auth, to the git server on the API's own host when it asks; never into a URL, the \
cache, the report or a message.

The cache (--cache) keeps a bare mirror of each repository and what was found in each blob \
(hashes and redacted previews, never secrets): a re-run fetches only what is new, scans only \
new blobs and still prints the whole report. A killed audit re-run with the same cache \
finishes the rest. Audits may share a cache (each repository is locked while in use).

Exit codes: 0 nothing found; 1 credentials found (--fail-on decides which count); 2 a \
repository or listing failed (the others are still audited and reported), or a usage error.")]
#[command(group(clap::ArgGroup::new("targets").required(true).multiple(true).args(["org", "user", "repo"])))]
pub struct GithubArgs {
    /// Audit every repository of this organisation (repeatable).
    #[arg(long, value_name = "NAME")]
    pub(crate) org: Vec<String>,
    /// Audit every repository this user owns (repeatable; the token's own user: private ones
    /// too).
    #[arg(long, value_name = "NAME")]
    pub(crate) user: Vec<String>,
    /// Audit this repository (repeatable; audited even when it is a fork or archived).
    #[arg(long, value_name = "OWNER/NAME")]
    pub(crate) repo: Vec<String>,
    /// Also audit forks (skipped by default: their history is mostly their parent's).
    #[arg(long)]
    pub(crate) include_forks: bool,
    /// Skip archived repositories (audited by default: their history still leaks).
    #[arg(long)]
    pub(crate) exclude_archived: bool,
    /// Skip repositories whose OWNER/NAME matches GLOB (repeatable; `*` stays within a
    /// segment, case-insensitive: acme/*-archive, */test-*).
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,
    /// The GitHub REST API (default: GITHUB_API_URL when set, else https://api.github.com;
    /// GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL")]
    pub(crate) github_api_url: Option<String>,
    /// Where mirrors and what was scanned are kept (default: github in $UPSWEEP_CACHE_DIR,
    /// else in the platform cache directory's upsweep, as revoke's journal).
    #[arg(long, value_name = "DIR")]
    pub(crate) cache: Option<PathBuf>,
    /// Do not fetch pull-request heads (refs/pull/*/head; GitHub keeps them readable forever).
    #[arg(long)]
    pub(crate) no_pull_requests: bool,
    /// Also scan issues, pull requests, their comments and review comments (through the API,
    /// every run).
    #[arg(long)]
    pub(crate) issues: bool,
    /// Repositories audited at once (default: one per core).
    #[arg(long, value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// The longest the run waits for GitHub's rate limit to reset, in all (as 90s, 15m, 1h);
    /// past it, what was not reached is reported as failed.
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    pub(crate) max_wait: String,
    /// Audit only shard K of N (1 <= K <= N): the repositories whose name hashes there, the
    /// same on every machine. `upsweep merge` joins the shards' JSON reports.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<String>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    #[command(flatten)]
    pub(crate) account: AccountArgs,
    #[command(flatten)]
    pub(crate) project: ProjectArgs,
}

/// `upsweep merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports (`--format json`) to merge.
    #[arg(value_name = "REPORT.json", required = true)]
    pub(crate) reports: Vec<PathBuf>,
    /// What makes exit code 1: any finding, or (from reports made with --account or --live)
    /// only the account's own or live credentials.
    #[arg(long, value_enum)]
    pub(crate) fail_on: Option<crate::outcome::FailOn>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `upsweep revoke`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Revocation plans first: for every leaked credential that is a current credential of your account \
(found by comparing SHA-256 hashes with the account's inventory, fetched now), the rotation, the \
resource and who breaks. Nothing changes without --yes (or a 'y' on a terminal).

While rotating, nothing is lost: before each write to Upstash an intent line is written and \
fsync'd to the journal (--audit-log FILE, or journal.jsonl in the cache directory: \
$UPSWEEP_CACHE_DIR, else $XDG_CACHE_HOME/upsweep or ~/.cache/upsweep on Linux, \
~/Library/Caches/upsweep on macOS, %LOCALAPPDATA%\\upsweep on Windows; under revoke/). Each \
rotation's new values are appended to the --new-credentials file the moment Upstash answers. \
A write that may have reached Upstash is never sent again: the resource is read to learn \
whether it happened. One run at a time acts for an account on this machine (a lock in the cache \
directory); just before each rotation the resource is read again, and one already rotated (by \
this or another run) is skipped. After a crash, re-run the same command: it settles what was in \
flight from the journal and rotates nothing twice. The first Ctrl-C (or SIGTERM) finishes the \
action in flight, prints what was done and what is left, and exits 130 (143); a second one \
stops at once.

Credentials: UPSTASH_EMAIL and UPSTASH_API_KEY, or --account-file (as for --account). A found \
Developer API key is sent to Upstash only with --live (or --check-api-key).

Exit codes:
  0    nothing left to do: every planned rotation done and confirmed, or nothing to rotate
  1    something is left for you: a dry run (or a 'no') with rotations pending, a leaked
       Developer API key not confirmed deleted (it needs a person in the Upstash console), or new
       values an earlier run could not save
  2    a rotation failed, could not be confirmed, or may or may not have been made; a leak
       could not be judged (the account check was incomplete); part of the input could not be
       read; another run holds the account's lock; the journal or the new-credentials file
       cannot be written (nothing is rotated then); or a usage error
  130  stopped by Ctrl-C after finishing the action in flight (143: SIGTERM)")]
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
    /// Act only on this action (its id, `redis:<id>`, `qstash-token:<id>`, as the plan shows
    /// it), or on a resource (its id or name); repeatable, or comma-separated.
    ///
    /// A region's QStash token and its signing keys share the user id: their action ids tell
    /// them apart (`qstash-token:<id>`, `qstash-signing-keys:<id>`).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub(crate) only: Vec<String>,
    /// Write the new credentials to FILE, an env file (mode 0600), each rotation's values as
    /// soon as Upstash answers.
    ///
    /// The file must not exist, or be one upsweep revoke wrote (a re-run after an interruption
    /// appends to it). Variables have the conventional names (UPSTASH_REDIS_REST_TOKEN,
    /// QSTASH_TOKEN, ...); when several resources of one product are rotated, each gets a
    /// prefix: the resource's name for Redis, Vector and Search (CACHE_1_UPSTASH_REDIS_REST_TOKEN
    /// for a database named cache-1), the region for QStash (US_EAST_1_QSTASH_TOKEN). New
    /// credentials are never printed.
    #[arg(long, value_name = "FILE")]
    pub(crate) new_credentials: Option<PathBuf>,
    /// The journal: append one JSON line before each write to Upstash (the intent) and one
    /// after each action (the outcome), never a secret.
    ///
    /// Default: journal.jsonl under revoke/ in the cache directory. Each line holds the time,
    /// the secret hashes, the resource, the action, and the outcome and any error. A re-run
    /// reads it to settle what an interrupted run left.
    #[arg(long, value_name = "FILE")]
    pub(crate) audit_log: Option<PathBuf>,
    /// After deleting a leaked Developer API key in the console, confirm it now gets 401.
    ///
    /// Sends each found key to api.upstash.com (GET /v2/teams). Also shows the audit log's
    /// actions made with API keys. Rotates nothing.
    #[arg(long, conflicts_with_all = ["yes", "dry_run", "only", "new_credentials", "audit_log"])]
    pub(crate) check_api_key: bool,
    /// Try each found Developer API key with one read (GET /v2/teams to api.upstash.com), to
    /// learn whose it is and whether it still works.
    ///
    /// Without it a found key is sent nowhere, and the plan treats it as working.
    #[arg(long)]
    pub(crate) live: bool,
    /// How to print the plan and the results: human, or one JSON document for scripts.
    #[arg(short = 'f', long, value_enum, default_value_t = ListFormat::Human)]
    pub(crate) format: ListFormat,
    #[command(flatten)]
    pub(crate) credentials: CredentialsArgs,
    #[command(flatten)]
    pub(crate) rules: RulesArgs,
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
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
    /// The baseline file to write (refused if it exists, unless --force).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// Replace the baseline file if it exists (its entries are not kept: see `baseline prune`).
    #[arg(long)]
    pub(crate) force: bool,
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
