//! Status history: what fleetd records about the fleet status over time,
//! whether or not anyone is looking.
//!
//! - **Recording.** Every finished snapshot build is recorded, by
//!   [`SnapshotService`](crate::snapshots::SnapshotService): a successful
//!   one as a [`Sample`] of its status, issue count and top issue (at the
//!   snapshot's `generated_at`, the database clock); a failed one as an
//!   [`SampleStatus::Unknown`] sample (at fleetd's clock), so that a gap
//!   in what could be read shows as a gap. The history refresher
//!   ([`crate::snapshots::refresher`]) asks for a snapshot every
//!   `history.sample_interval_sec` through the same single-build cache, so
//!   there is a sample per interval with or without viewers.
//! - **Memory.** The last [`MAX_RECENT`] samples, the last
//!   [`MAX_TRANSITIONS`] transitions and a thinned day of samples (the
//!   page's 24-hour timeline) are kept in memory, bounded.
//! - **Store.** With `history.path` set, samples are also written to a
//!   SQLite file ([`store`]) by the refresher: at most one transaction per
//!   interval, holding every transition since the previous write and the
//!   latest sample; never on a request's path. At start-up the history
//!   resumes from the file, so "red since 14:02" survives a restart.
//! - **Never a reason to stop serving.** A store that cannot be opened or
//!   written (unwritable, full, corrupt, from a newer fleetd) is logged
//!   once, counted on `/metrics` (`fleetd_history_store_ok`,
//!   `fleetd_history_store_errors_total`), named in the page's history
//!   section, and fleetd goes on with the memory history alone.
//!
//! A sample older than the latest recorded one (possible around a reload,
//! or between the database's clock and fleetd's) is ignored, so the
//! history never goes backwards.

pub mod store;
pub mod summary;

use crate::stats::Stats;
use chrono::{DateTime, Duration, Utc};
use fleet_core::snapshot::rfc3339;
use fleet_core::{FleetSnapshot, Status};
use serde::Serialize;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use store::{Store, StoreError};
use summary::Segment;

/// Transitions kept in memory (the oldest is dropped first).
pub const MAX_TRANSITIONS: usize = 500;
/// Samples kept in memory for `recent` (the oldest is dropped first).
pub const MAX_RECENT: usize = 120;
/// How much of the past the in-memory timeline keeps (a day and an hour,
/// so the 24-hour strip is always full).
pub const DAY_KEPT: Duration = Duration::hours(25);
/// The in-memory timeline keeps a sample that is no transition only when
/// it is at least this much after the one before it.
pub const DAY_SPACING: Duration = Duration::seconds(10);
/// At most this many samples in the in-memory timeline (25 h at one per
/// 10 s, plus room for transitions).
pub const MAX_DAY_SAMPLES: usize = 12_000;
/// Stored samples older than this are thinned to one a minute (every
/// transition is kept).
pub const THIN_AFTER: Duration = Duration::days(1);
/// How often the store is trimmed (retention, thinning, size bound).
pub const MAINTENANCE_EVERY: Duration = Duration::hours(1);
/// The longest time a sample's status is taken to hold without a newer
/// sample, at least: past it (and past three sample intervals) the
/// timeline shows "unknown" (fleetd was not recording). Above one minute,
/// so that thinned days read as continuous.
pub const MIN_GAP: Duration = Duration::seconds(150);

/// The status a sample recorded: the fleet's, or unknown when the build
/// failed (the database could not be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SampleStatus {
    Green,
    Amber,
    Red,
    Unknown,
}

impl SampleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SampleStatus::Green => "green",
            SampleStatus::Amber => "amber",
            SampleStatus::Red => "red",
            SampleStatus::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Option<SampleStatus> {
        match text {
            "green" => Some(SampleStatus::Green),
            "amber" => Some(SampleStatus::Amber),
            "red" => Some(SampleStatus::Red),
            "unknown" => Some(SampleStatus::Unknown),
            _ => None,
        }
    }

    /// The fleet status, `None` for unknown.
    pub fn known(self) -> Option<Status> {
        match self {
            SampleStatus::Green => Some(Status::Green),
            SampleStatus::Amber => Some(Status::Amber),
            SampleStatus::Red => Some(Status::Red),
            SampleStatus::Unknown => None,
        }
    }
}

