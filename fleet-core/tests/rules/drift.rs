//! rollup.md §5: projection drift. The per-site classification runs in SQL
//! (fleet-sql); fleet-core is given the latest outcome (not checked yet,
//! unreadable, or drifting sites per cause) and owns the count, the cause
//! order, the status and the timestamps.

use fleet_core::test_support::*;
use fleet_core::{DriftCause, DriftInput, DriftResult, Status};

#[test]
fn drift_status_first_match() {
    use DriftCause::*;
    let checked = |causes: Vec<(DriftCause, u64)>| {
        DriftInput::Checked(DriftResult {
            checked_at: secs_ago(30),
            causes,
        })
    };
    // (what, bucket_total, drift input, expected status, expected count (when defined))
    let cases: Vec<(&str, u32, DriftInput, Status, Option<u64>)> = vec![
        (
            "bucket_total not configured, checked clean",
            0,
            checked(vec![]),
            Status::Amber,
            None,
        ),
        (
            "bucket_total not configured wins over a drift count",
            0,
            checked(vec![(MultipleOpenHttpEvents, 4)]),
            Status::Amber,
            None,
        ),
        (
            "bucket_total not configured wins over not checked yet",
            0,
            DriftInput::NotCheckedYet,
            Status::Amber,
            None,
        ),
        (
            "bucket_total not configured wins over a failed scan",
            0,
            DriftInput::Unreadable,
            Status::Amber,
            None,
        ),
        (
            "not checked yet is amber, never green",
            1000,
            DriftInput::NotCheckedYet,
            Status::Amber,
            Some(0),
        ),
        (
            "a drifting site is red",
            1000,
            checked(vec![(StaleLegacyDownProjection, 1)]),
            Status::Red,
            Some(1),
        ),
        (
            "count is the sum over causes",
            1000,
            checked(vec![
                (MissingSeemsDownProjection, 2),
                (MissingConfirmedPromotion, 3),
            ]),
            Status::Red,
            Some(5),
        ),
        (
            "a failed scan is red",
            1000,
            DriftInput::Unreadable,
            Status::Red,
            Some(0),
        ),
        (
            "no drift is green",
            1000,
            checked(vec![]),
            Status::Green,
            Some(0),
        ),
        (
            "causes reported with zero sites are still green",
            1000,
            checked(vec![(StaleLegacyDownProjection, 0)]),
            Status::Green,
            Some(0),
        ),
    ];
    for (what, total, drift, status, count) in cases {
        let snap = Fleet::healthy().bucket_total(total).drift(drift).build();
        let d = &snap.projection_drift;
        assert_eq!(d.status, status, "{what}: {d:?}");
        if let Some(count) = count {
            assert_eq!(d.count, count, "{what}");
        }
        match status {
            Status::Green => assert_eq!(d.error, None, "{what}"),
            _ if d.count > 0 && total > 0 => {}
            _ => assert!(
                d.error.as_deref().is_some_and(|e| !e.is_empty()),
                "{what}: error expected: {d:?}"
            ),
        }
    }
}

#[test]
fn drift_bucket_total_not_configured_error_says_so() {
    let snap = Fleet::healthy().bucket_total(0).build();
    let error = snap
        .projection_drift
        .error
        .as_deref()
        .expect("an error")
        .to_lowercase();
    assert!(
        error.contains("bucket") && error.contains("not configured"),
        "{error:?}"
    );
}

#[test]
fn drift_not_checked_yet_is_amber_with_that_error() {
    let snap = Fleet::healthy().drift(DriftInput::NotCheckedYet).build();
    let d = &snap.projection_drift;
    assert_eq!(d.status, Status::Amber);
    assert_eq!(d.error.as_deref(), Some("not checked yet"));
    assert_eq!(d.checked_at, None, "no scan has finished");
    assert!(d.causes.is_empty());
    let issue = "projection drift: not checked yet";
    assert_eq!(
        issue_status(&snap, issue),
        Some(Status::Amber),
        "{:?}",
        snap.summary.issues
    );
    assert_eq!(snap.summary.status, Status::Amber);
}

#[test]
fn drift_unreadable_is_red_with_a_generic_error() {
    let snap = Fleet::healthy().drift(DriftInput::Unreadable).build();
    let d = &snap.projection_drift;
    assert_eq!(d.status, Status::Red);
    let error = d.error.as_deref().expect("an error");
    assert!(
        error.to_lowercase().contains("drift"),
        "names the section: {error:?}"
    );
    let issue = format!("projection drift: {error}");
    assert_eq!(
        issue_status(&snap, &issue),
        Some(Status::Red),
        "{:?}",
        snap.summary.issues
    );
}

#[test]
fn drift_count_issue_is_legacy_projection_drift_n() {
    let snap = Fleet::healthy()
        .drift_causes(&[
            (DriftCause::MultipleOpenHttpEvents, 2),
            (DriftCause::StaleLegacyDownProjection, 5),
        ])
        .build();
    let d = &snap.projection_drift;
    assert_eq!(d.status, Status::Red);
    assert_eq!(d.count, 7);
    assert_eq!(d.error, None, "a count is not an error");
    let issue = "projection drift: legacy projection drift=7";
    assert_eq!(
        issue_status(&snap, issue),
        Some(Status::Red),
        "{:?}",
        snap.summary.issues
    );
}

/// Drifting sites per cause, as fleet-sql reports them.
type Causes = Vec<(DriftCause, u64)>;

