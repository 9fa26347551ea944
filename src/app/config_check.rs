//! `upsweep config check [FILE]`: validate a config file and say exactly what is wrong and
//! where, every problem in one run (a syntax error does not hide the rest), one
//! `FILE:LINE:COLUMN: key `KEY`: message` line per problem (the form editors and CI logs link
//! to). The format is documented in [`crate::config::file`].

use super::exit;
use crate::config::file::{self as config_file, FileConfig};
use crate::config::ConfigCheckSettings;
use crate::suppress::baseline::Baseline;
use anyhow::{anyhow, Result};

pub(super) fn run(s: &ConfigCheckSettings) -> Result<u8> {
    let path = &s.file;
    let text = std::fs::read_to_string(path).map_err(|e| {
        anyhow!(
            "{}: cannot read: {}",
            path.display(),
            crate::util::io::io_message(&e)
        )
    })?;
    // Every problem at once: syntax, keys and values, then the baseline the file names.
    let (cfg, problems) = config_file::check(&text, path);
    let mut lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    lines.extend(check_baseline(&cfg));
    if lines.is_empty() {
        println!("{}: ok ({})", path.display(), summary(&cfg));
        return Ok(exit::CLEAN);
    }
    for l in &lines {
        eprintln!("{l}");
    }
    eprintln!(
        "{}: {} problem{}",
        path.display(),
        lines.len(),
        crate::util::text::plural_s(lines.len())
    );
    Ok(exit::FOUND)
}

/// The baseline the file names must exist and read as one.
fn check_baseline(cfg: &FileConfig) -> Option<String> {
    let b = cfg.baseline.as_ref()?;
    let e = Baseline::read(b).err()?;
    let text = std::fs::read_to_string(&cfg.path).unwrap_or_default();
    let line = text
        .lines()
        .position(|l| {
            let t = l.trim_start();
            t.strip_prefix("baseline")
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map_or(0, |i| i + 1);
    Some(format!(
        "{}:{line}:1: key `baseline`: {e:#}",
        cfg.path.display()
    ))
}

fn summary(c: &FileConfig) -> String {
    let n = |count: usize, what: &str| -> Option<String> {
        (count > 0).then(|| format!("{count} {what}{}", crate::util::text::plural_s(count)))
    };
    let parts: Vec<String> = [
        n(c.skip_paths.len(), "path pattern"),
        n(c.disable_rules.len(), "disabled rule"),
        n(c.rule_dirs.len(), "extra rule dir"),
        n(c.allow.len(), "allowed secret"),
        n(c.allow_places.len(), "allowed place"),
        c.max_file_size.map(|m| format!("max-file-size {m} bytes")),
        c.fail_on.map(|f| format!("fail-on {}", f.as_str())),
        c.baseline
            .as_ref()
            .map(|b| format!("baseline {}", b.display())),
        c.archives
            .enabled
            .map(|on| format!("archives {}", if on { "on" } else { "off" })),
        c.archives.depth.map(|d| format!("archive-depth {d}")),
        c.archives
            .max_bytes
            .map(|m| format!("archive-max-bytes {m} bytes")),
        c.archives
            .max_entries
            .map(|m| format!("archive-max-entries {m}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "no settings".into()
    } else {
        parts.join(", ")
    }
}
