//! Item 2: the soak. The fleetd binary (a child process) on a seeded
//! database behind a counting proxy, cache period 1 s, 64 clients on
//! loopback for a fixed time, while a scraper reads every snapshot.
//! Reported: requests, answers by status, timeouts, latency, snapshots with
//! a failed section, builds and drift scans, the database statements fleetd
//! sent (counted at the proxy) against one build per cache period, fleetd's
//! RSS over time.
//!
//! The CI run (`soak_short…`) takes ~10 s on the small data set (seeded
//! into a scratch database and dropped). `scripts/soak` runs the long one:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `FLEETD_SOAK_SECS` | 8 | load duration |
//! | `FLEETD_SOAK_CLIENTS` | 64 | concurrent clients |
//! | `FLEETD_SOAK_DATABASE` | (scratch, small data set) | an existing database on the test server, e.g. `fleetd_bench` from `fleet-bench seed` |
//! | `FLEETD_SOAK_TIMEOUT_MS` | 5000 | a request not answered within this is a timeout |
//! | `FLEETD_SOAK_DRIFT_INTERVAL_SEC` | 5 | drift scans run during the load too |

use crate::fault_proxy::{upstream_of, Commands, FaultProxy};
use crate::support::{load, record, rss_kib, LoadReport};
use fleet_bench::dataset::{self, LargeSpec};
use fleet_sql::testing::admin_url;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fleetd");
const TTL: Duration = Duration::from_secs(1);
/// Database reads per snapshot build: now, processes, hosts, two delivery
/// tables (fleet-sql's `read_fleet`).
const SELECTS_PER_BUILD: u64 = 5;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The fleetd binary serving a configuration, its stderr drained.
struct Fleetd {
    child: Child,
    address: String,
    errors: Arc<AtomicU64>,
}

impl Fleetd {
    fn start(config: &std::path::Path) -> Fleetd {
        let mut child = Command::new(BIN)
            .args(["serve", "--config"])
            .arg(config)
            .env_remove("RUST_LOG")
            .env_remove("NOTIFY_SOCKET")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start fleetd");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        let errors = Arc::new(AtomicU64::new(0));
        let counted = errors.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains(" ERROR ") {
                    counted.fetch_add(1, Ordering::Relaxed);
                    eprintln!("fleetd: {line}");
                }
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).expect("fleetd logs its address");
            if let Some(at) = line.find("http://") {
                let url = &line[at..];
                break url[..url.find("/fleet").expect("/fleet in the log line")].to_owned();
            }
        };
        Fleetd {
            child,
            address,
            errors,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then the exit status (graceful drain).
    fn stop(mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Fleetd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A counter from `/metrics` (`name` without labels), if served.
async fn metric(client: &reqwest::Client, base: &str, name: &str) -> Option<f64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|l| l.split(['{', ' ']).next() == Some(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Drops the soak's own database when the soak ends, also on a panic.
struct DropOnExit {
    admin: String,
    name: String,
}

impl Drop for DropOnExit {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // A thread with its own runtime: Drop cannot await, and may run
        // inside the test's runtime.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
                .and_then(|rt| {
                    rt.block_on(dataset::drop_database(&admin, &name))
                        .map_err(|e| e.to_string())
                })
        })
        .join();
        if !matches!(dropped, Ok(Ok(_))) {
            eprintln!("soak: could not drop {}: {dropped:?}", self.name);
        }
    }
}

/// What the scraper saw: snapshots read, and those with a failed section.
#[derive(Debug, Default)]
struct Scraped {
    reads: u64,
    not_ok: u64,
    failed_sections: u64,
    distinct: std::collections::BTreeSet<String>,
    failures: Vec<String>,
}

/// Slope of a least-squares line through (t, y), per second.
fn slope(samples: &[(f64, f64)]) -> f64 {
    let n = samples.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = samples
        .iter()
        .fold((0.0, 0.0), |(x, y), (a, b)| (x + a / n, y + b / n));
    let (num, den) = samples.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx).powi(2))
    });
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

