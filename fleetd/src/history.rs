//! Status history: what fleetd remembers, in memory, about the snapshots it
//! built since it started.
//!
//! Every successful build is recorded once, by
//! [`SnapshotService`](crate::snapshots::SnapshotService) (its
//! `record_success`): a [`BuildSummary`] (time, status, top issue) goes into
//! a ring of the last [`MAX_RECENT`] builds, and when the fleet status
//! differs from the previous build's a [`Transition`] goes into a ring of
//! the last [`MAX_TRANSITIONS`] transitions. Both rings drop their oldest
//! entry when full, so memory stays bounded (a few hundred KB at most: the
//! only variable-size field is the top issue text). Nothing is persisted: a
//! restarted fleetd starts an empty history.
//!
//! Times are the snapshots' `generated_at` (the database clock, like every
//! time in a snapshot). A build that finishes after a newer one was already
//! recorded (possible around a configuration reload) is ignored, so the
//! history never goes backwards.

use chrono::{DateTime, Utc};
use fleet_core::snapshot::rfc3339;
use fleet_core::{FleetSnapshot, Status};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

/// Transitions kept (the oldest is dropped first).
pub const MAX_TRANSITIONS: usize = 500;
/// Successful builds kept (the oldest is dropped first). At the default
/// cache TTL of 5 s and steady traffic this is the last 10 minutes.
pub const MAX_RECENT: usize = 120;

/// One successful snapshot build, as remembered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildSummary {
    /// The snapshot's `generated_at`.
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub status: Status,
    /// The snapshot's first issue (the most urgent), if any.
    pub top_issue: Option<String>,
    /// How many issues the snapshot had.
    pub issue_count: usize,
}

/// One change of the fleet status (an element of `/api/fleet/history` and
/// of the page's history section).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// `generated_at` of the first snapshot with the new status.
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub from: Status,
    pub to: Status,
    /// The first issue of that snapshot, if any.
    pub top_issue: Option<String>,
}

/// Everything the history knows at one moment: the body of
/// `/api/fleet/history`. Lists are newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryView {
    /// The status of the latest recorded snapshot; `null` before the first.
    pub status: Option<Status>,
    /// Since when the fleet has had `status`, as far as fleetd knows: the
    /// latest transition, or the first snapshot fleetd built when the
    /// status never changed. `null` before the first snapshot.
    #[serde(with = "rfc3339::option")]
    pub status_since: Option<DateTime<Utc>>,
    /// `true` when `status_since` is the time of a transition fleetd saw;
    /// `false` when it is only the first snapshot fleetd built (the status
    /// may be older than that).
    pub status_since_exact: bool,
    /// When fleetd started recording (its start).
    #[serde(with = "rfc3339")]
    pub recording_since: DateTime<Utc>,
    /// The bounds: at most this many transitions and recent builds are kept.
    pub max_transitions: usize,
    pub max_recent: usize,
    /// Transitions recorded since fleetd started (including those dropped
    /// from `transitions` by the bound).
    pub transitions_total: u64,
    /// The last [`MAX_TRANSITIONS`] status changes, newest first.
    pub transitions: Vec<Transition>,
    /// The last [`MAX_RECENT`] successful builds, newest first.
    pub recent: Vec<BuildSummary>,
}

/// Since when the fleet has had its current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSince {
    /// `None` before the first snapshot.
    pub at: Option<DateTime<Utc>>,
    /// `false` while no transition was seen: `at` is then the first
    /// snapshot fleetd built, and the status may be older.
    pub exact: bool,
}

/// The in-memory history: written by the snapshot service, read by the
/// routes (the page and `/api/fleet/history`).
#[derive(Debug)]
pub struct History {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    recording_since: DateTime<Utc>,
    /// When the current status began; exact once a transition was seen.
    since: Option<DateTime<Utc>>,
    since_exact: bool,
    transitions_total: u64,
    transitions: VecDeque<Transition>,
    recent: VecDeque<BuildSummary>,
}

impl History {
    /// An empty history; `recording_since` is fleetd's start.
    pub fn new(recording_since: DateTime<Utc>) -> Self {
        History {
            state: Mutex::new(State {
                recording_since,
                since: None,
                since_exact: false,
                transitions_total: 0,
                transitions: VecDeque::with_capacity(MAX_TRANSITIONS),
                recent: VecDeque::with_capacity(MAX_RECENT),
            }),
        }
    }

    /// Records one successful build; returns the transition it caused, if
    /// any. Snapshots older than the latest recorded one are ignored.
    pub fn record(&self, snapshot: &FleetSnapshot) -> Option<Transition> {
        let at = snapshot.generated_at;
        let status = snapshot.summary.status;
        let top_issue = snapshot.summary.issues.first().cloned();
        let mut state = self.lock();
        let previous = state.recent.back().map(|last| (last.at, last.status));
        if previous.is_some_and(|(last_at, _)| at < last_at) {
            return None;
        }
        push_bounded(
            &mut state.recent,
            BuildSummary {
                at,
                status,
                top_issue: top_issue.clone(),
                issue_count: snapshot.summary.issues.len(),
            },
            MAX_RECENT,
        );
        match previous {
            None => {
                state.since = Some(at);
                state.since_exact = false;
                None
            }
            Some((_, from)) if from != status => {
                let transition = Transition {
                    at,
                    from,
                    to: status,
                    top_issue,
                };
                push_bounded(&mut state.transitions, transition.clone(), MAX_TRANSITIONS);
                state.transitions_total += 1;
                state.since = Some(at);
                state.since_exact = true;
                Some(transition)
            }
            Some(_) => None,
        }
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

    /// The recorded transitions, oldest first (for the page, which sorts).
    pub fn transitions(&self) -> Vec<Transition> {
        self.lock().transitions.iter().cloned().collect()
    }

    /// A copy of everything, newest first.
    pub fn view(&self) -> HistoryView {
        let state = self.lock();
        HistoryView {
            status: state.recent.back().map(|b| b.status),
            status_since: state.since,
            status_since_exact: state.since_exact,
            recording_since: state.recording_since,
            max_transitions: MAX_TRANSITIONS,
            max_recent: MAX_RECENT,
            transitions_total: state.transitions_total,
            transitions: state.transitions.iter().rev().cloned().collect(),
            recent: state.recent.iter().rev().cloned().collect(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update leaves the state consistent before it can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
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
        assert_eq!(view.status, Some(Status::Green));
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
        assert_eq!((t.from, t.to, t.at), (Status::Green, Status::Red, at(3)));
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
        assert_eq!(view.status, Some(Status::Green));
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
}
