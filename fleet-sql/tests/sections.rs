//! What each section reads from a real database, and what fleet-core makes
//! of it.

mod common;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use common::*;
use fleet_core::snapshot::OwnershipMode;
use fleet_core::{
    build_snapshot, DeliveryKind, DeliveryTableCounts, DriftCause, DriftInput, FleetSnapshot,
    Status,
};
use fleet_sql::testing::ScratchDb;
use fleet_sql::{section, FleetRead};

fn snapshot(read: FleetRead, drift: DriftInput) -> FleetSnapshot {
    let (now, input) = read.into_input(drift);
    build_snapshot(&input, now, &thresholds())
}

async fn read(db: &ScratchDb) -> FleetRead {
    reader(db)
        .read_fleet(&thresholds())
        .await
        .expect("read_fleet")
}

const DYNAMIC: &str = "'dynamic jetmon_hosts'";

/// Two dynamic monitors and one deliverer, all fresh and green.
async fn healthy_processes(db: &ScratchDb) {
    let deps = r#"'[{"name":"mysql","status":"green","latency_ms":3,"checked_at":"2026-04-30T13:59:56Z"}]'"#;
    exec(
        db,
        &[
            process_sql(
                "jetmon-a",
                "monitor",
                &[("bucket_ownership", DYNAMIC), ("dependency_health", deps)],
            ),
            process_sql("jetmon-b", "monitor", &[("bucket_ownership", DYNAMIC)]),
            process_sql(
                "jetmon-deliverer-1",
                "deliverer",
                &[
                    ("delivery_workers_enabled", "1"),
                    ("delivery_owner_host", "'jetmon-deliverer-1'"),
                    ("dependency_health", deps),
                ],
            ),
        ]
        .concat(),
    )
    .await;
}

#[tokio::test]
async fn healthy_dynamic_fleet_reads_every_section_and_builds_green() {
    let db = scratch().await;
    healthy_processes(&db).await;
    exec(
        &db,
        &[
            host_sql("jetmon-b", 500, 999, 3, "active"),
            host_sql("jetmon-a", 0, 499, 3, "active"),
            "INSERT INTO jetmon_webhook_deliveries (webhook_id, transition_id, event_id, event_type, payload, status, delivered_at, created_at) \
             VALUES (1, 1, 1, 'down', '{}', 'delivered', NOW() - INTERVAL 10 SECOND, NOW() - INTERVAL 20 SECOND);".to_string(),
            "INSERT INTO jetmon_alert_deliveries (alert_contact_id, transition_id, event_id, event_type, severity, payload, status, delivered_at, created_at) \
             VALUES (1, 1, 1, 'down', 2, '{}', 'delivered', NOW() - INTERVAL 10 SECOND, NOW() - INTERVAL 20 SECOND);".to_string(),
            "INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_active, site_status) VALUES (1, 1, 1, 1), (2, 2, 1, 1);".to_string(),
        ]
        .concat(),
    )
    .await;

    let reader = reader(&db);
    let fleet = reader.read_fleet(&thresholds()).await.expect("read_fleet");
    let drift = reader.read_drift(1000).await.expect("drift");

    // now comes from the database clock.
    let local = Utc::now();
    assert!(
        (fleet.now - local).num_seconds().abs() < 60,
        "now={}",
        fleet.now
    );
    let ids: Vec<&str> = fleet
        .processes
        .iter()
        .map(|p| p.process_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "jetmon-a:monitor",
            "jetmon-b:monitor",
            "jetmon-deliverer-1:deliverer"
        ]
    );
    let a = &fleet.processes[0];
    assert_eq!(a.host_id, "jetmon-a");
    assert_eq!(a.process_type, "monitor");
    assert_eq!(a.state, "running");
    assert_eq!(a.health_status, "green");
    assert_eq!(a.bucket_ownership, "dynamic jetmon_hosts");
    assert!(a
        .dependency_health
        .as_deref()
        .is_some_and(|d| d.contains("\"mysql\"")));
    let age = (fleet.now - a.updated_at).num_seconds();
    assert!((4..=7).contains(&age), "heartbeat age {age}");
    let deliverer = &fleet.processes[2];
    assert!(deliverer.delivery_workers_enabled);
    assert_eq!(deliverer.delivery_owner_host, "jetmon-deliverer-1");

    let hosts = fleet.hosts.clone().expect("hosts readable");
    let hosts: Vec<(&str, u16, u16, &str)> = hosts
        .iter()
        .map(|h| {
            (
                h.host_id.as_str(),
                h.bucket_min,
                h.bucket_max,
                h.status.as_str(),
            )
        })
        .collect();
    assert_eq!(
        hosts,
        [
            ("jetmon-a", 0, 499, "active"),
            ("jetmon-b", 500, 999, "active")
        ]
    );

    let kinds: Vec<DeliveryKind> = fleet.delivery.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [DeliveryKind::Webhook, DeliveryKind::Alert]);
    for table in &fleet.delivery {
        let counts = table.counts.as_ref().expect("delivery readable");
        assert_eq!(counts.delivered_since, 1, "{:?}", table.kind);
        assert_eq!(
            counts.pending + counts.failed_since + counts.abandoned_since,
            0
        );
    }

    let sections: Vec<(&str, bool)> = fleet.timings.iter().map(|t| (t.section, t.ok)).collect();
    assert_eq!(
        sections,
        [
            (section::NOW, true),
            (section::PROCESSES, true),
            (section::HOSTS, true),
            (section::WEBHOOK_DELIVERIES, true),
            (section::ALERT_DELIVERIES, true),
        ]
    );
    assert!(drift.causes.is_empty(), "{:?}", drift.causes);

    let snap = snapshot(fleet, DriftInput::Checked(drift));
    assert_eq!(
        snap.bucket_coverage.status,
        Status::Green,
        "{:?}",
        snap.bucket_coverage
    );
    assert_eq!(snap.bucket_coverage.mode, OwnershipMode::Dynamic);
    assert_eq!(snap.delivery.status, Status::Green);
    assert_eq!(snap.delivery.delivered_since, 2);
    assert_eq!(snap.delivery.posture.status, Status::Green);
    assert_eq!(snap.projection_drift.status, Status::Green);
    assert_eq!(
        snap.summary.status,
        Status::Green,
        "{:?}",
        snap.summary.issues
    );
    assert_eq!(snap.summary.monitor_processes, 2);
    assert_eq!(snap.summary.deliverer_processes, 1);
    reader.close().await;
    db.drop().await.expect("drop");
}

