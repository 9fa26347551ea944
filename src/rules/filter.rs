//! The filter that finds where a rule could start, so that the regex runs only there.
//!
//! Built once with the [`super::Matcher`] from the rules' [`heads`](super::heads), in two
//! stages. First a vector pass: a few offsets (5 or 6, chosen where the heads' classes are
//! rarest) and, for each offset, which bytes each of 8 buckets of heads accepts there; a
//! position passes when, for some bucket, the bytes at every offset after it are accepted.
//! Then each position that passes is checked byte by byte against the whole of the heads (up
//! to 16 bytes, 64 groups of heads, one table lookup a byte): only a position some group
//! accepts throughout is a candidate. The check costs little because few positions reach it,
//! and it lets the vector pass test fewer offsets than it would need alone.
//!
//! With AVX2 the vector pass tests 32 positions at a time: each byte is split into its two
//! nibbles and each nibble looked up in a 16-entry table whose bits are the buckets (the
//! "shufti" and Teddy technique of Hyperscan and aho-corasick), so a table says exactly which
//! bytes a bucket accepts only for sets shaped as "these low nibbles with these high nibbles";
//! any other set is widened to the smallest such shape. Where the CPU has AVX-512 with its
//! byte permutes (VBMI), it tests 64 positions at a time and needs no widening for ASCII: one
//! `vpermi2b` looks each byte up in a 128-entry table of the buckets that accept it, by its low
//! 7 bits, so a byte and the one that differs from it in bit 7 share an entry (the union of
//! what the buckets accept for either: heads are ASCII, so that widens little, and no block
//! needs a second look for its bytes from 0x80 up, which text in UTF-8 has). Widening and merging heads into buckets and
//! groups only ever add candidates, never lose one: every place a rule can match is a
//! candidate, and the regex decides.
//!
//! Which vector path runs is decided at run time ([`Path`]). Without either (and on other
//! architectures, where only the portable code is compiled) the filter's one-position-at-a-time
//! path would cost more than the regex itself, so the scanner runs the regex over every byte
//! instead (see [`Filter::simd`]), as it does when some rule can begin with anything; tests run
//! every way this CPU has over the same bytes and compare.

use super::heads::{ByteSet, Head, MAX_LEN};

/// At most this many offsets are tested per position (the vector loops are compiled for each
/// count up to it).
const MAX_OFFSETS: usize = 8;

impl Path {
    /// How many offsets the vector pass tests: each costs a lookup per byte, and past these
    /// counts the few positions they still rule out are cheaper to rule out in
    /// [`Filter::checked`] (measured with `bench/run`; see bench/README.md).
    fn offsets(self) -> usize {
        match self {
            Path::Avx512 => 5,
            Path::Avx2 | Path::Scalar => 6,
        }
    }
}
/// Blocks (of 64 positions with AVX-512, 32 with AVX2) a vector loop tests before keeping any
/// of their positions (at most 64: a bit each in a word).
const CHUNK: usize = 64;
const _: () = assert!(CHUNK <= 64);
/// Buckets of heads (bits of a table entry).
const BUCKETS: usize = 8;
/// Groups of heads in the check every candidate of the vector pass then passes (bits of a
/// word).
const GROUPS: usize = 64;
/// A filter expected to pass more than this share of positions is not worth its cost.
const MAX_DENSITY: f64 = 0.02;

/// How the filter tests positions: the vector path a CPU has, chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// AVX-512 BW and VBMI: 64 positions at a time, bytes looked up by their low 7 bits.
    Avx512,
    /// AVX2: 32 positions at a time, through nibble tables (sets widened to their shape).
    Avx2,
    /// No vector path: one position at a time, exact (too slow to be worth running; the
    /// scanner then runs the regex over every byte, and tests compare against it).
    Scalar,
}

impl Path {
    /// The fastest path this CPU runs.
    pub(crate) fn best() -> Path {
        [Path::Avx512, Path::Avx2]
            .into_iter()
            .find(|p| p.available())
            .unwrap_or(Path::Scalar)
    }

    /// Whether this CPU runs the path (checked at run time).
    pub(crate) fn available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Path::Avx512 => {
                    std::arch::is_x86_feature_detected!("avx512f")
                        && std::arch::is_x86_feature_detected!("avx512bw")
                        && std::arch::is_x86_feature_detected!("avx512vbmi")
                }
                Path::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
                Path::Scalar => true,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Path::Scalar
        }
    }
}

/// Calls the vector loop `$method::<N>` for `N` the filter's count of offsets: one loop per
/// count, so that the count is known when compiling (the loop over offsets is unrolled and the
/// tables kept in registers). Expands to an unsafe call: the caller's promise is the loop's.
#[cfg(target_arch = "x86_64")]
macro_rules! by_offsets {
    ($filter:expr, $method:ident, $($arg:expr),*) => {
        match $filter.offsets.len() {
            1 => $filter.$method::<1>($($arg),*),
            2 => $filter.$method::<2>($($arg),*),
            3 => $filter.$method::<3>($($arg),*),
            4 => $filter.$method::<4>($($arg),*),
            5 => $filter.$method::<5>($($arg),*),
            6 => $filter.$method::<6>($($arg),*),
            7 => $filter.$method::<7>($($arg),*),
            _ => $filter.$method::<MAX_OFFSETS>($($arg),*),
        }
    };
}

