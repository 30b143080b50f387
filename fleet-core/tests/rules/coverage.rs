//! rollup.md §2: bucket coverage (from jetmon_hosts + the processes).

use crate::spec::*;
use fleet_core::snapshot::OwnershipMode;
use fleet_core::test_support::*;
use fleet_core::{HostRow, ProcessRow, Status};

// ------------------------------------------------------------ mode

#[test]
fn coverage_mode_from_active_monitors_bucket_ownership() {
    use OwnershipMode::*;
    let full = || vec![host("h1", 0, 999)];
    // (what, processes, host rows, expected mode)
    let cases: Vec<(&str, Vec<ProcessRow>, Vec<HostRow>, OwnershipMode)> = vec![
        (
            "only pinned monitors",
            vec![pinned_monitor("a", 0, 499), pinned_monitor("b", 500, 999)],
            vec![],
            Pinned,
        ),
        (
            "only dynamic monitors",
            vec![monitor("a"), monitor("b")],
            full(),
            Dynamic,
        ),
        (
            "pinned and dynamic monitors",
            vec![pinned_monitor("a", 0, 499), monitor("b")],
            full(),
            Mixed,
        ),
        (
            "no ownership text, no host rows",
            vec![monitor("a").ownership("")],
            vec![],
            Unknown,
        ),
        (
            "no ownership text, host rows present",
            vec![monitor("a").ownership("legacy")],
            full(),
            Dynamic,
        ),
        ("no processes, no host rows", vec![], vec![], Unknown),
        ("no processes, host rows present", vec![], full(), Dynamic),
        (
            "lower-cased and trimmed: pinned",
            vec![monitor("a").ownership("  PINNED Range=0-999 ")],
            vec![],
            Pinned,
        ),
        (
            "lower-cased and trimmed: dynamic",
            vec![monitor("a").ownership("\tDynamic JETMON_HOSTS\n")],
            full(),
            Dynamic,
        ),
        (
            "containing pinned wins over dynamic in one text",
            vec![monitor("a").ownership("pinned, moving to dynamic")],
            vec![],
            Pinned,
        ),
        (
            "substring match: dynamic",
            vec![monitor("a").ownership("ownership=dynamic")],
            full(),
            Dynamic,
        ),
        (
            "stale pinned monitor is ignored",
            vec![pinned_monitor("a", 0, 999).age(STALE_SECS), monitor("b")],
            full(),
            Dynamic,
        ),
        (
            "stopped pinned monitor is ignored",
            vec![pinned_monitor("a", 0, 999).state("stopped"), monitor("b")],
            full(),
            Dynamic,
        ),
        (
            "stopping pinned monitor is ignored",
            vec![pinned_monitor("a", 0, 999).state("stopping"), monitor("b")],
            full(),
            Dynamic,
        ),
        (
            "starting pinned monitor counts",
            vec![pinned_monitor("a", 0, 999).state("starting"), monitor("b")],
            full(),
            Mixed,
        ),
        (
            "idle pinned monitor counts",
            vec![pinned_monitor("a", 0, 999).state("idle"), monitor("b")],
            full(),
            Mixed,
        ),
        (
            "red pinned monitor counts (health is not activity)",
            vec![pinned_monitor("a", 0, 999).health("red"), monitor("b")],
            full(),
            Mixed,
        ),
        (
            "pinned monitor exactly at the grace counts",
            vec![pinned_monitor("a", 0, 999).age(GRACE_SECS), monitor("b")],
            full(),
            Mixed,
        ),
        (
            "pinned monitor one second over the grace is ignored",
            vec![
                pinned_monitor("a", 0, 999).age(GRACE_SECS + 1),
                monitor("b"),
            ],
            full(),
            Dynamic,
        ),
        (
            "only stale pinned monitors, no host rows",
            vec![pinned_monitor("a", 0, 999).age(STALE_SECS)],
            vec![],
            Unknown,
        ),
        (
            "only stopped pinned monitors, host rows present",
            vec![pinned_monitor("a", 0, 999).state("stopped")],
            full(),
            Dynamic,
        ),
        (
            "pinned deliverer is not a monitor",
            vec![deliverer("d").ownership("pinned range=0-999"), monitor("b")],
            full(),
            Dynamic,
        ),
        (
            "pinned other process type is not a monitor",
            vec![process("x", "sidecar").ownership("pinned"), monitor("b")],
            full(),
            Dynamic,
        ),
    ];
    for (what, procs, hosts, mode) in cases {
        let snap = Fleet::empty().procs(procs).hosts(hosts).build();
        assert_eq!(
            snap.bucket_coverage.mode, mode,
            "{what}: {:?}",
            snap.bucket_coverage
        );
    }
}

