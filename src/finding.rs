//! What a scan reports: the kinds of credential, one raw match per occurrence, and one
//! [`Finding`] per distinct secret with all the places it was seen.
//!
//! Secrets never leave this module in full unless the caller asks: [`Finding::preview`] is the
//! redacted form every report uses, and [`sha256_hex`] is the stable identity of a secret
//! (baselines, allowlists, the account check and SARIF fingerprints all key on it).

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::PathBuf;

/// The credential kinds of docs/formats.md §1, spelled as the reports spell them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    RedisRestToken,
    RedisRestTokenReadonly,
    RedisPassword,
    RedisUrl,
    QstashToken,
    QstashSigningKey,
    VectorToken,
    VectorTokenReadonly,
    SearchToken,
    SearchTokenReadonly,
    DeveloperApiKey,
    /// An Upstash Kafka password (REST and SASL share it). Kafka closed in 2025: nothing can
    /// check or rotate it, but it must never be taken for a Redis password.
    KafkaPassword,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::RedisRestToken,
        Kind::RedisRestTokenReadonly,
        Kind::RedisPassword,
        Kind::RedisUrl,
        Kind::QstashToken,
        Kind::QstashSigningKey,
        Kind::VectorToken,
        Kind::VectorTokenReadonly,
        Kind::SearchToken,
        Kind::SearchTokenReadonly,
        Kind::DeveloperApiKey,
        Kind::KafkaPassword,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::RedisRestToken => "redis-rest-token",
            Kind::RedisRestTokenReadonly => "redis-rest-token-readonly",
            Kind::RedisPassword => "redis-password",
            Kind::RedisUrl => "redis-url",
            Kind::QstashToken => "qstash-token",
            Kind::QstashSigningKey => "qstash-signing-key",
            Kind::VectorToken => "vector-token",
            Kind::VectorTokenReadonly => "vector-token-readonly",
            Kind::SearchToken => "search-token",
            Kind::SearchTokenReadonly => "search-token-readonly",
            Kind::DeveloperApiKey => "developer-api-key",
            Kind::KafkaPassword => "kafka-password",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A plain-words title for human output and SARIF.
    pub fn title(self) -> &'static str {
        match self {
            Kind::RedisRestToken => "Upstash Redis REST token (read-write)",
            Kind::RedisRestTokenReadonly => "Upstash Redis REST token (read-only)",
            Kind::RedisPassword => "Upstash Redis database password",
            Kind::RedisUrl => "Upstash Redis connection URL with password",
            Kind::QstashToken => "Upstash QStash token",
            Kind::QstashSigningKey => "Upstash QStash signing key",
            Kind::VectorToken => "Upstash Vector token (read-write)",
            Kind::VectorTokenReadonly => "Upstash Vector token (read-only)",
            Kind::SearchToken => "Upstash Search token (read-write)",
            Kind::SearchTokenReadonly => "Upstash Search token (read-only)",
            Kind::DeveloperApiKey => "Upstash Developer API key",
            Kind::KafkaPassword => "Upstash Kafka password (product closed in 2025)",
        }
    }

    /// When the same secret is matched by several rules, the finding takes the most specific
    /// kind: a structurally decoded token says more than a URL, a URL more than a bare password.
    pub fn specificity(self) -> u8 {
        match self {
            Kind::RedisPassword | Kind::DeveloperApiKey | Kind::KafkaPassword => 1,
            Kind::RedisUrl => 2,
            _ => 3,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a structural decode (or the text around a match) revealed about a secret. Every field
/// is optional: each decoder fills what its layout carries. Read back (from the audit's store or
/// a report), a word outside the [`VOCABULARY`] is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Details {
    /// `read-write` or `read-only`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<&'static str>,
    /// Redis token layout: `current` or `legacy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<&'static str>,
    /// Width in bytes of the database number a Redis token carries (2 or 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_bytes: Option<u8>,
    /// The Redis database number (the number at the end of its host name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_number: Option<u64>,
    /// The database UUID a legacy Redis token carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_id: Option<String>,
    /// A legacy read-write Redis token carries the database password in clear.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exposes_password: bool,
    /// SHA-256 of the password a legacy token carries, so ownership can be matched on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded_password_sha256: Option<String>,
    /// Vector/Search index endpoint named inside the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_endpoint: Option<String>,
    /// `vector`, `search`, or `unknown` when nothing nearby says which.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<&'static str>,
    /// QStash user id inside a QStash token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Host of a redis:// URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_user: Option<String>,
    /// What the password of a redis:// URL is (`redis-password`, `redis-rest-token`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_kind: Option<Kind>,
    /// An email written beside a Developer API key (the user name it authenticates with).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A value Upstash publishes (the QStash development server's credentials): not a leak.
    /// Never read back: such a match is set aside, not reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_value: Option<&'static str>,
}

/// The fixed words of [`Details`] and [`Context`] (`access`, `layout`, `product`, `encoding`).
pub const VOCABULARY: [&str; 11] = [
    "read-write",
    "read-only",
    "current",
    "legacy",
    "vector",
    "search",
    "unknown",
    "percent",
    "json-escape",
    "base64",
    "utf-16",
];

/// A fixed word read back as the `&'static str` the decoders write.
fn word(s: Option<String>) -> Option<&'static str> {
    s.and_then(|s| VOCABULARY.iter().copied().find(|v| *v == s))
}

