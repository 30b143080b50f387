//! The snapshot service: the one place that reads the database and builds
//! fleet snapshots.
//!
//! - Every route asks [`SnapshotService::current`]; the snapshot is cached in
//!   moka for `cache.ttl_ms` and concurrent misses share ONE build
//!   (`try_get_with`), so the database sees one read per cache period however
//!   many clients there are.
//! - A cached [`PreparedSnapshot`] carries its JSON already serialised and
//!   renders the default page once, on first use: warm requests copy a
//!   reference-counted buffer and do no other work.
//! - Projection drift is refreshed by a background task on its own interval
//!   ([`SnapshotService::spawn_drift_refresher`]); builds read the latest
//!   outcome from a slot and never wait for the scan.
//! - The last good snapshot and the time of the last failed build are kept
//!   for the stale-data banner. A failure is reused for
//!   [`FAILED_BUILD_BACKOFF`] so an outage is not hammered with reconnects.
//! - Every successful build is recorded in the status [`History`] (the
//!   page's "status since" and transitions, `/api/fleet/history`), and its
//!   fleet metrics are encoded once, on the first `/metrics` that needs them.
//!
//! Builds and drift scans run on the runtime given to [`SnapshotService::new`]
//! (the daemon's multi-threaded runtime), not on the HTTP worker that happened
//! to ask: the database pool's connections then all live on one runtime, and
//! a build outlives a client that disconnects.

use crate::history::{History, HistoryView};
use crate::metrics::{self, MetricsError, ScrapeState};
use crate::page::{self, PageContext, ProcessFilter, ProcessPageContext, StaleNotice};
use crate::settings::Settings;
use crate::stats::Stats;
use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use fleet_core::{DriftInput, FleetSnapshot, Thresholds};
use fleet_sql::{FleetReader, SectionTiming, SqlError};
use futures_util::future::{BoxFuture, FutureExt, Shared};
use moka::future::Cache;
use moka::Expiry;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};
use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Why the page shows stale data: generic on purpose, the cause (database
/// error text) is only logged.
pub const STALE_REASON: &str = "the database could not be read (the cause is in fleetd's log)";
/// Why the page shows stale data while a build is still running.
pub const SLOW_REASON: &str = "the database is slow to answer; a new snapshot is still being read";

/// After a failed build, requests get that failure for this long instead of
/// starting another build: during an outage the database (or the network
/// path to it) sees at most one connection attempt per period, and the stale
/// page does not wait for a connect timeout on every request.
pub const FAILED_BUILD_BACKOFF: Duration = Duration::from_secs(2);

/// The settings a running fleetd can change on SIGHUP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveConfig {
    pub thresholds: Thresholds,
    /// Zero: no caching beyond sharing one in-flight build.
    pub cache_ttl: Duration,
    pub drift_interval: Duration,
    /// How long a request waits for a build before it is answered without
    /// it (the build goes on and serves later requests).
    pub build_wait: Duration,
}

impl LiveConfig {
    pub fn from_settings(settings: &Settings) -> Self {
        LiveConfig {
            thresholds: settings.thresholds(),
            cache_ttl: settings.cache.ttl,
            drift_interval: settings.cache.drift_interval,
            build_wait: settings.cache.build_wait,
        }
    }
}

/// Why there is no snapshot. Display may contain database text: log it,
/// never send it.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("reading the fleet failed: {0}")]
    Read(#[from] SqlError),
    #[error("serialising the snapshot failed: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("the snapshot build task failed: {0}")]
    Task(String),
    /// The build is still running: the request stopped waiting for it.
    #[error("the snapshot build is taking longer than {} ms", .0.as_millis())]
    Slow(Duration),
}