// ------------------------------------------------------------ rules 1-5

#[test]
fn coverage_rule1_unreadable_hosts_is_red_with_mode_unknown() {
    for procs in [
        vec![monitor("a")],
        vec![pinned_monitor("a", 0, 999)],
        vec![],
    ] {
        let snap = Fleet::empty().procs(procs).hosts_unreadable().build();
        let cov = &snap.bucket_coverage;
        assert_eq!(cov.status, Status::Red);
        assert_eq!(cov.mode, OwnershipMode::Unknown);
        assert_eq!(cov.host_count, 0);
        assert!(cov.hosts.is_empty());
        let error = coverage_error(&snap).to_lowercase();
        assert!(
            error.contains("jetmon_hosts") || error.contains("bucket"),
            "the error names the section: {error:?}"
        );
        let issue = format!("bucket coverage: {}", coverage_error(&snap));
        assert_eq!(
            issue_status(&snap, &issue),
            Some(Status::Red),
            "{:?}",
            snap.summary.issues
        );
    }
}

#[test]
fn coverage_rule1_wins_over_rule2() {
    let snap = Fleet::healthy().hosts_unreadable().bucket_total(0).build();
    assert_eq!(snap.bucket_coverage.status, Status::Red);
    assert_eq!(snap.bucket_coverage.mode, OwnershipMode::Unknown);
}

#[test]
fn coverage_rule2_bucket_total_not_configured_is_amber_with_mode_unknown() {
    let cases: Vec<(&str, Fleet)> = vec![
        ("healthy dynamic fleet", Fleet::healthy()),
        (
            "pinned fleet",
            Fleet::empty().proc(pinned_monitor("a", 0, 999)),
        ),
        (
            "dynamic fleet with a gap",
            Fleet::healthy().hosts(vec![host("h1", 0, 10)]),
        ),
        ("no rows at all", Fleet::empty()),
    ];
    for (what, fleet) in cases {
        let snap = fleet.bucket_total(0).build();
        let cov = &snap.bucket_coverage;
        assert_eq!(cov.status, Status::Amber, "{what}");
        assert_eq!(cov.mode, OwnershipMode::Unknown, "{what}");
        assert_eq!(cov.bucket_total, 0, "{what}");
        let error = coverage_error(&snap).to_lowercase();
        assert!(
            error.contains("bucket") && error.contains("not configured"),
            "{what}: {error:?}"
        );
    }
}

#[test]
fn coverage_rule3_pinned_mode_is_amber_with_the_seed_text() {
    let cases: Vec<(&str, Vec<HostRow>)> = vec![
        ("no host rows", vec![]),
        (
            "stale, draining, gapped host rows are not judged",
            vec![host("h1", 5, 10)
                .beat_age(STALE_SECS)
                .host_status("draining")],
        ),
        ("complete host rows", vec![host("h1", 0, 999)]),
    ];
    for (what, hosts) in cases {
        let snap = Fleet::empty()
            .procs([
                pinned_monitor("a", 0, 333),
                pinned_monitor("b", 334, 666),
                pinned_monitor("c", 667, 999),
            ])
            .hosts(hosts)
            .build();
        let cov = &snap.bucket_coverage;
        assert_eq!(cov.status, Status::Amber, "{what}");
        assert_eq!(cov.mode, OwnershipMode::Pinned, "{what}");
        assert_eq!(
            cov.error.as_deref(),
            Some(spec_text::PINNED_ERROR),
            "{what}"
        );
    }
}

