//! The command line. `serve` is the default subcommand, so `fleetd` and
//! `fleetd --config PATH` both serve.
//!
//! The arguments themselves are in `cli/definition.rs` (the build script
//! makes the man pages and shell completions from it). To add a subcommand:
//! add a variant to [`Command`] there with its own `Args` struct, a module
//! with its `run`, and a match arm in [`run`].

mod definition;

use crate::settings::ConfigSource;
use clap::Parser;
pub use definition::{CheckArgs, Cli, Command, DemoArgs, ServeArgs};
use std::path::PathBuf;
use std::process::ExitCode;

// The definition cannot name fleet-sql (the build script compiles it
// alone); this keeps its copy of the demo server's default equal.
const _: () = assert!(
    same_str(
        definition::DEFAULT_DEMO_SERVER_URL,
        fleet_sql::demo::DEFAULT_SERVER_URL
    ),
    "cli/definition.rs: DEFAULT_DEMO_SERVER_URL differs from fleet_sql::demo::DEFAULT_SERVER_URL"
);

const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl CheckArgs {
    /// An explicit `--config` must exist; the default path may be missing.
    pub fn config_source(&self) -> ConfigSource {
        config_source(self.config.as_ref())
    }
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
