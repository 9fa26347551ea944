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

pub mod apikeys;
pub mod audit;
pub mod execute;
pub mod leak;
pub mod newcreds;
pub mod plan;
pub mod print;

pub use execute::{execute, ActionResult, Status};
pub use leak::{from_report, Leak, Reported};
pub use plan::{assess, Action, ActionKind, ApiKeyLeak, Assessment, Leaked, Note, Plan};

/// Exit codes of `upsweep revoke` (documented in its `--help`).
pub mod exit {
    /// Nothing left to do: every planned action was done and verified, or there was nothing
    /// to do (no leak, or only leaks that are already rotated or not the account's).
    pub const DONE: u8 = 0;
    /// Something is still to be done by the user: a dry run (or a declined confirmation) left
    /// actions pending, or a leaked Developer API key must be deleted in the console.
    pub const PENDING: u8 = 1;
    /// Something failed or could not be decided: an action failed or could not be confirmed, the
    /// account check could not tell whether a leak is the account's, the inputs could not all
    /// be read, or a usage error.
    pub const ERROR: u8 = 2;
}