impl From<Status> for SampleStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Green => SampleStatus::Green,
            Status::Amber => SampleStatus::Amber,
            Status::Red => SampleStatus::Red,
        }
    }
}

impl std::fmt::Display for SampleStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// The snapshot's `generated_at`; for a failed build, when it failed.
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub status: SampleStatus,
    /// The snapshot's first issue (the most urgent), if any.
    pub top_issue: Option<String>,
    /// How many issues the snapshot had (0 for a failed build).
    pub issue_count: usize,
}

/// One change of the recorded status (an element of `/api/fleet/history`
/// and of the page's history section).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The time of the first sample with the new status.
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub from: SampleStatus,
    pub to: SampleStatus,
    /// The first issue of that sample, if any.
    pub top_issue: Option<String>,
}

/// Where the history is kept, as `/api/fleet/history`, the page and
/// `/metrics` report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum StoreState {
    /// No `history.path`: memory only, by configuration.
    MemoryOnly,
    /// Written to the store at `history.path`.
    Stored,
    /// The store could not be used: memory only since `since`.
    Failed {
        /// A short reason ("corrupt", "disk full", …); the log has the rest.
        reason: String,
        #[serde(with = "rfc3339")]
        since: DateTime<Utc>,
    },
}

/// Everything the history knows at one moment: the body of
/// `/api/fleet/history`. Lists are newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryView {
    /// The status of the latest sample; `null` before the first.
    pub status: Option<SampleStatus>,
    /// Since when the fleet has had `status`, as far as fleetd knows (also
    /// across restarts, with a store): the latest transition, or the first
    /// sample when the status never changed. `null` before the first.
    #[serde(with = "rfc3339::option")]
    pub status_since: Option<DateTime<Utc>>,
    /// `true` when `status_since` is the time of a transition fleetd saw;
    /// `false` when it is only the first sample (the status may be older).
    pub status_since_exact: bool,
    /// The oldest sample fleetd still has (its start, without a store or
    /// before the first sample).
    #[serde(with = "rfc3339")]
    pub recording_since: DateTime<Utc>,
    /// Where the history is kept.
    pub store: StoreState,
    /// `history.sample_interval_sec`.
    pub sample_interval_sec: u64,
    /// The bounds of the lists (without `since`/`until`).
    pub max_transitions: usize,
    pub max_recent: usize,
    /// Transitions known (recorded since start, plus those in the store).
    pub transitions_total: u64,
    /// The window asked for with `since`/`until` (`null` without).
    #[serde(with = "rfc3339::option")]
    pub window_since: Option<DateTime<Utc>>,
    #[serde(with = "rfc3339::option")]
    pub window_until: Option<DateTime<Utc>>,
    /// Status changes, newest first: the last [`MAX_TRANSITIONS`], or all
    /// of the window (at most [`MAX_WINDOW_TRANSITIONS`]).
    pub transitions: Vec<Transition>,
    /// Samples, newest first: the last [`MAX_RECENT`], or the newest
    /// [`MAX_RECENT`] of the window.
    pub recent: Vec<Sample>,
}

/// Most transitions a window answer lists.
pub const MAX_WINDOW_TRANSITIONS: usize = 10_000;
/// Most samples read from the store for a summary (30 days thinned to one
/// a minute is 43 200, plus a day at the shortest interval).
pub const MAX_SUMMARY_SAMPLES: usize = 200_000;

/// Since when the fleet has had its current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSince {
    /// `None` before the first sample.
    pub at: Option<DateTime<Utc>>,
    /// `false` while no transition was seen: `at` is then the first
    /// sample, and the status may be older.
    pub exact: bool,
}

/// `[history]` settings the history needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryConfig {
    /// `None`: memory only.
    pub path: Option<PathBuf>,
    pub sample_interval: std::time::Duration,
    pub retention: Duration,
    pub max_bytes: u64,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            path: None,
            sample_interval: std::time::Duration::from_secs(15),
            retention: Duration::days(30),
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

impl HistoryConfig {
    /// How long a sample's status is taken to hold without a newer one.
    pub fn max_gap(&self) -> Duration {
        let three = Duration::from_std(self.sample_interval * 3).unwrap_or(MIN_GAP);
        three.max(MIN_GAP)
    }
}

