//! rollup.md §3: delivery queues. The row predicates (pending, due, the
//! `cutoff` window) run in SQL; fleet-core is given per-table counters and
//! oldest timestamps and owns `since`, the sums, the ages and the statuses.

use fleet_core::snapshot::Delivery;
use fleet_core::test_support::*;
use fleet_core::{DeliveryKind, DeliveryTableCounts, Status};

fn table(delivery: &Delivery, kind: DeliveryKind) -> &fleet_core::snapshot::DeliveryTable {
    delivery
        .tables
        .iter()
        .find(|t| t.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} table in {delivery:?}"))
}

#[test]
fn delivery_since_is_now_minus_the_recent_window() {
    // (recent_window seconds, expected `since` as served)
    let cases: &[(u64, &str)] = &[
        (900, "2026-04-30T13:45:00Z"),
        (60, "2026-04-30T13:59:00Z"),
        (3_600, "2026-04-30T13:00:00Z"),
        (0, "2026-04-30T14:00:00Z"),
    ];
    for &(window, since) in cases {
        let snap = Fleet::healthy().window(window).build();
        assert_eq!(
            snap.delivery.since,
            now() - chrono::Duration::seconds(window as i64),
            "window {window}s"
        );
        let json = serde_json::to_value(&snap).expect("snapshot serialises");
        assert_eq!(json["delivery"]["since"], since, "window {window}s");
    }
}

#[test]
fn delivery_totals_sum_both_tables_and_oldest_ages_take_the_maximum() {
    let webhook = DeliveryTableCounts {
        pending: 3,
        due_now: 2,
        future_retry: 1,
        delivered_since: 42,
        failed_since: 1,
        abandoned_since: 0,
        oldest_pending_at: Some(ms_ago(120_400)),
        oldest_due_at: Some(ms_ago(60_600)),
    };
    let alert = DeliveryTableCounts {
        pending: 4,
        due_now: 1,
        future_retry: 3,
        delivered_since: 18,
        failed_since: 2,
        abandoned_since: 5,
        oldest_pending_at: Some(ms_ago(90_000)),
        oldest_due_at: Some(ms_ago(75_500)),
    };
    let snap = Fleet::healthy().webhook(webhook).alert(alert).build();
    let d = &snap.delivery;
    assert_eq!(d.pending, 7);
    assert_eq!(d.due_now, 3);
    assert_eq!(d.future_retry, 4);
    assert_eq!(d.delivered_since, 60);
    assert_eq!(d.failed_since, 3);
    assert_eq!(d.abandoned_since, 5);
    assert_eq!(d.oldest_pending_age_sec, 120, "max(120.4 s, 90 s) rounded");
    assert_eq!(d.oldest_due_age_sec, 76, "max(60.6 s, 75.5 s) rounded");

    let w = table(d, DeliveryKind::Webhook);
    assert_eq!(
        (
            w.pending,
            w.due_now,
            w.future_retry,
            w.delivered_since,
            w.failed_since,
            w.abandoned_since
        ),
        (3, 2, 1, 42, 1, 0)
    );
    assert_eq!((w.oldest_pending_age_sec, w.oldest_due_age_sec), (120, 61));
    let a = table(d, DeliveryKind::Alert);
    assert_eq!(
        (
            a.pending,
            a.due_now,
            a.future_retry,
            a.delivered_since,
            a.failed_since,
            a.abandoned_since
        ),
        (4, 1, 3, 18, 2, 5)
    );
    assert_eq!((a.oldest_pending_age_sec, a.oldest_due_age_sec), (90, 76));
}

#[test]
fn delivery_tables_are_webhook_then_alert() {
    let snap = Fleet::healthy().build();
    let kinds: Vec<DeliveryKind> = snap.delivery.tables.iter().map(|t| t.kind).collect();
    assert_eq!(kinds, [DeliveryKind::Webhook, DeliveryKind::Alert]);
    let json = serde_json::to_value(&snap).expect("snapshot serialises");
    assert_eq!(json["delivery"]["tables"][0]["kind"], "webhook");
    assert_eq!(json["delivery"]["tables"][1]["kind"], "alert");
}

