//! Every Upstash credential that ever shipped: the formats and places public code holds that
//! the first rule set missed (legacy Redis tokens with flag 0x00, `redis://PASSWORD@host`,
//! Developer API keys behind an indirection, 2022 QStash keys and UUID-password tokens,
//! passwords inside compiled files, Kafka passwords beside Redis hosts, `upstashdev.com`
//! hosts). One corpus, scanned as files and again as git history (added, then deleted): both
//! must report exactly what was planted, where it was planted.

use super::corpus::*;
use crate::common::{commit, findings, repo, Fake, TestEnv};
use serde_json::{json, Value};

/// A compiled Python module (`.pyc`, 3.11) whose constants are a Redis host, its port and its
/// password, then the names: marshal frames each string with a type byte (0xDA: a short
/// interned string) and a length byte, and keeps no variable name beside the value.
fn pyc(host: &str, port: u32, password_marker: &str) -> String {
    let mut t = String::new();
    // Magic (3.11, ends "\r\n"), flags, mtime, source size.
    t.push_str("\u{a7}\r\r\n\0\0\0\0\u{93}\u{1f}\u{5c}\u{66}\u{c4}\u{01}\0\0");
    t.push_str("\u{e3}\0\0\0\0\0\0\0\0\0\0\0\0\u{03}\0\0\0\u{f3}\u{2a}\0\0\0\u{97}\0");
    t.push_str("d\0Z\0d\u{01}Z\u{01}d\u{02}Z\u{02}y\u{03})\u{04}");
    t.push(char::from(0xDA));
    t.push(char::from(u8::try_from(host.len()).expect("short host")));
    t.push_str(host);
    t.push(char::from(0xE9));
    for b in port.to_le_bytes() {
        t.push(char::from(b));
    }
    t.push(char::from(0xDA));
    t.push(' ');
    t.push_str(password_marker);
    t.push_str("N)\u{03}\u{da}\u{04}host\u{da}\u{04}port\u{da}\u{08}password\u{a9}\0");
    t.push_str("\u{f3}\0\0\0\0\u{fa}\u{0b}settings.py\u{da}\u{08}<module>");
    t
}

/// A Java class file whose constant pool holds a Kafka bootstrap host and its password (tag 1:
/// a modified-UTF-8 string, two length bytes, the bytes).
fn class_file(host: &str, password_marker: &str) -> String {
    let mut t = String::from(
        "\u{ca}\u{fe}\u{ba}\u{be}\0\0\0\u{3d}\0\u{1c}\n\0\u{02}\0\u{03}\u{07}\0\u{04}",
    );
    let utf8 = |t: &mut String, s: &str, len: usize| {
        t.push('\u{01}');
        t.push('\0');
        t.push(char::from(u8::try_from(len).expect("short string")));
        t.push_str(s);
    };
    utf8(&mut t, "java/lang/Object", 16);
    utf8(&mut t, &format!("{host}:9092"), host.len() + 5);
    utf8(&mut t, password_marker, 32);
    utf8(&mut t, "sasl.jaas.config", 16);
    t.push_str("\u{07}\0\u{0c}\0!\0\u{0e}\0\u{02}\0\0\0\0");
    t
}

