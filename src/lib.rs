//! upsweep finds leaked Upstash credentials in files and git history, tells which belong to
//! the user's own account and still work, and rotates the exposed ones.
//!
//! The pipeline (ARCHITECTURE.md at the repository root has the module map and which way the
//! dependencies run): arguments ([`cli`]) -> plain settings ([`config`], with `.upsweep.toml`)
//! -> one command in [`app`] -> inputs ([`input`]) driven through the [`scan`]ner, with
//! compiled [`rules`] and structural [`decode`]rs -> what the project accepts ([`suppress`]) ->
//! the account check ([`upstash`]) -> the result model ([`outcome`]) -> [`report`].
//! [`revoke`] plans and makes rotations through the same Upstash clients.

// Module docs link to crate-private items: read them with `cargo doc --document-private-items`.
#![allow(rustdoc::private_intra_doc_links)]

pub mod app;
pub(crate) mod audit;
pub mod cli;
pub mod config;
pub mod decode;
pub mod finding;
pub mod github;
pub mod input;
pub mod outcome;
pub mod report;
pub mod revoke;
pub mod rules;
pub mod scan;
pub mod suppress;
pub mod upstash;
pub(crate) mod util;