#[test]
fn drift_causes_are_sorted_largest_first() {
    use DriftCause::*;
    let cases: Vec<(Causes, Vec<(&str, u64)>)> = vec![
        (
            vec![
                (UnexpectedProjectionValue, 1),
                (MissingConfirmedDownProjection, 9),
                (StaleConfirmedDownProjection, 4),
            ],
            vec![
                ("missing_confirmed_down_projection", 9),
                ("stale_confirmed_down_projection", 4),
                ("unexpected_projection_value", 1),
            ],
        ),
        (
            vec![
                (UnexpectedOpenEventProjection, 100),
                (MultipleOpenHttpEvents, 1_000),
            ],
            vec![
                ("multiple_open_http_events", 1_000),
                ("unexpected_open_event_projection", 100),
            ],
        ),
        (
            DriftCause::ALL
                .iter()
                .zip(1..)
                .map(|(c, n)| (*c, n))
                .collect(),
            {
                let mut all: Vec<(&str, u64)> = DriftCause::ALL
                    .iter()
                    .zip(1..)
                    .map(|(c, n)| (c.code(), n))
                    .collect();
                all.reverse();
                all
            },
        ),
    ];
    for (input, expected) in cases {
        let snap = Fleet::healthy().drift_causes(&input).build();
        let got: Vec<(&str, u64)> = snap
            .projection_drift
            .causes
            .iter()
            .filter(|c| c.count > 0)
            .map(|c| (c.code.code(), c.count))
            .collect();
        assert_eq!(got, expected, "input {input:?}");
        let json = serde_json::to_value(&snap.projection_drift).expect("serialises");
        assert_eq!(
            json["causes"][0]["code"], expected[0].0,
            "causes serialise as {{code, count}}"
        );
        assert_eq!(json["causes"][0]["count"], expected[0].1);
    }
}

#[test]
fn drift_causes_sort_is_non_increasing_even_with_ties() {
    use DriftCause::*;
    let snap = Fleet::healthy()
        .drift_causes(&[
            (MissingSeemsDownProjection, 3),
            (MultipleOpenHttpEvents, 3),
            (StaleLegacyDownProjection, 7),
        ])
        .build();
    let counts: Vec<u64> = snap
        .projection_drift
        .causes
        .iter()
        .map(|c| c.count)
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert_eq!(
        snap.projection_drift.causes[0].code,
        StaleLegacyDownProjection
    );
}

#[test]
fn drift_carries_checked_at_and_its_age() {
    let checked_at = secs_ago(125);
    let snap = Fleet::healthy()
        .drift(DriftInput::Checked(DriftResult {
            checked_at,
            causes: vec![],
        }))
        .build();
    let d = &snap.projection_drift;
    assert_eq!(d.checked_at, Some(checked_at));
    assert_eq!(d.age_sec, Some(125));
    let json = serde_json::to_value(d).expect("serialises");
    assert_eq!(json["checked_at"], "2026-04-30T13:57:55Z");
}

#[test]
fn drift_checked_in_the_future_has_age_zero() {
    let snap = Fleet::healthy()
        .drift(DriftInput::Checked(DriftResult {
            checked_at: secs_ahead(5),
            causes: vec![],
        }))
        .build();
    assert_eq!(snap.projection_drift.age_sec, Some(0));
}

#[test]
fn drift_green_raises_no_issue() {
    let snap = Fleet::healthy().build();
    assert_eq!(snap.projection_drift.status, Status::Green);
    assert!(!snap
        .summary
        .issues
        .iter()
        .any(|i| i.starts_with("projection drift")));
}

#[test]
fn drift_cause_codes_round_trip() {
    for cause in DriftCause::ALL {
        assert_eq!(DriftCause::from_code(cause.code()), Some(cause));
        let json = serde_json::to_value(cause).expect("serialises");
        assert_eq!(json, cause.code());
    }
    assert_eq!(DriftCause::from_code("nope"), None);
}

#[test]
fn drift_clean_result_older_than_drift_max_age_is_amber_overdue_never_green() {
    use std::time::Duration;
    let checked = |age: i64, causes: Vec<(DriftCause, u64)>| {
        DriftInput::Checked(DriftResult {
            checked_at: secs_ago(age),
            causes,
        })
    };
    // (what, max age, drift input, expected status)
    let cases: Vec<(&str, Option<u64>, DriftInput, Status)> = vec![
        (
            "no limit: an old clean result stays green",
            None,
            checked(3600, vec![]),
            Status::Green,
        ),
        (
            "clean result exactly at the limit is green",
            Some(300),
            checked(300, vec![]),
            Status::Green,
        ),
        (
            "clean result one second over the limit is amber",
            Some(300),
            checked(301, vec![]),
            Status::Amber,
        ),
        (
            "drift found stays red however old",
            Some(300),
            checked(3600, vec![(DriftCause::MissingConfirmedPromotion, 2)]),
            Status::Red,
        ),
    ];
    for (what, max, drift, status) in cases {
        let mut fleet = Fleet::healthy().drift(drift);
        fleet.thresholds.drift_max_age = max.map(Duration::from_secs);
        let snap = fleet.build();
        let d = &snap.projection_drift;
        assert_eq!(d.status, status, "{what}: {d:?}");
        if status == Status::Amber {
            let error = d.error.as_deref().expect("an error");
            assert!(error.starts_with("drift scan overdue"), "{what}: {error}");
            assert!(error.contains("301 s old"), "{what}: {error}");
            assert_eq!(snap.summary.status, Status::Amber, "{what}");
            assert!(
                snap.summary
                    .issues
                    .iter()
                    .any(|i| i.starts_with("projection drift: drift scan overdue")),
                "{what}: {:?}",
                snap.summary.issues
            );
        }
    }
}
