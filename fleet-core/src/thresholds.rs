//! The rollup's thresholds (rollup.md, "Thresholds").

use std::time::Duration;

/// Thresholds the rules are evaluated against. Built by the daemon from its
/// configuration; the defaults are the spec's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Number of buckets; valid buckets are `0..bucket_total`. 0 means "not
    /// configured".
    pub bucket_total: u32,
    /// A process or bucket-owner row older than this is stale.
    pub heartbeat_grace: Duration,
    /// How far back delivered/failed/abandoned deliveries count.
    pub recent_window: Duration,
    /// A drift result older than this reads amber ("overdue") instead of
    /// green: the scan runs in the background, and a scan that stopped
    /// finishing must not leave an old "no drift" standing as a green.
    /// `None`: no limit (the spec's three thresholds only).
    pub drift_max_age: Option<Duration>,
}

impl Thresholds {
    pub const DEFAULT_BUCKET_TOTAL: u32 = 1000;
    pub const DEFAULT_HEARTBEAT_GRACE: Duration = Duration::from_secs(600);
    pub const DEFAULT_RECENT_WINDOW: Duration = Duration::from_secs(900);

    /// `Some(total)` when bucket_total is configured.
    pub fn configured_bucket_total(&self) -> Option<u32> {
        (self.bucket_total > 0).then_some(self.bucket_total)
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            bucket_total: Self::DEFAULT_BUCKET_TOTAL,
            heartbeat_grace: Self::DEFAULT_HEARTBEAT_GRACE,
            recent_window: Self::DEFAULT_RECENT_WINDOW,
            drift_max_age: None,
        }
    }
}
