//! rollup.md §4: delivery posture (from the processes; queued = total pending).

use crate::spec::*;
use fleet_core::test_support::*;
use fleet_core::{DeliveryTableCounts, ProcessRow, Status};

fn pending(n: u64) -> DeliveryTableCounts {
    DeliveryTableCounts {
        pending: n,
        future_retry: n,
        ..counts()
    }
}

/// A monitor that reports a DELIVERY_OWNER_HOST but runs no delivery workers
/// (the seed's monitors look like this).
fn owner_without_workers(host: &str, owner: &str) -> ProcessRow {
    let mut row = monitor(host);
    owner.clone_into(&mut row.delivery_owner_host);
    row
}

/// Which rollup.md §4 rule the posture should come from.
#[derive(Debug, Clone, Copy)]
enum Rule {
    QueuedNoWorkers,
    NoneEnabled,
    MixedOwner,
    NoOwner,
    MultipleOwners,
    OneOwner(&'static str),
}

#[track_caller]
fn assert_rule(what: &str, snap: &fleet_core::FleetSnapshot, rule: Rule) {
    let p = &snap.delivery.posture;
    let (status, text) = match rule {
        Rule::QueuedNoWorkers => (
            Status::Amber,
            spec_text::POSTURE_QUEUED_NO_WORKERS.to_owned(),
        ),
        Rule::NoneEnabled => (Status::Green, spec_text::POSTURE_NONE_ENABLED.to_owned()),
        Rule::MixedOwner => (Status::Amber, spec_text::POSTURE_MIXED_OWNER.to_owned()),
        Rule::NoOwner => (Status::Amber, spec_text::POSTURE_NO_OWNER.to_owned()),
        Rule::MultipleOwners => (Status::Amber, spec_text::POSTURE_MULTIPLE_OWNERS.to_owned()),
        Rule::OneOwner(owner) => (
            Status::Green,
            format!("delivery owner is constrained to {owner}"),
        ),
    };
    assert_eq!(p.status, status, "{what}: {p:?}");
    assert_eq!(p.message, text, "{what}: {p:?}");
}

#[test]
fn posture_rules_first_match() {
    // (what, processes, queued rows, expected rule)
    let cases: Vec<(&str, Vec<ProcessRow>, u64, Rule)> = vec![
        (
            "rule 1: rows queued, nobody enabled",
            vec![deliverer("d1")],
            3,
            Rule::QueuedNoWorkers,
        ),
        (
            "rule 1: rows queued, no processes at all",
            vec![],
            1,
            Rule::QueuedNoWorkers,
        ),
        (
            "rule 2: nobody enabled, queues empty",
            vec![deliverer("d1"), monitor("m1")],
            0,
            Rule::NoneEnabled,
        ),
        (
            "rule 2: no processes, queues empty",
            vec![],
            0,
            Rule::NoneEnabled,
        ),
        (
            "rule 3: one owner set, one unset",
            vec![deliverer("d1").workers("d1"), deliverer("d2").workers("")],
            0,
            Rule::MixedOwner,
        ),
        (
            "rule 3 wins over rule 5 (two owners plus an unset one)",
            vec![
                deliverer("d1").workers("d1"),
                deliverer("d2").workers("d2"),
                deliverer("d3").workers(""),
            ],
            0,
            Rule::MixedOwner,
        ),
        (
            "rule 3 with rows queued",
            vec![deliverer("d1").workers("d1"), monitor("m1").workers("")],
            5,
            Rule::MixedOwner,
        ),
        (
            "rule 4: enabled without owner",
            vec![deliverer("d1").workers("")],
            0,
            Rule::NoOwner,
        ),
        (
            "rule 4: whitespace-only owner is unset",
            vec![deliverer("d1").workers("   ")],
            0,
            Rule::NoOwner,
        ),
        (
            "rule 4: several processes, none with an owner",
            vec![deliverer("d1").workers(""), deliverer("d2").workers("\t")],
            2,
            Rule::NoOwner,
        ),
        (
            "rule 5: two owners",
            vec![deliverer("d1").workers("d1"), deliverer("d2").workers("d2")],
            0,
            Rule::MultipleOwners,
        ),
        (
            "rule 6: one owner",
            vec![deliverer("jetmon-deliverer-1").workers("jetmon-deliverer-1")],
            0,
            Rule::OneOwner("jetmon-deliverer-1"),
        ),
        (
            "rule 6: one owner with rows queued",
            vec![deliverer("d1").workers("d1")],
            10,
            Rule::OneOwner("d1"),
        ),
        (
            "rule 6: the same owner on several processes",
            vec![
                deliverer("d1").workers("d1"),
                deliverer("d2").workers("d1"),
                monitor("m1").workers("d1"),
            ],
            0,
            Rule::OneOwner("d1"),
        ),
        (
            "rule 6: owners compare trimmed",
            vec![
                deliverer("d1").workers(" d1 "),
                deliverer("d2").workers("d1"),
            ],
            0,
            Rule::OneOwner("d1"),
        ),
        (
            "rule 6: a monitor with workers enabled counts too",
            vec![monitor("m1").workers("owner-x")],
            0,
            Rule::OneOwner("owner-x"),
        ),
        (
            "rule 6: an owner on a process without workers is ignored",
            vec![
                deliverer("d1").workers("d1"),
                owner_without_workers("m2", "someone-else"),
            ],
            0,
            Rule::OneOwner("d1"),
        ),
    ];
    for (what, procs, queued, rule) in cases {
        let snap = Fleet::healthy()
            .only_procs(procs)
            .webhook(pending(queued))
            .build();
        assert_rule(what, &snap, rule);
    }
}

#[test]
fn posture_queued_is_the_total_pending_of_both_tables() {
    let snap = Fleet::healthy()
        .only_procs([monitor("m1")])
        .alert(pending(2))
        .build();
    assert_eq!(snap.delivery.pending, 2);
    assert_rule("pending alert rows only", &snap, Rule::QueuedNoWorkers);

    // Due rows are pending rows too.
    let c = DeliveryTableCounts {
        pending: 1,
        due_now: 1,
        ..counts()
    };
    let snap = Fleet::healthy()
        .only_procs([monitor("m1")])
        .webhook(c)
        .build();
    assert_rule("one due webhook row", &snap, Rule::QueuedNoWorkers);
}

#[test]
fn posture_ignores_stale_stopped_and_stopping_processes() {
    // Each inactive process would otherwise change the outcome.
    let cases: Vec<(&str, ProcessRow)> = vec![
        ("stale", deliverer("d-x").workers("d-x").age(STALE_SECS)),
        (
            "stale by one second",
            deliverer("d-x").workers("d-x").age(GRACE_SECS + 1),
        ),
        ("stopped", deliverer("d-x").workers("d-x").state("stopped")),
        (
            "stopping",
            deliverer("d-x").workers("d-x").state("stopping"),
        ),
        (
            "stale without owner",
            deliverer("d-x").workers("").age(STALE_SECS),
        ),
        (
            "stopped without owner",
            deliverer("d-x").workers("").state("stopped"),
        ),
    ];
    for (what, inactive) in cases {
        // Alone with rows queued: nobody is enabled.
        let snap = Fleet::healthy()
            .only_procs([monitor("m1"), inactive.clone()])
            .webhook(pending(4))
            .build();
        assert_rule(what, &snap, Rule::QueuedNoWorkers);
        let p = &snap.delivery.posture;
        assert_eq!(p.enabled_process_count, 0, "{what}");
        assert!(
            p.enabled_hosts.is_empty() && p.owner_hosts.is_empty(),
            "{what}: {p:?}"
        );

        // Beside a constrained owner: still one owner.
        let snap = Fleet::healthy()
            .only_procs([deliverer("d1").workers("d1"), inactive])
            .build();
        assert_rule(what, &snap, Rule::OneOwner("d1"));
        assert_eq!(snap.delivery.posture.enabled_process_count, 1, "{what}");
    }
}

#[test]
fn posture_counts_processes_at_exactly_the_grace_and_other_live_states() {
    let cases: Vec<(&str, ProcessRow)> = vec![
        (
            "exactly at the grace",
            deliverer("d-x").workers("d-x").age(GRACE_SECS),
        ),
        (
            "starting",
            deliverer("d-x").workers("d-x").state("starting"),
        ),
        ("idle", deliverer("d-x").workers("d-x").state("idle")),
        ("red health", deliverer("d-x").workers("d-x").health("red")),
        (
            "future heartbeat",
            deliverer("d-x").workers("d-x").at(secs_ahead(60)),
        ),
    ];
    for (what, live) in cases {
        let snap = Fleet::healthy()
            .only_procs([deliverer("d1").workers("d1"), live])
            .build();
        assert_rule(what, &snap, Rule::MultipleOwners);
        assert_eq!(snap.delivery.posture.enabled_process_count, 2, "{what}");
    }
}

#[test]
fn posture_collects_enabled_hosts_and_owner_hosts_sorted_unique() {
    let snap = Fleet::healthy()
        .only_procs([
            deliverer("host-c").workers(" owner-b "),
            monitor("host-a").workers("owner-a"),
            deliverer("host-a").workers("owner-b"),
            deliverer("host-b").workers(""),
            deliverer("host-z"), // workers disabled
            deliverer("host-y").workers("owner-z").state("stopped"), // inactive
        ])
        .build();
    let p = &snap.delivery.posture;
    assert_eq!(p.enabled_process_count, 4);
    assert_eq!(p.enabled_hosts, ["host-a", "host-b", "host-c"]);
    assert_eq!(p.owner_hosts, ["owner-a", "owner-b"]);
    assert_eq!(p.unowned_process_count, 1);
    assert_rule("mixed", &snap, Rule::MixedOwner);
}

#[test]
fn posture_empty_lists_are_omitted_from_json() {
    let snap = Fleet::healthy().build();
    let json = serde_json::to_value(&snap).expect("snapshot serialises");
    let posture = &json["delivery"]["posture"];
    assert_eq!(posture["enabled_process_count"], 0);
    assert!(posture
        .get("enabled_hosts")
        .is_none_or(|v| v.as_array().is_some_and(Vec::is_empty)));
    assert!(posture
        .get("owner_hosts")
        .is_none_or(|v| v.as_array().is_some_and(Vec::is_empty)));
}

#[test]
fn posture_amber_raises_an_amber_issue_with_its_message() {
    let snap = Fleet::healthy().proc(deliverer("d1").workers("")).build();
    let text = format!("delivery posture: {}", snap.delivery.posture.message);
    assert_eq!(
        issue_status(&snap, &text),
        Some(Status::Amber),
        "{:?}",
        snap.summary.issues
    );
    assert_spec_text(&snap.delivery.posture.message, spec_text::POSTURE_NO_OWNER);
}

#[test]
fn posture_green_raises_no_issue() {
    for fleet in [
        Fleet::healthy(),
        Fleet::healthy().proc(deliverer("d1").workers("d1")),
    ] {
        let snap = fleet.build();
        assert_eq!(snap.delivery.posture.status, Status::Green);
        assert!(
            !snap
                .summary
                .issues
                .iter()
                .any(|i| i.starts_with("delivery posture")),
            "{:?}",
            snap.summary.issues
        );
    }
}

#[test]
fn posture_without_workers_never_claims_empty_queues_it_could_not_read() {
    use fleet_core::DeliveryKind;
    let snap = Fleet::healthy()
        .unreadable_table(DeliveryKind::Webhook)
        .build();
    let posture = &snap.delivery.posture;
    assert_eq!(posture.status, Status::Amber, "{posture:?}");
    assert_eq!(
        posture.message,
        "no fresh process reports workers enabled and the delivery queues could not be read"
    );
    assert!(!posture.message.contains("queues are empty"));
    assert_eq!(snap.delivery.status, Status::Red);
    assert_eq!(snap.summary.status, Status::Red);
}

#[test]
fn posture_with_workers_and_an_unreadable_table_follows_the_owner_rules() {
    use fleet_core::DeliveryKind;
    let mut owner = deliverer("d1");
    owner.delivery_workers_enabled = true;
    "d1".clone_into(&mut owner.delivery_owner_host);
    let snap = Fleet::healthy()
        .proc(owner)
        .unreadable_table(DeliveryKind::Alert)
        .build();
    let posture = &snap.delivery.posture;
    assert_eq!(posture.status, Status::Green, "{posture:?}");
    assert_eq!(posture.message, "delivery owner is constrained to d1");
}