#[tokio::test]
async fn pinned_rollout_is_read_from_the_monitor_rows() {
    let db = scratch().await;
    exec(
        &db,
        &[
            process_sql(
                "jetmon-a",
                "monitor",
                &[
                    ("bucket_ownership", "'pinned range=0-499'"),
                    ("bucket_min", "0"),
                    ("bucket_max", "499"),
                ],
            ),
            process_sql(
                "jetmon-b",
                "monitor",
                &[
                    ("bucket_ownership", "'pinned range=500-999'"),
                    ("bucket_min", "500"),
                    ("bucket_max", "999"),
                ],
            ),
        ]
        .concat(),
    )
    .await;
    let fleet = read(&db).await;
    let ranges: Vec<(Option<u16>, Option<u16>, &str)> = fleet
        .processes
        .iter()
        .map(|p| (p.bucket_min, p.bucket_max, p.bucket_ownership.as_str()))
        .collect();
    assert_eq!(
        ranges,
        [
            (Some(0), Some(499), "pinned range=0-499"),
            (Some(500), Some(999), "pinned range=500-999")
        ]
    );
    assert_eq!(fleet.hosts, Ok(vec![]));

    let snap = snapshot(fleet, DriftInput::NotCheckedYet);
    assert_eq!(snap.bucket_coverage.mode, OwnershipMode::Pinned);
    assert_eq!(snap.bucket_coverage.status, Status::Amber);
    assert_eq!(
        snap.summary.suggested_next_action,
        "Confirm whether the fleet is still in pinned rollout before expecting dynamic bucket coverage."
    );
}

