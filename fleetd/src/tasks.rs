//! Background tasks that outlive their own failures.
//!
//! A background task (the SIGHUP reload, the drift refresher, and any later
//! one) is a loop of cycles: wait until the next cycle is due (a signal, an
//! interval), then do its work. [`spawn`] runs each step under
//! `catch_unwind`: a panic is logged with the task's name, counted on
//! `/metrics` as `fleetd_task_panics_total{task="…"}`, and the task goes on
//! to its next cycle. One bad cycle (a reload of a file that trips a bug, a
//! driver panicking on corrupted bytes during a drift scan) must never
//! disable the task for the rest of the process's life.
//!
//! To add a task: implement [`Periodic`] for a struct holding its state and
//! pass it to [`spawn`].

use crate::stats::Stats;
use futures_util::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// After a panic, the task waits at least this long before its next cycle,
/// so that a step that panics at once every time cannot spin a core.
pub const PAUSE_AFTER_PANIC: Duration = Duration::from_secs(1);

/// One background task, run by [`spawn`].
pub trait Periodic: Send + 'static {
    /// The task's name: in log lines and in the `task` label of
    /// `fleetd_task_panics_total`.
    fn name(&self) -> &'static str;

    /// Waits until the next cycle is due. `false` ends the task (e.g. the
    /// signal stream it waits on is closed).
    fn next(&mut self) -> impl Future<Output = bool> + Send;

    /// One cycle's work.
    fn run(&mut self) -> impl Future<Output = ()> + Send;
}

/// Starts `task` on `runtime`: its cycles run until [`Periodic::next`]
/// returns `false` or the handle is aborted; a panic in either step is
/// logged, counted in `stats` and followed by the next cycle.
pub fn spawn(runtime: &Handle, stats: Arc<Stats>, mut task: impl Periodic) -> JoinHandle<()> {
    let name = task.name();
    // The series exists (at 0) from the start, so an alert can use it.
    stats.task_started(name);
    #[cfg(feature = "fault-injection")]
    injection::arm_from_environment(name);
    runtime.spawn(async move {
        loop {
            match AssertUnwindSafe(task.next()).catch_unwind().await {
                Ok(true) => {}
                Ok(false) => break,
                Err(panic) => {
                    survived(&stats, name, "waiting for its next cycle", &*panic);
                    tokio::time::sleep(PAUSE_AFTER_PANIC).await;
                    continue;
                }
            }
            let cycle = async {
                injection::maybe_panic(name);
                task.run().await;
            };
            if let Err(panic) = AssertUnwindSafe(cycle).catch_unwind().await {
                survived(&stats, name, "in a cycle", &*panic);
                tokio::time::sleep(PAUSE_AFTER_PANIC).await;
            }
        }
        log::debug!("background task {name} stopped");
    })
}

/// Logs and counts a panic the task survived.
fn survived(stats: &Stats, name: &'static str, when: &str, panic: &(dyn Any + Send)) {
    stats.task_panicked(name);
    log::error!(
        "background task {name} panicked {when}: {}; it goes on with its next cycle",
        panic_message(panic)
    );
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
pub fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Test-only: make the named task panic at the start of its next cycle's
/// work (after its wait). Exists only with the `fault-injection` feature,
/// which only fleetd's own tests enable. A child `fleetd` built for the
/// tests is armed the same way by the environment variable
/// [`PANIC_TASK_VARIABLE`] naming the task.
#[cfg(feature = "fault-injection")]
pub fn inject_panic(task: &'static str) {
    injection::arm(task);
}

/// See [`inject_panic`].
#[cfg(feature = "fault-injection")]
pub const PANIC_TASK_VARIABLE: &str = "FLEETD_TEST_PANIC_TASK";

#[cfg(feature = "fault-injection")]
mod injection {
    use std::collections::HashSet;
    use std::sync::{Mutex, PoisonError};

    static ARMED: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);

    pub(super) fn arm_from_environment(task: &'static str) {
        if std::env::var(super::PANIC_TASK_VARIABLE).is_ok_and(|named| named == task) {
            arm(task);
        }
    }

    pub(super) fn arm(task: &'static str) {
        ARMED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(HashSet::new)
            .insert(task);
    }

    pub(super) fn maybe_panic(task: &str) {
        let armed = ARMED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
            .is_some_and(|set| set.remove(task));
        if armed {
            panic!("injected panic in background task {task} (fault-injection)");
        }
    }
}

#[cfg(not(feature = "fault-injection"))]
mod injection {
    #[inline(always)]
    pub(super) fn maybe_panic(_task: &str) {}
}
