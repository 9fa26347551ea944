//! Markdown for GitHub: the pull-request comment (`git --pr-comment`) and the job summary
//! (appended to `GITHUB_STEP_SUMMARY`). Both are read by people who did not run the scan, on
//! pages that may be public, so neither ever holds a secret, whatever `--show-secrets` says:
//! a finding is its kind, where it is (linked to the file and line at the commit scanned), a
//! redacted preview, a short hash, where it stands in history and the account's verdict.
//! Everything taken from the scanned repository (paths, variable names) is escaped, so a file
//! name cannot inject Markdown or HTML.

use super::Report;
use crate::finding::{Finding, Location};
use crate::upstash::Ownership;
use crate::util::text::plural_s;
use std::collections::HashSet;
use std::fmt::Write as _;

/// Where files can be linked: the repository's web page and the head commit. A secret still
/// at the head is linked there; one that is not any more, at the commit that added it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Links {
    /// `https://github.com/acme/web`
    pub(crate) repository: String,
    /// The head commit (a pull request's head).
    pub(crate) commit: String,
}

impl Links {
    /// The file at `commit`, at `line` when there is one (inside an archive there is not: the
    /// lines are the entry's, and the link is to the archive file).
    fn file(&self, commit: &str, path: &str, line: Option<u64>) -> String {
        crate::github::repos::permalink(&self.repository, commit, path, line)
    }
}

/// Places listed per finding before "and N more".
const PLACES_SHOWN: usize = 5;
/// GitHub takes a job summary of up to 1 MiB per step; past this the rest is counted instead.
const SUMMARY_BUDGET: usize = 900_000;
/// And a comment of up to 65,536 characters.
const COMMENT_BUDGET: usize = 60_000;

/// The pull-request comment's body (without the marker, which the caller adds): what the pull
/// request adds and what to do, or, when it adds nothing any more, that it is clean now.
pub(crate) fn pull_request_comment(r: &Report<'_>, links: Option<&Links>) -> String {
    let mut s = String::new();
    let at = links
        .map(|l| format!(" (as of `{}`)", super::short_commit(&l.commit)))
        .unwrap_or_default();
    if r.findings.is_empty() {
        let _ = writeln!(s, "### upsweep: no Upstash credentials added\n");
        let _ = writeln!(
            s,
            "This pull request adds no Upstash credential{at}.{}",
            if r.errors.is_empty() {
                ""
            } else {
                " Some of it could not be scanned, though: see the job's log."
            }
        );
        let _ = writeln!(
            s,
            "\nIf this comment listed a credential before, and it was real, rotate it anyway: it was pushed to GitHub, and removing it from the branch does not take it back (`upsweep revoke`, or the Upstash console)."
        );
        footer(&mut s);
        return s;
    }
    let n = r.findings.len();
    let _ = writeln!(
        s,
        "### upsweep: this pull request adds {n} Upstash credential{}{at}\n",
        plural_s(n)
    );
    table(&mut s, r, links, COMMENT_BUDGET);
    if !r.errors.is_empty() {
        let _ = writeln!(
            s,
            "\n{} input{} could not be scanned: see the job's log.",
            r.errors.len(),
            plural_s(r.errors.len())
        );
    }
    let _ = writeln!(s, "\n**What to do**\n");
    let _ = writeln!(
        s,
        "1. **Rotate** each credential that is real: anyone who can read this pull request has it, and deleting it in a later commit does not take it back. `upsweep revoke` plans the rotation for the credentials of your Upstash account and makes it with `--yes`; or use the Upstash console."
    );
    let _ = writeln!(
        s,
        "2. **Remove** it from the code: read it from an environment variable or a secret store, and rewrite the branch (squash or rebase) so that no commit of the pull request holds it."
    );
    let _ = writeln!(
        s,
        "3. **A false positive** (a test fixture, a documented example)? Mark its line with `upsweep:allow <reason>`, for example `# upsweep:allow test fixture`."
    );
    footer(&mut s);
    s
}

