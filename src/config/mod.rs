//! Validated, plain settings (no clap below this line): what `cli` parsed, checked and with
//! defaults resolved.

pub mod file;
pub mod size;

pub use size::parse_size;

use crate::cli::{
    AccountArgs, BaselineScanArgs, ColorChoice, FailOn, LivingArgs, OutputArgs, OutputFormat,
    ScanArgs,
};
use crate::input::fs::WalkOptions;
use crate::report::Format;
use crate::rules::Matcher;
use crate::suppress::baseline::Baseline;
use crate::suppress::paths::PathGlobs;
use crate::suppress::Filters;
use anyhow::{bail, Result};
use file::FailOnSetting;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `--max-file-size` when neither the flag nor the config file sets it.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;

#[derive(Debug, Clone)]
pub struct OutputConfig {
    pub format: Format,
    pub path: Option<PathBuf>,
    pub show_secrets: bool,
    pub color: bool,
    pub verbose: bool,
    pub quiet: bool,
}

#[derive(Debug, Clone)]
pub enum Inputs {
    Stdin,
    Paths(WalkOptions),
}

#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub inputs: Inputs,
    pub max_file_size: u64,
    pub rule_dirs: Vec<PathBuf>,
    pub output: OutputConfig,
    /// The config file, the baseline and what they say.
    pub living: Living,
}

/// What `.upsweep.toml` and `--config`, `--no-config` and `--baseline` resolve to.
#[derive(Debug, Clone, Default)]
pub struct Living {
    /// The repository root: `skip-paths` are relative to it.
    pub root: PathBuf,
    /// The config file read, if any.
    pub file: Option<PathBuf>,
    pub filters: Filters,
    pub disabled_rules: Vec<String>,
    /// The file's `rule-dirs` (resolved).
    pub rule_dirs: Vec<PathBuf>,
    pub max_file_size: Option<u64>,
    pub fail_on: Option<FailOnSetting>,
}

/// How to find the config file and the baseline.
#[derive(Debug, Clone, Copy, Default)]
pub struct LivingChoice<'a> {
    pub config: Option<&'a Path>,
    pub no_config: bool,
    pub baseline: Option<&'a Path>,
    /// Whether to load a baseline at all (`baseline create` and `prune` must see everything).
    pub use_baseline: bool,
}

impl<'a> LivingChoice<'a> {
    pub fn from_args(a: &'a LivingArgs) -> LivingChoice<'a> {
        LivingChoice {
            config: a.config.as_deref(),
            no_config: a.no_config,
            baseline: a.baseline.as_deref(),
            use_baseline: true,
        }
    }
}

impl Living {
    /// Read the config file for the repository at `root` (or the one named) and the baseline.
    /// `paths` are the paths a file scan starts from (for matching `skip-paths`).
    pub fn load(root: &Path, paths: &[PathBuf], choice: LivingChoice<'_>) -> Result<Living> {
        let file = if choice.no_config {
            None
        } else if let Some(c) = choice.config {
            if !c.is_file() {
                bail!("--config {}: no such file", c.display());
            }
            Some(c.to_path_buf())
        } else {
            file::discover(root)
        };
        let parsed = match &file {
            Some(f) => Some(file::load(f).map_err(|e| {
                anyhow::anyhow!(
                    "{e}\n(`upsweep config check` checks the file; --no-config ignores it)"
                )
            })?),
            None => None,
        };
        let mut living = Living {
            root: root.to_path_buf(),
            file,
            ..Living::default()
        };
        let mut baseline = choice.baseline.map(Path::to_path_buf);
        if let Some(c) = parsed {
            if !c.skip_paths.is_empty() {
                let globs = PathGlobs::new(&c.skip_paths, root)
                    .map_err(|e| anyhow::anyhow!("skip-paths: {}", e.message))?
                    .with_bases(paths);
                living.filters.skip_paths = Some(Arc::new(globs));
            }
            living.filters.allow = c.allow;
            living.disabled_rules = c.disable_rules;
            living.rule_dirs = c.rule_dirs;
            living.max_file_size = c.max_file_size;
            living.fail_on = c.fail_on;
            if baseline.is_none() {
                baseline = c.baseline;
            }
        }
        if choice.use_baseline {
            if let Some(b) = baseline {
                living.filters.baseline = Some(Arc::new(Baseline::read(&b)?));
            }
        }
        Ok(living)
    }

    /// `--max-file-size` if given, else the file's, else the default.
    pub fn max_file_size(&self, flag: Option<&str>) -> Result<u64> {
        match flag {
            Some(s) => parse_size(s),
            None => Ok(self.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE)),
        }
    }

    /// The rule directories to load: the file's, then the command line's.
    pub fn rule_dirs(&self, flags: &[PathBuf]) -> Vec<PathBuf> {
        let mut dirs = self.rule_dirs.clone();
        dirs.extend(flags.iter().cloned());
        dirs
    }

