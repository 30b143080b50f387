//! The `fleetd` binary: parse the command line, hand over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    match fleetd::cli::parse_args(std::env::args_os()) {
        Ok(cli) => fleetd::cli::run(cli),
        Err(code) => code,
    }
}
