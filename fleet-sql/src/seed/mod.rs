//! Writing jetmon-shaped data into a scratch database: the demo fleet
//! (`fleetd demo`) and the large production-sized data set of the
//! benchmarks. Behind the `seed` feature: `fleetd serve` never writes.

pub mod demo;
pub mod large;