#[tokio::test]
async fn mixed_ownership_is_read_from_the_monitor_rows() {
    let db = scratch().await;
    exec(
        &db,
        &[
            process_sql(
                "jetmon-a",
                "monitor",
                &[("bucket_ownership", "'pinned range=0-499'")],
            ),
            process_sql("jetmon-b", "monitor", &[("bucket_ownership", DYNAMIC)]),
            host_sql("jetmon-b", 0, 999, 3, "active"),
        ]
        .concat(),
    )
    .await;
    let snap = snapshot(read(&db).await, DriftInput::NotCheckedYet);
    assert_eq!(snap.bucket_coverage.mode, OwnershipMode::Mixed);
    assert_eq!(snap.bucket_coverage.status, Status::Amber);
}

/// Dynamic monitors plus the given host rows; returns the read and the
/// coverage section built from it.
async fn coverage_case(hosts: &[String]) -> (FleetRead, fleet_core::snapshot::BucketCoverage) {
    let db = scratch().await;
    exec(
        &db,
        &[
            process_sql("jetmon-a", "monitor", &[("bucket_ownership", DYNAMIC)]),
            process_sql("jetmon-b", "monitor", &[("bucket_ownership", DYNAMIC)]),
            hosts.concat(),
        ]
        .concat(),
    )
    .await;
    let fleet = read(&db).await;
    let coverage = snapshot(fleet.clone(), DriftInput::NotCheckedYet).bucket_coverage;
    db.drop().await.expect("drop");
    (fleet, coverage)
}

fn host_ids(fleet: &FleetRead) -> Vec<String> {
    fleet
        .hosts
        .as_ref()
        .expect("hosts readable")
        .iter()
        .map(|h| h.host_id.clone())
        .collect()
}

#[tokio::test]
async fn host_rows_come_ordered_by_bucket_min_then_host_id() {
    let (fleet, coverage) = coverage_case(&[
        host_sql("h-c", 500, 999, 1, "active"),
        host_sql("h-b", 0, 499, 1, "active"),
        host_sql("h-a", 0, 10, 1, "active"),
    ])
    .await;
    assert_eq!(host_ids(&fleet), ["h-a", "h-b", "h-c"]);
    // h-b starts inside h-a's range.
    assert_eq!(coverage.status, Status::Red);
}

#[tokio::test]
async fn a_gap_between_host_ranges_turns_coverage_red() {
    let (_, coverage) = coverage_case(&[
        host_sql("h-a", 0, 399, 1, "active"),
        host_sql("h-b", 500, 999, 1, "active"),
    ])
    .await;
    assert_eq!(coverage.status, Status::Red);
    assert!(
        coverage
            .error
            .as_deref()
            .unwrap_or("")
            .contains("gap 400-499"),
        "{coverage:?}"
    );
}

#[tokio::test]
async fn overlapping_host_ranges_turn_coverage_red() {
    let (_, coverage) = coverage_case(&[
        host_sql("h-a", 0, 599, 1, "active"),
        host_sql("h-b", 500, 999, 1, "active"),
    ])
    .await;
    assert_eq!(coverage.status, Status::Red);
    assert!(
        coverage.error.as_deref().unwrap_or("").contains("overlap"),
        "{coverage:?}"
    );
}

#[tokio::test]
async fn a_trailing_gap_turns_coverage_red() {
    let (_, coverage) = coverage_case(&[
        host_sql("h-a", 0, 499, 1, "active"),
        host_sql("h-b", 500, 899, 1, "active"),
    ])
    .await;
    assert_eq!(coverage.status, Status::Red);
    assert!(
        coverage
            .error
            .as_deref()
            .unwrap_or("")
            .contains("trailing gap 900-999"),
        "{coverage:?}"
    );
}

#[tokio::test]
async fn an_out_of_range_host_turns_coverage_red() {
    let (fleet, coverage) = coverage_case(&[
        host_sql("h-a", 0, 499, 1, "active"),
        host_sql("h-b", 500, 1000, 1, "active"),
    ])
    .await;
    assert_eq!(fleet.hosts.as_ref().map(|h| h[1].bucket_max), Ok(1000));
    assert_eq!(coverage.status, Status::Red);
    assert!(
        coverage
            .error
            .as_deref()
            .unwrap_or("")
            .contains("invalid bucket range"),
        "{coverage:?}"
    );
}

