//! Shared helpers for fleet-sql's integration tests. They run against the
//! server named by `FLEETD_TEST_DATABASE_URL` (default: the local MariaDB as
//! root), each test in its own scratch database.

#![allow(dead_code)] // each test binary uses a different subset

use fleet_core::Thresholds;
use fleet_sql::testing::{admin_url, ScratchDb};
use fleet_sql::{DbSettings, FleetReader};
use mysql_async::Opts;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub fn init_logs() {
    let _ = env_logger::builder().is_test(true).try_init();
}

/// A scratch database with the schema loaded, or a clear failure.
pub async fn scratch() -> ScratchDb {
    init_logs();
    match ScratchDb::create().await {
        Ok(db) => db,
        Err(e) => panic!(
            "cannot create a scratch database on {} (set FLEETD_TEST_DATABASE_URL): {e}",
            fleet_sql::DbSettings::new(admin_url()).redacted_url()
        ),
    }
}

pub async fn exec(db: &ScratchDb, sql: &str) {
    if let Err(e) = db.exec(sql).await {
        panic!("{e}\nSQL: {sql}");
    }
}

pub fn reader(db: &ScratchDb) -> FleetReader {
    FleetReader::new(db.settings()).expect("reader")
}

pub fn reader_with(db: &ScratchDb, edit: impl FnOnce(&mut DbSettings)) -> FleetReader {
    let mut settings = db.settings();
    edit(&mut settings);
    FleetReader::new(settings).expect("reader")
}

pub fn thresholds() -> Thresholds {
    Thresholds::default()
}

/// A `jetmon_process_health` row; `extra` is `column = value` SQL pairs
/// overriding the defaults. Times are SQL expressions relative to NOW().
pub fn process_sql(host: &str, kind: &str, extra: &[(&str, &str)]) -> String {
    let mut columns = vec![
        ("process_id", format!("'{host}:{kind}'")),
        ("host_id", format!("'{host}'")),
        ("process_type", format!("'{kind}'")),
        ("state", "'running'".to_string()),
        ("health_status", "'green'".to_string()),
        ("updated_at", "NOW() - INTERVAL 5 SECOND".to_string()),
        ("started_at", "NOW() - INTERVAL 1 HOUR".to_string()),
    ];
    for (column, value) in extra {
        columns.retain(|(c, _)| c != column);
        columns.push((column, value.to_string()));
    }
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let values: Vec<&str> = columns.iter().map(|(_, v)| v.as_str()).collect();
    format!(
        "INSERT INTO jetmon_process_health ({}) VALUES ({});",
        names.join(", "),
        values.join(", ")
    )
}

/// A `jetmon_hosts` row heartbeating `age_sec` ago.
pub fn host_sql(host: &str, min: u32, max: u32, age_sec: u32, status: &str) -> String {
    format!(
        "INSERT INTO jetmon_hosts (host_id, bucket_min, bucket_max, last_heartbeat, status) \
         VALUES ('{host}', {min}, {max}, NOW() - INTERVAL {age_sec} SECOND, '{status}');"
    )
}

/// The server's address from the admin URL, for proxies.
pub fn server_addr() -> SocketAddr {
    let opts = Opts::from_url(&admin_url()).expect("admin url");
    let host = match opts.ip_or_hostname() {
        "localhost" => "127.0.0.1",
        other => other,
    };
    format!("{host}:{}", opts.tcp_port())
        .parse()
        .or_else(|_| {
            std::net::ToSocketAddrs::to_socket_addrs(&(host, opts.tcp_port()))
                .map_err(|e| e.to_string())
                .and_then(|mut a| a.next().ok_or_else(|| "no address".to_string()))
        })
        .expect("server address")
}

/// Reader settings for `db`, but through `addr` (a proxy) over TCP only.
pub fn settings_via(db: &ScratchDb, addr: SocketAddr) -> DbSettings {
    let opts = Opts::from_url(db.url()).expect("scratch url");
    let user = opts.user().unwrap_or("root");
    let mut settings = DbSettings::new(format!(
        // prefer_socket=false: mysql_async would otherwise switch a loopback
        // TCP connection to the server's unix socket, bypassing the proxy.
        "mysql://{user}@{addr}/{}?prefer_socket=false",
        db.name()
    ));
    settings.password = opts.pass().map(str::to_string);
    settings
}

/// A TCP proxy in front of the database that can be made to black-hole:
/// once frozen, every connection it carries stops forwarding for good
/// (the sockets stay open, nothing arrives), as with a server that hangs
/// or a network that drops packets. New connections made after `thaw`
/// work normally; connections accepted while frozen never get a byte.
pub struct BlackHoleProxy {
    pub addr: SocketAddr,
    frozen: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl BlackHoleProxy {
    pub async fn start(target: SocketAddr) -> BlackHoleProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let frozen = Arc::new(AtomicBool::new(false));
        let flag = frozen.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let flag = flag.clone();
                tokio::spawn(async move {
                    if flag.load(Ordering::SeqCst) {
                        hold(client).await;
                        return;
                    }
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let dead = Arc::new(AtomicBool::new(false));
                    let up = tokio::spawn(pump(cr, sw, flag.clone(), dead.clone()));
                    let down = tokio::spawn(pump(sr, cw, flag, dead));
                    let _ = tokio::join!(up, down);
                });
            }
        });
        BlackHoleProxy { addr, frozen, task }
    }

    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
    }
}

impl Drop for BlackHoleProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
    dead: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if frozen.load(Ordering::SeqCst) {
            dead.store(true, Ordering::SeqCst);
        }
        if dead.load(Ordering::SeqCst) {
            // Swallow everything from now on, keep both sockets open.
            continue;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// Keeps a socket open without ever answering it.
async fn hold(mut socket: TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = socket.read(&mut buf).await {
        if n == 0 {
            return;
        }
    }
}

/// A listener that accepts connections and never says a word (not even the
/// server greeting).
pub async fn silent_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(hold(socket));
        }
    });
    (addr, task)
}

/// Asserts that `future` finishes within `bound`, returning its output.
pub async fn within<T>(bound: Duration, future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(bound, future).await {
        Ok(out) => out,
        Err(_) => panic!("did not finish within {bound:?}"),
    }
}
