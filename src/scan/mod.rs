//! The scanner: bytes in, raw matches out. No I/O, no network, no global state; one
//! [`Scanner`] per thread, all sharing one compiled [`Matcher`].
//!
//! One pass of the rule set's multi-pattern regex over the bytes finds candidate spans; only
//! those are decoded. A candidate whose decoder rejects it is searched again from its next byte
//! (when short), so a rejected wide match (a URL on another host) cannot hide a real token
//! inside it.
//!
//! Rules are independent: when one rule's candidate is rejected, the other rules that can
//! match at the same place are tried there before the search moves on (a Kafka password and a
//! Redis password are written the same way; the host written with them decides which rule
//! takes it).
//!
//! Binary files are scanned too, but only where text could be: in bytes holding a NUL, the
//! regex runs over each run of printable ASCII (and whitespace) at least as long as the
//! shortest match any rule can make, and skips the rest. Credentials and the names written
//! beside them are ASCII, so nothing a rule can find is lost, and random binary data (images,
//! fonts, compiled code) costs a cheap byte-class pass instead of a regex pass. Decoders and
//! context windows still see the whole file. Rules whose decoder is for binary data only (a
//! bare password stored in compiled code, framed by length and type bytes) are searched over
//! the whole of a binary file that names an Upstash host, and nowhere else.
//!
//! Around the scanner, in this folder: [`pool`] drives inputs through it (one worker per
//! thread), [`history`] does the same for a repository's history, [`aggregate`] folds matches
//! into one finding per secret, and [`lint`] checks rules by scanning their examples.

pub mod aggregate;
#[cfg(test)]
mod archive_bench;
pub mod context;
pub(crate) mod history;
pub(crate) mod lint;
pub(crate) mod pool;

use crate::decode::{self, DecoderKind};
use crate::finding::{Context, Kind, RawMatch};
use crate::rules::Matcher;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use context::Owner;
use regex_automata::util::captures::Captures;
use regex_automata::{meta, Anchored, Input, PatternID};

/// A rejected candidate shorter than this is searched again from its next byte.
const RESEARCH_LIMIT: usize = 4096;
/// Nested encodings (a base64 Kubernetes Secret value) are opened this many levels deep.
const MAX_DEPTH: u8 = 2;

pub struct Scanner<'m> {
    matcher: &'m Matcher,
    cache: meta::Cache,
    caps: Captures,
    /// The shortest match any rule can make: shorter text runs in binary data are skipped.
    min_run: usize,
    /// The rules searched for only in binary data, compiled apart (pattern N is rule
    /// `binary_rules[N]`), with their own cache.
    binary: Option<(meta::Regex, meta::Cache, Vec<usize>)>,
    /// Set while the binary-only rules are searched.
    in_binary: bool,
}

impl<'m> Scanner<'m> {
    pub fn new(matcher: &'m Matcher) -> Scanner<'m> {
        let binary_rules: Vec<usize> = (0..matcher.rules.len())
            .filter(|&i| matcher.rules[i].decoder.binary_only())
            .collect();
        let binary = (!binary_rules.is_empty())
            .then(|| {
                let patterns: Vec<&str> = binary_rules
                    .iter()
                    .map(|&i| matcher.rules[i].pattern.as_str())
                    .collect();
                meta::Regex::builder()
                    .syntax(crate::rules::syntax_config())
                    .configure(meta::Config::new().utf8_empty(false))
                    .build_many(&patterns)
                    .ok()
            })
            .flatten()
            .map(|re| {
                let cache = re.create_cache();
                (re, cache, binary_rules)
            });
        Scanner {
            matcher,
            cache: matcher.regex.create_cache(),
            caps: matcher.regex.create_captures(),
            min_run: shortest_match(matcher),
            binary,
            in_binary: false,
        }
    }

    pub fn matcher(&self) -> &'m Matcher {
        self.matcher
    }

    /// Every credential in `hay`, in order of position.
    pub fn scan(&mut self, hay: &[u8]) -> Vec<RawMatch> {
        let mut out = Vec::new();
        self.scan_into(hay, 0, &mut out);
        out
    }

