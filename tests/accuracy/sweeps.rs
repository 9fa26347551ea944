//! Large sweeps through the library (no process per sample): random values of every token
//! shape, every masked and truncated form of every layout, and random bytes at every offset of
//! every decoder.

use super::corpus::*;
use super::negatives::{masked_forms, truncated_forms, BASE64STD, BASE64URL};
use crate::common::Fake;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use upsweep::rules::Matcher;
use upsweep::scan::Scanner;

const SAMPLES: usize = 2000;

/// A Redis token header (valid type, database number, layout flag and field lengths) followed
/// by random field bytes of more than the header says: it passes any prefilter built from
/// real headers and must fail the length check.
fn redis_header_with_random_fields(f: &mut Fake) -> String {
    let wide = f.rng().bool();
    let typ = [1u8, 2][f.rng().usize(..2)] | if wide { 0x80 } else { 0 };
    let legacy = f.rng().bool();
    let (la, lb) = if legacy {
        (36u8, 32u8)
    } else {
        (2, [32u8, 38][f.rng().usize(..2)])
    };
    let mut b = vec![typ];
    let n = f.database_number();
    if wide {
        b.extend_from_slice(&n.to_be_bytes());
    } else {
        b.extend_from_slice(&(n as u16).to_be_bytes());
    }
    b.extend_from_slice(&[u8::from(legacy), la, lb]);
    // Longer than declared (a shorter value would be shorter than any real token).
    let actual = usize::from(la) + usize::from(lb) + f.rng().usize(1..=12);
    b.extend((0..actual).map(|_| f.rng().u8(..)));
    URL_SAFE_NO_PAD.encode(b)
}

/// A Vector token header (zero, endpoint length, `admin`/`readonly` length, 48) followed by
/// random bytes of a wrong total.
fn vector_header_with_random_fields(f: &mut Fake) -> String {
    let le = f.rng().u8(16..40);
    let lu = [5u8, 8][f.rng().usize(..2)];
    let mut b = vec![0, le, lu, 48];
    let declared = usize::from(le) + usize::from(lu) + 48;
    let off = f.rng().usize(1..=6);
    let actual = if f.rng().bool() {
        declared + off
    } else {
        declared - off
    };
    b.extend((0..actual).map(|_| f.rng().u8(..)));
    STANDARD.encode(b)
}

