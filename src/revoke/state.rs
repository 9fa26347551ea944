//! Where `upsweep revoke` keeps what must outlive a run, and the lock that lets one run at a
//! time act for an account on this machine.
//!
//! The directory is the platform's cache directory plus `upsweep/revoke` (`$XDG_CACHE_HOME`
//! or `~/.cache` on Linux and other Unixes, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on
//! Windows; `UPSWEEP_CACHE_DIR` replaces the platform's). It holds the default journal
//! (`journal.jsonl`, used when no `--audit-log` is given) and one lock file per account
//! email. A lock is an advisory file lock (`fs4`), released by the operating system when the
//! process ends however it ends, so a killed run never leaves a stale lock behind.

use anyhow::{anyhow, Context as _, Result};
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::PathBuf;

pub(crate) use crate::util::paths::{cache_dir, ENV_CACHE_DIR};

/// The current time, UTC, as `2026-03-01T12:00:00Z`.
pub(crate) fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    crate::util::time::rfc3339(secs)
}

/// `<cache>/upsweep/revoke`, created (mode 0700 on Unix) if needed.
pub(crate) fn revoke_dir() -> Result<PathBuf> {
    let dir = cache_dir()
        .ok_or_else(|| {
            anyhow!("no cache directory: set {ENV_CACHE_DIR} (or HOME), or pass --audit-log FILE")
        })?
        .join("revoke");
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// The journal used when no `--audit-log` is given (not created here).
pub(crate) fn default_journal() -> Option<PathBuf> {
    cache_dir().map(|d| d.join("revoke").join("journal.jsonl"))
}

/// The locks of one run, released when dropped (or when the process ends).
pub(crate) struct AccountLock {
    _files: Vec<File>,
}

/// Take the lock of every email, or fail naming the run that holds one. Never waits: a second
/// run for an account is refused at once.
pub(crate) fn lock(emails: &[&str]) -> Result<AccountLock> {
    let dir = revoke_dir()?;
    let mut emails: Vec<String> = emails.iter().map(|e| e.to_ascii_lowercase()).collect();
    emails.sort();
    emails.dedup();
    let mut files = Vec::new();
    for email in &emails {
        let hash = crate::finding::sha256_hex(email);
        let path = dir.join(format!("lock-{}", &hash[..16]));
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(anyhow!(
                    "another `upsweep revoke` is acting for {email} on this machine{}: wait for \
                     it to finish, then run again (a re-run reads what it did and rotates \
                     nothing twice). Nothing was changed by this run.",
                    if holder.is_empty() {
                        String::new()
                    } else {
                        format!(" ({holder})")
                    }
                ));
            }
            Err(fs4::TryLockError::Error(e)) => {
                return Err(anyhow!("cannot lock {}: {e}", path.display()))
            }
        }
        // Who holds it, for a second run's message (best effort: the lock is what counts).
        let _ = file.set_len(0).and_then(|_| {
            file.rewind()?;
            let line = format!("process {}, since {}", std::process::id(), now_rfc3339());
            file.write_all(line.as_bytes())
        });
        files.push(file);
    }
    Ok(AccountLock { _files: files })
}
