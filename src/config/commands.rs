//! Each command's settings, settled once from what was typed: flags validated, defaults and
//! the project's config file resolved, files and the repository found. The commands in
//! [`crate::app`] take these and nothing from [`crate::cli`].

use super::account::AccountSettings;
use super::output::OutputSettings;
use super::project::{ArchiveFlags, ProjectFiles};
use super::size::parse_size;
use super::spec::{self, RepoScan, RuleSet, ScanSpec, Target, Walk};
use crate::cli::{
    BaselineCreateArgs, BaselinePruneArgs, BaselineScanArgs, ConfigFileArgs, EngineArgs, GitArgs,
    ProjectArgs, RevokeArgs, ScanArgs,
};
use crate::input::git::{self as g, ci, Mode};
use crate::report::ListFormat;
use crate::revoke::leak::LeaveOut;
use crate::suppress::Filters;
use anyhow::{anyhow, Result};
use std::path::{Path, PathBuf};

/// `upsweep scan`.
pub struct ScanSettings {
    pub(crate) spec: ScanSpec,
    pub(crate) account: AccountSettings,
    pub(crate) output: OutputSettings,
}

/// `upsweep git`.
pub struct GitSettings {
    pub(crate) spec: ScanSpec,
    pub(crate) account: AccountSettings,
    pub(crate) output: OutputSettings,
    /// `--ci`: where the range came from, said before scanning unless `--quiet`.
    pub(crate) ci_range: Option<String>,
    /// `--staged`: a pre-commit hook; when it blocks, it says what to do.
    pub(crate) staged: bool,
    /// `--pr-comment`, with the pull request's number when `--pr` gave it.
    pub(crate) pr_comment: Option<PrComment>,
}

/// `git --pr-comment`: which pull request (`--pr`; else the Actions event's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrComment {
    pub(crate) number: Option<u64>,
}

/// `upsweep revoke`.
pub struct RevokeSettings {
    pub(crate) source: Source,
    /// What the project's configuration leaves out of the plan (said, not silent).
    pub(crate) leave_out: LeaveOut,
    /// `--account-file`, besides the environment.
    pub(crate) account_file: Option<PathBuf>,
    pub(crate) yes: bool,
    pub(crate) dry_run: bool,
    pub(crate) only: Vec<String>,
    pub(crate) new_credentials: Option<PathBuf>,
    /// `--audit-log`: the journal (default: in the cache directory).
    pub(crate) audit_log: Option<PathBuf>,
    pub(crate) check_api_key: bool,
    /// Try found Developer API keys (`--live`).
    pub(crate) live: bool,
    /// `--format json`.
    pub(crate) json: bool,
}

/// Where `revoke` and `baseline create` take their findings from.
pub(crate) enum Source {
    /// A JSON report (`--report`, `--from`).
    Report(PathBuf),
    Scan(Box<ScanSpec>),
}

/// `upsweep baseline create`.
pub struct BaselineCreateSettings {
    /// The baseline file to write.
    pub(crate) output: PathBuf,
    /// Stored with every entry (trimmed; `None` when empty).
    pub(crate) note: Option<String>,
    /// `--force`: replace an existing file.
    pub(crate) force: bool,
    pub(crate) source: Source,
    pub(crate) quiet: bool,
}

/// `upsweep baseline prune`.
pub struct BaselinePruneSettings {
    /// The baseline file, rewritten in place.
    pub(crate) file: PathBuf,
    pub(crate) dry_run: bool,
    pub(crate) spec: ScanSpec,
    pub(crate) quiet: bool,
}

/// `upsweep config check`: the file to check, found at the repository root if not named.
#[derive(Debug, Clone)]
pub struct ConfigCheckSettings {
    pub(crate) file: PathBuf,
}

/// `upsweep rules list`.
#[derive(Debug, Clone)]
pub struct RulesListSettings {
    pub(crate) rules: RuleSet,
    pub(crate) format: ListFormat,
}

/// `upsweep rules check`: the directory to lint (`None`: the shipped rules).
#[derive(Debug, Clone)]
pub struct RulesCheckSettings {
    pub(crate) dir: Option<PathBuf>,
}

