//! What the text around a value says: the variable it is assigned to, whether a front-end
//! framework ships that variable to browsers, the Upstash host written nearby, which product a
//! password belongs to (the host written with it: same URL, object, call or statement), and
//! whether a rule's required context is present. Runs only for candidates a decoder accepted.

use crate::decode::{host_number, HOST_SUFFIXES as UPSTASH_SUFFIXES};
use crate::finding::{Details, Kind};
use regex::bytes::Regex;
use std::sync::LazyLock;

/// Lines either side of a value searched for an Upstash host.
pub const HOST_LINES: usize = 5;
/// Lines either side of a Vector/Search token searched for the product's name.
pub const PRODUCT_LINES: usize = 5;

/// Bytes either side of a value that a context window may span, however long the lines.
const WINDOW_CAP: usize = 2048;

/// `NAME = `, `"NAME": `, `NAME => `, `("NAME", `: the name (1), what closes it (2: quotes,
/// brackets) and the separator (3).
static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?-u)([A-Za-z_][A-Za-z0-9_.\-]*)((?:\\?["'`\]\)])*)\s*(=|:=|=>|:|,)\s*(?:\\?["'`])?\s*$"#,
    )
    .expect("variable regex")
});

/// Top-level domains a dotted "name" ends with when it is a host, not a key.
const HOST_SUFFIXES: [&str; 12] = [
    "io", "com", "net", "org", "dev", "app", "cloud", "co", "ai", "sh", "local", "internal",
];

/// A name and the indirection that gives the value as its default (`UPSTASH_API_KEY="${3:-`,
/// `${NAME:-`, `getenv("NAME") ?? "`, `.get('NAME') or '`, `env::var("NAME").unwrap_or("`,
/// `NAME ?= `): the value is that name's.
static INDIRECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?-u)([A-Za-z_][A-Za-z0-9_]*)["'`]?\)?\s*(?:\?\?|\|\||\?:|\bor\b|\?=|:-|:=|=\s*["']?\$\{[0-9]+:-|\.(?:unwrap_or|orElse|getOrElse)\()\s*["'`]?$"#,
    )
    .expect("indirection regex")
});

/// A URL's scheme and user name, up to the `:` before its password (`rediss://default:`), or
/// just the scheme when the userinfo is the password alone (`redis://PASSWORD@host`).
static URL_USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)[a-z][a-z0-9+.\-]*://(?:[^\s'"`@/:]*:)?$"#).expect("userinfo regex")
});

/// An Upstash host: a host name ending with one of [`UPSTASH_SUFFIXES`] (those the Redis URL
/// decoder accepts). Searched in [`Lowered`] text, so written in lowercase and
/// case-sensitive: the same matches as `(?i)` over the text as written, found with the
/// regex's literal prefilter (which a case-insensitive host name, with its many literal
/// forms, goes without).
static HOST: LazyLock<Regex> = LazyLock::new(|| {
    let suffixes: Vec<String> = UPSTASH_SUFFIXES.iter().map(|d| regex::escape(d)).collect();
    Regex::new(&format!(
        r"(?-u)\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*(?:{})\b",
        suffixes.join("|")
    ))
    .expect("host regex")
});

/// [`UPSTASH_SUFFIXES`], each to be found on its own.
static HOST_WORDS: LazyLock<[memchr::memmem::Finder<'static>; UPSTASH_SUFFIXES.len()]> =
    LazyLock::new(|| UPSTASH_SUFFIXES.map(|d| memchr::memmem::Finder::new(d.as_bytes())));

/// The matches of [`HOST`] in lowercased `text`, those `find_iter` gives, with the regex run
/// only over the stretch that can hold one. Every match is made of host bytes
/// (`[a-z0-9.-]`) and ends with one of [`UPSTASH_SUFFIXES`]: none starts before the run of
/// host bytes around the first suffix written, nor ends after the last (one byte more is
/// searched, for the `\b` after it). Where no suffix is written, the regex does not run.
fn hosts(text: &[u8]) -> impl Iterator<Item = regex::bytes::Match<'_>> {
    let mut first = None::<usize>;
    let mut last = None::<usize>;
    for word in HOST_WORDS.iter() {
        let mut found = word.find_iter(text);
        if let Some(at) = found.next() {
            first = Some(first.map_or(at, |f| f.min(at)));
            let end = found.last().unwrap_or(at) + word.needle().len();
            last = Some(last.map_or(end, |l| l.max(end)));
        }
    }
    let (mut pos, text) = match (first, last) {
        (Some(first), Some(last)) => {
            let host_byte = |b: &u8| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-');
            let run = text[..first]
                .iter()
                .rposition(|b| !host_byte(b))
                .map_or(0, |i| i + 1);
            (run, &text[..(last + 1).min(text.len())])
        }
        _ => (0, &b""[..]),
    };
    std::iter::from_fn(move || {
        let m = HOST.find_at(text, pos)?;
        pos = m.end();
        Some(m)
    })
}

