//! Logging through env_logger.
//!
//! The level comes from `[log] level` unless `RUST_LOG` is set, which wins
//! (and then also wins over reloads). To let SIGHUP change the level without
//! rebuilding the logger, env_logger is installed accepting everything and
//! the effective level is the global `log::max_level`, which `log` checks
//! before any formatting.
//!
//! Panics are logged too, as one line ([`install_panic_hook`]).

use log::LevelFilter;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set when fleetd owns the level (no `RUST_LOG`).
static LEVEL_FROM_CONFIG: AtomicBool = AtomicBool::new(false);

/// Installs the logger. Call once, from the binary (tests leave logging
/// alone).
pub fn init(level: LevelFilter) {
    let rust_log = std::env::var("RUST_LOG")
        .map(|v| !v.trim().is_empty())
        .unwrap_or(false);
    if rust_log {
        env_logger::Builder::from_env(env_logger::Env::default()).init();
    } else {
        env_logger::Builder::new()
            .filter_level(LevelFilter::Trace)
            .init();
        LEVEL_FROM_CONFIG.store(true, Ordering::Release);
        log::set_max_level(level);
    }
    install_panic_hook();
}

/// Logs a panic as one line — thread, location, message — instead of the
/// default hook's report. fleetd contains panics (a snapshot build, a
/// background task cycle) and goes on serving; with `RUST_BACKTRACE` set,
/// the default hook would symbolise a backtrace, which loads the binary's
/// debug information into memory for good: RSS went from ~9 MB to ~122 MB
/// after the first contained panic (issue 15). The location is what a bug
/// report needs; a backtrace is never symbolised.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let location = info.location().map_or_else(
            || "an unknown location".to_owned(),
            |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
        );
        log::error!(
            "panic in thread '{}' at {location}: {}",
            thread.name().unwrap_or("unnamed"),
            crate::tasks::panic_message(info.payload())
        );
    }));
}

/// Applies a reloaded `[log] level`; returns false (and changes nothing)
/// when RUST_LOG decides the level or no logger was installed by [`init`].
pub fn apply_level(level: LevelFilter) -> bool {
    if LEVEL_FROM_CONFIG.load(Ordering::Acquire) {
        log::set_max_level(level);
        true
    } else {
        false
    }
}
