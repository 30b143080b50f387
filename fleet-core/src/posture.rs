//! Rule §4: delivery ownership posture.

use crate::processes::is_active;
use crate::snapshot::{Posture, ProcessEntry};
use crate::status::Status;
use std::collections::BTreeSet;

pub const QUEUED_WITHOUT_WORKERS: &str =
    "rows are queued but no fresh process reports delivery workers enabled";
pub const NO_WORKERS_EMPTY_QUEUES: &str =
    "no fresh process reports workers enabled; queues are empty";
pub const MIXED_OWNER: &str = "mixed explicit and unset DELIVERY_OWNER_HOST";
pub const NO_OWNER: &str = "workers enabled without DELIVERY_OWNER_HOST";
pub const MULTIPLE_OWNERS: &str = "multiple DELIVERY_OWNER_HOST values visible";
/// Not in jetmon: with no workers and a delivery table that could not be
/// read, rule 2's "queues are empty" cannot be claimed.
pub const QUEUES_UNKNOWN_WITHOUT_WORKERS: &str =
    "no fresh process reports workers enabled and the delivery queues could not be read";

/// `queued` is the total of pending delivery rows, `None` when a delivery
/// table could not be read.
pub fn delivery_posture(processes: &[ProcessEntry], queued: Option<u64>) -> Posture {
    let enabled: Vec<&ProcessEntry> = processes
        .iter()
        .filter(|e| is_active(e) && e.delivery_workers_enabled)
        .collect();
    let enabled_hosts: Vec<String> = enabled
        .iter()
        .map(|e| e.host_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let owners: Vec<&str> = enabled
        .iter()
        .map(|e| e.delivery_owner_host.trim())
        .filter(|owner| !owner.is_empty())
        .collect();
    let unowned = (enabled.len() - owners.len()) as u64;
    let owner_hosts: Vec<String> = owners
        .iter()
        .map(|o| (*o).to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    let (status, message) = if enabled.is_empty() && queued.is_some_and(|q| q > 0) {
        (Status::Amber, QUEUED_WITHOUT_WORKERS.to_owned())
    } else if enabled.is_empty() && queued.is_none() {
        (Status::Amber, QUEUES_UNKNOWN_WITHOUT_WORKERS.to_owned())
    } else if enabled.is_empty() {
        (Status::Green, NO_WORKERS_EMPTY_QUEUES.to_owned())
    } else if unowned > 0 && !owners.is_empty() {
        (Status::Amber, MIXED_OWNER.to_owned())
    } else if unowned > 0 {
        (Status::Amber, NO_OWNER.to_owned())
    } else if owner_hosts.len() > 1 {
        (Status::Amber, MULTIPLE_OWNERS.to_owned())
    } else {
        let owner = owner_hosts.first().map(String::as_str).unwrap_or_default();
        (
            Status::Green,
            format!("delivery owner is constrained to {owner}"),
        )
    };
    Posture {
        status,
        enabled_process_count: enabled.len() as u64,
        enabled_hosts,
        owner_hosts,
        unowned_process_count: unowned,
        message,
    }
}
