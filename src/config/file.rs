//! `.upsweep.toml`: a project's standing settings, read from the repository root (the nearest
//! directory above the scanned path that holds `.git`; without one, the scanned directory) or
//! from `--config FILE`. `--no-config` ignores it. Command-line flags override what it says.
//!
//! Every key is optional; a key upsweep does not know is an error, never ignored, and so is a
//! value of the wrong type. `upsweep config check [FILE]` validates a file and names the file,
//! line, column and key of every problem.
//!
//! ```toml
//! # Paths to skip, relative to the repository root, read like .gitignore patterns: a pattern
//! # without `/` matches a name at any depth, one with `/` is anchored at the root, `**`
//! # crosses directories, and a pattern matching a directory skips all of it.
//! skip-paths = ["vendor/", "*.lock", "tests/fixtures/**"]
//!
//! # Rules to turn off, by id (`upsweep rules list`).
//! disable-rules = ["upstash.redis.password-near-host"]
//!
//! # More rule directories (like --rules), relative to this file.
//! rule-dirs = ["tools/upsweep-rules"]
//!
//! # Skip files (and git blobs) larger than this: bytes, or a string with K, M or G.
//! max-file-size = "16M"
//!
//! # What makes exit code 1: "any" finding (the default), "live" (needs --live) or "owned"
//! # (needs --account). When the check it needs was not asked for, upsweep says so and fails
//! # on any finding, so a developer's plain `upsweep scan` still works.
//! fail-on = "live"
//!
//! # A baseline file of accepted secrets (like --baseline), relative to this file.
//! baseline = ".upsweep-baseline.json"
//!
//! # Archives (zip, jar, whl, tar, tar.gz, ...) are opened and their entries scanned. Turn it
//! # off (like --no-archives), or change how deep nested ones are opened (like
//! # --archive-depth; default 4) and what one archive may cost: bytes decompressed (default
//! # 1G) and entries (default 200000), nested archives counted in.
//! archives = true
//! archive-depth = 4
//! archive-max-bytes = "1G"
//! archive-max-entries = 200000
//!
//! # Secrets allowed everywhere, by the SHA-256 every report shows. `reason` is required.
//! [[allow]]
//! sha256 = "50258ea82b69e1294f4ec0724e62a2255e3016f1956f810cb9572903088a55d7"
//! reason = "public demo database, read-only, reset nightly"
//! kind = "redis-rest-token"   # optional: allow the hash only as this kind
//!
//! # One place, by path (from the root) and line: for files that cannot hold an
//! # `upsweep:allow` comment (JSON, minified code).
//! [[allow]]
//! path = "tests/fixtures/config.json"
//! line = 12
//! reason = "test fixture, never deployed"
//! ```
//!
//! Precedence: `--max-file-size`, `--fail-on` and `--baseline` replace the file's values;
//! `--rules` directories are loaded in addition to `rule-dirs`; `--no-archives` turns archives
//! off, and `--archive-depth` replaces both `archive-depth` and `archives = false`.

use super::size::parse_size;
use crate::finding::Kind;
use crate::outcome::FailOn;
use crate::rules::{self, load};
use crate::suppress::allowlist::{AllowEntry, AllowPlace};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file looked for at the repository root.
pub(crate) const FILE_NAME: &str = ".upsweep.toml";

/// The deepest `archive-depth` (and `--archive-depth`) taken: real software nests a few
/// layers; past this an archive is a bomb.
pub(crate) const MAX_ARCHIVE_DEPTH: u32 = 16;

/// A checked `.upsweep.toml`.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileConfig {
    /// The file it was read from.
    pub(crate) path: PathBuf,
    pub(crate) skip_paths: Vec<String>,
    pub(crate) disable_rules: Vec<String>,
    /// Resolved against the file's directory.
    pub(crate) rule_dirs: Vec<PathBuf>,
    pub(crate) max_file_size: Option<u64>,
    pub(crate) fail_on: Option<FailOn>,
    /// Resolved against the file's directory.
    pub(crate) baseline: Option<PathBuf>,
    pub(crate) allow: Vec<AllowEntry>,
    /// `[[allow]]` entries by path and line.
    pub(crate) allow_places: Vec<AllowPlace>,
    pub(crate) archives: ArchiveConfig,
}

