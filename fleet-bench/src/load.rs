//! The load benchmark: fleetd on a seeded database, measured with wrk.
//!
//! Phases, each on a freshly started `fleetd serve` (loopback port, a
//! generated config pointing at the database), each after fleetd's first
//! drift scan has finished (seen in its `/metrics`):
//!
//! 1. sections: per-section cold read timings and the drift scan, straight
//!    through `fleet_sql::FleetReader` (fleetd does not surface them);
//! 2. warm: cache TTL of an hour, one snapshot built, then wrk with 32
//!    connections on `/api/fleet` and on `/fleet`; database selects and
//!    builds during the runs (both should be 0);
//! 3. cold: cache off (`ttl_ms = 0`), one connection (sequential requests),
//!    on `/api/fleet` and `/fleet`: every request builds a snapshot;
//! 4. drift running: cache off, drift rescanned every second, sequential
//!    `/api/fleet` requests: the slowest must not wait for a scan;
//! 5. load: 1 s cache, 64 clients (32 on `/api/fleet`, 32 on `/fleet`):
//!    `Com_select` growth per snapshot build, builds per cache period,
//!    fleetd's peak RSS;
//! 6. bytes on the wire ([`wire`]): warm fleetd with `Accept-Encoding:
//!    gzip`, `br` and `If-None-Match`, side by side with nginx
//!    `gzip_static` serving the same bytes on a loopback port.
//!
//! Builds and drift scans are counted by fleetd's `/metrics`
//! (`fleetd_snapshot_builds_total`, `fleetd_drift_scans_total`, the drift
//! scan duration histogram); its log is kept only to show when it fails.
//!
//! The run fails (non-zero exit) when the tooling breaks: fleetd does not
//! start or dies, wrk fails, a response is not 2xx. Missed targets are
//! reported, never a failure.

use crate::machine::{self, CpuMark, CpuUse, Machine, Rss};
use crate::metrics::FleetdCounters;
use crate::sections::{self, SectionsReport};
use crate::stats::ms;
use crate::wrk::{self, WrkReport, WrkSpec};
use crate::{DbArgs, Result};
use clap::Args;
use fleet_bench::database_url;
use fleet_bench::server::{self, ServerStatus, UserCommands};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

mod wire;

#[derive(Debug, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The fleetd binary [default: `fleetd` next to fleet-bench].
    #[arg(long)]
    fleetd: Option<PathBuf>,
    /// The wrk binary.
    #[arg(long, default_value = "wrk")]
    wrk: PathBuf,
    /// CI mode: 3 s runs and few cold reads (the tooling is exercised; the
    /// figures mean little).
    #[arg(long)]
    quick: bool,
    /// Seconds per wrk run [default: 30; --quick 3].
    #[arg(long)]
    duration: Option<u64>,
    /// Sequential cold reads timed per section [default: 100; --quick 10].
    #[arg(long)]
    cold_runs: Option<usize>,
    /// Drift scans timed [default: 3; --quick 1].
    #[arg(long)]
    drift_runs: Option<usize>,
    #[arg(long, default_value_t = 1000)]
    bucket_total: u32,
    /// Before each measurement, wait up to this many seconds for other
    /// processes to leave the machine nearly idle [default: 120; --quick 0].
    #[arg(long)]
    wait_quiet: Option<u64>,
    /// Repeat a warm or cold measurement up to this many times while other
    /// processes disturb it (keeping the least disturbed) [default: 2; --quick 0].
    #[arg(long)]
    repeat_disturbed: Option<u32>,
    /// Also write the report to this file.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// How long fleetd may take to answer /healthz and to finish its first
/// drift scan (the scan's own statement limit is 60 s).
const START_TIMEOUT: Duration = Duration::from_secs(20);
const DRIFT_TIMEOUT: Duration = Duration::from_secs(120);
/// The cache TTL of the warm phase: longer than the phase.
const WARM_TTL_MS: u64 = 3_600_000;
/// Drift interval when drift must not interfere.
const QUIET_DRIFT_SEC: u64 = 3_600;
/// The cache TTL of the load phase.
const LOAD_TTL_MS: u64 = 1_000;
/// Cache TTLs up to this are waited out before counting builds (see
/// `Fleetd::builds_since`); longer ones outlast a phase.
const SHORT_TTL: Duration = Duration::from_secs(5);

