//! Heads: how a pattern's matches can begin, as byte classes at fixed offsets. Read off the
//! pattern's syntax tree once, when the rules are compiled, for the [`super::filter::Filter`]
//! that lets the scanner skip the bytes where no rule can start.
//!
//! Every result is an over-approximation: a match of the pattern always begins with one of the
//! heads (byte `i` of the match is in class `i`), while a head may also fit where nothing
//! matches. Look-arounds (`\b`, `^`) take no bytes and are left out; a part whose length is not
//! fixed ends a head (nothing after it has a known offset).

use regex_syntax::hir::{Class, Hir, HirKind};

/// The longest head kept.
pub(crate) const MAX_LEN: usize = 16;
/// Alternatives kept per pattern part; past this they are shortened until few enough remain.
const MAX_ALTS: usize = 24;

/// A set of bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    pub(crate) const EMPTY: ByteSet = ByteSet([0; 4]);
    pub(crate) const FULL: ByteSet = ByteSet([u64::MAX; 4]);

    pub(crate) fn insert(&mut self, b: u8) {
        self.insert_range(b, b);
    }

    fn insert_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.0[usize::from(b >> 6)] |= 1 << (b & 63);
        }
    }

    pub(crate) fn intersection(&self, other: &ByteSet) -> ByteSet {
        let mut out = *self;
        for (w, o) in out.0.iter_mut().zip(other.0) {
            *w &= o;
        }
        out
    }

    pub(crate) fn union(&self, other: &ByteSet) -> ByteSet {
        let mut out = *self;
        for (w, o) in out.0.iter_mut().zip(other.0) {
            *w |= o;
        }
        out
    }

    /// The set as four words of 64 bits (bit `b & 63` of word `b >> 6` is byte `b`).
    pub(crate) fn words(&self) -> [u64; 4] {
        self.0
    }

    /// The set with every byte the set holds or differs from one it holds in bit 7 only.
    pub(crate) fn folded(&self) -> ByteSet {
        let [a, b, c, d] = self.0;
        ByteSet([a | c, b | d, a | c, b | d])
    }

    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }

    pub(crate) fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&b| self.contains(b))
    }
}

impl std::fmt::Debug for ByteSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[")?;
        for b in self.bytes() {
            if b.is_ascii_graphic() {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        write!(f, "]")
    }
}

/// One way a match can begin: its byte `i` is in `classes[i]`. When `complete`, the part of the
/// pattern it describes takes exactly `classes.len()` bytes, so what follows can be appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) classes: Classes,
    complete: bool,
}

/// A head's classes, at most `MAX_LEN` of them, held in place: heads are made, copied and
/// compared by the thousand while the rules compile, and a vector each cost an allocation.
#[derive(Clone, Copy)]
pub(crate) struct Classes {
    sets: [ByteSet; MAX_LEN],
    len: u8,
}

impl Classes {
    const NONE: Classes = Classes {
        sets: [ByteSet::EMPTY; MAX_LEN],
        len: 0,
    };

    /// Append `set`; the caller keeps the classes at most `MAX_LEN`.
    fn push(&mut self, set: ByteSet) {
        self.sets[usize::from(self.len)] = set;
        self.len += 1;
    }

    fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    /// Append as many of `more` as fit; whether all did.
    fn extend(&mut self, more: &[ByteSet]) -> bool {
        let at = usize::from(self.len);
        let n = more.len().min(MAX_LEN - at);
        self.sets[at..at + n].copy_from_slice(&more[..n]);
        self.len += n as u8;
        n == more.len()
    }
}

impl std::ops::Deref for Classes {
    type Target = [ByteSet];

    fn deref(&self) -> &[ByteSet] {
        &self.sets[..usize::from(self.len)]
    }
}

impl std::ops::DerefMut for Classes {
    fn deref_mut(&mut self) -> &mut [ByteSet] {
        &mut self.sets[..usize::from(self.len)]
    }
}

impl PartialEq for Classes {
    fn eq(&self, other: &Classes) -> bool {
        **self == **other
    }
}

impl Eq for Classes {}

