//! Structurally valid *fake* credentials for tests, rule examples and the benchmark corpus.
//! They follow the layouts of docs/formats.md with random content, so they exercise the
//! decoders exactly as real values would; none is, or was ever, a real credential. Test-only:
//! not part of the shipped library.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use fastrand::Rng;

pub struct Fake {
    rng: Rng,
}

/// A legacy-layout Redis token and what it carries.
#[derive(Debug, Clone)]
pub struct LegacyToken {
    pub token: String,
    pub database_id: String,
    /// The database password a read-write legacy token carries (empty for read-only).
    pub password: String,
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const ADJECTIVES: [&str; 8] = [
    "sought", "proud", "brave", "calm", "eager", "fancy", "gentle", "happy",
];
const ANIMALS: [&str; 8] = [
    "mollusk", "ferret", "lemur", "otter", "panda", "koala", "gecko", "bison",
];

impl Fake {
    pub fn new(seed: u64) -> Fake {
        Fake {
            rng: Rng::with_seed(seed),
        }
    }

    pub fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.rng.usize(..16)]))
            .collect()
    }

    pub fn uuid_v4(&mut self) -> String {
        let variant = ['8', '9', 'a', 'b'][self.rng.usize(..4)];
        format!(
            "{}-{}-4{}-{}{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            variant,
            self.hex(3),
            self.hex(12)
        )
    }

    pub fn database_number(&mut self) -> u64 {
        self.rng.u64(10_000..65_000)
    }

    /// A Redis host for a database number, like `eu2-sought-mollusk-30143.upstash.io`.
    pub fn redis_host(&mut self, number: u64) -> String {
        let adj = ADJECTIVES[self.rng.usize(..ADJECTIVES.len())];
        let animal = ANIMALS[self.rng.usize(..ANIMALS.len())];
        format!("{adj}-{animal}-{number}.upstash.io")
    }

    fn redis_header(
        &mut self,
        typ: u8,
        number: u64,
        wide: bool,
        flag: u8,
        la: usize,
        lb: usize,
    ) -> Vec<u8> {
        let mut b = vec![if wide { typ | 0x80 } else { typ }];
        if wide {
            b.extend_from_slice(&number.to_be_bytes());
        } else {
            b.extend_from_slice(&(number as u16).to_be_bytes());
        }
        b.extend_from_slice(&[flag, la as u8, lb as u8]);
        b
    }

    /// Current-layout Redis REST token. `read_only` picks type 0x02; `wide` the 8-byte id.
    pub fn redis_token(&mut self, number: u64, read_only: bool, wide: bool) -> String {
        let (field_b, typ) = if read_only {
            ((0..32).map(|_| self.rng.u8(..)).collect::<Vec<u8>>(), 2)
        } else {
            let mut b = self.hex(32).into_bytes();
            if self.rng.bool() {
                b.extend_from_slice(format!("p{}", self.rng.u32(1..99_999)).as_bytes());
            }
            (b, 1)
        };
        let mut bytes = self.redis_header(typ, number, wide, 0, 2, field_b.len());
        bytes.extend_from_slice(if self.rng.bool() { b"p1" } else { b"p2" });
        bytes.extend_from_slice(&field_b);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Current-layout Redis REST token with every choice explicit: `suffix` appends
    /// `p<digits>` to a read-write token's password field (ignored for read-only tokens).
    pub fn redis_token_with(
        &mut self,
        number: u64,
        read_only: bool,
        wide: bool,
        suffix: Option<u32>,
    ) -> String {
        let (field_b, typ) = if read_only {
            ((0..32).map(|_| self.rng.u8(..)).collect::<Vec<u8>>(), 2)
        } else {
            let mut b = self.hex(32).into_bytes();
            if let Some(n) = suffix {
                b.extend_from_slice(format!("p{n}").as_bytes());
            }
            (b, 1)
        };
        let mut bytes = self.redis_header(typ, number, wide, 0, 2, field_b.len());
        bytes.extend_from_slice(if self.rng.bool() { b"p1" } else { b"p2" });
        bytes.extend_from_slice(&field_b);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Legacy-layout read-write Redis token (carries the database id and password); returns
    /// the token and the password inside it.
    pub fn redis_token_legacy(&mut self, number: u64) -> (String, String) {
        let t = self.redis_token_legacy_parts(number);
        (t.token, t.password)
    }

    /// Legacy-layout read-write Redis token with the database id and password it carries.
    pub fn redis_token_legacy_parts(&mut self, number: u64) -> LegacyToken {
        self.redis_token_legacy_with(number, false, 1)
    }

    /// Legacy-layout read-only Redis token: the database id, then 32 random bytes.
    pub fn redis_token_legacy_readonly(&mut self, number: u64) -> LegacyToken {
        self.redis_token_legacy_with(number, true, 1)
    }

    /// Legacy-layout Redis token with every choice explicit: `flag` is the layout flag byte
    /// (mostly 0x01 for legacy tokens, but tokens with 0x00 were issued too).
    pub fn redis_token_legacy_with(
        &mut self,
        number: u64,
        read_only: bool,
        flag: u8,
    ) -> LegacyToken {
        let id = self.uuid_v4();
        let (typ, field_b, password) = if read_only {
            (
                2,
                (0..32).map(|_| self.rng.u8(..)).collect::<Vec<u8>>(),
                String::new(),
            )
        } else {
            let pw = self.hex(32);
            (1, pw.clone().into_bytes(), pw)
        };
        let mut bytes = self.redis_header(typ, number, false, flag, 36, 32);
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(&field_b);
        LegacyToken {
            token: base64::engine::general_purpose::URL_SAFE.encode(bytes),
            database_id: id,
            password,
        }
    }

    /// An index endpoint like `prompt-mite-85913-us1`.
    pub fn index_endpoint(&mut self) -> String {
        let adj = ADJECTIVES[self.rng.usize(..ADJECTIVES.len())];
        let animal = ANIMALS[self.rng.usize(..ANIMALS.len())];
        format!("{adj}-{animal}-{}-us1", self.rng.u32(10_000..99_999))
    }

    /// Vector/Search token for an endpoint.
    pub fn vector_token(&mut self, endpoint: &str, read_only: bool) -> String {
        let user: &[u8] = if read_only { b"readonly" } else { b"admin" };
        let pw = STANDARD.encode(self.uuid_v4());
        let mut b = vec![0, endpoint.len() as u8, user.len() as u8, pw.len() as u8];
        b.extend_from_slice(endpoint.as_bytes());
        b.extend_from_slice(user);
        b.extend_from_slice(pw.as_bytes());
        STANDARD.encode(b)
    }

    pub fn qstash_token(&mut self) -> String {
        let json = format!(
            r#"{{"UserID":"{}","Password":"{}"}}"#,
            self.uuid_v4(),
            self.hex(32)
        );
        STANDARD.encode(json)
    }

    /// An older QStash token, whose password is a UUID rather than 32 hex.
    pub fn qstash_token_uuid_password(&mut self) -> String {
        let json = format!(
            r#"{{"UserID":"{}","Password":"{}"}}"#,
            self.uuid_v4(),
            self.uuid_v4()
        );
        STANDARD.encode(json)
    }

    pub fn signing_key(&mut self) -> String {
        self.signing_key_of(28)
    }

    /// A signing key of the longer kind made in 2022 and earlier (`sig_` + `chars`, 44-52).
    pub fn signing_key_legacy(&mut self, chars: usize) -> String {
        self.signing_key_of(chars)
    }

    fn signing_key_of(&mut self, chars: usize) -> String {
        loop {
            let body: String = (0..chars)
                .map(|_| char::from(BASE58[self.rng.usize(..BASE58.len())]))
                .collect();
            let key = format!("sig_{body}");
            // Bare keys must pass the decoder's randomness test (about 1 in 800 random keys fail it).
            if upsweep::decode::signing_key(key.as_bytes(), 0).is_some() {
                return key;
            }
        }
    }

    pub fn api_key(&mut self) -> String {
        self.uuid_v4()
    }

    /// An Upstash Kafka host: `<adjective>-<animal>-<number>-<region>-kafka.upstash.io` for the
    /// Kafka protocol, `...-rest-kafka.upstash.io` for REST.
    pub fn kafka_host(&mut self, rest: bool) -> String {
        let adj = ADJECTIVES[self.rng.usize(..ADJECTIVES.len())];
        let animal = ANIMALS[self.rng.usize(..ANIMALS.len())];
        let n = self.rng.u32(1_000..20_000);
        let region = ["eu1", "us1", "apn1"][self.rng.usize(..3)];
        let rest = if rest { "-rest" } else { "" };
        format!("{adj}-{animal}-{n}-{region}{rest}-kafka.upstash.io")
    }

    /// The user name of a Kafka cluster: base64url of `<name>-<number>$` and 30 random bytes.
    pub fn kafka_username(&mut self, host: &str) -> String {
        let label = host.split('.').next().unwrap_or(host);
        let cluster: Vec<&str> = label.split('-').take(3).collect();
        let mut b = format!("{}$", cluster.join("-")).into_bytes();
        b.extend((0..30).map(|_| self.rng.u8(..)));
        URL_SAFE_NO_PAD.encode(b)
    }

    /// A Kafka password of one of the three shapes Upstash issued: 0 for 32 hex, 1 for base64
    /// of a UUID, 2 for base64url of 52 random bytes.
    pub fn kafka_password(&mut self, shape: u8) -> String {
        match shape {
            0 => self.hex(32),
            1 => STANDARD.encode(self.uuid_v4()),
            _ => loop {
                let b: Vec<u8> = (0..52).map(|_| self.rng.u8(..)).collect();
                let p = base64::engine::general_purpose::URL_SAFE.encode(b);
                if upsweep::decode::is_kafka_password(p.as_bytes()) {
                    return p;
                }
            },
        }
    }

    /// Random characters of an alphabet (for negative tests: right length, wrong structure).
    pub fn random_of(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[self.rng.usize(..alphabet.len())]))
            .collect()
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }
}
