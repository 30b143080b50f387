//! Test support: a fleetd on a random port over a seeded scratch database,
//! a closable TCP proxy (to take the database away), and a child-process
//! fleetd for the signal tests.

#![allow(dead_code)] // not every test binary module uses every helper

use actix_web::dev::ServerHandle;
use fleet_sql::testing::ScratchDb;
use fleetd::settings::Settings;
use fleetd::{Application, ReloadHandle, SnapshotService};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A host id that must come out escaped on the page.
pub const SCRIPT_HOST: &str = "<script>alert(1)</script>";

/// The seeded fleet: three monitors (one named like a script tag), one
/// deliverer owning delivery, full bucket coverage, a pending delivery and
/// one drifting site. All timestamps are relative to the database clock and
/// far from any threshold, so the statuses do not change while a test runs.
pub const SEED_SQL: &str = r#"
INSERT INTO jetmon_process_health
  (process_id, host_id, process_type, pid, version, state, health_status,
   started_at, updated_at, bucket_ownership, delivery_workers_enabled,
   delivery_owner_host, worker_count, rss_mem_mb, dependency_health)
VALUES
  ('mon-a:monitor', 'mon-a', 'monitor', 101, '2.1.0', 'running', 'green',
   NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 5 SECOND, 'dynamic jetmon_hosts', 0, '', 50, 120,
   '[{"name":"mysql","status":"green","latency_ms":2,"checked_at":"2026-01-01T00:00:00Z"}]'),
  ('mon-b:monitor', 'mon-b', 'monitor', 102, '2.1.0', 'running', 'amber',
   NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 7 SECOND, 'dynamic jetmon_hosts', 0, '', 50, 130,
   '[{"name":"wpcom","status":"amber","last_error":"slow","checked_at":"2026-01-01T00:00:00Z"}]'),
  ('<script>alert(1)</script>:monitor', '<script>alert(1)</script>', 'monitor', 103, '2.1.0',
   'running', 'green', NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 3 SECOND, 'dynamic jetmon_hosts',
   0, '', 50, 110, NULL),
  ('del-a:deliverer', 'del-a', 'deliverer', 201, '2.1.0', 'running', 'green',
   NOW() - INTERVAL 2 HOUR, NOW() - INTERVAL 4 SECOND, '', 1, 'del-a', 8, 90, '[]');
INSERT INTO jetmon_hosts (host_id, bucket_min, bucket_max, last_heartbeat, status) VALUES
  ('mon-a', 0, 333, NOW() - INTERVAL 5 SECOND, 'active'),
  ('mon-b', 334, 666, NOW() - INTERVAL 7 SECOND, 'active'),
  ('<script>alert(1)</script>', 667, 999, NOW() - INTERVAL 3 SECOND, 'active');
INSERT INTO jetmon_webhook_deliveries
  (webhook_id, transition_id, event_id, event_type, payload, status, created_at)
VALUES (1, 1, 1, 'site_down', '{}', 'pending', NOW() - INTERVAL 1 MINUTE);
INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_active, site_status) VALUES
  (1, 1, 1, 1),
  (2, 2, 1, 2);
"#;

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub snapshots: SnapshotService,
    pub reload: ReloadHandle,
    pub server: ServerHandle,
    pub db: Option<ScratchDb>,
    pub settings: Settings,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request to fleetd")
    }

    pub async fn request(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .send()
            .await
            .expect("request to fleetd")
    }

    /// Waits until the first drift scan has finished (so snapshots show a
    /// drift figure rather than "not checked yet").
    pub async fn wait_for_drift(&self) {
        wait_until(Duration::from_secs(10), || async {
            !matches!(
                self.snapshots.drift(),
                fleet_core::DriftInput::NotCheckedYet
            )
        })
        .await;
    }
}

/// A fleetd over a freshly seeded scratch database, default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A fleetd over a freshly seeded scratch database; `configure` adjusts
/// the settings (listen and database URL are already set).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let db = seeded_db().await;
    let url = db.url().to_owned();
    let mut app = spawn_app_on(&url, configure).await;
    app.db = Some(db);
    app
}

/// A scratch database with the schema and [`SEED_SQL`].
pub async fn seeded_db() -> ScratchDb {
    let db = ScratchDb::create().await.expect(
        "create a scratch database (is MariaDB/MySQL running? see FLEETD_TEST_DATABASE_URL)",
    );
    db.exec(SEED_SQL).await.expect("seed the scratch database");
    db
}

/// Test settings for a database URL: a random loopback port, a short
/// connect timeout (unreachable databases fail fast).
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::default();
    settings.server.listen = "127.0.0.1:0".parse().expect("loopback address");
    settings.database.url = database_url.to_owned();
    settings.database.connect_timeout = Duration::from_secs(2);
    settings
}

/// A fleetd on any database URL (e.g. an unreachable one).
pub async fn spawn_app_on(database_url: &str, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings(database_url);
    configure(&mut settings);
    let app = Application::build(settings.clone())
        .await
        .expect("build the application");
    let port = app.port();
    let snapshots = app.snapshots();
    let reload = app.reload_handle();
    let server = app.server_handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: client(),
        snapshots,
        reload,
        server,
        db: None,
        settings,
    }
}

/// An HTTP client that does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("reqwest client")
}

/// A URL on a local port nothing listens on: bind one, then let it go.
pub fn unreachable_database_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    format!("mysql://root@127.0.0.1:{port}/jetmon")
}

/// Polls `condition` every 50 ms until it holds; panics after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Removes every key whose value depends on the moment a snapshot was built
/// (timestamps and ages), so two builds of the same rows compare equal.
pub fn without_times(mut value: serde_json::Value) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|key, _| {
                    !(key == "generated_at"
                        || key == "since"
                        || key == "checked_at"
                        || key.ends_with("_age_sec")
                        || key == "age_sec")
                });
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

/// `url` with its host:port replaced by `addr`.
pub fn with_address(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let userinfo = authority.rfind('@').map_or("", |at| &authority[..=at]);
    format!("{scheme}://{userinfo}{addr}{}", &rest[authority_end..])
}

/// `host:port` of a URL.
pub fn address_of(url: &str) -> String {
    let (_, rest) = url.split_once("://").expect("a URL");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, hp)| hp)
        .to_owned()
}

/// A TCP proxy to the database that the test can cut: [`TcpProxy::close`]
/// stops accepting (new connections are refused) and drops every open
/// connection, like a database going away.
pub struct TcpProxy {
    pub addr: SocketAddr,
    accept: JoinHandle<()>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
}

impl TcpProxy {
    pub async fn start(upstream: String) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let tracked = connections.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tracked.lock().expect("proxy lock").push(pipe);
            }
        });
        TcpProxy {
            addr,
            accept,
            connections,
        }
    }

    pub fn close(&self) {
        // Aborting the accept task drops the listener: connects are refused.
        self.accept.abort();
        for pipe in self.connections.lock().expect("proxy lock").drain(..) {
            pipe.abort();
        }
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.close();
    }
}
