//! Rule §1: process entries, staleness, activity and urgency order.

use crate::age::{age_secs, is_stale};
use crate::input::ProcessRow;
use crate::snapshot::{DependencyEntry, ProcessEntry};
use crate::status::Status;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::cmp::Ordering;
use std::time::Duration;

/// A process's `health_status`, classified. Anything but the three words is
/// `Unknown` and is treated like amber: an unrecognised health must never
/// read as healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Known(Status),
    Unknown,
}

impl Health {
    pub fn of(entry: &ProcessEntry) -> Health {
        Health::parse(&entry.health_status)
    }

    pub fn parse(health_status: &str) -> Health {
        match Status::parse(health_status) {
            Some(status) => Health::Known(status),
            None => Health::Unknown,
        }
    }

    /// The status this health counts as (unknown counts as amber).
    pub fn effective(self) -> Status {
        match self {
            Health::Known(status) => status,
            Health::Unknown => Status::Amber,
        }
    }
}

/// The process entries in urgency order, and the ids of rows whose
/// dependency_health could not be read (in the same order).
#[derive(Debug, Clone, PartialEq)]
pub struct Processes {
    pub entries: Vec<ProcessEntry>,
    pub unreadable_dependency_health: Vec<String>,
}

pub fn build_processes(rows: &[ProcessRow], now: DateTime<Utc>, grace: Duration) -> Processes {
    let mut entries: Vec<ProcessEntry> = rows.iter().map(|row| entry(row, now, grace)).collect();
    entries.sort_by(urgency_order);
    let unreadable_dependency_health = entries
        .iter()
        .filter(|e| e.dependency_health_error.is_some())
        .map(|e| e.process_id.clone())
        .collect();
    Processes {
        entries,
        unreadable_dependency_health,
    }
}

fn entry(row: &ProcessRow, now: DateTime<Utc>, grace: Duration) -> ProcessEntry {
    let (dependency_health, dependency_health_error) =
        match parse_dependency_health(row.dependency_health.as_deref()) {
            Ok(entries) => (entries, None),
            Err(why) => (Vec::new(), Some(why)),
        };
    let stale = is_stale(now, row.updated_at, grace);
    let health_counted_as = Health::parse(&row.health_status).effective();
    ProcessEntry {
        process_id: row.process_id.clone(),
        host_id: row.host_id.clone(),
        process_type: row.process_type.clone(),
        pid: row.pid,
        version: row.version.clone(),
        build_date: row.build_date.clone(),
        go_version: row.go_version.clone(),
        state: row.state.clone(),
        health_status: row.health_status.clone(),
        started_at: row.started_at,
        updated_at: row.updated_at,
        last_heartbeat_age_sec: age_secs(now, row.updated_at),
        stale,
        status: row_status(stale, health_counted_as),
        health_counted_as,
        bucket_min: row.bucket_min,
        bucket_max: row.bucket_max,
        bucket_ownership: row.bucket_ownership.clone(),
        api_port: row.api_port,
        dashboard_port: row.dashboard_port,
        delivery_workers_enabled: row.delivery_workers_enabled,
        delivery_owner_host: row.delivery_owner_host.clone(),
        worker_count: row.worker_count,
        active_checks: row.active_checks,
        queue_depth: row.queue_depth,
        retry_queue_size: row.retry_queue_size,
        wpcom_circuit_open: row.wpcom_circuit_open,
        wpcom_queue_depth: row.wpcom_queue_depth,
        go_sys_mem_mb: row.go_sys_mem_mb,
        rss_mem_mb: row.rss_mem_mb,
        dependency_health,
        dependency_health_error,
        created_at: row.created_at,
    }
}

/// A process row's status: a stale heartbeat is red whatever the process
/// last said; otherwise its health as the rollup counts it.
pub fn row_status(stale: bool, health_counted_as: Status) -> Status {
    if stale {
        Status::Red
    } else {
        health_counted_as
    }
}

/// Parses a `dependency_health` JSON value leniently: NULL, empty text and
/// JSON `null` mean no entries; missing or mistyped optional fields are
/// dropped; a value that is not an array of objects is an error (the row is
/// then kept with no entries and flagged, rule §1 [fix]).
pub fn parse_dependency_health(raw: Option<&str>) -> Result<Vec<DependencyEntry>, String> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => {
            return Err(format!(
                "expected a JSON array, found {}",
                json_kind(&other)
            ))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::Object(mut fields) => {
                let mut text_field = |key: &str| match fields.remove(key) {
                    Some(Value::String(s)) => Some(s),
                    _ => None,
                };
                let name = text_field("name").unwrap_or_default();
                let status = text_field("status").unwrap_or_default();
                let last_error = text_field("last_error");
                let checked_at = text_field("checked_at");
                let latency_ms = match fields.remove("latency_ms") {
                    Some(Value::Number(n)) => Some(n),
                    _ => None,
                };
                Ok(DependencyEntry {
                    counted_as: Health::parse(&status).effective(),
                    name,
                    status,
                    latency_ms,
                    last_error,
                    checked_at,
                })
            }
            other => Err(format!(
                "entry {index} is {}, expected an object",
                json_kind(&other)
            )),
        })
        .collect()
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether a process counts as active: fresh, and neither stopped nor
/// stopping.
pub fn is_active(entry: &ProcessEntry) -> bool {
    !entry.stale && !is_stopped(entry)
}

/// Whether a process reports it is stopped or stopping (case and
/// surrounding spaces ignored).
pub fn is_stopped(entry: &ProcessEntry) -> bool {
    let state = entry.state.trim();
    state.eq_ignore_ascii_case("stopped") || state.eq_ignore_ascii_case("stopping")
}

/// Urgency rank: stale, then red, then amber or unknown, then the rest.
fn urgency_rank(entry: &ProcessEntry) -> u8 {
    if entry.stale {
        return 0;
    }
    match entry.health_counted_as {
        Status::Red => 1,
        Status::Amber => 2,
        Status::Green => 3,
    }
}

/// Process type rank: monitors, then deliverers, then any other type.
pub fn type_rank(process_type: &str) -> u8 {
    match process_type {
        "monitor" => 0,
        "deliverer" => 1,
        _ => 2,
    }
}

fn urgency_order(a: &ProcessEntry, b: &ProcessEntry) -> Ordering {
    urgency_rank(a)
        .cmp(&urgency_rank(b))
        .then_with(|| type_rank(&a.process_type).cmp(&type_rank(&b.process_type)))
        .then_with(|| a.host_id.cmp(&b.host_id))
        .then_with(|| a.process_id.cmp(&b.process_id))
}
