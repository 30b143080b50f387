//! rollup.md §1: processes (from jetmon_process_health).

use fleet_core::test_support::*;
use fleet_core::{ProcessRow, Status};

// ------------------------------------------------------------ entries

#[test]
fn processes_rule1_every_row_becomes_an_entry_with_all_columns() {
    let mut row = monitor("jetmon-a");
    row.pid = 31337;
    row.version = "v2.1.0".into();
    row.build_date = "2026-04-28T10:00:00Z".into();
    row.go_version = "go1.24.2".into();
    row.state = "idle".into();
    row.started_at = Some(secs_ago(7_000));
    row.bucket_min = Some(0);
    row.bucket_max = Some(333);
    row.bucket_ownership = "pinned range=0-333".into();
    row.api_port = Some(8090);
    row.dashboard_port = Some(8080);
    row.delivery_workers_enabled = true;
    row.delivery_owner_host = "jetmon-deliverer-1".into();
    row.worker_count = 256;
    row.active_checks = 128;
    row.queue_depth = 40;
    row.retry_queue_size = 2;
    row.wpcom_circuit_open = true;
    row.wpcom_queue_depth = 7;
    row.go_sys_mem_mb = 96;
    row.rss_mem_mb = 120;
    row.created_at = Some(secs_ago(90_000));
    let snap = Fleet::empty().proc(row.clone()).build();

    assert_eq!(snap.processes.len(), 1);
    let p = &snap.processes[0];
    assert_eq!(p.process_id, row.process_id);
    assert_eq!(p.host_id, row.host_id);
    assert_eq!(p.process_type, row.process_type);
    assert_eq!(p.pid, row.pid);
    assert_eq!(p.version, row.version);
    assert_eq!(p.build_date, row.build_date);
    assert_eq!(p.go_version, row.go_version);
    assert_eq!(p.state, row.state);
    assert_eq!(p.health_status, row.health_status);
    assert_eq!(p.started_at, row.started_at);
    assert_eq!(p.updated_at, row.updated_at);
    assert_eq!(p.bucket_min, row.bucket_min);
    assert_eq!(p.bucket_max, row.bucket_max);
    assert_eq!(p.bucket_ownership, row.bucket_ownership);
    assert_eq!(p.api_port, row.api_port);
    assert_eq!(p.dashboard_port, row.dashboard_port);
    assert_eq!(p.delivery_workers_enabled, row.delivery_workers_enabled);
    assert_eq!(p.delivery_owner_host, row.delivery_owner_host);
    assert_eq!(p.worker_count, row.worker_count);
    assert_eq!(p.active_checks, row.active_checks);
    assert_eq!(p.queue_depth, row.queue_depth);
    assert_eq!(p.retry_queue_size, row.retry_queue_size);
    assert_eq!(p.wpcom_circuit_open, row.wpcom_circuit_open);
    assert_eq!(p.wpcom_queue_depth, row.wpcom_queue_depth);
    assert_eq!(p.go_sys_mem_mb, row.go_sys_mem_mb);
    assert_eq!(p.rss_mem_mb, row.rss_mem_mb);
    assert_eq!(p.created_at, row.created_at);
    assert_eq!(p.last_heartbeat_age_sec, FRESH_SECS as u64);
    assert!(!p.stale);
    assert!(p.dependency_health.is_empty());
    assert_eq!(p.dependency_health_error, None);
}

#[test]
fn processes_rule1_nullable_columns_stay_absent() {
    let mut row = deliverer("d1");
    row.started_at = None;
    row.created_at = None;
    row.bucket_min = None;
    row.bucket_max = None;
    row.api_port = None;
    row.dashboard_port = None;
    let snap = Fleet::empty().proc(row).build();
    let p = &snap.processes[0];
    assert_eq!(p.started_at, None);
    assert_eq!(p.created_at, None);
    assert_eq!(p.bucket_min, None);
    assert_eq!(p.api_port, None);
    // "nullable columns as absent-or-null"
    let json = serde_json::to_value(&snap).expect("snapshot serialises");
    let p = &json["processes"][0];
    for key in [
        "started_at",
        "created_at",
        "bucket_min",
        "bucket_max",
        "api_port",
        "dashboard_port",
    ] {
        assert!(
            p.get(key).is_none_or(serde_json::Value::is_null),
            "{key} should be absent or null: {p}"
        );
    }
}

