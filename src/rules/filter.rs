//! The filter that finds where a rule could start, so that the regex runs only there.
//!
//! Built once with the [`super::Matcher`] from the rules' [`heads`](super::heads): a few
//! offsets (at most 8, chosen where the heads' classes are rarest) and, for each offset, which
//! bytes each of 8 buckets of heads accepts there. A position is a candidate when, for some
//! bucket, the bytes at every offset after it are accepted. With AVX2 this tests 32 positions
//! at a time: each byte is split into its two nibbles and each nibble looked up in a 16-entry
//! table whose bits are the buckets (the "shufti" and Teddy technique of Hyperscan and
//! aho-corasick), so a table says exactly which bytes a bucket accepts only for sets shaped as
//! "these low nibbles with these high nibbles"; any other set is widened to the smallest such
//! shape. Widening and merging heads into buckets only ever add candidates, never lose one:
//! every place a rule can match is a candidate, and the regex decides.
//!
//! Whether the CPU has AVX2 is checked at run time. Without it (and on other architectures,
//! where only the portable code is compiled) the filter's one-position-at-a-time path would
//! cost more than the regex itself, so the scanner runs the regex over every byte instead (see
//! [`Filter::simd`]), as it does when some rule can begin with anything; tests run all three
//! ways over the same bytes and compare.

use super::heads::{ByteSet, Head};

/// At most this many offsets are tested per position.
const MAX_OFFSETS: usize = 8;
/// Buckets of heads (bits of a table entry).
const BUCKETS: usize = 8;
/// A filter expected to pass more than this share of positions is not worth its cost.
const MAX_DENSITY: f64 = 0.02;

pub(crate) struct Filter {
    /// Offsets after a position that are tested, in the order chosen (the most selective
    /// first).
    offsets: Vec<usize>,
    /// Per offset, the buckets that accept a byte's low and high nibble.
    lo: Vec<[u8; 16]>,
    hi: Vec<[u8; 16]>,
    /// Per offset, the buckets that accept each byte (`lo[b & 15] & hi[b >> 4]`).
    table: Vec<[u8; 256]>,
    /// Whether the CPU has AVX2 (checked at run time): then the vector path runs.
    avx2: bool,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("offsets", &self.offsets)
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
    /// `cell[h][l]`: the weight of the byte `h << 4 | l`, over the total.
    cell: [[f64; 16]; 16],
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
        Weights { cell, row }
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
        set.bytes()
            .map(|b| self.cell[usize::from(b >> 4)][usize::from(b & 15)])
            .sum()
    }
}

/// The smallest nibble-product shape holding `set`, as (low nibbles, high nibbles).
fn shape(set: &ByteSet) -> (u16, u16) {
    set.bytes().fold((0, 0), |(lo, hi), b| {
        (lo | 1 << (b & 15), hi | 1 << (b >> 4))
    })
}

const ANY: (u16, u16) = (0xFFFF, 0xFFFF);

/// A bucket: its shape at each tested offset.
#[derive(Clone, PartialEq)]
struct Bucket(Vec<(u16, u16)>);

impl Bucket {
    fn share(&self, w: &Weights) -> f64 {
        self.0.iter().map(|&s| w.share(s)).product()
    }

    /// The share of `self.merge(other)`, without building it.
    fn merged_share(&self, other: &Bucket, w: &Weights) -> f64 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| w.share((a.0 | b.0, a.1 | b.1)))
            .product()
    }

    fn merge(&self, other: &Bucket) -> Bucket {
        Bucket(
            self.0
                .iter()
                .zip(&other.0)
                .map(|(a, b)| (a.0 | b.0, a.1 | b.1))
                .collect(),
        )
    }
}

