//! `summary.next_action_hosts`: which hosts a next action that says "open
//! the host dashboard" concerns (the page links the action to a dashboard
//! when there is exactly one).

use fleet_core::snapshot::ActionHost;
use fleet_core::summary::{
    action_red_dependency, ACTION_AMBER_PROCESSES, ACTION_COVERAGE_RED, ACTION_HEALTHY,
    ACTION_RED_PROCESSES, ACTION_STALE,
};
use fleet_core::test_support::*;

fn hosts(pairs: &[(&str, &str)]) -> Vec<ActionHost> {
    pairs
        .iter()
        .map(|(host_id, process_id)| ActionHost {
            host_id: (*host_id).to_owned(),
            process_id: (*process_id).to_owned(),
        })
        .collect()
}

#[test]
fn next_action_hosts_are_the_hosts_the_dashboard_actions_concern() {
    let redis_red = deps(&[dep("redis", "red")]);
    // (what, fleet, expected next action, expected hosts (host, process))
    let cases: Vec<(&str, Fleet, String, Vec<ActionHost>)> = vec![
        (
            "a green fleet concerns no host",
            Fleet::healthy(),
            ACTION_HEALTHY.to_owned(),
            hosts(&[]),
        ),
        (
            "one red process: its host",
            Fleet::healthy().proc(monitor("mon-b").health("red")),
            ACTION_RED_PROCESSES.to_owned(),
            hosts(&[("mon-b", "mon-b:monitor")]),
        ),
        (
            "two red processes on one host: that host once, the monitor first",
            Fleet::healthy()
                .proc(deliverer("mon-b").health("red"))
                .proc(monitor("mon-b").health("red")),
            ACTION_RED_PROCESSES.to_owned(),
            hosts(&[("mon-b", "mon-b:monitor")]),
        ),
        (
            "red processes on two hosts: both, in process order",
            Fleet::healthy()
                .proc(monitor("mon-c").health("red"))
                .proc(monitor("mon-b").health("red")),
            ACTION_RED_PROCESSES.to_owned(),
            hosts(&[("mon-b", "mon-b:monitor"), ("mon-c", "mon-c:monitor")]),
        ),
        (
            "red and amber processes: only the red ones' hosts",
            Fleet::healthy()
                .proc(monitor("mon-b").health("red"))
                .proc(monitor("mon-c").health("amber")),
            ACTION_RED_PROCESSES.to_owned(),
            hosts(&[("mon-b", "mon-b:monitor")]),
        ),
        (
            "a stale process: its own action, which names no dashboard",
            Fleet::healthy()
                .proc(monitor("mon-b").health("red"))
                .proc(monitor("mon-c").age(STALE_SECS)),
            ACTION_STALE.to_owned(),
            hosts(&[]),
        ),
        (
            "red coverage comes before red processes and names no dashboard",
            Fleet::healthy()
                .hosts(vec![host("m1", 0, 499)])
                .proc(monitor("mon-b").health("red")),
            ACTION_COVERAGE_RED.to_owned(),
            hosts(&[]),
        ),
        (
            "amber processes: their hosts, unknown health counted as amber",
            Fleet::healthy()
                .proc(monitor("mon-b").health("amber"))
                .proc(monitor("mon-c").health("degraded")),
            ACTION_AMBER_PROCESSES.to_owned(),
            hosts(&[("mon-b", "mon-b:monitor"), ("mon-c", "mon-c:monitor")]),
        ),
        (
            "one amber process: its host",
            Fleet::healthy().proc(deliverer("del-a").health("amber")),
            ACTION_AMBER_PROCESSES.to_owned(),
            hosts(&[("del-a", "del-a:deliverer")]),
        ),
        (
            "a red dependency reported by processes of one host: that host",
            Fleet::healthy()
                .proc(monitor("mon-b").deps(&redis_red))
                .proc(deliverer("mon-b").deps(&redis_red)),
            action_red_dependency("redis"),
            hosts(&[("mon-b", "mon-b:monitor")]),
        ),
        (
            "a red dependency reported red on two hosts: both",
            Fleet::healthy()
                .proc(monitor("mon-b").deps(&redis_red))
                .proc(monitor("mon-c").deps(&redis_red)),
            action_red_dependency("redis"),
            hosts(&[("mon-b", "mon-b:monitor"), ("mon-c", "mon-c:monitor")]),
        ),
        (
            "a red dependency: hosts reporting it amber are not concerned",
            Fleet::healthy()
                .proc(monitor("mon-b").deps(&redis_red))
                .proc(monitor("mon-c").deps(&deps(&[dep("redis", "amber")]))),
            action_red_dependency("redis"),
            hosts(&[("mon-b", "mon-b:monitor")]),
        ),
    ];
    for (what, fleet, action, expected) in cases {
        let summary = fleet.build().summary;
        assert_eq!(summary.suggested_next_action, action, "{what}");
        assert_eq!(summary.next_action_hosts, expected, "{what}");
    }
}

#[test]
fn next_action_hosts_is_in_the_json_and_empty_when_no_dashboard_is_named() {
    let json = serde_json::to_value(Fleet::healthy().build()).expect("serialisable");
    assert_eq!(json["summary"]["next_action_hosts"], serde_json::json!([]));
    let json = serde_json::to_value(
        Fleet::healthy()
            .proc(monitor("mon-b").health("red"))
            .build(),
    )
    .expect("serialisable");
    assert_eq!(
        json["summary"]["next_action_hosts"],
        serde_json::json!([{"host_id": "mon-b", "process_id": "mon-b:monitor"}])
    );
}
