//! Reliability and security (issue 8): fleetd against a database that
//! fails, under sustained load, and fed hostile rows, requests and
//! configuration. Every scenario records its figures (see
//! [`support::record`]) in `target/tmp/reliability/`, from which
//! `docs/reliability.md` is written; `--no-capture` prints them too.
//!
//! Faults are injected with [`fault_proxy::FaultProxy`], a TCP proxy
//! between fleetd and the shared MariaDB, or with table locks held by the
//! test on its own scratch database: the shared server is never stopped.

#[path = "../api/child.rs"]
#[allow(dead_code)] // shared with the api tests, which use all of it
mod child;
#[path = "../api/helpers.rs"]
mod helpers;

mod config_errors;
mod fault_proxy;
mod faults;
mod hostile_requests;
mod hostile_rows;
mod leaks;
mod soak;
mod support;
mod tasks;
mod tls;