fn older_formats(f: &mut Fake) -> Corpus {
    let mut c = Corpus::default();

    // --- 1. Legacy Redis REST tokens with layout flag 0x00 ------------------------------------
    let n1 = f.database_number();
    let host1 = f.redis_host(n1);
    let rw0 = f.redis_token_legacy_with(n1, false, 0);
    let mut rw0_details = redis("read-write", "legacy", 2, n1);
    rw0_details.extend([
        ("database_id", json!(rw0.database_id)),
        ("exposes_password", json!(true)),
        ("embedded_password_sha256", json!(sha256_hex(&rw0.password))),
    ]);
    let rw0 = c.plant("redis-rest-token", &rw0.token, rw0_details);
    let ro0 = f.redis_token_legacy_with(n1, true, 0);
    let mut ro0_details = redis("read-only", "legacy", 2, n1);
    ro0_details.extend([
        ("database_id", json!(ro0.database_id)),
        ("exposes_password", Value::Null),
    ]);
    let ro0 = c.plant("redis-rest-token-readonly", &ro0.token, ro0_details);
    let (a, b) = (
        c.at_with(
            rw0,
            [vec![var("UPSTASH_REDIS_REST_TOKEN")], host(&host1, true)].concat(),
        ),
        c.at_with(ro0, vec![var("UPSTASH_REDIS_REST_READONLY_TOKEN")]),
    );
    c.file(
        "examples/nextjs-legacy/.env.local",
        format!("UPSTASH_REDIS_REST_URL=https://{host1}\nUPSTASH_REDIS_REST_TOKEN={a}\nUPSTASH_REDIS_REST_READONLY_TOKEN=\"{b}\"\n"),
    );
    let a = c.at_with(rw0, vec![var("token")]);
    c.file(
        "examples/workers/src/index.js",
        format!("const redis = new Redis({{\n  url: 'https://{host1}',\n  token: '{a}',\n}});\n"),
    );

    // --- 2. redis://PASSWORD@host:port: no user, no colon -------------------------------------
    let n2 = f.database_number();
    let host2 = f.redis_host(n2);
    let pw2 = f.hex(32);
    let url_pw = c.plant(
        "redis-url",
        &pw2,
        vec![
            ("password_kind", json!("redis-password")),
            ("url_host", json!(host2)),
            ("url_port", json!(n2)),
            ("url_user", Value::Null),
            ("database_number", json!(n2)),
        ],
    );
    let n3 = f.database_number();
    let host3 = f.redis_host(n3);
    let tok3 = f.redis_token_with(n3, false, false, None);
    let url_tok = c.plant(
        "redis-url",
        &tok3,
        vec![
            ("password_kind", json!("redis-rest-token")),
            ("url_user", Value::Null),
            ("database_number", json!(n3)),
        ],
    );
    let (a, b) = (
        c.at_with(
            url_pw,
            vec![("variable", Value::Null), ("host", json!(host2))],
        ),
        c.at_with(
            url_tok,
            vec![var("REDIS_URL"), ("host_agrees", json!(true))],
        ),
    );
    c.file(
        "scripts/cli.sh",
        format!(
            "#!/bin/sh\n# copied from the console\nredis-cli -u redis://{a}@{host2}:{n2} ping\n"
        ),
    );
    c.file(
        "deploy/fly/.env",
        format!("REDIS_URL=rediss://{b}@{host3}:6379\n"),
    );

    // --- 3. Developer API keys behind an indirection ------------------------------------------
    let email = "ops@example.com";
    let key = |c: &mut Corpus, f: &mut Fake| {
        let k = f.api_key();
        c.plant("developer-api-key", &k, vec![])
    };
    let k_sh = key(&mut c, f);
    let a = c.at_with(k_sh, vec![var("UPSTASH_API_KEY")]);
    c.file(
        "scripts/create-db.sh",
        format!("#!/usr/bin/env bash\nUPSTASH_EMAIL=\"${{2:-{email}}}\"\nUPSTASH_API_KEY=\"${{3:-{a}}}\"\ncurl -u \"$UPSTASH_EMAIL:$UPSTASH_API_KEY\" https://api.upstash.com/v2/redis/databases\n"),
    );
    let k_py = key(&mut c, f);
    let k_py2 = key(&mut c, f);
    let (a, b) = (c.at(k_py), c.at(k_py2));
    c.file(
        "tools/upstash_admin.py",
        format!("import os\n\nAPI_KEY = os.getenv(\"UPSTASH_API_KEY\", \"{a}\")\nFALLBACK = os.environ.get('UPSTASH_API_KEY') or '{b}'\n"),
    );
    let k_ts = key(&mut c, f);
    let k_js = key(&mut c, f);
    let (a, b) = (c.at(k_ts), c.at(k_js));
    c.file(
        "src/admin/config.ts",
        format!("export const apiKey = process.env.UPSTASH_API_KEY ?? \"{a}\";\nexport const legacyKey = process.env.UPSTASH_API_KEY || '{b}';\n"),
    );
    let k_rb = key(&mut c, f);
    let a = c.at(k_rb);
    c.file(
        "config/upstash.rb",
        format!("UPSTASH_KEY = ENV.fetch(\"UPSTASH_API_KEY\", \"{a}\")\n"),
    );
    let k_tf = key(&mut c, f);
    let a = c.at(k_tf);
    c.file(
        "infra/variables.tf",
        format!("variable \"upstash_email\" {{\n  type = string\n}}\n\nvariable \"upstash_api_key\" {{\n  type        = string\n  description = \"Upstash management API key\"\n  sensitive   = true\n  default     = \"{a}\"\n}}\n"),
    );
    let k_pulumi = key(&mut c, f);
    let a = c.at(k_pulumi);
    c.file(
        "infra/Pulumi.dev.yaml",
        format!("config:\n  upstash:email: {email}\n  upstash:apiKey: {a}\n"),
    );
    let k_php = key(&mut c, f);
    let k_make = key(&mut c, f);
    let k_cli = key(&mut c, f);
    let k_compose = key(&mut c, f);
    let (a, b, d, e) = (c.at(k_php), c.at(k_make), c.at(k_cli), c.at(k_compose));
    c.file(
        "public/admin.php",
        format!("<?php\n$key = getenv('UPSTASH_API_KEY') ?: '{a}';\n"),
    );
    c.file(
        "Makefile",
        format!("UPSTASH_API_KEY ?= {b}\n\ndeploy:\n\t./deploy.sh\n"),
    );
    c.file(
        "docs/setup.md",
        format!("Log in once:\n\n    upstash auth login --email {email} --api-key {d}\n"),
    );
    c.file(
        "docker-compose.override.yml",
        format!("services:\n  admin:\n    environment:\n      - UPSTASH_API_KEY=${{UPSTASH_API_KEY:-{e}}}\n"),
    );

    // --- 4. QStash: 2022 signing keys, UUID-password tokens -----------------------------------
    let keys: Vec<usize> = [46, 47, 50]
        .into_iter()
        .map(|n| {
            let k = f.signing_key_legacy(n);
            assert_eq!(k.len(), 4 + n);
            c.plant("qstash-signing-key", &k, vec![])
        })
        .collect();
    let q_uuid = f.qstash_token_uuid_password();
    let q_uuid = c.plant("qstash-token", &q_uuid, vec![]);
    let (a, b, d, q) = (
        c.at_with(keys[0], vec![var("QSTASH_CURRENT_SIGNING_KEY")]),
        c.at_with(keys[1], vec![var("QSTASH_NEXT_SIGNING_KEY")]),
        c.at(keys[2]),
        c.at_with(q_uuid, vec![var("QSTASH_TOKEN")]),
    );
    c.file(
        "services/cron/.env",
        format!("QSTASH_TOKEN={q}\nQSTASH_CURRENT_SIGNING_KEY={a}\nQSTASH_NEXT_SIGNING_KEY={b}\n"),
    );
    let q2 = c.at(q_uuid);
    c.file(
        "services/cron/verify.ts",
        format!("const receiver = new Receiver({{\n  currentSigningKey: \"{d}\",\n  nextSigningKey: process.env.QSTASH_NEXT_SIGNING_KEY!,\n}});\nconst client = new Client({{ token: \"{q2}\" }});\n"),
    );

    // --- 5. Passwords inside compiled files ---------------------------------------------------
    let n5 = f.database_number();
    let host5 = f.redis_host(n5);
    let pw5 = f.hex(32);
    let pw5 = c.plant("redis-password", &pw5, vec![]);
    let a = c.at_with(pw5, vec![("host", json!(host5)), ("variable", Value::Null)]);
    c.file_as(
        "app/__pycache__/settings.cpython-311.pyc",
        pyc(&host5, 6379, &a),
        Encoding::Bytes,
    );
    let kh = f.kafka_host(false);
    let kpw = f.kafka_password(0);
    let kpw = c.plant("kafka-password", &kpw, vec![]);
    let a = c.at_with(kpw, vec![("host", json!(kh))]);
    c.file_as(
        "build/classes/java/main/shop/Events.class",
        class_file(&kh, &a),
        Encoding::Bytes,
    );

    // --- 6. A password belongs to the host it is written with --------------------------------
    let n6 = f.database_number();
    let host6 = f.redis_host(n6);
    let rest_kafka = f.kafka_host(true);
    let user = f.kafka_username(&rest_kafka);
    let k_js = f.kafka_password(0);
    let k_js = c.plant("kafka-password", &k_js, vec![]);
    let r_js = f.hex(32);
    let r_js = c.plant("redis-password", &r_js, vec![]);
    let (a, b) = (
        c.at_with(k_js, vec![var("password"), ("host", json!(rest_kafka))]),
        c.at_with(r_js, vec![var("password"), ("host", json!(host6))]),
    );
    c.file(
        "src/lib/clients.js",
        format!("const redis = new Redis({{ host: \"{host6}\", port: 6379 }});\n\nconst kafka = new Kafka({{\n  url: \"https://{rest_kafka}\",\n  username: \"{user}\",\n  password: \"{a}\",\n}});\n\nconst cache = new Redis({{\n  host: \"{host6}\",\n  password: \"{b}\",\n}});\n"),
    );
    let k_env = f.kafka_password(1);
    let k_env = c.plant("kafka-password", &k_env, vec![]);
    let a = c.at_with(k_env, vec![var("UPSTASH_KAFKA_REST_PASSWORD")]);
    c.file(
        "apps/events/.env",
        format!("UPSTASH_REDIS_HOST={host6}\nUPSTASH_KAFKA_REST_URL=https://{rest_kafka}\nUPSTASH_KAFKA_REST_PASSWORD={a}\n"),
    );
    let tcp_kafka = f.kafka_host(false);
    let tcp_user = f.kafka_username(&tcp_kafka);
    let k_java = f.kafka_password(2);
    let k_java = c.plant("kafka-password", &k_java, vec![]);
    let a = c.at(k_java);
    c.file(
        "src/main/resources/kafka.properties",
        format!("bootstrap.servers={tcp_kafka}:9092\nsasl.mechanism=SCRAM-SHA-256\nsecurity.protocol=SASL_SSL\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{tcp_user}\" password=\"{a}\";\n"),
    );
    let k_curl = f.kafka_password(0);
    let k_curl = c.plant("kafka-password", &k_curl, vec![]);
    let a = c.at(k_curl);
    c.file(
        "docs/kafka.md",
        format!("```\ncurl https://{rest_kafka}/produce/orders/hello -u {user}:{a}\n```\n"),
    );

    // --- 7. upstashdev.com hosts --------------------------------------------------------------
    let n7 = f.database_number();
    let dev_host = f.redis_host(n7).replace(".upstash.io", ".upstashdev.com");
    let dev_pw = f.hex(32);
    let dev_url = c.plant(
        "redis-url",
        &dev_pw,
        vec![
            ("url_host", json!(dev_host)),
            ("url_user", Value::Null),
            ("database_number", json!(n7)),
        ],
    );
    let dev_tok = f.redis_token_with(n7, false, false, Some(7));
    let dev_tok = c.plant(
        "redis-rest-token",
        &dev_tok,
        redis("read-write", "current", 2, n7),
    );
    let (a, b) = (
        c.at_with(dev_url, vec![("host", json!(dev_host))]),
        c.at_with(
            dev_tok,
            [vec![var("token")], host(&dev_host, true)].concat(),
        ),
    );
    c.file(
        "handler.js",
        format!("var client = new Redis(\"redis://:{a}@{dev_host}:{n7}\");\nconst rest = new UpstashRedis({{ url: \"https://{dev_host}\", token: \"{b}\" }});\n"),
    );
    let dev_pw2 = f.hex(32);
    let dev_pw2 = c.plant("redis-password", &dev_pw2, vec![]);
    let a = c.at_with(dev_pw2, vec![("host", json!(dev_host))]);
    c.file(
        "worker/settings.py",
        format!("r = redis.Redis(\n    host=\"{dev_host}\",\n    port={n7},\n    password=\"{a}\",\n    ssl=True,\n)\n"),
    );
    c
}

