//! TLS to the database (`DbSettings::tls`, `ca_file`), against a private
//! MariaDB with a certificate each test makes (the shared server has no
//! TLS and is never reconfigured). The server certificate is signed by the
//! test's CA and valid for the DNS name `localhost` only.

mod common;

use common::{host_sql, init_logs, process_sql, thresholds, within};
use fleet_sql::testing::{PrivateServer, ScratchDb, TestCertificates};
use fleet_sql::{CaFile, DbSettings, FleetRead, FleetReader, SqlError, TlsMode};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// A private server with TLS, a scratch database on it with one process and
/// one host, and the certificates.
struct Fixture {
    db: ScratchDb,
    certs: TestCertificates,
    server: PrivateServer,
    _certs_dir: TempDir,
}

/// A directory under the target's tmp, removed on drop (also on panic).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn template_root() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

async fn fixture() -> Fixture {
    init_logs();
    let certs_dir = TempDir::new("tls-certs");
    let certs = TestCertificates::generate(&certs_dir.0).expect("make certificates with openssl");
    let server = PrivateServer::start(template_root(), Some(&certs))
        .await
        .expect("start a private mariadbd");
    let db = ScratchDb::create_at(&server.admin_url(), true)
        .await
        .expect("scratch database on the private server");
    db.exec(&process_sql("tls-host", "monitor", &[]))
        .await
        .expect("seed a process");
    db.exec(&host_sql("tls-host", 0, 999, 5, "active"))
        .await
        .expect("seed a host");
    Fixture {
        db,
        certs,
        server,
        _certs_dir: certs_dir,
    }
}

impl Fixture {
    /// Settings for the scratch database over TCP to `host` (`localhost` or
    /// `127.0.0.1`), staying on TCP (no switch to the server's socket).
    fn settings(&self, host: &str, user: &str, tls: TlsMode, ca: Option<&Path>) -> DbSettings {
        let mut settings = DbSettings::new(format!(
            "mysql://{user}@{host}:{}/{}?prefer_socket=false",
            self.server.port(),
            self.db.name()
        ));
        settings.tls = tls;
        settings.ca_file = ca.map(|path| CaFile::read(path).expect("CA file"));
        settings.connect_timeout = Duration::from_secs(3);
        settings
    }

    fn reader(&self, host: &str, tls: TlsMode, ca: Option<&Path>) -> FleetReader {
        FleetReader::new(self.settings(host, "root", tls, ca)).expect("reader")
    }
}

/// The TLS cipher of a pooled connection's session ("" without TLS).
async fn session_cipher(reader: &FleetReader) -> String {
    let rows = reader
        .select_for_test(
            "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS \
             WHERE VARIABLE_NAME = 'SSL_CIPHER'",
        )
        .await
        .expect("read the session's cipher");
    rows.into_iter()
        .next()
        .and_then(|mut row| row.take::<String, _>(0))
        .unwrap_or_default()
}

async fn read(reader: &FleetReader) -> Result<FleetRead, SqlError> {
    within(Duration::from_secs(15), reader.read_fleet(&thresholds())).await
}

fn assert_seeded(read: &FleetRead) {
    assert_eq!(read.processes.len(), 1, "{read:?}");
    assert_eq!(read.processes[0].host_id, "tls-host");
    let hosts = read.hosts.as_ref().expect("hosts readable");
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].host_id, "tls-host");
}

#[tokio::test]
async fn required_encrypts_every_connection_without_checking_the_certificate() {
    let f = fixture().await;
    // The certificate is signed by a CA the client was never told about.
    let reader = f.reader("127.0.0.1", TlsMode::Required, None);
    let read = read(&reader).await.expect("read over TLS");
    assert_seeded(&read);
    assert_eq!(reader.tls_in_use(), Some(true));
    let cipher = session_cipher(&reader).await;
    assert!(!cipher.is_empty(), "the session is not encrypted");
    reader.close().await;
}

