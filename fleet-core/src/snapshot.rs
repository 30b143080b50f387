//! The fleet snapshot: what `/api/fleet` serves (rollup.md §8).
//!
//! Field names and nesting follow the example JSON of jetmon's pull request
//! exactly; fields fleetd adds are marked "additive" and are never renames.

use crate::input::{DeliveryKind, DriftCause};
use crate::status::Status;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Serialises UTC timestamps as RFC 3339 with whole seconds and a `Z`, the
/// form of the seed's example (`2026-04-30T14:00:00Z`).
pub mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::Serializer;

    pub fn format(ts: &DateTime<Utc>) -> String {
        ts.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    pub fn serialize<S: Serializer>(ts: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(ts))
    }

    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::Serializer;

        pub fn serialize<S: Serializer>(
            ts: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match ts {
                Some(ts) => s.serialize_str(&super::format(ts)),
                None => s.serialize_none(),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetSnapshot {
    #[serde(with = "rfc3339")]
    pub generated_at: DateTime<Utc>,
    pub summary: Summary,
    pub processes: Vec<ProcessEntry>,
    /// Rows per `process_type`, stale included.
    pub process_counts: BTreeMap<String, u64>,
    pub bucket_coverage: BucketCoverage,
    pub delivery: Delivery,
    pub projection_drift: ProjectionDrift,
    pub dependencies: Vec<DependencyRollup>,
    /// Additive: the status of every part of the fleet a view shows on its
    /// own (cards, metrics), decided here so that no view derives one.
    pub sections: SectionStatuses,
}

/// The status of each part of the fleet, as the page's cards and the
/// `fleetd_section_status` metric show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SectionStatuses {
    /// Red when any process is stale or red, amber when any is amber (or
    /// reports an unknown health) or there are no processes at all.
    pub processes: Status,
    /// The worst row status of the monitor processes; amber when there are
    /// none (rule §7: no monitor rows is an amber issue).
    pub monitors: Status,
    /// The worst row status of the deliverer processes; absent when there
    /// are none (standalone deliverers are optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliverers: Option<Status>,
    pub bucket_coverage: Status,
    pub delivery: Status,
    pub delivery_posture: Status,
    pub projection_drift: Status,
    /// The worst dependency status; absent when no process reports any
    /// dependency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Status>,
}

/// One issue with its own severity. The seed's `summary.issues` is the list
/// of texts; the severities are the additive `summary.issue_details`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub status: Status,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub status: Status,
    pub message: String,
    pub suggested_next_action: String,
    /// Issue texts, red ones first (the seed's field).
    pub issues: Vec<String>,
    /// Additive: the same issues, in the same order, with their severity.
    pub issue_details: Vec<Issue>,
    pub red_processes: u64,
    pub amber_processes: u64,
    pub green_processes: u64,
    pub stale_processes: u64,
    pub monitor_processes: u64,
    pub deliverer_processes: u64,
    pub dependency_red_count: u64,
    pub dependency_amber_count: u64,
    /// Additive: when the next action asks to open host dashboards (red
    /// processes, amber processes, a red dependency), the hosts it concerns,
    /// each once, most urgent first; empty for every other action. A view
    /// links the action to a dashboard when there is exactly one.
    pub next_action_hosts: Vec<ActionHost>,
}

/// One host a next action concerns, with the process whose dashboard to
/// open there: the most urgent of the concerned processes on that host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionHost {
    pub host_id: String,
    pub process_id: String,
}

/// One entry of a process's `dependency_health` JSON array.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DependencyEntry {
    pub name: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<serde_json::Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Passed through as the process wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    /// Additive: the status this entry counts as in the rollup (rule §6: an
    /// unknown `status` counts as amber).
    pub counted_as: Status,
}

