//! The `fleetd` binary: parse the command line, hand over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    fleetd::cli::run(fleetd::cli::Cli::parse())
}
