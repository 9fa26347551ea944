//! Detection accuracy: every kind planted in the files real repositories hold.
//!
//! Fake credentials (seeded, structurally valid, never real) are planted into file templates
//! ([`corpus`]). Each template marks where a value goes; the expected 1-based line and column of
//! every occurrence are computed from where the rendered template put it. One scan of the whole
//! tree ([`positives`]) must then report exactly the planted secrets: each once, with the right
//! kind, every location and nothing else, and with what its decode reveals. The look-alikes
//! ([`negatives`]: placeholders, masked and truncated values, random base64, JWTs, bare UUIDs, C
//! identifiers, integrity hashes, inline images, the QStash development server's published
//! credentials) must give nothing; [`sweeps`] runs thousands more of them through the library,
//! and [`names`] thousands of `sig_` names in code against the signing keys they resemble.
//! [`older`] holds the formats that shipped before today's and the places they hide (compiled
//! files, indirections, a Kafka password beside a Redis host), in files and in git history.

mod corpus;
mod names;
mod negatives;
mod older;
mod positives;
mod sweeps;
