//! A scan to run, settled: what to read (files, standard input or a repository's history),
//! with which rules, less what the project accepts. `scan`, `git`, `baseline` and `revoke` all
//! gather their findings through one of these.

use super::project::{ArchiveFlags, Project, ProjectFiles};
use crate::input::archive::ArchiveLimits;
use crate::input::fs::WalkOptions;
use crate::input::git::{self as g, Mode};
use crate::rules::Matcher;
use crate::suppress::Filters;
use anyhow::{bail, Result};
use git2::Repository;
use std::path::{Path, PathBuf};

/// A scan, ready to run.
pub(crate) struct ScanSpec {
    pub(crate) target: Target,
    pub(crate) rules: RuleSet,
    /// What the project accepts, applied to the findings (empty for `revoke`).
    pub(crate) filters: Filters,
    /// What was scanned, for messages: `.`, `a, b`, `the git history of repo`.
    pub(crate) what: String,
}

/// What a scan reads.
pub(crate) enum Target {
    Files(FileScan),
    History(RepoScan),
}

/// A file scan: standard input, or files and directories walked in parallel.
#[derive(Debug, Clone)]
pub(crate) struct FileScan {
    pub(crate) inputs: Inputs,
    pub(crate) max_file_size: u64,
    /// How archives are opened; `None`: scanned as they are.
    pub(crate) archives: Option<ArchiveLimits>,
}

#[derive(Debug, Clone)]
pub(crate) enum Inputs {
    Stdin,
    Paths(WalkOptions),
}

/// A history scan: the repository (opened), which part of its history, and how.
pub(crate) struct RepoScan {
    pub(crate) repo: Repository,
    pub(crate) mode: Mode,
    pub(crate) max_file_size: u64,
    /// How archive blobs are opened; `None`: scanned as they are.
    pub(crate) archives: Option<ArchiveLimits>,
    pub(crate) threads: usize,
    /// Whether a progress bar may be drawn (on a terminal, for large histories).
    pub(crate) progress: bool,
}

/// The rules to scan with: the shipped ones and extra directories, less the disabled ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleSet {
    pub(crate) dirs: Vec<PathBuf>,
    pub(crate) disabled: Vec<String>,
}

impl RuleSet {
    /// Load, check and compile the rules.
    pub(crate) fn matcher(&self) -> Result<Matcher> {
        super::file::load_matcher(&self.dirs, &self.disabled)
    }

    /// The project's rule directories and disabled rules, with the command line's directories.
    pub(crate) fn of(project: &Project, flags: &[PathBuf]) -> RuleSet {
        RuleSet {
            dirs: project.rule_dirs(flags),
            disabled: project.disabled_rules.clone(),
        }
    }
}

/// A file scan's flags as typed.
pub(super) struct Walk<'a> {
    pub paths: &'a [PathBuf],
    pub no_ignore: bool,
    pub follow: bool,
    pub max_file_size: Option<&'a str>,
    pub threads: Option<usize>,
    pub archives: ArchiveFlags,
}

impl Walk<'_> {
    /// Settle a file scan: standard input or paths, the project of the first path's
    /// repository, the size limit and the walker's options.
    pub(super) fn settle(&self, files: ProjectFiles<'_>) -> Result<(FileScan, Project)> {
        let stdin = self.paths.iter().any(|p| p.as_os_str() == "-");
        if stdin && self.paths.len() > 1 {
            bail!("`-` (standard input) cannot be combined with other paths");
        }
        let threads = threads(self.threads)?;
        // The repository of the first path holds the config file.
        let first = match self.paths.first() {
            Some(p) if !stdin => p.clone(),
            _ => PathBuf::from("."),
        };
        let root = super::file::find_root(&first);
        let project = Project::load(&root, self.paths, files)?;
        let max_file_size = project.max_file_size(self.max_file_size)?;
        let archives = project.archive_limits(self.archives, max_file_size)?;
        let inputs = if stdin {
            Inputs::Stdin
        } else {
            Inputs::Paths(WalkOptions {
                paths: self.paths.to_vec(),
                no_ignore: self.no_ignore,
                follow_symlinks: self.follow,
                max_file_size,
                threads,
                exclude: project.filters.skip_paths.clone(),
                archives: archives.clone(),
            })
        };
        Ok((
            FileScan {
                inputs,
                max_file_size,
                archives,
            },
            project,
        ))
    }
}

/// The project of a repository: `.upsweep.toml` at its work tree's root. A bare repository
/// has none unless `--config` names one.
pub(super) fn repo_project(repo: &Repository, files: ProjectFiles<'_>) -> Result<Project> {
    let root = repo.workdir().unwrap_or(repo.path()).to_path_buf();
    let files = ProjectFiles {
        no_config: files.no_config || (repo.is_bare() && files.config.is_none()),
        ..files
    };
    Project::load(&root, &[], files)
}

/// The one repository a `--git` scan takes (default: the current directory), opened.
pub(super) fn one_repo(paths: &[PathBuf]) -> Result<(Repository, &Path)> {
    if paths.len() > 1 {
        bail!("--git takes one repository");
    }
    let path = paths.first().map_or(Path::new("."), PathBuf::as_path);
    Ok((g::open(path)?, path))
}

/// `what` for a file scan's messages.
pub(super) fn paths_what(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        ".".to_string()
    } else {
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `--threads`, or one per core.
pub(crate) fn threads(flag: Option<usize>) -> Result<usize> {
    match flag {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(2, |n| n.get())),
    }
}