#[test]
fn delivery_oldest_ages_are_zero_when_nothing_is_pending_or_due_or_in_the_future() {
    let cases: Vec<(&str, DeliveryTableCounts)> = vec![
        ("no rows", counts()),
        (
            "only future retries (no due row)",
            DeliveryTableCounts {
                pending: 2,
                future_retry: 2,
                oldest_pending_at: Some(secs_ahead(0)),
                ..counts()
            },
        ),
        (
            "timestamps in the future",
            DeliveryTableCounts {
                pending: 1,
                due_now: 1,
                oldest_pending_at: Some(secs_ahead(30)),
                oldest_due_at: Some(secs_ahead(30)),
                ..counts()
            },
        ),
    ];
    for (what, c) in cases {
        let snap = Fleet::healthy().webhook(c).build();
        assert_eq!(snap.delivery.oldest_pending_age_sec, 0, "{what}");
        assert_eq!(snap.delivery.oldest_due_age_sec, 0, "{what}");
        let w = table(&snap.delivery, DeliveryKind::Webhook);
        assert_eq!(
            (w.oldest_pending_age_sec, w.oldest_due_age_sec),
            (0, 0),
            "{what}"
        );
    }
}

#[test]
fn delivery_status_failed_or_abandoned_red_else_due_amber_else_green() {
    use Status::*;
    let c = counts;
    // (what, webhook, alert, section status, webhook table status, alert table status)
    let cases: Vec<(
        &str,
        DeliveryTableCounts,
        DeliveryTableCounts,
        Status,
        Status,
        Status,
    )> = vec![
        ("empty queues", c(), c(), Green, Green, Green),
        (
            "only delivered rows",
            DeliveryTableCounts {
                delivered_since: 500,
                ..c()
            },
            DeliveryTableCounts {
                delivered_since: 1,
                ..c()
            },
            Green,
            Green,
            Green,
        ),
        (
            "pending rows waiting for a future retry",
            DeliveryTableCounts {
                pending: 3,
                future_retry: 3,
                ..c()
            },
            c(),
            Green,
            Green,
            Green,
        ),
        (
            "a due row",
            DeliveryTableCounts {
                pending: 1,
                due_now: 1,
                ..c()
            },
            c(),
            Amber,
            Amber,
            Green,
        ),
        (
            "a due alert row",
            c(),
            DeliveryTableCounts {
                pending: 1,
                due_now: 1,
                ..c()
            },
            Amber,
            Green,
            Amber,
        ),
        (
            "a failed row",
            DeliveryTableCounts {
                failed_since: 1,
                ..c()
            },
            c(),
            Red,
            Red,
            Green,
        ),
        (
            "an abandoned row",
            c(),
            DeliveryTableCounts {
                abandoned_since: 1,
                ..c()
            },
            Red,
            Green,
            Red,
        ),
        (
            "failed beats due",
            DeliveryTableCounts {
                pending: 5,
                due_now: 5,
                failed_since: 1,
                ..c()
            },
            c(),
            Red,
            Red,
            Green,
        ),
        (
            "failed in one table, due in the other",
            DeliveryTableCounts {
                failed_since: 2,
                ..c()
            },
            DeliveryTableCounts {
                pending: 1,
                due_now: 1,
                ..c()
            },
            Red,
            Red,
            Amber,
        ),
    ];
    for (what, webhook, alert, section, w, a) in cases {
        let snap = Fleet::healthy().webhook(webhook).alert(alert).build();
        assert_eq!(snap.delivery.status, section, "{what}");
        assert_eq!(snap.delivery.error, None, "{what}");
        assert_eq!(
            table(&snap.delivery, DeliveryKind::Webhook).status,
            w,
            "{what}: webhook table"
        );
        assert_eq!(
            table(&snap.delivery, DeliveryKind::Alert).status,
            a,
            "{what}: alert table"
        );
    }
}

#[test]
fn delivery_unreadable_table_is_red_with_a_generic_error() {
    for kind in DeliveryKind::ALL {
        let snap = Fleet::healthy()
            .webhook(DeliveryTableCounts {
                delivered_since: 3,
                ..counts()
            })
            .alert(DeliveryTableCounts {
                delivered_since: 4,
                ..counts()
            })
            .unreadable_table(kind)
            .build();
        let d = &snap.delivery;
        assert_eq!(d.status, Status::Red, "{kind:?}");
        let error = d
            .error
            .as_deref()
            .unwrap_or_else(|| panic!("{kind:?}: section error missing"));
        assert!(
            error.to_lowercase().contains("deliver"),
            "{kind:?}: the error names the section: {error:?}"
        );

        let t = table(d, kind);
        assert_eq!(t.status, Status::Red, "{kind:?}: the unreadable table");
        assert!(t.error.is_some(), "{kind:?}: the unreadable table says so");
        assert_eq!(
            (
                t.pending,
                t.due_now,
                t.future_retry,
                t.delivered_since,
                t.failed_since,
                t.abandoned_since
            ),
            (0, 0, 0, 0, 0, 0),
            "{kind:?}"
        );
        for other in DeliveryKind::ALL.into_iter().filter(|k| *k != kind) {
            let o = table(d, other);
            assert_eq!(o.error, None, "{kind:?}: {other:?} was read");
            assert_eq!(o.status, Status::Green, "{kind:?}: {other:?} was read");
            assert!(
                o.delivered_since > 0,
                "{kind:?}: {other:?} keeps its counts"
            );
        }

        let issue = format!("delivery queues: {error}");
        assert_eq!(
            issue_status(&snap, &issue),
            Some(Status::Red),
            "{kind:?}: {:?}",
            snap.summary.issues
        );
    }
}

