//! The property of issue 11: on any fleet, every status badge the pages
//! show is the status the snapshot holds for that element. Fleets are
//! generated as input rows (processes of every type, health, age, state
//! and dependency report; owner rows; delivery tables, some unreadable;
//! drift results; any bucket_total) and built by fleet-core's rollup; the
//! fleet page (unfiltered and with a random filter) and every process page
//! are rendered and read back.

use super::coverage::assert_draws;
use super::scan::{
    badges, between, first_badge, process_rows, section, table_rows, tones_of, verdict_word, Badge,
};
use super::*;
use crate::page::format::process_url;
use crate::page::StatusFilter;
use fleet_core::snapshot::{HostProblem, OwnershipMode, ProcessEntry};
use fleet_core::{HostRow, Thresholds};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeSet;

const HOSTS: [&str; 5] = ["mon-a", "mon-b", "del-a", HOSTILE, "a b&c"];
const TYPES: [&str; 3] = ["monitor", "deliverer", "api"];
const HEALTH: [&str; 6] = ["green", "amber", "red", "degraded", "", "GREEN"];
const STATES: [&str; 4] = ["running", "stopped", "stopping", "starting"];
const DEP_NAMES: [&str; 4] = ["mysql", "wpcom", " ", HOSTILE];
const DEP_STATUSES: [&str; 5] = ["green", "amber", "red", "unknown", ""];
const UNREADABLE_DEPS: [&str; 3] = ["{", "42", "[1]"];
const OWNER_STATUSES: [&str; 3] = ["active", "draining", ""];

/// How healthy a generated fleet is: each part of it is drawn from its
/// healthy values `calm` times as often as from all values (0: always from
/// all). Uniformly random fleets are nearly always red; calm ones show the
/// green and amber pages too.
type Calm = u32;

/// The healthy value `calm` times as often as any value.
fn either<T: std::fmt::Debug + 'static>(
    calm: Calm,
    healthy: impl Strategy<Value = T> + 'static,
    any: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<T> {
    if calm == 0 {
        any.boxed()
    } else {
        prop_oneof![calm => healthy, 1 => any].boxed()
    }
}

fn pick(values: &[&'static str]) -> impl Strategy<Value = &'static str> {
    select(values.to_vec())
}

/// Heartbeat ages around the grace: fresh, exactly at it, just past it,
/// long stale, and in the future (clock skew).
fn age() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => 0..GRACE_SECS,
        1 => Just(GRACE_SECS),
        1 => Just(GRACE_SECS + 1),
        2 => GRACE_SECS + 1..100_000,
        1 => -120..0i64,
    ]
}

fn fresh() -> impl Strategy<Value = i64> {
    0..60i64
}

fn dependency_health(calm: Calm) -> impl Strategy<Value = Option<String>> {
    let entry = |statuses: &[&'static str]| {
        (pick(&DEP_NAMES), pick(statuses), any::<bool>()).prop_map(|(name, status, with_error)| {
            if with_error {
                dep_err(name, status, "i/o timeout")
            } else {
                dep(name, status)
            }
        })
    };
    let green = proptest::option::of(vec(entry(&["green"]), 0..3).prop_map(|e| deps(&e)));
    let any = prop_oneof![
        1 => Just(None),
        1 => pick(&UNREADABLE_DEPS).prop_map(|raw| Some(raw.to_owned())),
        4 => vec(entry(&DEP_STATUSES), 0..4).prop_map(|entries| Some(deps(&entries))),
    ];
    either(calm, green, any)
}

/// `bucket_ownership` and the range reported with it.
fn ownership(calm: Calm) -> impl Strategy<Value = (&'static str, Option<(u16, u16)>)> {
    let any = prop_oneof![
        Just(("dynamic jetmon_hosts", None)),
        (0u16..1100, 0u16..1100).prop_map(|r| ("pinned range", Some(r))),
        Just(("", None)),
    ];
    either(calm, Just(("dynamic jetmon_hosts", None)), any)
}

