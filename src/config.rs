//! Validated, plain settings (no clap below this line): what `cli` parsed, checked and with
//! defaults resolved.

use crate::cli::{ColorChoice, OutputArgs, OutputFormat, ScanArgs};
use crate::input::fs::WalkOptions;
use crate::report::Format;
use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::path::PathBuf;

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
}

impl OutputConfig {
    pub fn from_args(a: &OutputArgs) -> OutputConfig {
        let format = match a.format {
            OutputFormat::Human => Format::Human,
            OutputFormat::Json => Format::Json,
            OutputFormat::Jsonl => Format::Jsonl,
            OutputFormat::Sarif => Format::Sarif,
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
        let max_file_size = parse_size(&a.max_file_size)?;
        let stdin = a.paths.iter().any(|p| p.as_os_str() == "-");
        if stdin && a.paths.len() > 1 {
            bail!("`-` (standard input) cannot be combined with other paths");
        }
        let threads = match a.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(2, |n| n.get()),
        };
        let inputs = if stdin {
            Inputs::Stdin
        } else {
            Inputs::Paths(WalkOptions {
                paths: a.paths.clone(),
                no_ignore: a.no_ignore,
                follow_symlinks: a.follow,
                max_file_size,
                threads,
            })
        };
        Ok(ScanConfig {
            inputs,
            max_file_size,
            rule_dirs: a.rules.clone(),
            output: OutputConfig::from_args(&a.output),
        })
    }
}

/// `123`, `64K`, `64M`, `2G` (binary multiples; a trailing `B`/`iB` is accepted).
pub fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    match num
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
    {
        Some(n) if n > 0 => Ok(n),
        _ => bail!("invalid size {s:?}: use a number of bytes, or with K, M or G (e.g. 64M)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M").unwrap(), 64 << 20);
        assert_eq!(parse_size("10").unwrap(), 10);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }
}
