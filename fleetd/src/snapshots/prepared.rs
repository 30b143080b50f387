//! [`PreparedSnapshot`]: one build, ready to serve until it expires.

use crate::wire::{BodyKind, EncodedBody};
use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use fleet_core::FleetSnapshot;
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A snapshot ready to serve: built once, read by every request until it
/// expires. Warm requests copy a reference-counted buffer and do no other
/// work: the JSON is serialised when the snapshot is prepared, the default
/// page and the history the first time a route asks for them, and each
/// compressed variant of those bodies the first time a client wants it
/// ([`EncodedBody`]).
pub struct PreparedSnapshot {
    pub snapshot: FleetSnapshot,
    /// `snapshot` serialised once: the body of `/api/fleet`.
    pub json: Bytes,
    /// `json` with its validator and compressed variants.
    api_body: EncodedBody,
    /// Wall-clock time the build finished.
    pub built_at: DateTime<Utc>,
    /// Monotonic time the build finished (for ages; immune to clock steps).
    pub built_instant: Instant,
    /// The cache lifetime this snapshot was built under.
    ttl: Duration,
    /// The default fleet page of this snapshot, once a route rendered it.
    default_page: OnceLock<EncodedBody>,
    /// The `/api/fleet/history` body as of this snapshot, once asked for.
    history: OnceLock<EncodedBody>,
}

impl PreparedSnapshot {
    /// Serialises `snapshot`; the result is cached for `ttl`.
    pub fn new(snapshot: FleetSnapshot, ttl: Duration) -> Result<Self, serde_json::Error> {
        let json = Bytes::from(serde_json::to_vec(&snapshot)?);
        Ok(PreparedSnapshot {
            snapshot,
            api_body: EncodedBody::new(BodyKind::ApiFleet, json.clone()),
            json,
            built_at: Utc::now(),
            built_instant: Instant::now(),
            ttl,
            default_page: OnceLock::new(),
            history: OnceLock::new(),
        })
    }

    /// The default (unfiltered, not stale) fleet page of this snapshot:
    /// `render` runs for the first request that asks, every later one gets
    /// the same buffer. The slot belongs to this snapshot, so a page is
    /// never served for another one.
    pub fn default_page(&self, render: impl FnOnce(&FleetSnapshot) -> Bytes) -> &EncodedBody {
        self.default_page
            .get_or_init(|| EncodedBody::new(BodyKind::FleetPage, render(&self.snapshot)))
    }

    /// The body of `/api/fleet`.
    pub fn api_body(&self) -> &EncodedBody {
        &self.api_body
    }

    /// The `/api/fleet/history` body while this snapshot is current: the
    /// history changes only when a build is recorded, and every build is
    /// recorded before its snapshot is served, so `render` runs for the
    /// first request and every later one (and its compressed variants)
    /// shares it.
    /// (A failed `render` keeps nothing: the next request tries again.)
    pub fn history<E>(&self, render: impl FnOnce() -> Result<Bytes, E>) -> Result<&EncodedBody, E> {
        if let Some(body) = self.history.get() {
            return Ok(body);
        }
        let rendered = render()?;
        // Two first requests may both render; the first stored is kept.
        Ok(self
            .history
            .get_or_init(|| EncodedBody::new(BodyKind::History, rendered)))
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
            .field("page", &self.default_page.get())
            .field("api_body", &self.api_body)
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
        assert_eq!(first.default_page(|_| render("first")).identity(), "first");
        assert_eq!(
            first.default_page(|_| render("again")).identity(),
            "first",
            "warm requests share the first rendering"
        );
        assert_eq!(
            second.default_page(|_| render("second")).identity(),
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