/// What the `/fleet/history` page shows: the summaries of the period
/// (computed by [`summary`]) and its transitions.
#[derive(Debug, Clone)]
pub struct HistoryReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Where the figures come from.
    pub store: StoreState,
    /// The status over the period.
    pub segments: Vec<Segment>,
    /// Time of each status per UTC day, newest day first.
    pub days: Vec<summary::DayTotals>,
    /// The longest red spells, longest first.
    pub longest_red: Vec<Segment>,
    /// The transitions of the period, newest first.
    pub transitions: Vec<Transition>,
}

/// Longest red spells the report lists.
pub const LONGEST_RED_SHOWN: usize = 10;

/// The status history: written by the snapshot service (every build) and
/// the refresher (the store), read by the routes.
#[derive(Debug)]
pub struct History {
    config: HistoryConfig,
    state: Mutex<State>,
    /// Locked before `state` when both are needed.
    store: Mutex<Slot>,
    /// What `store` is, kept apart so that the page and the JSON never wait
    /// for a store read or write to learn it.
    store_state: Mutex<StoreState>,
    stats: Arc<Stats>,
}

#[derive(Debug)]
enum Slot {
    /// Memory only, by configuration.
    None,
    Open(Store),
    /// Given up (see [`History::store_state`] for why and since when).
    Failed,
}

#[derive(Debug)]
struct State {
    recording_since: DateTime<Utc>,
    /// When the current status began; exact once a transition was seen.
    since: Option<DateTime<Utc>>,
    since_exact: bool,
    transitions_total: u64,
    transitions: VecDeque<Transition>,
    recent: VecDeque<Sample>,
    /// The thinned last [`DAY_KEPT`] (the timeline).
    day: VecDeque<Sample>,
    /// Samples not written to the store yet: every transition and the
    /// latest sample (empty and unused without a store).
    pending: Vec<Pending>,
    persisting: bool,
    last_maintenance: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct Pending {
    sample: Sample,
    /// The status recorded before it.
    prev: Option<SampleStatus>,
    transition: bool,
}

/// Most samples waiting for the store (only reached if writes stall).
const MAX_PENDING: usize = 10_000;

impl History {
    /// A memory-only history with the default settings, recording since
    /// `recording_since` (tests and tools).
    pub fn new(recording_since: DateTime<Utc>) -> Self {
        let history = History::memory(HistoryConfig::default(), Arc::new(Stats::default()));
        history.lock().recording_since = recording_since;
        history
    }

    /// A memory-only history starting now.
    pub fn memory(config: HistoryConfig, stats: Arc<Stats>) -> Self {
        stats.set_history_store_ok(false);
        History {
            config,
            state: Mutex::new(State {
                recording_since: Utc::now(),
                since: None,
                since_exact: false,
                transitions_total: 0,
                transitions: VecDeque::new(),
                recent: VecDeque::new(),
                day: VecDeque::new(),
                pending: Vec::new(),
                persisting: false,
                last_maintenance: None,
            }),
            store: Mutex::new(Slot::None),
            store_state: Mutex::new(StoreState::MemoryOnly),
            stats,
        }
    }

    /// The history of `config`: with a `path`, the store is opened (its
    /// directory created), trimmed and read back; when it cannot be used
    /// the cause is logged once and the history is memory only.
    pub fn open(config: HistoryConfig, stats: Arc<Stats>) -> Self {
        let history = History::memory(config, stats);
        let Some(path) = history.config.path.clone() else {
            return history;
        };
        let now = Utc::now();
        let opened = Store::open(&path).and_then(|mut store| {
            store.maintain(
                now,
                history.config.retention,
                THIN_AFTER,
                history.config.max_bytes,
            )?;
            let loaded = store.load(MAX_RECENT, MAX_TRANSITIONS, now - DAY_KEPT)?;
            Ok((store, loaded))
        });
        let mut slot = lock(&history.store);
        match opened {
            Ok((store, loaded)) => {
                log::info!(
                    "status history stored in {} ({} samples since {})",
                    path.display(),
                    store.count().unwrap_or(0),
                    loaded
                        .first_at
                        .map_or_else(|| "now".to_owned(), |t| t.to_rfc3339())
                );
                history.resume(loaded, now);
                *slot = Slot::Open(store);
                *lock(&history.store_state) = StoreState::Stored;
                history.stats.set_history_store_ok(true);
            }
            Err(error) => history.fail(&mut slot, &error),
        }
        drop(slot);
        history
    }

