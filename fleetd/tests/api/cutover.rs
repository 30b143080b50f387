//! `/fleet/cutover` over HTTP (fresh, stale, unavailable; the fleet page's
//! method and header handling) and `fleetd check --cutover [--json]`
//! against scratch databases: exit 0 pass, 2 fail, 3 unknown.

use crate::check::{check, stderr, stdout, write_config};
use crate::helpers::{
    address_of, seeded_db, spawn_app, spawn_app_on, spawn_app_with, unreachable_database_url,
    with_address, TcpProxy,
};
use crate::history::green_db;
use reqwest::header::{ALLOW, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use std::time::Duration;

fn title(html: &str) -> &str {
    let start = html.find("<title>").expect("a title") + "<title>".len();
    &html[start..start + html[start..].find("</title>").expect("title end")]
}

/// The checklist rows: (outcome word, the row's HTML).
fn rows(html: &str) -> Vec<(&str, &str)> {
    html.split("<tr class=\"outcome-")
        .skip(1)
        .map(|row| (&row[..row.find('"').expect("class end")], row))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cutover_page_lists_the_checklist_of_the_current_snapshot() {
    // The seeded fleet: dynamic coverage complete and fresh, no stale
    // process, no failed delivery, but one drifting site.
    let app = spawn_app().await;
    app.wait_for_drift().await;
    let response = app.get("/fleet/cutover").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    let html = response.text().await.expect("body");
    assert_eq!(title(&html), "FAIL · cutover checklist · fleetd");
    assert!(html.contains("<body class=\"page-red\""));
    let rows = rows(&html);
    let outcomes: Vec<&str> = rows.iter().map(|(outcome, _)| *outcome).collect();
    assert_eq!(outcomes, ["pass", "pass", "pass", "fail", "pass"], "{html}");
    let (_, drift) = rows[3];
    assert!(drift.contains("projection drift is zero"), "{drift}");
    assert!(drift.contains("drift=1"), "{drift}");
    assert!(
        drift.contains("<span class=\"st st-red\">fail</span>"),
        "{drift}"
    );
    assert!(
        drift.contains("jetmon2 rollout projection-drift"),
        "the fix: {drift}"
    );
    assert!(
        !html.contains("<script>alert(1)"),
        "hostile host id escaped"
    );

    // The fleet page's navigation links to it.
    let fleet = app.get("/fleet").await.text().await.expect("body");
    assert!(fleet.contains("<a href=\"/fleet/cutover\">cutover</a>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_green_dynamic_fleet_passes_the_cutover() {
    let db = green_db().await;
    let app = spawn_app_on(db.url(), |_| {}).await;
    app.wait_for_drift().await;
    let html = app.get("/fleet/cutover").await.text().await.expect("body");
    assert_eq!(title(&html), "PASS · cutover checklist · fleetd");
    assert!(
        rows(&html).iter().all(|(outcome, _)| *outcome == "pass"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_filters_do_not_filter_the_checklist() {
    let app = spawn_app().await;
    app.wait_for_drift().await;
    let whole = app.get("/fleet/cutover").await.text().await.expect("body");
    let response = app.get("/fleet/cutover?status=green&host=mon-a").await;
    assert_eq!(response.status(), StatusCode::OK);
    let filtered = response.text().await.expect("body");
    assert_eq!(title(&filtered), title(&whole));
    let outcomes = |html: &str| {
        rows(html)
            .into_iter()
            .map(|(o, _)| o.to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(outcomes(&filtered), outcomes(&whole));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cutover_page_answers_head_and_refuses_other_methods_under_the_base_path() {
    let app = spawn_app_with(|s| s.server.base_path = "/ops/fleet".into()).await;
    let head = app.request(Method::HEAD, "/ops/fleet/fleet/cutover").await;
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.bytes().await.expect("body").is_empty());
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let response = app
            .request(method.clone(), "/ops/fleet/fleet/cutover")
            .await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        assert_eq!(response.headers()[ALLOW], "GET, HEAD");
    }
    assert_eq!(
        app.get("/fleet/cutover").await.status(),
        StatusCode::NOT_FOUND,
        "only under the base path"
    );
    let html = app
        .get("/ops/fleet/fleet/cutover")
        .await
        .text()
        .await
        .expect("body");
    assert!(
        html.contains("href=\"/ops/fleet/fleet\""),
        "links under the base path"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_snapshot_the_cutover_page_is_a_503_and_a_stale_one_is_neutral() {
    let app = spawn_app_on(&unreachable_database_url(), |_| {}).await;
    let response = app.get("/fleet/cutover").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[RETRY_AFTER], "5");
    assert!(response.text().await.expect("body").contains("503"));

    let db = seeded_db().await;
    let proxy = TcpProxy::start(address_of(db.url())).await;
    let ttl = Duration::from_millis(300);
    let url = format!("{}?prefer_socket=false", with_address(db.url(), proxy.addr));
    let app = spawn_app_on(&url, |s| {
        s.cache.ttl = ttl;
        s.database.connect_timeout = Duration::from_secs(1);
    })
    .await;
    let fresh = app.get("/fleet/cutover").await.text().await.expect("body");
    assert!(!fresh.contains("stale-banner"));
    assert!(!title(&fresh).starts_with("STALE"));

    proxy.close();
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    let response = app.get("/fleet/cutover").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    assert!(html.contains("stale-banner"), "{html}");
    assert!(title(&html).starts_with("STALE DATA · cutover checklist · last known "));
    assert!(html.contains("<body class=\"page-neutral\""));
    assert!(html.contains("<span class=\"verdict-word st st-neutral\">STALE DATA</span>"));
}

// ------------------------------------------------------ fleetd check --cutover

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_cutover_exits_0_when_every_expectation_passes() {
    let db = green_db().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), db.url());
    let output = check(&config, &["--cutover"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}\n{}", stderr(&output));
    assert!(
        text.starts_with("PASS: dynamic-ownership cutover checklist\n"),
        "{text}"
    );
    assert_eq!(text.matches("\n  pass ").count(), 5, "{text}");
    assert!(!text.contains("fix:"), "{text}");
    assert!(
        text.contains("drift checked"),
        "drift was scanned first: {text}"
    );

    let output = check(&config, &["--cutover", "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["outcome"], "pass");
    let items = json["items"].as_array().expect("items");
    assert_eq!(items.len(), 5);
    assert!(items
        .iter()
        .all(|i| i["outcome"] == "pass" && i.get("fix").is_none()));
    assert_eq!(items[3]["expectation"], "zero_projection_drift");
    assert_eq!(
        items[3]["figure"]
            .as_str()
            .map(|f| f.starts_with("drift=0")),
        Some(true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_cutover_exits_2_when_an_expectation_fails_and_names_the_fix() {
    // The seeded fleet: one drifting site.
    let db = seeded_db().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), db.url());
    let output = check(&config, &["--cutover"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{text}\n{}", stderr(&output));
    assert!(
        text.starts_with("FAIL: dynamic-ownership cutover checklist\n"),
        "{text}"
    );
    assert!(
        text.contains("  fail     projection drift is zero: drift=1"),
        "{text}"
    );
    assert!(
        text.contains("           fix: Run jetmon2 rollout projection-drift --limit=100"),
        "{text}"
    );

    let output = check(&config, &["--cutover", "--json"]);
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["outcome"], "fail");
    let drift = &json["items"][3];
    assert_eq!(drift["outcome"], "fail");
    assert!(drift["fix"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_cutover_exits_3_when_an_expectation_is_unknown() {
    // bucket_total 0: coverage and drift cannot be checked — nothing fails.
    let db = green_db().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleetd.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = {:?}\nconnect_timeout_ms = 2000\n[fleet]\nbucket_total = 0\n",
            db.url()
        ),
    )
    .expect("write config");
    let output = check(&config, &["--cutover"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{text}\n{}", stderr(&output));
    assert!(
        text.starts_with("UNKNOWN: dynamic-ownership cutover checklist\n"),
        "{text}"
    );
    assert!(text.contains("fix: Configure fleet.bucket_total"), "{text}");

    let output = check(&config, &["--cutover", "--json"]);
    assert_eq!(output.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["outcome"], "unknown");
}

#[test]
fn check_cutover_without_a_database_is_unknown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), &unreachable_database_url());
    let output = check(&config, &["--cutover"]);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(
        stdout(&output),
        "UNKNOWN: cutover checklist unknown: the database could not be read\n"
    );
    let output = check(&config, &["--cutover", "--json"]);
    assert_eq!(output.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        json,
        serde_json::json!({"outcome": "unknown", "error": "the database could not be read"})
    );
}