/// A snapshot ready to serve: built once, read by every request until it
/// expires.
pub struct PreparedSnapshot {
    pub snapshot: FleetSnapshot,
    /// `snapshot` serialised once: the body of `/api/fleet`.
    pub json: Bytes,
    /// Wall-clock time the build finished.
    pub built_at: DateTime<Utc>,
    /// Monotonic time the build finished (for ages; immune to clock steps).
    pub built_instant: Instant,
    /// How long the build took (database read + rollup + serialisation).
    pub build_duration: Duration,
    /// Per-section database timings of this build.
    pub sections: Vec<SectionTiming>,
    /// The cache lifetime this snapshot was built under.
    ttl: Duration,
    base_path: Arc<str>,
    /// The service's status history (shown on the page).
    history: Arc<History>,
    /// The unfiltered page, rendered by the first request that needs it.
    page: OnceLock<Bytes>,
    /// The fleet part of `/metrics`, encoded by the first scrape that needs it.
    fleet_metrics: OnceLock<Result<String, Arc<MetricsError>>>,
}

impl PreparedSnapshot {
    /// The default (unfiltered, not stale) fleet page, rendered on first
    /// use and then shared.
    pub fn page_html(&self) -> Bytes {
        self.page
            .get_or_init(|| Bytes::from(self.render_page(None, &ProcessFilter::NONE)))
            .clone()
    }

    /// Renders the fleet page now (filtered, or with a stale-data notice);
    /// not cached. The history is read at render time: a snapshot is
    /// recorded before any page shows it, and the history only changes when
    /// a newer snapshot is built, so the page cached by [`Self::page_html`]
    /// stays true for as long as this snapshot is served.
    pub fn render_page(&self, stale: Option<StaleNotice>, filter: &ProcessFilter) -> String {
        let history = self.history.transitions();
        let since = self.history.status_since();
        page::fleet_page(&PageContext {
            snapshot: &self.snapshot,
            base_path: &self.base_path,
            now: Utc::now(),
            stale,
            filter,
            history: &history,
            status_since: since.at,
            status_since_exact: since.exact,
        })
        .into_string()
    }

    /// The fleet part of `/metrics` for this snapshot, encoded once.
    pub fn fleet_metrics(&self) -> Result<&str, Arc<MetricsError>> {
        self.fleet_metrics
            .get_or_init(|| {
                let mut out = String::with_capacity(4096);
                metrics::encode_fleet(&mut out, &self.snapshot)
                    .map(|()| out)
                    .map_err(|e| Arc::new(MetricsError::from(e)))
            })
            .as_ref()
            .map(String::as_str)
            .map_err(Arc::clone)
    }

    /// Renders the page of one process, `None` if the snapshot has no such
    /// process.
    pub fn render_process_page(
        &self,
        process_id: &str,
        stale: Option<StaleNotice>,
    ) -> Option<String> {
        let process = page::find_process(&self.snapshot, process_id)?;
        Some(
            page::process_page(&ProcessPageContext {
                snapshot: &self.snapshot,
                process,
                base_path: &self.base_path,
                now: Utc::now(),
                stale,
            })
            .into_string(),
        )
    }

    /// Age of this snapshot.
    pub fn age(&self) -> Duration {
        self.built_instant.elapsed()
    }
}

impl fmt::Debug for PreparedSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedSnapshot")
            .field("generated_at", &self.snapshot.generated_at)
            .field("status", &self.snapshot.summary.status)
            .field("json_bytes", &self.json.len())
            .field("built_at", &self.built_at)
            .field("build_duration", &self.build_duration)
            .field("page_rendered", &self.page.get().is_some())
            .finish_non_exhaustive()
    }
}

/// What the fleet page can show.
#[derive(Debug)]
pub enum PageSnapshot {
    Fresh(Arc<PreparedSnapshot>),
    /// The latest build failed; this is the last good snapshot.
    Stale {
        snapshot: Arc<PreparedSnapshot>,
        notice: StaleNotice,
    },
    /// No snapshot has ever been built.
    Unavailable,
}

/// Each cached snapshot expires after the TTL it was built under, so a TTL
/// changed by a reload applies from the next build on, without replacing
/// the cache.
struct TtlOfValue;