/// Every class, in files: exactly the planted secrets, each at its kind, line and column.
#[test]
fn older_formats_are_found_in_files() {
    let mut f = Fake::new(0x5eed_0011);
    let corpus = older_formats(&mut f);
    let env = TestEnv::new();
    let rendered = corpus.write(&env);
    let (run, report) = env.scan_json(&["."]);
    assert_eq!(run.code, 1, "findings exit 1; stderr:\n{}", run.stderr);
    assert_eq!(report["errors"], json!([]));
    corpus.assert_reported(&rendered, &report);
    corpus.assert_no_full_secret(&run.stdout);
}

/// The same files, added in one commit and deleted in the next: `upsweep git` finds each at
/// the same kind, path, line and column, introduced by the first commit, gone from HEAD.
#[test]
fn older_formats_are_found_in_git_history() {
    let mut f = Fake::new(0x5eed_0011);
    let corpus = older_formats(&mut f);
    let env = repo();
    env.write("README.md", "shop\n");
    commit(&env, "readme");
    let rendered = corpus.write(&env);
    let introduced = commit(&env, "add config");
    for r in &rendered {
        std::fs::remove_file(env.path().join(&r.path)).expect("remove");
    }
    commit(&env, "remove config");
    let run = env.run(&["git", "--format", "json"]);
    assert_eq!(run.code, 1, "findings exit 1; stderr:\n{}", run.stderr);
    let report = run.json();
    corpus.assert_reported(&rendered, &report);
    for finding in findings(&report) {
        assert_eq!(finding["introduced_in"], introduced.as_str(), "{finding:#}");
        assert_eq!(finding["in_head"], false);
    }
}

/// What the account check does with a Kafka password: nothing can check or rotate it, and it
/// says so, without a request for it.
#[test]
fn a_kafka_password_is_explained_not_checked() {
    let mut f = Fake::new(0x5eed_0012);
    let env = TestEnv::new();
    let host = f.kafka_host(true);
    let pw = f.kafka_password(0);
    env.write(
        ".env",
        format!("UPSTASH_KAFKA_REST_URL=https://{host}\nUPSTASH_KAFKA_REST_PASSWORD={pw}\n"),
    );
    let (_, report) = env.scan_json(&["."]);
    let all = findings(&report);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["kind"], "kafka-password");
    assert_eq!(all[0]["locations"][0]["host"], host.as_str());
    let human = env.run(&["scan", "--format", "human", "."]);
    assert!(
        human.stdout.contains("Kafka") && human.stdout.contains("2025"),
        "the human report names the product and that it closed:\n{}",
        human.stdout
    );
}
