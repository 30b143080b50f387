//! The drift section says which scan state it is in: "the first drift scan
//! has not finished" only while it has not, never when no scan runs
//! (`bucket_total` = 0) or after a failed scan (docs issue, item 7).

use super::scan::section;
use super::*;

const FIRST_SCAN_PENDING: &str = "the first drift scan has not finished";

fn result(secs: i64, causes: &[(DriftCause, u64)]) -> DriftResult {
    DriftResult {
        checked_at: secs_ago(secs),
        causes: causes.to_vec(),
    }
}

#[test]
fn the_drift_section_names_its_scan_state_and_only_a_pending_first_scan_says_so() {
    let missing = [(DriftCause::MissingConfirmedDownProjection, 3)];
    // (fleet, what the section must say, whether "first scan" is claimed)
    let cases: Vec<(&str, Fleet, &str, bool)> = vec![
        (
            "not scanned yet",
            Fleet::healthy().drift(DriftInput::NotCheckedYet),
            "not checked yet",
            true,
        ),
        (
            "bucket_total = 0: no scan ever runs",
            Fleet::healthy().bucket_total(0),
            "bucket_total is not configured, so no drift scan runs",
            false,
        ),
        (
            "the scan failed with no result before",
            Fleet::healthy().drift(DriftInput::Unreadable),
            "no drift scan has succeeded yet",
            false,
        ),
        (
            "a re-scan failed: the last good figure stays",
            Fleet::healthy().drift(DriftInput::LastScanFailed(result(90, &missing))),
            "the latest scan failed; this is the last good result",
            false,
        ),
        (
            "a clean result",
            Fleet::healthy().drift(DriftInput::Checked(result(12, &[]))),
            "drifting active sites",
            false,
        ),
    ];
    for (case, fleet, says, first_scan) in cases {
        let snap = fleet.build();
        let html = Render::default().fleet(&snap);
        let drift = section(&html, "drift");
        assert!(drift.contains(says), "{case}: {drift}");
        assert_eq!(
            drift.contains(FIRST_SCAN_PENDING),
            first_scan,
            "{case}: {drift}"
        );
    }
}
