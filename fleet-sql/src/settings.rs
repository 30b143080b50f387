//! Connection settings, and the pieces of them that may appear in logs.

use crate::error::SqlError;
use crate::tls::{check_tls, CaFile, TlsMode};
use std::fmt;
use std::time::Duration;

/// How to reach the database and how long anything may take.
///
/// The URL is mysql_async's: `mysql://user[:pass]@host[:port]/db`, with
/// query parameters such as `?socket=/run/mysqld/mysqld.sock` or
/// `?prefer_socket=false`. Pool size parameters in the URL are ignored:
/// `pool_max` wins.
#[derive(Clone, PartialEq, Eq)]
pub struct DbSettings {
    pub url: String,
    /// Overrides the URL's password (fleetd reads it from `password_file`),
    /// so the secret never has to be part of a URL that might be logged.
    pub password: Option<String>,
    /// Upper bound on open connections. One snapshot uses up to four at
    /// once, plus one for a running drift scan.
    pub pool_max: usize,
    /// Bound on getting a usable connection: TCP connect, handshake and
    /// session setup.
    pub connect_timeout: Duration,
    /// Server-side limit on every statement except the drift scan.
    pub statement_timeout: Duration,
    /// Server-side limit on the drift scan.
    pub drift_statement_timeout: Duration,
    /// TLS to the server (see [`TlsMode`]); TCP connections only.
    pub tls: TlsMode,
    /// The CA that `TlsMode::VerifyIdentity` trusts instead of the built-in
    /// roots; only allowed with that mode.
    pub ca_file: Option<CaFile>,
}

impl DbSettings {
    pub const DEFAULT_POOL_MAX: usize = 8;
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_millis(3000);
    pub const DEFAULT_DRIFT_STATEMENT_TIMEOUT: Duration = Duration::from_millis(60_000);

    /// Settings for `url` with the documented defaults.
    pub fn new(url: impl Into<String>) -> DbSettings {
        DbSettings {
            url: url.into(),
            password: None,
            pool_max: Self::DEFAULT_POOL_MAX,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            statement_timeout: Self::DEFAULT_STATEMENT_TIMEOUT,
            drift_statement_timeout: Self::DEFAULT_DRIFT_STATEMENT_TIMEOUT,
            tls: TlsMode::default(),
            ca_file: None,
        }
    }

    /// Settings for a database given as discrete parts instead of a URL,
    /// with the documented defaults. The password, if any, is kept out of
    /// the URL (see [`DbSettings::password`]).
    pub fn from_address(address: &DbAddress, password: Option<String>) -> DbSettings {
        let mut url = format!(
            "mysql://{}@{}:{}/{}",
            percent_encode(&address.user),
            bracket_ipv6(&address.host),
            address.port,
            percent_encode(&address.database)
        );
        if let Some(socket) = &address.socket {
            url.push_str("?socket=");
            url.push_str(&percent_encode(socket));
        }
        DbSettings {
            password,
            ..DbSettings::new(url)
        }
    }

    /// The URL with any password replaced by `***`, for logs and errors.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }

    pub(crate) fn validate(&self) -> Result<(), SqlError> {
        if self.pool_max == 0 {
            return Err(SqlError::Settings("pool_max must be at least 1".into()));
        }
        for (name, value) in [
            ("connect_timeout", self.connect_timeout),
            ("statement_timeout", self.statement_timeout),
            ("drift_statement_timeout", self.drift_statement_timeout),
        ] {
            // A zero limit means "no limit" to both servers: exactly what
            // these settings exist to prevent.
            if value.is_zero() {
                return Err(SqlError::Settings(format!("{name} must be greater than 0")));
            }
        }
        check_tls(&self.url, self.tls, self.ca_file.is_some())
            .map_err(|conflict| SqlError::Settings(conflict.to_string()))
    }
}

impl fmt::Debug for DbSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbSettings")
            .field("url", &self.redacted_url())
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("pool_max", &self.pool_max)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("drift_statement_timeout", &self.drift_statement_timeout)
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl fmt::Display for DbSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted_url())
    }
}

/// Replaces the password of `scheme://user:password@host...` with `***`.
///
/// Works on the raw text rather than a parsed URL so that even a URL that
/// fails to parse is never logged with its secret.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        // Not URL-shaped; an "@" could still follow a secret.
        return match url.rfind('@') {
            Some(at) => format!("***{}", &url[at..]),
            None => url.to_string(),
        };
    };
    let auth_start = scheme_end + 3;
    let rest = &url[auth_start..];
    let auth_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..auth_len];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    let user = match userinfo.find(':') {
        Some(colon) => format!("{}:***", &userinfo[..colon]),
        None => userinfo.to_string(),
    };
    format!("{}{}{}", &url[..auth_start], user, &url[auth_start + at..])
}

