//! `--audit-log FILE`: one JSON line appended per action upsweep attempted (or refused to
//! attempt), written and flushed as each action ends, so an interrupted run still leaves its
//! record. A line names the action, the resource, the leaked secrets by SHA-256, the outcome and
//! the error; never a credential, old or new.
//!
//! ```json
//! {"time":"2026-03-01T12:00:00Z","secret_sha256":["9f86d0..."],"resource":{"product":"redis",
//!  "id":"...","name":"prod-cache","region":"eu-west-1","account":"ops@example.com"},
//!  "action":"redis-reset-password","rotations":1,"outcome":"rotated","error":null}
//! ```

use super::execute::ActionResult;
use super::plan::Action;
use crate::util::time::rfc3339;
use anyhow::{Context as _, Result};
use serde_json::json;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) struct AuditLog {
    file: File,
    path: String,
}

impl AuditLog {
    /// Open `path` for appending (created with mode 0600 when it does not exist).
    pub(crate) fn open(path: &Path) -> Result<AuditLog> {
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(path).with_context(|| {
            format!("--audit-log {}: cannot open for appending", path.display())
        })?;
        Ok(AuditLog {
            file,
            path: path.display().to_string(),
        })
    }

    /// Append the line for one action.
    pub(crate) fn record(&mut self, action: &Action, result: &ActionResult) -> Result<()> {
        let line = line(action, result, now_rfc3339());
        writeln!(self.file, "{line}")
            .and_then(|_| self.file.flush())
            .with_context(|| format!("--audit-log {}: cannot write", self.path))
    }
}

/// The JSON line for one action.
pub(crate) fn line(action: &Action, result: &ActionResult, time: String) -> serde_json::Value {
    let r = &action.resource;
    json!({
        "time": time,
        "secret_sha256": action.leaked.iter().map(|l| l.sha256.as_str()).collect::<Vec<_>>(),
        "resource": {
            "product": r.product,
            "id": r.id,
            "name": r.name,
            "region": r.region,
            "endpoint": r.endpoint,
            "account": r.account,
            "account_key": r.account_key,
        },
        "action": action.kind.name(),
        "rotations": result.rotations,
        "outcome": result.status.as_str(),
        "error": result.error,
    })
}

/// The current time, UTC, as `2026-03-01T12:00:00Z`.
pub(crate) fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc3339(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_764_587_058), "2025-12-01T11:04:18Z");
        assert!(now_rfc3339().ends_with('Z'));
    }
}