#[tokio::test]
async fn a_draining_host_is_read_verbatim_and_turns_coverage_red() {
    let (fleet, coverage) = coverage_case(&[
        host_sql("h-a", 0, 499, 1, "active"),
        host_sql("h-b", 500, 999, 1, "draining"),
    ])
    .await;
    let statuses: Vec<String> = fleet
        .hosts
        .as_ref()
        .expect("hosts")
        .iter()
        .map(|h| h.status.clone())
        .collect();
    assert_eq!(statuses, ["active", "draining"]);
    assert_eq!(coverage.status, Status::Red);
    assert!(
        coverage.error.as_deref().unwrap_or("").contains("h-b"),
        "{coverage:?}"
    );
}

#[tokio::test]
async fn a_stale_host_heartbeat_is_read_in_utc_and_turns_coverage_red() {
    let (fleet, coverage) = coverage_case(&[
        host_sql("h-a", 0, 499, 1, "active"),
        host_sql("h-b", 500, 999, 3600, "active"),
    ])
    .await;
    let hosts = fleet.hosts.as_ref().expect("hosts");
    let age = (fleet.now - hosts[1].last_heartbeat).num_seconds();
    assert!(
        (3599..=3602).contains(&age),
        "age {age}: the session must be UTC"
    );
    assert_eq!(coverage.status, Status::Red);
    assert!(
        coverage.error.as_deref().unwrap_or("").contains("h-b"),
        "{coverage:?}"
    );
}

// ---------------------------------------------------------------- delivery

fn ts(t: DateTime<Utc>) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

fn opt_ts(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "NULL".to_string(), ts)
}

/// One delivery row in either table.
fn delivery_row(
    kind: DeliveryKind,
    id: u32,
    status: &str,
    next_attempt_at: Option<DateTime<Utc>>,
    last_attempt_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
) -> String {
    let (owner, extra_col, extra_val) = match kind {
        DeliveryKind::Webhook => ("webhook_id", "", ""),
        DeliveryKind::Alert => ("alert_contact_id", ", severity", ", 2"),
    };
    format!(
        "INSERT INTO {table} ({owner}, transition_id, event_id, event_type, payload, status, \
         next_attempt_at, last_attempt_at, delivered_at, created_at{extra_col}) \
         VALUES (1, {id}, {id}, 'down', '{{}}', '{status}', {}, {}, {}, {}{extra_val});",
        opt_ts(next_attempt_at),
        opt_ts(last_attempt_at),
        opt_ts(delivered_at),
        ts(created_at),
        table = kind.table(),
    )
}

#[tokio::test]
async fn every_delivery_counter_honours_its_window_boundary_and_nulls() {
    let db = scratch().await;
    let reader = reader(&db);
    // Whole seconds, so rows can sit exactly on the boundaries.
    let now = reader
        .read_now()
        .await
        .expect("now")
        .duration_trunc(TimeDelta::seconds(1))
        .expect("trunc");
    let cutoff = now - TimeDelta::seconds(900);
    let s = TimeDelta::seconds;
    for kind in DeliveryKind::ALL {
        let mut id = 0;
        let mut row = |status: &str, next, last, delivered, created| {
            id += 1;
            delivery_row(kind, id, status, next, last, delivered, created)
        };
        let rows = [
            // pending, due: never scheduled (oldest due falls back to created_at)
            row("pending", None, None, None, now - s(100)),
            // pending, due: scheduled exactly now
            row("pending", Some(now), None, None, now - s(50)),
            // pending, not due: one second in the future; the oldest pending
            row("pending", Some(now + s(1)), None, None, now - s(300)),
            // pending, due since long ago: the oldest due
            row(
                "pending",
                Some(now - s(200)),
                Some(now - s(200)),
                None,
                now - s(10),
            ),
            // delivered exactly at the cutoff counts, one second before does not
            row("delivered", None, Some(cutoff), Some(cutoff), cutoff - s(5)),
            row("delivered", None, None, Some(cutoff - s(1)), cutoff - s(5)),
            row("delivered", None, None, Some(now), now - s(1)),
            row("delivered", None, None, None, now),
            // failed: last attempt at the cutoff counts, before it does not,
            // even when the row itself is recent
            row("failed", None, Some(cutoff), None, cutoff - s(100)),
            row("failed", None, Some(cutoff - s(1)), None, now),
            // failed without any attempt: created_at decides
            row("failed", None, None, None, cutoff),
            row("failed", None, None, None, cutoff - s(1)),
            // abandoned: same rule
            row("abandoned", None, Some(cutoff), None, cutoff - s(100)),
            row("abandoned", None, Some(now - s(1)), None, now - s(2000)),
            row("abandoned", None, Some(cutoff - s(1)), None, now),
            row("abandoned", None, None, None, cutoff),
            row("abandoned", None, None, None, cutoff - s(1)),
        ];
        exec(&db, &rows.concat()).await;
        let counts = reader
            .read_delivery(kind, now, cutoff)
            .await
            .expect("delivery");
        assert_eq!(
            counts,
            DeliveryTableCounts {
                pending: 4,
                due_now: 3,
                future_retry: 1,
                delivered_since: 2,
                failed_since: 2,
                abandoned_since: 3,
                oldest_pending_at: Some(now - s(300)),
                oldest_due_at: Some(now - s(200)),
            },
            "{kind:?}"
        );
    }
    db.drop().await.expect("drop");
}

