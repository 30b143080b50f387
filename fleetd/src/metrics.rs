//! Every Prometheus metric fleetd exposes on `/metrics`, declared and
//! described here and nowhere else (`docs/operator-extras.md` lists them).
//!
//! The text is OpenMetrics 1.0 (prometheus-client's encoder), served as
//! [`CONTENT_TYPE`]; Prometheus scrapes it natively. It has two parts:
//!
//! - **fleetd's own figures** ([`encode_daemon`]), encoded on every scrape
//!   from [`Stats`] and the snapshot service: builds, failures, durations,
//!   cache hits, drift scans, reloads. Always present, also when the
//!   database is down.
//! - **the fleet** ([`encode_fleet`]), derived from one snapshot: the
//!   statuses, process counts, delivery queues, drift. Encoded once per
//!   snapshot (the prepared snapshot caches the text) and present only
//!   when `/metrics` got a current snapshot; `fleetd_snapshot_available`
//!   says which.
//!
//! Every status is a family with one series per status value (`red`,
//! `amber`, `green`), 1 for the current one and 0 for the others, so an
//! alert is `fleetd_fleet_status{status="red"} == 1`.
//!
//! prometheus-client 0.24 writes label values verbatim; values that come
//! from the database (process types, dependency names) are escaped here
//! ([`Escaped`]).

use crate::stats::Stats;
use chrono::{DateTime, Utc};
use fleet_core::snapshot::{DeliveryTable, FleetSnapshot};
use fleet_core::{DriftCause, Status};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use std::fmt::Write;

/// The Content-Type of `/metrics`: OpenMetrics text, what prometheus-client
/// encodes (its `# EOF`, `_total` and `# UNIT` conventions are OpenMetrics).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Buckets of `fleetd_snapshot_build_duration_seconds` (a build normally
/// takes milliseconds; the statement limit defaults to 3 s).
pub const BUILD_DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Buckets of `fleetd_drift_scan_duration_seconds` (a scan of millions of
/// sites takes seconds; its limit defaults to 60 s).
pub const DRIFT_SCAN_DURATION_BUCKETS: [f64; 11] =
    [0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

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

// ---- fleetd's own figures -------------------------------------------------

/// What a scrape knows besides [`Stats`].
#[derive(Debug, Clone, Copy)]
pub struct ScrapeState {
    /// Whether this scrape got a current snapshot (fleet series follow).
    pub snapshot_available: bool,
    /// Wall-clock time the latest successful build finished, if any.
    pub last_success: Option<DateTime<Utc>>,
}

/// Encodes fleetd's own metrics (no `# EOF`).
pub fn encode_daemon(out: &mut String, stats: &Stats, scrape: ScrapeState) -> std::fmt::Result {
    let s = stats.snapshot();
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
        ConstCounter::new(s.builds_started),
    );
    r.register(
        "fleetd_snapshot_build_failures",
        "Snapshot builds that produced no snapshot (the process-health read or the database clock failed)",
        ConstCounter::new(s.builds_failed),
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
        ConstCounter::new(s.cache_hits),
    );
    r.register(
        "fleetd_snapshot_cache_misses",
        "Requests that found no fresh cached snapshot (concurrent misses share one build)",
        ConstCounter::new(s.cache_misses),
    );
    r.register(
        "fleetd_snapshot_build_wait_exceeded",
        "Requests answered without a new snapshot because its build took longer than cache.build_wait_ms (the build went on)",
        ConstCounter::new(s.build_waits_exceeded),
    );
    r.register(
        "fleetd_snapshot_available",
        "1 when this scrape got a current snapshot (the fleet series are present), 0 when the database could not be read",
        ConstGauge::new(i64::from(scrape.snapshot_available)),
    );
    if let Some(at) = scrape.last_success {
        r.register_with_unit(
            "fleetd_snapshot_last_success_timestamp",
            "Unix time the latest successful snapshot build finished (absent before the first)",
            Unit::Seconds,
            ConstGauge::new(unix_seconds(at)),
        );
    }
    r.register(
        "fleetd_drift_scans",
        "Projection-drift scans finished, successful or not",
        ConstCounter::new(s.drift_scans_succeeded + s.drift_scans_failed),
    );
    r.register(
        "fleetd_drift_scan_failures",
        "Projection-drift scans that failed (the drift section reads red)",
        ConstCounter::new(s.drift_scans_failed),
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
        ConstCounter::new(s.reloads_succeeded + s.reloads_failed),
    );
    r.register(
        "fleetd_config_reload_failures",
        "Configuration reloads that failed (the running configuration was kept)",
        ConstCounter::new(s.reloads_failed),
    );
    encode_registry(out, &r)
}

// ---- the fleet --------------------------------------------------------------

/// Encodes the fleet metrics of one snapshot (no `# EOF`).
pub fn encode_fleet(out: &mut String, snap: &FleetSnapshot) -> std::fmt::Result {
    let mut r = Registry::default();
    let summary = &snap.summary;

    r.register_with_unit(
        "fleetd_snapshot_generated_timestamp",
        "Unix time (database clock) the served snapshot was generated",
        Unit::Seconds,
        ConstGauge::new(unix_seconds(snap.generated_at)),
    );

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
    );

    let sections = Counts::<SectionLabels>::default();
    for (section, current) in SECTIONS.into_iter().zip(section_statuses(snap)) {
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
    );

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
    );

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
        let health = if p.stale {
            "stale"
        } else {
            match Status::parse(&p.health_status) {
                Some(status) => status.as_str(),
                None => "amber",
            }
        };
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
    );
    r.register(
        "fleetd_stale_processes",
        "Processes whose heartbeat is older than heartbeat_grace_sec",
        ConstGauge::new(count(summary.stale_processes)),
    );

    encode_delivery(&mut r, &snap.delivery.tables);

    let drift = &snap.projection_drift;
    if drift.checked_at.is_some() && drift.error.is_none() {
        r.register(
            "fleetd_projection_drift_sites",
            "Active sites whose legacy projection disagrees with their open events (absent until the first scan)",
            ConstGauge::new(count(drift.count)),
        );
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
        );
    }
    if let Some(age) = drift.age_sec {
        r.register_with_unit(
            "fleetd_projection_drift_age",
            "Age of the drift figure when the snapshot was generated",
            Unit::Seconds,
            ConstGauge::new(count(age)),
        );
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
    );

    encode_registry(out, &r)
}

