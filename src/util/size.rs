//! Sizes as upsweep prints them, in decimal units (`1.4 MB`), the same in the summary and in
//! the progress bar.

/// `512 B`, `1.4 KB`, `322.6 MB`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A count with thousands grouped (`1,100`), as the progress bar shows its counts, so the
/// summary and the bar read alike.
pub(crate) fn human_count(n: u64) -> String {
    indicatif::HumanCount(n).to_string()
}

/// A rate in the same units: `45.2 MB/s`.
pub(crate) fn human_rate(bytes: u64, seconds: f64) -> String {
    if seconds <= 0.0 {
        return "-".into();
    }
    format!("{}/s", human_bytes((bytes as f64 / seconds) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_400_000), "1.4 MB");
        assert_eq!(human_rate(45_200_000, 1.0), "45.2 MB/s");
        assert_eq!(human_rate(1, 0.0), "-");
    }
}
