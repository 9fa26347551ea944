//! Rules in three stages: as written ([`syntax`]), checked ([`Rule`]), and compiled into one
//! multi-pattern [`Matcher`] that finds every rule's candidates in a single pass over the bytes.

pub(crate) mod filter;
pub(crate) mod heads;
pub mod load;
pub mod syntax;
mod word;

use crate::decode::DecoderKind;
use crate::finding::Kind;
use anyhow::{anyhow, bail, Context as _, Result};
use regex_automata::nfa::thompson::{self, backtrack::BoundedBacktracker, pikevm::PikeVM};
use regex_automata::util::syntax as re_syntax;
use regex_automata::{hybrid, meta};
use regex_syntax::hir::Hir;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

pub use load::Sourced;

/// Lines either side of a value searched for a rule's `context` when the rule does not say.
pub const DEFAULT_CONTEXT_LINES: usize = 3;

/// The rule set as one lazy DFA with a start state for each pattern, or `None` if it cannot
/// be built (then every search goes through the meta regex).
fn lazy_dfa(nfa: &thompson::NFA) -> Option<hybrid::dfa::DFA> {
    hybrid::dfa::DFA::builder()
        .configure(hybrid::dfa::DFA::config().starts_for_each_pattern(true))
        .build_from_nfa(nfa.clone())
        .ok()
}

/// For each rule, the bytes a match of it can start with, read off its heads (none for a
/// rule searched in binary data only; every byte where a head is empty).
fn first_bytes(rules: &[Rule]) -> Vec<[bool; 256]> {
    rules
        .iter()
        .map(|r| {
            let mut set = [false; 256];
            for h in &r.heads {
                match h.classes.first() {
                    Some(class) => class.bytes().for_each(|b| set[usize::from(b)] = true),
                    None => return [true; 256],
                }
            }
            set
        })
        .collect()
}

/// The heads of every rule searched in text (see [`heads`]; a rule searched in binary data
/// only has none).
fn text_heads(rules: &[Rule]) -> Vec<heads::Head> {
    rules.iter().flat_map(|r| r.heads.iter().copied()).collect()
}

/// The backtracker's memory for one search, in bytes (a bit per NFA state and byte of the
/// span): enough for every span a rule's match makes in practice; a longer one goes to the
/// meta regex.
const CAPTURES_VISITED: usize = 1 << 20;

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    pub description: String,
    pub pattern: String,
    pub decoder: DecoderKind,
    pub context: Option<Context>,
    pub context_lines: usize,
    pub references: Vec<String>,
    pub examples: Vec<(String, Kind)>,
    pub negative_examples: Vec<String>,
    /// The file the rule came from.
    pub source: String,
    /// The pattern parsed, for the matcher (which compiles every rule's together): parsed
    /// once, here.
    pub(crate) hir: Hir,
    /// Where a match can begin ([`heads::rule_heads`]), for the matcher's filter and its
    /// first bytes; none for a rule searched in binary data only. Worked out here, in
    /// [`load::checked`]'s two lanes.
    pub(crate) heads: Vec<heads::Head>,
}

/// The regex syntax rules are written in: bytes, ASCII classes (`\w`, `\b`, `(?i)`).
pub fn syntax_config() -> re_syntax::Config {
    re_syntax::Config::new().unicode(false).utf8(false)
}

/// The largest NFA a rule's pattern may compile to: the limit the matcher's regex has.
const NFA_SIZE_LIMIT: usize = 10 << 20;

