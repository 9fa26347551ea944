//! Folds every occurrence of the same secret into one [`Finding`] with all its locations, the
//! most specific kind any rule gave it and everything its decodes revealed. One aggregator per
//! scanning thread, merged at the end. Occurrences of published values and on lines marked
//! `upsweep:allow` are set aside here as [`Suppressed`] entries, never dropped silently.

use crate::finding::{sha256_hex, Finding, Location, Origin, RawMatch};
use crate::outcome::{Suppressed, Why};
use crate::rules::Matcher;
use crate::suppress::public;
use std::collections::HashMap;

/// Collects matches from every input and folds them by secret.
#[derive(Default)]
pub struct Aggregator {
    /// By the secret's SHA-256 (one to one with the secret, and known for findings read back
    /// without it).
    by_secret: HashMap<String, Finding>,
    /// Occurrences not reported: published values and lines marked `upsweep:allow`.
    pub(crate) suppressed: Vec<Suppressed>,
}

impl Aggregator {
    pub fn add(&mut self, matcher: &Matcher, origin: &Origin, matches: Vec<RawMatch>) {
        for m in matches {
            if m.details.public_value.is_some() {
                self.add_public(origin, m);
                continue;
            }
            let rule_id = matcher.rule(m.rule).id.clone();
            // Inside an archive, the commit and blob are the outer archive's.
            let (commit, blob) = match origin.outer() {
                Origin::Git { blob, commit, .. } => (commit.clone(), Some(blob.clone())),
                _ => (None, None),
            };
            let location = Location {
                repository: None,
                path: origin.display_path(),
                archive_path: origin.archive_path(),
                line: m.line,
                column: m.column,
                rule_id: rule_id.clone(),
                commit,
                author: None,
                date: None,
                blob,
                url: None,
                context: m.context,
                origin: origin.clone(),
            };
            self.absorb(Finding {
                kind: m.kind,
                rule_id,
                sha256: sha256_hex(&m.secret),
                secret: m.secret,
                known_preview: None,
                details: m.details,
                locations: vec![location],
                history: None,
            });
        }
    }

    /// Set aside an occurrence on a line marked `upsweep:allow` (a published value is counted
    /// as such instead).
    pub(crate) fn allow_inline(&mut self, origin: &Origin, m: RawMatch, reason: Option<String>) {
        if m.details.public_value.is_some() {
            return self.add_public(origin, m);
        }
        self.suppressed.push(Suppressed {
            why: Why::Inline(reason),
            what: m.kind.to_string(),
            at: format!("{}:{}:{}", origin.display_path(), m.line, m.column),
            sha256: sha256_hex(&m.secret),
        });
    }

    fn add_public(&mut self, origin: &Origin, m: RawMatch) {
        self.suppressed.extend(public::set_aside(origin, &m));
    }

    /// Fold another aggregator's findings into this one (one per scanning thread).
    pub(crate) fn merge(&mut self, other: Aggregator) {
        for (_, f) in other.by_secret {
            self.absorb(f);
        }
        self.suppressed.extend(other.suppressed);
    }

    /// Fold in a finding made elsewhere (read back from the audit's store or a report): the
    /// same secret's findings become one, whatever the order they come in.
    pub(crate) fn add_finding(&mut self, f: Finding) {
        self.absorb(f);
    }

    fn absorb(&mut self, f: Finding) {
        let Some(mine) = self.by_secret.get_mut(&f.sha256) else {
            self.by_secret.insert(f.sha256.clone(), f);
            return;
        };
        if mine.secret.is_empty() && !f.secret.is_empty() {
            mine.secret = f.secret.clone();
        }
        if mine.known_preview.is_none() {
            mine.known_preview = f.known_preview.clone();
        }
        let mut details = f.details;
        // The most specific kind wins; between equals, the first by name (so the order in
        // which threads or repositories come does not matter).
        let rank = |k: crate::finding::Kind, rule: &str| {
            (std::cmp::Reverse(k.specificity()), k, rule.to_string())
        };
        if rank(f.kind, &f.rule_id) < rank(mine.kind, &mine.rule_id) {
            mine.kind = f.kind;
            mine.rule_id = f.rule_id;
            std::mem::swap(&mut mine.details, &mut details);
        }
        merge_details(&mut mine.details, details);
        mine.locations.extend(f.locations);
    }

    /// The findings, each with its locations in order, ordered by first location.
    pub fn finish(self) -> Vec<Finding> {
        let mut out: Vec<Finding> = self.by_secret.into_values().collect();
        // A location's place; the same place in another commit (or repository) is another
        // location. Borrowed: a key that cloned its strings allocated at each comparison.
        fn place(l: &Location) -> (&Option<String>, &str, u64, u64, &Option<String>) {
            (&l.repository, &l.path, l.line, l.column, &l.commit)
        }
        for f in &mut out {
            f.locations.sort_by(|a, b| place(a).cmp(&place(b)));
            f.locations.dedup_by(|a, b| place(a) == place(b));
        }
        out.sort_by(|a, b| {
            let ka = (
                &a.locations[0].path,
                a.locations[0].line,
                a.locations[0].column,
                &a.sha256,
            );
            let kb = (
                &b.locations[0].path,
                b.locations[0].line,
                b.locations[0].column,
                &b.sha256,
            );
            ka.cmp(&kb)
        });
        out
    }
}

/// Keep `into`'s fields, filling the ones it lacks from `from`.
fn merge_details(into: &mut crate::finding::Details, from: crate::finding::Details) {
    macro_rules! fill {
        ($($f:ident),*) => { $( if into.$f.is_none() { into.$f = from.$f; } )* };
    }
    fill!(
        access,
        layout,
        id_bytes,
        database_number,
        database_id,
        embedded_password_sha256,
        index_endpoint,
        product,
        user_id,
        url_host,
        url_port,
        url_user,
        password_kind,
        email
    );
    into.exposes_password |= from.exposes_password;
}