struct SoakResult {
    report: LoadReport,
    seconds: f64,
    scraped: Scraped,
    builds: u64,
    drift_scans: u64,
    commands: Commands,
    global_selects: Option<u64>,
    rss: Vec<(f64, u64)>,
    exit: Option<i32>,
    log_errors: u64,
    database: String,
}

/// Global `Com_select` of the server (counts every client of the shared
/// server: an upper bound, for information).
async fn global_com_select(db_url: &str) -> Option<u64> {
    use mysql_async::prelude::Queryable;
    let mut conn = mysql_async::Conn::new(mysql_async::Opts::from_url(db_url).ok()?)
        .await
        .ok()?;
    let row: Option<(String, String)> = conn
        .query_first("SHOW GLOBAL STATUS LIKE 'Com_select'")
        .await
        .ok()?;
    let _ = conn.disconnect().await;
    row.and_then(|(_, v)| v.parse().ok())
}

async fn soak(database: Option<String>, secs: u64, clients: usize) -> SoakResult {
    let admin = admin_url();
    let timeout = Duration::from_millis(env_or("FLEETD_SOAK_TIMEOUT_MS", 5000));
    let drift_interval: u64 = env_or("FLEETD_SOAK_DRIFT_INTERVAL_SEC", 5);
    // The database: a named one (the long soak), or the small data set of
    // the same shape in a database of our own.
    let (name, scratch) = match database {
        Some(name) => (name, None),
        None => {
            let name = format!("fleetd_soak_{}", std::process::id());
            let guard = DropOnExit {
                admin: admin.clone(),
                name: name.clone(),
            };
            dataset::seed(&admin, &name, &LargeSpec::QUICK, false)
                .await
                .expect("seed the soak database");
            (name, Some(guard))
        }
    };
    let db_url = fleet_bench::database_url(&admin, &name).expect("database URL");
    let proxy = FaultProxy::start(upstream_of(&db_url)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleetd.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[database]\nurl = {:?}\n\
             [cache]\nttl_ms = {}\ndrift_interval_sec = {drift_interval}\n[log]\nlevel = \"info\"\n",
            proxy.url_for(&db_url),
            TTL.as_millis()
        ),
    )
    .expect("write config");
    let fleetd = Fleetd::start(&config);
    let base = fleetd.address.clone();
    let client = crate::helpers::client();

    // Warm up: a snapshot and the first drift scan.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let snapshot: Option<serde_json::Value> =
            match client.get(format!("{base}/api/fleet")).send().await {
                Ok(r) if r.status() == 200 => r.json().await.ok(),
                _ => None,
            };
        if snapshot
            .as_ref()
            .is_some_and(|s| s["projection_drift"]["checked_at"].is_string())
        {
            break;
        }
        assert!(Instant::now() < deadline, "fleetd did not warm up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let first: serde_json::Value = client
        .get(format!("{base}/api/fleet"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let process_id = first["processes"][0]["process_id"]
        .as_str()
        .expect("a process")
        .to_owned();
    let process_path = format!(
        "/fleet/process/{}",
        fleetd::page::format::encode_path_segment(&process_id)
    );

    let builds_before = metric(&client, &base, "fleetd_snapshot_builds_total").await;
    let drift_before = metric(&client, &base, "fleetd_drift_scans_total").await;
    let commands_before = proxy.commands();
    let global_before = global_com_select(&db_url).await;

    // RSS sampler and snapshot scraper, alongside the load.
    let running = Arc::new(AtomicBool::new(true));
    let started = Instant::now();
    let rss = Arc::new(Mutex::new(vec![(0.0, rss_kib(fleetd.pid()).unwrap_or(0))]));
    let sampler = {
        let (running, rss, pid) = (running.clone(), rss.clone(), fleetd.pid());
        tokio::spawn(async move {
            while running.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Some(kib) = rss_kib(pid) {
                    rss.lock()
                        .expect("rss")
                        .push((started.elapsed().as_secs_f64(), kib));
                }
            }
        })
    };
    let scraper = {
        let (running, base, client) = (running.clone(), base.clone(), client.clone());
        tokio::spawn(async move {
            let mut scraped = Scraped::default();
            while running.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(250)).await;
                scraped.reads += 1;
                let Ok(response) = client.get(format!("{base}/api/fleet")).send().await else {
                    scraped.not_ok += 1;
                    continue;
                };
                if response.status() != 200 {
                    scraped.not_ok += 1;
                    continue;
                }
                let text = response.text().await.unwrap_or_default();
                let snapshot: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                scraped.distinct.insert(
                    snapshot["generated_at"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
                if text.contains("could not be read") {
                    scraped.failed_sections += 1;
                    if scraped.failures.len() < 5 {
                        scraped
                            .failures
                            .push(snapshot["summary"]["issues"].to_string());
                    }
                }
            }
            scraped
        })
    };
    let paths = [
        "/fleet",
        "/api/fleet",
        "/fleet",
        "/api/fleet",
        "/fleet?status=red",
        process_path.as_str(),
        "/readyz",
        "/metrics",
    ];
    let report = load(&base, &paths, clients, Duration::from_secs(secs), timeout).await;
    let seconds = started.elapsed().as_secs_f64();
    running.store(false, Ordering::SeqCst);
    sampler.await.expect("sampler");
    let scraped = scraper.await.expect("scraper");

    let builds_after = metric(&client, &base, "fleetd_snapshot_builds_total").await;
    let drift_after = metric(&client, &base, "fleetd_drift_scans_total").await;
    let commands_after = proxy.commands();
    let global_after = global_com_select(&db_url).await;
    let log_errors = fleetd.errors.load(Ordering::Relaxed);
    let exit = fleetd.stop();
    // Our own database goes now (the guard also drops it on a panic).
    let scratch = scratch.map(drop).is_some();

    let delta = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (b - a) as u64,
        _ => 0,
    };
    let commands = Commands {
        query: commands_after.query - commands_before.query,
        query_select: commands_after.query_select - commands_before.query_select,
        prepare: commands_after.prepare - commands_before.prepare,
        execute: commands_after.execute - commands_before.execute,
        reset: commands_after.reset - commands_before.reset,
        quit: commands_after.quit - commands_before.quit,
        other: commands_after.other - commands_before.other,
    };
    let rss = rss.lock().expect("rss").clone();
    SoakResult {
        report,
        seconds,
        scraped,
        builds: delta(builds_before, builds_after),
        drift_scans: delta(drift_before, drift_after),
        commands,
        global_selects: global_before.zip(global_after).map(|(a, b)| b - a),
        rss,
        exit,
        log_errors,
        database: if scratch {
            format!("small data set ({name}, dropped)")
        } else {
            name
        },
    }
}

