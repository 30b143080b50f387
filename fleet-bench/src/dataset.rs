//! The production-sized benchmark data set (issue 7, item 1): `fleet-bench
//! seed` and fleetd's soak test load it. It lives here, not in fleet-sql,
//! so that the production fleetd binary carries none of it.
//!
//! The data set ([`LargeSpec::FULL`]):
//!
//! | table | rows | shape |
//! |---|---|---|
//! | `jetpack_monitor_sites` | 1,000,000 | buckets `id % 1000`; 95% active (every 20th site inactive); drifting sites of every cause |
//! | `jetmon_events` | 20,000 + 1,000 open http, 400 open non-http, 100,000 closed | every 50th site has an open http event (Down / Seems Down / Warning / Degraded); 1,000 sites have a second one |
//! | `jetmon_webhook_deliveries` | 2,000,000 | 90 days of history, mostly delivered; the newest 0.3% recent: delivered, pending (due, unscheduled, future retry), failed, abandoned |
//! | `jetmon_alert_deliveries` | 1,000,000 | the same shape |
//! | `jetmon_process_health` | 200 | 100 hosts with a monitor and a deliverer each; 4–5 dependency entries per process; a few amber, red and stale |
//! | `jetmon_hosts` | 50 | contiguous bucket ranges covering 0..999 |
//!
//! Every value is a function of the row number (MariaDB's `SEQUENCE`
//! engine, `seq_1_to_N`), so two seeds of the same spec hold the same data
//! apart from the times, which are relative to the seed's clock.
//!
//! Loading: the schema is created from [`SCHEMA_SQL`](fleet_sql::SCHEMA_SQL), the secondary
//! indexes of the big tables are dropped, the rows are inserted with
//! `INSERT ... SELECT` in chunks (two tables at a time on two connections),
//! then every dropped index is re-created exactly as it was (a sorted bulk
//! build instead of millions of random index inserts) and the tables are
//! analysed.
//!
//! A marker table, `fleet_bench_seed`, records the spec and the seed time:
//! [`reuse`] finds a database seeded with the same spec and moves its
//! time-relative rows (heartbeats, the recent deliveries) to the present,
//! and [`seed`] refuses to replace a database that has tables but no marker
//! (it is not one of ours) unless forced. fleetd never reads that table.

use crate::sql::{cell, check_name, connect, database_url, exec, number, rows, text, DbError};
use fleet_core::DeliveryKind;
use fleet_sql::SCHEMA_SQL;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value};
use std::fmt;
use std::time::{Duration, Instant};

/// Name of the marker table that identifies a seeded benchmark database.
pub const MARKER_TABLE: &str = "fleet_bench_seed";

/// Rows per `INSERT ... SELECT` statement: large enough that statement
/// overhead does not matter, small enough to keep each transaction's undo
/// log modest.
const CHUNK_ROWS: u64 = 250_000;

/// Span of the historical delivery rows.
const HISTORY_SPAN_SECS: u64 = 90 * 86_400;

/// Span of the recent delivery rows (partly inside the 15-minute window).
const RECENT_SPAN_SECS: u64 = 3_000;

/// Distinct webhooks / alert contacts the deliveries belong to.
const OWNERS: u64 = 5_000;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LargeSpec {
    pub sites: u64,
    pub webhook_deliveries: u64,
    pub alert_deliveries: u64,
    /// Closed (historical) events, on top of the open ones.
    pub closed_events: u64,
    /// Hosts running one monitor and one deliverer each (2 process rows per host).
    pub process_hosts: u32,
    /// `jetmon_hosts` rows; their ranges cover `0..bucket_total` exactly.
    pub bucket_hosts: u32,
    pub bucket_total: u32,
}

impl LargeSpec {
    /// The data set of issue 7: 1,000,000 sites, 3,000,000 deliveries.
    pub const FULL: LargeSpec = LargeSpec {
        sites: 1_000_000,
        webhook_deliveries: 2_000_000,
        alert_deliveries: 1_000_000,
        closed_events: 100_000,
        process_hosts: 100,
        bucket_hosts: 50,
        bucket_total: 1000,
    };

    /// A small data set of the same shape, for CI (seconds to load).
    pub const QUICK: LargeSpec = LargeSpec {
        sites: 20_000,
        webhook_deliveries: 20_000,
        alert_deliveries: 10_000,
        closed_events: 2_000,
        process_hosts: 100,
        bucket_hosts: 50,
        bucket_total: 1000,
    };

    /// Sites with an open http event: every 50th (`id % 50 = 7`).
    pub fn event_sites(&self) -> u64 {
        if self.sites < 7 {
            0
        } else {
            (self.sites - 7) / 50 + 1
        }
    }

