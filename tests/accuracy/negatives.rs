//! Look-alikes that must give nothing, and published values that must be suppressed.

use super::corpus::*;
use crate::common::{findings, Fake, TestEnv};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::json;
use std::collections::BTreeSet;

pub const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub const BASE64STD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Values masked the ways people mask them: the tail starred, `xxxx`ed or cut with an ellipsis.
pub fn masked_forms(v: &str) -> Vec<String> {
    let n = v.len();
    let mut out = Vec::new();
    for keep in [8, 12, 20, n / 2, n - 8] {
        for fill in ["*", "x", "X", "0", "A", "V", "•"] {
            out.push(format!("{}{}", &v[..keep], fill.repeat(n - keep)));
        }
        out.push(format!("{}...", &v[..keep]));
        out.push(format!("{}…{}", &v[..keep], &v[n - 4..]));
        out.push(format!("{}...{}", &v[..keep], &v[n - 4..]));
    }
    out
}

/// Every truncation of `v` that is not just the removal of padding.
pub fn truncated_forms(v: &str) -> Vec<String> {
    let body = v.trim_end_matches('=').len();
    (16..body).map(|n| v[..n].to_string()).collect()
}

/// Structurally plausible look-alikes of every value kind that are not credentials: a scan of a
/// repository full of them must report nothing.
fn negatives(f: &mut Fake) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    let n = f.database_number();
    let h = f.redis_host(n);

    // Docs placeholders and values people put in examples.
    files.push((
        ".env.example".into(),
        format!(
            "UPSTASH_REDIS_REST_URL=https://{h}\nUPSTASH_REDIS_REST_TOKEN=AYNgAS2553feg6a2d9842h2a0gcdb5f8efe9934DQ=\nUPSTASH_REDIS_PASSWORD=2553feg6a2d9842h2a0gcdb5f8efe9934\nUPSTASH_REDIS_REST_TOKEN=\"********\"\nUPSTASH_REDIS_REST_TOKEN=<your-token>\nKV_URL=rediss://default:********@{h}:6379\nREDIS_URL=rediss://default:<password>@{h}:6379\nUPSTASH_API_KEY=your-api-key\nUPSTASH_API_KEY=00000000-0000-4000-8000-000000000000\nQSTASH_TOKEN=<QSTASH_TOKEN>\nQSTASH_CURRENT_SIGNING_KEY=sig_xxxxxxxxxxxxxxxxxxxxxxxxxxxx\nQSTASH_NEXT_SIGNING_KEY=\"\"\nUPSTASH_REDIS_PASSWORD=00000000000000000000000000000000\nUPSTASH_REDIS_PASSWORD=0123456789abcdef0123456789abcdef\n"
        ),
    ));
    files.push((
        "docs/quickstart.md".into(),
        format!(
            "```bash\ncurl https://{h}/set/foo/bar -H \"Authorization: Bearer AYNgAS2553feg6a2d9842h2a0gcdb5f8efe9934DQ=\"\nredis-cli --tls -a 2553feg6a2d9842h2a0gcdb5f8efe9934 -h {h} -p 6379\n```\n"
        ),
    ));

    // Masked and truncated real-shaped values of every layout, each in an Upstash context.
    let mut masked = String::new();
    let mut truncated = String::new();
    let ep = f.index_endpoint();
    let samples = layout_samples(f, n, n, 42, &ep);
    for (name, v) in &samples {
        for m in masked_forms(v) {
            masked.push_str(&format!("{name}=\"{m}\"\n"));
        }
        for t in truncated_forms(v) {
            truncated.push_str(&format!("{name}={t}\n"));
        }
    }
    let pw = f.hex(32);
    for m in masked_forms(&pw) {
        masked.push_str(&format!(
            "UPSTASH_REDIS_PASSWORD={m}\nREDIS_URL=rediss://default:{m}@{h}:6379\n"
        ));
    }
    let key = f.api_key();
    for m in masked_forms(&key) {
        masked.push_str(&format!("UPSTASH_API_KEY={m}\n"));
    }
    for t in truncated_forms(&pw) {
        truncated.push_str(&format!(
            "UPSTASH_REDIS_PASSWORD={t}\nREDIS_URL=rediss://default:{t}@{h}:6379\n"
        ));
    }
    let sig = f.signing_key();
    for keep in 4..32 {
        truncated.push_str(&format!("QSTASH_CURRENT_SIGNING_KEY={}\n", &sig[..keep]));
    }
    files.push((".env.masked".into(), masked));
    files.push((".env.truncated".into(), truncated));

    // Random base64 and base64url of the lengths tokens have (the large sweep is a unit test).
    let mut random = String::new();
    for i in 0..300 {
        let len = 54 + i % 10;
        random.push_str(&format!(
            "UPSTASH_REDIS_REST_TOKEN={}\n",
            f.random_of(BASE64URL, len)
        ));
        random.push_str(&format!(
            "UPSTASH_REDIS_REST_TOKEN={}=\n",
            f.random_of(BASE64URL, 99)
        ));
        random.push_str(&format!(
            "UPSTASH_VECTOR_REST_TOKEN={}\n",
            f.random_of(BASE64STD, 104 + i % 13)
        ));
        random.push_str(&format!(
            "QSTASH_TOKEN=eyJVc2VySUQiOiI{}\n",
            f.random_of(BASE64STD, 113)
        ));
    }
    files.push(("fixtures/random.env".into(), random));

    // JWTs, including QStash's own Upstash-Signature header and a JWT in a Bearer header.
    let mut jwts = String::new();
    for i in 0..100 {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"iss":"Upstash","sub":"https://example.com/api/{i}","exp":{},"nbf":{},"iat":{},"jti":"{}","body":"{}"}}"#,
            f.rng().u32(..),
            f.rng().u32(..),
            f.rng().u32(..),
            f.uuid_v4(),
            URL_SAFE_NO_PAD.encode(f.hex(32))
        ));
        let sig: Vec<u8> = (0..32).map(|_| f.rng().u8(..)).collect();
        let jwt = format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(sig));
        jwts.push_str(&format!(
            "Upstash-Signature: {jwt}\ncurl -H \"Authorization: Bearer {jwt}\" https://{h}/get/x\nUPSTASH_REDIS_REST_TOKEN={jwt}\n"
        ));
    }
    files.push(("logs/requests.log".into(), jwts));

    // UUIDs outside an Upstash API-key context.
    let mut uuids = String::new();
    for _ in 0..50 {
        uuids.push_str(&format!(
            "API_KEY={}\nrequest_id: {}\n{{\"id\":\"{}\",\"team_id\":\"{}\"}}\nUPSTASH_REDIS_DATABASE_ID={}\nX-Request-Id: {}\n",
            f.uuid_v4(),
            f.uuid_v4(),
            f.uuid_v4(),
            f.uuid_v4(),
            f.uuid_v4(),
            f.uuid_v4()
        ));
    }
    uuids.push_str(&format!(
        "provider \"aws\" {{\n  api_key = \"{}\"\n}}\n",
        f.uuid_v4()
    ));
    files.push(("data/uuids.txt".into(), uuids));

    // 32-hex values that are not Upstash passwords: digests, other hosts, other names.
    let mut hex = String::new();
    for _ in 0..50 {
        hex.push_str(&format!(
            "{}  dist/app.js\nREDIS_PASSWORD={}\nredis://default:{}@localhost:6379\nredis-cli -a {} -h 127.0.0.1\netag: \"{}\"\n",
            f.hex(32),
            f.hex(32),
            f.hex(32),
            f.hex(32),
            f.hex(32)
        ));
    }
    files.push(("data/checksums.md5".into(), hex));

    // `sig_` identifiers in C.
    files.push(("src/signals.c".into(), c_source(f)));

    // The places older formats hide, holding placeholders or values that are not Upstash's.
    files.extend(older_look_alikes(f, &h));

    // npm integrity hashes next to @upstash packages.
    let mut lock =
        String::from("{\n  \"name\": \"shop\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n");
    for i in 0..300 {
        let digest: Vec<u8> = (0..64).map(|_| f.rng().u8(..)).collect();
        let sha1: Vec<u8> = (0..20).map(|_| f.rng().u8(..)).collect();
        let name = if i % 3 == 0 {
            format!("@upstash/pkg{i}")
        } else {
            format!("pkg{i}")
        };
        lock.push_str(&format!(
            "    \"node_modules/{name}\": {{\n      \"version\": \"1.{i}.0\",\n      \"resolved\": \"https://registry.npmjs.org/{name}/-/pkg{i}-1.{i}.0.tgz\",\n      \"integrity\": \"sha512-{}\",\n      \"shasum\": \"sha1-{}\"\n    }},\n",
            STANDARD.encode(digest),
            STANDARD.encode(sha1)
        ));
    }
    lock.push_str("  }\n}\n");
    files.push(("package-lock.json".into(), lock));

    // Inline base64 images in CSS.
    let mut css = String::new();
    for i in 0..40 {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend((0..3000).map(|_| f.rng().u8(..)));
        css.push_str(&format!(
            ".icon-{i}{{background:url(data:image/png;base64,{})}}\n",
            STANDARD.encode(png)
        ));
    }
    files.push(("public/styles.css".into(), css));
    files
}

