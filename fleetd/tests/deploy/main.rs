//! Deployment checks: the files under `deploy/` and the page, tried with the
//! real components instead of being read.
//!
//! - [`systemd`]: `systemd-analyze verify` and `security` on the unit, and
//!   the unit's own command line, environment and reload command driving
//!   the built binary to READY=1 with the example configuration;
//! - [`nginx`]: a real nginx with `deploy/nginx/fleetd.conf` in front of a
//!   fleetd under `/ops/fleet`;
//! - [`grants`]: the account of `deploy/mysql/fleetd-grants.sql` on the
//!   test server: a complete snapshot, every write refused;
//! - [`browser`]: headless Chromium renders the page, with JavaScript on
//!   and off;
//! - [`prometheus`]: `deploy/prometheus/fleetd-alerts.yml` checked and
//!   unit-tested by promtool, and a real Prometheus scraping a real fleetd
//!   fires and resolves the fleet-red alert;
//! - [`config_files`]: the example configuration, `docs/configuration.md`
//!   and the settings code agree on every key and default;
//! - [`docs`]: `docs/api.md` names every member of the JSON fleetd serves;
//! - [`runbook_sql`]: every query of the runbook (operations.md, "Direct SQL
//!   checks") returns what fleetd reports for the same rows;
//! - [`scripts`]: how `scripts/test` gets a MariaDB on a fresh machine.
//!
//! Nothing here skips: a missing tool (nginx, chromium, systemd-analyze,
//! promtool, prometheus) is a failure that says how to get it.
//! `scripts/test` (what CI runs) installs them. Every external program runs
//! under a time limit and is killed, with its process group, when it
//! overstays.

#[path = "../api/helpers.rs"]
mod helpers;

mod browser;
mod config_files;
mod docs;
mod grants;
mod nginx;
mod prometheus;
mod runbook_sql;
mod scripts;
mod support;
mod systemd;
