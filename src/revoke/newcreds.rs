//! A resource's credential values as the API answers them (before and after a rotation), and
//! the `--new-credentials` env file the new ones go to, with the variable names each product's
//! SDKs read. The file is created with mode 0600 (never created wider and narrowed later), and
//! refused if it exists: new credentials must not be mixed into, or lost in, an older file.

use crate::upstash::{qstash_host, Credential, Product, Secret};
use anyhow::{bail, Context as _, Result};
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// A resource's current credentials, as the API gave them (`None`: not shown).
#[derive(Debug, Clone)]
pub(crate) enum Values {
    Redis {
        name: String,
        host: String,
        port: Option<u64>,
        password: Option<Secret>,
        rest_token: Option<Secret>,
        read_only_token: Option<Secret>,
    },
    Index {
        product: Product,
        name: String,
        host: String,
        token: Option<Secret>,
        read_only_token: Option<Secret>,
    },
    QstashToken {
        region: String,
        token: Option<Secret>,
        read_only_token: Option<Secret>,
    },
    SigningKeys {
        region: String,
        current: Secret,
        next: Secret,
    },
}

impl Values {
    /// Each credential's hash, by role.
    pub(crate) fn hashes(&self) -> Vec<(Credential, Option<String>)> {
        let h = |s: &Option<Secret>| s.as_ref().map(Secret::sha256);
        match self {
            Values::Redis {
                password,
                rest_token,
                read_only_token,
                ..
            } => vec![
                (Credential::Password, h(password)),
                (Credential::ReadWriteToken, h(rest_token)),
                (Credential::ReadOnlyToken, h(read_only_token)),
            ],
            Values::Index {
                token,
                read_only_token,
                ..
            }
            | Values::QstashToken {
                token,
                read_only_token,
                ..
            } => vec![
                (Credential::ReadWriteToken, h(token)),
                (Credential::ReadOnlyToken, h(read_only_token)),
            ],
            Values::SigningKeys { current, next, .. } => vec![
                (Credential::CurrentSigningKey, Some(current.sha256())),
                (Credential::NextSigningKey, Some(next.sha256())),
            ],
        }
    }

    /// Every value, for tests and scrubbing (unused today).
    #[allow(dead_code)]
    pub(crate) fn secrets(&self) -> Vec<&Secret> {
        match self {
            Values::Redis {
                password,
                rest_token,
                read_only_token,
                ..
            } => [password, rest_token, read_only_token]
                .into_iter()
                .flatten()
                .collect(),
            Values::Index {
                token,
                read_only_token,
                ..
            }
            | Values::QstashToken {
                token,
                read_only_token,
                ..
            } => [token, read_only_token].into_iter().flatten().collect(),
            Values::SigningKeys { current, next, .. } => vec![current, next],
        }
    }

    fn product(&self) -> Product {
        match self {
            Values::Redis { .. } => Product::Redis,
            Values::Index { product, .. } => *product,
            Values::QstashToken { .. } | Values::SigningKeys { .. } => Product::Qstash,
        }
    }

    fn region(&self) -> Option<&str> {
        match self {
            Values::QstashToken { region, .. } | Values::SigningKeys { region, .. } => Some(region),
            _ => None,
        }
    }

    fn name(&self) -> Option<&str> {
        match self {
            Values::Redis { name, .. } | Values::Index { name, .. } => Some(name),
            _ => None,
        }
    }

    /// `NAME=value` lines, each name behind `prefix`.
    fn lines(&self, prefix: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut put = |name: &str, v: Option<&Secret>| {
            if let Some(v) = v {
                out.push((format!("{prefix}{name}"), v.expose().to_string()));
            }
        };
        match self {
            Values::Redis {
                host,
                port,
                password,
                rest_token,
                read_only_token,
                ..
            } => {
                let url = Secret::new(format!("https://{host}"));
                put("UPSTASH_REDIS_REST_URL", Some(&url));
                put("UPSTASH_REDIS_REST_TOKEN", rest_token.as_ref());
                put(
                    "UPSTASH_REDIS_REST_READONLY_TOKEN",
                    read_only_token.as_ref(),
                );
                if let Some(pw) = password {
                    let tcp = Secret::new(format!(
                        "rediss://default:{}@{host}:{}",
                        pw.expose(),
                        port.unwrap_or(6379)
                    ));
                    put("UPSTASH_REDIS_URL", Some(&tcp));
                }
            }
            Values::Index {
                product,
                host,
                token,
                read_only_token,
                ..
            } => {
                let (url, tok, ro) = if *product == Product::Search {
                    (
                        "UPSTASH_SEARCH_REST_URL",
                        "UPSTASH_SEARCH_REST_TOKEN",
                        "UPSTASH_SEARCH_READONLY_TOKEN",
                    )
                } else {
                    (
                        "UPSTASH_VECTOR_REST_URL",
                        "UPSTASH_VECTOR_REST_TOKEN",
                        "UPSTASH_VECTOR_REST_READONLY_TOKEN",
                    )
                };
                put(url, Some(&Secret::new(format!("https://{host}"))));
                put(tok, token.as_ref());
                put(ro, read_only_token.as_ref());
            }
            Values::QstashToken {
                region,
                token,
                read_only_token,
            } => {
                let url = Secret::new(format!("https://{}", qstash_host(region)));
                put("QSTASH_URL", Some(&url));
                put("QSTASH_TOKEN", token.as_ref());
                put("QSTASH_READONLY_TOKEN", read_only_token.as_ref());
            }
            Values::SigningKeys { current, next, .. } => {
                put("QSTASH_CURRENT_SIGNING_KEY", Some(current));
                put("QSTASH_NEXT_SIGNING_KEY", Some(next));
            }
        }
        out
    }
}