#[test]
fn processes_rule1_every_row_is_kept_even_duplicated_hosts() {
    let rows = [
        monitor("h1"),
        deliverer("h1"),
        process("h1", "sidecar"),
        monitor("h2"),
    ];
    let snap = Fleet::empty().procs(rows).build();
    assert_eq!(snap.processes.len(), 4);
}

// ------------------------------------------------------------ ages and staleness

#[test]
fn processes_rule1_heartbeat_age_rounds_to_the_nearest_second() {
    // (heartbeat milliseconds before now, expected last_heartbeat_age_sec)
    let cases: &[(i64, u64)] = &[
        (0, 0),
        (400, 0),
        (499, 0),
        (500, 1),
        (4_400, 4),
        (4_500, 5),
        (4_999, 5),
        (59_501, 60),
    ];
    for &(ms, expected) in cases {
        let snap = Fleet::healthy()
            .only_procs([monitor("m1").at(ms_ago(ms))])
            .build();
        assert_eq!(
            snap.processes[0].last_heartbeat_age_sec, expected,
            "heartbeat {ms} ms old"
        );
        assert!(!snap.processes[0].stale);
    }
}

#[test]
fn processes_rule1_age_equal_to_grace_is_not_stale_one_second_over_is() {
    // (grace seconds, heartbeat age seconds, stale?)
    let cases: &[(u64, i64, bool)] = &[
        (600, 599, false),
        (600, 600, false),
        (600, 601, true),
        (60, 60, false),
        (60, 61, true),
        (0, 0, false),
        (0, 1, true),
    ];
    for &(grace, age, stale) in cases {
        let snap = Fleet::healthy()
            .grace(grace)
            .only_procs([monitor("m1").age(age)])
            .build();
        let p = &snap.processes[0];
        assert_eq!(p.stale, stale, "grace {grace}s, age {age}s");
        assert_eq!(
            p.last_heartbeat_age_sec, age as u64,
            "grace {grace}s, age {age}s"
        );
        assert_eq!(
            snap.summary.stale_processes,
            u64::from(stale),
            "grace {grace}s, age {age}s"
        );
    }
}

#[test]
fn processes_rule1_stale_compares_the_exact_age_before_rounding() {
    // 600.4 s rounds to 600 s (= the grace) but the exact age is over it.
    let snap = Fleet::healthy()
        .only_procs([monitor("m1").at(ms_ago(600_400))])
        .build();
    let p = &snap.processes[0];
    assert_eq!(p.last_heartbeat_age_sec, 600);
    assert!(p.stale, "600.4 s is strictly greater than a 600 s grace");
    assert!(
        issues(&snap).contains(&"m1:monitor heartbeat stale age=600s"),
        "{:?}",
        snap.summary.issues
    );

    // 599.6 s rounds to 600 s and is not over the grace.
    let snap = Fleet::healthy()
        .only_procs([monitor("m1").at(ms_ago(599_600))])
        .build();
    assert_eq!(snap.processes[0].last_heartbeat_age_sec, 600);
    assert!(!snap.processes[0].stale);
}

#[test]
fn processes_rule1_future_heartbeat_has_age_zero_and_is_fresh() {
    for secs in [1_i64, 30, 3_600, 86_400 * 365] {
        let snap = Fleet::healthy()
            .grace(0)
            .only_procs([monitor("m1").at(secs_ahead(secs))])
            .build();
        let p = &snap.processes[0];
        assert_eq!(
            p.last_heartbeat_age_sec, 0,
            "heartbeat {secs}s in the future"
        );
        assert!(
            !p.stale,
            "heartbeat {secs}s in the future, even with grace 0"
        );
    }
}

// ------------------------------------------------------------ dependency_health

#[test]
fn processes_rule1_null_or_empty_dependency_health_means_no_entries() {
    for raw in [None, Some(""), Some("[]")] {
        let mut row = monitor("m1");
        row.dependency_health = raw.map(str::to_owned);
        let snap = Fleet::healthy().only_procs([row]).build();
        let p = &snap.processes[0];
        assert!(p.dependency_health.is_empty(), "{raw:?}");
        assert_eq!(p.dependency_health_error, None, "{raw:?}");
        assert!(snap.dependencies.is_empty(), "{raw:?}");
        assert_eq!(
            snap.summary.status,
            Status::Green,
            "{raw:?}: {:?}",
            snap.summary.issues
        );
    }
}

