//! The live-looking demo fleet of `fleetd demo`: every statement the demo
//! runs is here.
//!
//! [`DemoDatabase::create`] makes a uniquely named scratch database
//! (`fleetd_demo_<pid>_<nanos>`) on a local server and loads the jetmon
//! schema; [`DemoDatabase::seed`] writes the fleet; [`DemoDatabase::tick`],
//! called every [`TICK_INTERVAL`], keeps it moving like live processes;
//! [`DemoDatabase::drop_database`] removes it again.
//!
//! The fleet ([`HOSTS`]): four monitors in dynamic ownership covering
//! buckets 0..999 through `jetmon_hosts`, one deliverer owning delivery,
//! dependency entries on every process, about 5,000 sites of which
//! [`DRIFTING_SITES`] drift, a due delivery backlog and delivered / failed /
//! abandoned history. Its story, told by [`tick`](DemoDatabase::tick) (times
//! since the seed):
//!
//! | when | what happens | fleet status |
//! |---|---|---|
//! | start | 7 drifting sites, 2 recent failed and 1 recent abandoned delivery, a due backlog | red |
//! | [`DRIFT_REPAIRED_AFTER`] (90 s) | the drift is repaired; the recent failures have aged out of the 15-minute window | amber (backlog still due) |
//! | about 2.5 min | the backlog has drained | green |
//! | [`STALE_AFTER`] (150 s) | monitor [`STALE_HOST`] stops heartbeating | |
//! | + `heartbeat_grace` ([`HEARTBEAT_GRACE`], 60 s in the demo) | its process and `jetmon_hosts` rows go stale | red |

use crate::error::SqlError;
use crate::settings::{redact_url, with_database};
use crate::SCHEMA_SQL;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The server `fleetd demo` uses unless told otherwise: the local one, as
/// root without a password.
pub const DEFAULT_SERVER_URL: &str = "mysql://root@127.0.0.1:3306/";

/// How often [`DemoDatabase::tick`] should run (the processes' heartbeat).
pub const TICK_INTERVAL: Duration = Duration::from_secs(3);

/// The heartbeat grace the demo's fleetd runs with, so that the monitor that
/// stops heartbeating turns stale within a minute (production: 600 s).
pub const HEARTBEAT_GRACE: Duration = Duration::from_secs(60);

/// When the drifting sites are repaired.
pub const DRIFT_REPAIRED_AFTER: Duration = Duration::from_secs(90);

/// When [`STALE_HOST`] stops heartbeating.
pub const STALE_AFTER: Duration = Duration::from_secs(150);

/// The monitor host that stops heartbeating.
pub const STALE_HOST: &str = "jm-ord-02";

/// The deliverer host that owns delivery.
pub const DELIVERY_OWNER: &str = "jm-dlv-01";

/// Every host of the demo fleet (the process id is `<host>:<type>`).
pub const HOSTS: [&str; 5] = [
    "jm-dfw-01",
    "jm-dfw-02",
    "jm-ord-01",
    STALE_HOST,
    DELIVERY_OWNER,
];

/// Sites seeded into `jetpack_monitor_sites`.
pub const SITE_COUNT: u64 = 5000;

/// Sites whose legacy projection disagrees with their open events until
/// [`DRIFT_REPAIRED_AFTER`].
pub const DRIFTING_SITES: u64 = 7;

/// Bound on connecting to the server and on each administrative statement.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the demo database could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Nothing answered at the URL (connection refused, unknown host,
    /// timeout). The URL is shown without its password.
    #[error("no MySQL/MariaDB server is reachable at {url} ({reason})")]
    Unreachable { url: String, reason: String },
    /// A server answered but refused (e.g. access denied, no CREATE right).
    #[error("the server at {url} refused: {source}")]
    Refused {
        url: String,
        #[source]
        source: mysql_async::Error,
    },
    /// The URL cannot be parsed.
    #[error("invalid server URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error(transparent)]
    Sql(#[from] SqlError),
}

