//! Test support (cargo feature `testing`): scratch databases on a real
//! MySQL/MariaDB, for fleet-sql's and fleetd's integration tests.
//!
//! The server comes from one environment variable,
//! [`TEST_DATABASE_URL_ENV`] (`FLEETD_TEST_DATABASE_URL`), defaulting to the
//! local server as root without a password. That account must be able to
//! create and drop databases; each scratch database is named
//! `fleetd_test_<pid>_<n>_<nanos>` and dropped afterwards, also when the
//! test panics.

use crate::db::ServerFlavor;
use crate::error::SqlError;
use crate::reader::FleetReader;
use crate::settings::{redact_url, with_database, DbSettings};
use crate::SCHEMA_SQL;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, Row, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod private_server;
pub use private_server::{PrivateServer, TestCertificates};

/// The environment variable naming the test server (an admin URL; its
/// database part is ignored).
pub const TEST_DATABASE_URL_ENV: &str = "FLEETD_TEST_DATABASE_URL";

/// The local server, used when the variable is unset or empty.
pub const DEFAULT_TEST_DATABASE_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// How long creating or dropping a scratch database may take.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The admin URL tests use: `$FLEETD_TEST_DATABASE_URL` or the default.
pub fn admin_url() -> String {
    std::env::var(TEST_DATABASE_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_TEST_DATABASE_URL.to_string())
}

/// A uniquely named database that exists for one test.
///
/// Drop it with [`ScratchDb::drop`] to see errors; if it is dropped
/// implicitly (including while a test panics), `Drop` removes the database
/// on a separate thread with its own runtime, so it works inside and outside
/// async code.
pub struct ScratchDb {
    name: String,
    admin_url: String,
    url: String,
    pool: Option<Pool>,
    dropped: bool,
}

impl std::fmt::Debug for ScratchDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScratchDb")
            .field("name", &self.name)
            .field("url", &redact_url(&self.url))
            .finish_non_exhaustive()
    }
}

impl ScratchDb {
    /// A new database with the jetmon schema loaded (all six tables, empty).
    pub async fn create() -> Result<ScratchDb, SqlError> {
        ScratchDb::create_at(&admin_url(), true).await
    }

    /// A new database with no tables at all.
    pub async fn create_without_schema() -> Result<ScratchDb, SqlError> {
        ScratchDb::create_at(&admin_url(), false).await
    }

    /// A new database on the server of `admin_url`.
    pub async fn create_at(admin_url: &str, load_schema: bool) -> Result<ScratchDb, SqlError> {
        const WHAT: &str = "scratch database";
        let name = unique_name();
        let url = with_database(admin_url, &name)
            .ok_or_else(|| SqlError::Settings(format!("not a URL: {}", redact_url(admin_url))))?;
        let admin_opts = Opts::from_url(admin_url)?;
        admin_exec(
            admin_opts,
            format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
        )
        .await
        .map_err(|e| SqlError::Settings(format!("{WHAT}: {e}")))?;

        let constraints = PoolConstraints::new(0, 4)
            .ok_or_else(|| SqlError::Settings("pool constraints".into()))?;
        let opts = OptsBuilder::from_opts(Opts::from_url(&url)?)
            // The same clock as the reader's sessions: NOW() is UTC.
            .setup(vec!["SET time_zone = '+00:00'"])
            .pool_opts(
                PoolOpts::default()
                    .with_constraints(constraints)
                    .with_inactive_connection_ttl(Duration::from_secs(30)),
            );
        let db = ScratchDb {
            name,
            admin_url: admin_url.to_string(),
            url,
            pool: Some(Pool::new(opts)),
            dropped: false,
        };
        if load_schema {
            db.exec(SCHEMA_SQL).await?;
        }
        Ok(db)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of this database (with the admin account's credentials).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Reader settings for this database, with the crate's defaults.
    pub fn settings(&self) -> DbSettings {
        DbSettings::new(self.url.clone())
    }

    /// A reader on this database with the crate's defaults.
    pub fn reader(&self) -> Result<FleetReader, SqlError> {
        FleetReader::new(self.settings())
    }

    /// Runs SQL (one or several `;`-separated statements) in this database,
    /// in a read-write UTC session.
    pub async fn exec(&self, sql: &str) -> Result<(), SqlError> {
        let mut conn = self.conn().await?;
        conn.query_drop(sql)
            .await
            .map_err(SqlError::db("scratch exec"))
    }

    /// Runs one statement with parameters and returns its rows.
    pub async fn query(&self, sql: &str, params: Params) -> Result<Vec<Row>, SqlError> {
        let mut conn = self.conn().await?;
        conn.exec(sql, params)
            .await
            .map_err(SqlError::db("scratch query"))
    }

    /// The first column of the first row of `sql`, as a raw value (typed:
    /// the binary protocol, as the reader uses).
    pub async fn value(&self, sql: &str) -> Result<Value, SqlError> {
        let mut conn = self.conn().await?;
        let row: Option<Row> = conn
            .exec_first(sql, Params::Empty)
            .await
            .map_err(SqlError::db("scratch query"))?;
        Ok(row
            .and_then(|mut r| r.take_opt::<Value, _>(0).and_then(Result::ok))
            .unwrap_or(Value::NULL))
    }

    async fn conn(&self) -> Result<Conn, SqlError> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| SqlError::Settings("scratch database already dropped".into()))?;
        pool.get_conn()
            .await
            .map_err(SqlError::db("scratch connect"))
    }