impl ScanSettings {
    pub(crate) fn new(a: &ScanArgs) -> Result<ScanSettings> {
        let output = OutputSettings::new(&a.output, false)?;
        let (files, project) = Walk {
            paths: &a.paths,
            no_ignore: a.walk.no_ignore,
            follow: a.walk.follow,
            max_file_size: a.engine.max_file_size.as_deref(),
            threads: a.engine.threads,
            archives: archive_flags(&a.engine),
        }
        .settle(project_files(&a.project))?;
        let account = AccountSettings::new(&a.account, &project)?;
        Ok(ScanSettings {
            spec: ScanSpec {
                target: Target::Files(files),
                rules: RuleSet::of(&project, &a.engine.rules.dirs),
                what: spec::paths_what(&a.paths),
                filters: project.filters,
            },
            account,
            output,
        })
    }
}

impl GitSettings {
    pub(crate) fn new(a: &GitArgs) -> Result<GitSettings> {
        if a.pr_comment && !(a.ci || a.range.is_some() || a.since_commit.is_some()) {
            anyhow::bail!(
                "--pr-comment comments on what a pull request adds: use it with --ci (in a \
                 pull_request workflow) or with --range BASE..HEAD and --pr NUMBER"
            );
        }
        let mut output = OutputSettings::new(&a.output, a.ci || a.pr_comment)?;
        output.staged = a.staged;
        if let Some(s) = &a.engine.max_file_size {
            parse_size(s)?;
        }
        let threads = spec::threads(a.engine.threads)?;
        let (mode, ci_range) = mode(a)?;
        let repo = g::open(&a.repo).map_err(|e| {
            if a.repo.is_dir() {
                anyhow!(
                    "{e:#}\n(`upsweep git` reads a repository's history; to scan the files in a \
                     directory, run `upsweep scan {}`)",
                    a.repo.display()
                )
            } else {
                e
            }
        })?;
        let project = spec::repo_project(&repo, project_files(&a.project))?;
        let max_file_size = project.max_file_size(a.engine.max_file_size.as_deref())?;
        let archives = project.archive_limits(archive_flags(&a.engine), max_file_size)?;
        let account = AccountSettings::new(&a.account, &project)?;
        Ok(GitSettings {
            spec: ScanSpec {
                target: Target::History(RepoScan {
                    repo,
                    mode,
                    max_file_size,
                    archives,
                    threads,
                    progress: !output.quiet,
                }),
                rules: RuleSet::of(&project, &a.engine.rules.dirs),
                what: format!("the git history of {}", a.repo.display()),
                filters: project.filters,
            },
            account,
            output,
            ci_range,
            staged: a.staged,
            pr_comment: a.pr_comment.then_some(PrComment { number: a.pr }),
        })
    }
}

/// What part of the history `git` scans, and for `--ci` where the range came from.
fn mode(a: &GitArgs) -> Result<(Mode, Option<String>)> {
    if a.staged {
        return Ok((
            Mode::Staged {
                all_content: a.all_content,
            },
            None,
        ));
    }
    if let Some(r) = &a.range {
        return Ok((range(r)?, None));
    }
    if let Some(rev) = &a.since_commit {
        return Ok((
            Mode::Range {
                base: rev.clone(),
                head: "HEAD".into(),
                merge_base: false,
                ci: false,
            },
            None,
        ));
    }
    if a.ci {
        let r = ci::detect(&|k| std::env::var(k).ok())?;
        let said = format!(
            "{}: scanning {}..{}",
            r.source,
            r.base.as_deref().unwrap_or("(root)"),
            r.head
        );
        let mode = match r.base {
            Some(base) => Mode::Range {
                base,
                head: r.head,
                merge_base: false,
                ci: true,
            },
            None => Mode::History { unreachable: false },
        };
        return Ok((mode, Some(said)));
    }
    Ok((
        Mode::History {
            unreachable: a.unreachable,
        },
        None,
    ))
}

