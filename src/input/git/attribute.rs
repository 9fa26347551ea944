//! Provenance after the scan: each location's author and date, each finding's introducing
//! commit, and whether HEAD still holds it. Reads only the commits of findings: no second
//! pass over blob contents.

use super::{commit_meta, history};
use crate::finding::{Finding, History};
use git2::{Oid, Repository};
use std::collections::HashMap;

/// Fill in the provenance of findings from a history or range scan.
pub(crate) fn attribute(repo: &Repository, findings: &mut [Finding]) {
    if findings.is_empty() {
        return;
    }
    let head = history::head_blobs(repo);
    let mut meta: HashMap<String, Option<(String, String, i64)>> = HashMap::new();
    for f in findings {
        let mut oldest: Option<(i64, String)> = None;
        let mut in_head = false;
        for l in &mut f.locations {
            if let Some(b) = l.blob.as_deref().and_then(|b| Oid::from_str(b).ok()) {
                in_head |= head.contains(&b);
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
        f.history = Some(History {
            introduced_in: oldest.map(|(_, c)| c),
            in_head,
        });
        f.locations
            .sort_by(|a, b| (&a.date, &a.path, a.line).cmp(&(&b.date, &b.path, b.line)));
    }
}
