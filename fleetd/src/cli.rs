//! The command line. `serve` is the default subcommand, so `fleetd` and
//! `fleetd --config PATH` both serve.
//!
//! To add a subcommand (`check`, `demo`): add a variant to [`Command`] with
//! its own `Args` struct, a module with its `run`, and a match arm in [`run`].

use crate::settings::ConfigSource;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "fleetd",
    version,
    about = "Read-only fleet dashboard daemon for jetmon v2",
    propagate_version = true,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Used when no subcommand is given (`fleetd --config PATH` = `fleetd serve --config PATH`).
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the fleet page, the JSON feed and the health endpoints (the default).
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Configuration file [default: /etc/fleetd/fleetd.toml, used only if it exists]
    #[arg(long, short = 'c', value_name = "PATH")]
    pub config: Option<PathBuf>,
}

impl ServeArgs {
    /// An explicit `--config` must exist; the default path may be missing.
    pub fn config_source(&self) -> ConfigSource {
        match &self.config {
            Some(path) => ConfigSource::explicit(path.clone()),
            None => ConfigSource::default_path(),
        }
    }
}

impl Cli {
    /// The subcommand to run, `serve` when none was given.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}

/// Exit status for a configuration that cannot be loaded.
pub const EXIT_CONFIG: u8 = 2;
/// Exit status for any other startup or runtime failure.
pub const EXIT_FAILURE: u8 = 1;

pub fn run(cli: Cli) -> ExitCode {
    match cli.into_command() {
        Command::Serve(args) => crate::serve::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("fleetd").chain(args.iter().copied()))
    }

    #[test]
    fn no_subcommand_means_serve_with_the_default_file() {
        let Command::Serve(args) = parse(&[]).expect("parses").into_command();
        assert_eq!(args.config_source(), ConfigSource::default_path());
    }

    #[test]
    fn config_without_subcommand_means_serve_with_that_file() {
        let Command::Serve(args) = parse(&["--config", "/x.toml"])
            .expect("parses")
            .into_command();
        assert_eq!(args.config_source(), ConfigSource::explicit("/x.toml"));
    }

    #[test]
    fn serve_takes_config() {
        let Command::Serve(args) = parse(&["serve", "-c", "/y.toml"])
            .expect("parses")
            .into_command();
        assert_eq!(args.config_source(), ConfigSource::explicit("/y.toml"));
    }

    #[test]
    fn help_and_version_work_on_every_command() {
        for args in [
            &["--help"][..],
            &["--version"],
            &["serve", "--help"],
            &["serve", "--version"],
        ] {
            let err = parse(args).expect_err("help/version exit early");
            assert!(
                matches!(
                    err.kind(),
                    clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
                ),
                "{args:?}: {err}"
            );
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        <Cli as CommandFactory>::command().debug_assert();
    }
}