/// A Vector or Search product named (in [`Lowered`] text, as [`HOST`]).
static PRODUCT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)upstash[_/\-.]?(vector|search)|(vector|search)[_\-]?rest|-(vector|search)\.upstash\.io")
        .expect("product regex")
});

/// The text around one value, ASCII-lowercased once for the case-insensitive searches of its
/// context (every window of it lies within [`WINDOW_CAP`] bytes of the value): there a
/// required word is found with memmem, and [`HOST`] runs case-sensitively with its literal
/// prefilter. Lowercasing ASCII keeps every byte where it was, so positions are the text's.
#[derive(Debug, Default)]
pub struct Lowered {
    /// Where in the text `lower` begins.
    start: usize,
    lower: Vec<u8>,
}

impl Lowered {
    /// Lowercases the text around `hay[at..end]` (the buffer is reused).
    pub fn fill(&mut self, hay: &[u8], at: usize, end: usize) {
        let hi = (end + WINDOW_CAP).min(hay.len());
        let lo = at.saturating_sub(WINDOW_CAP).min(hi);
        self.start = lo;
        self.lower.clear();
        self.lower
            .extend(hay[lo..hi].iter().map(u8::to_ascii_lowercase));
    }

    /// `hay[lo..hi]` lowercased; the range lies in what [`Lowered::fill`] took.
    pub fn get(&self, lo: usize, hi: usize) -> &[u8] {
        &self.lower[lo - self.start..hi - self.start]
    }
}

/// Prefixes of environment variables that front-end build tools inline into browser bundles.
pub const BROWSER_PREFIXES: [&str; 8] = [
    "NEXT_PUBLIC_",
    "VITE_",
    "REACT_APP_",
    "EXPO_PUBLIC_",
    "NUXT_PUBLIC_",
    "GATSBY_",
    "VUE_APP_",
    "PUBLIC_",
];

/// Byte range `[start, end)` spanning `lines` lines either side of `[at, at_end)`: from just
/// after the `lines + 1`-th newline before `at` to the `lines + 1`-th newline from `at_end`,
/// each side at most [`WINDOW_CAP`] bytes long.
pub fn window(hay: &[u8], at: usize, at_end: usize, lines: usize) -> (usize, usize) {
    let lo_cap = at.saturating_sub(WINDOW_CAP);
    let start = memchr::memrchr_iter(b'\n', &hay[lo_cap..at])
        .nth(lines)
        .map_or(lo_cap, |i| lo_cap + i + 1);
    let hi_cap = (at_end + WINDOW_CAP).min(hay.len());
    let from = at_end.min(hay.len());
    let end = memchr::memchr_iter(b'\n', &hay[from..hi_cap])
        .nth(lines)
        .map_or(hi_cap, |i| from + i);
    (start, end)
}

