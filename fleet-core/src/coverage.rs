//! Rule §2: bucket ownership mode and dynamic bucket coverage.

use crate::age::{age_secs, is_stale};
use crate::input::{HostRow, Unreadable};
use crate::processes::is_active;
use crate::snapshot::{BucketCoverage, HostEntry, OwnershipMode, ProcessEntry};
use crate::status::Status;
use crate::thresholds::Thresholds;
use chrono::{DateTime, Utc};

/// The exact text jetmon shows during a pinned rollout (the seed's example).
pub const PINNED_ERROR: &str = "monitor process snapshots report pinned bucket ranges; dynamic jetmon_hosts coverage is not active";
pub const MIXED_ERROR: &str = "monitors report both pinned and dynamic ownership";
pub const NO_HOSTS_ERROR: &str = "jetmon_hosts has no dynamic ownership rows";
pub const UNREADABLE_ERROR: &str = "bucket coverage could not be read";
pub const NOT_CONFIGURED_ERROR: &str = "bucket_total is not configured";

/// The ownership mode reported by the active monitors. Stale or stopped
/// monitors are ignored so that leftovers of a pinned rollout cannot make a
/// dynamic fleet look mixed.
pub fn ownership_mode(processes: &[ProcessEntry], has_host_rows: bool) -> OwnershipMode {
    let (mut pinned, mut dynamic) = (false, false);
    for entry in processes
        .iter()
        .filter(|e| e.process_type == "monitor" && is_active(e))
    {
        let ownership = entry.bucket_ownership.trim().to_lowercase();
        if ownership.contains("pinned") {
            pinned = true;
        } else if ownership.contains("dynamic") {
            dynamic = true;
        }
    }
    match (pinned, dynamic) {
        (true, true) => OwnershipMode::Mixed,
        (true, false) => OwnershipMode::Pinned,
        (false, true) => OwnershipMode::Dynamic,
        (false, false) if has_host_rows => OwnershipMode::Dynamic,
        (false, false) => OwnershipMode::Unknown,
    }
}

pub fn bucket_coverage(
    hosts: &Result<Vec<HostRow>, Unreadable>,
    processes: &[ProcessEntry],
    now: DateTime<Utc>,
    thresholds: &Thresholds,
) -> BucketCoverage {
    let Ok(rows) = hosts else {
        return BucketCoverage {
            status: Status::Red,
            mode: OwnershipMode::Unknown,
            bucket_total: thresholds.bucket_total,
            host_count: 0,
            error: Some(UNREADABLE_ERROR.to_owned()),
            hosts: Vec::new(),
        };
    };
    let mut entries: Vec<HostEntry> = rows
        .iter()
        .map(|row| HostEntry {
            host_id: row.host_id.clone(),
            bucket_min: row.bucket_min,
            bucket_max: row.bucket_max,
            last_heartbeat: row.last_heartbeat,
            status: row.status.clone(),
            last_heartbeat_age_sec: age_secs(now, row.last_heartbeat),
            stale: is_stale(now, row.last_heartbeat, thresholds.heartbeat_grace),
        })
        .collect();
    entries.sort_by(|a, b| {
        a.bucket_min
            .cmp(&b.bucket_min)
            .then_with(|| a.host_id.cmp(&b.host_id))
    });

    let (status, mode, error) = match thresholds.configured_bucket_total() {
        None => (
            Status::Amber,
            OwnershipMode::Unknown,
            Some(NOT_CONFIGURED_ERROR.to_owned()),
        ),
        Some(total) => {
            let mode = ownership_mode(processes, !entries.is_empty());
            let (status, error) = coverage_status(mode, &entries, total);
            (status, mode, error)
        }
    };
    BucketCoverage {
        status,
        mode,
        bucket_total: thresholds.bucket_total,
        host_count: entries.len() as u64,
        error,
        hosts: entries,
    }
}

/// Rules 3–9, first match wins.
fn coverage_status(
    mode: OwnershipMode,
    hosts: &[HostEntry],
    total: u32,
) -> (Status, Option<String>) {
    match mode {
        OwnershipMode::Pinned => return (Status::Amber, Some(PINNED_ERROR.to_owned())),
        OwnershipMode::Mixed => return (Status::Amber, Some(MIXED_ERROR.to_owned())),
        OwnershipMode::Dynamic | OwnershipMode::Unknown => {}
    }
    if hosts.is_empty() {
        return (Status::Amber, Some(NO_HOSTS_ERROR.to_owned()));
    }
    let range_problems = range_problems(hosts, total);
    if !range_problems.is_empty() {
        return (Status::Red, Some(range_problems.join("; ")));
    }
    let not_active: Vec<String> = hosts
        .iter()
        .filter(|h| h.status != "active")
        .map(|h| format!("{} is {}", h.host_id, quoted_status(&h.status)))
        .collect();
    if !not_active.is_empty() {
        return (
            Status::Red,
            Some(format!(
                "bucket owners not active: {}",
                not_active.join(", ")
            )),
        );
    }
    let stale: Vec<String> = hosts
        .iter()
        .filter(|h| h.stale)
        .map(|h| format!("{} age={}s", h.host_id, h.last_heartbeat_age_sec))
        .collect();
    if !stale.is_empty() {
        return (
            Status::Red,
            Some(format!(
                "stale bucket owner heartbeat: {}",
                stale.join(", ")
            )),
        );
    }
    (Status::Green, None)
}

fn quoted_status(status: &str) -> String {
    if status.is_empty() {
        "\"\"".to_owned()
    } else {
        status.to_owned()
    }
}

/// Rule 6: walks the hosts in (bucket_min, host_id) order and names every
/// invalid range, gap and overlap — all of them, so that an operator fixing
/// one does not discover the next only after a reload. Invalid ranges do not
/// move the walk, so they cannot hide or invent gaps.
pub fn range_problems(hosts: &[HostEntry], total: u32) -> Vec<String> {
    let total = u64::from(total);
    let mut problems = Vec::new();
    let mut expected: u64 = 0;
    for host in hosts {
        let (min, max) = (u64::from(host.bucket_min), u64::from(host.bucket_max));
        if min > max || max >= total {
            problems.push(format!(
                "invalid bucket range {}-{} on host {} (bucket_total {})",
                min, max, host.host_id, total
            ));
            continue;
        }
        if min > expected {
            problems.push(format!(
                "gap {}-{} before host {}",
                expected,
                min - 1,
                host.host_id
            ));
        } else if min < expected {
            problems.push(format!(
                "overlap at host {} bucket {} (already owned up to {})",
                host.host_id,
                min,
                expected - 1
            ));
        }
        expected = expected.max(max + 1);
    }
    if expected < total {
        problems.push(format!("trailing gap {}-{}", expected, total - 1));
    }
    problems
}
