//! What a project accepts, and why a found secret is not reported: values Upstash publishes
//! ([`public`]), lines marked `upsweep:allow` ([`inline`]), places under `skip-paths`
//! ([`paths`]), secrets allowed by hash ([`allowlist`]) and secrets in a baseline
//! ([`baseline`]). [`Filters`] applies the project's choices to a finished scan.
//!
//! Nothing set aside is dropped silently: each becomes a [`crate::outcome::Suppressed`] entry,
//! counted in the stats and listed by `--verbose`.

pub(crate) mod allowlist;
pub(crate) mod baseline;
pub(crate) mod filters;
pub(crate) mod inline;
pub(crate) mod paths;
pub(crate) mod public;

pub(crate) use filters::Filters;
