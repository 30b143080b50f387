//! The dynamic-ownership cutover checklist: what the rollout note of
//! jetmon's fleet dashboard says to expect after bucket ownership moves from
//! pinned ranges to `jetmon_hosts` — green `mode=dynamic` coverage, fresh
//! coverage, no stale processes, zero projection drift and no failed or
//! abandoned delivery rows — each decided from a snapshot as pass, fail or
//! unknown, with the figure behind it and the fix when it fails.
//!
//! "Unknown" is never a pass: a section that could not be read, or a drift
//! figure not (recently) checked, cannot confirm the cutover.

use crate::snapshot::{DriftScan, FleetSnapshot, OwnershipMode};
use crate::status::Status;
use serde::Serialize;

/// One expectation's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Unknown,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Unknown => "unknown",
            Outcome::Fail => "fail",
        }
    }

    /// The status a view colours it with (unknown is amber: never green).
    pub fn status(self) -> Status {
        match self {
            Outcome::Pass => Status::Green,
            Outcome::Unknown => Status::Amber,
            Outcome::Fail => Status::Red,
        }
    }
}

/// Which expectation an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    DynamicCoverageGreen,
    CoverageFresh,
    NoStaleProcesses,
    ZeroProjectionDrift,
    NoFailedOrAbandonedDeliveries,
}

impl Expectation {
    pub const ALL: [Expectation; 5] = [
        Expectation::DynamicCoverageGreen,
        Expectation::CoverageFresh,
        Expectation::NoStaleProcesses,
        Expectation::ZeroProjectionDrift,
        Expectation::NoFailedOrAbandonedDeliveries,
    ];

