//! Rules as written in `rules/*.toml`: plain serde types, no validation. See [`super::Rule`]
//! for the checked form.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(rename = "rule", default)]
    pub rules: Vec<RuleSyntax>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    /// Stable identifier, e.g. `upstash.redis.rest-token`.
    pub id: String,
    /// Short human name.
    pub name: String,
    /// The kind reported when the decoder does not refine it (docs/formats.md §1 names).
    pub kind: String,
    pub description: String,
    /// A regular expression over bytes. A group named `secret` marks the value; without one the
    /// whole match is the value. `redis-url` rules also name `user`, `host` and `port`.
    pub pattern: String,
    /// The structural decoder or value check the candidate goes through.
    pub decoder: String,
    /// A regular expression that must match within `context_lines` lines around the value.
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub context_lines: Option<usize>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub examples: Vec<ExampleSyntax>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// An example: text in which the rule must find exactly one secret of the given kind (the
/// rule's own kind when omitted).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ExampleSyntax {
    Text(String),
    WithKind { text: String, kind: String },
}

impl ExampleSyntax {
    pub fn text(&self) -> &str {
        match self {
            ExampleSyntax::Text(t) | ExampleSyntax::WithKind { text: t, .. } => t,
        }
    }

    pub fn kind(&self) -> Option<&str> {
        match self {
            ExampleSyntax::Text(_) => None,
            ExampleSyntax::WithKind { kind, .. } => Some(kind),
        }
    }
}
