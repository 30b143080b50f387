//! fleetd's integration tests: real servers on random ports, against
//! scratch databases on the local MySQL/MariaDB (`FLEETD_TEST_DATABASE_URL`,
//! default `mysql://root@127.0.0.1:3306/test`).

mod check;
mod child;
mod config;
mod cutover;
mod demo;
mod helpers;
mod history;
mod history_store;
mod links;
mod metrics;
mod routes;
mod signals;
mod snapshot;
mod unavailable;
mod wire;