    /// Open http events: one per event site, plus a second one on every
    /// 20th event site.
    pub fn open_http_events(&self) -> u64 {
        let j = self.event_sites();
        j + count_congruent(j, 20, 1)
    }

    pub fn processes(&self) -> u32 {
        self.process_hosts * 2
    }

    fn deliveries(&self, kind: DeliveryKind) -> u64 {
        match kind {
            DeliveryKind::Webhook => self.webhook_deliveries,
            DeliveryKind::Alert => self.alert_deliveries,
        }
    }

    /// The text stored in the marker table; equal texts = same data set.
    fn key(&self) -> String {
        format!(
            "v1 sites={} webhook={} alert={} closed_events={} process_hosts={} bucket_hosts={} bucket_total={}",
            self.sites,
            self.webhook_deliveries,
            self.alert_deliveries,
            self.closed_events,
            self.process_hosts,
            self.bucket_hosts,
            self.bucket_total
        )
    }

    fn validate(&self) -> Result<(), DbError> {
        let bad = |what: &str| Err(DbError::Invalid(format!("seed spec: {what}")));
        if self.sites == 0 || self.webhook_deliveries == 0 || self.alert_deliveries == 0 {
            return bad("sites and deliveries must be at least 1");
        }
        if self.bucket_total == 0 || self.bucket_total > 65_536 {
            return bad("bucket_total must be 1..=65536");
        }
        if self.bucket_hosts == 0 || self.bucket_hosts > self.bucket_total {
            return bad("bucket_hosts must be 1..=bucket_total");
        }
        if self.process_hosts < self.bucket_hosts || self.process_hosts > 999 {
            return bad("process_hosts must be bucket_hosts..=999");
        }
        Ok(())
    }
}

/// How many of `0..n` are `≡ r (mod m)`.
fn count_congruent(n: u64, m: u64, r: u64) -> u64 {
    if n <= r {
        0
    } else {
        (n - 1 - r) / m + 1
    }
}

/// The newest `recent_rows` rows of a delivery table are recent (last
/// [`RECENT_SPAN_SECS`]); the rest is history.
fn recent_rows(total: u64) -> u64 {
    (total * 3 / 1000).max(100).min(total)
}

/// One table's load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLoad {
    pub table: &'static str,
    pub rows: u64,
    /// Inserting the rows.
    pub insert: Duration,
    /// Re-creating the secondary indexes and analysing the table.
    pub index: Duration,
}

impl TableLoad {
    pub fn elapsed(&self) -> Duration {
        self.insert + self.index
    }
}

impl fmt::Display for TableLoad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<28} {:>10} rows  {:>7.1} s  (insert {:.1} s, indexes {:.1} s)",
            self.table,
            self.rows,
            self.elapsed().as_secs_f64(),
            self.insert.as_secs_f64(),
            self.index.as_secs_f64()
        )
    }
}

/// The outcome of [`seed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub database: String,
    /// Dropping and creating the database and its tables.
    pub schema: Duration,
    pub tables: Vec<TableLoad>,
    /// Wall-clock time of the whole seed (tables load two at a time, so this
    /// is less than the sum of the tables).
    pub total: Duration,
}

/// Whether `database` exists, and if so whether it carries the marker and
/// how many tables it has.
async fn inspect(admin: &mut Conn, database: &str) -> Result<Option<(bool, u64)>, DbError> {
    const WHAT: &str = "seed: inspect database";
    let exists: Option<Row> = admin
        .exec_first(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            (database,),
        )
        .await
        .map_err(DbError::db(WHAT))?;
    if exists.is_none() {
        return Ok(None);
    }
    let mut row: Row = admin
        .exec_first(
            "SELECT COUNT(*), COALESCE(SUM(TABLE_NAME = ?), 0) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = ?",
            (MARKER_TABLE, database),
        )
        .await
        .map_err(DbError::db(WHAT))?
        .ok_or_else(|| DbError::decode(WHAT, "no row"))?;
    let tables = number(cell(&mut row, 0));
    let marked = number(cell(&mut row, 1)) > 0;
    Ok(Some((marked, tables)))
}

/// Drops `database` if it exists. Returns whether it existed.
pub async fn drop_database(admin_url: &str, database: &str) -> Result<bool, DbError> {
    check_name(database)?;
    let mut admin = connect(admin_url).await?;
    let existed = inspect(&mut admin, database).await?.is_some();
    exec(
        &mut admin,
        "seed: drop database",
        &format!("DROP DATABASE IF EXISTS `{database}`"),
    )
    .await?;
    let _ = admin.disconnect().await;
    Ok(existed)
}

