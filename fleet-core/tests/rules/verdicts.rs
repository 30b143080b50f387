//! Every status a view draws is decided here and carried by the snapshot:
//! process rows, dependency entries, bucket-owner rows, coverage findings
//! and the status of each part of the fleet (fleetd's page and metrics only
//! draw these).

use fleet_core::snapshot::{FindingKind, HostProblem, SectionStatuses};
use fleet_core::test_support::*;
use fleet_core::{FleetSnapshot, Status};

#[test]
fn process_row_status_is_red_when_stale_else_the_health_it_counts_as() {
    use Status::*;
    // (what, health_status, heartbeat age, row status, health counted as)
    let cases: Vec<(&str, &str, i64, Status, Status)> = vec![
        ("fresh green", "green", FRESH_SECS, Green, Green),
        ("fresh amber", "amber", FRESH_SECS, Amber, Amber),
        ("fresh red", "red", FRESH_SECS, Red, Red),
        (
            "fresh unknown health counts as amber",
            "GREEN",
            FRESH_SECS,
            Amber,
            Amber,
        ),
        (
            "fresh empty health counts as amber",
            "",
            FRESH_SECS,
            Amber,
            Amber,
        ),
        ("stale green is red", "green", STALE_SECS, Red, Green),
        ("stale amber is red", "amber", STALE_SECS, Red, Amber),
    ];
    for (what, health, age, status, counted_as) in cases {
        let snap = Fleet::healthy()
            .proc(monitor("x").id("x").health(health).age(age))
            .build();
        let p = proc_entry(&snap, "x");
        assert_eq!(
            (p.status, p.health_counted_as),
            (status, counted_as),
            "{what}"
        );
    }
}

#[test]
fn dependency_entry_counts_as_its_status_unknown_as_amber() {
    let snap = Fleet::healthy()
        .proc(monitor("x").id("x").deps(&deps(&[
            dep("mysql", "green"),
            dep("redis", "red"),
            dep("wpcom", "amber"),
            dep("dns", "flaky"),
        ])))
        .build();
    let counted: Vec<(&str, Status)> = proc_entry(&snap, "x")
        .dependency_health
        .iter()
        .map(|d| (d.name.as_str(), d.counted_as))
        .collect();
    assert_eq!(
        counted,
        vec![
            ("mysql", Status::Green),
            ("redis", Status::Red),
            ("wpcom", Status::Amber),
            ("dns", Status::Amber),
        ]
    );
}

#[test]
fn host_row_status_names_its_first_problem() {
    // (what, row, row status, problem)
    let cases: Vec<(&str, fleet_core::HostRow, Status, Option<HostProblem>)> = vec![
        (
            "fresh active in range",
            host("h", 0, 999),
            Status::Green,
            None,
        ),
        (
            "range past bucket_total",
            host("h", 0, 1000),
            Status::Red,
            Some(HostProblem::InvalidRange),
        ),
        (
            "empty range wins over draining",
            host("h", 9, 3).host_status("draining"),
            Status::Red,
            Some(HostProblem::InvalidRange),
        ),
        (
            "draining wins over stale",
            host("h", 0, 999)
                .host_status("draining")
                .beat_age(STALE_SECS),
            Status::Red,
            Some(HostProblem::NotActive),
        ),
        (
            "stale",
            host("h", 0, 999).beat_age(STALE_SECS),
            Status::Red,
            Some(HostProblem::Stale),
        ),
    ];
    for (what, row, status, problem) in cases {
        let snap = Fleet::healthy().hosts(vec![row]).build();
        let h = host_entry(&snap, "h");
        assert_eq!((h.row_status, h.row_problem), (status, problem), "{what}");
    }
}

/// (kind, first, last, hosts) of every finding.
fn findings(snap: &FleetSnapshot) -> Vec<(FindingKind, u32, u32, Vec<&str>)> {
    snap.bucket_coverage
        .findings
        .iter()
        .map(|f| {
            (
                f.kind,
                f.first_bucket,
                f.last_bucket,
                f.hosts.iter().map(String::as_str).collect(),
            )
        })
        .collect()
}

#[test]
fn coverage_findings_are_data_and_the_error_joins_their_texts() {
    use FindingKind::*;
    let snap = Fleet::healthy()
        .hosts(vec![
            host("a", 0, 99),
            host("b", 90, 199),
            host("c", 150, 160),
            host("d", 300, 899),
            host("e", 950, 1200),
        ])
        .build();
    assert_eq!(
        findings(&snap),
        vec![
            (Overlap, 90, 99, vec!["a", "b"]),
            (Overlap, 150, 160, vec!["b", "c"]),
            (Gap, 200, 299, vec!["d"]),
            (InvalidRange, 950, 1200, vec!["e"]),
            (Gap, 900, 999, vec![]),
        ]
    );
    let texts: Vec<&str> = snap
        .bucket_coverage
        .findings
        .iter()
        .map(|f| f.text.as_str())
        .collect();
    assert_eq!(coverage_error(&snap), texts.join("; "));
    assert_eq!(snap.bucket_coverage.status, Status::Red);
}

#[test]
fn coverage_without_problems_has_no_findings() {
    let snap = Fleet::healthy()
        .hosts(vec![host("a", 0, 499), host("b", 500, 999)])
        .build();
    assert!(snap.bucket_coverage.findings.is_empty());
    assert_eq!(snap.bucket_coverage.status, Status::Green);
}

