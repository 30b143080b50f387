//! Rule §6: dependency health rolled up by name across every process.

use crate::snapshot::{DependencyReport, DependencyRollup, ProcessEntry};
use crate::status::Status;
use std::collections::BTreeMap;

#[derive(Default)]
struct Tally {
    red: u64,
    amber: u64,
    green: u64,
    stale: u64,
    last_red_error: Option<String>,
    first_amber_error: Option<String>,
    not_green: Vec<DependencyReport>,
}

/// `processes` must be in urgency order (rule §1): "last" and "first" errors
/// are taken in that order.
pub fn dependency_rollups(processes: &[ProcessEntry]) -> Vec<DependencyRollup> {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for process in processes {
        for entry in &process.dependency_health {
            let name = match entry.name.trim() {
                "" => "unknown",
                name => name,
            };
            let tally = tallies.entry(name.to_owned()).or_default();
            if process.stale {
                tally.stale += 1;
            }
            if entry.counted_as != Status::Green {
                tally.not_green.push(DependencyReport {
                    process_id: process.process_id.clone(),
                    host_id: process.host_id.clone(),
                    status: entry.status.clone(),
                    counted_as: entry.counted_as,
                    stale: process.stale,
                });
            }
            let error = entry.last_error.as_deref().filter(|e| !e.trim().is_empty());
            // Unknown statuses count as amber (`counted_as`), but their
            // errors are not used: the spec keeps last_error to recognised
            // reports.
            match Status::parse(&entry.status) {
                Some(Status::Red) => {
                    tally.red += 1;
                    if let Some(error) = error {
                        tally.last_red_error = Some(error.to_owned());
                    }
                }
                Some(Status::Amber) => {
                    tally.amber += 1;
                    if tally.first_amber_error.is_none() {
                        tally.first_amber_error = error.map(str::to_owned);
                    }
                }
                Some(Status::Green) => tally.green += 1,
                None => tally.amber += 1,
            }
        }
    }
    let mut rollups: Vec<DependencyRollup> = tallies
        .into_iter()
        .map(|(name, t)| DependencyRollup {
            name,
            status: if t.red > 0 {
                Status::Red
            } else if t.amber > 0 {
                Status::Amber
            } else {
                Status::Green
            },
            red_count: t.red,
            amber_count: t.amber,
            green_count: t.green,
            stale_count: t.stale,
            last_error: t.last_red_error.or(t.first_amber_error),
            not_green: t.not_green,
        })
        .collect();
    rollups.sort_by(|a, b| b.status.cmp(&a.status).then_with(|| a.name.cmp(&b.name)));
    rollups
}
