//! Where the report goes and how it looks, and how much is said on standard error.

use crate::cli::{ColorChoice, OutputArgs};
use crate::report::Format;
use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub(crate) struct OutputSettings {
    pub(crate) format: Format,
    /// The report file; standard output when `None`.
    pub(crate) path: Option<PathBuf>,
    pub(crate) show_secrets: bool,
    /// `--color`, settled: auto is colour on a terminal unless `NO_COLOR` is set.
    pub(crate) color: bool,
    pub(crate) verbose: bool,
    pub(crate) quiet: bool,
    /// More reports of the same scan: `--sarif FILE`, `--json FILE`.
    pub(crate) also: Vec<(Format, PathBuf)>,
    /// Where the GitHub Actions job summary goes (`GITHUB_STEP_SUMMARY`), when the run is a
    /// GitHub one: `--format github`, `--ci` or `--pr-comment`.
    pub(crate) job_summary: Option<PathBuf>,
    /// The findings are staged, not committed (`git --staged`): reports do not call them
    /// leaked.
    pub(crate) staged: bool,
}

impl OutputSettings {
    /// `github_run`: the command was asked to act as a CI gate (`--ci`, `--pr-comment`).
    pub(crate) fn new(a: &OutputArgs, github_run: bool) -> Result<OutputSettings> {
        let color = match a.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                a.output.is_none()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        let mut also = Vec::new();
        for (format, path) in [(Format::Sarif, &a.sarif), (Format::Json, &a.json)] {
            let Some(p) = path else { continue };
            let clash = a.output.as_ref() == Some(p) || also.iter().any(|(_, q)| q == p);
            if clash {
                bail!(
                    "{} is named for two reports: give --output, --sarif and --json different files",
                    p.display()
                );
            }
            also.push((format, p.clone()));
        }
        let github = a.format == Format::Github || github_run;
        let job_summary = std::env::var_os("GITHUB_STEP_SUMMARY")
            .filter(|v| github && !v.is_empty())
            .map(PathBuf::from);
        Ok(OutputSettings {
            format: a.format,
            path: a.output.clone(),
            show_secrets: a.show_secrets,
            color,
            verbose: a.verbose,
            quiet: a.quiet.quiet,
            also,
            job_summary,
            staged: false,
        })
    }
}
