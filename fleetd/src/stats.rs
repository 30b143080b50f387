//! fleetd's own counters, kept in one place.
//!
//! Everything that counts what fleetd does (snapshot builds, cache hits, drift
//! scans, reloads) increments a field here; [`crate::metrics`] registers
//! them once, at startup, under their Prometheus names and reads them on
//! every scrape. Plain atomics: incrementing them costs nothing on the
//! request path. The two duration histograms are prometheus-client
//! histograms (observed once per build or scan, never per request), shared
//! with the registry.

use crate::wire::{BodyKind, Encoding};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Buckets of the snapshot build duration histogram, in seconds (a build
/// normally takes milliseconds; the statement limit defaults to 3 s).
pub const BUILD_DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Buckets of the drift scan duration histogram, in seconds (a scan of
/// millions of sites takes seconds; its limit defaults to 60 s).
pub const DRIFT_SCAN_DURATION_BUCKETS: [f64; 11] =
    [0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

#[derive(Debug)]
pub struct Stats {
    builds_started: AtomicU64,
    builds_succeeded: AtomicU64,
    builds_failed: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    build_waits_exceeded: AtomicU64,
    drift_scans_succeeded: AtomicU64,
    drift_scans_failed: AtomicU64,
    reloads_succeeded: AtomicU64,
    reloads_failed: AtomicU64,
    /// Every finished snapshot build, successful or not, in seconds.
    build_duration: Histogram,
    /// Every finished drift scan, successful or not, in seconds.
    drift_scan_duration: Histogram,
    /// Panics each background task survived ([`crate::tasks`]).
    task_panics: Family<TaskLabels, Counter>,
    /// Bodies compressed ([`crate::wire`]), and the time it took.
    compressions: Family<CompressionLabels, Counter>,
    compression_seconds: Family<CompressionLabels, Counter<f64, AtomicU64>>,
    /// 1 while the history is written to its store ([`crate::history`]).
    history_store_ok: AtomicU64,
    /// Times the history store was given up (opening or writing failed).
    history_store_errors: AtomicU64,
}

/// The labels of `fleetd_compressions_total` and
/// `fleetd_compression_seconds_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CompressionLabels {
    /// `api_fleet`, `fleet_page`, `history`, `metrics`.
    pub body: &'static str,
    /// `gzip`, `br`.
    pub encoding: &'static str,
}

/// The `task` label of `fleetd_task_panics_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TaskLabels {
    pub task: &'static str,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            builds_started: AtomicU64::default(),
            builds_succeeded: AtomicU64::default(),
            builds_failed: AtomicU64::default(),
            cache_hits: AtomicU64::default(),
            cache_misses: AtomicU64::default(),
            build_waits_exceeded: AtomicU64::default(),
            drift_scans_succeeded: AtomicU64::default(),
            drift_scans_failed: AtomicU64::default(),
            reloads_succeeded: AtomicU64::default(),
            reloads_failed: AtomicU64::default(),
            build_duration: Histogram::new(BUILD_DURATION_BUCKETS),
            drift_scan_duration: Histogram::new(DRIFT_SCAN_DURATION_BUCKETS),
            task_panics: Family::default(),
            compressions: Family::default(),
            compression_seconds: Family::default(),
            history_store_ok: AtomicU64::default(),
            history_store_errors: AtomicU64::default(),
        }
    }
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSnapshot {
    /// Snapshot builds begun (each one reads the database once).
    pub builds_started: u64,
    pub builds_succeeded: u64,
    /// Builds that produced no snapshot (the process-health read failed).
    pub builds_failed: u64,
    /// Requests answered from the cached snapshot.
    pub cache_hits: u64,
    /// Requests that found no fresh snapshot (concurrent misses share a build).
    pub cache_misses: u64,
    /// Requests answered without a snapshot because the build took longer
    /// than `cache.build_wait_ms`.
    pub build_waits_exceeded: u64,
    pub drift_scans_succeeded: u64,
    pub drift_scans_failed: u64,
    pub reloads_succeeded: u64,
    pub reloads_failed: u64,
    /// 1 while the status history is written to its store, else 0.
    pub history_store_ok: u64,
    /// Times the history store was given up.
    pub history_store_errors: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            builds_started: get(&self.builds_started),
            builds_succeeded: get(&self.builds_succeeded),
            builds_failed: get(&self.builds_failed),
            cache_hits: get(&self.cache_hits),
            cache_misses: get(&self.cache_misses),
            build_waits_exceeded: get(&self.build_waits_exceeded),
            drift_scans_succeeded: get(&self.drift_scans_succeeded),
            drift_scans_failed: get(&self.drift_scans_failed),
            reloads_succeeded: get(&self.reloads_succeeded),
            reloads_failed: get(&self.reloads_failed),
            history_store_ok: get(&self.history_store_ok),
            history_store_errors: get(&self.history_store_errors),
        }
    }

    /// The snapshot build duration histogram (shared handle, for `/metrics`).
    /// Whether the status history is written to its store.
    pub fn set_history_store_ok(&self, ok: bool) {
        self.history_store_ok
            .store(u64::from(ok), Ordering::Relaxed);
    }

    /// The history store was given up (it is then no longer ok).
    pub fn history_store_failed(&self) {
        self.history_store_ok.store(0, Ordering::Relaxed);
        self.history_store_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn build_duration(&self) -> &Histogram {
        &self.build_duration
    }

    /// The drift scan duration histogram (shared handle, for `/metrics`).
    pub fn drift_scan_duration(&self) -> &Histogram {
        &self.drift_scan_duration
    }

    /// Panics survived per background task (shared handle, for `/metrics`).
    pub fn task_panics(&self) -> &Family<TaskLabels, Counter> {
        &self.task_panics
    }

    /// Bodies compressed, per body and coding (shared handle, for `/metrics`).
    pub fn compressions_family(&self) -> &Family<CompressionLabels, Counter> {
        &self.compressions
    }

    /// CPU time spent compressing, per body and coding (shared handle).
    pub fn compression_seconds_family(
        &self,
    ) -> &Family<CompressionLabels, Counter<f64, AtomicU64>> {
        &self.compression_seconds
    }

    /// Times a `kind` body was compressed with `encoding` so far.
    pub fn compressions(&self, kind: BodyKind, encoding: Encoding) -> u64 {
        self.compressions
            .get_or_create(&compression_labels(kind, encoding))
            .get()
    }

    pub(crate) fn compressed(&self, kind: BodyKind, encoding: Encoding, took: Duration) {
        let labels = compression_labels(kind, encoding);
        self.compressions.get_or_create(&labels).inc();
        self.compression_seconds
            .get_or_create(&labels)
            .inc_by(took.as_secs_f64());
    }

    /// Panics the background task `task` survived so far.
    pub fn task_panics_of(&self, task: &'static str) -> u64 {
        self.task_panics.get_or_create(&TaskLabels { task }).get()
    }

    pub(crate) fn task_started(&self, task: &'static str) {
        drop(self.task_panics.get_or_create(&TaskLabels { task }));
    }

    pub(crate) fn task_panicked(&self, task: &'static str) {
        self.task_panics.get_or_create(&TaskLabels { task }).inc();
    }

    /// Snapshot builds begun so far.
    pub fn builds(&self) -> u64 {
        self.builds_started.load(Ordering::Relaxed)
    }

    pub(crate) fn build_started(&self) {
        self.builds_started.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn build_finished(&self, ok: bool, took: Duration) {
        let counter = if ok {
            &self.builds_succeeded
        } else {
            &self.builds_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.build_duration.observe(took.as_secs_f64());
    }

    pub(crate) fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn cache_miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn build_wait_exceeded(&self) {
        self.build_waits_exceeded.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn drift_scan_finished(&self, ok: bool, took: Duration) {
        let counter = if ok {
            &self.drift_scans_succeeded
        } else {
            &self.drift_scans_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.drift_scan_duration.observe(took.as_secs_f64());
    }

    pub(crate) fn reload_finished(&self, ok: bool) {
        let counter = if ok {
            &self.reloads_succeeded
        } else {
            &self.reloads_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

fn compression_labels(kind: BodyKind, encoding: Encoding) -> CompressionLabels {
    CompressionLabels {
        body: kind.label(),
        encoding: encoding.token(),
    }
}
