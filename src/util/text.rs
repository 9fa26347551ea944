//! How counted words are written.

/// The `s` a noun takes after `n` ("1 file", "2 files").
pub(crate) fn plural_s<N: PartialEq + From<u8>>(n: N) -> &'static str {
    if n == N::from(1) {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_takes_no_s_and_every_other_count_does() {
        assert_eq!(format!("1 file{}", plural_s(1usize)), "1 file");
        assert_eq!(format!("0 file{}", plural_s(0u64)), "0 files");
        assert_eq!(format!("2 file{}", plural_s(2u32)), "2 files");
    }
}
