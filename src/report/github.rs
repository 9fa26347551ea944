//! `--format github`: GitHub Actions workflow commands, so findings show as annotations on the
//! pull request's diff and in the run's summary:
//!
//! ```text
//! ::error file=web/.env.local,line=3,col=19,title=Upstash Redis REST token (read-write)::Upstash Redis REST token (read-write) leaked here (sha256 5025…55d7). Rotate it ...
//! ```
//!
//! One annotation per place a secret was seen (a place repeated across commits once); one
//! inside an archive is on the archive's file, the place inside in its message. Paths
//! are relative to the repository root (a file's nearest parent directory holding `.git`), as
//! GitHub resolves them. An annotation never carries the secret, not even with
//! `--show-secrets`: workflow logs are often public. Values are escaped as the runner expects:
//! in the message `%`, CR and LF become `%25`, `%0D` and `%0A`; in properties (file, title)
//! `:` and `,` also become `%3A` and `%2C`.
//!
//! GitHub shows at most 10 error annotations per step (50 per job); every finding is still in
//! the log, the summary line at the end counts them all and says how many GitHub will not
//! show, and the job summary (`GITHUB_STEP_SUMMARY`, see [`super::markdown`]) lists them.

use super::{Options, Report};
use crate::finding::{Finding, Location, Origin};
use crate::upstash::{Liveness, Ownership};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// GitHub shows at most this many error annotations of a step, and as many warnings.
pub(super) const SHOWN_PER_STEP: usize = 10;

/// One workflow command.
struct Annotation {
    level: &'static str,
    props: Vec<String>,
    message: String,
}

/// Every annotation of a report, in order: each place a secret was seen, then each input
/// that could not be read.
fn annotations(r: &Report<'_>) -> Vec<Annotation> {
    let mut roots = Roots::new();
    let mut out = Vec::new();
    for f in r.findings {
        let level = level(r, f);
        let mut seen = HashSet::new();
        for l in &f.locations {
            let file = roots.file_of(l);
            if !seen.insert((file.clone(), l.path.clone(), l.line, l.column)) {
                continue;
            }
            let mut props = Vec::new();
            if let Some(file) = &file {
                props.push(format!("file={}", property(file)));
                // Inside an archive the line is the entry's: the annotation is on the file.
                if l.archive_path.is_none() {
                    props.push(format!("line={}", l.line));
                    props.push(format!("col={}", l.column));
                }
            }
            props.push(format!("title={}", property(f.title())));
            out.push(Annotation {
                level,
                props,
                message: message(r, f, l, file.is_none()),
            });
        }
    }
    for e in r.errors {
        out.push(Annotation {
            level: "error",
            props: vec![format!("title={}", property("upsweep: input not scanned"))],
            message: format!("{}: {}", e.path, e.message),
        });
    }
    out
}

/// How many annotations GitHub will not show (past [`SHOWN_PER_STEP`] of each level).
pub(super) fn hidden(r: &Report<'_>) -> usize {
    let all = annotations(r);
    let errors = all.iter().filter(|a| a.level == "error").count();
    let warnings = all.len() - errors;
    errors.saturating_sub(SHOWN_PER_STEP) + warnings.saturating_sub(SHOWN_PER_STEP)
}