    /// The account flags with the file's `fail-on` filled in where the command line has none.
    /// A `fail-on` whose check was not asked for falls back to `any` (the stricter gate), with
    /// a note saying so.
    pub fn account_args(&self, a: &AccountArgs, notes: &mut Vec<String>) -> AccountArgs {
        let mut out = a.clone();
        if out.fail_on.is_some() {
            return out;
        }
        let Some(setting) = self.fail_on else {
            return out;
        };
        let enabled = a.account || a.account_file.is_some() || a.live;
        let (value, missing) = match setting {
            FailOnSetting::Any => (FailOn::Any, None),
            FailOnSetting::Live if a.live => (FailOn::Live, None),
            FailOnSetting::Live => (FailOn::Any, Some("--live")),
            FailOnSetting::Owned if enabled => (FailOn::Owned, None),
            FailOnSetting::Owned => (FailOn::Any, Some("--account")),
        };
        if let Some(flag) = missing {
            notes.push(format!(
                "{} sets fail-on = \"{}\", which needs {flag}: failing on any finding instead",
                self.file
                    .as_deref()
                    .map_or("the config file".into(), |f| f.display().to_string()),
                setting.as_str()
            ));
        }
        out.fail_on = Some(value);
        out
    }
}

impl OutputConfig {
    pub fn from_args(a: &OutputArgs) -> OutputConfig {
        let format = match a.format {
            OutputFormat::Human => Format::Human,
            OutputFormat::Json => Format::Json,
            OutputFormat::Jsonl => Format::Jsonl,
            OutputFormat::Sarif => Format::Sarif,
            OutputFormat::Github => Format::Github,
        };
        let color = match a.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                a.output.is_none()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        OutputConfig {
            format,
            path: a.output.clone(),
            show_secrets: a.show_secrets,
            color,
            verbose: a.verbose,
            quiet: a.quiet,
        }
    }
}

impl ScanConfig {
    pub fn from_args(a: &ScanArgs) -> Result<ScanConfig> {
        ScanConfig::build(
            Walk {
                paths: &a.paths,
                no_ignore: a.no_ignore,
                follow: a.follow,
                max_file_size: a.engine.max_file_size.as_deref(),
                rules: &a.engine.rules,
                threads: a.engine.threads,
            },
            OutputConfig::from_args(&a.output),
            LivingChoice::from_args(&a.living),
        )
    }

    /// The scan `baseline create` and `baseline prune` make of files: no baseline applied.
    pub fn for_baseline(paths: &[PathBuf], a: &BaselineScanArgs) -> Result<ScanConfig> {
        let paths = if paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            paths.to_vec()
        };
        ScanConfig::build(
            Walk {
                paths: &paths,
                no_ignore: a.no_ignore,
                follow: a.follow,
                max_file_size: a.engine.max_file_size.as_deref(),
                rules: &a.engine.rules,
                threads: a.engine.threads,
            },
            OutputConfig {
                format: Format::Human,
                path: None,
                show_secrets: false,
                color: false,
                verbose: false,
                quiet: a.quiet,
            },
            LivingChoice {
                config: a.config.as_deref(),
                no_config: a.no_config,
                baseline: None,
                use_baseline: false,
            },
        )
    }

    fn build(w: Walk<'_>, output: OutputConfig, choice: LivingChoice<'_>) -> Result<ScanConfig> {
        let stdin = w.paths.iter().any(|p| p.as_os_str() == "-");
        if stdin && w.paths.len() > 1 {
            bail!("`-` (standard input) cannot be combined with other paths");
        }
        let threads = threads(w.threads)?;
        // The repository of the first path holds the config file.
        let first = match w.paths.first() {
            Some(p) if !stdin => p.clone(),
            _ => PathBuf::from("."),
        };
        let root = file::find_root(&first);
        let living = Living::load(&root, w.paths, choice)?;
        let max_file_size = living.max_file_size(w.max_file_size)?;
        let inputs = if stdin {
            Inputs::Stdin
        } else {
            Inputs::Paths(WalkOptions {
                paths: w.paths.to_vec(),
                no_ignore: w.no_ignore,
                follow_symlinks: w.follow,
                max_file_size,
                threads,
                exclude: living.filters.skip_paths.clone(),
            })
        };
        Ok(ScanConfig {
            inputs,
            max_file_size,
            rule_dirs: living.rule_dirs(w.rules),
            output,
            living,
        })
    }

    /// The rules to scan with: the shipped ones and the extra directories, less the disabled.
    pub fn matcher(&self) -> Result<Matcher> {
        file::load_matcher(&self.rule_dirs, &self.living.disabled_rules)
    }
}

/// What a file scan walks, as typed.
struct Walk<'a> {
    paths: &'a [PathBuf],
    no_ignore: bool,
    follow: bool,
    max_file_size: Option<&'a str>,
    rules: &'a [PathBuf],
    threads: Option<usize>,
}

/// `--threads`, or one per core.
pub fn threads(flag: Option<usize>) -> Result<usize> {
    match flag {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(2, |n| n.get())),
    }
}