/// A demo database on a live server. Call [`DemoDatabase::drop_database`]
/// or [`DemoDatabase::keep`] when done (there is no implicit drop: `--keep`
/// must be able to leave it behind).
pub struct DemoDatabase {
    name: String,
    url: String,
    admin: Opts,
    pool: Pool,
    /// Next `transition_id` for deliveries the ticks create.
    next_transition: AtomicU64,
    drift_repaired: AtomicBool,
}

impl std::fmt::Debug for DemoDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoDatabase")
            .field("name", &self.name)
            .field("url", &redact_url(&self.url))
            .finish_non_exhaustive()
    }
}

impl DemoDatabase {
    /// Connects to the server of `server_url` (its database part is
    /// ignored), creates a uniquely named database and loads the jetmon
    /// schema into it. On a schema error the database is dropped again.
    pub async fn create(server_url: &str) -> Result<DemoDatabase, DemoError> {
        let shown = redact_url(server_url);
        let bad_url = |reason: String| DemoError::BadUrl {
            url: shown.clone(),
            reason,
        };
        let admin = Opts::from_url(server_url).map_err(|e| bad_url(e.to_string()))?;
        let name = unique_name();
        let url = with_database(server_url, &name)
            .ok_or_else(|| bad_url("not a mysql:// URL".to_owned()))?;
        let demo_opts = Opts::from_url(&url).map_err(|e| bad_url(e.to_string()))?;

        let mut conn = match tokio::time::timeout(ADMIN_TIMEOUT, Conn::new(admin.clone())).await {
            Err(_) => {
                return Err(DemoError::Unreachable {
                    url: shown,
                    reason: format!("no answer within {ADMIN_TIMEOUT:?}"),
                })
            }
            Ok(Err(mysql_async::Error::Io(e))) => {
                return Err(DemoError::Unreachable {
                    url: shown,
                    reason: e.to_string(),
                })
            }
            Ok(Err(source)) => return Err(DemoError::Refused { url: shown, source }),
            Ok(Ok(conn)) => conn,
        };
        let created =
            bounded(conn.query_drop(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4")))
                .await;
        let _ = tokio::time::timeout(ADMIN_TIMEOUT, conn.disconnect()).await;
        created.map_err(|source| DemoError::Refused {
            url: shown.clone(),
            source,
        })?;

        // (0, 2) is always a valid range; the fallback is never used.
        let constraints = PoolConstraints::new(0, 2).unwrap_or_default();
        let opts = OptsBuilder::from_opts(demo_opts)
            // NOW() in UTC, like fleetd's own sessions.
            .setup(vec!["SET time_zone = '+00:00'"])
            .pool_opts(
                PoolOpts::default()
                    .with_constraints(constraints)
                    .with_inactive_connection_ttl(Duration::from_secs(30)),
            );
        let db = DemoDatabase {
            name,
            url,
            admin,
            pool: Pool::new(opts),
            next_transition: AtomicU64::new(1_000_000),
            drift_repaired: AtomicBool::new(false),
        };
        if let Err(err) = db.exec("demo schema", SCHEMA_SQL).await {
            let _ = db.drop_database().await;
            return Err(err.into());
        }
        Ok(db)
    }

    /// The database's name (`fleetd_demo_…`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of the demo database, with the server URL's credentials.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Writes the demo fleet (see the module docs). Timestamps are relative
    /// to the database clock.
    pub async fn seed(&self) -> Result<(), SqlError> {
        self.exec("demo seed: processes", &processes_sql()).await?;
        self.exec("demo seed: hosts", HOSTS_SQL).await?;
        self.exec("demo seed: sites", &sites_sql()).await?;
        self.exec("demo seed: events", EVENTS_SQL).await?;
        self.exec("demo seed: webhook deliveries", &deliveries_sql(false))
            .await?;
        self.exec("demo seed: alert deliveries", &deliveries_sql(true))
            .await
    }

    /// One heartbeat of the fleet, `elapsed` after the seed: live processes
    /// and their `jetmon_hosts` rows heartbeat (with changing load figures),
    /// the deliverer drains part of the due backlog and delivers new events,
    /// and the story of the module docs advances.
    pub async fn tick(&self, elapsed: Duration) -> Result<(), SqlError> {
        // Both tables key the host by `host_id`; the stale host stops
        // heartbeating in both, like a crashed machine.
        let live = if elapsed >= STALE_AFTER {
            format!("host_id <> '{STALE_HOST}'")
        } else {
            "1 = 1".to_owned()
        };
        let heartbeat = format!(
            "UPDATE jetmon_process_health SET updated_at = NOW(), \
               active_checks = IF(process_type = 'monitor', 20 + FLOOR(RAND() * 40), 0), \
               queue_depth = FLOOR(RAND() * IF(process_type = 'monitor', 120, 30)), \
               retry_queue_size = FLOOR(RAND() * 6), \
               wpcom_queue_depth = IF(process_type = 'monitor', FLOOR(RAND() * 15), 0), \
               rss_mem_mb = GREATEST(80, LEAST(400, rss_mem_mb + FLOOR(RAND() * 9) - 4)), \
               go_sys_mem_mb = rss_mem_mb + 40, \
               dependency_health = {DEPENDENCIES_EXPR} \
             WHERE {live}; \
             UPDATE jetmon_hosts SET last_heartbeat = NOW() WHERE {live}"
        );
        self.exec("demo tick: heartbeats", &heartbeat).await?;

        // The owner delivers up to a few due rows per table and tick (rows
        // about to become due are taken too, so a retry never shows as due
        // for long), plus the new events that arrived since the last tick.
        let base = self.next_transition.fetch_add(2, Ordering::Relaxed);
        let delivery = format!(
            "UPDATE jetmon_webhook_deliveries \
               SET status = 'delivered', attempt = attempt + 1, last_status_code = 200, \
                   last_attempt_at = NOW(), delivered_at = NOW(), next_attempt_at = NULL \
             WHERE status = 'pending' \
               AND (next_attempt_at IS NULL OR next_attempt_at <= NOW() + INTERVAL 10 SECOND) \
             ORDER BY COALESCE(next_attempt_at, created_at), id LIMIT 7; \
             UPDATE jetmon_alert_deliveries \
               SET status = 'delivered', attempt = attempt + 1, last_status_code = 200, \
                   last_attempt_at = NOW(), delivered_at = NOW(), next_attempt_at = NULL \
             WHERE status = 'pending' \
               AND (next_attempt_at IS NULL OR next_attempt_at <= NOW() + INTERVAL 10 SECOND) \
             ORDER BY COALESCE(next_attempt_at, created_at), id LIMIT 4; \
             INSERT INTO jetmon_webhook_deliveries \
               (webhook_id, transition_id, event_id, event_type, payload, status, attempt, \
                last_status_code, last_attempt_at, delivered_at, created_at) \
             VALUES ({webhook}, {base}, {base}, 'site_down', \
                     JSON_OBJECT('blog_id', {blog}, 'state', 'Down'), 'delivered', 1, 200, \
                     NOW(), NOW(), NOW() - INTERVAL 2 SECOND); \
             INSERT INTO jetmon_alert_deliveries \
               (alert_contact_id, transition_id, event_id, event_type, severity, payload, \
                status, attempt, last_status_code, last_attempt_at, delivered_at, created_at) \
             VALUES ({contact}, {next}, {base}, 'site_down', 4, \
                     JSON_OBJECT('blog_id', {blog}, 'state', 'Down'), 'delivered', 1, 200, \
                     NOW(), NOW(), NOW() - INTERVAL 2 SECOND)",
            webhook = 1 + base % 40,
            contact = 1 + base % 25,
            next = base + 1,
            blog = 100_000 + base % SITE_COUNT,
        );
        self.exec("demo tick: deliveries", &delivery).await?;

        if elapsed >= DRIFT_REPAIRED_AFTER && !self.drift_repaired.load(Ordering::Relaxed) {
            self.exec("demo tick: drift repair", DRIFT_REPAIR_SQL)
                .await?;
            self.drift_repaired.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Drops the database and disconnects.
    pub async fn drop_database(&self) -> Result<(), SqlError> {
        let _ = tokio::time::timeout(ADMIN_TIMEOUT, self.pool.clone().disconnect()).await;
        let run = async {
            let mut conn = Conn::new(self.admin.clone()).await?;
            conn.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name))
                .await?;
            conn.disconnect().await
        };
        bounded(run)
            .await
            .map_err(SqlError::db("dropping the demo database"))
    }

    /// Disconnects and leaves the database in place (`--keep`).
    pub async fn keep(&self) {
        let _ = tokio::time::timeout(ADMIN_TIMEOUT, self.pool.clone().disconnect()).await;
    }

    async fn exec(&self, what: &'static str, sql: &str) -> Result<(), SqlError> {
        let run = async {
            let mut conn = self.pool.get_conn().await?;
            conn.query_drop(sql).await
        };
        bounded(run).await.map_err(SqlError::db(what))
    }
}

/// `future` under [`ADMIN_TIMEOUT`], a timeout reported as an I/O error.
async fn bounded<T>(
    future: impl std::future::Future<Output = Result<T, mysql_async::Error>>,
) -> Result<T, mysql_async::Error> {
    match tokio::time::timeout(ADMIN_TIMEOUT, future).await {
        Ok(result) => result,
        Err(_) => Err(mysql_async::Error::Io(mysql_async::IoError::Io(
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {ADMIN_TIMEOUT:?}"),
            ),
        ))),
    }
}

fn unique_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("fleetd_demo_{}_{nanos}", std::process::id())
}

