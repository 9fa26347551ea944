//! upsweep finds leaked Upstash credentials in files and git history, tells which belong to
//! the user's own account and still work, and rotates the exposed ones.
//!
//! The pipeline (see `DESIGN.md` in the project's shared notes):
//! arguments (and `.upsweep.toml`, [`config_file`]) -> [`config`] -> [`app`] -> inputs
//! ([`input`]) -> [`scan`] with compiled [`rules`] and structural [`decode`]rs -> [`filter`]
//! (public values, dedup, inline [`allow`] markers, allowed hashes, [`baseline`]) -> [`report`].

pub mod app;
pub mod cli;
pub mod config;
pub mod decode;
pub mod finding;
pub mod input;
pub mod report;
pub mod revoke;
pub mod rules;
pub mod scan;
pub mod suppress;
pub mod upstash;

pub use config::file as config_file;
pub use scan::aggregate as filter;
pub use suppress::baseline;
pub use suppress::paths as allow;