/// The variable or key a value at `at` is assigned to, read from the same line. For the
/// password of a URL (`KV_URL="redis://default:PASSWORD@...`) it is the variable the URL is
/// assigned to, not the URL's user name.
pub fn variable_before(hay: &[u8], at: usize) -> Option<String> {
    let floor = at.saturating_sub(256);
    let line_start = memchr::memrchr(b'\n', &hay[floor..at]).map_or(floor, |i| floor + i + 1);
    let mut prefix = &hay[line_start..at];
    if let Some(m) = url_userinfo(prefix) {
        prefix = &prefix[..m];
    }
    let caps = VARIABLE
        .captures(prefix)
        .or_else(|| INDIRECT.captures(prefix))?;
    let name = std::str::from_utf8(caps.get(1)?.as_bytes()).ok()?;
    // `("KEY", value)` pairs a quoted key with its value; after a bare word a comma only
    // separates arguments (`connect(host, token)`): the word is not what the value is
    // assigned to.
    let quoted = caps.get(2).is_some_and(|c| {
        c.as_bytes()
            .iter()
            .any(|b| matches!(b, b'"' | b'\'' | b'`'))
    });
    if caps.get(3).is_some_and(|s| s.as_bytes() == b",") && !quoted {
        return None;
    }
    // A host written before the value (`"eu1-x.upstash.io": "TOKEN"`, `host.io,TOKEN`) names
    // where the value is used, not a variable.
    if is_host_name(name) {
        return None;
    }
    let name = environment_name(name);
    (!name.is_empty()).then(|| name.to_string())
}

/// Where [`URL_USERINFO`] matches in `prefix`. Every match holds `://`: without it, the regex
/// (which a case-insensitive scheme leaves without a prefilter) need not run.
fn url_userinfo(prefix: &[u8]) -> Option<usize> {
    memchr::memmem::find(prefix, b"://")?;
    URL_USERINFO.find(prefix).map(|m| m.start())
}

/// Whether a dotted name is a host name: its last label a top-level domain.
fn is_host_name(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((_, tld)) => HOST_SUFFIXES.iter().any(|t| tld.eq_ignore_ascii_case(t)),
        None => false,
    }
}

/// `process.env.X`, `import.meta.env.X`, `os.environ.X`, `ENV.X`, `this.X`: the variable is `X`.
/// Other dotted names (`upstash.redis.password` in a properties file) are keys in their own
/// right and are kept whole.
fn environment_name(name: &str) -> &str {
    let mut after_env = None;
    let mut offset = 0;
    for part in name.split('.') {
        offset += part.len() + 1;
        if part.eq_ignore_ascii_case("env") || part.eq_ignore_ascii_case("environ") {
            after_env = Some(offset);
        }
    }
    match after_env {
        Some(i) if i < name.len() => &name[i..],
        _ => name
            .strip_prefix("this.")
            .or_else(|| name.strip_prefix("self."))
            .unwrap_or(name),
    }
}

/// Whether a variable is one front-end build tools inline into browser code (the last
/// component of a dotted name is what they read).
pub fn is_browser_variable(name: &str) -> bool {
    let name = name.rsplit('.').next().unwrap_or(name);
    BROWSER_PREFIXES
        .iter()
        .any(|p| name.starts_with(p) && name.len() > p.len())
}

/// The Upstash host of the value's own product nearest to `at` within the window (a Redis
/// host says nothing about a Vector token written beside it). `lower` holds the text
/// around the value.
pub fn nearest_host(
    lower: &Lowered,
    (ws, we): (usize, usize),
    at: usize,
    kind: Kind,
) -> Option<String> {
    let index = |h: &[u8]| {
        let label = h
            .split(|&b| b == b'.')
            .next()
            .unwrap_or(h)
            .to_ascii_lowercase();
        label.ends_with(b"-vector") || label.ends_with(b"-search")
    };
    let qstash = |h: &[u8]| h.to_ascii_lowercase().starts_with(b"qstash");
    let wanted = |h: &[u8]| match kind {
        Kind::VectorToken
        | Kind::VectorTokenReadonly
        | Kind::SearchToken
        | Kind::SearchTokenReadonly => index(h),
        Kind::QstashToken | Kind::QstashSigningKey => qstash(h),
        Kind::DeveloperApiKey => false,
        Kind::KafkaPassword => host_product(h) == Some(Owner::Kafka),
        _ => host_product(h) == Some(Owner::Redis),
    };
    hosts(lower.get(ws, we))
        .filter(|m| wanted(m.as_bytes()))
        .map(|m| (ws + m.start(), m.as_bytes()))
        .min_by_key(|(pos, _)| pos.abs_diff(at))
        .map(|(_, h)| String::from_utf8_lossy(h).into_owned())
}

/// The product a password belongs to: the one whose host (or name) is written with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Redis,
    Kafka,
    /// A host that is not Upstash's is written with it (`{ host: "localhost", password }`).
    Other,
}

