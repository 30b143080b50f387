//! Item 1: the database fails under fleetd — unreachable at start, dying
//! mid-run, black-holed, slower than the statement limit, a slow drift scan,
//! a pool exhausted by slow reads, clients giving up on a slow build. Faults
//! come from a [`FaultProxy`] between fleetd and the shared MariaDB, or from
//! table locks the test holds on its own scratch database.

use crate::fault_proxy::{upstream_of, FaultProxy, Mode};
use crate::helpers::{seeded_db, spawn_app_on, wait_until, TestApp};
use crate::support::{load, metrics_text, ms, nonzero_samples, record, timed, TableLock};
use fleet_sql::testing::ScratchDb;
use fleetd::settings::Settings;
use fleetd::snapshots::FAILED_BUILD_BACKOFF;
use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// Client-side margin fleet-sql adds on top of a server-side statement limit
/// (fleet-sql's `CLIENT_MARGIN`, docs/fleet-sql-notes.md "Timeouts").
const CLIENT_MARGIN: Duration = Duration::from_secs(1);

/// The longest one request can wait for a snapshot build, from the
/// database settings (docs/reliability.md "The request bound"):
/// - learning the server flavour (only until the first connection worked):
///   `connect + statement + margin`;
/// - `now`, then the four sections concurrently, each a pool checkout
///   (`connect + statement + margin`) plus its query (`statement + margin`).
pub fn request_bound(settings: &Settings) -> Duration {
    let db = &settings.database;
    let statement = db.statement_timeout + CLIENT_MARGIN;
    let checkout = db.connect_timeout + statement;
    let session = db.connect_timeout + statement;
    session + 2 * (checkout + statement)
}

/// Short limits so that failures show within a test's patience.
fn fault_settings(s: &mut Settings) {
    s.database.connect_timeout = Duration::from_secs(1);
    s.database.statement_timeout = Duration::from_millis(500);
    s.cache.ttl = Duration::from_millis(300);
}

/// A seeded scratch database, a forwarding proxy in front of it, and a
/// fleetd reading through the proxy.
async fn proxied(
    start: Mode,
    configure: impl FnOnce(&mut Settings),
) -> (ScratchDb, FaultProxy, TestApp) {
    let db = seeded_db().await;
    let proxy = FaultProxy::start(upstream_of(db.url())).await;
    proxy.set_mode(start).await;
    let app = spawn_app_on(&proxy.url_for(db.url()), |s| {
        fault_settings(s);
        configure(s);
    })
    .await;
    (db, proxy, app)
}

async fn status_and_body(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    let status = response.status();
    (status, response.text().await.expect("body"))
}

async fn fleet_json(app: &TestApp) -> serde_json::Value {
    let response = app.get("/api/fleet").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("snapshot JSON")
}

