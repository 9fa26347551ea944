//! `upsweep revoke`: rotate what leaked, safely, and lose nothing. Its own command, never a side
//! effect of a scan.
//!
//! ```text
//! leaks (a scan's findings, or a JSON report's hashes)           leak.rs
//!   -> assess: a fresh inventory, every leak judged again       (upstash::ownership, apikey)
//!   -> plan: one action per resource, --only, who breaks         plan.rs (journal.rs: history)
//!   -> (the caller prints it and confirms: dry run by default)  print.rs, json.rs
//!   -> lock the accounts (one run at a time per account)        state.rs
//!   -> pre-flight: journal and new-credentials file written     journal.rs, newcreds.rs
//!   -> settle what an earlier run left unfinished                resume.rs
//!   -> execute: probe, re-read, journal, rotate, save, confirm   execute.rs (interrupt.rs)
//! ```
//!
//! Why it works from hashes: a report carries no secret, only each secret's SHA-256. The fresh
//! inventory holds the account's current credentials, hashed the same way, so a leak is matched
//! again now, not trusted from an old report. The same matching decides whether a rotation took:
//! after each action the resource is fetched again and the leaked hashes must be none of its
//! credentials.
//!
//! What it never loses: every write to Upstash is preceded by an fsync'd intent line in the
//! journal; every rotation's new values are appended, fsync'd, to the `--new-credentials` file
//! as soon as Upstash answers; a write that may have reached Upstash is never sent again (the
//! resource is read instead); and a re-run settles whatever an interrupted run left, so after
//! at most one re-run every rotation that happened has its values on disk and its line in the
//! journal.
//!
//! Secrets: new credentials are held as [`crate::upstash::Secret`] (redacting `Debug`), go only
//! to the `--new-credentials` file, and nothing printed or journaled carries a credential, old
//! or new.

pub(crate) mod apikeys;
pub(crate) mod execute;
pub(crate) mod interrupt;
pub(crate) mod journal;
pub(crate) mod json;
pub(crate) mod leak;
pub(crate) mod newcreds;
pub(crate) mod plan;
pub(crate) mod print;
pub(crate) mod resume;
#[cfg(test)]
mod snapshot_tests;
pub(crate) mod state;

pub(crate) use execute::execute;
pub(crate) use leak::{from_report, Leak, REPORT};
pub(crate) use plan::{assess, Plan};

/// Exit codes of `upsweep revoke` (documented in its `--help`).
pub(crate) mod exit {
    /// Nothing left to do: every planned action was done and verified, or there was nothing
    /// to do (no leak, or only leaks that are already rotated or not the account's).
    pub(crate) const DONE: u8 = 0;
    /// Something is still to be done by the user: a dry run (or a declined confirmation) left
    /// actions pending, a leaked Developer API key must be deleted in the console, or new
    /// values were not saved.
    pub(crate) const PENDING: u8 = 1;
    /// Something failed or could not be decided: an action failed or could not be confirmed, the
    /// account check could not tell whether a leak is the account's, the inputs could not all
    /// be read, another run holds the account's lock, the journal or the new-credentials file
    /// could not be written, or a usage error.
    pub(crate) const ERROR: u8 = 2;
    /// Stopped by Ctrl-C (SIGINT), after finishing the action in flight.
    pub(crate) const SIGINT: u8 = super::interrupt::SIGINT_EXIT;
    /// Stopped by SIGTERM, after finishing the action in flight.
    pub(crate) const SIGTERM: u8 = super::interrupt::SIGTERM_EXIT;
}
