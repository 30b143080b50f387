//! The snapshot service: the one place that reads the database and builds
//! fleet snapshots. It holds data only; pages and metrics are drawn by the
//! routes from the snapshots it hands out.
//!
//! - [`service`]: [`SnapshotService`], the cache and the single build. The
//!   page and the API ask [`SnapshotService::current`] (waiting at most
//!   `cache.build_wait_ms`); `/readyz` and `/metrics` ask
//!   [`SnapshotService::known`], which never waits. The snapshot is cached in moka
//!   for `cache.ttl_ms` and concurrent misses share ONE build, so the
//!   database sees one read per cache period however many clients there
//!   are. The last good snapshot and the latest failed build are kept for
//!   the stale-data banner, and every successful build is recorded in the
//!   status [`History`](crate::history::History).
//! - [`prepared`]: [`PreparedSnapshot`], one build ready to serve: the
//!   snapshot, its JSON serialised once, and a slot for the default page
//!   that the page route renders once per snapshot.
//! - [`drift`]: the background task that refreshes projection drift on its
//!   own interval, and the [`DriftSlot`] builds read its latest outcome
//!   from (they never wait for a scan).

mod drift;
mod prepared;
pub mod refresher;
mod service;

pub use drift::{DriftSlot, DRIFT_TASK};
pub use prepared::PreparedSnapshot;
pub use refresher::HISTORY_TASK;
pub use service::{
    Known, PageSnapshot, SnapshotService, FAILED_BUILD_BACKOFF, SLOW_REASON, STALE_REASON,
};

use crate::links::HostDashboard;
use crate::settings::Settings;
use fleet_core::Thresholds;
use fleet_sql::SqlError;
use std::sync::Arc;
use std::time::Duration;

/// The settings a running fleetd can change on SIGHUP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveConfig {
    pub thresholds: Thresholds,
    /// Zero: no caching beyond sharing one in-flight build.
    pub cache_ttl: Duration,
    pub drift_interval: Duration,
    /// How long a request waits for a build before it is answered without
    /// it (the build goes on and serves later requests).
    pub build_wait: Duration,
    /// How long past its TTL the newest good snapshot keeps `/readyz` ready.
    pub ready_grace: Duration,
    /// `links.host_dashboard`. The routes read it together with the
    /// snapshot they draw: a reload bumps the cache generation after
    /// storing it, so a snapshot built after a reload is never drawn (nor
    /// its default page kept) with the template from before.
    pub host_dashboard: Option<Arc<HostDashboard>>,
}

impl LiveConfig {
    pub fn from_settings(settings: &Settings) -> Self {
        LiveConfig {
            thresholds: settings.thresholds(),
            cache_ttl: settings.cache.ttl,
            drift_interval: settings.cache.drift_interval,
            build_wait: settings.cache.build_wait,
            ready_grace: settings.cache.ready_grace,
            host_dashboard: settings.links.host_dashboard.clone().map(Arc::new),
        }
    }
}

/// Why there is no snapshot. Display may contain database text: log it,
/// never send it.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("reading the fleet failed: {0}")]
    Read(#[from] SqlError),
    #[error("serialising the snapshot failed: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("the snapshot build task failed: {0}")]
    Task(String),
    /// The build is still running: the request stopped waiting for it.
    #[error("the snapshot build is taking longer than {} ms", .0.as_millis())]
    Slow(Duration),
}