impl Expiry<u64, Arc<PreparedSnapshot>> for TtlOfValue {
    fn expire_after_create(
        &self,
        _generation: &u64,
        value: &Arc<PreparedSnapshot>,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Cheap to clone: all clones share the cache, slots and counters.
#[derive(Clone)]
pub struct SnapshotService {
    inner: Arc<Inner>,
}

struct Inner {
    reader: FleetReader,
    runtime: Handle,
    base_path: Arc<str>,
    live: RwLock<LiveConfig>,
    /// The cache key. A reload increments it, so the next request builds
    /// with the new thresholds while builds already running under the old
    /// ones finish into a key nobody asks for any more.
    generation: AtomicU64,
    cache: Cache<u64, Arc<PreparedSnapshot>>,
    /// The latest drift outcome and the bucket_total it was scanned for.
    drift: RwLock<(u32, DriftInput)>,
    drift_wake: Notify,
    last_good: RwLock<Option<Arc<PreparedSnapshot>>>,
    last_failure: RwLock<Option<Failure>>,
    /// The build running now, if any, shared by everyone who asks for it.
    /// It lives outside the callers' futures: a request that stops waiting
    /// (its client left, or `build_wait` passed) neither cancels it nor
    /// lets the next caller start a second build beside it.
    in_flight: Mutex<Option<InFlight>>,
    /// Processes whose dependency_health could not be parsed, with the
    /// parse error: logged when a row turns unreadable (or its error
    /// changes), not on every build.
    unreadable_dependency_health: Mutex<HashMap<String, String>>,
    history: Arc<History>,
    stats: Stats,
}

type BuildResult = Result<Arc<PreparedSnapshot>, Arc<SnapshotError>>;

/// A build in progress, for one cache generation.
struct InFlight {
    generation: u64,
    build: Shared<BoxFuture<'static, BuildResult>>,
}

/// The latest failed build.
struct Failure {
    at: DateTime<Utc>,
    instant: Instant,
    error: Arc<SnapshotError>,
}

impl fmt::Debug for SnapshotService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapshotService")
            .field("base_path", &self.inner.base_path)
            .field("live", &self.live())
            .field("generation", &self.inner.generation.load(Ordering::Relaxed))
            .field("stats", &self.inner.stats)
            .finish_non_exhaustive()
    }
}

impl SnapshotService {
    /// `runtime` runs the builds and the drift scans (see the module docs).
    pub fn new(reader: FleetReader, live: LiveConfig, base_path: &str, runtime: Handle) -> Self {
        let cache = Cache::builder()
            // One live generation, plus old ones still expiring after a reload.
            .max_capacity(4)
            .expire_after(TtlOfValue)
            .build();
        SnapshotService {
            inner: Arc::new(Inner {
                reader,
                runtime,
                base_path: Arc::from(base_path),
                live: RwLock::new(live),
                generation: AtomicU64::new(0),
                cache,
                drift: RwLock::new((live.thresholds.bucket_total, DriftInput::NotCheckedYet)),
                drift_wake: Notify::new(),
                last_good: RwLock::new(None),
                last_failure: RwLock::new(None),
                in_flight: Mutex::new(None),
                unreadable_dependency_health: Mutex::new(HashMap::new()),
                history: Arc::new(History::new(Utc::now())),
                stats: Stats::default(),
            }),
        }
    }

    /// The current snapshot: cached, or built now (one build shared by all
    /// concurrent callers). `Err` when the process-health read failed (the
    /// cause has already been logged once, by the build), or
    /// [`SnapshotError::Slow`] when the build takes longer than
    /// `build_wait` — it goes on, and a later request gets its result.
    pub async fn current(&self) -> BuildResult {
        let wait = self.live().build_wait;
        match tokio::time::timeout(wait, self.cached_or_build()).await {
            Ok(result) => result,
            Err(_) => {
                self.inner.stats.build_wait_exceeded();
                Err(Arc::new(SnapshotError::Slow(wait)))
            }
        }
    }

    async fn cached_or_build(&self) -> BuildResult {
        let generation = self.inner.generation.load(Ordering::Acquire);
        if let Some(hit) = self.inner.cache.get(&generation).await {
            self.inner.stats.cache_hit();
            return Ok(hit);
        }
        self.inner.stats.cache_miss();
        if let Some(error) = self.recent_failure() {
            return Err(error);
        }
        let this = self.clone();
        self.inner
            .cache
            .try_get_with(
                generation,
                async move { this.shared_build(generation).await },
            )
            .await
            // moka wraps the init error in another Arc.
            .map_err(|error: Arc<Arc<SnapshotError>>| Arc::clone(&*error))
    }