impl std::fmt::Debug for Classes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The heads of a pattern: every match begins with at least one of them. A head with no
/// class means a match can begin with anything.
pub(crate) fn heads(hir: &Hir) -> Vec<Head> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => nothing(),
        HirKind::Literal(lit) => {
            let mut classes = Classes::NONE;
            for &b in lit.0.iter().take(MAX_LEN) {
                let mut s = ByteSet::EMPTY;
                s.insert(b);
                classes.push(s);
            }
            vec![Head {
                classes,
                complete: lit.0.len() <= MAX_LEN,
            }]
        }
        HirKind::Class(class) => {
            let mut classes = Classes::NONE;
            let set = class_set(class);
            // A character of more than one byte: it begins with any byte.
            classes.push(set.unwrap_or(ByteSet::FULL));
            vec![Head {
                classes,
                complete: set.is_some(),
            }]
        }
        HirKind::Capture(c) => heads(&c.sub),
        HirKind::Repetition(r) => {
            let sub = heads(&r.sub);
            if r.min == 0 {
                let mut out = nothing();
                if r.max != Some(0) {
                    out.extend(if r.max == Some(1) { sub } else { open(sub) });
                }
                return shrink(out);
            }
            let mut cur = sub.clone();
            for _ in 1..r.min.min(MAX_LEN as u32) {
                match concat(&cur, &sub) {
                    Some(next) => cur = next,
                    None => return shrink(open(cur)),
                }
            }
            if r.max != Some(r.min) {
                cur = open(cur);
            }
            shrink(cur)
        }
        HirKind::Concat(parts) => {
            let mut cur = nothing();
            for part in parts {
                if cur.iter().all(|h| !h.extendable()) {
                    break;
                }
                match concat(&cur, &heads(part)) {
                    Some(next) => cur = next,
                    None => return open(cur),
                }
            }
            cur
        }
        HirKind::Alternation(alts) => shrink(alts.iter().flat_map(heads).collect()),
    }
}

/// The bytes a class takes, when each of its characters is one byte (rules are byte
/// patterns, but `(?u)` in a pattern makes its classes Unicode).
fn class_set(class: &Class) -> Option<ByteSet> {
    let mut set = ByteSet::EMPTY;
    match class {
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .for_each(|r| set.insert_range(r.start(), r.end())),
        Class::Unicode(c) => c
            .to_byte_class()?
            .ranges()
            .iter()
            .for_each(|r| set.insert_range(r.start(), r.end())),
    }
    Some(set)
}

/// The heads of a rule's pattern, each made longer where the pattern allows: every match is
/// at least as long as the pattern's shortest, so up to that length each byte of a match is
/// one the pattern can put at its offset ([`reach`]), even past a part whose length is not
/// fixed. A keyword followed by a name of any length, then `=`, is not a candidate where the
/// keyword is followed by `;`.
pub(crate) fn rule_heads(hir: &Hir) -> Vec<Head> {
    let within = hir.properties().minimum_len().unwrap_or(0).min(MAX_LEN);
    let sets = reach(hir);
    let mut out = heads(hir);
    for h in out.iter_mut().filter(|h| !h.classes.is_empty()) {
        for (i, set) in sets.iter().enumerate().take(within) {
            match h.classes.get_mut(i) {
                Some(class) => *class = class.intersection(set),
                None => h.classes.push(*set),
            }
        }
        h.complete = false;
    }
    dedup(&mut out);
    out
}

/// For each offset from the start of a match of `hir` (up to `MAX_LEN`), every byte the
/// pattern can put there (a match shorter than the offset puts none).
fn reach(hir: &Hir) -> [ByteSet; MAX_LEN] {
    let mut out = [ByteSet::EMPTY; MAX_LEN];
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => {
            for (set, &b) in out.iter_mut().zip(lit.0.iter()) {
                set.insert(b);
            }
        }
        HirKind::Class(class) => match class_set(class) {
            Some(set) => out[0] = set,
            // A character of up to 4 bytes.
            None => out[..4].fill(ByteSet::FULL),
        },
        HirKind::Capture(c) => out = reach(&c.sub),
        HirKind::Alternation(alts) => {
            for alt in alts {
                union_at(&mut out, &reach(alt), 0, Some(0));
            }
        }
        HirKind::Concat(parts) => {
            // The offsets the next part can start at: from `lo` to `hi` (no bound: `None`).
            let (mut lo, mut hi) = (0, Some(0));
            for part in parts {
                if lo >= MAX_LEN {
                    break;
                }
                union_at(&mut out, &reach(part), lo, hi);
                let p = part.properties();
                lo += p.minimum_len().unwrap_or(0);
                hi = hi.zip(p.maximum_len()).and_then(|(a, b)| a.checked_add(b));
            }
        }
        HirKind::Repetition(r) => {
            let sub = reach(&r.sub);
            let p = r.sub.properties();
            let (min, max) = (p.minimum_len().unwrap_or(0), p.maximum_len());
            // Copy `n` starts from `n * min` to `n * max`; there are at most `r.max` copies.
            let mut n = 0u32;
            while r.max.is_none_or(|m| n < m) && (n as usize) * min < MAX_LEN {
                let lo = n as usize * min;
                union_at(&mut out, &sub, lo, max.map(|m| n as usize * m));
                if min == 0 {
                    // Copies that may take nothing start anywhere after the first.
                    union_at(&mut out, &sub, 0, None);
                    break;
                }
                n += 1;
            }
        }
    }
    out
}