impl<'de> Deserialize<'de> for Details {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Details, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Written {
            access: Option<String>,
            layout: Option<String>,
            id_bytes: Option<u8>,
            database_number: Option<u64>,
            database_id: Option<String>,
            exposes_password: bool,
            embedded_password_sha256: Option<String>,
            index_endpoint: Option<String>,
            product: Option<String>,
            user_id: Option<String>,
            url_host: Option<String>,
            url_port: Option<u16>,
            url_user: Option<String>,
            password_kind: Option<Kind>,
            email: Option<String>,
        }
        let w = Written::deserialize(d)?;
        Ok(Details {
            access: word(w.access),
            layout: word(w.layout),
            id_bytes: w.id_bytes,
            database_number: w.database_number,
            database_id: w.database_id,
            exposes_password: w.exposes_password,
            embedded_password_sha256: w.embedded_password_sha256,
            index_endpoint: w.index_endpoint,
            product: word(w.product),
            user_id: w.user_id,
            url_host: w.url_host,
            url_port: w.url_port,
            url_user: w.url_user,
            password_kind: w.password_kind,
            email: w.email,
            public_value: None,
        })
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Context, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Written {
            variable: Option<String>,
            browser_exposed: bool,
            host: Option<String>,
            host_agrees: Option<bool>,
            encoding: Option<String>,
        }
        let w = Written::deserialize(d)?;
        Ok(Context {
            variable: w.variable,
            browser_exposed: w.browser_exposed,
            host: w.host,
            host_agrees: w.host_agrees,
            encoding: word(w.encoding),
        })
    }
}

/// Where a blob came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// A file on disk, by the path to show the user.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// A git blob: its id, the commit that introduced it at `path` (none for the index or for an
    /// object no commit reaches), and its path in that commit's tree (none when unreachable).
    Git {
        blob: String,
        commit: Option<String>,
        path: Option<String>,
    },
    /// Text on a web page: an issue, a pull request or a comment (`upsweep github --issues`),
    /// by its URL.
    Web { url: String },
    /// An entry inside an archive: where the outermost archive came from (a file, standard
    /// input, a git blob, never itself an entry), and the names from that archive down to
    /// the entry, one per nesting level, made safe to print.
    Archive {
        outer: Box<Origin>,
        entries: Vec<String>,
    },
}

impl Origin {
    /// A placeholder until [`Location::restore_origin`] says where a location read back was.
    fn unknown() -> Origin {
        Origin::Stdin
    }