/// A host written as a literal in an object or call: `host: "..."`, `url="..."`, `Addr: "..."`,
/// `brokers: ["..."` (in [`Lowered`] text, as [`HOST`]).
static HOST_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?-u)\b(?:host(?:name)?|url|endpoint|addr(?:ess)?|brokers?|servers?)\b["'`]?\s*(?:=|:)\s*[\[(]?\s*["'`][a-z0-9]"#,
    )
    .expect("host key regex")
});

/// Redis or Kafka, for an Upstash host (`*-kafka.upstash.io` and `*-rest-kafka.upstash.io` are
/// Kafka's); `None` for a host of another product (an index, QStash, the API).
pub fn host_product(host: &[u8]) -> Option<Owner> {
    let h = host.to_ascii_lowercase();
    let label = h.split(|&b| b == b'.').next().unwrap_or(&h);
    if label.ends_with(b"-kafka") {
        Some(Owner::Kafka)
    } else if label.ends_with(b"-vector")
        || label.ends_with(b"-search")
        || label.starts_with(b"qstash")
        || h.starts_with(b"api.")
    {
        None
    } else {
        Some(Owner::Redis)
    }
}

/// Redis or Kafka, from a name (`UPSTASH_KAFKA_REST_PASSWORD`, `new Kafka(`, `redisOptions`).
fn named_product(text: &[u8]) -> Option<Owner> {
    let t = text.to_ascii_lowercase();
    let has = |w: &[u8]| memchr::memmem::find(&t, w).is_some();
    match (has(b"kafka"), has(b"redis") || t.starts_with(b"kv_")) {
        (true, false) => Some(Owner::Kafka),
        (false, true) => Some(Owner::Redis),
        _ => None,
    }
}

/// The product of the Upstash host in `hay[lo..hi]` nearest to the value at `hay[at..end]`
/// (Redis or Kafka hosts only), by the bytes between them; `lower` holds the text around the
/// value.
fn nearest_product(lower: &Lowered, lo: usize, hi: usize, at: usize, end: usize) -> Option<Owner> {
    hosts(lower.get(lo, hi))
        .filter_map(|m| {
            let gap = if lo + m.end() <= at {
                at - (lo + m.end())
            } else {
                (lo + m.start()).saturating_sub(end)
            };
            Some((gap, host_product(m.as_bytes())?))
        })
        .min_by_key(|(gap, _)| *gap)
        .map(|(_, p)| p)
}

/// Which product the password at `hay[at..end]` belongs to (docs/formats.md §1.3): a password
/// is the credential of the host it is written with, not of a host a few lines away.
///
/// In order: the name it is assigned to (`UPSTASH_KAFKA_REST_PASSWORD`); the object or call
/// that holds it, innermost first (an Upstash host inside it, or its name before the bracket:
/// `new Kafka({`, `redis.Redis(`; a host of another service there makes it
/// [`Owner::Other`]); its own line (a URL or a command line); and last, the nearest Redis or
/// Kafka host within a few lines. In binary data (no lines, no syntax) only
/// the nearest host counts. `lower` holds the text around the value.
pub fn owner(
    hay: &[u8],
    lower: &Lowered,
    at: usize,
    end: usize,
    variable: Option<&str>,
    binary: bool,
) -> Option<Owner> {
    if let Some(p) = variable.and_then(|v| named_product(v.as_bytes())) {
        return Some(p);
    }
    if binary {
        let (lo, hi) = (
            at.saturating_sub(WINDOW_CAP),
            (end + WINDOW_CAP).min(hay.len()),
        );
        return nearest_product(lower, lo, hi, at, end);
    }
    let floor = at.saturating_sub(WINDOW_CAP);
    let ceiling = (end + WINDOW_CAP).min(hay.len());
    let mut open_from = at;
    let mut close_from = end;
    while let Some(open) = unmatched_open(hay, floor, open_from) {
        let close = unmatched_close(hay, close_from, ceiling).unwrap_or(ceiling);
        if let Some(p) = nearest_product(lower, open, close, at, end) {
            return Some(p);
        }
        if HOST_KEY.is_match(lower.get(open, close)) {
            // It names its host, and that host is not Upstash's.
            return Some(Owner::Other);
        }
        let line_start = memchr::memrchr(b'\n', &hay[floor..open]).map_or(floor, |i| floor + i + 1);
        let label = &hay[line_start.max(open.saturating_sub(64))..open];
        if let Some(p) = named_product(label) {
            return Some(p);
        }
        if close >= ceiling {
            break;
        }
        open_from = open;
        close_from = close + 1;
    }
    let (ls, le) = window(hay, at, end, 0);
    if let Some(p) = nearest_product(lower, ls, le, at, end) {
        return Some(p);
    }
    let (ws, we) = window(hay, at, end, HOST_LINES);
    nearest_product(lower, ws, we, at, end)
}

