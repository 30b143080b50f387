//! What the seeder and the read-outs share: their error type, connections
//! and cell decoding.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Row, Value};

/// A failure of the seeder or of a server read-out.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A spec, name or password refused before anything was sent.
    #[error("{0}")]
    Invalid(String),

    /// mysql_async's URL errors name a parameter or value, never the
    /// password.
    #[error("invalid database URL: {0}")]
    Url(#[from] mysql_async::UrlError),

    /// The server or the driver reported an error.
    #[error("{what}: {source}")]
    Db {
        what: &'static str,
        #[source]
        source: mysql_async::Error,
    },

    /// The statement ran but its result has an unexpected shape.
    #[error("{what}: unexpected result: {detail}")]
    Decode { what: &'static str, detail: String },
}

impl DbError {
    pub(crate) fn db(what: &'static str) -> impl FnOnce(mysql_async::Error) -> DbError {
        move |source| DbError::Db { what, source }
    }

    pub(crate) fn decode(what: &'static str, detail: impl Into<String>) -> DbError {
        DbError::Decode {
            what,
            detail: detail.into(),
        }
    }
}

/// `admin_url` with its database replaced by `database` (for fleetd's
/// configuration and readers).
pub fn database_url(admin_url: &str, database: &str) -> Result<String, DbError> {
    check_name(database)?;
    fleet_sql::with_database(admin_url, database).ok_or_else(|| {
        DbError::Invalid(format!(
            "not a URL: {}",
            fleet_sql::DbSettings::new(admin_url).redacted_url()
        ))
    })
}

/// Database and account names the seeder and the read-outs may create or drop: plain identifiers, never
/// a system schema.
pub(crate) fn check_name(database: &str) -> Result<(), DbError> {
    let plain = !database.is_empty()
        && database.len() <= 64
        && database
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let system = ["mysql", "information_schema", "performance_schema", "sys"]
        .contains(&database.to_ascii_lowercase().as_str());
    if !plain || system {
        return Err(DbError::Invalid(format!(
            "{database:?} is not a database name the seeder may use (letters, digits, _; no system schema)"
        )));
    }
    Ok(())
}

pub(crate) async fn connect(url: &str) -> Result<Conn, DbError> {
    let opts = OptsBuilder::from_opts(Opts::from_url(url)?)
        // The seeder's times are UTC, like the reader's.
        .setup(vec!["SET time_zone = '+00:00'"]);
    Conn::new(opts).await.map_err(DbError::db("connect"))
}

pub(crate) async fn exec(conn: &mut Conn, what: &'static str, sql: &str) -> Result<(), DbError> {
    conn.query_drop(sql).await.map_err(DbError::db(what))
}

pub(crate) async fn rows(
    conn: &mut Conn,
    what: &'static str,
    sql: &str,
) -> Result<Vec<Row>, DbError> {
    conn.query(sql).await.map_err(DbError::db(what))
}

pub(crate) fn text(value: Value) -> String {
    match value {
        Value::NULL => String::new(),
        Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(d) => d.to_string(),
        other => other.as_sql(true),
    }
}

pub(crate) fn cell(row: &mut Row, index: usize) -> Value {
    row.take_opt::<Value, _>(index)
        .and_then(Result::ok)
        .unwrap_or(Value::NULL)
}

pub(crate) fn number(value: Value) -> u64 {
    match value {
        Value::Int(i) => u64::try_from(i).unwrap_or(0),
        Value::UInt(u) => u,
        other => text(other).trim().parse().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_non_system_names_are_accepted() {
        assert!(check_name("fleetd_bench").is_ok());
        for bad in [
            "",
            "mysql",
            "SYS",
            "a-b",
            "x`y",
            "a b",
            "performance_schema",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn database_url_replaces_only_the_database() {
        assert_eq!(
            database_url("mysql://root@127.0.0.1:3306/test", "fleetd_bench").ok(),
            Some("mysql://root@127.0.0.1:3306/fleetd_bench".to_string())
        );
    }
}
