//! `skip-paths` in `.upsweep.toml`: places a project never wants scanned (vendored code,
//! fixtures), matched like `.gitignore` patterns against paths relative to the repository root.
//! A file walk does not enter them; a history scan drops the places under them.

use crate::finding::Origin;
use crate::util::paths::normalize;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// The `skip-paths` globs of a config file, matched against paths relative to the repository
/// root with `/` separators, the way `.gitignore` patterns read:
///
/// - a pattern without a `/` (`*.lock`, `fixtures`) matches a file or directory name at any
///   depth; one with a `/` (`tests/fixtures/**`, `docs/*.md`) is anchored at the root (a
///   leading `/` is allowed and means the same);
/// - `*` and `?` stay within one path segment, `**` crosses segments, `{a,b}` and `[ab]` work;
/// - a pattern that matches a directory skips everything below it (`vendor`, `vendor/`);
/// - `\` escapes the next character.
#[derive(Debug)]
pub(crate) struct PathGlobs {
    set: GlobSet,
    /// The repository root, absolute and with symlinks resolved where possible.
    root: PathBuf,
    /// Each path named on the command line, as given and resolved, to map walked paths
    /// (which begin with the path as given) under the root.
    bases: Vec<(PathBuf, PathBuf)>,
    cwd: PathBuf,
}

/// A pattern that does not compile: its index in the list and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadGlob {
    pub(crate) index: usize,
    pub(crate) message: String,
}

impl PathGlobs {
    /// Compile `patterns`; `root` is the repository root they are relative to.
    pub(crate) fn new(patterns: &[String], root: &Path) -> Result<PathGlobs, BadGlob> {
        let mut b = GlobSetBuilder::new();
        for (index, p) in patterns.iter().enumerate() {
            let glob = compile(p).map_err(|message| BadGlob { index, message })?;
            b.add(glob);
        }
        let set = b.build().map_err(|e| BadGlob {
            index: 0,
            message: e.to_string(),
        })?;
        let cwd = std::env::current_dir().unwrap_or_default();
        Ok(PathGlobs {
            set,
            root: resolve(&cwd, root),
            bases: Vec::new(),
            cwd,
        })
    }

    /// Tell the matcher which paths a file walk starts from, so the paths it yields can be
    /// placed under the root even when a starting path is a symlink or has `..` in it.
    pub(crate) fn with_bases(mut self, paths: &[PathBuf]) -> PathGlobs {
        self.bases = paths
            .iter()
            .map(|p| (p.clone(), resolve(&self.cwd, p)))
            .collect();
        self
    }

    /// Whether a path relative to the root (`/`-separated) is skipped, itself or through one
    /// of its parent directories.
    pub(crate) fn matches_relative(&self, rel: &str) -> bool {
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        if rel.is_empty() {
            return false;
        }
        let mut end = 0;
        for (i, c) in rel.char_indices() {
            if c == '/' && i > end {
                if self.set.is_match(&rel[..i]) {
                    return true;
                }
                end = i;
            }
        }
        self.set.is_match(rel)
    }

    /// Whether a path on disk (as a file walk yields it) is skipped. Paths outside the root
    /// are never skipped.
    pub(crate) fn matches_file(&self, path: &Path) -> bool {
        self.relative(path)
            .is_some_and(|rel| self.matches_relative(&rel))
    }

    /// Whether the place a blob came from is skipped: a file by its path under the root, a git
    /// blob by its path in the tree, an archive entry by its outer file's path and the names
    /// inside joined by `!` (`dist/app.tgz!package/test/x.env`, which `**/test/**` matches).
    pub(crate) fn matches_origin(&self, origin: &Origin) -> bool {
        match origin {
            Origin::File(p) => self.matches_file(p),
            Origin::Git { path: Some(p), .. } => self.matches_relative(p),
            Origin::Archive { outer, entries } => {
                let base = match &**outer {
                    Origin::File(p) => self.relative(p),
                    Origin::Git { path: Some(p), .. } => Some(p.clone()),
                    _ => None,
                };
                base.is_some_and(|b| {
                    self.matches_relative(&b)
                        || self.matches_relative(&format!("{b}!{}", entries.join("!")))
                })
            }
            _ => false,
        }
    }

