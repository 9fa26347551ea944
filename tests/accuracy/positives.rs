//! Every kind, in every kind of file a repository holds, including encoded forms: one scan
//! must report exactly what was planted, where it was planted.

use super::corpus::*;
use crate::common::{Fake, TestEnv};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

/// Every kind, in every kind of file, including encoded forms.
fn positives(f: &mut Fake) -> Corpus {
    let mut c = Corpus::default();

    // --- Redis REST tokens -------------------------------------------------------------------
    let n1 = f.database_number();
    let host1 = f.redis_host(n1);
    let rw = f.redis_token_with(n1, false, false, None);
    let rw = c.plant(
        "redis-rest-token",
        &rw,
        redis("read-write", "current", 2, n1),
    );

    let n2 = f.database_number();
    let host2 = f.redis_host(n2);
    let suffix = f.rng().u32(1..99_999);
    let rw_p = f.redis_token_with(n2, false, false, Some(suffix));
    assert!(URL_SAFE_NO_PAD
        .decode(&rw_p)
        .unwrap()
        .ends_with(format!("p{suffix}").as_bytes()));
    let rw_p = c.plant(
        "redis-rest-token",
        &rw_p,
        redis("read-write", "current", 2, n2),
    );
    let ro = f.redis_token_with(n2, true, false, None);
    let ro = c.plant(
        "redis-rest-token-readonly",
        &ro,
        redis("read-only", "current", 2, n2),
    );

    let n3 = wide_number(f);
    let host3 = f.redis_host(n3);
    let wide = f.redis_token_with(n3, false, true, None);
    let wide = c.plant(
        "redis-rest-token",
        &wide,
        redis("read-write", "current", 8, n3),
    );
    let small_suffix = f.rng().u32(1..9);
    let wide_p = f.redis_token_with(n3, false, true, Some(small_suffix));
    let wide_p = c.plant(
        "redis-rest-token",
        &wide_p,
        redis("read-write", "current", 8, n3),
    );
    let wide_ro = f.redis_token_with(n3, true, true, None);
    let wide_ro = c.plant(
        "redis-rest-token-readonly",
        &wide_ro,
        redis("read-only", "current", 8, n3),
    );

    let n4 = f.database_number();
    let host4 = f.redis_host(n4);
    let legacy = f.redis_token_legacy_parts(n4);
    assert!(legacy.token.ends_with('='), "a legacy token is padded");
    let mut legacy_details = redis("read-write", "legacy", 2, n4);
    legacy_details.extend([
        ("database_id", json!(legacy.database_id)),
        ("exposes_password", json!(true)),
        (
            "embedded_password_sha256",
            json!(sha256_hex(&legacy.password)),
        ),
    ]);
    let legacy_t = c.plant("redis-rest-token", &legacy.token, legacy_details);
    let legacy_ro = f.redis_token_legacy_readonly(n4);
    let mut legacy_ro_details = redis("read-only", "legacy", 2, n4);
    legacy_ro_details.extend([
        ("database_id", json!(legacy_ro.database_id)),
        ("exposes_password", Value::Null),
    ]);
    let legacy_ro = c.plant(
        "redis-rest-token-readonly",
        &legacy_ro.token,
        legacy_ro_details,
    );

    // Another legacy token, written in a URL with its padding percent-encoded.
    let n5 = f.database_number();
    let host5 = f.redis_host(n5);
    let legacy2 = f.redis_token_legacy_parts(n5);
    let legacy2_pct = legacy2.token.replace('=', "%3D");
    let legacy2 = c.plant(
        "redis-rest-token",
        &legacy2.token,
        redis("read-write", "legacy", 2, n5),
    );

    let n6 = f.database_number();
    let public_t = f.redis_token_with(n6, false, false, Some(7));
    let public_t = c.plant(
        "redis-rest-token",
        &public_t,
        redis("read-write", "current", 2, n6),
    );
    c.plants[public_t]
        .finding
        .push(("browser_exposed", json!(true)));
    c.plants[rw].finding.push(("browser_exposed", json!(false)));
    let n7 = f.database_number();
    let wrong_host = f.redis_host(n7 + 1);
    let mismatched = f.redis_token_with(n7, false, false, None);
    let mismatched = c.plant(
        "redis-rest-token",
        &mismatched,
        redis("read-write", "current", 2, n7),
    );

    // Tokens for files of their own.
    let own_token = |c: &mut Corpus, f: &mut Fake| {
        let n = f.database_number();
        let t = f.redis_token(n, false, false);
        (
            c.plant("redis-rest-token", &t, vec![("database_number", json!(n))]),
            n,
        )
    };

    // --- .env variants ------------------------------------------------------------------------
    let m = [c.at_with(
        rw,
        [vec![var("UPSTASH_REDIS_REST_TOKEN")], host(&host1, true)].concat(),
    )];
    c.file(
        ".env",
        format!(
            "# Upstash Redis\nUPSTASH_REDIS_REST_URL=\"https://{host1}\"\nUPSTASH_REDIS_REST_TOKEN=\"{}\"\n",
            m[0]
        ),
    );
    let (a, b) = (
        c.at_with(
            rw_p,
            [vec![var("KV_REST_API_TOKEN")], host(&host2, true)].concat(),
        ),
        c.at_with(
            ro,
            [vec![var("KV_REST_API_READ_ONLY_TOKEN")], host(&host2, true)].concat(),
        ),
    );
    c.file(
        ".env.local",
        format!(
            "# Created by Vercel CLI\nexport KV_REST_API_URL='https://{host2}'\nexport KV_REST_API_TOKEN='{a}'\nexport KV_REST_API_READ_ONLY_TOKEN={b}\n"
        ),
    );
    let (a, b, d) = (
        c.at_with(
            wide,
            vec![
                var("UPSTASH_REDIS_REST_TOKEN"),
                ("host_agrees", json!(true)),
            ],
        ),
        c.at_with(
            public_t,
            vec![
                var("NEXT_PUBLIC_UPSTASH_REDIS_REST_TOKEN"),
                ("browser_exposed", json!(true)),
            ],
        ),
        c.at_with(
            mismatched,
            vec![("host", json!(wrong_host)), ("host_agrees", json!(false))],
        ),
    );
    c.file(
        ".env.production",
        format!(
            "UPSTASH_REDIS_REST_URL = https://{host3}\nUPSTASH_REDIS_REST_TOKEN = {a}\n\nNEXT_PUBLIC_UPSTASH_REDIS_REST_TOKEN={b}\n\n\n\n\n\n\n\nCACHE_REDIS_URL=https://{wrong_host}\nCACHE_REDIS_TOKEN={d}\n"
        ),
    );
    let a = c.at(wide_p);
    c.file(
        "apps/web/.env.development.local",
        format!("  UPSTASH_REDIS_REST_TOKEN  =  \"{a}\"  # do not commit\n"),
    );

    // --- JSON, YAML, TOML, properties --------------------------------------------------------
    let a = c.at_with(
        legacy_t,
        vec![
            var("token"),
            ("host", json!(host4)),
            ("host_agrees", json!(true)),
        ],
    );
    let b = c.at_with(legacy_ro, vec![var("readOnlyToken")]);
    c.file(
        "config/upstash.json",
        format!(
            "{{\n  \"redis\": {{\n    \"url\": \"https://{host4}\",\n    \"token\": \"{a}\",\n    \"readOnlyToken\": \"{b}\"\n  }}\n}}\n"
        ),
    );
    let qstash = f.qstash_token();
    let q_yaml = c.plant("qstash-token", &qstash, vec![]);
    let sig_cur = f.signing_key();
    let sig_cur = c.plant("qstash-signing-key", &sig_cur, vec![]);
    let sig_next = f.signing_key();
    let sig_next = c.plant("qstash-signing-key", &sig_next, vec![]);
    let (rt, qt, sc, sn) = (
        c.at_with(wide_ro, vec![var("restReadonlyToken")]),
        c.at_with(q_yaml, vec![var("token")]),
        c.at_with(sig_cur, vec![var("currentSigningKey")]),
        c.at_with(sig_next, vec![var("nextSigningKey")]),
    );
    c.file(
        "deploy/helm/values.yaml",
        format!(
            "upstash:\n  redis:\n    restUrl: https://{host3}\n    restReadonlyToken: {rt}\n  qstash:\n    url: https://qstash.upstash.io\n    token: \"{qt}\"\n    currentSigningKey: {sc}\n    nextSigningKey: '{sn}'\n"
        ),
    );
    let ep_v1 = f.index_endpoint();
    let vt = f.vector_token(&ep_v1, false);
    let vt = c.plant("vector-token", &vt, index("read-write", &ep_v1, "vector"));
    let (t, v) = (
        own_token(&mut c, f),
        c.at_with(
            vt,
            [
                vec![var("token")],
                host(&format!("{ep_v1}-vector.upstash.io"), true),
            ]
            .concat(),
        ),
    );
    let t = c.at(t.0);
    c.file(
        "config.toml",
        format!(
            "[upstash]\nrest_token = \"{t}\"\n\n[vector]\nurl = \"https://{ep_v1}-vector.upstash.io\"\ntoken = \"{v}\"\n"
        ),
    );
    let pw_props = f.hex(32);
    let pw_props = c.plant("redis-password", &pw_props, vec![]);
    let (t, p) = (
        own_token(&mut c, f),
        c.at_with(pw_props, vec![var("upstash.redis.password")]),
    );
    let t = c.at(t.0);
    c.file(
        "src/main/resources/application.properties",
        format!("spring.application.name=shop\nupstash.redis.rest.token={t}\nupstash.redis.password={p}\n"),
    );

    // --- Source code --------------------------------------------------------------------------
    let rw_ts = c.at_with(
        rw,
        vec![
            var("token"),
            ("host", json!(host1)),
            ("host_agrees", json!(true)),
        ],
    );
    c.file(
        "src/lib/redis.ts",
        format!(
            "import {{ Redis }} from \"@upstash/redis\";\n\nexport const redis = new Redis({{\n  url: \"https://{host1}\",\n  token: \"{rw_ts}\",\n}});\n"
        ),
    );
    let ep_v2 = f.index_endpoint();
    let vt_ro = f.vector_token(&ep_v2, true);
    let vt_ro = c.plant(
        "vector-token-readonly",
        &vt_ro,
        index("read-only", &ep_v2, "vector"),
    );
    c.plants[vt_ro]
        .finding
        .push(("browser_exposed", json!(true)));
    let v = c.at_with(
        vt_ro,
        vec![
            var("NEXT_PUBLIC_UPSTASH_VECTOR_REST_READONLY_TOKEN"),
            ("browser_exposed", json!(true)),
        ],
    );
    c.file(
        "apps/site/.env",
        format!("NEXT_PUBLIC_UPSTASH_VECTOR_REST_URL=https://{ep_v2}-vector.upstash.io\nNEXT_PUBLIC_UPSTASH_VECTOR_REST_READONLY_TOKEN={v}\n"),
    );
    let nh = f.database_number();
    let hh = f.redis_host(nh);
    let pw_io = f.hex(32);
    let pw_io = c.plant("redis-password", &pw_io, vec![]);
    let p = c.at_with(pw_io, vec![var("password"), ("host", json!(hh))]);
    c.file(
        "server/cache.js",
        format!(
            "const Redis = require(\"ioredis\");\n\n// 🚀 connexion à la base\nconst client = new Redis({{\n  host: \"{hh}\",\n  port: 6379,\n  password: \"{p}\",\n  tls: {{}},\n}});\nmodule.exports = client;\n"
        ),
    );
    let pw_py = f.hex(32);
    let pw_py = c.plant("redis-password", &pw_py, vec![]);
    let p = c.at(pw_py);
    let ep_v3 = f.index_endpoint();
    let vt_py = f.vector_token(&ep_v3, true);
    let vt_py = c.plant(
        "vector-token-readonly",
        &vt_py,
        index("read-only", &ep_v3, "vector"),
    );
    let v = c.at_with(vt_py, vec![var("UPSTASH_VECTOR_REST_READONLY_TOKEN")]);
    let nh = f.database_number();
    let hh = f.redis_host(nh);
    c.file(
        "app/settings.py",
        format!(
            "import os\nimport redis\n\nUPSTASH_VECTOR_REST_URL = \"https://{ep_v3}-vector.upstash.io\"\nUPSTASH_VECTOR_REST_READONLY_TOKEN = \"{v}\"\n\nr = redis.Redis(host='{hh}', port=6379, password='{p}', ssl=True)\n"
        ),
    );
    let pw_go = f.hex(32);
    let pw_go = c.plant("redis-password", &pw_go, vec![]);
    let q_go = f.qstash_token();
    let q_go = c.plant("qstash-token", &q_go, vec![]);
    let (p, q) = (c.at_with(pw_go, vec![var("Password")]), c.at(q_go));
    let nh = f.database_number();
    let hh = f.redis_host(nh);
    c.file(
        "cmd/server/main.go",
        format!(
            "package main\n\nfunc main() {{\n\trdb := redis.NewClient(&redis.Options{{\n\t\tAddr:     \"{hh}:6379\",\n\t\tPassword: \"{p}\",\n\t\tTLSConfig: &tls.Config{{}},\n\t}})\n\tclient := qstash.NewClient(\"{q}\")\n\t_ = client\n}}\n"
        ),
    );
    let pw_rb = f.hex(32);
    let n_rb = f.database_number();
    let host_rb = f.redis_host(n_rb);
    let url_rb = c.plant(
        "redis-url",
        &pw_rb,
        vec![
            ("password_kind", json!("redis-password")),
            ("url_host", json!(host_rb)),
            ("url_port", json!(6379)),
            ("url_user", json!("default")),
            ("database_number", json!(n_rb)),
        ],
    );
    let (u, t) = (c.at(url_rb), own_token(&mut c, f));
    let t = c.at(t.0);
    c.file(
        "config/initializers/upstash.rb",
        format!(
            "$redis = Redis.new(url: \"rediss://default:{u}@{host_rb}:6379\")\nUPSTASH = Upstash::Redis.new(url: ENV.fetch(\"UPSTASH_REDIS_REST_URL\"), token: \"{t}\")\n"
        ),
    );

    // --- Shell, Terraform -----------------------------------------------------------------------
    let pw_cli = f.hex(32);
    let pw_cli = c.plant("redis-password", &pw_cli, vec![]);
    let (a, b, p) = (
        c.at_with(
            rw_p,
            vec![
                ("variable", Value::Null),
                ("host", json!(host2)),
                ("host_agrees", json!(true)),
            ],
        ),
        c.at_as(
            legacy2,
            &legacy2_pct,
            vec![("encoding", json!("percent")), ("host_agrees", json!(true))],
        ),
        c.at(pw_cli),
    );
    c.file(
        "scripts/ping.sh",
        format!(
            "#!/usr/bin/env bash\nset -euo pipefail\ncurl -s -H \"Authorization: Bearer {a}\" https://{host2}/set/foo/bar\ncurl -s \"https://{host5}/get/foo?_token={b}&format=json\"\nredis-cli --tls -a {p} -h {hh} -p 6379 ping\n"
        ),
    );
    let key_tf = f.api_key();
    let key_tf = c.plant(
        "developer-api-key",
        &key_tf,
        vec![("email", json!("ops@example.com"))],
    );
    let k = c.at_with(key_tf, vec![var("api_key")]);
    c.file(
        "infra/main.tf",
        format!(
            "terraform {{\n  required_providers {{\n    upstash = {{\n      source = \"upstash/upstash\"\n    }}\n  }}\n}}\n\nprovider \"upstash\" {{\n  email   = \"ops@example.com\"\n  api_key = \"{k}\"\n}}\n\nresource \"upstash_redis_database\" \"cache\" {{\n  database_name = \"cache\"\n  region        = \"global\"\n}}\n"
        ),
    );
    let key_env = f.api_key();
    let key_env = c.plant(
        "developer-api-key",
        &key_env,
        vec![("email", json!("dev@example.org"))],
    );
    let k = c.at_with(key_env, vec![var("UPSTASH_API_KEY")]);
    c.file(
        "ops/.envrc",
        format!("export UPSTASH_EMAIL=dev@example.org\nexport UPSTASH_API_KEY={k}\n"),
    );

    // --- QStash: region-prefixed names -----------------------------------------------------------
    let q_us = f.qstash_token();
    let q_us = c.plant("qstash-token", &q_us, vec![]);
    let q_eu = f.qstash_token();
    let q_eu = c.plant("qstash-token", &q_eu, vec![]);
    let q_plain = f.qstash_token();
    let q_plain = c.plant("qstash-token", &q_plain, vec![]);
    let s1 = f.signing_key();
    let s1 = c.plant("qstash-signing-key", &s1, vec![]);
    let s2 = f.signing_key();
    let s2 = c.plant("qstash-signing-key", &s2, vec![]);
    let (a, b, d, e, g) = (
        c.at_with(q_us, vec![var("US_EAST_1_QSTASH_TOKEN")]),
        c.at_with(q_eu, vec![var("EU_CENTRAL_1_QSTASH_TOKEN")]),
        c.at_with(q_plain, vec![var("QSTASH_TOKEN")]),
        c.at_with(s1, vec![var("QSTASH_CURRENT_SIGNING_KEY")]),
        c.at_with(s2, vec![var("QSTASH_NEXT_SIGNING_KEY")]),
    );
    c.file(
        "services/worker/.env",
        format!(
            "QSTASH_URL=https://qstash-us-east-1.upstash.io\nUS_EAST_1_QSTASH_TOKEN=\"{a}\"\nEU_CENTRAL_1_QSTASH_TOKEN=\"{b}\"\nQSTASH_TOKEN={d}\nQSTASH_CURRENT_SIGNING_KEY={e}\nQSTASH_NEXT_SIGNING_KEY={g}\n"
        ),
    );

    // --- Redis URLs --------------------------------------------------------------------------
    let nk = f.database_number();
    let kv = kv_host(f, nk);
    let kv_tok = f.redis_token_with(nk, false, false, None);
    let kv_tok = c.plant(
        "redis-url",
        &kv_tok,
        vec![
            ("password_kind", json!("redis-rest-token")),
            ("url_host", json!(kv)),
            ("url_port", json!(nk)),
            ("database_number", json!(nk)),
            ("access", json!("read-write")),
        ],
    );
    let kv_pw = f.hex(32);
    let nk2 = f.database_number();
    let kv2 = kv_host(f, nk2);
    let kv_pw = c.plant(
        "redis-url",
        &kv_pw,
        vec![
            ("password_kind", json!("redis-password")),
            ("url_host", json!(kv2)),
        ],
    );
    let nu = f.database_number();
    let hu = f.redis_host(nu);
    let url_legacy = f.redis_token_legacy_parts(nu);
    let url_legacy_pct = url_legacy.token.replace('=', "%3D");
    let url_legacy = c.plant(
        "redis-url",
        &url_legacy.token,
        vec![
            ("password_kind", json!("redis-rest-token")),
            ("layout", json!("legacy")),
            ("exposes_password", json!(true)),
        ],
    );
    let (a, b, d) = (
        c.at_with(
            kv_tok,
            vec![
                var("KV_URL"),
                ("host", json!(kv)),
                ("host_agrees", json!(true)),
            ],
        ),
        c.at(kv_pw),
        c.at_as(
            url_legacy,
            &url_legacy_pct,
            vec![("encoding", json!("percent")), ("host_agrees", json!(true))],
        ),
    );
    c.file(
        ".env.vercel",
        format!(
            "KV_URL=\"redis://default:{a}@{kv}:{nk}\"\nREDIS_URL=rediss://default:{b}@{kv2}:{nk2}\nUPSTASH_REDIS_URL=rediss://default:{d}@{hu}:6379\n"
        ),
    );

    // --- Search and Vector, decided by what is nearby -------------------------------------------
    let ep_s1 = f.index_endpoint();
    let st_nb = f.vector_token(&ep_s1, false);
    let st_nb = c.plant(
        "search-token",
        &st_nb,
        index("read-write", &ep_s1, "search"),
    );
    let (r, s) = (
        c.at_with(rw, vec![var("UPSTASH_REDIS_REST_TOKEN")]),
        c.at_with(st_nb, host(&format!("{ep_s1}-search.upstash.io"), true)),
    );
    c.file(
        "notebooks/demo.ipynb",
        format!(
            r#"{{
 "cells": [
  {{
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {{}},
   "outputs": [],
   "source": [
    "import os\n",
    "from upstash_search import Search\n",
    "os.environ[\"UPSTASH_REDIS_REST_TOKEN\"] = \"{r}\"\n",
    "client = Search(url=\"https://{ep_s1}-search.upstash.io\", token=\"{s}\")"
   ]
  }}
 ],
 "metadata": {{
  "kernelspec": {{ "display_name": "Python 3", "language": "python", "name": "python3" }}
 }},
 "nbformat": 4,
 "nbformat_minor": 5
}}
"#
        ),
    );
    let ep_s2 = f.index_endpoint();
    let st = f.vector_token(&ep_s2, false);
    let st = c.plant("search-token", &st, index("read-write", &ep_s2, "search"));
    let st_ro = f.vector_token(&ep_s2, true);
    let st_ro = c.plant(
        "search-token-readonly",
        &st_ro,
        index("read-only", &ep_s2, "search"),
    );
    let (a, b) = (
        c.at_with(st, vec![var("UPSTASH_SEARCH_REST_TOKEN")]),
        c.at_with(st_ro, vec![var("UPSTASH_SEARCH_READONLY_TOKEN")]),
    );
    // A Windows checkout: CRLF line ends, and a name (not a host) says Search.
    c.file(
        "deploy/windows/search.env",
        format!("# search\r\nUPSTASH_SEARCH_REST_TOKEN={a}\r\nUPSTASH_SEARCH_READONLY_TOKEN=\"{b}\"\r\n"),
    );
    let ep_u = f.index_endpoint();
    let vt_bare = f.vector_token(&ep_u, false);
    let vt_bare = c.plant(
        "vector-token",
        &vt_bare,
        index("read-write", &ep_u, "unknown"),
    );
    let v = c.at(vt_bare);
    c.file(
        "logs/app.log",
        format!(
            "2024-05-01T10:00:00.120Z INFO  boot ok\n2024-05-01T10:00:00.123Z WARN  retrying with credentials {v} after 401\n2024-05-01T10:00:01.001Z INFO  done\n"
        ),
    );
    let q_log = f.qstash_token();
    let q_log = c.plant("qstash-token", &q_log, vec![]);
    let (a, b) = (c.at_with(q_log, vec![var("qstashToken")]), c.at(mismatched));
    c.file(
        "logs/worker.jsonl",
        format!(
            "{{\"level\":\"info\",\"msg\":\"publish\",\"qstashToken\":\"{a}\",\"region\":\"us-east-1\"}}\n{{\"level\":\"debug\",\"msg\":\"redis\",\"url\":\"https://{wrong_host}\",\"token\":\"{b}\"}}\n"
        ),
    );

    // --- Minified bundle: one long line -----------------------------------------------------------
    let filler: String = (0..400)
        .map(|i| format!("function a{i}(e,t){{return e+t*{i}}};"))
        .collect();
    let ep_m = f.index_endpoint();
    let vt_min = f.vector_token(&ep_m, false);
    let vt_min = c.plant(
        "vector-token",
        &vt_min,
        index("read-write", &ep_m, "vector"),
    );
    let (a, v) = (
        c.at_with(
            rw_p,
            vec![("host", json!(host2)), ("host_agrees", json!(true))],
        ),
        c.at(vt_min),
    );
    c.file(
        "public/assets/index-3f2a9c.js",
        format!(
            "!function(){{\"use strict\";{filler}const r=new o.Redis({{url:\"https://{host2}\",token:\"{a}\"}}),n=new s.Index({{url:\"https://{ep_m}-vector.upstash.io\",token:\"{v}\"}});{filler}}}();"
        ),
    );

    // --- Markdown with code blocks: the same token twice in one file -------------------------
    let (a, b, q) = (c.at(rw), c.at(rw), c.at(q_plain));
    c.file(
        "README.md",
        format!(
            "# Shop\n\nSet these:\n\n```bash\nexport UPSTASH_REDIS_REST_URL=https://{host1}\nexport UPSTASH_REDIS_REST_TOKEN={a}\n```\n\nor in code:\n\n```ts\nconst redis = new Redis({{ url: \"https://{host1}\", token: \"{b}\" }});\nconst qstash = new Client({{ token: \"{q}\" }});\n```\n"
        ),
    );

    // --- Encoded forms ------------------------------------------------------------------------
    // A Kubernetes Secret: `data:` values are base64 of the credential.
    let (kt, _) = own_token(&mut c, f);
    let k8s_q = f.qstash_token();
    let k8s_q = c.plant("qstash-token", &k8s_q, vec![]);
    let ep_k = f.index_endpoint();
    let k8s_v = f.vector_token(&ep_k, false);
    let k8s_v = c.plant(
        "vector-token",
        &k8s_v,
        vec![("index_endpoint", json!(ep_k))],
    );
    let b64 = |c: &Corpus, p: usize| STANDARD.encode(&c.plants[p].secret);
    let (wa, wb, wc) = (b64(&c, kt), b64(&c, k8s_q), b64(&c, k8s_v));
    let a = c.at_as(
        kt,
        &wa,
        vec![
            ("encoding", json!("base64")),
            var("UPSTASH_REDIS_REST_TOKEN"),
        ],
    );
    let b = c.at_as(k8s_q, &wb, vec![("encoding", json!("base64"))]);
    let d = c.at_as(k8s_v, &wc, vec![("encoding", json!("base64"))]);
    let sd = c.at(sig_cur);
    c.file(
        "k8s/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: upstash\ntype: Opaque\ndata:\n  UPSTASH_REDIS_REST_TOKEN: {a}\n  QSTASH_TOKEN: {b}\n  UPSTASH_VECTOR_REST_TOKEN: {d}\nstringData:\n  QSTASH_CURRENT_SIGNING_KEY: \"{sd}\"\n"
        ),
    );
    // JSON from encoders that escape more than JSON needs: `/` as `\/` (PHP's json_encode) and
    // `=` as `\u003d` (Gson's default HTML-safe escaping). Vector, Search and QStash tokens
    // encode ASCII, so their base64 never holds `/` or `+`; their `=` padding is what gets
    // escaped.
    let (ep_j, vt_gson) = padded_vector_token(f);
    let q_gson = f.qstash_token();
    assert!(
        q_gson.ends_with('='),
        "a QStash token's JSON is 95 bytes: always padded"
    );
    let n_gson = f.database_number();
    let legacy_gson = f.redis_token_legacy_parts(n_gson).token;
    let gson = |v: &str| v.replace('=', "\\u003d");
    let (vt_w, q_w, l_w) = (gson(&vt_gson), gson(&q_gson), gson(&legacy_gson));
    let vt_gson = c.plant(
        "vector-token",
        &vt_gson,
        index("read-write", &ep_j, "vector"),
    );
    let q_gson = c.plant("qstash-token", &q_gson, vec![]);
    let legacy_gson = c.plant(
        "redis-rest-token",
        &legacy_gson,
        redis("read-write", "legacy", 2, n_gson),
    );
    let a = c.at_as(
        vt_gson,
        &vt_w,
        vec![
            ("encoding", json!("json-escape")),
            var("UPSTASH_VECTOR_REST_TOKEN"),
        ],
    );
    let b = c.at_as(
        q_gson,
        &q_w,
        vec![("encoding", json!("json-escape")), var("QSTASH_TOKEN")],
    );
    let d = c.at_as(
        legacy_gson,
        &l_w,
        vec![("encoding", json!("json-escape")), var("redisToken")],
    );
    c.file(
        "storage/app/settings.json",
        format!("{{\"UPSTASH_VECTOR_REST_URL\":\"https:\\/\\/{ep_j}-vector.upstash.io\",\"UPSTASH_VECTOR_REST_TOKEN\":\"{a}\",\"QSTASH_TOKEN\":\"{b}\",\"redisToken\":\"{d}\"}}"),
    );
    // A padded standard-base64 token with `=` percent-encoded in a query string.
    let (ep_p, vt_pct) = padded_vector_token(f);
    let vt_pct_w = vt_pct.replace('=', "%3D");
    let vt_pct = c.plant(
        "vector-token",
        &vt_pct,
        index("read-write", &ep_p, "vector"),
    );
    let a = c.at_as(vt_pct, &vt_pct_w, vec![("encoding", json!("percent"))]);
    c.file(
        "docs/debug-urls.txt",
        format!("GET https://{ep_p}-vector.upstash.io/info?_token={a} HTTP/1.1\n"),
    );
    // UTF-16LE with a byte-order mark (PowerShell's Out-File), with a non-ASCII line before.
    let (tu, _) = own_token(&mut c, f);
    let a = c.at_with(
        tu,
        vec![
            ("encoding", json!("utf-16")),
            var("UPSTASH_REDIS_REST_TOKEN"),
        ],
    );
    let q = c.at_with(q_us, vec![("encoding", json!("utf-16"))]);
    c.file_as(
        "scripts/profile.ps1",
        format!("# Paramètres — ne pas publier ✓\r\n$env:UPSTASH_REDIS_REST_TOKEN = \"{a}\"\r\n<# 🔑 #> $env:QSTASH_TOKEN = '{q}'\r\n"),
        Encoding::Utf16Le,
    );
    // --- Padding dropped: the same credential as the padded copies elsewhere ----------------------
    let unpadded = |c: &Corpus, p: usize| c.plants[p].secret.trim_end_matches('=').to_string();
    let (wl, wv, wq) = (
        unpadded(&c, legacy_t),
        unpadded(&c, vt_gson),
        unpadded(&c, q_plain),
    );
    assert!(
        wl.len() < c.plants[legacy_t].secret.len() && wv.len() < c.plants[vt_gson].secret.len()
    );
    let a = c.at_as(legacy_t, &wl, vec![("host_agrees", json!(true))]);
    let b = c.at_as(legacy_t, &wl, vec![("host", json!(host4))]);
    let v = c.at_as(vt_gson, &wv, vec![var("UPSTASH_VECTOR_REST_TOKEN")]);
    let q = c.at_as(q_plain, &wq, vec![var("QSTASH_TOKEN")]);
    c.file(
        "docs/troubleshooting.md",
        format!(
            "Check the token:\n\n    curl \"https://{host4}/ping?_token={a}\"\n    redis-cli -u rediss://default:{b}@{host4}:6379 ping\n\nUPSTASH_VECTOR_REST_TOKEN={v}\nQSTASH_TOKEN={q}\n"
        ),
    );

    // --- Containers and CI ---------------------------------------------------------------------
    let (t1, _) = own_token(&mut c, f);
    let (t2, _) = own_token(&mut c, f);
    let (a, b) = (
        c.at_with(t1, vec![var("UPSTASH_REDIS_REST_TOKEN")]),
        c.at(t2),
    );
    c.file(
        "Dockerfile",
        format!("FROM node:20-alpine\nWORKDIR /app\nENV UPSTASH_REDIS_REST_TOKEN={a}\nENV KV_REST_API_TOKEN {b}\nCMD [\"node\", \"server.js\"]\n"),
    );
    let (t3, _) = own_token(&mut c, f);
    let q_ci = f.qstash_token();
    let q_ci = c.plant("qstash-token", &q_ci, vec![]);
    let (a, b) = (
        c.at_with(t3, vec![var("UPSTASH_REDIS_REST_TOKEN")]),
        c.at_with(q_ci, vec![var("QSTASH_TOKEN")]),
    );
    c.file(
        ".github/workflows/deploy.yml",
        format!("name: deploy\non: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n      UPSTASH_REDIS_REST_TOKEN: {a}\n      QSTASH_TOKEN: \"{b}\"\n    steps:\n      - uses: actions/checkout@v4\n"),
    );
    let (t4, _) = own_token(&mut c, f);
    let a = c.at(t4);
    c.file(
        "docker-compose.yml",
        format!("services:\n  web:\n    image: shop\n    environment:\n      - UPSTASH_REDIS_REST_TOKEN={a}\n      - NODE_ENV=production\n"),
    );
    // Kubernetes env entries: the name is on the line above the value, and it is what says
    // Vector or Search.
    let ep_kv = f.index_endpoint();
    let kv_tok = f.vector_token(&ep_kv, false);
    let kv_tok = c.plant(
        "vector-token",
        &kv_tok,
        index("read-write", &ep_kv, "vector"),
    );
    let ep_ks = f.index_endpoint();
    let ks_tok = f.vector_token(&ep_ks, true);
    let ks_tok = c.plant(
        "search-token-readonly",
        &ks_tok,
        index("read-only", &ep_ks, "search"),
    );
    let (a, b) = (
        c.at_with(kv_tok, vec![var("value")]),
        c.at_with(ks_tok, vec![var("value")]),
    );
    c.file(
        "k8s/deployment.yaml",
        format!("apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: UPSTASH_VECTOR_REST_TOKEN\n              value: \"{a}\"\n            - name: UPSTASH_SEARCH_READONLY_TOKEN\n              value: \"{b}\"\n"),
    );

    // --- Odd places: a file that is only the token, escaped newlines, a Postman collection ------
    let (t5, _) = own_token(&mut c, f);
    let a = c.at(t5);
    c.file("secrets/redis-token", a);
    let (t6, _) = own_token(&mut c, f);
    let n_ro = f.database_number();
    let ro2 = f.redis_token_with(n_ro, true, false, None);
    let ro2 = c.plant(
        "redis-rest-token-readonly",
        &ro2,
        redis("read-only", "current", 2, n_ro),
    );
    let ep_e = f.index_endpoint();
    let ve = f.vector_token(&ep_e, true);
    let ve = c.plant(
        "vector-token-readonly",
        &ve,
        index("read-only", &ep_e, "unknown"),
    );
    let (a, b, d) = (c.at(t6), c.at(ro2), c.at(ve));
    c.file(
        "fixtures/notes.json",
        format!("{{\"note\":\"keys for staging:\\n{a}\\n{b}\\t{d}\\n\"}}\n"),
    );
    let (t7, _) = own_token(&mut c, f);
    let a = c.at(t7);
    c.file(
        "postman/shop.postman_collection.json",
        format!("{{\n  \"item\": [{{\n    \"request\": {{\n      \"method\": \"GET\",\n      \"header\": [{{ \"key\": \"Authorization\", \"value\": \"Bearer {a}\" }}],\n      \"url\": \"https://{host1}/get/cart\"\n    }}\n  }}]\n}}\n"),
    );
    let (t8, _) = own_token(&mut c, f);
    let a = c.at_with(t8, vec![var("token")]);
    c.file(
        "src/i18n/boot.js",
        format!(
            "/* 🚀 démarrage — ne pas committer */ const token = \"{a}\"; export default token;\n"
        ),
    );

    // --- Passwords and API keys in their usual spots -----------------------------------------
    let pw_env = f.hex(32);
    let pw_env = c.plant("redis-password", &pw_env, vec![]);
    let p = c.at_with(pw_env, vec![var("UPSTASH_REDIS_PASSWORD")]);
    c.file(
        "docker/.env",
        format!("UPSTASH_REDIS_HOST={hh}\nUPSTASH_REDIS_PORT=6379\nUPSTASH_REDIS_PASSWORD={p}\n"),
    );

    c
}