#[tokio::test]
async fn delivery_oldest_due_falls_back_to_created_at_when_never_scheduled() {
    let db = scratch().await;
    let reader = reader(&db);
    let now = reader
        .read_now()
        .await
        .expect("now")
        .duration_trunc(TimeDelta::seconds(1))
        .expect("trunc");
    let s = TimeDelta::seconds;
    exec(
        &db,
        &[
            delivery_row(
                DeliveryKind::Webhook,
                1,
                "pending",
                None,
                None,
                None,
                now - s(700),
            ),
            delivery_row(
                DeliveryKind::Webhook,
                2,
                "pending",
                Some(now - s(600)),
                None,
                None,
                now - s(650),
            ),
        ]
        .concat(),
    )
    .await;
    let counts = reader
        .read_delivery(DeliveryKind::Webhook, now, now - s(900))
        .await
        .expect("delivery");
    assert_eq!(counts.due_now, 2);
    assert_eq!(counts.oldest_due_at, Some(now - s(700)));
    assert_eq!(counts.oldest_pending_at, Some(now - s(700)));
}

#[tokio::test]
async fn read_fleet_counts_deliveries_against_the_database_clock_and_recent_window() {
    let db = scratch().await;
    exec(
        &db,
        "INSERT INTO jetmon_webhook_deliveries (webhook_id, transition_id, event_id, event_type, payload, status, next_attempt_at, last_attempt_at, delivered_at, created_at) VALUES \
         (1, 1, 1, 'x', '{}', 'pending', NULL, NULL, NULL, NOW() - INTERVAL 120 SECOND), \
         (1, 2, 2, 'x', '{}', 'pending', NOW() + INTERVAL 1 HOUR, NULL, NULL, NOW() - INTERVAL 60 SECOND), \
         (1, 3, 3, 'x', '{}', 'failed', NULL, NOW() - INTERVAL 30 SECOND, NULL, NOW() - INTERVAL 1 DAY), \
         (1, 4, 4, 'x', '{}', 'failed', NULL, NOW() - INTERVAL 2000 SECOND, NULL, NOW() - INTERVAL 1 DAY), \
         (1, 5, 5, 'x', '{}', 'delivered', NULL, NULL, NOW() - INTERVAL 800 SECOND, NOW() - INTERVAL 1 DAY);",
    )
    .await;
    let fleet = read(&db).await;
    let webhook = fleet.delivery[0].counts.clone().expect("webhook");
    assert_eq!(
        (webhook.pending, webhook.due_now, webhook.future_retry),
        (2, 1, 1)
    );
    assert_eq!((webhook.failed_since, webhook.delivered_since), (1, 1));
    let snap = snapshot(fleet, DriftInput::NotCheckedYet);
    assert_eq!(snap.delivery.status, Status::Red);
    let age = snap.delivery.oldest_pending_age_sec;
    assert!((119..=122).contains(&age), "oldest pending age {age}");
    assert!((119..=122).contains(&snap.delivery.oldest_due_age_sec));
}

