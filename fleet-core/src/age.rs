//! Ages of timestamps against the snapshot's `now` (rollup.md preamble).

use chrono::{DateTime, Utc};
use std::time::Duration;

/// The exact age of `ts` at `now`, never negative: a timestamp in the future
/// has age zero.
pub fn exact_age(now: DateTime<Utc>, ts: DateTime<Utc>) -> Duration {
    (now - ts).to_std().unwrap_or(Duration::ZERO)
}

/// An age in whole seconds, rounded to the nearest second (half up), never
/// negative.
pub fn age_secs(now: DateTime<Utc>, ts: DateTime<Utc>) -> u64 {
    let age = exact_age(now, ts);
    let secs = age.as_secs();
    if age.subsec_nanos() >= 500_000_000 {
        secs + 1
    } else {
        secs
    }
}

/// Whether a heartbeat at `ts` is stale: its exact age is strictly greater
/// than the grace.
pub fn is_stale(now: DateTime<Utc>, ts: DateTime<Utc>, grace: Duration) -> bool {
    exact_age(now, ts) > grace
}