#[test]
fn coverage_rule3_pinned_mode_still_lists_host_rows_with_ages() {
    let snap = Fleet::empty()
        .proc(pinned_monitor("a", 0, 999))
        .hosts(vec![
            host("h2", 500, 999).beat_age(STALE_SECS),
            host("h1", 0, 499),
        ])
        .build();
    let cov = &snap.bucket_coverage;
    assert_eq!(cov.host_count, 2);
    let ids: Vec<&str> = cov.hosts.iter().map(|h| h.host_id.as_str()).collect();
    assert_eq!(ids, ["h1", "h2"]);
    assert_eq!(
        host_entry(&snap, "h2").last_heartbeat_age_sec,
        STALE_SECS as u64
    );
    assert!(host_entry(&snap, "h2").stale);
    assert!(!host_entry(&snap, "h1").stale);
}

#[test]
fn coverage_rule4_mixed_mode_is_amber() {
    let snap = Fleet::empty()
        .procs([pinned_monitor("a", 0, 499), monitor("b")])
        .hosts(vec![host("h1", 0, 999)])
        .build();
    let cov = &snap.bucket_coverage;
    assert_eq!(cov.status, Status::Amber);
    assert_eq!(cov.mode, OwnershipMode::Mixed);
    assert_spec_text(coverage_error(&snap), spec_text::MIXED_ERROR);
}

#[test]
fn coverage_rule4_mixed_wins_over_rule6_gaps() {
    let snap = Fleet::empty()
        .procs([pinned_monitor("a", 0, 499), monitor("b")])
        .hosts(vec![host("h1", 10, 20)])
        .build();
    assert_eq!(snap.bucket_coverage.status, Status::Amber);
    assert_spec_text(coverage_error(&snap), spec_text::MIXED_ERROR);
}

#[test]
fn coverage_rule5_no_host_rows_is_amber() {
    let cases: Vec<(&str, Fleet, OwnershipMode)> = vec![
        (
            "dynamic monitors",
            Fleet::healthy().hosts(vec![]),
            OwnershipMode::Dynamic,
        ),
        (
            "monitors without ownership text",
            Fleet::empty().proc(monitor("a").ownership("")),
            OwnershipMode::Unknown,
        ),
        (
            "no processes at all",
            Fleet::empty(),
            OwnershipMode::Unknown,
        ),
    ];
    for (what, fleet, mode) in cases {
        let snap = fleet.build();
        let cov = &snap.bucket_coverage;
        assert_eq!(cov.status, Status::Amber, "{what}");
        assert_eq!(cov.mode, mode, "{what}");
        assert_eq!(cov.host_count, 0, "{what}");
        assert_spec_text(coverage_error(&snap), spec_text::NO_HOST_ROWS_ERROR);
    }
}

// ------------------------------------------------------------ rule 6: the walk

/// The kind of rule-6 error and the fragments its text must contain.
#[derive(Debug)]
enum Walk {
    Invalid {
        host: &'static str,
        range: &'static str,
    },
    Gap {
        host: &'static str,
        range: &'static str,
    },
    Overlap {
        host: &'static str,
        bucket: u16,
    },
    Trailing {
        range: &'static str,
    },
}

#[track_caller]
fn assert_walk_error(what: &str, error: &str, total: u32, expected: &Walk) {
    let lower = error.to_lowercase();
    match expected {
        Walk::Invalid { host, range } => {
            assert!(
                lower.contains("invalid"),
                "{what}: expected an invalid-range error, got {error:?}"
            );
            assert!(
                error.contains(host),
                "{what}: names the host {host}: {error:?}"
            );
            assert!(
                error.contains(range),
                "{what}: names the range {range}: {error:?}"
            );
            assert!(
                error.contains(&total.to_string()),
                "{what}: names the total {total}: {error:?}"
            );
        }
        Walk::Gap { host, range } => {
            assert!(
                lower.contains("gap") && !lower.contains("trailing"),
                "{what}: expected a gap, got {error:?}"
            );
            assert!(
                error.contains(host),
                "{what}: names the host {host}: {error:?}"
            );
            assert!(
                error.contains(range),
                "{what}: names the gap {range}: {error:?}"
            );
        }
        Walk::Overlap { host, bucket } => {
            assert!(
                lower.contains("overlap"),
                "{what}: expected an overlap, got {error:?}"
            );
            assert!(
                error.contains(host),
                "{what}: names the host {host}: {error:?}"
            );
            assert!(
                error.contains(&bucket.to_string()),
                "{what}: names the bucket {bucket}: {error:?}"
            );
        }
        Walk::Trailing { range } => {
            assert!(
                lower.contains("trailing gap"),
                "{what}: expected a trailing gap, got {error:?}"
            );
            assert!(
                error.contains(range),
                "{what}: names the gap {range}: {error:?}"
            );
        }
    }
}

