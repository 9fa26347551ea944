//! Where rules come from: the files embedded at build time and the user's `--rules DIR`.

use super::syntax::{RuleFile, RuleSyntax};
use super::Rule;
use anyhow::{Context as _, Result};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// Every `*.toml` in a directory, in name order.
pub fn directory(dir: &Path) -> Result<Vec<Sourced>> {
    let mut out = Vec::new();
    for (source, text) in directory_files(dir)? {
        out.extend(parse(&source, &text)?);
    }
    Ok(out)
}

/// The `*.toml` files of a directory, in name order, each as (source, text).
fn directory_files(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read rule directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("rule directory {} holds no .toml files", dir.display());
    }
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("cannot read rule file {}", f.display()))?;
            Ok((f.display().to_string(), text))
        })
        .collect()
}

/// The rules [`checked`] returns.
pub struct Checked {
    /// Every rule read but the disabled ones, checked, in the order of their files; or the
    /// first that does not check.
    pub rules: Result<Vec<Rule>>,
    /// The id of every rule read, disabled or not.
    pub ids: Vec<String>,
}

/// The shipped rules, then those of each directory in `extra`, each checked
/// ([`Rule::check`]) but those whose id `disabled` holds. The error is the first file that
/// does not parse; a rule that does not check is in [`Checked::rules`].
///
/// This is most of start-up, so two threads share it, each taking the next file (largest
/// first), parsing it and checking its rules. The second thread is kept off this one's CPU
/// ([`both`](crate::util::thread::both)).
pub fn checked(extra: &[impl AsRef<Path>], disabled: &[String]) -> Result<Checked> {
    let mut files: Vec<(String, Cow<'static, str>)> = EMBEDDED
        .iter()
        .map(|(name, text)| (format!("rules/{name}"), Cow::Borrowed(*text)))
        .collect();
    for dir in extra {
        let read = directory_files(dir.as_ref())?;
        files.extend(read.into_iter().map(|(s, t)| (s, Cow::Owned(t))));
    }
    // Largest first, each to whichever thread is free: the second starts later, and a
    // file's cost is not its size alone.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].1.len()));
    let next = AtomicUsize::new(0);
    type Done = (usize, Result<Vec<Sourced>>, Vec<Result<Rule>>);
    let lane = || -> Vec<Done> {
        let mut done = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let parsed = parse(&files[i].0, &files[i].1);
            let rules = match &parsed {
                Ok(sourced) => sourced
                    .iter()
                    .filter(|s| !disabled.contains(&s.rule.id))
                    .map(Rule::check)
                    .collect(),
                Err(_) => Vec::new(),
            };
            done.push((i, parsed, rules));
        }
        done
    };
    let (mut done, other) = crate::util::thread::both(lane, lane);
    done.extend(other);
    done.sort_by_key(|(i, _, _)| *i);
    let mut ids = Vec::new();
    let mut checks = Vec::new();
    for (_, parsed, rules) in done {
        ids.extend(parsed?.into_iter().map(|s| s.rule.id));
        checks.extend(rules);
    }
    Ok(Checked {
        rules: checks.into_iter().collect(),
        ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids of rules checked (all of them must have checked).
    fn ids(rules: Result<Vec<Rule>>) -> Vec<String> {
        rules.expect("checked").into_iter().map(|r| r.id).collect()
    }

    fn rule(id: &str, pattern: &str) -> String {
        format!(
            "[[rule]]\nid = \"{id}\"\nname = \"t\"\nkind = \"redis-password\"\n\
             description = \"t\"\npattern = '''{pattern}'''\ndecoder = \"hex32\"\n"
        )
    }

    /// The two threads give the rules in the order of their files, as one reading them in
    /// turn does (a rule's place is its pattern number: the first rule wins a tie).
    #[test]
    fn checked_rules_keep_the_order_of_their_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let good = r"(?P<secret>[0-9a-f]{32})";
        for (file, ids) in [("b.toml", ["t.b1", "t.b2"]), ("a.toml", ["t.a1", "t.a2"])] {
            let text: String = ids.iter().map(|id| rule(id, good)).collect();
            std::fs::write(dir.path().join(file), text).expect("write");
        }
        let checked = checked(&[dir.path()], &[]).expect("rules");
        let mut in_turn: Vec<String> = embedded()
            .expect("shipped")
            .into_iter()
            .map(|s| s.rule.id)
            .collect();
        in_turn.extend(["t.a1", "t.a2", "t.b1", "t.b2"].map(String::from));
        assert_eq!(checked.ids, in_turn);
        assert_eq!(ids(checked.rules), in_turn);
    }

    /// A file that does not parse is the error, before a rule that does not check in an
    /// earlier file; a rule that does not check is named unless it is disabled (its id is
    /// still known).
    #[test]
    fn checked_reports_a_file_before_a_rule_and_skips_disabled_rules() {
        let dir = tempfile::tempdir().expect("temp dir");
        let good = r"(?P<secret>[0-9a-f]{32})";
        let bad = r"(?P<secret>[0-9a-f]{32}";
        std::fs::write(
            dir.path().join("a.toml"),
            rule("t.bad", bad) + &rule("t.ok", good),
        )
        .expect("write");
        let checked_once = checked(&[dir.path()], &[]).expect("every file parses");
        let e = format!("{:#}", checked_once.rules.expect_err("a rule fails"));
        assert!(
            e.contains("rule \"t.bad\"") && e.contains("pattern does not compile"),
            "{e}"
        );
        let skipped = checked(&[dir.path()], &["t.bad".to_string()]).expect("parses");
        assert!(skipped.ids.contains(&"t.bad".to_string()));
        let kept = ids(skipped.rules);
        assert!(kept.contains(&"t.ok".to_string()) && !kept.contains(&"t.bad".to_string()));
        std::fs::write(dir.path().join("b.toml"), "[[rule]\nid = ").expect("write");
        let e = format!(
            "{:#}",
            checked(&[dir.path()], &[])
                .err()
                .expect("b.toml does not parse")
        );
        assert!(e.contains("b.toml"), "{e}");
    }
}
