//! The runbook's SQL is tested: every statement of the ```sql blocks of
//! `docs/operations.md` ("Direct SQL checks") runs, as written, against a
//! scratch database seeded with a known fleet, and what it returns must
//! agree with what fleetd reports for the same data (`/api/fleet`). A
//! statement the test does not know is a failure, so a query added to the
//! runbook gets a check, and a query that stops matching fleetd fails CI.
//!
//! The session notes of `docs/fleet-sql-notes.md` ("Sessions") are checked
//! the same way: the MariaDB statements it lists run, and a fleetd pooled
//! connection reports the session they set.

use crate::helpers::{spawn_app_on, TestApp};
use crate::support::{doc_section, repo_file};
use fleet_core::site_drift::{classify, SiteEvent};
use fleet_sql::testing::ScratchDb;
use mysql_async::prelude::Queryable;
use mysql_async::Row;
use serde_json::Value;

const RUNBOOK: &str = "docs/operations.md";
const SQL_NOTES: &str = "docs/fleet-sql-notes.md";

/// A fleet with something for every runbook query to find, each thing on
/// the boundary the runbook's wording could get wrong: a stale monitor, an
/// `idle` and a `stopped` deliverer with workers enabled (only the idle one
/// is active), a gap and an overlap in `jetmon_hosts`, pending rows due and
/// not due, failed and abandoned rows attempted in the window, never
/// attempted but created in it, and outside it, a red dependency and one
/// drifting site (12345, the runbook's example).
const SEED: &str = r#"
INSERT INTO jetmon_process_health
  (process_id, host_id, process_type, pid, version, state, health_status,
   started_at, updated_at, bucket_ownership, delivery_workers_enabled,
   delivery_owner_host, worker_count, rss_mem_mb, dependency_health)
VALUES
  ('mon-a:monitor', 'mon-a', 'monitor', 101, '2.1.0', 'running', 'green',
   NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 5 SECOND, 'dynamic jetmon_hosts', 0, '', 50, 120,
   '[{"name":"mysql","status":"green","latency_ms":2,"checked_at":"2026-01-01T00:00:00Z"}]'),
  ('mon-b:monitor', 'mon-b', 'monitor', 102, '2.1.0', 'running', 'amber',
   NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 7 SECOND, 'dynamic jetmon_hosts', 0, '', 50, 130,
   '[{"name":"wpcom","status":"red","last_error":"timeout","checked_at":"2026-01-01T00:00:00Z"},{"name":"mysql","status":"green","checked_at":"2026-01-01T00:00:00Z"}]'),
  ('mon-c:monitor', 'mon-c', 'monitor', 103, '2.1.0', 'running', 'green',
   NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 20 MINUTE, 'dynamic jetmon_hosts', 0, '', 50, 110,
   '[{"name":"wpcom","status":"red","checked_at":"2026-01-01T00:00:00Z"}]'),
  ('mon-d:monitor', 'mon-d', 'monitor', 104, '2.1.0', 'running', 'green',
   NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 3 SECOND, 'dynamic jetmon_hosts', 0, '', 50, 110, NULL),
  ('del-a:deliverer', 'del-a', 'deliverer', 201, '2.1.0', 'running', 'green',
   NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 4 SECOND, '', 1, 'del-a', 8, 90, '[]'),
  ('del-b:deliverer', 'del-b', 'deliverer', 202, '2.1.0', 'idle', 'green',
   NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 4 SECOND, '', 1, 'del-a', 8, 90, '[]'),
  ('del-c:deliverer', 'del-c', 'deliverer', 203, '2.1.0', 'stopped', 'green',
   NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 4 SECOND, '', 1, 'del-a', 8, 90, '[]');
INSERT INTO jetmon_hosts (host_id, bucket_min, bucket_max, last_heartbeat, status) VALUES
  ('mon-a', 0, 299, NOW() - INTERVAL 5 SECOND, 'active'),
  ('mon-b', 300, 499, NOW() - INTERVAL 7 SECOND, 'active'),
  ('mon-c', 450, 699, NOW() - INTERVAL 20 MINUTE, 'active'),
  ('mon-d', 750, 999, NOW() - INTERVAL 3 SECOND, 'active');
INSERT INTO jetmon_webhook_deliveries
  (webhook_id, transition_id, event_id, event_type, payload, status, attempt,
   next_attempt_at, last_attempt_at, created_at)
