//! The scanner: bytes in, raw matches out. No I/O, no network, no global state; one
//! [`Scanner`] per thread, all sharing one compiled [`Matcher`].
//!
//! One pass of the rule set's multi-pattern regex over the bytes finds candidate spans; only
//! those are decoded. Where the CPU allows, the rules' [`Filter`] first finds the few places a
//! rule can start (with vector instructions) and the regex runs anchored there only, with the
//! same results as over every byte. A candidate whose decoder rejects it is searched again from its next byte
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
//! fonts, compiled code) costs a cheap byte-class pass instead of a regex pass (with the
//! filter, its pass over the whole buffer, keeping the candidates that lie in such a run).
//! Decoders and context windows still see the whole file. Rules whose decoder is for binary data only (a
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
use crate::rules::filter::Filter;
use crate::rules::Matcher;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use context::Owner;
use regex_automata::nfa::thompson::{backtrack, pikevm};
use regex_automata::util::captures::Captures;
use regex_automata::{meta, Anchored, Input, PatternID};

/// A rejected candidate shorter than this is searched again from its next byte.
const RESEARCH_LIMIT: usize = 4096;
/// Nested encodings (a base64 Kubernetes Secret value) are opened this many levels deep.
const MAX_DEPTH: u8 = 2;

pub struct Scanner<'m> {
    matcher: &'m Matcher,
    /// This scanner's cache for the matcher's general regex (or its PikeVM), made on first
    /// use: a run with the filter needs it rarely or never.
    slow: Option<Slow>,
    caps: Captures,
    /// This scanner's cache for the matcher's backtracker (group positions in a match).
    captures_cache: backtrack::Cache,
    /// The shortest match any rule can make: shorter text runs in binary data are skipped.
    min_run: usize,
    /// The rules searched for only in binary data, compiled apart (pattern N is rule
    /// `binary_rules[N]`), with their own cache.
    binary: Option<(meta::Regex, meta::Cache, Vec<usize>)>,
    /// Set while the binary-only rules are searched.
    in_binary: bool,
    /// This scanner's cache for the matcher's lazy DFA.
    dfa_cache: Option<regex_automata::hybrid::dfa::Cache>,
    /// Candidate positions from the rules' filter (kept to reuse the allocation).
    candidates: Vec<usize>,
    /// Whether candidates come from the rules' filter (when it has one and this CPU runs its
    /// vector path); if not, the regex runs over every byte. Tests set it to compare the ways.
    use_filter: bool,
    /// The text around the value being accepted, lowercased (kept to reuse the allocation).
    lowered: context::Lowered,
}

/// A scanner's cache for the matcher's general regex, or for its PikeVM when that regex could
/// not be built.
enum Slow {
    Meta(meta::Regex, Box<meta::Cache>),
    Pike(pikevm::Cache),
}

impl Slow {
    /// The scanner's, made (with the matcher's general regex, on the first call of the run)
    /// if `slot` has none yet.
    fn of<'s>(slot: &'s mut Option<Slow>, matcher: &Matcher) -> &'s mut Slow {
        slot.get_or_insert_with(|| match matcher.regex() {
            // A clone of the regex is a reference to it.
            Some(re) => Slow::Meta(re.clone(), Box::new(re.create_cache())),
            None => Slow::Pike(matcher.pikevm.create_cache()),
        })
    }

    /// The match for `input`.
    fn find(&mut self, matcher: &Matcher, input: &Input<'_>) -> Option<regex_automata::Match> {
        match self {
            Slow::Meta(re, cache) => re.search_with(cache, input),
            Slow::Pike(cache) => matcher.pikevm.find(cache, input.clone()),
        }
    }

    /// The match for `input` with its groups, into `caps`.
    fn captures(&mut self, matcher: &Matcher, input: &Input<'_>, caps: &mut Captures) {
        match self {
            Slow::Meta(re, cache) => re.search_captures_with(cache, input, caps),
            Slow::Pike(cache) => matcher.pikevm.search(cache, input, caps),
        }
    }
}