/// The job summary: every finding (or as many as fit in a job summary, the rest counted), how
/// many annotations GitHub will not show, and what could not be scanned.
pub(crate) fn job_summary(r: &Report<'_>, links: Option<&Links>, hidden: usize) -> String {
    let mut s = String::new();
    let n = r.findings.len();
    if n == 0 {
        let _ = writeln!(s, "### upsweep: no Upstash credentials found\n");
    } else {
        let places: usize = r.findings.iter().map(|f| f.locations.len()).sum();
        let _ = writeln!(
            s,
            "### upsweep: {n} {} credential{} in {places} place{}\n",
            if r.git.is_some() { "leaked" } else { "exposed" },
            plural_s(n),
            plural_s(places)
        );
        if hidden > 0 {
            let _ = writeln!(
                s,
                "GitHub shows at most 10 error annotations (and 10 warnings) of a step: **{hidden} annotation{} of this step {} not shown** on the pull request. Every finding is listed here.\n",
                plural_s(hidden),
                if hidden == 1 { "is" } else { "are" }
            );
        }
        table(&mut s, r, links, SUMMARY_BUDGET);
        let _ = writeln!(
            s,
            "\nRotate what is real (`upsweep revoke`, or the Upstash console) and remove it from the code; mark a false positive's line with `upsweep:allow <reason>`."
        );
    }
    if !r.errors.is_empty() {
        let _ = writeln!(
            s,
            "\n**{} input{} could not be scanned:**\n",
            r.errors.len(),
            plural_s(r.errors.len())
        );
        for e in r.errors.iter().take(50) {
            let _ = writeln!(s, "- {}: {}", text(&e.path), text(&e.message));
        }
        if r.errors.len() > 50 {
            let _ = writeln!(s, "- and {} more (see the log)", r.errors.len() - 50);
        }
    }
    let s_ = r.stats;
    let scanned = match s_.git_commits {
        Some(c) => format!(
            "{} blob{} of {c} commit{}",
            s_.files_scanned,
            plural_s(s_.files_scanned as usize),
            plural_s(c as usize)
        ),
        None => format!(
            "{} file{}",
            s_.files_scanned,
            plural_s(s_.files_scanned as usize)
        ),
    };
    let _ = writeln!(
        s,
        "\n<sub>upsweep {}: scanned {scanned}.</sub>\n",
        env!("CARGO_PKG_VERSION")
    );
    s
}

/// The findings as a table, row by row until `budget` bytes, then a count of the rest.
fn table(s: &mut String, r: &Report<'_>, links: Option<&Links>, budget: usize) {
    let account = r.account.is_some();
    let history = r.findings.iter().any(|f| f.history.is_some());
    let _ = write!(s, "| credential | where | preview | sha256 |");
    if history {
        let _ = write!(s, " history |");
    }
    if account {
        let _ = write!(s, " account |");
    }
    let _ = writeln!(s);
    let cols = 4 + usize::from(history) + usize::from(account);
    let _ = writeln!(s, "|{}", "---|".repeat(cols));
    for (i, f) in r.findings.iter().enumerate() {
        let mut row = format!(
            "| {} | {} | `{}` | `{}…` |",
            text(f.title()),
            places(f, links),
            code(&f.preview()),
            &f.sha256[..f.sha256.len().min(12)]
        );
        if history {
            let _ = write!(row, " {} |", standing(f));
        }
        if account {
            let _ = write!(row, " {} |", verdict(r, f));
        }
        if s.len() + row.len() > budget {
            let _ = writeln!(
                s,
                "\n…and {} more finding{} (every one is in the job's log and the SARIF or JSON report).",
                r.findings.len() - i,
                plural_s(r.findings.len() - i)
            );
            return;
        }
        let _ = writeln!(s, "{row}");
    }
}

/// The places of a finding, each linked when links are known, one per line of the cell.
fn places(f: &Finding, links: Option<&Links>) -> String {
    let mut seen = HashSet::new();
    let unique: Vec<&Location> = f
        .locations
        .iter()
        .filter(|l| seen.insert((l.repository.as_deref(), l.path.as_str(), l.line)))
        .collect();
    let mut parts: Vec<String> = unique
        .iter()
        .take(PLACES_SHOWN)
        .map(|l| {
            // Inside an archive, the chain down to the entry (`dist/app.tgz!package/.env:3`).
            let label = match &l.repository {
                Some(repo) => format!("{}: {}:{}", text(repo), text(&l.path), l.line),
                None => format!("{}:{}", text(&l.path), l.line),
            };
            let in_head = f.history.as_ref().is_some_and(|h| h.in_head);
            let line = Some(l.line).filter(|_| l.archive_path.is_none());
            // An audit's location carries its own permalink; a CI run's is built here.
            let mut p = match (l.url.as_deref().and_then(link_target), links, &l.commit) {
                (Some(url), _, _) => format!("[{label}]({url})"),
                (None, Some(k), Some(c)) if l.repository.is_none() => {
                    let at = if in_head { &k.commit } else { c };
                    format!("[{label}]({})", k.file(at, l.file(), line))
                }
                _ => label,
            };
            if let Some(v) = &l.context.variable {
                p.push_str(&format!(" `{}`", code(v)));
            }
            if let Some(c) = &l.commit {
                p.push_str(&format!(" in `{}`", super::short_commit(c)));
            }
            p
        })
        .collect();
    if unique.len() > PLACES_SHOWN {
        parts.push(format!("and {} more", unique.len() - PLACES_SHOWN));
    }
    parts.join("<br>")
}