#[test]
fn coverage_rule6_walk_errors_are_red() {
    // (what, bucket_total, host rows (any order), expected error)
    let cases: Vec<(&str, u32, Vec<HostRow>, Walk)> = vec![
        (
            "min above max is an invalid range",
            1000,
            vec![
                host("h-one", 0, 499),
                host("h-bad", 500, 499),
                host("h-two", 500, 999),
            ],
            Walk::Invalid {
                host: "h-bad",
                range: "500-499",
            },
        ),
        (
            "max equal to the total is an invalid range",
            1000,
            vec![host("h-one", 0, 499), host("h-big", 500, 1000)],
            Walk::Invalid {
                host: "h-big",
                range: "500-1000",
            },
        ),
        (
            "max far above the total is an invalid range",
            10,
            vec![host("h-big", 0, 60000)],
            Walk::Invalid {
                host: "h-big",
                range: "0-60000",
            },
        ),
        (
            "invalid range is reported before that host's gap",
            1000,
            vec![host("h-bad", 5, 2000)],
            Walk::Invalid {
                host: "h-bad",
                range: "5-2000",
            },
        ),
        (
            "gap before the first host",
            1000,
            vec![host("h-late", 5, 999)],
            Walk::Gap {
                host: "h-late",
                range: "0-4",
            },
        ),
        (
            "one-bucket gap before the first host",
            1000,
            vec![host("h-late", 1, 999)],
            Walk::Gap {
                host: "h-late",
                range: "0-0",
            },
        ),
        (
            "gap between hosts",
            1000,
            vec![host("h-two", 150, 999), host("h-one", 0, 99)],
            Walk::Gap {
                host: "h-two",
                range: "100-149",
            },
        ),
        (
            "overlap between hosts",
            1000,
            vec![host("h-one", 0, 499), host("h-two", 400, 999)],
            Walk::Overlap {
                host: "h-two",
                bucket: 400,
            },
        ),
        (
            "one-bucket overlap",
            1000,
            vec![host("h-one", 0, 500), host("h-two", 500, 999)],
            Walk::Overlap {
                host: "h-two",
                bucket: 500,
            },
        ),
        (
            "same bucket_min: ties by host_id, the later one overlaps",
            1000,
            vec![host("h-b", 0, 499), host("h-a", 0, 999)],
            Walk::Overlap {
                host: "h-b",
                bucket: 0,
            },
        ),
        (
            "duplicate full range",
            1000,
            vec![host("h-a", 0, 999), host("h-z", 0, 999)],
            Walk::Overlap {
                host: "h-z",
                bucket: 0,
            },
        ),
        (
            "trailing gap after the last host",
            1000,
            vec![host("h-one", 0, 499), host("h-two", 500, 899)],
            Walk::Trailing { range: "900-999" },
        ),
        (
            "one-bucket trailing gap",
            1000,
            vec![host("h-one", 0, 998)],
            Walk::Trailing { range: "999-999" },
        ),
        (
            "trailing gap with a small total",
            10,
            vec![host("h-one", 0, 4)],
            Walk::Trailing { range: "5-9" },
        ),
        (
            "the first problem in walk order is reported (gap before overlap)",
            1000,
            vec![
                host("h-3", 250, 999),
                host("h-1", 0, 99),
                host("h-2", 200, 299),
            ],
            Walk::Gap {
                host: "h-2",
                range: "100-199",
            },
        ),
        (
            "the first problem in walk order is reported (overlap before invalid)",
            1000,
            vec![
                host("h-1", 0, 499),
                host("h-2", 100, 200),
                host("h-3", 500, 1500),
            ],
            Walk::Overlap {
                host: "h-2",
                bucket: 100,
            },
        ),
        (
            "the first problem in walk order is reported (invalid before trailing gap)",
            1000,
            vec![host("h-1", 0, 499), host("h-2", 500, 400)],
            Walk::Invalid {
                host: "h-2",
                range: "500-400",
            },
        ),
    ];
    for (what, total, hosts, expected) in cases {
        let snap = Fleet::healthy().bucket_total(total).hosts(hosts).build();
        let cov = &snap.bucket_coverage;
        assert_eq!(cov.status, Status::Red, "{what}: {cov:?}");
        assert_eq!(cov.mode, OwnershipMode::Dynamic, "{what}");
        assert_walk_error(what, coverage_error(&snap), total, &expected);
    }
}

