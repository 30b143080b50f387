//! Errors of the adapter.
//!
//! `Display` may contain database text (server error messages, column
//! names). It is for the log only: fleetd turns every failure into a generic
//! "unreadable" section before anything reaches a client.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// The settings cannot describe a working pool (e.g. `pool_max = 0`).
    #[error("invalid database settings: {0}")]
    Settings(String),

    /// The database URL could not be parsed. mysql_async's URL errors name a
    /// parameter or value, never the password.
    #[error("invalid database URL: {0}")]
    Url(#[from] mysql_async::UrlError),

    /// No connection could be had in time: the pool was exhausted, or
    /// connecting (TCP, handshake, session setup) took too long.
    #[error("{what}: no database connection within {after:?}")]
    CheckoutTimeout { what: &'static str, after: Duration },

    /// The client-side bound on a query expired. The connection it ran on
    /// has been discarded, never returned to the pool.
    #[error("{what}: query did not finish within {after:?}")]
    QueryTimeout { what: &'static str, after: Duration },

    /// The server or the driver reported an error (including the server
    /// cutting a statement off at its time limit).
    #[error("{what}: {source}")]
    Db {
        what: &'static str,
        #[source]
        source: mysql_async::Error,
    },

    /// The query ran but its result has an unexpected shape or value.
    #[error("{what}: unexpected result: {detail}")]
    Decode { what: &'static str, detail: String },
}

impl SqlError {
    /// True when the error is a time limit being hit, on either side: the
    /// server's statement limit, or the client-side bound.
    pub fn is_timeout(&self) -> bool {
        match self {
            SqlError::CheckoutTimeout { .. } | SqlError::QueryTimeout { .. } => true,
            SqlError::Db {
                source: mysql_async::Error::Server(e),
                ..
            } => is_statement_limit_code(e.code),
            _ => false,
        }
    }

    pub(crate) fn db(what: &'static str) -> impl FnOnce(mysql_async::Error) -> SqlError {
        move |source| SqlError::Db { what, source }
    }

    pub(crate) fn decode(what: &'static str, detail: impl Into<String>) -> SqlError {
        SqlError::Decode {
            what,
            detail: detail.into(),
        }
    }
}

/// MariaDB `ER_STATEMENT_TIMEOUT` (1969), MySQL
/// `ER_QUERY_TIMEOUT` (3024) and the generic `ER_QUERY_INTERRUPTED` (1317)
/// that MySQL 5.7 used for `max_execution_time`.
fn is_statement_limit_code(code: u16) -> bool {
    matches!(code, 1969 | 3024 | 1317)
}