VALUES
  (1, 1, 1, 'site_down', '{}', 'pending', 0, NULL, NULL, NOW() - INTERVAL 1 MINUTE),
  (1, 2, 2, 'site_down', '{}', 'pending', 1, NOW() - INTERVAL 10 SECOND, NOW() - INTERVAL 70 SECOND, NOW() - INTERVAL 2 MINUTE),
  (1, 3, 3, 'site_down', '{}', 'pending', 2, NOW() + INTERVAL 1 HOUR, NOW() - INTERVAL 30 SECOND, NOW() - INTERVAL 3 MINUTE),
  (2, 4, 4, 'site_up', '{}', 'failed', 3, NULL, NOW() - INTERVAL 2 MINUTE, NOW() - INTERVAL 2 HOUR),
  (2, 5, 5, 'site_up', '{}', 'failed', 0, NULL, NULL, NOW() - INTERVAL 3 MINUTE),
  (2, 6, 6, 'site_up', '{}', 'abandoned', 9, NULL, NOW() - INTERVAL 4 MINUTE, NOW() - INTERVAL 3 HOUR),
  (2, 7, 7, 'site_up', '{}', 'abandoned', 0, NULL, NULL, NOW() - INTERVAL 1 HOUR),
  (2, 8, 8, 'site_up', '{}', 'failed', 5, NULL, NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 3 HOUR);
INSERT INTO jetmon_alert_deliveries
  (alert_contact_id, transition_id, event_id, event_type, severity, payload, status,
   next_attempt_at, created_at)
VALUES
  (1, 1, 1, 'site_down', 4, '{}', 'pending', NULL, NOW() - INTERVAL 5 MINUTE),
  (1, 2, 2, 'site_down', 4, '{}', 'pending', NOW() + INTERVAL 10 MINUTE, NOW() - INTERVAL 6 MINUTE);
INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_active, site_status) VALUES
  (1, 1, 1, 1),
  (2, 2, 1, 2),
  (12345, 45, 1, 1);
INSERT INTO jetmon_events (blog_id, check_type, severity, state, started_at) VALUES
  (2, 'http', 4, 'Down', NOW() - INTERVAL 1 HOUR),
  (12345, 'http', 4, 'Down', NOW() - INTERVAL 10 MINUTE);
"#;

/// One statement of a runbook block: the `--` comment lines before it (its
/// title is the first) and the SQL as an operator would paste it.
#[derive(Debug)]
struct Statement {
    title: String,
    sql: String,
}

/// Every statement of every ```sql block of `lines`, in order.
fn statements(lines: &[&str]) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut comments: Vec<String> = Vec::new();
    let mut sql = String::new();
    for line in lines {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_block = !in_block && trimmed == "```sql";
            continue;
        }
        if !in_block {
            continue;
        }
        if sql.is_empty() {
            if let Some(comment) = trimmed.strip_prefix("--") {
                comments.push(comment.trim().to_owned());
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
        }
        sql.push_str(line);
        sql.push('\n');
        // A statement ends with `;` at the end of a line (a trailing `--`
        // comment aside).
        let code = trimmed.split("--").next().unwrap_or_default().trim_end();
        if code.ends_with(';') {
            out.push(Statement {
                title: comments.first().cloned().unwrap_or_default(),
                sql: std::mem::take(&mut sql),
            });
            comments.clear();
        }
    }
    assert!(sql.trim().is_empty(), "a statement without `;`: {sql}");
    out
}

fn int(row: &Row, column: &str) -> Option<i64> {
    row.get_opt::<Option<i64>, _>(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .unwrap_or_else(|e| panic!("column {column}: {e}"))
}

fn text(row: &Row, column: &str) -> Option<String> {
    row.get_opt::<Option<String>, _>(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .unwrap_or_else(|e| panic!("column {column}: {e}"))
}

fn u(value: &Value, pointer: &str) -> i64 {
    value
        .pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("/api/fleet has no integer at {pointer}"))
}

/// The delivery table entry of `kind` in the snapshot.
fn delivery_table<'a>(snapshot: &'a Value, kind: &str) -> &'a Value {
    snapshot["delivery"]["tables"]
        .as_array()
        .and_then(|tables| tables.iter().find(|t| t["kind"] == kind))
        .unwrap_or_else(|| panic!("no delivery table {kind}"))
}

async fn seeded_fleetd() -> (ScratchDb, TestApp, Value) {
    let db = ScratchDb::create().await.expect("a scratch database");
    db.exec(SEED).await.expect("seed the runbook fleet");
    let app = spawn_app_on(db.url(), |_| {}).await;
    app.wait_for_drift().await;
    let response = app.get("/api/fleet").await;
    assert_eq!(response.status(), 200);
    let snapshot: Value = response.json().await.expect("JSON");
    (db, app, snapshot)
}

