//! upsweep's entry point: parse, settle the flags, run, map the outcome to an exit code.
//! Nothing else.

use clap::Parser;
use std::process::ExitCode;
use upsweep::app::{self, exit};
use upsweep::config;

fn main() -> ExitCode {
    let cli = match upsweep::cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::ERROR
            } else {
                exit::CLEAN
            });
        }
    };
    match config::settle(cli.command).and_then(app::run) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("upsweep: error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
