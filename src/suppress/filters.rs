//! What a project has accepted, applied to a finished scan's findings: places under
//! `skip-paths` are dropped (and counted as skipped), secrets allowed by hash in `.upsweep.toml`
//! and secrets in the baseline are set aside as [`Suppressed`] entries (counted, and listed by
//! `--verbose`).

use super::allowlist::{AllowEntry, AllowPlace};
use super::baseline::Baseline;
use super::paths::PathGlobs;
use crate::finding::Finding;
use crate::outcome::{Stats, Suppressed, Why};
use std::sync::Arc;

/// What a project has accepted, applied to a finished scan's findings by [`Filters::apply`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    /// `skip-paths`: places under them are dropped (and counted as skipped).
    pub(crate) skip_paths: Option<Arc<PathGlobs>>,
    /// Secrets allowed by hash, with their reasons.
    pub(crate) allow: Vec<AllowEntry>,
    /// Places allowed by path and line, each with its path as a one-file matcher.
    pub(crate) places: Vec<(Arc<PathGlobs>, AllowPlace)>,
    pub(crate) baseline: Option<Arc<Baseline>>,
}

impl Filters {
    pub(crate) fn is_empty(&self) -> bool {
        self.skip_paths.is_none()
            && self.allow.is_empty()
            && self.places.is_empty()
            && self.baseline.is_none()
    }

    /// Drop the places under `skip-paths` (a finding left with none is dropped), then set
    /// aside the secrets allowed by hash and those in the baseline. Counts go to `stats`.
    pub(crate) fn apply(
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
        if !self.places.is_empty() {
            for f in findings.iter_mut() {
                f.locations.retain(|l| {
                    let Some((_, place)) = self
                        .places
                        .iter()
                        .find(|(globs, p)| p.line == l.line && globs.matches_origin(&l.origin))
                    else {
                        return true;
                    };
                    stats.suppressed_allowed_places += 1;
                    suppressed.push(Suppressed {
                        why: Why::AllowedPlace(place.reason.clone()),
                        what: f.kind.to_string(),
                        at: format!("{}:{}:{}", l.path, l.line, l.column),
                        sha256: f.sha256.clone(),
                    });
                    false
                });
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
                        crate::util::text::plural_s(more)
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
