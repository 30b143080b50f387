//! The entry point: one snapshot from one set of rows.

use crate::coverage::bucket_coverage;
use crate::delivery::delivery_queues;
use crate::dependencies::dependency_rollups;
use crate::drift::projection_drift;
use crate::posture::delivery_posture;
use crate::processes::build_processes;
use crate::snapshot::{
    BucketCoverage, Delivery, DependencyRollup, ProcessEntry, ProjectionDrift, SectionStatuses,
};
use crate::summary::{summarize, Sections};
use crate::{FleetInput, FleetSnapshot, Status, Thresholds};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Builds the fleet snapshot. `now` is taken once by the caller and every
/// age in the snapshot is measured against it.
pub fn build_snapshot(
    input: &FleetInput,
    now: DateTime<Utc>,
    thresholds: &Thresholds,
) -> FleetSnapshot {
    let processes = build_processes(&input.processes, now, thresholds.heartbeat_grace);
    let entries = &processes.entries;
    let mut process_counts: BTreeMap<String, u64> = BTreeMap::new();
    for entry in entries {
        *process_counts
            .entry(entry.process_type.clone())
            .or_default() += 1;
    }
    let bucket_coverage = bucket_coverage(&input.hosts, entries, now, thresholds);
    let delivery = delivery_queues(&input.delivery, now, thresholds.recent_window, |queued| {
        delivery_posture(entries, queued)
    });
    let projection_drift = projection_drift(&input.drift, now, thresholds);
    let dependencies = dependency_rollups(entries);
    let summary = summarize(Sections {
        processes: &processes,
        coverage: &bucket_coverage,
        delivery: &delivery,
        drift: &projection_drift,
        dependencies: &dependencies,
    });
    let sections = section_statuses(
        &processes.entries,
        &bucket_coverage,
        &delivery,
        &projection_drift,
        &dependencies,
    );
    FleetSnapshot {
        generated_at: now,
        summary,
        processes: processes.entries,
        process_counts,
        bucket_coverage,
        delivery,
        projection_drift,
        dependencies,
        sections,
    }
}

/// The status of each part of the fleet (see [`SectionStatuses`]).
fn section_statuses(
    processes: &[ProcessEntry],
    coverage: &BucketCoverage,
    delivery: &Delivery,
    drift: &ProjectionDrift,
    dependencies: &[DependencyRollup],
) -> SectionStatuses {
    let worst_of_type = |process_type: &str| {
        processes
            .iter()
            .filter(|p| p.process_type == process_type)
            .map(|p| p.status)
            .max()
    };
    SectionStatuses {
        // No rows at all is an amber issue (rule §7), so the card says so.
        processes: processes
            .iter()
            .map(|p| p.status)
            .max()
            .unwrap_or(Status::Amber),
        monitors: worst_of_type("monitor").unwrap_or(Status::Amber),
        deliverers: worst_of_type("deliverer"),
        bucket_coverage: coverage.status,
        delivery: delivery.status,
        delivery_posture: delivery.posture.status,
        projection_drift: drift.status,
        dependencies: dependencies.iter().map(|d| d.status).max(),
    }
}