/// The age the stale banner states, in seconds ("(12 s ago)").
fn stale_banner_age_secs(html: &str) -> Option<u64> {
    let banner = &html[html.find("stale-banner")?..];
    let banner = &banner[..banner.find("</section>")?];
    let ago = banner.find(" s ago")?;
    let digits: String = banner[..ago]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_at_start_then_the_database_appears_and_the_next_request_succeeds_without_a_restart(
) {
    let (_db, proxy, app) = proxied(Mode::Refuse, |_| {}).await;
    let mut sent = 0;

    let (health, took_health) = timed(app.get("/healthz")).await;
    assert_eq!(health.status(), StatusCode::OK);
    let (ready, took_ready) = timed(app.get("/readyz")).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let (page_status, page) = status_and_body(&app, "/fleet").await;
    assert_eq!(page_status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        page.contains("cannot read the jetmon database"),
        "the page says the database cannot be read: {page}"
    );
    let api = app.get("/api/fleet").await;
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.headers()[RETRY_AFTER], "5");
    let body: serde_json::Value = api.json().await.expect("JSON error");
    assert_eq!(
        body,
        serde_json::json!({"error": "fleet snapshot unavailable"})
    );
    sent += 4;
    let failed_builds = app.snapshots.stats().snapshot().builds_failed;
    assert!(failed_builds >= 1);

    // The database appears. No restart: the first request after the
    // failure backoff builds a snapshot.
    proxy.set_mode(Mode::Forward).await;
    let appeared = Instant::now();
    tokio::time::sleep(FAILED_BUILD_BACKOFF).await;
    let (api, took_first) = timed(app.get("/api/fleet")).await;
    sent += 1;
    assert_eq!(api.status(), StatusCode::OK, "the next request succeeds");
    let (page_status, page) = status_and_body(&app, "/fleet").await;
    assert_eq!(page_status, StatusCode::OK);
    assert!(!page.contains("stale-banner"));
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    sent += 2;
    // A drift scan that failed while the database was away is retried once
    // the database is back, not a whole drift interval later.
    wait_until(Duration::from_secs(10), || async {
        matches!(app.snapshots.drift(), fleet_core::DriftInput::Checked(_))
    })
    .await;
    let drift_back = appeared.elapsed();

    record(
        "unreachable_at_start",
        "proxy refuses connections when fleetd starts; accepts again later",
        "healthz 200, readyz 503, page 503 \"cannot read the jetmon database\", api 503 + Retry-After; \
         after the database appears the first request past the failure backoff is 200, no restart",
        &[
            ("requests", sent.to_string()),
            ("healthz", ms(took_health)),
            ("readyz (failing)", ms(took_ready)),
            ("failed builds while down", failed_builds.to_string()),
            ("first request after backoff", format!("200 in {}", ms(took_first))),
            ("drift checked again after", ms(drift_back)),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_dying_mid_run_shows_the_last_good_snapshot_with_its_age_and_recovers_by_itself()
{
    let (_db, proxy, app) = proxied(Mode::Forward, |_| {}).await;
    app.wait_for_drift().await;
    let good = fleet_json(&app).await;
    let (status, page) = status_and_body(&app, "/fleet").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("stale-banner"));

    // The server dies: open connections drop, new ones are refused.
    proxy.set_mode(Mode::Refuse).await;
    proxy.cut_all();
    let died = Instant::now();
    tokio::time::sleep(Duration::from_millis(2200)).await;

    let (status, page) = status_and_body(&app, "/fleet").await;
    assert_eq!(status, StatusCode::OK, "the page keeps answering");
    assert!(page.contains("stale-banner"), "stale banner shown");
    let age = stale_banner_age_secs(&page).expect("the banner states the snapshot's age");
    assert!(
        age >= 2,
        "the banner's age counts from the last good build: {age} s"
    );
    assert!(page.contains("mon-a"), "the last good snapshot is shown");
    let api = app.get("/api/fleet").await;
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.headers()[RETRY_AFTER], "5");
    // A 2 s outage does not take the instance out of its load balancer:
    // the last good snapshot is well within ttl + ready_grace (30 s).
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    let stats = app.snapshots.stats().snapshot();
    assert!(stats.builds_failed >= 1, "{stats:?}");
    let metrics = match metrics_text(&app.client, &app.address).await {
        Some(text) => {
            let failures = nonzero_samples(&text, "fail");
            assert!(
                !failures.is_empty(),
                "/metrics shows the failed builds:\n{text}"
            );
            format!("/metrics: {}", failures.join(", "))
        }
        // /metrics is being added by another part of the work; until then
        // the counters it will publish are checked directly.
        None => format!(
            "/metrics not served yet; Stats: builds_failed={}",
            stats.builds_failed
        ),
    };

    // The server comes back: no restart, the page turns fresh by itself.
    proxy.set_mode(Mode::Forward).await;
    let back = Instant::now();
    wait_until(Duration::from_secs(15), || async {
        app.get("/api/fleet").await.status() == StatusCode::OK
    })
    .await;
    let recovered_after = back.elapsed();
    let (status, page) = status_and_body(&app, "/fleet").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("stale-banner"), "fresh again");
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let fresh = fleet_json(&app).await;
    assert_eq!(
        crate::helpers::without_times(fresh["summary"].clone()),
        crate::helpers::without_times(good["summary"].clone()),
        "the same fleet as before the outage"
    );

    record(
        "dies_mid_run",
        "proxy cuts every open connection and refuses new ones for 2.2 s, then forwards again",
        "page 200 with the last good snapshot under the stale banner (its age shown), api 503 + Retry-After, \
         readyz still 200 (last good snapshot within ttl + ready_grace), healthz 200; fresh again without a \
         restart",
        &[
            ("outage", ms(died.elapsed() - back.elapsed())),
            ("banner age", format!("{age} s")),
            ("failure counters", metrics),
            ("recovered after the database returned", ms(recovered_after)),
        ],
    );
}