/// What a config file says about archives; each key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ArchiveConfig {
    /// `archives`: false scans them as opaque bytes.
    pub(crate) enabled: Option<bool>,
    /// `archive-depth` (0 is the same as `archives = false`).
    pub(crate) depth: Option<u32>,
    /// `archive-max-bytes`: bytes decompressed from one archive.
    pub(crate) max_bytes: Option<u64>,
    /// `archive-max-entries`: entries in one archive.
    pub(crate) max_entries: Option<u64>,
}

/// One thing wrong with a config file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) file: String,
    /// 1-based; 0 when the problem is the file as a whole.
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// The key, as a reader finds it: `max-file-size`, `allow[2].sha256` (entries count from 1).
    pub(crate) key: Option<String>,
    pub(crate) message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        } else {
            write!(f, "{}: ", self.file)?;
        }
        if let Some(k) = &self.key {
            write!(f, "key `{k}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Everything wrong with a config file (at least one problem).
#[derive(Debug, Clone)]
pub(crate) struct ConfigError {
    pub(crate) problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// The repository root for `start`: the nearest directory at or above it holding `.git`, or
/// else `start` itself (its directory when it is a file).
pub(crate) fn find_root(start: &Path) -> PathBuf {
    let (dir, repo) = find_repository(start);
    repo.unwrap_or(dir)
}

/// `start` as a directory (its directory when it is a file), made absolute, and the nearest
/// directory at or above it holding `.git`, if there is one.
pub(crate) fn find_repository(start: &Path) -> (PathBuf, Option<PathBuf>) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let abs = std::fs::canonicalize(start).unwrap_or_else(|_| cwd.join(start));
    let dir = if abs.is_dir() {
        abs.clone()
    } else {
        abs.parent().map(Path::to_path_buf).unwrap_or(abs.clone())
    };
    let repo = dir
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf);
    (dir, repo)
}

/// The config file at `root`, if there is one.
pub(crate) fn discover(root: &Path) -> Option<PathBuf> {
    let p = root.join(FILE_NAME);
    p.is_file().then_some(p)
}

/// Read and check a config file.
pub(crate) fn load(path: &Path) -> Result<FileConfig, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        problems: vec![Problem {
            file: file.clone(),
            line: 0,
            column: 0,
            key: None,
            message: format!("cannot read: {}", crate::util::io::io_message(&e)),
        }],
    })?;
    parse(&text, path)
}

/// Parse and check a config file's text; `path` names it in problems and anchors relative
/// paths.
pub(crate) fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
    let (cfg, problems) = check(text, path);
    if problems.is_empty() {
        Ok(cfg)
    } else {
        Err(ConfigError { problems })
    }
}

/// Every problem a config file's text has, in order, and the settings of the parts that are
/// right. A mistake does not hide the next one: the file is first read statement by statement
/// (each `key = value`, each table header), and a statement that is not TOML is reported and
/// blanked out; then the rest is read as a whole, and each statement a key or a value is wrong
/// in (an unknown key, a wrong type, a key given twice) is reported and blanked out in turn.
/// Blanking keeps every byte offset, so every problem is placed in the file as written.
pub(crate) fn check(text: &str, path: &Path) -> (FileConfig, Vec<Problem>) {
    let file = path.display().to_string();
    let statements = statements(text);
    let mut clean = text.as_bytes().to_vec();
    let mut problems: Vec<Problem> = Vec::new();
    // Keys blanked out of each table, by the table's start: the table then lacks them, which
    // is no second problem.
    let mut blanked: Vec<(usize, String)> = Vec::new();
    for st in &statements {
        let chunk = &text[st.range.clone()];
        if let Err(e) = toml::from_str::<toml::Table>(chunk) {
            // An error at the end of the statement (an array never closed) is placed at its
            // last character, not at the start of the next line.
            let last = chunk.trim_end().len().saturating_sub(1);
            let span = e
                .span()
                .map(|r| r.start.min(last) + st.range.start..r.end.min(last) + st.range.start);
            problems.push(toml_problem(text, &file, &e, span));
            blank(&mut clean, st.blanked(&statements));
        }
    }
    let mut raw: Option<Raw> = None;
    for _ in 0..=statements.len() {
        let now = String::from_utf8_lossy(&clean).into_owned();
        let e = match toml::from_str::<Raw>(&now) {
            Ok(r) => {
                raw = Some(r);
                break;
            }
            Err(e) => e,
        };
        let at = e.span().map(|r| r.start);
        let Some(st) = at.and_then(|at| statements.iter().find(|s| s.range.contains(&at))) else {
            problems.push(toml_problem(text, &file, &e, e.span()));
            break;
        };
        let problem = toml_problem(text, &file, &e, e.span());
        let missing = e
            .message()
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next());
        let already = missing.is_some_and(|k| {
            blanked
                .iter()
                .any(|(table, key)| *table == st.table && key == k)
        });
        if !already {
            problems.push(problem);
        }
        if let Some(k) = &st.key {
            blanked.push((st.table, k.clone()));
        }
        blank(&mut clean, st.blanked(&statements));
    }
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut check = Checker {
        text,
        file,
        base,
        problems,
    };
    let mut cfg = FileConfig {
        path: path.to_path_buf(),
        ..FileConfig::default()
    };
    if let Some(raw) = raw {
        check.skip_paths(&raw, &mut cfg);
        check.rules(&raw, &mut cfg);
        check.settings(&raw, &mut cfg);
        check.archives(&raw, &mut cfg);
        check.allow(&raw, &mut cfg);
    }
    let mut problems = check.problems;
    problems.sort_by_key(|p| (p.line, p.column));
    (cfg, problems)
}

