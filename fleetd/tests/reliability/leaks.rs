//! Item 3, leaks: while the database fails in every way we can make it
//! fail, no response of any route — body or header — carries database
//! error text, the database host or user from the DSN, the database name,
//! or a password.

use crate::fault_proxy::{upstream_of, FaultProxy, Mode};
use crate::helpers::{seeded_db, spawn_app_on, unreachable_database_url, TestApp};
use crate::support::record;
use std::io::Write as _;
use std::time::Duration;

/// Every route fleetd serves, plus error cases (bad filter, unknown
/// process, unknown path, API 404), and every embedded asset.
fn routes() -> Vec<(reqwest::Method, String)> {
    let mut routes: Vec<(reqwest::Method, String)> = [
        "/",
        "/fleet",
        "/fleet?status=red&type=monitor&host=mon-a",
        "/fleet?bogus=1",
        "/fleet?status=purple",
        "/fleet/process/mon-a:monitor",
        "/fleet/process/no-such-process",
        "/api/fleet",
        "/api/fleet/history",
        "/api/nope",
        "/healthz",
        "/readyz",
        "/metrics",
        "/nope",
    ]
    .into_iter()
    .map(|p| (reqwest::Method::GET, p.to_owned()))
    .collect();
    routes.extend(
        fleetd::routes::assets::names().map(|n| (reqwest::Method::GET, format!("/static/{n}"))),
    );
    routes.push((reqwest::Method::HEAD, "/api/fleet".to_owned()));
    routes.push((reqwest::Method::POST, "/fleet".to_owned()));
    routes.push((reqwest::Method::DELETE, "/api/fleet".to_owned()));
    routes
}