/// A process's `dependency_health`, written fresh on every heartbeat (SQL
/// expression over the row's own columns). `jm-dfw-02` sees a slow wpcom.
const DEPENDENCIES_EXPR: &str = "IF(process_type = 'deliverer', \
    JSON_ARRAY( \
      JSON_OBJECT('name', 'mysql', 'status', 'green', 'latency_ms', 1 + FLOOR(RAND() * 4), \
                  'checked_at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%sZ')), \
      JSON_OBJECT('name', 'webhook-http', 'status', 'green', 'latency_ms', 80 + FLOOR(RAND() * 90), \
                  'checked_at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%sZ')), \
      JSON_OBJECT('name', 'smtp', 'status', 'green', 'latency_ms', 20 + FLOOR(RAND() * 30), \
                  'checked_at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%sZ'))), \
    JSON_ARRAY( \
      JSON_OBJECT('name', 'mysql', 'status', 'green', 'latency_ms', 1 + FLOOR(RAND() * 4), \
                  'checked_at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%sZ')), \
      IF(host_id = 'jm-dfw-02', \
        JSON_OBJECT('name', 'wpcom', 'status', 'amber', 'latency_ms', 1500 + FLOOR(RAND() * 600), \
                    'last_error', 'p95 latency above 1s', \
                    'checked_at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%sZ')), \
        JSON_OBJECT('name', 'wpcom', 'status', 'green', 'latency_ms', 60 + FLOOR(RAND() * 80), \
                    'checked_at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%sZ'))), \
      JSON_OBJECT('name', 'statsd', 'status', 'green', 'latency_ms', FLOOR(RAND() * 2), \
                  'checked_at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%sZ'))))";