    /// `path` relative to the root, with `/` separators.
    fn relative(&self, path: &Path) -> Option<String> {
        let absolute = self
            .bases
            .iter()
            .find_map(|(given, resolved)| {
                path.strip_prefix(given)
                    .ok()
                    .map(|rest| normalize(&resolved.join(rest)))
            })
            .unwrap_or_else(|| normalize(&self.cwd.join(path)));
        let rel = absolute.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }
}

fn compile(pattern: &str) -> Result<globset::Glob, String> {
    let p = pattern.trim();
    if p.is_empty() {
        return Err("an empty pattern matches nothing".into());
    }
    let p = p.strip_suffix('/').unwrap_or(p);
    let anchored = p.contains('/');
    let p = p.strip_prefix('/').unwrap_or(p);
    if p.is_empty() {
        return Err("`/` alone would skip the whole repository".into());
    }
    let full = if anchored || p.starts_with("**") {
        p.to_string()
    } else {
        format!("**/{p}")
    };
    GlobBuilder::new(&full)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| e.kind().to_string())
}

/// An absolute form of `p`: symlinks resolved when it exists, `.` and `..` resolved lexically
/// otherwise.
fn resolve(cwd: &Path, p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| normalize(&cwd.join(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(p: &[&str]) -> PathGlobs {
        let v: Vec<String> = p.iter().map(|s| s.to_string()).collect();
        PathGlobs::new(&v, Path::new("/repo")).unwrap()
    }

    #[test]
    fn patterns_read_like_gitignore() {
        let g = globs(&["*.lock", "fixtures", "/docs/*.md", "vendor/", "a/**/z.txt"]);
        assert!(g.matches_relative("Cargo.lock"));
        assert!(g.matches_relative("deep/dir/yarn.lock"));
        assert!(g.matches_relative("tests/fixtures/x.env"));
        assert!(g.matches_relative("fixtures"));
        assert!(g.matches_relative("docs/readme.md"));
        assert!(
            !g.matches_relative("docs/sub/readme.md"),
            "* stays in a segment"
        );
        assert!(!g.matches_relative("other/docs/readme.md"), "anchored");
        assert!(g.matches_relative("vendor/lib/x.rs"));
        assert!(g.matches_relative("a/b/c/z.txt"));
        assert!(g.matches_relative("a/z.txt"));
        assert!(!g.matches_relative("src/main.rs"));
        assert!(!g.matches_relative("fixtures.rs"));
    }

    #[test]
    fn bad_patterns_are_named_by_index() {
        let v = vec!["ok/*".to_string(), "bad/[".to_string()];
        let e = PathGlobs::new(&v, Path::new("/r")).unwrap_err();
        assert_eq!(e.index, 1);
        assert!(PathGlobs::new(&["  ".to_string()], Path::new("/r")).is_err());
        assert!(PathGlobs::new(&["/".to_string()], Path::new("/r")).is_err());
    }

    #[test]
    fn places_inside_archives_are_matched_by_their_chain() {
        let g = globs(&["**/test/**", "vendor/*.tgz"]);
        let inside = |path: &str, entries: &[&str]| Origin::Archive {
            outer: Box::new(Origin::Git {
                blob: "b".into(),
                commit: None,
                path: Some(path.into()),
            }),
            entries: entries.iter().map(|e| e.to_string()).collect(),
        };
        assert!(g.matches_origin(&inside("dist/app.tgz", &["package/test/x.env"])));
        assert!(!g.matches_origin(&inside("dist/app.tgz", &["package/.env"])));
        assert!(g.matches_origin(&inside("vendor/lib.tgz", &["package/.env"])));
        let on_disk = Origin::Archive {
            outer: Box::new(Origin::File(PathBuf::from("/repo/vendor/a.tgz"))),
            entries: vec!["x".into()],
        };
        assert!(g.matches_origin(&on_disk));
    }

    #[test]
    fn files_are_matched_relative_to_the_root() {
        let v = vec!["skip/**".to_string()];
        let g = PathGlobs::new(&v, Path::new("/repo")).unwrap();
        assert!(g.matches_file(Path::new("/repo/skip/a.env")));
        assert!(!g.matches_file(Path::new("/repo/keep/a.env")));
        assert!(!g.matches_file(Path::new("/elsewhere/skip/a.env")));
    }
}
