//! The command line's definition and nothing else: what `--help` says.
//!
//! fleetd's build script includes this file on its own (`#[path]`) to
//! generate the man pages and shell completions from it, so it may name
//! only `clap` and `std`, never an item of the crate. What the arguments
//! mean (config sources, exit statuses, running a subcommand) is in
//! [`crate::cli`].

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The server `fleetd demo` uses unless told otherwise. The same value as
/// `fleet_sql::demo::DEFAULT_SERVER_URL`, which cannot be named here
/// (see above); `crate::cli` checks at compile time that they agree.
pub const DEFAULT_DEMO_SERVER_URL: &str = "mysql://root@127.0.0.1:3306/";

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

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The MySQL/MariaDB server to create the demo database on (an account
    /// that may create and drop databases; the database part is ignored).
    #[arg(long, value_name = "URL", default_value = DEFAULT_DEMO_SERVER_URL)]
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

impl Cli {
    /// The subcommand to run, `serve` when none was given.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}
