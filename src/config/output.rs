//! Where the report goes and how it looks, and how much is said on standard error.

use crate::cli::{ColorChoice, OutputArgs};
use crate::report::Format;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct OutputSettings {
    pub format: Format,
    /// The report file; standard output when `None`.
    pub path: Option<PathBuf>,
    pub show_secrets: bool,
    /// `--color`, settled: auto is colour on a terminal unless `NO_COLOR` is set.
    pub color: bool,
    pub verbose: bool,
    pub quiet: bool,
}

impl OutputSettings {
    pub fn new(a: &OutputArgs) -> OutputSettings {
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