/// The five processes: four monitors (dynamic ownership, a quarter of the
/// buckets each) and the deliverer that owns delivery.
fn processes_sql() -> String {
    let monitors = [
        ("jm-dfw-01", 4101, 0, 249, 5),
        ("jm-dfw-02", 4102, 250, 499, 5),
        ("jm-ord-01", 4103, 500, 749, 3),
        (STALE_HOST, 4104, 750, 999, 3),
    ];
    let mut rows: Vec<String> = monitors
        .iter()
        .map(|(host, pid, min, max, hours)| {
            format!(
                "('{host}:monitor', '{host}', 'monitor', {pid}, '2.4.1', '2026-01-12T10:00:00Z', \
                  'go1.24.1', 'running', 'green', NOW() - INTERVAL {hours} HOUR, NOW(), \
                  {min}, {max}, 'dynamic jetmon_hosts', 7800, 7801, 0, '', 60, 40, 30, 2, 0, 4, \
                  230, 190, NULL)"
            )
        })
        .collect();
    rows.push(format!(
        "('{DELIVERY_OWNER}:deliverer', '{DELIVERY_OWNER}', 'deliverer', 5101, '2.4.1', \
          '2026-01-12T10:00:00Z', 'go1.24.1', 'running', 'green', NOW() - INTERVAL 5 HOUR, \
          NOW(), NULL, NULL, '', 7900, 7901, 1, '{DELIVERY_OWNER}', 16, 0, 12, 0, 0, 0, \
          150, 110, NULL)"
    ));
    format!(
        "INSERT INTO jetmon_process_health \
           (process_id, host_id, process_type, pid, version, build_date, go_version, state, \
            health_status, started_at, updated_at, bucket_min, bucket_max, bucket_ownership, \
            api_port, dashboard_port, delivery_workers_enabled, delivery_owner_host, \
            worker_count, active_checks, queue_depth, retry_queue_size, wpcom_circuit_open, \
            wpcom_queue_depth, go_sys_mem_mb, rss_mem_mb, dependency_health) \
         VALUES {}; \
         UPDATE jetmon_process_health SET dependency_health = {DEPENDENCIES_EXPR}",
        rows.join(", ")
    )
}