/// `--range`, read as git reads a range: `BASE..HEAD` (what HEAD has that BASE has not) or
/// `BASE...HEAD` (what HEAD adds since the merge base of the two, as `git diff BASE...HEAD`
/// shows); a side left out is `HEAD`.
fn range(r: &str) -> Result<Mode> {
    let (base, head, merge_base) = if let Some((b, h)) = r.split_once("...") {
        (b, h, true)
    } else if let Some((b, h)) = r.split_once("..") {
        (b, h, false)
    } else {
        anyhow::bail!(
            "--range {r:?}: expected BASE..HEAD (what HEAD adds) or BASE...HEAD (what HEAD adds \
             since the merge base): to scan one commit's changes, use --range {r}~1..{r}"
        )
    };
    fn side(s: &str) -> &str {
        if s.is_empty() {
            "HEAD"
        } else {
            s
        }
    }
    if (base.is_empty() && head.is_empty()) || head.starts_with('.') {
        anyhow::bail!("--range {r:?}: expected BASE..HEAD or BASE...HEAD");
    }
    Ok(Mode::Range {
        base: side(base).into(),
        head: side(head).into(),
        merge_base,
        ci: false,
    })
}

impl RevokeSettings {
    /// A scan for `revoke` reads files as `upsweep scan` would with no flags, or the whole
    /// history as `upsweep git` would with none, with the shipped rules and `--rules`. The
    /// project's config file (unless `--no-config`) gives `max-file-size` and `rule-dirs`;
    /// its `skip-paths`, `[[allow]]` and `disable-rules` are applied after the scan, so the plan
    /// can say what they left out; the baseline is not applied (a baselined secret is still
    /// leaked).
    pub(crate) fn new(a: &RevokeArgs) -> Result<RevokeSettings> {
        let files = config_files(&a.config);
        let (source, project) = if let Some(report) = &a.report {
            (Source::Report(report.clone()), None)
        } else if a.paths.iter().any(|p| p.as_os_str() == "-") {
            anyhow::bail!(
                "upsweep revoke cannot read standard input (it may need it to ask for confirmation): \
                 save the text to a file, or pass --report"
            );
        } else if a.git {
            let (repo, path) = spec::one_repo(&a.paths)?;
            let what = format!("the git history of {}", path.display());
            let project = spec::repo_project(&repo, files)?;
            let max_file_size = project.max_file_size(None)?;
            let archives = project.archive_limits(ArchiveFlags::default(), max_file_size)?;
            (
                Source::Scan(Box::new(ScanSpec {
                    target: Target::History(RepoScan {
                        repo,
                        mode: Mode::History { unreachable: false },
                        max_file_size,
                        archives,
                        threads: spec::threads(None)?,
                        progress: false,
                    }),
                    rules: RuleSet {
                        dirs: project.rule_dirs(&a.rules.dirs),
                        disabled: Vec::new(),
                    },
                    filters: Filters::default(),
                    what,
                })),
                Some(project),
            )
        } else {
            let paths = or_current_dir(&a.paths);
            let (mut scan, project) = Walk {
                paths: &paths,
                no_ignore: false,
                follow: false,
                max_file_size: None,
                threads: None,
                archives: ArchiveFlags::default(),
            }
            .settle(files)?;
            // Everything is read; skip-paths is applied afterwards, and counted.
            if let super::spec::Inputs::Paths(w) = &mut scan.inputs {
                w.exclude = None;
            }
            (
                Source::Scan(Box::new(ScanSpec {
                    target: Target::Files(scan),
                    rules: RuleSet {
                        dirs: project.rule_dirs(&a.rules.dirs),
                        disabled: Vec::new(),
                    },
                    filters: Filters::default(),
                    what: spec::paths_what(&a.paths),
                })),
                Some(project),
            )
        };
        let leave_out = match project {
            Some(p) => LeaveOut {
                config_file: p.file.as_ref().map(|f| f.display().to_string()),
                skip_paths: p.filters.skip_paths.clone(),
                allow: p.filters.allow.clone(),
                disabled_rules: p.disabled_rules.clone(),
            },
            None => LeaveOut::default(),
        };
        Ok(RevokeSettings {
            source,
            leave_out,
            account_file: a.credentials.account_file.clone(),
            yes: a.yes,
            dry_run: a.dry_run,
            only: a.only.clone(),
            new_credentials: a.new_credentials.clone(),
            audit_log: a.audit_log.clone(),
            check_api_key: a.check_api_key,
            live: a.live,
            json: a.format == ListFormat::Json,
        })
    }
}