/// One statement of a TOML file: a `key = value` (with the lines its value spans) or a table
/// header.
#[derive(Debug)]
struct Statement {
    range: Range<usize>,
    /// The key as written (`None` for a header).
    key: Option<String>,
    /// The start of the table it is in (of the header itself, for a header; 0 at the top).
    table: usize,
}

impl Statement {
    /// What to blank out when this statement is wrong: the statement, or for a table header
    /// its whole table (its keys would otherwise land in the table before it).
    fn blanked(&self, all: &[Statement]) -> Range<usize> {
        if self.key.is_some() {
            return self.range.clone();
        }
        let end = all
            .iter()
            .find(|s| s.key.is_none() && s.range.start > self.range.start)
            .map_or_else(
                || all.last().map_or(self.range.end, |s| s.range.end),
                |s| s.range.start,
            );
        self.range.start..end.max(self.range.end)
    }
}

/// A line that starts a `key = value` statement: a bare, quoted or dotted key, then `=`.
static KEY_START: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r#"^\s*((?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*'))*)\s*="#,
    )
    .expect("key regex")
});

/// The statements of a TOML text, by lines: a line that starts a key or a table header starts
/// a statement; the lines after it that start neither (a multi-line array or string, a
/// broken value) belong to it. Blank and comment lines before the first statement are left out.
fn statements(text: &str) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::new();
    let mut table = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let t = line.trim_start();
        if t.starts_with('[') {
            table = start;
            out.push(Statement {
                range: start..pos,
                key: None,
                table,
            });
        } else if let Some(c) = KEY_START.captures(line) {
            out.push(Statement {
                range: start..pos,
                key: Some(unquote(c[1].trim())),
                table,
            });
        } else if let Some(last) = out.last_mut().filter(|s| s.key.is_some()) {
            last.range.end = pos;
        } else if !(t.is_empty() || t.starts_with('#')) {
            // Text that is neither: a statement of its own, reported as what it is.
            out.push(Statement {
                range: start..pos,
                key: Some(String::new()),
                table,
            });
        }
    }
    out
}

/// Blank out `range` of `text`, keeping its line breaks and every byte offset.
fn blank(text: &mut [u8], range: Range<usize>) {
    for b in &mut text[range] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
}

