//! `sig_` names in code versus QStash signing keys. A signing key is `sig_` and 28 base58
//! characters (44-52 for keys made in 2022 and earlier), and CamelCase names are made of
//! base58 characters too: thousands of generated names in every style, and 521 real ones
//! (`tests/fixtures/names.txt`), must never be reported, while random keys of every length
//! must all still be found where QStash or a signing key is named.
//!
//! Every value here is assembled at test time: written whole, a `sig_` value would be scanned
//! in this repository as it is in a user's.

use crate::common::Fake;
use upsweep::rules::Matcher;
use upsweep::scan::Scanner;

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Words of names in C, Go and Rust code, without the characters base58 leaves out (`0 O I
/// l`), so a name made of them matches a key's alphabet in full.
const WORDS: [&str; 112] = [
    "Handle",
    "Term",
    "Request",
    "Queue",
    "Mask",
    "Wait",
    "Child",
    "Reap",
    "Pending",
    "Block",
    "Async",
    "Safe",
    "Handler",
    "Dispatch",
    "Notify",
    "Count",
    "Set",
    "Get",
    "Reset",
    "Save",
    "Restore",
    "Ready",
    "Event",
    "State",
    "Flag",
    "Timer",
    "Hang",
    "Quit",
    "Stop",
    "User",
    "Buffer",
    "Size",
    "Max",
    "Min",
    "Key",
    "Map",
    "Entry",
    "Data",
    "Type",
    "Kind",
    "Mode",
    "Path",
    "Name",
    "Str",
    "Ptr",
    "Ref",
    "Mut",
    "Context",
    "Error",
    "Result",
    "Status",
    "Code",
    "Message",
    "Header",
    "Body",
    "Frame",
    "Stream",
    "Reader",
    "Writer",
    "Sender",
    "Receiver",
    "Worker",
    "Thread",
    "Task",
    "Future",
    "Spawn",
    "Runtime",
    "Config",
    "Builder",
    "Factory",
    "Manager",
    "Service",
    "Server",
    "Response",
    "Route",
    "Router",
    "Match",
    "Pattern",
    "Token",
    "Parser",
    "Scanner",
    "Cursor",
    "Range",
    "Span",
    "Text",
    "Sig",
    "Signature",
    "Signer",
    "Verify",
    "Digest",
    "Hash",
    "Hasher",
    "Secret",
    "Cert",
    "Store",
    "Cache",
    "Memory",
    "Page",
    "Sector",
    "Device",
    "Driver",
    "Port",
    "Socket",
    "Address",
    "Peer",
    "Net",
    "Host",
    "Window",
    "Render",
    "Draw",
    "Paint",
    "Canvas",
];

/// Capitals-only words of names (`HTTPRequest`, `kCFString`).
const ACRONYMS: [&str; 16] = [
    "HTTP", "TCP", "UDP", "URL", "DNS", "SSL", "TLS", "CF", "NS", "UTF", "GPU", "CPU", "DMA",
    "USB", "RPC", "SQL",
];

/// Words of names that carry digits (`X64`, `Utf8`, `Sha256`).
const WITH_DIGITS: [&str; 10] = [
    "X64", "V2", "V1", "Utf8", "Sha256", "Md5", "D3D", "Win32", "Ipv4", "2D",
];

/// The ways names are written.
#[derive(Clone, Copy, Debug)]
enum Style {
    /// `HandleTermRequest`
    Upper,
    /// `handleTermRequest`
    Lower,
    /// `kHandleTermRequest`, `isHandleTerm` (a prefix in the Hungarian manner)
    Prefixed,
    /// `handle_term_request`
    Snake,
    /// `HANDLE_TERM_REQUEST`
    Screaming,
}