/// Checks the soak's figures and records them.
fn judge(result: &SoakResult, scenario: &str, clients: usize) {
    let r = &result.report;
    let periods = (result.seconds / TTL.as_secs_f64()).ceil() as u64;
    let rss_before = result.rss.first().map_or(0, |s| s.1);
    // Compared from the first sample under load (buffers for 64
    // connections are allocated in the first second).
    let rss_first = result.rss.get(1).map_or(rss_before, |s| s.1);
    let rss_last = result.rss.last().map_or(0, |s| s.1);
    let rss_peak = result.rss.iter().map(|s| s.1).max().unwrap_or(0);
    // The trend after the first few seconds (allocator warm-up).
    let settled: Vec<(f64, f64)> = result
        .rss
        .iter()
        .filter(|(t, _)| *t >= 3.0)
        .map(|(t, kib)| (*t, *kib as f64))
        .collect();
    let trend_kib_per_s = slope(&settled);
    let figures = [
        ("database", result.database.clone()),
        ("clients", clients.to_string()),
        ("duration", format!("{:.1} s", result.seconds)),
        ("requests", format!("{} ({:.0}/s)", r.sent, r.sent as f64 / result.seconds)),
        ("answers", r.statuses_text()),
        ("timeouts", r.timeouts.to_string()),
        ("transport errors", r.errors.to_string()),
        ("latency", r.latencies.summary()),
        (
            "snapshots read by the scraper",
            format!("{} ({} distinct, {} not 200)", result.scraped.reads, result.scraped.distinct.len(), result.scraped.not_ok),
        ),
        ("snapshots with a failed section", result.scraped.failed_sections.to_string()),
        ("builds", format!("{} in {periods} cache periods", result.builds)),
        ("drift scans", result.drift_scans.to_string()),
        (
            "statements at the proxy",
            format!(
                "{} executes (≤ {SELECTS_PER_BUILD}×builds + drift scans = {}), {} prepares, {} text queries, {} resets",
                result.commands.execute,
                SELECTS_PER_BUILD * result.builds + result.drift_scans,
                result.commands.prepare,
                result.commands.query,
                result.commands.reset
            ),
        ),
        (
            "server Com_select delta (all clients of the server)",
            result.global_selects.map_or("n/a".to_owned(), |n| n.to_string()),
        ),
        (
            "RSS",
            format!(
                "{} MiB before the load, {} MiB after 1 s, {} MiB at the end, peak {} MiB, trend after 3 s {:+.1} KiB/s; \
                 samples (MiB, one per second): {}",
                rss_before / 1024,
                rss_first / 1024,
                rss_last / 1024,
                rss_peak / 1024,
                trend_kib_per_s,
                result.rss.iter().map(|(_, k)| (k / 1024).to_string()).collect::<Vec<_>>().join(" ")
            ),
        ),
        ("fleetd errors logged", result.log_errors.to_string()),
        ("exit after SIGTERM", format!("{:?}", result.exit)),
    ];
    record(
        scenario,
        &format!("{clients} clients on loopback for {:.0} s, cache period 1 s, mixed routes (page, JSON, filtered page, process page, readyz, metrics) while a scraper reads /api/fleet every 250 ms", result.seconds),
        "no timeout, no 5xx, no section failed, one build per cache period at most, statements = 5 per build + drift scans, RSS flat",
        &figures,
    );

    assert_eq!(r.timeouts, 0, "timeouts: {}", r.latencies.summary());
    assert_eq!(r.errors, 0, "transport errors");
    assert_eq!(r.server_errors(), 0, "5xx: {}", r.statuses_text());
    assert_eq!(r.count(200), r.sent, "{}", r.statuses_text());
    assert_eq!(result.scraped.not_ok, 0);
    assert_eq!(
        result.scraped.failed_sections, 0,
        "sections failed under load: {:?}",
        result.scraped.failures
    );
    assert!(result.builds >= 1, "the cache expired and was rebuilt");
    assert!(
        result.builds <= periods + 1,
        "{} builds in {periods} cache periods",
        result.builds
    );
    // One build may straddle the first scrape (counted before it, its
    // statements inside the window): the history refresher samples every
    // 15 s whatever the load does, so its build can be that one.
    assert!(
        result.commands.execute <= SELECTS_PER_BUILD * (result.builds + 1) + result.drift_scans + 2,
        "{:?} for {} builds and {} drift scans",
        result.commands,
        result.builds,
        result.drift_scans
    );
    // Flat: no more than 32 MiB or half again above the first sample.
    assert!(
        rss_last <= rss_first + (rss_first / 2).max(32 * 1024),
        "RSS grew from {rss_first} KiB to {rss_last} KiB"
    );
    assert_eq!(result.log_errors, 0);
    assert_eq!(result.exit, Some(0), "graceful exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_short_64_clients_with_a_1_s_cache_get_no_timeouts_no_5xx_and_one_build_per_period() {
    let secs = env_or("FLEETD_SOAK_SECS", 8);
    let clients = env_or("FLEETD_SOAK_CLIENTS", 64);
    let result = soak(None, secs, clients).await;
    judge(&result, "soak_short", clients);
}

/// The long soak on a named database (`scripts/soak` sets the variables).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long; run by scripts/soak"]
async fn soak_long_on_the_large_database() {
    let secs = env_or("FLEETD_SOAK_SECS", 45);
    let clients = env_or("FLEETD_SOAK_CLIENTS", 64);
    let database = std::env::var("FLEETD_SOAK_DATABASE")
        .ok()
        .filter(|d| !d.is_empty());
    let result = soak(database, secs, clients).await;
    judge(&result, "soak_long", clients);
}
