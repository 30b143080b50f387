//! Configuration: spec defaults, then the TOML file, then `FLEETD_<SECTION>__<KEY>`
//! environment variables, each layer overriding the one before.
//!
//! The file format is deserialised into private `Raw*` structs with
//! `deny_unknown_fields` (a misspelt key is an error, not a silent default),
//! then validated into the typed [`Settings`] the rest of fleetd uses. Every
//! error names the key (`section.key`) it is about.

use crate::links::HostDashboard;
use config::{Config, Environment, File, FileFormat};
use fleet_core::Thresholds;
use fleet_sql::{CaFile, TlsMode};
use log::LevelFilter;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where `fleetd serve` reads its file when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/fleetd/fleetd.toml";

/// Prefix of configuration environment variables (`FLEETD_DATABASE__URL`).
pub const ENV_PREFIX: &str = "FLEETD_";
/// Separates the section from the key in an environment variable name.
pub const ENV_SEPARATOR: &str = "__";

/// Where a configuration was loaded from; reloading (SIGHUP) reads the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSource {
    pub path: PathBuf,
    /// A missing file is an error only when the operator named it: the
    /// default path may legitimately not exist (defaults + environment).
    pub required: bool,
}

impl ConfigSource {
    /// `--config PATH`: the file must exist.
    pub fn explicit(path: impl Into<PathBuf>) -> Self {
        ConfigSource {
            path: path.into(),
            required: true,
        }
    }

