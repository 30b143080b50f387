//! The reader cannot hurt the database or hang fleetd: read-only UTC
//! sessions, statement limits, client-side bounds, per-section failure, and
//! index use on large tables.

mod common;

use common::*;
use fleet_core::{DeliveryKind, DriftInput, Status, Unreadable};
use fleet_sql::testing::ScratchDb;
use fleet_sql::{delivery_query, drift_query_body, section, ServerFlavor, SqlError};
use mysql_async::{params, Value};
use std::time::{Duration, Instant};

#[tokio::test]
async fn sessions_are_utc_read_only_and_time_limited_even_after_a_pool_reset() {
    let db = scratch().await;
    // One connection, so the second probe gets the first one back after
    // the pool has reset it.
    let reader = reader_with(&db, |s| {
        s.pool_max = 1;
        s.statement_timeout = Duration::from_millis(2500);
    });
    let first = reader.probe_session().await.expect("probe");
    let second = reader.probe_session().await.expect("probe");
    assert_eq!(
        first.connection_id, second.connection_id,
        "same pooled connection"
    );
    assert_eq!(first.marker_from_earlier_probe, None);
    assert_eq!(
        second.marker_from_earlier_probe, None,
        "the pool resets connections between uses"
    );
    for probe in [first, second] {
        assert_eq!(probe.time_zone, "+00:00");
        assert!(probe.read_only);
        assert_eq!(probe.statement_limit, Some(Duration::from_millis(2500)));
    }
    assert!(reader.server_flavor().is_some());
    db.drop().await.expect("drop");
}

#[tokio::test]
async fn the_session_refuses_writes() {
    let db = scratch().await;
    let reader = reader(&db);
    let err = reader
        .select_for_test(
            "INSERT INTO jetmon_hosts (host_id, bucket_min, bucket_max) VALUES ('x', 0, 1)",
        )
        .await
        .expect_err("a read-only session must refuse writes");
    assert!(matches!(err, SqlError::Db { .. }), "{err}");
    let rows = db
        .value("SELECT COUNT(*) FROM jetmon_hosts")
        .await
        .expect("count");
    assert_eq!(rows, Value::Int(0));
    db.drop().await.expect("drop");
}

#[tokio::test]
async fn a_statement_over_the_limit_is_cut_off_by_the_server_and_the_pool_stays_usable() {
    let db = scratch().await;
    let reader = reader_with(&db, |s| {
        s.pool_max = 1;
        s.statement_timeout = Duration::from_millis(300);
    });
    let started = Instant::now();
    let result = within(
        Duration::from_secs(5),
        reader.select_for_test("SELECT SLEEP(10)"),
    )
    .await;
    let elapsed = started.elapsed();
    // MariaDB interrupts SLEEP with an error; MySQL's max_execution_time
    // makes SLEEP return 1 early instead. Either way it ends at the limit.
    if reader.server_flavor() == Some(ServerFlavor::MariaDb) {
        let err = result.expect_err("SLEEP(10) must not complete");
        assert!(err.is_timeout(), "{err}");
        assert!(
            matches!(err, SqlError::Db { .. }),
            "the server, not the client, cut it: {err}"
        );
    }
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    // The single pooled connection is usable afterwards.
    let fleet = within(Duration::from_secs(10), reader.read_fleet(&thresholds()))
        .await
        .expect("read after a cut-off statement");
    assert!(fleet.timings.iter().all(|t| t.ok));
    db.drop().await.expect("drop");
}

/// Inserts `n` rows (n a power of ten, up to 10^6) into `table` using a
/// digits cross join; `select` is the SELECT list over `i` (0-based).
async fn insert_numbers(db: &ScratchDb, table_and_columns: &str, select: &str, n: u32) {
    let digits = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 \
                  UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
    let places = n.ilog10();
    let mut from = Vec::new();
    let mut index = Vec::new();
    for p in 0..places {
        from.push(format!("{digits} AS d{p}"));
        index.push(format!("d{p}.d * {}", 10u32.pow(p)));
    }
    exec(
        db,
        &format!(
            "INSERT INTO {table_and_columns} SELECT {select} FROM (SELECT {} AS i FROM {}) AS n;",
            index.join(" + "),
            from.join(" CROSS JOIN ")
        ),
    )
    .await;
}

