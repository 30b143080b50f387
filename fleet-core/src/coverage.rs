//! Rule §2: bucket ownership mode and dynamic bucket coverage.

use crate::age::{age_secs, is_stale};
use crate::input::{HostRow, Unreadable};
use crate::processes::is_active;
use crate::snapshot::{
    BucketCoverage, CoverageFinding, FindingKind, HostEntry, HostProblem, OwnershipMode,
    PinnedRange, ProcessEntry,
};
use crate::status::Status;
use crate::thresholds::Thresholds;
use chrono::{DateTime, Utc};

/// The exact text jetmon shows during a pinned rollout (the seed's example).
pub const PINNED_ERROR: &str = "monitor process snapshots report pinned bucket ranges; dynamic jetmon_hosts coverage is not active";
pub const MIXED_ERROR: &str = "monitors report both pinned and dynamic ownership";
pub const NO_HOSTS_ERROR: &str = "jetmon_hosts has no dynamic ownership rows";
pub const UNREADABLE_ERROR: &str = "bucket coverage could not be read";
pub const NOT_CONFIGURED_ERROR: &str = "bucket_total is not configured";

/// Whether the section is red only because jetmon_hosts could not be read
/// (rollup.md §9.2).
pub fn red_only_unreadable(coverage: &BucketCoverage) -> bool {
    coverage.status == Status::Red && coverage.error.as_deref() == Some(UNREADABLE_ERROR)
}

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
            findings: Vec::new(),
            pinned_ranges: Vec::new(),
            pinned_findings: Vec::new(),
        };
    };
    let total = thresholds.bucket_total;
    let mut entries: Vec<HostEntry> = rows
        .iter()
        .map(|row| host_entry(row, now, thresholds))
        .collect();
    entries.sort_by(|a, b| {
        a.bucket_min
            .cmp(&b.bucket_min)
            .then_with(|| a.host_id.cmp(&b.host_id))
    });

    let mut coverage = BucketCoverage {
        status: Status::Amber,
        mode: OwnershipMode::Unknown,
        bucket_total: total,
        host_count: entries.len() as u64,
        error: Some(NOT_CONFIGURED_ERROR.to_owned()),
        hosts: Vec::new(),
        findings: Vec::new(),
        pinned_ranges: Vec::new(),
        pinned_findings: Vec::new(),
    };
    if let Some(total) = thresholds.configured_bucket_total() {
        let mode = ownership_mode(processes, !entries.is_empty());
        coverage.mode = mode;
        // The jetmon_hosts rows are walked whatever the mode, so a view of
        // them shows their real gaps; while pinned the walk is information
        // only (rules 3 and 4 win).
        if !entries.is_empty() {
            let owners: Vec<Owner<'_>> = entries.iter().map(Owner::of_host).collect();
            coverage.findings = walk(&owners, total);
        }
        if matches!(mode, OwnershipMode::Pinned | OwnershipMode::Mixed) {
            coverage.pinned_ranges = pinned_ranges(processes);
            let owners: Vec<Owner<'_>> = coverage
                .pinned_ranges
                .iter()
                .map(|r| Owner {
                    label: &r.host_id,
                    min: r.bucket_min,
                    max: r.bucket_max,
                })
                .collect();
            coverage.pinned_findings = walk(&owners, total);
        }
        let (status, error) = coverage_status(mode, &entries, &coverage.findings);
        coverage.status = status;
        coverage.error = error;
    }
    coverage.hosts = entries;
    coverage
}

fn host_entry(row: &HostRow, now: DateTime<Utc>, thresholds: &Thresholds) -> HostEntry {
    let stale = is_stale(now, row.last_heartbeat, thresholds.heartbeat_grace);
    // With bucket_total not configured no range can be judged; the section
    // says so, and the rows are judged on what can be known.
    let valid = thresholds
        .configured_bucket_total()
        .is_none_or(|total| range_valid(row.bucket_min, row.bucket_max, total));
    let row_problem = if !valid {
        Some(HostProblem::InvalidRange)
    } else if row.status != "active" {
        Some(HostProblem::NotActive)
    } else if stale {
        Some(HostProblem::Stale)
    } else {
        None
    };
    HostEntry {
        host_id: row.host_id.clone(),
        bucket_min: row.bucket_min,
        bucket_max: row.bucket_max,
        last_heartbeat: row.last_heartbeat,
        status: row.status.clone(),
        last_heartbeat_age_sec: age_secs(now, row.last_heartbeat),
        stale,
        row_status: if row_problem.is_some() {
            Status::Red
        } else {
            Status::Green
        },
        row_problem,
    }
}

