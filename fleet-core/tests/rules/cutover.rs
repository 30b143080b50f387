//! The dynamic-ownership cutover checklist (issue: "the cutover checklist"):
//! each expectation of jetmon's rollout note as pass / fail / unknown from a
//! snapshot.

use fleet_core::cutover::{cutover_checklist, Expectation, Outcome};
use fleet_core::test_support::*;
use fleet_core::{DeliveryKind, DeliveryTableCounts, DriftCause, DriftInput, DriftResult};

fn outcome_of(fleet: &Fleet, expectation: Expectation) -> Outcome {
    let checklist = cutover_checklist(&fleet.build());
    let item = checklist
        .items
        .iter()
        .find(|i| i.expectation == expectation)
        .expect("every expectation is listed");
    assert_eq!(
        item.fix.is_some(),
        item.outcome != Outcome::Pass,
        "a fix exactly when it does not pass: {item:?}"
    );
    item.outcome
}

#[test]
fn cutover_passes_on_a_green_dynamic_fleet() {
    let checklist = cutover_checklist(&Fleet::healthy().build());
    assert_eq!(checklist.outcome, Outcome::Pass);
    assert_eq!(checklist.items.len(), Expectation::ALL.len());
    assert!(checklist.items.iter().all(|i| i.outcome == Outcome::Pass));
}

#[test]
fn cutover_each_expectation_pass_fail_unknown() {
    use Expectation::*;
    use Outcome::*;
    let drift_result = |n: u64| DriftResult {
        checked_at: secs_ago(30),
        causes: if n > 0 {
            vec![(DriftCause::MultipleOpenHttpEvents, n)]
        } else {
            vec![]
        },
    };
    // (what, fleet, expectation, outcome)
    let cases: Vec<(&str, Fleet, Expectation, Outcome)> = vec![
        (
            "pinned monitors",
            Fleet::empty()
                .proc(pinned_monitor("a", 0, 999))
                .hosts(vec![host("a", 0, 999)]),
            DynamicCoverageGreen,
            Fail,
        ),
        (
            "a coverage gap",
            Fleet::healthy().hosts(vec![host("m1", 0, 499)]),
            DynamicCoverageGreen,
            Fail,
        ),
        (
            "jetmon_hosts unreadable",
            Fleet::healthy().hosts_unreadable(),
            DynamicCoverageGreen,
            Unknown,
        ),
        (
            "bucket_total not configured",
            Fleet::healthy().bucket_total(0),
            DynamicCoverageGreen,
            Unknown,
        ),
        (
            "a stale owner row",
            Fleet::healthy().hosts(vec![host("m1", 0, 999).beat_age(STALE_SECS)]),
            CoverageFresh,
            Fail,
        ),
        (
            "no owner rows",
            Fleet::healthy().hosts(vec![]),
            CoverageFresh,
            Fail,
        ),
        (
            "owner rows unreadable",
            Fleet::healthy().hosts_unreadable(),
            CoverageFresh,
            Unknown,
        ),
        (
            "a stale deliverer",
            Fleet::healthy().proc(deliverer("d").age(STALE_SECS)),
            NoStaleProcesses,
            Fail,
        ),
        (
            "drift found",
            Fleet::healthy().drift(DriftInput::Checked(drift_result(4))),
            ZeroProjectionDrift,
            Fail,
        ),
        (
            "drift not checked yet",
            Fleet::healthy().drift(DriftInput::NotCheckedYet),
            ZeroProjectionDrift,
            Unknown,
        ),
        (
            "drift never read",
            Fleet::healthy().drift(DriftInput::Unreadable),
            ZeroProjectionDrift,
            Unknown,
        ),
        (
            "drift re-scan failed after a clean one",
            Fleet::healthy().drift(DriftInput::LastScanFailed(drift_result(0))),
            ZeroProjectionDrift,
            Unknown,
        ),
        (
            "drift re-scan failed after drift",
            Fleet::healthy().drift(DriftInput::LastScanFailed(drift_result(2))),
            ZeroProjectionDrift,
            Fail,
        ),
        (
            "abandoned rows",
            Fleet::healthy().alert(DeliveryTableCounts {
                abandoned_since: 1,
                ..counts()
            }),
            NoFailedOrAbandonedDeliveries,
            Fail,
        ),
        (
            "failed rows and an unreadable table",
            Fleet::healthy()
                .webhook(DeliveryTableCounts {
                    failed_since: 1,
                    ..counts()
                })
                .unreadable_table(DeliveryKind::Alert),
            NoFailedOrAbandonedDeliveries,
            Fail,
        ),
        (
            "a table unreadable",
            Fleet::healthy().unreadable_table(DeliveryKind::Webhook),
            NoFailedOrAbandonedDeliveries,
            Unknown,
        ),
        (
            "only due rows",
            Fleet::healthy().webhook(DeliveryTableCounts {
                pending: 3,
                due_now: 3,
                ..counts()
            }),
            NoFailedOrAbandonedDeliveries,
            Pass,
        ),
    ];
    for (what, fleet, expectation, outcome) in cases {
        assert_eq!(outcome_of(&fleet, expectation), outcome, "{what}");
    }
}

#[test]
fn cutover_overdue_clean_drift_is_unknown_never_pass() {
    let mut fleet = Fleet::healthy().drift(DriftInput::Checked(DriftResult {
        checked_at: secs_ago(3600),
        causes: vec![],
    }));
    fleet.thresholds.drift_max_age = Some(std::time::Duration::from_secs(300));
    assert_eq!(
        outcome_of(&fleet, Expectation::ZeroProjectionDrift),
        Outcome::Unknown
    );
}

#[test]
fn cutover_outcome_is_fail_then_unknown_then_pass() {
    let unknown = cutover_checklist(&Fleet::healthy().drift(DriftInput::NotCheckedYet).build());
    assert_eq!(unknown.outcome, Outcome::Unknown);
    let fail = cutover_checklist(
        &Fleet::healthy()
            .drift(DriftInput::NotCheckedYet)
            .proc(monitor("x").age(STALE_SECS))
            .build(),
    );
    assert_eq!(fail.outcome, Outcome::Fail);
}

#[test]
fn cutover_items_carry_their_figures() {
    let checklist = cutover_checklist(
        &Fleet::healthy()
            .proc(monitor("x").id("x").age(STALE_SECS))
            .build(),
    );
    let figures: Vec<&str> = checklist.items.iter().map(|i| i.figure.as_str()).collect();
    assert_eq!(figures[0], "mode=dynamic status=green");
    assert_eq!(figures[1], "0 of 1 owner rows stale");
    assert_eq!(figures[2], "1 of 2 processes stale: x");
    assert!(
        figures[3].starts_with("drift=0, checked 30 s"),
        "{}",
        figures[3]
    );
    assert_eq!(figures[4], "failed_since=0 abandoned_since=0");
    let json = serde_json::to_value(&checklist).expect("json");
    assert_eq!(json["outcome"], "fail");
    assert_eq!(json["items"][2]["expectation"], "no_stale_processes");
    assert_eq!(json["items"][2]["outcome"], "fail");
    assert!(json["items"][0].get("fix").is_none(), "no fix on a pass");
}