pub(crate) struct Filter {
    /// Offsets after a position that are tested, in the order chosen (the most selective
    /// first).
    offsets: Vec<usize>,
    /// Per offset, the buckets that accept a byte's low and high nibble (the AVX2 path).
    lo: Vec<[u8; 16]>,
    hi: Vec<[u8; 16]>,
    /// Per offset, the buckets that accept each byte, exactly as the chosen path decides it:
    /// the scalar path reads this, and the vector path must agree with it.
    table: Vec<[u8; 256]>,
    /// Per byte of a head (`MAX_LEN` of them), the groups of heads that accept each byte
    /// there: a position the offsets let through is a candidate only if some group accepts
    /// every byte of its head. The offsets test a few bytes of 8 buckets; this tests every
    /// byte of 64 finer groups, one lookup a byte, so a cheap vector pass with few offsets
    /// costs no more regex searches.
    check: Box<[[u64; 256]; MAX_LEN]>,
    /// The path that runs; a vector path only when the CPU has it.
    path: Path,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("offsets", &self.offsets)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// How common a byte is in text, roughly (the filter's choices only need the order right).
fn weight(b: u8) -> f64 {
    match b {
        b'a'..=b'z' => 3.0,
        b' ' => 8.0,
        b'A'..=b'Z' | b'0'..=b'9' | b'!'..=b'/' | b':'..=b'@' | b'['..=b'`' | b'{'..=b'~' => 1.0,
        b'\n' => 2.0,
        b'\t' | b'\r' => 0.5,
        _ => 0.05,
    }
}

/// What share of text bytes a nibble table entry pair `(lo, hi)` (bit n: nibble n) accepts.
struct Weights {
    /// `row[h][0][m]` (`row[h][1][m]`): the summed weight of the bytes with high nibble `h`
    /// and a low nibble in the set `m` of nibbles 0 to 7 (8 to 15). Filters are built from
    /// hundreds of heads; this keeps that quick.
    row: Box<[[[f64; 256]; 2]; 16]>,
}

impl Weights {
    fn new() -> Weights {
        let total: f64 = (0..=255u8).map(weight).sum();
        let mut cell = [[0.0; 16]; 16];
        for b in 0..=255u8 {
            cell[usize::from(b >> 4)][usize::from(b & 15)] = weight(b) / total;
        }
        let mut row = Box::new([[[0.0; 256]; 2]; 16]);
        for (h, r) in row.iter_mut().enumerate() {
            for (half, sums) in r.iter_mut().enumerate() {
                for (m, sum) in sums.iter_mut().enumerate() {
                    *sum = (0..8)
                        .filter(|l| m >> l & 1 == 1)
                        .map(|l| cell[h][half * 8 + l])
                        .sum();
                }
            }
        }
        Weights { row }
    }

    fn share(&self, (lo, hi): (u16, u16)) -> f64 {
        let mut sum = 0.0;
        let mut h_bits = hi;
        while h_bits != 0 {
            let h = h_bits.trailing_zeros() as usize;
            h_bits &= h_bits - 1;
            let row = &self.row[h];
            sum += row[0][usize::from(lo as u8)] + row[1][usize::from((lo >> 8) as u8)];
        }
        sum
    }

    fn set_share(&self, set: &ByteSet) -> f64 {
        // Each byte of the set's words holds 8 bytes of one high nibble: a row sum each.
        let mut sum = 0.0;
        for (i, word) in set.words().into_iter().enumerate() {
            for (j, m) in word.to_le_bytes().into_iter().enumerate() {
                let chunk = i * 8 + j;
                sum += self.row[chunk >> 1][chunk & 1][usize::from(m)];
            }
        }
        sum
    }
}

/// The smallest nibble-product shape holding `set`, as (low nibbles, high nibbles).
fn shape(set: &ByteSet) -> (u16, u16) {
    set.bytes().fold((0, 0), |(lo, hi), b| {
        (lo | 1 << (b & 15), hi | 1 << (b >> 4))
    })
}

/// The bytes `set` lets through as `path` tests it: the AVX2 path accepts the set's shape, the
/// AVX-512 path a byte when the set holds it or the byte that differs from it in bit 7 only
/// (its lookup reads the low 7 bits).
fn accepted(path: Path, set: &ByteSet) -> ByteSet {
    match path {
        Path::Avx2 => {
            let (lo, hi) = shape(set);
            let mut out = ByteSet::EMPTY;
            for b in (0..=255u8).filter(|b| lo >> (b & 15) & 1 == 1 && hi >> (b >> 4) & 1 == 1) {
                out.insert(b);
            }
            out
        }
        Path::Avx512 => set.folded(),
        _ => *set,
    }
}

/// A bucket: its set at each tested offset.
#[derive(Clone, PartialEq)]
struct Bucket(Vec<ByteSet>);

impl Bucket {
    fn merge(&self, other: &Bucket) -> Bucket {
        Bucket(
            self.0
                .iter()
                .zip(&other.0)
                .map(|(a, b)| a.union(b))
                .collect(),
        )
    }
}

/// What share of text a bucket lets through on a path.
struct Costs {
    w: Weights,
    path: Path,
}

impl Costs {
    fn set(&self, set: &ByteSet) -> f64 {
        match self.path {
            Path::Avx2 => self.w.share(shape(set)),
            Path::Avx512 => self.w.set_share(&set.folded()),
            Path::Scalar => self.w.set_share(set),
        }
    }

    fn bucket(&self, b: &Bucket) -> f64 {
        b.0.iter().map(|s| self.set(s)).product()
    }

