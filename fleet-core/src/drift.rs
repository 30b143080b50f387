//! Rule §5: projection drift, as last scanned.

use crate::age::{age_secs, exact_age};
use crate::input::DriftInput;
use crate::snapshot::{DriftCauseCount, DriftScan, ProjectionDrift};
use crate::status::Status;
use crate::thresholds::Thresholds;
use chrono::{DateTime, Utc};

pub const NOT_CONFIGURED_ERROR: &str = "bucket_total is not configured";
pub const NOT_CHECKED_YET_ERROR: &str = "not checked yet";
pub const UNREADABLE_ERROR: &str = "projection drift could not be read";
/// rollup.md §9.3: a failed re-scan after a good one.
pub const LAST_SCAN_FAILED_ERROR: &str = "the last drift scan failed";
pub const OVERDUE_ERROR: &str = "drift scan overdue";

pub fn projection_drift(
    input: &DriftInput,
    now: DateTime<Utc>,
    thresholds: &Thresholds,
) -> ProjectionDrift {
    let unchecked = |status: Status, scan: DriftScan, error: &str| ProjectionDrift {
        status,
        scan,
        count: 0,
        error: Some(error.to_owned()),
        causes: Vec::new(),
        checked_at: None,
        age_sec: None,
    };
    if thresholds.configured_bucket_total().is_none() {
        return unchecked(
            Status::Amber,
            DriftScan::NotConfigured,
            NOT_CONFIGURED_ERROR,
        );
    }
    let (result, failed) = match input {
        DriftInput::NotCheckedYet => {
            return unchecked(
                Status::Amber,
                DriftScan::NotCheckedYet,
                NOT_CHECKED_YET_ERROR,
            )
        }
        DriftInput::Unreadable => {
            return unchecked(Status::Red, DriftScan::Failed, UNREADABLE_ERROR)
        }
        DriftInput::LastScanFailed(result) => (result, true),
        DriftInput::Checked(result) => (result, false),
    };
    let mut causes: Vec<DriftCauseCount> = result
        .causes
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|&(code, count)| DriftCauseCount { code, count })
        .collect();
    // Largest first; ties keep the spec's classification order.
    causes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    let count: u64 = causes.iter().map(|c| c.count).sum();
    let age = age_secs(now, result.checked_at);
    let overdue = thresholds
        .drift_max_age
        .is_some_and(|max| exact_age(now, result.checked_at) > max);
    // Drift found stays red however old; only "no drift" has to be recent
    // to count as green.
    let (status, error) = if failed {
        (Status::Red, Some(LAST_SCAN_FAILED_ERROR.to_owned()))
    } else if count > 0 {
        (Status::Red, None)
    } else if overdue {
        (
            Status::Amber,
            Some(format!("{OVERDUE_ERROR}: the last result is {age} s old")),
        )
    } else {
        (Status::Green, None)
    };
    ProjectionDrift {
        status,
        scan: if failed {
            DriftScan::Failed
        } else {
            DriftScan::Checked
        },
        count,
        error,
        causes,
        checked_at: Some(result.checked_at),
        age_sec: Some(age),
    }
}

/// The summary issue detail of a non-green drift section.
pub fn issue_detail(drift: &ProjectionDrift) -> String {
    match &drift.error {
        Some(error) => error.clone(),
        None => format!("legacy projection drift={}", drift.count),
    }
}

/// Whether the section is red only because it could not be read (§9.2):
/// no scan ever succeeded, or the last good one found no drift.
pub fn red_only_unreadable(drift: &ProjectionDrift) -> bool {
    drift.status == Status::Red && drift.scan == DriftScan::Failed && drift.count == 0
}