/// Checks a parsed file key by key, collecting every problem with its place.
struct Checker<'a> {
    text: &'a str,
    file: String,
    /// The file's directory: relative paths in it are relative to this.
    base: PathBuf,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn at(&mut self, span: Range<usize>, key: String, message: String) {
        let (line, column) = line_col(self.text, span.start);
        self.problems.push(Problem {
            file: self.file.clone(),
            line,
            column,
            key: Some(key),
            message,
        });
    }

    /// `skip-paths`: every pattern must compile.
    fn skip_paths(&mut self, raw: &Raw, cfg: &mut FileConfig) {
        for (i, p) in raw.skip_paths.iter().enumerate() {
            if let Err(e) = crate::suppress::paths::PathGlobs::new(
                std::slice::from_ref(p.get_ref()),
                &self.base,
            ) {
                self.at(
                    p.span(),
                    format!("skip-paths[{}]", i + 1),
                    format!("invalid pattern {:?}: {}", p.get_ref(), e.message),
                );
            }
            cfg.skip_paths.push(p.get_ref().clone());
        }
    }

    /// `rule-dirs` must load, and `disable-rules` must name rules that exist (the shipped ones
    /// or those in `rule-dirs`) without disabling them all.
    fn rules(&mut self, raw: &Raw, cfg: &mut FileConfig) {
        // Rule directories first: the ids to disable may be defined there.
        let mut sourced = load::embedded().unwrap_or_default();
        for (i, d) in raw.rule_dirs.iter().enumerate() {
            let dir = self.base.join(d.get_ref());
            match load::directory(&dir) {
                Ok(s) => sourced.extend(s),
                Err(e) => self.at(d.span(), format!("rule-dirs[{}]", i + 1), format!("{e:#}")),
            }
            cfg.rule_dirs.push(dir);
        }
        let known: Vec<&str> = sourced.iter().map(|s| s.rule.id.as_str()).collect();
        for (i, r) in raw.disable_rules.iter().enumerate() {
            if !known.contains(&r.get_ref().as_str()) {
                self.at(
                    r.span(),
                    format!("disable-rules[{}]", i + 1),
                    format!(
                        "no rule has the id {:?} (`upsweep rules list` shows them)",
                        r.get_ref()
                    ),
                );
            }
            cfg.disable_rules.push(r.get_ref().clone());
        }
        if !raw.disable_rules.is_empty() && !sourced.is_empty() {
            let left = sourced
                .iter()
                .filter(|s| !cfg.disable_rules.contains(&s.rule.id))
                .count();
            if left == 0 {
                self.at(
                    raw.disable_rules[0].span(),
                    "disable-rules".into(),
                    "every rule is disabled: nothing would be scanned".into(),
                );
            }
        }
    }

    /// A size key: at least one byte.
    fn size(&mut self, s: &Spanned<Size>, key: &str) -> Option<u64> {
        match s.get_ref() {
            Size::Bytes(0) => {
                self.at(s.span(), key.into(), "must be at least 1 byte".into());
                None
            }
            Size::Bytes(n) => Some(*n),
            Size::Text(t) => match parse_size(t) {
                Ok(n) => Some(n),
                Err(e) => {
                    self.at(s.span(), key.into(), e.to_string());
                    None
                }
            },
        }
    }

    /// `archives`, `archive-depth`, `archive-max-bytes` and `archive-max-entries`.
    fn archives(&mut self, raw: &Raw, cfg: &mut FileConfig) {
        cfg.archives.enabled = raw.archives.as_ref().map(|b| *b.get_ref());
        if let Some(d) = &raw.archive_depth {
            match u32::try_from(*d.get_ref()) {
                Ok(n) if n <= MAX_ARCHIVE_DEPTH => cfg.archives.depth = Some(n),
                _ => self.at(
                    d.span(),
                    "archive-depth".into(),
                    format!("must be 0 (archives off) to {MAX_ARCHIVE_DEPTH}"),
                ),
            }
        }
        if let Some(s) = &raw.archive_max_bytes {
            cfg.archives.max_bytes = self.size(s, "archive-max-bytes");
        }
        if let Some(n) = &raw.archive_max_entries {
            match u64::try_from(*n.get_ref()) {
                Ok(n) if n > 0 => cfg.archives.max_entries = Some(n),
                _ => self.at(
                    n.span(),
                    "archive-max-entries".into(),
                    "must be at least 1".into(),
                ),
            }
        }
    }

    /// `max-file-size`, `fail-on` and `baseline`.
    fn settings(&mut self, raw: &Raw, cfg: &mut FileConfig) {
        if let Some(s) = &raw.max_file_size {
            cfg.max_file_size = self.size(s, "max-file-size");
        }
        cfg.fail_on = raw.fail_on.as_ref().map(|f| *f.get_ref());
        if let Some(b) = &raw.baseline {
            if b.get_ref().trim().is_empty() {
                self.at(
                    b.span(),
                    "baseline".into(),
                    "must name a file (or leave the key out)".into(),
                );
            } else {
                cfg.baseline = Some(self.base.join(b.get_ref()));
            }
        }
    }

    /// `[[allow]]`: each entry a SHA-256 (allowed once) and optionally a known kind, or a
    /// path and a line; and a reason.
    fn allow(&mut self, raw: &Raw, cfg: &mut FileConfig) {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, a) in raw.allow.iter().enumerate() {
            // Named by its place in the file: an entry left out for a mistake still counts.
            let table = table_at(self.text, a.reason.span().start)
                .unwrap_or_else(|| format!("allow[{}]", i + 1));
            let key = |k: &str| format!("{table}.{k}");
            let reason = a.reason.get_ref().trim();
            if reason.is_empty() {
                self.at(
                    a.reason.span(),
                    key("reason"),
                    "must say why this secret is allowed".into(),
                );
            }
            let Some(sha256) = &a.sha256 else {
                self.allow_place(a, &key, cfg);
                continue;
            };
            if let Some(p) = &a.path {
                self.at(
                    p.span(),
                    key("path"),
                    "an entry allows a secret by sha256 or a place by path and line, not both: \
                     split it in two"
                        .into(),
                );
            }
            let sha = sha256.get_ref().trim().to_ascii_lowercase();
            let ok = crate::suppress::baseline::is_sha256(&sha);
            if !ok {
                let got = sha256.get_ref();
                let what = if got.len() != 64 {
                    format!("{} characters", got.chars().count())
                } else {
                    "characters that are not hex digits".into()
                };
                self.at(
                    sha256.span(),
                    key("sha256"),
                    format!("must be a SHA-256: 64 hex digits (reports show it as secret_sha256), got {what}"),
                );
            } else if let Some(first) =
                seen.insert(sha.clone(), line_col(self.text, sha256.span().start).0)
            {
                self.at(
                    sha256.span(),
                    key("sha256"),
                    format!("this hash is already allowed on line {first}"),
                );
            }
            let kind = a.kind.as_ref().and_then(|k| self.kind(k, key("kind")));
            if ok {
                cfg.allow.push(AllowEntry {
                    sha256: sha,
                    reason: reason.to_string(),
                    kind,
                });
            }
        }
    }

    /// An `[[allow]]` entry without a hash: it must name a place, by path and line.
    fn allow_place(&mut self, a: &RawAllow, key: &dyn Fn(&str) -> String, cfg: &mut FileConfig) {
        let (Some(path), Some(line)) = (&a.path, &a.line) else {
            self.at(
                a.reason.span(),
                key("sha256"),
                "an entry needs sha256 (a secret, wherever it is) or path and line (one place)"
                    .into(),
            );
            return;
        };
        if let Some(k) = &a.kind {
            self.at(
                k.span(),
                key("kind"),
                "kind goes with sha256; a place is allowed whatever is found there".into(),
            );
        }
        let p = path.get_ref().trim().trim_start_matches("./").to_string();
        if p.is_empty() {
            self.at(path.span(), key("path"), "must name a file".into());
        }
        let n = *line.get_ref();
        if n < 1 {
            self.at(
                line.span(),
                key("line"),
                "must be a line number, from 1".into(),
            );
        }
        if !p.is_empty() && n >= 1 {
            cfg.allow_places.push(AllowPlace {
                path: p,
                line: n as u64,
                reason: a.reason.get_ref().trim().to_string(),
            });
        }
    }

    /// A kind as the reports name it.
    fn kind(&mut self, k: &Spanned<String>, key: String) -> Option<Kind> {
        let kind = Kind::parse(k.get_ref());
        if kind.is_none() {
            self.at(
                k.span(),
                key,
                format!(
                    "unknown kind {:?} (known: {})",
                    k.get_ref(),
                    Kind::ALL.map(Kind::as_str).join(", ")
                ),
            );
        }
        kind
    }
}