/// Add `part`'s bytes to `out` as if it started at any offset from `lo` to `hi`.
fn union_at(out: &mut [ByteSet; MAX_LEN], part: &[ByteSet; MAX_LEN], lo: usize, hi: Option<usize>) {
    let hi = hi.map_or(MAX_LEN - 1, |h| h.min(MAX_LEN - 1));
    for start in lo..=hi {
        for (o, set) in out[start..].iter_mut().zip(part) {
            *o = o.union(set);
        }
    }
}

impl Head {
    fn extendable(&self) -> bool {
        self.complete && self.classes.len() < MAX_LEN
    }
}

/// The empty head that takes no bytes (what follows starts at offset 0).
fn nothing() -> Vec<Head> {
    vec![Head {
        classes: Classes::NONE,
        complete: true,
    }]
}

fn open(mut heads: Vec<Head>) -> Vec<Head> {
    for h in &mut heads {
        h.complete = false;
    }
    heads
}

/// Past this many heads, [`dedup`] sorts rather than compares each head with those kept.
const DEDUP_BY_SCAN: usize = 32;

/// Drop every head equal to one before it: the first of each stays, in order.
fn dedup(heads: &mut Vec<Head>) {
    if heads.len() <= DEDUP_BY_SCAN {
        let mut kept = 0;
        for i in 0..heads.len() {
            if !heads[..kept].contains(&heads[i]) {
                heads.swap(kept, i);
                kept += 1;
            }
        }
        heads.truncate(kept);
        return;
    }
    // Equal heads end up side by side, the first of them (a stable sort) foremost.
    let key = |h: &Head| (h.classes.len(), h.complete);
    let mut order: Vec<usize> = (0..heads.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&heads[a], &heads[b]);
        key(x).cmp(&key(y)).then_with(|| {
            x.classes
                .iter()
                .map(ByteSet::words)
                .cmp(y.classes.iter().map(ByteSet::words))
        })
    });
    let mut keep = vec![true; heads.len()];
    for w in order.windows(2) {
        if heads[w[0]] == heads[w[1]] {
            keep[w[1]] = false;
        }
    }
    let mut n = 0;
    heads.retain(|_| {
        n += 1;
        keep[n - 1]
    });
}

/// `a` followed by `b`; `None` when that makes too many alternatives.
fn concat(a: &[Head], b: &[Head]) -> Option<Vec<Head>> {
    // Each head kept unless one before it is equal (as [`dedup`] does), so that the count is
    // known as it grows.
    let mut out: Vec<Head> = Vec::new();
    let mut add = |h: Head| {
        if !out.contains(&h) {
            out.push(h);
        }
        out.len() <= MAX_ALTS
    };
    for h in a {
        if !h.extendable() {
            if !add(Head {
                complete: false,
                ..*h
            }) {
                return None;
            }
            continue;
        }
        for t in b {
            let mut classes = h.classes;
            let whole = classes.extend(&t.classes);
            if !add(Head {
                classes,
                complete: t.complete && whole,
            }) {
                return None;
            }
        }
    }
    Some(out)
}