/// Look-alikes of the older formats and places (docs/formats.md §1): placeholders behind
/// indirections, other services' API keys given as defaults, `redis://PASSWORD@` on other
/// hosts, Kafka user names and placeholders, and 32-hex strings in binary files that name no
/// Upstash database host.
fn older_look_alikes(f: &mut Fake, h: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let kafka = f.kafka_host(true);
    let user = f.kafka_username(&kafka);
    files.push((
        "templates/.env.example".into(),
        format!(
            "UPSTASH_API_KEY=\"${{3:-your-api-key}}\"\nUPSTASH_API_KEY=${{UPSTASH_API_KEY:-}}\nREDIS_URL=redis://<PASSWORD>@{h}:6379\nREDIS_URL=rediss://********@{h}:6379\nUPSTASH_KAFKA_REST_URL=https://{kafka}\nUPSTASH_KAFKA_REST_USERNAME={user}\nUPSTASH_KAFKA_REST_PASSWORD=your-password\nUPSTASH_KAFKA_REST_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nQSTASH_CURRENT_SIGNING_KEY=sig_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
        ),
    ));
    let mut code = String::new();
    for _ in 0..20 {
        code.push_str(&format!(
            "key = os.getenv(\"DATADOG_API_KEY\", \"{}\")\nconst k = process.env.SENTRY_API_KEY ?? \"{}\";\nAPI_KEY=\"${{3:-{}}}\"\nreq = os.environ.get('UPSTASH_REQUEST_ID') or '{}'\nredis = Redis.from_url(\"redis://{}@localhost:6379\")\nupstash auth whoami # {}\n",
            f.uuid_v4(),
            f.uuid_v4(),
            f.uuid_v4(),
            f.uuid_v4(),
            f.hex(32),
            f.uuid_v4(),
        ));
    }
    code.push_str(&format!(
        "variable \"datadog_api_key\" {{\n  default = \"{}\"\n}}\n",
        f.uuid_v4()
    ));
    files.push(("scripts/other_services.py".into(), code));
    // A Kafka client whose password comes from the environment; a Redis password of another
    // host beside a Kafka host.
    files.push((
        "src/lib/kafka.ts".into(),
        format!(
            "export const kafka = new Kafka({{\n  url: \"https://{kafka}\",\n  username: \"{user}\",\n  password: process.env.UPSTASH_KAFKA_REST_PASSWORD!,\n}});\nconst local = new Redis({{ host: \"localhost\", password: \"{}\" }});\n",
            f.hex(32)
        ),
    ));
    // Compiled files: digests beside no database host, or beside the hosts every SDK build
    // names (QStash, the Developer API).
    let mut pyc = String::from("\u{a7}\r\r\n\0\0\0\0\u{e3}\0\0\0");
    let mut elf = String::from(
        "\u{7f}ELF\u{2}\u{1}\u{1}\0\0\0https://qstash.upstash.io\0https://api.upstash.com/v2\0",
    );
    for i in 0..50 {
        pyc.push_str(&format!("\u{da} {}N)\u{3}\u{da}\u{4}name{i}\0", f.hex(32)));
        elf.push_str(&format!("{}\0\u{da} {}\u{e9}\0", f.hex(32), f.hex(32)));
    }
    files.push(("app/__pycache__/util.cpython-311.pyc".into(), pyc));
    files.push(("vendor/lib/libqstash.so".into(), elf));
    files
}

