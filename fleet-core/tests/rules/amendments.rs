//! rollup.md §9: the amendments decided after the first release (§9.4's
//! ratified decisions are tested where their rules are).

use crate::spec::*;
use fleet_core::snapshot::DriftScan;
use fleet_core::summary::ACTION_REVIEW_ISSUES;
use fleet_core::test_support::*;
use fleet_core::{DeliveryKind, DeliveryTableCounts, DriftCause, DriftInput, DriftResult, Status};

const ACCESS: &str = "Check fleetd's access to the jetmon database:";

#[test]
fn amendment_9_1_red_dependency_raises_an_amber_issue_per_dependency_in_sort_order() {
    let snap = Fleet::healthy()
        .proc(
            monitor("a")
                .id("a")
                .deps(&deps(&[dep("redis", "red"), dep("mysql", "red")])),
        )
        .proc(
            monitor("b")
                .id("b")
                .deps(&deps(&[dep("mysql", "red"), dep("dns", "amber")])),
        )
        .proc(monitor("c").id("c").health("amber").deps("not json"))
        .build();
    let issues = issues(&snap);
    let at = |text: &str| {
        issues
            .iter()
            .position(|i| *i == text)
            .unwrap_or_else(|| panic!("no issue {text:?} in {issues:?}"))
    };
    let mysql = at("dependency mysql: red on 2 process(es)");
    let redis = at("dependency redis: red on 1 process(es)");
    let unreadable = at("c dependency_health unreadable");
    assert!(unreadable < mysql && mysql < redis, "{issues:?}");
    assert_eq!(
        issue_status(&snap, "dependency mysql: red on 2 process(es)"),
        Some(Status::Amber)
    );
    assert!(
        !issues.iter().any(|i| i.starts_with("dependency dns")),
        "amber dependencies raise none"
    );
}

#[test]
fn amendment_9_1_red_dependency_makes_a_green_fleet_amber_with_its_next_action() {
    let snap = Fleet::healthy()
        .proc(monitor("a").deps(&deps(&[dep("wpcom", "red"), dep("redis", "red")])))
        .build();
    assert_eq!(snap.summary.status, Status::Amber);
    assert_eq!(
        snap.summary.suggested_next_action,
        "Open the host dashboards of the processes reporting redis red and resolve it before the next rollout step.",
        "the first red dependency in sort order is named"
    );
}

#[test]
fn amendment_9_1_red_dependency_action_comes_after_rule_10_and_before_review() {
    // Rule 10 (amber processes) still wins.
    let amber = Fleet::healthy()
        .proc(
            monitor("a")
                .health("amber")
                .deps(&deps(&[dep("redis", "red")])),
        )
        .build();
    assert_next_action(&amber, 10);
    // Without red dependencies, an amber fleet no rule names is "review".
    let review = Fleet::healthy().drift(DriftInput::NotCheckedYet).build();
    assert_eq!(review.summary.suggested_next_action, ACTION_REVIEW_ISSUES);
}

#[test]
fn amendment_9_2_unreadable_sections_ask_to_check_fleetds_access() {
    // (what, fleet, section named)
    let cases: Vec<(&str, Fleet, &str)> = vec![
        (
            "jetmon_hosts unreadable",
            Fleet::healthy().hosts_unreadable(),
            "bucket coverage",
        ),
        (
            "no drift scan ever succeeded",
            Fleet::healthy().drift(DriftInput::Unreadable),
            "projection drift",
        ),
        (
            "a failed re-scan after a clean one",
            Fleet::healthy().drift(DriftInput::LastScanFailed(DriftResult {
                checked_at: secs_ago(120),
                causes: vec![],
            })),
            "projection drift",
        ),
        (
            "a delivery table unreadable",
            Fleet::healthy().unreadable_table(DeliveryKind::Alert),
            "delivery queues",
        ),
    ];
    for (what, fleet, section) in cases {
        let snap = fleet.build();
        assert_eq!(
            snap.summary.suggested_next_action,
            format!("{ACCESS} {section} could not be read (the cause is in fleetd's log)."),
            "{what}"
        );
    }
}

#[test]
fn amendment_9_2_a_section_also_broken_keeps_its_own_action() {
    // Read-and-broken wins over unreadable: the operator has a real fix.
    let abandoned_and_unreadable = Fleet::healthy()
        .webhook(DeliveryTableCounts {
            abandoned_since: 2,
            ..counts()
        })
        .unreadable_table(DeliveryKind::Alert)
        .build();
    assert_next_action(&abandoned_and_unreadable, 4);
    let drift_known = Fleet::healthy()
        .drift(DriftInput::LastScanFailed(DriftResult {
            checked_at: secs_ago(120),
            causes: vec![(DriftCause::MultipleOpenHttpEvents, 3)],
        }))
        .build();
    assert_next_action(&drift_known, 3);
    // Stale processes still come first.
    let stale = Fleet::healthy()
        .proc(monitor("x").age(STALE_SECS))
        .hosts_unreadable()
        .build();
    assert_next_action(&stale, 1);
}

#[test]
fn amendment_9_3_a_failed_rescan_keeps_the_last_count_causes_and_checked_at() {
    let last = DriftResult {
        checked_at: secs_ago(300),
        causes: vec![
            (DriftCause::MissingSeemsDownProjection, 2),
            (DriftCause::MultipleOpenHttpEvents, 5),
        ],
    };
    let snap = Fleet::healthy()
        .drift(DriftInput::LastScanFailed(last))
        .build();
    let drift = &snap.projection_drift;
    assert_eq!(drift.status, Status::Red);
    assert_eq!(drift.scan, DriftScan::Failed);
    assert_eq!(drift.error.as_deref(), Some("the last drift scan failed"));
    assert_eq!(drift.count, 7);
    assert_eq!(drift.causes.len(), 2);
    assert_eq!(drift.causes[0].code, DriftCause::MultipleOpenHttpEvents);
    assert_eq!(drift.checked_at, Some(secs_ago(300)));
    assert_eq!(drift.age_sec, Some(300));
    assert_eq!(
        issue_status(&snap, "projection drift: the last drift scan failed"),
        Some(Status::Red)
    );
    let json = serde_json::to_value(&snap).expect("json");
    assert_eq!(json["projection_drift"]["count"], 7);
    assert_eq!(json["projection_drift"]["scan"], "failed");
    assert_eq!(
        json["projection_drift"]["checked_at"],
        "2026-04-30T13:55:00Z"
    );
}

#[test]
fn amendment_9_3_before_any_good_result_a_failure_reads_as_before() {
    let snap = Fleet::healthy().drift(DriftInput::Unreadable).build();
    let drift = &snap.projection_drift;
    assert_eq!(drift.status, Status::Red);
    assert_eq!(drift.scan, DriftScan::Failed);
    assert_eq!(
        drift.error.as_deref(),
        Some("projection drift could not be read")
    );
    assert_eq!((drift.count, drift.checked_at), (0, None));
}

#[test]
fn drift_scan_state_names_where_the_figure_comes_from() {
    let not_configured = Fleet::healthy().bucket_total(0).build();
    assert_eq!(
        not_configured.projection_drift.scan,
        DriftScan::NotConfigured
    );
    let not_yet = Fleet::healthy().drift(DriftInput::NotCheckedYet).build();
    assert_eq!(not_yet.projection_drift.scan, DriftScan::NotCheckedYet);
    let checked = Fleet::healthy().build();
    assert_eq!(checked.projection_drift.scan, DriftScan::Checked);
}
