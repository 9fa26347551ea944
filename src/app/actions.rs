//! The GitHub side of a CI run: the job summary appended to `GITHUB_STEP_SUMMARY`, and the
//! pull-request comment (`git --pr-comment`). Both are extras around the gate: whatever goes
//! wrong with them is a notice on standard error and never changes the exit code, which the
//! findings decide. Neither ever holds a secret ([`crate::report::markdown`]).

use crate::github::{
    comment, Client, GithubConfig, GithubError, NoticeSink, PullRequest, Upserted,
    PR_COMMENT_MARKER,
};
use crate::outcome::Outcome;
use crate::report::markdown::{self, Links};
use crate::report::Report;
use crate::rules::Matcher;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

/// Links to files at the commit scanned, when Actions says which repository this is.
fn links(report: &Report<'_>, head: Option<String>, web: Option<String>) -> Option<Links> {
    let repo = env("GITHUB_REPOSITORY")?;
    let commit = head.or_else(|| report.git.map(|g| g.commit.clone()))?;
    let web = web.unwrap_or_else(|| match GithubConfig::from_env(None) {
        Ok(c) => c.web_url(env("GITHUB_SERVER_URL").as_deref()),
        Err(_) => "https://github.com".into(),
    });
    Some(Links {
        repository: format!("{web}/{repo}"),
        commit,
    })
}

/// Append the job summary to `path`; a failure is a warning.
pub(super) fn append_job_summary(path: &Path, report: &Report<'_>, hidden: usize) {
    let head = PullRequest::from_env(None).ok().and_then(|p| p.head_sha);
    let text = markdown::job_summary(report, links(report, head, None).as_ref(), hidden);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "upsweep: warning: cannot write the job summary to {} (GITHUB_STEP_SUMMARY): {e}",
            path.display()
        );
    }
}

/// Keep the pull request's comment current: create or update it when the pull request adds
/// credentials, update it to the clean state when it no longer does (creating none then).
pub(super) fn comment_on_pull_request(
    outcome: &Outcome,
    matcher: &Matcher,
    number: Option<u64>,
    quiet: bool,
) {
    let notice = |what: String| eprintln!("upsweep: notice: no pull-request comment: {what}");
    let mut cfg = match GithubConfig::from_env(None) {
        Ok(c) => c,
        Err(e) => return notice(format!("{e:#}")),
    };
    // A comment is not worth holding the gate up for long: a rate limit that resets later
    // than this is a notice.
    cfg.limits.max_wait = std::time::Duration::from_secs(60);
    cfg.limits.secondary_wait = std::time::Duration::from_secs(10);
    if cfg.token.is_none() {
        return notice(
            "GITHUB_TOKEN is not set (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`)"
                .into(),
        );
    }
    let pr = match PullRequest::from_env(number) {
        Ok(p) => p,
        Err(e) => return notice(format!("{e:#}")),
    };
    let sink: NoticeSink = Arc::new(move |n| {
        if !quiet {
            eprintln!("upsweep: {n}");
        }
    });
    let client = match Client::new(&cfg, sink) {
        Ok(c) => c,
        Err(e) => return notice(format!("{e:#}")),
    };
    let report = Report::new(outcome, &matcher.rules);
    let web = cfg.web_url(env("GITHUB_SERVER_URL").as_deref());
    let links = links(&report, pr.head_sha.clone(), Some(web));
    let body = markdown::pull_request_comment(&report, links.as_ref());
    let done = if outcome.findings.is_empty() {
        comment::update_existing(&client, &pr.repo, pr.number, PR_COMMENT_MARKER, &body)
    } else {
        comment::upsert(&client, &pr.repo, pr.number, PR_COMMENT_MARKER, &body).map(Some)
    };
    match done {
        Ok(Some(u)) if !quiet => {
            let what = match u {
                Upserted::Created { .. } => "posted",
                Upserted::Updated { .. } => "updated",
                Upserted::Unchanged { .. } => "already up to date",
            };
            eprintln!(
                "upsweep: pull-request comment {what} on {}#{}: {}",
                pr.repo,
                pr.number,
                u.url()
            );
        }
        Ok(_) => {}
        Err(e) => eprintln!(
            "upsweep: notice: could not comment on pull request {}#{}: {e}{}",
            pr.repo,
            pr.number,
            hint(&e)
        ),
    }
}

/// What usually causes a failure to comment.
fn hint(e: &GithubError) -> &'static str {
    match e {
        GithubError::Forbidden { .. } => {
            ". A pull request from a fork gets a read-only token; otherwise give the job \
             `permissions: pull-requests: write`. The findings are in the log and the job \
             summary, and the exit code is theirs"
        }
        GithubError::NotFound { .. } => {
            ". Check GITHUB_REPOSITORY and the pull request's number (--pr)"
        }
        _ => ". The exit code is still the findings'",
    }
}