    /// The default path; a missing file means defaults + environment only.
    pub fn default_path() -> Self {
        ConfigSource {
            path: PathBuf::from(DEFAULT_CONFIG_PATH),
            required: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration file {path} does not exist")]
    FileNotFound { path: PathBuf },
    #[error("configuration file {path} is a directory, not a file")]
    IsDirectory { path: PathBuf },
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Parse errors, unknown keys and wrongly typed values, as reported by
    /// the `config` crate (its messages name the key and the source).
    #[error("{0}")]
    Load(String),
    #[error("invalid value for `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
    #[error("`database.password_file`: cannot read {path}: {source}")]
    PasswordFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A value that must never be printed (`{:?}` shows `[redacted]`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub fleet: FleetSettings,
    pub cache: CacheSettings,
    pub log: LogSettings,
    pub links: LinkSettings,
    pub history: HistorySettings,
    /// Where this was loaded from (`None` when built in code, e.g. tests);
    /// SIGHUP re-reads it.
    pub source: Option<ConfigSource>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// "" or a path like "/ops/fleet": starts with '/', no trailing '/'.
    pub base_path: String,
}

#[derive(Clone, PartialEq)]
pub struct DatabaseSettings {
    /// May hold a password; use [`DatabaseSettings::redacted_url`] in logs.
    pub url: String,
    pub password_file: Option<PathBuf>,
    /// Read from `password_file` at load time.
    pub password: Option<Secret>,
    pub pool_max: usize,
    pub connect_timeout: Duration,
    pub statement_timeout: Duration,
    pub drift_statement_timeout: Duration,
    pub tls: TlsMode,
    /// Read and checked at load time, like the password file.
    pub ca_file: Option<CaFile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetSettings {
    pub bucket_total: u32,
    pub heartbeat_grace: Duration,
    pub recent_window: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    /// Zero disables the snapshot cache (concurrent requests still share
    /// one in-flight build).
    pub ttl: Duration,
    pub drift_interval: Duration,
    /// How long a request waits for a snapshot build before it is answered
    /// without it (the page with the last good snapshot, the API with 503),
    /// while the build goes on.
    pub build_wait: Duration,
    /// How long `/readyz` stays ready after the newest good snapshot's TTL
    /// ran out without a newer one (docs/api.md "Readiness").
    pub ready_grace: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSettings {
    pub level: LevelFilter,
}

/// `[links]`: where the pages link to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkSettings {
    /// Each process's own dashboard; `None` (the default) = no links.
    pub host_dashboard: Option<HostDashboard>,
}

/// `[history]`: the status history (docs/configuration.md). Read at start
/// only: a change needs a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistorySettings {
    /// The store file; `None` (the default) = memory only.
    pub path: Option<PathBuf>,
    /// How often the refresher samples the fleet status.
    pub sample_interval: Duration,
    pub retention_days: u64,
    /// Bound on the store's size, in MiB.
    pub max_size_mb: u64,
}

impl HistorySettings {
    /// What [`crate::history::History`] needs.
    pub fn config(&self) -> crate::history::HistoryConfig {
        crate::history::HistoryConfig {
            path: self.path.clone(),
            sample_interval: self.sample_interval,
            // At most 3650 days and 65536 MiB (see NUMERIC_KEYS).
            retention: chrono::Duration::days(i64::try_from(self.retention_days).unwrap_or(3650)),
            max_bytes: self.max_size_mb.saturating_mul(1024 * 1024),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        // The raw defaults are the spec's; they always validate.
        Settings::from_raw(RawSettings::default(), None).expect("the built-in defaults are valid")
    }
}

impl Settings {
    /// Loads defaults → file → environment, validates, reads the password file.
    pub fn load(source: &ConfigSource) -> Result<Settings, SettingsError> {
        Self::load_with_env(source, std::env::vars())
    }

    /// [`Settings::load`] with an explicit environment (tests, and so that the
    /// filtering of variables is in one place).
    pub fn load_with_env(
        source: &ConfigSource,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, SettingsError> {
        if let Some(text) = read_config_file(source)? {
            integers_fit(&text)?;
        }
        let env = config_env(env)?;
        // `section.key` → the variable's text, checked as written.
        let from_env: HashMap<String, String> = env
            .iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix(ENV_PREFIX)?;
                Some((
                    key.replacen(ENV_SEPARATOR, ".", 1).to_lowercase(),
                    value.clone(),
                ))
            })
            .collect();
        let raw: RawSettings = Config::builder()
            .add_source(
                File::from(source.path.as_path())
                    .format(FileFormat::Toml)
                    .required(source.required),
            )
            .add_source(
                Environment::with_prefix(ENV_PREFIX.trim_end_matches('_'))
                    .prefix_separator("_")
                    .separator(ENV_SEPARATOR)
                    .try_parsing(true)
                    .source(Some(env)),
            )
            .build()
            .map_err(load_error)
            .and_then(|config| numbers_in_range(config, &from_env))?
            .try_deserialize()
            .map_err(load_error)?;
        Settings::from_raw(raw, Some(source.clone()))
    }

    /// Parses a TOML text (no environment); for tests and tools.
    pub fn from_toml_str(text: &str) -> Result<Settings, SettingsError> {
        integers_fit(text)?;
        let raw: RawSettings = Config::builder()
            .add_source(File::from_str(text, FileFormat::Toml))
            .build()
            .map_err(load_error)
            .and_then(|config| numbers_in_range(config, &HashMap::new()))?
            .try_deserialize()
            .map_err(load_error)?;
        Settings::from_raw(raw, None)
    }

    /// The rollup thresholds of `[fleet]`, plus how old a drift result may
    /// get before it reads "overdue" (amber): two missed scans, each
    /// allowed its whole statement limit, and a minute of slack.
    ///
    /// Saturating: the loaded ranges keep this far from `Duration::MAX`, but
    /// `Settings` is also built in code, and a threshold must never panic.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            bucket_total: self.fleet.bucket_total,
            heartbeat_grace: self.fleet.heartbeat_grace,
            recent_window: self.fleet.recent_window,
            drift_max_age: Some(
                self.cache
                    .drift_interval
                    .saturating_add(self.database.drift_statement_timeout)
                    .saturating_mul(2)
                    .saturating_add(Duration::from_secs(60)),
            ),
        }
    }

    fn from_raw(raw: RawSettings, source: Option<ConfigSource>) -> Result<Settings, SettingsError> {
        let server = ServerSettings {
            listen: raw
                .server
                .listen
                .parse()
                .map_err(|e| SettingsError::Invalid {
                    key: "server.listen",
                    reason: format!("{:?} is not an IP:port address ({e})", raw.server.listen),
                })?,
            base_path: validate_base_path(&raw.server.base_path)?,
        };

        let db = raw.database;
        if !db.url.starts_with("mysql://") {
            return Err(SettingsError::Invalid {
                key: "database.url",
                reason: "must be a mysql:// URL".into(),
            });
        }
        let password_file =
            (!db.password_file.trim().is_empty()).then(|| PathBuf::from(&db.password_file));
        let password = password_file.as_deref().map(read_password).transpose()?;
        let (tls, ca_file) = database_tls(&db.url, &db.tls, &db.ca_file)?;
        let database = DatabaseSettings {
            url: db.url,
            password_file,
            password,
            // At most 64 (see NUMERIC_KEYS), so it fits any usize.
            pool_max: usize::try_from(bounded("database.pool_max", db.pool_max)?).map_err(
                |_| SettingsError::Invalid {
                    key: "database.pool_max",
                    reason: format!("{} does not fit this platform", db.pool_max),
                },
            )?,
            connect_timeout: millis("database.connect_timeout_ms", db.connect_timeout_ms)?,
            statement_timeout: millis("database.statement_timeout_ms", db.statement_timeout_ms)?,
            drift_statement_timeout: millis(
                "database.drift_statement_timeout_ms",
                db.drift_statement_timeout_ms,
            )?,
            tls,
            ca_file,
        };

        let fleet = FleetSettings {
            // At most 65536 (see NUMERIC_KEYS), so it fits a u32.
            bucket_total: u32::try_from(bounded("fleet.bucket_total", raw.fleet.bucket_total)?)
                .map_err(|_| SettingsError::Invalid {
                    key: "fleet.bucket_total",
                    reason: format!("{} does not fit", raw.fleet.bucket_total),
                })?,
            heartbeat_grace: secs("fleet.heartbeat_grace_sec", raw.fleet.heartbeat_grace_sec)?,
            recent_window: secs("fleet.recent_window_sec", raw.fleet.recent_window_sec)?,
        };

        let cache = CacheSettings {
            ttl: millis("cache.ttl_ms", raw.cache.ttl_ms)?,
            drift_interval: secs("cache.drift_interval_sec", raw.cache.drift_interval_sec)?,
            build_wait: millis("cache.build_wait_ms", raw.cache.build_wait_ms)?,
            ready_grace: secs("cache.ready_grace_sec", raw.cache.ready_grace_sec)?,
        };

        let log = LogSettings {
            level: raw
                .log
                .level
                .trim()
                .parse()
                .map_err(|_| SettingsError::Invalid {
                    key: "log.level",
                    reason: format!(
                        "{:?} is not one of off, error, warn, info, debug, trace",
                        raw.log.level
                    ),
                })?,
        };

        let links = LinkSettings {
            host_dashboard: host_dashboard(&raw.links.host_dashboard)?,
        };

        let history = HistorySettings {
            path: (!raw.history.path.trim().is_empty()).then(|| PathBuf::from(&raw.history.path)),
            sample_interval: secs(
                "history.sample_interval_sec",
                raw.history.sample_interval_sec,
            )?,
            retention_days: bounded("history.retention_days", raw.history.retention_days)?,
            max_size_mb: bounded("history.max_size_mb", raw.history.max_size_mb)?,
        };
        if let Some(path) = &history.path {
            if path.is_relative() || path.as_os_str().to_string_lossy().ends_with('/') {
                return Err(SettingsError::Invalid {
                    key: "history.path",
                    reason: format!("{path:?} must be an absolute path to a file"),
                });
            }
        }

        Ok(Settings {
            server,
            database,
            fleet,
            cache,
            log,
            links,
            history,
            source,
        })
    }
}

impl DatabaseSettings {
    /// The reader's settings (the password travels separately from the URL).
    pub fn db_settings(&self) -> fleet_sql::DbSettings {
        fleet_sql::DbSettings {
            url: self.url.clone(),
            password: self.password.as_ref().map(|p| p.expose().to_owned()),
            pool_max: self.pool_max,
            connect_timeout: self.connect_timeout,
            statement_timeout: self.statement_timeout,
            drift_statement_timeout: self.drift_statement_timeout,
            tls: self.tls,
            ca_file: self.ca_file.clone(),
        }
    }

