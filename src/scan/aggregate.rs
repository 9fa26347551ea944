//! Between the scanner and the reports: drop values Upstash publishes (the QStash development
//! server's credentials), fold every occurrence of the same secret into one [`Finding`], and
//! set aside what the project has accepted: lines marked `upsweep:allow`, secrets allowed by
//! hash in `.upsweep.toml`, secrets in a baseline, and places under `skip-paths`.
//!
//! Nothing set aside is dropped silently: each becomes a [`Suppressed`] entry, counted in the
//! stats and listed by `--verbose`.

use crate::allow::PathGlobs;
use crate::baseline::Baseline;
use crate::config_file::AllowEntry;
use crate::finding::{sha256_hex, Finding, Location, Origin, RawMatch};
use crate::input::Stats;
use crate::rules::Matcher;
use std::collections::HashMap;
use std::sync::Arc;

pub fn is_public_value(m: &RawMatch) -> bool {
    m.details.public_value.is_some()
}

/// Why something found is not reported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// A value Upstash publishes (named): not a leak.
    Public(&'static str),
    /// An `upsweep:allow` comment on the line, with its reason when it gives one.
    Inline(Option<String>),
    /// Allowed by hash in the config file, with the entry's reason.
    Allowed(String),
    /// In the baseline, with the entry's note.
    Baseline(Option<String>),
}

/// A finding (or one occurrence of it) set aside, for the stats and `--verbose`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Suppressed {
    pub why: Why,
    /// The kind, with the published value's name for [`Why::Public`].
    pub what: String,
    /// `path:line:column` (the first place, for a whole secret).
    pub at: String,
    pub sha256: String,
}

/// Collects matches from every input and folds them by secret.
#[derive(Default)]
pub struct Aggregator {
    by_secret: HashMap<String, Finding>,
    /// Occurrences not reported: published values and lines marked `upsweep:allow`.
    pub suppressed: Vec<Suppressed>,
}

impl Aggregator {
    pub fn add(&mut self, matcher: &Matcher, origin: &Origin, matches: Vec<RawMatch>) {
        for m in matches {
            if m.details.public_value.is_some() {
                self.add_public(origin, m);
                continue;
            }
            let rule_id = matcher.rule(m.rule).id.clone();
            let (commit, blob) = match origin {
                Origin::Git { blob, commit, .. } => (commit.clone(), Some(blob.clone())),
                _ => (None, None),
            };
            let location = Location {
                path: origin.display_path(),
                line: m.line,
                column: m.column,
                rule_id: rule_id.clone(),
                commit,
                author: None,
                date: None,
                blob,
                context: m.context,
                origin: origin.clone(),
            };
            self.absorb(Finding {
                kind: m.kind,
                rule_id,
                sha256: sha256_hex(&m.secret),
                secret: m.secret,
                details: m.details,
                locations: vec![location],
                history: None,
            });
        }
    }

    /// Set aside an occurrence on a line marked `upsweep:allow` (a published value is counted
    /// as such instead).
    pub fn allow_inline(&mut self, origin: &Origin, m: RawMatch, reason: Option<String>) {
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
        if let Some(what) = m.details.public_value {
            self.suppressed.push(Suppressed {
                why: Why::Public(what),
                what: format!("{} ({what})", m.kind),
                at: format!("{}:{}:{}", origin.display_path(), m.line, m.column),
                sha256: sha256_hex(&m.secret),
            });
        }
    }

    /// Fold another aggregator's findings into this one (one per scanning thread).
    pub fn merge(&mut self, other: Aggregator) {
        for (_, f) in other.by_secret {
            self.absorb(f);
        }
        self.suppressed.extend(other.suppressed);
    }

    fn absorb(&mut self, f: Finding) {
        let Some(mine) = self.by_secret.get_mut(&f.secret) else {
            self.by_secret.insert(f.secret.clone(), f);
            return;
        };
        let mut details = f.details;
        if f.kind.specificity() > mine.kind.specificity() {
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
        for f in &mut out {
            // The same place in another commit is another location.
            let key = |l: &Location| (l.path.clone(), l.line, l.column, l.commit.clone());
            f.locations.sort_by_key(key);
            f.locations.dedup_by(|a, b| key(a) == key(b));
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

/// What a project has accepted, applied to a finished scan's findings by [`Filters::apply`].
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// `skip-paths`: places under them are dropped (and counted as skipped).
    pub skip_paths: Option<Arc<PathGlobs>>,
    /// Secrets allowed by hash, with their reasons.
    pub allow: Vec<AllowEntry>,
    pub baseline: Option<Arc<Baseline>>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.skip_paths.is_none() && self.allow.is_empty() && self.baseline.is_none()
    }

    /// Drop the places under `skip-paths` (a finding left with none is dropped), then set
    /// aside the secrets allowed by hash and those in the baseline. Counts go to `stats`.
    pub fn apply(
        &self,
        findings: &mut Vec<Finding>,
        suppressed: &mut Vec<Suppressed>,
        stats: &mut Stats,
    ) {
        if let Some(globs) = &self.skip_paths {
            for f in findings.iter_mut() {
                let before = f.locations.len();
                f.locations.retain(|l| !globs.matches_origin(&l.origin));
                stats.skipped_by_config += (before - f.locations.len()) as u64;
            }
            findings.retain(|f| !f.locations.is_empty());
        }
        findings.retain(|f| {
            let at = || {
                let l = &f.locations[0];
                let more = f.locations.len() - 1;
                let mut at = format!("{}:{}:{}", l.path, l.line, l.column);
                if more > 0 {
                    at.push_str(&format!(
                        " and {more} other place{}",
                        if more == 1 { "" } else { "s" }
                    ));
                }
                at
            };
            let allowed = self
                .allow
                .iter()
                .find(|a| a.sha256 == f.sha256 && a.kind.is_none_or(|k| k == f.kind));
            let why = if let Some(a) = allowed {
                stats.suppressed_allowed += 1;
                Why::Allowed(a.reason.clone())
            } else if let Some(e) = self.baseline.as_ref().and_then(|b| b.get(&f.sha256)) {
                stats.suppressed_baseline += 1;
                Why::Baseline(e.note.clone())
            } else {
                return true;
            };
            suppressed.push(Suppressed {
                why,
                what: f.kind.to_string(),
                at: at(),
                sha256: f.sha256.clone(),
            });
            false
        });
        suppressed.sort();
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
