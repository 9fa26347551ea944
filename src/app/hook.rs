//! What the pre-commit hook (`git --staged`) says when it blocks a commit: that the commit was
//! stopped before the value entered history (or, when HEAD already holds it, that it is
//! committed already), and what to do: move the value out and unstage it, mark a false
//! positive, or knowingly bypass the hook. With `--account`, whether each value is a current
//! credential of the account. Printed on standard error after the report.

use crate::finding::Finding;
use crate::input::git::head::{self, Reading};
use crate::outcome::Outcome;
use crate::upstash::Ownership;
use git2::Repository;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The advice for a blocked commit, for the findings of `outcome` (all staged).
pub(super) fn advice(outcome: &Outcome, repo: &Repository, how: Reading<'_>) -> String {
    let findings = &outcome.findings;
    let n = findings.len();
    let committed = already_committed(findings, repo, how);
    let mut s = String::new();
    let them = if n == 1 { "it" } else { "them" };
    let what = if n == 1 {
        "the credential above is".to_string()
    } else {
        format!("the {n} credentials above are")
    };
    let known = committed.iter().filter(|c| c.is_some()).count();
    let _ = if known == 0 {
        writeln!(
            s,
            "\nupsweep: commit stopped: {what} staged, not committed. The commit was stopped before {} entered the history.",
            if n == 1 { "the value" } else { "the values" }
        )
    } else {
        let part = match (n, known) {
            (1, _) => "it is".to_string(),
            (_, 1) => "1 of them is".to_string(),
            _ => format!("{known} of them are"),
        };
        writeln!(
            s,
            "\nupsweep: commit stopped: {what} staged; {part} already committed (see below)."
        )
    };
    let checked = outcome.account.is_some();
    for (f, at) in findings.iter().zip(&committed) {
        if at.is_none() && !checked {
            continue;
        }
        let place = f
            .locations
            .first()
            .map(|l| format!("{}:{}", l.path, l.line))
            .unwrap_or_default();
        let mut line = format!("  {place}  {}", f.title());
        if let Some(v) = outcome.account.as_ref().and_then(|a| a.get(&f.sha256)) {
            let what = match (&v.account.verdict, &v.account.resource) {
                (Ownership::Owned, Some(res)) => format!(
                    "a current credential of your account ({res}{})",
                    res.credential.map(|c| format!(", {c}")).unwrap_or_default()
                ),
                (Ownership::Owned, None) => "a current credential of your account".into(),
                (Ownership::OwnedRotated, _) => {
                    "an old credential of your account, already replaced: it no longer works".into()
                }
                (Ownership::NotOwned, _) => "not a credential of your account".into(),
                (Ownership::Unknown, _) => {
                    format!(
                        "could not be checked against your account ({})",
                        v.account.reason
                    )
                }
            };
            line.push_str(&format!(": {what}"));
        }
        let owned = outcome
            .account
            .as_ref()
            .and_then(|a| a.get(&f.sha256))
            .is_some_and(|v| v.account.verdict == Ownership::Owned);
        match at {
            Some(path) => line.push_str(&format!(
                ".\n      Already committed: HEAD has it in {path}, so it is in this repository's history (and every clone) already. Rotate it: upsweep revoke --git . (a dry run first)."
            )),
            None if owned => line.push_str(
                ".\n      It is not in HEAD. If it was ever pasted, shared or committed anywhere else, rotate it: upsweep revoke.",
            ),
            None => line.push('.'),
        }
        let _ = writeln!(s, "{line}");
    }
    // Inside an archive, the archive's file is what is staged.
    let files: BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| f.locations.iter().map(|l| l.file()))
        .collect();
    let files: Vec<&str> = files.into_iter().collect();
    let _ = writeln!(s, "What to do:");
    let _ = writeln!(
        s,
        "  - move the value to an environment variable or a secret store, read {them} from there, and unstage {them}: git restore --staged {}",
        files.join(" ")
    );
    let _ = writeln!(
        s,
        "  - a false positive (a test fixture, a documented example)? mark its line with upsweep:allow <reason>, for example  # upsweep:allow test fixture"
    );
    let _ = writeln!(
        s,
        "  - to commit it anyway, knowingly: SKIP=upsweep git commit ...  (pre-commit framework), or git commit --no-verify"
    );
    s
}

/// For each finding, the path in HEAD's tree that already holds it as written, if one does.
fn already_committed(
    findings: &[Finding],
    repo: &Repository,
    how: Reading<'_>,
) -> Vec<Option<String>> {
    let Some(head) = repo.head().ok().and_then(|h| h.peel_to_commit().ok()) else {
        return vec![None; findings.len()];
    };
    let needles: Vec<&[u8]> = findings.iter().map(|f| f.secret.as_bytes()).collect();
    head::find_in_tree(repo, head.id(), &needles, how)
}