    /// What the page shows: the current snapshot, else the last good one
    /// with a notice, else nothing.
    pub async fn for_page(&self) -> PageSnapshot {
        match self.current().await {
            Ok(snapshot) => PageSnapshot::Fresh(snapshot),
            Err(error) => match self.last_good() {
                Some(snapshot) => PageSnapshot::Stale {
                    snapshot,
                    notice: match *error {
                        SnapshotError::Slow(_) => StaleNotice {
                            failed_at: Utc::now(),
                            reason: SLOW_REASON.to_owned(),
                        },
                        _ => StaleNotice {
                            failed_at: self.last_failure().unwrap_or_else(Utc::now),
                            reason: STALE_REASON.to_owned(),
                        },
                    },
                },
                None => PageSnapshot::Unavailable,
            },
        }
    }

    /// Builds a snapshot now, bypassing the cache (e.g. `fleetd check`).
    /// Counted and recorded like any build.
    pub async fn build_now(&self) -> Result<Arc<PreparedSnapshot>, Arc<SnapshotError>> {
        let live = self.live();
        self.inner.stats.build_started();
        let started = Instant::now();
        let result = self.build(&live).await.map_err(Arc::new);
        let took = started.elapsed();
        self.inner.stats.build_finished(result.is_ok(), took);
        match &result {
            Ok(prepared) => {
                log::debug!(
                    "fleet snapshot built in {} ms: {} (sections: {})",
                    took.as_millis(),
                    prepared.snapshot.summary.status,
                    section_timings(&prepared.sections)
                );
                self.retry_failed_drift_after_recovery();
                self.record_success(prepared);
            }
            Err(err) => {
                log::error!(
                    "fleet snapshot build failed after {} ms: {err}",
                    took.as_millis()
                );
                self.record_failure(Arc::clone(err));
            }
        }
        result
    }

    /// The most recent successful build, however old.
    pub fn last_good(&self) -> Option<Arc<PreparedSnapshot>> {
        read(&self.inner.last_good).clone()
    }

    /// When the most recent build failed (a later success does not clear
    /// it: compare with `last_good()`'s `built_at`).
    pub fn last_failure(&self) -> Option<DateTime<Utc>> {
        read(&self.inner.last_failure).as_ref().map(|f| f.at)
    }

    /// The error of a build that failed less than [`FAILED_BUILD_BACKOFF`]
    /// ago with no success since.
    fn recent_failure(&self) -> Option<Arc<SnapshotError>> {
        let failure = read(&self.inner.last_failure);
        let failure = failure.as_ref()?;
        if failure.instant.elapsed() >= FAILED_BUILD_BACKOFF {
            return None;
        }
        let succeeded_since = read(&self.inner.last_good)
            .as_ref()
            .is_some_and(|good| good.built_instant > failure.instant);
        (!succeeded_since).then(|| Arc::clone(&failure.error))
    }

    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// The status history (newest first), as `/api/fleet/history` serves it.
    pub fn history(&self) -> HistoryView {
        self.inner.history.view()
    }

    /// The `/metrics` body for a scrape that got `current` (`None`: the
    /// database could not be read; only fleetd's own figures follow).
    pub fn metrics_text(
        &self,
        current: Option<&PreparedSnapshot>,
    ) -> Result<String, Arc<MetricsError>> {
        let fleet = current.map(PreparedSnapshot::fleet_metrics).transpose()?;
        let scrape = ScrapeState {
            snapshot_available: current.is_some(),
            last_success: self.last_good().map(|good| good.built_at),
        };
        metrics::render(&self.inner.stats, scrape, fleet).map_err(Arc::new)
    }

    pub fn live(&self) -> LiveConfig {
        *read(&self.inner.live)
    }

    pub fn base_path(&self) -> &str {
        &self.inner.base_path
    }

    /// Applies reloaded settings: the next request builds a new snapshot
    /// with them (requests in flight finish with the old ones).
    pub fn apply(&self, live: LiveConfig) {
        let old = std::mem::replace(&mut *write(&self.inner.live), live);
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        if old.thresholds.bucket_total != live.thresholds.bucket_total
            || old.drift_interval != live.drift_interval
        {
            // The drift figure depends on bucket_total; rescan now rather
            // than serve the old total's result for a whole interval.
            self.inner.drift_wake.notify_one();
        }
    }