impl Rule {
    /// Check one rule as written. Patterns are compiled here too, so an error names the rule.
    pub fn check(s: &Sourced) -> Result<Rule> {
        let r = &s.rule;
        let at = || format!("rule {:?} in {}", r.id, s.source);
        if r.id.trim().is_empty() || r.id.chars().any(char::is_whitespace) {
            bail!("{}: id must be non-empty and without spaces", at());
        }
        let kind = Kind::parse(&r.kind).ok_or_else(|| {
            anyhow!(
                "{}: unknown kind {:?} (known: {})",
                at(),
                r.kind,
                known_kinds()
            )
        })?;
        let decoder = DecoderKind::parse(&r.decoder).ok_or_else(|| {
            let names: Vec<_> = DecoderKind::NAMES.iter().map(|(n, _)| *n).collect();
            anyhow!(
                "{}: unknown decoder {:?} (known: {})",
                at(),
                r.decoder,
                names.join(", ")
            )
        })?;
        // The pattern parsed, and compiled alone only when that could fail or tell something
        // the parsed pattern does not: the matcher compiles every rule's together afterwards.
        let hir = re_syntax::parse_with(&r.pattern, &syntax_config())
            .with_context(|| format!("{}: pattern does not compile", at()))?;
        let props = hir.properties();
        if !surely_compiles(&hir) || props.minimum_len() == Some(0) {
            let nfa = thompson::Compiler::new()
                .configure(thompson::Config::new().nfa_size_limit(Some(NFA_SIZE_LIMIT)))
                .build_from_hir(&hir)
                .with_context(|| format!("{}: pattern does not compile", at()))?;
            let single = PikeVM::new_from_nfa(nfa)
                .with_context(|| format!("{}: pattern does not compile", at()))?;
            if single.is_match(&mut single.create_cache(), b"".as_slice()) {
                bail!("{}: pattern matches the empty string", at());
            }
        }
        let has = |name: &str| has_group(&hir, name);
        if decoder == DecoderKind::RedisUrl && !(has("secret") && has("host")) {
            bail!(
                "{}: a redis-url rule needs groups named `secret` and `host`",
                at()
            );
        }
        if matches!(
            decoder,
            DecoderKind::Hex32 | DecoderKind::UuidV4 | DecoderKind::Base64Nested
        ) && !has("secret")
        {
            bail!(
                "{}: a `{}` rule needs a group named `secret`",
                at(),
                decoder.name()
            );
        }
        let context = match &r.context {
            None => None,
            Some(c) => Some(
                Context::new(c).with_context(|| format!("{}: context does not compile", at()))?,
            ),
        };
        let mut examples = Vec::new();
        for e in &r.examples {
            let k = match e.kind() {
                None => kind,
                Some(k) => Kind::parse(k)
                    .ok_or_else(|| anyhow!("{}: example names unknown kind {k:?}", at()))?,
            };
            examples.push((e.text().to_string(), k));
        }
        Ok(Rule {
            id: r.id.clone(),
            name: r.name.clone(),
            kind,
            description: r.description.trim().to_string(),
            pattern: r.pattern.clone(),
            decoder,
            context,
            context_lines: r.context_lines.unwrap_or(DEFAULT_CONTEXT_LINES),
            references: r.references.clone(),
            examples,
            negative_examples: r.negative_examples.clone(),
            source: s.source.clone(),
            heads: if decoder.binary_only() {
                Vec::new()
            } else {
                heads::rule_heads(&hir)
            },
            hir,
        })
    }
}

/// Most units [`nfa_units`] counts in a pattern that is not compiled when checked: each
/// costs the NFA compiler at most [`BYTES_PER_UNIT`] (a test holds it to that), so the
/// pattern fits [`NFA_SIZE_LIMIT`] with room to spare.
const MAX_UNITS: usize = 20_000;
const BYTES_PER_UNIT: usize = 128;
const _: () = assert!(MAX_UNITS * BYTES_PER_UNIT * 2 <= NFA_SIZE_LIMIT);

/// Whether the pattern surely compiles to an NFA within the size limit: few units, and no
/// Unicode word boundary (the one look-around whose compile can fail).
fn surely_compiles(hir: &Hir) -> bool {
    !hir.properties().look_set().contains_word_unicode() && nfa_units(hir) <= MAX_UNITS
}