#[tokio::test]
async fn the_drift_scan_is_cut_off_by_its_own_limit_and_the_pool_stays_usable() {
    let db = scratch().await;
    insert_numbers(
        &db,
        "jetpack_monitor_sites (blog_id, bucket_no, monitor_active, site_status)",
        "i + 1, i % 1000, 1, IF(i % 97 = 0, 0, 1)",
        100_000,
    )
    .await;
    let reader = reader_with(&db, |s| {
        s.pool_max = 2;
        s.drift_statement_timeout = Duration::from_millis(1);
    });
    let started = Instant::now();
    let err = within(Duration::from_secs(10), reader.read_drift(1000))
        .await
        .expect_err("a 1 ms limit cannot cover 100,000 sites");
    assert!(err.is_timeout(), "{err}");
    assert!(
        matches!(err, SqlError::Db { .. }),
        "the server cut it: {err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    // Ordinary reads still work, and the drift scan's own limit did not
    // leak into the session.
    let fleet = reader
        .read_fleet(&thresholds())
        .await
        .expect("read after cut-off");
    assert!(fleet.timings.iter().all(|t| t.ok));
    let probe = reader.probe_session().await.expect("probe");
    assert_eq!(
        probe.statement_limit,
        Some(fleet_sql::DbSettings::DEFAULT_STATEMENT_TIMEOUT)
    );
    // With its normal limit the same scan finishes.
    let generous = reader_with(&db, |_| {});
    let drift = generous.read_drift(1000).await.expect("drift");
    let total: u64 = drift.causes.iter().map(|(_, n)| n).sum();
    let expected = (0..100_000u64).filter(|i| i % 97 == 0).count() as u64;
    assert_eq!(total, expected);
    db.drop().await.expect("drop");
}

#[tokio::test]
async fn a_black_holed_server_cannot_hang_a_read_and_its_connections_are_not_reused() {
    let db = scratch().await;
    let proxy = BlackHoleProxy::start(server_addr()).await;
    let mut settings = settings_via(&db, proxy.addr);
    settings.pool_max = 1;
    settings.connect_timeout = Duration::from_millis(700);
    settings.statement_timeout = Duration::from_millis(300);
    let reader = fleet_sql::FleetReader::new(settings).expect("reader");
    reader
        .read_fleet(&thresholds())
        .await
        .expect("read through the proxy");

    proxy.freeze();
    let started = Instant::now();
    let err = within(Duration::from_secs(10), reader.read_fleet(&thresholds()))
        .await
        .expect_err("nothing can be read from a black hole");
    assert!(err.is_timeout(), "{err}");
    // statement limit + client margin, plus scheduling slack.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );

    // The only pool slot was held by the black-holed connection; it must be
    // discarded (not drained, not reset, not reused) for this to work.
    proxy.thaw();
    let fleet = within(Duration::from_secs(10), reader.read_fleet(&thresholds()))
        .await
        .expect("read after the network recovered");
    assert!(fleet.timings.iter().all(|t| t.ok));
    within(Duration::from_secs(5), reader.close()).await;
    db.drop().await.expect("drop");
}

#[tokio::test]
async fn a_server_that_never_greets_times_out_the_connect() {
    init_logs();
    let (addr, _server) = silent_server().await;
    let mut settings =
        fleet_sql::DbSettings::new(format!("mysql://u:pw@{addr}/db?prefer_socket=false"));
    settings.connect_timeout = Duration::from_millis(500);
    let reader = fleet_sql::FleetReader::new(settings).expect("reader");
    let started = Instant::now();
    let err = within(Duration::from_secs(5), reader.read_fleet(&thresholds()))
        .await
        .expect_err("no server, no read");
    assert!(matches!(err, SqlError::CheckoutTimeout { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(!err.to_string().contains("pw"), "{err}");
}

#[tokio::test]
async fn a_missing_table_fails_only_its_own_section() {
    let db = scratch().await;
    exec(
        &db,
        &[
            process_sql("jetmon-a", "monitor", &[("bucket_ownership", "'dynamic'")]),
            "DROP TABLE jetmon_hosts; DROP TABLE jetmon_webhook_deliveries;".to_string(),
            "INSERT INTO jetmon_alert_deliveries (alert_contact_id, transition_id, event_id, event_type, severity, payload, status, created_at) \
             VALUES (1, 1, 1, 'down', 2, '{}', 'pending', NOW());"
                .to_string(),
        ]
        .concat(),
    )
    .await;
    let reader = reader(&db);
    let fleet = reader
        .read_fleet(&thresholds())
        .await
        .expect("processes still read");
    assert_eq!(fleet.processes.len(), 1);
    assert_eq!(fleet.hosts, Err(Unreadable));
    assert_eq!(fleet.delivery[0].kind, DeliveryKind::Webhook);
    assert_eq!(fleet.delivery[0].counts, Err(Unreadable));
    assert_eq!(fleet.delivery[1].counts.as_ref().map(|c| c.pending), Ok(1));
    let failed: Vec<&str> = fleet
        .timings
        .iter()
        .filter(|t| !t.ok)
        .map(|t| t.section)
        .collect();
    assert_eq!(failed, [section::HOSTS, section::WEBHOOK_DELIVERIES]);

    let (now, input) = fleet.into_input(DriftInput::NotCheckedYet);
    let snap = fleet_core::build_snapshot(&input, now, &thresholds());
    assert_eq!(snap.bucket_coverage.status, Status::Red);
    assert_eq!(snap.delivery.status, Status::Red);
    // Generic errors only: no server text in the snapshot.
    let text = snapshot_text(&snap);
    assert!(
        !text.contains("doesn't exist") && !text.contains("1146"),
        "{text}"
    );

    // Without the process-health table there is no snapshot at all, and
    // without the events table no drift figure.
    exec(
        &db,
        "DROP TABLE jetmon_process_health; DROP TABLE jetmon_events;",
    )
    .await;
    assert!(reader.read_fleet(&thresholds()).await.is_err());
    assert!(reader.read_drift(1000).await.is_err());
    db.drop().await.expect("drop");
}

/// Every string the snapshot carries (its Debug form holds them all).
fn snapshot_text(snap: &fleet_core::FleetSnapshot) -> String {
    format!("{snap:?}")
}

// ------------------------------------------------------------------ EXPLAIN

/// EXPLAIN rows as (table, type, key, extra).
async fn explain(db: &ScratchDb, sql: &str, params: mysql_async::Params) -> Vec<[String; 4]> {
    let rows = db
        .query(&format!("EXPLAIN {sql}"), params)
        .await
        .unwrap_or_else(|e| panic!("EXPLAIN failed: {e}\n{sql}"));
    rows.into_iter()
        .map(|mut row| {
            let mut col = |name: &str| match row.take_opt::<Value, _>(name) {
                Some(Ok(Value::Bytes(b))) => String::from_utf8_lossy(&b).into_owned(),
                Some(Ok(Value::NULL)) | None => String::new(),
                Some(Ok(other)) => format!("{other:?}"),
                Some(Err(e)) => format!("{e:?}"),
            };
            [col("table"), col("type"), col("key"), col("Extra")]
        })
        .collect()
}

#[tokio::test]
async fn no_delivery_branch_scans_a_whole_table() {
    let db = scratch().await;
    // History like production: mostly delivered rows over weeks, a few
    // pending, failed and abandoned ones.
    for (kind, columns, owner) in [
        (
            DeliveryKind::Webhook,
            "jetmon_webhook_deliveries (webhook_id, transition_id, event_id, event_type, payload, status, next_attempt_at, last_attempt_at, delivered_at, created_at)",
            "i % 50, i",
        ),
        (
            DeliveryKind::Alert,
            "jetmon_alert_deliveries (alert_contact_id, transition_id, event_id, event_type, payload, status, next_attempt_at, last_attempt_at, delivered_at, created_at, severity)",
            "i % 50, i",
        ),
    ] {
        let severity = if kind == DeliveryKind::Alert { ", 2" } else { "" };
        insert_numbers(
            &db,
            columns,
            &format!(
                "{owner}, i, 'down', '{{}}', \
                 ELT(1 + (i % 100 < 95) * 1 + (i % 100 >= 95) * (1 + i % 4), 'x', 'delivered', 'pending', 'failed', 'abandoned', 'delivered'), \
                 IF(i % 2 = 0, NULL, NOW() - INTERVAL (i % 600) SECOND + INTERVAL 300 SECOND), \
                 IF(i % 3 = 0, NULL, NOW() - INTERVAL i MINUTE), \
                 NOW() - INTERVAL i MINUTE, NOW() - INTERVAL i MINUTE{severity}"
            ),
            10_000,
        )
        .await;
    }
    exec(
        &db,
        "ANALYZE TABLE jetmon_webhook_deliveries, jetmon_alert_deliveries;",
    )
    .await;
    let statuses = db
        .value("SELECT COUNT(DISTINCT status) FROM jetmon_webhook_deliveries")
        .await
        .expect("statuses");
    assert_eq!(statuses, Value::Int(4), "the data covers every status");

    let reader = reader(&db);
    let now = reader.read_now().await.expect("now").naive_utc();
    let cutoff = now - chrono::TimeDelta::seconds(900);
    for kind in DeliveryKind::ALL {
        let plan = explain(
            &db,
            &delivery_query(kind),
            params! { "now" => now, "cutoff" => cutoff },
        )
        .await;
        eprintln!("{kind:?} delivery plan:");
        for row in &plan {
            eprintln!("  {row:?}");
        }
        let table_rows: Vec<_> = plan.iter().filter(|r| r[0] == kind.table()).collect();
        assert!(!table_rows.is_empty(), "{plan:?}");
        for [table, access, key, extra] in &plan {
            if table.is_empty() || table.starts_with('<') {
                // Optimised away ("No matching min/max row", "Select tables
                // optimized away") or the union's own result.
                assert!(
                    access.is_empty() || access == "ALL" && table.starts_with("<union"),
                    "{plan:?}"
                );
                continue;
            }
            assert_ne!(access, "ALL", "full scan of {table}: {plan:?}");
            assert_ne!(access, "index", "full index scan of {table}: {plan:?}");
            assert!(
                key.starts_with("idx_status_"),
                "{table} uses {key:?}, {extra}: {plan:?}"
            );
        }
    }
    db.drop().await.expect("drop");
}

#[tokio::test]
async fn the_drift_scan_reads_sites_once_and_only_open_events_by_index() {
    let db = scratch().await;
    insert_numbers(
        &db,
        "jetpack_monitor_sites (blog_id, bucket_no, monitor_active, site_status)",
        "i + 1, i % 1000, i % 10 <> 0, IF(i % 97 = 0, 0, 1)",
        100_000,
    )
    .await;
    // Mostly closed history, a few open events.
    insert_numbers(
        &db,
        "jetmon_events (blog_id, endpoint_id, check_type, severity, state, started_at, ended_at)",
        "i % 20000 + 1, i, IF(i % 5 = 0, 'dns', 'http'), 2, IF(i % 2 = 0, 'Down', 'Seems Down'), \
         NOW(3) - INTERVAL i MINUTE, IF(i % 100 = 0, NULL, NOW(3) - INTERVAL i SECOND)",
        100_000,
    )
    .await;
    exec(&db, "ANALYZE TABLE jetpack_monitor_sites, jetmon_events;").await;

    let plan = explain(
        &db,
        &format!("SELECT {}", drift_query_body()),
        params! { "bucket_total" => 1000u32 },
    )
    .await;
    eprintln!("drift plan:");
    for row in &plan {
        eprintln!("  {row:?}");
    }
    let row_for = |table: &str| {
        plan.iter()
            .find(|r| r[0] == table)
            .unwrap_or_else(|| panic!("no {table} in {plan:?}"))
    };
    // Open events only, through the index that holds exactly them.
    let events = row_for("jetmon_events");
    assert_eq!(events[2], "uk_open_dedup", "{plan:?}");
    assert_eq!(events[1], "range", "{plan:?}");
    // The per-blog aggregate is looked up by key for each site, never
    // joined by scanning.
    let derived = plan
        .iter()
        .find(|r| r[0].starts_with("<derived"))
        .unwrap_or_else(|| panic!("no derived table in {plan:?}"));
    assert_eq!(derived[1], "ref", "{plan:?}");
    // The sites table is read once, and nothing else is scanned whole.
    assert_eq!(plan.iter().filter(|r| r[0] == "s").count(), 1, "{plan:?}");
    for [table, access, _, extra] in &plan {
        if table != "s" {
            assert_ne!(access, "ALL", "{plan:?}");
        } else {
            assert!(!extra.contains("temporary"), "{plan:?}");
        }
    }

    let reader = reader(&db);
    let drift = reader.read_drift(1000).await.expect("drift");
    assert!(!drift.causes.is_empty());
    db.drop().await.expect("drop");
}

#[tokio::test]
async fn a_scratch_database_is_dropped_even_when_the_test_panics() {
    init_logs();
    let name = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (tx, rx) = std::sync::mpsc::channel();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                let db = ScratchDb::create().await.expect("create");
                tx.send(db.name().to_string()).expect("send");
                panic!("test failure while the scratch database exists");
            })
        }));
        assert!(result.is_err());
        rx.recv().expect("name")
    })
    .join()
    .expect("thread");
    let admin = ScratchDb::create_without_schema().await.expect("admin");
    let left = admin
        .query(
            "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            mysql_async::Params::Positional(vec![name.clone().into()]),
        )
        .await
        .expect("query");
    let count = left
        .into_iter()
        .next()
        .and_then(|mut r| r.take::<i64, _>(0))
        .expect("count");
    assert_eq!(count, 0, "{name} was left behind");
    admin.drop().await.expect("drop");
}

