//! `upsweep revoke`: rotate what leaked, safely. Its own command, never a side effect of a scan.
//!
//! ```text
//! leaks (a scan's findings, or a JSON report's hashes)           leak.rs
//!   -> assess: a fresh inventory, every leak judged again       (upstash::ownership, apikey)
//!   -> plan: one action per resource, --only, who breaks         plan.rs
//!   -> (the caller prints it and confirms: dry run by default)  print.rs
//!   -> execute: write-access probe, check, rotate, re-check      execute.rs
//!   -> audit log (JSON lines, hashes only), new credentials      audit.rs, newcreds.rs
//!      file (mode 0600)
//! ```
//!
//! Why it works from hashes: a report carries no secret, only each secret's SHA-256. The fresh
//! inventory holds the account's current credentials, hashed the same way, so a leak is matched
//! again now, not trusted from an old report. The same matching decides whether a rotation took:
//! after each action the resource is fetched again and the leaked hashes must be none of its
//! credentials.
//!
//! Safe to repeat: just before acting on a resource upsweep fetches it and skips the action when
//! no leaked hash is current any more, so a second run (or a run after a failure) never rotates
//! anything twice.
//!
//! Secrets: new credentials are held as [`crate::upstash::Secret`] (redacting `Debug`), go only
//! to the `--new-credentials` file, and nothing printed or logged carries a credential, old or
//! new.

pub(crate) mod apikeys;
pub(crate) mod audit;
pub(crate) mod execute;
pub(crate) mod leak;
pub(crate) mod newcreds;
pub(crate) mod plan;
pub(crate) mod print;

pub(crate) use execute::execute;
pub(crate) use leak::{from_report, Leak};
pub(crate) use plan::{assess, Plan};

/// Exit codes of `upsweep revoke` (documented in its `--help`).
pub(crate) mod exit {
    /// Nothing left to do: every planned action was done and verified, or there was nothing
    /// to do (no leak, or only leaks that are already rotated or not the account's).
    pub(crate) const DONE: u8 = 0;
    /// Something is still to be done by the user: a dry run (or a declined confirmation) left
    /// actions pending, or a leaked Developer API key must be deleted in the console.
    pub(crate) const PENDING: u8 = 1;
    /// Something failed or could not be decided: an action failed or could not be confirmed, the
    /// account check could not tell whether a leak is the account's, the inputs could not all
    /// be read, or a usage error.
    pub(crate) const ERROR: u8 = 2;
}
