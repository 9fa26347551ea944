//! The values flags take. Settings that live below the command line (the report format, what
//! fails the run, the rules list format) keep their one enum where they are used; clap learns
//! their names here, so no module below `cli` knows clap.

use crate::outcome::FailOn;
use crate::report::{Format, ListFormat};
use clap::builder::PossibleValue;
use clap::ValueEnum;

/// `--color`: settled into a yes or no by [`crate::config`].
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Format::Human,
            Format::Json,
            Format::Jsonl,
            Format::Sarif,
            Format::Github,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let v = PossibleValue::new(self.name());
        Some(match self {
            Format::Github => v.help(
                "GitHub Actions workflow commands: one `::error` annotation per place, no secret",
            ),
            _ => v,
        })
    }
}

impl ValueEnum for ListFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &[ListFormat::Human, ListFormat::Json]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(match self {
            ListFormat::Human => "human",
            ListFormat::Json => "json",
        }))
    }
}

impl ValueEnum for FailOn {
    fn value_variants<'a>() -> &'a [Self] {
        &[FailOn::Any, FailOn::Live, FailOn::Owned]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
    }
}
