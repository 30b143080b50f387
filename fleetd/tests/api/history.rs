//! The status history: a green → red transition recorded between two
//! builds, served as JSON and shown on the page.

use crate::helpers::{seeded_db, spawn_app_on};
use fleet_sql::testing::ScratchDb;
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use std::time::Duration;

/// Turns the seeded fleet green: mon-b healthy, no due delivery, no drift.
pub const MAKE_GREEN_SQL: &str = "
UPDATE jetmon_process_health SET health_status = 'green' WHERE process_id = 'mon-b:monitor';
DELETE FROM jetmon_webhook_deliveries;
UPDATE jetpack_monitor_sites SET site_status = 1 WHERE blog_id = 2;
";

/// Turns the fleet red: mon-a stops heartbeating.
pub const MAKE_RED_SQL: &str =
    "UPDATE jetmon_process_health SET updated_at = NOW() - INTERVAL 2 HOUR \
     WHERE process_id = 'mon-a:monitor'";

/// A scratch database holding a fleet that is green once drift is checked.
pub async fn green_db() -> ScratchDb {
    let db = seeded_db().await;
    db.exec(MAKE_GREEN_SQL).await.expect("make the fleet green");
    db
}

async fn json(app: &crate::helpers::TestApp, path: &str) -> serde_json::Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    response.json().await.expect("JSON body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_records_a_green_to_red_transition_and_the_page_shows_it() {
    let db = green_db().await;
    // No cache: every request builds, so a change in the rows shows at once.
    let app = spawn_app_on(db.url(), |s| s.cache.ttl = Duration::ZERO).await;
    app.wait_for_drift().await;

    let fleet = json(&app, "/api/fleet").await;
    assert_eq!(
        fleet["summary"]["status"], "green",
        "{:#}",
        fleet["summary"]
    );
    let history = json(&app, "/api/fleet/history").await;
    assert_eq!(history["status"], "green");
    assert_eq!(history["transitions"], serde_json::json!([]));
    assert_eq!(history["status_since_exact"], false);
    let first_seen = history["status_since"].as_str().expect("since").to_owned();
    assert!(history["recent"].as_array().is_some_and(|r| !r.is_empty()));
    assert_eq!(history["max_transitions"], fleetd::history::MAX_TRANSITIONS);
    assert_eq!(history["max_recent"], fleetd::history::MAX_RECENT);

    // mon-a stops heartbeating: the next build is red.
    db.exec(
        "UPDATE jetmon_process_health SET updated_at = NOW() - INTERVAL 2 HOUR \
         WHERE process_id = 'mon-a:monitor'",
    )
    .await
    .expect("make mon-a stale");
    let fleet = json(&app, "/api/fleet").await;
    assert_eq!(fleet["summary"]["status"], "red");

    let history = json(&app, "/api/fleet/history").await;
    assert_eq!(history["status"], "red");
    let transitions = history["transitions"].as_array().expect("transitions");
    assert_eq!(transitions.len(), 1, "{history:#}");
    let t = &transitions[0];
    assert_eq!(t["from"], "green");
    assert_eq!(t["to"], "red");
    assert!(
        t["top_issue"]
            .as_str()
            .is_some_and(|issue| issue.starts_with("mon-a:monitor heartbeat stale")),
        "{t}"
    );
    assert_eq!(history["status_since"], t["at"]);
    assert_eq!(history["status_since_exact"], true);
    assert_eq!(history["transitions_total"], 1);
    assert!(t["at"].as_str().expect("at") >= first_seen.as_str());
    // Newest first: the latest build is red, an earlier one green.
    let recent = history["recent"].as_array().expect("recent");
    assert_eq!(recent[0]["status"], "red");
    assert_eq!(recent.last().expect("oldest")["status"], "green");

    // The page shows since when the status holds and the transition.
    let page = app.get("/fleet").await.text().await.expect("page");
    assert!(
        page.contains("<span class=\"st st-red\">red</span> since <time"),
        "status since on the page"
    );
    assert!(
        page.contains(
            "<span class=\"st st-green\">green</span> \u{2192} <span class=\"st st-red\">red</span>"
        ),
        "the transition on the page"
    );
    assert!(!page.contains("no transitions recorded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_since_or_until_is_a_400_naming_the_parameter() {
    let app = spawn_app_on(&crate::helpers::unreachable_database_url(), |_| {}).await;
    for (query, name) in [
        ("since=yesterday", "since"),
        ("until=2026-02-30T00:00:00Z", "until"),
        (
            "since=2026-04-30T15:00:00Z&until=2026-04-30T14:00:00Z",
            "until",
        ),
    ] {
        let response = app.get(&format!("/api/fleet/history?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body["parameter"], name, "{query}: {body}");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains(&format!("`{name}`"))),
            "{body}"
        );
    }
    let ok = json(&app, "/api/fleet/history?since=2026-04-30T14:00:00%2B02:00").await;
    assert_eq!(ok["window_since"], "2026-04-30T12:00:00Z");
    assert_eq!(ok["window_until"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_served_under_the_base_path_even_without_a_database() {
    let app = spawn_app_on(&crate::helpers::unreachable_database_url(), |s| {
        s.server.base_path = "/ops".into();
    })
    .await;
    let history = json(&app, "/ops/api/fleet/history").await;
    // The failed build is recorded: unknown, not a gap bridged by silence.
    assert_eq!(history["status"], "unknown");
    assert_eq!(history["status_since_exact"], false);
    assert_eq!(history["transitions"], serde_json::json!([]));
    assert_eq!(history["recent"][0]["status"], "unknown");
    assert!(history["recording_since"].is_string());
    assert_eq!(history["store"]["state"], "memory_only");
    let page = app.get("/ops/fleet/history").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("page");
    assert!(page.contains("fleet status history"));
    assert!(page.contains("<svg"), "the period's timeline");
}