#[test]
fn processes_rule1_dependency_health_entries_are_parsed() {
    let json = r#"[
        {"name":"mysql","status":"green","latency_ms":3,"checked_at":"2026-04-30T13:59:56Z"},
        {"name":"wpcom","status":"red","last_error":"timeout","checked_at":"2026-04-30T13:59:50Z"}
    ]"#;
    let snap = Fleet::healthy()
        .only_procs([monitor("m1").deps(json)])
        .build();
    let entries = &snap.processes[0].dependency_health;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].name, "mysql");
    assert_eq!(entries[0].status, "green");
    assert_eq!(
        entries[0]
            .latency_ms
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("3")
    );
    assert_eq!(entries[0].last_error, None);
    assert_eq!(
        entries[0].checked_at.as_deref(),
        Some("2026-04-30T13:59:56Z")
    );
    assert_eq!(entries[1].name, "wpcom");
    assert_eq!(entries[1].status, "red");
    assert_eq!(entries[1].latency_ms, None);
    assert_eq!(entries[1].last_error.as_deref(), Some("timeout"));
    assert_eq!(
        entries[1].checked_at.as_deref(),
        Some("2026-04-30T13:59:50Z")
    );
}

#[test]
fn processes_rule1_unreadable_dependency_health_keeps_the_process_with_no_entries() {
    let broken = ["{not json", "[{\"name\":\"mysql\",", "mysql=green", "[1,2"];
    for raw in broken {
        let snap = Fleet::healthy()
            .only_procs([
                monitor("m1").deps(raw),
                deliverer("d1").deps(&deps(&[dep("mysql", "green")])),
            ])
            .build();
        assert_eq!(snap.processes.len(), 2, "{raw:?}: the process is kept");
        let p = proc_entry(&snap, "m1:monitor");
        assert!(p.dependency_health.is_empty(), "{raw:?}: no entries");
        assert!(
            p.dependency_health_error
                .as_deref()
                .is_some_and(|e| !e.is_empty()),
            "{raw:?}: the parse error is recorded"
        );
        let text = "m1:monitor dependency_health unreadable";
        assert!(
            issues(&snap).contains(&text),
            "{raw:?}: {:?}",
            snap.summary.issues
        );
        assert_eq!(issue_status(&snap, text), Some(Status::Amber), "{raw:?}");
        assert_eq!(
            snap.summary.status,
            Status::Amber,
            "{raw:?}: {:?}",
            snap.summary.issues
        );
        // The other row is read normally.
        let d = proc_entry(&snap, "d1:deliverer");
        assert_eq!(d.dependency_health.len(), 1, "{raw:?}");
        assert_eq!(d.dependency_health_error, None, "{raw:?}");
        assert_eq!(dependency(&snap, "mysql").green_count, 1, "{raw:?}");
    }
}

#[test]
fn processes_rule1_unreadable_dependency_health_counts_the_process_normally() {
    let snap = Fleet::healthy()
        .only_procs([monitor("m1").deps("{oops")])
        .build();
    assert_eq!(snap.summary.monitor_processes, 1);
    assert_eq!(
        snap.summary.green_processes, 1,
        "health_status is still green"
    );
    assert_eq!(
        snap.summary.amber_processes, 0,
        "the unreadable row is an issue, not an amber process"
    );
    assert_eq!(
        snap.bucket_coverage.mode.as_str(),
        "dynamic",
        "the process still counts for the mode"
    );
}

// ------------------------------------------------------------ sort order

fn order_of(rows: Vec<ProcessRow>) -> Vec<String> {
    let snap = Fleet::empty().procs(rows).build();
    snap.processes.into_iter().map(|p| p.process_id).collect()
}

