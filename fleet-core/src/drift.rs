//! Rule §5: projection drift, as last scanned.

use crate::age::{age_secs, exact_age};
use crate::input::DriftInput;
use crate::snapshot::{DriftCauseCount, ProjectionDrift};
use crate::status::Status;
use crate::thresholds::Thresholds;
use chrono::{DateTime, Utc};

pub const NOT_CONFIGURED_ERROR: &str = "bucket_total is not configured";
pub const NOT_CHECKED_YET_ERROR: &str = "not checked yet";
pub const UNREADABLE_ERROR: &str = "projection drift could not be read";
pub const OVERDUE_ERROR: &str = "drift scan overdue";

pub fn projection_drift(
    input: &DriftInput,
    now: DateTime<Utc>,
    thresholds: &Thresholds,
) -> ProjectionDrift {
    let unchecked = |status: Status, error: &str| ProjectionDrift {
        status,
        count: 0,
        error: Some(error.to_owned()),
        causes: Vec::new(),
        checked_at: None,
        age_sec: None,
    };
    if thresholds.configured_bucket_total().is_none() {
        return unchecked(Status::Amber, NOT_CONFIGURED_ERROR);
    }
    let result = match input {
        DriftInput::NotCheckedYet => return unchecked(Status::Amber, NOT_CHECKED_YET_ERROR),
        DriftInput::Unreadable => return unchecked(Status::Red, UNREADABLE_ERROR),
        DriftInput::Checked(result) => result,
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
    let (status, error) = if count > 0 {
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
