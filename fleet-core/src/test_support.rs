//! Fixture builders for tests of fleet-core and of the crates that draw its
//! snapshots (feature `test-support`; never in a production build).
//!
//! A test builds a [`Fleet`] (the input rows + thresholds), usually from
//! [`Fleet::healthy`] (one fresh dynamic monitor owning all buckets: a green
//! fleet), changes the one thing it is about, and builds the snapshot
//! through the public entry point [`build_snapshot`] against the fixed
//! [`now`].
#![allow(clippy::panic, clippy::expect_used)]

use crate::snapshot::{DependencyRollup, HostEntry, ProcessEntry};
use crate::{
    build_snapshot, DeliveryKind, DeliveryTableCounts, DeliveryTableInput, DriftCause, DriftInput,
    DriftResult, FleetInput, FleetSnapshot, HostRow, ProcessRow, Status, Thresholds, Unreadable,
};
use chrono::{DateTime, Duration as ChronoDuration, TimeZone, Utc};
use std::time::Duration;

// ---------------------------------------------------------------- time

/// The snapshot's `now` in every test: the seed example's `generated_at`.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 30, 14, 0, 0)
        .single()
        .expect("a valid fixed date")
}

pub fn secs_ago(secs: i64) -> DateTime<Utc> {
    now() - ChronoDuration::seconds(secs)
}

pub fn ms_ago(ms: i64) -> DateTime<Utc> {
    now() - ChronoDuration::milliseconds(ms)
}

pub fn secs_ahead(secs: i64) -> DateTime<Utc> {
    now() + ChronoDuration::seconds(secs)
}

/// The heartbeat age of every "fresh" row the builders make (the seed's 4 s).
pub const FRESH_SECS: i64 = 4;

/// The default heartbeat grace, in seconds.
pub const GRACE_SECS: i64 = 600;

/// An age that is certainly stale under the default grace.
pub const STALE_SECS: i64 = 700;

// ---------------------------------------------------------------- processes

/// A fresh, running, green process of any type on `host`, with the id
/// `<host>:<process_type>` jetmon uses.
pub fn process(host: &str, process_type: &str) -> ProcessRow {
    ProcessRow {
        process_id: format!("{host}:{process_type}"),
        host_id: host.to_owned(),
        process_type: process_type.to_owned(),
        pid: 4242,
        version: "2.0.0".to_owned(),
        build_date: "2026-04-29".to_owned(),
        go_version: "go1.24".to_owned(),
        state: "running".to_owned(),
        health_status: "green".to_owned(),
        started_at: Some(secs_ago(3600)),
        updated_at: secs_ago(FRESH_SECS),
        bucket_min: None,
        bucket_max: None,
        bucket_ownership: String::new(),
        api_port: None,
        dashboard_port: None,
        delivery_workers_enabled: false,
        delivery_owner_host: String::new(),
        worker_count: 0,
        active_checks: 0,
        queue_depth: 0,
        retry_queue_size: 0,
        wpcom_circuit_open: false,
        wpcom_queue_depth: 0,
        go_sys_mem_mb: 0,
        rss_mem_mb: 0,
        dependency_health: None,
        created_at: Some(secs_ago(7200)),
    }
}

/// A fresh, running, green monitor reporting dynamic ownership.
pub fn monitor(host: &str) -> ProcessRow {
    process(host, "monitor").ownership("dynamic jetmon_hosts")
}

/// A fresh, running, green monitor reporting a pinned range.
pub fn pinned_monitor(host: &str, min: u16, max: u16) -> ProcessRow {
    let mut row = process(host, "monitor").ownership(&format!("pinned range={min}-{max}"));
    row.bucket_min = Some(min);
    row.bucket_max = Some(max);
    row
}

/// A fresh, running, green deliverer with delivery workers disabled.
pub fn deliverer(host: &str) -> ProcessRow {
    process(host, "deliverer")
}

/// Builder methods on a process row; each returns the changed row.
pub trait ProcessExt: Sized {
    fn id(self, process_id: &str) -> Self;
    fn health(self, health_status: &str) -> Self;
    fn state(self, state: &str) -> Self;
    /// Heartbeat `secs` seconds before `now`.
    fn age(self, secs: i64) -> Self;
    /// Heartbeat at exactly `ts`.
    fn at(self, ts: DateTime<Utc>) -> Self;
    fn ownership(self, bucket_ownership: &str) -> Self;
    /// Delivery workers enabled with this DELIVERY_OWNER_HOST ("" = unset).
    fn workers(self, owner: &str) -> Self;
    /// Raw `dependency_health` JSON text.
    fn deps(self, json: &str) -> Self;
}

