//! Shared pieces of the reliability scenarios: recording figures, timing
//! requests, loading fleetd with concurrent clients, holding table locks.

#![allow(dead_code)] // each scenario uses a different subset

use fleet_sql::testing::ScratchDb;
use mysql_async::prelude::Queryable;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the scenarios write their figures: one Markdown table row per
/// scenario, `target/tmp/reliability/<scenario>.md`.
pub fn results_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reliability")
}

/// Prints a scenario's figures and writes them as a table row (scenario |
/// injected | what fleetd did | figures) for docs/reliability.md.
pub fn record(scenario: &str, injected: &str, outcome: &str, figures: &[(&str, String)]) {
    let figures = figures
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect::<Vec<_>>()
        .join("; ");
    let row = format!("| `{scenario}` | {injected} | {outcome} | {figures} |\n");
    eprintln!("RELIABILITY {row}");
    let dir = results_dir();
    if let Err(err) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join(format!("{scenario}.md")), &row))
    {
        eprintln!(
            "cannot write the figures of {scenario} to {}: {err}",
            dir.display()
        );
    }
}

/// Milliseconds, for figures.
pub fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

/// Runs `future`, returning its output and how long it took.
pub async fn timed<T>(future: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let out = future.await;
    (out, started.elapsed())
}

/// Latencies of a set of requests.
#[derive(Debug, Default, Clone)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: &Latencies) {
        self.0.extend_from_slice(&other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn max(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }

    /// The `p`-th percentile (0..=100), nearest rank.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    /// "p50 3 ms, p99 12 ms, max 40 ms".
    pub fn summary(&self) -> String {
        format!(
            "p50 {}, p99 {}, max {}",
            ms(self.percentile(50.0)),
            ms(self.percentile(99.0)),
            ms(self.max())
        )
    }
}

/// What a burst of concurrent clients saw.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    pub sent: u64,
    /// Answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests the client gave up on (its timeout).
    pub timeouts: u64,
    /// Other transport errors (connection refused or reset).
    pub errors: u64,
    pub latencies: Latencies,
}

impl LoadReport {
    pub fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    pub fn server_errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| **status >= 500)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn merge(&mut self, other: &LoadReport) {
        self.sent += other.sent;
        for (status, n) in &other.statuses {
            *self.statuses.entry(*status).or_default() += n;
        }
        self.timeouts += other.timeouts;
        self.errors += other.errors;
        self.latencies.extend(&other.latencies);
    }

    /// "200×812 503×40".
    pub fn statuses_text(&self) -> String {
        let mut out = String::new();
        for (status, n) in &self.statuses {
            let _ = write!(out, "{}{status}×{n}", if out.is_empty() { "" } else { " " });
        }
        if out.is_empty() {
            out.push_str("none");
        }
        out
    }
}

/// `clients` concurrent clients, each requesting `paths` in turn (a
/// different starting point per client) for `duration`, each request
/// bounded by `request_timeout`. Every request uses a fresh connection
/// pool per client (keep-alive within a client, as a browser would).
pub async fn load(
    base: &str,
    paths: &[&str],
    clients: usize,
    duration: Duration,
    request_timeout: Duration,
) -> LoadReport {
    let deadline = Instant::now() + duration;
    let total = Arc::new(Mutex::new(LoadReport::default()));
    let mut tasks = Vec::new();
    for client_no in 0..clients {
        let urls: Vec<String> = paths.iter().map(|p| format!("{base}{p}")).collect();
        let total = total.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(request_timeout)
                .build()
                .expect("client");
            let mut mine = LoadReport::default();
            let mut i = client_no;
            while Instant::now() < deadline {
                let url = &urls[i % urls.len()];
                i += 1;
                mine.sent += 1;
                let started = Instant::now();
                let result = async {
                    let response = client.get(url).send().await?;
                    let status = response.status().as_u16();
                    response.bytes().await?;
                    Ok::<u16, reqwest::Error>(status)
                }
                .await;
                mine.latencies.push(started.elapsed());
                match result {
                    Ok(status) => *mine.statuses.entry(status).or_default() += 1,
                    Err(err) if err.is_timeout() => mine.timeouts += 1,
                    Err(_) => mine.errors += 1,
                }
            }
            total.lock().expect("report lock").merge(&mine);
        }));
    }
    for task in tasks {
        task.await.expect("client task");
    }
    let report = total.lock().expect("report lock").clone();
    report
}

/// Write locks on tables of a scratch database, held on a connection of
/// the test's own: every read of those tables waits until
/// [`TableLock::release`] (or until the reader's statement limit kills it).
/// This makes a query slow on the server itself, deterministically.
pub struct TableLock {
    conn: Option<mysql_async::Conn>,
}

impl TableLock {
    pub async fn hold(db: &ScratchDb, tables: &[&str]) -> TableLock {
        let opts = mysql_async::Opts::from_url(db.url()).expect("scratch url");
        let mut conn = mysql_async::Conn::new(opts).await.expect("lock connection");
        let list = tables
            .iter()
            .map(|t| format!("{t} WRITE"))
            .collect::<Vec<_>>()
            .join(", ");
        conn.query_drop(format!("LOCK TABLES {list}"))
            .await
            .expect("LOCK TABLES");
        TableLock { conn: Some(conn) }
    }

    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.query_drop("UNLOCK TABLES")
                .await
                .expect("UNLOCK TABLES");
            let _ = conn.disconnect().await;
        }
    }
}

/// `/metrics` if fleetd serves it yet (another part of the work adds it).
pub async fn metrics_text(client: &reqwest::Client, base: &str) -> Option<String> {
    let response = client.get(format!("{base}/metrics")).send().await.ok()?;
    if response.status() != reqwest::StatusCode::OK {
        return None;
    }
    response.text().await.ok()
}

/// Sample lines of a Prometheus text whose metric name contains `word`
/// and whose value is above zero.
pub fn nonzero_samples(metrics: &str, word: &str) -> Vec<String> {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            let name = line.split(['{', ' ']).next().unwrap_or("");
            let value = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok());
            name.contains(word) && value.is_some_and(|v| v > 0.0)
        })
        .map(str::to_owned)
        .collect()
}

/// The resident set size of a process, in KiB (Linux).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
