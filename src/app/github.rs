//! `upsweep github`: the organisation audit ([`crate::audit`]), then what the project accepts,
//! the account check when asked for, and the report, as `upsweep git` does.

use super::{accept, check_account, emit};
use crate::audit;
use crate::config::GithubSettings;
use crate::github::{Client, GithubConfig, Notice};
use anyhow::Result;
use std::sync::Arc;

pub(super) fn run(s: &GithubSettings) -> Result<u8> {
    let matcher = s.rules.matcher()?;
    let mut cfg = GithubConfig::from_env(s.api_url.as_deref())?;
    cfg.limits.max_wait = s.max_wait;
    let quiet = s.output.quiet;
    let client = Client::new(
        &cfg,
        Arc::new(move |n: &Notice| {
            if !quiet || matches!(n, Notice::Anonymous) {
                eprintln!("upsweep: {n}");
            }
        }),
    )?;
    let say = |m: &str| {
        if !quiet {
            eprintln!("upsweep: {m}");
        }
    };
    let mut outcome = audit::run(
        &client, &cfg, &s.targets, &s.filters, &s.audit, &matcher, &say,
    )?;
    accept(&mut outcome, &s.accepted);
    check_account(&mut outcome, &s.account, quiet)?;
    emit(&outcome, &matcher, &s.output)?;
    Ok(outcome.exit_code())
}