/// The `--new-credentials` file, created (mode 0600) before anything is rotated so that a
/// rotation can never be made with nowhere to put its result.
pub(crate) struct EnvFile {
    file: File,
    path: String,
    /// (what, values) of every rotated resource, written by [`EnvFile::finish`].
    entries: Vec<(String, Values)>,
}

impl EnvFile {
    /// Create `path`, which must not exist, readable and writable by the owner only.
    pub(crate) fn create(path: &Path) -> Result<EnvFile> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = match opts.open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
                "--new-credentials {}: the file exists; name a new file (upsweep never \
                 overwrites or appends to a credentials file)",
                path.display()
            ),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("--new-credentials {}: cannot create", path.display())
                })
            }
        };
        Ok(EnvFile {
            file,
            path: path.display().to_string(),
            entries: Vec::new(),
        })
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn add(&mut self, what: String, values: Values) {
        self.entries.push((what, values));
    }

    #[allow(dead_code)]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Write every entry. Names are the conventional ones; when two resources of one product
    /// are in the file, each gets a prefix (its name, or its QStash region) so none is lost.
    pub(crate) fn finish(mut self) -> Result<()> {
        let text = render(&self.entries);
        self.file
            .write_all(text.as_bytes())
            .and_then(|_| self.file.sync_all())
            .with_context(|| format!("--new-credentials {}: cannot write", self.path))
    }
}

/// The env file's text.
pub(crate) fn render(entries: &[(String, Values)]) -> String {
    let mut text = String::from(
        "# New Upstash credentials written by `upsweep revoke`. Redeploy every client with\n\
         # them, then delete this file.\n",
    );
    let count = |p: Product, signing: bool| {
        entries
            .iter()
            .filter(|(_, v)| v.product() == p && matches!(v, Values::SigningKeys { .. }) == signing)
            .count()
    };
    for (what, v) in entries {
        let signing = matches!(v, Values::SigningKeys { .. });
        let prefix = if count(v.product(), signing) > 1 {
            let raw = v.region().or(v.name()).unwrap_or("");
            let mut p: String = raw
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            if p.starts_with(|c: char| c.is_ascii_digit()) {
                p.insert(0, '_');
            }
            if !p.is_empty() {
                p.push('_');
            }
            p
        } else {
            String::new()
        };
        text.push_str(&format!("\n# {what}\n"));
        for (name, value) in v.lines(&prefix) {
            text.push_str(&format!("{name}={value}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_names_and_prefixes_when_two_of_a_kind() {
        let one = vec![(
            "QStash (eu-central-1) signing keys".to_string(),
            Values::SigningKeys {
                region: "eu-central-1".into(),
                current: Secret::new("sig_a"),
                next: Secret::new("sig_b"),
            },
        )];
        let t = render(&one);
        assert!(t.contains("\nQSTASH_CURRENT_SIGNING_KEY=sig_a\nQSTASH_NEXT_SIGNING_KEY=sig_b\n"));
        let two = vec![
            (
                "a".to_string(),
                Values::QstashToken {
                    region: "eu-central-1".into(),
                    token: Some(Secret::new("t1")),
                    read_only_token: None,
                },
            ),
            (
                "b".to_string(),
                Values::QstashToken {
                    region: "us-east-1".into(),
                    token: Some(Secret::new("t2")),
                    read_only_token: None,
                },
            ),
            (
                "c".to_string(),
                Values::Redis {
                    name: "prod-cache".into(),
                    host: "x-1.upstash.io".into(),
                    port: Some(6379),
                    password: Some(Secret::new("pw")),
                    rest_token: Some(Secret::new("rt")),
                    read_only_token: None,
                },
            ),
        ];
        let t = render(&two);
        assert!(t.contains("EU_CENTRAL_1_QSTASH_TOKEN=t1\n"), "{t}");
        assert!(t.contains("US_EAST_1_QSTASH_URL=https://qstash-us-east-1.upstash.io\n"));
        assert!(t.contains("\nUPSTASH_REDIS_REST_TOKEN=rt\n"));
        assert!(t.contains("UPSTASH_REDIS_URL=rediss://default:pw@x-1.upstash.io:6379\n"));
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_created_0600_and_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("upsweep-newcreds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("new.env");
        let _ = std::fs::remove_file(&p);
        let f = EnvFile::create(&p).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        f.finish().unwrap();
        let err = EnvFile::create(&p).err().unwrap().to_string();
        assert!(err.contains("exists"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
