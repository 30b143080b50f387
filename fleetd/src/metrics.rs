//! Every Prometheus metric fleetd exposes on `/metrics`, declared and
//! described here and nowhere else (`docs/operator-extras.md` lists them).
//!
//! The text is OpenMetrics 1.0 (prometheus-client's encoder), served as
//! [`CONTENT_TYPE`]; Prometheus scrapes it natively.
//!
//! [`Metrics`] is the one registry of the process, built at startup:
//!
//! - **fleetd's own figures**, registered once: builds, failures, durations,
//!   cache hits, drift scans, reloads (read from [`Stats`] when scraped),
//!   and what the scrape got from the snapshot service. Always present, also
//!   when the database is down.
//! - **the fleet**, a [`Collector`] that encodes the statuses, process
//!   counts, delivery queues and drift of the snapshot the scrape got, and
//!   nothing when it got none; `fleetd_snapshot_available` says which. It
//!   encodes on every scrape rather than keeping text per snapshot: a
//!   collector can only write through prometheus-client's encoder, the
//!   encoding takes about 0.1 ms for 100 processes (0.7 ms for 2,000), and
//!   with the default 5 s cache and a 15 s scrape interval nearly every
//!   scrape sees a new snapshot anyway.
//!
//! Every status is a family with one series per status value (`red`,
//! `amber`, `green`), 1 for the current one and 0 for the others, so an
//! alert is `fleetd_fleet_status{status="red"} == 1`.
//!
//! prometheus-client 0.24 writes label values verbatim; values that come
//! from the database (process types, dependency names) are escaped here
//! ([`Escaped`]).

use crate::snapshots::PreparedSnapshot;
use crate::stats::{Stats, StatsSnapshot};
use chrono::{DateTime, Utc};
use fleet_core::snapshot::{DeliveryTable, FleetSnapshot};
use fleet_core::{DriftCause, Status};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
    MetricEncoder,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::info::Info;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};
use std::fmt::Write;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The Content-Type of `/metrics`: OpenMetrics text, what prometheus-client
/// encodes (its `# EOF`, `_total` and `# UNIT` conventions are OpenMetrics).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The sections whose status `fleetd_section_status` reports.
pub const SECTIONS: [&str; 6] = [
    "processes",
    "bucket_coverage",
    "delivery_queues",
    "delivery_posture",
    "projection_drift",
    "dependencies",
];

const STATUSES: [Status; 3] = [Status::Red, Status::Amber, Status::Green];

/// Process health buckets of `fleetd_processes`: stale wins; an unknown
/// `health_status` counts as amber (as in the rollup's summary counts).
const HEALTHS: [&str; 4] = ["green", "amber", "red", "stale"];

/// The process types always reported (with 0 when there are none), so that
/// "no deliverer" is a 0 and not a missing series.
const KNOWN_PROCESS_TYPES: [&str; 2] = ["monitor", "deliverer"];

// ---- label sets -----------------------------------------------------------

/// A label value from the database, escaped for the text format
/// (backslash, double quote and line feed).
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct Escaped(pub String);

