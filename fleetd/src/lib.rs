//! fleetd: the read-only fleet dashboard daemon for jetmon v2.
//!
//! - [`settings`]: the TOML file + `FLEETD_*` environment, validated.
//! - [`startup`]: [`Application`], the bound server and its lifecycle
//!   (systemd readiness, SIGHUP reload, graceful stop).
//! - [`snapshots`]: [`SnapshotService`], the one place that reads the
//!   database: the cache and single build, the prepared snapshots, the
//!   drift refresher. Data only; [`stats`]: its counters; [`history`]: the
//!   status history it records.
//! - [`routes`]: thin handlers that ask the service for a snapshot and draw
//!   it with [`page`] (the server-rendered HTML, maud) or [`metrics`] (the
//!   one Prometheus registry); [`middleware`]: method filter and headers.
//! - [`tasks`]: background tasks (reload, drift refresher) that survive
//!   their own panics.
//! - [`links`]: the `links.host_dashboard` template (links to each
//!   process's own dashboard).
//! - [`cli`], [`serve`], [`check`], [`demo`]: the command line.

pub mod check;
pub mod cli;
pub mod demo;
pub mod history;
pub mod links;
pub mod logging;
pub mod metrics;
pub mod middleware;
pub mod page;
pub mod reload;
pub mod routes;
pub mod serve;
pub mod settings;
pub mod snapshots;
pub mod startup;
pub mod stats;
pub mod tasks;
pub mod wire;

pub use reload::ReloadHandle;
pub use settings::Settings;
pub use snapshots::{PreparedSnapshot, SnapshotService};
pub use startup::Application;
pub use stats::{Stats, StatsSnapshot};