/// C code full of `sig_` identifiers of exactly the signing keys' lengths and alphabet.
fn c_source(f: &mut Fake) -> String {
    // Words without the characters base58 leaves out (0 O I l), so the identifiers match the
    // key pattern in full.
    const WORDS: [&str; 30] = [
        "Handle", "Term", "Request", "Queue", "Mask", "Wait", "Child", "Reap", "Pending", "Block",
        "Async", "Safe", "Handler", "Dispatch", "Notify", "Count", "Set", "Get", "Reset", "Save",
        "Restore", "Ready", "Event", "State", "Flag", "Timer", "Hang", "Quit", "Stop", "User",
    ];
    let mut ids = BTreeSet::new();
    // The lengths of current keys and of the longer keys made in 2022 and earlier.
    while ids.len() < 120 {
        let len = if ids.len() < 60 {
            28
        } else {
            f.rng().usize(44..=52)
        };
        let mut id = String::new();
        while id.len() < len {
            id.push_str(WORDS[f.rng().usize(..WORDS.len())]);
        }
        if id.len() == len {
            if f.rng().bool() {
                // lowerCamelCase
                let first = id[..1].to_ascii_lowercase();
                id.replace_range(..1, &first);
            }
            ids.insert(format!("sig_{id}"));
        }
    }
    let mut src = String::from("#include <signal.h>\n#include <stdio.h>\n\nstatic volatile sig_atomic_t got_signal = 0;\n\n");
    for (i, id) in ids.iter().enumerate() {
        src.push_str(&match i % 6 {
            0 => format!("static void {id}(int signo);\n"),
            1 => format!("static volatile sig_atomic_t {id};\n"),
            2 => format!("int {id} = 0;\n"),
            3 => format!("    if ({id} > 0) {{ return {id}; }}\n"),
            4 => format!("#define SIG_ALIAS_{i} {id}\n"),
            _ => format!("    state->{id} = SIGTERM;\n"),
        });
    }
    src
}