/// The offsets to test: greedily, the one that most lowers the heads' summed share, while
/// that helps.
fn choose_offsets(heads: &[Head], w: &Weights) -> Vec<usize> {
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
    while chosen.len() < MAX_OFFSETS {
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

/// Merge buckets pairwise, always the pair whose merge adds the least share, down to `n`.
fn merge_down(mut buckets: Vec<Bucket>, n: usize, w: &Weights) -> Vec<Bucket> {
    let len = buckets.len();
    let mut share: Vec<f64> = buckets.iter().map(|b| b.share(w)).collect();
    let cost =
        |b: &[Bucket], s: &[f64], i: usize, j: usize| b[i].merged_share(&b[j], w) - s[i] - s[j];
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
        share[i] = buckets[i].share(w);
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

impl Filter {
    /// A filter for these heads (every rule's, together), or `None` when it would not help:
    /// some head is empty (a rule can begin with anything) or too many positions would pass.
    pub(crate) fn new(heads: &[Head]) -> Option<Filter> {
        if heads.is_empty() || heads.iter().any(|h| h.classes.is_empty()) {
            return None;
        }
        Filter::build(heads)
    }

    fn build(heads: &[Head]) -> Option<Filter> {
        let w = Weights::new();
        let offsets = choose_offsets(heads, &w);
        let mut buckets: Vec<Bucket> = Vec::new();
        for h in heads {
            let b = Bucket(
                offsets
                    .iter()
                    .map(|&o| h.classes.get(o).map_or(ANY, shape))
                    .collect(),
            );
            if !buckets.contains(&b) {
                buckets.push(b);
            }
        }
        let buckets = merge_down(buckets, BUCKETS, &w);
        let density: f64 = buckets.iter().map(|b| b.share(&w)).sum();
        if density > MAX_DENSITY {
            return None;
        }
        let mut lo = vec![[0u8; 16]; offsets.len()];
        let mut hi = vec![[0u8; 16]; offsets.len()];
        for (k, bucket) in buckets.iter().enumerate() {
            for (i, &(l, h)) in bucket.0.iter().enumerate() {
                for n in 0..16 {
                    if l >> n & 1 == 1 {
                        lo[i][n] |= 1 << k;
                    }
                    if h >> n & 1 == 1 {
                        hi[i][n] |= 1 << k;
                    }
                }
            }
        }
        let table = (0..offsets.len())
            .map(|i| {
                let mut t = [0u8; 256];
                for (b, entry) in t.iter_mut().enumerate() {
                    *entry = lo[i][b & 15] & hi[i][b >> 4];
                }
                t
            })
            .collect();
        Some(Filter {
            offsets,
            lo,
            hi,
            table,
            avx2: simd_available(),
        })
    }

    /// Whether the vector path runs on this CPU: only then is the filter cheaper than the
    /// regex.
    pub(crate) fn simd(&self) -> bool {
        self.avx2
    }

    /// Use only the one-position-at-a-time path (to compare it with the vector path).
    #[cfg(test)]
    pub(crate) fn scalar_only(&mut self) {
        self.avx2 = false;
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

    /// Every candidate position in `from..to`, in order, appended to `out`. Bytes after `to`
    /// may be read (a head longer than the range simply cannot match there).
    pub(crate) fn candidates(&self, hay: &[u8], from: usize, to: usize, out: &mut Vec<usize>) {
        let mut i = from;
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            let reach = self.offsets.iter().copied().max().unwrap_or(0);
            // Blocks whose every load lies inside the haystack.
            let end = hay.len().saturating_sub(reach + 32).min(to);
            if i < end {
                // SAFETY: `self.avx2` is set only when the CPU reports AVX2 (checked at run
                // time in `Filter::new`), and `end + reach + 32 <= hay.len()` as that function
                // requires.
                unsafe { self.candidates_avx2(hay, i, end, out) };
                i = end;
            }
        }
        self.candidates_scalar(hay, i, to, out);
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
            if acc != 0 && self.accepts_from(hay, i, 1, acc) {
                out.push(i);
            }
        }
    }

    /// Candidates in `from..end`, 32 positions at a time.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2, and `end + reach + 32 <= hay.len()` where `reach` is the
    /// largest offset.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn candidates_avx2(&self, hay: &[u8], from: usize, end: usize, out: &mut Vec<usize>) {
        // One loop per count of offsets, so that the count is known when compiling: the
        // tables stay in registers and the loop over offsets is unrolled.
        // SAFETY (all arms): the caller's promise is passed on unchanged.
        unsafe {
            match self.offsets.len() {
                1 => self.avx2_loop::<1>(hay, from, end, out),
                2 => self.avx2_loop::<2>(hay, from, end, out),
                3 => self.avx2_loop::<3>(hay, from, end, out),
                4 => self.avx2_loop::<4>(hay, from, end, out),
                5 => self.avx2_loop::<5>(hay, from, end, out),
                6 => self.avx2_loop::<6>(hay, from, end, out),
                7 => self.avx2_loop::<7>(hay, from, end, out),
                _ => self.avx2_loop::<MAX_OFFSETS>(hay, from, end, out),
            }
        }
    }

    /// [`Filter::candidates_avx2`] for a filter of `N` offsets.
    ///
    /// # Safety
    ///
    /// As for [`Filter::candidates_avx2`]; also `N == self.offsets.len()`.
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
        let mut i = from;
        while i < end {
            let mut acc = _mm256_set1_epi8(-1);
            for k in 0..N {
                // SAFETY: i < end and end + reach + 32 <= hay.len() (the caller's promise),
                // so the 32 bytes loaded from i + offsets[k] lie inside `hay`.
                let v = unsafe { _mm256_loadu_si256(base.add(i + offsets[k]).cast()) };
                let l = _mm256_shuffle_epi8(lo[k], _mm256_and_si256(v, nibble));
                let h =
                    _mm256_shuffle_epi8(hi[k], _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
                acc = _mm256_and_si256(acc, _mm256_and_si256(l, h));
            }
            let mut bits = !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(acc, zero)) as u32);
            while bits != 0 {
                let j = i + bits.trailing_zeros() as usize;
                if j >= end {
                    break;
                }
                out.push(j);
                bits &= bits - 1;
            }
            i += 32;
        }
    }
}

fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::heads::heads;

    fn filter_for(patterns: &[&str]) -> Option<Filter> {
        let hs: Vec<Head> = patterns
            .iter()
            .flat_map(|p| {
                heads(
                    &regex_automata::util::syntax::parse_with(p, &crate::rules::syntax_config())
                        .expect("pattern"),
                )
            })
            .collect();
        Filter::new(&hs)
    }

    #[test]
    fn a_rule_that_can_begin_anywhere_leaves_no_filter() {
        assert!(filter_for(&["abc", r"q[a-z]*x"]).is_some());
        // Any byte may start a match, or a common one may: the regex is cheaper then.
        assert!(filter_for(&["abc", r"(?s:.)*x"]).is_none());
        assert!(filter_for(&["abc", r"[a-z]*x"]).is_none());
    }

    /// The AVX2 path and the one-position-at-a-time path find the same candidates, and every
    /// place a pattern matches is one of them.
    #[test]
    fn candidates_cover_every_match_and_agree_between_paths() {
        let patterns = [
            r"(?i:upstash)[a-z_]*",
            r"\bA[A-D][0-9]{10}",
            r"sig_[a-z]{4}",
            r"-u\s+x",
        ];
        let Some(filter) = filter_for(&patterns) else {
            return; // no AVX2 here: nothing to compare
        };
        let re = regex_automata::meta::Regex::builder()
            .syntax(crate::rules::syntax_config())
            .build_many(&patterns)
            .expect("patterns");
        let mut rng = fastrand::Rng::with_seed(11);
        let pieces: [&[u8]; 8] = [
            b"UpStash_x",
            b" AB0123456789",
            b"sig_abcd",
            b"-u  x",
            b"\0\xff",
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
            filter.candidates(&hay, from, to, &mut fast);
            filter.candidates_scalar(&hay, from, to, &mut slow);
            assert_eq!(fast, slow, "round {round}");
            for s in from..to {
                let input = regex_automata::Input::new(&hay)
                    .range(s..to)
                    .anchored(regex_automata::Anchored::Yes);
                if re.search(&input).is_some() {
                    assert!(
                        fast.binary_search(&s).is_ok(),
                        "round {round}: match at {s} missed"
                    );
                }
            }
        }
    }
}
