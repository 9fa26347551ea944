//! The required word of a pattern: a word every match contains, ignoring ASCII case, read off
//! the parsed pattern. A rule's `context` runs over kilobytes around each accepted value;
//! where that text lacks the word (most of it, in a minified bundle), the regex cannot match
//! and need not run. The word is only ever a proof, never a guess: where none can be shown
//! (an alternation without a word common to every branch, a pattern of classes), there is
//! none, and the regex runs as it would without it.

use regex_syntax::hir::{Class, Hir, HirKind};

/// The longest word (ASCII-lowercased) that every match of `hir` contains, ignoring ASCII
/// case; `None` if no word can be shown to be there.
pub(crate) fn required_word(hir: &Hir) -> Option<Vec<u8>> {
    let mut runs = Vec::new();
    collect_runs(hir, &mut runs);
    let mut words: Vec<&[u8]> = runs
        .iter()
        .flat_map(|r| (0..r.len()).flat_map(move |a| (a + 1..=r.len()).map(move |b| &r[a..b])))
        .collect();
    words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    words.dedup();
    words
        .into_iter()
        .find(|w| contains(hir, w))
        .map(<[u8]>::to_vec)
}

/// What `hir` matches, ASCII-lowercased, when that is one fixed word up to ASCII case: a
/// literal, a class whose every byte lowercases to the same byte (`[Uu]`, as `(?i)u`
/// is written), or a group, sequence or alternation of such words alike.
fn chars(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Literal(l) => Some(l.0.to_ascii_lowercase()),
        HirKind::Class(class) => {
            let ranges: Vec<(u32, u32)> = match class {
                Class::Bytes(c) => c
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end())))
                    .collect(),
                // An alternation of letters (`(?:s|S)`) is made a class of characters.
                Class::Unicode(c) => c
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end())))
                    .collect(),
            };
            let mut bytes = ranges.into_iter().flat_map(|(a, b)| a..=b);
            let first = u8::try_from(bytes.next()?).ok()?.to_ascii_lowercase();
            bytes
                .all(|b| u8::try_from(b).is_ok_and(|b| b.to_ascii_lowercase() == first))
                .then(|| vec![first])
        }
        HirKind::Capture(c) => chars(&c.sub),
        HirKind::Concat(subs) => subs.iter().try_fold(Vec::new(), |mut word, s| {
            word.extend_from_slice(&chars(s)?);
            Some(word)
        }),
        // `(?:s|S)`: every branch the same word.
        HirKind::Alternation(subs) => {
            let first = chars(subs.first()?)?;
            subs[1..]
                .iter()
                .all(|s| chars(s).as_ref() == Some(&first))
                .then_some(first)
        }
        _ => None,
    }
}

/// Every run of fixed words in a concatenation anywhere in `hir` (and every lone one): the
/// places a required word can come from.
fn collect_runs(hir: &Hir, runs: &mut Vec<Vec<u8>>) {
    if let Some(w) = chars(hir) {
        runs.push(w);
        return;
    }
    match hir.kind() {
        HirKind::Concat(subs) => {
            let mut run = Vec::new();
            for sub in subs {
                match chars(sub) {
                    Some(w) => run.extend_from_slice(&w),
                    None => {
                        if !run.is_empty() {
                            runs.push(std::mem::take(&mut run));
                        }
                        collect_runs(sub, runs);
                    }
                }
            }
            if !run.is_empty() {
                runs.push(run);
            }
        }
        HirKind::Alternation(subs) => subs.iter().for_each(|s| collect_runs(s, runs)),
        HirKind::Capture(c) => collect_runs(&c.sub, runs),
        HirKind::Repetition(r) => collect_runs(&r.sub, runs),
        _ => {}
    }
}

