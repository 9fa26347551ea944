//! Plain, validated settings, one struct per command: what [`crate::cli`] parsed, checked,
//! with defaults resolved and the project's `.upsweep.toml` ([`file`](mod@file)) and baseline
//! read. This is the line below which nothing knows clap: [`settle`] reads the typed command
//! once (as ripgrep turns its low-level arguments into high-level ones), and [`crate::app`]
//! runs the settings.

mod account;
mod commands;
pub(crate) mod file;
mod github;
mod output;
mod project;
pub(crate) mod size;
mod spec;

pub(crate) use account::AccountSettings;
pub(crate) use commands::{
    BaselineCreateSettings, BaselinePruneSettings, ConfigCheckSettings, GitSettings,
    RevokeSettings, RulesCheckSettings, RulesListSettings, ScanSettings, Source,
};
pub(crate) use github::{GithubSettings, MergeSettings};
pub(crate) use output::OutputSettings;
pub(crate) use spec::{Inputs, RuleSet, ScanSpec, Target};

use crate::cli::{BaselineCommand, Command, ConfigCommand, RulesCommand};
use anyhow::Result;

/// A command with its settings.
pub enum Settings {
    Scan(ScanSettings),
    Git(GitSettings),
    Github(GithubSettings),
    Merge(MergeSettings),
    Revoke(RevokeSettings),
    BaselineCreate(BaselineCreateSettings),
    BaselinePrune(BaselinePruneSettings),
    ConfigCheck(ConfigCheckSettings),
    RulesList(RulesListSettings),
    RulesCheck(RulesCheckSettings),
}

/// Settle a command's flags: every check a flag needs happens here, before anything runs.
pub fn settle(command: Command) -> Result<Settings> {
    Ok(match command {
        Command::Scan(a) => Settings::Scan(ScanSettings::new(&a)?),
        Command::Git(a) => Settings::Git(GitSettings::new(&a)?),
        Command::Github(a) => Settings::Github(GithubSettings::new(&a)?),
        Command::Merge(a) => Settings::Merge(MergeSettings::new(&a)?),
        Command::Revoke(a) => Settings::Revoke(RevokeSettings::new(&a)?),
        Command::Baseline { command } => match command {
            BaselineCommand::Create(a) => {
                Settings::BaselineCreate(BaselineCreateSettings::new(&a)?)
            }
            BaselineCommand::Prune(a) => Settings::BaselinePrune(BaselinePruneSettings::new(&a)?),
        },
        Command::Config {
            command: ConfigCommand::Check { file },
        } => Settings::ConfigCheck(ConfigCheckSettings::new(file)?),
        Command::Rules { command } => match command {
            RulesCommand::List { rules, format } => Settings::RulesList(RulesListSettings {
                rules: RuleSet {
                    dirs: rules.dirs,
                    disabled: Vec::new(),
                },
                format,
            }),
            RulesCommand::Check { dir } => Settings::RulesCheck(RulesCheckSettings { dir }),
        },
    })
}