#[test]
fn random_values_of_every_token_shape_are_never_credentials() {
    let matcher = Matcher::load(&[] as &[&str]).expect("shipped rules");
    let mut scanner = Scanner::new(&matcher);
    let mut f = Fake::new(0x5eed_ac03);
    let pattern = |id: &str| {
        let r = matcher
            .rules
            .iter()
            .find(|r| r.id == id)
            .expect("rule exists");
        regex::bytes::RegexBuilder::new(&r.pattern)
            .unicode(false)
            .build()
            .expect("pattern")
    };
    let (redis_re, vector_re, qstash_re) = (
        pattern("upstash.redis.rest-token"),
        pattern("upstash.vector.token"),
        pattern("upstash.qstash.token"),
    );
    type Gen = fn(&mut Fake, usize) -> String;
    // (variable, what, generator, the rule whose prefilter the samples must reach)
    let shapes: [(&str, &str, Gen, Option<&regex::bytes::Regex>); 8] = [
        (
            "UPSTASH_REDIS_REST_TOKEN",
            "base64url, 54-63 chars",
            |f, i| f.random_of(BASE64URL, 54 + i % 10),
            None,
        ),
        (
            "UPSTASH_REDIS_REST_TOKEN",
            "base64url, 99 chars and `=`",
            |f, _| format!("{}=", f.random_of(BASE64URL, 99)),
            None,
        ),
        (
            "UPSTASH_REDIS_REST_TOKEN",
            "Redis header, random fields",
            |f, _| redis_header_with_random_fields(f),
            Some(&redis_re),
        ),
        (
            "UPSTASH_VECTOR_REST_TOKEN",
            "base64, 104-116 chars",
            |f, i| f.random_of(BASE64STD, 104 + i % 13),
            None,
        ),
        (
            "UPSTASH_VECTOR_REST_TOKEN",
            "Vector header, random fields",
            |f, _| vector_header_with_random_fields(f),
            Some(&vector_re),
        ),
        (
            "QSTASH_TOKEN",
            "QStash prefix, random base64",
            |f, _| format!("eyJVc2VySUQiOiI{}", f.random_of(BASE64STD, 113)),
            Some(&qstash_re),
        ),
        (
            "QSTASH_TOKEN",
            "QStash JSON, password not hex",
            |f, _| {
                let pw = f.random_of(b"ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ", 32);
                STANDARD.encode(format!(
                    r#"{{"UserID":"{}","Password":"{pw}"}}"#,
                    f.uuid_v4()
                ))
            },
            Some(&qstash_re),
        ),
        (
            "UPSTASH_API_KEY",
            "UUID-shaped, not version 4",
            |f, _| {
                let u = f.uuid_v4();
                format!(
                    "{}{}{}",
                    &u[..14],
                    ['1', '3', '5', '7'][f.rng().usize(..4)],
                    &u[15..]
                )
            },
            None,
        ),
    ];
    // Positive control: the harness finds a real token written the same way.
    let n = f.database_number();
    let real = f.redis_token_with(n, true, false, None);
    let found = scanner.scan(format!("UPSTASH_REDIS_REST_TOKEN=\"{real}\"\n").as_bytes());
    assert_eq!(found.len(), 1, "the sweep's harness finds a real token");
    assert_eq!(found[0].secret, real);

    let mut failures = Vec::new();
    for (name, what, gen, rule) in &shapes {
        let mut reached = 0;
        for i in 0..SAMPLES {
            let v = gen(&mut f, i);
            let text = format!("{name}=\"{v}\"\n");
            if rule.is_some_and(|re| re.is_match(text.as_bytes())) {
                reached += 1;
            }
            let found = scanner.scan(text.as_bytes());
            if let Some(m) = found.first() {
                failures.push(format!("{what}: {v} reported as {}", m.kind));
            }
        }
        // Samples meant to exercise a decoder must get past the prefilter to it.
        if rule.is_some() {
            assert!(
                reached * 10 >= SAMPLES * 9,
                "{what}: only {reached} of {SAMPLES} samples reach the decoder"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} random values reported:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Every masked and truncated form of valid tokens of every layout, in the variable that
/// names it, gives nothing (the binary test covers a sample of these in files).
#[test]
fn masked_and_truncated_forms_of_every_layout_give_nothing() {
    let matcher = Matcher::load(&[] as &[&str]).expect("shipped rules");
    let mut scanner = Scanner::new(&matcher);
    let mut f = Fake::new(0x5eed_ac06);
    let mut failures = Vec::new();
    let mut checked = 0;
    for _ in 0..40 {
        let n = f.database_number();
        let w = wide_number(&mut f);
        let ep = f.index_endpoint();
        let suffix = f.rng().u32(1..99_999);
        let mut values = layout_samples(&mut f, n, w, suffix, &ep);
        values.push(("UPSTASH_REDIS_PASSWORD", f.hex(32)));
        values.push(("UPSTASH_API_KEY", f.api_key()));
        values.push(("UPSTASH_KAFKA_REST_PASSWORD", f.kafka_password(0)));
        values.push(("UPSTASH_KAFKA_REST_PASSWORD", f.kafka_password(1)));
        for (name, v) in &values {
            // The intact value is found: the forms below fail for what was done to them.
            let intact = scanner.scan(format!("{name}={v}\n").as_bytes());
            assert!(
                intact.iter().any(|m| &m.secret == v),
                "{name}={v} is found intact"
            );
            for form in masked_forms(v).into_iter().chain(truncated_forms(v)) {
                checked += 1;
                let found = scanner.scan(format!("{name}={form}\n").as_bytes());
                if let Some(m) = found.first() {
                    failures.push(format!("{name}={form} reported as {}", m.kind));
                }
            }
        }
    }
    // Values with no structure beyond their alphabet and length (signing keys, whose 2022 kind
    // is longer; Kafka passwords of the long shape): a cut that leaves a valid length is
    // indistinguishable from a shorter key, so only their masked forms must give nothing.
    for _ in 0..40 {
        let mut values = vec![
            ("QSTASH_CURRENT_SIGNING_KEY", f.signing_key()),
            ("QSTASH_NEXT_SIGNING_KEY", f.signing_key_legacy(46)),
            ("QSTASH_CURRENT_SIGNING_KEY", f.signing_key_legacy(47)),
            ("QSTASH_NEXT_SIGNING_KEY", f.signing_key_legacy(50)),
        ];
        values.push(("UPSTASH_KAFKA_REST_PASSWORD", f.kafka_password(2)));
        for (name, v) in &values {
            let intact = scanner.scan(format!("{name}={v}\n").as_bytes());
            assert!(
                intact.iter().any(|m| &m.secret == v),
                "{name}={v} is found intact"
            );
            for form in masked_forms(v) {
                checked += 1;
                let found = scanner.scan(format!("{name}={form}\n").as_bytes());
                if let Some(m) = found.first() {
                    failures.push(format!("{name}={form} reported as {}", m.kind));
                }
            }
        }
    }
    assert!(checked > 10_000, "{checked} forms checked");
    assert!(
        failures.is_empty(),
        "{} masked/truncated values reported:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Decoders read untrusted bytes: at every offset of random input made of the characters
/// tokens and their escapes use (and just past its end), none panics.
#[test]
fn decoders_never_panic_on_any_input() {
    use upsweep::decode::{self, DecoderKind};
    use upsweep::finding::Kind;
    let mut f = Fake::new(0x5eed_ac07);
    const ALPHABET: &[u8] = b"AgQwe0-_+/=%3Du\\\"' \n\r\x00\xff\xc3\xa9sig_eyJVc2VySUQiOiI:@.pabc";
    let n = f.database_number();
    let seeds = [
        f.redis_token_with(n, false, true, Some(5)),
        f.redis_token_legacy_parts(n).token,
        f.vector_token("calm-otter-41230-eu1", true),
        f.qstash_token(),
        f.signing_key(),
        f.signing_key_legacy(47),
        f.qstash_token_uuid_password(),
        f.redis_token_legacy_with(n, true, 0).token,
        f.kafka_password(2),
    ];
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for i in 0..3000 {
        let len = f.rng().usize(0..160);
        let mut v: Vec<u8> = (0..len)
            .map(|_| ALPHABET[f.rng().usize(..ALPHABET.len())])
            .collect();
        if i % 3 == 0 {
            // A real value with random damage: the decoders get deep into these.
            let mut s = seeds[i % seeds.len()].clone().into_bytes();
            let cut = f.rng().usize(0..=s.len());
            s.truncate(cut);
            if !s.is_empty() {
                let at = f.rng().usize(..s.len());
                s[at] = ALPHABET[f.rng().usize(..ALPHABET.len())];
            }
            s.extend_from_slice(&v[..len.min(8)]);
            v = s;
        }
        inputs.push(v);
    }
    for hay in &inputs {
        for start in 0..=hay.len() + 2 {
            let _ = decode::redis_token(hay, start);
            let _ = decode::vector_token(hay, start);
            let _ = decode::qstash_token(hay, start);
            let _ = decode::signing_key(hay, start);
        }
        let _ = decode::is_kafka_password(hay);
        let mid = hay.len() / 2;
        let _ = decode::redis_url(
            &hay[..mid / 2],
            &hay[mid / 2..mid],
            &hay[mid..],
            Some(&hay[mid..]),
        );
        let _ = decode::redis_url(b"default", hay, b"x-1.upstash.io", None);
        let _ = decode::context_value(DecoderKind::Hex32, Kind::RedisPassword, hay);
        let _ = decode::context_value(DecoderKind::UuidV4, Kind::DeveloperApiKey, hay);
        let _ = decode::context_value(DecoderKind::KafkaPassword, Kind::KafkaPassword, hay);
        let _ = decode::context_value(DecoderKind::Hex32Binary, Kind::RedisPassword, hay);
    }
}
