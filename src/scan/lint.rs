//! `upsweep rules check`: lint a rule directory. Ids unique, kinds and decoders known,
//! patterns compile and never match the empty string, every example found by its own rule
//! with the right kind, and no negative example found by any rule.

use super::Scanner;
use crate::rules::{load::Sourced, Matcher, Rule};
use crate::suppress::public;

/// One thing wrong with a rule set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) rule: String,
    pub(crate) source: String,
    pub(crate) message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.rule, self.source, self.message)
    }
}

/// Lint `sourced` rules. Examples are scanned with `sourced` together with `context` (the
/// shipped rules, when linting a user's extra directory), as a real scan would see them.
pub(crate) fn lint(sourced: &[Sourced], context: &[Sourced]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    let mut ids = std::collections::HashMap::new();
    for s in sourced.iter().chain(context) {
        if let Some(prev) = ids.insert(s.rule.id.clone(), s.source.clone()) {
            problems.push(Problem {
                rule: s.rule.id.clone(),
                source: s.source.clone(),
                message: format!("id is already used in {prev}"),
            });
        }
    }
    for s in sourced {
        match Rule::check(s) {
            Ok(r) => {
                if r.examples.is_empty() {
                    problems.push(problem(&r, "has no examples".into()));
                }
                checked.push(r);
            }
            Err(e) => problems.push(Problem {
                rule: s.rule.id.clone(),
                source: s.source.clone(),
                message: format!("{e:#}"),
            }),
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    let own = checked.len();
    checked.extend(context.iter().filter_map(|s| Rule::check(s).ok()));
    let matcher = match Matcher::new(checked) {
        Ok(m) => m,
        Err(e) => {
            problems.push(Problem {
                rule: "*".into(),
                source: "*".into(),
                message: format!("{e:#}"),
            });
            return problems;
        }
    };
    let mut scanner = Scanner::new(&matcher);
    for (i, rule) in matcher.rules.iter().enumerate().take(own) {
        for (text, kind) in &rule.examples {
            let found = scanner.scan(text.as_bytes());
            let mine: Vec<_> = found.iter().filter(|m| m.rule == i).collect();
            if mine.is_empty() {
                let others: Vec<_> = found
                    .iter()
                    .map(|m| matcher.rule(m.rule).id.as_str())
                    .collect();
                let msg = if others.is_empty() {
                    format!("example not found: {}", excerpt(text))
                } else {
                    format!(
                        "example found by {} instead: {}",
                        others.join(", "),
                        excerpt(text)
                    )
                };
                problems.push(problem(rule, msg));
            } else if !mine.iter().any(|m| m.kind == *kind) {
                problems.push(problem(
                    rule,
                    format!(
                        "example found as {} instead of {kind}: {}",
                        mine[0].kind,
                        excerpt(text)
                    ),
                ));
            }
        }
        for text in &rule.negative_examples {
            let found: Vec<_> = scanner
                .scan(text.as_bytes())
                .into_iter()
                .filter(|m| !public::is_public_value(m))
                .collect();
            if let Some(m) = found.first() {
                problems.push(problem(
                    rule,
                    format!(
                        "negative example found by {} as {}: {}",
                        matcher.rule(m.rule).id,
                        m.kind,
                        excerpt(text)
                    ),
                ));
            }
        }
    }
    problems
}

fn problem(r: &Rule, message: String) -> Problem {
    Problem {
        rule: r.id.clone(),
        source: r.source.clone(),
        message,
    }
}

fn excerpt(text: &str) -> String {
    let one_line = text.replace('\n', "\\n");
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(60).collect::<String>())
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load;

    #[test]
    fn shipped_rules_pass_the_linter() {
        let rules = load::embedded().expect("shipped rules parse");
        let problems = lint(&rules, &[]);
        assert!(
            problems.is_empty(),
            "{}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
        // Every kind of docs/formats.md §1 has a shipped example.
        let matcher = Matcher::load(&[] as &[&str]).unwrap();
        for kind in crate::finding::Kind::ALL {
            assert!(
                matcher
                    .rules
                    .iter()
                    .any(|r| r.examples.iter().any(|(_, k)| *k == kind)),
                "no example of {kind}"
            );
        }
    }
}