    /// The URL with any password replaced, for logs and `Debug`.
    pub fn redacted_url(&self) -> String {
        self.db_settings().redacted_url()
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.redacted_url())
            .field("password_file", &self.password_file)
            .field("password", &self.password)
            .field("pool_max", &self.pool_max)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("drift_statement_timeout", &self.drift_statement_timeout)
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// The `config` crate reports an unknown key as "unknown field `k`, expected
/// ... for key `section`"; operators look for the full `section.k`.
fn load_error(err: config::ConfigError) -> SettingsError {
    let message = scrub_secrets(&err.to_string());
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, rest)| {
            let section = rest
                .rsplit_once(" for key `")
                .and_then(|(_, key)| key.split_once('`'))
                .map(|(key, _)| key);
            match section {
                Some(section) => format!("unknown key `{section}.{field}`"),
                None => format!("unknown section `{field}`"),
            }
        });
    SettingsError::Load(match unknown {
        Some(what) => format!("{what} ({message})"),
        None => message,
    })
}

/// A TOML syntax error quotes the offending line of the file, which may be
/// the one holding a database URL with a password (this message reaches the
/// journal and `fleetd check`'s stderr): the quoted line stays, since it
/// names the key, with any URL password masked.
fn scrub_secrets(message: &str) -> String {
    message
        .lines()
        .map(mask_url_password)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `scheme://user:secret@host` → `scheme://user:***@host`, everywhere in
/// the line.
fn mask_url_password(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(scheme) = rest.find("://") {
        let (head, tail) = rest.split_at(scheme + 3);
        out.push_str(head);
        // Up to the end of the URL, not of its authority: a password with an
        // unencoded `/` must not end the span early and escape the mask.
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`'))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..=colon]);
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A numeric key: the range its value must lie in, inclusive, and its unit.
/// `docs/configuration.md` ("Ranges") lists the same table; a deploy test
/// checks that the two agree and that both ends load and one past them does
/// not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumericKey {
    pub key: &'static str,
    pub min: u64,
    pub max: u64,
    pub unit: &'static str,
    /// Why the range is what it is, for the error message.
    pub why: &'static str,
}

/// Every numeric key. The maximums are far above any useful value and keep
/// every sum fleetd makes of configured durations (statement limit plus
/// margin, drift deadline, readiness age) far below `Duration::MAX`.
pub const NUMERIC_KEYS: [NumericKey; 14] = [
    NumericKey {
        key: "database.pool_max",
        min: 2,
        max: 64,
        unit: "connections",
        // One build holds at most 4 connections at once and the drift scan 1;
        // builds are shared, so 64 is an order of magnitude of headroom, and
        // stays below MariaDB's default max_connections (151): a typo cannot
        // make fleetd take every connection of the jetmon server.
        why: "the drift scan holds one connection while it runs and snapshots need another; \
              fleetd never uses more than a handful, and 64 stays below the server's \
              default max_connections",
    },
    NumericKey {
        key: "database.connect_timeout_ms",
        min: 1,
        max: 300_000,
        unit: "ms",
        why: "at most 5 minutes",
    },
    NumericKey {
        key: "database.statement_timeout_ms",
        min: 1,
        max: 600_000,
        unit: "ms",
        why: "at most 10 minutes",
    },
    NumericKey {
        key: "database.drift_statement_timeout_ms",
        min: 1,
        max: 3_600_000,
        unit: "ms",
        why: "at most 1 hour",
    },
    NumericKey {
        key: "fleet.bucket_total",
        min: 0,
        max: 65_536,
        unit: "buckets",
        why: "buckets are SMALLINT UNSIGNED in jetmon, so 65536 is the most it can address; \
              0 means not configured",
    },
    NumericKey {
        key: "fleet.heartbeat_grace_sec",
        min: 1,
        max: 86_400,
        unit: "s",
        why: "at most 1 day",
    },
    NumericKey {
        key: "fleet.recent_window_sec",
        min: 1,
        max: 604_800,
        unit: "s",
        why: "at most 7 days",
    },
    NumericKey {
        key: "cache.ttl_ms",
        min: 0,
        max: 3_600_000,
        unit: "ms",
        why: "at most 1 hour; 0 disables the cache",
    },
    NumericKey {
        key: "cache.drift_interval_sec",
        min: 1,
        max: 86_400,
        unit: "s",
        why: "at most 1 day",
    },
    NumericKey {
        key: "cache.build_wait_ms",
        min: 1,
        max: 600_000,
        unit: "ms",
        why: "at most 10 minutes",
    },
    NumericKey {
        key: "cache.ready_grace_sec",
        min: 1,
        max: 86_400,
        unit: "s",
        why: "at most 1 day",
    },
    NumericKey {
        key: "history.sample_interval_sec",
        min: 1,
        max: 3600,
        unit: "s",
        why: "at least one sample an hour",
    },
    NumericKey {
        key: "history.retention_days",
        min: 1,
        max: 3650,
        unit: "days",
        why: "at most 10 years",
    },
    NumericKey {
        key: "history.max_size_mb",
        min: 1,
        max: 65_536,
        unit: "MiB",
        why: "at most 64 GiB",
    },
];

impl NumericKey {
    /// The entry of `key`.
    pub fn of(key: &str) -> Option<&'static NumericKey> {
        NUMERIC_KEYS.iter().find(|k| k.key == key)
    }

    /// `value` if it lies in the range, else the error naming the key.
    fn check(&self, value: i128) -> Result<u64, SettingsError> {
        match u64::try_from(value) {
            Ok(v) if (self.min..=self.max).contains(&v) => Ok(v),
            _ => Err(self.out_of_range(&value.to_string())),
        }
    }

    fn out_of_range(&self, value: &str) -> SettingsError {
        SettingsError::Invalid {
            key: self.key,
            reason: format!("{value} is out of range: {} ({})", self.range(), self.why),
        }
    }

    fn not_a_number(&self, got: &str) -> SettingsError {
        SettingsError::Invalid {
            key: self.key,
            reason: format!("must be a whole number {}, not {got}", self.range()),
        }
    }

    /// "from 2 to 64 connections".
    fn range(&self) -> String {
        format!("from {} to {} {}", self.min, self.max, self.unit)
    }
}

/// Checks every numeric key that is set (in the file or the environment):
/// a whole number in its range, or an error naming the key.
///
/// - Environment variables are strings by nature: `from_env` maps each
///   key set by one (they override the file) to its text, which must be a
///   whole number as written (`FLEETD_FLEET__BUCKET_TOTAL=1000`).
/// - In the file, TOML has numbers: `bucket_total = "1000"` is a mistake.
///   Floats and booleans too: the `config` crate would round a float (`1.5`
///   becomes 2, `-0.4` becomes 0: a cache silently switched off) and turn a
///   boolean into 0 or 1.
/// - Out of range: checked here, before the value reaches a `u32` or a
///   `Duration` ("number too large to fit in target type" names no key).
fn numbers_in_range(
    config: Config,
    from_env: &HashMap<String, String>,
) -> Result<Config, SettingsError> {
    for key in &NUMERIC_KEYS {
        if let Some(text) = from_env.get(key.key) {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let whole = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
            if !whole {
                return Err(key.not_a_number(&format!("{text:?}")));
            }
            // Digits only: beyond i128 is far out of range anyway.
            let value = text.parse::<i128>().map_err(|_| key.out_of_range(text))?;
            key.check(value)?;
            continue;
        }
        let Ok(value) = config.get::<config::Value>(key.key) else {
            continue; // not set: the default applies
        };
        match value.kind {
            config::ValueKind::I64(n) => key.check(i128::from(n)).map(drop)?,
            config::ValueKind::U64(n) => key.check(i128::from(n)).map(drop)?,
            config::ValueKind::I128(n) => key.check(n).map(drop)?,
            config::ValueKind::U128(n) => key
                .check(i128::try_from(n).unwrap_or(i128::MAX))
                .map(drop)?,
            config::ValueKind::Float(f) => return Err(key.not_a_number(&f.to_string())),
            config::ValueKind::Boolean(b) => return Err(key.not_a_number(&b.to_string())),
            config::ValueKind::String(s) => {
                return Err(
                    key.not_a_number(&format!("the string {s:?} (write numbers without quotes)"))
                )
            }
            config::ValueKind::Table(_) => return Err(key.not_a_number("a table")),
            config::ValueKind::Array(_) => return Err(key.not_a_number("an array")),
            config::ValueKind::Nil => {}
        }
    }
    Ok(config)
}

/// The `config` crate reads TOML integers as `i64` and reports one beyond
/// that as "number too large to fit in target type in FILE", naming no key.
/// The same parser, used here first, keeps each value's place, so the
/// message can name the key. (Syntax errors are left to `config`, whose
/// messages quote the line.)
fn integers_fit(text: &str) -> Result<(), SettingsError> {
    let Ok(table) = toml::de::DeTable::parse(text) else {
        return Ok(());
    };
    first_misfit(table.get_ref(), "").map_or(Ok(()), Err)
}

fn first_misfit(table: &toml::de::DeTable<'_>, path: &str) -> Option<SettingsError> {
    for (name, value) in table {
        let key = if path.is_empty() {
            name.get_ref().to_string()
        } else {
            format!("{path}.{}", name.get_ref())
        };
        let misfit = match value.get_ref() {
            toml::de::DeValue::Integer(n) => {
                let fits = i64::from_str_radix(n.as_str(), n.radix()).is_ok();
                (!fits).then(|| match NumericKey::of(&key) {
                    Some(numeric) => numeric.out_of_range(n.as_str()),
                    None => SettingsError::Load(format!(
                        "`{key}`: {} does not fit a 64-bit integer",
                        n.as_str()
                    )),
                })
            }
            toml::de::DeValue::Table(inner) => first_misfit(inner, &key),
            _ => None,
        };
        if misfit.is_some() {
            return misfit;
        }
    }
    None
}

/// The text of the configuration file, or `None` when it is missing and
/// not required. A directory or an unreadable file is an error naming the
/// path. (Invalid UTF-8 is replaced, as `config` reads it.)
fn read_config_file(source: &ConfigSource) -> Result<Option<String>, SettingsError> {
    let path = &source.path;
    if path.is_dir() {
        return Err(SettingsError::IsDirectory { path: path.clone() });
    }
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if source.required {
                Err(SettingsError::FileNotFound { path: path.clone() })
            } else {
                Ok(None)
            }
        }
        Err(source) => Err(SettingsError::Read {
            path: path.clone(),
            source,
        }),
    }
}
/// The sections of the configuration file, upper-cased as in variables.
const ENV_SECTIONS: [&str; 7] = [
    "SERVER", "DATABASE", "FLEET", "CACHE", "LOG", "LINKS", "HISTORY",
];

/// Only `FLEETD_<SECTION>__<KEY>` variables are configuration. Other
/// `FLEETD_*` names (e.g. the tests' `FLEETD_TEST_DATABASE_URL`) have no `__`
/// and are not ours to reject — except a section name followed by a single
/// `_` (`FLEETD_DATABASE_URL`): that is a mistyped key, and ignoring it would
/// silently run fleetd against another database.
fn config_env(
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<HashMap<String, String>, SettingsError> {
    let mut config = HashMap::new();
    for (name, value) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if rest.contains(ENV_SEPARATOR) {
            config.insert(name, value);
            continue;
        }
        if let Some(section) = ENV_SECTIONS.iter().find(|section| {
            rest.strip_prefix(**section)
                .is_some_and(|k| k.starts_with('_'))
        }) {
            let key = &rest[section.len() + 1..];
            return Err(SettingsError::Load(format!(
                "environment variable {name} is not a configuration key: \
                 did you mean {ENV_PREFIX}{section}{ENV_SEPARATOR}{key}?"
            )));
        }
    }
    Ok(config)
}

/// `value` of `key` checked against its range (see [`NUMERIC_KEYS`]).
fn bounded(key: &'static str, value: u64) -> Result<u64, SettingsError> {
    match NumericKey::of(key) {
        Some(numeric) => numeric.check(i128::from(value)),
        None => Ok(value),
    }
}

fn millis(key: &'static str, value: u64) -> Result<Duration, SettingsError> {
    bounded(key, value).map(Duration::from_millis)
}

fn secs(key: &'static str, value: u64) -> Result<Duration, SettingsError> {
    bounded(key, value).map(Duration::from_secs)
}

/// `database.tls` and `database.ca_file`, checked against each other and the
/// URL before the CA file is read (and checked) at load time.
fn database_tls(
    url: &str,
    tls: &str,
    ca_file: &str,
) -> Result<(TlsMode, Option<CaFile>), SettingsError> {
    let mode = tls
        .parse::<TlsMode>()
        .map_err(|reason| SettingsError::Invalid {
            key: "database.tls",
            reason,
        })?;
    let ca_file = ca_file.trim();
    fleet_sql::check_tls(url, mode, !ca_file.is_empty()).map_err(|conflict| {
        SettingsError::Invalid {
            key: match conflict.field {
                "url" => "database.url",
                "ca_file" => "database.ca_file",
                _ => "database.tls",
            },
            reason: conflict.reason,
        }
    })?;
    let ca_file = (!ca_file.is_empty())
        .then(|| CaFile::read(Path::new(ca_file)))
        .transpose()
        .map_err(|e| SettingsError::Invalid {
            key: "database.ca_file",
            reason: e.to_string(),
        })?;
    Ok((mode, ca_file))
}

fn validate_base_path(value: &str) -> Result<String, SettingsError> {
    let invalid = |reason: &str| SettingsError::Invalid {
        key: "server.base_path",
        reason: format!("{value:?} {reason}"),
    };
    if value.is_empty() {
        return Ok(String::new());
    }
    if !value.starts_with('/') {
        return Err(invalid("must start with '/' (or be empty)"));
    }
    if value.ends_with('/') {
        return Err(invalid("must not end with '/' (use \"\" for the root)"));
    }
    if value.contains("//") {
        return Err(invalid("must not contain an empty segment"));
    }
    // Route patterns and HTML attributes are built from it: keep to the
    // characters a URL path needs no escaping for.
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~'))
    {
        return Err(invalid(
            "may contain only letters, digits, '/', '-', '_', '.' and '~'",
        ));
    }
    Ok(value.to_owned())
}

/// `links.host_dashboard`: "" = no links, else a checked template.
fn host_dashboard(value: &str) -> Result<Option<HostDashboard>, SettingsError> {
    if value.is_empty() {
        return Ok(None);
    }
    HostDashboard::parse(value)
        .map(Some)
        .map_err(|e| SettingsError::Invalid {
            key: crate::links::KEY,
            reason: e.to_string(),
        })
}

fn read_password(path: &Path) -> Result<Secret, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|source| SettingsError::PasswordFile {
        path: path.to_owned(),
        source,
    })?;
    // Files written by `echo` or editors end in a newline that is not part
    // of the password.
    Ok(Secret(text.trim_end_matches(['\n', '\r']).to_owned()))
}

// ---- the file format ------------------------------------------------------

/// Every configuration key as `section.key`, sorted, read off the
/// file format itself (the structs below), so that the documentation's key
/// table can be held to what the code accepts.
pub fn known_keys() -> Vec<String> {
    // Plain structs of strings and integers: serialising cannot fail.
    let value = serde_json::to_value(RawSettings::default())
        .expect("the raw settings are strings and integers");
    let mut keys = Vec::new();
    if let serde_json::Value::Object(sections) = value {
        for (section, members) in sections {
            if let serde_json::Value::Object(members) = members {
                keys.extend(members.keys().map(|key| format!("{section}.{key}")));
            }
        }
    }
    keys
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawSettings {
    server: RawServer,
    database: RawDatabase,
    fleet: RawFleet,
    cache: RawCache,
    log: RawLog,
    links: RawLinks,
    history: RawHistory,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawServer {
    listen: String,
    base_path: String,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: "127.0.0.1:8080".into(),
            base_path: String::new(),
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawDatabase {
    url: String,
    password_file: String,
    pool_max: u64,
    connect_timeout_ms: u64,
    statement_timeout_ms: u64,
    drift_statement_timeout_ms: u64,
    tls: String,
    ca_file: String,
}

impl Default for RawDatabase {
    fn default() -> Self {
        RawDatabase {
            url: "mysql://fleetd@127.0.0.1:3306/jetmon".into(),
            password_file: String::new(),
            pool_max: 8,
            connect_timeout_ms: 5000,
            statement_timeout_ms: 3000,
            drift_statement_timeout_ms: 60_000,
            tls: TlsMode::default().to_string(),
            ca_file: String::new(),
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawFleet {
    bucket_total: u64,
    heartbeat_grace_sec: u64,
    recent_window_sec: u64,
}

impl Default for RawFleet {
    fn default() -> Self {
        RawFleet {
            bucket_total: u64::from(Thresholds::DEFAULT_BUCKET_TOTAL),
            heartbeat_grace_sec: Thresholds::DEFAULT_HEARTBEAT_GRACE.as_secs(),
            recent_window_sec: Thresholds::DEFAULT_RECENT_WINDOW.as_secs(),
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawCache {
    ttl_ms: u64,
    drift_interval_sec: u64,
    build_wait_ms: u64,
    ready_grace_sec: u64,
}

impl Default for RawCache {
    fn default() -> Self {
        RawCache {
            ttl_ms: 5000,
            drift_interval_sec: 60,
            build_wait_ms: 5000,
            ready_grace_sec: 30,
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawLog {
    level: String,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            level: "info".into(),
        }
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawLinks {
    host_dashboard: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawHistory {
    path: String,
    sample_interval_sec: u64,
    retention_days: u64,
    max_size_mb: u64,
}

impl Default for RawHistory {
    fn default() -> Self {
        RawHistory {
            path: String::new(),
            sample_interval_sec: 15,
            retention_days: 30,
            max_size_mb: 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_line_holding_a_password_is_quoted_masked_in_the_error() {
        let text = "[database]\nurl = \"mysql://fleetd:hunter2@db/jetmon\n";
        let err = Settings::from_toml_str(text).expect_err("unterminated string");
        let message = err.to_string();
        assert!(!message.contains("hunter2"), "{message}");
        assert!(message.contains("line 2"), "the position stays: {message}");
        assert!(
            message.contains("mysql://fleetd:***@db/jetmon"),
            "{message}"
        );
    }

    #[test]
    fn url_passwords_are_masked_in_messages() {
        assert_eq!(
            mask_url_password("bad url `mysql://u:p@ss@h:3306/db` here, http://x/y"),
            "bad url `mysql://u:***@h:3306/db` here, http://x/y"
        );
        assert_eq!(mask_url_password("mysql://u@h/db"), "mysql://u@h/db");
        assert_eq!(
            mask_url_password("url = \"mysql://u:pa/ss@h/db\""),
            "url = \"mysql://u:***@h/db\""
        );
    }

    #[test]
    fn defaults_are_the_specs() {
        let s = Settings::default();
        assert_eq!(s.server.listen, "127.0.0.1:8080".parse().expect("addr"));
        assert_eq!(s.server.base_path, "");
        assert_eq!(s.database.url, "mysql://fleetd@127.0.0.1:3306/jetmon");
        assert_eq!(s.database.pool_max, 8);
        assert_eq!(s.database.statement_timeout, Duration::from_millis(3000));
        assert_eq!(
            s.database.drift_statement_timeout,
            Duration::from_millis(60_000)
        );
        assert_eq!(
            s.thresholds(),
            Thresholds {
                // 2 × (60 s interval + 60 s drift limit) + 60 s.
                drift_max_age: Some(Duration::from_secs(300)),
                ..Thresholds::default()
            }
        );
        assert_eq!(s.cache.ttl, Duration::from_millis(5000));
        assert_eq!(s.cache.drift_interval, Duration::from_secs(60));
        assert_eq!(s.log.level, LevelFilter::Info);
    }

    #[test]
    fn debug_never_shows_passwords() {
        let mut s = Settings::default();
        s.database.url = "mysql://u:hunter2@h/db".into();
        s.database.password = Some(Secret::new("sw0rdfish"));
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("sw0rdfish"), "{debug}");
        assert!(debug.contains("mysql://u:***@h/db"), "{debug}");
    }

    #[test]
    fn only_double_underscore_variables_are_configuration() {
        let env = config_env([
            ("FLEETD_DATABASE__URL".to_string(), "x".to_string()),
            ("FLEETD_TEST_DATABASE_URL".to_string(), "y".to_string()),
            ("PATH".to_string(), "/bin".to_string()),
        ])
        .expect("valid environment");
        assert_eq!(env.len(), 1);
        assert!(env.contains_key("FLEETD_DATABASE__URL"));
    }

    #[test]
    fn a_section_variable_with_a_single_underscore_is_an_error_naming_the_fix() {
        let err = config_env([("FLEETD_DATABASE_URL".to_string(), "x".to_string())])
            .expect_err("a mistyped key");
        let message = err.to_string();
        assert!(message.contains("FLEETD_DATABASE_URL"), "{message}");
        assert!(message.contains("FLEETD_DATABASE__URL"), "{message}");
    }

    #[test]
    fn floats_and_booleans_are_not_whole_numbers() {
        for (text, key) in [
            ("[cache]\nttl_ms = -0.4\n", "cache.ttl_ms"),
            ("[database]\npool_max = 1.5\n", "database.pool_max"),
            ("[fleet]\nbucket_total = true\n", "fleet.bucket_total"),
        ] {
            let err = Settings::from_toml_str(text).expect_err(text).to_string();
            assert!(err.contains(key) && err.contains("whole number"), "{err}");
        }
        let err = Settings::from_toml_str("[database]\npool_max = \"6\"\n")
            .expect_err("a quoted number in the file is a mistake")
            .to_string();
        assert!(err.contains("database.pool_max"), "{err}");
    }

    #[test]
    fn base_path_rules() {
        assert_eq!(validate_base_path("").ok().as_deref(), Some(""));
        assert_eq!(
            validate_base_path("/ops/fleet").ok().as_deref(),
            Some("/ops/fleet")
        );
        for bad in ["/", "ops", "/ops/", "/a//b", "/a b", "/a?b", "/\"x"] {
            assert!(validate_base_path(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