    /// The place as users read it; inside an archive, the chain joined by `!`
    /// (`dist/app.tgz!package/.env`).
    pub fn display_path(&self) -> String {
        match self {
            Origin::File(p) => crate::util::paths::display(p),
            Origin::Stdin => "<stdin>".to_string(),
            Origin::Git { path: Some(p), .. } => p.clone(),
            Origin::Git {
                blob, path: None, ..
            } => format!("<unreachable blob {blob}>"),
            Origin::Web { url } => url.clone(),
            Origin::Archive { outer, entries } => {
                let mut s = outer.display_path();
                for e in entries {
                    s.push('!');
                    s.push_str(e);
                }
                s
            }
        }
    }

    /// The file, blob or stream the bytes were read from: itself, or for an archive entry the
    /// origin of the outermost archive.
    pub fn outer(&self) -> &Origin {
        match self {
            Origin::Archive { outer, .. } => outer.outer(),
            other => other,
        }
    }

    /// Inside an archive: the outer file's place, then each name down to the entry.
    pub fn archive_path(&self) -> Option<Vec<String>> {
        match self {
            Origin::Archive { outer, entries } => {
                let mut chain = vec![outer.display_path()];
                chain.extend(entries.iter().cloned());
                Some(chain)
            }
            _ => None,
        }
    }
}

/// One occurrence of a secret inside a blob, as the scanner sees it (no origin yet).
/// Its `Debug` shows the redacted preview, never the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct RawMatch {
    pub rule: usize,
    pub kind: Kind,
    pub secret: String,
    pub details: Details,
    /// 1-based line and column (in characters) of the first byte of the secret as written.
    pub line: u64,
    pub column: u64,
    /// Byte offset of the secret as written (before any decoding) in the blob.
    pub offset: usize,
    /// Length in bytes of the secret as written.
    pub len: usize,
    pub context: Context,
}

/// What the text around an occurrence says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Context {
    /// The variable or key the secret is assigned to (`UPSTASH_REDIS_REST_TOKEN`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    /// The variable is one a front-end framework bundles into browser code (`NEXT_PUBLIC_...`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub browser_exposed: bool,
    /// The Upstash host written nearby.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Whether that host agrees with what the token says of itself (database number, endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_agrees: Option<bool>,
    /// How the secret was written when not verbatim: `percent`, `json-escape`, `base64`, `utf-16`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
}

/// One place a secret was seen. In a report `path` is the file (or git path) the bytes came
/// from; inside an archive, `archive_path` adds the chain down to the entry, and `line` and
/// `column` are the entry's. Read back from a JSON report, its [`Origin`] is rebuilt from what
/// the report says ([`Location::restore_origin`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// An organisation audit: the repository (`owner/name`).
    pub repository: Option<String>,
    /// The place as users read it ([`Origin::display_path`]): inside an archive, the chain
    /// joined by `!`.
    pub path: String,
    /// Inside an archive: the outer file's place, then each name down to the entry.
    pub archive_path: Option<Vec<String>>,
    pub line: u64,
    pub column: u64,
    pub rule_id: String,
    /// Git history: the commit that introduced this blob at this path, its author and date.
    pub commit: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    /// Git history: the blob holding the secret (inside an archive, the archive's blob).
    pub blob: Option<String>,
    /// An organisation audit: where a person sees it (the GitHub permalink of the line, or the
    /// issue or comment; inside an archive, the archive's file).
    pub url: Option<String>,
    pub context: Context,
    pub origin: Origin,
}

impl Location {
    /// The file the report's `path` names: the outer file of an archive entry.
    pub fn file(&self) -> &str {
        match &self.archive_path {
            Some(chain) if !chain.is_empty() => &chain[0],
            _ => &self.path,
        }
    }

