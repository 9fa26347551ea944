//! How much likelier a base58 string is a name written by a person (`HandleTermRequestQueue`,
//! `D3DKMTSubmitCommandToHwQueue`, `kSSLConfigJdk11WorkaroundTag`) than random base58 (what
//! a key is). Keys are drawn uniformly from 58 characters; names are made of words, so their
//! letters follow English frequencies (`e`, `t`, `r` common, `j`, `q`, `z` rare), a capital
//! is nearly always followed by small letters, and digits come rarely and in runs.
//!
//! The measure is a log-likelihood ratio between a small model of names and the uniform
//! model of keys. The model's figures (which class of character follows which, and how often
//! each letter occurs within its class) were counted once over the 17,510 distinct names made
//! only of base58 characters, 12 to 60 long, in a Linux system's `/usr/include`; they were
//! checked against names from other code (Rust crates, Windows bindings) and against random
//! keys.
//!
//! Because the ratio's expectation under the random model is exactly 1, a random key scores
//! `t` nats or more with probability at most `e^-t` whatever its length (Markov's
//! inequality): the thresholds below are bounds on how many real keys they can cost, not
//! guesses.

/// Which class of character follows which, per thousand, in names: rows are the class of the
/// character before (digit, capital, small letter), columns the class of the one after.
const FOLLOWS: [[u32; 3]; 3] = [[521, 373, 106], [8, 195, 797], [2, 157, 841]];

/// How often each capital occurs among capitals in names (`A`..`Z` without `I` and `O`), per
/// thousand; rare letters are floored at 2 so one letter never decides.
const CAPITALS: [u32; 24] = [
    63, 38, 86, 54, 51, 54, 26, 14, 2, 16, 55, 71, 45, 77, 6, 74, 117, 64, 21, 28, 24, 9, 2, 4,
];
const CAPITAL_LETTERS: &[u8; 24] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

/// How often each small letter occurs among small letters in names (`a`..`z` without `l`),
/// per thousand, floored at 2.
const SMALL: [u32; 25] = [
    73, 11, 40, 37, 157, 12, 24, 14, 72, 2, 11, 29, 75, 73, 26, 3, 91, 63, 114, 30, 9, 6, 9, 17, 3,
];
const SMALL_LETTERS: &[u8; 25] = b"abcdefghijkmnopqrstuvwxyz";

/// Evidence (nats) at or above which a value reads as a name even beside a word like
/// "signing": a random key scores this much at most once in 1.2 million (e^-14).
pub(super) const NAME_NATS: f64 = 14.0;

fn class(b: u8) -> usize {
    if b.is_ascii_digit() {
        0
    } else if b.is_ascii_uppercase() {
        1
    } else {
        2
    }
}

/// The probability, within its class, that a name has `b` where a key has any of the class's
/// characters; `None` for a character outside base58.
fn within_class(b: u8) -> Option<f64> {
    let share = |letters: &[u8], weights: &[u32]| {
        let i = letters.iter().position(|&c| c == b)?;
        let total: u32 = weights.iter().sum();
        Some(f64::from(weights[i]) / f64::from(total))
    };
    match class(b) {
        // Digits in names carry no pattern the model relies on: taken as evenly spread.
        0 => (b != b'0').then_some(1.0 / 9.0),
        1 => share(CAPITAL_LETTERS, &CAPITALS),
        _ => share(SMALL_LETTERS, &SMALL),
    }
}

/// `ln(P(v | name) / P(v | random base58))` over the characters after the first; positive
/// when `v` is likelier a name. Random keys of 28 characters score about -29 on average, names
/// of that length +5 to +40; the gap grows with the length. `None` when `v` is not base58.
pub(super) fn name_evidence(v: &[u8]) -> Option<f64> {
    let mut nats = 0.0;
    for w in v.windows(2) {
        let row = FOLLOWS[class(w[0])];
        let row_total: u32 = row.iter().sum();
        let follows = f64::from(row[class(w[1])]) / f64::from(row_total);
        // Under the random model each character has probability 1/58.
        nats += (follows * within_class(w[1])? * 58.0).ln();
    }
    Some(nats)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model is a probability distribution over each next character, which is what makes
    /// `e^-t` a bound.
    #[test]
    fn the_model_sums_to_one_over_base58() {
        let base58 = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        for prev in [b'7', b'Q', b'q'] {
            let row = FOLLOWS[class(prev)];
            let total: u32 = row.iter().sum();
            let sum: f64 = base58
                .iter()
                .map(|&b| f64::from(row[class(b)]) / f64::from(total) * within_class(b).unwrap())
                .sum();
            assert!((sum - 1.0).abs() < 1e-9, "{sum}");
        }
        assert_eq!(within_class(b'0'), None);
        assert_eq!(within_class(b'l'), None);
        assert_eq!(within_class(b'O'), None);
    }

    #[test]
    fn names_score_high_and_random_text_low() {
        let name = |v: &str| name_evidence(v.as_bytes()).unwrap();
        assert!(name("HandTermRequestQueueMaskWaitReapPendingSetGetUp") > NAME_NATS);
        assert!(name("D3DKMTSubmitCommandToHwQueue") > 0.0);
        assert!(name("kSSLConfigJdk11WorkaroundTag") > 0.0);
        assert!(name("yLimjHCvdjFE9crmWfucNyrah4LK") < -10.0);
        assert!(name("EjeydnnSJGtUSFojgzo21ehmzhTN") < -10.0);
        assert_eq!(name_evidence(b"Hello_World"), None);
    }
}