#[tokio::test]
async fn verify_identity_connects_with_the_right_ca_and_host_name() {
    let f = fixture().await;
    let reader = f.reader("localhost", TlsMode::VerifyIdentity, Some(&f.certs.ca));
    let read = read(&reader).await.expect("read over verified TLS");
    assert_seeded(&read);
    assert!(!session_cipher(&reader).await.is_empty());
    reader.close().await;
}

#[tokio::test]
async fn verify_identity_refuses_a_certificate_no_trusted_ca_signed() {
    let f = fixture().await;
    for (what, ca) in [
        ("an unrelated CA file", Some(f.certs.other_ca.as_path())),
        ("the built-in roots", None),
    ] {
        let reader = f.reader("localhost", TlsMode::VerifyIdentity, ca);
        let err = read(&reader)
            .await
            .expect_err("an unknown issuer must be refused");
        let message = err.to_string();
        eprintln!("verify_identity with {what}: {message}");
        assert!(
            message.contains("invalid peer certificate") && message.contains("UnknownIssuer"),
            "{what}: {message}"
        );
        assert_eq!(reader.tls_in_use(), None, "no session was opened");
    }
}

#[tokio::test]
async fn verify_identity_refuses_a_certificate_for_another_host_name() {
    let f = fixture().await;
    // Right CA, but the certificate names `localhost`, not 127.0.0.1.
    let reader = f.reader("127.0.0.1", TlsMode::VerifyIdentity, Some(&f.certs.ca));
    let err = read(&reader)
        .await
        .expect_err("a host name mismatch must be refused");
    let message = err.to_string();
    eprintln!("verify_identity, wrong host name: {message}");
    assert!(
        message.contains("invalid peer certificate") && message.contains("127.0.0.1"),
        "{message}"
    );
}

#[tokio::test]
async fn disabled_is_plain_and_an_account_that_requires_ssl_refuses_it() {
    let f = fixture().await;
    let reader = f.reader("127.0.0.1", TlsMode::Disabled, None);
    assert_seeded(&read(&reader).await.expect("plain read"));
    assert_eq!(reader.tls_in_use(), Some(false));
    assert_eq!(
        session_cipher(&reader).await,
        "",
        "disabled must not encrypt"
    );
    reader.close().await;

    f.server
        .exec(&format!(
            "CREATE USER 'tls_only'@'127.0.0.1' REQUIRE SSL; \
             GRANT SELECT ON `{}`.* TO 'tls_only'@'127.0.0.1'",
            f.db.name()
        ))
        .await
        .expect("account that requires TLS");
    let plain = FleetReader::new(f.settings("127.0.0.1", "tls_only", TlsMode::Disabled, None))
        .expect("reader");
    let err = read(&plain)
        .await
        .expect_err("the server refuses a plain login");
    assert!(err.to_string().contains("Access denied"), "{err}");
    let tls = FleetReader::new(f.settings("127.0.0.1", "tls_only", TlsMode::Required, None))
        .expect("reader");
    assert_seeded(&read(&tls).await.expect("the same account over TLS"));
    tls.close().await;
}

#[tokio::test]
async fn preferred_uses_tls_when_offered_and_plain_when_the_server_has_none() {
    let f = fixture().await;
    let reader = f.reader("127.0.0.1", TlsMode::Preferred, None);
    assert_seeded(&read(&reader).await.expect("read"));
    assert_eq!(reader.tls_in_use(), Some(true));
    assert!(!session_cipher(&reader).await.is_empty());
    reader.close().await;

    // The shared server has no TLS: preferred reads it in plain.
    let shared = common::scratch().await;
    let mut settings = shared.settings();
    settings.tls = TlsMode::Preferred;
    let reader = FleetReader::new(settings).expect("reader");
    read(&reader)
        .await
        .expect("plain read of a server without TLS");
    assert_eq!(reader.tls_in_use(), Some(false));
    // Strict modes refuse that server.
    for mode in [TlsMode::Required, TlsMode::VerifyIdentity] {
        let mut settings = shared.settings();
        settings.tls = mode;
        let strict = FleetReader::new(settings).expect("reader");
        let err = read(&strict).await.expect_err("no TLS on the server");
        assert!(
            err.to_string()
                .contains("server does not have this capability"),
            "{mode}: {err}"
        );
    }
    reader.close().await;
}

