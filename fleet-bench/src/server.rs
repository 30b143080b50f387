//! The server read-outs of the load benchmark: the server's version and
//! settings, global status counters and per-account statistics, the
//! SELECT-only account fleetd runs as, query plans and table sizes. Admin
//! statements (`CREATE USER`, `SET GLOBAL userstat`) that only a benchmark
//! may send, which is why they live in fleet-bench and not in fleet-sql.

use crate::sql::{cell, check_name, connect, database_url, exec, number, rows, text, DbError};
use chrono::{DateTime, NaiveDateTime, Utc};
use fleet_core::DeliveryKind;
use mysql_async::prelude::Queryable;
use mysql_async::{params, Conn, Params, Row};
use std::time::Duration;

/// The server, as the benchmark report describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub version: String,
    pub buffer_pool_bytes: u64,
    pub flush_method: String,
    pub tmp_memory_table_bytes: u64,
}

/// Version and the settings that matter for the figures.
pub async fn server_info(admin_url: &str) -> Result<ServerInfo, DbError> {
    let mut conn = connect(admin_url).await?;
    let mut result = rows(
        &mut conn,
        "server info",
        "SELECT @@version, @@innodb_buffer_pool_size, @@innodb_flush_method, \
         LEAST(@@tmp_table_size, @@max_heap_table_size)",
    )
    .await?;
    let _ = conn.disconnect().await;
    let row = result
        .first_mut()
        .ok_or_else(|| DbError::decode("server info", "no row"))?;
    Ok(ServerInfo {
        version: text(cell(row, 0)),
        buffer_pool_bytes: number(cell(row, 1)),
        flush_method: text(cell(row, 2)),
        tmp_memory_table_bytes: number(cell(row, 3)),
    })
}

/// Reads server-wide status counters (`SHOW GLOBAL STATUS`), e.g.
/// `Com_select`, on one connection kept open so that reading them adds no
/// connection-time queries between two reads. The server counts every
/// client: read them while nothing else runs.
#[derive(Debug)]
pub struct ServerStatus {
    conn: Conn,
}

impl ServerStatus {
    pub async fn connect(admin_url: &str) -> Result<ServerStatus, DbError> {
        Ok(ServerStatus {
            conn: connect(admin_url).await?,
        })
    }

    /// The counters named, in that order; 0 for unknown names.
    pub async fn read(&mut self, names: &[&str]) -> Result<Vec<u64>, DbError> {
        let result = rows(&mut self.conn, "global status", "SHOW GLOBAL STATUS").await?;
        let mut values = vec![0; names.len()];
        for mut row in result {
            let name = text(cell(&mut row, 0));
            if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(&name)) {
                values[i] = number(cell(&mut row, 1));
            }
        }
        Ok(values)
    }

    pub async fn close(self) {
        let _ = self.conn.disconnect().await;
    }
}

/// What one account has done, from MariaDB's `information_schema.USER_STATISTICS`
/// (kept only while the server's `userstat` is on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserCommands {
    pub connections: u64,
    pub selects: u64,
    pub updates: u64,
    /// Every other statement (SET, resets, ...).
    pub other: u64,
    pub rows_read: u64,
}

impl UserCommands {
    /// `self - earlier`, counter by counter.
    pub fn since(&self, earlier: &UserCommands) -> UserCommands {
        UserCommands {
            connections: self.connections.saturating_sub(earlier.connections),
            selects: self.selects.saturating_sub(earlier.selects),
            updates: self.updates.saturating_sub(earlier.updates),
            other: self.other.saturating_sub(earlier.other),
            rows_read: self.rows_read.saturating_sub(earlier.rows_read),
        }
    }
}

impl ServerStatus {
    /// Turns MariaDB's per-account statistics on; returns whether they were
    /// on before (to restore later), `None` when the server has none (MySQL).
    pub async fn enable_user_statistics(&mut self) -> Result<Option<bool>, DbError> {
        const WHAT: &str = "user statistics";
        let mut result = match rows(&mut self.conn, WHAT, "SELECT @@global.userstat").await {
            Ok(result) => result,
            Err(_) => return Ok(None),
        };
        let before = result.first_mut().map(|r| number(cell(r, 0)) != 0);
        exec(&mut self.conn, WHAT, "SET GLOBAL userstat = ON").await?;
        Ok(before)
    }

    /// Sets `userstat` back to what [`Self::enable_user_statistics`] found.
    pub async fn restore_user_statistics(&mut self, was_on: bool) -> Result<(), DbError> {
        let value = if was_on { "ON" } else { "OFF" };
        exec(
            &mut self.conn,
            "user statistics",
            &format!("SET GLOBAL userstat = {value}"),
        )
        .await
    }

    /// The counters of `user` (zero before its first statement).
    pub async fn user_commands(&mut self, user: &str) -> Result<UserCommands, DbError> {
        let result: Vec<Row> = self
            .conn
            .exec(
                "SELECT TOTAL_CONNECTIONS, SELECT_COMMANDS, UPDATE_COMMANDS, OTHER_COMMANDS, \
                 ROWS_READ FROM information_schema.USER_STATISTICS WHERE USER = ?",
                (user,),
            )
            .await
            .map_err(DbError::db("user statistics"))?;
        Ok(result
            .into_iter()
            .next()
            .map(|mut row| UserCommands {
                connections: number(cell(&mut row, 0)),
                selects: number(cell(&mut row, 1)),
                updates: number(cell(&mut row, 2)),
                other: number(cell(&mut row, 3)),
                rows_read: number(cell(&mut row, 4)),
            })
            .unwrap_or_default())
    }
}