// ----------------------------------------------------------------- posture

async fn posture(rows: &[String], queued: bool) -> fleet_core::snapshot::Posture {
    let db = scratch().await;
    exec(&db, &rows.concat()).await;
    if queued {
        exec(
            &db,
            "INSERT INTO jetmon_alert_deliveries (alert_contact_id, transition_id, event_id, event_type, severity, payload, status, created_at) \
             VALUES (1, 1, 1, 'down', 2, '{}', 'pending', NOW());",
        )
        .await;
    }
    let fleet = read(&db).await;
    db.drop().await.expect("drop");
    snapshot(fleet, DriftInput::NotCheckedYet).delivery.posture
}

fn deliverer(host: &str, enabled: &str, owner: &str) -> String {
    process_sql(
        host,
        "deliverer",
        &[
            ("delivery_workers_enabled", enabled),
            ("delivery_owner_host", owner),
        ],
    )
}

#[tokio::test]
async fn posture_is_amber_when_rows_are_queued_and_no_process_delivers() {
    let p = posture(&[deliverer("d1", "0", "''")], true).await;
    assert_eq!((p.status, p.enabled_process_count), (Status::Amber, 0));
}

#[tokio::test]
async fn posture_is_green_when_nothing_is_queued_and_no_process_delivers() {
    let p = posture(&[deliverer("d1", "0", "''")], false).await;
    assert_eq!((p.status, p.enabled_process_count), (Status::Green, 0));
}

#[tokio::test]
async fn posture_is_amber_for_mixed_explicit_and_unset_owner() {
    let p = posture(
        &[deliverer("d1", "1", "'d1'"), deliverer("d2", "1", "''")],
        false,
    )
    .await;
    assert_eq!((p.status, p.enabled_process_count), (Status::Amber, 2));
    assert!(p.message.contains("mixed"), "{p:?}");
}

#[tokio::test]
async fn posture_is_amber_when_workers_run_without_owner() {
    // Any nonzero TINYINT is "enabled".
    let p = posture(&[deliverer("d1", "2", "''")], false).await;
    assert_eq!((p.status, p.enabled_process_count), (Status::Amber, 1));
    assert_eq!(p.unowned_process_count, 1);
}

#[tokio::test]
async fn posture_is_amber_for_several_owners() {
    let p = posture(
        &[deliverer("d1", "1", "'d1'"), deliverer("d2", "1", "'d2'")],
        false,
    )
    .await;
    assert_eq!(p.status, Status::Amber);
    assert_eq!(p.owner_hosts, ["d1", "d2"]);
}

#[tokio::test]
async fn posture_is_green_for_exactly_one_owner() {
    let p = posture(
        &[
            deliverer("d1", "1", "'jetmon-deliverer-1'"),
            deliverer("d2", "1", "' jetmon-deliverer-1 '"),
        ],
        true,
    )
    .await;
    assert_eq!(p.status, Status::Green, "{p:?}");
    assert_eq!(
        p.message,
        "delivery owner is constrained to jetmon-deliverer-1"
    );
}

// ------------------------------------------------------------------- drift