/// The report, printed as it is written.
#[derive(Debug, Default)]
struct Out {
    text: String,
}

impl Out {
    fn line(&mut self, line: impl AsRef<str>) {
        println!("{}", line.as_ref());
        self.text.push_str(line.as_ref());
        self.text.push('\n');
    }
}

/// How long fleetd may take to apply a reload (SIGHUP).
const RELOAD_TIMEOUT: Duration = Duration::from_secs(10);

/// A running fleetd child process. Killed when dropped.
struct Fleetd {
    child: Child,
    pid: u32,
    base: String,
    /// Its cache TTL (`cache.ttl_ms`).
    ttl: Duration,
    client: reqwest::Client,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Fleetd {
    async fn start(db: &Reader, ttl_ms: u64, drift_sec: u64) -> Result<Fleetd> {
        let (bin, db_url, bucket_total) = (&db.fleetd, &db.url, db.bucket_total);
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let config = dir.path().join("fleetd.toml");
        let password_file = dir.path().join("db-password");
        std::fs::write(&password_file, &db.password)?;
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:{port}\"\n\
                 [database]\nurl = \"{db_url}\"\npassword_file = \"{}\"\npool_max = 8\n\
                 [fleet]\nbucket_total = {bucket_total}\n\
                 [cache]\nttl_ms = {ttl_ms}\ndrift_interval_sec = {drift_sec}\n\
                 [log]\nlevel = \"info\"\n",
                password_file.display()
            ),
        )?;
        let log = dir.path().join("fleetd.log");
        let stderr = std::fs::File::create(&log)?;
        let mut command = Command::new(bin);
        command
            .arg("serve")
            .arg("--config")
            .arg(&config)
            // The configured level: the log only explains a failure.
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true);
        for (key, _) in std::env::vars() {
            if key.starts_with("FLEETD_") {
                command.env_remove(key);
            }
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let pid = child.id().ok_or("fleetd exited at once")?;
        let mut fleetd = Fleetd {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
            ttl: Duration::from_millis(ttl_ms),
            client: reqwest::Client::new(),
            log,
            _dir: dir,
        };
        fleetd.wait_healthy().await?;
        Ok(fleetd)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// fleetd's counters now. A scrape goes through the snapshot cache like
    /// every request: when the cached snapshot has expired, it builds one,
    /// and that build is in the figures it returns.
    async fn counters(&self) -> Result<FleetdCounters> {
        let body = get(&self.client, &self.url("/metrics")).await?;
        Ok(FleetdCounters::parse(&String::from_utf8_lossy(&body))?)
    }

    /// Snapshot builds started since `before` (the `builds` of an earlier
    /// [`Self::counters`]), without the one this scrape may cause: with a
    /// short cache TTL it first waits the cache out, so that the scrape
    /// surely builds exactly one snapshot, and counts that one out; with a
    /// long one (the warm phase) the cached snapshot serves the scrape.
    async fn builds_since(&self, before: u64) -> Result<u64> {
        if self.ttl > SHORT_TTL {
            return Ok(self.counters().await?.builds.saturating_sub(before));
        }
        tokio::time::sleep(self.ttl + Duration::from_millis(100)).await;
        let after = self.counters().await?.builds;
        Ok(after.saturating_sub(before).saturating_sub(1))
    }

    fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            return Err(format!("fleetd exited ({status}); its log:\n{}", self.log_tail()).into());
        }
        Ok(())
    }

    async fn wait_healthy(&mut self) -> Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            self.check_alive()?;
            if let Ok(resp) = client.get(self.url("/healthz")).send().await {
                if resp.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "fleetd did not answer /healthz within {START_TIMEOUT:?}; its log:\n{}",
                    self.log_tail()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until fleetd has a drift result, then has it start a new
    /// cache generation; returns the mean duration of the scans finished by
    /// then (the first scan, unless drift rescans every second).
    ///
    /// The scrapes that watch for the scan may have cached a snapshot built
    /// before the scan finished, and with a long TTL it would be served for
    /// the whole phase. A reload (SIGHUP, same configuration) always starts
    /// a new generation: the next request builds with the drift result.
    async fn wait_for_drift(&mut self) -> Result<Duration> {
        let deadline = Instant::now() + DRIFT_TIMEOUT;
        let counters = loop {
            self.check_alive()?;
            let counters = self.counters().await?;
            if counters.drift_scan_failures > 0 {
                return Err(format!(
                    "fleetd's first drift scan failed; its log:\n{}",
                    self.log_tail()
                )
                .into());
            }
            if counters.drift_scans > 0 {
                break counters;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "fleetd finished no drift scan within {DRIFT_TIMEOUT:?}; its log:\n{}",
                    self.log_tail()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        self.reload(counters.reloads).await?;
        Ok(counters.mean_drift_scan_since(&FleetdCounters::default()))
    }

    /// Sends SIGHUP and waits until fleetd counts one more reload than
    /// `before`; fails if the reload failed.
    async fn reload(&mut self, before: u64) -> Result<()> {
        let status = Command::new("kill")
            .arg("-HUP")
            .arg(self.pid.to_string())
            .status()
            .await?;
        if !status.success() {
            return Err(format!("kill -HUP {} failed: {status}", self.pid).into());
        }
        let deadline = Instant::now() + RELOAD_TIMEOUT;
        loop {
            self.check_alive()?;
            let counters = self.counters().await?;
            if counters.reload_failures > 0 {
                return Err(
                    format!("fleetd's reload failed; its log:\n{}", self.log_tail()).into(),
                );
            }
            if counters.reloads > before {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "fleetd did not reload within {RELOAD_TIMEOUT:?}; its log:\n{}",
                    self.log_tail()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn rss(&self) -> Result<Rss> {
        Rss::of(self.pid).ok_or_else(|| "cannot read fleetd's /proc status".into())
    }

    /// Peak RSS, then stop.
    async fn stop(mut self) -> Result<Rss> {
        self.check_alive()?;
        let rss = self.rss()?;
        self.child.kill().await?;
        Ok(rss)
    }
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// GET `url`; fails unless 2xx. Returns the body.
async fn get(client: &reqwest::Client, url: &str) -> Result<Vec<u8>> {
    let resp = client.get(url).send().await?;
    let status = resp.status();
    let body = resp.bytes().await?.to_vec();
    if !status.is_success() {
        return Err(format!("GET {url}: {status}: {}", String::from_utf8_lossy(&body)).into());
    }
    Ok(body)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "MET"
    } else {
        "NOT MET"
    }
}

/// How fleetd reaches the database: a SELECT-only account made for the run.
struct Reader {
    fleetd: PathBuf,
    url: String,
    password: String,
    bucket_total: u32,
}

/// The account fleetd uses during the run; its statements are counted by
/// the server's per-account statistics.
const READER_USER: &str = "fleetd_bench_reader";

pub async fn run(args: LoadArgs) -> Result<()> {
    let admin_url = args.db.admin_url.clone();
    let mut status = ServerStatus::connect(&admin_url).await?;
    let userstat_before = status.enable_user_statistics().await?;
    let password = format!(
        "fb-{:x}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
        std::process::id()
    );
    let result =
        match server::create_reader_account(&admin_url, &args.db.database, READER_USER, &password)
            .await
        {
            Ok(url) => {
                let reader = Reader {
                    fleetd: args.fleetd.clone().unwrap_or_else(crate::default_fleetd),
                    url,
                    password,
                    bucket_total: args.bucket_total,
                };
                let counted = userstat_before.is_some();
                run_phases(&args, &reader, &mut status, counted).await
            }
            Err(err) => Err(err.into()),
        };
    // Leave the server as it was.
    if let Err(err) = server::drop_reader_account(&admin_url, READER_USER).await {
        eprintln!("fleet-bench: could not drop the account {READER_USER}: {err}");
    }
    if let Some(was_on) = userstat_before {
        if let Err(err) = status.restore_user_statistics(was_on).await {
            eprintln!("fleet-bench: could not restore userstat: {err}");
        }
    }
    status.close().await;
    result
}

/// fleetd's own statements, or the server-wide `Com_select` where the
/// server keeps no per-account statistics.
async fn counters(status: &mut ServerStatus, counted: bool) -> Result<UserCommands> {
    if counted {
        Ok(status.user_commands(READER_USER).await?)
    } else {
        let selects = status.read(&["Com_select"]).await?[0];
        Ok(UserCommands {
            selects,
            ..UserCommands::default()
        })
    }
}

/// Runs wrk and keeps the report.
struct Bench<'a> {
    args: &'a LoadArgs,
    duration: Duration,
    wait_quiet: Duration,
    out: Out,
    /// Tooling failures: the run fails.
    errors: Vec<String>,
    /// Measurements during which other processes used the machine.
    disturbed: Vec<String>,
}

impl Bench<'_> {
    /// Runs one wrk per `(label, path, threads, connections)` at once
    /// against `fleetd`, after waiting (bounded) for other processes to
    /// leave the machine; prints each report and where the CPU went.
    async fn wrk(
        &mut self,
        fleetd: &Fleetd,
        runs: &[(&str, &str, u32, u32)],
    ) -> Result<(Vec<WrkReport>, CpuUse)> {
        self.wrk_repeating(fleetd, runs, 0).await
    }

    /// [`Self::wrk`], repeated up to `repeats` more times while other
    /// processes disturb it; keeps the least disturbed attempt.
    async fn wrk_repeating(
        &mut self,
        fleetd: &Fleetd,
        runs: &[(&str, &str, u32, u32)],
        repeats: u32,
    ) -> Result<(Vec<WrkReport>, CpuUse)> {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut best: Option<(Vec<WrkReport>, CpuUse)> = None;
        let mut attempts = 0;
        for _ in 0..=repeats {
            attempts += 1;
            let (reports, cpu) = self.wrk_once(fleetd, runs).await?;
            for report in &reports {
                self.errors.extend(report.tooling_errors());
            }
            let better = best.as_ref().is_none_or(|(_, b)| cpu.others() < b.others());
            if better {
                best = Some((reports, cpu));
            }
            if !cpu.disturbed(cpus) {
                break;
            }
        }
        let (reports, cpu) = best.ok_or("no wrk run")?;
        for ((label, _, _, _), report) in runs.iter().zip(&reports) {
            self.out.line(format!("  {label:<34} {report}"));
        }
        let disturbed = cpu.disturbed(cpus);
        self.out.line(format!(
            "    {cpu}{}{}",
            if attempts > 1 {
                format!(" (least disturbed of {attempts} attempts)")
            } else {
                String::new()
            },
            if disturbed {
                "  DISTURBED: other processes used over 10% of the machine"
            } else {
                ""
            }
        ));
        if disturbed {
            self.disturbed
                .push(runs.iter().map(|r| r.0).collect::<Vec<_>>().join(" + "));
        }
        Ok((reports, cpu))
    }

    async fn wrk_once(
        &mut self,
        fleetd: &Fleetd,
        runs: &[(&str, &str, u32, u32)],
    ) -> Result<(Vec<WrkReport>, CpuUse)> {
        if !self.wait_quiet.is_zero() && !machine::wait_until_quiet(self.wait_quiet).await {
            self.out.line(format!(
                "  (the machine did not become quiet within {:?}; measuring anyway)",
                self.wait_quiet
            ));
        }
        let urls: Vec<String> = runs
            .iter()
            .map(|(_, path, _, _)| fleetd.url(path))
            .collect();
        let specs: Vec<WrkSpec<'_>> = runs
            .iter()
            .zip(&urls)
            .map(|((_, _, threads, connections), url)| WrkSpec {
                url,
                threads: *threads,
                connections: *connections,
                duration: self.duration,
                headers: &[],
            })
            .collect();
        let mark = CpuMark::now(fleetd.pid);
        let reports = futures_util::future::try_join_all(
            specs.iter().map(|spec| wrk::run(&self.args.wrk, spec)),
        )
        .await?;
        let cpu = mark.since(fleetd.pid, reports.iter().map(|r| r.cpu).sum());
        Ok((reports, cpu))
    }
}

async fn run_phases(
    args: &LoadArgs,
    reader: &Reader,
    status: &mut ServerStatus,
    counted: bool,
) -> Result<()> {
    let quick = args.quick;
    let secs = args.duration.unwrap_or(if quick { 3 } else { 30 });
    let cold_runs = args.cold_runs.unwrap_or(if quick { 10 } else { 100 });
    let drift_runs = args.drift_runs.unwrap_or(if quick { 1 } else { 3 });
    let wait_quiet = args.wait_quiet.unwrap_or(if quick { 0 } else { 120 });
    let repeats = args.repeat_disturbed.unwrap_or(if quick { 0 } else { 2 });
    let admin_url = &args.db.admin_url;
    let admin_db_url = database_url(admin_url, &args.db.database)?;
    let bucket_total = args.bucket_total;
    let mut b = Bench {
        args,
        duration: Duration::from_secs(secs),
        wait_quiet: Duration::from_secs(wait_quiet),
        out: Out::default(),
        errors: Vec::new(),
        disturbed: Vec::new(),
    };
    let source = if counted {
        format!("statements of fleetd's account `{READER_USER}` (MariaDB USER_STATISTICS)")
    } else {
        "server-wide Com_select (no per-account statistics on this server)".to_string()
    };

    let server = server::server_info(admin_url).await?;
    b.out.line(format!(
        "# fleetd load benchmark{}",
        if quick { " (--quick)" } else { "" }
    ));
    b.out.line(format!("machine:  {}", Machine::read()));
    b.out.line(format!(
        "database: {} (innodb_buffer_pool_size {} MiB, flush {}, in-memory tmp tables up to {} MiB), database `{}`",
        server.version,
        server.buffer_pool_bytes / (1 << 20),
        server.flush_method,
        server.tmp_memory_table_bytes / (1 << 20),
        args.db.database
    ));
    for t in server::table_sizes(admin_url, &args.db.database).await? {
        b.out.line(format!(
            "  {:<28} ~{:>9} rows  data {:>6} MiB  indexes {:>6} MiB",
            t.table,
            t.rows_estimate,
            t.data_bytes >> 20,
            t.index_bytes >> 20
        ));
    }
    b.out.line(format!(
        "fleetd:   {} (database account `{READER_USER}`: SELECT only)",
        reader.fleetd.display()
    ));
    b.out.line(format!(
        "wrk runs: {secs} s each, each after waiting up to {wait_quiet} s for a quiet machine; \
         database work counted as {source}"
    ));

    // 1. Sections, without fleetd running.
    b.out.line("");
    b.out
        .line("## 1. cold read per section (fleet-bench, through fleet_sql::FleetReader)");
    if !b.wait_quiet.is_zero() {
        machine::wait_until_quiet(b.wait_quiet).await;
    }
    let sections = sections::measure(
        admin_url,
        &admin_db_url,
        cold_runs,
        drift_runs,
        bucket_total,
    )
    .await?;
    for line in sections.to_string().lines() {
        b.out.line(line);
    }

    let client = reqwest::Client::new();

    // 2. Warm cache.
    b.out.line("");
    b.out
        .line("## 2. warm cache (ttl 1 h: one snapshot serves every request)");
    let mut fleetd = Fleetd::start(reader, WARM_TTL_MS, QUIET_DRIFT_SEC).await?;
    let drift_took = fleetd.wait_for_drift().await?;
    b.out
        .line(format!("  fleetd's first drift scan: {}", ms(drift_took)));
    let json = get(&client, &fleetd.url("/api/fleet")).await?;
    let snapshot: serde_json::Value = serde_json::from_slice(&json)?;
    let drift = &snapshot["projection_drift"];
    if drift
        .get("checked_at")
        .is_none_or(serde_json::Value::is_null)
    {
        b.errors.push(format!(
            "the snapshot has no drift result after the first scan: {drift}"
        ));
    }
    let processes = snapshot["processes"].as_array().map_or(0, Vec::len);
    let page = get(&client, &fleetd.url("/fleet")).await?;
    b.out.line(format!(
        "  /api/fleet: {} bytes ({} processes, fleet status {}, drift count {} status {}); /fleet: {} bytes",
        json.len(),
        processes,
        snapshot["summary"]["status"],
        drift["count"],
        drift["status"],
        page.len()
    ));
    let builds_before = fleetd.counters().await?.builds;
    // Let the connections used by that build finish their background reset.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = counters(status, counted).await?;
    let (mut warm_api, _) = b
        .wrk(
            &fleetd,
            &[("/api/fleet, 32 connections:", "/api/fleet", 2, 32)],
        )
        .await?;
    let (_warm_page, _) = b
        .wrk_repeating(
            &fleetd,
            &[("/fleet, 32 connections:", "/fleet", 2, 32)],
            repeats,
        )
        .await?;
    let warm_api = warm_api.remove(0);
    let warm_db = counters(status, counted).await?.since(&before);
    let warm_builds = fleetd.builds_since(builds_before).await?;
    let warm_rss = fleetd.stop().await?;
    b.out.line(format!(
        "  during both runs: {warm_builds} snapshot builds; database: {} selects, {} other statements, {} new connections; fleetd peak RSS {:.1} MiB",
        warm_db.selects,
        warm_db.other + warm_db.updates,
        warm_db.connections,
        warm_rss.peak_mib()
    ));

    // 3. Cold: every request builds.
    b.out.line("");
    b.out
        .line("## 3. cold snapshot (ttl_ms = 0, one connection: sequential requests, each builds)");
    let mut fleetd = Fleetd::start(reader, 0, QUIET_DRIFT_SEC).await?;
    fleetd.wait_for_drift().await?;
    let builds_before = fleetd.counters().await?.builds;
    let (mut cold_api, _) = b
        .wrk_repeating(
            &fleetd,
            &[("/api/fleet, sequential:", "/api/fleet", 1, 1)],
            repeats,
        )
        .await?;
    let (mut cold_page, _) = b
        .wrk_repeating(&fleetd, &[("/fleet, sequential:", "/fleet", 1, 1)], repeats)
        .await?;
    let (cold_api, cold_page) = (cold_api.remove(0), cold_page.remove(0));
    let cold_builds = fleetd.builds_since(builds_before).await?;
    let cold_rss = fleetd.stop().await?;
    b.out.line(format!(
        "  {cold_builds} builds for {} requests; fleetd peak RSS {:.1} MiB",
        cold_api.requests + cold_page.requests,
        cold_rss.peak_mib()
    ));

    // 4. Cold while drift rescans continuously.
    b.out.line("");
    b.out
        .line("## 4. cold snapshot while the drift scan runs (ttl_ms = 0, drift every 1 s)");
    let mut fleetd = Fleetd::start(reader, 0, 1).await?;
    fleetd.wait_for_drift().await?;
    let scans_before = fleetd.counters().await?;
    let (mut during_drift, _) = b
        .wrk_repeating(
            &fleetd,
            &[("/api/fleet, sequential:", "/api/fleet", 1, 1)],
            repeats,
        )
        .await?;
    let during_drift = during_drift.remove(0);
    let scans_after = fleetd.counters().await?;
    let scans = scans_after.drift_scans - scans_before.drift_scans;
    let scans_failed = scans_after.drift_scan_failures - scans_before.drift_scan_failures;
    let scan_mean = scans_after.mean_drift_scan_since(&scans_before);
    let drift_rss = fleetd.stop().await?;
    b.out.line(format!(
        "  drift scans finished during the run: {scans} (mean {}, {scans_failed} failed); fleetd peak RSS {:.1} MiB",
        ms(scan_mean),
        drift_rss.peak_mib()
    ));

    // 5. Load: 1 s cache, 64 clients.
    b.out.line("");
    b.out
        .line("## 5. load (ttl 1 s, 64 connections: 32 on /api/fleet + 32 on /fleet at once)");
    let mut fleetd = Fleetd::start(reader, LOAD_TTL_MS, QUIET_DRIFT_SEC).await?;
    fleetd.wait_for_drift().await?;
    get(&client, &fleetd.url("/api/fleet")).await?;
    get(&client, &fleetd.url("/fleet")).await?;
    let builds_before = fleetd.counters().await?.builds;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = counters(status, counted).await?;
    let (load_reports, _) = b
        .wrk(
            &fleetd,
            &[
                ("/api/fleet, 32 of 64 connections:", "/api/fleet", 1, 32),
                ("/fleet, 32 of 64 connections:", "/fleet", 1, 32),
            ],
        )
        .await?;
    // The time under load (not the wait for a quiet machine before it).
    let loaded_secs = load_reports.iter().map(|r| r.seconds).fold(0.0, f64::max);
    let load_db = counters(status, counted).await?.since(&before);
    let load_builds = fleetd.builds_since(builds_before).await?;
    let load_rss = fleetd.stop().await?;
    let periods = loaded_secs / (LOAD_TTL_MS as f64 / 1000.0);
    let per_build = load_db.selects as f64 / (load_builds.max(1) as f64);
    b.out.line(format!(
        "  {load_builds} snapshot builds in {loaded_secs:.1} s under load ({periods:.1} cache periods of {LOAD_TTL_MS} ms)"
    ));
    b.out.line(format!(
        "  database: {} selects = {per_build:.2} per build ({} other statements = {:.2} per build: session resets and setup; {} new connections)",
        load_db.selects,
        load_db.other + load_db.updates,
        (load_db.other + load_db.updates) as f64 / (load_builds.max(1) as f64),
        load_db.connections
    ));
    b.out.line(format!(
        "  fleetd peak RSS (VmHWM) {:.1} MiB, RSS at the end {:.1} MiB",
        load_rss.peak_mib(),
        load_rss.now_kib as f64 / 1024.0
    ));

    // 6. Bytes on the wire, beside nginx gzip_static.
    let wire_targets = wire::phase(&mut b, reader).await?;

    // Targets (issue 7, item 4).
    b.out.line("");
    b.out.line("## targets");
    let targets = Targets {
        quick,
        warm_api: &warm_api,
        warm_builds,
        warm_db,
        sections: &sections,
        cold_api: &cold_api,
        cold_page: &cold_page,
        during_drift: &during_drift,
        drift_scan: scan_mean.max(drift_took),
        load_builds,
        periods,
        per_build,
        peak_rss_mib: [warm_rss, cold_rss, drift_rss, load_rss]
            .iter()
            .map(Rss::peak_mib)
            .fold(0.0, f64::max),
        load_rss_mib: load_rss.peak_mib(),
    };
    for line in targets.lines() {
        b.out.line(line);
    }
    b.out.line(
        "  render of the 1,000-process page < 5 ms: see `cargo bench -p fleetd --bench render`",
    );
    for line in wire_targets {
        b.out.line(line);
    }
    if !b.disturbed.is_empty() {
        b.out.line(format!(
            "  note: other processes used the machine during: {} (latency figures of those runs are disturbed)",
            b.disturbed.join("; ")
        ));
    }

    if let Some(path) = &args.report {
        std::fs::write(path, &b.out.text)?;
    }
    if !b.errors.is_empty() {
        return Err(format!("the benchmark tooling failed:\n  {}", b.errors.join("\n  ")).into());
    }
    Ok(())
}

struct Targets<'a> {
    quick: bool,
    warm_api: &'a WrkReport,
    warm_builds: u64,
    warm_db: UserCommands,
    sections: &'a SectionsReport,
    cold_api: &'a WrkReport,
    cold_page: &'a WrkReport,
    during_drift: &'a WrkReport,
    /// fleetd's own scans: the longer of the first one and the mean of
    /// those during phase 4.
    drift_scan: Duration,
    load_builds: u64,
    periods: f64,
    per_build: f64,
    peak_rss_mib: f64,
    load_rss_mib: f64,
}

impl Targets<'_> {
    fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        fn add(lines: &mut Vec<String>, ok: bool, text: String) {
            let mut line = String::new();
            let _ = write!(line, "  [{:<7}] {text}", verdict(ok));
            lines.push(line);
        }
        if self.quick {
            lines.push(
                "  (--quick: a small database and short runs; the verdicts mean little)".into(),
            );
        }
        let w = self.warm_api;
        add(
            &mut lines,
            w.requests_per_sec >= 3000.0 && w.p99 < Duration::from_millis(10) && w.timeouts == 0,
            format!(
                "warm /api/fleet at 32 connections: {:.0} req/s (>= 3000), p99 {} (< 10 ms), {} socket timeouts (0)",
                w.requests_per_sec,
                ms(w.p99),
                w.timeouts
            ),
        );
        let warm_statements = self.warm_db.selects + self.warm_db.updates + self.warm_db.other;
        add(
            &mut lines,
            self.warm_builds == 0 && warm_statements == 0,
            format!(
                "warm cache does no database work: {} builds, {} statements during the warm runs (0)",
                self.warm_builds, warm_statements
            ),
        );
        let s = self.sections;
        add(
            &mut lines,
            self.cold_api.p50 < Duration::from_millis(75),
            format!(
                "cold build of everything but drift < 75 ms: /api/fleet cold p50 {} (p99 {}); /fleet cold p50 {}; read_fleet p50 {}",
                ms(self.cold_api.p50),
                ms(self.cold_api.p99),
                ms(self.cold_page.p50),
                ms(s.read.p50)
            ),
        );
        let ratio_http = self.cold_api.p50.as_secs_f64() / s.slowest.p50.as_secs_f64().max(1e-9);
        add(
            &mut lines,
            s.read_over_slowest <= 1.2,
            format!(
                "cold read <= 1.2 x its slowest section: read_fleet / slowest = {:.2} (median of runs); \
                 end-to-end /api/fleet cold p50 / slowest section p50 = {ratio_http:.2}",
                s.read_over_slowest
            ),
        );
        let delivery: Vec<_> = ["webhook_deliveries", "alert_deliveries"]
            .iter()
            .filter_map(|n| s.section(n).map(|sum| (*n, sum)))
            .collect();
        let scans: Vec<String> = s
            .delivery_plans
            .iter()
            .flat_map(|(_, plan)| SectionsReport::full_scans(plan))
            .collect();
        add(
            &mut lines,
            delivery.iter().all(|(_, sum)| sum.p95 < Duration::from_millis(50)) && scans.is_empty(),
            format!(
                "delivery sections < 50 ms, no scan of historical rows: {}; full scans in plans: {}",
                delivery
                    .iter()
                    .map(|(n, sum)| format!("{n} p50 {} p95 {}", ms(sum.p50), ms(sum.p95)))
                    .collect::<Vec<_>>()
                    .join(", "),
                if scans.is_empty() { "none".to_string() } else { scans.join(", ") }
            ),
        );
        add(
            &mut lines,
            s.drift_tmp_disk_tables == 0,
            format!(
                "projection drift measured: p50 {} over {} scans (fleetd's own scans: {} on average); {} temporary tables on disk",
                ms(s.drift.p50),
                s.drift.n,
                ms(self.drift_scan),
                s.drift_tmp_disk_tables
            ),
        );
        // Only telling when a scan takes much longer than a cold request.
        if self.drift_scan > self.during_drift.p50 * 5 {
            add(
            &mut lines,
                self.during_drift.max < self.drift_scan,
                format!(
                    "no request waits for the drift scan: slowest cold request while scans ran {} < one scan {}",
                    ms(self.during_drift.max),
                    ms(self.drift_scan)
                ),
            );
        } else {
            lines.push(format!(
                "  [n/a    ] no request waits for the drift scan: a scan ({}) is too short here to tell (slowest request {})",
                ms(self.drift_scan),
                ms(self.during_drift.max)
            ));
        }
        add(
            &mut lines,
            (self.load_builds as f64) <= self.periods + 1.0,
            format!(
                "one build per cache period under 64 clients: {} builds in {:.1} periods; {:.2} selects per build",
                self.load_builds, self.periods, self.per_build
            ),
        );
        add(
            &mut lines,
            self.load_rss_mib < 30.0,
            format!(
                "fleetd RSS < 30 MB during the load run: peak {:.1} MiB (highest of all phases {:.1} MiB)",
                self.load_rss_mib, self.peak_rss_mib
            ),
        );
        lines
    }
}
