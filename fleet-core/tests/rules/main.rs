//! Every rule of rollup.md, tested through fleet-core's public entry point.
//! One test binary (one link step) with a module per section.

mod age;
mod amendments;
mod coverage;
mod coverage_props;
mod cutover;
mod delivery;
mod dependencies;
mod drift;
mod next_action_hosts;
mod posture;
mod processes;
mod seed_compat;
mod site_drift;
mod snapshot;
mod spec;
mod summary;
mod verdicts;