#[tokio::test]
async fn drift_counts_each_site_once_with_down_winning_and_classifies_every_cause() {
    let db = scratch().await;
    // (blog_id, bucket_no, monitor_active, site_status)
    let sites = [
        (1, 1, 1, 1),     // in sync, no events
        (2, 2, 1, 0),     // stale_legacy_down_projection
        (3, 3, 1, 2),     // stale_legacy_down_projection
        (4, 4, 1, 1),     // Down open: missing_confirmed_down_projection
        (5, 5, 1, 1),     // Seems Down open: missing_seems_down_projection
        (6, 6, 1, 0),     // Down open: missing_confirmed_promotion
        (7, 7, 1, 2),     // Seems Down open: stale_confirmed_down_projection
        (8, 8, 1, 2),     // Down + Seems Down open: Down wins, in sync
        (9, 9, 1, 0),     // Down + Seems Down open: multiple_open_http_events, once
        (10, 10, 1, 5),   // unexpected_projection_value
        (11, 11, 1, 1),   // only an ended Down event: in sync
        (12, 12, 1, 1),   // open Down, but a dns check: in sync
        (13, 13, 0, 0),   // inactive: ignored
        (14, 1000, 1, 0), // bucket out of range: ignored
        (15, 15, 1, 0),   // open Warning: expected 1: stale_legacy_down_projection
        (16, 16, 1, 1),   // Seems Down + Warning open: multiple_open_http_events
        (17, 17, 1, 2),   // Down open: in sync
        (18, 18, 1, -1),  // unexpected_projection_value
        (19, 999, 1, 0),  // last valid bucket: stale_legacy_down_projection
    ];
    let values: Vec<String> = sites
        .iter()
        .map(|(b, bucket, active, status)| format!("({b}, {bucket}, {active}, {status})"))
        .collect();
    // (blog_id, endpoint_id, check_type, state, open)
    let events = [
        (4, 1, "http", "Down", true),
        (5, 1, "http", "Seems Down", true),
        (6, 1, "http", "Down", true),
        (7, 1, "http", "Seems Down", true),
        (8, 1, "http", "Down", true),
        (8, 2, "http", "Seems Down", true),
        (9, 1, "http", "Seems Down", true),
        (9, 2, "http", "Down", true),
        (11, 1, "http", "Down", false),
        (12, 1, "dns", "Down", true),
        (13, 1, "http", "Down", true),
        (14, 1, "http", "Down", true),
        (15, 1, "http", "Warning", true),
        (16, 1, "http", "Seems Down", true),
        (16, 2, "http", "Warning", true),
        (17, 1, "http", "Down", true),
        (17, 2, "http", "Down", false),
    ];
    let event_values: Vec<String> = events
        .iter()
        .map(|(b, endpoint, check, state, open)| {
            let ended = if *open {
                "NULL"
            } else {
                "NOW(3) - INTERVAL 1 MINUTE"
            };
            format!("({b}, {endpoint}, '{check}', 2, '{state}', NOW(3) - INTERVAL 1 HOUR, {ended})")
        })
        .collect();
    exec(
        &db,
        &format!(
            "INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_active, site_status) VALUES {};\
             INSERT INTO jetmon_events (blog_id, endpoint_id, check_type, severity, state, started_at, ended_at) VALUES {};",
            values.join(", "),
            event_values.join(", ")
        ),
    )
    .await;

    let reader = reader(&db);
    let before = reader.read_now().await.expect("now");
    let drift = reader.read_drift(1000).await.expect("drift");
    assert!(drift.checked_at >= before && (drift.checked_at - before).num_seconds() < 30);
    assert_eq!(
        drift.causes,
        [
            (DriftCause::UnexpectedProjectionValue, 2),
            (DriftCause::MultipleOpenHttpEvents, 2),
            (DriftCause::StaleLegacyDownProjection, 4),
            (DriftCause::MissingConfirmedDownProjection, 1),
            (DriftCause::MissingSeemsDownProjection, 1),
            (DriftCause::MissingConfirmedPromotion, 1),
            (DriftCause::StaleConfirmedDownProjection, 1),
        ]
    );

    // bucket_total bounds the sites: 999 drops site 19, 0 drops all.
    let smaller = reader.read_drift(999).await.expect("drift");
    assert!(smaller
        .causes
        .contains(&(DriftCause::StaleLegacyDownProjection, 3)));
    assert!(reader.read_drift(0).await.expect("drift").causes.is_empty());

    let fleet = reader.read_fleet(&thresholds()).await.expect("read");
    let snap = snapshot(fleet, DriftInput::Checked(drift));
    assert_eq!(snap.projection_drift.status, Status::Red);
    assert_eq!(snap.projection_drift.count, 12);
    db.drop().await.expect("drop");
}

// --------------------------------------------------------------- processes