#[test]
fn coverage_rule6_valid_partitions_are_green() {
    // (what, bucket_total, host rows)
    let cases: Vec<(&str, u32, Vec<HostRow>)> = vec![
        ("one host owning everything", 1000, vec![host("h", 0, 999)]),
        ("max = bucket_total - 1 is valid", 10, vec![host("h", 0, 9)]),
        (
            "single-bucket ranges",
            3,
            vec![host("h-2", 2, 2), host("h-0", 0, 0), host("h-1", 1, 1)],
        ),
        (
            "three hosts in any input order",
            1000,
            vec![host("c", 667, 999), host("a", 0, 333), host("b", 334, 666)],
        ),
        ("a one-bucket fleet", 1, vec![host("h", 0, 0)]),
    ];
    for (what, total, hosts) in cases {
        let snap = Fleet::healthy().bucket_total(total).hosts(hosts).build();
        assert_eq!(
            snap.bucket_coverage.status,
            Status::Green,
            "{what}: {:?}",
            snap.bucket_coverage
        );
        assert_eq!(snap.bucket_coverage.error, None, "{what}");
    }
}

#[test]
fn coverage_rule6_wins_over_rules_7_and_8() {
    let snap = Fleet::healthy()
        .hosts(vec![
            host("h-one", 0, 99).beat_age(STALE_SECS),
            host("h-two", 200, 999).host_status("draining"),
        ])
        .build();
    assert_eq!(snap.bucket_coverage.status, Status::Red);
    assert_walk_error(
        "gap first",
        coverage_error(&snap),
        1000,
        &Walk::Gap {
            host: "h-two",
            range: "100-199",
        },
    );
}

// ------------------------------------------------------------ rules 7-9

#[test]
fn coverage_rule7_host_not_active_is_red_naming_it() {
    for status in ["draining", "", "paused"] {
        let snap = Fleet::healthy()
            .hosts(vec![
                host("jetmon-a", 0, 499),
                host("jetmon-b", 500, 999).host_status(status),
            ])
            .build();
        assert_eq!(
            snap.bucket_coverage.status,
            Status::Red,
            "status {status:?}"
        );
        let error = coverage_error(&snap);
        assert!(error.contains("jetmon-b"), "status {status:?}: {error:?}");
        assert!(!error.contains("jetmon-a"), "status {status:?}: {error:?}");
    }
}

#[test]
fn coverage_rule7_wins_over_rule8_across_hosts() {
    // jetmon-a (first in walk order) is stale, jetmon-b is draining: rule 7
    // (any host not active) is checked before rule 8 (any stale host).
    let snap = Fleet::healthy()
        .hosts(vec![
            host("jetmon-a", 0, 499).beat_age(STALE_SECS),
            host("jetmon-b", 500, 999).host_status("draining"),
        ])
        .build();
    assert_eq!(snap.bucket_coverage.status, Status::Red);
    let error = coverage_error(&snap);
    assert!(error.contains("jetmon-b"), "{error:?}");
    assert!(!error.contains("jetmon-a"), "{error:?}");
}

