//! Ready-made fixtures on top of the emulator: scanning text with the shipped rules (so tests
//! get the findings `upsweep scan` would), and [`shop`], a personal account with one of every
//! product.

use super::{Emulator, Owner, World};
use std::path::PathBuf;
use std::sync::LazyLock;
use upsweep::finding::{Finding, Origin};
use upsweep::rules::Matcher;
use upsweep::scan::aggregate::Aggregator;
use upsweep::scan::Scanner;
use upsweep::upstash::AccountConfig;

/// The email of the fixtures' account.
pub const OPS: &str = "ops@example.com";

static MATCHER: LazyLock<Matcher> =
    LazyLock::new(|| Matcher::load(&[] as &[PathBuf]).expect("shipped rules load"));

/// Scan files (name, text) with the shipped rules, as `upsweep scan` does.
pub fn scan(files: &[(&str, &str)]) -> Vec<Finding> {
    let mut agg = Aggregator::default();
    for (name, text) in files {
        let matches = Scanner::new(&MATCHER).scan(text.as_bytes());
        agg.add(&MATCHER, &Origin::File(PathBuf::from(name)), matches);
    }
    agg.finish()
}

/// A personal account ([`OPS`], one read-write API key) with one of everything: a current
/// database `prod-cache`, two legacy databases (`old-sessions`, `old-queue`), a Vector and a
/// Search index, and QStash in `eu-central-1` and `us-east-1`. The `usize` fields index the
/// world's `databases`, `vector`, `search` and `qstash`.
pub struct Shop {
    pub emu: Emulator,
    pub key: String,
    pub owner: Owner,
    pub cache: usize,
    pub legacy: usize,
    pub legacy_rotated_token: usize,
    pub vector: usize,
    pub search: usize,
    pub eu: usize,
    pub us: usize,
}

/// Start a [`Shop`] (the seed picks its values).
pub fn shop(seed: u64) -> Shop {
    let mut w = World::new(seed);
    let owner = w.user(OPS);
    let key = w.api_key(OPS, &owner, false);
    let cache = w.database(&owner, "prod-cache", "eu-west-1");
    let legacy = w.legacy_database(&owner, "old-sessions");
    let legacy_rotated_token = w.legacy_database(&owner, "old-queue");
    let vector = w.vector_index(&owner, "embeddings");
    let search = w.search_index(&owner, "docs");
    let eu = w.qstash_user(&owner, "eu-central-1");
    let us = w.qstash_user(&owner, "us-east-1");
    Shop {
        emu: Emulator::start(w),
        key,
        owner,
        cache,
        legacy,
        legacy_rotated_token,
        vector,
        search,
        eu,
        us,
    }
}

impl Shop {
    /// The account's configuration, redirected to the emulator.
    pub fn cfg(&self) -> AccountConfig {
        self.emu.config(&[(OPS, &self.key)])
    }
}
