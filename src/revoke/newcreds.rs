//! A resource's credential values as the API answers them (before and after a rotation), and
//! the `--new-credentials` env file the new ones go to, with the variable names each product's
//! SDKs read ([`Naming`]). Values are written the moment they exist, one block per rotation,
//! each in one write and fsync'd: a run killed after a rotation has already saved its values.

use crate::upstash::{qstash_host, Credential, Product, Secret};
use anyhow::{bail, Context as _, Result};
use std::collections::HashMap;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// A resource's current credentials, as the API gave them (`None`: not shown).
#[derive(Debug, Clone)]
pub(crate) enum Values {
    Redis {
        host: String,
        port: Option<u64>,
        password: Option<Secret>,
        rest_token: Option<Secret>,
        read_only_token: Option<Secret>,
    },
    Index {
        product: Product,
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

/// The first line of every file upsweep writes: how a re-run knows the file is its own.
const HEADER: &str = "# New Upstash credentials written by `upsweep revoke`. Redeploy every client with\n\
                      # them, then delete this file. A later block for a resource replaces an earlier one.\n";

/// How a resource's variables are named in the file: the conventional names
/// (`UPSTASH_REDIS_REST_TOKEN`, `QSTASH_TOKEN`, ...), behind a prefix when the run rotates more
/// than one resource of a product, so that none is lost: the resource's name for Redis, Vector
/// and Search (`CACHE_1_UPSTASH_REDIS_REST_TOKEN` for a database named `cache-1`), the region
/// for QStash (`US_EAST_1_QSTASH_TOKEN`). The prefix is upper case, every character that is
/// not a letter or a digit becomes `_`, and one that would start with a digit gets a `_` first;
/// two resources that would get the same prefix get their id's first 8 characters too.
#[derive(Debug, Clone, Default)]
pub(crate) struct Naming {
    prefixes: HashMap<String, String>,
}

/// What [`Naming`] needs to know of one rotation: its action key, product, whether it is
/// the signing keys, and the resource's name, region and id.
pub(crate) struct Named<'a> {
    pub(crate) key: &'a str,
    pub(crate) product: Product,
    pub(crate) signing: bool,
    pub(crate) name: Option<&'a str>,
    pub(crate) region: Option<&'a str>,
    pub(crate) id: &'a str,
}

impl Naming {
    /// The names for every rotation a run may write (its plan and what it resumes).
    pub(crate) fn new(all: &[Named<'_>]) -> Naming {
        let mut prefixes: HashMap<String, String> = HashMap::new();
        let group = |n: &Named<'_>| (n.product, n.signing);
        for n in all {
            let same: Vec<&Named<'_>> = all.iter().filter(|m| group(m) == group(n)).collect();
            let distinct = {
                let mut ids: Vec<&str> = same.iter().map(|m| m.id).collect();
                ids.sort();
                ids.dedup();
                ids.len()
            };
            if distinct < 2 {
                continue;
            }
            let label = |m: &Named<'_>| {
                let raw = if m.product == Product::Qstash {
                    m.region
                } else {
                    m.name.filter(|x| !x.is_empty())
                };
                prefix_of(raw.unwrap_or(m.id))
            };
            let mine = label(n);
            let clash = same.iter().any(|m| m.id != n.id && label(m) == mine);
            let p = if clash {
                let short: String = n.id.chars().take(8).collect();
                format!("{mine}{}", prefix_of(&short))
            } else {
                mine
            };
            prefixes.insert(n.key.to_string(), p);
        }
        Naming { prefixes }
    }

