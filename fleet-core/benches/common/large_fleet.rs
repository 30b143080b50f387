//! A production-sized fleet for the benchmarks: 1,000 processes (500 hosts
//! with a monitor and a deliverer each; 4–5 dependency entries per process;
//! some amber, red and stale), 200 `jetmon_hosts` rows covering 1,000
//! buckets, both delivery tables with traffic, and a drift result with
//! several causes.
//!
//! Shared by `fleet-core/benches/rollup.rs` and, through `#[path]`, by
//! `fleetd/benches/render.rs`, so that both measure the same fleet.

use chrono::{DateTime, Duration as ChronoDuration, TimeZone, Utc};
use fleet_core::{
    DeliveryKind, DeliveryTableCounts, DeliveryTableInput, DriftCause, DriftInput, DriftResult,
    FleetInput, HostRow, ProcessRow, Thresholds,
};

pub const PROCESSES: usize = 1_000;
pub const HOSTS: usize = 200;

/// The fixed `now` of every benchmark snapshot.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 30, 14, 0, 0)
        .single()
        .expect("a valid fixed date")
}

fn ago(secs: i64) -> DateTime<Utc> {
    now() - ChronoDuration::seconds(secs)
}

pub fn thresholds() -> Thresholds {
    Thresholds {
        bucket_total: 1000,
        ..Thresholds::default()
    }
}

fn host_name(h: usize) -> String {
    format!("jetmon-{h:03}.dfw.example.net")
}

fn dependency(
    name: &str,
    status: &str,
    latency: usize,
    error: Option<&str>,
    checked: i64,
) -> String {
    let error = error.map_or(String::new(), |e| format!(r#","last_error":"{e}""#));
    format!(
        r#"{{"name":"{name}","status":"{status}","latency_ms":{latency}{error},"checked_at":"{}"}}"#,
        ago(checked).format("%Y-%m-%dT%H:%M:%SZ")
    )
}

fn process(i: usize) -> ProcessRow {
    let h = i / 2 + 1;
    let monitor = i % 2 == 0;
    let host = host_name(h);
    let process_type = if monitor { "monitor" } else { "deliverer" };
    let health = if i % 89 == 7 {
        "red"
    } else if i % 37 == 5 {
        "amber"
    } else {
        "green"
    };
    let heartbeat_age = if i % 97 == 11 { 1_800 } else { (i % 30) as i64 };
    let owns = monitor && h <= HOSTS;
    let mysql = dependency(
        "mysql",
        if health == "red" { "red" } else { "green" },
        1 + i % 4,
        (health == "red").then_some("dial tcp 10.0.0.5:3306: connect: connection refused"),
        heartbeat_age,
    );
    let wpcom = dependency(
        "wpcom_api",
        if health == "amber" { "amber" } else { "green" },
        40 + i % 90,
        (health == "amber").then_some("p95 latency 1450ms above 1000ms budget"),
        heartbeat_age,
    );
    let statsd = dependency("statsd", "green", 0, None, heartbeat_age);
    let deps = if monitor {
        let veriflier = dependency("veriflier", "green", 12 + i % 30, None, heartbeat_age);
        format!("[{mysql},{wpcom},{statsd},{veriflier}]")
    } else {
        let smtp = dependency("smtp", "green", 25 + i % 50, None, heartbeat_age);
        let egress = dependency("webhook_egress", "green", 80 + i % 200, None, heartbeat_age);
        format!("[{mysql},{wpcom},{statsd},{smtp},{egress}]")
    };
    ProcessRow {
        process_id: format!("{host}:{process_type}"),
        host_id: host,
        process_type: process_type.to_owned(),
        pid: 1000 + i as u32 * 7,
        version: "v2.4.1".to_owned(),
        build_date: "2026-10-28T14:02:11Z".to_owned(),
        go_version: "go1.23.4".to_owned(),
        state: if monitor && !owns { "idle" } else { "running" }.to_owned(),
        health_status: health.to_owned(),
        started_at: Some(ago(3 * 86_400 + i as i64 * 60)),
        updated_at: ago(heartbeat_age),
        bucket_min: owns.then(|| ((h - 1) * 1000 / HOSTS) as u16),
        bucket_max: owns.then(|| (h * 1000 / HOSTS - 1) as u16),
        bucket_ownership: if monitor { "dynamic jetmon_hosts" } else { "" }.to_owned(),
        api_port: monitor.then_some(7801),
        dashboard_port: monitor.then_some(7802),
        delivery_workers_enabled: !monitor,
        delivery_owner_host: if monitor {
            ""
        } else {
            "jetmon-001.dfw.example.net"
        }
        .to_owned(),
        worker_count: if monitor { 64 } else { 16 },
        active_checks: if monitor { 20 + (i % 40) as u32 } else { 0 },
        queue_depth: (i % 25) as u32,
        retry_queue_size: (i % 3) as u32,
        wpcom_circuit_open: false,
        wpcom_queue_depth: (i % 5) as u32,
        go_sys_mem_mb: 60 + (i % 40) as u32,
        rss_mem_mb: 80 + (i % 60) as u32,
        dependency_health: Some(deps),
        created_at: Some(ago(30 * 86_400)),
    }
}

fn host(h: usize) -> HostRow {
    HostRow {
        host_id: host_name(h),
        bucket_min: ((h - 1) * 1000 / HOSTS) as u16,
        bucket_max: (h * 1000 / HOSTS - 1) as u16,
        last_heartbeat: ago((h % 20) as i64),
        status: "active".to_owned(),
    }
}

fn delivery(kind: DeliveryKind, scale: u64) -> DeliveryTableInput {
    DeliveryTableInput {
        kind,
        counts: Ok(DeliveryTableCounts {
            pending: 2_400 * scale,
            due_now: 1_800 * scale,
            future_retry: 600 * scale,
            delivered_since: 540 * scale,
            failed_since: 360 * scale,
            abandoned_since: 180 * scale,
            oldest_pending_at: Some(ago(3_000)),
            oldest_due_at: Some(ago(2_990)),
        }),
    }
}

/// The whole input of one snapshot.
pub fn input() -> FleetInput {
    FleetInput {
        processes: (0..PROCESSES).map(process).collect(),
        hosts: Ok((1..=HOSTS).map(host).collect()),
        delivery: vec![
            delivery(DeliveryKind::Webhook, 2),
            delivery(DeliveryKind::Alert, 1),
        ],
        drift: DriftInput::Checked(DriftResult {
            checked_at: ago(42),
            causes: vec![
                (DriftCause::MissingConfirmedDownProjection, 83),
                (DriftCause::MissingConfirmedPromotion, 41),
                (DriftCause::StaleLegacyDownProjection, 140),
                (DriftCause::MissingSeemsDownProjection, 27),
                (DriftCause::MultipleOpenHttpEvents, 9),
                (DriftCause::UnexpectedProjectionValue, 3),
            ],
        }),
    }
}
