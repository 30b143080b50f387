//! [`SnapshotService`]: the cache, the single build and the bookkeeping of
//! failures.
//!
//! - The page and the API ask [`SnapshotService::current`]; the snapshot is
//!   cached in moka for `cache.ttl_ms` and concurrent misses share ONE
//!   build, so the database sees one read per cache period however many
//!   clients there are.
//! - `/readyz` and `/metrics` ask [`SnapshotService::known`]: what is known
//!   now, never waiting for a build (an expired snapshot is rebuilt in the
//!   background, through the same single build).
//! - The last good snapshot and the time of the last failed build are kept
//!   for the stale-data banner. A failure is reused for
//!   [`FAILED_BUILD_BACKOFF`] so an outage is not hammered with reconnects.
//! - Every finished build is recorded in the status [`History`] (the
//!   page's "status since", timeline and transitions,
//!   `/api/fleet/history`): a success as its status, a failure as
//!   "unknown". The history refresher ([`super::refresher`]) asks for a
//!   snapshot every `history.sample_interval_sec` through this same cache
//!   and single build, so there is a sample per interval with or without
//!   viewers, and never two builds in one cache period.
//!
//! Builds and drift scans run on the runtime given to [`SnapshotService::new`]
//! (the daemon's multi-threaded runtime), not on the HTTP worker that happened
//! to ask: the database pool's connections then all live on one runtime, and
//! a build outlives a client that disconnects.

use super::drift::DriftState;
use super::{LiveConfig, PreparedSnapshot, SnapshotError};
use crate::history::{History, HistoryConfig};
use crate::page::StaleNotice;
use crate::stats::Stats;
use chrono::{DateTime, Utc};
use fleet_core::FleetSnapshot;
use fleet_sql::{FleetReader, SectionTiming};
use futures_util::future::{BoxFuture, FutureExt, Shared};
use moka::future::Cache;
use moka::Expiry;
use std::collections::HashMap;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};
use tokio::runtime::Handle;

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

/// What is known without waiting for a build: what `/readyz` and `/metrics`
/// answer from (see [`SnapshotService::known`]).
#[derive(Debug, Clone)]
pub struct Known {
    /// The newest successful snapshot, however old.
    pub last_good: Option<Arc<PreparedSnapshot>>,
    /// The newest finished build failed: nothing newer than `last_good`
    /// could be read. (False before the first build finished.)
    pub latest_build_failed: bool,
    /// Readiness (docs/api.md "Readiness"): `last_good` was built less than
    /// `cache.ttl_ms` + `cache.ready_grace_sec` ago.
    pub ready: bool,
}

impl Known {
    /// The snapshot `/metrics` describes: the newest good one, unless a
    /// build has failed since (then none: an old fleet is not repeated as if
    /// it were current during an outage).
    pub fn current(&self) -> Option<Arc<PreparedSnapshot>> {
        if self.latest_build_failed {
            None
        } else {
            self.last_good.clone()
        }
    }
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
        Some(value.ttl())
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
    live: RwLock<LiveConfig>,
    /// The cache key. A reload increments it, so the next request builds
    /// with the new thresholds while builds already running under the old
    /// ones finish into a key nobody asks for any more.
    generation: AtomicU64,
    cache: Cache<u64, Arc<PreparedSnapshot>>,
    drift: DriftState,
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
    history: History,
    stats: Arc<Stats>,
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
            .field("live", &self.live())
            .field("generation", &self.inner.generation.load(Ordering::Relaxed))
            .field("stats", &self.inner.stats)
            .finish_non_exhaustive()
    }
}

impl SnapshotService {
    /// `runtime` runs the builds and the drift scans (see the module docs).
    /// The history is kept in memory only (see [`SnapshotService::with_history`]).
    pub fn new(reader: FleetReader, live: LiveConfig, runtime: Handle) -> Self {
        Self::with_history(reader, live, runtime, HistoryConfig::default())
    }