#[tokio::test]
async fn the_password_setting_overrides_the_url_password() {
    let db = scratch().await;
    let opts = mysql_async::Opts::from_url(db.url()).expect("url");
    let user = opts.user().unwrap_or("root");
    let real = opts.pass().unwrap_or("").to_string();
    let addr = server_addr();
    let mut settings = fleet_sql::DbSettings::new(format!(
        "mysql://{user}:certainly-wrong@{addr}/{}?prefer_socket=false",
        db.name()
    ));
    let wrong = fleet_sql::FleetReader::new(settings.clone()).expect("reader");
    let err = wrong
        .read_fleet(&thresholds())
        .await
        .expect_err("wrong URL password");
    assert!(!err.to_string().contains("certainly-wrong"), "{err}");
    settings.password = Some(real);
    let reader = fleet_sql::FleetReader::new(settings).expect("reader");
    reader
        .read_fleet(&thresholds())
        .await
        .expect("the override wins");
    db.drop().await.expect("drop");
}

/// The local server's unix socket (Debian's MariaDB default).
const LOCAL_SOCKET: &str = "/run/mysqld/mysqld.sock";

#[tokio::test]
async fn a_reader_built_from_discrete_settings_connects_through_the_unix_socket() {
    let socket = LOCAL_SOCKET;
    assert!(
        std::path::Path::new(socket).exists(),
        "precondition missing: this test needs a local MySQL/MariaDB listening on the unix \
         socket {socket} (account root without a password); nothing is there"
    );
    // The scratch database is made through the socket too, so that it is on
    // the socket's server whichever server FLEETD_TEST_DATABASE_URL names.
    init_logs();
    let db = ScratchDb::create_at(
        &format!("mysql://root@localhost/test?socket={socket}"),
        true,
    )
    .await
    .unwrap_or_else(|e| panic!("cannot create a scratch database through {socket}: {e}"));
    let address = fleet_sql::DbAddress {
        // A host that does not resolve: only the socket can connect.
        host: "fleetd-no-such-host.invalid".into(),
        port: 3306,
        socket: Some(socket.into()),
        user: "root".into(),
        database: db.name().to_owned(),
    };
    let reader = fleet_sql::FleetReader::new(fleet_sql::DbSettings::from_address(&address, None))
        .expect("settings are valid");
    reader
        .read_now()
        .await
        .expect("the socket connection reads the clock");
    let processes = reader.read_processes().await.expect("processes read");
    assert!(processes.is_empty(), "a fresh scratch database");
    db.drop().await.expect("drop the scratch database");
}
