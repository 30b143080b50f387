//! fleet-bench's library: the large benchmark data set ([`dataset`]) and
//! the server read-outs of the load benchmark ([`server`]). A library so
//! that fleetd's soak test can load the same data set; the production
//! fleetd binary never links it.

pub mod dataset;
pub mod server;
mod sql;

pub use sql::{database_url, DbError};