/// A name of exactly `len` characters in `style`, made of words, with at most one acronym and
/// one word with digits, as names are; `None` when the words did not add up to `len`.
fn name(f: &mut Fake, len: usize, style: Style) -> Option<String> {
    let mut acronym = f.rng().u8(..2) == 0;
    let mut digits = f.rng().u8(..5) < 2;
    let mut words: Vec<String> = Vec::new();
    let sep = usize::from(matches!(style, Style::Snake | Style::Screaming));
    let mut n = 0;
    while n < len {
        let w = if acronym && f.rng().u8(..7) == 0 {
            acronym = false;
            ACRONYMS[f.rng().usize(..ACRONYMS.len())]
        } else if digits && f.rng().u8(..7) == 0 {
            digits = false;
            WITH_DIGITS[f.rng().usize(..WITH_DIGITS.len())]
        } else {
            WORDS[f.rng().usize(..WORDS.len())]
        };
        n += w.len() + if words.is_empty() { 0 } else { sep };
        words.push(w.to_string());
    }
    let mut s = match style {
        Style::Upper | Style::Prefixed => words.concat(),
        Style::Lower => {
            let s = words.concat();
            s[..1].to_ascii_lowercase() + &s[1..]
        }
        Style::Snake => words.join("_").to_ascii_lowercase(),
        Style::Screaming => words.join("_").to_ascii_uppercase(),
    };
    if let Style::Prefixed = style {
        const PREFIXES: [&str; 8] = ["k", "m", "g", "p", "s", "x", "is", "on"];
        s.insert_str(0, PREFIXES[f.rng().usize(..PREFIXES.len())]);
        s.truncate(len);
    }
    (s.len() == len).then_some(s)
}

/// Where a name stands in code (C, Go, Rust, a header's `#define`).
fn in_code(f: &mut Fake, id: &str) -> String {
    match f.rng().usize(..6) {
        0 => format!("static volatile sig_atomic_t {id};\n"),
        1 => format!("int {id} = 0;\n"),
        2 => format!("    if ({id} > 0) {{ return {id}; }}\n"),
        3 => format!("#define SIG_ALIAS {id}\n"),
        4 => format!("\t{id} := make(chan os.Signal, 1)\n"),
        _ => format!("    let {id} = state.{id}.clone();\n"),
    }
}

fn reported(scanner: &mut Scanner<'_>, text: &str) -> Option<String> {
    scanner
        .scan(text.as_bytes())
        .first()
        .map(|m| format!("{text:?} reported as {}", m.kind))
}

/// The lengths of a key after `sig_`: today's, and every length the older keys are taken at,
/// and the first lengths past them (a name of those is cut off by the length check alone).
const LENGTHS: [usize; 12] = [28, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 56];

