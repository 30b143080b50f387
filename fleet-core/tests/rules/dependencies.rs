//! rollup.md §6: dependencies (from every process's dependency_health,
//! stale processes included).

use fleet_core::test_support::*;
use fleet_core::{ProcessRow, Status};

fn rollup_of(procs: Vec<ProcessRow>) -> fleet_core::FleetSnapshot {
    Fleet::healthy().only_procs(procs).build()
}

#[test]
fn dependencies_group_by_trimmed_name_empty_is_unknown() {
    let snap = rollup_of(vec![
        monitor("a").deps(&deps(&[
            dep("mysql", "green"),
            dep(" mysql ", "green"),
            dep("", "green"),
        ])),
        deliverer("b").deps(&deps(&[
            dep("\tmysql", "green"),
            dep("   ", "amber"),
            dep("wpcom", "green"),
        ])),
    ]);
    let names: Vec<&str> = snap.dependencies.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["unknown", "mysql", "wpcom"],
        "amber first, then green by name"
    );
    assert_eq!(dependency(&snap, "mysql").green_count, 3);
    let unknown = dependency(&snap, "unknown");
    assert_eq!((unknown.green_count, unknown.amber_count), (1, 1));
}

#[test]
fn dependencies_count_per_status_and_stale() {
    let snap = rollup_of(vec![
        monitor("a").deps(&deps(&[dep("mysql", "green"), dep("redis", "amber")])),
        monitor("b").deps(&deps(&[dep("mysql", "red"), dep("redis", "green")])),
        deliverer("c")
            .age(STALE_SECS)
            .deps(&deps(&[dep("mysql", "green"), dep("redis", "weird")])),
        deliverer("d")
            .age(STALE_SECS)
            .deps(&deps(&[dep("mysql", "red")])),
    ]);
    let mysql = dependency(&snap, "mysql");
    assert_eq!(
        (
            mysql.green_count,
            mysql.amber_count,
            mysql.red_count,
            mysql.stale_count
        ),
        (2, 0, 2, 2)
    );
    assert_eq!(mysql.status, Status::Red);
    let redis = dependency(&snap, "redis");
    assert_eq!(
        (
            redis.green_count,
            redis.amber_count,
            redis.red_count,
            redis.stale_count
        ),
        (1, 2, 0, 1),
        "an unknown status counts as amber; stale entries count in their status too"
    );
    assert_eq!(redis.status, Status::Amber);
}

#[test]
fn dependencies_status_red_then_amber_then_green() {
    // (entries' statuses, expected rollup status)
    let cases: &[(&[&str], Status)] = &[
        (&["green"], Status::Green),
        (&["green", "green"], Status::Green),
        (&["green", "amber"], Status::Amber),
        (&["green", "degraded"], Status::Amber),
        (&["green", ""], Status::Amber),
        (&["green", "RED"], Status::Amber),
        (&["amber", "red", "green"], Status::Red),
        (&["red"], Status::Red),
    ];
    for &(statuses, expected) in cases {
        let entries: Vec<String> = statuses.iter().map(|s| dep("mysql", s)).collect();
        let snap = rollup_of(vec![monitor("a").deps(&deps(&entries))]);
        assert_eq!(dependency(&snap, "mysql").status, expected, "{statuses:?}");
    }
}

#[test]
fn dependencies_sorted_red_amber_green_then_name() {
    let snap = rollup_of(vec![monitor("a").deps(&deps(&[
        dep("b-green", "green"),
        dep("a-green", "green"),
        dep("c-amber", "amber"),
        dep("z-red", "red"),
        dep("e-red", "red"),
        dep("a-unknown", "degraded"),
    ]))]);
    let names: Vec<&str> = snap.dependencies.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "e-red",
            "z-red",
            "a-unknown",
            "c-amber",
            "a-green",
            "b-green"
        ]
    );
}

#[test]
fn dependencies_include_stale_processes_and_skip_unreadable_rows() {
    let snap = rollup_of(vec![
        monitor("a")
            .age(STALE_SECS)
            .state("stopped")
            .deps(&deps(&[dep("mysql", "green")])),
        monitor("b").deps("{broken"),
    ]);
    assert_eq!(snap.dependencies.len(), 1);
    let mysql = dependency(&snap, "mysql");
    assert_eq!((mysql.green_count, mysql.stale_count), (1, 1));
}

// ------------------------------------------------------------ last_error