/// One process: every column of its `jetmon_process_health` row plus the
/// computed heartbeat age and staleness.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessEntry {
    pub process_id: String,
    pub host_id: String,
    pub process_type: String,
    pub pid: u32,
    pub version: String,
    pub build_date: String,
    pub go_version: String,
    pub state: String,
    pub health_status: String,
    #[serde(with = "rfc3339::option")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    pub last_heartbeat_age_sec: u64,
    pub stale: bool,
    /// Additive: this row's status: red when stale, else its health as the
    /// rollup counts it.
    pub status: Status,
    /// Additive: `health_status` as the rollup counts it (rule §1: an
    /// unknown value counts as amber), whether or not the row is stale.
    pub health_counted_as: Status,
    pub bucket_min: Option<u16>,
    pub bucket_max: Option<u16>,
    pub bucket_ownership: String,
    pub api_port: Option<u32>,
    pub dashboard_port: Option<u32>,
    pub delivery_workers_enabled: bool,
    pub delivery_owner_host: String,
    pub worker_count: u32,
    pub active_checks: u32,
    pub queue_depth: u32,
    pub retry_queue_size: u32,
    pub wpcom_circuit_open: bool,
    pub wpcom_queue_depth: u32,
    pub go_sys_mem_mb: u32,
    pub rss_mem_mb: u32,
    pub dependency_health: Vec<DependencyEntry>,
    /// Additive: why `dependency_health` could not be read (the JSON parse
    /// error; never database text). Absent when it was readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency_health_error: Option<String>,
    #[serde(with = "rfc3339::option")]
    pub created_at: Option<DateTime<Utc>>,
}

/// Bucket ownership mode (rollup.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnershipMode {
    Pinned,
    Dynamic,
    Mixed,
    Unknown,
}

impl OwnershipMode {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnershipMode::Pinned => "pinned",
            OwnershipMode::Dynamic => "dynamic",
            OwnershipMode::Mixed => "mixed",
            OwnershipMode::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketCoverage {
    pub status: Status,
    pub mode: OwnershipMode,
    pub bucket_total: u32,
    pub host_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub hosts: Vec<HostEntry>,
    /// Additive: the gaps, overlaps and invalid ranges of `hosts` (rule
    /// §2.6) when bucket_total is configured and there are host rows. They
    /// decide the status only under dynamic ownership (rules 3–5 come first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<CoverageFinding>,
    /// Additive: while ownership is pinned or mixed, the ranges the fresh
    /// monitors report, and what the same walk finds in them. Information
    /// only: pinned coverage does not change the status (rule §2.3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pinned_ranges: Vec<PinnedRange>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pinned_findings: Vec<CoverageFinding>,
}

/// One `jetmon_hosts` row with its heartbeat age.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostEntry {
    pub host_id: String,
    pub bucket_min: u16,
    pub bucket_max: u16,
    #[serde(with = "rfc3339")]
    pub last_heartbeat: DateTime<Utc>,
    pub status: String,
    pub last_heartbeat_age_sec: u64,
    pub stale: bool,
    /// Additive: this owner row's own status (red when it has a problem).
    pub row_status: Status,
    /// Additive: the first of this row's problems, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_problem: Option<HostProblem>,
}

/// What is wrong with one bucket-owner row (first match, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostProblem {
    /// `bucket_min > bucket_max`, or `bucket_max` at or past `bucket_total`.
    InvalidRange,
    /// `status` is not `active` (e.g. `draining`).
    NotActive,
    /// The heartbeat is older than the grace.
    Stale,
}

impl HostProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            HostProblem::InvalidRange => "invalid range",
            HostProblem::NotActive => "not active",
            HostProblem::Stale => "heartbeat stale",
        }
    }
}

/// What kind of coverage problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Buckets no range claims.
    Gap,
    /// Buckets claimed by more than one range.
    Overlap,
    /// A range that is empty (`min > max`) or reaches past the last bucket.
    InvalidRange,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Gap => "gap",
            FindingKind::Overlap => "overlap",
            FindingKind::InvalidRange => "invalid",
        }
    }
}