#[test]
fn sig_names_in_every_style_are_never_signing_keys() {
    let matcher = Matcher::load(&[] as &[&str]).expect("shipped rules");
    let mut scanner = Scanner::new(&matcher);
    let mut f = Fake::new(0x5eed_ac0a);
    let mut failures = Vec::new();
    let mut checked = 0;
    let styles = [
        Style::Upper,
        Style::Lower,
        Style::Prefixed,
        Style::Snake,
        Style::Screaming,
    ];
    for &len in &LENGTHS {
        for &style in &styles {
            let mut made = 0;
            while made < 100 {
                let Some(n) = name(&mut f, len, style) else {
                    continue;
                };
                made += 1;
                checked += 1;
                let text = in_code(&mut f, &format!("sig_{n}"));
                failures.extend(reported(&mut scanner, &text));
            }
        }
    }
    // The brief's case, and names of words only in a file that names QStash: even "QStash"
    // beside them does not make a long name of words a key.
    let words_only = |f: &mut Fake, len: usize| loop {
        let mut s = String::new();
        while s.len() < len {
            s.push_str(WORDS[f.rng().usize(..WORDS.len())]);
        }
        if s.len() == len {
            return s;
        }
    };
    for len in 44..=52 {
        for _ in 0..100 {
            let n = words_only(&mut f, len);
            checked += 1;
            let text = format!("// QStash receiver\nstatic int sig_{n};\n");
            failures.extend(reported(&mut scanner, &text));
        }
    }
    let brief = ["Hand", "Term", "Request", "Queue", "Mask", "Wait", "Reap"].concat()
        + &["Pending", "Set", "Get", "Up"].concat();
    failures.extend(reported(
        &mut scanner,
        &format!("static int sig_{brief};\n"),
    ));
    assert!(checked > 6_000, "{checked} names checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} names reported:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Real names: 521 identifiers made only of base58 characters, of a key's lengths (28 and
/// 44-52), from C headers and Rust crates (Windows and Apple bindings among them); each as a
/// `sig_` name in code, and in a file that names signing code.
#[test]
fn real_names_of_a_key_s_length_are_never_signing_keys() {
    let matcher = Matcher::load(&[] as &[&str]).expect("shipped rules");
    let mut scanner = Scanner::new(&matcher);
    let mut f = Fake::new(0x5eed_ac0b);
    let list = include_str!("../fixtures/names.txt");
    let names: Vec<&str> = list.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(names.len(), 521);
    let mut failures = Vec::new();
    for n in &names {
        let id = format!("sig_{n}");
        let text = in_code(&mut f, &id);
        failures.extend(reported(&mut scanner, &text));
        let text = format!("/* verify with the SigningCert */\nint {id};\n");
        failures.extend(reported(&mut scanner, &text));
    }
    // The whole list as one C file, each name beside its neighbours.
    let file: String = names.iter().map(|n| format!("int sig_{n};\n")).collect();
    for m in scanner.scan(file.as_bytes()) {
        failures.push(format!("{} in the whole file", m.secret));
    }
    assert!(
        failures.is_empty(),
        "{} reported:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// The other side: random keys of every length, as generated (not filtered by the decoder),
/// are all found where QStash or a signing key is named, and nearly all when they stand alone;
/// the fake generator's keys are all found everywhere.
#[test]
fn random_signing_keys_of_every_length_are_found() {
    let matcher = Matcher::load(&[] as &[&str]).expect("shipped rules");
    let mut scanner = Scanner::new(&matcher);
    let mut f = Fake::new(0x5eed_ac0c);
    let mut missed = Vec::new();
    for len in [28].into_iter().chain(44..=52) {
        let mut bare_missed = 0;
        const KEYS: usize = 2_000;
        for i in 0..KEYS {
            let key = format!("sig_{}", f.random_of(BASE58, len));
            let text = match i % 3 {
                0 => format!("QSTASH_CURRENT_SIGNING_KEY={key}\n"),
                1 => format!("  nextSigningKey: \"{key}\",\n"),
                _ => format!("# the signing key\nKEY=\"{key}\"\n"),
            };
            let found = scanner.scan(text.as_bytes());
            if !found.iter().any(|m| m.secret == key) {
                missed.push(text);
            }
            let bare = format!("value = \"{key}\"\n");
            if !scanner
                .scan(bare.as_bytes())
                .iter()
                .any(|m| m.secret == key)
            {
                bare_missed += 1;
            }
        }
        // Standing alone a key must look random: about 1 in 700 random keys of 28 characters
        // does not (far fewer when longer).
        assert!(
            bare_missed * 100 <= KEYS,
            "{bare_missed} of {KEYS} random keys of {len} characters missed standing alone"
        );
    }
    for len in [28].into_iter().chain(44..=52) {
        for _ in 0..200 {
            let key = if len == 28 {
                f.signing_key()
            } else {
                f.signing_key_legacy(len)
            };
            for text in [
                format!("QSTASH_NEXT_SIGNING_KEY={key}\n"),
                format!("{{\"key\": \"{key}\"}}\n"),
            ] {
                if !scanner
                    .scan(text.as_bytes())
                    .iter()
                    .any(|m| m.secret == key)
                {
                    missed.push(text);
                }
            }
        }
    }
    assert!(
        missed.is_empty(),
        "{} keys missed:\n  {}",
        missed.len(),
        missed.join("  ")
    );
}
