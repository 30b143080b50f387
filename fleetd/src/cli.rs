//! The command line. `serve` is the default subcommand, so `fleetd` and
//! `fleetd --config PATH` both serve.
//!
//! To add a subcommand: add a variant to [`Command`] with its own `Args`
//! struct, a module with its `run`, and a match arm in [`run`].

use crate::settings::ConfigSource;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
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
    /// Build one snapshot straight from the database and exit with its
    /// status: 0 green, 1 amber, 2 red, 3 unknown (database unreadable, bad
    /// configuration).
    Check(CheckArgs),
    /// Create a scratch database on a local MySQL/MariaDB, fill it with a
    /// live-looking fleet and serve fleetd on it (dropped again on exit).
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Default, Args)]
pub struct CheckArgs {
    /// Configuration file [default: /etc/fleetd/fleetd.toml, used only if it exists]
    #[arg(long, short = 'c', value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Print the complete snapshot as JSON (the body of /api/fleet) instead
    /// of the summary.
    #[arg(long)]
    pub json: bool,
    /// Check the dynamic-ownership cutover checklist instead of the fleet
    /// status: exit 0 when every expectation passes, 2 when one fails, 3
    /// when one is unknown (with --json: the checklist as JSON).
    #[arg(long)]
    pub cutover: bool,
}

impl CheckArgs {
    /// An explicit `--config` must exist; the default path may be missing.
    pub fn config_source(&self) -> ConfigSource {
        config_source(self.config.as_ref())
    }
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The MySQL/MariaDB server to create the demo database on (an account
    /// that may create and drop databases; the database part is ignored).
    #[arg(long, value_name = "URL", default_value = fleet_sql::demo::DEFAULT_SERVER_URL)]
    pub database_url: String,
    /// Address the demo fleetd listens on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Keep the demo database on exit instead of dropping it.
    #[arg(long)]
    pub keep: bool,
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
        config_source(self.config.as_ref())
    }
}

fn config_source(path: Option<&PathBuf>) -> ConfigSource {
    match path {
        Some(path) => ConfigSource::explicit(path.clone()),
        None => ConfigSource::default_path(),
    }
}

impl Cli {
    /// The subcommand to run, `serve` when none was given.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}

/// Parses the command line like clap, except that a usage error of `fleetd
/// check` exits 3 ("unknown"): clap's own 2 would read as "red" to the
/// rollout script that made the typo. Help and version exit 0.
pub fn parse_args<I, T>(args: I) -> Result<Cli, ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    Cli::try_parse_from(&args).map_err(|err| {
        // Printing to a closed stdout/stderr is not worth another error.
        let _ = err.print();
        let code = err.exit_code();
        let is_check = args.iter().skip(1).any(|arg| arg == "check");
        if code != 0 && is_check {
            ExitCode::from(crate::check::EXIT_UNKNOWN)
        } else {
            ExitCode::from(u8::try_from(code).unwrap_or(EXIT_FAILURE))
        }
    })
}

/// Exit status for a configuration that cannot be loaded.
pub const EXIT_CONFIG: u8 = 2;
/// Exit status for any other startup or runtime failure.
pub const EXIT_FAILURE: u8 = 1;

pub fn run(cli: Cli) -> ExitCode {
    match cli.into_command() {
        Command::Serve(args) => crate::serve::run(&args),
        Command::Check(args) => crate::check::run(&args),
        Command::Demo(args) => crate::demo::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("fleetd").chain(args.iter().copied()))
    }

    fn serve_args(args: &[&str]) -> ServeArgs {
        match parse(args).expect("parses").into_command() {
            Command::Serve(args) => args,
            other => panic!("expected serve, got {other:?}"),
        }
    }

    #[test]
    fn no_subcommand_means_serve_with_the_default_file() {
        let args = serve_args(&[]);
        assert_eq!(args.config_source(), ConfigSource::default_path());
    }

    #[test]
    fn config_without_subcommand_means_serve_with_that_file() {
        let args = serve_args(&["--config", "/x.toml"]);
        assert_eq!(args.config_source(), ConfigSource::explicit("/x.toml"));
    }

    #[test]
    fn serve_takes_config() {
        let args = serve_args(&["serve", "-c", "/y.toml"]);
        assert_eq!(args.config_source(), ConfigSource::explicit("/y.toml"));
    }

    #[test]
    fn check_takes_config_and_json() {
        match parse(&["check", "--config", "/z.toml", "--json"])
            .expect("parses")
            .into_command()
        {
            Command::Check(args) => {
                assert!(args.json);
                assert_eq!(args.config_source(), ConfigSource::explicit("/z.toml"));
            }
            other => panic!("expected check, got {other:?}"),
        }
    }

    #[test]
    fn check_takes_cutover_with_or_without_json() {
        for (args, json) in [
            (&["check", "--cutover"][..], false),
            (&["check", "--cutover", "--json"][..], true),
        ] {
            match parse(args).expect("parses").into_command() {
                Command::Check(args) => assert!(args.cutover && args.json == json),
                other => panic!("expected check, got {other:?}"),
            }
        }
    }

    #[test]
    fn demo_has_local_defaults() {
        match parse(&["demo"]).expect("parses").into_command() {
            Command::Demo(args) => {
                assert_eq!(args.database_url, "mysql://root@127.0.0.1:3306/");
                assert_eq!(args.listen, "127.0.0.1:8080".parse().expect("addr"));
                assert!(!args.keep);
            }
            other => panic!("expected demo, got {other:?}"),
        }
        match parse(&[
            "demo",
            "--database-url",
            "mysql://u@h/",
            "--listen",
            "127.0.0.1:0",
            "--keep",
        ])
        .expect("parses")
        .into_command()
        {
            Command::Demo(args) => {
                assert_eq!(args.database_url, "mysql://u@h/");
                assert_eq!(args.listen.port(), 0);
                assert!(args.keep);
            }
            other => panic!("expected demo, got {other:?}"),
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        <Cli as CommandFactory>::command().debug_assert();
    }
}
