//! `fleet-bench`: the benchmark tools of issue 7.
//!
//! - `seed`: builds the large data set (1,000,000 sites, 3,000,000 delivery
//!   rows, ...) in a named database on the local server, or reuses one;
//! - `sections`: times each section of a cold snapshot read and the drift
//!   scan straight through `fleet_sql::FleetReader`, with the query plans;
//! - `load`: starts `fleetd serve` on that database and drives `wrk`
//!   against it (warm cache, cold cache, database selects per build, RSS);
//! - `drop`: drops a database the seeder made.
//!
//! `scripts/bench-load` runs them in order; `docs/performance.md` has the
//! figures of a full run.

mod load;
mod machine;
mod metrics;
mod nginx;
mod sections;
mod stats;
mod wrk;

use clap::{Args, Parser, Subcommand};
use fleet_bench::database_url;
use fleet_bench::dataset::{self, LargeSpec};
use std::path::PathBuf;
use std::process::ExitCode;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Result<T, E = Error> = std::result::Result<T, E>;

/// The local server, root without a password (the test server of the repo).
const DEFAULT_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306/mysql";

#[derive(Debug, Parser)]
#[command(name = "fleet-bench", version, about = "Benchmark tools for fleetd")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create (or replace, or with --reuse refresh) the large benchmark database.
    Seed(SeedArgs),
    /// Time each section of a cold snapshot read and the drift scan, with plans.
    Sections(SectionsArgs),
    /// Run fleetd on a seeded database and measure it with wrk.
    Load(load::LoadArgs),
    /// Drop a database made by `seed`.
    Drop(DbArgs),
}

#[derive(Debug, Clone, Args)]
struct DbArgs {
    /// Database to create / read.
    #[arg(long, default_value = "fleetd_bench")]
    database: String,
    /// An account that may create and drop databases (its database part is ignored).
    #[arg(long, env = "FLEET_BENCH_ADMIN_URL", default_value = DEFAULT_ADMIN_URL)]
    admin_url: String,
}

#[derive(Debug, Clone, Args)]
struct SpecArgs {
    /// The small CI data set (20,000 sites, 30,000 deliveries) instead of the full one.
    #[arg(long)]
    quick: bool,
    /// Sites (default 1,000,000; --quick 20,000).
    #[arg(long)]
    sites: Option<u64>,
    /// Webhook delivery rows (default 2,000,000; --quick 20,000).
    #[arg(long)]
    webhook_deliveries: Option<u64>,
    /// Alert delivery rows (default 1,000,000; --quick 10,000).
    #[arg(long)]
    alert_deliveries: Option<u64>,
}

impl SpecArgs {
    fn spec(&self) -> LargeSpec {
        let mut spec = if self.quick {
            LargeSpec::QUICK
        } else {
            LargeSpec::FULL
        };
        if let Some(n) = self.sites {
            spec.sites = n;
        }
        if let Some(n) = self.webhook_deliveries {
            spec.webhook_deliveries = n;
        }
        if let Some(n) = self.alert_deliveries {
            spec.alert_deliveries = n;
        }
        spec
    }
}

#[derive(Debug, Args)]
struct SeedArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    spec: SpecArgs,
    /// Keep a database already seeded with the same data set (its heartbeats
    /// and recent deliveries are moved to now) instead of loading it again.
    #[arg(long)]
    reuse: bool,
    /// Replace the database even if it was not made by this seeder.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
struct SectionsArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Cold reads to time.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// Drift scans to time.
    #[arg(long, default_value_t = 3)]
    drift_runs: usize,
    #[arg(long, default_value_t = 1000)]
    bucket_total: u32,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp_millis()
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("fleet-bench: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("fleet-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<()> {
    match command {
        Command::Seed(args) => seed(&args).await,
        Command::Sections(args) => {
            let url = database_url(&args.db.admin_url, &args.db.database)?;
            let report = sections::measure(
                &args.db.admin_url,
                &url,
                args.runs,
                args.drift_runs,
                args.bucket_total,
            )
            .await?;
            print!("{report}");
            Ok(())
        }
        Command::Load(args) => load::run(args).await,
        Command::Drop(args) => {
            let existed = dataset::drop_database(&args.admin_url, &args.database).await?;
            println!(
                "database {}: {}",
                args.database,
                if existed { "dropped" } else { "did not exist" }
            );
            Ok(())
        }
    }
}

async fn seed(args: &SeedArgs) -> Result<()> {
    let spec = args.spec.spec();
    let db = &args.db;
    if args.reuse {
        if let Some(took) = dataset::reuse(&db.admin_url, &db.database, &spec).await? {
            println!(
                "reused database {} (same data set; heartbeats and recent deliveries moved to now in {:.1} s)",
                db.database,
                took.as_secs_f64()
            );
            return Ok(());
        }
        println!(
            "database {} missing or holding another data set: seeding",
            db.database
        );
    }
    println!(
        "seeding {}: {} sites, {} webhook + {} alert deliveries, {} open http events, {} processes, {} hosts",
        db.database,
        spec.sites,
        spec.webhook_deliveries,
        spec.alert_deliveries,
        spec.open_http_events(),
        spec.processes(),
        spec.bucket_hosts
    );
    let report = dataset::seed(&db.admin_url, &db.database, &spec, args.force).await?;
    println!(
        "schema                       {:>18.1} s",
        report.schema.as_secs_f64()
    );
    for table in &report.tables {
        println!("{table}");
    }
    println!(
        "total (two tables at a time) {:>18.1} s",
        report.total.as_secs_f64()
    );
    Ok(())
}

/// Where `fleetd` is expected: next to this binary (same target directory).
fn default_fleetd() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("fleetd")))
        .unwrap_or_else(|| PathBuf::from("fleetd"))
}