#[test]
fn pinned_ranges_come_from_fresh_monitors_with_their_findings() {
    let snap = Fleet::empty()
        .procs([
            pinned_monitor("a", 0, 499),
            pinned_monitor("b", 400, 899).health("red"),
            pinned_monitor("c", 0, 999).age(STALE_SECS),
            pinned_monitor("d", 0, 999).state("stopped"),
        ])
        .build();
    let cov = &snap.bucket_coverage;
    assert_eq!(cov.status, Status::Amber, "pinned coverage stays amber");
    let ranges: Vec<(&str, u16, u16, Status)> = cov
        .pinned_ranges
        .iter()
        .map(|r| (r.host_id.as_str(), r.bucket_min, r.bucket_max, r.status))
        .collect();
    assert_eq!(
        ranges,
        vec![("a", 0, 499, Status::Green), ("b", 400, 899, Status::Red)]
    );
    let kinds: Vec<(FindingKind, u32, u32)> = cov
        .pinned_findings
        .iter()
        .map(|f| (f.kind, f.first_bucket, f.last_bucket))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (FindingKind::Overlap, 400, 499),
            (FindingKind::Gap, 900, 999)
        ]
    );
    assert!(
        cov.findings.is_empty(),
        "no jetmon_hosts rows: nothing to walk"
    );
}

#[test]
fn section_statuses_are_decided_once() {
    use Status::*;
    let sections = |snap: &FleetSnapshot| snap.sections;
    let green = sections(&Fleet::healthy().build());
    assert_eq!(
        green,
        SectionStatuses {
            processes: Green,
            monitors: Green,
            deliverers: None,
            bucket_coverage: Green,
            delivery: Green,
            delivery_posture: Green,
            projection_drift: Green,
            dependencies: None,
        }
    );
    // (what, fleet, expected sections)
    let cases: Vec<(&str, Fleet, SectionStatuses)> = vec![
        (
            "no processes at all: processes and monitors amber",
            Fleet::empty().hosts(vec![host("h", 0, 999)]),
            SectionStatuses {
                processes: Amber,
                monitors: Amber,
                ..green
            },
        ),
        (
            "a stale deliverer: processes and deliverers red, monitors green",
            Fleet::healthy().proc(deliverer("d").age(STALE_SECS)),
            SectionStatuses {
                processes: Red,
                deliverers: Some(Red),
                ..green
            },
        ),
        (
            "an unknown-health monitor: amber",
            Fleet::healthy().proc(monitor("m2").health("?")),
            SectionStatuses {
                processes: Amber,
                monitors: Amber,
                ..green
            },
        ),
        (
            "dependencies: the worst of them",
            Fleet::healthy()
                .proc(deliverer("d").deps(&deps(&[dep("a", "green"), dep("b", "amber")]))),
            SectionStatuses {
                deliverers: Some(Green),
                dependencies: Some(Amber),
                ..green
            },
        ),
        (
            "sections carried from their own status",
            Fleet::healthy()
                .hosts_unreadable()
                .drift_causes(&[(fleet_core::DriftCause::MultipleOpenHttpEvents, 1)]),
            SectionStatuses {
                bucket_coverage: Red,
                projection_drift: Red,
                ..green
            },
        ),
    ];
    for (what, fleet, expected) in cases {
        let snap = fleet.build();
        assert_eq!(snap.sections, expected, "{what}");
        assert_eq!(snap.sections.bucket_coverage, snap.bucket_coverage.status);
        assert_eq!(snap.sections.delivery, snap.delivery.status);
        assert_eq!(snap.sections.delivery_posture, snap.delivery.posture.status);
        assert_eq!(snap.sections.projection_drift, snap.projection_drift.status);
    }
}

#[test]
fn dependency_rollup_lists_the_processes_reporting_it_not_green() {
    let snap = Fleet::healthy()
        .proc(
            monitor("a")
                .id("a")
                .deps(&deps(&[dep("redis", "red"), dep("mysql", "green")])),
        )
        .proc(
            deliverer("b")
                .id("b")
                .age(STALE_SECS)
                .deps(&deps(&[dep(" redis ", "odd")])),
        )
        .proc(deliverer("c").id("c").deps(&deps(&[dep("redis", "green")])))
        .build();
    let redis = dependency(&snap, "redis");
    let reports: Vec<(&str, &str, Status, bool)> = redis
        .not_green
        .iter()
        .map(|r| {
            (
                r.process_id.as_str(),
                r.status.as_str(),
                r.counted_as,
                r.stale,
            )
        })
        .collect();
    assert_eq!(
        reports,
        vec![
            ("b", "odd", Status::Amber, true),
            ("a", "red", Status::Red, false)
        ],
        "process (urgency) order, grouped by trimmed name"
    );
    assert!(dependency(&snap, "mysql").not_green.is_empty());
}

#[test]
fn host_rows_are_walked_while_pinned_without_changing_the_status() {
    let snap = Fleet::empty()
        .proc(pinned_monitor("a", 0, 999))
        .hosts(vec![host("h", 0, 499)])
        .build();
    let cov = &snap.bucket_coverage;
    assert_eq!(cov.status, Status::Amber);
    assert_eq!(
        cov.error.as_deref(),
        Some(fleet_core::coverage::PINNED_ERROR)
    );
    assert_eq!(
        findings(&snap),
        vec![(FindingKind::Gap, 500, 999, vec![])],
        "the page draws the rows' real gap"
    );
}