/// Tokens written where nothing else is: the structural decode alone must find them.
#[test]
fn every_kind_in_every_file_is_found_with_kind_line_and_column() {
    let mut f = Fake::new(0x5eed_ac01);
    let corpus = positives(&mut f);
    let env = TestEnv::new();
    let rendered = corpus.write(&env);
    let (run, report) = env.scan_json(&["."]);
    assert_eq!(run.code, 1, "findings exit 1; stderr:\n{}", run.stderr);
    assert_eq!(report["errors"], json!([]), "no input errors");
    assert_eq!(
        report["stats"]["files_scanned"],
        json!(rendered.len()),
        "every planted file is scanned"
    );
    corpus.assert_reported(&rendered, &report);
    // The report identifies secrets without containing them.
    corpus.assert_no_full_secret(&run.stdout);
}

// ---------------------------------------------------------------------------------------------
// Context that lives outside the decoded value: the key a nested value sits under, a BOM.
// ---------------------------------------------------------------------------------------------

/// A Search token kept base64-encoded under UPSTASH_SEARCH_REST_TOKEN in a Kubernetes Secret.
/// The nested scan decodes the value and scans it alone; the outer key must still decide
/// Vector or Search.
#[test]
fn a_search_token_in_a_kubernetes_secret_is_a_search_token() {
    let mut f = Fake::new(0x5eed_ac04);
    let mut c = Corpus::default();
    let ep = f.index_endpoint();
    let st = f.vector_token(&ep, false);
    let written = STANDARD.encode(&st);
    let st = c.plant("search-token", &st, index("read-write", &ep, "search"));
    let a = c.at_as(st, &written, vec![("encoding", json!("base64"))]);
    c.file(
        "k8s/search.yaml",
        format!("apiVersion: v1\nkind: Secret\ndata:\n  UPSTASH_SEARCH_REST_TOKEN: {a}\n"),
    );
    let env = TestEnv::new();
    let rendered = c.write(&env);
    let (_, report) = env.scan_json(&["."]);
    c.assert_reported(&rendered, &report);
}

/// A UTF-8 file with a byte-order mark (Windows Notepad): editors do not count the mark, so
/// a token at the start of line 1 is at the column after `NAME=`, not one further.
#[test]
fn a_utf8_byte_order_mark_is_not_a_column() {
    let mut f = Fake::new(0x5eed_ac05);
    let mut c = Corpus::default();
    let n = f.database_number();
    let t = f.redis_token_with(n, false, false, None);
    let t = c.plant("redis-rest-token", &t, vec![("database_number", json!(n))]);
    let a = c.at(t);
    c.file_as(
        "config/notepad.env",
        format!("UPSTASH_REDIS_REST_TOKEN={a}\r\n"),
        Encoding::Utf8Bom,
    );
    let env = TestEnv::new();
    let rendered = c.write(&env);
    let (_, report) = env.scan_json(&["."]);
    c.assert_reported(&rendered, &report);
}