    fn scan_into(&mut self, hay: &[u8], depth: u8, out: &mut Vec<RawMatch>) {
        let mut lines = LineCursor::default();
        if memchr::memchr(0, hay).is_none() {
            self.search_range(hay, 0, hay.len(), depth, &mut lines, out);
            return;
        }
        let mut at = 0;
        // Whether a run of text names Upstash (a host is text): only then can a binary-only
        // rule's context be there.
        let mut names_upstash = false;
        while let Some((start, end)) = next_text_run(hay, at, self.min_run) {
            self.search_range(hay, start, end, depth, &mut lines, out);
            names_upstash =
                names_upstash || memchr::memmem::find(&hay[start..end], b"upstash").is_some();
            at = end + 1;
        }
        if names_upstash {
            self.search_binary(hay, depth, &mut lines, out);
        }
    }

    /// The binary-only rules over the whole of a binary `hay` (one that names Upstash).
    fn search_binary(
        &mut self,
        hay: &[u8],
        depth: u8,
        lines: &mut LineCursor,
        out: &mut Vec<RawMatch>,
    ) {
        let Some((re, mut cache, rules)) = self.binary.take() else {
            return;
        };
        let mut caps = re.create_captures();
        let before = out.len();
        self.in_binary = true;
        let mut pos = 0;
        while pos < hay.len() {
            let input = Input::new(hay).range(pos..);
            let Some(m) = re.search_with(&mut cache, &input) else {
                break;
            };
            let mut accepted = None;
            // The first pattern matching here, then the others that match here too.
            let first = m.pattern().as_usize();
            for p in std::iter::once(first).chain((0..rules.len()).filter(|&p| p != first)) {
                let input = Input::new(hay)
                    .range(m.start()..)
                    .anchored(Anchored::Pattern(PatternID::must(p)));
                re.search_captures_with(&mut cache, &input, &mut caps);
                let Some(whole) = caps.get_match() else {
                    continue;
                };
                let value = caps
                    .get_group_by_name("secret")
                    .map_or(whole.range(), |g| g.range());
                accepted = self.accept(hay, rules[p], value, Parts::default(), depth, lines, out);
                if accepted.is_some() {
                    break;
                }
            }
            pos = accepted.unwrap_or(m.start() + 1).max(m.start() + 1);
        }
        self.in_binary = false;
        if out.len() > before {
            out.sort_by_key(|m| m.offset);
        }
        self.binary = Some((re, cache, rules));
    }

    /// Every candidate that lies within `hay[start..end]` (look-arounds see the bytes around).
    fn search_range(
        &mut self,
        hay: &[u8],
        start: usize,
        end: usize,
        depth: u8,
        lines: &mut LineCursor,
        out: &mut Vec<RawMatch>,
    ) {
        let mut pos = start;
        while pos < end {
            let input = Input::new(hay).range(pos..end);
            let Some(m) = self.matcher.regex.search_with(&mut self.cache, &input) else {
                break;
            };
            let rule = m.pattern().as_usize();
            let accepted = self
                .candidate(hay, rule, m.range(), depth, lines, out)
                .or_else(|| self.same_start(hay, rule, m.start(), end, depth, lines, out));
            pos = match accepted {
                Some(value_end) => value_end.max(m.start() + 1),
                None if m.len() <= RESEARCH_LIMIT => m.start() + 1,
                None => m.end().max(m.start() + 1),
            };
        }
    }

    /// After `rejected`'s candidate at `at` failed: the other rules that match at `at` too, in
    /// rule order, until one is accepted. Returns where its value ended.
    #[allow(clippy::too_many_arguments)]
    fn same_start(
        &mut self,
        hay: &[u8],
        rejected: usize,
        at: usize,
        end: usize,
        depth: u8,
        lines: &mut LineCursor,
        out: &mut Vec<RawMatch>,
    ) -> Option<usize> {
        let b = usize::from(*hay.get(at)?);
        for rule in 0..self.matcher.first.len() {
            if rule == rejected
                || !self.matcher.first[rule][b]
                || self.matcher.rules[rule].decoder.binary_only()
            {
                continue;
            }
            let input = Input::new(hay)
                .range(at..end)
                .anchored(Anchored::Pattern(PatternID::new(rule).ok()?));
            let Some(m) = self.matcher.regex.search_with(&mut self.cache, &input) else {
                continue;
            };
            if let Some(value_end) = self.candidate(hay, rule, m.range(), depth, lines, out) {
                return Some(value_end);
            }
        }
        None
    }