    /// Drops the database now, reporting errors.
    pub async fn drop(mut self) -> Result<(), SqlError> {
        self.dropped = true;
        if let Some(pool) = self.pool.take() {
            let _ = tokio::time::timeout(ADMIN_TIMEOUT, pool.disconnect()).await;
        }
        let opts = Opts::from_url(&self.admin_url)?;
        admin_exec(opts, format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .await
            .map_err(|e| SqlError::Settings(format!("dropping {}: {e}", self.name)))
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        self.dropped = true;
        drop(self.pool.take());
        let name = self.name.clone();
        let admin_url = self.admin_url.clone();
        // A fresh thread with its own runtime: Drop cannot await, may run
        // inside a runtime (where block_on panics) or during a panic.
        let dropper = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let opts = Opts::from_url(&admin_url).map_err(|e| e.to_string())?;
            runtime.block_on(admin_exec(
                opts,
                format!("DROP DATABASE IF EXISTS `{name}`"),
            ))
        });
        match dropper.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("fleet-sql testing: could not drop {}: {e}", self.name),
            Err(_) => eprintln!("fleet-sql testing: dropping {} panicked", self.name),
        }
    }
}

/// One statement on a fresh admin connection, bounded.
async fn admin_exec(opts: Opts, sql: String) -> Result<(), String> {
    let run = async {
        let mut conn = Conn::new(opts).await?;
        conn.query_drop(sql).await?;
        conn.disconnect().await
    };
    match tokio::time::timeout(ADMIN_TIMEOUT, run).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("timed out after {ADMIN_TIMEOUT:?}")),
    }
}

fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("fleetd_test_{}_{n}_{nanos}", std::process::id())
}

/// What a pooled reader connection looks like from the inside.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionProbe {
    pub connection_id: u64,
    pub time_zone: String,
    pub read_only: bool,
    /// The session statement limit, if any.
    pub statement_limit: Option<Duration>,
    /// The user variable an earlier probe set on this connection; `None`
    /// once the pool has reset the connection.
    pub marker_from_earlier_probe: Option<String>,
}

impl FleetReader {
    /// Inspects the session of a pooled connection, then leaves a user
    /// variable behind on it (visible to a later probe unless the pool reset
    /// the connection in between).
    pub async fn probe_session(&self) -> Result<SessionProbe, SqlError> {
        const WHAT: &str = "session probe";
        let mut results = self
            .db
            .statements_on_one_connection(WHAT, |flavor| {
                let (read_only, limit) = match flavor {
                    ServerFlavor::MariaDb => {
                        ("@@session.tx_read_only", "@@session.max_statement_time")
                    }
                    ServerFlavor::MySql => (
                        "@@session.transaction_read_only",
                        "@@session.max_execution_time",
                    ),
                };
                vec![
                    format!(
                        "SELECT CONNECTION_ID() AS id, @@session.time_zone AS tz, \
                         {read_only} AS ro, {limit} AS lim, @fleet_sql_probe AS marker"
                    ),
                    "SET @fleet_sql_probe = 'set'".to_string(),
                ]
            })
            .await?
            .into_iter();
        let mut row = results
            .next()
            .and_then(|rows| rows.into_iter().next())
            .ok_or_else(|| SqlError::decode(WHAT, "no row"))?;
        use crate::decode::{count, flag, opt_string, string, take};
        let limit = match (self.server_flavor(), take(&mut row, "lim")) {
            (_, Value::NULL) => None,
            (Some(ServerFlavor::MySql), v) => count(v).map(Duration::from_millis),
            (_, Value::Double(s)) => Some(Duration::from_secs_f64(s)),
            (_, v) => opt_string(v)
                .and_then(|s| s.parse::<f64>().ok())
                .map(Duration::from_secs_f64),
        }
        .filter(|d| !d.is_zero());
        Ok(SessionProbe {
            connection_id: count(take(&mut row, "id")).unwrap_or_default(),
            time_zone: string(take(&mut row, "tz")),
            read_only: flag(take(&mut row, "ro")),
            statement_limit: limit,
            marker_from_earlier_probe: opt_string(take(&mut row, "marker")),
        })
    }

    /// Runs an arbitrary SELECT through exactly the path the sections use
    /// (pooled connection, session limit, client bound, discard on timeout).
    pub async fn select_for_test(&self, sql: &str) -> Result<Vec<Row>, SqlError> {
        self.db
            .select(
                "test select",
                |_| sql.to_string(),
                Params::Empty,
                self.db.statement_bound(),
            )
            .await
    }
}