/// The rule set a config asks for: the shipped rules and `rule_dirs`, less `disabled`.
pub(crate) fn load_matcher(
    rule_dirs: &[PathBuf],
    disabled: &[String],
) -> anyhow::Result<rules::Matcher> {
    let checked = load::checked(rule_dirs, disabled)?;
    for id in disabled {
        if !checked.ids.contains(id) {
            anyhow::bail!(
                "cannot disable rule {id:?}: no rule has that id (`upsweep rules list` shows them)"
            );
        }
    }
    rules::Matcher::new(checked.rules?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    #[serde(default)]
    skip_paths: Vec<Spanned<String>>,
    #[serde(default)]
    disable_rules: Vec<Spanned<String>>,
    #[serde(default)]
    rule_dirs: Vec<Spanned<String>>,
    max_file_size: Option<Spanned<Size>>,
    fail_on: Option<Spanned<FailOn>>,
    baseline: Option<Spanned<String>>,
    #[serde(default)]
    allow: Vec<RawAllow>,
    archives: Option<Spanned<bool>>,
    archive_depth: Option<Spanned<i64>>,
    archive_max_bytes: Option<Spanned<Size>>,
    archive_max_entries: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    sha256: Option<Spanned<String>>,
    reason: Spanned<String>,
    kind: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    line: Option<Spanned<i64>>,
}

/// `max-file-size`: a number of bytes or a string like "64M".
#[derive(Debug)]
enum Size {
    Bytes(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Size, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size: a number of bytes, or a string like \"64M\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size::Bytes(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size::Bytes)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                Ok(Size::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// A problem from toml's error, placed at `span` of `text` (its span gives the line and
/// column, and the text there the key).
fn toml_problem(
    text: &str,
    file: &str,
    e: &toml::de::Error,
    span: Option<Range<usize>>,
) -> Problem {
    let message = e.message().trim().replace('\n', ": ");
    let Some(span) = span else {
        return Problem {
            file: file.into(),
            line: 0,
            column: 0,
            key: None,
            message,
        };
    };
    let (line, column) = line_col(text, span.start);
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|r| r.split('`').next())
            .map(str::to_string)
    };
    let table = table_at(text, span.start);
    let line_start = text[..span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let on_header = text[line_start..].trim_start().starts_with('[');
    let key = if on_header && !message.starts_with("missing field") {
        // A table header that is not TOML: the table is what is wrong.
        None
    } else if let Some(k) = quoted("unknown field `") {
        Some(k)
    } else if let Some(k) = quoted("missing field `") {
        Some(k)
    } else {
        key_before(text, span.start)
    };
    let key = match (table, key) {
        (Some(t), Some(k)) if k != t && !k.starts_with(&format!("{t}[")) => {
            Some(format!("{t}.{k}"))
        }
        (Some(t), None) => Some(t),
        (_, k) => k,
    };
    let message = if message.starts_with("unknown field") {
        message.replacen("unknown field", "unknown key", 1)
    } else if message.starts_with("missing field") {
        message.replacen("missing field", "missing required key", 1)
    } else {
        message
    };
    Problem {
        file: file.into(),
        line,
        column,
        key,
        message,
    }
}

/// The table header in force at `offset`: `allow[2]` for the second `[[allow]]`, `name` for
/// `[name]`; `None` at the top level.
fn table_at(text: &str, offset: usize) -> Option<String> {
    let mut current = None;
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        // A header on the line where the error starts counts (a missing key points at it).
        if pos > offset {
            break;
        }
        pos += line.len();
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            // A header missing a bracket (`[[allow]`) still opens the next entry.
            let name = name.trim().trim_end_matches(']').trim().to_string();
            let n = counts.entry(name.clone()).or_default();
            *n += 1;
            current = Some(format!("{name}[{n}]"));
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            current = Some(name.trim().to_string());
        }
    }
    current
}

