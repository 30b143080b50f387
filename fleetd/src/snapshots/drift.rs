//! Projection drift, refreshed in the background.
//!
//! The drift scan reads every active site (millions in production), so it
//! never runs inside a snapshot build: a task of its own scans every
//! `drift_interval` (and at once after a reload that changes the interval or
//! bucket_total, or after the database comes back from an outage), and
//! stores the outcome in a [`DriftSlot`]. Builds read the slot and never
//! wait for a scan.

use super::SnapshotService;
use crate::tasks::{self, Periodic};
use fleet_core::DriftInput;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The latest drift outcome and the bucket_total it was scanned for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftSlot {
    pub scanned_for_bucket_total: u32,
    pub outcome: DriftInput,
}

impl DriftSlot {
    /// What a build under `bucket_total` may use. A result scanned for
    /// another bucket_total (before a reload changed it) is "not checked
    /// yet": it counted other buckets, and must not stand as green until
    /// the rescan finishes.
    pub fn outcome_for(&self, bucket_total: u32) -> DriftInput {
        if self.scanned_for_bucket_total == bucket_total {
            self.outcome.clone()
        } else {
            DriftInput::NotCheckedYet
        }
    }

    /// The outcome to store when a scan for `bucket_total` failed: the last
    /// good result with the failure (rollup.md §9.3), or `Unreadable` when
    /// there is none for this bucket_total.
    pub fn after_failure(&self, bucket_total: u32) -> DriftInput {
        match self.outcome_for(bucket_total) {
            DriftInput::Checked(last) | DriftInput::LastScanFailed(last) => {
                DriftInput::LastScanFailed(last)
            }
            DriftInput::NotCheckedYet | DriftInput::Unreadable => DriftInput::Unreadable,
        }
    }
}

/// The slot, and the bell that asks the refresher for a scan now.
#[derive(Debug)]
pub(super) struct DriftState {
    slot: RwLock<DriftSlot>,
    wake: Notify,
}

impl DriftState {
    /// Nothing scanned yet.
    pub(super) fn new(bucket_total: u32) -> Self {
        DriftState {
            slot: RwLock::new(DriftSlot {
                scanned_for_bucket_total: bucket_total,
                outcome: DriftInput::NotCheckedYet,
            }),
            wake: Notify::new(),
        }
    }

    pub(super) fn outcome_for(&self, bucket_total: u32) -> DriftInput {
        self.read().outcome_for(bucket_total)
    }

    pub(super) fn latest_scan_failed(&self) -> bool {
        matches!(
            self.read().outcome,
            DriftInput::Unreadable | DriftInput::LastScanFailed(_)
        )
    }

    /// Asks the refresher to scan now. A request made while a scan runs is
    /// kept (one), not queued.
    pub(super) fn rescan_now(&self) {
        self.wake.notify_one();
    }

    fn store(&self, slot: DriftSlot) {
        *self.slot.write().unwrap_or_else(PoisonError::into_inner) = slot;
    }

    /// Waits `interval`, or less if a rescan is asked for.
    async fn wait(&self, interval: Duration) {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = self.wake.notified() => {}
        }
    }

    // A poisoned lock only means another thread panicked while holding it;
    // the slot is replaced whole, so it is never half-written.
    pub(super) fn read(&self) -> std::sync::RwLockReadGuard<'_, DriftSlot> {
        self.slot.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SnapshotService {
    /// The latest drift outcome (what the next build will use), see
    /// [`DriftSlot::outcome_for`].
    pub fn drift(&self) -> DriftInput {
        self.drift_state()
            .outcome_for(self.live().thresholds.bucket_total)
    }

    /// Runs one drift scan now and stores its outcome (a failed scan is
    /// stored with the last good result, or as `Unreadable` when there is
    /// none; shown red either way). Returns the stored outcome.
    pub async fn refresh_drift(&self) -> DriftInput {
        let bucket_total = self.live().thresholds.bucket_total;
        if bucket_total == 0 {
            // Not configured: fleet-core reports that itself; scanning all
            // sites for a figure nobody can use is wasted load.
            return self.drift();
        }
        let started = Instant::now();
        let outcome = match self.reader().read_drift(bucket_total).await {
            Ok(result) => DriftInput::Checked(result),
            Err(err) => {
                log::warn!("projection drift scan failed: {err}");
                self.drift_state().read().after_failure(bucket_total)
            }
        };
        let took = started.elapsed();
        let ok = matches!(outcome, DriftInput::Checked(_));
        self.stats().drift_scan_finished(ok, took);
        log::debug!(
            "projection drift scan finished in {} ms (ok={ok})",
            took.as_millis()
        );
        self.drift_state().store(DriftSlot {
            scanned_for_bucket_total: bucket_total,
            outcome: outcome.clone(),
        });
        outcome
    }

    /// Starts the background task that refreshes drift at once, then every
    /// `drift_interval` (and at once when asked to, see
    /// [`DriftState::rescan_now`]). A scan that panics (e.g. the driver, on
    /// corrupted bytes) is counted and the next one runs on schedule (see
    /// [`crate::tasks`]). Abort the handle to stop it.
    pub fn spawn_drift_refresher(&self) -> JoinHandle<()> {
        tasks::spawn(
            self.runtime(),
            Arc::clone(self.stats()),
            DriftRefresher {
                service: self.clone(),
                first: true,
            },
        )
    }
}

/// The name of the drift refresher in logs and metrics.
pub const DRIFT_TASK: &str = "drift";

/// The drift refresher's state between cycles.
struct DriftRefresher {
    service: SnapshotService,
    /// The first scan runs at once.
    first: bool,
}

impl Periodic for DriftRefresher {
    fn name(&self) -> &'static str {
        DRIFT_TASK
    }

    async fn next(&mut self) -> bool {
        if !std::mem::take(&mut self.first) {
            // The interval in effect now: a reload may have changed it.
            let interval = self.service.live().drift_interval;
            self.service.drift_state().wait(interval).await;
        }
        true
    }

    async fn run(&mut self) {
        self.service.refresh_drift().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_scanned_for_another_bucket_total_is_not_checked_yet() {
        let slot = DriftSlot {
            scanned_for_bucket_total: 1000,
            outcome: DriftInput::Unreadable,
        };
        assert_eq!(slot.outcome_for(1000), DriftInput::Unreadable);
        assert_eq!(slot.outcome_for(2000), DriftInput::NotCheckedYet);
    }

    #[test]
    fn a_failed_scan_keeps_the_last_good_result_of_the_same_bucket_total() {
        let result = fleet_core::DriftResult {
            checked_at: chrono::DateTime::UNIX_EPOCH,
            causes: vec![(fleet_core::DriftCause::MultipleOpenHttpEvents, 3)],
        };
        let checked = DriftSlot {
            scanned_for_bucket_total: 1000,
            outcome: DriftInput::Checked(result.clone()),
        };
        let failed = checked.after_failure(1000);
        assert_eq!(failed, DriftInput::LastScanFailed(result.clone()));
        let failed_again = DriftSlot {
            scanned_for_bucket_total: 1000,
            outcome: failed,
        }
        .after_failure(1000);
        assert_eq!(failed_again, DriftInput::LastScanFailed(result));
        assert_eq!(
            checked.after_failure(2000),
            DriftInput::Unreadable,
            "another bucket_total's result is not kept"
        );
    }
}
