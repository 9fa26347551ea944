//! upsweep's integration tests: one binary, one module per topic, sharing [`common::TestEnv`].

mod common;
mod emulator;

mod account;
mod account_cli;
mod accuracy;
mod actions;
mod architecture;
mod archive;
mod cli;
mod first_use;
mod git;
mod github;
mod help;
mod living;
mod own_repository;
mod revoke;
mod sarif;