/// Whether `min..=max` is a non-empty range inside `0..total`.
pub fn range_valid(min: u16, max: u16, total: u32) -> bool {
    min <= max && u32::from(max) < total
}

/// The ranges the active monitors report, in walk order, while ownership
/// is pinned (jetmon_hosts is not in charge then).
fn pinned_ranges(processes: &[ProcessEntry]) -> Vec<PinnedRange> {
    let mut ranges: Vec<PinnedRange> = processes
        .iter()
        .filter(|p| p.process_type == "monitor" && is_active(p))
        .filter_map(|p| {
            Some(PinnedRange {
                process_id: p.process_id.clone(),
                host_id: p.host_id.clone(),
                bucket_min: p.bucket_min?,
                bucket_max: p.bucket_max?,
                status: p.status,
            })
        })
        .collect();
    ranges.sort_by(|a, b| {
        a.bucket_min
            .cmp(&b.bucket_min)
            .then_with(|| a.host_id.cmp(&b.host_id))
            .then_with(|| a.process_id.cmp(&b.process_id))
    });
    ranges
}

/// Rules 3–9, first match wins.
fn coverage_status(
    mode: OwnershipMode,
    hosts: &[HostEntry],
    findings: &[CoverageFinding],
) -> (Status, Option<String>) {
    match mode {
        OwnershipMode::Pinned => return (Status::Amber, Some(PINNED_ERROR.to_owned())),
        OwnershipMode::Mixed => return (Status::Amber, Some(MIXED_ERROR.to_owned())),
        OwnershipMode::Dynamic | OwnershipMode::Unknown => {}
    }
    if hosts.is_empty() {
        return (Status::Amber, Some(NO_HOSTS_ERROR.to_owned()));
    }
    if !findings.is_empty() {
        let texts: Vec<&str> = findings.iter().map(|f| f.text.as_str()).collect();
        return (Status::Red, Some(texts.join("; ")));
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

/// One claimed range, in walk order.
#[derive(Debug, Clone, Copy)]
struct Owner<'a> {
    label: &'a str,
    min: u16,
    max: u16,
}

impl<'a> Owner<'a> {
    fn of_host(host: &'a HostEntry) -> Self {
        Owner {
            label: &host.host_id,
            min: host.bucket_min,
            max: host.bucket_max,
        }
    }
}

/// Rule 6: walks the owners in (bucket_min, label) order and finds every
/// invalid range, gap and overlap — all of them, so that an operator fixing
/// one does not discover the next only after a reload. Invalid ranges do not
/// move the walk, so they cannot hide or invent gaps.
fn walk(owners: &[Owner<'_>], total: u32) -> Vec<CoverageFinding> {
    let mut findings = Vec::new();
    // One past the highest bucket claimed so far.
    let mut expected: u32 = 0;
    for (index, owner) in owners.iter().enumerate() {
        let (min, max) = (u32::from(owner.min), u32::from(owner.max));
        if !range_valid(owner.min, owner.max, total) {
            findings.push(CoverageFinding {
                kind: FindingKind::InvalidRange,
                first_bucket: min,
                last_bucket: max,
                hosts: vec![owner.label.to_owned()],
                text: format!(
                    "invalid bucket range {min}-{max} on host {} (bucket_total {total})",
                    owner.label
                ),
            });
            continue;
        }
        if min > expected {
            findings.push(CoverageFinding {
                kind: FindingKind::Gap,
                first_bucket: expected,
                last_bucket: min - 1,
                hosts: vec![owner.label.to_owned()],
                text: format!("gap {expected}-{} before host {}", min - 1, owner.label),
            });
        } else if min < expected {
            let (first, last) = (min, max.min(expected - 1));
            findings.push(CoverageFinding {
                kind: FindingKind::Overlap,
                first_bucket: first,
                last_bucket: last,
                hosts: owners_of(&owners[..=index], first, last, total),
                text: format!(
                    "overlap at host {} bucket {min} (already owned up to {})",
                    owner.label,
                    expected - 1
                ),
            });
        }
        expected = expected.max(max + 1);
    }
    if expected < total {
        findings.push(CoverageFinding {
            kind: FindingKind::Gap,
            first_bucket: expected,
            last_bucket: total - 1,
            hosts: Vec::new(),
            text: format!("trailing gap {expected}-{}", total - 1),
        });
    }
    findings
}

/// The labels of the valid owners claiming any bucket of `first..=last`.
fn owners_of(owners: &[Owner<'_>], first: u32, last: u32, total: u32) -> Vec<String> {
    owners
        .iter()
        .filter(|o| range_valid(o.min, o.max, total))
        .filter(|o| u32::from(o.min) <= last && u32::from(o.max) >= first)
        .map(|o| o.label.to_owned())
        .collect()
}