    /// Like [`SnapshotService::new`], with the history of `history` (its
    /// store is opened now; see [`History::open`]).
    pub fn with_history(
        reader: FleetReader,
        live: LiveConfig,
        runtime: Handle,
        history: HistoryConfig,
    ) -> Self {
        let stats = Arc::new(Stats::default());
        let history = History::open(history, Arc::clone(&stats));
        let cache = Cache::builder()
            // One live generation, plus old ones still expiring after a reload.
            .max_capacity(4)
            .expire_after(TtlOfValue)
            .build();
        SnapshotService {
            inner: Arc::new(Inner {
                reader,
                runtime,
                drift: DriftState::new(live.thresholds.bucket_total),
                live: RwLock::new(live),
                generation: AtomicU64::new(0),
                cache,
                last_good: RwLock::new(None),
                last_failure: RwLock::new(None),
                in_flight: Mutex::new(None),
                unreadable_dependency_health: Mutex::new(HashMap::new()),
                history,
                stats,
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

    /// What is known now, without waiting for any build: the answer of
    /// `/readyz` and `/metrics`, which must stay fast whatever the database
    /// does. When the cached snapshot has expired, a build is started in
    /// the background (joining one in flight, and not during the failure
    /// backoff), so polling keeps the snapshot current; its result serves
    /// the next call.
    pub async fn known(&self) -> Known {
        self.refresh_in_background().await;
        let live = self.live();
        let last_good = self.last_good();
        let failure = read(&self.inner.last_failure).as_ref().map(|f| f.instant);
        let latest_build_failed = match (&last_good, failure) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(good), Some(failed)) => failed > good.built_instant,
        };
        let ready_for = live.cache_ttl.saturating_add(live.ready_grace);
        let ready = last_good
            .as_ref()
            .is_some_and(|good| good.built_instant.elapsed() < ready_for);
        Known {
            last_good,
            latest_build_failed,
            ready,
        }
    }

    /// Starts a build if the cached snapshot has expired, without waiting
    /// for it.
    async fn refresh_in_background(&self) {
        let generation = self.inner.generation.load(Ordering::Acquire);
        if self.inner.cache.get(&generation).await.is_some() {
            self.inner.stats.cache_hit();
            return;
        }
        self.inner.stats.cache_miss();
        if self.recent_failure().is_none() {
            // The build runs as a task of its own and records its outcome
            // itself; nobody needs to await it.
            drop(self.join_or_start(generation));
        }
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
        let result = self.build(&live).await;
        let took = started.elapsed();
        self.inner.stats.build_finished(result.is_ok(), took);
        match result {
            Ok((prepared, sections)) => {
                log::debug!(
                    "fleet snapshot built in {} ms: {} (sections: {})",
                    took.as_millis(),
                    prepared.snapshot.summary.status,
                    section_timings(&sections)
                );
                self.retry_failed_drift_after_recovery();
                self.record_success(&prepared);
                Ok(prepared)
            }
            Err(err) => {
                log::error!(
                    "fleet snapshot build failed after {} ms: {err}",
                    took.as_millis()
                );
                let err = Arc::new(err);
                self.record_failure(Arc::clone(&err));
                Err(err)
            }
        }
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

    /// fleetd's counters (shared with the `/metrics` registry).
    pub fn stats(&self) -> &Arc<Stats> {
        &self.inner.stats
    }

    /// The status history every successful build is recorded in.
    pub fn history(&self) -> &History {
        &self.inner.history
    }

    pub fn live(&self) -> LiveConfig {
        read(&self.inner.live).clone()
    }

    /// The `links.host_dashboard` template in effect. Read it *after*
    /// taking the snapshot to draw (see [`LiveConfig::host_dashboard`]).
    pub fn host_dashboard(&self) -> Option<Arc<crate::links::HostDashboard>> {
        read(&self.inner.live).host_dashboard.clone()
    }

    /// Applies reloaded settings: the next request builds a new snapshot
    /// with them (requests in flight finish with the old ones).
    pub fn apply(&self, live: LiveConfig) {
        let rescan = {
            let mut current = write(&self.inner.live);
            let rescan = current.thresholds.bucket_total != live.thresholds.bucket_total
                || current.drift_interval != live.drift_interval;
            *current = live;
            rescan
        };
        // After the new settings are stored: whoever sees the new
        // generation also sees them.
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        if rescan {
            // The drift figure depends on bucket_total; rescan now rather
            // than serve the old total's result for a whole interval.
            self.inner.drift.rescan_now();
        }
    }

    pub(super) fn drift_state(&self) -> &DriftState {
        &self.inner.drift
    }

    pub(super) fn reader(&self) -> &FleetReader {
        &self.inner.reader
    }

    pub(super) fn runtime(&self) -> &Handle {
        &self.inner.runtime
    }

    /// The runtime builds and background tasks run on.
    pub fn runtime_handle(&self) -> &Handle {
        &self.inner.runtime
    }

    /// Disconnects the database pool (graceful shutdown). Stop the drift
    /// refresher first: the pool waits for connections in use.
    pub async fn close(&self) {
        self.inner.reader.clone().close().await;
    }

    /// Joins the build of `generation` in flight, or starts it.
    async fn shared_build(&self, generation: u64) -> BuildResult {
        self.join_or_start(generation).await
    }

    /// The build of `generation` in flight, or a new one started as a task
    /// of its own on the service's runtime. The task records its outcome
    /// itself, so it needs no waiter.
    fn join_or_start(&self, generation: u64) -> Shared<BoxFuture<'static, BuildResult>> {
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
    }

    fn spawn_build(&self, generation: u64) -> Shared<BoxFuture<'static, BuildResult>> {
        let this = self.clone();
        let task = self.inner.runtime.spawn(async move {
            let result = match AssertUnwindSafe(this.build_now()).catch_unwind().await {
                Ok(result) => result,
                Err(panic) => {
                    // A panic in the rollup or the driver must not take the
                    // server down, nor leave this build "in flight" for good:
                    // it is a failed build like any other.
                    let message = crate::tasks::panic_message(&*panic).to_owned();
                    log::error!("fleet snapshot build panicked: {message}");
                    this.inner.stats.build_finished(false, Duration::ZERO);
                    let error = Arc::new(SnapshotError::Task(message));
                    this.record_failure(Arc::clone(&error));
                    Err(error)
                }
            };
            // Cached here, not only by the waiters' `try_get_with`: if every
            // waiter stopped waiting (or none ever waited: `/readyz`), the
            // result must still serve the next request instead of being
            // built again.
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
        async move {
            // Only a runtime shutting down cancels the task.
            task.await
                .unwrap_or_else(|join| Err(Arc::new(SnapshotError::Task(join.to_string()))))
        }
        .boxed()
        .shared()
    }

    /// One snapshot, and the database timings of its sections (for the
    /// build log).
    async fn build(
        &self,
        live: &LiveConfig,
    ) -> Result<(Arc<PreparedSnapshot>, Vec<SectionTiming>), SnapshotError> {
        let mut read = self.inner.reader.read_fleet(&live.thresholds).await?;
        let sections = std::mem::take(&mut read.timings);
        let (now, input) = read.into_input(self.drift());
        let snapshot = fleet_core::build_snapshot(&input, now, &live.thresholds);
        let prepared = PreparedSnapshot::new(snapshot, live.cache_ttl)?;
        Ok((Arc::new(prepared), sections))
    }

    /// The single place a successful build is recorded: the last good
    /// snapshot and the status history.
    fn record_success(&self, prepared: &Arc<PreparedSnapshot>) {
        self.log_unreadable_dependency_health(&prepared.snapshot);
        log_transition(self.inner.history.record(&prepared.snapshot));
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
        if recovering && self.inner.drift.latest_scan_failed() {
            log::info!("the database is readable again: rescanning projection drift now");
            self.inner.drift.rescan_now();
        }
    }

    /// The single place a failed build is recorded: the failure (for the
    /// stale notice and the backoff) and an "unknown" history sample.
    fn record_failure(&self, error: Arc<SnapshotError>) {
        let at = Utc::now();
        *write(&self.inner.last_failure) = Some(Failure {
            at,
            instant: Instant::now(),
            error,
        });
        log_transition(self.inner.history.record_failure(at));
    }
}

fn log_transition(transition: Option<crate::history::Transition>) {
    if let Some(t) = transition {
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