    /// The origin a location read back from a report stands for: a blob id is a git blob, a
    /// URL standing for the path a web page, anything else a file; inside an archive, an
    /// entry of that.
    pub fn restore_origin(&mut self) {
        let file = self.file().to_string();
        let outer = match (&self.blob, &self.url) {
            (Some(blob), _) => Origin::Git {
                blob: blob.clone(),
                commit: self.commit.clone(),
                path: Some(file),
            },
            (None, Some(url)) if *url == file => Origin::Web { url: url.clone() },
            _ => Origin::File(PathBuf::from(&file)),
        };
        self.origin = match &self.archive_path {
            Some(chain) if chain.len() > 1 => Origin::Archive {
                outer: Box::new(outer),
                entries: chain[1..].to_vec(),
            },
            _ => outer,
        };
    }
}

/// A location as reports write it: `path` is the outer file, `archive_path` the chain.
#[derive(Serialize)]
struct LocationOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    repository: Option<&'a str>,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    archive_path: Option<&'a [String]>,
    line: u64,
    column: u64,
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blob: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(flatten)]
    context: &'a Context,
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        LocationOut {
            repository: self.repository.as_deref(),
            path: self.file(),
            archive_path: self.archive_path.as_deref(),
            line: self.line,
            column: self.column,
            rule_id: &self.rule_id,
            commit: self.commit.as_deref(),
            author: self.author.as_deref(),
            date: self.date.as_deref(),
            blob: self.blob.as_deref(),
            url: self.url.as_deref(),
            context: &self.context,
        }
        .serialize(s)
    }
}

/// Read back as [`LocationOut`] writes it: inside an archive, `path` becomes the chain joined
/// by `!` again. The origin is a placeholder until [`Location::restore_origin`].
impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Location, D::Error> {
        #[derive(Deserialize)]
        struct Written {
            repository: Option<String>,
            path: String,
            archive_path: Option<Vec<String>>,
            #[serde(default)]
            line: u64,
            #[serde(default)]
            column: u64,
            /// Left out by some hand-made reports: the reader gives it the finding's.
            #[serde(default)]
            rule_id: String,
            commit: Option<String>,
            author: Option<String>,
            date: Option<String>,
            blob: Option<String>,
            url: Option<String>,
            #[serde(flatten)]
            context: Context,
        }
        let w = Written::deserialize(d)?;
        // A chain of one is the file itself: not inside an archive.
        let archive_path = w.archive_path.filter(|c| c.len() > 1);
        let path = match &archive_path {
            Some(chain) => chain.join("!"),
            None => w.path,
        };
        Ok(Location {
            repository: w.repository,
            path,
            archive_path,
            line: w.line,
            column: w.column,
            rule_id: w.rule_id,
            commit: w.commit,
            author: w.author,
            date: w.date,
            blob: w.blob,
            url: w.url,
            context: w.context,
            origin: Origin::unknown(),
        })
    }
}

/// One distinct secret and every place it was seen. Its `Debug` shows the redacted preview,
/// never the secret.
#[derive(Clone)]
pub struct Finding {
    pub kind: Kind,
    pub rule_id: String,
    /// The secret; empty when it is not at hand (a finding read back from a report or from the
    /// audit's store, which hold hashes and previews only).
    pub secret: String,
    /// The redacted preview of a finding whose secret is not at hand.
    pub known_preview: Option<String>,
    pub sha256: String,
    pub details: Details,
    pub locations: Vec<Location>,
    /// Git history scans only: where the secret entered history and whether it is still there.
    pub history: Option<History>,
}

/// What a history scan adds to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The oldest commit whose tree holds the secret; `None` when only unreachable objects do.
    pub introduced_in: Option<String>,
    /// Whether HEAD's tree (a range's head, for a range scan) still holds it.
    pub in_head: bool,
    /// When HEAD no longer holds it: the commit that took it out of the tree, when it is on
    /// HEAD's side of the history. The secret is still in every commit before it.
    pub removed_in: Option<String>,
}

impl Finding {
    pub fn preview(&self) -> String {
        match &self.known_preview {
            Some(p) if self.secret.is_empty() => p.clone(),
            _ => redact(&self.secret),
        }
    }