impl ProcessExt for ProcessRow {
    fn id(mut self, process_id: &str) -> Self {
        process_id.clone_into(&mut self.process_id);
        self
    }
    fn health(mut self, health_status: &str) -> Self {
        health_status.clone_into(&mut self.health_status);
        self
    }
    fn state(mut self, state: &str) -> Self {
        state.clone_into(&mut self.state);
        self
    }
    fn age(mut self, secs: i64) -> Self {
        self.updated_at = secs_ago(secs);
        self
    }
    fn at(mut self, ts: DateTime<Utc>) -> Self {
        self.updated_at = ts;
        self
    }
    fn ownership(mut self, bucket_ownership: &str) -> Self {
        bucket_ownership.clone_into(&mut self.bucket_ownership);
        self
    }
    fn workers(mut self, owner: &str) -> Self {
        self.delivery_workers_enabled = true;
        owner.clone_into(&mut self.delivery_owner_host);
        self
    }
    fn deps(mut self, json: &str) -> Self {
        self.dependency_health = Some(json.to_owned());
        self
    }
}

/// One `dependency_health` entry as JSON text.
pub fn dep(name: &str, status: &str) -> String {
    serde_json::json!({
        "name": name,
        "status": status,
        "latency_ms": 3,
        "checked_at": "2026-04-30T13:59:56Z",
    })
    .to_string()
}

/// One `dependency_health` entry with a `last_error`.
pub fn dep_err(name: &str, status: &str, last_error: &str) -> String {
    serde_json::json!({
        "name": name,
        "status": status,
        "last_error": last_error,
        "checked_at": "2026-04-30T13:59:56Z",
    })
    .to_string()
}

/// A `dependency_health` JSON array of the given entries.
pub fn deps(entries: &[String]) -> String {
    format!("[{}]", entries.join(","))
}

// ---------------------------------------------------------------- hosts

/// A fresh, active `jetmon_hosts` row.
pub fn host(host_id: &str, bucket_min: u16, bucket_max: u16) -> HostRow {
    HostRow {
        host_id: host_id.to_owned(),
        bucket_min,
        bucket_max,
        last_heartbeat: secs_ago(FRESH_SECS),
        status: "active".to_owned(),
    }
}

pub trait HostExt: Sized {
    fn host_status(self, status: &str) -> Self;
    fn beat_age(self, secs: i64) -> Self;
    fn beat_at(self, ts: DateTime<Utc>) -> Self;
}

impl HostExt for HostRow {
    fn host_status(mut self, status: &str) -> Self {
        status.clone_into(&mut self.status);
        self
    }
    fn beat_age(mut self, secs: i64) -> Self {
        self.last_heartbeat = secs_ago(secs);
        self
    }
    fn beat_at(mut self, ts: DateTime<Utc>) -> Self {
        self.last_heartbeat = ts;
        self
    }
}

// ---------------------------------------------------------------- delivery

/// Empty delivery counters (a table with nothing in it).
pub fn counts() -> DeliveryTableCounts {
    DeliveryTableCounts::default()
}

// ---------------------------------------------------------------- the fleet

/// The input of one snapshot plus its thresholds and `now`.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub input: FleetInput,
    pub thresholds: Thresholds,
    pub now: DateTime<Utc>,
}

impl Fleet {
    /// No rows at all: no processes, no hosts, empty delivery tables, drift
    /// checked with nothing found.
    pub fn empty() -> Fleet {
        Fleet {
            input: FleetInput {
                processes: Vec::new(),
                hosts: Ok(Vec::new()),
                delivery: DeliveryKind::ALL
                    .into_iter()
                    .map(|kind| DeliveryTableInput {
                        kind,
                        counts: Ok(counts()),
                    })
                    .collect(),
                drift: DriftInput::Checked(DriftResult {
                    checked_at: secs_ago(30),
                    causes: Vec::new(),
                }),
            },
            thresholds: Thresholds::default(),
            now: now(),
        }
    }

    /// A green fleet: one fresh dynamic monitor `m1`, one fresh active host
    /// row owning every bucket, empty queues, no drift.
    pub fn healthy() -> Fleet {
        Fleet::empty()
            .proc(monitor("m1"))
            .hosts(vec![host("m1", 0, 999)])
    }