/// Creates (or replaces) `database` on the server of `admin_url` and loads
/// the data set. A database that exists and has tables but no marker table
/// is only replaced with `force`. Each finished table is logged (info).
pub async fn seed(
    admin_url: &str,
    database: &str,
    spec: &LargeSpec,
    force: bool,
) -> Result<SeedReport, DbError> {
    spec.validate()?;
    let db_url = database_url(admin_url, database)?;
    let started = Instant::now();

    let mut admin = connect(admin_url).await?;
    if let Some((marked, tables)) = inspect(&mut admin, database).await? {
        if !marked && tables > 0 && !force {
            return Err(DbError::Invalid(format!(
                "database `{database}` exists with {tables} tables and was not made by the \
                 benchmark seeder; refusing to replace it (use --force)"
            )));
        }
    }
    exec(
        &mut admin,
        "seed: drop database",
        &format!("DROP DATABASE IF EXISTS `{database}`"),
    )
    .await?;
    exec(
        &mut admin,
        "seed: create database",
        &format!("CREATE DATABASE `{database}` CHARACTER SET utf8mb4"),
    )
    .await?;
    let mut now_row = rows(
        &mut admin,
        "seed: clock",
        "SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%s')",
    )
    .await?;
    let now = now_row
        .first_mut()
        .map(|r| text(cell(r, 0)))
        .ok_or_else(|| DbError::decode("seed: clock", "no row"))?;
    let _ = admin.disconnect().await;

    let mut conn = connect(&db_url).await?;
    exec(&mut conn, "seed: schema", SCHEMA_SQL).await?;
    exec(
        &mut conn,
        "seed: marker table",
        &format!(
            "CREATE TABLE {MARKER_TABLE} (spec VARCHAR(255) NOT NULL, seeded_at DATETIME NOT NULL) \
             ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
    )
    .await?;
    let schema = started.elapsed();

    // Two loaders on two connections (the server does the work: one core
    // each). Webhook deliveries, the biggest table, on one; the rest on the
    // other.
    let mut second = connect(&db_url).await?;
    let now_a = now.clone();
    let first_job = async move {
        let load = load_deliveries(&mut conn, spec, DeliveryKind::Webhook, &now_a).await?;
        Ok::<_, DbError>((conn, vec![load]))
    };
    let second_job = async {
        let mut loads = Vec::new();
        loads.push(load_deliveries(&mut second, spec, DeliveryKind::Alert, &now).await?);
        loads.push(load_sites(&mut second, spec).await?);
        loads.push(load_events(&mut second, spec, &now).await?);
        loads.push(load_processes(&mut second, spec, &now).await?);
        loads.push(load_hosts(&mut second, spec, &now).await?);
        Ok::<_, DbError>(loads)
    };
    let ((mut conn, mut tables), more) = futures_util::try_join!(first_job, second_job)?;
    tables.extend(more);
    let _ = second.disconnect().await;

    conn.exec_drop(
        format!("INSERT INTO {MARKER_TABLE} (spec, seeded_at) VALUES (?, ?)"),
        (spec.key(), now.as_str()),
    )
    .await
    .map_err(DbError::db("seed: marker"))?;
    let _ = conn.disconnect().await;

    Ok(SeedReport {
        database: database.to_string(),
        schema,
        tables,
        total: started.elapsed(),
    })
}

/// If `database` was seeded with `spec`, moves its time-relative rows to
/// the present (process and host heartbeats, the recent deliveries) and
/// returns how long that took; `None` when there is no such database or it
/// holds another data set (seed it then).
pub async fn reuse(
    admin_url: &str,
    database: &str,
    spec: &LargeSpec,
) -> Result<Option<Duration>, DbError> {
    const WHAT: &str = "seed: reuse";
    spec.validate()?;
    let db_url = database_url(admin_url, database)?;
    let started = Instant::now();
    let mut admin = connect(admin_url).await?;
    let marked = matches!(inspect(&mut admin, database).await?, Some((true, _)));
    let _ = admin.disconnect().await;
    if !marked {
        return Ok(None);
    }
    let mut conn = connect(&db_url).await?;
    let mut marker = rows(
        &mut conn,
        WHAT,
        &format!(
            "SELECT spec, TIMESTAMPDIFF(SECOND, seeded_at, UTC_TIMESTAMP()), \
             DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%s') FROM {MARKER_TABLE}"
        ),
    )
    .await?;
    let Some(row) = marker.first_mut() else {
        return Ok(None);
    };
    if text(cell(row, 0)) != spec.key() {
        return Ok(None);
    }
    let shift = number(cell(row, 1));
    let now = text(cell(row, 2));

    for kind in DeliveryKind::ALL {
        let total = spec.deliveries(kind);
        let history = total - recent_rows(total);
        let t = kind.table();
        exec(
            &mut conn,
            WHAT,
            &format!(
                "UPDATE {t} SET \
                   created_at = created_at + INTERVAL {shift} SECOND, \
                   next_attempt_at = next_attempt_at + INTERVAL {shift} SECOND, \
                   last_attempt_at = last_attempt_at + INTERVAL {shift} SECOND, \
                   delivered_at = delivered_at + INTERVAL {shift} SECOND \
                 WHERE id > {history}"
            ),
        )
        .await?;
    }
    exec(&mut conn, WHAT, "DELETE FROM jetmon_process_health").await?;
    exec(&mut conn, WHAT, "DELETE FROM jetmon_hosts").await?;
    load_processes(&mut conn, spec, &now).await?;
    load_hosts(&mut conn, spec, &now).await?;
    conn.exec_drop(
        format!("UPDATE {MARKER_TABLE} SET seeded_at = ?"),
        (now.as_str(),),
    )
    .await
    .map_err(DbError::db(WHAT))?;
    let _ = conn.disconnect().await;
    Ok(Some(started.elapsed()))
}

/// A secondary index as `information_schema.STATISTICS` describes it.
#[derive(Debug)]
struct IndexDef {
    name: String,
    unique: bool,
    /// Column with optional prefix length, in index order.
    columns: Vec<String>,
}

async fn secondary_indexes(conn: &mut Conn, table: &str) -> Result<Vec<IndexDef>, DbError> {
    // SHOW INDEX lists the keys in the table's own order, which re-creating
    // them in that order keeps (information_schema.STATISTICS has no order).
    let result = rows(
        conn,
        "seed: read index definitions",
        &format!("SHOW INDEX FROM {table}"),
    )
    .await?;
    let mut defs: Vec<IndexDef> = Vec::new();
    for mut row in result {
        // Table, Non_unique, Key_name, Seq_in_index, Column_name, Collation,
        // Cardinality, Sub_part, ...
        let name = text(cell(&mut row, 2));
        if name == "PRIMARY" {
            continue;
        }
        let unique = number(cell(&mut row, 1)) == 0;
        let column = text(cell(&mut row, 4));
        let column = match cell(&mut row, 7) {
            Value::NULL => format!("`{column}`"),
            part => format!("`{column}`({})", number(part)),
        };
        match defs.last_mut() {
            Some(last) if last.name == name => last.columns.push(column),
            _ => defs.push(IndexDef {
                name,
                unique,
                columns: vec![column],
            }),
        }
    }
    Ok(defs)
}

/// Drops the secondary indexes of `table`, runs `insert`, re-creates them
/// as they were and analyses the table.
async fn load_table(
    conn: &mut Conn,
    table: &'static str,
    statements: Vec<String>,
) -> Result<TableLoad, DbError> {
    let indexes = secondary_indexes(conn, table).await?;
    if !indexes.is_empty() {
        let drops: Vec<String> = indexes
            .iter()
            .map(|i| format!("DROP INDEX `{}`", i.name))
            .collect();
        exec(
            conn,
            "seed: drop indexes",
            &format!("ALTER TABLE {table} {}", drops.join(", ")),
        )
        .await?;
    }
    let started = Instant::now();
    for sql in &statements {
        exec(conn, table_what(table), sql).await?;
    }
    let insert = started.elapsed();
    let started = Instant::now();
    if !indexes.is_empty() {
        let adds: Vec<String> = indexes
            .iter()
            .map(|i| {
                format!(
                    "ADD {}INDEX `{}` ({})",
                    if i.unique { "UNIQUE " } else { "" },
                    i.name,
                    i.columns.join(", ")
                )
            })
            .collect();
        exec(
            conn,
            "seed: create indexes",
            &format!("ALTER TABLE {table} {}", adds.join(", ")),
        )
        .await?;
    }
    exec(conn, "seed: analyze", &format!("ANALYZE TABLE {table}")).await?;
    let index = started.elapsed();
    let mut count = rows(
        conn,
        "seed: count",
        &format!("SELECT COUNT(*) FROM {table}"),
    )
    .await?;
    let rows = count.first_mut().map(|r| number(cell(r, 0))).unwrap_or(0);
    let load = TableLoad {
        table,
        rows,
        insert,
        index,
    };
    log::info!("seeded {load}");
    Ok(load)
}

fn table_what(table: &'static str) -> &'static str {
    match table {
        "jetpack_monitor_sites" => "seed: insert jetpack_monitor_sites",
        "jetmon_events" => "seed: insert jetmon_events",
        "jetmon_webhook_deliveries" => "seed: insert jetmon_webhook_deliveries",
        "jetmon_alert_deliveries" => "seed: insert jetmon_alert_deliveries",
        "jetmon_process_health" => "seed: insert jetmon_process_health",
        "jetmon_hosts" => "seed: insert jetmon_hosts",
        _ => "seed: insert",
    }
}

/// `(lo, hi)` ranges of at most [`CHUNK_ROWS`] covering `first..=last`.
fn chunks(first: u64, last: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut lo = first;
    while lo <= last {
        let hi = (lo + CHUNK_ROWS - 1).min(last);
        out.push((lo, hi));
        lo = hi + 1;
    }
    out
}

/// The legacy status of site `seq` (SQL expression over `seq`).
///
/// - inactive sites (every 20th): 1, or 2 for every 40th (ignored by drift);
/// - event sites (`seq % 50 = 7`, j = `seq DIV 50`): the status their open
///   http events project (Down → 2 for j%10 < 6, Seems Down → 0 for 6..7,
///   Warning/Degraded → 1), except every 97th (j%97 = 3), which drifts;
/// - a few other sites drift without an open event: 3 (unexpected value),
///   0 (missing event), 2 (stale legacy down);
/// - everything else: 1.
const SITE_STATUS_SQL: &str = "\
CASE \
  WHEN seq % 20 = 0 THEN IF(seq % 40 = 0, 2, 1) \
  WHEN seq % 50 = 7 THEN \
    IF((seq DIV 50) % 97 = 3, \
       CASE WHEN (seq DIV 50) % 10 < 6 THEN IF((seq DIV 50) % 3 = 0, 0, 1) \
            WHEN (seq DIV 50) % 10 < 8 THEN IF((seq DIV 50) % 3 = 0, 2, 1) \
            ELSE 2 END, \
       CASE WHEN (seq DIV 50) % 10 < 6 THEN 2 \
            WHEN (seq DIV 50) % 10 < 8 THEN 0 \
            ELSE 1 END) \
  WHEN seq % 333331 = 17 THEN 3 \
  WHEN seq % 100003 = 13 THEN 0 \
  WHEN seq % 10007 = 11 THEN 2 \
  ELSE 1 END";

async fn load_sites(conn: &mut Conn, spec: &LargeSpec) -> Result<TableLoad, DbError> {
    let buckets = spec.bucket_total;
    let statements = chunks(1, spec.sites)
        .into_iter()
        .map(|(lo, hi)| {
            format!(
                "INSERT INTO jetpack_monitor_sites \
                   (jetpack_monitor_site_id, blog_id, bucket_no, monitor_url, monitor_active, \
                    site_status, last_status_change, check_interval, ssl_expiry_date, \
                    timeout_seconds, redirect_policy, alert_cooldown_minutes, last_checked_at) \
                 SELECT seq, seq, seq % {buckets}, \
                   CONCAT('https://site', seq, '.example.com/'), \
                   IF(seq % 20 = 0, 0, 1), \
                   {SITE_STATUS_SQL}, \
                   UTC_TIMESTAMP() - INTERVAL (seq % 1000) HOUR, \
                   ELT(1 + seq % 3, 5, 5, 1), \
                   IF(seq % 4 = 0, NULL, UTC_DATE() + INTERVAL (seq % 365) DAY), \
                   IF(seq % 10 = 0, 20, NULL), \
                   'follow', \
                   IF(seq % 10 = 0, 30, NULL), \
                   UTC_TIMESTAMP() - INTERVAL (seq % 300) SECOND \
                 FROM seq_{lo}_to_{hi}"
            )
        })
        .collect();
    load_table(conn, "jetpack_monitor_sites", statements).await
}

async fn load_events(conn: &mut Conn, spec: &LargeSpec, now: &str) -> Result<TableLoad, DbError> {
    let event_sites = spec.event_sites();
    let mut statements = Vec::new();
    if event_sites > 0 {
        let last = event_sites - 1;
        // One open http event per event site; its state sets the projection.
        statements.push(format!(
            "INSERT INTO jetmon_events \
               (blog_id, endpoint_id, check_type, discriminator, severity, state, started_at, \
                ended_at, metadata) \
             SELECT seq * 50 + 7, 1, 'http', NULL, \
               ELT(1 + seq % 10, 4, 4, 4, 4, 4, 4, 3, 3, 2, 2), \
               ELT(1 + seq % 10, 'Down', 'Down', 'Down', 'Down', 'Down', 'Down', \
                   'Seems Down', 'Seems Down', 'Warning', 'Degraded'), \
               TIMESTAMP'{now}' - INTERVAL (60 + seq % 86400) SECOND, NULL, \
               JSON_OBJECT('http_code', 503, 'checker', CONCAT('veriflier-', seq % 7)) \
             FROM seq_0_to_{last}"
        ));
        // A second open http event (another endpoint) on every 20th event
        // site; those are all Down sites, so the projection stays 2.
        statements.push(format!(
            "INSERT INTO jetmon_events \
               (blog_id, endpoint_id, check_type, discriminator, severity, state, started_at, \
                ended_at, metadata) \
             SELECT seq * 50 + 7, 2, 'http', 'keyword', 3, 'Seems Down', \
               TIMESTAMP'{now}' - INTERVAL (30 + seq % 3600) SECOND, NULL, NULL \
             FROM seq_0_to_{last} WHERE seq % 20 = 1"
        ));
        // Open events of other check types (ignored by drift).
        statements.push(format!(
            "INSERT INTO jetmon_events \
               (blog_id, endpoint_id, check_type, discriminator, severity, state, started_at, \
                ended_at) \
             SELECT seq * 50 + 7, NULL, 'tls_expiry', NULL, 2, 'Warning', \
               TIMESTAMP'{now}' - INTERVAL (seq % 86400) SECOND, NULL \
             FROM seq_0_to_{last} WHERE seq % 50 = 0"
        ));
    }
    if spec.closed_events > 0 {
        let sites = spec.sites;
        for (lo, hi) in chunks(1, spec.closed_events) {
            statements.push(format!(
                "INSERT INTO jetmon_events \
                   (blog_id, endpoint_id, check_type, discriminator, severity, state, started_at, \
                    ended_at, resolution_reason) \
                 SELECT 1 + (seq * 7919) % {sites}, 1, 'http', NULL, 4, 'Down', \
                   TIMESTAMP'{now}' - INTERVAL (3600 + seq * 37 % 7776000) SECOND, \
                   TIMESTAMP'{now}' - INTERVAL (3600 + seq * 37 % 7776000) SECOND + INTERVAL 10 MINUTE, \
                   'recovered' \
                 FROM seq_{lo}_to_{hi}"
            ));
        }
    }
    load_table(conn, "jetmon_events", statements).await
}

async fn load_deliveries(
    conn: &mut Conn,
    spec: &LargeSpec,
    kind: DeliveryKind,
    now: &str,
) -> Result<TableLoad, DbError> {
    let table = kind.table();
    let total = spec.deliveries(kind);
    let recent = recent_rows(total);
    let history = total - recent;
    let sites = spec.sites;
    let (owner, severity_col, severity) = match kind {
        DeliveryKind::Webhook => ("webhook_id", "", ""),
        DeliveryKind::Alert => ("alert_contact_id", "severity, ", "1 + g.seq % 4, "),
    };
    let columns = format!(
        "(id, {owner}, transition_id, event_id, event_type, {severity_col}payload, status, \
          attempt, next_attempt_at, last_status_code, last_response, last_attempt_at, \
          delivered_at, created_at)"
    );
    let common = format!(
        "g.seq, 1 + g.seq % {OWNERS}, g.seq, 500000000 + g.seq, \
         ELT(1 + g.seq % 4, 'site.down', 'site.up', 'site.seems_down', 'site.ssl_expiring'), \
         {severity}\
         CONCAT('{{\"event_id\":', 500000000 + g.seq, ',\"blog_id\":', 1 + (g.seq * 7919) % {sites}, \
                ',\"type\":\"', ELT(1 + g.seq % 4, 'site.down', 'site.up', 'site.seems_down', 'site.ssl_expiring'), \
                '\",\"monitor_url\":\"https://site', 1 + (g.seq * 7919) % {sites}, '.example.com/\"}}')"
    );
    let mut statements = Vec::new();
    // History: 90 days, oldest first, the newest an hour old. 1% failed,
    // 0.4% abandoned, the rest delivered.
    if history > 0 {
        for (lo, hi) in chunks(1, history) {
            statements.push(format!(
                "INSERT INTO {table} {columns} \
                 SELECT {common}, g.st, 1 + g.seq % 3, NULL, \
                   IF(g.st = 'delivered', 200, 500), \
                   IF(g.st = 'delivered', NULL, 'HTTP 500 from endpoint'), \
                   g.ts + INTERVAL (g.seq % 30) SECOND, \
                   IF(g.st = 'delivered', g.ts + INTERVAL (g.seq % 30) SECOND, NULL), \
                   g.ts \
                 FROM (SELECT seq, \
                         CASE WHEN seq % 100 = 3 THEN 'failed' \
                              WHEN seq % 250 = 5 THEN 'abandoned' \
                              ELSE 'delivered' END AS st, \
                         TIMESTAMP'{now}' - INTERVAL (3600 + ({history} - seq) * {HISTORY_SPAN_SECS} DIV {history}) SECOND AS ts \
                       FROM seq_{lo}_to_{hi}) AS g"
            ));
        }
    }
    // Recent: the last RECENT_SPAN_SECS, ten kinds of row in turn
    // (c = position % 10): 0-2 delivered, 3-4 pending and due (scheduled in
    // the past), 5 pending never scheduled (due), 6 pending with a future
    // retry, 7 failed, 8 abandoned, 9 failed without any attempt.
    let first = history + 1;
    statements.push(format!(
        "INSERT INTO {table} {columns} \
         SELECT {common}, \
           ELT(1 + g.c, 'delivered', 'delivered', 'delivered', 'pending', 'pending', 'pending', \
               'pending', 'failed', 'abandoned', 'failed'), \
           IF(g.c IN (5, 9), 0, 1 + g.seq % 3), \
           CASE WHEN g.c IN (3, 4) THEN g.ts \
                WHEN g.c = 6 THEN TIMESTAMP'{now}' + INTERVAL (120 + g.seq % 600) SECOND \
                ELSE NULL END, \
           CASE WHEN g.c < 3 THEN 200 WHEN g.c IN (3, 4, 6) THEN 503 \
                WHEN g.c IN (7, 8) THEN 500 ELSE NULL END, \
           IF(g.c IN (3, 4, 6, 7, 8), 'HTTP 5xx from endpoint', NULL), \
           IF(g.c IN (5, 9), NULL, g.ts), \
           IF(g.c < 3, g.ts, NULL), \
           g.ts - INTERVAL IF(g.c IN (5, 9), 0, 5) SECOND \
         FROM (SELECT seq, (seq - {history}) % 10 AS c, \
                 TIMESTAMP'{now}' - INTERVAL (({total} - seq) * {RECENT_SPAN_SECS} DIV {recent}) SECOND AS ts \
               FROM seq_{first}_to_{total}) AS g"
    ));
    load_table(conn, table, statements).await
}

/// 100 hosts (`jetmon-001.dfw.example.net` ...), each with a monitor and a
/// deliverer. The first `bucket_hosts` monitors own dynamic bucket ranges
/// (matching `jetmon_hosts`), the other monitors are idle standbys. Every
/// deliverer runs delivery workers owned by host 001. Every 37th process is
/// amber, every 89th red, every 97th stale (30 minutes without a
/// heartbeat). Monitors report 4 dependencies, deliverers 5.
async fn load_processes(
    conn: &mut Conn,
    spec: &LargeSpec,
    now: &str,
) -> Result<TableLoad, DbError> {
    let processes = spec.processes();
    let owners = spec.bucket_hosts;
    let total = spec.bucket_total;
    let dep = |name: &str, status: &str, latency: &str, error: &str| {
        format!(
            "JSON_OBJECT('name', '{name}', 'status', {status}, 'latency_ms', {latency}, \
             'last_error', {error}, 'checked_at', \
             DATE_FORMAT(p.beat - INTERVAL (p.seq % 5) SECOND, '%Y-%m-%dT%H:%i:%sZ'))"
        )
    };
    let mysql = dep(
        "mysql",
        "IF(p.health = 'red', 'red', 'green')",
        "1 + p.seq % 4",
        "IF(p.health = 'red', 'dial tcp 10.0.0.5:3306: connect: connection refused', NULL)",
    );
    let wpcom = dep(
        "wpcom_api",
        "IF(p.health = 'amber', 'amber', 'green')",
        "40 + p.seq % 90",
        "IF(p.health = 'amber', 'p95 latency 1450ms above 1000ms budget', NULL)",
    );
    let statsd = dep("statsd", "'green'", "0", "NULL");
    let veriflier = dep("veriflier", "'green'", "12 + p.seq % 30", "NULL");
    let smtp = dep("smtp", "'green'", "25 + p.seq % 50", "NULL");
    let egress = dep("webhook_egress", "'green'", "80 + p.seq % 200", "NULL");
    let sql = format!(
        "INSERT INTO jetmon_process_health \
           (process_id, host_id, process_type, pid, version, build_date, go_version, state, \
            health_status, started_at, updated_at, bucket_min, bucket_max, bucket_ownership, \
            api_port, dashboard_port, delivery_workers_enabled, delivery_owner_host, \
            worker_count, active_checks, queue_depth, retry_queue_size, wpcom_circuit_open, \
            wpcom_queue_depth, go_sys_mem_mb, rss_mem_mb, dependency_health, created_at) \
         SELECT CONCAT(p.host, ':', p.type), p.host, p.type, 1000 + p.seq * 7, 'v2.4.1', \
           '2026-10-28T14:02:11Z', 'go1.23.4', \
           IF(p.type = 'monitor' AND p.h > {owners}, 'idle', 'running'), \
           p.health, TIMESTAMP'{now}' - INTERVAL (3 * 86400 + p.seq * 60) SECOND, p.beat, \
           IF(p.type = 'monitor' AND p.h <= {owners}, (p.h - 1) * {total} DIV {owners}, NULL), \
           IF(p.type = 'monitor' AND p.h <= {owners}, p.h * {total} DIV {owners} - 1, NULL), \
           IF(p.type = 'monitor', 'dynamic jetmon_hosts', ''), \
           IF(p.type = 'monitor', 7801, NULL), IF(p.type = 'monitor', 7802, NULL), \
           IF(p.type = 'deliverer', 1, 0), \
           IF(p.type = 'deliverer', 'jetmon-001.dfw.example.net', ''), \
           IF(p.type = 'monitor', 64, 16), \
           IF(p.type = 'monitor', 20 + p.seq % 40, 0), \
           p.seq % 25, p.seq % 3, 0, p.seq % 5, \
           60 + p.seq % 40, 80 + p.seq % 60, \
           IF(p.type = 'monitor', \
              JSON_ARRAY({mysql}, {wpcom}, {statsd}, {veriflier}), \
              JSON_ARRAY({mysql}, {wpcom}, {statsd}, {smtp}, {egress})), \
           TIMESTAMP'{now}' - INTERVAL 30 DAY \
         FROM (SELECT seq, (seq + 1) DIV 2 AS h, \
                 IF(seq % 2 = 1, 'monitor', 'deliverer') AS type, \
                 CONCAT('jetmon-', LPAD((seq + 1) DIV 2, 3, '0'), '.dfw.example.net') AS host, \
                 CASE WHEN seq % 89 = 7 THEN 'red' WHEN seq % 37 = 5 THEN 'amber' \
                      ELSE 'green' END AS health, \
                 TIMESTAMP'{now}' - INTERVAL IF(seq % 97 = 11, 1800, seq % 30) SECOND AS beat \
               FROM seq_1_to_{processes}) AS p"
    );
    load_table(conn, "jetmon_process_health", vec![sql]).await
}

/// `bucket_hosts` contiguous ranges covering `0..bucket_total`, all active
/// and fresh.
async fn load_hosts(conn: &mut Conn, spec: &LargeSpec, now: &str) -> Result<TableLoad, DbError> {
    let hosts = spec.bucket_hosts;
    let total = spec.bucket_total;
    let sql = format!(
        "INSERT INTO jetmon_hosts (host_id, bucket_min, bucket_max, last_heartbeat, status) \
         SELECT CONCAT('jetmon-', LPAD(seq, 3, '0'), '.dfw.example.net'), \
           (seq - 1) * {total} DIV {hosts}, seq * {total} DIV {hosts} - 1, \
           TIMESTAMP'{now}' - INTERVAL (seq % 20) SECOND, 'active' \
         FROM seq_1_to_{hosts}"
    );
    load_table(conn, "jetmon_hosts", vec![sql]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_spec_has_the_sizes_of_issue_7() {
        let spec = LargeSpec::FULL;
        assert_eq!(spec.sites, 1_000_000);
        assert_eq!(spec.webhook_deliveries + spec.alert_deliveries, 3_000_000);
        assert_eq!(spec.event_sites(), 20_000);
        assert_eq!(spec.open_http_events(), 21_000);
        assert_eq!(spec.processes(), 200);
        assert_eq!(recent_rows(2_000_000), 6_000);
        assert!(spec.validate().is_ok());
        assert!(LargeSpec::QUICK.validate().is_ok());
    }

    #[test]
    fn chunks_cover_the_range_once() {
        let c = chunks(1, 600_000);
        assert_eq!(
            c,
            vec![(1, 250_000), (250_001, 500_000), (500_001, 600_000)]
        );
        assert!(chunks(5, 4).is_empty());
        assert_eq!(chunks(7, 7), vec![(7, 7)]);
    }

    #[test]
    fn congruent_counts() {
        assert_eq!(count_congruent(20_000, 20, 1), 1_000);
        assert_eq!(count_congruent(1, 20, 1), 0);
        assert_eq!(count_congruent(2, 20, 1), 1);
    }
}