    /// The latest drift outcome (what the next build will use). A result
    /// scanned for another bucket_total (before a reload changed it) is
    /// "not checked yet": it counted other buckets, and must not stand as
    /// green until the rescan finishes.
    pub fn drift(&self) -> DriftInput {
        let (scanned_for, outcome) = &*read(&self.inner.drift);
        if *scanned_for == self.live().thresholds.bucket_total {
            outcome.clone()
        } else {
            DriftInput::NotCheckedYet
        }
    }

    /// Runs one drift scan now and stores its outcome (a failed scan is
    /// stored as `Unreadable`, shown red). Returns the stored outcome.
    pub async fn refresh_drift(&self) -> DriftInput {
        let bucket_total = self.live().thresholds.bucket_total;
        if bucket_total == 0 {
            // Not configured: fleet-core reports that itself; scanning all
            // sites for a figure nobody can use is wasted load.
            return self.drift();
        }
        let started = Instant::now();
        let outcome = match self.inner.reader.read_drift(bucket_total).await {
            Ok(result) => DriftInput::Checked(result),
            Err(err) => {
                log::warn!("projection drift scan failed: {err}");
                DriftInput::Unreadable
            }
        };
        let took = started.elapsed();
        let ok = matches!(outcome, DriftInput::Checked(_));
        self.inner.stats.drift_scan_finished(ok, took);
        log::debug!(
            "projection drift scan finished in {} ms (ok={ok})",
            took.as_millis()
        );
        *write(&self.inner.drift) = (bucket_total, outcome.clone());
        outcome
    }