    /// Decode one candidate; on success push its matches and return where the value ended.
    fn candidate(
        &mut self,
        hay: &[u8],
        rule_index: usize,
        span: std::ops::Range<usize>,
        depth: u8,
        lines: &mut LineCursor,
        out: &mut Vec<RawMatch>,
    ) -> Option<usize> {
        let matcher = self.matcher;
        let groups = matcher.groups[rule_index];
        let group = |caps: &Captures, i: Option<usize>| -> Option<std::ops::Range<usize>> {
            caps.get_group(i?).map(|s| s.range())
        };
        let mut value = span.clone();
        let (mut user, mut host, mut port) = (None, None, None);
        if groups.any() {
            let input = Input::new(hay)
                .range(span.clone())
                .anchored(Anchored::Pattern(
                    regex_automata::PatternID::new(rule_index).ok()?,
                ));
            matcher
                .regex
                .search_captures_with(&mut self.cache, &input, &mut self.caps);
            if !self.caps.is_match() {
                return None;
            }
            value = group(&self.caps, groups.secret).unwrap_or(span.clone());
            user = group(&self.caps, groups.user);
            host = group(&self.caps, groups.host);
            port = group(&self.caps, groups.port);
        }
        self.accept(
            hay,
            rule_index,
            value,
            Parts { user, host, port },
            depth,
            lines,
            out,
        )
    }

    /// Decode the value a rule's match marks; on success push its matches and return where the
    /// value ended.
    #[allow(clippy::too_many_arguments)]
    fn accept(
        &mut self,
        hay: &[u8],
        rule_index: usize,
        value: std::ops::Range<usize>,
        Parts { user, host, port }: Parts,
        depth: u8,
        lines: &mut LineCursor,
        out: &mut Vec<RawMatch>,
    ) -> Option<usize> {
        let matcher = self.matcher;
        let rule = matcher.rule(rule_index);
        let at = value.start;
        if rule.decoder.binary_only() && !self.in_binary {
            return None;
        }
        let decoded = match rule.decoder {
            DecoderKind::RedisRestToken => decode::redis_token(hay, at),
            DecoderKind::VectorToken => decode::vector_token(hay, at),
            DecoderKind::QstashToken => decode::qstash_token(hay, at),
            DecoderKind::QstashSigningKey => decode::signing_key(hay, at),
            DecoderKind::RedisUrl => decode::redis_url(
                user.map_or(&b""[..], |r| &hay[r]),
                &hay[value.clone()],
                &hay[host?],
                port.map(|r| &hay[r]),
            ),
            DecoderKind::Hex32
            | DecoderKind::UuidV4
            | DecoderKind::KafkaPassword
            | DecoderKind::Hex32Binary => {
                decode::context_value(rule.decoder, rule.kind, &hay[value.clone()])
            }
            DecoderKind::Base64Nested => {
                return self.nested(hay, rule_index, value, depth, lines, out);
            }
        }?;
        let end = at + decoded.written_len;
        let win = context::window(hay, at, end, rule.context_lines);
        if let Some(c) = &rule.context {
            if !c.is_match(&hay[win.0..win.1]) {
                return None;
            }
        }
        let variable = context::variable_before(hay, at);
        if matches!(decoded.kind, Kind::RedisPassword | Kind::KafkaPassword) {
            // A password is the credential of the host it is written with: a rule that needs
            // an Upstash host beside it takes a password only when that host is its own
            // product's, and a Redis password rule never takes a Kafka one.
            let owner = context::owner(hay, at, end, variable.as_deref(), self.in_binary);
            let wanted = match decoded.kind {
                Kind::KafkaPassword => Owner::Kafka,
                _ => Owner::Redis,
            };
            let ok = match owner {
                Some(o) if o == wanted => true,
                Some(Owner::Kafka) => false,
                _ => rule.context.is_none() && wanted == Owner::Redis,
            };
            if !ok {
                return None;
            }
        }
        let mut details = decoded.details;
        if rule.kind == Kind::DeveloperApiKey {
            details.email = email_near(&hay[win.0..win.1]);
        }
        let mut kind = decoded.kind;
        if matches!(kind, Kind::VectorToken | Kind::VectorTokenReadonly) {
            let host_win = context::window(hay, at, end, context::PRODUCT_LINES);
            let product = context::product(
                hay,
                host_win,
                at,
                details.index_endpoint.as_deref(),
                variable.as_deref(),
            );
            details.product = Some(product.unwrap_or("unknown"));
            if product == Some("search") {
                kind = if kind == Kind::VectorToken {
                    Kind::SearchToken
                } else {
                    Kind::SearchTokenReadonly
                };
            }
        }
        let host_win = context::window(hay, at, end, context::HOST_LINES);
        let host_near = details
            .url_host
            .clone()
            .or_else(|| context::nearest_host(hay, host_win, at, kind));
        let host_agrees = host_near
            .as_deref()
            .and_then(|h| context::host_agrees(kind, &details, h));
        let (line, column) = lines.locate(hay, at);
        out.push(RawMatch {
            rule: rule_index,
            kind,
            secret: decoded.secret,
            details,
            line,
            column,
            offset: at,
            len: decoded.written_len,
            context: Context {
                browser_exposed: variable
                    .as_deref()
                    .is_some_and(context::is_browser_variable),
                variable,
                host: host_near,
                host_agrees,
                encoding: decoded.encoding,
            },
        });
        Some(end)
    }

