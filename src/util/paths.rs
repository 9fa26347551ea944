//! Paths as reports show them, the lexical normalisation that places a path under a
//! repository root, and upsweep's cache directory.

use std::path::{Component, Path, PathBuf};

/// Paths as the user typed them, without a leading `./`.
pub(crate) fn display(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./")
        .map(str::to_string)
        .unwrap_or_else(|| s.into_owned())
}

/// Resolve `.` and `..` lexically (symlinks are not followed: the path stays as the user sees
/// it). Used to make report paths relative to a repository root.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Environment variable replacing the platform's cache directory (for every command that
/// keeps something there: `revoke`'s journal and locks, `github`'s mirrors).
pub(crate) const ENV_CACHE_DIR: &str = "UPSWEEP_CACHE_DIR";

/// upsweep's cache directory: `$UPSWEEP_CACHE_DIR`, else the platform's cache directory plus
/// `upsweep` (`$XDG_CACHE_HOME` or `~/.cache` on Linux and other Unixes, `~/Library/Caches`
/// on macOS, `%LOCALAPPDATA%` on Windows); `None` when no home is known.
pub(crate) fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var(ENV_CACHE_DIR) {
        return Some(dir);
    }
    let base = if cfg!(windows) {
        var("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library").join("Caches"))
    } else {
        var("XDG_CACHE_HOME")
            .filter(|p| p.is_absolute())
            .or_else(|| var("HOME").map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("upsweep"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_drops_a_leading_dot_slash() {
        assert_eq!(display(Path::new("./a/b.env")), "a/b.env");
        assert_eq!(display(Path::new("a/./b")), "a/./b");
    }

    #[test]
    fn normalize_resolves_dots_lexically() {
        assert_eq!(
            normalize(Path::new("/r/a/../b/./c")),
            PathBuf::from("/r/b/c")
        );
    }
}