pub(super) fn write(r: &Report<'_>, _opts: Options, out: &mut dyn Write) -> std::io::Result<()> {
    let all = annotations(r);
    let places = all.len() - r.errors.len();
    for a in &all {
        writeln!(
            out,
            "::{} {}::{}",
            a.level,
            a.props.join(","),
            data(&a.message)
        )?;
    }
    let n = r.findings.len();
    if n == 0 {
        writeln!(out, "upsweep: no Upstash credentials found")?;
    } else {
        writeln!(
            out,
            "upsweep: {n} leaked credential{} in {places} place{}",
            crate::util::text::plural_s(n),
            crate::util::text::plural_s(places)
        )?;
    }
    let hidden = hidden(r);
    if hidden > 0 {
        writeln!(
            out,
            "upsweep: GitHub shows at most {SHOWN_PER_STEP} error annotations (and {SHOWN_PER_STEP} warnings) of a step: {hidden} of these {} annotations are not shown on the pull request; every one is in this log{}",
            all.len(),
            if std::env::var_os("GITHUB_STEP_SUMMARY").is_some() {
                " and in the job summary"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

/// `warning` for a secret the account check shows no longer works; `error` otherwise.
fn level(r: &Report<'_>, f: &Finding) -> &'static str {
    let Some(v) = r.account.and_then(|a| a.get(&f.sha256)) else {
        return "error";
    };
    let dead = v.account.verdict == Ownership::OwnedRotated
        || v.live.as_ref().is_some_and(|l| l.verdict == Liveness::Dead);
    if dead {
        "warning"
    } else {
        "error"
    }
}

fn message(r: &Report<'_>, f: &Finding, l: &Location, no_file: bool) -> String {
    let mut m = format!("{} leaked", f.title());
    if l.archive_path.is_some() {
        m.push_str(&format!(
            " inside an archive, at {}:{}:{}",
            l.path, l.line, l.column
        ));
    } else if no_file {
        m.push_str(&format!(" in {}", l.path));
    } else {
        m.push_str(" here");
    }
    if let Some(c) = &l.commit {
        m.push_str(&format!(" (commit {})", &c[..c.len().min(12)]));
    }
    m.push_str(&format!(" (sha256 {}).", f.sha256));
    if let Some(v) = &l.context.variable {
        m.push_str(&format!(" Assigned to {v}."));
    }
    if l.context.browser_exposed {
        m.push_str(" The variable is bundled into browser code: every visitor gets it.");
    }
    if f.locations.len() > 1 {
        m.push_str(&format!(
            " The same secret is in {} places.",
            f.locations.len()
        ));
    }
    if let Some(v) = r.account.and_then(|a| a.get(&f.sha256)) {
        m.push_str(&format!(" Account check: {}", v.account.verdict.as_str()));
        if let Some(live) = &v.live {
            m.push_str(&format!(", {}", live.verdict.as_str()));
        }
        m.push('.');
    }
    m.push_str(" Rotate it (upsweep revoke, or the Upstash console) and remove it from the code.");
    m
}

/// A workflow command's message: `%`, CR and LF escaped.
pub(super) fn data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A workflow command's property value: as [`data`], and `:` and `,` escaped too.
pub(super) fn property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

/// Repository roots of files, looked up once per directory.
struct Roots {
    cwd: PathBuf,
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
}

impl Roots {
    fn new() -> Roots {
        Roots {
            cwd: std::env::current_dir().unwrap_or_default(),
            by_dir: HashMap::new(),
        }
    }

    /// The path GitHub should annotate: relative to the repository root with `/` separators;
    /// `None` for standard input and objects no commit reaches.
    fn file_of(&mut self, l: &Location) -> Option<String> {
        // Inside an archive: the archive's file.
        match l.origin.outer() {
            Origin::File(p) => Some(self.relative(p)),
            Origin::Git { path: Some(p), .. } => Some(p.clone()),
            _ => None,
        }
    }

    fn relative(&mut self, p: &Path) -> String {
        let abs = std::fs::canonicalize(p)
            .unwrap_or_else(|_| crate::util::paths::normalize(&self.cwd.join(p)));
        let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = self
            .by_dir
            .entry(dir.clone())
            .or_insert_with(|| {
                dir.ancestors()
                    .find(|d| d.join(".git").exists())
                    .map(Path::to_path_buf)
            })
            .clone();
        let base = root.unwrap_or_else(|| self.cwd.clone());
        match abs.strip_prefix(&base) {
            Ok(rel) => rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => abs.to_string_lossy().into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(data("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
        assert_eq!(
            property("dir:a,b/100%\nx.env"),
            "dir%3Aa%2Cb/100%25%0Ax.env"
        );
    }
}