#[test]
fn dependencies_last_error_precedence() {
    // Process "z" is stale so it sorts BEFORE process "a"; rows are given in
    // the opposite order, so input order and process sort order disagree.
    let stale_z = |entries: &[String]| monitor("z").age(STALE_SECS).deps(&deps(entries));
    let fresh_a = |entries: &[String]| monitor("a").deps(&deps(entries));
    // (what, processes in input order, expected last_error of "mysql")
    let cases: Vec<(&str, Vec<ProcessRow>, Option<&str>)> = vec![
        (
            "no errors at all",
            vec![fresh_a(&[dep("mysql", "red")])],
            None,
        ),
        (
            "red: the last non-empty error in process sort order",
            vec![
                fresh_a(&[dep_err("mysql", "red", "from-a")]),
                stale_z(&[dep_err("mysql", "red", "from-z")]),
            ],
            Some("from-a"),
        ),
        (
            "red: the last non-empty error within a process's entries",
            vec![fresh_a(&[
                dep_err("mysql", "red", "first"),
                dep_err("mysql", "red", "second"),
                dep_err("mysql", "red", ""),
                dep("mysql", "red"),
            ])],
            Some("second"),
        ),
        (
            "red error wins over an amber error",
            vec![fresh_a(&[
                dep_err("mysql", "amber", "amber-err"),
                dep_err("mysql", "red", "red-err"),
            ])],
            Some("red-err"),
        ),
        (
            "red error wins over a later amber error",
            vec![
                stale_z(&[dep_err("mysql", "red", "red-err")]),
                fresh_a(&[dep_err("mysql", "amber", "amber-err")]),
            ],
            Some("red-err"),
        ),
        (
            "red entries without errors fall back to the amber error",
            vec![fresh_a(&[
                dep("mysql", "red"),
                dep_err("mysql", "red", ""),
                dep_err("mysql", "amber", "amber-err"),
            ])],
            Some("amber-err"),
        ),
        (
            "amber: the first non-empty error in process sort order",
            vec![
                fresh_a(&[dep_err("mysql", "amber", "from-a")]),
                stale_z(&[dep_err("mysql", "amber", "from-z")]),
            ],
            Some("from-z"),
        ),
        (
            "amber: the first non-empty error within a process's entries",
            vec![fresh_a(&[
                dep_err("mysql", "amber", ""),
                dep_err("mysql", "amber", "first"),
                dep_err("mysql", "amber", "second"),
            ])],
            Some("first"),
        ),
        (
            "errors of unknown statuses are not used",
            vec![fresh_a(&[dep_err("mysql", "degraded", "unknown-err")])],
            None,
        ),
        (
            "errors of unknown statuses are skipped for the amber error",
            vec![
                stale_z(&[dep_err("mysql", "Amber", "capital-amber")]),
                fresh_a(&[dep_err("mysql", "amber", "amber-err")]),
            ],
            Some("amber-err"),
        ),
        (
            "errors of green entries are not used",
            vec![fresh_a(&[
                dep_err("mysql", "green", "green-err"),
                dep("mysql", "amber"),
            ])],
            None,
        ),
    ];
    for (what, procs, expected) in cases {
        let snap = rollup_of(procs);
        assert_eq!(
            dependency(&snap, "mysql").last_error.as_deref(),
            expected,
            "{what}"
        );
    }
}

#[test]
fn dependencies_last_error_is_per_name() {
    let snap = rollup_of(vec![monitor("a").deps(&deps(&[
        dep_err("mysql", "red", "mysql-down"),
        dep_err("wpcom", "amber", "wpcom-slow"),
    ]))]);
    assert_eq!(
        dependency(&snap, "mysql").last_error.as_deref(),
        Some("mysql-down")
    );
    assert_eq!(
        dependency(&snap, "wpcom").last_error.as_deref(),
        Some("wpcom-slow")
    );
}

// ------------------------------------------------------------ summary counts

#[test]
fn dependencies_summary_counts_only_matching_status() {
    let snap = rollup_of(vec![
        monitor("a").deps(&deps(&[
            dep("x", "red"),
            dep("x", "red"),
            dep("x", "amber"),
            dep("y", "amber"),
        ])),
        monitor("b").deps(&deps(&[
            dep("x", "amber"),
            dep("x", "amber"),
            dep("y", "amber"),
            dep("y", "weird"),
        ])),
        monitor("c").deps(&deps(&[dep("y", "amber"), dep("z", "green")])),
    ]);
    // x: red (red 2, amber 3); y: amber (amber 4); z: green.
    assert_eq!(dependency(&snap, "x").status, Status::Red);
    assert_eq!(dependency(&snap, "y").amber_count, 4);
    assert_eq!(
        snap.summary.dependency_red_count, 2,
        "red_count of red dependencies"
    );
    assert_eq!(
        snap.summary.dependency_amber_count, 4,
        "amber_count of amber dependencies only"
    );
}

#[test]
fn dependencies_do_not_change_process_health() {
    // A red dependency entry does not make a green process red: only the
    // process's own health_status does (§7 counts by health_status).
    let snap = rollup_of(vec![monitor("a").deps(&deps(&[dep("mysql", "red")]))]);
    assert_eq!(snap.summary.green_processes, 1);
    assert_eq!(snap.summary.red_processes, 0);
    assert_eq!(snap.summary.dependency_red_count, 1);
    // The fleet is not green, though: a red dependency raises an amber
    // issue of its own (rollup.md §9.1, tested in amendments.rs).
    assert_eq!(
        snap.summary.status,
        Status::Amber,
        "{:?}",
        snap.summary.issues
    );
}