#[test]
fn delivery_both_tables_unreadable_is_red() {
    let snap = Fleet::healthy()
        .unreadable_table(DeliveryKind::Webhook)
        .unreadable_table(DeliveryKind::Alert)
        .build();
    assert_eq!(snap.delivery.status, Status::Red);
    assert!(snap.delivery.error.is_some());
    assert!(snap
        .delivery
        .tables
        .iter()
        .all(|t| t.status == Status::Red && t.error.is_some()));
}

#[test]
fn delivery_unreadable_table_wins_over_due_rows() {
    let snap = Fleet::healthy()
        .webhook(DeliveryTableCounts {
            pending: 2,
            due_now: 2,
            ..counts()
        })
        .unreadable_table(DeliveryKind::Alert)
        .build();
    assert_eq!(snap.delivery.status, Status::Red);
}

#[test]
fn delivery_issue_reports_the_counts_when_there_is_no_error() {
    // (what, webhook, alert, issue text, severity)
    let cases: Vec<(&str, DeliveryTableCounts, DeliveryTableCounts, &str, Status)> = vec![
        (
            "due rows",
            DeliveryTableCounts {
                pending: 3,
                due_now: 2,
                future_retry: 1,
                ..counts()
            },
            DeliveryTableCounts {
                pending: 2,
                due_now: 2,
                ..counts()
            },
            "delivery queues: pending=5 due=4 failed_since=0 abandoned_since=0",
            Status::Amber,
        ),
        (
            "failed and abandoned rows",
            DeliveryTableCounts {
                failed_since: 7,
                ..counts()
            },
            DeliveryTableCounts {
                abandoned_since: 1,
                pending: 1,
                due_now: 1,
                ..counts()
            },
            "delivery queues: pending=1 due=1 failed_since=7 abandoned_since=1",
            Status::Red,
        ),
    ];
    for (what, webhook, alert, text, status) in cases {
        let snap = Fleet::healthy().webhook(webhook).alert(alert).build();
        assert!(
            issues(&snap).contains(&text),
            "{what}: {:?}",
            snap.summary.issues
        );
        assert_eq!(issue_status(&snap, text), Some(status), "{what}");
    }
}

#[test]
fn delivery_green_raises_no_issue() {
    let snap = Fleet::healthy()
        .webhook(DeliveryTableCounts {
            pending: 9,
            future_retry: 9,
            delivered_since: 100,
            ..counts()
        })
        .build();
    assert_eq!(snap.delivery.status, Status::Green);
    assert!(
        !snap
            .summary
            .issues
            .iter()
            .any(|i| i.starts_with("delivery queues")),
        "{:?}",
        snap.summary.issues
    );
}

#[test]
fn delivery_table_missing_from_the_input_counts_as_unreadable_never_green() {
    use fleet_core::DeliveryKind;
    for missing in DeliveryKind::ALL {
        let mut fleet = Fleet::healthy();
        fleet.input.delivery.retain(|t| t.kind != missing);
        let snap = fleet.build();
        let d = &snap.delivery;
        assert_eq!(d.status, Status::Red, "{missing:?} missing: {d:?}");
        assert_eq!(d.tables.len(), 2, "both tables are reported");
        let table = d
            .tables
            .iter()
            .find(|t| t.kind == missing)
            .expect("the missing table is listed");
        assert_eq!(table.status, Status::Red);
        assert!(table.error.is_some());
        assert_eq!(
            d.tables.iter().map(|t| t.kind).collect::<Vec<_>>(),
            DeliveryKind::ALL.to_vec(),
            "tables in a fixed order"
        );
    }
}
