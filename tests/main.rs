//! upsweep's integration tests: one binary, one module per topic, sharing [`common::TestEnv`].

mod common;

mod accuracy;
mod cli;
mod sarif;
