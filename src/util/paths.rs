//! Paths as reports show them, and the lexical normalisation that places a path under a
//! repository root.

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