    /// Starts the background task that refreshes drift every
    /// `drift_interval` (and at once after a reload that changes it or
    /// bucket_total). Abort the handle to stop it.
    pub fn spawn_drift_refresher(&self) -> JoinHandle<()> {
        let this = self.clone();
        self.inner.runtime.spawn(async move {
            loop {
                this.refresh_drift().await;
                let interval = this.live().drift_interval;
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = this.inner.drift_wake.notified() => {}
                }
            }
        })
    }

    /// Disconnects the database pool (graceful shutdown). Stop the drift
    /// refresher first: the pool waits for connections in use.
    pub async fn close(&self) {
        self.inner.reader.clone().close().await;
    }

    /// Joins the build of `generation` in flight, or starts it as a task
    /// of its own on the service's runtime.
    async fn shared_build(&self, generation: u64) -> BuildResult {
        let build = {
            let mut slot = lock(&self.inner.in_flight);
            match slot.as_ref() {
                Some(running) if running.generation == generation => running.build.clone(),
                _ => {
                    let build = self.spawn_build(generation);
                    *slot = Some(InFlight {
                        generation,
                        build: build.clone(),
                    });
                    build
                }
            }
        };
        build.await
    }

    fn spawn_build(&self, generation: u64) -> Shared<BoxFuture<'static, BuildResult>> {
        let this = self.clone();
        let task = self.inner.runtime.spawn(async move {
            let result = this.build_now().await;
            // Cached here, not only by the waiters' `try_get_with`: if every
            // waiter stopped waiting, the result must still serve the next
            // request instead of being built again.
            if let Ok(prepared) = &result {
                this.inner
                    .cache
                    .insert(generation, Arc::clone(prepared))
                    .await;
            }
            // Only this build's own entry is cleared: after a reload the
            // slot may already hold a newer generation's build.
            let mut slot = lock(&this.inner.in_flight);
            if slot.as_ref().is_some_and(|b| b.generation == generation) {
                *slot = None;
            }
            result
        });
        let this = self.clone();
        async move {
            match task.await {
                Ok(result) => result,
                Err(join) => {
                    // A panic in the rollup must not take the server down:
                    // it is a failed build like any other.
                    log::error!("fleet snapshot build task failed: {join}");
                    this.inner.stats.build_finished(false, Duration::ZERO);
                    let error = Arc::new(SnapshotError::Task(join.to_string()));
                    this.record_failure(Arc::clone(&error));
                    let mut slot = lock(&this.inner.in_flight);
                    if slot.as_ref().is_some_and(|b| b.generation == generation) {
                        *slot = None;
                    }
                    Err(error)
                }
            }
        }
        .boxed()
        .shared()
    }

    async fn build(&self, live: &LiveConfig) -> Result<Arc<PreparedSnapshot>, SnapshotError> {
        let started = Instant::now();
        let mut read = self.inner.reader.read_fleet(&live.thresholds).await?;
        let sections = std::mem::take(&mut read.timings);
        let (now, input) = read.into_input(self.drift());
        let snapshot = fleet_core::build_snapshot(&input, now, &live.thresholds);
        let json = Bytes::from(serde_json::to_vec(&snapshot)?);
        Ok(Arc::new(PreparedSnapshot {
            snapshot,
            json,
            built_at: Utc::now(),
            built_instant: Instant::now(),
            build_duration: started.elapsed(),
            sections,
            ttl: live.cache_ttl,
            base_path: Arc::clone(&self.inner.base_path),
            history: Arc::clone(&self.inner.history),
            page: OnceLock::new(),
            fleet_metrics: OnceLock::new(),
        }))
    }

    /// The single place a successful build is recorded: the last good
    /// snapshot and the status history.
    fn record_success(&self, prepared: &Arc<PreparedSnapshot>) {
        self.log_unreadable_dependency_health(&prepared.snapshot);
        if let Some(t) = self.inner.history.record(&prepared.snapshot) {
            log::info!(
                "fleet status changed: {} -> {}{}",
                t.from,
                t.to,
                t.top_issue
                    .as_deref()
                    .map(|issue| format!(" (top issue: {issue})"))
                    .unwrap_or_default()
            );
        }
        *write(&self.inner.last_good) = Some(Arc::clone(prepared));
    }

    /// rollup.md §1: a row whose dependency_health is not readable JSON is
    /// kept (amber issue) and its parse error logged. fleet-core has no
    /// logging, so it is done here, once per row and error.
    fn log_unreadable_dependency_health(&self, snapshot: &FleetSnapshot) {
        let mut logged = lock(&self.inner.unreadable_dependency_health);
        let mut now_unreadable = HashMap::new();
        for process in &snapshot.processes {
            if let Some(error) = &process.dependency_health_error {
                if logged.get(&process.process_id) != Some(error) {
                    log::warn!(
                        "process {:?}: dependency_health is unreadable, its entries are ignored: {error}",
                        process.process_id
                    );
                }
                now_unreadable.insert(process.process_id.clone(), error.clone());
            }
        }
        for id in logged.keys() {
            if !now_unreadable.contains_key(id) {
                log::info!("process {id:?}: dependency_health is no longer unreadable");
            }
        }
        *logged = now_unreadable;
    }

    /// Called when a build succeeded, before it is recorded: if the build
    /// before it failed (the database was away) and so did the latest drift
    /// scan, rescan now instead of showing drift red for up to a whole
    /// `drift_interval` after the database is back. One extra scan per
    /// recovery at most (a wake-up while a scan runs is kept, not queued).
    fn retry_failed_drift_after_recovery(&self) {
        let recovering = read(&self.inner.last_failure)
            .as_ref()
            .is_some_and(|failure| {
                read(&self.inner.last_good)
                    .as_ref()
                    .is_none_or(|good| good.built_instant < failure.instant)
            });
        if recovering && matches!(read(&self.inner.drift).1, DriftInput::Unreadable) {
            log::info!("the database is readable again: rescanning projection drift now");
            self.inner.drift_wake.notify_one();
        }
    }

    fn record_failure(&self, error: Arc<SnapshotError>) {
        *write(&self.inner.last_failure) = Some(Failure {
            at: Utc::now(),
            instant: Instant::now(),
            error,
        });
    }
}

// A poisoned lock only means another thread panicked while holding it; the
// values guarded here are replaced whole, so they are never half-written.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// `now 0.3 ms, processes 2.5 ms, hosts 1.0 ms failed, …` for the build log.
fn section_timings(sections: &[SectionTiming]) -> String {
    sections
        .iter()
        .map(|t| {
            format!(
                "{} {:.1} ms{}",
                t.section,
                t.elapsed.as_secs_f64() * 1000.0,
                if t.ok { "" } else { " failed" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
