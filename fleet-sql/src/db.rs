//! The bounded, read-only, time-limited connection pool.
//!
//! mysql_async has no query or pool-wait timeout of its own, and a
//! connection dropped back into the pool goes to its recycler, which drains
//! any unread result and then resets the connection (`COM_RESET_CONNECTION`
//! plus the `setup` statements), all without a time limit: against a
//! black-holed server that never ends and the pool slot is lost. So here:
//!
//! - every checkout and every query runs under a client-side bound;
//! - a connection whose query hit that bound is disconnected in the
//!   background (itself bounded), never dropped back into the pool;
//! - the pool's own reset is switched off and each connection is reset by
//!   us, in the background and bounded, before it is released; one that
//!   cannot be reset in time is discarded. The `setup` statements (UTC,
//!   read-only, statement limit) run on connect and after every reset.

use crate::error::SqlError;
use crate::settings::DbSettings;
use crate::tls::{self, TlsMode};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, Row, Value};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::time::{timeout, Instant};

/// Slack on top of a server-side statement limit before the client gives
/// up: the server normally cuts the statement off first and answers with an
/// error; the client bound only fires when the server cannot answer at all.
pub(crate) const CLIENT_MARGIN: Duration = Duration::from_secs(1);

/// How long idle connections above the pool's minimum (0) are kept.
const IDLE_TTL: Duration = Duration::from_secs(60);

/// The server family, which decides how a statement time limit is spelt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerFlavor {
    /// `max_statement_time`, in seconds (fractional).
    MariaDb,
    /// `max_execution_time`, in milliseconds (SELECT only, which is all we run).
    MySql,
}

impl ServerFlavor {
    /// MariaDB says so in `@@version` (`10.11.6-MariaDB-...`); anything else
    /// is treated as MySQL.
    pub fn from_version(version: &str) -> ServerFlavor {
        if version.to_ascii_lowercase().contains("mariadb") {
            ServerFlavor::MariaDb
        } else {
            ServerFlavor::MySql
        }
    }

    /// The session statement that caps every statement on a connection.
    pub(crate) fn session_limit(self, limit: Duration) -> String {
        match self {
            ServerFlavor::MariaDb => format!("SESSION max_statement_time = {}", seconds(limit)),
            ServerFlavor::MySql => format!("SESSION max_execution_time = {}", millis(limit)),
        }
    }

    /// `SELECT <body>` with its own time limit, overriding the session's.
    pub(crate) fn select_with_limit(self, body: &str, limit: Duration) -> String {
        match self {
            ServerFlavor::MariaDb => format!(
                "SET STATEMENT max_statement_time = {} FOR SELECT {body}",
                seconds(limit)
            ),
            ServerFlavor::MySql => {
                format!("SELECT /*+ MAX_EXECUTION_TIME({}) */ {body}", millis(limit))
            }
        }
    }
}

