//! Where the report goes and how it looks, and how much is said on standard error.

use crate::cli::{ColorChoice, OutputArgs};
use crate::report::Format;
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
}

impl OutputSettings {
    pub(crate) fn new(a: &OutputArgs) -> OutputSettings {
        let color = match a.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                a.output.is_none()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        OutputSettings {
            format: a.format,
            path: a.output.clone(),
            show_secrets: a.show_secrets,
            color,
            verbose: a.verbose,
            quiet: a.quiet.quiet,
        }
    }
}