const HOSTS_SQL: &str =
    "INSERT INTO jetmon_hosts (host_id, bucket_min, bucket_max, last_heartbeat, status) VALUES \
    ('jm-dfw-01', 0, 249, NOW(), 'active'), \
    ('jm-dfw-02', 250, 499, NOW(), 'active'), \
    ('jm-ord-01', 500, 749, NOW(), 'active'), \
    ('jm-ord-02', 750, 999, NOW(), 'active')";

/// `n` = 0..9999 from four digit tables (works on MySQL and MariaDB,
/// without recursion limits); callers filter the range they need.
const NUMBERS: &str = "(SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d AS n FROM \
    (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 \
     UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a \
    CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 \
     UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b \
    CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 \
     UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c \
    CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 \
     UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e) AS numbers";

/// [`SITE_COUNT`] sites (blog ids 100000 + n) spread over the buckets;
/// every 97th is inactive. Sites 10, 20, 30 are correctly down and 40
/// correctly seems-down; 101, 202, 303, 404, 505, 606 and 707 drift (see
/// [`EVENTS_SQL`]).
fn sites_sql() -> String {
    format!(
        "INSERT INTO jetpack_monitor_sites \
           (blog_id, bucket_no, monitor_url, monitor_active, site_status, last_status_change, \
            check_interval, last_checked_at) \
         SELECT 100000 + n, n % 1000, CONCAT('https://site', n, '.example.com/'), \
                IF(n % 97 = 0, 0, 1), \
                CASE WHEN n IN (10, 20, 30, 404, 505) THEN 2 WHEN n IN (40, 707) THEN 0 ELSE 1 END, \
                NOW() - INTERVAL (n % 720) HOUR, 5, NOW() - INTERVAL (n % 300) SECOND \
         FROM {NUMBERS} WHERE n < {SITE_COUNT}"
    )
}

