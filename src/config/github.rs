//! `upsweep github` and `upsweep merge`, settled: the targets and filters checked before
//! anything is sent, the cache found, the audit's options, and the report's settings as for
//! `upsweep git`. The project (`.upsweep.toml`, the baseline) is the auditor's, found from the
//! current directory or named by `--config`, never one inside an audited repository: what is
//! audited does not get to silence its own findings.

use super::account::AccountSettings;
use super::output::OutputSettings;
use super::project::Project;
use super::spec::{self, RuleSet};
use crate::audit::shard::Shard;
use crate::audit::Options;
use crate::cli::{GithubArgs, MergeArgs};
use crate::github::{repos, Filters, Target};
use crate::outcome::FailOn;
use crate::suppress;
use anyhow::{anyhow, bail, Context as _, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `upsweep github`.
pub struct GithubSettings {
    pub(crate) targets: Vec<Target>,
    pub(crate) filters: Filters,
    /// `--github-api-url`; else the environment decides.
    pub(crate) api_url: Option<String>,
    pub(crate) max_wait: Duration,
    pub(crate) audit: Options,
    pub(crate) rules: RuleSet,
    /// What the project accepts, applied to the merged findings.
    pub(crate) accepted: suppress::Filters,
    pub(crate) account: AccountSettings,
    pub(crate) output: OutputSettings,
}

/// `upsweep merge`.
pub struct MergeSettings {
    pub(crate) reports: Vec<PathBuf>,
    pub(crate) fail_on: FailOn,
    pub(crate) output: OutputSettings,
}

impl GithubSettings {
    pub(crate) fn new(a: &GithubArgs) -> Result<GithubSettings> {
        let output = OutputSettings::new(&a.output, false)?;
        let mut targets = Vec::new();
        for o in &a.org {
            targets.push(Target::org(o).with_context(|| format!("--org {o}"))?);
        }
        for u in &a.user {
            targets.push(Target::user(u).with_context(|| format!("--user {u}"))?);
        }
        for r in &a.repo {
            targets.push(Target::repo(r).with_context(|| format!("--repo {r}"))?);
        }
        if targets.is_empty() {
            bail!("name what to audit: --org NAME, --user NAME or --repo OWNER/NAME");
        }
        let filters = Filters {
            include_forks: a.include_forks,
            exclude_archived: a.exclude_archived,
            exclude: a.exclude.clone(),
        };
        repos::check_filters(&filters)?;
        if let Some(u) = &a.github_api_url {
            crate::github::config::check_api_url(u)
                .with_context(|| format!("--github-api-url {u}"))?;
        }
        let max_wait =
            parse_duration(&a.max_wait).with_context(|| format!("--max-wait {:?}", a.max_wait))?;
        let shard = a.shard.as_deref().map(Shard::parse).transpose()?;
        let cache = match &a.cache {
            Some(c) => c.clone(),
            None => default_cache()?,
        };
        let cores = spec::threads(None)?;
        let jobs = match a.jobs {
            Some(0) => bail!("--jobs must be at least 1"),
            Some(n) => n,
            None => cores,
        };
        let threads = spec::threads(a.engine.threads)?;
        let root = super::file::find_root(Path::new("."));
        let project = Project::load(&root, &[], super::commands::project_files(&a.project))?;
        let max_file_size = project.max_file_size(a.engine.max_file_size.as_deref())?;
        let archives =
            project.archive_limits(super::commands::archive_flags(&a.engine), max_file_size)?;
        let account = AccountSettings::new(&a.account, &project)?;
        Ok(GithubSettings {
            targets,
            filters,
            api_url: a.github_api_url.clone(),
            max_wait,
            audit: Options {
                cache,
                jobs,
                threads,
                pull_requests: !a.no_pull_requests,
                issues: a.issues,
                max_file_size,
                archives,
                shard,
                lock_wait: Duration::from_secs(60 * 60),
                fetch_deadline: Duration::from_secs(60 * 60),
                secrets: output.show_secrets || account.check.is_some(),
            },
            rules: RuleSet::of(&project, &a.engine.rules.dirs),
            accepted: project.filters,
            account,
            output,
        })
    }
}

impl MergeSettings {
    pub(crate) fn new(a: &MergeArgs) -> Result<MergeSettings> {
        Ok(MergeSettings {
            reports: a.reports.clone(),
            fail_on: a.fail_on.unwrap_or_default(),
            output: OutputSettings::new(&a.output, false)?,
        })
    }
}

/// `github` in upsweep's cache directory (`$UPSWEEP_CACHE_DIR`, else the platform's).
fn default_cache() -> Result<PathBuf> {
    crate::util::paths::cache_dir()
        .map(|d| d.join("github"))
        .ok_or_else(|| {
            anyhow!(
                "no cache directory is known for this user: name one with --cache DIR or set {}",
                crate::util::paths::ENV_CACHE_DIR
            )
        })
}

/// `90s`, `15m`, `1h`, `1h30m`, or plain seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in t.chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' | 's' if !number.is_empty() => {
                let n: u64 = number.parse()?;
                total += n * match c {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                number.clear();
            }
            _ => bail!("expected a duration such as 90s, 15m or 1h"),
        }
    }
    if !number.is_empty() || t.is_empty() {
        bail!("expected a duration such as 90s, 15m or 1h");
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        for bad in ["", "m", "1d", "-1m", "1.5h", "5m3"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