    fn resume(&self, loaded: store::Loaded, now: DateTime<Utc>) {
        let mut state = self.lock();
        state.recording_since = loaded.first_at.unwrap_or(state.recording_since);
        state.transitions_total = loaded.transitions_total;
        state.recent = loaded.recent.into();
        state.transitions = loaded.transitions.into();
        state.day = loaded.day.into();
        match state.transitions.back() {
            Some(last) => {
                state.since = Some(last.at);
                state.since_exact = true;
            }
            None => {
                state.since = loaded.first_at;
                state.since_exact = false;
            }
        }
        state.persisting = true;
        state.last_maintenance = Some(now);
    }

    /// Gives up the store: logged once, counted, memory only from now on.
    fn fail(&self, slot: &mut Slot, error: &StoreError) {
        log::error!(
            "{error}; the status history is kept in memory only until fleetd restarts \
             (docs/operations.md, \"Status history\")"
        );
        self.stats.history_store_failed();
        let since = Utc::now();
        *slot = Slot::Failed;
        *lock(&self.store_state) = StoreState::Failed {
            reason: error.kind().to_owned(),
            since,
        };
        let mut state = self.lock();
        state.persisting = false;
        state.pending.clear();
    }

    /// The `[history]` settings in effect.
    pub fn config(&self) -> &HistoryConfig {
        &self.config
    }

    /// Records a successful build; returns the transition it caused, if any.
    pub fn record(&self, snapshot: &FleetSnapshot) -> Option<Transition> {
        self.record_sample(Sample {
            at: snapshot.generated_at,
            status: snapshot.summary.status.into(),
            top_issue: snapshot.summary.issues.first().cloned(),
            issue_count: snapshot.summary.issues.len(),
        })
    }

    /// Records a failed build (the database could not be read) at `at`.
    pub fn record_failure(&self, at: DateTime<Utc>) -> Option<Transition> {
        self.record_sample(Sample {
            at,
            status: SampleStatus::Unknown,
            top_issue: None,
            issue_count: 0,
        })
    }

    /// Records one sample; samples older than the latest are ignored.
    pub fn record_sample(&self, sample: Sample) -> Option<Transition> {
        let mut state = self.lock();
        let previous = state.recent.back().map(|last| (last.at, last.status));
        if previous.is_some_and(|(last_at, _)| sample.at < last_at) {
            return None;
        }
        let prev = previous.map(|(_, status)| status);
        let transition = prev
            .filter(|from| *from != sample.status)
            .map(|from| Transition {
                at: sample.at,
                from,
                to: sample.status,
                top_issue: sample.top_issue.clone(),
            });
        push_bounded(&mut state.recent, sample.clone(), MAX_RECENT);
        let keep_in_day = transition.is_some()
            || state
                .day
                .back()
                .is_none_or(|back| sample.at - back.at >= DAY_SPACING);
        if keep_in_day {
            push_bounded(&mut state.day, sample.clone(), MAX_DAY_SAMPLES);
            let oldest = sample.at - DAY_KEPT;
            while state.day.front().is_some_and(|s| s.at < oldest) {
                state.day.pop_front();
            }
        }
        if state.persisting {
            // Only transitions and the latest sample are written.
            if state.pending.last().is_some_and(|p| !p.transition) {
                state.pending.pop();
            }
            if state.pending.len() >= MAX_PENDING {
                state.pending.remove(0);
            }
            state.pending.push(Pending {
                sample: sample.clone(),
                prev,
                transition: transition.is_some(),
            });
        }
        match &transition {
            None if prev.is_none() => {
                state.since = Some(sample.at);
                state.since_exact = false;
            }
            None => {}
            Some(t) => {
                push_bounded(&mut state.transitions, t.clone(), MAX_TRANSITIONS);
                state.transitions_total += 1;
                state.since = Some(t.at);
                state.since_exact = true;
            }
        }
        transition
    }