/// Open http events: correct ones for the down sites, and the drifting
/// sites' causes: 101, 202, 303 are Down but projected up
/// (missing_confirmed_down_projection); 404, 505 are projected down without
/// an open event (stale_legacy_down_projection); 606 is Seems Down but
/// projected up (missing_seems_down_projection); 707 has two open events
/// (multiple_open_http_events). Plus an open non-http event and closed
/// history, which do not count.
const EVENTS_SQL: &str = "INSERT INTO jetmon_events \
      (blog_id, endpoint_id, check_type, discriminator, severity, state, started_at, ended_at, \
       resolution_reason) VALUES \
    (100010, 1, 'http', NULL, 4, 'Down', NOW() - INTERVAL 3 HOUR, NULL, NULL), \
    (100020, 1, 'http', NULL, 4, 'Down', NOW() - INTERVAL 50 MINUTE, NULL, NULL), \
    (100030, 1, 'http', NULL, 4, 'Down', NOW() - INTERVAL 7 MINUTE, NULL, NULL), \
    (100040, 1, 'http', NULL, 3, 'Seems Down', NOW() - INTERVAL 1 MINUTE, NULL, NULL), \
    (100101, 1, 'http', NULL, 4, 'Down', NOW() - INTERVAL 12 MINUTE, NULL, NULL), \
    (100202, 1, 'http', NULL, 4, 'Down', NOW() - INTERVAL 9 MINUTE, NULL, NULL), \
    (100303, 1, 'http', NULL, 4, 'Down', NOW() - INTERVAL 4 MINUTE, NULL, NULL), \
    (100606, 1, 'http', NULL, 3, 'Seems Down', NOW() - INTERVAL 2 MINUTE, NULL, NULL), \
    (100707, 1, 'http', NULL, 4, 'Down', NOW() - INTERVAL 30 MINUTE, NULL, NULL), \
    (100707, 2, 'http', NULL, 3, 'Seems Down', NOW() - INTERVAL 3 MINUTE, NULL, NULL), \
    (100808, 1, 'ssl', 'expiry', 2, 'Warning', NOW() - INTERVAL 2 DAY, NULL, NULL), \
    (100404, 1, 'http', NULL, 4, 'Down', NOW() - INTERVAL 5 HOUR, NOW() - INTERVAL 4 HOUR, 'recovered'), \
    (100505, 1, 'http', NULL, 4, 'Down', NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 90 MINUTE, 'recovered'), \
    (100909, 1, 'http', NULL, 3, 'Seems Down', NOW() - INTERVAL 1 DAY, NOW() - INTERVAL 1 DAY, 'false_alarm')";

/// Makes every drifting site agree with its events again (the projection
/// repair an operator would run).
const DRIFT_REPAIR_SQL: &str = "\
    UPDATE jetpack_monitor_sites SET site_status = 2 \
      WHERE blog_id IN (100101, 100202, 100303, 100707) AND site_status <> 2; \
    UPDATE jetpack_monitor_sites SET site_status = 1 \
      WHERE blog_id IN (100404, 100505) AND site_status <> 1; \
    UPDATE jetpack_monitor_sites SET site_status = 0 \
      WHERE blog_id = 100606 AND site_status <> 0";

/// One batch of delivery rows, `n` running over `from..=to`; every other
/// field is an SQL expression (over `n`).
struct Batch {
    from: u32,
    to: u32,
    status: &'static str,
    attempt: &'static str,
    next_attempt_at: &'static str,
    last_status_code: &'static str,
    last_response: &'static str,
    last_attempt_at: &'static str,
    delivered_at: &'static str,
    created_at: &'static str,
}

