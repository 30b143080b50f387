//! The history refresher: a background task that asks for the current
//! snapshot every `history.sample_interval_sec`, whether or not anyone is
//! looking, and then writes what the history recorded to its store.
//!
//! It asks through [`SnapshotService::current`], the same cache and single
//! build as every request: when a viewer's request built the snapshot a
//! moment ago, the refresher takes that one (no second build in one cache
//! period), and when the refresher builds, the viewers that come during
//! the build share it. The build records its own sample (a success as its
//! status, a failure as "unknown"); the refresher then writes the samples
//! recorded since its last cycle in one transaction, on the blocking pool:
//! store writes never happen on a request's path.

use super::SnapshotService;
use crate::tasks::{self, Periodic};
use chrono::Utc;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// The name of the history refresher in logs and metrics.
pub const HISTORY_TASK: &str = "history";

impl SnapshotService {
    /// Starts the history refresher: a sample every
    /// `history.sample_interval_sec`, the first one interval after the
    /// start (not at once: the first drift scan and the first requests
    /// have the pool to themselves then, as before the refresher existed;
    /// any request meanwhile records its build anyway). Abort the handle to stop it, then
    /// call [`SnapshotService::flush_history`].
    pub fn spawn_history_refresher(&self) -> JoinHandle<()> {
        tasks::spawn(
            self.runtime_handle(),
            Arc::clone(self.stats()),
            HistoryRefresher {
                service: self.clone(),
            },
        )
    }

    /// Writes what the history recorded and not yet stored (on the blocking
    /// pool), and checkpoints the store when `checkpoint` (shutdown).
    pub async fn flush_history(&self, checkpoint: bool) {
        let service = self.clone();
        let written = tokio::task::spawn_blocking(move || {
            service.history().persist(Utc::now());
            if checkpoint {
                service.history().checkpoint();
            }
        })
        .await;
        if let Err(join) = written {
            if join.is_panic() {
                // Counted and logged by the task that called this.
                std::panic::resume_unwind(join.into_panic());
            }
        }
    }
}

struct HistoryRefresher {
    service: SnapshotService,
}

impl Periodic for HistoryRefresher {
    fn name(&self) -> &'static str {
        HISTORY_TASK
    }

    async fn next(&mut self) -> bool {
        let interval = self.service.history().config().sample_interval;
        tokio::time::sleep(interval).await;
        true
    }

    async fn run(&mut self) {
        // The outcome is recorded by the build itself; a build slower than
        // `cache.build_wait_ms` goes on and records when it finishes.
        let _ = self.service.current().await;
        self.service.flush_history(false).await;
    }
}
