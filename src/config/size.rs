//! Sizes as people write them (`--max-file-size 16M`, `max-file-size = "16M"`).

use anyhow::{bail, Result};

/// `123`, `64K`, `64M`, `2G` (binary multiples; a trailing `B`/`iB` is accepted).
pub(crate) fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    match num
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
    {
        Some(n) if n > 0 => Ok(n),
        _ => bail!("invalid size {s:?}: use a number of bytes, or with K, M or G (e.g. 64M)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M").unwrap(), 64 << 20);
        assert_eq!(parse_size("10").unwrap(), 10);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }
}
