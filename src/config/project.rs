//! A project's standing settings: what its `.upsweep.toml` (or `--config FILE`) and baseline
//! say, read once for a command. Command-line flags are combined with them where the command
//! settles its flags.

use super::file::{self, ArchiveConfig, MAX_ARCHIVE_DEPTH};
use super::size::parse_size;
use crate::input::archive::ArchiveLimits;
use crate::outcome::FailOn;
use crate::suppress::baseline::Baseline;
use crate::suppress::paths::PathGlobs;
use crate::suppress::Filters;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `--max-file-size` when neither the flag nor the config file sets it.
pub(crate) const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;

/// What `.upsweep.toml`, `--config`, `--no-config` and `--baseline` resolve to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Project {
    /// The config file read, if any.
    pub(crate) file: Option<PathBuf>,
    pub(crate) filters: Filters,
    pub(crate) disabled_rules: Vec<String>,
    /// The file's `rule-dirs` (resolved).
    pub(crate) rule_dirs: Vec<PathBuf>,
    pub(crate) max_file_size: Option<u64>,
    pub(crate) fail_on: Option<FailOn>,
    /// The file's archive settings.
    pub(crate) archives: ArchiveConfig,
}

/// `--no-archives` and `--archive-depth` as typed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ArchiveFlags {
    pub(crate) off: bool,
    pub(crate) depth: Option<u32>,
}

/// `archive-depth` and `--archive-depth` when neither is given.
const DEFAULT_ARCHIVE_DEPTH: u32 = 4;

/// Which config file and baseline to read.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ProjectFiles<'a> {
    /// `--config FILE`.
    pub(crate) config: Option<&'a Path>,
    /// `--no-config`.
    pub(crate) no_config: bool,
    /// `--baseline FILE`.
    pub(crate) baseline: Option<&'a Path>,
    /// Whether to load a baseline at all (`baseline create` and `prune` must see everything).
    pub(crate) use_baseline: bool,
}

impl Project {
    /// Read the config file for the repository at `root` (or the one named) and the baseline.
    /// `paths` are the paths a file scan starts from (for matching `skip-paths`).
    pub(crate) fn load(root: &Path, paths: &[PathBuf], files: ProjectFiles<'_>) -> Result<Project> {
        let file = if files.no_config {
            None
        } else if let Some(c) = files.config {
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
        let mut project = Project {
            file,
            ..Project::default()
        };
        let mut baseline = files.baseline.map(Path::to_path_buf);
        if let Some(c) = parsed {
            if !c.skip_paths.is_empty() {
                let globs = PathGlobs::new(&c.skip_paths, root)
                    .map_err(|e| anyhow::anyhow!("skip-paths: {}", e.message))?
                    .with_bases(paths);
                project.filters.skip_paths = Some(Arc::new(globs));
            }
            project.filters.allow = c.allow;
            for place in c.allow_places {
                // The path as a pattern that names only itself, anchored at the root.
                let literal = format!("/{}", globset::escape(&place.path));
                let globs = PathGlobs::new(&[literal], root)
                    .map_err(|e| anyhow::anyhow!("allow path {:?}: {}", place.path, e.message))?
                    .with_bases(paths);
                project.filters.places.push((Arc::new(globs), place));
            }
            project.disabled_rules = c.disable_rules;
            project.rule_dirs = c.rule_dirs;
            project.max_file_size = c.max_file_size;
            project.fail_on = c.fail_on;
            project.archives = c.archives;
            if baseline.is_none() {
                baseline = c.baseline;
            }
        }
        if files.use_baseline {
            if let Some(b) = baseline {
                project.filters.baseline = Some(Arc::new(Baseline::read(&b)?));
            }
        }
        Ok(project)
    }

    /// `--max-file-size` if given, else the file's, else the default.
    pub(crate) fn max_file_size(&self, flag: Option<&str>) -> Result<u64> {
        match flag {
            Some(s) => parse_size(s),
            None => Ok(self.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE)),
        }
    }

    /// How archives are opened, from the flags and the file (`None`: not at all); each
    /// entry may be as large as a file may (`max_file_size`).
    pub(crate) fn archive_limits(
        &self,
        flags: ArchiveFlags,
        max_file_size: u64,
    ) -> Result<Option<ArchiveLimits>> {
        if flags.off {
            return Ok(None);
        }
        let file = &self.archives;
        let depth = match flags.depth {
            Some(d) if d > MAX_ARCHIVE_DEPTH => {
                bail!("--archive-depth {d}: at most {MAX_ARCHIVE_DEPTH} (0 turns archives off)")
            }
            Some(d) => d,
            None if file.enabled == Some(false) => 0,
            None => file.depth.unwrap_or(DEFAULT_ARCHIVE_DEPTH),
        };
        if depth == 0 {
            return Ok(None);
        }
        let d = ArchiveLimits::default();
        Ok(Some(ArchiveLimits {
            max_depth: depth,
            max_total_bytes: file.max_bytes.unwrap_or(d.max_total_bytes),
            max_entries: file.max_entries.unwrap_or(d.max_entries),
            max_entry_size: max_file_size,
            // A full-size entry inside a full-size nested zip.
            max_held: d.max_held.max(max_file_size.saturating_mul(2)),
            ..d
        }))
    }

    /// The rule directories to load: the file's, then the command line's.
    pub(crate) fn rule_dirs(&self, flags: &[PathBuf]) -> Vec<PathBuf> {
        let mut dirs = self.rule_dirs.clone();
        dirs.extend(flags.iter().cloned());
        dirs
    }

    /// The config file as messages name it.
    pub(crate) fn file_name(&self) -> String {
        self.file
            .as_deref()
            .map_or("the config file".into(), |f| f.display().to_string())
    }
}
