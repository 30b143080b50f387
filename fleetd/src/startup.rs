//! Building and running the HTTP server.

use crate::metrics::Metrics;
use crate::middleware;
use crate::reload::ReloadHandle;
use crate::routes::{self, errors, Paths};
use crate::settings::Settings;
use crate::snapshots::{LiveConfig, SnapshotService};
use crate::tasks::{self, Periodic};
use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use fleet_sql::{FleetReader, SqlError};
use sd_notify::NotifyState;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// Time a client has to send its request head; slow or idle clients are cut
/// off instead of holding a connection slot.
pub const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Time a client has to acknowledge the closing of its connection.
pub const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long an idle keep-alive connection stays open (long enough for a
/// proxy or a refreshing page to reuse it).
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Graceful shutdown: requests in flight get this long to finish.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 10;
/// Closing the database pool at shutdown waits at most this long.
const POOL_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid database settings: {0}")]
    Database(#[from] SqlError),
    #[error("cannot start the HTTP server: {0}")]
    Server(#[source] std::io::Error),
}

/// A bound, not yet running fleetd.
pub struct Application {
    local_addr: SocketAddr,
    server: Server,
    snapshots: SnapshotService,
    reload: ReloadHandle,
    drift_task: JoinHandle<()>,
    history_task: JoinHandle<()>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("local_addr", &self.local_addr)
            .field("snapshots", &self.snapshots)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds the listener (port 0 picks a free one), starts the drift
    /// refresher and prepares the server. No database I/O happens here: a
    /// database that is down at startup shows up as 503s, not as a crash.
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let addr = settings.server.listen;
        let listener =
            TcpListener::bind(addr).map_err(|source| StartupError::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { addr, source })?;
        if !local_addr.ip().is_loopback() {
            log::warn!(
                "listening on {local_addr}, which is not a loopback address: fleetd has no \
                 authentication of its own; expose it only through an authenticating proxy"
            );
        }

        let reader = FleetReader::new(settings.database.db_settings())?;
        let snapshots = SnapshotService::with_history(
            reader,
            LiveConfig::from_settings(&settings),
            Handle::current(),
            settings.history.config(),
        );
        let metrics = Metrics::new(std::sync::Arc::clone(snapshots.stats()));
        let drift_task = snapshots.spawn_drift_refresher();
        let history_task = snapshots.spawn_history_refresher();
        let server = run(
            listener,
            snapshots.clone(),
            metrics,
            Paths::new(&settings.server.base_path),
        )?;
        log::info!(
            "fleetd {} listening on http://{local_addr}{}/fleet (database {})",
            env!("CARGO_PKG_VERSION"),
            settings.server.base_path,
            settings.database.redacted_url()
        );
        let reload = ReloadHandle::new(settings, snapshots.clone());
        Ok(Application {
            local_addr,
            server,
            snapshots,
            reload,
            drift_task,
            history_task,
        })
    }

    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The snapshot service (its `stats()` counts builds and cache hits).
    pub fn snapshots(&self) -> SnapshotService {
        self.snapshots.clone()
    }

    /// Reloads the configuration like SIGHUP does.
    pub fn reload_handle(&self) -> ReloadHandle {
        self.reload.clone()
    }

    /// Stops the server (gracefully with `stop(true)`).
    pub fn server_handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (graceful drain, handled by actix) or a
    /// [`ServerHandle::stop`]. Tells systemd it is ready, reloads on SIGHUP
    /// when the settings came from a configuration source.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let hangups = if self.reload.current().source.is_some() {
            spawn_reload_on_hangup(self.reload.clone(), &self.snapshots)
        } else {
            None
        };

        // No-op unless started by systemd with Type=notify.
        notify(&[NotifyState::Ready]);
        let result = self.server.await;
        notify(&[NotifyState::Stopping]);

        if let Some(task) = hangups {
            task.abort();
        }
        // The drift scan can run for a minute; stop it so that closing the
        // pool does not wait for its connection.
        self.drift_task.abort();
        // The last samples go to the store before the process ends.
        self.history_task.abort();
        self.snapshots.flush_history(true).await;
        if tokio::time::timeout(POOL_CLOSE_TIMEOUT, self.snapshots.close())
            .await
            .is_err()
        {
            log::warn!("database pool did not close within {POOL_CLOSE_TIMEOUT:?}");
        }
        log::info!("fleetd stopped");
        result
    }
}

