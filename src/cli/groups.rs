//! Flag groups several commands share, each declared once and flattened where it is taken.
//! Each sets its `--help` heading; a command's own flags stay under "Options".

use super::values::ColorChoice;
use crate::outcome::FailOn;
use crate::report::Format;
use clap::Args;
use std::path::PathBuf;

/// The report and what is said on standard error: `scan` and `git`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct OutputArgs {
    /// Report format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Also write the report as SARIF to FILE, from the same scan (for code scanning).
    #[arg(long, value_name = "FILE")]
    pub(crate) sarif: Option<PathBuf>,
    /// Also write the report as JSON to FILE, from the same scan.
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// Put full secrets in the report (by default only a SHA-256 and a redacted preview).
    #[arg(long)]
    pub(crate) show_secrets: bool,
    /// When to colour human output (auto: on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
    /// Also list what was found and not reported, and skipped files.
    ///
    /// Not reported: published values, lines marked upsweep:allow (or right below an
    /// upsweep:allow-next-line comment), secrets allowed by .upsweep.toml or in the baseline.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    #[command(flatten)]
    pub(crate) quiet: QuietArgs,
}

/// `-q`: `scan`, `git` (in [`OutputArgs`]) and `baseline`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct QuietArgs {
    /// Print nothing on standard error but errors.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// How a file tree is walked: `scan` and `baseline`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Files")]
pub(crate) struct WalkArgs {
    /// Also scan files ignored by .gitignore, .ignore and git's exclude files.
    #[arg(long)]
    pub(crate) no_ignore: bool,
    /// Follow symbolic links (loops are detected and reported, never followed twice).
    #[arg(short = 'L', long = "follow")]
    pub(crate) follow: bool,
}

/// How a scan reads and matches: `scan`, `git` and `baseline`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Scanning")]
pub(crate) struct EngineArgs {
    /// Skip (and count) files or blobs over SIZE: bytes, or with K, M or G (default: 64M).
    ///
    /// Inside an archive it applies to each entry; a larger archive file is still opened,
    /// streamed. max-file-size in .upsweep.toml replaces the default.
    #[arg(long, value_name = "SIZE")]
    pub(crate) max_file_size: Option<String>,
    #[command(flatten)]
    pub(crate) rules: RulesArgs,
    /// Scanning threads (default: one per core).
    #[arg(short = 'j', long)]
    pub(crate) threads: Option<usize>,
    /// Scan archives as opaque bytes instead of opening them.
    ///
    /// By default zip (jar, war, whl, apk, nupkg), tar, gzip and tar.gz (tgz, crate) files
    /// and blobs are opened, told by their content, and each entry is scanned.
    /// `archives = false` in .upsweep.toml does the same.
    #[arg(long)]
    pub(crate) no_archives: bool,
    /// Open archives nested up to N deep; 0 is --no-archives (default: 4).
    ///
    /// 1 opens an archive's own entries only; a `docker save` image needs 3 to reach a
    /// package inside a layer. archive-depth in .upsweep.toml replaces the default.
    #[arg(long, value_name = "N", conflicts_with = "no_archives")]
    pub(crate) archive_depth: Option<u32>,
}

/// Extra rule directories: `scan`, `git`, `baseline` (in [`EngineArgs`]), `revoke` and
/// `rules list`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Scanning")]
pub struct RulesArgs {
    /// Also load the rules in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub(crate) dirs: Vec<PathBuf>,
}

/// The account check: which findings belong to the user's Upstash account, and still work.
/// `scan` and `git`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Upstash account")]
pub(crate) struct AccountArgs {
    /// Check findings against your Upstash account; found secrets are not sent anywhere.
    ///
    /// The account is UPSTASH_EMAIL and UPSTASH_API_KEY from the environment (or
    /// --account-file): its credentials are listed through the Developer API and SHA-256
    /// hashes are compared locally. --account-file and --live imply it.
    #[arg(long)]
    pub(crate) account: bool,
    #[command(flatten)]
    pub(crate) credentials: CredentialsArgs,
    /// Also check whether credentials that are not the account's still work (implies --account).
    ///
    /// One harmless read is sent, only to the Upstash host the credential belongs to.
    #[arg(long)]
    pub(crate) live: bool,
    /// What makes exit code 1: any finding, live credentials or the account's own.
    ///
    /// any: every finding; live: only credentials that still work (or may: needs --live);
    /// owned: only the account's current credentials (or ones that may be: needs --account).
    /// The default is any, or fail-on in .upsweep.toml.
    #[arg(long, value_enum)]
    pub(crate) fail_on: Option<FailOn>,
}

/// Developer API credentials from a file: `scan` and `git` (in [`AccountArgs`]) and `revoke`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Upstash account")]
pub(crate) struct CredentialsArgs {
    /// Read Developer API credentials from FILE as well as from the environment.
    ///
    /// One `EMAIL API_KEY` per line; one key sees one team, so list a key per team. Read
    /// besides UPSTASH_EMAIL and UPSTASH_API_KEY. For `scan` and `git` it implies --account.
    #[arg(long, value_name = "FILE")]
    pub(crate) account_file: Option<PathBuf>,
}

/// The project's config file: `scan`, `git` (in [`ProjectArgs`]) and `baseline`.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Project settings")]
pub(crate) struct ConfigFileArgs {
    /// Read settings from FILE instead of .upsweep.toml at the repository root.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub(crate) config: Option<PathBuf>,
    /// Ignore .upsweep.toml.
    #[arg(long)]
    pub(crate) no_config: bool,
}

/// The project's config file and baseline: `scan` and `git`.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Project settings")]
pub(crate) struct ProjectArgs {
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
    /// Report only secrets not in this baseline (`upsweep baseline create`).
    ///
    /// The secrets in it are counted, and listed with --verbose.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
}