/// Shorten the longest alternatives until few enough remain (a head's prefix is a head).
fn shrink(mut heads: Vec<Head>) -> Vec<Head> {
    dedup(&mut heads);
    while heads.len() > MAX_ALTS {
        let longest = heads.iter().map(|h| h.classes.len()).max().unwrap_or(0);
        for h in heads.iter_mut().filter(|h| h.classes.len() == longest) {
            h.classes.pop();
            h.complete = false;
        }
        dedup(&mut heads);
    }
    heads
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pattern: &str) -> Hir {
        regex_automata::util::syntax::parse_with(pattern, &crate::rules::syntax_config())
            .expect("pattern")
    }

    /// Heads written out, each class in brackets (and `…` after one that is not complete).
    fn shown(heads: &[Head]) -> Vec<String> {
        heads
            .iter()
            .map(|h| {
                let s: Vec<String> = h.classes.iter().map(|c| format!("{c:?}")).collect();
                format!("{}{}", s.join(""), if h.complete { "" } else { "…" })
            })
            .collect()
    }

    fn of(pattern: &str) -> Vec<String> {
        shown(&heads(&parse(pattern)))
    }

    /// Whether `m` (a match) begins with one of `hs`.
    fn begins_with_one(hs: &[Head], m: &[u8]) -> bool {
        hs.iter().any(|h| {
            h.classes.len() <= m.len() && h.classes.iter().zip(m).all(|(c, &b)| c.contains(b))
        })
    }

    #[test]
    fn heads_follow_the_pattern() {
        assert_eq!(of(r"\bab[cd]"), ["[a][b][cd]"]);
        assert_eq!(of(r"(?i:up)x"), ["[Uu][Pp][x]"]);
        assert_eq!(of(r"a[0-9]{2,}z"), ["[a][0123456789][0123456789]…"]);
        assert_eq!(of(r"a(?:-b)?c"), ["[a][c]", "[a][-][b][c]"]);
        assert_eq!(of(r"x*y"), ["[y]", "[x]…"]);
        assert_eq!(of(r"(?:\\n|\b)A"), ["[\\][n][A]", "[A]"]);
    }

    /// Heads kept the way a set of those seen keeps them: the first of equal heads, in order.
    fn first_of_each(heads: &[Head]) -> Vec<Head> {
        let mut seen = std::collections::HashSet::new();
        heads
            .iter()
            .filter(|h| seen.insert((h.classes.to_vec(), h.complete)))
            .copied()
            .collect()
    }

    /// Both ways `dedup` works (comparing with those kept, and sorting, past
    /// `DEDUP_BY_SCAN`) keep the first of equal heads, in order; heads that differ only in
    /// being complete, or in length, are not equal.
    #[test]
    fn dedup_keeps_the_first_of_equal_heads_in_order() {
        let set = |bytes: &[u8]| {
            let mut s = ByteSet::EMPTY;
            bytes.iter().for_each(|&b| s.insert(b));
            s
        };
        let sets = [set(b"a"), set(b"b"), set(b"ab"), set(b"\xff")];
        let head = |classes: &[ByteSet], complete: bool| {
            let mut c = Classes::NONE;
            assert!(c.extend(classes));
            Head {
                classes: c,
                complete,
            }
        };
        let (a, b, ab) = (sets[0], sets[1], sets[2]);
        let mut hs = vec![
            head(&[a, b], true),
            head(&[a], true),
            head(&[a, b], false),
            head(&[a, b], true),
            head(&[a, b, ab], true),
            head(&[a], true),
        ];
        dedup(&mut hs);
        assert_eq!(
            hs,
            [
                head(&[a, b], true),
                head(&[a], true),
                head(&[a, b], false),
                head(&[a, b, ab], true),
            ]
        );
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..400 {
            let n = rng.usize(0..=3 * DEDUP_BY_SCAN);
            let hs: Vec<Head> = (0..n)
                .map(|_| {
                    let classes: Vec<ByteSet> = (0..rng.usize(0..=3))
                        .map(|_| sets[rng.usize(..sets.len())])
                        .collect();
                    head(&classes, rng.bool())
                })
                .collect();
            let mut got = hs.clone();
            dedup(&mut got);
            assert_eq!(got, first_of_each(&hs), "round {round}, {n} heads");
        }
    }

    fn of_rule(pattern: &str) -> Vec<String> {
        // Rule heads are never complete: the mark says nothing.
        shown(&rule_heads(&parse(pattern)))
            .into_iter()
            .map(|h| h.trim_end_matches('…').to_string())
            .collect()
    }

    #[test]
    fn rule_heads_reach_past_a_name_of_any_length() {
        // After `pw`, a name of any length, spaces, `=` and 4 hex digits: 7 bytes at least,
        // each of them one the pattern can put at its offset.
        let ws = "\\x09\\x0a\\x0b\\x0c\\x0d\\x20";
        let any = format!("[{ws}0123456789=abcdefghijklmnopqrstuvwxyz]");
        let hex = "[0123456789abcdef]";
        assert_eq!(
            of_rule(r"pw[a-z]*\s*=[0-9a-f]{4}"),
            [
                format!("[p][w][=]{}", hex.repeat(4)),
                format!("[p][w][{ws}]{}", any.repeat(4)),
                format!("[p][w][abcdefghijklmnopqrstuvwxyz]{}", any.repeat(4)),
            ]
        );
        // Heads of fixed parts stay as they were.
        assert_eq!(
            of_rule(r"ab(?:-c)?d[0-9]"),
            ["[a][b][d][0123456789]", "[a][b][-][c][d][0123456789]"]
        );
        // The shortest match is one byte: no head gets longer.
        assert_eq!(of_rule(r"x*y"), ["[y]", "[x]"]);
    }

    /// Every match of a pattern begins with one of its rule heads, whatever the pattern is
    /// made of (searched in text made of its own pieces, where it matches often).
    #[test]
    fn every_match_begins_with_a_rule_head() {
        let patterns = [
            r"(?i:pass|pwd)[a-z0-9_]*\s*(?:=|:=|=>)\s*[0-9a-f]{8}\b",
            r"\bk(?:ey)?[-_]?(?:id)?=(?:\x22|')?[A-Z0-9]{3,5}(?:x|yy|zzz)?[0-9]",
            r"(?:a|bb|)(?:c{2,3}|d*)e[0-9]{2}",
            r"(?u:é+)[a-z]{3}!",
            r"(?:ab)*c(?:de){2}f?[0-9]",
        ];
        let pieces: &[&[u8]] = &[
            b"pass",
            b"PWD",
            b"word",
            b"=",
            b":=",
            b"=>",
            b" ",
            b"\n",
            b"0123abcd",
            b"k",
            b"ey",
            b"_",
            b"-",
            b"id",
            b"\x22",
            b"'",
            b"AB1",
            b"C2D3",
            b"x",
            b"yy",
            b"zzz",
            b"7",
            b"a",
            b"bb",
            b"cc",
            b"ccc",
            b"ddd",
            b"e",
            b"42",
            "é".as_bytes(),
            b"abc",
            b"!",
            b"ab",
            b"dede",
            b"f",
            b"9",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut hay = Vec::new();
        while hay.len() < 1_000_000 {
            hay.extend_from_slice(pieces[next() as usize % pieces.len()]);
        }
        for pattern in patterns {
            let hs = rule_heads(&parse(pattern));
            let re = regex_automata::meta::Regex::builder()
                .syntax(crate::rules::syntax_config())
                .build(pattern)
                .expect("pattern");
            let mut count = 0;
            for m in re.find_iter(&hay) {
                count += 1;
                let m = &hay[m.range()];
                assert!(
                    begins_with_one(&hs, m),
                    "{pattern}: {:?} begins with no head",
                    String::from_utf8_lossy(m)
                );
            }
            assert!(count >= 10, "{pattern}: {count} matches");
        }
    }

    /// Every match of every shipped rule begins with one of its heads, and with one of its
    /// rule heads.
    #[test]
    fn shipped_rules_examples_begin_with_a_head() {
        let matcher = crate::rules::Matcher::load(&[] as &[&str]).expect("rules");
        for rule in &matcher.rules {
            let hir = parse(&rule.pattern);
            let re = regex_automata::meta::Regex::builder()
                .syntax(crate::rules::syntax_config())
                .build(&rule.pattern)
                .expect("pattern");
            for (text, _) in &rule.examples {
                for m in re.find_iter(text.as_bytes()) {
                    let m = &text.as_bytes()[m.range()];
                    for hs in [heads(&hir), rule_heads(&hir)] {
                        assert!(
                            begins_with_one(&hs, m),
                            "{}: {:?} begins with none of {:?}",
                            rule.id,
                            String::from_utf8_lossy(m),
                            shown(&hs)
                        );
                    }
                }
            }
        }
    }
}