    /// Writes what was recorded since the last call to the store (one
    /// transaction) and trims it when due. Blocking: called by the
    /// refresher on the blocking pool, and at shutdown. A failure gives the
    /// store up (see the module docs).
    pub fn persist(&self, now: DateTime<Utc>) {
        let mut slot = lock(&self.store);
        let Slot::Open(store) = &mut *slot else {
            return;
        };
        let (batch, maintain) = {
            let mut state = self.lock();
            let batch = std::mem::take(&mut state.pending);
            let due = state
                .last_maintenance
                .is_none_or(|last| now - last >= MAINTENANCE_EVERY);
            if due {
                state.last_maintenance = Some(now);
            }
            (batch, due)
        };
        let mut result = match batch.first() {
            None => Ok(()),
            Some(first) => {
                let samples: Vec<Sample> = batch.iter().map(|p| p.sample.clone()).collect();
                store.append(&samples, first.prev)
            }
        };
        if result.is_ok() && maintain {
            result = store
                .maintain(
                    now,
                    self.config.retention,
                    THIN_AFTER,
                    self.config.max_bytes,
                )
                .map(|done| {
                    log::debug!(
                        "status history trimmed: {} expired, {} thinned, {} over the size bound",
                        done.expired,
                        done.thinned,
                        done.over_size
                    );
                });
        }
        if let Err(error) = result {
            self.fail(&mut slot, &error);
        }
    }

    /// Writes the WAL into the file (graceful shutdown).
    pub fn checkpoint(&self) {
        if let Slot::Open(store) = &*lock(&self.store) {
            if let Err(error) = store.checkpoint() {
                log::warn!("status history: {error}");
            }
        }
    }

    /// Where the history is kept now.
    pub fn store_state(&self) -> StoreState {
        lock(&self.store_state).clone()
    }

    /// Since when the fleet has had its current status (see
    /// [`HistoryView::status_since`]).
    pub fn status_since(&self) -> StatusSince {
        let state = self.lock();
        StatusSince {
            at: state.since,
            exact: state.since_exact,
        }
    }

    /// The latest sample's status.
    pub fn status(&self) -> Option<SampleStatus> {
        self.lock().recent.back().map(|s| s.status)
    }

    /// The transitions in memory, oldest first (for the page, which sorts).
    pub fn transitions(&self) -> Vec<Transition> {
        self.lock().transitions.iter().cloned().collect()
    }

    /// The status over the 24 hours before `now`, from memory.
    pub fn timeline(&self, now: DateTime<Utc>) -> Vec<Segment> {
        let samples: Vec<(DateTime<Utc>, SampleStatus)> =
            self.lock().day.iter().map(|s| (s.at, s.status)).collect();
        summary::segments(
            &samples,
            now - Duration::hours(24),
            now,
            self.config.max_gap(),
        )
    }

    /// A copy of everything in memory, newest first.
    pub fn view(&self) -> HistoryView {
        let store = self.store_state();
        let state = self.lock();
        HistoryView {
            status: state.recent.back().map(|b| b.status),
            status_since: state.since,
            status_since_exact: state.since_exact,
            recording_since: state.recording_since,
            store,
            sample_interval_sec: self.config.sample_interval.as_secs(),
            max_transitions: MAX_TRANSITIONS,
            max_recent: MAX_RECENT,
            transitions_total: state.transitions_total,
            window_since: None,
            window_until: None,
            transitions: state.transitions.iter().rev().cloned().collect(),
            recent: state.recent.iter().rev().cloned().collect(),
        }
    }

    /// Reads from the store when there is one; `None` without one, and when
    /// the read fails (the store is then given up, like a failed write).
    fn read_store<T>(&self, read: impl FnOnce(&Store) -> Result<T, StoreError>) -> Option<T> {
        let mut slot = lock(&self.store);
        let Slot::Open(store) = &*slot else {
            return None;
        };
        match read(store) {
            Ok(found) => Some(found),
            Err(error) => {
                self.fail(&mut slot, &error);
                None
            }
        }
    }