    /// The share of `a.merge(b)`, without building it.
    fn merged(&self, a: &Bucket, b: &Bucket) -> f64 {
        a.0.iter()
            .zip(&b.0)
            .map(|(x, y)| self.set(&x.union(y)))
            .product()
    }
}

/// The offsets to test: greedily, the one that most lowers the heads' summed share, while
/// that helps.
fn choose_offsets(heads: &[Head], w: &Weights, limit: usize) -> Vec<usize> {
    let shares: Vec<Vec<f64>> = heads
        .iter()
        .map(|h| h.classes.iter().map(|c| w.set_share(c)).collect())
        .collect();
    let score = |offsets: &[usize]| -> f64 {
        shares
            .iter()
            .map(|s| offsets.iter().filter_map(|&o| s.get(o)).product::<f64>())
            .sum()
    };
    let mut chosen = vec![0];
    while chosen.len() < limit.min(MAX_OFFSETS) {
        let now = score(&chosen);
        let best = (1..super::heads::MAX_LEN)
            .filter(|o| !chosen.contains(o))
            .map(|o| {
                let mut with = chosen.clone();
                with.push(o);
                (score(&with), o)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match best {
            Some((s, o)) if s < now * 0.98 => chosen.push(o),
            _ => break,
        }
    }
    chosen
}

/// Merge buckets pairwise, always the pair whose merge adds the least share (the first such
/// pair, by the first bucket then the second), down to `n`.
///
/// Each row of the pair costs keeps its least cost and where it is, so a merge looks at the
/// rows' least costs rather than at every pair, and recomputes a row only when its least
/// was in the pair merged.
fn merge_down(mut buckets: Vec<Bucket>, n: usize, c: &Costs) -> Vec<Bucket> {
    let len = buckets.len();
    let mut share: Vec<f64> = buckets.iter().map(|b| c.bucket(b)).collect();
    let cost = |b: &[Bucket], s: &[f64], i: usize, j: usize| c.merged(&b[i], &b[j]) - s[i] - s[j];
    // `costs[i * len + j]` for `j > i`, the cost of merging buckets `i` and `j`.
    let mut costs = vec![f64::INFINITY; len * len];
    for i in 0..len {
        for j in i + 1..len {
            costs[i * len + j] = cost(&buckets, &share, i, j);
        }
    }
    let mut alive = vec![true; len];
    // Per row `i`, the least cost of `(i, j)` for a live `j > i` and the first `j` with it
    // (`(INFINITY, 0)` when no cost is below infinity), as a scan of the row finds them.
    let row_least = |costs: &[f64], alive: &[bool], i: usize| {
        let mut best = (f64::INFINITY, 0);
        for j in (i + 1..len).filter(|&j| alive[j]) {
            if costs[i * len + j] < best.0 {
                best = (costs[i * len + j], j);
            }
        }
        best
    };
    let mut least: Vec<(f64, usize)> = (0..len).map(|i| row_least(&costs, &alive, i)).collect();
    let mut left = len;
    while left > n {
        // The first row with the least cost holds the first pair with it.
        let mut best = (f64::INFINITY, 0, 0);
        for i in (0..len).filter(|&i| alive[i]) {
            if least[i].0 < best.0 {
                best = (least[i].0, i, least[i].1);
            }
        }
        let (_, i, j) = best;
        buckets[i] = buckets[i].merge(&buckets[j]);
        share[i] = c.bucket(&buckets[i]);
        alive[j] = false;
        left -= 1;
        for k in (0..len).filter(|&k| alive[k] && k != i) {
            let (a, b) = (i.min(k), i.max(k));
            costs[a * len + b] = cost(&buckets, &share, a, b);
        }
        least[i] = row_least(&costs, &alive, i);
        for k in (0..i).filter(|&k| alive[k]) {
            let (cost_ki, at) = least[k];
            least[k] = if at == i || at == j {
                row_least(&costs, &alive, k)
            } else if costs[k * len + i] < cost_ki || (costs[k * len + i] == cost_ki && i < at) {
                (costs[k * len + i], i)
            } else {
                (cost_ki, at)
            };
        }
        for k in i + 1..j {
            if alive[k] && least[k].1 == j {
                least[k] = row_least(&costs, &alive, k);
            }
        }
    }
    buckets
        .into_iter()
        .zip(alive)
        .filter_map(|(b, a)| a.then_some(b))
        .collect()
}

/// The tables of [`Filter::check`]: the heads, each as its classes over `MAX_LEN` bytes
/// (every byte past a head's end), grouped by their first bytes' classes (as many as keep the
/// groups at most `GROUPS`; a group accepts what any of its heads does).
fn check_tables(heads: &[Head]) -> Box<[[u64; 256]; MAX_LEN]> {
    fn key(h: &Head, k: usize) -> &[ByteSet] {
        &h.classes[..k.min(h.classes.len())]
    }
    // Whether keys of `k` classes make at most `GROUPS` groups.
    let fits = |k: usize| -> bool {
        let mut keys: Vec<&[ByteSet]> = Vec::with_capacity(GROUPS + 1);
        for h in heads {
            let key = key(h, k);
            if !keys.contains(&key) {
                keys.push(key);
                if keys.len() > GROUPS {
                    return false;
                }
            }
        }
        true
    };
    // The longest key that keeps the groups few enough: a longer key only splits groups, so
    // the count grows with its length and a binary search finds it.
    let keys: Vec<usize> = (1..=MAX_LEN).collect();
    let fit = keys.partition_point(|&k| fits(k));
    let groups: Vec<[ByteSet; MAX_LEN]> = match fit {
        0 => vec![[ByteSet::FULL; MAX_LEN]],
        n => {
            let k = keys[n - 1];
            let mut keys: Vec<&[ByteSet]> = Vec::new();
            let mut groups: Vec<[ByteSet; MAX_LEN]> = Vec::new();
            for h in heads {
                // The head's classes over `MAX_LEN` bytes: every byte past its end.
                let mut classes = [ByteSet::FULL; MAX_LEN];
                classes[..h.classes.len()].copy_from_slice(&h.classes);
                let key = key(h, k);
                match keys.iter().position(|&other| other == key) {
                    Some(g) => {
                        for (a, b) in groups[g].iter_mut().zip(&classes) {
                            *a = a.union(b);
                        }
                    }
                    None => {
                        keys.push(key);
                        groups.push(classes);
                    }
                }
            }
            groups
        }
    };
    let mut tables = Box::new([[0u64; 256]; MAX_LEN]);
    for (i, t) in tables.iter_mut().enumerate() {
        // The groups that accept every byte here take one pass over the table; the others
        // set a bit for each byte of their set.
        let mut everything = 0u64;
        for (g, group) in groups.iter().enumerate() {
            if group[i] == ByteSet::FULL {
                everything |= 1 << g;
                continue;
            }
            for (w, mut word) in group[i].words().into_iter().enumerate() {
                while word != 0 {
                    t[w * 64 + word.trailing_zeros() as usize] |= 1 << g;
                    word &= word - 1;
                }
            }
        }
        if everything != 0 {
            for entry in t.iter_mut() {
                *entry |= everything;
            }
        }
    }
    tables
}

impl Filter {
    /// A filter for these heads (every rule's, together) on the fastest path this CPU has, or
    /// `None` when it would not help: some head is empty (a rule can begin with anything) or
    /// too many positions would pass.
    pub(crate) fn new(heads: &[Head]) -> Option<Filter> {
        Filter::with_path(heads, Path::best())
    }

    /// The same on a given path (`None` also when this CPU does not run it).
    pub(crate) fn with_path(heads: &[Head], path: Path) -> Option<Filter> {
        if heads.is_empty() || heads.iter().any(|h| h.classes.is_empty()) || !path.available() {
            return None;
        }
        let costs = Costs {
            w: Weights::new(),
            path,
        };
        let offsets = choose_offsets(heads, &costs.w, path.offsets());
        let mut buckets: Vec<Bucket> = Vec::new();
        for h in heads {
            let b = Bucket(
                offsets
                    .iter()
                    .map(|&o| h.classes.get(o).copied().unwrap_or(ByteSet::FULL))
                    .collect(),
            );
            if !buckets.contains(&b) {
                buckets.push(b);
            }
        }
        let buckets = merge_down(buckets, BUCKETS, &costs);
        let density: f64 = buckets.iter().map(|b| costs.bucket(b)).sum();
        if density > MAX_DENSITY {
            return None;
        }
        let mut lo = vec![[0u8; 16]; offsets.len()];
        let mut hi = vec![[0u8; 16]; offsets.len()];
        let mut table = vec![[0u8; 256]; offsets.len()];
        for (k, bucket) in buckets.iter().enumerate() {
            for (i, set) in bucket.0.iter().enumerate() {
                let (l, h) = shape(set);
                for n in 0..16 {
                    if l >> n & 1 == 1 {
                        lo[i][n] |= 1 << k;
                    }
                    if h >> n & 1 == 1 {
                        hi[i][n] |= 1 << k;
                    }
                }
                for b in accepted(path, set).bytes() {
                    table[i][usize::from(b)] |= 1 << k;
                }
            }
        }
        Some(Filter {
            offsets,
            lo,
            hi,
            table,
            check: check_tables(heads),
            path,
        })
    }

    /// The loop both vector paths share: a chunk of blocks of `width` positions at a time,
    /// each block's mask (a bit per position the vector pass lets through) and whether it is
    /// not zero from `block(i)` for the block from `i`, into `masks` (a loop that calls
    /// nothing and branches on nothing, so the tables stay at hand), then the positions of the
    /// blocks whose mask is not zero, the only ones that cost more ([`Filter::keep`]).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn chunks(
        &self,
        hay: &[u8],
        from: usize,
        end: usize,
        width: usize,
        out: &mut Vec<usize>,
        mut block: impl FnMut(usize) -> (u64, bool),
    ) {
        let mut masks = [0u64; CHUNK];
        let mut start = from;
        while start < end {
            let blocks = (end - start).div_ceil(width).min(CHUNK);
            let mut nonzero = 0u64;
            for (n, mask) in masks.iter_mut().enumerate().take(blocks) {
                let (m, any) = block(start + n * width);
                *mask = m;
                nonzero |= u64::from(any) << n;
            }
            self.keep(hay, start, width, &masks, nonzero, end, out);
            start += blocks * width;
        }
    }

    /// The positions a vector loop's chunk let through that [`Filter::checked`] accepts, in
    /// order, appended to `out` (those before `end`): for each bit `n` of `nonzero`, block `n`,
    /// of `width` positions from `start + n * width`, whose mask `masks[n]` has a bit for each
    /// position the vector pass let through.
    #[cfg(target_arch = "x86_64")]
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn keep(
        &self,
        hay: &[u8],
        start: usize,
        width: usize,
        masks: &[u64; CHUNK],
        mut nonzero: u64,
        end: usize,
        out: &mut Vec<usize>,
    ) {
        // Every position here has MAX_LEN bytes after it inside `hay` (the loops' loads reach
        // further), so the check reads them all, with no branch on how far a head matched, and
        // keeps a position without a branch on whether it passed: both are unpredictable. Each
        // position is written past the end of `out` and kept by counting it.
        while nonzero != 0 {
            let n = nonzero.trailing_zeros() as usize;
            nonzero &= nonzero - 1;
            let mut bits = masks[n];
            let block = start + n * width;
            if block + width > end {
                bits &= Self::before(block, end);
            }
            out.reserve(width);
            let len = out.len();
            let spare = out.spare_capacity_mut();
            let mut count = 0;
            while bits != 0 {
                let j = block + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                spare[count].write(j);
                count += usize::from(self.checked_all(hay, j));
            }
            // SAFETY: the first `count` places past the end were written just above (a block
            // has at most `width` positions, and `width` places were reserved).
            unsafe { out.set_len(len + count) };
        }
    }

    /// [`Filter::checked`] where `i + MAX_LEN <= hay.len()`: every byte looked up.
    #[inline]
    fn checked_all(&self, hay: &[u8], i: usize) -> bool {
        let Some(bytes) = hay.get(i..i + MAX_LEN) else {
            return self.checked(hay, i);
        };
        let mut acc = u64::MAX;
        for (t, &b) in self.check.iter().zip(bytes) {
            acc &= t[usize::from(b)];
        }
        acc != 0
    }

    /// Whether some group of heads accepts every byte from `i` on (past the end of `hay`,
    /// every byte is).
    #[inline]
    fn checked(&self, hay: &[u8], i: usize) -> bool {
        let mut acc = u64::MAX;
        for (t, &b) in self.check.iter().zip(hay.get(i..).unwrap_or_default()) {
            acc &= t[usize::from(b)];
            if acc == 0 {
                return false;
            }
        }
        true
    }

    /// Whether a vector path runs on this CPU: only then is the filter cheaper than the regex.
    pub(crate) fn simd(&self) -> bool {
        self.path != Path::Scalar
    }

    /// Whether some bucket of `acc` (those that accept position `i` at the first `skip`
    /// offsets) accepts it at the other offsets too (past the end of `hay`, every byte is).
    fn accepts_from(&self, hay: &[u8], i: usize, skip: usize, mut acc: u8) -> bool {
        for (t, &o) in self.table.iter().zip(&self.offsets).skip(skip) {
            if let Some(&b) = hay.get(i + o) {
                acc &= t[usize::from(b)];
            }
        }
        acc != 0
    }

    /// Every candidate position in `from..to`, in order, appended to `out`; returns whether a
    /// byte of `hay[from..to]` is NUL (the scanner's test for binary data: the end of a
    /// haystack is tested in the same pass as its candidates). Bytes after `to` may be read (a
    /// head longer than the range simply cannot match there).
    pub(crate) fn candidates(
        &self,
        hay: &[u8],
        from: usize,
        to: usize,
        out: &mut Vec<usize>,
    ) -> bool {
        let mut i = from;
        let mut nul = false;
        #[cfg(target_arch = "x86_64")]
        {
            let reach = self.offsets.iter().copied().max().unwrap_or(0);
            let block = match self.path {
                Path::Avx512 => 64,
                Path::Avx2 => 32,
                Path::Scalar => 0,
            };
            // Blocks whose every load lies inside the haystack.
            let end = hay.len().saturating_sub(reach + block).min(to);
            if block > 0 && i < end {
                // SAFETY: `self.path` is a vector path only when the CPU reports it (checked
                // at run time in `Filter::with_path`), `end + reach + block <= hay.len()` as
                // the loops require, and `by_offsets!` calls the loop for the filter's count.
                unsafe {
                    nul = match self.path {
                        Path::Avx512 => by_offsets!(self, avx512_loop, hay, i, end, out),
                        _ => {
                            by_offsets!(self, avx2_loop, hay, i, end, out);
                            // memchr's own pass costs less than a test for NUL in this loop.
                            memchr::memchr(0, &hay[i..end]).is_some()
                        }
                    };
                }
                i = end;
            }
        }
        #[cfg(target_arch = "x86_64")]
        if self.path == Path::Avx512 && i < to {
            // SAFETY: the path runs only where the CPU has it (see above), and `to` is
            // within `hay`.
            let tail = unsafe { by_offsets!(self, avx512_tail, hay, i, to.min(hay.len()), out) };
            return nul || tail;
        }
        self.candidates_scalar(hay, i, to, out);
        nul || memchr::memchr(0, hay.get(i..to).unwrap_or_default()).is_some()
    }

    /// Of a block of positions from `i`, those before `end`, as bits.
    #[cfg(target_arch = "x86_64")]
    #[inline]
    fn before(i: usize, end: usize) -> u64 {
        match end - i {
            n if n >= 64 => u64::MAX,
            n => (1 << n) - 1,
        }
    }

    /// The same, one position at a time: the path without AVX2 (and the only one on other
    /// architectures), and what the AVX2 path must agree with.
    fn candidates_scalar(&self, hay: &[u8], from: usize, to: usize, out: &mut Vec<usize>) {
        if from >= to {
            return;
        }
        // The first offset's table alone rules out most positions; the rest are looked up
        // only where it passes.
        let (first, o) = (&self.table[0], self.offsets[0]);
        for i in from..to {
            let acc = hay.get(i + o).map_or(0xFF, |&b| first[usize::from(b)]);
            if acc != 0 && self.accepts_from(hay, i, 1, acc) && self.checked(hay, i) {
                out.push(i);
            }
        }
    }

    /// Candidates in `from..end`, 32 positions at a time, for a filter of `N` offsets.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2, and `end + reach + 32 <= hay.len()` where `reach` is the
    /// largest offset; also `N == self.offsets.len()`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn avx2_loop<const N: usize>(
        &self,
        hay: &[u8],
        from: usize,
        end: usize,
        out: &mut Vec<usize>,
    ) {
        use std::arch::x86_64::*;
        debug_assert_eq!(N, self.offsets.len());
        debug_assert!(end + self.offsets.iter().copied().max().unwrap_or(0) + 32 <= hay.len());
        let mut lo = [_mm256_setzero_si256(); N];
        let mut hi = [_mm256_setzero_si256(); N];
        let mut offsets = [0usize; N];
        for k in 0..N {
            // SAFETY: each table is 16 bytes long, the size of the unaligned load.
            unsafe {
                lo[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128(self.lo[k].as_ptr().cast()));
                hi[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128(self.hi[k].as_ptr().cast()));
            }
            offsets[k] = self.offsets[k];
        }
        let nibble = _mm256_set1_epi8(0x0F);
        let zero = _mm256_setzero_si256();
        let base = hay.as_ptr();
        self.chunks(hay, from, end, 32, out, |i| {
            let mut acc = _mm256_set1_epi8(-1);
            for k in 0..N {
                // SAFETY: i < end and end + reach + 32 <= hay.len() (the caller's promise), so
                // the 32 bytes loaded from i + offsets[k] lie inside `hay`.
                let v = unsafe { _mm256_loadu_si256(base.add(i + offsets[k]).cast()) };
                let l = _mm256_shuffle_epi8(lo[k], _mm256_and_si256(v, nibble));
                let h =
                    _mm256_shuffle_epi8(hi[k], _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
                acc = _mm256_and_si256(acc, _mm256_and_si256(l, h));
            }
            let mask = u64::from(!(_mm256_movemask_epi8(_mm256_cmpeq_epi8(acc, zero)) as u32));
            (mask, mask != 0)
        });
    }

    /// Candidates in `from..end`, 64 positions at a time, for a filter of `N` offsets.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX-512 F, BW and VBMI, and `end + reach + 64 <= hay.len()` where
    /// `reach` is the largest offset; also `N == self.offsets.len()`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    unsafe fn avx512_loop<const N: usize>(
        &self,
        hay: &[u8],
        from: usize,
        end: usize,
        out: &mut Vec<usize>,
    ) -> bool {
        use std::arch::x86_64::*;
        debug_assert_eq!(N, self.offsets.len());
        debug_assert!(end + self.offsets.iter().copied().max().unwrap_or(0) + 64 <= hay.len());
        let (low, upper, offsets) = self.avx512_tables::<N>();
        let base = hay.as_ptr();
        // The least byte seen in each lane: whether `hay[from..end]` holds a NUL. A minimum
        // takes a port the permutes leave idle, where a test per block (or memchr's own pass
        // over the bytes again) costs more.
        let mut least = _mm512_set1_epi8(-1);
        self.chunks(hay, from, end, 64, out, |i| {
            // SAFETY: as for the loads below (offset 0).
            let here = unsafe { _mm512_loadu_si512(base.add(i).cast()) };
            least = if i + 64 <= end {
                _mm512_min_epu8(least, here)
            } else {
                // The last block: only its bytes before `end`.
                _mm512_mask_min_epu8(least, Self::before(i, end), least, here)
            };
            let mut acc = _mm512_set1_epi8(-1);
            for k in 0..N {
                // SAFETY: i < end, and end + reach + 64 <= hay.len() (the caller's promise) for
                // `reach` the largest offset, so the 64 bytes loaded from i + offsets[k] lie
                // inside `hay`.
                let v = unsafe { _mm512_loadu_si512(base.add(i + offsets[k]).cast()) };
                // `vpermi2b` reads the index's low 7 bits: the tables agree (`accepted`).
                acc = _mm512_and_si512(acc, _mm512_permutex2var_epi8(low[k], v, upper[k]));
            }
            let mask = _mm512_test_epi8_mask(acc, acc);
            // Whether the mask is zero, by `kortest` on the mask: left to itself, the compiler
            // tests `acc`'s lanes again, a uop more on the port the permutes need.
            let zero: u8;
            // SAFETY: reads a mask register, writes a byte register, touches no memory.
            unsafe {
                std::arch::asm!(
                    "kortestq {k}, {k}",
                    "setz {z}",
                    k = in(kreg) mask,
                    z = out(reg_byte) zero,
                    options(pure, nomem, nostack),
                );
            }
            (mask, zero == 0)
        });
        _mm512_cmpeq_epi8_mask(least, _mm512_setzero_si512()) != 0
    }

    /// The AVX-512 loops' tables, one pair per offset (a byte from 0x80 up has the entry of
    /// the byte 0x80 below it), and the offsets.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    #[allow(clippy::type_complexity)]
    fn avx512_tables<const N: usize>(
        &self,
    ) -> (
        [std::arch::x86_64::__m512i; N],
        [std::arch::x86_64::__m512i; N],
        [usize; N],
    ) {
        use std::arch::x86_64::*;
        let mut low = [_mm512_setzero_si512(); N];
        let mut upper = [_mm512_setzero_si512(); N];
        let mut offsets = [0usize; N];
        for k in 0..N {
            // SAFETY: each table is 256 bytes long; the loads read its bytes 0..64 and
            // 64..128.
            unsafe {
                low[k] = _mm512_loadu_si512(self.table[k].as_ptr().cast());
                upper[k] = _mm512_loadu_si512(self.table[k].as_ptr().add(64).cast());
            }
            offsets[k] = self.offsets[k];
        }
        (low, upper, offsets)
    }

    /// The same as [`Filter::candidates_scalar`] over `from..to` (the end of a haystack, where
    /// [`Filter::avx512_loop`]'s loads would run past it, or all of a short one), 64
    /// positions at a time: loads are masked to the bytes inside `hay`, and a byte past its
    /// end is accepted, as the scalar path does. Returns whether a byte of `hay[from..to]`
    /// is NUL.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX-512 F, BW and VBMI, `to <= hay.len()` and
    /// `N == self.offsets.len()`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    unsafe fn avx512_tail<const N: usize>(
        &self,
        hay: &[u8],
        from: usize,
        to: usize,
        out: &mut Vec<usize>,
    ) -> bool {
        use std::arch::x86_64::*;
        debug_assert_eq!(N, self.offsets.len());
        debug_assert!(to <= hay.len());
        let (low, upper, offsets) = self.avx512_tables::<N>();
        let base = hay.as_ptr();
        let len = hay.len();
        // Which of the 64 bytes from `at` lie inside `hay`.
        let inside = |at: usize| if at < len { Filter::before(at, len) } else { 0 };
        let all = _mm512_set1_epi8(-1);
        let mut masks = [0u64; CHUNK];
        let mut nul = false;
        let mut i = from;
        while i < to {
            // SAFETY (both loads): a masked load reads only the bytes of its mask, here those
            // inside `hay`; the pointer is only formed (wrapping) for the others.
            let own = unsafe { _mm512_maskz_loadu_epi8(inside(i), base.wrapping_add(i).cast()) };
            nul |= _mm512_mask_testn_epi8_mask(Filter::before(i, to), own, own) != 0;
            let mut acc = all;
            for k in 0..N {
                let at = i + offsets[k];
                let valid = inside(at);
                let v = unsafe { _mm512_maskz_loadu_epi8(valid, base.wrapping_add(at).cast()) };
                let looked = _mm512_permutex2var_epi8(low[k], v, upper[k]);
                acc = _mm512_and_si512(acc, _mm512_mask_mov_epi8(all, valid, looked));
            }
            masks[0] = _mm512_test_epi8_mask(acc, acc);
            self.keep(hay, i, 64, &masks, u64::from(masks[0] != 0), to, out);
            i += 64;
        }
        nul
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::heads::heads;

    fn filter_for(patterns: &[&str]) -> Option<Filter> {
        filter_on(patterns, Path::best())
    }

    fn filter_on(patterns: &[&str], path: Path) -> Option<Filter> {
        let hs: Vec<Head> = patterns
            .iter()
            .flat_map(|p| {
                heads(
                    &regex_automata::util::syntax::parse_with(p, &crate::rules::syntax_config())
                        .expect("pattern"),
                )
            })
            .collect();
        Filter::with_path(&hs, path)
    }

    /// `merge_down` as first written, scanning every pair for each merge: what the faster one
    /// must agree with.
    fn merge_down_by_scan(mut buckets: Vec<Bucket>, n: usize, c: &Costs) -> Vec<Bucket> {
        let len = buckets.len();
        let mut share: Vec<f64> = buckets.iter().map(|b| c.bucket(b)).collect();
        let cost =
            |b: &[Bucket], s: &[f64], i: usize, j: usize| c.merged(&b[i], &b[j]) - s[i] - s[j];
        let mut costs: Vec<Vec<f64>> = (0..len)
            .map(|i| {
                (0..len)
                    .map(|j| {
                        if j > i {
                            cost(&buckets, &share, i, j)
                        } else {
                            f64::INFINITY
                        }
                    })
                    .collect()
            })
            .collect();
        let mut alive = vec![true; len];
        let mut left = len;
        while left > n {
            let mut best = (f64::INFINITY, 0, 0);
            for i in (0..len).filter(|&i| alive[i]) {
                for j in (i + 1..len).filter(|&j| alive[j]) {
                    if costs[i][j] < best.0 {
                        best = (costs[i][j], i, j);
                    }
                }
            }
            let (_, i, j) = best;
            buckets[i] = buckets[i].merge(&buckets[j]);
            share[i] = c.bucket(&buckets[i]);
            alive[j] = false;
            left -= 1;
            for k in (0..len).filter(|&k| alive[k] && k != i) {
                let (a, b) = (i.min(k), i.max(k));
                costs[a][b] = cost(&buckets, &share, a, b);
            }
        }
        buckets
            .into_iter()
            .zip(alive)
            .filter_map(|(b, a)| a.then_some(b))
            .collect()
    }

    /// `check_tables` as first written, each head's classes and each set's bytes one by one.
    fn check_tables_by_byte(heads: &[Head]) -> Box<[[u64; 256]; MAX_LEN]> {
        let full = |h: &Head| -> Vec<ByteSet> {
            (0..MAX_LEN)
                .map(|i| h.classes.get(i).copied().unwrap_or(ByteSet::FULL))
                .collect()
        };
        let grouped = |k: usize| -> Vec<Vec<ByteSet>> {
            let mut keys: Vec<&[ByteSet]> = Vec::new();
            let mut groups: Vec<Vec<ByteSet>> = Vec::new();
            for h in heads {
                let key = &h.classes[..k.min(h.classes.len())];
                let classes = full(h);
                match keys.iter().position(|&other| other == key) {
                    Some(g) => {
                        for (a, b) in groups[g].iter_mut().zip(&classes) {
                            *a = a.union(b);
                        }
                    }
                    None => {
                        keys.push(key);
                        groups.push(classes);
                    }
                }
            }
            groups
        };
        let keys: Vec<usize> = (1..=MAX_LEN).collect();
        let fit = keys.partition_point(|&k| grouped(k).len() <= GROUPS);
        let groups = match fit {
            0 => vec![vec![ByteSet::FULL; MAX_LEN]],
            n => grouped(keys[n - 1]),
        };
        let mut tables = Box::new([[0u64; 256]; MAX_LEN]);
        for (g, group) in groups.iter().enumerate() {
            for (t, set) in tables.iter_mut().zip(group) {
                for b in set.bytes() {
                    t[usize::from(b)] |= 1 << g;
                }
            }
        }
        tables
    }

    /// The merged buckets and the check tables are those of the first, slower ways of
    /// making them, on every path, for the shipped rules' heads and for random sets of
    /// patterns (many heads, few, sharing their first bytes or not).
    #[test]
    fn filter_build_agrees_with_the_first_way_of_making_it() {
        let shipped = crate::rules::Matcher::load(&[] as &[&str]).expect("rules");
        let mut sets = vec![crate::rules::text_heads(&shipped.rules)];
        let pieces = [
            "a",
            "b",
            "q",
            "[a-c]",
            "[0-9]",
            "(?i:up)",
            "x",
            r"\s",
            "[A-Z]",
            "_",
            "=",
            "k[ey]",
            "[^a]",
            "(?:z|yy)",
            "[0-9a-f]{4}",
        ];
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..20 {
            let patterns: Vec<String> = (0..rng.usize(1..24))
                .map(|_| {
                    (0..rng.usize(1..8))
                        .map(|_| pieces[rng.usize(..pieces.len())])
                        .collect()
                })
                .collect();
            sets.push(
                patterns
                    .iter()
                    .flat_map(|p| {
                        crate::rules::heads::rule_heads(
                            &regex_automata::util::syntax::parse_with(
                                p,
                                &crate::rules::syntax_config(),
                            )
                            .expect("pattern"),
                        )
                    })
                    .collect(),
            );
        }
        let every = [Path::Avx512, Path::Avx2, Path::Scalar].map(|path| Costs {
            w: Weights::new(),
            path,
        });
        for (n, hs) in sets.iter().enumerate() {
            assert!(check_tables(hs) == check_tables_by_byte(hs), "set {n}");
            for costs in &every {
                let path = costs.path;
                let offsets = choose_offsets(hs, &costs.w, path.offsets());
                let mut buckets: Vec<Bucket> = Vec::new();
                for h in hs {
                    let b = Bucket(
                        offsets
                            .iter()
                            .map(|&o| h.classes.get(o).copied().unwrap_or(ByteSet::FULL))
                            .collect(),
                    );
                    if !buckets.contains(&b) {
                        buckets.push(b);
                    }
                }
                for to in [BUCKETS, 2] {
                    assert!(
                        merge_down(buckets.clone(), to, costs)
                            == merge_down_by_scan(buckets.clone(), to, costs),
                        "set {n}, {path:?}, down to {to} of {}",
                        buckets.len()
                    );
                }
            }
        }
    }

    #[test]
    fn a_rule_that_can_begin_anywhere_leaves_no_filter() {
        assert!(filter_for(&["abc", r"q[a-z]*x"]).is_some());
        // Any byte may start a match, or a common one may: the regex is cheaper then.
        assert!(filter_for(&["abc", r"(?s:.)*x"]).is_none());
        assert!(filter_for(&["abc", r"[a-z]*x"]).is_none());
    }

    /// Each vector path this CPU has and the one-position-at-a-time path find the same
    /// candidates, and every place a pattern matches is one of them.
    #[test]
    fn candidates_cover_every_match_and_agree_between_paths() {
        for path in [Path::Avx512, Path::Avx2, Path::Scalar] {
            if path.available() {
                candidates_cover_every_match_on(path);
            }
        }
    }

    fn candidates_cover_every_match_on(path: Path) {
        let patterns = [
            r"(?i:upstash)[a-z_]*",
            r"\bA[A-D][0-9]{10}",
            r"sig_[a-z]{4}",
            r"-u\s+x",
            // A class with bytes from 0x80 up (which the AVX-512 path folds onto ASCII).
            r"\x9e[\x80-\x90]q",
        ];
        let filter = filter_on(&patterns, path).expect("a filter on an available path");
        let re = regex_automata::meta::Regex::builder()
            .syntax(crate::rules::syntax_config())
            .build_many(&patterns)
            .expect("patterns");
        let mut rng = fastrand::Rng::with_seed(11);
        let pieces: [&[u8]; 9] = [
            b"UpStash_x",
            b" AB0123456789",
            b"sig_abcd",
            b"-u  x",
            b"\0\xff",
            b"\x9e\x85q",
            b"zz",
            b"\n",
            b"A",
        ];
        for round in 0..300 {
            let mut hay = Vec::new();
            while hay.len() < round * 3 {
                if rng.bool() {
                    hay.extend_from_slice(pieces[rng.usize(..pieces.len())]);
                } else {
                    hay.push(rng.u8(..));
                }
            }
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            let from = rng.usize(..=hay.len());
            let to = rng.usize(from..=hay.len());
            let nul = filter.candidates(&hay, from, to, &mut fast);
            filter.candidates_scalar(&hay, from, to, &mut slow);
            assert_eq!(fast, slow, "{path:?}, round {round}");
            assert_eq!(
                nul,
                hay[from..to].contains(&0),
                "{path:?}, round {round}: NUL in {from}..{to}"
            );
            for s in from..to {
                let input = regex_automata::Input::new(&hay)
                    .range(s..to)
                    .anchored(regex_automata::Anchored::Yes);
                if re.search(&input).is_some() {
                    assert!(
                        fast.binary_search(&s).is_ok(),
                        "{path:?}, round {round}: match at {s} missed"
                    );
                }
            }
        }
    }
}