    pub fn browser_exposed(&self) -> bool {
        self.locations.iter().any(|l| l.context.browser_exposed)
    }

    pub fn title(&self) -> &'static str {
        if self.details.product == Some("unknown") {
            return match self.kind {
                Kind::VectorTokenReadonly => "Upstash Vector or Search token (read-only)",
                _ => "Upstash Vector or Search token (read-write)",
            };
        }
        self.kind.title()
    }
}

impl fmt::Debug for RawMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMatch")
            .field("rule", &self.rule)
            .field("kind", &self.kind)
            .field("secret", &redact(&self.secret))
            .field("line", &self.line)
            .field("column", &self.column)
            .field("details", &self.details)
            .field("context", &self.context)
            .finish()
    }
}

impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("kind", &self.kind)
            .field("rule_id", &self.rule_id)
            .field("secret", &self.preview())
            .field("sha256", &self.sha256)
            .field("details", &self.details)
            .field("locations", &self.locations)
            .field("history", &self.history)
            .finish()
    }
}

/// Lowercase hex SHA-256 of the exact secret string.
pub fn sha256_hex(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// A preview that identifies a secret to its owner without revealing it: a few leading
/// characters (for Redis and Vector tokens these encode only the header, not the secret part),
/// an ellipsis and the length.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let shown = match n {
        0..=11 => 0,
        12..=35 => 4,
        _ => 6,
    };
    let head: String = secret.chars().take(shown).collect();
    format!("{head}…({n} chars)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_lowercase_hex_of_exact_string() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn redaction_never_shows_most_of_the_secret() {
        let s = "038a8e27c45e43068d5f186085399884";
        let r = redact(s);
        assert!(!r.contains("c45e4306"));
        assert_eq!(r, "038a…(32 chars)");
        assert_eq!(redact("short"), "…(5 chars)");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = "038a8e27c45e43068d5f186085399884".to_string();
        let f = Finding {
            kind: Kind::RedisPassword,
            rule_id: "r".into(),
            sha256: sha256_hex(&secret),
            secret: secret.clone(),
            known_preview: None,
            details: Details::default(),
            locations: Vec::new(),
            history: None,
        };
        assert!(!format!("{f:?}").contains(&secret));
        assert!(format!("{f:?}").contains(&f.sha256));
    }

    #[test]
    fn a_place_inside_an_archive_reads_as_its_chain() {
        let git = Origin::Git {
            blob: "b".into(),
            commit: Some("c".into()),
            path: Some("dist/app.tgz".into()),
        };
        let inner = Origin::Archive {
            outer: Box::new(git.clone()),
            entries: vec!["layer.tar".into(), "package/.env".into()],
        };
        assert_eq!(inner.display_path(), "dist/app.tgz!layer.tar!package/.env");
        assert_eq!(inner.outer(), &git);
        assert_eq!(
            inner.archive_path().unwrap(),
            ["dist/app.tgz", "layer.tar", "package/.env"]
        );
        assert_eq!(git.archive_path(), None);
        assert_eq!(git.outer(), &git);
    }

    #[test]
    fn details_and_context_read_back_as_written() {
        let d = Details {
            access: Some("read-only"),
            layout: Some("legacy"),
            database_number: Some(7),
            product: Some("unknown"),
            exposes_password: true,
            password_kind: Some(Kind::RedisPassword),
            public_value: Some("published"),
            ..Details::default()
        };
        let back: Details = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
        assert_eq!(
            back,
            Details {
                public_value: None,
                ..d
            }
        );
        let c = Context {
            variable: Some("X".into()),
            encoding: Some("utf-16"),
            host_agrees: Some(false),
            ..Context::default()
        };
        let back: Context = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        let odd: Details = serde_json::from_str(r#"{"access":"sideways"}"#).unwrap();
        assert_eq!(odd.access, None);
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