fn encode_delivery(r: &mut Registry, tables: &[DeliveryTable]) {
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
    );

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
    );
    r.register(
        "fleetd_delivery_due",
        "Pending delivery rows that are due now (next_attempt_at unset or past)",
        family(|t| t.due_now),
    );
    r.register(
        "fleetd_delivery_future_retry",
        "Pending delivery rows scheduled for a later retry",
        family(|t| t.future_retry),
    );
    r.register(
        "fleetd_delivery_delivered_recent",
        "Rows delivered within the recent window (recent_window_sec)",
        family(|t| t.delivered_since),
    );
    r.register(
        "fleetd_delivery_failed_recent",
        "Rows failed within the recent window (recent_window_sec)",
        family(|t| t.failed_since),
    );
    r.register(
        "fleetd_delivery_abandoned_recent",
        "Rows abandoned within the recent window (recent_window_sec)",
        family(|t| t.abandoned_since),
    );
    r.register_with_unit(
        "fleetd_delivery_oldest_pending_age",
        "Age of the oldest pending row per table (0 when none)",
        Unit::Seconds,
        family(|t| t.oldest_pending_age_sec),
    );
    r.register_with_unit(
        "fleetd_delivery_oldest_due_age",
        "How long the oldest due row per table has been due (0 when none)",
        Unit::Seconds,
        family(|t| t.oldest_due_age_sec),
    );
}

/// The status of each of [`SECTIONS`], in that order.
fn section_statuses(snap: &FleetSnapshot) -> [Status; 6] {
    let s = &snap.summary;
    // As the page's processes card: stale or red rows are red; amber rows or
    // no rows at all are amber.
    let processes = if s.red_processes > 0 || s.stale_processes > 0 {
        Status::Red
    } else if s.amber_processes > 0 || snap.processes.is_empty() {
        Status::Amber
    } else {
        Status::Green
    };
    let dependencies = snap
        .dependencies
        .iter()
        .map(|d| d.status)
        .max()
        .unwrap_or(Status::Green);
    [
        processes,
        snap.bucket_coverage.status,
        snap.delivery.status,
        snap.delivery.posture.status,
        snap.projection_drift.status,
        dependencies,
    ]
}

/// Renders the complete `/metrics` body: fleetd's own figures, then the
/// fleet part of the current snapshot (already encoded by
/// [`encode_fleet`]) when there is one, then `# EOF`.
pub fn render(
    stats: &Stats,
    scrape: ScrapeState,
    fleet: Option<&str>,
) -> Result<String, MetricsError> {
    let mut out = String::with_capacity(8 * 1024 + fleet.map_or(0, str::len));
    encode_daemon(&mut out, stats, scrape)?;
    if let Some(fleet) = fleet {
        out.push_str(fleet);
    }
    encode_eof(&mut out)?;
    Ok(out)
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
        let stats = Stats::default();
        let text = render(
            &stats,
            ScrapeState {
                snapshot_available: false,
                last_success: None,
            },
            None,
        )
        .expect("render");
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
}