/// A bound on what the pattern's NFA holds: a unit for each byte of a literal, range of a
/// byte class, state of a group, look-around or branch, 32 for each range of a Unicode
/// class (its UTF-8 sequences), and as many copies of a repeated part as the compiler makes.
fn nfa_units(hir: &Hir) -> usize {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(lit) => lit.0.len().max(1),
        HirKind::Class(Class::Bytes(c)) => c.ranges().len() + 1,
        HirKind::Class(Class::Unicode(c)) => c.ranges().len().saturating_mul(32) + 1,
        HirKind::Capture(c) => nfa_units(&c.sub).saturating_add(2),
        HirKind::Repetition(r) => {
            let copies = usize::try_from(r.max.unwrap_or(r.min).max(r.min))
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            copies.saturating_mul(nfa_units(&r.sub).saturating_add(2))
        }
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts
            .iter()
            .fold(parts.len(), |sum, p| sum.saturating_add(nfa_units(p))),
    }
}

/// Whether the pattern has a group of this name (what its NFA's groups would say: a group
/// the parser dropped, in a part repeated no times, is in neither).
fn has_group(hir: &Hir, name: &str) -> bool {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) => c.name.as_deref() == Some(name) || has_group(&c.sub, name),
        HirKind::Repetition(r) => has_group(&r.sub, name),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            parts.iter().any(|p| has_group(p, name))
        }
        HirKind::Empty | HirKind::Look(_) | HirKind::Literal(_) | HirKind::Class(_) => false,
    }
}

/// A rule's `context`: a regex that must match in the lines around a value.
///
/// Parsed when the rule is checked (a bad one is an error there), compiled on its first use:
/// most runs meet few of them, and several rules share one (the matcher gives rules with the
/// same context one compiled form, [`Matcher::new`]).
#[derive(Debug, Clone)]
pub struct Context {
    source: String,
    compiled: Arc<(Hir, OnceLock<Compiled>)>,
}

/// A context compiled for what it does, a yes or no over a few kilobytes per accepted value:
/// a lazy DFA alone. The full DFA and the literal prefilter a general-purpose regex builds
/// cost up to half a millisecond each (a case-insensitive host name has many literal forms);
/// the required word, looked for in the lowercased text, does a prefilter's work.
#[derive(Debug)]
struct Compiled {
    /// `None` only if a pattern shown to compile did not (then the context is taken as met:
    /// a value reported too many rather than one missed).
    regex: Option<meta::Regex>,
    /// A word every match contains, ignoring ASCII case (see [`word`]), lowercase: where the
    /// text lacks it, the regex need not run. `None` when none can be shown.
    word: Option<memchr::memmem::Finder<'static>>,
}

impl Compiled {
    fn new(hir: &Hir) -> std::result::Result<Compiled, Box<meta::BuildError>> {
        let regex = meta::Regex::builder()
            .configure(
                meta::Config::new()
                    .utf8_empty(false)
                    .dfa(false)
                    .auto_prefilter(false)
                    .which_captures(thompson::WhichCaptures::None)
                    .nfa_size_limit(Some(NFA_SIZE_LIMIT)),
            )
            .build_from_hir(hir)
            .map_err(Box::new)?;
        let word = word::required_word(hir).map(|w| memchr::memmem::Finder::new(&w).into_owned());
        Ok(Compiled {
            regex: Some(regex),
            word,
        })
    }
}

impl Context {
    /// Parse a context; compile it now only when that could fail (as [`Rule::check`] does
    /// with a pattern), so that the error names the rule.
    fn new(source: &str) -> Result<Context> {
        let hir = re_syntax::parse_with(source, &syntax_config())?;
        let once = OnceLock::new();
        if !surely_compiles(&hir) {
            let _ = once.set(Compiled::new(&hir)?);
        }
        Ok(Context {
            source: source.to_string(),
            compiled: Arc::new((hir, once)),
        })
    }

    fn compiled(&self) -> &Compiled {
        let (hir, once) = &*self.compiled;
        once.get_or_init(|| {
            Compiled::new(hir).unwrap_or(Compiled {
                regex: None,
                word: None,
            })
        })
    }

