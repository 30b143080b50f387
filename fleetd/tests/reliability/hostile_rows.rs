//! Item 3, rows: strings built to break HTML, JSON or the terminal in every
//! text column, a 1 MB `last_error`, `dependency_health` that is not JSON,
//! not an array, of the wrong shape or 10,000 levels deep, unsigned columns
//! at their maximum, timestamps in the future, at the epoch and zero. fleetd
//! must serve the page and valid JSON, escape everything, and not panic.

use crate::helpers::{spawn_app_on, TestApp};
use crate::support::{ms, record, timed};
use fleet_sql::testing::ScratchDb;
use fleetd::page::format::{encode_path_segment, encode_query_value};
use mysql_async::Value;
use reqwest::StatusCode;
use std::time::Duration;

/// Markup, quotes, an entity, a right-to-left override, an emoji, a
/// mathematical letter (outside the BMP), an escape sequence, a null byte.
fn hostile(tag: &str, max_chars: usize) -> String {
    format!(
        "\"'><script>alert('{tag}')</script><img src=x onerror=alert(1)>&amp;\u{202E}{tag}\u{202C}\u{1F4A5}\u{1D54F}\u{1b}[31m\u{0}"
    )
    .chars()
    .take(max_chars)
    .collect()
}

/// Like [`hostile`] but without control characters (for ids that appear in
/// URL paths).
fn hostile_id(tag: &str, max_chars: usize) -> String {
    format!("\"'><script>alert('{tag}')</script>&amp;\u{202E}{tag}\u{1F4A5}:monitor")
        .chars()
        .rev()
        .take(max_chars)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

struct Row {
    process_id: String,
    host_id: String,
    dependency_health: Option<String>,
    /// Extra `column = SQL value` pairs.
    extra: Vec<(&'static str, Value)>,
}

fn base_row(process_id: String, host_id: String, dependency_health: Option<String>) -> Row {
    Row {
        process_id,
        host_id,
        dependency_health,
        extra: Vec::new(),
    }
}

async fn insert(db: &ScratchDb, row: Row) {
    let mut columns = vec![
        "process_id",
        "host_id",
        "process_type",
        "updated_at",
        "dependency_health",
    ];
    let mut values: Vec<Value> = vec![
        row.process_id.into(),
        row.host_id.into(),
        "monitor".into(),
        Value::NULL,
        row.dependency_health.map_or(Value::NULL, Value::from),
    ];
    for (column, value) in row.extra {
        if let Some(i) = columns.iter().position(|c| *c == column) {
            values[i] = value;
        } else {
            columns.push(column);
            values.push(value);
        }
    }
    let placeholders: Vec<String> = columns
        .iter()
        .zip(&values)
        .map(|(column, value)| {
            if *column == "updated_at" && *value == Value::NULL {
                "NOW()".to_owned()
            } else {
                "?".to_owned()
            }
        })
        .collect();
    let params: Vec<Value> = columns
        .iter()
        .zip(values)
        .filter(|(column, value)| !(**column == "updated_at" && *value == Value::NULL))
        .map(|(_, value)| value)
        .collect();
    let sql = format!(
        "INSERT INTO jetmon_process_health ({}) VALUES ({})",
        columns.join(", "),
        placeholders.join(", ")
    );
    db.query(&sql, mysql_async::Params::Positional(params))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
}

/// The database with every kind of hostile row; returns the process ids
/// the snapshot must carry unchanged.
async fn hostile_db() -> (ScratchDb, Vec<String>) {
    let db = ScratchDb::create().await.expect("scratch database");
    // MariaDB's JSON type is LONGTEXT with a json_valid() check that also
    // caps nesting at 32 levels; a jetmon table migrated from a TEXT column
    // (or MySQL with its 100 levels) can hold what the check would reject.
    // Drop the check so that the reader sees such values.
    db.exec("ALTER TABLE jetmon_process_health MODIFY dependency_health LONGTEXT NULL")
        .await
        .expect("relax dependency_health");
    let mut ids = Vec::new();

    // 1. Every text column hostile, dependency entries hostile.
    let id = hostile_id("pid", 255);
    let deps = serde_json::json!([{
        "name": hostile("depname", 200),
        "status": hostile("depstatus", 50),
        "last_error": hostile("deperror", 500),
        "checked_at": hostile("depchecked", 50),
        "latency_ms": 1e308,
    }])
    .to_string();
    let mut row = base_row(id.clone(), hostile("host", 255), Some(deps));
    row.extra = vec![
        ("process_type", hostile("type", 64).into()),
        ("version", hostile("version", 64).into()),
        ("build_date", hostile("build", 64).into()),
        ("go_version", hostile("go", 64).into()),
        ("state", hostile("state", 32).into()),
        ("health_status", hostile("health", 16).into()),
        ("bucket_ownership", hostile("ownership", 128).into()),
        ("delivery_owner_host", hostile("owner", 255).into()),
        ("delivery_workers_enabled", 1.into()),
    ];
    insert(&db, row).await;
    ids.push(id);

    // 2. A 1 MB last_error.
    let big = serde_json::json!([{
        "name": "mysql", "status": "red",
        "last_error": "<script>alert(1)</script>".repeat(1024 * 1024 / 25 + 1),
        "checked_at": "2026-01-01T00:00:00Z",
    }])
    .to_string();
    assert!(big.len() > 1024 * 1024);
    insert(
        &db,
        base_row("big-error:monitor".into(), "big-error".into(), Some(big)),
    )
    .await;
    ids.push("big-error:monitor".into());

    // 3. dependency_health: not JSON, not an array, wrong shapes, deep.
    let broken = [
        ("not-json", "{{{ not json <script>".to_owned()),
        (
            "not-array",
            r#"{"name":"mysql","status":"green"}"#.to_owned(),
        ),
        ("scalar", "42".to_owned()),
        (
            "wrong-shapes",
            r#"[1, "x", null, [], {"name": 5, "status": {"a": 1}}, {"nostatus": true}]"#.to_owned(),
        ),
        ("deep-array", nested(10_000)),
        (
            "deep-object",
            format!("[{}]", "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000)),
        ),
        ("empty-string", String::new()),
        (
            "invalid-utf8-escape",
            r#"[{"name":"\ud800","status":"green"}]"#.to_owned(),
        ),
    ];
    for (name, value) in broken {
        let id = format!("{name}:monitor");
        insert(&db, base_row(id.clone(), name.into(), Some(value))).await;
        ids.push(id);
    }

    // 4. Unsigned columns at their maximum, TINYINT flags at 255.
    let mut row = base_row("max:monitor".into(), "max".into(), Some("[]".into()));
    row.extra = [
        "pid",
        "api_port",
        "dashboard_port",
        "worker_count",
        "active_checks",
        "queue_depth",
        "retry_queue_size",
        "wpcom_queue_depth",
        "go_sys_mem_mb",
        "rss_mem_mb",
    ]
    .into_iter()
    .map(|c| (c, Value::UInt(u64::from(u32::MAX))))
    .chain([
        ("bucket_min", Value::UInt(65_535)),
        ("bucket_max", Value::UInt(65_535)),
        ("delivery_workers_enabled", Value::UInt(255)),
        ("wpcom_circuit_open", Value::UInt(255)),
    ])
    .collect();
    insert(&db, row).await;
    ids.push("max:monitor".into());

    // 5. Timestamps: the TIMESTAMP range's last second (in the future), its
    // first second (the epoch + 1 s), and zero.
    for (name, ts) in [
        ("future", "2038-01-19 03:14:07"),
        ("epoch", "1970-01-01 00:00:01"),
        ("zero", "0000-00-00 00:00:00"),
    ] {
        let id = format!("{name}:monitor");
        let mut row = base_row(id.clone(), name.into(), Some("[]".into()));
        row.extra = vec![
            ("updated_at", ts.into()),
            ("started_at", ts.into()),
            ("created_at", ts.into()),
        ];
        insert(&db, row).await;
        ids.push(id);
    }

    // Hosts: hostile id, bucket range at the maximum, odd heartbeats.
    db.query(
        "INSERT INTO jetmon_hosts (host_id, bucket_min, bucket_max, last_heartbeat, status) VALUES \
         (?, 0, 65535, NOW(), 'active'), ('h-future', 65535, 65535, '2038-01-19 03:14:07', 'draining'), \
         ('h-epoch', 10, 5, '1970-01-01 00:00:01', 'active')",
        mysql_async::Params::Positional(vec![hostile("hosts", 255).into()]),
    )
    .await
    .expect("hosts");
    // Sites for the drift scan: extreme buckets and statuses.
    db.exec(
        "INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_active, site_status) VALUES \
         (18446744073709551615, 65535, 255, 127), (1, 0, 1, -128), (2, 999, 1, 2);",
    )
    .await
    .expect("sites");
    (db, ids)
}

fn assert_no_markup_from_the_data(html: &str, what: &str) {
    // fleetd's own script tag is `<script src=...>`; any other is injected.
    for (at, _) in html.match_indices("<script") {
        let tag = &html[at..html[at..].find('>').map_or(html.len(), |end| at + end)];
        assert!(tag.starts_with("<script src="), "{what}: unescaped {tag:?}");
    }
    for needle in ["<script>alert", "<img src=x"] {
        assert!(!html.contains(needle), "{what}: unescaped {needle:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_and_broken_rows_are_served_escaped_as_valid_json_without_a_panic() {
    let (db, ids) = hostile_db().await;
    let app: TestApp = spawn_app_on(db.url(), |s| s.cache.ttl = Duration::from_secs(60)).await;
    app.wait_for_drift().await;
    let mut requests = 0;

    // JSON: valid, and every string round-trips exactly.
    let (response, took_json) = timed(app.get("/api/fleet")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await.expect("body");
    requests += 1;
    let snapshot: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
    let processes = snapshot["processes"].as_array().expect("processes");
    let served: Vec<&str> = processes
        .iter()
        .map(|p| p["process_id"].as_str().expect("process_id"))
        .collect();
    for id in &ids {
        assert!(served.contains(&id.as_str()), "process {id:?} missing");
    }
    let first = processes
        .iter()
        .find(|p| p["process_id"] == ids[0].as_str())
        .expect("hostile row");
    assert_eq!(first["host_id"], hostile("host", 255));
    assert_eq!(first["version"], hostile("version", 64));
    assert_eq!(first["health_status"], hostile("health", 16));
    assert_eq!(
        first["dependency_health"][0]["last_error"],
        hostile("deperror", 500)
    );
    let max = processes
        .iter()
        .find(|p| p["process_id"] == "max:monitor")
        .expect("max row");
    assert_eq!(max["pid"], u64::from(u32::MAX));
    assert_eq!(max["bucket_max"], 65_535);
    assert_eq!(max["delivery_workers_enabled"], true);
    for broken in [
        "not-json",
        "not-array",
        "scalar",
        "deep-array",
        "deep-object",
    ] {
        let p = processes
            .iter()
            .find(|p| p["host_id"] == broken)
            .expect("broken row");
        assert!(
            p["dependency_health_error"].is_string(),
            "{broken}: the unreadable dependency_health is reported: {p}"
        );
    }
    for stale in ["epoch", "zero"] {
        let p = processes
            .iter()
            .find(|p| p["host_id"] == stale)
            .expect("row");
        assert_eq!(
            p["stale"], true,
            "{stale}: a heartbeat at the epoch is stale"
        );
    }
    let future = processes
        .iter()
        .find(|p| p["host_id"] == "future")
        .expect("row");
    assert_eq!(
        future["last_heartbeat_age_sec"], 0,
        "ages are never negative"
    );

    // The page, filtered views and every process page: 200, escaped.
    let (response, took_page) = timed(app.get("/fleet")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("page");
    requests += 1;
    assert_no_markup_from_the_data(&html, "/fleet");
    assert!(
        html.contains("&lt;script&gt;alert("),
        "escaped, not dropped"
    );
    let page_kib = html.len() / 1024;
    let host = hostile("host", 255);
    for query in [
        format!("host={}", encode_query_value(&host)),
        format!("type={}", encode_query_value(&hostile("type", 64))),
        "status=stale".to_owned(),
    ] {
        let response = app.get(&format!("/fleet?{query}")).await;
        requests += 1;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        assert_no_markup_from_the_data(&response.text().await.expect("page"), &query);
    }
    let mut slowest_process_page = Duration::ZERO;
    for id in &ids {
        let path = format!("/fleet/process/{}", encode_path_segment(id));
        let (response, took) = timed(app.get(&path)).await;
        requests += 1;
        slowest_process_page = slowest_process_page.max(took);
        assert_eq!(response.status(), StatusCode::OK, "{id:?}");
        assert_no_markup_from_the_data(&response.text().await.expect("page"), id);
    }
    // Every link to a process page on the fleet page is a single encoded
    // path segment.
    for (at, _) in html.match_indices("href=\"/fleet/process/") {
        let href = &html[at + 6..];
        let href = &href[..href.find('"').expect("closing quote")];
        assert!(
            !href.contains(['<', '>', '\'', ' ']) && !href[15..].contains('/'),
            "link {href:?}"
        );
    }
    let stats = app.snapshots.stats().snapshot();
    assert_eq!(stats.builds_failed, 0, "{stats:?}");
    let bidi_isolated =
        html.contains("<bdi") || html.contains("dir=\"auto\"") || !html.contains('\u{202E}');

    record(
        "hostile_rows",
        "`<script>`/quotes/entity/RTL override/emoji/ESC/NUL in every text column; 1 MB last_error; \
         dependency_health not JSON, not an array, wrong shapes, 10,000 levels deep; unsigned maxima; \
         timestamps 2038-01-19 03:14:07, 1970-01-01 00:00:01 and zero",
        "page, filtered views and every process page 200 and escaped; JSON valid with every string intact; \
         broken dependency_health reported per process; epoch/zero heartbeats stale, future ages 0; no failed build",
        &[
            ("rows", ids.len().to_string()),
            ("requests", requests.to_string()),
            ("JSON", format!("{} KiB in {}", body.len() / 1024, ms(took_json))),
            ("page", format!("{page_kib} KiB in {}", ms(took_page))),
            ("slowest process page", ms(slowest_process_page)),
            ("RTL override isolated on the page", bidi_isolated.to_string()),
        ],
    );
    db.drop().await.expect("drop");
}