/// The hosts a local reader account is created for (TCP from 127.0.0.1 may
/// be matched as either).
const READER_HOSTS: [&str; 2] = ["127.0.0.1", "localhost"];

/// Creates (or replaces) a SELECT-only account on `database`, the grant
/// fleetd needs in production, so that the benchmark can count what fleetd
/// alone sends to the server. Returns the URL (without password) to use.
pub async fn create_reader_account(
    admin_url: &str,
    database: &str,
    user: &str,
    password: &str,
) -> Result<String, DbError> {
    check_name(user)?;
    let url = database_url(admin_url, database)?;
    // CREATE USER takes no placeholders: the password is spliced in, so
    // only plain characters are accepted.
    if password.is_empty()
        || !password
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(DbError::Invalid(
            "reader account password: letters, digits, - and _ only".into(),
        ));
    }
    let mut conn = connect(admin_url).await?;
    for host in READER_HOSTS {
        exec(
            &mut conn,
            "create reader account",
            &format!("CREATE OR REPLACE USER '{user}'@'{host}' IDENTIFIED BY '{password}'"),
        )
        .await?;
        exec(
            &mut conn,
            "grant reader account",
            &format!("GRANT SELECT ON `{database}`.* TO '{user}'@'{host}'"),
        )
        .await?;
    }
    let _ = conn.disconnect().await;
    // mysql://<admin>@host/db → mysql://<user>@host/db
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[scheme_end..];
    let rest = rest.rfind('@').map_or(rest, |at| &rest[at + 1..]);
    Ok(format!("mysql://{user}@{rest}"))
}

/// Drops the account [`create_reader_account`] made.
pub async fn drop_reader_account(admin_url: &str, user: &str) -> Result<(), DbError> {
    check_name(user)?;
    let mut conn = connect(admin_url).await?;
    for host in READER_HOSTS {
        exec(
            &mut conn,
            "drop reader account",
            &format!("DROP USER IF EXISTS '{user}'@'{host}'"),
        )
        .await?;
    }
    let _ = conn.disconnect().await;
    Ok(())
}

/// One row of `EXPLAIN`: (column, value) pairs in the server's order.
pub type PlanRow = Vec<(String, String)>;

async fn explain(db_url: &str, sql: &str, params: Params) -> Result<Vec<PlanRow>, DbError> {
    let mut conn = connect(db_url).await?;
    let result: Vec<Row> = conn
        .exec(format!("EXPLAIN {sql}"), params)
        .await
        .map_err(DbError::db("explain"))?;
    let _ = conn.disconnect().await;
    Ok(result
        .into_iter()
        .map(|mut row| {
            let names: Vec<String> = row
                .columns_ref()
                .iter()
                .map(|c| c.name_str().into_owned())
                .collect();
            names
                .into_iter()
                .enumerate()
                .map(|(i, name)| (name, text(cell(&mut row, i))))
                .collect()
        })
        .collect())
}

/// The plan of the reader's drift query on `db_url`'s database.
pub async fn explain_drift(db_url: &str, bucket_total: u32) -> Result<Vec<PlanRow>, DbError> {
    explain(
        db_url,
        &format!("SELECT {}", fleet_sql::drift_query_body()),
        params! { "bucket_total" => bucket_total },
    )
    .await
}

/// The plan of the reader's delivery query of one table, at `now`.
pub async fn explain_delivery(
    db_url: &str,
    kind: DeliveryKind,
    now: DateTime<Utc>,
    recent_window: Duration,
) -> Result<Vec<PlanRow>, DbError> {
    let cutoff =
        now - chrono::TimeDelta::from_std(recent_window).unwrap_or(chrono::TimeDelta::zero());
    let naive = |t: DateTime<Utc>| -> NaiveDateTime { t.naive_utc() };
    explain(
        db_url,
        &fleet_sql::delivery_query(kind),
        params! { "now" => naive(now), "cutoff" => naive(cutoff) },
    )
    .await
}

/// Rows (estimated), data and index size of each table of `database`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSize {
    pub table: String,
    pub rows_estimate: u64,
    pub data_bytes: u64,
    pub index_bytes: u64,
}

pub async fn table_sizes(admin_url: &str, database: &str) -> Result<Vec<TableSize>, DbError> {
    check_name(database)?;
    let mut conn = connect(admin_url).await?;
    let result: Vec<Row> = conn
        .exec(
            "SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = ? ORDER BY DATA_LENGTH + INDEX_LENGTH DESC",
            (database,),
        )
        .await
        .map_err(DbError::db("table sizes"))?;
    let _ = conn.disconnect().await;
    Ok(result
        .into_iter()
        .map(|mut row| TableSize {
            table: text(cell(&mut row, 0)),
            rows_estimate: number(cell(&mut row, 1)),
            data_bytes: number(cell(&mut row, 2)),
            index_bytes: number(cell(&mut row, 3)),
        })
        .collect())
}
