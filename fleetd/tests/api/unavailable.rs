//! The database unreachable from the start, and going away later.

use crate::helpers::{
    address_of, seeded_db, spawn_app_on, unreachable_database_url, with_address, TcpProxy,
};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_database_gives_503s_with_generic_bodies_and_a_live_healthz() {
    let app = spawn_app_on(&unreachable_database_url(), |_| {}).await;

    let api = app.get("/api/fleet").await;
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.headers()[RETRY_AFTER], "5");
    assert_eq!(api.headers()[CONTENT_TYPE], "application/json");
    let body = api.text().await.expect("body");
    assert_eq!(body, r#"{"error":"fleet snapshot unavailable"}"#);

    let page = app.get("/fleet").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    let html = page.text().await.expect("body");
    assert!(html.contains("503"), "an error page");
    for leak in ["refused", "os error", "127.0.0.1", "mysql"] {
        assert!(!html.to_lowercase().contains(leak), "page leaks {leak:?}");
    }

    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert!(app.snapshots.stats().snapshot().builds_failed >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_build_is_reused_briefly_instead_of_reconnecting_on_every_request() {
    let app = spawn_app_on(&unreachable_database_url(), |s| {
        s.cache.ttl = Duration::ZERO
    })
    .await;
    assert_eq!(
        app.get("/api/fleet").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let builds = app.snapshots.stats().builds();
    assert_eq!(builds, 1);
    for path in ["/api/fleet", "/fleet", "/readyz"] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{path}"
        );
    }
    assert_eq!(
        app.snapshots.stats().builds(),
        builds,
        "no new build within the backoff"
    );

    tokio::time::sleep(fleetd::snapshots::FAILED_BUILD_BACKOFF).await;
    assert_eq!(
        app.get("/api/fleet").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        app.snapshots.stats().builds(),
        builds + 1,
        "retried after the backoff"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_going_away_shows_the_last_good_snapshot_as_stale() {
    let db = seeded_db().await;
    let proxy = TcpProxy::start(address_of(db.url())).await;
    let ttl = Duration::from_millis(300);
    // prefer_socket=false: mysql_async would otherwise notice the server is
    // local and switch to its Unix socket, around the proxy.
    let url = format!("{}?prefer_socket=false", with_address(db.url(), proxy.addr));
    let grace = Duration::from_secs(1);
    let app = spawn_app_on(&url, |s| {
        s.cache.ttl = ttl;
        s.cache.ready_grace = grace;
        s.database.connect_timeout = Duration::from_secs(1);
    })
    .await;

    let fresh = app.get("/fleet").await;
    assert_eq!(fresh.status(), StatusCode::OK);
    assert!(!fresh.text().await.expect("page").contains("stale-banner"));
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);

    proxy.close();
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;

    let stale = app.get("/fleet").await;
    assert_eq!(stale.status(), StatusCode::OK);
    let html = stale.text().await.expect("page");
    assert!(
        html.contains("stale-banner"),
        "stale-data banner shown: {:?}",
        app.snapshots.stats().snapshot()
    );
    assert!(html.contains("mon-a"), "the last good snapshot is shown");

    let api = app.get("/api/fleet").await;
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.headers()[RETRY_AFTER], "5");
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert!(app.snapshots.last_failure().is_some());
    // Readiness outlives the outage by ttl + ready_grace from the last good
    // build, then goes.
    let last_good = app.snapshots.last_good().expect("a good snapshot");
    if last_good.built_instant.elapsed() < ttl + grace {
        assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    }
    tokio::time::sleep((ttl + grace).saturating_sub(last_good.built_instant.elapsed())).await;
    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}