impl EncodeLabelValue for Escaped {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => encoder.write_str("\\\\")?,
                '"' => encoder.write_str("\\\"")?,
                '\n' => encoder.write_str("\\n")?,
                c => encoder.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// A fixed, known-safe label value.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
struct Word(&'static str);

impl EncodeLabelValue for Word {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        encoder.write_str(self.0)
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: Word,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SectionLabels {
    section: Word,
    status: Word,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProcessLabels {
    process_type: Escaped,
    health: Word,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabels {
    table: Word,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableStatusLabels {
    table: Word,
    status: Word,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CauseLabels {
    cause: Word,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DependencyLabels {
    dependency: Escaped,
    status: Word,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeverityLabels {
    severity: Word,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: Word,
}

type Counts<L> = Family<L, Gauge>;

// ---- the registry ---------------------------------------------------------

/// What one scrape got from the snapshot service.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    /// The current snapshot; `None` when the database could not be read
    /// (only fleetd's own figures follow).
    pub current: Option<Arc<PreparedSnapshot>>,
    /// Wall-clock time the latest successful build finished, if any.
    pub last_success: Option<DateTime<Utc>>,
}

/// The scrape being encoded, read by the metrics that depend on it.
type ScrapeSlot = Arc<Mutex<Scrape>>;

/// The registry of every metric, built once for the process lifetime.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    scrape: ScrapeSlot,
    /// Held while one scrape is encoded: the slot then holds that scrape's
    /// snapshot from its first metric to its last, whatever other scrapes
    /// run at the same time.
    turn: Mutex<()>,
}

impl Metrics {
    /// Registers fleetd's own figures (reading `stats`) and the fleet
    /// collector.
    pub fn new(stats: Arc<Stats>) -> Self {
        let scrape = ScrapeSlot::default();
        let counter = |read: fn(&StatsSnapshot) -> u64| StatsCounter {
            stats: Arc::clone(&stats),
            read,
        };
        let gauge = |read: fn(&Scrape) -> Option<i64>| ScrapeGauge {
            scrape: Arc::clone(&scrape),
            read,
        };
        let mut r = Registry::default();
        r.register(
            "fleetd_build",
            "The fleetd version serving these metrics",
            Info::new(VersionLabels {
                version: Word(env!("CARGO_PKG_VERSION")),
            }),
        );
        r.register(
            "fleetd_snapshot_builds",
            "Snapshot builds started (each reads the database once)",
            counter(|s| s.builds_started),
        );
        r.register(
            "fleetd_snapshot_build_failures",
            "Snapshot builds that produced no snapshot (the process-health read or the database clock failed)",
            counter(|s| s.builds_failed),
        );
        r.register_with_unit(
            "fleetd_snapshot_build_duration",
            "Duration of finished snapshot builds, successful or not (database read, rollup, serialisation)",
            Unit::Seconds,
            stats.build_duration().clone(),
        );
        r.register(
            "fleetd_snapshot_cache_hits",
            "Requests answered from the cached snapshot",
            counter(|s| s.cache_hits),
        );
        r.register(
            "fleetd_snapshot_cache_misses",
            "Requests that found no fresh cached snapshot (concurrent misses share one build)",
            counter(|s| s.cache_misses),
        );
        r.register(
            "fleetd_snapshot_build_wait_exceeded",
            "Requests answered without a new snapshot because its build took longer than cache.build_wait_ms (the build went on)",
            counter(|s| s.build_waits_exceeded),
        );
        r.register(
            "fleetd_snapshot_available",
            "1 when the newest finished snapshot build succeeded (the fleet series of that snapshot follow), 0 when it failed or none has finished yet",
            gauge(|s| Some(i64::from(s.current.is_some()))),
        );
        r.register_with_unit(
            "fleetd_snapshot_last_success_timestamp",
            "Unix time the latest successful snapshot build finished (absent before the first)",
            Unit::Seconds,
            gauge(|s| s.last_success.map(unix_seconds)),
        );
        r.register(
            "fleetd_drift_scans",
            "Projection-drift scans finished, successful or not",
            counter(|s| s.drift_scans_succeeded + s.drift_scans_failed),
        );
        r.register(
            "fleetd_drift_scan_failures",
            "Projection-drift scans that failed (the drift section reads red)",
            counter(|s| s.drift_scans_failed),
        );
        r.register_with_unit(
            "fleetd_drift_scan_duration",
            "Duration of finished projection-drift scans, successful or not",
            Unit::Seconds,
            stats.drift_scan_duration().clone(),
        );
        r.register(
            "fleetd_config_reloads",
            "Configuration reloads (SIGHUP) attempted",
            counter(|s| s.reloads_succeeded + s.reloads_failed),
        );
        r.register(
            "fleetd_config_reload_failures",
            "Configuration reloads that failed (the running configuration was kept)",
            counter(|s| s.reloads_failed),
        );
        r.register(
            "fleetd_history_store_ok",
            "1 while the status history is written to its store (history.path), 0 when it is kept in memory only (no path, or the store was given up: see fleetd_history_store_errors_total)",
            StatsGauge {
                stats: Arc::clone(&stats),
                read: |s| s.history_store_ok,
            },
        );
        r.register(
            "fleetd_history_store_errors",
            "Times the status history store was given up (unwritable, full, corrupt or from a newer fleetd; logged once each)",
            counter(|s| s.history_store_errors),
        );
        r.register(
            "fleetd_task_panics",
            "Panics a background task survived (logged; the task went on with its next cycle)",
            stats.task_panics().clone(),
        );
        r.register(
            "fleetd_compressions",
            "Response bodies compressed, per body and coding: a snapshot body once per snapshot and coding, /metrics once per scrape",
            stats.compressions_family().clone(),
        );
        r.register_with_unit(
            "fleetd_compression",
            "Time spent compressing response bodies, per body and coding",
            Unit::Seconds,
            stats.compression_seconds_family().clone(),
        );
        // Collectors are encoded after the registered metrics: the fleet
        // series follow fleetd's own figures.
        r.register_collector(Box::new(FleetCollector {
            scrape: Arc::clone(&scrape),
        }));
        Metrics {
            registry: r,
            scrape,
            turn: Mutex::new(()),
        }
    }

    /// The complete `/metrics` body for a scrape that got `scrape`: fleetd's
    /// own figures, the fleet series of its snapshot (if any), `# EOF`.
    pub fn render(&self, scrape: Scrape) -> Result<String, MetricsError> {
        let _turn = lock(&self.turn);
        *lock(&self.scrape) = scrape;
        let mut out = String::with_capacity(16 * 1024);
        let encoded = encode_registry(&mut out, &self.registry).and_then(|()| encode_eof(&mut out));
        // The snapshot is not kept alive past its scrape.
        *lock(&self.scrape) = Scrape::default();
        encoded?;
        Ok(out)
    }
}

/// A counter read from [`Stats`] when scraped.
#[derive(Debug)]
struct StatsCounter {
    stats: Arc<Stats>,
    read: fn(&StatsSnapshot) -> u64,
}

impl EncodeMetric for StatsCounter {
    fn encode(&self, encoder: MetricEncoder<'_>) -> std::fmt::Result {
        ConstCounter::new((self.read)(&self.stats.snapshot())).encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

/// A gauge read from fleetd's counters.
#[derive(Debug)]
struct StatsGauge {
    stats: Arc<Stats>,
    read: fn(&StatsSnapshot) -> u64,
}

impl EncodeMetric for StatsGauge {
    fn encode(&self, encoder: MetricEncoder<'_>) -> std::fmt::Result {
        let value = i64::try_from((self.read)(&self.stats.snapshot())).unwrap_or(i64::MAX);
        ConstGauge::new(value).encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }
}

/// A gauge read from the scrape being encoded; left out (like an empty
/// family) when `read` gives `None`.
#[derive(Debug)]
struct ScrapeGauge {
    scrape: ScrapeSlot,
    read: fn(&Scrape) -> Option<i64>,
}

impl ScrapeGauge {
    fn value(&self) -> Option<i64> {
        (self.read)(&lock(&self.scrape))
    }
}

impl EncodeMetric for ScrapeGauge {
    fn encode(&self, encoder: MetricEncoder<'_>) -> std::fmt::Result {
        match self.value() {
            Some(value) => ConstGauge::new(value).encode(encoder),
            None => Ok(()),
        }
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }

    fn is_empty(&self) -> bool {
        self.value().is_none()
    }
}

/// The fleet series of the scrape's snapshot.
#[derive(Debug)]
struct FleetCollector {
    scrape: ScrapeSlot,
}

impl Collector for FleetCollector {
    fn encode(&self, encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let current = lock(&self.scrape).current.clone();
        match current {
            Some(prepared) => encode_fleet(&mut FleetEncoder(encoder), &prepared.snapshot),
            None => Ok(()),
        }
    }
}

/// Writes metrics the way [`Registry`] does (help text ending in a full
/// stop, families without series left out), so a fleet metric reads the
/// same as a registered one.
struct FleetEncoder<'a>(DescriptorEncoder<'a>);

impl FleetEncoder<'_> {
    fn register(&mut self, name: &str, help: &str, metric: impl EncodeMetric) -> std::fmt::Result {
        self.encode(name, help, None, &metric)
    }

    fn register_with_unit(
        &mut self,
        name: &str,
        help: &str,
        unit: Unit,
        metric: impl EncodeMetric,
    ) -> std::fmt::Result {
        self.encode(name, help, Some(&unit), &metric)
    }

    fn encode(
        &mut self,
        name: &str,
        help: &str,
        unit: Option<&Unit>,
        metric: &dyn EncodeMetric,
    ) -> std::fmt::Result {
        if metric.is_empty() {
            return Ok(());
        }
        let help = format!("{help}.");
        let encoder = self
            .0
            .encode_descriptor(name, &help, unit, metric.metric_type())?;
        metric.encode(encoder)
    }
}

// ---- the fleet --------------------------------------------------------------

/// Encodes the fleet metrics of one snapshot.
fn encode_fleet(r: &mut FleetEncoder<'_>, snap: &FleetSnapshot) -> std::fmt::Result {
    let summary = &snap.summary;

    r.register_with_unit(
        "fleetd_snapshot_generated_timestamp",
        "Unix time (database clock) the served snapshot was generated",
        Unit::Seconds,
        ConstGauge::new(unix_seconds(snap.generated_at)),
    )?;

    let fleet = Counts::<StatusLabels>::default();
    for status in STATUSES {
        fleet
            .get_or_create(&StatusLabels {
                status: Word(status.as_str()),
            })
            .set(i64::from(status == summary.status));
    }
    r.register(
        "fleetd_fleet_status",
        "The fleet status: 1 for the current status, 0 for the others",
        fleet,
    )?;

    let sections = Counts::<SectionLabels>::default();
    // As fleet-core decided them, in the order of SECTIONS. No dependencies
    // reported reads green here: the series must exist, and nothing is wrong.
    let decided = &snap.sections;
    let section_statuses = [
        decided.processes,
        decided.bucket_coverage,
        decided.delivery,
        decided.delivery_posture,
        decided.projection_drift,
        decided.dependencies.unwrap_or(Status::Green),
    ];
    for (section, current) in SECTIONS.into_iter().zip(section_statuses) {
        for status in STATUSES {
            sections
                .get_or_create(&SectionLabels {
                    section: Word(section),
                    status: Word(status.as_str()),
                })
                .set(i64::from(status == current));
        }
    }
    r.register(
        "fleetd_section_status",
        "Each section's status: 1 for the current status, 0 for the others",
        sections,
    )?;

    let issues = Counts::<SeverityLabels>::default();
    for status in [Status::Red, Status::Amber] {
        let n = summary
            .issue_details
            .iter()
            .filter(|i| i.status == status)
            .count();
        issues
            .get_or_create(&SeverityLabels {
                severity: Word(status.as_str()),
            })
            .set(count(n));
    }
    r.register(
        "fleetd_issues",
        "Issues in the snapshot summary, by severity",
        issues,
    )?;

    let processes = Counts::<ProcessLabels>::default();
    let seen_types = snap.processes.iter().map(|p| p.process_type.as_str());
    for process_type in KNOWN_PROCESS_TYPES.into_iter().chain(seen_types) {
        for health in HEALTHS {
            processes
                .get_or_create(&ProcessLabels {
                    process_type: Escaped(process_type.to_owned()),
                    health: Word(health),
                })
                .set(0);
        }
    }
    for p in &snap.processes {
        let health = if p.stale { "stale" } else { p.status.as_str() };
        processes
            .get_or_create(&ProcessLabels {
                process_type: Escaped(p.process_type.clone()),
                health: Word(health),
            })
            .inc();
    }
    r.register(
        "fleetd_processes",
        "Processes by type and health (stale wins over the reported health; an unknown health counts as amber)",
        processes,
    )?;
    r.register(
        "fleetd_stale_processes",
        "Processes whose heartbeat is older than heartbeat_grace_sec",
        ConstGauge::new(count(summary.stale_processes)),
    )?;

    encode_delivery(r, &snap.delivery.tables)?;

    let drift = &snap.projection_drift;
    if drift.checked_at.is_some() && drift.error.is_none() {
        r.register(
            "fleetd_projection_drift_sites",
            "Active sites whose legacy projection disagrees with their open events (absent until the first scan, after a failed scan, while a clean result is overdue, and when bucket_total is 0)",
            ConstGauge::new(count(drift.count)),
        )?;
        let causes = Counts::<CauseLabels>::default();
        for cause in DriftCause::ALL {
            let n = drift
                .causes
                .iter()
                .find(|c| c.code == cause)
                .map_or(0, |c| c.count);
            causes
                .get_or_create(&CauseLabels {
                    cause: Word(cause.code()),
                })
                .set(count(n));
        }
        r.register(
            "fleetd_projection_drift_sites_by_cause",
            "Drifting sites by cause code",
            causes,
        )?;
    }
    if let Some(age) = drift.age_sec {
        r.register_with_unit(
            "fleetd_projection_drift_age",
            "Age of the drift figure when the snapshot was generated",
            Unit::Seconds,
            ConstGauge::new(count(age)),
        )?;
    }

    let dependencies = Counts::<DependencyLabels>::default();
    for dep in &snap.dependencies {
        for status in STATUSES {
            dependencies
                .get_or_create(&DependencyLabels {
                    dependency: Escaped(dep.name.clone()),
                    status: Word(status.as_str()),
                })
                .set(i64::from(status == dep.status));
        }
    }
    r.register(
        "fleetd_dependency_status",
        "Each dependency's rolled-up status across processes: 1 for the current status, 0 for the others",
        dependencies,
    )?;

    Ok(())
}

fn encode_delivery(r: &mut FleetEncoder<'_>, tables: &[DeliveryTable]) -> std::fmt::Result {
    let status = Counts::<TableStatusLabels>::default();
    for t in tables {
        for s in STATUSES {
            status
                .get_or_create(&TableStatusLabels {
                    table: Word(t.kind.as_str()),
                    status: Word(s.as_str()),
                })
                .set(i64::from(s == t.status));
        }
    }
    r.register(
        "fleetd_delivery_table_status",
        "Each delivery table's status: 1 for the current status, 0 for the others",
        status,
    )?;

    // Counters of a table that could not be read are left out rather than
    // reported as zeros that look like an empty queue.
    let readable: Vec<&DeliveryTable> = tables.iter().filter(|t| t.error.is_none()).collect();
    let family = |value: fn(&DeliveryTable) -> u64| {
        let family = Counts::<TableLabels>::default();
        for t in &readable {
            family
                .get_or_create(&TableLabels {
                    table: Word(t.kind.as_str()),
                })
                .set(count(value(t)));
        }
        family
    };
    r.register(
        "fleetd_delivery_pending",
        "Pending delivery rows per table",
        family(|t| t.pending),
    )?;
    r.register(
        "fleetd_delivery_due",
        "Pending delivery rows that are due now (next_attempt_at unset or past)",
        family(|t| t.due_now),
    )?;
    r.register(
        "fleetd_delivery_future_retry",
        "Pending delivery rows scheduled for a later retry",
        family(|t| t.future_retry),
    )?;
    r.register(
        "fleetd_delivery_delivered_recent",
        "Rows delivered within the recent window (recent_window_sec)",
        family(|t| t.delivered_since),
    )?;
    r.register(
        "fleetd_delivery_failed_recent",
        "Rows failed within the recent window (recent_window_sec)",
        family(|t| t.failed_since),
    )?;
    r.register(
        "fleetd_delivery_abandoned_recent",
        "Rows abandoned within the recent window (recent_window_sec)",
        family(|t| t.abandoned_since),
    )?;
    r.register_with_unit(
        "fleetd_delivery_oldest_pending_age",
        "Age of the oldest pending row per table (0 when none)",
        Unit::Seconds,
        family(|t| t.oldest_pending_age_sec),
    )?;
    r.register_with_unit(
        "fleetd_delivery_oldest_due_age",
        "How long the oldest due row per table has been due (0 when none)",
        Unit::Seconds,
        family(|t| t.oldest_due_age_sec),
    )?;
    Ok(())
}

/// Encoding into a `String` cannot fail in practice; typed anyway.
#[derive(Debug, thiserror::Error)]
#[error("encoding the metrics failed")]
pub struct MetricsError(#[from] std::fmt::Error);

fn count<N: TryInto<i64>>(n: N) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

fn unix_seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

// A poisoned lock only means another scrape panicked while encoding; the
// slot is replaced whole by every scrape.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_label_values_are_escaped() {
        let family = Counts::<ProcessLabels>::default();
        family
            .get_or_create(&ProcessLabels {
                process_type: Escaped("a\"b\\c\nd".to_owned()),
                health: Word("green"),
            })
            .set(1);
        let mut r = Registry::default();
        r.register("t", "test", family);
        let mut out = String::new();
        encode_registry(&mut out, &r).expect("encode");
        assert!(
            out.contains(r#"t{process_type="a\"b\\c\nd",health="green"} 1"#),
            "{out}"
        );
    }

    #[test]
    fn daemon_metrics_are_always_there_and_end_with_eof() {
        let metrics = Metrics::new(Arc::new(Stats::default()));
        let text = metrics.render(Scrape::default()).expect("render");
        assert!(text.ends_with("# EOF\n"), "{text}");
        for line in [
            "fleetd_snapshot_builds_total 0",
            "fleetd_snapshot_build_failures_total 0",
            "fleetd_snapshot_available 0",
            "fleetd_snapshot_build_duration_seconds_count 0",
            "# TYPE fleetd_snapshot_build_duration_seconds histogram",
            "fleetd_snapshot_cache_hits_total 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        assert!(!text.contains("fleetd_snapshot_last_success_timestamp"));
        assert!(!text.contains("fleetd_fleet_status"));
    }

    /// A fleet with no rows at all, prepared as the service would.
    fn prepared() -> Arc<PreparedSnapshot> {
        let input = fleet_core::FleetInput {
            processes: Vec::new(),
            hosts: Ok(Vec::new()),
            delivery: Vec::new(),
            drift: fleet_core::DriftInput::NotCheckedYet,
        };
        let snapshot =
            fleet_core::build_snapshot(&input, Utc::now(), &fleet_core::Thresholds::default());
        Arc::new(
            PreparedSnapshot::new(snapshot, std::time::Duration::from_secs(5))
                .expect("serialisable"),
        )
    }

    fn has_line(text: &str, line: &str) -> bool {
        text.lines().any(|l| l == line)
    }

    #[test]
    fn the_registry_built_at_startup_reads_the_counters_at_each_scrape() {
        let stats = Arc::new(Stats::default());
        let metrics = Metrics::new(Arc::clone(&stats));
        stats.build_started();
        stats.build_finished(false, std::time::Duration::from_millis(20));
        stats.drift_scan_finished(true, std::time::Duration::from_millis(200));
        stats.drift_scan_finished(false, std::time::Duration::from_millis(200));
        stats.reload_finished(true);
        let text = metrics.render(Scrape::default()).expect("render");
        for line in [
            "fleetd_snapshot_builds_total 1",
            "fleetd_snapshot_build_failures_total 1",
            "fleetd_snapshot_build_duration_seconds_count 1",
            "fleetd_drift_scans_total 2",
            "fleetd_drift_scan_failures_total 1",
            "fleetd_drift_scan_duration_seconds_count 2",
            "fleetd_config_reloads_total 1",
            "fleetd_config_reload_failures_total 0",
        ] {
            assert!(has_line(&text, line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn the_fleet_series_are_those_of_the_snapshot_the_scrape_got() {
        let metrics = Metrics::new(Arc::new(Stats::default()));
        let prepared = prepared();
        let built_at = prepared.built_at;
        let status = prepared.snapshot.summary.status;
        let with = metrics
            .render(Scrape {
                current: Some(prepared),
                last_success: Some(built_at),
            })
            .expect("render");
        assert!(has_line(&with, "fleetd_snapshot_available 1"), "{with}");
        assert!(
            has_line(
                &with,
                &format!(r#"fleetd_fleet_status{{status="{status}"}} 1"#)
            ),
            "{with}"
        );
        assert!(
            has_line(
                &with,
                &format!(
                    "fleetd_snapshot_last_success_timestamp_seconds {}",
                    built_at.timestamp()
                )
            ),
            "{with}"
        );
        assert!(with.ends_with("# EOF\n"));

        let without = metrics
            .render(Scrape {
                current: None,
                last_success: Some(built_at),
            })
            .expect("render");
        assert!(has_line(&without, "fleetd_snapshot_available 0"));
        assert!(!without.contains("fleetd_fleet_status"), "{without}");
        assert!(without.contains("fleetd_snapshot_last_success_timestamp_seconds"));
    }

    #[test]
    fn concurrent_scrapes_each_encode_their_own_snapshot() {
        let metrics = Arc::new(Metrics::new(Arc::new(Stats::default())));
        let prepared = prepared();
        let scrapers: Vec<_> = (0..4)
            .map(|i| {
                let metrics = Arc::clone(&metrics);
                let current = (i % 2 == 0).then(|| Arc::clone(&prepared));
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        let text = metrics
                            .render(Scrape {
                                current: current.clone(),
                                last_success: None,
                            })
                            .expect("render");
                        let available = has_line(&text, "fleetd_snapshot_available 1");
                        assert_eq!(available, current.is_some(), "{text}");
                        assert_eq!(text.contains("fleetd_fleet_status"), available, "{text}");
                    }
                })
            })
            .collect();
        for scraper in scrapers {
            scraper.join().expect("no scraper panicked");
        }
    }
}