/// Whether every match of `hir` contains `word` (lowercase), ignoring ASCII case.
fn contains(hir: &Hir, word: &[u8]) -> bool {
    let has = |w: &[u8]| memchr::memmem::find(w, word).is_some();
    if let Some(w) = chars(hir) {
        return has(&w);
    }
    match hir.kind() {
        // A run of fixed words in a row is matched as written; otherwise one part must have it.
        HirKind::Concat(subs) => {
            let mut run = Vec::new();
            for sub in subs {
                match chars(sub) {
                    Some(w) => {
                        run.extend_from_slice(&w);
                        if has(&run) {
                            return true;
                        }
                    }
                    None => {
                        if contains(sub, word) {
                            return true;
                        }
                        run.clear();
                    }
                }
            }
            false
        }
        HirKind::Alternation(subs) => subs.iter().all(|s| contains(s, word)),
        HirKind::Capture(c) => contains(&c.sub, word),
        HirKind::Repetition(r) => r.min >= 1 && contains(&r.sub, word),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::syntax_config;

    fn word(pattern: &str) -> Option<String> {
        let hir =
            regex_automata::util::syntax::parse_with(pattern, &syntax_config()).expect("pattern");
        required_word(&hir).map(|w| String::from_utf8(w).expect("ASCII"))
    }

    #[test]
    fn a_word_is_found_only_where_every_match_has_it() {
        let cases: [(&str, Option<&str>); 12] = [
            ("upstash", Some("upstash")),
            ("(?i)UpStash", Some("upstash")),
            (
                r"(?i)[a-z0-9][a-z0-9\-]*\.(?:upstash\.io|upstashdev\.com)",
                Some(".upstash"),
            ),
            (
                r"(?i)provider\s+.upstash.|upstash[_.\-]?email|api\.upstash\.com",
                Some("upstash"),
            ),
            (r"(?i)abc|def", None),
            (r"(?i)(?:upstash)?x", Some("x")),
            (r"(?i)(?:upstash)*", None),
            (r"(?i)(?:upstash){2,}", Some("upstash")),
            (r"(?i)up(?:s|S)tash", Some("upstash")),
            (r"[a-z]+", None),
            (r"(?i)(?P<x>kafka)\.upstash", Some("kafka.upstash")),
            (r"\bred\b", Some("red")),
        ];
        for (pattern, want) in cases {
            assert_eq!(word(pattern).as_deref(), want, "{pattern}");
        }
    }

    /// Random patterns over a small alphabet, and random text: wherever the pattern matches,
    /// the text (lowercased) holds the word.
    #[test]
    fn every_match_holds_the_word() {
        let mut rng = fastrand::Rng::with_seed(3);
        let atoms = [
            "ab",
            "Ab",
            "(?i)ab",
            "b",
            "a",
            "[aA]",
            "[ab]",
            ".",
            "(?:ab|ba)",
            "(?:ab|abc)",
            "(?i:ab|xab)",
            "(?:ab)?",
            "(?:ab)+",
            "x",
            "(a)",
            r"\b",
        ];
        let mut with_word = 0;
        for _ in 0..3000 {
            let pattern: String = (0..rng.usize(1..5))
                .map(|_| atoms[rng.usize(..atoms.len())])
                .collect::<Vec<_>>()
                .join(if rng.bool() { "" } else { "|" });
            let Some(w) = word(&pattern) else { continue };
            with_word += 1;
            let re = regex::bytes::RegexBuilder::new(&pattern)
                .unicode(false)
                .build()
                .expect("pattern");
            for _ in 0..30 {
                let text: Vec<u8> = (0..rng.usize(..12))
                    .map(|_| b"aAbBcx "[rng.usize(..7)])
                    .collect();
                if let Some(m) = re.find(&text) {
                    let lower = m.as_bytes().to_ascii_lowercase();
                    assert!(
                        memchr::memmem::find(&lower, w.as_bytes()).is_some(),
                        "{pattern:?} matched {:?} without {w:?}",
                        String::from_utf8_lossy(m.as_bytes())
                    );
                }
            }
        }
        assert!(with_word > 1000, "{with_word} patterns had a word");
    }

    /// Every shipped rule's context has a word, and the context with its word says what the
    /// regex alone says, over text holding the words and hosts in every case.
    #[test]
    fn shipped_contexts_have_words_that_change_no_answer() {
        let matcher = crate::rules::Matcher::load(&[] as &[&str]).expect("shipped rules");
        let contexts: Vec<_> = matcher
            .rules
            .iter()
            .filter_map(|r| r.context.as_ref())
            .collect();
        assert!(contexts.len() >= 5);
        for c in &contexts {
            let w = c.word().expect("a word");
            assert!(
                w.len() >= 5,
                "{}: {:?}",
                c.as_str(),
                String::from_utf8_lossy(w)
            );
        }
        let pieces: [&[u8]; 12] = [
            b"eu1-calm-koala-31337.upstash.io",
            b"tidy-heron-5226-eu1-rest-kafka.upstash.io",
            b"x.upstashdev.com",
            b"provider \"upstash\"",
            b"variable \"my_upstash",
            b"upstash_email",
            b"api.upstash.com",
            b"upstash",
            b"\n",
            b" ",
            b"-",
            b".",
        ];
        let mut rng = fastrand::Rng::with_seed(9);
        let mut matched = 0;
        for _ in 0..2000 {
            let mut text = Vec::new();
            for _ in 0..rng.usize(..8) {
                let piece = pieces[rng.usize(..pieces.len())];
                // Cut pieces too: a word broken off must not count.
                let cut = rng.usize(piece.len() / 2..=piece.len());
                text.extend(piece[..cut].iter().map(|&b| match rng.bool() {
                    true => b.to_ascii_uppercase(),
                    false => b,
                }));
            }
            let lower = text.to_ascii_lowercase();
            for c in &contexts {
                let alone = c.regex().is_match(&text);
                assert_eq!(c.is_match(&text, &lower), alone, "{}", c.as_str());
                matched += usize::from(alone);
            }
        }
        assert!(matched > 500, "{matched} matches");
    }
}