impl<'m> Scanner<'m> {
    pub fn new(matcher: &'m Matcher) -> Scanner<'m> {
        // The regex is shared (a clone is a reference); the cache is this scanner's.
        let binary = matcher
            .binary
            .as_ref()
            .map(|(re, rules)| (re.clone(), re.create_cache(), rules.clone()));
        Scanner {
            matcher,
            slow: None,
            dfa_cache: matcher.dfa.as_ref().map(|d| d.create_cache()),
            caps: matcher.captures.create_captures(),
            captures_cache: matcher.captures.create_cache(),
            min_run: matcher.shortest,
            binary,
            in_binary: false,
            candidates: Vec::new(),
            use_filter: matcher.filter.as_ref().is_some_and(Filter::simd),
            lowered: context::Lowered::default(),
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
        let filter = self.matcher.filter.as_ref().filter(|_| self.use_filter);
        // Binary data holds a NUL byte: the filter says so with its candidates, else memchr.
        let binary = match filter {
            Some(filter) => {
                self.candidates.clear();
                filter.candidates(hay, 0, hay.len(), &mut self.candidates)
            }
            None => memchr::memchr(0, hay).is_some(),
        };
        // Whether a run of text names Upstash (a host is text): only then can a binary-only
        // rule's context be there.
        let names_upstash = match (binary, filter) {
            (false, Some(_)) => {
                self.search_candidates(hay, None, depth, &mut lines, out);
                false
            }
            (false, None) => {
                self.search_every_byte(hay, 0, hay.len(), depth, &mut lines, out);
                false
            }
            (true, Some(_)) => {
                self.search_candidates(hay, Some(self.min_run), depth, &mut lines, out);
                memchr::memmem::find_iter(hay, b"upstash").any(|at| {
                    let (start, end) = text_run_around(hay, at);
                    end - start >= self.min_run
                })
            }
            (true, None) => {
                let mut at = 0;
                let mut names_upstash = false;
                while let Some((start, end)) = next_text_run(hay, at, self.min_run) {
                    self.search_every_byte(hay, start, end, depth, &mut lines, out);
                    names_upstash = names_upstash
                        || memchr::memmem::find(&hay[start..end], b"upstash").is_some();
                    at = end + 1;
                }
                names_upstash
            }
        };
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

    /// The regex over every byte of `hay[start..end]`.
    fn search_every_byte(
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
            let Some(m) = self.search_slow(&input) else {
                break;
            };
            pos = self.at_match(hay, m, end, depth, lines, out);
        }
    }

    /// The same matches as [`Scanner::search_every_byte`] over `hay` (or, with `min_run`,
    /// over each run of text at least that long, as binary data is scanned), with the regex
    /// run only where the rules' filter said a rule can start (`self.candidates`, the
    /// filter's for `hay`): at each candidate, in order,
    /// an anchored search finds the match the unanchored one would have found there (the
    /// leftmost start, then the first rule), and the next search starts where that one would
    /// have.
    fn search_candidates(
        &mut self,
        hay: &[u8],
        min_run: Option<usize>,
        depth: u8,
        lines: &mut LineCursor,
        out: &mut Vec<RawMatch>,
    ) {
        let candidates = std::mem::take(&mut self.candidates);
        let mut pos = 0;
        // The run of text the last candidate was in (binary data only).
        let mut run = (0, 0);
        for &at in &candidates {
            if at < pos {
                continue;
            }
            let mut end = hay.len();
            if let Some(min) = min_run {
                if at >= run.1 {
                    if !TEXT[usize::from(hay[at])] {
                        continue;
                    }
                    run = text_run_around(hay, at);
                }
                if run.1 - run.0 < min {
                    pos = run.1;
                    continue;
                }
                end = run.1;
            }
            if let Some(m) = self.anchored_at(hay, at, end) {
                pos = self.at_match(hay, m, end, depth, lines, out);
            }
        }
        self.candidates = candidates;
    }

    /// The match the rule set's regex finds starting exactly at `at` (ending by `end`): through
    /// the lazy DFA, or the meta regex where that gives up.
    fn anchored_at(&mut self, hay: &[u8], at: usize, end: usize) -> Option<regex_automata::Match> {
        self.search_dfa(&Input::new(hay).range(at..end).anchored(Anchored::Yes))
    }

    /// An anchored search (`input` says how: any rule, or one) through the lazy DFA, or the
    /// meta regex where that gives up.
    fn search_dfa(&mut self, input: &Input<'_>) -> Option<regex_automata::Match> {
        if let (Some(dfa), Some(cache)) = (&self.matcher.dfa, &mut self.dfa_cache) {
            if let Ok(found) = dfa.try_search_fwd(cache, input) {
                let start = input.start();
                return found.map(|h| regex_automata::Match::new(h.pattern(), start..h.offset()));
            }
        }
        self.search_slow(input)
    }

    /// A search through the matcher's general regex (or its PikeVM).
    fn search_slow(&mut self, input: &Input<'_>) -> Option<regex_automata::Match> {
        let m = self.matcher;
        Slow::of(&mut self.slow, m).find(m, input)
    }

    /// Decode the match `m` (or, if rejected, another rule's at its start); returns where the
    /// search goes on.
    fn at_match(
        &mut self,
        hay: &[u8],
        m: regex_automata::Match,
        end: usize,
        depth: u8,
        lines: &mut LineCursor,
        out: &mut Vec<RawMatch>,
    ) -> usize {
        let rule = m.pattern().as_usize();
        let accepted = self
            .candidate(hay, rule, m.range(), depth, lines, out)
            .or_else(|| self.same_start(hay, rule, m.start(), end, depth, lines, out));
        match accepted {
            Some(value_end) => value_end.max(m.start() + 1),
            None if m.len() <= RESEARCH_LIMIT => m.start() + 1,
            None => m.end().max(m.start() + 1),
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
            let Some(m) = self.search_dfa(&input) else {
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
            let searched = matcher.captures.try_search_slots(
                &mut self.captures_cache,
                &input,
                self.caps.slots_mut(),
            );
            match searched {
                Ok(pid) => self.caps.set_pattern(pid),
                // The span is too long for the backtracker's memory: the general regex.
                Err(_) => {
                    Slow::of(&mut self.slow, matcher).captures(matcher, &input, &mut self.caps)
                }
            }
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
        self.lowered.fill(hay, at, end);
        let lower = &self.lowered;
        let win = context::window(hay, at, end, rule.context_lines);
        if let Some(c) = &rule.context {
            if !c.is_match(&hay[win.0..win.1], lower.get(win.0, win.1)) {
                return None;
            }
        }
        let variable = context::variable_before(hay, at);
        if matches!(decoded.kind, Kind::RedisPassword | Kind::KafkaPassword) {
            // A password is the credential of the host it is written with: a rule that needs
            // an Upstash host beside it takes a password only when that host is its own
            // product's, and a Redis password rule never takes a Kafka one.
            let owner = context::owner(hay, lower, at, end, variable.as_deref(), self.in_binary);
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
                lower,
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
            .or_else(|| context::nearest_host(lower, host_win, at, kind));
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
                self.lowered.fill(hay, value.start, value.start);
                let outer = context::product(
                    hay,
                    &self.lowered,
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

/// The maximal run of text bytes around `hay[at]` (a text byte), as `(start, end)`.
fn text_run_around(hay: &[u8], at: usize) -> (usize, usize) {
    let start = hay[..at]
        .iter()
        .rposition(|&b| !TEXT[usize::from(b)])
        .map_or(0, |i| i + 1);
    let end = hay[at..]
        .iter()
        .position(|&b| !TEXT[usize::from(b)])
        .map_or(hay.len(), |n| at + n);
    (start, end)
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
/// Counted a chunk of at most 255 bytes at a time into a byte, which the compiler turns into
/// a vector loop adding 16 or 32 bytes at once (a match deep in a minified line of hundreds
/// of kilobytes has its column counted from the line's start).
fn chars(b: &[u8]) -> u64 {
    b.chunks(255)
        .map(|chunk| {
            // Continuation bytes, 0x80..=0xBF, are those below -64 as signed bytes.
            let continuation = chunk
                .iter()
                .fold(0u8, |n, &c| n.wrapping_add(u8::from((c as i8) < -64)));
            (chunk.len() - usize::from(continuation)) as u64
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::filter::Path;

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
    fn characters_are_the_bytes_that_do_not_continue_one() {
        let mut rng = fastrand::Rng::with_seed(13);
        for len in [0, 1, 254, 255, 256, 511, 1000, 70_000] {
            let text: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let want = text.iter().filter(|&&c| (c & 0xC0) != 0x80).count() as u64;
            assert_eq!(chars(&text), want, "{len} bytes");
        }
        assert_eq!(chars("héllo wörld ✓".as_bytes()), 13);
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

    /// Text made of the shipped rules' examples and negative examples, pieces of them, and
    /// noise, with and without NUL bytes.
    fn mixtures(matcher: &Matcher, rounds: usize) -> Vec<Vec<u8>> {
        let mut pieces: Vec<Vec<u8>> = Vec::new();
        for r in &matcher.rules {
            for (e, _) in &r.examples {
                pieces.push(e.as_bytes().to_vec());
            }
            for e in &r.negative_examples {
                pieces.push(e.as_bytes().to_vec());
            }
        }
        let noise: [&[u8]; 10] = [
            b" ",
            b"\n",
            b"\r\n",
            b"=",
            b"\"",
            b"\0",
            b"\xff\x01",
            b"/",
            b"+",
            b"_",
        ];
        let mut rng = fastrand::Rng::with_seed(5);
        (0..rounds)
            .map(|_| {
                let mut hay = Vec::new();
                for _ in 0..rng.usize(1..12) {
                    let p = &pieces[rng.usize(..pieces.len())];
                    match rng.u8(..6) {
                        0 => {
                            let a = rng.usize(..=p.len());
                            let b = rng.usize(a..=p.len());
                            hay.extend_from_slice(&p[a..b]);
                        }
                        1 => {
                            let n = rng.usize(..64);
                            hay.extend(std::iter::repeat_with(|| rng.u8(..)).take(n));
                        }
                        _ => hay.extend_from_slice(p),
                    }
                    hay.extend_from_slice(noise[rng.usize(..noise.len())]);
                }
                hay
            })
            .collect()
    }

    /// Scanners over the shipped rules: the regex over every byte (the path without a vector
    /// unit, and the only one on other architectures), candidates from the filter's
    /// one-position-at-a-time path, and from each vector path this CPU has (AVX-512, AVX2).
    struct Ways {
        every_byte: Scanner<'static>,
        scalar: Scanner<'static>,
        vector: Vec<(Path, Scanner<'static>)>,
    }

    impl Ways {
        fn new() -> Ways {
            // Leaked: a test's scanners live as long as the test.
            let on = |path: Path| -> Option<&'static Matcher> {
                let m = Box::leak(Box::new(
                    Matcher::load(&[] as &[&str]).expect("shipped rules"),
                ));
                m.filter_on(path).then_some(&*m)
            };
            let scalar_rules = on(Path::Scalar).expect("the shipped rules have a filter");
            let mut every_byte = Scanner::new(scalar_rules);
            every_byte.use_filter = false;
            let mut scalar = Scanner::new(scalar_rules);
            scalar.use_filter = true;
            let vector = [Path::Avx512, Path::Avx2]
                .into_iter()
                .filter_map(|p| on(p).map(|m| (p, Scanner::new(m))))
                .collect();
            Ways {
                every_byte,
                scalar,
                vector,
            }
        }

        fn rules(&self) -> &'static Matcher {
            self.scalar.matcher
        }

        /// Scans `hay` every way, asserts the same matches, and returns them.
        fn scan(&mut self, hay: &[u8]) -> Vec<RawMatch> {
            let expected = self.every_byte.scan(hay);
            assert_eq!(
                self.scalar.scan(hay),
                expected,
                "scalar filter: {:?}",
                String::from_utf8_lossy(hay)
            );
            for (path, scanner) in &mut self.vector {
                assert!(scanner.use_filter);
                assert_eq!(
                    scanner.scan(hay),
                    expected,
                    "{path:?} filter: {:?}",
                    String::from_utf8_lossy(hay)
                );
            }
            expected
        }
    }

    /// Where the rule set's general regex cannot be built, its PikeVM stands in: over every
    /// byte, it finds what the regex finds.
    #[test]
    fn the_pikevm_standing_in_for_the_regex_finds_the_same() {
        let mut ways = Ways::new();
        let rules = ways.rules();
        let mut pike = Scanner::new(rules);
        pike.use_filter = false;
        pike.slow = Some(Slow::Pike(rules.pikevm.create_cache()));
        let mut found = 0;
        for hay in mixtures(rules, 300) {
            let expected = ways.every_byte.scan(&hay);
            found += expected.len();
            assert_eq!(
                pike.scan(&hay),
                expected,
                "{:?}",
                String::from_utf8_lossy(&hay)
            );
        }
        assert!(matches!(pike.slow, Some(Slow::Pike(_))));
        assert!(found > 100, "{found} matches: the mixtures hold examples");
    }

    /// The filter only says where to run the regex: scanning with it (either path) finds
    /// exactly what running the regex over every byte finds.
    #[test]
    fn the_rules_filter_changes_no_result() {
        let mut ways = Ways::new();
        let (mut in_text, mut in_binary) = (0, 0);
        for hay in mixtures(ways.rules(), 3000) {
            let found = ways.scan(&hay).len();
            match hay.contains(&0) {
                true => in_binary += found,
                false => in_text += found,
            }
        }
        assert!(
            in_text > 500 && in_binary > 500,
            "the mixtures hold credentials, in text ({in_text}) and in binary data ({in_binary})"
        );
    }

    /// The same at every length from 0 to 100 bytes (where the vector path starts to run and
    /// where its last block ends), with credentials cut off by the end of the buffer or ending
    /// exactly there, in text and in binary data.
    #[test]
    fn the_rules_filter_changes_no_result_at_buffer_edges() {
        let mut ways = Ways::new();
        let mut rng = fastrand::Rng::with_seed(17);
        let mixes = mixtures(ways.rules(), 400);
        let examples: Vec<&[u8]> = ways
            .rules()
            .rules
            .iter()
            .flat_map(|r| r.examples.iter().map(|(e, _)| e.as_bytes()))
            .collect();
        const TEXTY: &[u8] = b" \n=:abcXYZ019";
        let mut found_at_end = 0;
        for len in 0..=100 {
            for round in 0..40 {
                let hay: Vec<u8> = match round % 4 {
                    // A piece of a mixture, from its start or from inside it.
                    0 | 1 => {
                        let m = &mixes[rng.usize(..mixes.len())];
                        let from = if round % 4 == 0 {
                            0
                        } else {
                            rng.usize(..=m.len().saturating_sub(len))
                        };
                        let mut h: Vec<u8> = m.iter().skip(from).take(len).copied().collect();
                        h.resize(len, b' ');
                        h
                    }
                    // A rule's example ending exactly at the end of the buffer, after text or
                    // binary bytes.
                    _ => {
                        let e = examples[rng.usize(..examples.len())];
                        let mut h: Vec<u8> = (0..len.saturating_sub(e.len()))
                            .map(|_| match round % 4 {
                                2 => TEXTY[rng.usize(..TEXTY.len())],
                                _ => rng.u8(..),
                            })
                            .collect();
                        h.extend_from_slice(&e[e.len().saturating_sub(len)..]);
                        h
                    }
                };
                assert_eq!(hay.len(), len);
                let found = ways.scan(&hay);
                found_at_end += found.iter().filter(|m| m.offset + m.len == len).count();
            }
        }
        assert!(
            found_at_end > 50,
            "credentials ending at the buffer's end were found: {found_at_end}"
        );
    }

    /// A match's groups are read by a backtracker over its span; a span too long for the
    /// backtracker's memory (a Terraform variable with a 96 KB description before its
    /// default) is read by the meta regex instead, with the same result.
    #[test]
    fn a_value_at_the_end_of_a_very_long_match_is_still_found() {
        let matcher = Matcher::load(&[] as &[&str]).expect("shipped rules");
        let mut scanner = Scanner::new(&matcher);
        let key = "7a905ceb-a5cf-44b8-b3ca-efc2b85758ea";
        for words in [10, 8_000] {
            let description = "a long text ".repeat(words);
            let hay = format!(
                "variable \"upstash_api_key\" {{\n  description = \"{description}\"\n  \
                 default = \"{key}\"\n}}\nprovider \"upstash\" {{}}\n"
            );
            let found = scanner.scan(hay.as_bytes());
            assert_eq!(found.len(), 1, "{words} words: {found:?}");
            assert_eq!(found[0].secret, key);
            assert_eq!((found[0].line, found[0].column), (3, 14));
        }
        let span = 8_000 * "a long text ".len();
        let states = matcher.captures.get_nfa().states().len();
        assert!(
            span > matcher.captures.max_haystack_len(),
            "the long span ({span} bytes, {states} NFA states) must exceed the backtracker's"
        );
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
