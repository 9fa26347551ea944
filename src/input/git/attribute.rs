//! Provenance after the scan: each location's author and date, each finding's introducing
//! commit, whether the head commit still holds it, and if not, which commit removed it
//! ([`super::removal`]: a binary search first, a walk for what it cannot place). Reads only the commits of findings and the trees on HEAD's side: no
//! second pass over blob contents of the history.

use super::head::Reading;
use super::{commit_meta, head, history, removal};
use crate::finding::{Finding, History};
use crate::input::archive::ArchiveLimits;
use git2::{Oid, Repository};
use std::collections::{HashMap, HashSet};

/// Where the scan stood: the head commit ("in HEAD" means in its tree), a range's base, and
/// whether the scan saw only part of each file's history (a range), so that blobs it did not
/// scan may still hold a secret.
pub(crate) struct Tip {
    pub(crate) head: Option<Oid>,
    pub(crate) base: Option<Oid>,
    pub(crate) partial: bool,
    /// How the scan read blobs: literal searches read them the same way.
    pub(crate) max_size: u64,
    pub(crate) archives: Option<ArchiveLimits>,
    /// Look for the commit that removed each finding HEAD no longer holds. The organisation
    /// audit leaves it out: its re-runs read only what changed, and the search can walk the
    /// whole history.
    pub(crate) removals: bool,
}

impl Tip {
    /// A whole history at the repository's HEAD, without looking for removals.
    pub(crate) fn head_of(repo: &Repository) -> Tip {
        Tip {
            head: repo
                .head()
                .and_then(|h| h.peel_to_commit())
                .ok()
                .map(|c| c.id()),
            base: None,
            partial: false,
            max_size: u64::MAX,
            archives: None,
            removals: false,
        }
    }

    fn reading(&self) -> Reading<'_> {
        Reading {
            max_size: self.max_size,
            archives: self.archives.as_ref(),
        }
    }
}

/// Fill in the provenance of findings from a history or range scan.
pub(crate) fn attribute(repo: &Repository, findings: &mut [Finding], tip: &Tip) {
    if findings.is_empty() {
        return;
    }
    let head_blobs = match tip.head {
        Some(h) => history::commit_blobs(repo, h),
        None => HashSet::new(),
    };
    let mut meta: HashMap<String, Option<(String, String, i64)>> = HashMap::new();
    let mut since: Vec<i64> = Vec::with_capacity(findings.len());
    for f in findings.iter_mut() {
        let mut oldest: Option<(i64, String)> = None;
        let mut in_head = false;
        for l in &mut f.locations {
            if let Some(b) = l.blob.as_deref().and_then(|b| Oid::from_str(b).ok()) {
                in_head |= head_blobs.contains(&b);
            }
            let Some(c) = l.commit.clone() else { continue };
            let m = meta.entry(c.clone()).or_insert_with(|| {
                let oid = Oid::from_str(&c).ok()?;
                let (who, date) = commit_meta(repo, oid)?;
                let t = repo.find_commit(oid).ok()?.time().seconds();
                Some((who, date, t))
            });
            if let Some((who, date, t)) = m {
                l.author = Some(who.clone());
                l.date = Some(date.clone());
                // Older by date; on the same second, the ancestor is older.
                let older = match &oldest {
                    None => true,
                    Some((ot, oc)) => {
                        *t < *ot
                            || (*t == *ot
                                && matches!(
                                    (Oid::from_str(oc), Oid::from_str(&c)),
                                    (Ok(o), Ok(n)) if repo.graph_descendant_of(o, n).unwrap_or(false)
                                ))
                    }
                };
                if older {
                    oldest = Some((*t, c.clone()));
                }
            }
        }
        if !in_head && tip.partial {
            // A later commit of the range may have edited the file around the secret.
            if let Some(h) = tip.head {
                // Inside an archive: the archive's file, searched entry by entry.
                let paths: HashSet<&str> = f.locations.iter().map(|l| l.file()).collect();
                in_head = paths
                    .into_iter()
                    .any(|p| head::path_holds(repo, h, p, f.secret.as_bytes(), tip.reading()));
            }
        }
        since.push(oldest.as_ref().map_or(i64::MIN, |(t, _)| *t));
        f.history = Some(History {
            introduced_in: oldest.map(|(_, c)| c),
            in_head,
            removed_in: None,
        });
        f.locations
            .sort_by(|a, b| (&a.date, &a.path, a.line).cmp(&(&b.date, &b.path, b.line)));
    }
    if tip.removals {
        place_removals(repo, findings, &since, tip);
    }
}

/// Which commit took each finding HEAD no longer holds out of the tree.
fn place_removals(repo: &Repository, findings: &mut [Finding], since: &[i64], tip: &Tip) {
    let Some(head) = tip.head else { return };
    let gone: Vec<usize> = (0..findings.len())
        .filter(|&i| {
            findings[i]
                .history
                .as_ref()
                .is_some_and(|h| !h.in_head && h.introduced_in.is_some())
        })
        .collect();
    if gone.is_empty() {
        return;
    }
    let wanted: Vec<removal::Wanted<'_>> = gone
        .iter()
        .map(|&i| removal::Wanted {
            blobs: findings[i]
                .locations
                .iter()
                .filter_map(|l| l.blob.as_deref().and_then(|b| Oid::from_str(b).ok()))
                .collect(),
            secret: findings[i].secret.as_bytes(),
            since: since[i],
            paths: {
                let mut p: Vec<String> = findings[i]
                    .locations
                    .iter()
                    .map(|l| l.file().to_string())
                    .collect();
                p.sort();
                p.dedup();
                p
            },
            introduced: findings[i]
                .history
                .as_ref()
                .and_then(|h| h.introduced_in.as_deref())
                .and_then(|c| Oid::from_str(c).ok()),
        })
        .collect();
    let walk = removal::Walk {
        head,
        base: tip.base,
        search: tip.partial,
        reading: tip.reading(),
    };
    // The quick search first; the walk for what it cannot place.
    let line = removal::first_parents(repo, &walk);
    let decided: Vec<Option<Option<Oid>>> = wanted
        .iter()
        .map(|w| removal::bisect(repo, &line, &walk, w))
        .collect();
    let rest: Vec<usize> = (0..wanted.len())
        .filter(|&k| decided[k].is_none())
        .collect();
    let mut placed: Vec<Option<Oid>> = decided.into_iter().map(Option::flatten).collect();
    if !rest.is_empty() {
        let rest_wanted: Vec<&removal::Wanted<'_>> = rest.iter().map(|&k| &wanted[k]).collect();
        for (k, c) in rest
            .iter()
            .zip(removal::removals(repo, &walk, &rest_wanted))
        {
            placed[*k] = c;
        }
    }
    drop(wanted);
    for (i, commit) in gone.into_iter().zip(placed) {
        if let Some(h) = findings[i].history.as_mut() {
            h.removed_in = commit.map(|c| c.to_string());
        }
    }
}
