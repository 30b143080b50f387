//! The page of one process, and the error pages.

use super::*;
use crate::page::{error_page, filter_error_page};

#[test]
fn process_page_shows_every_field_and_dependencies() {
    let snap = red_snapshot();
    let html = render_process(&snap, "mon-b:monitor", "");
    for field in [
        "process_id",
        "host_id",
        "process_type",
        "pid",
        "version",
        "build_date",
        "go_version",
        "state",
        "health_status",
        "started_at",
        "updated_at",
        "last_heartbeat_age_sec",
        "stale",
        "bucket_min",
        "bucket_max",
        "bucket_ownership",
        "api_port",
        "dashboard_port",
        "delivery_workers_enabled",
        "delivery_owner_host",
        "worker_count",
        "active_checks",
        "queue_depth",
        "retry_queue_size",
        "wpcom_circuit_open",
        "wpcom_queue_depth",
        "go_sys_mem_mb",
        "rss_mem_mb",
        "dependency_health",
        "created_at",
    ] {
        assert!(
            html.contains(&format!("<code>{field}</code>")),
            "field {field}"
        );
    }
    assert!(html.contains("<title>mon-b:monitor · red · fleetd</title>"));
    assert!(html.contains("v2.3.1") && html.contains("go1.24.2") && html.contains(">4242<"));
    // NULL columns say so.
    assert!(html.contains("<span class=\"muted\">NULL</span>"));
    // Dependency entries with status word, latency and escaped error.
    let entries = super::scan::section(&html, "dependency-entries");
    assert!(entries.contains("<span class=\"st st-red\">red</span>"));
    assert!(entries.contains("3 ms"));
    assert!(entries.contains("connect: &lt;refused&gt; &amp; &quot;retry&quot;"));
    // The issue naming it, and links back.
    assert!(html.contains(
        "<span class=\"st st-red\">red</span> <span class=\"issue-text\">mon-b:monitor health_status=red</span>"
    ));
    assert!(html.contains("href=\"/fleet\""));
    assert!(html.contains("href=\"/fleet?host=mon-b#processes\""));
}

#[test]
fn process_page_of_unreadable_dependencies_and_stale_process() {
    let snap = red_snapshot();
    let html = render_process(&snap, "mon-d:monitor", "");
    assert!(html.contains(
        "dependency_health could not be read: invalid JSON: expected value at line 1 column 1"
    ));
    assert!(html.contains("no dependency entries"));
    assert!(html.contains(
        "<span class=\"st st-amber\">amber</span> <span class=\"muted raw\">“degraded”</span>"
    ));
    assert!(html.contains("mon-d:monitor dependency_health unreadable"));

    let html = render_process(&snap, &format!("{HOSTILE}:monitor"), "");
    assert!(html.contains("<span class=\"verdict-word st st-red\">STALE</span>"));
    assert!(html.contains("<span class=\"st st-red\">stale</span>"));
    assert!(html.contains("· stale · fleetd</title>"));
    // Its own health is still shown, as what it reported.
    assert!(html
        .contains("<code>health_status</code></th><td><span class=\"st st-green\">green</span>"));
}

#[test]
fn error_page_is_complete() {
    let html = error_page("/ops", 404, "Not found", "no page at this address").into_string();
    assert!(html.contains("<title>404 Not found · fleetd</title>"));
    assert!(html.contains("no page at this address"));
    assert!(html.contains("href=\"/ops/fleet\""));
    let err = ProcessFilter::from_query("status=blue").expect_err("bad");
    let html = filter_error_page("", &err).into_string();
    assert!(html.contains("400"));
    assert!(!html.contains("invalid value \"blue\""));
    assert!(html.contains("invalid value &quot;blue&quot; for parameter &quot;status&quot;"));
}
