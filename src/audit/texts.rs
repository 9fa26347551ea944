//! `--issues`: the prose of a repository (issue and pull-request titles and bodies, comments,
//! review comments), listed through the API ([`crate::github::texts`]) and scanned as they
//! come; each location is the text's URL, with the line inside it.
//!
//! Incremental, as the history is: the cache remembers the texts that held matches (hashes and
//! previews, never the secret) and, per listing, the point it was complete up to
//! ([`TextsState`]). A re-run lists only what was created or edited since (GitHub's `since`,
//! on the server's clock less an overlap), scans that, replaces the entries of edited texts
//! (their new text decides) and adds new ones; the report is rebuilt from what the cache
//! remembers, so a re-run and a run with an empty cache print the same findings.
//!
//! - A listing cut short (an error, a rate limit past `--max-wait`) keeps its old point: the
//!   next run lists from there again.
//! - `since` cannot see deletions. A listing of everything (a first run, another key, an
//!   unreadable state, and every run that needs the secrets: `--show-secrets`, the account
//!   check, `--live`, since the cache holds none) forgets the texts it did not return; between
//!   those, a finding in a deleted text stays in the report: its secret was published.

use crate::finding::{Finding, Location, Origin};
use crate::github::texts::{self, Since, Text};
use crate::github::{Client, Repo, RepoName, SetAside, Store, StoreKey, StoredMatch, TextsState};
use crate::outcome::{Suppressed, Why};
use crate::rules::Matcher;
use crate::scan::pool::blob_matches;
use crate::scan::Scanner;
use std::collections::{HashMap, HashSet};

/// What the texts of a repository held.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    pub(crate) findings: Vec<Finding>,
    pub(crate) suppressed: Vec<Suppressed>,
    pub(crate) suppressed_public: u64,
    pub(crate) suppressed_inline: u64,
    /// Listings that could not be completed.
    pub(crate) errors: Vec<String>,
    /// What a user should know (a state not used, a state not written).
    pub(crate) notes: Vec<String>,
    /// Texts listed and scanned by this run.
    pub(crate) scanned: u64,
}

/// What [`scan`] works with besides the repository.
pub(crate) struct Cx<'a> {
    pub(crate) client: &'a Client,
    pub(crate) store: &'a Store,
    pub(crate) matcher: &'a Matcher,
    pub(crate) key: &'a StoreKey,
    /// The findings must carry their secrets: list everything (the cache holds none).
    pub(crate) secrets: bool,
}

/// List what is new or edited in the texts of `name`, scan it, remember it, and give every
/// finding the cache holds for them. Call with the repository's lock held.
pub(crate) fn scan(cx: &Cx<'_>, name: &RepoName, repo: &Repo) -> Scanned {
    let mut out = Scanned::default();
    let loaded = cx.store.load_texts(name, cx.key);
    if let Some(why) = &loaded.discarded {
        out.notes.push(format!(
            "{name}: the cache's texts state was not used: {why}"
        ));
    }
    let mut state = loaded.state;
    let since = if cx.secrets {
        Since::new()
    } else {
        state.since.clone()
    };
    let listed = texts::list_since(cx.client, name, &since);
    out.errors = listed.errors.iter().map(|e| e.to_string()).collect();

    // A text listed twice (edited while its listing ran) counts once, as its last version.
    let mut seen: HashSet<&str> = HashSet::new();
    let latest: Vec<&Text> = listed
        .texts
        .iter()
        .rev()
        .filter(|t| seen.insert(t.url.as_str()))
        .collect();
    let mut scanner = Scanner::new(cx.matcher);
    let mut secrets: HashMap<String, String> = HashMap::new();
    for t in latest.iter().rev() {
        let mut matches = Vec::new();
        for (m, allowed) in blob_matches(&mut scanner, t.text.as_bytes()) {
            let stored = StoredMatch::from_raw(&m, cx.matcher, allowed);
            if cx.secrets {
                secrets.insert(stored.sha256.clone(), m.secret);
            }
            matches.push(stored);
        }
        state.record(&t.url, t.kind, t.author.as_deref(), matches);
    }
    out.scanned = latest.len() as u64;
    // A listing cut short is not in `complete`: its point stays where it was.
    for (&listing, point) in &listed.complete {
        if listed.whole.contains(&listing) {
            // Listed whole to its end: a text it did not return is gone.
            state
                .found
                .retain(|url, f| f.kind.listing() != listing || seen.contains(url.as_str()));
        }
        // From here next time (or from the start, without a point).
        match point {
            Some(p) => state.since.insert(listing, p.clone()),
            None => state.since.remove(&listing),
        };
    }
    if let Err(e) = cx.store.save_texts(name, &state) {
        out.notes.push(format!(
            "{name}: its texts state could not be written: {e:#}"
        ));
    }
    report(&state, repo, &secrets, &mut out);
    out
}

/// The findings (and what was set aside) of every text `state` remembers; secrets from
/// `secrets` (by SHA-256) where this run read them.
fn report(state: &TextsState, repo: &Repo, secrets: &HashMap<String, String>, out: &mut Scanned) {
    for (url, text) in &state.found {
        let origin = Origin::Web { url: url.clone() };
        for m in &text.matches {
            let at = || format!("{url}:{}:{}", m.line, m.column);
            match &m.set_aside {
                Some(SetAside::Public { name }) => {
                    out.suppressed_public += 1;
                    out.suppressed.push(Suppressed {
                        why: Why::Public(name.clone()),
                        what: format!("{} ({name})", m.kind),
                        at: at(),
                        sha256: m.sha256.clone(),
                    });
                }
                Some(SetAside::Inline { reason }) => {
                    out.suppressed_inline += 1;
                    out.suppressed.push(Suppressed {
                        why: Why::Inline(reason.clone()),
                        what: m.kind.to_string(),
                        at: at(),
                        sha256: m.sha256.clone(),
                    });
                }
                None => out.findings.push(Finding {
                    kind: m.kind,
                    rule_id: m.rule_id.clone(),
                    sha256: m.sha256.clone(),
                    secret: secrets.get(&m.sha256).cloned().unwrap_or_default(),
                    known_preview: Some(m.preview.clone()),
                    details: m.details.clone(),
                    locations: vec![Location {
                        repository: Some(repo.full_name.clone()),
                        path: url.clone(),
                        archive_path: None,
                        line: m.line,
                        column: m.column,
                        rule_id: m.rule_id.clone(),
                        commit: None,
                        author: text.author.clone(),
                        date: None,
                        blob: None,
                        url: Some(url.clone()),
                        context: m.context.clone(),
                        origin: origin.clone(),
                    }],
                    history: None,
                }),
            }
        }
    }
}