    /// What the operator expects, in words.
    pub fn title(self) -> &'static str {
        match self {
            Expectation::DynamicCoverageGreen => "bucket coverage is green in mode=dynamic",
            Expectation::CoverageFresh => "every bucket owner in jetmon_hosts heartbeats",
            Expectation::NoStaleProcesses => "no process has a stale heartbeat",
            Expectation::ZeroProjectionDrift => "projection drift is zero",
            Expectation::NoFailedOrAbandonedDeliveries => {
                "no failed or abandoned delivery rows in the recent window"
            }
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckItem {
    pub expectation: Expectation,
    pub title: &'static str,
    pub outcome: Outcome,
    /// The figure the outcome rests on, e.g. `mode=dynamic status=green`.
    pub figure: String,
    /// What to do, when the outcome is not a pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The checklist for one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cutover {
    /// Fail if any item fails, else unknown if any is unknown, else pass.
    pub outcome: Outcome,
    pub items: Vec<CheckItem>,
}

pub fn cutover_checklist(snap: &FleetSnapshot) -> Cutover {
    let items: Vec<CheckItem> = Expectation::ALL
        .into_iter()
        .map(|expectation| check(expectation, snap))
        .collect();
    Cutover {
        outcome: items
            .iter()
            .map(|item| item.outcome)
            .max()
            .unwrap_or(Outcome::Pass),
        items,
    }
}

const ACCESS_FIX: &str =
    "Check fleetd's access to the jetmon database (the cause is in fleetd's log), then check again.";

fn check(expectation: Expectation, snap: &FleetSnapshot) -> CheckItem {
    let (outcome, figure, fix) = match expectation {
        Expectation::DynamicCoverageGreen => dynamic_coverage(snap),
        Expectation::CoverageFresh => coverage_fresh(snap),
        Expectation::NoStaleProcesses => no_stale_processes(snap),
        Expectation::ZeroProjectionDrift => zero_drift(snap),
        Expectation::NoFailedOrAbandonedDeliveries => no_failed_deliveries(snap),
    };
    CheckItem {
        expectation,
        title: expectation.title(),
        outcome,
        figure,
        fix: (outcome != Outcome::Pass).then_some(fix),
    }
}

type Decided = (Outcome, String, String);

fn coverage_unreadable(snap: &FleetSnapshot) -> bool {
    crate::coverage::red_only_unreadable(&snap.bucket_coverage)
}

fn dynamic_coverage(snap: &FleetSnapshot) -> Decided {
    let cov = &snap.bucket_coverage;
    let mut figure = format!("mode={} status={}", cov.mode.as_str(), cov.status);
    if let Some(error) = &cov.error {
        figure.push_str(&format!(" ({error})"));
    }
    if coverage_unreadable(snap) {
        return (Outcome::Unknown, figure, ACCESS_FIX.to_owned());
    }
    if cov.bucket_total == 0 {
        return (
            Outcome::Unknown,
            figure,
            "Configure fleet.bucket_total (fleetd's configuration) so coverage can be checked."
                .to_owned(),
        );
    }
    let outcome = if cov.mode == OwnershipMode::Dynamic && cov.status == Status::Green {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    let fix = match cov.mode {
        OwnershipMode::Pinned | OwnershipMode::Mixed => {
            "Finish moving every monitor to dynamic ownership (no monitor may still report a pinned range), then check again."
        }
        _ => "Fix jetmon_hosts so every bucket 0..bucket_total-1 has exactly one active, fresh owner (the bucket coverage section lists each gap and overlap).",
    };
    (outcome, figure, fix.to_owned())
}

fn coverage_fresh(snap: &FleetSnapshot) -> Decided {
    let cov = &snap.bucket_coverage;
    if coverage_unreadable(snap) {
        return (
            Outcome::Unknown,
            "jetmon_hosts could not be read".to_owned(),
            ACCESS_FIX.to_owned(),
        );
    }
    if cov.hosts.is_empty() {
        return (
            Outcome::Fail,
            "jetmon_hosts has no rows".to_owned(),
            "Start the monitors with dynamic ownership so they claim buckets in jetmon_hosts."
                .to_owned(),
        );
    }
    let stale: Vec<String> = cov
        .hosts
        .iter()
        .filter(|h| h.stale)
        .map(|h| format!("{} age={}s", h.host_id, h.last_heartbeat_age_sec))
        .collect();
    let figure = format!(
        "{} of {} owner rows stale{}",
        stale.len(),
        cov.hosts.len(),
        if stale.is_empty() {
            String::new()
        } else {
            format!(": {}", stale.join(", "))
        }
    );
    let outcome = if stale.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    (
        outcome,
        figure,
        "Restart or remove the monitors whose jetmon_hosts rows stopped heartbeating, so live hosts take over their buckets.".to_owned(),
    )
}

fn no_stale_processes(snap: &FleetSnapshot) -> Decided {
    let stale: Vec<&str> = snap
        .processes
        .iter()
        .filter(|p| p.stale)
        .map(|p| p.process_id.as_str())
        .collect();
    let figure = format!(
        "{} of {} processes stale{}",
        stale.len(),
        snap.processes.len(),
        if stale.is_empty() {
            String::new()
        } else {
            format!(": {}", stale.join(", "))
        }
    );
    let outcome = if stale.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    (
        outcome,
        figure,
        "Investigate the stale heartbeats (restart the process, or remove the row of one that was retired) before relying on the cutover.".to_owned(),
    )
}

fn zero_drift(snap: &FleetSnapshot) -> Decided {
    let drift = &snap.projection_drift;
    let age = drift
        .age_sec
        .map(|age| format!(", checked {age} s before the snapshot"))
        .unwrap_or_default();
    let figure = match &drift.error {
        Some(error) => format!("drift={} ({error}){age}", drift.count),
        None => format!("drift={}{age}", drift.count),
    };
    let run = "Run jetmon2 rollout projection-drift --limit=100, fix the drifting sites, then check again.";
    match drift.scan {
        DriftScan::Checked if drift.count > 0 => (Outcome::Fail, figure, run.to_owned()),
        DriftScan::Checked if drift.status == Status::Green => {
            (Outcome::Pass, figure, String::new())
        }
        // A clean but overdue result cannot confirm anything.
        DriftScan::Checked => (
            Outcome::Unknown,
            figure,
            "Wait for a fresh drift scan (fleetd check waits for one), or find why the scan stopped finishing.".to_owned(),
        ),
        DriftScan::Failed if drift.count > 0 => (Outcome::Fail, figure, run.to_owned()),
        DriftScan::Failed => (Outcome::Unknown, figure, ACCESS_FIX.to_owned()),
        DriftScan::NotCheckedYet => (
            Outcome::Unknown,
            figure,
            "Wait for the first drift scan to finish (fleetd check --cutover waits for it).".to_owned(),
        ),
        DriftScan::NotConfigured => (
            Outcome::Unknown,
            figure,
            "Configure fleet.bucket_total (fleetd's configuration) so drift can be scanned."
                .to_owned(),
        ),
    }
}

fn no_failed_deliveries(snap: &FleetSnapshot) -> Decided {
    let d = &snap.delivery;
    let unreadable: Vec<&str> = d
        .tables
        .iter()
        .filter(|t| t.error.is_some())
        .map(|t| t.kind.as_str())
        .collect();
    let mut figure = format!(
        "failed_since={} abandoned_since={}",
        d.failed_since, d.abandoned_since
    );
    if !unreadable.is_empty() {
        figure.push_str(&format!(" (not read: {})", unreadable.join(", ")));
    }
    if d.failed_since > 0 || d.abandoned_since > 0 {
        (
            Outcome::Fail,
            figure,
            "Investigate the failed and abandoned delivery rows (docs/operations.md, \"Direct SQL\") before moving delivery ownership.".to_owned(),
        )
    } else if !unreadable.is_empty() {
        (Outcome::Unknown, figure, ACCESS_FIX.to_owned())
    } else {
        (Outcome::Pass, figure, String::new())
    }
}