/// The actix server on an already bound listener.
pub fn run(
    listener: TcpListener,
    snapshots: SnapshotService,
    metrics: Metrics,
    paths: Paths,
) -> Result<Server, StartupError> {
    let snapshots = web::Data::new(snapshots);
    let metrics = web::Data::new(metrics);
    let paths = web::Data::new(paths);
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(middleware::read_only))
            // Registered last = outermost: sees every response, 405s included.
            .wrap(actix_web::middleware::from_fn(middleware::security_headers))
            .app_data(snapshots.clone())
            .app_data(metrics.clone())
            .app_data(paths.clone())
            .configure(|cfg| routes::configure(cfg, &paths))
            .default_service(web::to(errors::not_found))
    })
    .workers(workers)
    .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
    .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
    .keep_alive(KEEP_ALIVE)
    .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
    .listen(listener)
    .map_err(StartupError::Server)?
    .run();
    Ok(server)
}

/// The name of the SIGHUP reload task in logs and metrics.
pub const RELOAD_TASK: &str = "reload";

/// Starts the task that reloads the configuration on every SIGHUP (a
/// supervised [`tasks`](crate::tasks) task: a reload that panics is counted
/// and the next SIGHUP reloads again). `None` when SIGHUP cannot be caught.
fn spawn_reload_on_hangup(
    reload: ReloadHandle,
    snapshots: &SnapshotService,
) -> Option<JoinHandle<()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let hangups = match signal(SignalKind::hangup()) {
        Ok(stream) => stream,
        Err(err) => {
            log::error!("cannot listen for SIGHUP; configuration reload is disabled: {err}");
            return None;
        }
    };
    Some(tasks::spawn(
        snapshots.runtime_handle(),
        std::sync::Arc::clone(snapshots.stats()),
        ReloadOnHangup { reload, hangups },
    ))
}

struct ReloadOnHangup {
    reload: ReloadHandle,
    hangups: tokio::signal::unix::Signal,
}

impl Periodic for ReloadOnHangup {
    fn name(&self) -> &'static str {
        RELOAD_TASK
    }

    async fn next(&mut self) -> bool {
        self.hangups.recv().await.is_some()
    }

    async fn run(&mut self) {
        log::info!("SIGHUP: reloading the configuration");
        // systemd (Type=notify-reload) wants RELOADING with the monotonic time.
        match NotifyState::monotonic_usec_now() {
            Ok(now) => notify(&[NotifyState::Reloading, now]),
            Err(_) => notify(&[NotifyState::Reloading]),
        }
        // READY follows whatever happens, a panic included: systemd would
        // otherwise consider the reload still running.
        let _ready = NotifyReadyOnDrop;
        match self.reload.reload() {
            Ok(outcome) => log::info!(
                "configuration reloaded (changed: {}; needing a restart: {})",
                list(&outcome.applied),
                list(&outcome.needs_restart)
            ),
            Err(err) => {
                log::error!("configuration reload failed, keeping the running configuration: {err}")
            }
        }
    }
}

/// Sends READY=1 when dropped (also while unwinding from a panic).
struct NotifyReadyOnDrop;

impl Drop for NotifyReadyOnDrop {
    fn drop(&mut self) {
        notify(&[NotifyState::Ready]);
    }
}

fn list(keys: &[&str]) -> String {
    if keys.is_empty() {
        "none".to_owned()
    } else {
        keys.join(", ")
    }
}

fn notify(state: &[NotifyState<'_>]) {
    if let Err(err) = sd_notify::notify(false, state) {
        log::warn!("cannot notify systemd: {err}");
    }
}