/// Black-holed or slow database: every request answers within the bound,
/// the pool does not grow past `pool_max`, builds do not pile up, and the
/// daemon recovers once the network does.
async fn requests_stay_bounded_and_connections_do_not_leak(
    fault: Mode,
    scenario: &str,
    injected: &str,
) {
    let pool_max = 4;
    let (_db, proxy, app) = proxied(Mode::Forward, |s| {
        s.database.pool_max = pool_max;
        s.cache.ttl = Duration::from_millis(200);
        s.cache.drift_interval = Duration::from_secs(1);
    })
    .await;
    app.wait_for_drift().await;
    assert_eq!(app.get("/api/fleet").await.status(), StatusCode::OK);
    let bound = request_bound(&app.settings);
    let before = app.snapshots.stats().snapshot();

    let commands_before = proxy.commands();
    proxy.set_mode(fault).await;
    proxy.reset_peak();
    let fault_started = Instant::now();
    let duration = Duration::from_secs(6);
    let report = load(
        &app.address,
        &[
            "/fleet",
            "/api/fleet",
            "/readyz",
            "/fleet/process/mon-a:monitor",
        ],
        16,
        duration,
        bound + Duration::from_secs(10),
    )
    .await;
    let (health, took_health) = timed(app.get("/healthz")).await;
    let during = app.snapshots.stats().snapshot();
    let fault_lasted = fault_started.elapsed();
    let commands = proxy.commands();
    let statements =
        commands.execute + commands.query - commands_before.execute - commands_before.query;
    let connects = proxy.accepted();

    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        took_health < Duration::from_secs(1),
        "healthz took {took_health:?}"
    );
    assert_eq!(report.timeouts, 0, "{report:?}");
    assert_eq!(report.errors, 0, "{report:?}");
    assert_eq!(
        report.sent,
        report.count(200) + report.count(503),
        "only 200 (stale page) and 503 (no snapshot): {}",
        report.statuses_text()
    );
    assert!(report.count(503) > 0, "the fault was noticed");
    assert!(
        report.latencies.max() <= bound,
        "a request waited {:?}, more than the bound {bound:?}",
        report.latencies.max()
    );
    let builds = during.builds_started - before.builds_started;
    // One build at a time, then FAILED_BUILD_BACKOFF before the next.
    let most_builds = fault_lasted.as_secs_f64() / FAILED_BUILD_BACKOFF.as_secs_f64() + 2.0;
    assert!(
        (builds as f64) <= most_builds,
        "{builds} builds in {fault_lasted:?}: builds pile up"
    );
    // The proxy counts a socket until it has read its end; when fleetd
    // closes a swallowed connection and at once opens its replacement, the
    // two can overlap at the proxy for an instant: one over pool_max is
    // that race, more would be a leak.
    let peak_open = proxy.peak_open_connections();
    assert!(
        peak_open <= pool_max + 1,
        "{peak_open} connections open at once with pool_max = {pool_max}"
    );

    // The network heals: fleetd recovers by itself and lets go of every
    // connection the fault swallowed.
    proxy.set_mode(Mode::Forward).await;
    let healed = Instant::now();
    wait_until(Duration::from_secs(20), || async {
        app.get("/api/fleet").await.status() == StatusCode::OK
    })
    .await;
    let recovered_after = healed.elapsed();
    wait_until(Duration::from_secs(20), || async {
        proxy.open_connections() <= pool_max
    })
    .await;
    let (status, page) = status_and_body(&app, "/fleet").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("stale-banner"));

    record(
        scenario,
        injected,
        "every request answered (200 stale page or 503) within the bound; connections ≤ pool_max; \
         one build at a time with a backoff; recovers by itself",
        &[
            (
                "requests",
                format!("{} by 16 clients in {} s", report.sent, duration.as_secs()),
            ),
            ("answers", report.statuses_text()),
            ("timeouts", report.timeouts.to_string()),
            ("latency", report.latencies.summary()),
            ("bound", ms(bound)),
            ("builds during fault", builds.to_string()),
            (
                "statements reaching the database during the fault",
                statements.to_string(),
            ),
            ("connections opened in the whole test", connects.to_string()),
            (
                "peak DB connections",
                format!("{peak_open} (pool_max {pool_max})"),
            ),
            ("open after recovery", proxy.open_connections().to_string()),
            ("recovered after", ms(recovered_after)),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_database_cannot_hold_requests_past_the_bound_or_leak_connections() {
    requests_stay_bounded_and_connections_do_not_leak(
        Mode::BlackHole,
        "black_hole",
        "proxy accepts and never answers; open connections stop forwarding (6 s, 16 clients)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_slower_than_the_statement_limit_cannot_hold_requests_past_the_bound_or_leak_connections(
) {
    requests_stay_bounded_and_connections_do_not_leak(
        Mode::Delay(Duration::from_secs(2)),
        "slow_replies",
        "proxy delays every reply by 2 s (statement limit 500 ms + 1 s client margin; 6 s, 16 clients)",
    )
    .await;
}

/// The `projection_drift` object of a snapshot.
fn drift_of(snapshot: &serde_json::Value) -> (String, String) {
    let drift = &snapshot["projection_drift"];
    (
        drift["status"].as_str().unwrap_or_default().to_owned(),
        drift["error"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_drift_scan_never_delays_or_stales_the_rest_of_the_page() {
    let db = seeded_db().await;
    // The drift scan is the only query that reads the sites table: with it
    // write-locked, the scan waits on the server until its own limit.
    let lock = TableLock::hold(&db, &["jetpack_monitor_sites"]).await;
    let drift_limit = Duration::from_secs(3);
    let app = spawn_app_on(db.url(), |s| {
        // The smallest pool fleetd accepts: the scan holds one connection,
        // every snapshot makes do with the other.
        s.database.pool_max = 2;
        s.cache.ttl = Duration::from_millis(200);
        s.database.drift_statement_timeout = drift_limit;
        s.cache.drift_interval = Duration::from_secs(1);
    })
    .await;
    let started = Instant::now();

    // While the first scan waits: every request fast, snapshots rebuilt
    // every cache period, drift amber "not checked yet" (never green).
    let builds_before = app.snapshots.stats().builds();
    let mut slowest = Duration::ZERO;
    let mut requests = 0;
    while started.elapsed() < drift_limit - Duration::from_millis(700) {
        let (snapshot, took) = timed(fleet_json(&app)).await;
        let (page, took_page) = timed(app.get("/fleet")).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(!page.text().await.expect("page").contains("stale-banner"));
        requests += 2;
        slowest = slowest.max(took).max(took_page);
        let (status, error) = drift_of(&snapshot);
        assert_eq!(
            (status.as_str(), error.as_str()),
            ("amber", "not checked yet")
        );
        assert_eq!(snapshot["bucket_coverage"]["status"], "green");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let builds = app.snapshots.stats().builds() - builds_before;
    assert!(
        matches!(app.snapshots.drift(), fleet_core::DriftInput::NotCheckedYet),
        "the scan is still waiting on the lock"
    );
    assert!(builds >= 4, "snapshots kept being rebuilt: {builds} builds");
    assert!(
        slowest < Duration::from_secs(1),
        "a request took {slowest:?}"
    );

    // The scan hits its own limit: drift turns red, the rest stays fresh.
    wait_until(Duration::from_secs(10), || async {
        matches!(app.snapshots.drift(), fleet_core::DriftInput::Unreadable)
    })
    .await;
    let scan_cut_after = started.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let snapshot = fleet_json(&app).await;
    let (status, error) = drift_of(&snapshot);
    assert_eq!(
        (status.as_str(), error.as_str()),
        ("red", "projection drift could not be read")
    );
    assert_eq!(snapshot["bucket_coverage"]["status"], "green");
    assert!(
        snapshot["delivery"]["error"].is_null(),
        "{}",
        snapshot["delivery"]
    );

    // The lock goes: the next scan succeeds.
    lock.release().await;
    wait_until(Duration::from_secs(10), || async {
        matches!(app.snapshots.drift(), fleet_core::DriftInput::Checked(_))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let snapshot = fleet_json(&app).await;
    assert!(snapshot["projection_drift"]["checked_at"].is_string());
    assert_eq!(snapshot["projection_drift"]["count"], 1);

    record(
        "slow_drift",
        "sites table write-locked by the test: the drift scan waits on the server (drift limit 3 s); pool_max 2",
        "pages and JSON stay fast and fresh, drift amber \"not checked yet\" while waiting, red once its limit \
         cuts it, checked again after the lock goes; no other section affected",
        &[
            ("requests while the scan waited", requests.to_string()),
            ("slowest of them", ms(slowest)),
            ("snapshots built meanwhile", builds.to_string()),
            ("scan cut by its limit after", ms(scan_cut_after)),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_exhausted_by_slow_reads_still_serves_cached_snapshots_at_once() {
    let db = seeded_db().await;
    // Both connections of the pool are taken by slow reads: the drift scan
    // (sites locked, 30 s limit) and each build's hosts read (hosts locked,
    // cut at the 1 s statement limit). The other sections queue for a
    // connection behind them.
    let lock = TableLock::hold(&db, &["jetpack_monitor_sites", "jetmon_hosts"]).await;
    let pool_max = 2;
    let ttl = Duration::from_secs(2);
    let app = spawn_app_on(db.url(), |s| {
        s.database.pool_max = pool_max;
        s.database.statement_timeout = Duration::from_secs(1);
        s.database.drift_statement_timeout = Duration::from_secs(30);
        s.cache.ttl = ttl;
    })
    .await;
    let bound = request_bound(&app.settings);
    // Let the drift scan take its connection first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let first = fleet_json(&app).await;
    assert_eq!(
        first["bucket_coverage"]["error"],
        "bucket coverage could not be read"
    );

    let before = app.snapshots.stats().snapshot();
    let duration = Duration::from_secs(6);
    let report = load(
        &app.address,
        &["/fleet", "/api/fleet", "/fleet?status=red", "/readyz"],
        32,
        duration,
        bound + Duration::from_secs(10),
    )
    .await;
    let after = app.snapshots.stats().snapshot();
    let snapshot = fleet_json(&app).await;
    lock.release().await;

    assert_eq!(report.timeouts + report.errors, 0, "{report:?}");
    assert_eq!(report.count(200), report.sent, "{}", report.statuses_text());
    assert!(
        report.latencies.max() <= bound,
        "{}",
        report.latencies.summary()
    );
    // Only the slow section is red; processes and delivery are fresh.
    assert_eq!(snapshot["bucket_coverage"]["status"], "red");
    assert!(
        snapshot["delivery"]["error"].is_null(),
        "{}",
        snapshot["delivery"]
    );
    assert_eq!(snapshot["processes"].as_array().map(Vec::len), Some(4));
    let hits = after.cache_hits - before.cache_hits;
    let builds = after.builds_started - before.builds_started;
    // Every cache period is one build (≥ 1 s, the hosts limit) plus the
    // TTL during which everything is a cache hit.
    let periods = duration.as_secs_f64() / (ttl.as_secs_f64() + 1.0);
    assert!(
        (builds as f64) <= periods.ceil() + 1.0,
        "{builds} builds in {duration:?}"
    );
    let fast = report.latencies.percentile(50.0);
    assert!(
        fast < Duration::from_millis(250),
        "most requests are served from the cache at once: {}",
        report.latencies.summary()
    );

    record(
        "pool_exhausted",
        "pool_max 2; both connections held by slow reads (drift scan on a locked sites table, \
         each build's hosts read on a locked hosts table until the 1 s limit); 32 clients for 6 s",
        "no error, no timeout; requests within the cache period answered from the cache at once, \
         the others wait for the one shared build; only the hosts section red",
        &[
            ("requests", report.sent.to_string()),
            ("answers", report.statuses_text()),
            ("latency", report.latencies.summary()),
            ("bound", ms(bound)),
            ("cache hits", hits.to_string()),
            ("builds", builds.to_string()),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_giving_up_on_a_slow_build_do_not_start_more_builds() {
    let db = seeded_db().await;
    // Every build waits ~1.5 s on its hosts read.
    let lock = TableLock::hold(&db, &["jetmon_hosts"]).await;
    let app = spawn_app_on(db.url(), |s| {
        s.database.statement_timeout = Duration::from_millis(1500);
        s.cache.ttl = Duration::ZERO;
    })
    .await;
    let before = app.snapshots.stats().snapshot();
    // 24 clients that hang up after 200 ms, again and again, for 4 s.
    let duration = Duration::from_secs(4);
    let report = load(
        &app.address,
        &["/api/fleet", "/fleet"],
        24,
        duration,
        Duration::from_millis(200),
    )
    .await;
    // Builds still in flight finish on their own.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = app.snapshots.stats().snapshot();
    lock.release().await;
    let builds = after.builds_started - before.builds_started;
    assert!(report.timeouts > 50, "the clients did give up: {report:?}");
    // Builds run one at a time: at most one per 1.5 s (plus one running
    // when the clients stopped).
    let most = (duration.as_secs_f64() / 1.5).ceil() as u64 + 1;
    assert!(
        builds <= most,
        "{builds} builds for {} abandoned requests in {duration:?}",
        report.timeouts
    );
    assert_eq!(
        after.builds_started,
        after.builds_succeeded + after.builds_failed
    );
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    record(
        "abandoned_requests",
        "every build slowed to 1.5 s (hosts table locked), cache off; 24 clients hang up after 200 ms, for 4 s",
        "abandoned requests do not cancel or multiply builds: one build at a time",
        &[
            ("requests abandoned", report.timeouts.to_string()),
            ("builds", format!("{builds} (at most {most})")),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_stop_waiting_for_a_slow_build_after_build_wait_while_one_build_goes_on() {
    let db = seeded_db().await;
    // The first build waits on its hosts read until the statement limit
    // (3 s) cuts it; build_wait is far shorter.
    let lock = TableLock::hold(&db, &["jetmon_hosts"]).await;
    let build_wait = Duration::from_millis(400);
    let app = spawn_app_on(db.url(), |s| {
        s.database.statement_timeout = Duration::from_secs(3);
        s.cache.ttl = Duration::from_secs(60);
        s.cache.build_wait = build_wait;
    })
    .await;

    // 16 concurrent clients, page and API, while the one build is stuck.
    let started = Instant::now();
    let answers = futures_util::future::join_all((0..16).map(|i| {
        let app = &app;
        async move {
            let path = if i % 2 == 0 { "/api/fleet" } else { "/fleet" };
            let t = Instant::now();
            let response = app.get(path).await;
            let status = response.status();
            let retry_after = response.headers().get(RETRY_AFTER).cloned();
            let body = response.text().await.unwrap_or_default();
            (path, status, retry_after, body, t.elapsed())
        }
    }))
    .await;
    let slowest = answers.iter().map(|a| a.4).max().unwrap_or_default();
    for (path, status, retry_after, body, _) in &answers {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
        if *path == "/api/fleet" {
            assert!(retry_after.is_some(), "503 carries Retry-After");
            assert!(!body.contains("jetmon_hosts"), "no database text: {body}");
        }
    }
    assert!(
        slowest < build_wait + Duration::from_millis(1500),
        "every request answered soon after build_wait, slowest {slowest:?}"
    );
    let during = app.snapshots.stats().snapshot();
    assert_eq!(during.builds_started, 1, "one build for all: {during:?}");
    assert!(during.build_waits_exceeded >= 16, "{during:?}");

    // The build goes on without anyone waiting and serves the next request.
    lock.release().await;
    wait_until(Duration::from_secs(10), || async {
        app.snapshots.stats().snapshot().builds_succeeded >= 1
    })
    .await;
    let response = app.get("/api/fleet").await;
    assert_eq!(response.status(), StatusCode::OK);
    let after = app.snapshots.stats().snapshot();
    assert_eq!(after.builds_started, 1, "served from the finished build");

    record(
        "build_wait",
        "first build held ~3 s by a locked jetmon_hosts (statement limit 3 s); build_wait 400 ms; 16 concurrent clients",
        "every request answered 503 (API, with Retry-After) or the error/stale page at build_wait; the one build went on and served the next request",
        &[
            ("requests", answers.len().to_string()),
            ("slowest answer", ms(slowest)),
            ("builds", after.builds_started.to_string()),
            ("elapsed", ms(started.elapsed())),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drift_result_for_the_old_bucket_total_is_not_served_after_a_reload() {
    let db = seeded_db().await;
    let app = spawn_app_on(db.url(), |s| {
        s.cache.ttl = Duration::ZERO;
        s.cache.drift_interval = Duration::from_secs(3600);
        s.database.drift_statement_timeout = Duration::from_secs(5);
    })
    .await;
    app.wait_for_drift().await;
    let before = fleet_json(&app).await;
    assert!(before["projection_drift"]["checked_at"].is_string());

    // The rescan for the new total waits on the locked sites table, so
    // the old result is all there is while the new one is pending.
    let lock = TableLock::hold(&db, &["jetpack_monitor_sites"]).await;
    let mut settings = app.settings.clone();
    settings.fleet.bucket_total = 500;
    app.snapshots
        .apply(fleetd::snapshots::LiveConfig::from_settings(&settings));
    let after = fleet_json(&app).await;
    lock.release().await;

    assert_eq!(after["bucket_coverage"]["bucket_total"], 500);
    assert_eq!(
        after["projection_drift"]["status"], "amber",
        "the result counted buckets of the old total: {}",
        after["projection_drift"]
    );
    assert_eq!(after["projection_drift"]["error"], "not checked yet");
}

/// The most a health, readiness or metrics answer may take under any
/// database fault (issue 15, item 4).
const PROBE_LIMIT: Duration = Duration::from_millis(100);

/// `fleetd_snapshot_available` and whether the fleet series are present.
async fn availability(app: &TestApp) -> (bool, bool) {
    let text = metrics_text(&app.client, &app.address)
        .await
        .expect("/metrics answers 200");
    let available = text.lines().any(|l| l == "fleetd_snapshot_available 1");
    (available, text.contains("fleetd_fleet_status"))
}

/// Probes `/healthz`, `/readyz` and `/metrics` every 50 ms while the
/// database misbehaves: every answer within [`PROBE_LIMIT`]; ready while the
/// last good snapshot is within `ttl + ready_grace`, not ready after; ready
/// again once the database is back.
async fn probes_answer_at_once_under(fault: Mode, scenario: &str, injected: &str) {
    let grace = Duration::from_secs(2);
    let (_db, proxy, app) = proxied(Mode::Forward, |s| {
        s.cache.ready_grace = grace;
    })
    .await;
    assert_eq!(app.get("/api/fleet").await.status(), StatusCode::OK);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    assert_eq!(availability(&app).await, (true, true));
    let ready_for = app.settings.cache.ttl + grace;
    // The newest good snapshot and its age (a build under way when the
    // fault starts may still finish).
    let good = || {
        let good = app.snapshots.last_good().expect("a good snapshot");
        (good.built_instant, good.built_instant.elapsed())
    };

    proxy.set_mode(fault).await;
    let faulted = Instant::now();
    let mut latencies = crate::support::Latencies::default();
    let mut ready_while_recent = 0;
    let mut unready_after = 0;
    let mut unavailable_seen = false;
    while faulted.elapsed() < ready_for + Duration::from_secs(2) {
        for path in ["/healthz", "/readyz", "/metrics"] {
            let (built_before, age_before) = good();
            let (response, took) = timed(app.get(path)).await;
            let (built_after, age_after) = good();
            latencies.push(took);
            assert!(
                took <= PROBE_LIMIT,
                "{path} took {took:?} (limit {PROBE_LIMIT:?}) {:?} into the fault",
                faulted.elapsed()
            );
            let status = response.status();
            let body = response.text().await.expect("body");
            match path {
                "/healthz" => assert_eq!(status, StatusCode::OK),
                "/metrics" => {
                    assert_eq!(status, StatusCode::OK);
                    let available = body.lines().any(|l| l == "fleetd_snapshot_available 1");
                    // Once a build failed, the old fleet is not repeated.
                    assert_eq!(available, body.contains("fleetd_fleet_status"), "{body}");
                    unavailable_seen |= !available;
                }
                // (A probe during which a new snapshot arrived proves nothing.)
                _ if built_before != built_after => {}
                _ => {
                    if age_after < ready_for {
                        assert_eq!(status, StatusCode::OK, "ready within the grace: {body}");
                        ready_while_recent += 1;
                    } else if age_before > ready_for {
                        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
                        unready_after += 1;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready_while_recent > 0 && unready_after > 0);
    assert!(
        unavailable_seen,
        "a failed build shows as fleetd_snapshot_available 0"
    );

    proxy.set_mode(Mode::Forward).await;
    let healed = Instant::now();
    wait_until(Duration::from_secs(20), || async {
        app.get("/readyz").await.status() == StatusCode::OK
    })
    .await;
    let ready_again = healed.elapsed();
    wait_until(Duration::from_secs(10), || async {
        availability(&app).await == (true, true)
    })
    .await;

    record(
        scenario,
        injected,
        "`/healthz`, `/readyz`, `/metrics` answer from state, never waiting for a build: all within 100 ms; \
         readyz 200 while the last good snapshot is younger than ttl + ready_grace, 503 after, 200 again \
         once the database is back; /metrics 200 with `fleetd_snapshot_available 0` and no fleet series once \
         a build failed",
        &[
            ("probes", format!("{} ({})", latencies.len(), latencies.summary())),
            ("ready window", format!("ttl {} + grace {}", ms(app.settings.cache.ttl), ms(grace))),
            (
                "readyz answers",
                format!("{ready_while_recent}× 200 within the window, {unready_after}× 503 after it"),
            ),
            ("ready again after the database returned", ms(ready_again)),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_answer_within_100_ms_from_a_black_holed_database() {
    probes_answer_at_once_under(
        Mode::BlackHole,
        "readiness_black_hole",
        "proxy black-holes the database (accepts, never answers) for ttl + ready_grace + 2 s; \
         probes every 50 ms",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_answer_within_100_ms_from_a_slow_database() {
    probes_answer_at_once_under(
        Mode::Delay(Duration::from_secs(2)),
        "readiness_slow",
        "proxy delays every reply by 2 s (beyond the 500 ms statement limit + 1 s margin) for \
         ttl + ready_grace + 2 s; probes every 50 ms",
    )
    .await;
}