/// Seconds with microseconds, never 0 (0 would mean "no limit").
fn seconds(limit: Duration) -> String {
    let micros = limit.as_micros().max(1);
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// Whole milliseconds, never 0 (0 would mean "no limit").
fn millis(limit: Duration) -> u128 {
    limit.as_millis().max(1)
}

/// The statements every connection runs after connecting and again after
/// each `COM_RESET_CONNECTION` (mysql_async's `setup`; its `init` statements
/// are lost on reset, and the pool resets every connection it takes back).
fn setup_statements(flavor: Option<ServerFlavor>, limit: Duration) -> Vec<String> {
    let mut time_zone = String::from("SET time_zone = '+00:00'");
    if let Some(flavor) = flavor {
        time_zone.push_str(", ");
        time_zone.push_str(&flavor.session_limit(limit));
    }
    vec![
        // Cannot share a SET with variable assignments.
        "SET SESSION TRANSACTION READ ONLY".to_string(),
        time_zone,
    ]
}

struct Session {
    pool: Pool,
    flavor: ServerFlavor,
    /// Whether the pool's connections ask for TLS.
    tls: bool,
}

pub(crate) struct Db {
    settings: DbSettings,
    /// URL and password only; TLS, pool options and setup are added once
    /// the server is known.
    base: Opts,
    /// The pool in use, made on first use. `tls = preferred` drops it to
    /// decide again when the server stops offering TLS (a failover).
    session: Mutex<Option<Arc<Session>>>,
    /// Held while a session is being opened, so that concurrent reads wait
    /// for the one attempt instead of each opening a pool.
    opening: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Db {
    // Opts' own Debug prints the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("settings", &self.settings)
            .field("flavor", &self.flavor())
            .field("tls", &self.tls_in_use())
            .finish_non_exhaustive()
    }
}

impl Db {
    pub(crate) fn new(settings: DbSettings) -> Result<Db, SqlError> {
        settings.validate()?;
        let mut builder = OptsBuilder::from_opts(Opts::from_url(&settings.url)?);
        if let Some(password) = &settings.password {
            builder = builder.pass(Some(password.clone()));
        }
        Ok(Db {
            base: builder.into(),
            settings,
            session: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
        })
    }

    pub(crate) fn settings(&self) -> &DbSettings {
        &self.settings
    }

    fn current(&self) -> Option<Arc<Session>> {
        lock(&self.session).clone()
    }

    pub(crate) fn flavor(&self) -> Option<ServerFlavor> {
        self.current().map(|s| s.flavor)
    }

    /// Whether the pool's connections ask for TLS, once connected.
    pub(crate) fn tls_in_use(&self) -> Option<bool> {
        self.current().map(|s| s.tls)
    }

    /// Client bound on an ordinary query.
    pub(crate) fn statement_bound(&self) -> Duration {
        self.settings.statement_timeout + CLIENT_MARGIN
    }

    /// Client bound on the drift scan.
    pub(crate) fn drift_bound(&self) -> Duration {
        self.settings.drift_statement_timeout + CLIENT_MARGIN
    }

    /// Waiting for a pooled connection may include waiting for a running
    /// query to give its connection back, which is bounded by the statement
    /// limit; connecting afresh is bounded by the connect timeout.
    fn checkout_bound(&self) -> Duration {
        self.settings.connect_timeout + self.statement_bound()
    }

    /// The pool, created on first use: the session setup depends on the
    /// server flavour (and, with `tls = preferred`, on whether the server
    /// offers TLS), which takes one throwaway connection to learn. A
    /// failure leaves no session, so the next read tries again.
    async fn session(&self) -> Result<Arc<Session>, SqlError> {
        if let Some(session) = self.current() {
            return Ok(session);
        }
        let _opening = self.opening.lock().await;
        if let Some(session) = self.current() {
            return Ok(session);
        }
        let session = Arc::new(self.open_session().await?);
        *lock(&self.session) = Some(session.clone());
        Ok(session)
    }

    async fn open_session(&self) -> Result<Session, SqlError> {
        let (flavor, tls) = self.detect_server().await?;
        let limit = self.settings.statement_timeout;
        let constraints = PoolConstraints::new(0, self.settings.pool_max)
            .ok_or_else(|| SqlError::Settings("pool_max must be at least 1".into()))?;
        let opts = self
            .with_tls(tls)
            .setup(setup_statements(Some(flavor), limit))
            .tcp_keepalive(Some(Duration::from_secs(30)))
            .pool_opts(
                PoolOpts::default()
                    .with_constraints(constraints)
                    .with_inactive_connection_ttl(IDLE_TTL)
                    // We reset connections ourselves, bounded: see
                    // `release`.
                    .with_reset_connection(false),
            );
        log::info!(
            "fleet-sql: reading {} ({flavor:?}, {}), pool_max={}, statement limit {:?}",
            self.settings.redacted_url(),
            self.describe_tls(tls),
            self.settings.pool_max,
            limit
        );
        Ok(Session {
            pool: Pool::new(opts),
            flavor,
            tls,
        })
    }

    /// The base options plus TLS as configured, or without TLS when `tls`
    /// is false (the `preferred` fallback).
    fn with_tls(&self, tls: bool) -> OptsBuilder {
        tls::apply(
            OptsBuilder::from_opts(self.base.clone()),
            &self.base,
            self.settings.tls,
            self.settings.ca_file.as_ref(),
            tls,
        )
    }

    fn describe_tls(&self, tls: bool) -> String {
        if self.base.socket().is_some() {
            return "unix socket, no TLS".into();
        }
        match (self.settings.tls, tls) {
            (TlsMode::Disabled, _) => "TLS disabled".into(),
            (TlsMode::Preferred, false) => "no TLS: the server offers none (tls = preferred)".into(),
            (TlsMode::Preferred, true) => {
                "TLS when over TCP, certificate not checked (tls = preferred)".into()
            }
            (TlsMode::Required, _) => "TLS, certificate not checked (tls = required)".into(),
            (TlsMode::VerifyIdentity, _) => match &self.settings.ca_file {
                Some(ca) => format!(
                    "TLS, server identity verified against {} (tls = verify_identity)",
                    ca.path().display()
                ),
                None => {
                    "TLS, server identity verified against the built-in roots (tls = verify_identity)"
                        .into()
                }
            },
        }
    }

    /// The server flavour, and whether connections will use TLS. With
    /// `preferred`, a server that answers "no TLS here" is asked again
    /// without; both attempts share one connect bound.
    async fn detect_server(&self) -> Result<(ServerFlavor, bool), SqlError> {
        let want_tls = self.settings.tls != TlsMode::Disabled && self.base.socket().is_none();
        let deadline = Instant::now() + self.settings.connect_timeout;
        match self.detect_flavor(want_tls, deadline).await {
            Err(SqlError::Db { source, .. })
                if want_tls
                    && self.settings.tls == TlsMode::Preferred
                    && tls::is_no_tls_on_server(&source) =>
            {
                // Said once the session opens ("no TLS: the server offers none").
                Ok((self.detect_flavor(false, deadline).await?, false))
            }
            other => other.map(|flavor| (flavor, want_tls)),
        }
    }

    async fn detect_flavor(&self, tls: bool, deadline: Instant) -> Result<ServerFlavor, SqlError> {
        const WHAT: &str = "server detection";
        let opts = self
            .with_tls(tls)
            .setup(setup_statements(None, self.settings.statement_timeout));
        let mut conn = match tokio::time::timeout_at(deadline, Conn::new(opts)).await {
            Ok(conn) => conn.map_err(SqlError::db(WHAT))?,
            Err(_) => {
                return Err(SqlError::CheckoutTimeout {
                    what: WHAT,
                    after: self.settings.connect_timeout,
                })
            }
        };
        let bound = self.statement_bound();
        let version = timeout(bound, conn.query_first::<Value, _>("SELECT @@version")).await;
        let version = match version {
            Ok(Ok(value)) => crate::decode::opt_string(value.unwrap_or(Value::NULL)),
            Ok(Err(e)) => {
                self.discard(conn);
                return Err(SqlError::db(WHAT)(e));
            }
            Err(_) => {
                self.discard(conn);
                return Err(SqlError::QueryTimeout {
                    what: WHAT,
                    after: bound,
                });
            }
        };
        self.discard(conn);
        let version = version.ok_or_else(|| SqlError::decode(WHAT, "no @@version"))?;
        Ok(ServerFlavor::from_version(&version))
    }

    /// Drops `stale` (if it is still the session in use) so that the next
    /// read opens a new one; its pool is closed in the background, bounded.
    fn forget(&self, stale: &Arc<Session>) {
        let mut current = lock(&self.session);
        if !current.as_ref().is_some_and(|s| Arc::ptr_eq(s, stale)) {
            return;
        }
        *current = None;
        let pool = stale.pool.clone();
        let bound = self.checkout_bound();
        let url = self.settings.redacted_url();
        tokio::spawn(async move {
            if timeout(bound, pool.disconnect()).await.is_err() {
                log::debug!("fleet-sql: the old pool of {url} did not close within {bound:?}");
            }
        });
    }

    /// Closes a connection, in the background, without ever letting it back
    /// into the pool.
    fn discard(&self, conn: Conn) {
        let bound = self.settings.connect_timeout;
        let url = self.settings.redacted_url();
        tokio::spawn(disconnect_bounded(conn, bound, url));
    }

    /// Gives a connection back to the pool, clean: reset in the background
    /// (which rolls back, forgets session state and re-runs the `setup`
    /// statements) under a bound, and discarded if that fails.
    fn release(&self, mut conn: Conn) {
        let bound = self.settings.connect_timeout + self.statement_bound();
        let url = self.settings.redacted_url();
        let discard_bound = self.settings.connect_timeout;
        tokio::spawn(async move {
            let reason = match timeout(bound, conn.reset()).await {
                // Clean; the pool takes it back as it is.
                Ok(Ok(true)) => return,
                Ok(Ok(false)) => "the server cannot reset connections".to_string(),
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("no reset within {bound:?}"),
            };
            log::debug!("fleet-sql: discarding a connection to {url}: {reason}");
            disconnect_bounded(conn, discard_bound, url).await;
        });
    }

    async fn checkout(&self, what: &'static str) -> Result<(Conn, ServerFlavor), SqlError> {
        let session = self.session().await?;
        let bound = self.checkout_bound();
        match timeout(bound, session.pool.get_conn()).await {
            Ok(Ok(conn)) => Ok((conn, session.flavor)),
            Ok(Err(e)) => {
                if session.tls
                    && self.settings.tls == TlsMode::Preferred
                    && tls::is_no_tls_on_server(&e)
                {
                    log::warn!(
                        "fleet-sql: {} no longer offers TLS; tls = preferred: deciding again on \
                         the next read",
                        self.settings.redacted_url()
                    );
                    self.forget(&session);
                }
                Err(SqlError::db(what)(e))
            }
            Err(_) => Err(SqlError::CheckoutTimeout { what, after: bound }),
        }
    }

    /// Runs one SELECT (built for the server's flavour) on its own pooled
    /// connection, bounded by `bound` on the client side.
    pub(crate) async fn select(
        &self,
        what: &'static str,
        sql: impl FnOnce(ServerFlavor) -> String,
        params: Params,
        bound: Duration,
    ) -> Result<Vec<Row>, SqlError> {
        let (mut conn, flavor) = self.checkout(what).await?;
        let sql = sql(flavor);
        // The query borrows the connection so that on timeout we still own
        // it and can keep it out of the pool.
        match timeout(bound, conn.exec::<Row, _, _>(sql.as_str(), params)).await {
            Ok(Ok(rows)) => {
                self.release(conn);
                Ok(rows)
            }
            // A server error (including the statement limit) leaves the
            // connection usable; a broken one is marked disconnected by the
            // driver, fails its reset and is discarded.
            Ok(Err(e)) => {
                self.release(conn);
                Err(SqlError::db(what)(e))
            }
            Err(_) => {
                self.discard(conn);
                Err(SqlError::QueryTimeout { what, after: bound })
            }
        }
    }

    /// Runs several statements on one connection, for tests that inspect
    /// the session state. Not bounded per statement: the whole sequence is.
    #[cfg(feature = "testing")]
    pub(crate) async fn statements_on_one_connection(
        &self,
        what: &'static str,
        sql: impl FnOnce(ServerFlavor) -> Vec<String>,
    ) -> Result<Vec<Vec<Row>>, SqlError> {
        let (mut conn, flavor) = self.checkout(what).await?;
        let bound = self.statement_bound();
        let run = async {
            let mut out = Vec::new();
            for statement in sql(flavor) {
                out.push(conn.query::<Row, _>(statement).await?);
            }
            Ok::<_, mysql_async::Error>(out)
        };
        let result = timeout(bound, run).await;
        match result {
            Ok(result) => {
                self.release(conn);
                result.map_err(SqlError::db(what))
            }
            Err(_) => {
                self.discard(conn);
                Err(SqlError::QueryTimeout { what, after: bound })
            }
        }
    }

    /// Disconnects the pool, waiting (bounded) for checked-out connections.
    pub(crate) async fn close(&self) {
        let Some(session) = self.current() else {
            return;
        };
        let bound = self.checkout_bound();
        match timeout(bound, session.pool.clone().disconnect()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::warn!("fleet-sql: closing the pool: {e}"),
            Err(_) => log::warn!("fleet-sql: the pool did not close within {bound:?}"),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `Conn::disconnect` marks the connection disconnected before touching
/// the socket; if it cannot finish in time and is dropped, the pool's
/// recycler sees that mark and throws the connection away rather than
/// draining or resetting it.
async fn disconnect_bounded(conn: Conn, bound: Duration, url: String) {
    match timeout(bound, conn.disconnect()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::debug!("fleet-sql: closing a discarded connection to {url}: {e}"),
        Err(_) => log::warn!(
            "fleet-sql: a discarded connection to {url} did not close within {bound:?}; dropped"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavour_comes_from_the_version_string() {
        assert_eq!(
            ServerFlavor::from_version("10.11.19-MariaDB-0+deb12u1"),
            ServerFlavor::MariaDb
        );
        assert_eq!(ServerFlavor::from_version("8.0.36"), ServerFlavor::MySql);
        assert_eq!(ServerFlavor::from_version("8.0.36-28"), ServerFlavor::MySql);
    }

    #[test]
    fn limits_are_spelt_per_flavour_and_never_zero() {
        let limit = Duration::from_millis(2500);
        assert_eq!(
            ServerFlavor::MariaDb.session_limit(limit),
            "SESSION max_statement_time = 2.500000"
        );
        assert_eq!(
            ServerFlavor::MySql.session_limit(limit),
            "SESSION max_execution_time = 2500"
        );
        assert_eq!(
            ServerFlavor::MySql.session_limit(Duration::from_micros(10)),
            "SESSION max_execution_time = 1"
        );
        assert_eq!(
            ServerFlavor::MariaDb.session_limit(Duration::from_nanos(1)),
            "SESSION max_statement_time = 0.000001"
        );
    }

    #[test]
    fn a_statement_limit_overrides_the_session_for_one_select() {
        let limit = Duration::from_secs(60);
        assert_eq!(
            ServerFlavor::MariaDb.select_with_limit("1", limit),
            "SET STATEMENT max_statement_time = 60.000000 FOR SELECT 1"
        );
        assert_eq!(
            ServerFlavor::MySql.select_with_limit("1", limit),
            "SELECT /*+ MAX_EXECUTION_TIME(60000) */ 1"
        );
    }

    #[test]
    fn setup_sets_utc_read_only_and_the_limit() {
        let setup = setup_statements(Some(ServerFlavor::MariaDb), Duration::from_secs(3));
        assert_eq!(
            setup,
            vec![
                "SET SESSION TRANSACTION READ ONLY".to_string(),
                "SET time_zone = '+00:00', SESSION max_statement_time = 3.000000".to_string(),
            ]
        );
    }
}
