//! Configuration reload (SIGHUP).
//!
//! A reload re-reads the same file and environment as startup. When the new
//! configuration is valid, the settings that can change while running are
//! applied: the thresholds and cache TTL (through
//! [`SnapshotService::apply`]), the drift interval, the host-dashboard link
//! template and the log level. The
//! server and database sections need a restart; a change there is logged and
//! ignored. When the new configuration is broken, nothing changes and the
//! error is returned (the signal handler logs it).
//!
//! No request is dropped: the HTTP server is never touched, and requests in
//! flight finish with the snapshot they already have.

use crate::logging;
use crate::settings::{Settings, SettingsError};
use crate::snapshots::{LiveConfig, SnapshotService};
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("this fleetd was not started from a configuration file source; nothing to reload")]
    NoSource,
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

/// What a successful reload changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadOutcome {
    /// Keys whose new value is in effect.
    pub applied: Vec<&'static str>,
    /// Keys that changed but need a restart (the running value is kept).
    pub needs_restart: Vec<&'static str>,
}

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct ReloadHandle {
    inner: Arc<ReloadInner>,
}

#[derive(Debug)]
struct ReloadInner {
    snapshots: SnapshotService,
    /// The settings in effect (restart-only sections keep their startup values).
    current: Mutex<Settings>,
}

impl ReloadHandle {
    pub fn new(settings: Settings, snapshots: SnapshotService) -> Self {
        ReloadHandle {
            inner: Arc::new(ReloadInner {
                snapshots,
                current: Mutex::new(settings),
            }),
        }
    }

    /// The settings in effect now.
    pub fn current(&self) -> Settings {
        self.inner
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the configuration source and applies what can change at run time.
    pub fn reload(&self) -> Result<ReloadOutcome, ReloadError> {
        let result = self.try_reload();
        self.inner.snapshots.stats().reload_finished(result.is_ok());
        result
    }

    fn try_reload(&self) -> Result<ReloadOutcome, ReloadError> {
        let mut current = self
            .inner
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let source = current.source.clone().ok_or(ReloadError::NoSource)?;
        let new = Settings::load(&source)?;

        let mut needs_restart = Vec::new();
        if new.server.listen != current.server.listen {
            needs_restart.push("server.listen");
        }
        if new.server.base_path != current.server.base_path {
            needs_restart.push("server.base_path");
        }
        if new.database != current.database {
            needs_restart.push("database");
        }
        if new.history != current.history {
            needs_restart.push("history");
        }
        for key in &needs_restart {
            log::warn!("reload: `{key}` changed; it takes effect only after a restart");
        }

        let mut applied = Vec::new();
        if new.fleet != current.fleet {
            applied.push("fleet");
        }
        if new.cache.ttl != current.cache.ttl {
            applied.push("cache.ttl_ms");
        }
        if new.cache.drift_interval != current.cache.drift_interval {
            applied.push("cache.drift_interval_sec");
        }
        if new.cache.build_wait != current.cache.build_wait {
            applied.push("cache.build_wait_ms");
        }
        if new.cache.ready_grace != current.cache.ready_grace {
            applied.push("cache.ready_grace_sec");
        }
        if new.log.level != current.log.level {
            applied.push("log.level");
        }
        if new.links != current.links {
            applied.push(crate::links::KEY);
        }

        // Always apply (even when nothing changed): a reload is also how an
        // operator asks for a fresh snapshot.
        self.inner.snapshots.apply(LiveConfig::from_settings(&new));
        if !logging::apply_level(new.log.level) && applied.contains(&"log.level") {
            log::info!("reload: RUST_LOG is set and decides the log level; `log.level` ignored");
        }

        current.fleet = new.fleet;
        current.cache = new.cache;
        current.log = new.log;
        current.links = new.links;
        Ok(ReloadOutcome {
            applied,
            needs_restart,
        })
    }
}
