//! The corpus machinery: planted secrets, the file templates that hold them, rendering with
//! the expected line and column of every occurrence, and the comparison with a JSON report.

use crate::common::{findings, Fake, TestEnv};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// A planted credential: the secret a finding must carry and what the finding must say.
pub struct Plant {
    pub kind: &'static str,
    pub secret: String,
    /// Entries the finding's `details` must have (`Value::Null`: must be absent).
    pub details: Vec<(&'static str, Value)>,
    /// Entries of the finding itself (`browser_exposed`).
    pub finding: Vec<(&'static str, Value)>,
}

/// One occurrence of a plant: how it is written, and what that location must say.
pub struct Use {
    pub plant: usize,
    pub written: String,
    pub location: Vec<(&'static str, Value)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-8 with a byte-order mark (Windows Notepad); columns do not count the mark.
    Utf8Bom,
    /// UTF-16LE with a byte-order mark (PowerShell's `Out-File`, `.reg` exports).
    Utf16Le,
    /// Raw bytes: each character of the template (all below U+0100) is one byte. For binary
    /// files (compiled code); columns count bytes that are not UTF-8 continuation bytes, as
    /// the scanner does.
    Bytes,
}

pub struct File {
    pub path: String,
    pub template: String,
    pub encoding: Encoding,
}

/// A file as written to disk, with the locations (use, line, column) of its markers.
pub struct Rendered {
    pub path: String,
    pub bytes: Vec<u8>,
    pub marks: Vec<(usize, u64, u64)>,
}

pub const OPEN: char = '«';
pub const CLOSE: char = '»';

#[derive(Default)]
pub struct Corpus {
    pub plants: Vec<Plant>,
    pub uses: Vec<Use>,
    pub files: Vec<File>,
}

impl Corpus {
    pub fn plant(
        &mut self,
        kind: &'static str,
        secret: &str,
        details: Vec<(&'static str, Value)>,
    ) -> usize {
        self.plants.push(Plant {
            kind,
            secret: secret.to_string(),
            details,
            finding: vec![],
        });
        self.plants.len() - 1
    }

    /// A marker for `plant` written verbatim.
    pub fn at(&mut self, plant: usize) -> String {
        let written = self.plants[plant].secret.clone();
        self.at_as(plant, &written, vec![])
    }

    /// A marker for `plant` written verbatim, whose location must carry `location`.
    pub fn at_with(&mut self, plant: usize, location: Vec<(&'static str, Value)>) -> String {
        let written = self.plants[plant].secret.clone();
        self.at_as(plant, &written, location)
    }

    /// A marker for `plant` written as `written` (an encoded form of the secret).
    pub fn at_as(
        &mut self,
        plant: usize,
        written: &str,
        location: Vec<(&'static str, Value)>,
    ) -> String {
        self.uses.push(Use {
            plant,
            written: written.to_string(),
            location,
        });
        format!("{OPEN}{}{CLOSE}", self.uses.len() - 1)
    }

    pub fn file(&mut self, path: &str, template: impl Into<String>) {
        self.file_as(path, template, Encoding::Utf8);
    }

    pub fn file_as(&mut self, path: &str, template: impl Into<String>, encoding: Encoding) {
        assert!(
            self.files.iter().all(|f| f.path != path),
            "{path} planted twice"
        );
        self.files.push(File {
            path: path.to_string(),
            template: template.into(),
            encoding,
        });
    }

    fn render(&self) -> Vec<Rendered> {
        self.files.iter().map(|f| self.render_file(f)).collect()
    }

    fn render_file(&self, f: &File) -> Rendered {
        let mut text = String::new();
        let mut marks = Vec::new();
        let mut rest = f.template.as_str();
        while let Some(i) = rest.find(OPEN) {
            text.push_str(&rest[..i]);
            let after = &rest[i + OPEN.len_utf8()..];
            let j = after.find(CLOSE).expect("marker is closed");
            let u: usize = after[..j].parse().expect("marker names a use");
            let (line, column) = match f.encoding {
                Encoding::Bytes => byte_line_col(&latin1(&text)),
                _ => line_col(&text, text.len()),
            };
            marks.push((u, line, column));
            text.push_str(&self.uses[u].written);
            rest = &after[j + CLOSE.len_utf8()..];
        }
        text.push_str(rest);
        let bytes = match f.encoding {
            Encoding::Utf8 => text.clone().into_bytes(),
            Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
            Encoding::Utf16Le => {
                let mut b = vec![0xFF, 0xFE];
                text.encode_utf16()
                    .for_each(|u| b.extend_from_slice(&u.to_le_bytes()));
                b
            }
            Encoding::Bytes => latin1(&text),
        };
        Rendered {
            path: f.path.clone(),
            bytes,
            marks,
        }
    }

    /// Write every file into `env`.
    pub fn write(&self, env: &TestEnv) -> Vec<Rendered> {
        let rendered = self.render();
        for r in &rendered {
            env.write(&r.path, &r.bytes);
        }
        rendered
    }

    /// Everything the report gets wrong, in words (empty when it is exactly right).
    pub fn problems(&self, rendered: &[Rendered], report: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        // Expected (path, line, column) per plant, and what each location must say.
        let mut expected: BTreeMap<usize, BTreeSet<(String, u64, u64)>> = BTreeMap::new();
        let mut location_facts: Vec<(usize, (String, u64, u64), &Use)> = Vec::new();
        for r in rendered {
            for &(u, line, col) in &r.marks {
                let use_ = &self.uses[u];
                let at = (r.path.clone(), line, col);
                expected.entry(use_.plant).or_default().insert(at.clone());
                location_facts.push((use_.plant, at, use_));
            }
        }
        let all = findings(report);
        let mut claimed = BTreeSet::new();
        for (&p, want_locations) in &expected {
            let plant = &self.plants[p];
            let sha = sha256_hex(&plant.secret);
            let what = format!(
                "{} {}…",
                plant.kind,
                &plant.secret[..plant.secret.len().min(12)]
            );
            let mine: Vec<(usize, &Value)> = all
                .iter()
                .enumerate()
                .filter(|(_, f)| f["secret_sha256"] == sha.as_str())
                .collect();
            let f = match mine.as_slice() {
                [(i, f)] => {
                    claimed.insert(*i);
                    *f
                }
                [] => {
                    let first = want_locations.iter().next().expect("a location");
                    problems.push(format!(
                        "{what}: not found (expected at {}:{}:{})",
                        first.0, first.1, first.2
                    ));
                    continue;
                }
                many => {
                    problems.push(format!(
                        "{what}: reported as {} findings, not one",
                        many.len()
                    ));
                    many.iter().for_each(|(i, _)| {
                        claimed.insert(*i);
                    });
                    continue;
                }
            };
            if f["kind"] != plant.kind {
                problems.push(format!(
                    "{what}: kind {} (expected {})",
                    f["kind"], plant.kind
                ));
            }
            for (key, want) in &plant.finding {
                if &f[*key] != want {
                    problems.push(format!("{what}: {key} = {} (expected {want})", f[*key]));
                }
            }
            for (key, want) in &plant.details {
                let got = &f["details"][*key];
                if got != want {
                    problems.push(format!("{what}: details.{key} = {got} (expected {want})"));
                }
            }
            let got_locations: BTreeSet<(String, u64, u64)> = f["locations"]
                .as_array()
                .expect("locations")
                .iter()
                .map(|l| {
                    (
                        l["path"].as_str().unwrap_or("?").to_string(),
                        l["line"].as_u64().unwrap_or(0),
                        l["column"].as_u64().unwrap_or(0),
                    )
                })
                .collect();
            if &got_locations != want_locations {
                problems.push(format!(
                    "{what}: locations {:?} (expected {:?})",
                    got_locations, want_locations
                ));
            }
        }
        for (p, at, use_) in &location_facts {
            let sha = sha256_hex(&self.plants[*p].secret);
            let Some(l) = all
                .iter()
                .filter(|f| f["secret_sha256"] == sha.as_str())
                .flat_map(|f| f["locations"].as_array().expect("locations"))
                .find(|l| l["path"] == at.0.as_str() && l["line"] == at.1 && l["column"] == at.2)
            else {
                continue; // already reported above
            };
            for (key, want) in &use_.location {
                if &l[*key] != want {
                    problems.push(format!(
                        "{}:{}:{}: location.{key} = {} (expected {want})",
                        at.0, at.1, at.2, l[*key]
                    ));
                }
            }
        }
        for (i, f) in all.iter().enumerate() {
            if !claimed.contains(&i) {
                problems.push(format!(
                    "unexpected finding {} at {}",
                    f["kind"],
                    f["locations"]
                        .as_array()
                        .map(|ls| ls
                            .iter()
                            .map(|l| format!(
                                "{}:{}:{}",
                                l["path"].as_str().unwrap_or("?"),
                                l["line"],
                                l["column"]
                            ))
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default()
                ));
            }
        }
        problems
    }

    /// Fail, naming every problem, unless the report holds exactly the planted secrets.
    pub fn assert_reported(&self, rendered: &[Rendered], report: &Value) {
        let problems = self.problems(rendered, report);
        assert!(
            problems.is_empty(),
            "{} problem(s):\n  {}\n",
            problems.len(),
            problems.join("\n  ")
        );
    }

    /// Fail when `report` (a report's text) holds a planted secret in full.
    pub fn assert_no_full_secret(&self, report: &str) {
        for p in &self.plants {
            assert!(
                !report.contains(&p.secret),
                "the report holds a full {} secret",
                p.kind
            );
        }
    }
}

/// 1-based line and character column of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (u64, u64) {
    let before = &text[..at];
    let line = 1 + before.matches('\n').count() as u64;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, 1 + before[line_start..].chars().count() as u64)
}

/// Each character (all below U+0100) as one byte.
pub fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a byte template holds only U+0000-U+00FF"))
        .collect()
}

/// 1-based line and column just past `bytes`, counting columns as the scanner does (bytes that
/// are not UTF-8 continuation bytes).
pub fn byte_line_col(bytes: &[u8]) -> (u64, u64) {
    let line = 1 + bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let start = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = 1 + bytes[start..].iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
    (line, column)
}

pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `details` of a Redis REST token.
pub fn redis(access: &str, layout: &str, id_bytes: u8, number: u64) -> Vec<(&'static str, Value)> {
    vec![
        ("access", json!(access)),
        ("layout", json!(layout)),
        ("id_bytes", json!(id_bytes)),
        ("database_number", json!(number)),
    ]
}

/// `details` of a Vector or Search token.
pub fn index(access: &str, endpoint: &str, product: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("access", json!(access)),
        ("index_endpoint", json!(endpoint)),
        ("product", json!(product)),
    ]
}

pub fn var(name: &str) -> (&'static str, Value) {
    ("variable", json!(name))
}

pub fn host(h: &str, agrees: bool) -> Vec<(&'static str, Value)> {
    vec![("host", json!(h)), ("host_agrees", json!(agrees))]
}

/// An index endpoint and a read-write token for it whose base64 ends in `=` padding (whether it
/// does depends on the endpoint's length).
pub fn padded_vector_token(f: &mut Fake) -> (String, String) {
    loop {
        let ep = f.index_endpoint();
        let t = f.vector_token(&ep, false);
        if t.ends_with('=') {
            return (ep, t);
        }
    }
}

/// A Redis host name for `number` on Vercel KV.
pub fn kv_host(f: &mut Fake, number: u64) -> String {
    f.redis_host(number)
        .replace(".upstash.io", ".kv.vercel-storage.com")
}

/// A large 8-byte database number (does not fit the 2-byte layout).
pub fn wide_number(f: &mut Fake) -> u64 {
    f.rng().u64(1 << 20..1 << 40)
}

/// One real-shaped value of every layout with a structure (Redis current 2- and 8-byte ids,
/// read-only, legacy read-write and read-only with either layout flag, Vector, Search, QStash
/// with a hex or UUID password), each under the variable
/// it is usually assigned to. `n` and `w` are 2- and 8-byte database numbers; `suffix` goes
/// after a read-write token's hex field. Negative tests mask or truncate them.
pub fn layout_samples(
    f: &mut Fake,
    n: u64,
    w: u64,
    suffix: u32,
    ep: &str,
) -> Vec<(&'static str, String)> {
    vec![
        (
            "UPSTASH_REDIS_REST_TOKEN",
            f.redis_token_with(n, false, false, None),
        ),
        (
            "UPSTASH_REDIS_REST_TOKEN",
            f.redis_token_with(w, false, true, Some(suffix)),
        ),
        (
            "KV_REST_API_READ_ONLY_TOKEN",
            f.redis_token_with(n, true, false, None),
        ),
        (
            "KV_REST_API_READ_ONLY_TOKEN",
            f.redis_token_with(w, true, true, None),
        ),
        (
            "UPSTASH_REDIS_REST_TOKEN",
            f.redis_token_legacy_parts(n).token,
        ),
        (
            "UPSTASH_REDIS_REST_TOKEN",
            f.redis_token_legacy_readonly(n).token,
        ),
        (
            "UPSTASH_REDIS_REST_TOKEN",
            f.redis_token_legacy_with(n, false, 0).token,
        ),
        (
            "UPSTASH_REDIS_REST_READONLY_TOKEN",
            f.redis_token_legacy_with(n, true, 0).token,
        ),
        ("UPSTASH_VECTOR_REST_TOKEN", f.vector_token(ep, false)),
        ("UPSTASH_SEARCH_READONLY_TOKEN", f.vector_token(ep, true)),
        ("QSTASH_TOKEN", f.qstash_token()),
        ("QSTASH_TOKEN", f.qstash_token_uuid_password()),
    ]
}