    /// The context as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether it matches somewhere in `hay`; `lower` is `hay` ASCII-lowercased.
    pub fn is_match(&self, hay: &[u8], lower: &[u8]) -> bool {
        debug_assert_eq!(hay.len(), lower.len());
        let compiled = self.compiled();
        if let Some(word) = &compiled.word {
            if word.find(lower).is_none() {
                return false;
            }
        }
        compiled.regex.as_ref().is_none_or(|r| r.is_match(hay))
    }

    /// The required word, if any (tests).
    #[cfg(test)]
    pub(crate) fn word(&self) -> Option<&[u8]> {
        self.compiled().word.as_ref().map(|f| f.needle())
    }

    /// The compiled regex alone, without its word (tests).
    #[cfg(test)]
    pub(crate) fn regex(&self) -> &meta::Regex {
        self.compiled()
            .regex
            .as_ref()
            .expect("a shipped context compiles")
    }

    /// Whether two contexts share one compiled form (tests).
    #[cfg(test)]
    fn shares(&self, other: &Context) -> bool {
        Arc::ptr_eq(&self.compiled, &other.compiled)
    }
}

/// The binary-only rules' patterns compiled together, with the rule of each pattern.
fn binary_regex(rules: &[Rule]) -> Option<(meta::Regex, Vec<usize>)> {
    let binary_rules: Vec<usize> = (0..rules.len())
        .filter(|&i| rules[i].decoder.binary_only())
        .collect();
    if binary_rules.is_empty() {
        return None;
    }
    let hirs: Vec<&Hir> = binary_rules.iter().map(|&i| &rules[i].hir).collect();
    let re = meta::Regex::builder()
        .configure(meta::Config::new().utf8_empty(false))
        .build_many_from_hir(&hirs)
        .ok()?;
    Some((re, binary_rules))
}

/// The shortest match any rule's pattern can make (at least 1).
fn shortest_match(rules: &[Rule]) -> usize {
    rules
        .iter()
        .map(|r| r.hir.properties().minimum_len().unwrap_or(usize::MAX))
        .min()
        .unwrap_or(1)
        .max(1)
}

fn known_kinds() -> String {
    Kind::ALL.map(Kind::as_str).join(", ")
}

/// Group indexes a rule's pattern names, resolved once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Groups {
    pub secret: Option<usize>,
    pub user: Option<usize>,
    pub host: Option<usize>,
    pub port: Option<usize>,
}

impl Groups {
    pub fn any(&self) -> bool {
        self.secret.is_some() || self.host.is_some()
    }
}

/// What [`Matcher::new`] builds from the rule set's NFA, on its own thread while the filter is
/// built on another: the fields of the same names in [`Matcher`], and the NFA.
struct Automata {
    nfa: thompson::NFA,
    dfa: Option<hybrid::dfa::DFA>,
    binary: Option<(meta::Regex, Vec<usize>)>,
    pikevm: PikeVM,
    captures: BoundedBacktracker,
}

/// Every rule compiled into one multi-pattern regex (pattern N is rule N), built once per run
/// and shared by every scanning thread.
#[derive(Debug)]
pub struct Matcher {
    pub rules: Vec<Rule>,
    /// The rule set as a general-purpose regex (see [`Matcher::regex`]), made on first use.
    regex: OnceLock<Option<meta::Regex>>,
    /// Each rule's parsed pattern as the rule set holds it (binary-only rules' as one that
    /// matches nothing), for [`Matcher::regex`].
    hirs: Vec<Hir>,
    /// The rule set's NFA run one state set at a time: slow, but needs nothing built. It
    /// stands in for [`Matcher::regex`] when that cannot be built.
    pub(crate) pikevm: PikeVM,
    pub(crate) groups: Vec<Groups>,
    /// `first[r][b]`: whether rule `r`'s pattern here can match starting with byte `b` (the
    /// scanner tries, at a place one rule rejected, only the rules that can start there).
    pub(crate) first: Vec<[bool; 256]>,
    /// The rule set as one lazy DFA with a start state per rule: the anchored search at each
    /// candidate goes through it. `None` if it could not be built.
    pub(crate) dfa: Option<hybrid::dfa::DFA>,
    /// Where a text rule can start, found without the regex; `None` when that cannot be told
    /// cheaply (then the regex runs over every byte).
    pub(crate) filter: Option<filter::Filter>,
    /// The rules searched for only in binary data, compiled apart (pattern N is rule
    /// `binary[N]`); `None` when there are none. Built once: every scanner shares it.
    pub(crate) binary: Option<(meta::Regex, Vec<usize>)>,
    /// The shortest match any rule's pattern can make (at least 1): the scanner skips
    /// shorter runs of text in binary data.
    pub(crate) shortest: usize,
    /// The rule set for reading a match's groups (`secret`, `host`, ...) once the DFA has
    /// found its span: a backtracker over the span alone, where the meta regex would first
    /// search it again with its own lazy DFAs (forward and reverse) and build their states
    /// in every thread.
    pub(crate) captures: BoundedBacktracker,
}