/// Runs one runbook statement (and, for the queue queries the runbook says
/// are "the same for jetmon_alert_deliveries", that variant too) and checks
/// it against the snapshot. Returns false for a statement it does not know.
async fn check(conn: &mut mysql_async::Conn, statement: &Statement, snapshot: &Value) -> bool {
    let title = statement.title.as_str();
    let rows: Vec<Row> = conn
        .query(statement.sql.as_str())
        .await
        .unwrap_or_else(|e| panic!("runbook query {title:?} fails: {e}\n{}", statement.sql));
    let names = |rows: &[Row], column: &str| -> Vec<String> {
        rows.iter()
            .map(|r| text(r, column).unwrap_or_default())
            .collect()
    };
    match title {
        t if t.starts_with("Processes, oldest heartbeat first") => {
            assert_eq!(
                rows.len() as i64,
                u(snapshot, "/summary/monitor_processes")
                    + u(snapshot, "/summary/deliverer_processes")
            );
            let stale: Vec<String> = rows
                .iter()
                .filter(|r| int(r, "stale") == Some(1))
                .map(|r| text(r, "process_id").unwrap_or_default())
                .collect();
            let fleetd_stale: Vec<String> = snapshot["processes"]
                .as_array()
                .expect("processes")
                .iter()
                .filter(|p| p["stale"] == true)
                .map(|p| p["process_id"].as_str().unwrap_or_default().to_owned())
                .collect();
            assert_eq!(stale, fleetd_stale, "{title}: the stale processes");
            assert_eq!(stale.len() as i64, u(snapshot, "/summary/stale_processes"));
        }
        t if t.starts_with("Bucket coverage") => {
            let coverage = &snapshot["bucket_coverage"];
            assert_eq!(
                rows.len() as i64,
                u(coverage, "/host_count"),
                "{title}: rows"
            );
            let findings = coverage["findings"].as_array().expect("findings");
            let count = |kind: &str| findings.iter().filter(|f| f["kind"] == kind).count();
            let gaps = rows
                .iter()
                .filter(|r| int(r, "gap_before").is_some_and(|g| g > 0))
                .count();
            let overlaps = rows
                .iter()
                .filter(|r| int(r, "gap_before").is_some_and(|g| g < 0))
                .count();
            // Interior gaps only: the runbook checks both ends separately.
            let total = i64::from(u(coverage, "/bucket_total") as i32);
            let first = rows
                .first()
                .map(|r| int(r, "bucket_min").unwrap_or_default());
            let last = rows.iter().filter_map(|r| int(r, "bucket_max")).max();
            let edge_gaps = usize::from(first != Some(0)) + usize::from(last != Some(total - 1));
            assert_eq!(
                gaps + edge_gaps,
                count("gap"),
                "{title}: gaps (gap_before > 0)"
            );
            assert_eq!(
                overlaps,
                count("overlap"),
                "{title}: overlaps (gap_before < 0)"
            );
            assert!(gaps > 0 && overlaps > 0, "the seeded fleet has both");
        }
        t if t.starts_with("Delivery posture") => {
            let active: Vec<String> = rows
                .iter()
                .filter(|r| int(r, "active") == Some(1))
                .map(|r| text(r, "host_id").unwrap_or_default())
                .collect();
            assert_eq!(
                active.len() as i64,
                u(snapshot, "/delivery/posture/enabled_process_count"),
                "{title}: the active rows are what fleetd counts"
            );
            let hosts: Vec<String> =
                serde_json::from_value(snapshot["delivery"]["posture"]["enabled_hosts"].clone())
                    .expect("hosts");
            let mut active_hosts = active;
            active_hosts.dedup();
            assert_eq!(active_hosts, hosts, "{title}: enabled_hosts");
            assert!(
                rows.len() > hosts.len(),
                "the stopped deliverer is listed, not counted"
            );
        }
        t if t.starts_with("Delivery queue") => {
            let table = delivery_table(snapshot, "webhook");
            let alert = delivery_table(snapshot, "alert");
            let pending_sql = statement.sql.contains("AS pending");
            let column = if pending_sql { "pending" } else { "due_now" };
            for (sql, entry) in [
                (statement.sql.clone(), table),
                (
                    statement
                        .sql
                        .replace("jetmon_webhook_deliveries", "jetmon_alert_deliveries"),
                    alert,
                ),
            ] {
                let rows: Vec<Row> = conn.query(sql).await.expect("queue query");
                assert_eq!(rows.len(), 1);
                assert_eq!(
                    int(&rows[0], column),
                    entry[column].as_i64(),
                    "{title}: {column} of {}",
                    entry["kind"]
                );
            }
        }
        t if t.starts_with("The failed and abandoned rows") => {
            let table = delivery_table(snapshot, "webhook");
            let failed = rows
                .iter()
                .filter(|r| text(r, "status").as_deref() == Some("failed"))
                .count();
            let abandoned = rows
                .iter()
                .filter(|r| text(r, "status").as_deref() == Some("abandoned"))
                .count();
            assert_eq!(
                Some(failed as i64),
                table["failed_since"].as_i64(),
                "{title}: failed rows"
            );
            assert_eq!(
                Some(abandoned as i64),
                table["abandoned_since"].as_i64(),
                "{title}: abandoned rows"
            );
            assert!(
                failed >= 2,
                "attempted and never-attempted failures are seeded"
            );
        }
        t if t.starts_with("Processes reporting a red dependency") => {
            let reporting: Vec<String> = snapshot["processes"]
                .as_array()
                .expect("processes")
                .iter()
                .filter(|p| {
                    p["dependency_health"]
                        .as_array()
                        .is_some_and(|deps| deps.iter().any(|d| d["status"] == "red"))
                })
                .map(|p| p["process_id"].as_str().unwrap_or_default().to_owned())
                .collect();
            let mut listed = names(&rows, "process_id");
            listed.sort();
            let mut reporting = reporting;
            reporting.sort();
            assert_eq!(listed, reporting, "{title}");
            assert!(!listed.is_empty());
        }
        t if t.starts_with("One site's drift") => {
            let site_status = rows
                .first()
                .and_then(|r| int(r, "site_status"))
                .expect("the site") as i16;
            let states: Vec<String> = rows.iter().filter_map(|r| text(r, "state")).collect();
            let events: Vec<SiteEvent<'_>> = states
                .iter()
                .map(|state| SiteEvent {
                    check_type: "http",
                    state,
                    open: true,
                })
                .collect();
            let cause = classify(site_status, &events).expect("site 12345 drifts");
            let drift = &snapshot["projection_drift"];
            let causes = drift["causes"].as_array().expect("causes");
            assert!(
                causes.iter().any(|c| c["code"] == cause.code()),
                "{title}: fleetd counts the cause the runbook's rows show ({}): {causes:?}",
                cause.code()
            );
        }
        t if t.is_empty() && statement.sql.trim_start().starts_with("SET ") => {}
        _ => return false,
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_runbook_query_returns_what_fleetd_reports_for_the_same_rows() {
    let (db, _app, snapshot) = seeded_fleetd().await;
    let doc = repo_file(RUNBOOK);
    let statements = statements(&doc_section(&doc, RUNBOOK, "## Direct SQL checks"));
    assert!(statements.len() >= 8, "{RUNBOOK}: {statements:?}");
    let pool = mysql_async::Pool::new(db.url());
    let mut conn = pool.get_conn().await.expect("a connection");
    let mut unknown = Vec::new();
    for statement in &statements {
        if !check(&mut conn, statement, &snapshot).await {
            unknown.push(statement.title.clone());
        }
    }
    assert!(
        unknown.is_empty(),
        "{RUNBOOK}: these runbook queries have no check in {}: {unknown:?}",
        file!()
    );
    drop(conn);
    pool.disconnect().await.expect("disconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_statements_in_the_sql_notes_are_the_ones_fleetd_runs() {
    let doc = repo_file(SQL_NOTES);
    let lines = doc_section(&doc, SQL_NOTES, "## Sessions");
    // The `SET` lines marked `-- MariaDB` (or unmarked) of its sql blocks;
    // the per-statement `SET STATEMENT … FOR SELECT ...` is a pattern, not
    // a statement.
    let mut in_block = false;
    let mut mariadb = Vec::new();
    for line in &lines {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_block = !in_block && trimmed == "```sql";
            continue;
        }
        let code = trimmed.split("--").next().unwrap_or_default().trim();
        let mysql_only = trimmed.contains("-- MySQL");
        if in_block && !mysql_only && code.starts_with("SET ") && code.ends_with(';') {
            mariadb.push(code.to_owned());
        }
    }
    assert_eq!(mariadb.len(), 2, "{SQL_NOTES}: {mariadb:?}");
    let db = ScratchDb::create().await.expect("a scratch database");
    // What the notes say a session runs, on a plain connection...
    let pool = mysql_async::Pool::new(db.url());
    let mut conn = pool.get_conn().await.expect("a connection");
    for statement in &mariadb {
        conn.query_drop(statement.as_str())
            .await
            .unwrap_or_else(|e| panic!("{SQL_NOTES}: {statement}: {e}"));
    }
    const PROBE: &str = "SELECT CAST(@@session.tx_read_only AS CHAR) AS ro, \
                         @@session.time_zone AS tz, \
                         CAST(@@session.max_statement_time AS CHAR) AS limit_s";
    let documented: Row = conn
        .query_first(PROBE)
        .await
        .expect("probe")
        .expect("a row");
    drop(conn);
    pool.disconnect().await.expect("disconnect");
    // ...leaves it as fleetd's own pool does.
    let reader = db.reader().expect("fleetd's reader");
    let actual = reader
        .select_for_test(PROBE)
        .await
        .expect("probe")
        .into_iter()
        .next()
        .expect("a row");
    for column in ["ro", "tz", "limit_s"] {
        assert_eq!(
            documented.get::<String, _>(column),
            actual.get::<String, _>(column),
            "{SQL_NOTES}: {column}"
        );
    }
}