impl BaselineCreateSettings {
    pub(crate) fn new(a: &BaselineCreateArgs) -> Result<BaselineCreateSettings> {
        let note = a.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let source = match &a.from {
            Some(report) => Source::Report(report.clone()),
            None => Source::Scan(Box::new(baseline_scan(&a.paths, &a.scan)?)),
        };
        Ok(BaselineCreateSettings {
            output: a.output.clone(),
            note: note.map(str::to_string),
            force: a.force,
            source,
            quiet: a.scan.quiet.quiet,
        })
    }
}

impl BaselinePruneSettings {
    pub(crate) fn new(a: &BaselinePruneArgs) -> Result<BaselinePruneSettings> {
        Ok(BaselinePruneSettings {
            file: a.file.clone(),
            dry_run: a.dry_run,
            spec: baseline_scan(&a.paths, &a.scan)?,
            quiet: a.scan.quiet.quiet,
        })
    }
}

/// The scan `baseline create` and `prune` make: files, or with `--git` the whole history of
/// one repository, as `scan` and `git` would (config file applied) but without a baseline.
fn baseline_scan(paths: &[PathBuf], a: &BaselineScanArgs) -> Result<ScanSpec> {
    let files = config_files(&a.config);
    if !a.git {
        let all = or_current_dir(paths);
        let (scan, project) = Walk {
            paths: &all,
            no_ignore: a.walk.no_ignore,
            follow: a.walk.follow,
            max_file_size: a.engine.max_file_size.as_deref(),
            threads: a.engine.threads,
            archives: archive_flags(&a.engine),
        }
        .settle(files)?;
        return Ok(ScanSpec {
            target: Target::Files(scan),
            rules: RuleSet::of(&project, &a.engine.rules.dirs),
            what: spec::paths_what(paths),
            filters: project.filters,
        });
    }
    let (repo, path) = spec::one_repo(paths)?;
    let project = spec::repo_project(&repo, files)?;
    let max_file_size = project.max_file_size(a.engine.max_file_size.as_deref())?;
    let archives = project.archive_limits(archive_flags(&a.engine), max_file_size)?;
    let threads = spec::threads(a.engine.threads)?;
    let what = format!("the git history of {}", path.display());
    Ok(ScanSpec {
        target: Target::History(RepoScan {
            repo,
            mode: Mode::History { unreachable: false },
            max_file_size,
            archives,
            threads,
            progress: !a.quiet.quiet,
        }),
        rules: RuleSet::of(&project, &a.engine.rules.dirs),
        filters: project.filters,
        what,
    })
}

impl ConfigCheckSettings {
    pub(crate) fn new(file: Option<PathBuf>) -> Result<ConfigCheckSettings> {
        let file = match file {
            Some(f) => f,
            None => {
                let (cwd, repo) = super::file::find_repository(Path::new("."));
                let root = repo.clone().unwrap_or(cwd);
                super::file::discover(&root).ok_or_else(|| match repo {
                    Some(_) => anyhow!(
                        "no {} at the repository root {}: nothing to check (name a file to check another)",
                        super::file::FILE_NAME,
                        root.display()
                    ),
                    None => anyhow!(
                        "no {} in {}, and it is not inside a git repository (where the file \
                         would be looked for at the root): nothing to check (name a file to check another)",
                        super::file::FILE_NAME,
                        root.display()
                    ),
                })?
            }
        };
        Ok(ConfigCheckSettings { file })
    }
}

/// `--no-archives` and `--archive-depth`.
/// The project files a command that takes `--config`, `--no-config` and `--baseline` names.
pub(super) fn project_files(p: &ProjectArgs) -> ProjectFiles<'_> {
    ProjectFiles {
        baseline: p.baseline.as_deref(),
        use_baseline: true,
        ..config_files(&p.config)
    }
}

/// The project files of a command that must see every finding (`revoke`, `baseline create`
/// and `prune`): the config file, never a baseline.
pub(super) fn config_files(c: &ConfigFileArgs) -> ProjectFiles<'_> {
    ProjectFiles {
        config: c.config.as_deref(),
        no_config: c.no_config,
        baseline: None,
        use_baseline: false,
    }
}

pub(super) fn archive_flags(e: &EngineArgs) -> ArchiveFlags {
    ArchiveFlags {
        off: e.no_archives,
        depth: e.archive_depth,
    }
}

/// The paths given, or `.`.
fn or_current_dir(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    }
}
