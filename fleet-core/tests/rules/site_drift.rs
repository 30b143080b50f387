//! rollup.md §5 per site: the expected legacy projection and the cause of
//! each drifting site, first match in the spec's order (the pure twin of
//! fleet-sql's drift scan).

use fleet_core::site_drift::{
    classify, count_causes, expected_status, in_scope, SiteEvent, SiteRow,
};
use fleet_core::DriftCause::{self, *};

fn open(state: &'static str) -> SiteEvent<'static> {
    SiteEvent {
        check_type: "http",
        state,
        open: true,
    }
}

fn ended(state: &'static str) -> SiteEvent<'static> {
    SiteEvent {
        open: false,
        ..open(state)
    }
}

fn open_of(check_type: &'static str, state: &'static str) -> SiteEvent<'static> {
    SiteEvent {
        check_type,
        ..open(state)
    }
}

#[test]
fn drift_expected_status_from_open_http_events_down_wins() {
    // (what, events, expected site_status)
    let cases: Vec<(&str, Vec<SiteEvent<'static>>, i16)> = vec![
        ("no events: up", vec![], 1),
        ("an open Down: confirmed down", vec![open("Down")], 2),
        (
            "an open Seems Down: seems down",
            vec![open("Seems Down")],
            0,
        ),
        (
            "Down wins over Seems Down",
            vec![open("Seems Down"), open("Down")],
            2,
        ),
        (
            "Down wins in either order",
            vec![open("Down"), open("Seems Down")],
            2,
        ),
        (
            "other open states: up",
            vec![open("Warning"), open("Degraded")],
            1,
        ),
        (
            "ended events do not count",
            vec![ended("Down"), ended("Seems Down")],
            1,
        ),
        (
            "other check types do not count",
            vec![open_of("dns", "Down")],
            1,
        ),
        (
            "states compare like the SQL collation",
            vec![open("down ")],
            2,
        ),
        (
            "check types compare like the SQL collation",
            vec![open_of("HTTP", "SEEMS DOWN")],
            0,
        ),
        ("a leading space is another state", vec![open(" Down")], 1),
    ];
    for (what, events, expected) in cases {
        assert_eq!(expected_status(&events), expected, "{what}");
    }
}

#[test]
fn drift_cause_per_site_first_match_in_spec_order() {
    // (what, site_status, events, cause)
    let cases: Vec<(&str, i16, Vec<SiteEvent<'static>>, Option<DriftCause>)> = vec![
        ("up and no events: no drift", 1, vec![], None),
        (
            "confirmed down with an open Down: no drift",
            2,
            vec![open("Down")],
            None,
        ),
        (
            "seems down with an open Seems Down: no drift",
            0,
            vec![open("Seems Down")],
            None,
        ),
        (
            "two open events agreeing: no drift",
            2,
            vec![open("Down"), open("Down")],
            None,
        ),
        (
            "1 unexpected_projection_value: site_status 5",
            5,
            vec![],
            Some(UnexpectedProjectionValue),
        ),
        (
            "1 unexpected_projection_value: negative site_status",
            -1,
            vec![open("Down")],
            Some(UnexpectedProjectionValue),
        ),
        (
            "1 wins over 2: invalid value with two open events",
            7,
            vec![open("Down"), open("Seems Down")],
            Some(UnexpectedProjectionValue),
        ),
        (
            "2 multiple_open_http_events",
            1,
            vec![open("Down"), open("Seems Down")],
            Some(MultipleOpenHttpEvents),
        ),
        (
            "2 wins over 3: two open non-down events, site down",
            2,
            vec![open("Warning"), open("Up")],
            Some(MultipleOpenHttpEvents),
        ),
        (
            "3 stale_legacy_down_projection: down without events",
            2,
            vec![],
            Some(StaleLegacyDownProjection),
        ),
        (
            "3 stale_legacy_down_projection: seems down, only ended events",
            0,
            vec![ended("Seems Down")],
            Some(StaleLegacyDownProjection),
        ),
        (
            "4 missing_confirmed_down_projection",
            1,
            vec![open("Down")],
            Some(MissingConfirmedDownProjection),
        ),
        (
            "5 missing_seems_down_projection",
            1,
            vec![open("Seems Down")],
            Some(MissingSeemsDownProjection),
        ),
        (
            "6 missing_confirmed_promotion",
            0,
            vec![open("Down")],
            Some(MissingConfirmedPromotion),
        ),
        (
            "7 stale_confirmed_down_projection",
            2,
            vec![open("Seems Down")],
            Some(StaleConfirmedDownProjection),
        ),
        (
            "other check types neither count nor multiply",
            1,
            vec![open("Down"), open_of("tls", "Down")],
            Some(MissingConfirmedDownProjection),
        ),
    ];
    for (what, site_status, events, cause) in cases {
        assert_eq!(classify(site_status, &events), cause, "{what}");
    }
}

#[test]
fn drift_cause_eight_is_unreachable_for_valid_values() {
    // unexpected_open_event_projection ("anything else") is the spec's
    // catch-all: every (expected, site_status) pair of valid values is
    // named by an earlier cause, here as in the SQL.
    let events: [&[SiteEvent<'static>]; 3] = [&[], &[open("Seems Down")], &[open("Down")]];
    for site_status in 0..=2 {
        for events in events {
            assert_ne!(
                classify(site_status, events),
                Some(UnexpectedOpenEventProjection),
                "site_status {site_status}, events {events:?}"
            );
        }
    }
}

#[test]
fn drift_scope_is_active_sites_in_configured_buckets() {
    let site = |monitor_active, bucket_no| SiteRow {
        monitor_active,
        bucket_no,
        site_status: 2,
    };
    assert!(in_scope(&site(true, 0), 1000));
    assert!(in_scope(&site(true, 999), 1000));
    assert!(
        !in_scope(&site(true, 1000), 1000),
        "bucket_no past the total"
    );
    assert!(!in_scope(&site(false, 5), 1000), "inactive");
    assert!(!in_scope(&site(true, 0), 0), "bucket_total not configured");
}

#[test]
fn drift_counts_each_site_once_by_cause_in_spec_order() {
    let down = [open("Down")];
    let both = [open("Down"), open("Seems Down")];
    let none: [SiteEvent<'static>; 0] = [];
    let site = |monitor_active, bucket_no, site_status| SiteRow {
        monitor_active,
        bucket_no,
        site_status,
    };
    let sites: Vec<(SiteRow, &[SiteEvent<'static>])> = vec![
        (site(true, 1, 1), &down),    // missing_confirmed_down
        (site(true, 2, 1), &down),    // missing_confirmed_down
        (site(true, 3, 1), &both),    // multiple_open_http_events, once
        (site(true, 4, 2), &none),    // stale_legacy_down
        (site(true, 5, 2), &down),    // no drift
        (site(false, 6, 1), &down),   // inactive: not scanned
        (site(true, 2000, 1), &down), // out of range: not scanned
    ];
    assert_eq!(
        count_causes(sites, 1000),
        vec![
            (MultipleOpenHttpEvents, 1),
            (StaleLegacyDownProjection, 1),
            (MissingConfirmedDownProjection, 2),
        ]
    );
}
