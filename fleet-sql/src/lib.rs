//! fleet-sql: the only crate that knows MySQL. Reads the six jetmon tables
//! into fleet-core inputs.
//!
//! - [`FleetReader::read_fleet`]: `now` from the database clock, then
//!   processes, hosts and both delivery tables, concurrently on separate
//!   connections. Only `now` and processes can fail the call; any other
//!   section fails into `Err(Unreadable)` and is logged.
//! - [`FleetReader::read_drift`]: the projection-drift scan, on its own
//!   schedule and under its own, longer statement limit.
//!
//! Every connection runs in UTC (`time_zone = '+00:00'`), in read-only
//! transaction mode, under a server-side statement limit (MariaDB
//! `max_statement_time` or MySQL `max_execution_time`, detected once), and
//! every checkout and query is also bounded on the client side. See
//! `docs/fleet-sql-notes.md` for the queries' index use.
//!
//! CONTRACT (used by fleetd; keep these names and signatures):
//!
//! ```ignore
//! pub struct DbSettings {
//!     pub url: String,                      // mysql://user[:pass]@host[:port]/db  (or ?socket=/path)
//!     pub password: Option<String>,         // overrides the URL's password (password_file)
//!     pub pool_max: usize,                  // bounded pool size
//!     pub connect_timeout: Duration,
//!     pub statement_timeout: Duration,      // every query except drift
//!     pub drift_statement_timeout: Duration,// the drift scan
//!     pub tls: TlsMode,                     // disabled | preferred (default) | required | verify_identity
//!     pub ca_file: Option<CaFile>,          // verify_identity only; read and checked by CaFile::read
//! }                                         // Debug never prints the password
//! impl DbSettings { pub fn redacted_url(&self) -> String }   // for logs
//!
//! #[derive(thiserror::Error)] pub enum SqlError { ... }     // typed; Display may hold DB text (log only)
//!
//! pub struct FleetReader { .. }            // Clone (cheap, shares the pool)
//! impl FleetReader {
//!     pub fn new(settings: DbSettings) -> Result<FleetReader, SqlError>;  // no I/O yet
//!     pub async fn read_fleet(&self, thresholds: &Thresholds) -> Result<FleetRead, SqlError>;
//!     pub async fn read_drift(&self, bucket_total: u32) -> Result<DriftResult, SqlError>;
//!     pub async fn close(self);            // disconnect the pool (graceful shutdown)
//! }
//! pub struct FleetRead {
//!     pub now: DateTime<Utc>,
//!     pub processes: Vec<ProcessRow>,
//!     pub hosts: Result<Vec<HostRow>, Unreadable>,
//!     pub delivery: Vec<DeliveryTableInput>,
//!     pub timings: Vec<SectionTiming>,     // per section: name, elapsed, ok
//! }
//! impl FleetRead { pub fn into_input(self, drift: DriftInput) -> (DateTime<Utc>, FleetInput) }
//! pub struct SectionTiming { pub section: &'static str, pub elapsed: Duration, pub ok: bool }
//! pub const SCHEMA_SQL: &str = include_str!("../schema/schema.sql");
//! ```

mod db;
mod decode;
#[cfg(feature = "demo")]
pub mod demo;
mod error;
mod queries;
mod reader;
mod settings;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;

pub use db::ServerFlavor;
pub use error::SqlError;
pub use reader::{section, FleetRead, FleetReader, SectionTiming};
pub use settings::{with_database, DbAddress, DbSettings};
pub use tls::{check_tls, CaFile, CaFileError, TlsConflict, TlsMode};

/// The jetmon tables fleetd reads (schema.sql of the spec), for tests and
/// the demo. fleetd itself never creates or changes tables.
pub const SCHEMA_SQL: &str = include_str!("../schema/schema.sql");

/// The delivery query of one table (named parameters `:now`, `:cutoff`), as
/// the reader runs it: for query-plan checks (`EXPLAIN`) in tests and the
/// benchmark.
pub fn delivery_query(kind: fleet_core::DeliveryKind) -> String {
    queries::delivery_sql(kind)
}

/// The drift query without its leading `SELECT` and time limit (named
/// parameter `:bucket_total`): for query-plan checks (`EXPLAIN`) in tests
/// and the benchmark.
pub fn drift_query_body() -> &'static str {
    queries::DRIFT_SQL_BODY
}