/// Requests every route and returns how many responses were checked;
/// panics naming the route and the leaked text.
async fn assert_no_leaks(app: &TestApp, forbidden: &[String], mode: &str) -> usize {
    let mut checked = 0;
    for (method, path) in routes() {
        let response = app.request(method.clone(), &path).await;
        let status = response.status();
        let mut text = String::new();
        for (name, value) in response.headers() {
            text.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        text.push_str(&response.text().await.expect("body"));
        for needle in forbidden {
            assert!(
                !text.to_lowercase().contains(&needle.to_lowercase()),
                "{mode}: {method} {path} ({status}) leaks {needle:?}:\n{text}"
            );
        }
        assert!(
            status.as_u16() < 500 || status.as_u16() == 503,
            "{mode}: {method} {path}: {status}"
        );
        checked += 1;
    }
    checked
}

/// Database error words from mysql_async, MariaDB and the OS.
fn error_words() -> Vec<String> {
    [
        "Access denied",
        "using password",
        "doesn't exist",
        "Unknown database",
        "refused",
        "os error",
        "Connection reset",
        "Broken pipe",
        "failed to lookup",
        "Name or service",
        "timed out",
        "max_statement_time",
        "interrupted",
        "mysql_async",
        "mysql://",
        "ERROR 1",
        "(1045)",
        "(1146)",
        "(1049)",
        "SqlError",
        "QueryTimeout",
        "CheckoutTimeout",
        "panicked",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_response_of_any_route_leaks_database_errors_hosts_users_or_passwords_under_failure() {
    let mut figures = Vec::new();
    let password_dir = tempfile::tempdir().expect("temp dir");
    let password_file = password_dir.path().join("db-password");
    std::fs::File::create(&password_file)
        .and_then(|mut f| f.write_all(b"file-canary-pw\n"))
        .expect("password file");

    // 1. The DSN's host does not resolve; passwords in the URL and a file.
    let url = "mysql://canary_user:url-canary-pw@db-canary-host.invalid:3306/canary_db";
    let app = spawn_app_on(url, |s| {
        s.database.password = Some(fleetd::settings::Secret::new("file-canary-pw"));
        s.database.connect_timeout = Duration::from_millis(500);
    })
    .await;
    let forbidden: Vec<String> = error_words()
        .into_iter()
        .chain(
            [
                "db-canary-host",
                "canary_user",
                "canary-pw",
                "canary_db",
                ":3306",
            ]
            .map(str::to_owned),
        )
        .collect();
    assert_eq!(
        app.get("/api/fleet").await.status(),
        reqwest::StatusCode::SERVICE_UNAVAILABLE
    );
    let n = assert_no_leaks(&app, &forbidden, "unresolvable host").await;
    figures.push(("unresolvable DSN host", format!("{n} responses")));

    // 2. The server answers but refuses the account.
    let db = seeded_db().await;
    let server = upstream_of(db.url());
    let url = format!("mysql://canary_user:url-canary-pw@{server}/canary_db?prefer_socket=false");
    let app = spawn_app_on(&url, |s| {
        s.database.connect_timeout = Duration::from_millis(500)
    })
    .await;
    let forbidden: Vec<String> = error_words()
        .into_iter()
        .chain(
            [
                "canary_user",
                "canary-pw",
                "canary_db",
                &server.to_string(),
                &server.ip().to_string(),
            ]
            .map(|s| s.to_owned()),
        )
        .collect();
    assert_eq!(
        app.get("/api/fleet").await.status(),
        reqwest::StatusCode::SERVICE_UNAVAILABLE
    );
    let n = assert_no_leaks(&app, &forbidden, "access denied").await;
    figures.push(("access denied", format!("{n} responses")));

    // 3. Nothing listens on the port.
    let url = unreachable_database_url().replace("root@", "root:url-canary-pw@");
    let app = spawn_app_on(&url, |_| {}).await;
    let port = url
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next())
        .expect("port")
        .to_owned();
    let forbidden: Vec<String> = error_words()
        .into_iter()
        .chain(["canary-pw".to_owned(), format!(":{port}")])
        .collect();
    assert_eq!(
        app.get("/api/fleet").await.status(),
        reqwest::StatusCode::SERVICE_UNAVAILABLE
    );
    let n = assert_no_leaks(&app, &forbidden, "connection refused").await;
    figures.push(("connection refused", format!("{n} responses")));

    // 4. The database dies after a good snapshot: the stale page.
    let proxy = FaultProxy::start(server).await;
    let app = spawn_app_on(&proxy.url_for(db.url()), |s| {
        s.cache.ttl = Duration::from_millis(200);
        s.database.connect_timeout = Duration::from_millis(500);
    })
    .await;
    assert_eq!(
        app.get("/api/fleet").await.status(),
        reqwest::StatusCode::OK
    );
    proxy.set_mode(Mode::Refuse).await;
    proxy.cut_all();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app
        .get("/fleet")
        .await
        .text()
        .await
        .expect("page")
        .contains("stale-banner"));
    let forbidden: Vec<String> = error_words()
        .into_iter()
        .chain([db.name().to_owned(), proxy.addr.to_string()])
        .collect();
    let n = assert_no_leaks(&app, &forbidden, "died mid-run").await;
    figures.push(("database died (stale page)", format!("{n} responses")));

    // 5. Sections fail on the server (tables missing, the drift scan cut
    // by its limit): red sections with generic text.
    db.exec(
        "DROP TABLE jetmon_hosts; DROP TABLE jetmon_webhook_deliveries; DROP TABLE jetmon_events;",
    )
    .await
    .expect("drop tables");
    let app = spawn_app_on(db.url(), |s| s.cache.ttl = Duration::from_millis(200)).await;
    app.wait_for_drift().await;
    let snapshot: serde_json::Value = app.get("/api/fleet").await.json().await.expect("json");
    assert_eq!(snapshot["bucket_coverage"]["status"], "red");
    assert_eq!(snapshot["projection_drift"]["status"], "red");
    let forbidden: Vec<String> = error_words()
        .into_iter()
        .chain([
            db.name().to_owned(),
            "jetmon_events".to_owned(),
            server.to_string(),
        ])
        .collect();
    let n = assert_no_leaks(&app, &forbidden, "sections failing").await;
    figures.push((
        "sections failing (tables dropped)",
        format!("{n} responses"),
    ));

    record(
        "no_leaks",
        "five failures: unresolvable DSN host, access denied, connection refused, database died after a good \
         snapshot, tables missing; passwords in the URL and the password file",
        "no body or header of any route (every page, API, health, metrics, asset, 404/405/400 case) contains \
         database error text, the DSN host/port/user/database, or a password",
        &figures.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>(),
    );
}
