//! `--issues`: the prose of a repository (issue and pull-request titles and bodies, comments,
//! review comments), listed through the API ([`crate::github::texts`]) and scanned as they
//! come; each location is the text's URL, with the line inside it. Texts are listed again on
//! every run (they are edited in place, so nothing is remembered of them) and scanned in
//! memory: their findings carry the secret like any fresh scan's.

use crate::finding::{sha256_hex, Finding, Location, Origin};
use crate::github::{texts, Client, Repo, RepoName};
use crate::outcome::{Suppressed, Why};
use crate::rules::Matcher;
use crate::scan::pool::blob_matches;
use crate::scan::Scanner;

/// What the texts of a repository held.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    pub(crate) findings: Vec<Finding>,
    pub(crate) suppressed: Vec<Suppressed>,
    pub(crate) suppressed_public: u64,
    pub(crate) suppressed_inline: u64,
    /// Listings that could not be completed.
    pub(crate) errors: Vec<String>,
}

/// List and scan the texts of `name`.
pub(crate) fn scan(client: &Client, name: &RepoName, repo: &Repo, matcher: &Matcher) -> Scanned {
    let listed = texts::list(client, name);
    let mut out = Scanned {
        errors: listed.errors.iter().map(|e| e.to_string()).collect(),
        ..Scanned::default()
    };
    let mut scanner = Scanner::new(matcher);
    for t in &listed.texts {
        let origin = Origin::Web { url: t.url.clone() };
        for (m, allowed) in blob_matches(&mut scanner, t.text.as_bytes()) {
            let at = format!("{}:{}:{}", t.url, m.line, m.column);
            if let Some(name) = m.details.public_value {
                out.suppressed_public += 1;
                out.suppressed.push(Suppressed {
                    why: Why::Public(name.to_string()),
                    what: format!("{} ({name})", m.kind),
                    at,
                    sha256: sha256_hex(&m.secret),
                });
                continue;
            }
            if let Some(reason) = allowed {
                out.suppressed_inline += 1;
                out.suppressed.push(Suppressed {
                    why: Why::Inline(reason),
                    what: m.kind.to_string(),
                    at,
                    sha256: sha256_hex(&m.secret),
                });
                continue;
            }
            let rule_id = matcher.rule(m.rule).id.clone();
            out.findings.push(Finding {
                kind: m.kind,
                rule_id: rule_id.clone(),
                sha256: sha256_hex(&m.secret),
                secret: m.secret,
                known_preview: None,
                details: m.details,
                locations: vec![Location {
                    repository: Some(repo.full_name.clone()),
                    path: t.url.clone(),
                    archive_path: None,
                    line: m.line,
                    column: m.column,
                    rule_id,
                    commit: None,
                    author: t.author.clone(),
                    date: None,
                    blob: None,
                    url: Some(t.url.clone()),
                    context: m.context,
                    origin: origin.clone(),
                }],
                history: None,
            });
        }
    }
    out
}
