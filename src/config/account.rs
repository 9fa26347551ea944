//! The account check's settings for `scan` and `git`: whether to run it, with which
//! credentials file, whether to try liveness, and what fails the run (`--fail-on`, or
//! `fail-on` in `.upsweep.toml`).

use super::project::Project;
use crate::cli::AccountArgs;
use crate::outcome::FailOn;
use anyhow::{bail, Result};
use std::path::PathBuf;

/// What `--account`, `--account-file`, `--live` and `--fail-on` settle to.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccountSettings {
    /// `None` when no account check was asked for.
    pub(crate) check: Option<AccountCheck>,
    pub(crate) fail_on: FailOn,
    /// Said with the report when there are findings: a config file's `fail-on` whose check was
    /// not asked for, and what is done instead.
    pub(crate) notes: Vec<String>,
}

/// The account check as asked for.
#[derive(Debug, Clone)]
pub(crate) struct AccountCheck {
    /// `--account-file`, besides the environment.
    pub(crate) file: Option<PathBuf>,
    /// `--live`.
    pub(crate) live: bool,
}

impl AccountSettings {
    /// Combine the flags with the project's `fail-on`. A `fail-on` from the file whose check
    /// was not asked for falls back to `any` (the stricter gate), with a note saying so; one
    /// from the command line is an error instead.
    pub(crate) fn new(a: &AccountArgs, project: &Project) -> Result<AccountSettings> {
        let enabled = a.account || a.credentials.account_file.is_some() || a.live;
        let mut notes = Vec::new();
        let fail_on = match (a.fail_on, project.fail_on) {
            (Some(flag), _) => flag,
            (None, None) => FailOn::Any,
            (None, Some(setting)) => {
                let (value, missing) = match setting {
                    FailOn::Any => (FailOn::Any, None),
                    FailOn::Live if a.live => (FailOn::Live, None),
                    FailOn::Live => (FailOn::Any, Some("--live")),
                    FailOn::Owned if enabled => (FailOn::Owned, None),
                    FailOn::Owned => (FailOn::Any, Some("--account")),
                };
                if let Some(flag) = missing {
                    notes.push(format!(
                        "{} sets fail-on = \"{}\", which needs {flag}: failing on any finding instead",
                        project.file_name(),
                        setting.as_str()
                    ));
                }
                value
            }
        };
        match fail_on {
            FailOn::Live if !a.live => {
                bail!("--fail-on live needs --live (without it nothing is known to be dead)")
            }
            FailOn::Owned if !enabled => bail!("--fail-on owned needs --account"),
            _ => {}
        }
        Ok(AccountSettings {
            check: enabled.then(|| AccountCheck {
                file: a.credentials.account_file.clone(),
                live: a.live,
            }),
            fail_on,
            notes,
        })
    }
}
