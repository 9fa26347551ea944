//! `upsweep git --ci`: the range a CI job should scan, worked out from the CI's environment.
//! GitHub Actions (pull_request, pull_request_target and push events, from the event payload)
//! and GitLab CI (merge request pipelines and pushes). When the base commit is not in the
//! clone, the error says which fetch depth or fetch command fixes it.

use anyhow::{anyhow, bail, Result};
use git2::{Oid, Repository};

/// A range to scan, with a sentence saying where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CiRange {
    pub(crate) base: Option<String>,
    pub(crate) head: String,
    pub(crate) source: String,
}

/// Read the CI environment (`env` is `std::env::var` in real runs).
pub(crate) fn detect(env: &dyn Fn(&str) -> Option<String>) -> Result<CiRange> {
    if env("GITHUB_ACTIONS").as_deref() == Some("true") {
        return github(env);
    }
    if env("GITLAB_CI").as_deref() == Some("true") {
        return gitlab(env);
    }
    bail!("--ci: no supported CI detected (GitHub Actions sets GITHUB_ACTIONS=true, GitLab CI sets GITLAB_CI=true); use --range BASE..HEAD instead")
}

fn is_zero(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

fn github(env: &dyn Fn(&str) -> Option<String>) -> Result<CiRange> {
    let event = env("GITHUB_EVENT_NAME").unwrap_or_default();
    let payload: serde_json::Value = match env("GITHUB_EVENT_PATH") {
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| anyhow!("--ci: cannot read GITHUB_EVENT_PATH {p}: {e}"))?;
            serde_json::from_str(&text)
                .map_err(|e| anyhow!("--ci: GITHUB_EVENT_PATH {p} is not JSON: {e}"))?
        }
        None => serde_json::Value::Null,
    };
    let head = env("GITHUB_SHA").unwrap_or_else(|| "HEAD".into());
    match event.as_str() {
        "pull_request" | "pull_request_target" => {
            let base = payload["pull_request"]["base"]["sha"].as_str().map(str::to_string);
            let pr_head = payload["pull_request"]["head"]["sha"].as_str().map(str::to_string);
            let base = base.ok_or_else(|| anyhow!("--ci: the {event} payload has no pull_request.base.sha"))?;
            Ok(CiRange {
                base: Some(base),
                // The checkout is usually the merge commit (GITHUB_SHA); scanning up to it covers
                // the pull request's commits and the merge.
                head: if event == "pull_request" { head } else { pr_head.unwrap_or(head) },
                source: format!("GitHub Actions {event} event"),
            })
        }
        "push" => {
            let before = payload["before"].as_str().unwrap_or_default().to_string();
            let after = payload["after"].as_str().map(str::to_string).unwrap_or(head);
            let base = if before.is_empty() || is_zero(&before) {
                // A new branch: what it adds over the default branch.
                payload["repository"]["default_branch"]
                    .as_str()
                    .map(|b| format!("origin/{b}"))
            } else {
                Some(before)
            };
            Ok(CiRange {
                base,
                head: after,
                source: "GitHub Actions push event".into(),
            })
        }
        other => bail!("--ci: GitHub Actions event {other:?} is not a pull_request or push; use --range BASE..HEAD"),
    }
}

fn gitlab(env: &dyn Fn(&str) -> Option<String>) -> Result<CiRange> {
    let head = env("CI_COMMIT_SHA").unwrap_or_else(|| "HEAD".into());
    if let Some(base) = env("CI_MERGE_REQUEST_DIFF_BASE_SHA").filter(|s| !s.is_empty()) {
        return Ok(CiRange {
            base: Some(base),
            head,
            source: "GitLab merge request pipeline".into(),
        });
    }
    let before = env("CI_COMMIT_BEFORE_SHA").unwrap_or_default();
    let base = if before.is_empty() || is_zero(&before) {
        env("CI_DEFAULT_BRANCH").map(|b| format!("origin/{b}"))
    } else {
        Some(before)
    };
    Ok(CiRange {
        base,
        head,
        source: "GitLab push pipeline".into(),
    })
}

/// Resolve a revision, or say how to fetch it when the clone lacks it.
pub(crate) fn resolve(repo: &Repository, rev: &str, ci: bool) -> Result<Oid> {
    match repo.revparse_single(rev).and_then(|o| o.peel_to_commit()) {
        Ok(c) => Ok(c.id()),
        Err(_) if ci => Err(anyhow!(
            "the base commit {rev} is not in this clone, so the range cannot be worked out. \
             Fetch more history: on GitHub Actions set `fetch-depth: 0` on actions/checkout (or run \
             `git fetch --no-tags --depth=100 origin {rev}` before upsweep); on GitLab set the \
             variable GIT_DEPTH: 0 (or `git fetch origin {rev}`)"
        )),
        Err(e) => Err(anyhow!("cannot resolve {rev:?}: {}", e.message())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn github_pull_request_uses_the_payload_base() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("event.json");
        std::fs::write(
            &p,
            r#"{"pull_request":{"base":{"sha":"aaa"},"head":{"sha":"bbb"}}}"#,
        )
        .unwrap();
        let env = env_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", p.to_str().unwrap()),
            ("GITHUB_SHA", "ccc"),
        ]);
        let r = detect(&env).unwrap();
        assert_eq!(r.base.as_deref(), Some("aaa"));
        assert_eq!(r.head, "ccc");
    }

    #[test]
    fn github_push_of_a_new_branch_compares_with_the_default_branch() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("event.json");
        std::fs::write(
            &p,
            r#"{"before":"0000000000000000000000000000000000000000","after":"ddd","repository":{"default_branch":"main"}}"#,
        )
        .unwrap();
        let env = env_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", p.to_str().unwrap()),
        ]);
        let r = detect(&env).unwrap();
        assert_eq!(r.base.as_deref(), Some("origin/main"));
        assert_eq!(r.head, "ddd");
    }

    #[test]
    fn gitlab_merge_request_and_unknown_ci() {
        let env = env_of(&[
            ("GITLAB_CI", "true"),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "eee"),
            ("CI_COMMIT_SHA", "fff"),
        ]);
        let r = detect(&env).unwrap();
        assert_eq!((r.base.as_deref(), r.head.as_str()), (Some("eee"), "fff"));
        assert!(detect(&env_of(&[]))
            .unwrap_err()
            .to_string()
            .contains("--range"));
    }
}
