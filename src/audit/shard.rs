//! `--shard K/N`: the part of an organisation one machine audits. A repository belongs to
//! shard `K` (1-based, as `1/4` ... `4/4`) when the SHA-256 of its lowercase `owner/name`,
//! read as a number, is `K-1` modulo `N`: the same split on every machine and every run, and
//! whatever order the API lists repositories in. Merging the `N` reports (`upsweep merge`)
//! gives the audit of the whole.

use anyhow::{bail, Result};
use sha2::{Digest, Sha256};
use std::fmt;

/// Shard `k` of `n` (1 <= k <= n).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) k: u64,
    pub(crate) n: u64,
}

impl Shard {
    /// `K/N`, as `--shard` takes it.
    pub(crate) fn parse(s: &str) -> Result<Shard> {
        let Some((k, n)) = s.trim().split_once('/') else {
            bail!("--shard {s:?}: expected K/N, as 1/4 (the first of four shards)");
        };
        let (Ok(k), Ok(n)) = (k.trim().parse::<u64>(), n.trim().parse::<u64>()) else {
            bail!("--shard {s:?}: K and N must be whole numbers, as 1/4");
        };
        if n == 0 || k == 0 || k > n {
            bail!(
                "--shard {s:?}: K counts from 1 to N (1/{n} ... {n}/{n})",
                n = n.max(1)
            );
        }
        Ok(Shard { k, n })
    }

    /// Whether repository `full_name` (`owner/name`) is in this shard.
    pub(crate) fn contains(&self, full_name: &str) -> bool {
        let digest = Sha256::digest(full_name.to_ascii_lowercase().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % self.n == self.k - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_every_name_once_the_same_way_each_time() {
        let names: Vec<String> = (0..400).map(|i| format!("acme/repo-{i}")).collect();
        let shards: Vec<Shard> = (1..=4).map(|k| Shard { k, n: 4 }).collect();
        let mut sizes = [0usize; 4];
        for name in &names {
            let inside: Vec<usize> = (0..4).filter(|&i| shards[i].contains(name)).collect();
            assert_eq!(inside.len(), 1, "{name} is in exactly one shard");
            sizes[inside[0]] += 1;
            // Case does not matter (GitHub names are case-insensitive).
            assert!(shards[inside[0]].contains(&name.to_uppercase()));
        }
        // Roughly even: each shard holds between a sixth and a third of the names.
        assert!(
            sizes.iter().all(|&s| (400 / 6..400 / 3).contains(&s)),
            "{sizes:?}"
        );
        // A fixed point, so the split never changes between versions.
        assert!(Shard { k: 1, n: 1 }.contains("anything/at-all"));
        // sha256("acme/web"), its first 8 bytes big-endian, mod 4 is 2: shard 3 of 4.
        assert!(Shard { k: 3, n: 4 }.contains("acme/web"));
        assert!(Shard { k: 3, n: 4 }.contains("ACME/Web"));
    }

    #[test]
    fn shard_flags_are_checked() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { k: 2, n: 4 });
        assert_eq!(Shard::parse("2/4").unwrap().to_string(), "2/4");
        for bad in ["0/4", "5/4", "1/0", "1", "a/b", "-1/4", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
