//! What fleet-core is given: the rows of the jetmon tables, already read.
//!
//! These types mirror `schema.sql` column by column, without any database
//! types, so that the adapter (fleet-sql) maps rows into them and tests build
//! them by hand.

use chrono::{DateTime, Utc};

/// A section whose table could not be read. The cause is deliberately not
/// carried: it belongs in the adapter's log, never in the snapshot that is
/// served to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unreadable;

/// One row of `jetmon_process_health`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessRow {
    pub process_id: String,
    pub host_id: String,
    pub process_type: String,
    pub pid: u32,
    pub version: String,
    pub build_date: String,
    pub go_version: String,
    pub state: String,
    pub health_status: String,
    pub started_at: Option<DateTime<Utc>>,
    /// The heartbeat.
    pub updated_at: DateTime<Utc>,
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
    /// The raw JSON text of `dependency_health`; `None` for SQL NULL. Parsed
    /// (leniently) by fleet-core so that the unreadable-row rule is testable
    /// without a database.
    pub dependency_health: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// One row of `jetmon_hosts`.
#[derive(Debug, Clone, PartialEq)]
pub struct HostRow {
    pub host_id: String,
    pub bucket_min: u16,
    pub bucket_max: u16,
    pub last_heartbeat: DateTime<Utc>,
    /// `active` or `draining` in production; any other value is not active.
    pub status: String,
}

/// Which delivery table a set of counters comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryKind {
    /// `jetmon_webhook_deliveries`
    Webhook,
    /// `jetmon_alert_deliveries`
    Alert,
}

impl DeliveryKind {
    pub const ALL: [DeliveryKind; 2] = [DeliveryKind::Webhook, DeliveryKind::Alert];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Webhook => "webhook",
            DeliveryKind::Alert => "alert",
        }
    }

    pub fn table(self) -> &'static str {
        match self {
            DeliveryKind::Webhook => "jetmon_webhook_deliveries",
            DeliveryKind::Alert => "jetmon_alert_deliveries",
        }
    }
}

/// The counters of one delivery table, as the adapter computed them for the
/// snapshot's `now` and `cutoff = now - recent_window` (rollup.md §3).
/// Ages are not computed by the adapter: it reports the oldest timestamps and
/// fleet-core turns them into ages against the same `now`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryTableCounts {
    pub pending: u64,
    pub due_now: u64,
    pub future_retry: u64,
    pub delivered_since: u64,
    pub failed_since: u64,
    pub abandoned_since: u64,
    /// Oldest `created_at` of a pending row.
    pub oldest_pending_at: Option<DateTime<Utc>>,
    /// Oldest `COALESCE(next_attempt_at, created_at)` of a due row.
    pub oldest_due_at: Option<DateTime<Utc>>,
}

/// The read of one delivery table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryTableInput {
    pub kind: DeliveryKind,
    pub counts: Result<DeliveryTableCounts, Unreadable>,
}

/// The drift cause codes of rollup.md §5, in classification order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftCause {
    UnexpectedProjectionValue,
    MultipleOpenHttpEvents,
    StaleLegacyDownProjection,
    MissingConfirmedDownProjection,
    MissingSeemsDownProjection,
    MissingConfirmedPromotion,
    StaleConfirmedDownProjection,
    UnexpectedOpenEventProjection,
}

impl DriftCause {
    /// Every cause, in the order rollup.md classifies them (first match wins).
    pub const ALL: [DriftCause; 8] = [
        DriftCause::UnexpectedProjectionValue,
        DriftCause::MultipleOpenHttpEvents,
        DriftCause::StaleLegacyDownProjection,
        DriftCause::MissingConfirmedDownProjection,
        DriftCause::MissingSeemsDownProjection,
        DriftCause::MissingConfirmedPromotion,
        DriftCause::StaleConfirmedDownProjection,
        DriftCause::UnexpectedOpenEventProjection,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DriftCause::UnexpectedProjectionValue => "unexpected_projection_value",
            DriftCause::MultipleOpenHttpEvents => "multiple_open_http_events",
            DriftCause::StaleLegacyDownProjection => "stale_legacy_down_projection",
            DriftCause::MissingConfirmedDownProjection => "missing_confirmed_down_projection",
            DriftCause::MissingSeemsDownProjection => "missing_seems_down_projection",
            DriftCause::MissingConfirmedPromotion => "missing_confirmed_promotion",
            DriftCause::StaleConfirmedDownProjection => "stale_confirmed_down_projection",
            DriftCause::UnexpectedOpenEventProjection => "unexpected_open_event_projection",
        }
    }

    pub fn from_code(code: &str) -> Option<DriftCause> {
        DriftCause::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// A finished drift scan: drifting sites (each counted once) by cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftResult {
    /// When the scan ran (the database's `now` for that query).
    pub checked_at: DateTime<Utc>,
    /// Drifting sites per cause; causes with no site may be absent. The
    /// section's `count` is the sum.
    pub causes: Vec<(DriftCause, u64)>,
}

/// What is known about projection drift when the snapshot is built. Drift is
/// refreshed on its own, slower schedule, so the snapshot is given the latest
/// outcome rather than reading it itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftInput {
    /// The first drift scan has not finished yet.
    NotCheckedYet,
    /// The latest drift scan failed, and none has succeeded before it (for
    /// this bucket_total).
    Unreadable,
    /// The latest drift scan failed; this is the last good result (rollup.md
    /// §9.3: shown with the failure, never dropped).
    LastScanFailed(DriftResult),
    /// The latest drift scan finished.
    Checked(DriftResult),
}

/// Everything one snapshot is built from.
///
/// The process-health read has no `Unreadable` form: without it there is no
/// snapshot at all (fleetd.md, "Data and cache").
#[derive(Debug, Clone, PartialEq)]
pub struct FleetInput {
    pub processes: Vec<ProcessRow>,
    pub hosts: Result<Vec<HostRow>, Unreadable>,
    /// One entry per delivery table (webhook, alert).
    pub delivery: Vec<DeliveryTableInput>,
    pub drift: DriftInput,
}