    /// The view restricted to `[since, until]`: from the store (everything
    /// within retention) when there is one, else from memory. Blocking.
    pub fn window(
        &self,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> HistoryView {
        let mut view = self.view();
        view.window_since = since;
        view.window_until = until;
        let inside =
            |at: DateTime<Utc>| since.is_none_or(|s| at >= s) && until.is_none_or(|u| at <= u);
        let from_store = self.read_store(|store| {
            let transitions = store.transitions_before(since, until, MAX_WINDOW_TRANSITIONS)?;
            let from = since.unwrap_or(DateTime::<Utc>::MIN_UTC);
            let to = until.unwrap_or(DateTime::<Utc>::MAX_UTC);
            let samples = store.samples_between(from, to, MAX_RECENT)?;
            Ok((transitions, samples))
        });
        match from_store {
            Some((transitions, samples)) => {
                view.transitions = transitions;
                view.recent = samples.into_iter().rev().filter(|s| inside(s.at)).collect();
            }
            None => {
                view.transitions.retain(|t| inside(t.at));
                view.recent.retain(|s| inside(s.at));
            }
        }
        view
    }

    /// The `/fleet/history` report: the last `history.retention_days`
    /// before `now` from the store, or what memory holds (a day) without
    /// one. Blocking.
    pub fn report(&self, now: DateTime<Utc>) -> HistoryReport {
        let from = now - self.config.retention;
        let stored = self.read_store(|store| {
            let samples = store.samples_between(from, now, MAX_SUMMARY_SAMPLES)?;
            let transitions =
                store.transitions_before(Some(from), Some(now), MAX_WINDOW_TRANSITIONS)?;
            Ok((samples, transitions))
        });
        let (samples, transitions, from) = match stored {
            Some((samples, transitions)) => (samples, transitions, from),
            None => {
                let state = self.lock();
                let samples: Vec<Sample> = state.day.iter().cloned().collect();
                let mut transitions: Vec<Transition> =
                    state.transitions.iter().rev().cloned().collect();
                transitions.retain(|t| t.at >= from);
                // Memory holds a day at most: the report covers that.
                (samples, transitions, from.max(now - DAY_KEPT))
            }
        };
        let points: Vec<(DateTime<Utc>, SampleStatus)> =
            samples.iter().map(|s| (s.at, s.status)).collect();
        let segments = summary::segments(&points, from, now, self.config.max_gap());
        let mut days = summary::per_day(&segments);
        days.reverse();
        let longest_red = summary::longest(&segments, SampleStatus::Red, LONGEST_RED_SHOWN);
        HistoryReport {
            from,
            to: now,
            store: self.store_state(),
            segments,
            days,
            longest_red,
            transitions,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update leaves the state consistent before it can panic.
        lock(&self.state)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn push_bounded<T>(ring: &mut VecDeque<T>, item: T, max: usize) {
    while ring.len() >= max {
        ring.pop_front();
    }
    ring.push_back(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use fleet_core::{build_snapshot, FleetInput, Thresholds};

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 30, 14, minute, 0)
            .single()
            .expect("valid time")
    }

    /// A snapshot with the given status at the given minute: no processes
    /// is amber; the status is then overwritten for the test.
    fn snapshot(minute: u32, status: Status, issue: Option<&str>) -> FleetSnapshot {
        let input = FleetInput {
            processes: Vec::new(),
            hosts: Ok(Vec::new()),
            delivery: Vec::new(),
            drift: fleet_core::DriftInput::NotCheckedYet,
        };
        let mut snap = build_snapshot(&input, at(minute), &Thresholds::default());
        snap.summary.status = status;
        snap.summary.issues = issue.map(str::to_owned).into_iter().collect();
        snap
    }

    #[test]
    fn the_first_build_sets_an_inexact_since_and_no_transition() {
        let history = History::new(at(0));
        assert_eq!(history.view().status, None);
        assert_eq!(history.view().status_since, None);
        assert_eq!(
            history.record(&snapshot(1, Status::Green, None)),
            None,
            "the first build is no transition"
        );
        let view = history.view();
        assert_eq!(view.status, Some(SampleStatus::Green));
        assert_eq!(view.status_since, Some(at(1)));
        assert!(!view.status_since_exact);
        assert_eq!(view.recent.len(), 1);
        assert!(view.transitions.is_empty());
    }

    #[test]
    fn a_status_change_is_a_transition_with_the_top_issue() {
        let history = History::new(at(0));
        history.record(&snapshot(1, Status::Green, None));
        history.record(&snapshot(2, Status::Green, None));
        let t = history
            .record(&snapshot(
                3,
                Status::Red,
                Some("mon-a:monitor heartbeat stale age=700s"),
            ))
            .expect("green → red is a transition");
        assert_eq!(
            (t.from, t.to, t.at),
            (SampleStatus::Green, SampleStatus::Red, at(3))
        );
        assert_eq!(
            t.top_issue.as_deref(),
            Some("mon-a:monitor heartbeat stale age=700s")
        );
        history.record(&snapshot(4, Status::Red, Some("other")));
        let view = history.view();
        assert_eq!(
            view.status_since,
            Some(at(3)),
            "unchanged since the transition"
        );
        assert!(view.status_since_exact);
        assert_eq!(view.transitions, vec![t]);
        assert_eq!(view.transitions_total, 1);
        assert_eq!(
            view.recent.iter().map(|b| b.at).collect::<Vec<_>>(),
            vec![at(4), at(3), at(2), at(1)],
            "newest first"
        );
    }

    #[test]
    fn older_snapshots_than_the_latest_are_ignored() {
        let history = History::new(at(0));
        history.record(&snapshot(5, Status::Green, None));
        assert_eq!(history.record(&snapshot(4, Status::Red, None)), None);
        let view = history.view();
        assert_eq!(view.status, Some(SampleStatus::Green));
        assert_eq!(view.recent.len(), 1);
    }

    #[test]
    fn both_rings_are_bounded() {
        let history = History::new(at(0));
        let mut status = Status::Green;
        for i in 0..(MAX_TRANSITIONS + 50) {
            let mut snap = snapshot(0, status, None);
            snap.generated_at = at(0) + chrono::Duration::seconds(i as i64);
            history.record(&snap);
            status = if status == Status::Green {
                Status::Red
            } else {
                Status::Green
            };
        }
        let view = history.view();
        assert_eq!(view.recent.len(), MAX_RECENT);
        assert_eq!(view.transitions.len(), MAX_TRANSITIONS);
        assert_eq!(view.transitions_total, (MAX_TRANSITIONS + 49) as u64);
        // The newest survive.
        assert_eq!(
            view.transitions[0].at,
            at(0) + chrono::Duration::seconds((MAX_TRANSITIONS + 49) as i64)
        );
    }

    #[test]
    fn the_view_serialises_to_the_documented_shape() {
        let history = History::new(at(0));
        history.record(&snapshot(1, Status::Green, None));
        history.record(&snapshot(2, Status::Amber, Some("drift")));
        let json = serde_json::to_value(history.view()).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "status": "amber",
                "status_since": "2026-04-30T14:02:00Z",
                "status_since_exact": true,
                "recording_since": "2026-04-30T14:00:00Z",
                "store": {"state": "memory_only"},
                "sample_interval_sec": 15,
                "window_since": null,
                "window_until": null,
                "max_transitions": MAX_TRANSITIONS,
                "max_recent": MAX_RECENT,
                "transitions_total": 1,
                "transitions": [
                    {"at": "2026-04-30T14:02:00Z", "from": "green", "to": "amber", "top_issue": "drift"}
                ],
                "recent": [
                    {"at": "2026-04-30T14:02:00Z", "status": "amber", "top_issue": "drift", "issue_count": 1},
                    {"at": "2026-04-30T14:01:00Z", "status": "green", "top_issue": null, "issue_count": 0}
                ]
            })
        );
    }

    #[test]
    fn a_failed_build_is_an_unknown_sample_and_a_transition() {
        let history = History::new(at(0));
        history.record(&snapshot(1, Status::Red, Some("x")));
        let t = history.record_failure(at(2)).expect("red → unknown");
        assert_eq!((t.from, t.to), (SampleStatus::Red, SampleStatus::Unknown));
        assert_eq!(history.status(), Some(SampleStatus::Unknown));
        let back = history
            .record(&snapshot(3, Status::Red, Some("x")))
            .expect("unknown → red");
        assert_eq!(back.to, SampleStatus::Red);
        // The timeline shows the gap.
        let segments = history.timeline(at(4));
        let statuses: Vec<_> = segments.iter().map(|s| s.status).collect();
        assert_eq!(
            statuses,
            vec![
                SampleStatus::Unknown,
                SampleStatus::Red,
                SampleStatus::Unknown,
                SampleStatus::Red
            ]
        );
        assert_eq!(segments[2].start, at(2));
        assert_eq!(segments[2].end, at(3));
    }
}