#[tokio::test]
async fn malformed_dependency_health_isolates_that_process() {
    let db = scratch().await;
    exec(
        &db,
        &[
            process_sql(
                "jetmon-a",
                "monitor",
                &[("dependency_health", r#"'{"name":"mysql"}'"#)],
            ),
            process_sql("jetmon-b", "monitor", &[("dependency_health", "'[]'")]),
        ]
        .concat(),
    )
    .await;
    // MariaDB guards JSON columns with a CHECK that can be switched off;
    // MySQL's JSON type cannot hold invalid text at all.
    let broken = db
        .exec(&format!(
            "SET SESSION check_constraint_checks = 0; {} SET SESSION check_constraint_checks = 1;",
            process_sql(
                "jetmon-c",
                "monitor",
                &[("dependency_health", "'[{\"name\": oops'")]
            )
        ))
        .await
        .is_ok();

    let fleet = read(&db).await;
    assert_eq!(
        fleet.processes[0].dependency_health.as_deref(),
        Some(r#"{"name":"mysql"}"#)
    );
    assert_eq!(fleet.processes[1].dependency_health.as_deref(), Some("[]"));
    if broken {
        assert_eq!(
            fleet.processes[2].dependency_health.as_deref(),
            Some("[{\"name\": oops")
        );
    }
    let snap = snapshot(fleet, DriftInput::NotCheckedYet);
    assert_eq!(snap.processes.len(), if broken { 3 } else { 2 });
    let texts: Vec<String> = snap
        .summary
        .issue_details
        .iter()
        .filter(|i| i.status == Status::Amber)
        .map(|i| i.text.clone())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("jetmon-a:monitor dependency_health unreadable")),
        "{texts:?}"
    );
    assert_eq!(
        texts
            .iter()
            .any(|t| t.contains("jetmon-c:monitor dependency_health unreadable")),
        broken
    );
    assert!(!texts.iter().any(|t| t.contains("jetmon-b")), "{texts:?}");
}

#[tokio::test]
async fn nulls_and_odd_values_map_to_the_spec_meaning() {
    let db = scratch().await;
    exec(
        &db,
        &process_sql(
            "odd",
            "sidecar",
            &[
                ("state", "'weird'"),
                ("health_status", "'purple'"),
                ("started_at", "NULL"),
                ("bucket_min", "NULL"),
                ("bucket_max", "65535"),
                ("api_port", "NULL"),
                ("dashboard_port", "4294967295"),
                ("delivery_workers_enabled", "255"),
                ("wpcom_circuit_open", "7"),
                ("dependency_health", "NULL"),
                ("pid", "4294967295"),
            ],
        ),
    )
    .await;
    // A zero heartbeat, where the server's SQL mode allows storing one.
    let zero = db
        .exec("SET SESSION sql_mode = ''; UPDATE jetmon_process_health SET updated_at = '0000-00-00 00:00:00';")
        .await
        .is_ok();
    let fleet = read(&db).await;
    let p = &fleet.processes[0];
    assert_eq!(
        (p.state.as_str(), p.health_status.as_str()),
        ("weird", "purple")
    );
    assert_eq!(
        (p.started_at, p.bucket_min, p.bucket_max),
        (None, None, Some(65535))
    );
    assert_eq!((p.api_port, p.dashboard_port), (None, Some(u32::MAX)));
    assert!(p.delivery_workers_enabled && p.wpcom_circuit_open);
    assert_eq!((p.dependency_health.as_deref(), p.pid), (None, u32::MAX));
    assert!(p.created_at.is_some());
    if zero {
        assert_eq!(
            p.updated_at,
            DateTime::UNIX_EPOCH,
            "a zero heartbeat is no heartbeat"
        );
        let snap = snapshot(fleet, DriftInput::NotCheckedYet);
        assert!(snap.processes[0].stale);
    }
}

#[tokio::test]
async fn an_empty_database_reads_as_an_empty_fleet() {
    let db = scratch().await;
    let reader = reader(&db);
    let fleet = reader.read_fleet(&thresholds()).await.expect("read");
    assert!(fleet.processes.is_empty());
    assert_eq!(fleet.hosts, Ok(vec![]));
    for table in &fleet.delivery {
        assert_eq!(table.counts, Ok(DeliveryTableCounts::default()));
    }
    let drift = reader.read_drift(1000).await.expect("drift");
    assert!(drift.causes.is_empty());
    let snap = snapshot(fleet, DriftInput::Checked(drift));
    assert_eq!(snap.summary.status, Status::Amber);
    assert!(snap
        .summary
        .issues
        .iter()
        .any(|i| i == "no process-health snapshots found"));
    db.drop().await.expect("drop");
}