/// The key of the `key = value` the byte at `offset` belongs to: on its own line, or on the
/// nearest line above that starts one (a value spanning lines).
fn key_before(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let line = line.split('\n').next().unwrap_or(line);
    // The span is the key itself.
    let here = &text[offset..];
    if let Some(eq) = line.find('=') {
        if line_start + eq >= offset {
            let k = here.split(['=', ' ', '\t']).next().unwrap_or("").trim();
            if !k.is_empty() {
                return Some(unquote(k));
            }
        } else {
            return Some(unquote(line[..eq].trim()));
        }
    }
    text[..line_start].lines().rev().find_map(|l| {
        let t = l.trim_start();
        let eq = t.find('=')?;
        let k = t[..eq].trim();
        let plain = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.\"'".contains(c));
        plain.then(|| unquote(k))
    })
}

fn unquote(k: &str) -> String {
    k.trim_matches(['"', '\'']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        parse(text, Path::new("repo/.upsweep.toml"))
            .expect_err("should fail")
            .problems
    }

    fn one(text: &str) -> String {
        let p = problems(text);
        assert_eq!(p.len(), 1, "{p:?}");
        p[0].to_string()
    }

    const SHA: &str = "50258ea82b69e1294f4ec0724e62a2255e3016f1956f810cb9572903088a55d7";

    #[test]
    fn a_full_file_parses() {
        let text = format!(
            "skip-paths = [\"vendor/\", \"*.lock\"]\ndisable-rules = [\"upstash.redis.password\"]\nmax-file-size = \"16M\"\nfail-on = \"live\"\nbaseline = \"b.json\"\n\n[[allow]]\nsha256 = \"{}\"\nreason = \"demo\"\nkind = \"redis-rest-token\"\n",
            SHA.to_uppercase()
        );
        let c = parse(&text, Path::new("repo/.upsweep.toml")).unwrap();
        assert_eq!(c.skip_paths, ["vendor/", "*.lock"]);
        assert_eq!(c.max_file_size, Some(16 << 20));
        assert_eq!(c.fail_on, Some(FailOn::Live));
        assert_eq!(c.baseline, Some(PathBuf::from("repo/b.json")));
        assert_eq!(c.allow[0].sha256, SHA);
        assert_eq!(c.allow[0].kind, Some(Kind::RedisRestToken));
        let c = parse("max-file-size = 1000\n", Path::new(".upsweep.toml")).unwrap();
        assert_eq!(c.max_file_size, Some(1000));
    }

    #[test]
    fn archive_keys_parse_and_bad_values_are_named() {
        let c = parse(
            "archives = false\narchive-depth = 2\narchive-max-bytes = \"16M\"\narchive-max-entries = 500\n",
            Path::new(".upsweep.toml"),
        )
        .unwrap();
        assert_eq!(
            c.archives,
            ArchiveConfig {
                enabled: Some(false),
                depth: Some(2),
                max_bytes: Some(16 << 20),
                max_entries: Some(500),
            }
        );
        assert_eq!(
            parse("", Path::new("x")).unwrap().archives,
            ArchiveConfig::default()
        );
        assert_eq!(
            one("archive-depth = -1\n"),
            "repo/.upsweep.toml:1:17: key `archive-depth`: must be 0 (archives off) to 16"
        );
        assert_eq!(
            one("archive-depth = 40\n"),
            "repo/.upsweep.toml:1:17: key `archive-depth`: must be 0 (archives off) to 16"
        );
        assert_eq!(
            one("archive-max-entries = 0\n"),
            "repo/.upsweep.toml:1:23: key `archive-max-entries`: must be at least 1"
        );
        assert_eq!(
            one("archive-max-bytes = 0\n"),
            "repo/.upsweep.toml:1:21: key `archive-max-bytes`: must be at least 1 byte"
        );
        assert!(one("archives = \"no\"\n").contains("key `archives`: invalid type"));
    }

    #[test]
    fn problems_name_file_line_and_key() {
        assert_eq!(
            one("skip-paths = []\n\nbogus = 1\n"),
            "repo/.upsweep.toml:3:1: key `bogus`: unknown key `bogus`, expected one of `skip-paths`, `disable-rules`, `rule-dirs`, `max-file-size`, `fail-on`, `baseline`, `allow`, `archives`, `archive-depth`, `archive-max-bytes`, `archive-max-entries`"
        );
        let s = one("max-file-size = true\n");
        assert!(
            s.starts_with("repo/.upsweep.toml:1:17: key `max-file-size`: invalid type: boolean"),
            "{s}"
        );
        let s = one("fail-on = \"sometimes\"\n");
        assert!(
            s.starts_with("repo/.upsweep.toml:1:11: key `fail-on`: unknown variant"),
            "{s}"
        );
        let s = one(&format!(
            "[[allow]]\nsha256 = \"{SHA}\"\nreason = \"x\"\n\n[[allow]]\nsha256 = \"{SHA}\"\n"
        ));
        assert_eq!(
            s,
            "repo/.upsweep.toml:5:1: key `allow[2].reason`: missing required key `reason`"
        );
        let s = one("[[allow]]\nsha256 = \"abc\"\nreason = \"x\"\n");
        assert!(
            s.starts_with("repo/.upsweep.toml:2:10: key `allow[1].sha256`: must be a SHA-256"),
            "{s}"
        );
        let s = one(&format!(
            "[[allow]]\nsha256 = \"{SHA}\"\nreason = \"x\"\ncolour = 1\n"
        ));
        assert!(
            s.starts_with("repo/.upsweep.toml:4:1: key `allow[1].colour`: unknown key `colour`"),
            "{s}"
        );
        let s = one("skip-paths = [\n  \"ok\",\n  3,\n]\n");
        assert!(
            s.starts_with("repo/.upsweep.toml:3:3: key `skip-paths`: invalid type: integer"),
            "{s}"
        );
        let s = one("disable-rules = [\"upstash.nope\"]\n");
        assert!(
            s.contains(":1:18: key `disable-rules[1]`: no rule has the id"),
            "{s}"
        );
        let s = one("skip-paths = [\"a\", \"b/[\"]\n");
        assert!(
            s.contains(":1:20: key `skip-paths[2]`: invalid pattern"),
            "{s}"
        );
    }

    #[test]
    fn a_file_with_five_mistakes_has_five_problems() {
        let text = "skip-paths = [\"vendor/\",\nmax-file-size = true\nfail-on = \"sometimes\"\nbogus = 1\n\n[[allow]]\nsha256 = \"abc\"\nreason = \"x\"\n";
        let p = problems(text);
        let places: Vec<(usize, Option<&str>)> =
            p.iter().map(|p| (p.line, p.key.as_deref())).collect();
        assert_eq!(
            places,
            [
                (1, Some("skip-paths")),
                (2, Some("max-file-size")),
                (3, Some("fail-on")),
                (4, Some("bogus")),
                (7, Some("allow[1].sha256")),
            ],
            "{p:#?}"
        );
    }

    #[test]
    fn syntax_errors_do_not_hide_each_other_or_what_follows() {
        let text = format!(
            "skip-paths = [\"a\" \"b\"]\nmax-file-size = \"16M\nfail-on = owned\n[[allow]\nsha256 = \"{SHA}\"\nreason = \"r\"\n[[allow]]\nsha256 = \"{SHA}\"\nreason = \"\"\nkind = \"nope\"\nsha256 = \"{SHA}\"\n"
        );
        let p = problems(&text);
        let lines: Vec<usize> = p.iter().map(|p| p.line).collect();
        // Three broken statements, a broken table header (its table is left out, not merged
        // into another), and in the next table an empty reason, an unknown kind and a key
        // given twice.
        assert_eq!(lines, [1, 2, 3, 4, 9, 10, 11], "{p:#?}");
        assert_eq!(p[6].key.as_deref(), Some("allow[2].sha256"), "{p:#?}");
        // What is right is still read.
        let (cfg, _) = check("max-file-size = 100\nbogus = [\n", Path::new("x.toml"));
        assert_eq!(cfg.max_file_size, Some(100));
    }

    #[test]
    fn an_allowed_place_needs_a_path_and_a_line_and_no_hash() {
        let c = parse(
            "[[allow]]\npath = \"./a/b.json\"\nline = 3\nreason = \"fixture\"\n",
            Path::new("x.toml"),
        )
        .unwrap();
        assert_eq!(c.allow_places[0].path, "a/b.json");
        assert_eq!(c.allow_places[0].line, 3);
        let p = problems(&format!(
            "[[allow]]\nreason = \"r\"\n[[allow]]\npath = \"a\"\nline = 0\nreason = \"r\"\n[[allow]]\nsha256 = \"{SHA}\"\npath = \"a\"\nline = 1\nreason = \"r\"\n"
        ));
        let keys: Vec<_> = p.iter().map(|p| p.key.clone().unwrap()).collect();
        assert_eq!(
            keys,
            ["allow[1].sha256", "allow[2].line", "allow[3].path"],
            "{p:#?}"
        );
    }

    #[test]
    fn every_validation_problem_is_reported_at_once() {
        let p = problems(&format!(
            "max-file-size = \"lots\"\n[[allow]]\nsha256 = \"{SHA}\"\nreason = \"  \"\n[[allow]]\nsha256 = \"{SHA}\"\nreason = \"dup\"\nkind = \"nope\"\n"
        ));
        let keys: Vec<_> = p.iter().map(|p| p.key.clone().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "max-file-size",
                "allow[1].reason",
                "allow[2].sha256",
                "allow[2].kind"
            ]
        );
    }
}