    /// The prefix of a rotation's variables (`""` when it is the only one of its product).
    pub(crate) fn prefix(&self, key: &str) -> &str {
        self.prefixes.get(key).map_or("", String::as_str)
    }
}

/// `cache-1` -> `CACHE_1_`; `1st` -> `_1ST_`.
fn prefix_of(raw: &str) -> String {
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
}

/// The `--new-credentials` file. It is created (mode 0600, never created wider and narrowed
/// later) and its header written and fsync'd before the first rotation, so a rotation is never
/// made with nowhere to put its result; each rotation's values are then appended in one write
/// and fsync'd the moment Upstash answers. A file upsweep wrote earlier (its first line is
/// upsweep's header) is appended to, so re-running the same command after an interruption puts
/// everything in one file; any other existing file is refused.
pub(crate) struct EnvFile {
    file: File,
    path: PathBuf,
    /// This run created it (removed again when the run is refused before any rotation).
    created: bool,
    naming: Naming,
    /// Blocks this run appended.
    pub(crate) blocks: usize,
}

impl EnvFile {
    /// Create `path` (or reopen a file upsweep wrote) and write the header; refused when the
    /// file cannot be written (a full or read-only filesystem), with nothing left behind.
    pub(crate) fn open(path: &Path, naming: Naming) -> Result<EnvFile> {
        let shown = path.display();
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let (file, created) = match opts.open(path) {
            Ok(f) => (f, true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => (reopen_own(path)?, false),
            Err(e) => {
                return Err(e).with_context(|| format!("--new-credentials {shown}: cannot create"))
            }
        };
        let mut env = EnvFile {
            file,
            path: path.to_path_buf(),
            created,
            naming,
            blocks: 0,
        };
        let first = if created {
            HEADER.to_string()
        } else {
            // After a block cut short by a full disk, start on a line of its own.
            let torn = !ends_with_newline(path);
            format!(
                "{}\n# `upsweep revoke` again, {}\n",
                if torn { "\n" } else { "" },
                super::state::now_rfc3339()
            )
        };
        if let Err(e) = env.write_synced(&first) {
            env.discard();
            return Err(e).with_context(|| {
                format!(
                    "--new-credentials {shown}: cannot write (is the disk full or read-only?); \
                     nothing was rotated"
                )
            });
        }
        Ok(env)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Append one rotation's values (`what` names the resource in the block's comment) in one
    /// write, and fsync.
    pub(crate) fn append(&mut self, key: &str, what: &str, values: &Values) -> Result<()> {
        let mut text = format!(
            "\n# {what}: new values as of {}\n",
            super::state::now_rfc3339()
        );
        for (name, value) in values.lines(self.naming.prefix(key)) {
            text.push_str(&format!("{name}={value}\n"));
        }
        self.write_synced(&text)
            .with_context(|| format!("--new-credentials {}: cannot write", self.path.display()))?;
        self.blocks += 1;
        Ok(())
    }

    /// One `write`, all of it or an error (a short write on a full disk is an error), then
    /// fsync.
    fn write_synced(&mut self, text: &str) -> std::io::Result<()> {
        crate::util::io::write_once_synced(&mut self.file, text.as_bytes())
    }

    /// A run refused before any rotation leaves no file it created behind.
    pub(crate) fn discard(self) {
        if self.created && self.blocks == 0 {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Reopen an existing file for appending, if it is one upsweep wrote and only its owner can
/// read.
fn reopen_own(path: &Path) -> Result<File> {
    let shown = path.display();
    let mut head = [0u8; 64];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("--new-credentials {shown}: cannot read"))?;
    if !HEADER.as_bytes().starts_with(&head[..n]) || n < 40 {
        bail!(
            "--new-credentials {shown}: the file exists and is not one upsweep wrote; name a \
             new file (upsweep never overwrites, or appends to, another file)"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::symlink_metadata(path)?;
        if !meta.file_type().is_file() || meta.permissions().mode() & 0o077 != 0 {
            bail!(
                "--new-credentials {shown}: the file exists but is not a plain file that only \
                 you can read (chmod 600 it, or name a new file)"
            );
        }
    }
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .with_context(|| format!("--new-credentials {shown}: cannot open for appending"))
}

fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Seek, SeekFrom};
    let Ok(mut f) = File::open(path) else {
        return true;
    };
    let mut last = [0u8; 1];
    match f.seek(SeekFrom::End(-1)).and_then(|_| f.read(&mut last)) {
        Ok(1) => last[0] == b'\n',
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named<'a>(key: &'a str, product: Product, name: &'a str, region: &'a str) -> Named<'a> {
        Named {
            key,
            product,
            signing: key.starts_with("sig"),
            name: Some(name),
            region: Some(region),
            id: key,
        }
    }

    #[test]
    fn conventional_names_and_prefixes_when_two_of_a_kind() {
        let naming = Naming::new(&[
            named("sig-eu", Product::Qstash, "", "eu-central-1"),
            named("tok-eu", Product::Qstash, "", "eu-central-1"),
            named("tok-us", Product::Qstash, "", "us-east-1"),
            named("db-1", Product::Redis, "prod-cache", ""),
            named("db-2", Product::Redis, "1st", ""),
            named("db-3", Product::Redis, "1st", ""),
            named("vec", Product::Vector, "embeddings", ""),
        ]);
        assert_eq!(naming.prefix("sig-eu"), "", "the only signing keys");
        assert_eq!(naming.prefix("tok-eu"), "EU_CENTRAL_1_");
        assert_eq!(naming.prefix("tok-us"), "US_EAST_1_");
        assert_eq!(naming.prefix("db-1"), "PROD_CACHE_");
        assert_eq!(naming.prefix("db-2"), "_1ST_DB_2_", "same name: the id too");
        assert_eq!(naming.prefix("vec"), "");

        let keys = Values::SigningKeys {
            current: Secret::new("sig_a"),
            next: Secret::new("sig_b"),
        };
        assert_eq!(
            keys.lines(""),
            vec![
                ("QSTASH_CURRENT_SIGNING_KEY".into(), "sig_a".into()),
                ("QSTASH_NEXT_SIGNING_KEY".into(), "sig_b".into())
            ]
        );
        let db = Values::Redis {
            host: "x-1.upstash.io".into(),
            port: Some(6379),
            password: Some(Secret::new("pw")),
            rest_token: Some(Secret::new("rt")),
            read_only_token: None,
        };
        let lines = db.lines("PROD_CACHE_");
        assert!(lines.contains(&("PROD_CACHE_UPSTASH_REDIS_REST_TOKEN".into(), "rt".into())));
        assert!(lines.contains(&(
            "PROD_CACHE_UPSTASH_REDIS_URL".into(),
            "rediss://default:pw@x-1.upstash.io:6379".into()
        )));
        let q = Values::QstashToken {
            region: "us-east-1".into(),
            token: Some(Secret::new("t2")),
            read_only_token: None,
        };
        assert!(q.lines("US_EAST_1_").contains(&(
            "US_EAST_1_QSTASH_URL".into(),
            "https://qstash-us-east-1.upstash.io".into()
        )));
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_0600_written_at_once_reopened_only_when_it_is_upsweeps() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new.env");
        let values = Values::QstashToken {
            region: "eu-central-1".into(),
            token: Some(Secret::new("tok-1")),
            read_only_token: None,
        };
        let mut f = EnvFile::open(&p, Naming::default()).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(std::fs::read_to_string(&p).unwrap().starts_with(HEADER));
        f.append("k", "QStash (eu-central-1) token", &values)
            .unwrap();
        // On disk before anything else happens.
        assert!(std::fs::read_to_string(&p)
            .unwrap()
            .contains("\nQSTASH_TOKEN=tok-1\n"));
        drop(f);
        // A re-run appends to its own file.
        let mut again = EnvFile::open(&p, Naming::default()).unwrap();
        again.append("k", "again", &values).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text.matches("QSTASH_TOKEN=tok-1").count(), 2, "{text}");
        assert_eq!(text.matches(HEADER).count(), 1);
        // Any other file is refused and left alone.
        let other = dir.path().join("other.env");
        std::fs::write(&other, "KEEP=me\n").unwrap();
        let err = EnvFile::open(&other, Naming::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("not one upsweep wrote"), "{err}");
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "KEEP=me\n");
        // A refused run removes the file it created.
        let fresh = dir.path().join("fresh.env");
        EnvFile::open(&fresh, Naming::default()).unwrap().discard();
        assert!(!fresh.exists());
    }
}