/// The nearest opening bracket before `from` (not before `floor`) that is not closed before
/// `from`.
fn unmatched_open(hay: &[u8], floor: usize, from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while i > floor {
        i -= 1;
        match hay[i] {
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    None
}

/// The nearest closing bracket at or after `from` (before `ceiling`) that closes a bracket
/// opened before `from`.
fn unmatched_close(hay: &[u8], from: usize, ceiling: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &b) in hay.iter().enumerate().take(ceiling).skip(from) {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    None
}

/// Whether a host agrees with what the value says of itself.
pub fn host_agrees(kind: Kind, details: &Details, host: &str) -> Option<bool> {
    match kind {
        Kind::RedisRestToken | Kind::RedisRestTokenReadonly | Kind::RedisUrl => {
            let n = details.database_number?;
            // Hosts of other products (a Vector index beside a Redis token) say nothing.
            if host.contains("-vector.") || host.contains("-search.") || host.starts_with("qstash")
            {
                return None;
            }
            Some(host_number(host) == Some(n))
        }
        Kind::VectorToken
        | Kind::VectorTokenReadonly
        | Kind::SearchToken
        | Kind::SearchTokenReadonly => {
            let ep = details.index_endpoint.as_deref()?;
            let label = host.split('.').next()?;
            if !(label.ends_with("-vector") || label.ends_with("-search")) {
                return None;
            }
            Some(
                label
                    .strip_suffix("-vector")
                    .or(label.strip_suffix("-search"))
                    == Some(ep),
            )
        }
        _ => None,
    }
}

/// Vector or Search, for a token of the shared layout: from its own host written nearby, else
/// the variable name, else the nearest product word in the window (`lower` holds the text
/// around the value).
pub fn product(
    hay: &[u8],
    lower: &Lowered,
    (ws, we): (usize, usize),
    at: usize,
    endpoint: Option<&str>,
    variable: Option<&str>,
) -> Option<&'static str> {
    let classify = |s: &[u8]| {
        let s = s.to_ascii_lowercase();
        if s.windows(6).any(|w| w == b"vector") {
            Some("vector")
        } else if s.windows(6).any(|w| w == b"search") {
            Some("search")
        } else {
            None
        }
    };
    if let Some(ep) = endpoint {
        let text = &hay[ws..we];
        for (suffix, p) in [
            ("-vector.upstash.io", "vector"),
            ("-search.upstash.io", "search"),
        ] {
            let host = format!("{ep}{suffix}");
            if memchr::memmem::find(text, host.as_bytes()).is_some() {
                return Some(p);
            }
        }
    }
    if let Some(p) = variable.and_then(|v| classify(v.as_bytes())) {
        return Some(p);
    }
    PRODUCT
        .find_iter(lower.get(ws, we))
        .min_by_key(|m| (ws + m.start()).abs_diff(at))
        .and_then(|m| classify(m.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_in_common_syntaxes() {
        let cases: [(&str, &str); 14] = [
            ("UPSTASH_REDIS_REST_TOKEN=", "UPSTASH_REDIS_REST_TOKEN"),
            ("KV_URL=\"redis://default:", "KV_URL"),
            ("  url: rediss://:", "url"),
            ("upstash.redis.password=", "upstash.redis.password"),
            ("window.env.VITE_UPSTASH_TOKEN = '", "VITE_UPSTASH_TOKEN"),
            ("this.token = '", "token"),
            ("curl 'https://x-1.upstash.io/get/k?_token=", "_token"),
            ("export KV_REST_API_TOKEN=\"", "KV_REST_API_TOKEN"),
            (
                "  \"UPSTASH_REDIS_REST_TOKEN\": \"",
                "UPSTASH_REDIS_REST_TOKEN",
            ),
            ("token: '", "token"),
            ("os.environ[\"QSTASH_TOKEN\"] = \"", "QSTASH_TOKEN"),
            ("  api_key = \"", "api_key"),
            ("const token = `", "token"),
            ("process.env.NEXT_PUBLIC_X = '", "NEXT_PUBLIC_X"),
        ];
        for (text, want) in cases {
            assert_eq!(
                variable_before(text.as_bytes(), text.len()).as_deref(),
                Some(want),
                "{text}"
            );
        }
        assert_eq!(variable_before(b"Authorization: Bearer ", 22), None);
        // A host or a bare argument before the value is no variable.
        for text in [
            "redis.connect(eu2-sought-mollusk-30143.upstash.io, ",
            "connect(host, ",
            "  \"eu2-sought-mollusk-30143.upstash.io\": \"",
            "eu2-sought-mollusk-30143.upstash.io:",
            "api.example.com=",
        ] {
            assert_eq!(variable_before(text.as_bytes(), text.len()), None, "{text}");
        }
        // A quoted key before a comma is one; a dotted key that is not a host stays whole.
        let text = "os.environ.setdefault(\"QSTASH_TOKEN\", \"";
        assert_eq!(
            variable_before(text.as_bytes(), text.len()).as_deref(),
            Some("QSTASH_TOKEN")
        );
        let text = "spring.redis.password=";
        assert_eq!(
            variable_before(text.as_bytes(), text.len()).as_deref(),
            Some("spring.redis.password")
        );
        // A value given as a name's default behind an indirection is that name's.
        let indirect: [(&str, &str); 8] = [
            ("UPSTASH_API_KEY=\"${3:-", "UPSTASH_API_KEY"),
            (
                "      - UPSTASH_API_KEY=${UPSTASH_API_KEY:-",
                "UPSTASH_API_KEY",
            ),
            ("key = process.env.UPSTASH_API_KEY ?? \"", "UPSTASH_API_KEY"),
            ("key = process.env.UPSTASH_API_KEY || '", "UPSTASH_API_KEY"),
            (
                "k = os.environ.get('UPSTASH_API_KEY') or '",
                "UPSTASH_API_KEY",
            ),
            ("$k = getenv('UPSTASH_API_KEY') ?: '", "UPSTASH_API_KEY"),
            (
                "let k = env::var(\"UPSTASH_API_KEY\").unwrap_or(\"",
                "UPSTASH_API_KEY",
            ),
            ("UPSTASH_API_KEY ?= ", "UPSTASH_API_KEY"),
        ];
        for (text, want) in indirect {
            assert_eq!(
                variable_before(text.as_bytes(), text.len()).as_deref(),
                Some(want),
                "{text}"
            );
        }
    }

    /// The owner of the (only) `PW` in `text`.
    fn owner_of(text: &str, binary: bool) -> Option<Owner> {
        let at = text.find("PW").expect("a PW marker");
        let mut lower = Lowered::default();
        lower.fill(text.as_bytes(), at, at + 2);
        owner(
            text.as_bytes(),
            &lower,
            at,
            at + 2,
            variable_before(text.as_bytes(), at).as_deref(),
            binary,
        )
    }

    #[test]
    fn a_password_belongs_to_the_host_written_with_it() {
        let redis = "calm-koala-31337.upstash.io";
        let kafka = "tidy-heron-5226-eu1-rest-kafka.upstash.io";
        let cases: [(String, Option<Owner>); 9] = [
            // Its name decides first.
            (format!("REDIS_HOST={redis}\nUPSTASH_KAFKA_REST_PASSWORD=PW"), Some(Owner::Kafka)),
            (format!("KAFKA_URL=https://{kafka}\nUPSTASH_REDIS_PASSWORD=PW"), Some(Owner::Redis)),
            // Then the object or call around it: a host inside, two lines from another.
            (
                format!("new Redis({{ host: \"{redis}\" }});\nnew Kafka({{\n  url: \"https://{kafka}\",\n  password: \"PW\",\n}});"),
                Some(Owner::Kafka),
            ),
            (
                format!("new Kafka({{ url: \"https://{kafka}\" }});\nnew Redis({{\n  host: \"{redis}\",\n  password: \"PW\",\n}});"),
                Some(Owner::Redis),
            ),
            // Its name before the bracket, when the host comes from elsewhere.
            (
                format!("new Redis({{ host: \"{redis}\" }});\nnew Kafka({{ url: process.env.URL, password: \"PW\" }});"),
                Some(Owner::Kafka),
            ),
            // A host of another service written with it.
            (
                format!("// {kafka}\nnew Redis({{ host: \"localhost\", password: \"PW\" }});"),
                Some(Owner::Other),
            ),
            // Its own line, then the nearest host.
            (format!("redis-cli -a PW -h {redis}\n# {kafka}"), Some(Owner::Redis)),
            (format!("HOST={redis}\nX=1\nURL={kafka}\nPASSWORD=PW"), Some(Owner::Kafka)),
            ("PASSWORD=PW".to_string(), None),
        ];
        for (text, want) in cases {
            assert_eq!(owner_of(&text, false), want, "{text}");
        }
        // In binary data, the nearest host.
        let bin = format!("\0\u{da}${redis}\u{da} PW\0\u{da}(${kafka}");
        assert_eq!(owner_of(&bin, true), Some(Owner::Redis));
    }

    /// [`window`] as it was written first, a byte at a time: the reference.
    fn window_by_bytes(hay: &[u8], at: usize, at_end: usize, lines: usize) -> (usize, usize) {
        let lo_cap = at.saturating_sub(WINDOW_CAP);
        let mut start = at;
        let mut seen = 0;
        while start > lo_cap {
            if hay[start - 1] == b'\n' {
                if seen == lines {
                    break;
                }
                seen += 1;
            }
            start -= 1;
        }
        let hi_cap = (at_end + WINDOW_CAP).min(hay.len());
        let mut end = at_end.min(hay.len());
        let mut seen = 0;
        while end < hi_cap {
            if hay[end] == b'\n' {
                if seen == lines {
                    break;
                }
                seen += 1;
            }
            end += 1;
        }
        (start, end)
    }

    /// Text with Upstash hosts, host keys and product names in every case, between brackets,
    /// quotes, whitespace and bytes that are not ASCII.
    fn mixed_case_text(rng: &mut fastrand::Rng) -> Vec<u8> {
        const PIECES: [&[u8]; 26] = [
            b"host: \"x",
            b"url='",
            b"eu1-calm-koala-31337.upstash.io",
            b"tidy-heron-5226-eu1-rest-kafka.upstash.io",
            b"x-vector.upstash.io",
            b"qstash.upstash.io",
            b"kv.vercel-storage.com",
            b"a.b.upstashdev.com",
            b"upstash",
            b"Host",
            b"hostname",
            b"url",
            b"brokers",
            b"vector",
            b"search",
            b"_rest",
            b"-",
            b".",
            b"=",
            b": ",
            b"\"",
            b"[",
            b"\n",
            b"\xc3\x89",
            b"\xff",
            b"_",
        ];
        let mut text = Vec::new();
        for _ in 0..rng.usize(..24) {
            let piece = PIECES[rng.usize(..PIECES.len())];
            text.extend(piece.iter().map(|&b| match rng.u8(..3) {
                0 => b.to_ascii_uppercase(),
                _ => b,
            }));
        }
        text
    }

    /// The lowercase, case-sensitive regexes over the lowered text find what the
    /// case-insensitive ones they replace found over the text as written: the same spans, the
    /// same bytes up to case.
    #[test]
    fn regexes_over_lowered_text_match_as_case_insensitive_ones() {
        let pairs: [(&Regex, &str); 3] = [
            (
                &HOST,
                r"(?i-u)\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:upstash\.io|kv\.vercel-storage\.com|upstashdev\.com)\b",
            ),
            (
                &PRODUCT,
                r"(?i-u)upstash[_/\-.]?(vector|search)|(vector|search)[_\-]?rest|-(vector|search)\.upstash\.io",
            ),
            (
                &HOST_KEY,
                r#"(?i-u)\b(?:host(?:name)?|url|endpoint|addr(?:ess)?|brokers?|servers?)\b["'`]?\s*(?:=|:)\s*[\[(]?\s*["'`][a-z0-9]"#,
            ),
        ];
        let pairs = pairs.map(|(new, old)| (new, Regex::new(old).expect("reference regex")));
        let mut rng = fastrand::Rng::with_seed(23);
        let mut found = [0; 3];
        for _ in 0..4000 {
            let text = mixed_case_text(&mut rng);
            let mut lower = Lowered::default();
            lower.fill(&text, 0, 0);
            let lowered = lower.get(0, text.len());
            assert_eq!(lowered, text.to_ascii_lowercase());
            let all: Vec<_> = HOST.find_iter(lowered).map(|m| m.range()).collect();
            let near: Vec<_> = hosts(lowered).map(|m| m.range()).collect();
            assert_eq!(near, all, "{:?}", String::from_utf8_lossy(&text));
            for (i, (new, old)) in pairs.iter().enumerate() {
                let want: Vec<_> = old
                    .find_iter(&text)
                    .map(|m| (m.range(), m.as_bytes().to_ascii_lowercase()))
                    .collect();
                let got: Vec<_> = new
                    .find_iter(lowered)
                    .map(|m| (m.range(), m.as_bytes().to_vec()))
                    .collect();
                assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&text));
                found[i] += want.len();
            }
        }
        assert!(found.iter().all(|&n| n > 500), "matches found: {found:?}");
    }

    #[test]
    fn url_userinfo_without_its_regex_where_there_is_no_scheme() {
        let mut rng = fastrand::Rng::with_seed(29);
        let pieces: [&[u8]; 9] = [
            b"REDIS",
            b"s://",
            b":/",
            b"//",
            b"default:",
            b"@",
            b" ",
            b"=",
            b"x",
        ];
        let mut found = 0;
        for _ in 0..3000 {
            let prefix: Vec<u8> = (0..rng.usize(..8))
                .flat_map(|_| pieces[rng.usize(..pieces.len())].iter().copied())
                .collect();
            let want = URL_USERINFO.find(&prefix).map(|m| m.start());
            assert_eq!(
                url_userinfo(&prefix),
                want,
                "{:?}",
                String::from_utf8_lossy(&prefix)
            );
            found += usize::from(want.is_some());
        }
        assert!(found > 300, "{found} found");
    }

    #[test]
    fn window_by_memchr_is_the_byte_loop() {
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..3000 {
            let len = match round % 3 {
                0 => rng.usize(..64),
                1 => rng.usize(..600),
                _ => rng.usize(..9000),
            };
            // Mostly lines of every length, some with no newline for kilobytes.
            let newline = [2, 40, 3000][rng.usize(..3)];
            let hay: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.usize(..newline) == 0 {
                        b'\n'
                    } else {
                        b'x'
                    }
                })
                .collect();
            let at = rng.usize(..=len);
            let at_end = rng.usize(at..=len);
            let lines = rng.usize(..70);
            assert_eq!(
                window(&hay, at, at_end, lines),
                window_by_bytes(&hay, at, at_end, lines),
                "len {len} at {at}..{at_end} lines {lines}"
            );
        }
    }

    #[test]
    fn window_spans_lines_but_is_capped() {
        let hay = b"a\nb\nc\nVALUE\nd\ne\nf\n";
        let at = 6;
        let (s, e) = window(hay, at, at + 5, 1);
        assert_eq!(&hay[s..e], b"c\nVALUE\nd");
        let long = vec![b'x'; 10_000];
        let (s, e) = window(&long, 5000, 5001, 3);
        assert_eq!((s, e), (5000 - WINDOW_CAP, 5001 + WINDOW_CAP));
    }

    #[test]
    fn host_agreement_uses_the_database_number() {
        let d = Details {
            database_number: Some(30143),
            ..Details::default()
        };
        assert_eq!(
            host_agrees(
                Kind::RedisRestToken,
                &d,
                "eu2-sought-mollusk-30143.upstash.io"
            ),
            Some(true)
        );
        assert_eq!(
            host_agrees(
                Kind::RedisRestToken,
                &d,
                "eu2-sought-mollusk-30144.upstash.io"
            ),
            Some(false)
        );
    }
}
