//! The texts rollup.md gives, and how tests compare against them.

use fleet_core::FleetSnapshot;

// ---------------------------------------------------------------- texts

/// rollup.md §7 writes the next actions as lower-case phrases in a list,
/// with Markdown backticks around the command, while the one it quotes from
/// the seed (branch 8) is a sentence: capitalised, with a full stop. The
/// next actions are therefore compared word for word but ignoring letter
/// case, a final full stop and Markdown backticks. Every other text the spec
/// gives is compared exactly.
pub fn normalize_text(text: &str) -> String {
    text.trim()
        .trim_end_matches('.')
        .replace('`', "")
        .to_lowercase()
}

/// Asserts a text is exactly the one rollup.md gives.
#[track_caller]
pub fn assert_spec_text(actual: &str, spec: &str) {
    assert_eq!(actual, spec, "text differs from rollup.md's wording");
}

/// The exact strings rollup.md gives.
pub mod spec_text {
    pub const PINNED_ERROR: &str = "monitor process snapshots report pinned bucket ranges; dynamic jetmon_hosts coverage is not active";
    pub const MIXED_ERROR: &str = "monitors report both pinned and dynamic ownership";
    pub const NO_HOST_ROWS_ERROR: &str = "jetmon_hosts has no dynamic ownership rows";

    pub const POSTURE_QUEUED_NO_WORKERS: &str =
        "rows are queued but no fresh process reports delivery workers enabled";
    pub const POSTURE_NONE_ENABLED: &str =
        "no fresh process reports workers enabled; queues are empty";
    pub const POSTURE_MIXED_OWNER: &str = "mixed explicit and unset DELIVERY_OWNER_HOST";
    pub const POSTURE_NO_OWNER: &str = "workers enabled without DELIVERY_OWNER_HOST";
    pub const POSTURE_MULTIPLE_OWNERS: &str = "multiple DELIVERY_OWNER_HOST values visible";

    pub const NO_PROCESS_ROWS: &str = "no process-health snapshots found";
    pub const NO_MONITOR_ROWS: &str = "no monitor process snapshots found";

    pub const MESSAGE_RED: &str = "fleet has rollout-blocking issues";
    pub const MESSAGE_AMBER: &str = "fleet needs operator attention";
    pub const MESSAGE_GREEN: &str = "fleet checks are green";

    /// rollup.md §7 `suggested_next_action`, branches 1..=11 in order.
    pub const NEXT_ACTIONS: [&str; 11] = [
        "investigate stale heartbeats before advancing rollout or relying on fleet status",
        "fix jetmon_hosts coverage before relying on dynamic ownership",
        "run `jetmon2 rollout projection-drift --limit=100` and fix drift before continuing",
        "investigate failed or abandoned delivery rows before moving delivery ownership",
        "open the affected host dashboard and resolve red health before rollout",
        "watch delivery-check and confirm due deliveries drain before moving delivery ownership",
        "confirm DELIVERY_OWNER_HOST posture before enabling or moving delivery workers",
        "Confirm whether the fleet is still in pinned rollout before expecting dynamic bucket coverage.",
        "confirm monitor processes are publishing jetmon_process_health snapshots",
        "open amber host dashboards and clear dependency warnings before the next rollout step",
        "fleet checks look healthy; continue normal monitoring and rollout validation",
    ];

    /// Branch 8 is the seed's text and must match byte for byte.
    pub const NEXT_ACTION_SEED_BRANCH: usize = 8;
}

/// Asserts `snap`'s suggested next action is rollup.md §7 branch `branch`
/// (1-based).
#[track_caller]
pub fn assert_next_action(snap: &FleetSnapshot, branch: usize) {
    let expected = spec_text::NEXT_ACTIONS[branch - 1];
    let actual = &snap.summary.suggested_next_action;
    if branch == spec_text::NEXT_ACTION_SEED_BRANCH {
        assert_eq!(actual, expected, "next action branch {branch}");
    } else {
        assert_eq!(
            normalize_text(actual),
            normalize_text(expected),
            "next action should be branch {branch}\n  actual: {actual:?}\n  issues: {:?}",
            snap.summary.issues
        );
    }
}