#[test]
fn coverage_rule8_stale_host_is_red_naming_it() {
    // (grace, host heartbeat age, red?)
    let cases: &[(u64, i64, bool)] = &[
        (600, 599, false),
        (600, 600, false),
        (600, 601, true),
        (600, 86_400, true),
        (30, 30, false),
        (30, 31, true),
    ];
    for &(grace, age, red) in cases {
        // Keep the monitor itself fresh whatever the grace.
        let snap = Fleet::healthy()
            .grace(grace)
            .only_procs([monitor("m1").age(0)])
            .hosts(vec![
                host("jetmon-a", 0, 499).beat_age(0),
                host("jetmon-b", 500, 999).beat_age(age),
            ])
            .build();
        let cov = &snap.bucket_coverage;
        let b = host_entry(&snap, "jetmon-b");
        assert_eq!(b.stale, red, "grace {grace}, age {age}");
        assert_eq!(
            b.last_heartbeat_age_sec, age as u64,
            "grace {grace}, age {age}"
        );
        if red {
            assert_eq!(cov.status, Status::Red, "grace {grace}, age {age}");
            let error = coverage_error(&snap);
            assert!(
                error.contains("jetmon-b") && !error.contains("jetmon-a"),
                "{error:?}"
            );
        } else {
            assert_eq!(
                cov.status,
                Status::Green,
                "grace {grace}, age {age}: {cov:?}"
            );
        }
    }
}

#[test]
fn coverage_rule8_stale_compares_the_exact_host_age() {
    let snap = Fleet::healthy()
        .hosts(vec![host("h", 0, 999).beat_at(ms_ago(600_400))])
        .build();
    let h = host_entry(&snap, "h");
    assert_eq!(h.last_heartbeat_age_sec, 600);
    assert!(h.stale);
    assert_eq!(snap.bucket_coverage.status, Status::Red);
}

#[test]
fn coverage_host_ages_round_and_never_go_negative() {
    // (heartbeat milliseconds before now; negative = in the future, expected age)
    let cases: &[(i64, u64)] = &[
        (4_499, 4),
        (4_500, 5),
        (0, 0),
        (-1_000, 0),
        (-86_400_000, 0),
    ];
    for &(ms, age) in cases {
        let snap = Fleet::healthy()
            .hosts(vec![host("h", 0, 999).beat_at(ms_ago(ms))])
            .build();
        let h = host_entry(&snap, "h");
        assert_eq!(h.last_heartbeat_age_sec, age, "{ms} ms");
        assert!(!h.stale, "{ms} ms");
        assert_eq!(snap.bucket_coverage.status, Status::Green, "{ms} ms");
    }
}

#[test]
fn coverage_rule9_otherwise_green() {
    let snap = Fleet::healthy()
        .procs([monitor("m2"), monitor("m3")])
        .hosts(vec![
            host("m3", 667, 999),
            host("m1", 0, 333),
            host("m2", 334, 666),
        ])
        .build();
    let cov = &snap.bucket_coverage;
    assert_eq!(cov.status, Status::Green);
    assert_eq!(cov.mode, OwnershipMode::Dynamic);
    assert_eq!(cov.error, None);
    assert_eq!(cov.bucket_total, 1000);
    assert_eq!(cov.host_count, 3);
}

#[test]
fn coverage_hosts_listed_by_bucket_min_then_host_id() {
    let snap = Fleet::healthy()
        .hosts(vec![
            host("h-c", 500, 999),
            host("h-b", 0, 499),
            host("h-a", 500, 700),
            host("h-d", 0, 10),
        ])
        .build();
    let ids: Vec<&str> = snap
        .bucket_coverage
        .hosts
        .iter()
        .map(|h| h.host_id.as_str())
        .collect();
    assert_eq!(ids, ["h-b", "h-d", "h-a", "h-c"]);
    assert_eq!(snap.bucket_coverage.host_count, 4);
}

#[test]
fn coverage_host_entries_carry_their_row() {
    let row = host("jetmon-a", 12, 345)
        .host_status("draining")
        .beat_age(42);
    let snap = Fleet::healthy()
        .bucket_total(346)
        .hosts(vec![host("jetmon-0", 0, 11), row.clone()])
        .build();
    let h = host_entry(&snap, "jetmon-a");
    assert_eq!(h.bucket_min, 12);
    assert_eq!(h.bucket_max, 345);
    assert_eq!(h.status, "draining");
    assert_eq!(h.last_heartbeat, row.last_heartbeat);
    assert_eq!(h.last_heartbeat_age_sec, 42);
    assert_eq!(snap.bucket_coverage.bucket_total, 346);
}