    /// A base64 value under an Upstash-looking key: decode it and scan what it holds. Matches
    /// inside are reported at the encoded value's position.
    fn nested(
        &mut self,
        hay: &[u8],
        rule_index: usize,
        value: std::ops::Range<usize>,
        depth: u8,
        lines: &mut LineCursor,
        out: &mut Vec<RawMatch>,
    ) -> Option<usize> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let decoded = STANDARD.decode(&hay[value.clone()]).ok()?;
        let mut inner = Vec::new();
        self.scan_into(&decoded, depth + 1, &mut inner);
        if inner.is_empty() {
            return None;
        }
        let (line, column) = lines.locate(hay, value.start);
        let variable = context::variable_before(hay, value.start);
        for mut m in inner {
            m.rule = rule_index;
            m.line = line;
            m.column = column;
            m.offset = value.start;
            m.len = value.len();
            m.context.encoding = Some("base64");
            if m.context.variable.is_none() {
                m.context.browser_exposed = variable
                    .as_deref()
                    .is_some_and(context::is_browser_variable);
                m.context.variable = variable.clone();
            }
            // The decoded value stood alone: the outer key may say Vector or Search.
            if m.details.product == Some("unknown") {
                let outer = context::product(
                    hay,
                    (value.start, value.start),
                    value.start,
                    None,
                    variable.as_deref(),
                );
                if let Some(p) = outer {
                    m.details.product = Some(p);
                    if p == "search" {
                        m.kind = match m.kind {
                            Kind::VectorTokenReadonly => Kind::SearchTokenReadonly,
                            _ => Kind::SearchToken,
                        };
                    }
                }
            }
            out.push(m);
        }
        Some(value.end)
    }
}

/// The parts of a URL a rule's pattern names besides its secret.
#[derive(Default)]
struct Parts {
    user: Option<std::ops::Range<usize>>,
    host: Option<std::ops::Range<usize>>,
    port: Option<std::ops::Range<usize>>,
}

/// The shortest match any rule's pattern can make (at least 1).
fn shortest_match(matcher: &Matcher) -> usize {
    matcher
        .rules
        .iter()
        .filter_map(|r| {
            regex_automata::util::syntax::parse_with(&r.pattern, &crate::rules::syntax_config())
                .ok()
        })
        .map(|hir| hir.properties().minimum_len().unwrap_or(usize::MAX))
        .min()
        .unwrap_or(1)
        .max(1)
}

