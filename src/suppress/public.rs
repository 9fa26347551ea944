//! Values Upstash publishes (the QStash local development server's credentials): the decoders
//! recognise them and mark them, and they are counted and set aside, never reported as leaks.

use crate::finding::{sha256_hex, Origin, RawMatch};
use crate::outcome::{Suppressed, Why};

/// Whether a match is a value Upstash publishes.
pub(crate) fn is_public_value(m: &RawMatch) -> bool {
    m.details.public_value.is_some()
}

/// The entry that sets aside a published value found at `origin` (`None` for any other match).
pub(crate) fn set_aside(origin: &Origin, m: &RawMatch) -> Option<Suppressed> {
    let what = m.details.public_value?;
    Some(Suppressed {
        why: Why::Public(what.to_string()),
        what: format!("{} ({what})", m.kind),
        at: format!("{}:{}:{}", origin.display_path(), m.line, m.column),
        sha256: sha256_hex(&m.secret),
    })
}