/// Every delivery table's history and backlog, relative to the database
/// clock (recent_window is 15 minutes):
const BATCHES: [Batch; 6] = [
    // delivered long ago
    Batch {
        from: 0,
        to: 599,
        status: "delivered",
        attempt: "1",
        next_attempt_at: "NULL",
        last_status_code: "200",
        last_response: "'ok'",
        last_attempt_at: "NOW() - INTERVAL (20 + n) MINUTE",
        delivered_at: "NOW() - INTERVAL (20 + n) MINUTE",
        created_at: "NOW() - INTERVAL (20 + n) MINUTE - INTERVAL 2 SECOND",
    },
    // delivered in the last 12 minutes
    Batch {
        from: 600,
        to: 839,
        status: "delivered",
        attempt: "1 + (n % 7 = 0)",
        next_attempt_at: "NULL",
        last_status_code: "200",
        last_response: "'ok'",
        last_attempt_at: "NOW() - INTERVAL ((n - 600) * 3) SECOND",
        delivered_at: "NOW() - INTERVAL ((n - 600) * 3) SECOND",
        created_at: "NOW() - INTERVAL ((n - 600) * 3 + 1) SECOND",
    },
    // failed hours ago
    Batch {
        from: 840,
        to: 844,
        status: "failed",
        attempt: "5",
        next_attempt_at: "NULL",
        last_status_code: "500",
        last_response: "'HTTP 500 Internal Server Error'",
        last_attempt_at: "NOW() - INTERVAL (2 + n % 3) HOUR",
        delivered_at: "NULL",
        created_at: "NOW() - INTERVAL (3 + n % 3) HOUR",
    },
    // failed 13.5 minutes ago: counted until it leaves the 15-minute window
    Batch {
        from: 845,
        to: 846,
        status: "failed",
        attempt: "5",
        next_attempt_at: "NULL",
        last_status_code: "502",
        last_response: "'HTTP 502 Bad Gateway'",
        last_attempt_at: "NOW() - INTERVAL 810 SECOND",
        delivered_at: "NULL",
        created_at: "NOW() - INTERVAL 40 MINUTE",
    },
    // the due backlog (pending, never attempted), oldest 6 minutes
    Batch {
        from: 1000,
        to: 1359,
        status: "pending",
        attempt: "0",
        next_attempt_at: "NULL",
        last_status_code: "NULL",
        last_response: "NULL",
        last_attempt_at: "NULL",
        delivered_at: "NULL",
        created_at: "NOW() - INTERVAL (1360 - n) SECOND",
    },
    // retries scheduled in the future
    Batch {
        from: 1400,
        to: 1411,
        status: "pending",
        attempt: "2",
        next_attempt_at: "NOW() + INTERVAL (5 + (n - 1400) * 4) MINUTE",
        last_status_code: "503",
        last_response: "'HTTP 503 Service Unavailable'",
        last_attempt_at: "NOW() - INTERVAL 1 MINUTE",
        delivered_at: "NULL",
        created_at: "NOW() - INTERVAL 8 MINUTE",
    },
];

/// The alert table has about half the webhook volume: `n` keeps only every
/// other row of each batch, and its recent failure is an abandoned row.
fn deliveries_sql(alert: bool) -> String {
    let mut statements = Vec::new();
    for batch in &BATCHES {
        let (table, id_column, extra_column, extra_value, keep, status) = if alert {
            let status = if batch.status == "failed" {
                "abandoned"
            } else {
                batch.status
            };
            (
                "jetmon_alert_deliveries",
                "alert_contact_id",
                "severity, ",
                "IF(n % 3 = 0, 3, 4), ",
                "n % 2 = 0",
                status,
            )
        } else {
            (
                "jetmon_webhook_deliveries",
                "webhook_id",
                "",
                "",
                "1 = 1",
                batch.status,
            )
        };
        let modulus = if alert { 25 } else { 40 };
        statements.push(format!(
            "INSERT INTO {table} \
               ({id_column}, transition_id, event_id, event_type, {extra_column}payload, status, \
                attempt, next_attempt_at, last_status_code, last_response, last_attempt_at, \
                delivered_at, created_at) \
             SELECT 1 + n % {modulus}, n + 1, n + 1, IF(n % 2 = 0, 'site_down', 'site_up'), \
                    {extra_value}JSON_OBJECT('blog_id', 100000 + n % {SITE_COUNT}, 'event', n + 1), \
                    '{status}', {attempt}, {next}, {code}, {response}, {last}, {delivered}, {created} \
             FROM {NUMBERS} WHERE n BETWEEN {from} AND {to} AND {keep}",
            attempt = batch.attempt,
            next = batch.next_attempt_at,
            code = batch.last_status_code,
            response = batch.last_response,
            last = batch.last_attempt_at,
            delivered = batch.delivered_at,
            created = batch.created_at,
            from = batch.from,
            to = batch.to,
        ));
    }
    statements.join("; ")
}