/// One problem the coverage walk (rule §2.6) found, as data a view can
/// draw, and its text (the coverage `error` joins them with `; `).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageFinding {
    pub kind: FindingKind,
    /// The buckets concerned, inclusive. For an invalid range, the range as
    /// the row states it (so `first_bucket` may exceed `last_bucket`).
    pub first_bucket: u32,
    pub last_bucket: u32,
    /// The owners concerned: for a gap the owner after it (none for a
    /// trailing gap), for an overlap every owner of those buckets, for an
    /// invalid range its owner.
    pub hosts: Vec<String>,
    pub text: String,
}

impl CoverageFinding {
    /// Buckets in `first_bucket..=last_bucket` (0 for an empty range).
    pub fn bucket_count(&self) -> u32 {
        if self.last_bucket >= self.first_bucket {
            self.last_bucket - self.first_bucket + 1
        } else {
            0
        }
    }
}

/// A bucket range a fresh monitor reports while ownership is pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinnedRange {
    pub process_id: String,
    pub host_id: String,
    pub bucket_min: u16,
    pub bucket_max: u16,
    /// The reporting process's row status.
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(with = "rfc3339")]
    pub since: DateTime<Utc>,
    pub pending: u64,
    pub due_now: u64,
    pub future_retry: u64,
    pub delivered_since: u64,
    pub abandoned_since: u64,
    pub failed_since: u64,
    pub oldest_pending_age_sec: u64,
    pub oldest_due_age_sec: u64,
    pub tables: Vec<DeliveryTable>,
    pub posture: Posture,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryTable {
    pub kind: DeliveryKind,
    /// Additive: this table's own status (same rule as the section).
    pub status: Status,
    /// Additive: set when this table could not be read; its counters are
    /// then zero and must not be read as "empty".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub pending: u64,
    pub due_now: u64,
    pub future_retry: u64,
    pub delivered_since: u64,
    pub abandoned_since: u64,
    pub failed_since: u64,
    pub oldest_pending_age_sec: u64,
    pub oldest_due_age_sec: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Posture {
    pub status: Status,
    pub enabled_process_count: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enabled_hosts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owner_hosts: Vec<String>,
    /// Additive: enabled processes that report no DELIVERY_OWNER_HOST.
    pub unowned_process_count: u64,
    pub message: String,
}

/// Where the drift figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftScan {
    /// bucket_total is not configured: no scan runs.
    NotConfigured,
    /// The first scan (for this bucket_total) has not finished.
    NotCheckedYet,
    /// The latest scan finished; `count` is its figure.
    Checked,
    /// The latest scan failed. With `checked_at`, `count` and `causes` are
    /// the last good scan's (rollup.md §9.3); without, nothing is known.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectionDrift {
    pub status: Status,
    /// Additive: where the figure comes from.
    pub scan: DriftScan,
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Additive: drifting sites by cause, largest first.
    pub causes: Vec<DriftCauseCount>,
    /// Additive: when the drift figure was computed (it is refreshed less
    /// often than the rest of the snapshot). Absent until the first scan.
    #[serde(with = "rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<DateTime<Utc>>,
    /// Additive: age of `checked_at` at `generated_at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_sec: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftCauseCount {
    pub code: DriftCause,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyRollup {
    pub name: String,
    pub status: Status,
    pub red_count: u64,
    pub amber_count: u64,
    pub green_count: u64,
    pub stale_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Additive: the processes reporting this dependency other than green,
    /// in process order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_green: Vec<DependencyReport>,
}

/// One process's non-green report of a dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyReport {
    pub process_id: String,
    pub host_id: String,
    /// The status as the process wrote it.
    pub status: String,
    /// What it counts as (an unknown status counts as amber).
    pub counted_as: Status,
    /// Whether the reporting process is stale.
    pub stale: bool,
}
