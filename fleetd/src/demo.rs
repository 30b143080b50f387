//! `fleetd demo`: a live-looking fleet on a local MySQL/MariaDB, served by
//! a real fleetd.
//!
//! 1. Connects to the server (`--database-url`, default
//!    [`fleet::DEFAULT_SERVER_URL`]); if nothing answers it says so, explains how
//!    to start one and exits 1.
//! 2. Creates a scratch database (its name is printed), loads the schema
//!    and seeds the demo fleet ([`fleet_sql::demo`], where all of the
//!    demo's SQL lives).
//! 3. Keeps the fleet moving (heartbeats every few seconds, the backlog
//!    draining, the story told in that module) and serves fleetd on it
//!    through the same [`Application`] as `fleetd serve`, printing the URL.
//! 4. On Ctrl-C or SIGTERM: stops serving, then drops the database (unless
//!    `--keep`). An interruption during setup drops it too.

use crate::cli::{DemoArgs, EXIT_FAILURE};
use crate::logging;
use crate::settings::Settings;
use crate::startup::{Application, StartupError};
use fleet_sql::demo::{self as fleet, DemoDatabase, DemoError};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::signal::unix::{signal, Signal, SignalKind};

/// Cache TTL of the demo's fleetd: short, so the page follows the story.
const DEMO_CACHE_TTL: Duration = Duration::from_secs(2);
/// Drift scans of the demo's fleetd: often, 5,000 sites are cheap.
const DEMO_DRIFT_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum DemoRunError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot listen for signals: {0}")]
    Signals(#[source] std::io::Error),
    #[error(transparent)]
    Setup(#[from] DemoError),
    #[error("seeding the demo fleet failed: {0}")]
    Seed(#[source] fleet_sql::SqlError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("the HTTP server failed: {0}")]
    Server(#[source] std::io::Error),
}

pub fn run(args: &DemoArgs) -> ExitCode {
    logging::init(log::LevelFilter::Info);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&DemoRunError::Runtime(err)),
    };
    match runtime.block_on(demo(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

fn fail(err: &DemoRunError) -> ExitCode {
    match err {
        DemoRunError::Setup(DemoError::Unreachable { url, .. }) => {
            eprintln!("fleetd demo: {err}.");
            eprintln!("{}", server_hint(url, |path| path.exists()));
        }
        _ => eprintln!("fleetd demo: {err}"),
    }
    ExitCode::from(EXIT_FAILURE)
}

/// Where a local MySQL/MariaDB server is installed by Debian's packages.
const SERVER_BINARIES: [&str; 2] = ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"];

/// The one line that tells what to do when no server answered at `url`:
/// start the local server when one is installed, install one when none is,
/// or look at the remote one.
fn server_hint(url: &str, exists: impl Fn(&Path) -> bool) -> String {
    let local = ["@127.0.0.1", "@localhost", "@[::1]", "socket="]
        .iter()
        .any(|marker| url.contains(marker));
    if !local {
        return "To run the demo, make sure that server is up and reachable, or point \
                --database-url at one whose account may create and drop databases."
            .to_owned();
    }
    match SERVER_BINARIES
        .iter()
        .map(Path::new)
        .find(|path| exists(path))
    {
        Some(binary) => format!(
            "To run the demo, start the local server: sudo systemctl start mariadb \
             (without systemd: sudo start-stop-daemon --start --oknodo --background --exec {})",
            binary.display()
        ),
        None => "To run the demo, install and start a local server: sudo apt-get install \
                 mariadb-server (or point --database-url at a server whose account may create \
                 and drop databases)"
            .to_owned(),
    }
}

/// Ctrl-C and SIGTERM, listened to from before the database exists, so that
/// no signal can leave it behind.
/// Ctrl-C, SIGTERM and SIGHUP all end the demo cleanly. SIGHUP is what a
/// closed terminal sends: left to its default action it would kill the
/// process and leave the scratch database behind.
struct Interrupts {
    int: Signal,
    term: Signal,
    hup: Signal,
}

impl Interrupts {
    fn new() -> Result<Self, DemoRunError> {
        Ok(Interrupts {
            int: signal(SignalKind::interrupt()).map_err(DemoRunError::Signals)?,
            term: signal(SignalKind::terminate()).map_err(DemoRunError::Signals)?,
            hup: signal(SignalKind::hangup()).map_err(DemoRunError::Signals)?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
        }
    }
}

async fn demo(args: &DemoArgs) -> Result<(), DemoRunError> {
    let mut interrupts = Interrupts::new()?;
    let server = fleet_sql::DbSettings::new(args.database_url.clone()).redacted_url();
    println!("fleetd demo: creating a demo database on {server}");
    let db = tokio::select! {
        db = DemoDatabase::create(&args.database_url) => Arc::new(db?),
        () = interrupts.recv() => return Ok(()),
    };
    println!(
        "  database   {} ({})",
        db.name(),
        if args.keep {
            "kept on exit: --keep"
        } else {
            "dropped on exit"
        }
    );
    let outcome = run_on(&db, args, &mut interrupts).await;
    if args.keep {
        db.keep().await;
        println!(
            "fleetd demo: kept database {} (drop it with: DROP DATABASE `{}`)",
            db.name(),
            db.name()
        );
    } else {
        match db.drop_database().await {
            Ok(()) => println!("fleetd demo: dropped database {}", db.name()),
            Err(err) => eprintln!(
                "fleetd demo: could not drop database {}: {err} (drop it by hand)",
                db.name()
            ),
        }
    }
    outcome
}

/// Seeds, moves and serves the fleet until interrupted.
async fn run_on(
    db: &Arc<DemoDatabase>,
    args: &DemoArgs,
    interrupts: &mut Interrupts,
) -> Result<(), DemoRunError> {
    tokio::select! {
        seeded = db.seed() => seeded.map_err(DemoRunError::Seed)?,
        () = interrupts.recv() => return Ok(()),
    }
    let mover = tokio::spawn(move_fleet(Arc::clone(db)));

    let app = match Application::build(demo_settings(db.url(), args)).await {
        Ok(app) => app,
        Err(err) => {
            mover.abort();
            return Err(err.into());
        }
    };
    let url = format!("http://{}/fleet", app.local_addr());
    println!(
        "  fleet      {} monitors in dynamic ownership, 1 deliverer ({}), {} sites, heartbeats every {} s",
        fleet::HOSTS.len() - 1,
        fleet::DELIVERY_OWNER,
        fleet::SITE_COUNT,
        fleet::TICK_INTERVAL.as_secs()
    );
    println!(
        "  story      red (drift, recent delivery failures) -> amber at ~{} s (backlog draining) \
         -> green at ~2.5 min -> red: {} stops heartbeating at {} s and is stale {} s later",
        fleet::DRIFT_REPAIRED_AFTER.as_secs(),
        fleet::STALE_HOST,
        fleet::STALE_AFTER.as_secs(),
        fleet::HEARTBEAT_GRACE.as_secs()
    );
    println!("  serving    {url}");
    println!("             (also /api/fleet, /api/fleet/history, /metrics)");
    println!("Press Ctrl-C to stop.");

    // actix stops the server on SIGINT/SIGTERM (gracefully on SIGTERM);
    // a hang-up stops it the same way here, and the run then finishes its
    // own shutdown (drift task, pool) before the database is dropped.
    let handle = app.server_handle();
    let run = app.run_until_stopped();
    tokio::pin!(run);
    let served = tokio::select! {
        served = &mut run => served,
        () = interrupts.recv() => {
            // The stop is carried out by the server future itself: poll
            // both together.
            let ((), served) = tokio::join!(handle.stop(true), run);
            served
        }
    };
    mover.abort();
    let _ = mover.await;
    served.map_err(DemoRunError::Server)
}

/// The demo's fleetd: the demo database, a short cache TTL and drift
/// interval, and the demo's heartbeat grace (so the stopped monitor turns
/// stale within a minute); everything else default.
fn demo_settings(database_url: &str, args: &DemoArgs) -> Settings {
    let mut settings = Settings::default();
    settings.server.listen = args.listen;
    settings.database.url = database_url.to_owned();
    settings.fleet.heartbeat_grace = fleet::HEARTBEAT_GRACE;
    settings.cache.ttl = DEMO_CACHE_TTL;
    settings.cache.drift_interval = DEMO_DRIFT_INTERVAL;
    settings
}

/// Heartbeats the fleet every tick until aborted; a failed tick is logged
/// and the next one tried.
async fn move_fleet(db: Arc<DemoDatabase>) {
    let started = Instant::now();
    let mut ticks = tokio::time::interval(fleet::TICK_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(err) = db.tick(started.elapsed()).await {
            log::warn!("demo: moving the fleet failed: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_is_one_line_for_each_situation() {
        let local = "mysql://root@127.0.0.1:3306/";
        let installed = server_hint(local, |path| path == Path::new("/usr/sbin/mariadbd"));
        assert!(installed.contains("start-stop-daemon"), "{installed}");
        assert!(installed.contains("/usr/sbin/mariadbd"), "{installed}");
        let missing = server_hint(local, |_| false);
        assert!(
            missing.contains("apt-get install mariadb-server"),
            "{missing}"
        );
        let remote = server_hint("mysql://root@db.internal:3306/", |_| true);
        assert!(remote.contains("reachable"), "{remote}");
        for hint in [installed, missing, remote] {
            assert!(!hint.contains('\n'), "one line: {hint}");
        }
    }
}
