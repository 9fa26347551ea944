//! The scanner: bytes in, raw matches out. No I/O, no network, no global state; one
//! [`Scanner`] per thread, all sharing one compiled [`Matcher`].
//!
//! One pass of the rule set's multi-pattern regex over the bytes finds candidate spans; only
//! those are decoded. A candidate whose decoder rejects it is searched again from its next byte
//! (when short), so a rejected wide match (a URL on another host) cannot hide a real token
//! inside it.

pub mod context;

use crate::decode::{self, DecoderKind};
use crate::finding::{Context, Kind, RawMatch};
use crate::rules::Matcher;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use regex_automata::util::captures::Captures;
use regex_automata::{meta, Anchored, Input};

/// A rejected candidate shorter than this is searched again from its next byte.
const RESEARCH_LIMIT: usize = 4096;
/// Nested encodings (a base64 Kubernetes Secret value) are opened this many levels deep.
const MAX_DEPTH: u8 = 2;

pub struct Scanner<'m> {
    matcher: &'m Matcher,
    cache: meta::Cache,
    caps: Captures,
}

impl<'m> Scanner<'m> {
    pub fn new(matcher: &'m Matcher) -> Scanner<'m> {
        Scanner {
            matcher,
            cache: matcher.regex.create_cache(),
            caps: matcher.regex.create_captures(),
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
        let mut pos = 0;
        while pos < hay.len() {
            let input = Input::new(hay).range(pos..);
            let Some(m) = self.matcher.regex.search_with(&mut self.cache, &input) else {
                break;
            };
            let accepted = self.candidate(
                hay,
                m.pattern().as_usize(),
                m.range(),
                depth,
                &mut lines,
                out,
            );
            pos = match accepted {
                Some(end) => end.max(m.start() + 1),
                None if m.len() <= RESEARCH_LIMIT => m.start() + 1,
                None => m.end().max(m.start() + 1),
            };
        }
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
        let rule = matcher.rule(rule_index);
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
        let at = value.start;
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
            DecoderKind::Hex32 | DecoderKind::UuidV4 => {
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
        let mut details = decoded.details;
        if rule.kind == Kind::DeveloperApiKey {
            details.email = email_near(&hay[win.0..win.1]);
        }
        let variable = context::variable_before(hay, at);
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
            out.push(m);
        }
        Some(value.end)
    }
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
