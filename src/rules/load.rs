//! Where rules come from: the files embedded at build time and the user's `--rules DIR`.

use super::syntax::{RuleFile, RuleSyntax};
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// A rule as written, with the file it came from.
#[derive(Debug, Clone)]
pub struct Sourced {
    pub source: String,
    pub rule: RuleSyntax,
}

/// Parse one rule file's text.
pub fn parse(source: &str, text: &str) -> Result<Vec<Sourced>> {
    let file: RuleFile = toml::from_str(text).with_context(|| format!("rule file {source}"))?;
    Ok(file
        .rules
        .into_iter()
        .map(|rule| Sourced {
            source: source.to_string(),
            rule,
        })
        .collect())
}

/// The shipped rules.
pub fn embedded() -> Result<Vec<Sourced>> {
    let mut out = Vec::new();
    for (name, text) in EMBEDDED {
        out.extend(parse(&format!("rules/{name}"), text)?);
    }
    Ok(out)
}

/// The shipped rules, then those of each directory in `extra`.
pub fn all(extra: &[impl AsRef<Path>]) -> Result<Vec<Sourced>> {
    let mut sourced = embedded()?;
    for dir in extra {
        sourced.extend(directory(dir.as_ref())?);
    }
    Ok(sourced)
}

/// Every `*.toml` in a directory, in name order.
pub fn directory(dir: &Path) -> Result<Vec<Sourced>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read rule directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("rule directory {} holds no .toml files", dir.display());
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)
            .with_context(|| format!("cannot read rule file {}", f.display()))?;
        out.extend(parse(&f.display().to_string(), &text)?);
    }
    Ok(out)
}