    pub fn proc(mut self, row: ProcessRow) -> Fleet {
        self.input.processes.push(row);
        self
    }

    pub fn procs(mut self, rows: impl IntoIterator<Item = ProcessRow>) -> Fleet {
        self.input.processes.extend(rows);
        self
    }

    /// Replaces all process rows.
    pub fn only_procs(mut self, rows: impl IntoIterator<Item = ProcessRow>) -> Fleet {
        self.input.processes = rows.into_iter().collect();
        self
    }

    /// Replaces the jetmon_hosts rows.
    pub fn hosts(mut self, hosts: Vec<HostRow>) -> Fleet {
        self.input.hosts = Ok(hosts);
        self
    }

    pub fn hosts_unreadable(mut self) -> Fleet {
        self.input.hosts = Err(Unreadable);
        self
    }

    fn table(
        mut self,
        kind: DeliveryKind,
        table: Result<DeliveryTableCounts, Unreadable>,
    ) -> Fleet {
        match self.input.delivery.iter_mut().find(|t| t.kind == kind) {
            Some(entry) => entry.counts = table,
            None => self.input.delivery.push(DeliveryTableInput {
                kind,
                counts: table,
            }),
        }
        self
    }

    pub fn webhook(self, c: DeliveryTableCounts) -> Fleet {
        self.table(DeliveryKind::Webhook, Ok(c))
    }

    pub fn alert(self, c: DeliveryTableCounts) -> Fleet {
        self.table(DeliveryKind::Alert, Ok(c))
    }

    pub fn unreadable_table(self, kind: DeliveryKind) -> Fleet {
        self.table(kind, Err(Unreadable))
    }

    pub fn drift(mut self, drift: DriftInput) -> Fleet {
        self.input.drift = drift;
        self
    }

    /// Drift checked 30 s ago with these drifting sites per cause.
    pub fn drift_causes(self, causes: &[(DriftCause, u64)]) -> Fleet {
        self.drift(DriftInput::Checked(DriftResult {
            checked_at: secs_ago(30),
            causes: causes.to_vec(),
        }))
    }

    pub fn bucket_total(mut self, total: u32) -> Fleet {
        self.thresholds.bucket_total = total;
        self
    }

    pub fn grace(mut self, secs: u64) -> Fleet {
        self.thresholds.heartbeat_grace = Duration::from_secs(secs);
        self
    }

    pub fn window(mut self, secs: u64) -> Fleet {
        self.thresholds.recent_window = Duration::from_secs(secs);
        self
    }

    pub fn build(&self) -> FleetSnapshot {
        build_snapshot(&self.input, self.now, &self.thresholds)
    }
}

// ---------------------------------------------------------------- lookups

pub fn proc_entry<'a>(snap: &'a FleetSnapshot, process_id: &str) -> &'a ProcessEntry {
    snap.processes
        .iter()
        .find(|p| p.process_id == process_id)
        .unwrap_or_else(|| panic!("process {process_id} missing from snapshot"))
}

pub fn host_entry<'a>(snap: &'a FleetSnapshot, host_id: &str) -> &'a HostEntry {
    snap.bucket_coverage
        .hosts
        .iter()
        .find(|h| h.host_id == host_id)
        .unwrap_or_else(|| panic!("host {host_id} missing from snapshot"))
}

pub fn dependency<'a>(snap: &'a FleetSnapshot, name: &str) -> &'a DependencyRollup {
    snap.dependencies
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("dependency {name} missing from snapshot"))
}

pub fn process_ids(snap: &FleetSnapshot) -> Vec<&str> {
    snap.processes
        .iter()
        .map(|p| p.process_id.as_str())
        .collect()
}

pub fn issues(snap: &FleetSnapshot) -> Vec<&str> {
    snap.summary.issues.iter().map(String::as_str).collect()
}

/// The severity of the issue with exactly this text.
pub fn issue_status(snap: &FleetSnapshot, text: &str) -> Option<Status> {
    snap.summary
        .issue_details
        .iter()
        .find(|i| i.text == text)
        .map(|i| i.status)
}

pub fn coverage_error(snap: &FleetSnapshot) -> &str {
    snap.bucket_coverage
        .error
        .as_deref()
        .unwrap_or_else(|| panic!("bucket coverage has no error: {:?}", snap.bucket_coverage))
}