/// `url` with its database (the path) replaced by `db`, its options kept;
/// `None` when `url` is not a URL. For tools that create databases next to
/// the one they were given (the demo, the tests, the benchmark).
pub fn with_database(url: &str, db: &str) -> Option<String> {
    let auth_start = url.find("://")? + 3;
    let rest = &url[auth_start..];
    let auth_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let after_auth = &rest[auth_len..];
    let query = after_auth.find(['?', '#']).map_or("", |q| &after_auth[q..]);
    Some(format!(
        "{}{}/{}{}",
        &url[..auth_start],
        &rest[..auth_len],
        db,
        query
    ))
}

/// Where the database is, as discrete settings (the alternative to a URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbAddress {
    pub host: String,
    pub port: u16,
    /// A Unix socket path; when set, the connection goes through it.
    pub socket: Option<String>,
    pub user: String,
    pub database: String,
}

impl Default for DbAddress {
    fn default() -> Self {
        DbAddress {
            host: "127.0.0.1".into(),
            port: 3306,
            socket: None,
            user: "fleetd".into(),
            database: "jetmon".into(),
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so a
/// user, database or socket path cannot change the URL's structure.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn discrete_settings_build_an_encoded_url_without_the_password() {
        let address = DbAddress {
            host: "db.internal".into(),
            port: 3307,
            socket: Some("/run/mysqld/my sock".into()),
            user: "fleet@d".into(),
            database: "jet/mon".into(),
        };
        let settings = DbSettings::from_address(&address, Some("s3cr:et@".into()));
        assert_eq!(
            settings.url,
            "mysql://fleet%40d@db.internal:3307/jet%2Fmon?socket=%2Frun%2Fmysqld%2Fmy%20sock"
        );
        assert_eq!(settings.password.as_deref(), Some("s3cr:et@"));
        assert!(!settings.url.contains("s3cr"));
        let v6 = DbAddress {
            host: "::1".into(),
            ..DbAddress::default()
        };
        assert_eq!(
            DbSettings::from_address(&v6, None).url,
            "mysql://fleetd@[::1]:3306/jetmon"
        );
    }
    use super::*;

    #[test]
    fn redaction_hides_the_password_and_keeps_the_rest() {
        assert_eq!(
            redact_url("mysql://fleetd:s3cret@db.example:3306/jetmon?prefer_socket=false"),
            "mysql://fleetd:***@db.example:3306/jetmon?prefer_socket=false"
        );
    }

    #[test]
    fn redaction_handles_passwords_containing_at_and_colon() {
        assert_eq!(
            redact_url("mysql://u:p%40ss:w@rd@h/db"),
            "mysql://u:***@h/db"
        );
    }

    #[test]
    fn redaction_leaves_urls_without_password_alone() {
        assert_eq!(
            redact_url("mysql://root@127.0.0.1:3306/test"),
            "mysql://root@127.0.0.1:3306/test"
        );
        assert_eq!(redact_url("mysql://h/db"), "mysql://h/db");
    }

    #[test]
    fn redaction_of_a_non_url_hides_everything_before_an_at() {
        assert_eq!(redact_url("user:pw@host"), "***@host");
    }

    #[test]
    fn debug_and_display_never_show_the_password() {
        let mut s = DbSettings::new("mysql://fleetd:urlsecret@h/db");
        s.password = Some("filesecret".into());
        let shown = format!("{s:?} {s}");
        assert!(!shown.contains("urlsecret"), "{shown}");
        assert!(!shown.contains("filesecret"), "{shown}");
        assert!(shown.contains("fleetd:***@h/db"), "{shown}");
    }

    #[test]
    fn zero_limits_and_empty_pools_are_rejected() {
        let ok = DbSettings::new("mysql://h/db");
        assert!(ok.validate().is_ok());
        let mut s = ok.clone();
        s.pool_max = 0;
        assert!(s.validate().is_err());
        let mut s = ok.clone();
        s.statement_timeout = Duration::ZERO;
        assert!(s.validate().is_err());
        let mut s = ok;
        s.drift_statement_timeout = Duration::ZERO;
        assert!(s.validate().is_err());
    }

    #[test]
    fn database_is_replaced_in_the_url() {
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306/test?x=1", "s1").as_deref(),
            Some("mysql://root@127.0.0.1:3306/s1?x=1")
        );
        assert_eq!(
            with_database("mysql://root@h", "s1").as_deref(),
            Some("mysql://root@h/s1")
        );
    }
}