impl Matcher {
    pub fn new(mut rules: Vec<Rule>) -> Result<Matcher> {
        let mut seen = HashSet::new();
        for r in &rules {
            if !seen.insert(r.id.as_str()) {
                bail!(
                    "rule id {:?} is defined twice (again in {})",
                    r.id,
                    r.source
                );
            }
        }
        if rules.is_empty() {
            bail!("no rules to scan with");
        }
        // Rules with the same context share its compiled form: compiled once, on first use.
        let mut contexts: HashMap<String, Context> = HashMap::new();
        for c in rules.iter_mut().filter_map(|r| r.context.as_mut()) {
            match contexts.get(c.as_str()) {
                Some(first) => *c = first.clone(),
                None => {
                    contexts.insert(c.source.clone(), c.clone());
                }
            }
        }
        // Rules for binary data only are not part of the one pass over text: they take a pattern
        // here that never matches (pattern N stays rule N), and the scanner searches for them
        // apart, in binary files that name Upstash.
        let hirs: Vec<Hir> = rules
            .iter()
            .map(|r| {
                if r.decoder.binary_only() {
                    Hir::fail()
                } else {
                    r.hir.clone()
                }
            })
            .collect();
        // The automata on a second thread, kept off this one's CPU, while this one makes the
        // filter (the larger part: the second thread starts later).
        let (rest, filter) = crate::util::thread::both(
            || Matcher::automata(&rules, &hirs),
            || filter::Filter::new(&text_heads(&rules)),
        );
        let Automata {
            nfa,
            dfa,
            binary,
            pikevm,
            captures,
        } = rest?;
        let info = nfa.group_info().clone();
        let groups = (0..rules.len())
            .map(|i| {
                let pid = regex_automata::PatternID::new(i).expect("pattern id");
                Groups {
                    secret: info.to_index(pid, "secret"),
                    user: info.to_index(pid, "user"),
                    host: info.to_index(pid, "host"),
                    port: info.to_index(pid, "port"),
                }
            })
            .collect();
        let shortest = shortest_match(&rules);
        let first = first_bytes(&rules);
        Ok(Matcher {
            captures,
            rules,
            regex: OnceLock::new(),
            hirs,
            pikevm,
            groups,
            first,
            dfa,
            filter,
            binary,
            shortest,
        })
    }

