//! fleet-core: the pure fleet rollup of jetmon v2.
//!
//! Rows of the jetmon tables + `now` + [`Thresholds`] in, a [`FleetSnapshot`]
//! out. No I/O, no async, no database or HTTP types: every rule of
//! `rollup.md` lives here, one module per section, so it can be tested
//! without a database.

pub mod age;
pub mod build;
pub mod coverage;
pub mod cutover;
pub mod delivery;
pub mod dependencies;
pub mod drift;
pub mod input;
pub mod posture;
pub mod processes;
pub mod site_drift;
pub mod snapshot;
pub mod status;
pub mod summary;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod thresholds;

pub use build::build_snapshot;
pub use input::{
    DeliveryKind, DeliveryTableCounts, DeliveryTableInput, DriftCause, DriftInput, DriftResult,
    FleetInput, HostRow, ProcessRow, Unreadable,
};
pub use snapshot::FleetSnapshot;
pub use status::Status;
pub use thresholds::Thresholds;
