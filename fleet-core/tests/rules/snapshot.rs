//! rollup.md §8: the snapshot as served by `/api/fleet`.

use fleet_core::test_support::*;
use fleet_core::{DeliveryTableCounts, DriftCause, DriftInput, Status};
use serde_json::Value;

fn json_of(fleet: &Fleet) -> Value {
    serde_json::to_value(fleet.build()).expect("snapshot serialises")
}

#[test]
fn snapshot_generated_at_is_now_in_rfc3339_utc() {
    let snap = Fleet::healthy().build();
    assert_eq!(snap.generated_at, now());
    assert_eq!(
        json_of(&Fleet::healthy())["generated_at"],
        "2026-04-30T14:00:00Z"
    );
}

#[test]
fn snapshot_top_level_and_section_keys_follow_the_seed() {
    let json = json_of(
        &Fleet::healthy().proc(
            deliverer("d1")
                .workers("d1")
                .deps(&deps(&[dep("mysql", "green")])),
        ),
    );
    // (JSON pointer of an object, keys it must have)
    let cases: &[(&str, &[&str])] = &[
        (
            "",
            &[
                "generated_at",
                "summary",
                "processes",
                "process_counts",
                "bucket_coverage",
                "delivery",
                "projection_drift",
                "dependencies",
            ],
        ),
        (
            "/summary",
            &[
                "status",
                "message",
                "suggested_next_action",
                "issues",
                "red_processes",
                "amber_processes",
                "green_processes",
                "stale_processes",
                "monitor_processes",
                "deliverer_processes",
                "dependency_red_count",
                "dependency_amber_count",
            ],
        ),
        (
            "/bucket_coverage",
            &["status", "mode", "bucket_total", "host_count", "hosts"],
        ),
        (
            "/bucket_coverage/hosts/0",
            &[
                "host_id",
                "bucket_min",
                "bucket_max",
                "last_heartbeat",
                "status",
                "last_heartbeat_age_sec",
                "stale",
            ],
        ),
        (
            "/delivery",
            &[
                "status",
                "since",
                "pending",
                "due_now",
                "future_retry",
                "delivered_since",
                "abandoned_since",
                "failed_since",
                "oldest_pending_age_sec",
                "oldest_due_age_sec",
                "tables",
                "posture",
            ],
        ),
        (
            "/delivery/tables/0",
            &[
                "kind",
                "pending",
                "due_now",
                "future_retry",
                "delivered_since",
                "abandoned_since",
                "failed_since",
                "oldest_pending_age_sec",
                "oldest_due_age_sec",
            ],
        ),
        (
            "/delivery/posture",
            &[
                "status",
                "enabled_process_count",
                "enabled_hosts",
                "owner_hosts",
                "message",
            ],
        ),
        (
            "/projection_drift",
            &["status", "count", "causes", "checked_at"],
        ),
        (
            "/dependencies/0",
            &[
                "name",
                "status",
                "red_count",
                "amber_count",
                "green_count",
                "stale_count",
            ],
        ),
        (
            "/processes/0",
            &[
                "process_id",
                "host_id",
                "process_type",
                "pid",
                "version",
                "build_date",
                "go_version",
                "state",
                "health_status",
                "started_at",
                "updated_at",
                "last_heartbeat_age_sec",
                "stale",
                "bucket_ownership",
                "delivery_workers_enabled",
                "delivery_owner_host",
                "worker_count",
                "active_checks",
                "queue_depth",
                "retry_queue_size",
                "wpcom_circuit_open",
                "wpcom_queue_depth",
                "go_sys_mem_mb",
                "rss_mem_mb",
                "dependency_health",
            ],
        ),
        (
            "/processes/1/dependency_health/0",
            &["name", "status", "latency_ms", "checked_at"],
        ),
    ];
    for (pointer, keys) in cases {
        let object = json
            .pointer(pointer)
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{pointer:?} is not an object in {json:#}"));
        for key in *keys {
            assert!(
                object.contains_key(*key),
                "{pointer}/{key} missing: {object:?}"
            );
        }
    }
}

#[test]
fn snapshot_statuses_and_modes_serialise_as_lowercase_words() {
    let json = json_of(
        &Fleet::empty()
            .proc(pinned_monitor("a", 0, 999).health("amber"))
            .drift(DriftInput::Unreadable),
    );
    assert_eq!(json["summary"]["status"], "red");
    assert_eq!(json["bucket_coverage"]["status"], "amber");
    assert_eq!(json["bucket_coverage"]["mode"], "pinned");
    assert_eq!(json["delivery"]["status"], "green");
    assert_eq!(json["projection_drift"]["status"], "red");
    assert_eq!(json["summary"]["issue_details"][0]["status"], "red");
}

#[test]
fn snapshot_errors_are_omitted_when_there_are_none() {
    let json = json_of(&Fleet::healthy());
    for pointer in ["/bucket_coverage", "/delivery", "/projection_drift"] {
        let section = json.pointer(pointer).expect("section");
        assert!(
            section.get("error").is_none_or(Value::is_null),
            "{pointer}: {section}"
        );
    }
    let json = json_of(
        &Fleet::healthy()
            .hosts_unreadable()
            .drift(DriftInput::NotCheckedYet),
    );
    assert!(json["bucket_coverage"]["error"].is_string());
    assert_eq!(json["projection_drift"]["error"], "not checked yet");
    assert!(json["projection_drift"]
        .get("checked_at")
        .is_none_or(Value::is_null));
}

#[test]
fn snapshot_process_counts_is_an_object_of_type_to_count() {
    let json =
        json_of(&Fleet::healthy().procs([monitor("m2"), deliverer("d1"), process("x", "sidecar")]));
    assert_eq!(
        json["process_counts"],
        serde_json::json!({"monitor": 2, "deliverer": 1, "sidecar": 1})
    );
}

#[test]
fn snapshot_does_not_depend_on_input_row_order() {
    let procs = vec![
        monitor("a")
            .health("amber")
            .deps(&deps(&[dep_err("mysql", "amber", "slow-a")])),
        monitor("b")
            .age(STALE_SECS)
            .deps(&deps(&[dep_err("mysql", "red", "down-b")])),
        deliverer("c")
            .workers("c")
            .deps(&deps(&[dep_err("mysql", "red", "down-c")])),
        process("d", "sidecar").health("weird"),
        monitor("e").deps(&deps(&[dep("redis", "green")])),
    ];
    let hosts = vec![host("a", 0, 299), host("c", 300, 599), host("e", 600, 998)];
    let base = Fleet::empty()
        .procs(procs.clone())
        .hosts(hosts.clone())
        .webhook(DeliveryTableCounts {
            pending: 1,
            due_now: 1,
            ..counts()
        })
        .drift_causes(&[
            (DriftCause::MissingSeemsDownProjection, 1),
            (DriftCause::StaleLegacyDownProjection, 2),
        ]);
    let expected = base.build();
    let mut reversed = base.clone();
    reversed.input.processes.reverse();
    if let Ok(h) = reversed.input.hosts.as_mut() {
        h.reverse();
    }
    assert_eq!(reversed.build(), expected);
    let mut rotated = base.clone();
    rotated.input.processes.rotate_left(2);
    assert_eq!(rotated.build(), expected);
    // And it is deterministic.
    assert_eq!(base.build(), expected);
}

#[test]
fn snapshot_survives_extreme_values() {
    let mut big = monitor("m1");
    big.pid = u32::MAX;
    big.bucket_min = Some(u16::MAX);
    big.bucket_max = Some(u16::MAX);
    big.rss_mem_mb = u32::MAX;
    let snap = Fleet::healthy()
        .bucket_total(u32::MAX)
        .grace(u64::from(u32::MAX))
        .window(86_400 * 365)
        .only_procs([
            big,
            deliverer("ancient").at(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH),
        ])
        .hosts(vec![host("h", 0, u16::MAX)])
        .webhook(DeliveryTableCounts {
            pending: u64::MAX / 4,
            due_now: u64::MAX / 4,
            oldest_pending_at: Some(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH),
            oldest_due_at: Some(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH),
            ..counts()
        })
        .alert(DeliveryTableCounts {
            pending: u64::MAX / 4,
            ..counts()
        })
        .build();
    assert_eq!(snap.processes.len(), 2);
    assert_eq!(
        proc_entry(&snap, "ancient:deliverer").last_heartbeat_age_sec,
        1_777_557_600
    );
    assert_eq!(snap.delivery.pending, (u64::MAX / 4) * 2);
    // A u16 host range never reaches u32::MAX buckets: a trailing gap.
    assert_eq!(snap.bucket_coverage.status, Status::Red);
    serde_json::to_string(&snap).expect("serialises");
}