#[test]
fn look_alikes_give_nothing() {
    let mut f = Fake::new(0x5eed_ac02);
    let env = TestEnv::new();
    let files = negatives(&mut f);
    for (path, text) in &files {
        env.write(path, text);
    }
    let (run, report) = env.scan_json(&["."]);
    let found: Vec<String> = findings(&report)
        .iter()
        .map(|f| {
            let l = &f["locations"][0];
            format!(
                "{} at {}:{}:{}",
                f["kind"],
                l["path"].as_str().unwrap_or("?"),
                l["line"],
                l["column"]
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "{} false positive(s):\n  {}",
        found.len(),
        found.join("\n  ")
    );
    assert_eq!(
        run.code, 0,
        "nothing found exits 0; stderr:\n{}",
        run.stderr
    );
    assert_eq!(report["stats"]["files_scanned"], json!(files.len()));
}

/// Positive control for the negatives: the same files with one real-shaped token added give
/// exactly that token, so "nothing found" above is not a scan that looked at nothing.
#[test]
fn look_alikes_do_not_hide_a_real_token_among_them() {
    let mut f = Fake::new(0x5eed_ac02);
    let env = TestEnv::new();
    let files = negatives(&mut f);
    let n = f.database_number();
    let token = f.redis_token_with(n, false, false, Some(3));
    for (path, text) in &files {
        env.write(path, text);
    }
    let mut lock = files
        .iter()
        .find(|(p, _)| p == "package-lock.json")
        .expect("lockfile")
        .1
        .clone();
    let at = lock.len() / 2;
    let at = lock[at..].find('\n').map_or(at, |i| at + i + 1);
    lock.insert_str(at, &format!("    \"upstashToken\": \"{token}\",\n"));
    let (line, column) = line_col(&lock, at + "    \"upstashToken\": \"".len());
    env.write("package-lock.json", &lock);
    let (_, report) = env.scan_json(&["."]);
    let all = findings(&report);
    assert_eq!(all.len(), 1, "exactly the planted token: {all:#?}");
    assert_eq!(all[0]["secret_sha256"], sha256_hex(&token));
    assert_eq!(all[0]["locations"][0]["path"], "package-lock.json");
    assert_eq!(all[0]["locations"][0]["line"], line);
    assert_eq!(all[0]["locations"][0]["column"], column);
}

// ---------------------------------------------------------------------------------------------
// Published values: suppressed, and shown as suppressed with --verbose
// ---------------------------------------------------------------------------------------------

/// The QStash development server's credentials, as docs/formats.md §1.4 lists them (written out
/// here, not taken from the code, so a typo in the code's list fails this test).
const DEV_SIGNING_KEYS: [&str; 10] = [
    "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r",
    "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs",
    "sig_7GVPjvuwsfqF65iC8fSrs1dfYruM",
    "sig_5NoELc3EFnZn4DVS5bDs2Nk4b7Ua",
    "sig_6jWGaWRxHsw4vMSPJprXadyvrybF",
    "sig_7qHbvhmahe5GwfePDiS5Lg3pi6Qx",
    "sig_5T8FcSsynBjn9mMLBsXhpacRovJf",
    "sig_7GFR4YaDshFcqsxWRZpRB161jguD",
    "sig_7RvLjqfZBvP5KEUimQCE1pvpLuou",
    "sig_7W3ZNbfKWk5NWwEs3U4ixuQ7fxwE",
];

fn dev_tokens() -> Vec<String> {
    let mut users = vec![("defaultUser", "defaultPassword")];
    users.extend([
        ("testUser1", "testPassword"),
        ("testUser2", "testPassword"),
        ("testUser3", "testPassword"),
    ]);
    users
        .iter()
        .map(|(u, p)| STANDARD.encode(format!(r#"{{"UserID":"{u}","Password":"{p}"}}"#)))
        .collect()
}

#[test]
fn the_qstash_development_server_credentials_are_suppressed_and_shown_with_verbose() {
    let mut c = Corpus::default();
    let tokens = dev_tokens();
    let mut env_file =
        String::from("# npx @upstash/qstash-cli dev\nQSTASH_URL=http://127.0.0.1:8080\n");
    for (i, t) in tokens.iter().enumerate() {
        let p = c.plant("qstash-token", t, vec![]);
        let name = if i == 0 {
            "QSTASH_TOKEN".to_string()
        } else {
            format!("QSTASH_TOKEN_{i}")
        };
        env_file.push_str(&format!("{name}=\"{}\"\n", c.at(p)));
    }
    for (i, k) in DEV_SIGNING_KEYS.iter().enumerate() {
        let p = c.plant("qstash-signing-key", k, vec![]);
        let name = if i % 2 == 0 {
            "QSTASH_CURRENT_SIGNING_KEY"
        } else {
            "QSTASH_NEXT_SIGNING_KEY"
        };
        env_file.push_str(&format!("{name}={}\n", c.at(p)));
    }
    c.file(".env.development", env_file);
    // The same values bare in a test file: no keyword near, still public.
    let mut ts = String::from("// qstash dev server\n");
    for k in DEV_SIGNING_KEYS.iter().take(2) {
        let p = c
            .plants
            .iter()
            .position(|p| p.secret == *k)
            .expect("planted");
        ts.push_str(&format!("const k = \"{}\";\n", c.at(p)));
    }
    c.file("test/fixtures.ts", ts);

    let env = TestEnv::new();
    let rendered = c.write(&env);
    let occurrences: Vec<String> = rendered
        .iter()
        .flat_map(|r| {
            r.marks
                .iter()
                .map(move |(_, l, col)| format!("{}:{l}:{col}", r.path))
        })
        .collect();
    assert_eq!(occurrences.len(), tokens.len() + DEV_SIGNING_KEYS.len() + 2);

    let (run, report) = env.scan_json(&["."]);
    assert_eq!(
        findings(&report).len(),
        0,
        "published values are not findings: {:#?}",
        findings(&report)
    );
    assert_eq!(
        run.code, 0,
        "only published values: exit 0; stderr:\n{}",
        run.stderr
    );
    assert_eq!(
        report["stats"]["suppressed_public"],
        json!(occurrences.len())
    );

    let quiet = env.run(&["scan", "--format", "human", "."]);
    assert_eq!(quiet.code, 0);
    assert!(
        !quiet
            .stdout
            .lines()
            .any(|l| l.contains("suppressed") && l.contains(".env.development:")),
        "without --verbose suppressed values are only counted:\n{}",
        quiet.stdout
    );
    let verbose = env.run(&["scan", "--format", "human", "--verbose", "."]);
    assert_eq!(verbose.code, 0);
    let all = format!("{}{}", verbose.stdout, verbose.stderr);
    for at in &occurrences {
        assert!(
            all.lines()
                .any(|l| l.contains("suppressed") && l.contains(at.as_str())),
            "--verbose lists {at} as suppressed:\n{all}"
        );
    }
    for secret in tokens.iter().map(String::as_str).chain(DEV_SIGNING_KEYS) {
        assert!(
            !all.contains(secret),
            "--verbose does not print the value itself"
        );
    }
}
