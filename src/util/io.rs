//! I/O errors in words, and the one-write append the journal and the credentials file rely on.

/// An I/O error in words, without Rust's "(os error 13)" suffix.
pub(crate) fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Write `bytes` in one `write` call, then fsync the data. On an `O_APPEND` file that makes a
/// line land whole or not at all; a short write (a full disk) is an error, never a torn line
/// followed by a retry that glues the next one to it.
pub(crate) fn write_once_synced(file: &mut std::fs::File, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let n = file.write(bytes)?;
    if n != bytes.len() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::WriteZero,
            format!(
                "only {n} of {} bytes were written (is the disk full?)",
                bytes.len()
            ),
        ));
    }
    file.sync_data()
}