    /// The rule set's automata (see [`Automata`]).
    fn automata(rules: &[Rule], hirs: &[Hir]) -> Result<Automata> {
        // One NFA of the rule set for the lazy DFA, the backtracker and the PikeVM.
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().nfa_size_limit(Some(NFA_SIZE_LIMIT)))
            .build_many_from_hir(hirs)
            .context("compiling the rule set")?;
        Ok(Automata {
            binary: binary_regex(rules),
            pikevm: PikeVM::new_from_nfa(nfa.clone()).context("compiling the rule set")?,
            captures: BoundedBacktracker::builder()
                .configure(BoundedBacktracker::config().visited_capacity(CAPTURES_VISITED))
                .build_from_nfa(nfa.clone())
                .context("compiling the rule set for captures")?,
            dfa: lazy_dfa(&nfa),
            nfa,
        })
    }

    /// The rule set as a general-purpose regex: for the search over every byte (where there is
    /// no filter), and the rare search the lazy DFA gives up on or span too long for the
    /// backtracker. Built on first use, since a run with the filter needs it rarely or never
    /// and its compile was a sixth of start-up; `None` if it cannot be built (the PikeVM
    /// does its work then).
    pub(crate) fn regex(&self) -> Option<&meta::Regex> {
        self.regex
            .get_or_init(|| {
                meta::Regex::builder()
                    .configure(
                        // No automatic literal prefilter: the rule set's literal prefixes are
                        // single letters that would fire everywhere; the lazy DFA over the
                        // bytes is faster (bench/run).
                        meta::Config::new()
                            .utf8_empty(false)
                            .auto_prefilter(false)
                            .nfa_size_limit(Some(NFA_SIZE_LIMIT)),
                    )
                    .build_many_from_hir(&self.hirs)
                    .ok()
            })
            .as_ref()
    }

    /// The shipped rules plus any from `extra` directories.
    pub fn load(extra: &[impl AsRef<Path>]) -> Result<Matcher> {
        Matcher::new(load::checked(extra, &[])?.rules?)
    }

    /// The filter rebuilt for one path (tests compare every path's results); `false`, and no
    /// filter, when this CPU does not run it.
    #[cfg(test)]
    pub(crate) fn filter_on(&mut self, path: filter::Path) -> bool {
        self.filter = filter::Filter::with_path(&text_heads(&self.rules), path);
        self.filter.is_some()
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule of this pattern and decoder checked, or its error as shown.
    fn check(pattern: &str, decoder: &str) -> std::result::Result<Rule, String> {
        let text = format!(
            "[[rule]]\nid = \"t.rule\"\nname = \"t\"\nkind = \"redis-password\"\n\
             description = \"t\"\npattern = '''{pattern}'''\ndecoder = \"{decoder}\"\n"
        );
        let sourced = load::parse("t.toml", &text).expect("rule file");
        Rule::check(&sourced[0]).map_err(|e| format!("{e:#}"))
    }

    /// A 32-hex rule with this context checked, or its error as shown.
    fn with_context(context: &str) -> std::result::Result<Rule, String> {
        let text = format!(
            "[[rule]]\nid = \"t.rule\"\nname = \"t\"\nkind = \"redis-password\"\n\
             description = \"t\"\npattern = '''(?P<secret>[0-9a-f]{{32}})'''\n\
             decoder = \"hex32\"\ncontext = '''{context}'''\n"
        );
        let sourced = load::parse("t.toml", &text).expect("rule file");
        Rule::check(&sourced[0]).map_err(|e| format!("{e:#}"))
    }

    /// A rule's context is parsed once: a bad one is reported by rule with the parser's reason,
    /// a good one keeps the word every match of it contains.
    #[test]
    fn a_context_is_checked_and_gets_its_word_from_one_parse() {
        let e = with_context(r"(?i)host\.(upstash").expect_err("unclosed group");
        assert!(
            e.contains("rule \"t.rule\" in t.toml: context does not compile")
                && e.contains("unclosed group"),
            "{e}"
        );
        let rule = with_context(r"(?i)[a-z0-9-]+\.UPSTASH\.io").expect("context");
        let context = rule.context.expect("a context");
        assert_eq!(context.word(), Some(&b".upstash.io"[..]));
        let text = b"host: calm-koala-1.Upstash.IO";
        assert!(context.is_match(text, &text.to_ascii_lowercase()));
        let other = b"host: calm-koala-1.example.io";
        assert!(!context.is_match(other, &other.to_ascii_lowercase()));
    }

    /// A context that cannot be shown to compile is compiled when its rule is checked, so
    /// that one too large is an error naming the rule; one that surely compiles waits for its
    /// first use and answers the same then.
    #[test]
    fn a_context_too_large_is_an_error_when_checked_not_when_used() {
        let e = with_context(r"(?:[a-z0-9]{1000}){1000}").expect_err("too large");
        assert!(
            e.contains("rule \"t.rule\" in t.toml: context does not compile"),
            "{e}"
        );
        let rule = with_context(r"(?i)host\.upstash\.io").expect("context");
        let context = rule.context.expect("a context");
        assert!(context.compiled.1.get().is_none(), "compiled before use");
        let text = b"HOST.upstash.io";
        assert!(context.is_match(text, &text.to_ascii_lowercase()));
        assert!(context.compiled.1.get().is_some());
    }

    /// Rules with the same context share one compiled form; others do not.
    #[test]
    fn rules_with_the_same_context_share_its_compiled_form() {
        let matcher = Matcher::load(&[] as &[&str]).expect("shipped rules");
        let contexts: Vec<&Context> = matcher
            .rules
            .iter()
            .filter_map(|r| r.context.as_ref())
            .collect();
        let mut shared = 0;
        for (i, a) in contexts.iter().enumerate() {
            for b in &contexts[i + 1..] {
                assert_eq!(a.shares(b), a.as_str() == b.as_str(), "{}", a.as_str());
                shared += usize::from(a.shares(b));
            }
        }
        assert!(shared > 0, "no two shipped rules share a context");
    }

    /// The bytes a rule can start with, read off its heads, include every byte its anchored
    /// lazy DFA leaves the dead state on, whatever comes before (the scanner tries a rule at a
    /// place only where its first bytes allow).
    #[test]
    fn first_bytes_hold_every_byte_a_match_can_start_with() {
        use regex_automata::util::start;
        let matcher = Matcher::load(&[] as &[&str]).expect("shipped rules");
        let dfa = matcher.dfa.as_ref().expect("a lazy DFA");
        let mut cache = dfa.create_cache();
        let mut starting = 0;
        for (i, rule) in matcher.rules.iter().enumerate() {
            let pid = regex_automata::PatternID::new(i).expect("pattern id");
            for before in [None, Some(b'a'), Some(b' '), Some(b'\n'), Some(b'\\')] {
                let cfg = start::Config::new()
                    .anchored(regex_automata::Anchored::Pattern(pid))
                    .look_behind(before);
                let s = dfa.start_state(&mut cache, &cfg).expect("start state");
                for b in 0..=255u8 {
                    let next = dfa.next_state(&mut cache, s, b).expect("next state");
                    if !next.is_dead() {
                        starting += 1;
                        assert!(
                            matcher.first[i][usize::from(b)],
                            "{}: a match can start with {:?}",
                            rule.id,
                            char::from(b)
                        );
                    }
                }
            }
        }
        assert!(starting > 100, "{starting}");
    }

    #[test]
    fn a_bad_pattern_is_named_for_what_is_wrong() {
        let err = |p: &str, d: &str| check(p, d).expect_err(p);
        for p in [r"(?:a)?", r"\Bx*", r"a|", r"(?:(?P<secret>x){0})"] {
            let e = err(p, "hex32");
            assert!(
                e.contains("rule \"t.rule\" in t.toml: pattern matches the empty string"),
                "{p}: {e}"
            );
        }
        // Matches nothing, or nothing empty: accepted (a look-around alone takes no bytes but
        // an empty text has no word boundary).
        for p in [
            r"(?P<secret>[0-9a-f]{32})",
            r"(?P<secret>\b)",
            r"(?P<secret>[^\x00-\xff])",
        ] {
            check(p, "hex32").unwrap_or_else(|e| panic!("{p}: {e}"));
        }
        let e = err(r"(?P<secret>x", "hex32");
        assert!(e.contains("t.toml: pattern does not compile"), "{e}");
        // Too large for the NFA size limit: compiled when checked, and named.
        let e = err(r"(?P<secret>(?u:\w){2000}){20}", "hex32");
        assert!(e.contains("t.toml: pattern does not compile"), "{e}");
        assert!(e.contains("exceeded limit"), "{e}");
        // A group the parser drops (repeated no times) is no group.
        let e = err(r"x(?P<secret>y){0}z", "hex32");
        assert!(
            e.contains("a `hex32` rule needs a group named `secret`"),
            "{e}"
        );
        let e = err(r"(?P<secret>x)(?P<hosts>y)", "redis-url");
        assert!(e.contains("needs groups named `secret` and `host`"), "{e}");
        check(r"(?P<secret>x)(?:(?P<host>y)|z)+", "redis-url").expect("redis-url rule");
    }

    /// Every pattern [`surely_compiles`] passes compiles within [`BYTES_PER_UNIT`] a unit (and
    /// room for the few states every NFA has): shipped ones, random ones and large ones.
    #[test]
    fn patterns_with_few_units_compile_within_their_bound() {
        let mut patterns: Vec<String> = load::embedded()
            .expect("rules")
            .iter()
            .map(|s| s.rule.pattern.clone())
            .collect();
        patterns.extend(
            [
                r"(?u:\w){100}",
                r"(?u:\w+)[a-z]{3,}",
                r"(?i:upstash){50}",
                r"[a-z0-9]{1000}",
                r"(?:[\x00-\xff]|(?u:.)){200,300}",
                r"(?:a|bc|(?P<g>d{3,9})){40}",
                r"\B(?:\b\B){500}",
            ]
            .map(String::from),
        );
        let atoms = [
            "a",
            "[a-c]",
            "[0-9]",
            r"\b",
            "(?i:up)",
            "é",
            r"\s",
            ".",
            "(?u:é)",
            "[^a]",
            "(?u:[a-zé])",
            "(?u:\\d)",
            "xyz",
        ];
        fn gen(rng: &mut fastrand::Rng, atoms: &[&str], depth: u32) -> String {
            match if depth > 3 { 0 } else { rng.u32(0..6) } {
                0 | 1 => atoms[rng.usize(..atoms.len())].to_string(),
                2 => (0..rng.usize(1..6))
                    .map(|_| gen(rng, atoms, depth + 1))
                    .collect(),
                3 => format!(
                    "(?:{})",
                    (0..rng.usize(1..5))
                        .map(|_| gen(rng, atoms, depth + 1))
                        .collect::<Vec<_>>()
                        .join("|")
                ),
                4 => format!(
                    "(?:{}){}",
                    gen(rng, atoms, depth + 1),
                    ["*", "+", "?", "{2}", "{3,}", "{0,2}", "{1,40}", "{20}", "{0}"]
                        [rng.usize(..9)]
                ),
                _ => format!("(?P<g{}>{})", rng.u32(..), gen(rng, atoms, depth + 1)),
            }
        }
        let mut rng = fastrand::Rng::with_seed(9);
        patterns.extend((0..2000).map(|_| gen(&mut rng, &atoms, 0)));
        let mut most = 0.0f64;
        let mut checked = 0;
        for p in &patterns {
            let hir = re_syntax::parse_with(p, &syntax_config()).expect(p);
            if !surely_compiles(&hir) {
                continue;
            }
            checked += 1;
            let units = nfa_units(&hir);
            let limit = (units + 64) * BYTES_PER_UNIT;
            let nfa = thompson::Compiler::new()
                .configure(thompson::Config::new().nfa_size_limit(Some(limit)))
                .build_from_hir(&hir)
                .unwrap_or_else(|e| panic!("{p}: {units} units: {e}"));
            most = most.max(nfa.memory_usage() as f64 / (units + 64) as f64);
        }
        // Not a pass by skipping: most patterns are under the bound and were compiled.
        assert!(
            checked > patterns.len() * 3 / 4,
            "{checked} of {} patterns compiled",
            patterns.len()
        );
        eprintln!(
            "most bytes a unit: {most:.1}, {checked} of {}",
            patterns.len()
        );
    }
}