fn process_row(calm: Calm, kinds: &[&'static str]) -> impl Strategy<Value = ProcessRow> {
    (
        (
            pick(&HOSTS),
            pick(kinds),
            either(calm, Just("green"), pick(&HEALTH)),
            either(calm, fresh(), age()),
            either(calm, Just("running"), pick(&STATES)),
        ),
        ownership(calm),
        either(
            calm,
            Just(None),
            proptest::option::of(pick(&["", "del-a", "mon-b"])),
        ),
        dependency_health(calm),
    )
        .prop_map(
            |((host, kind, health, age, state), (own, range), workers, deps)| {
                let mut row = process(host, kind)
                    .health(health)
                    .age(age)
                    .state(state)
                    .ownership(own);
                row.bucket_min = range.map(|r| r.0);
                row.bucket_max = range.map(|r| r.1);
                if let Some(owner) = workers {
                    row = row.workers(owner);
                }
                row.dependency_health = deps;
                row
            },
        )
}

/// Processes with unique ids (the table's primary key), `<host>:<type>`
/// where that is free. A calm fleet always has a monitor.
fn processes(calm: Calm) -> impl Strategy<Value = Vec<ProcessRow>> {
    let first = if calm == 0 {
        proptest::option::of(process_row(calm, &TYPES)).boxed()
    } else {
        process_row(calm, &["monitor"]).prop_map(Some).boxed()
    };
    (first, vec(process_row(calm, &TYPES), 0..7)).prop_map(|(first, rest)| {
        let mut seen = BTreeSet::new();
        first
            .into_iter()
            .chain(rest)
            .enumerate()
            .map(|(i, row)| {
                if seen.insert(row.process_id.clone()) {
                    row
                } else {
                    let id = format!("{}:{i}", row.process_id);
                    seen.insert(id.clone());
                    row.id(&id)
                }
            })
            .collect()
    })
}

fn owner_row() -> impl Strategy<Value = HostRow> {
    (
        pick(&HOSTS),
        0u16..1100,
        0u16..1100,
        pick(&OWNER_STATUSES),
        age(),
    )
        .prop_map(|(id, min, max, status, age)| {
            host(id, min, max).host_status(status).beat_age(age)
        })
}

/// Fresh, active owners of `0..1000` split at random points; `None` is an
/// unreadable jetmon_hosts.
fn owner_rows(calm: Calm) -> impl Strategy<Value = Option<Vec<HostRow>>> {
    let partition = (
        btree_set(1u16..1000, 0..HOSTS.len()),
        vec(fresh(), HOSTS.len()),
    )
        .prop_map(|(cuts, ages)| {
            let starts: Vec<u16> = std::iter::once(0).chain(cuts).collect();
            let ends = starts.iter().skip(1).map(|s| s - 1).chain([999]);
            Some(
                starts
                    .iter()
                    .zip(ends)
                    .zip(HOSTS.iter().zip(ages))
                    .map(|((&min, max), (id, age))| host(id, min, max).beat_age(age))
                    .collect(),
            )
        });
    let any = prop_oneof![1 => Just(None), 6 => vec(owner_row(), 0..5).prop_map(Some)];
    either(calm, partition, any)
}

/// Counters of one delivery table; `None` when it cannot be read.
fn delivery_table(calm: Calm) -> impl Strategy<Value = Option<DeliveryTableCounts>> {
    let any_counts = (
        (0u64..4, 0u64..3, 0u64..3),
        (0u64..50, 0u64..2, 0u64..2),
        (0i64..5000, 0i64..5000),
    )
        .prop_map(
            |((pending, due_now, future_retry), (delivered, failed, abandoned), (p_age, d_age))| {
                DeliveryTableCounts {
                    pending,
                    due_now,
                    future_retry,
                    delivered_since: delivered,
                    failed_since: failed,
                    abandoned_since: abandoned,
                    oldest_pending_at: (pending > 0).then(|| secs_ago(p_age)),
                    oldest_due_at: (due_now > 0).then(|| secs_ago(d_age)),
                }
            },
        );
    let empty = (0u64..50).prop_map(|delivered| {
        Some(DeliveryTableCounts {
            delivered_since: delivered,
            ..counts()
        })
    });
    either(
        calm,
        empty,
        prop_oneof![1 => Just(None), 4 => any_counts.prop_map(Some)],
    )
}

fn drift(calm: Calm) -> impl Strategy<Value = DriftInput> {
    let checked = |causes: BoxedStrategy<Vec<(DriftCause, u64)>>| {
        (0i64..5000, causes).prop_map(|(age, causes)| {
            DriftInput::Checked(DriftResult {
                checked_at: secs_ago(age),
                causes,
            })
        })
    };
    let some_causes = btree_map(select(DriftCause::ALL.to_vec()), 0u64..4, 0..4)
        .prop_map(|c| c.into_iter().collect())
        .boxed();
    let any = prop_oneof![
        1 => Just(DriftInput::NotCheckedYet),
        1 => Just(DriftInput::Unreadable),
        4 => checked(some_causes),
    ];
    either(calm, checked(Just(Vec::new()).boxed()), any)
}

/// A fleet at one of three levels of calm (see [`Calm`]).
fn fleet() -> impl Strategy<Value = Fleet> {
    select(vec![0, 10, 1000]).prop_flat_map(fleet_at)
}

fn fleet_at(calm: Calm) -> impl Strategy<Value = Fleet> {
    (
        processes(calm),
        owner_rows(calm),
        (delivery_table(calm), delivery_table(calm)),
        drift(calm),
        proptest::option::of(60u64..3600),
        either(calm, Just(1000u32), select(vec![0u32, 1, 10, 1000])),
    )
        .prop_map(
            |(processes, hosts, (webhook, alert), drift, drift_max_age, bucket_total)| {
                let mut fleet = Fleet::empty()
                    .only_procs(processes)
                    .drift(drift)
                    .bucket_total(bucket_total);
                fleet = match hosts {
                    Some(rows) => fleet.hosts(rows),
                    None => fleet.hosts_unreadable(),
                };
                fleet = match webhook {
                    Some(counts) => fleet.webhook(counts),
                    None => fleet.unreadable_table(DeliveryKind::Webhook),
                };
                fleet = match alert {
                    Some(counts) => fleet.alert(counts),
                    None => fleet.unreadable_table(DeliveryKind::Alert),
                };
                fleet.thresholds = Thresholds {
                    drift_max_age: drift_max_age.map(std::time::Duration::from_secs),
                    ..fleet.thresholds
                };
                fleet
            },
        )
}

fn filter() -> impl Strategy<Value = ProcessFilter> {
    (
        proptest::option::of(select(StatusFilter::ALL.to_vec())),
        proptest::option::of(pick(&["monitor", "deliverer", "api", "nobody"])),
        proptest::option::of(pick(&[
            "mon-a", "mon-b", "del-a", HOSTILE, "a b&c", "nobody",
        ])),
    )
        .prop_map(|(status, process_type, host)| ProcessFilter {
            status,
            process_type: process_type.map(str::to_owned),
            host: host.map(str::to_owned),
        })
}

fn of_opt(status: Option<Status>) -> Badge {
    status.map_or_else(|| Badge::neutral("none"), Badge::of)
}

/// The badge of a process row's status cell.
fn row_badge(p: &ProcessEntry) -> Badge {
    if p.stale {
        Badge::said(p.status, "stale")
    } else {
        Badge::of(p.status)
    }
}

/// The first badge inside the element that starts with `open` (up to `close`).
fn badge_in(html: &str, open: &str, close: &str) -> Option<Badge> {
    first_badge(between(html, open, close))
}

fn check_fleet_page(snap: &FleetSnapshot, filter: &ProcessFilter, html: &str) {
    let s = &snap.sections;
    let status = snap.summary.status;

    // The verdict and every issue.
    assert_eq!(
        verdict_word(html),
        Badge::said(status, &status.as_str().to_uppercase())
    );
    assert!(html.contains(&format!("<body class=\"page-{status}\"")));
    let issues: Vec<Option<Badge>> = section(html, "summary")
        .split("<li>")
        .skip(1)
        .map(first_badge)
        .collect();
    let expected: Vec<Option<Badge>> = snap
        .summary
        .issue_details
        .iter()
        .map(|i| Some(Badge::of(i.status)))
        .collect();
    assert_eq!(issues, expected, "issue badges");

    // The cards, in order, each with the status `sections` holds.
    let cards = between(html, "<section class=\"cards\"", "</section>");
    let got: Vec<(&str, Option<Badge>)> = cards
        .split("<div class=\"card-head\">")
        .skip(1)
        .map(|head| {
            let title = between(head, "class=\"card-title\"", "</a>");
            let title = &title[title.find('>').expect("tag end") + 1..];
            (
                title,
                first_badge(&head[..head.find("</div>").expect("end")]),
            )
        })
        .collect();
    let expected = [
        ("processes", Badge::of(s.processes)),
        ("monitors", Badge::of(s.monitors)),
        ("deliverers", of_opt(s.deliverers)),
        ("delivery queues", Badge::of(s.delivery)),
        ("delivery posture", Badge::of(s.delivery_posture)),
        ("bucket coverage", Badge::of(s.bucket_coverage)),
        ("projection drift", Badge::of(s.projection_drift)),
        ("dependencies", of_opt(s.dependencies)),
    ]
    .map(|(title, badge)| (title, Some(badge)));
    assert_eq!(got, expected, "cards");
    let card_tones: Vec<String> = tones_of(cards, "card")
        .iter()
        .map(|t| t[3..].to_owned())
        .collect();
    let expected_tones: Vec<String> = expected
        .iter()
        .map(|(_, b)| b.as_ref().map(|b| b.tone.clone()).unwrap_or_default())
        .collect();
    assert_eq!(card_tones, expected_tones, "card colours");

    // The processes section: its heading (the section's status, or the
    // worst row a filter shows), every row.
    let procs = section(html, "processes");
    let shown: Vec<&ProcessEntry> = snap
        .processes
        .iter()
        .filter(|p| filter.matches(p))
        .collect();
    let heading = badge_in(procs, "<h2", "</h2>");
    if !filter.is_active() {
        // The section's own status, also with no processes at all (amber).
        assert_eq!(heading, Some(Badge::of(s.processes)), "processes heading");
    } else if shown.is_empty() {
        assert_eq!(heading, None);
    } else {
        let worst = shown.iter().map(|p| p.status).max().map(Badge::of);
        assert_eq!(heading, worst, "filtered processes heading");
    }
    let rows = process_rows(html);
    if shown.is_empty() {
        assert_eq!(rows.len(), 1);
        assert!(rows[0].contains("no process"));
    } else {
        assert_eq!(rows.len(), shown.len(), "one row per process shown");
    }
    for (row, p) in rows.iter().zip(&shown) {
        let link = format!("href=\"{}\"", process_url("", &p.process_id));
        assert!(row.contains(&link), "row of {} is not {row}", p.process_id);
        assert_eq!(
            first_badge(row),
            Some(row_badge(p)),
            "row of {}",
            p.process_id
        );
        let not_green: Vec<String> = p
            .dependency_health
            .iter()
            .filter(|d| d.counted_as != Status::Green)
            .map(|d| format!("st-{}", d.counted_as))
            .collect();
        if p.dependency_health_error.is_none() {
            assert_eq!(
                tones_of(row, "dep"),
                not_green,
                "dependencies of {}",
                p.process_id
            );
        }
    }

    // Bucket coverage: heading, owner rows, bar segments and findings.
    let cov_html = section(html, "coverage");
    let cov = &snap.bucket_coverage;
    assert_eq!(
        badge_in(cov_html, "<h2", "</h2>"),
        Some(Badge::of(cov.status))
    );
    let drawable = |min: u16, max: u16| min <= max && u32::from(min) < cov.bucket_total;
    if cov.bucket_total > 0 && !cov.hosts.is_empty() {
        let rows = table_rows(cov_html, "grid hosts");
        assert_eq!(rows.len(), cov.hosts.len());
        for (row, h) in rows.iter().zip(&cov.hosts) {
            let word = match h.row_problem {
                Some(HostProblem::Stale) => "stale",
                _ => h.row_status.as_str(),
            };
            assert_eq!(
                first_badge(row),
                Some(Badge::said(h.row_status, word)),
                "owner {}",
                h.host_id
            );
        }
        let segments: Vec<String> = cov
            .hosts
            .iter()
            .filter(|h| drawable(h.bucket_min, h.bucket_max))
            .map(|h| format!("st-{}", h.row_status))
            .collect();
        assert_eq!(tones_of(cov_html, "cov-seg"), segments, "owner segments");
        assert_draws(html, &cov.findings, cov.bucket_total);
    } else if cov.bucket_total > 0
        && matches!(cov.mode, OwnershipMode::Pinned | OwnershipMode::Mixed)
        && !cov.pinned_ranges.is_empty()
    {
        let segments: Vec<String> = cov
            .pinned_ranges
            .iter()
            .filter(|r| drawable(r.bucket_min, r.bucket_max))
            .map(|r| format!("st-{}", r.status))
            .collect();
        assert_eq!(tones_of(cov_html, "cov-seg"), segments, "pinned segments");
        assert_draws(html, &cov.pinned_findings, cov.bucket_total);
    } else {
        assert!(!cov_html.contains("cov-seg"));
    }

    // Delivery: posture, queues, each table and the total.
    let d_html = section(html, "delivery");
    let d = &snap.delivery;
    assert_eq!(
        badge_in(d_html, "<div class=\"posture\">", "</h3>"),
        Some(Badge::of(d.posture.status))
    );
    assert_eq!(
        badge_in(d_html, "<div class=\"queues\">", "</h3>"),
        Some(Badge::of(d.status))
    );
    let tables: Vec<Option<Badge>> = table_rows(d_html, "grid queue-table")
        .into_iter()
        .map(first_badge)
        .collect();
    let expected: Vec<Option<Badge>> = d.tables.iter().map(|t| Some(Badge::of(t.status))).collect();
    assert_eq!(tables, expected, "delivery tables");
    assert_eq!(
        badge_in(d_html, "<tfoot>", "</tfoot>"),
        Some(Badge::of(d.status))
    );

    // Dependencies: heading, every rollup row and who reports it.
    let deps_html = section(html, "dependencies");
    assert_eq!(
        badge_in(deps_html, "<h2", "</h2>"),
        s.dependencies.map(Badge::of)
    );
    if snap.dependencies.is_empty() {
        assert!(!deps_html.contains("<table"));
    } else {
        let rows = table_rows(deps_html, "grid deps");
        assert_eq!(rows.len(), snap.dependencies.len());
        for (row, dep) in rows.iter().zip(&snap.dependencies) {
            assert_eq!(
                first_badge(row),
                Some(Badge::of(dep.status)),
                "dependency {}",
                dep.name
            );
            let reporters: Vec<String> = dep
                .not_green
                .iter()
                .map(|r| format!("st-{}", r.counted_as))
                .collect();
            assert_eq!(
                tones_of(row, "reporter"),
                reporters,
                "reporters of {}",
                dep.name
            );
        }
    }

    // Projection drift.
    assert_eq!(
        badge_in(section(html, "drift"), "<h2", "</h2>"),
        Some(Badge::of(snap.projection_drift.status))
    );

    // Wherever a part of the fleet shows its status twice, both agree.
    for (card, heading) in [
        (s.bucket_coverage, cov.status),
        (s.delivery, d.status),
        (s.delivery_posture, d.posture.status),
        (s.projection_drift, snap.projection_drift.status),
    ] {
        assert_eq!(card, heading);
    }
}

fn check_process_page(snap: &FleetSnapshot, p: &ProcessEntry, html: &str) {
    let word = if p.stale {
        "STALE".to_owned()
    } else {
        p.status.as_str().to_uppercase()
    };
    assert_eq!(verdict_word(html), Badge::said(p.status, &word));
    assert!(html.contains(&format!("<body class=\"page-{}\"", p.status)));
    let head = between(html, "<section class=\"verdict process-head", "</section>");
    assert!(head.starts_with(&format!(
        "<section class=\"verdict process-head st-{}\"",
        p.status
    )));
    assert_eq!(
        badge_in(head, "</h1>", "</p>"),
        Some(row_badge(p)),
        "status cell"
    );
    let prefix = format!("{} ", p.process_id);
    let issues: Vec<Option<Badge>> = head.split("<li>").skip(1).map(first_badge).collect();
    let expected: Vec<Option<Badge>> = snap
        .summary
        .issue_details
        .iter()
        .filter(|i| i.text.starts_with(&prefix))
        .map(|i| Some(Badge::of(i.status)))
        .collect();
    assert_eq!(issues, expected, "issues naming {}", p.process_id);
    assert_eq!(
        badge_in(html, "<code>health_status</code>", "</tr>"),
        Some(Badge::of(p.health_counted_as)),
        "health_status of {}",
        p.process_id
    );
    let stale = badge_in(html, "<code>stale</code>", "</tr>");
    assert_eq!(stale, p.stale.then(|| Badge::said(Status::Red, "stale")));
    let entries = section(html, "dependency-entries");
    if p.dependency_health.is_empty() {
        assert!(badges(entries).is_empty());
    } else {
        let got: Vec<Option<Badge>> = table_rows(entries, "grid")
            .into_iter()
            .map(first_badge)
            .collect();
        let expected: Vec<Option<Badge>> = p
            .dependency_health
            .iter()
            .map(|d| Some(Badge::of(d.counted_as)))
            .collect();
        assert_eq!(got, expected, "dependency entries of {}", p.process_id);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_badge_on_the_pages_is_the_status_the_snapshot_holds(
        fleet in fleet(),
        filter in filter(),
    ) {
        let snap = fleet.build();
        check_fleet_page(&snap, &ProcessFilter::NONE, &Render::default().fleet(&snap));
        let filtered = Render { filter: filter.clone(), ..Default::default() }.fleet(&snap);
        check_fleet_page(&snap, &filter, &filtered);
        for p in &snap.processes {
            check_process_page(&snap, p, &render_process(&snap, &p.process_id, ""));
        }
    }
}