#[tokio::test]
async fn preferred_decides_again_when_a_failover_lands_on_a_server_without_tls() {
    let f = fixture().await;
    // The same database name on the shared server (no TLS), with other rows.
    let shared = common::scratch().await;
    shared
        .exec(&host_sql("plain-host", 0, 999, 5, "active"))
        .await
        .expect("seed");
    f.server
        .exec(&format!(
            "CREATE DATABASE `{name}`; USE `{name}`; {schema} {process} {host}",
            name = shared.name(),
            schema = fleet_sql::SCHEMA_SQL,
            process = process_sql("tls-host", "monitor", &[]),
            host = host_sql("tls-host", 0, 999, 5, "active"),
        ))
        .await
        .expect("the database on the private server");

    let proxy = SwitchProxy::start(f.server.addr()).await;
    let mut settings = DbSettings::new(format!(
        "mysql://root@{}/{}?prefer_socket=false",
        proxy.addr,
        shared.name()
    ));
    settings.tls = TlsMode::Preferred;
    settings.connect_timeout = Duration::from_secs(2);
    let reader = FleetReader::new(settings).expect("reader");
    let before = read(&reader).await.expect("read the TLS server");
    assert_eq!(before.hosts.as_ref().expect("hosts")[0].host_id, "tls-host");
    assert_eq!(reader.tls_in_use(), Some(true));

    proxy.switch_to(common::server_addr());
    let mut failures = 0;
    let after = loop {
        match read(&reader).await {
            Ok(read) => break read,
            Err(e) => {
                failures += 1;
                assert!(failures <= 3, "still failing after {failures} reads: {e}");
            }
        }
    };
    assert_eq!(
        after.hosts.as_ref().expect("hosts")[0].host_id,
        "plain-host"
    );
    assert_eq!(reader.tls_in_use(), Some(false));
    reader.close().await;
}

#[tokio::test]
async fn a_ca_file_only_goes_with_verify_identity() {
    init_logs();
    let dir = TempDir::new("tls-ca");
    let certs = TestCertificates::generate(&dir.0).expect("certificates");
    let ca = CaFile::read(&certs.ca).expect("a CA file");
    assert_eq!(ca.certificates(), 1);
    for mode in [TlsMode::Disabled, TlsMode::Preferred, TlsMode::Required] {
        let mut settings = DbSettings::new("mysql://root@localhost/db");
        settings.tls = mode;
        settings.ca_file = Some(ca.clone());
        let err = FleetReader::new(settings).expect_err("ca_file without verify_identity");
        assert!(err.to_string().contains("ca_file"), "{err}");
    }
    let mut settings = DbSettings::new("mysql://root@localhost/db");
    settings.tls = TlsMode::VerifyIdentity;
    settings.ca_file = Some(ca);
    assert!(FleetReader::new(settings).is_ok());
}

/// A TCP proxy whose upstream can be switched; switching cuts every open
/// connection (as a failover does).
struct SwitchProxy {
    addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl SwitchProxy {
    async fn start(target: SocketAddr) -> SwitchProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let target = Arc::new(Mutex::new(target));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (t, c) = (target.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = *t.lock().expect("target");
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                c.lock().expect("connections").push(task.abort_handle());
            }
        });
        SwitchProxy {
            addr,
            target,
            connections,
            accept,
        }
    }

    fn switch_to(&self, target: SocketAddr) {
        *self.target.lock().expect("target") = target;
        for connection in self.connections.lock().expect("connections").drain(..) {
            connection.abort();
        }
    }
}

impl Drop for SwitchProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