#[test]
fn processes_sort_most_urgent_first() {
    // Each case: input rows (deliberately out of order), expected process ids.
    let cases: Vec<(&str, Vec<ProcessRow>, Vec<&str>)> = vec![
        (
            "stale, then red, then amber, then green",
            vec![
                monitor("g").id("green"),
                monitor("a").health("amber").id("amber"),
                monitor("r").health("red").id("red"),
                monitor("s").age(STALE_SECS).id("stale"),
            ],
            vec!["stale", "red", "amber", "green"],
        ),
        (
            "a stale green process sorts before a fresh red one",
            vec![
                monitor("a").health("red").id("fresh-red"),
                monitor("z").age(STALE_SECS).id("stale-green"),
            ],
            vec!["stale-green", "fresh-red"],
        ),
        (
            "stale outranks health: stale amber deliverer before fresh red monitor",
            vec![
                monitor("a").health("red").id("red"),
                deliverer("z").health("amber").age(STALE_SECS).id("stale"),
            ],
            vec!["stale", "red"],
        ),
        (
            "unknown health values rank with amber, above green",
            vec![
                monitor("a").id("green"),
                monitor("b").health("degraded").id("unknown"),
            ],
            vec!["unknown", "green"],
        ),
        (
            "unknown and amber share a rank: ties by host",
            vec![
                monitor("b").health("amber").id("amber-b"),
                monitor("a").health("weird").id("unknown-a"),
                monitor("c").health("").id("empty-c"),
            ],
            vec!["unknown-a", "amber-b", "empty-c"],
        ),
        (
            "unknown health sorts below red",
            vec![
                monitor("a").health("unknown").id("unknown"),
                monitor("b").health("red").id("red"),
            ],
            vec!["red", "unknown"],
        ),
    ];
    for (name, rows, expected) in cases {
        assert_eq!(order_of(rows), expected, "{name}");
    }
}

#[test]
fn processes_sort_ties_by_type_then_host_then_process_id() {
    let cases: Vec<(&str, Vec<ProcessRow>, Vec<&str>)> = vec![
        (
            "monitor before deliverer before any other type",
            vec![process("a", "sidecar"), deliverer("a"), monitor("z")],
            vec!["z:monitor", "a:deliverer", "a:sidecar"],
        ),
        (
            "unknown process types sort last, whatever their host",
            vec![
                process("a", "aaa"),
                deliverer("z"),
                process("b", "zzz"),
                monitor("y"),
            ],
            vec!["y:monitor", "z:deliverer", "a:aaa", "b:zzz"],
        ),
        (
            "other types share one rank: ties by host, not by type name",
            vec![process("b", "alpha"), process("a", "zeta")],
            vec!["a:zeta", "b:alpha"],
        ),
        (
            "same type: by host_id",
            vec![
                monitor("jetmon-c"),
                monitor("jetmon-a"),
                monitor("jetmon-b"),
            ],
            vec!["jetmon-a:monitor", "jetmon-b:monitor", "jetmon-c:monitor"],
        ),
        (
            "same type and host: by process_id",
            vec![
                monitor("h").id("h:monitor-2"),
                monitor("h").id("h:monitor-1"),
            ],
            vec!["h:monitor-1", "h:monitor-2"],
        ),
        (
            "host_id before process_id",
            vec![monitor("b").id("a-process"), monitor("a").id("z-process")],
            vec!["z-process", "a-process"],
        ),
        (
            "type rank applies inside an urgency group only",
            vec![
                monitor("a"),
                deliverer("b").health("red"),
                process("c", "sidecar").age(STALE_SECS),
            ],
            vec!["c:sidecar", "b:deliverer", "a:monitor"],
        ),
    ];
    for (name, rows, expected) in cases {
        assert_eq!(order_of(rows), expected, "{name}");
    }
}

// ------------------------------------------------------------ counts

#[test]
fn process_counts_count_every_row_per_type_including_stale() {
    let snap = Fleet::empty()
        .procs([
            monitor("a"),
            monitor("b").age(STALE_SECS),
            monitor("c").state("stopped"),
            deliverer("d"),
            deliverer("e").age(STALE_SECS),
            process("f", "sidecar"),
        ])
        .build();
    let counts: Vec<(&str, u64)> = snap
        .process_counts
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        counts,
        vec![("deliverer", 2), ("monitor", 3), ("sidecar", 1)]
    );
}

#[test]
fn process_counts_are_empty_without_rows() {
    let snap = Fleet::empty().build();
    assert!(snap.process_counts.is_empty());
    assert!(snap.processes.is_empty());
}