/// Printable ASCII and ASCII whitespace: the bytes a credential and its context are made of.
static TEXT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b as u8, b'\t'..=b'\r' | b' '..=b'~');
        b += 1;
    }
    t
};

/// The next run of at least `min` text bytes at or after `from`, as `(start, end)`; the byte
/// before `from` (if any) is not text.
fn next_text_run(hay: &[u8], from: usize, min: usize) -> Option<(usize, usize)> {
    // One table lookup and a conditional reset per byte, no unpredictable branch: about a
    // nanosecond a byte, less than half of what the regex costs.
    let mut run = 0;
    let last = from
        + hay.get(from..)?.iter().position(|&b| {
            run = if TEXT[usize::from(b)] { run + 1 } else { 0 };
            run == min
        })?;
    let start = last + 1 - min;
    let end = hay[start + min..]
        .iter()
        .position(|&b| !TEXT[usize::from(b)])
        .map_or(hay.len(), |n| start + min + n);
    Some((start, end))
}

fn email_near(text: &[u8]) -> Option<String> {
    static EMAIL: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        regex::bytes::Regex::new(r"(?i-u)[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}")
            .expect("email regex")
    });
    EMAIL
        .find(text)
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
}

/// Turns increasing byte offsets into 1-based line and character columns without rescanning
/// from the start each time (a 20 MB single-line file with many matches stays linear).
#[derive(Default)]
struct LineCursor {
    offset: usize,
    line: u64,
    column: u64,
}

impl LineCursor {
    fn locate(&mut self, hay: &[u8], at: usize) -> (u64, u64) {
        if at < self.offset || self.line == 0 {
            *self = LineCursor {
                offset: 0,
                line: 1,
                column: 1,
            };
        }
        let between = &hay[self.offset..at];
        match memchr::memrchr(b'\n', between) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', between).count() as u64;
                self.column = 1 + chars(&between[last + 1..]);
            }
            None => self.column += chars(between),
        }
        self.offset = at;
        (self.line, self.column)
    }
}

/// Characters in UTF-8 text (bytes that are not continuation bytes; invalid bytes count one each).
fn chars(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| (c & 0xC0) != 0x80).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs of at least `min` text bytes, the slow obvious way.
    fn runs_naive(hay: &[u8], min: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < hay.len() {
            let start = i;
            while i < hay.len() && TEXT[usize::from(hay[i])] {
                i += 1;
            }
            if i - start >= min {
                out.push((start, i));
            }
            i += 1;
        }
        out
    }

    #[test]
    fn text_runs_in_binary_data_match_the_obvious_definition() {
        let mut rng = fastrand::Rng::with_seed(7);
        for len in [0, 1, 5, 6, 7, 64, 1000, 5000] {
            for min in [1, 2, 6, 32] {
                let hay: Vec<u8> = (0..len)
                    .map(|_| if rng.u8(..4) == 0 { b'a' } else { rng.u8(..) })
                    .collect();
                let mut got = Vec::new();
                let mut at = 0;
                while let Some((s, e)) = next_text_run(&hay, at, min) {
                    got.push((s, e));
                    at = e + 1;
                }
                assert_eq!(got, runs_naive(&hay, min), "len {len} min {min}");
            }
        }
    }

    #[test]
    fn credentials_in_binary_files_are_found_at_their_line_and_column() {
        let matcher = Matcher::load(&[] as &[&str]).expect("shipped rules");
        let mut scanner = Scanner::new(&matcher);
        let token = crate::decode::samples::current_token();
        let token = token.as_str();
        let mut hay = b"SQLite format 3\0\x01\x02\xff\n\x80".to_vec();
        hay.extend_from_slice(b"\x17UPSTASH_REDIS_REST_TOKEN=");
        hay.extend_from_slice(token.as_bytes());
        hay.extend_from_slice(b"\0\0\xfe");
        let found = scanner.scan(&hay);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].secret, token);
        assert_eq!((found[0].line, found[0].column), (2, 27));
        // The same bytes without the NUL are scanned whole, with the same result.
        let text: Vec<u8> = hay.iter().map(|&b| if b == 0 { 1 } else { b }).collect();
        let found = scanner.scan(&text);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].line, found[0].column), (2, 27));
    }
}
