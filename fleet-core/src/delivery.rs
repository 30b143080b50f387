//! Rule §3: delivery queues, per table and in total.

use crate::age::age_secs;
use crate::input::{DeliveryKind, DeliveryTableCounts, DeliveryTableInput, Unreadable};
use crate::snapshot::Delivery;
use crate::snapshot::{DeliveryTable, Posture};
use crate::status::Status;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The queue status of a set of counters: failures are red, rows waiting
/// to be sent right now are amber.
pub fn queue_status(failed_since: u64, abandoned_since: u64, due_now: u64) -> Status {
    if failed_since > 0 || abandoned_since > 0 {
        Status::Red
    } else if due_now > 0 {
        Status::Amber
    } else {
        Status::Green
    }
}

pub fn unreadable_table_error(kind: DeliveryKind) -> String {
    format!("{} could not be read", kind.table())
}

fn table(input: &DeliveryTableInput, now: DateTime<Utc>) -> DeliveryTable {
    let (counts, error) = match &input.counts {
        Ok(counts) => (counts.clone(), None),
        Err(_) => (
            DeliveryTableCounts::default(),
            Some(unreadable_table_error(input.kind)),
        ),
    };
    let status = if error.is_some() {
        Status::Red
    } else {
        queue_status(counts.failed_since, counts.abandoned_since, counts.due_now)
    };
    DeliveryTable {
        kind: input.kind,
        status,
        error,
        pending: counts.pending,
        due_now: counts.due_now,
        future_retry: counts.future_retry,
        delivered_since: counts.delivered_since,
        abandoned_since: counts.abandoned_since,
        failed_since: counts.failed_since,
        oldest_pending_age_sec: counts.oldest_pending_at.map_or(0, |ts| age_secs(now, ts)),
        oldest_due_age_sec: counts.oldest_due_at.map_or(0, |ts| age_secs(now, ts)),
    }
}

/// The delivery section without its posture (which needs the queued total
/// this computes); `posture` is filled in by the caller, with `None` for the
/// total when a table could not be read: an unknown queue is not an empty
/// one.
///
/// Every delivery table is reported: one missing from `inputs` counts as
/// unreadable, so a caller that forgot a table cannot make the section green.
pub fn delivery_queues(
    inputs: &[DeliveryTableInput],
    now: DateTime<Utc>,
    recent_window: Duration,
    posture: impl FnOnce(Option<u64>) -> Posture,
) -> Delivery {
    let tables: Vec<DeliveryTable> = DeliveryKind::ALL
        .into_iter()
        .map(
            |kind| match inputs.iter().find(|input| input.kind == kind) {
                Some(input) => table(input, now),
                None => table(
                    &DeliveryTableInput {
                        kind,
                        counts: Err(Unreadable),
                    },
                    now,
                ),
            },
        )
        .collect();
    let sum = |f: fn(&DeliveryTable) -> u64| tables.iter().map(f).sum::<u64>();
    let max = |f: fn(&DeliveryTable) -> u64| tables.iter().map(f).max().unwrap_or(0);
    let pending = sum(|t| t.pending);
    let due_now = sum(|t| t.due_now);
    let failed_since = sum(|t| t.failed_since);
    let abandoned_since = sum(|t| t.abandoned_since);
    let unreadable: Vec<&str> = tables
        .iter()
        .filter(|t| t.error.is_some())
        .map(|t| t.kind.as_str())
        .collect();
    let (status, error) = if unreadable.is_empty() {
        (queue_status(failed_since, abandoned_since, due_now), None)
    } else {
        (
            Status::Red,
            Some(format!(
                "delivery queues could not be read ({})",
                unreadable.join(", ")
            )),
        )
    };
    // A window too large to subtract reaches back to the earliest time
    // rather than panicking; configuration bounds it long before that.
    let since = chrono::Duration::from_std(recent_window)
        .ok()
        .and_then(|window| now.checked_sub_signed(window))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    Delivery {
        status,
        error,
        since,
        pending,
        due_now,
        future_retry: sum(|t| t.future_retry),
        delivered_since: sum(|t| t.delivered_since),
        abandoned_since,
        failed_since,
        oldest_pending_age_sec: max(|t| t.oldest_pending_age_sec),
        oldest_due_age_sec: max(|t| t.oldest_due_age_sec),
        posture: posture(unreadable.is_empty().then_some(pending)),
        tables,
    }
}

/// The summary issue detail of a non-green delivery section.
pub fn issue_detail(delivery: &Delivery) -> String {
    match &delivery.error {
        Some(error) => error.clone(),
        None => format!(
            "pending={} due={} failed_since={} abandoned_since={}",
            delivery.pending, delivery.due_now, delivery.failed_since, delivery.abandoned_since
        ),
    }
}

/// Whether the section is red only because a table could not be read
/// (rollup.md §9.2): no table that was read has failed or abandoned rows.
pub fn red_only_unreadable(delivery: &Delivery) -> bool {
    delivery.status == Status::Red
        && delivery.error.is_some()
        && delivery.failed_since == 0
        && delivery.abandoned_since == 0
}
