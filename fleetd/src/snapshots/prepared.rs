//! [`PreparedSnapshot`]: one build, ready to serve until it expires.

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use fleet_core::FleetSnapshot;
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A snapshot ready to serve: built once, read by every request until it
/// expires. Warm requests copy a reference-counted buffer and do no other
/// work: the JSON is serialised when the snapshot is prepared, the default
/// page the first time a route asks for it.
pub struct PreparedSnapshot {
    pub snapshot: FleetSnapshot,
    /// `snapshot` serialised once: the body of `/api/fleet`.
    pub json: Bytes,
    /// Wall-clock time the build finished.
    pub built_at: DateTime<Utc>,
    /// Monotonic time the build finished (for ages; immune to clock steps).
    pub built_instant: Instant,
    /// The cache lifetime this snapshot was built under.
    ttl: Duration,
    /// The default fleet page of this snapshot, once a route rendered it.
    default_page: OnceLock<Bytes>,
}

impl PreparedSnapshot {
    /// Serialises `snapshot`; the result is cached for `ttl`.
    pub fn new(snapshot: FleetSnapshot, ttl: Duration) -> Result<Self, serde_json::Error> {
        let json = Bytes::from(serde_json::to_vec(&snapshot)?);
        Ok(PreparedSnapshot {
            snapshot,
            json,
            built_at: Utc::now(),
            built_instant: Instant::now(),
            ttl,
            default_page: OnceLock::new(),
        })
    }

    /// The default (unfiltered, not stale) fleet page of this snapshot:
    /// `render` runs for the first request that asks, every later one gets
    /// the same buffer. The slot belongs to this snapshot, so a page is
    /// never served for another one.
    pub fn default_page(&self, render: impl FnOnce(&FleetSnapshot) -> Bytes) -> Bytes {
        self.default_page
            .get_or_init(|| render(&self.snapshot))
            .clone()
    }

    /// How long the cache keeps this snapshot.
    pub(super) fn ttl(&self) -> Duration {
        self.ttl
    }
}

impl fmt::Debug for PreparedSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedSnapshot")
            .field("generated_at", &self.snapshot.generated_at)
            .field("status", &self.snapshot.summary.status)
            .field("json_bytes", &self.json.len())
            .field("built_at", &self.built_at)
            .field("page_rendered", &self.default_page.get().is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleet_core::{build_snapshot, DriftInput, FleetInput, Thresholds};

    fn prepared() -> PreparedSnapshot {
        let input = FleetInput {
            processes: Vec::new(),
            hosts: Ok(Vec::new()),
            delivery: Vec::new(),
            drift: DriftInput::NotCheckedYet,
        };
        let snapshot = build_snapshot(&input, Utc::now(), &Thresholds::default());
        PreparedSnapshot::new(snapshot, Duration::from_secs(5)).expect("serialisable")
    }

    #[test]
    fn the_default_page_is_rendered_once_per_snapshot() {
        let first = prepared();
        let second = prepared();
        let mut renders = 0;
        let mut render = |label: &'static str| {
            renders += 1;
            Bytes::from_static(label.as_bytes())
        };
        assert_eq!(first.default_page(|_| render("first")), "first");
        assert_eq!(
            first.default_page(|_| render("again")),
            "first",
            "warm requests share the first rendering"
        );
        assert_eq!(
            second.default_page(|_| render("second")),
            "second",
            "another snapshot renders its own page"
        );
        assert_eq!(renders, 2);
    }

    #[test]
    fn the_json_is_the_serialised_snapshot() {
        let p = prepared();
        let parsed: serde_json::Value = serde_json::from_slice(&p.json).expect("json");
        assert_eq!(
            parsed,
            serde_json::to_value(&p.snapshot).expect("serialisable")
        );
    }
}