/// Where a secret stands in history.
fn standing(f: &Finding) -> String {
    let Some(h) = &f.history else {
        return String::new();
    };
    if h.in_head {
        return "still at the head".into();
    }
    match &h.removed_in {
        Some(c) => format!(
            "removed in `{}`, still in the commits before it",
            super::short_commit(c)
        ),
        None => "not at the head, still in history".into(),
    }
}

/// The account's verdict in a few words (the resource's name and region, never an email).
fn verdict(r: &Report<'_>, f: &Finding) -> String {
    let Some(v) = r.account.and_then(|a| a.get(&f.sha256)) else {
        return String::new();
    };
    let mut s = match (&v.account.verdict, &v.account.resource) {
        (Ownership::Owned, Some(res)) => format!(
            "**yours, current**: {}{}",
            text(&res.to_string()),
            res.credential
                .map(|c| format!(", {}", text(&c.to_string())))
                .unwrap_or_default()
        ),
        (Ownership::Owned, None) => "**yours, current**".into(),
        (Ownership::OwnedRotated, _) => "yours, already replaced (it no longer works)".into(),
        (Ownership::NotOwned, _) => "not your account's".into(),
        (Ownership::Unknown, _) => "could not be checked".into(),
    };
    if let Some(l) = &v.live {
        s.push_str(&format!("; live check: {}", l.verdict.as_str()));
    }
    s
}

fn footer(s: &mut String) {
    let _ = writeln!(
        s,
        "\n<sub>Found by upsweep {}; this comment is kept up to date on every push. It never holds a secret: previews are cut short and hashes are SHA-256.</sub>",
        env!("CARGO_PKG_VERSION")
    );
}

/// Text from the repository, safe in Markdown and HTML (and in a table cell).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' => out.push_str(&format!("&#{};", c as u32)),
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span of a table: no backtick or pipe can end it early.
fn code(s: &str) -> String {
    s.replace('`', "'").replace('|', "\\|")
}

/// A web address as a link target: http(s) only, and nothing that could end the link early.
fn link_target(url: &str) -> Option<String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '(' | ')' | '<' | '>' | '[' | ']' | '"' | '\'' | '`' | '|' => {
                out.push_str(&format!("%{:02X}", c as u32))
            }
            c if c.is_whitespace() || c.is_control() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_text_cannot_inject_markdown_or_html() {
        let t = text("a|b <img src=x> [x](javascript:y) `c` **d**\nnext");
        for bad in ["|", "<", ">", "[", "]", "`", "*", "\n"] {
            assert!(!t.contains(bad), "{bad} in {t}");
        }
        assert_eq!(text("web/.env-local.ts"), "web/.env-local.ts");
    }

    #[test]
    fn links_point_at_the_file_and_line_at_the_commit() {
        let l = Links {
            repository: "https://github.com/acme/web/".into(),
            commit: "0123456789abcdef".into(),
        };
        assert_eq!(
            l.file(&l.commit, "docs/a b/#x.env", Some(7)),
            "https://github.com/acme/web/blob/0123456789abcdef/docs/a%20b/%23x.env#L7"
        );
        assert_eq!(
            l.file(&l.commit, "dist/app.tgz", None),
            "https://github.com/acme/web/blob/0123456789abcdef/dist/app.tgz"
        );
    }

    #[test]
    fn an_audit_location_links_to_its_own_permalink() {
        let mut l: Location = serde_json::from_value(serde_json::json!({
            "repository": "acme/api",
            "path": "deploy/.env",
            "line": 3,
            "column": 1,
            "rule_id": "r",
            "commit": "feedfacefeedface",
            "url": "https://github.com/acme/api/blob/feedface/deploy/.env#L3",
        }))
        .unwrap();
        l.restore_origin();
        let f = Finding {
            kind: crate::finding::Kind::RedisRestToken,
            rule_id: "r".into(),
            secret: String::new(),
            known_preview: Some("AX…".into()),
            sha256: "0".repeat(64),
            details: Default::default(),
            locations: vec![l],
            history: None,
        };
        // The CI run's links (another repository) are not used for it.
        let k = Links {
            repository: "https://github.com/acme/web".into(),
            commit: "0123456789abcdef".into(),
        };
        assert_eq!(
            places(&f, Some(&k)),
            "[acme/api: deploy/.env:3](https://github.com/acme/api/blob/feedface/deploy/.env#L3) in `feedfac`"
        );
    }

    #[test]
    fn link_targets_are_web_addresses_that_cannot_end_the_link() {
        assert_eq!(link_target("javascript:alert(1)"), None);
        assert_eq!(
            link_target("https://x.example/a(b) c"),
            Some("https://x.example/a%28b%29c".into())
        );
    }
}
