//! The JSON feed and the page against the seeded rows; the cache.

use crate::helpers::{spawn_app, spawn_app_with, without_times, SCRIPT_HOST};
use fleet_core::DriftInput;
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_fleet_is_the_snapshot_fleet_core_builds_from_the_seeded_rows() {
    let app = spawn_app().await;
    app.wait_for_drift().await;
    let response = app.get("/api/fleet").await;
    assert_eq!(response.status(), StatusCode::OK);
    let served: serde_json::Value = response.json().await.expect("JSON body");

    // The same rows, read and rolled up independently of the server.
    let db = app.db.as_ref().expect("seeded db");
    let reader = db.reader().expect("reader");
    let thresholds = app.settings.thresholds();
    let read = reader.read_fleet(&thresholds).await.expect("read fleet");
    let drift = reader
        .read_drift(thresholds.bucket_total)
        .await
        .expect("read drift");
    let (now, input) = read.into_input(DriftInput::Checked(drift));
    let expected = serde_json::to_value(fleet_core::build_snapshot(&input, now, &thresholds))
        .expect("serialise");

    assert!(served["generated_at"].is_string(), "generated_at present");
    assert_eq!(without_times(served.clone()), without_times(expected));
    // And it is the seeded fleet, not an empty one.
    assert_eq!(served["processes"].as_array().map(Vec::len), Some(4));
    assert_eq!(served["projection_drift"]["count"], 1);
    assert_eq!(served["delivery"]["pending"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_strings_are_escaped_on_the_page() {
    let app = spawn_app().await;
    let page = app.get("/fleet").await.text().await.expect("page");
    assert!(!page.contains(SCRIPT_HOST), "raw script tag on the page");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "escaped host id shown"
    );
    assert!(page.contains("mon-a"), "the processes are on the page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_page_shows_one_process_and_404s_for_unknown_ids() {
    let app = spawn_app().await;
    let response = app.get("/fleet/process/mon-b:monitor").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.text().await.expect("page").contains("wpcom"),
        "dependency entries shown"
    );

    let encoded = "/fleet/process/%3Cscript%3Ealert(1)%3C%2Fscript%3E:monitor";
    let response = app.get(encoded).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.text().await.expect("page").contains(SCRIPT_HOST));

    assert_eq!(
        app.get("/fleet/process/nobody").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_views_are_rendered_and_bad_filters_are_400() {
    let app = spawn_app().await;
    let response = app.get("/fleet?type=deliverer").await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.get("/fleet?status=purple").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.text().await.expect("page").contains("purple"),
        "names the bad value"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_cache_serves_the_same_bytes_without_rebuilding() {
    let app = spawn_app_with(|s| s.cache.ttl = Duration::from_secs(60)).await;
    let first = app.get("/api/fleet").await.bytes().await.expect("body");
    for _ in 0..10 {
        assert_eq!(
            app.get("/api/fleet").await.bytes().await.expect("body"),
            first
        );
        assert_eq!(app.get("/fleet").await.status(), StatusCode::OK);
    }
    let stats = app.snapshots.stats().snapshot();
    assert_eq!(stats.builds_started, 1, "{stats:?}");
    assert!(stats.cache_hits >= 20, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_requests_after_expiry_cause_exactly_one_build() {
    let ttl = Duration::from_millis(1500);
    let app = spawn_app_with(|s| s.cache.ttl = ttl).await;
    assert_eq!(app.get("/api/fleet").await.status(), StatusCode::OK);
    assert_eq!(app.snapshots.stats().builds(), 1);

    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    let requests = (0..50).map(|i| {
        let path = if i % 2 == 0 { "/api/fleet" } else { "/fleet" };
        let request = app.client.get(app.url(path)).send();
        async move { request.await.expect("request").status() }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(
        app.snapshots.stats().builds(),
        2,
        "{:?}",
        app.snapshots.stats().snapshot()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_ttl_disables_the_cache() {
    let app = spawn_app_with(|s| s.cache.ttl = Duration::ZERO).await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/fleet").await.status(), StatusCode::OK);
    }
    assert_eq!(app.snapshots.stats().builds(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_refreshed_in_the_background_and_never_waited_for() {
    // An interval far longer than the test: only the startup scan runs.
    let app = spawn_app_with(|s| s.cache.drift_interval = Duration::from_secs(3600)).await;
    app.wait_for_drift().await;
    let json: serde_json::Value = app.get("/api/fleet").await.json().await.expect("json");
    assert_eq!(json["projection_drift"]["status"], "red");
    assert_eq!(json["projection_drift"]["count"], 1);
    assert!(json["projection_drift"]["checked_at"].is_string());
    let stats = app.snapshots.stats().snapshot();
    assert_eq!(stats.drift_scans_succeeded, 1, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_applies_new_thresholds_to_the_next_request() {
    let app = spawn_app_with(|s| s.cache.ttl = Duration::from_secs(60)).await;
    let before: serde_json::Value = app.get("/api/fleet").await.json().await.expect("json");
    assert_eq!(before["bucket_coverage"]["bucket_total"], 1000);

    let mut settings = app.settings.clone();
    settings.fleet.bucket_total = 500;
    app.snapshots
        .apply(fleetd::snapshots::LiveConfig::from_settings(&settings));

    let after: serde_json::Value = app.get("/api/fleet").await.json().await.expect("json");
    assert_eq!(after["bucket_coverage"]["bucket_total"], 500);
    assert_eq!(
        after["bucket_coverage"]["status"], "red",
        "ranges past 499 are invalid now"
    );
}
