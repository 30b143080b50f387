//! Issue 15, item 6: corrupted bytes from the server, and TLS.
//!
//! The MySQL protocol has no integrity check: a byte flipped between the
//! server and fleetd reaches the reader as data. With `database.tls`, every
//! record is authenticated, so a flipped byte breaks the connection (an
//! error, a section "could not be read") and never becomes a value.
//!
//! Both run against a private `mariadbd` with a certificate the test makes
//! (fleet_sql::testing::PrivateServer): the shared server has no TLS and is
//! never reconfigured.

use crate::helpers::{self, SEED_SQL};
use crate::support::{ms, record};
use fleet_core::Thresholds;
use fleet_sql::testing::{PrivateServer, ScratchDb, TestCertificates};
use fleet_sql::{CaFile, DbSettings, FleetRead, FleetReader, TlsMode};
use reqwest::StatusCode;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct TlsDatabase {
    db: ScratchDb,
    certs: TestCertificates,
    server: PrivateServer,
    _certs_dir: tempfile::TempDir,
}

/// A private TLS server with the API tests' seeded fleet on it.
async fn tls_database() -> TlsDatabase {
    let certs_dir = tempfile::tempdir().expect("temp dir");
    let certs = TestCertificates::generate(certs_dir.path()).expect("certificates (openssl)");
    let server = PrivateServer::start(Path::new(env!("CARGO_TARGET_TMPDIR")), Some(&certs))
        .await
        .expect("a private mariadbd");
    let db = ScratchDb::create_at(&server.admin_url(), true)
        .await
        .expect("scratch database on the private server");
    db.exec(SEED_SQL).await.expect("seed");
    TlsDatabase {
        db,
        certs,
        server,
        _certs_dir: certs_dir,
    }
}

impl TlsDatabase {
    /// The database over TCP to `host:port`, never switched to a socket.
    fn url(&self, host: &str, port: u16) -> String {
        format!(
            "mysql://root@{host}:{port}/{}?prefer_socket=false",
            self.db.name()
        )
    }
}

#[tokio::test]
async fn fleetd_reads_the_fleet_over_a_verified_tls_connection() {
    let tls = tls_database().await;
    let url = tls.url("localhost", tls.server.port());
    let config = format!(
        "[database]\nurl = {url:?}\ntls = \"verify_identity\"\nca_file = {:?}\n",
        tls.certs.ca.display().to_string()
    );
    let loaded = fleetd::settings::Settings::from_toml_str(&config).expect("TLS configuration");
    let started = Instant::now();
    let app = helpers::spawn_app_on(&url, |settings| settings.database = loaded.database).await;
    let response = app.get("/api/fleet").await;
    let first = started.elapsed();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("json");
    let text = body.to_string();
    assert!(!text.contains("could not be read"), "{text}");
    assert!(text.contains("mon-a"), "the seeded hosts are there: {text}");

    // The same reads, timed: TLS (verified) against plain, same server.
    let timing = |mode: TlsMode| {
        let mut settings = DbSettings::new(tls.url("localhost", tls.server.port()));
        settings.tls = mode;
        if mode == TlsMode::VerifyIdentity {
            settings.ca_file = Some(CaFile::read(&tls.certs.ca).expect("CA"));
        }
        async move {
            let reader = FleetReader::new(settings).expect("reader");
            let started = Instant::now();
            reader
                .read_fleet(&Thresholds::default())
                .await
                .expect("first read");
            let connect = started.elapsed();
            let started = Instant::now();
            for _ in 0..20 {
                reader
                    .read_fleet(&Thresholds::default())
                    .await
                    .expect("read");
            }
            let steady = started.elapsed() / 20;
            assert_eq!(reader.tls_in_use(), Some(mode != TlsMode::Disabled));
            reader.close().await;
            (connect, steady)
        }
    };
    let (tls_first, tls_steady) = timing(TlsMode::VerifyIdentity).await;
    let (plain_first, plain_steady) = timing(TlsMode::Disabled).await;
    record(
        "tls",
        "private MariaDB 10.11 with a test CA's certificate for `localhost`; `tls = \
         \"verify_identity\"`, `ca_file` = that CA",
        "/api/fleet 200 with every section read over verified TLS; the cost of TLS is in \
         opening connections (handshakes), which the pool keeps open",
        &[
            ("first /api/fleet", ms(first)),
            (
                "first read (connects)",
                format!("TLS {} vs plain {}", ms(tls_first), ms(plain_first)),
            ),
            (
                "pooled read, mean of 20",
                format!(
                    "TLS {:.1} ms vs plain {:.1} ms",
                    tls_steady.as_secs_f64() * 1e3,
                    plain_steady.as_secs_f64() * 1e3
                ),
            ),
        ],
    );
}

/// What one read through the flipping proxy gave.
#[derive(Debug, Default, Clone, Copy)]
struct Outcomes {
    /// Every section read and equal to the reference.
    correct: u32,
    /// At least one section read without error but different from the
    /// reference: a flipped byte became data.
    corrupted: u32,
    /// No corrupted section, at least one failure (the read failed, or a
    /// section was unreadable).
    failed: u32,
    /// The driver panicked (contained here by the task).
    panicked: u32,
    /// The flip did not happen (the offset was past every connection's end).
    not_flipped: u32,
}

impl Outcomes {
    fn add(&mut self, other: Outcomes) {
        self.correct += other.correct;
        self.corrupted += other.corrupted;
        self.failed += other.failed;
        self.panicked += other.panicked;
        self.not_flipped += other.not_flipped;
    }

    fn total(&self) -> u32 {
        self.correct + self.corrupted + self.failed + self.panicked + self.not_flipped
    }

    fn text(&self) -> String {
        format!(
            "{} correct, {} corrupted, {} failed, {} driver panics, {} flips past the end",
            self.correct, self.corrupted, self.failed, self.panicked, self.not_flipped
        )
    }
}

/// The parts of a read that come from the tables (not the clock).
fn data(read: &FleetRead) -> String {
    format!("{:?} {:?} {:?}", read.processes, read.hosts, read.delivery)
}

/// Where `got` first differs from `expected`, with some context.
fn difference(expected: &str, got: &str) -> String {
    let (expected, got): (Vec<char>, Vec<char>) =
        (expected.chars().collect(), got.chars().collect());
    let at = expected
        .iter()
        .zip(&got)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(got.len()));
    let context = |text: &[char]| {
        let start = at.saturating_sub(40).min(text.len());
        let end = (at + 40).min(text.len());
        text[start..end].iter().collect::<String>()
    };
    format!("expected …{}… got …{}…", context(&expected), context(&got))
}

fn classify(read: &FleetRead, reference: &FleetRead) -> Outcomes {
    let mut corrupted = read.processes != reference.processes;
    let mut failed = false;
    match (&read.hosts, &reference.hosts) {
        (Ok(hosts), Ok(expected)) => corrupted |= hosts != expected,
        _ => failed = true,
    }
    for (table, expected) in read.delivery.iter().zip(&reference.delivery) {
        match (&table.counts, &expected.counts) {
            (Ok(counts), Ok(expected)) => corrupted |= counts != expected,
            _ => failed = true,
        }
    }
    if corrupted {
        Outcomes {
            corrupted: 1,
            ..Outcomes::default()
        }
    } else if failed {
        Outcomes {
            failed: 1,
            ..Outcomes::default()
        }
    } else {
        Outcomes {
            correct: 1,
            ..Outcomes::default()
        }
    }
}

/// Settings for the sweep: short limits, so that a flip that leaves the
/// client waiting for bytes that never come costs little.
fn sweep_settings(tls: &TlsDatabase, addr: SocketAddr, mode: TlsMode) -> DbSettings {
    let mut settings = DbSettings::new(tls.url("127.0.0.1", addr.port()));
    settings.tls = mode;
    settings.connect_timeout = Duration::from_millis(800);
    settings.statement_timeout = Duration::from_millis(200);
    settings
}

/// One read through `proxy` with a byte flipped at `offset` of every
/// connection's server-to-client stream.
async fn flipped_read(
    tls: &TlsDatabase,
    proxy: &FlipProxy,
    mode: TlsMode,
    offset: u64,
    reference: &FleetRead,
) -> (Outcomes, Option<String>) {
    proxy.flip_at(offset);
    let flips_before = proxy.flips();
    let reader = FleetReader::new(sweep_settings(tls, proxy.addr, mode)).expect("reader");
    let task = {
        let reader = reader.clone();
        tokio::spawn(async move {
            tokio::time::timeout(
                Duration::from_secs(10),
                reader.read_fleet(&Thresholds::default()),
            )
            .await
        })
    };
    let outcome = match task.await {
        Err(join) if join.is_panic() => (
            Outcomes {
                panicked: 1,
                ..Outcomes::default()
            },
            None,
        ),
        Ok(Ok(Ok(read))) => {
            let outcome = classify(&read, reference);
            let example =
                (outcome.corrupted > 0).then(|| difference(&data(reference), &data(&read)));
            (outcome, example)
        }
        _ => (
            Outcomes {
                failed: 1,
                ..Outcomes::default()
            },
            None,
        ),
    };
    // A connection that saw a flip may never close cleanly: don't wait.
    tokio::spawn(tokio::time::timeout(Duration::from_secs(2), reader.close()));
    if proxy.flips() == flips_before {
        return (
            Outcomes {
                not_flipped: 1,
                ..Outcomes::default()
            },
            None,
        );
    }
    (outcome.0, outcome.1)
}

/// Flips one byte at each of `count` offsets spread over the first
/// `length` bytes of every connection, `workers` reads at a time (one proxy
/// each).
async fn sweep(
    tls: Arc<TlsDatabase>,
    mode: TlsMode,
    length: u64,
    count: u64,
    workers: u64,
    reference: Arc<FleetRead>,
) -> (Outcomes, Vec<String>) {
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let tls = tls.clone();
        let reference = reference.clone();
        tasks.push(tokio::spawn(async move {
            let proxy = FlipProxy::start(tls.server.addr()).await;
            let mut outcomes = Outcomes::default();
            let mut examples = Vec::new();
            let mut i = worker;
            while i < count {
                let offset = i * length / count;
                let (outcome, example) = flipped_read(&tls, &proxy, mode, offset, &reference).await;
                outcomes.add(outcome);
                examples.extend(example.map(|e| format!("offset {offset}: {e}")));
                i += workers;
            }
            (outcomes, examples)
        }));
    }
    let mut outcomes = Outcomes::default();
    let mut examples = Vec::new();
    for task in tasks {
        let (o, e) = task.await.expect("sweep worker");
        outcomes.add(o);
        examples.extend(e);
    }
    (outcomes, examples)
}

/// A clean read through a non-flipping proxy: the reference data and the
/// longest server-to-client stream of one connection.
async fn reference_read(tls: &TlsDatabase, mode: TlsMode) -> (FleetRead, u64) {
    let proxy = FlipProxy::start(tls.server.addr()).await;
    let reader = FleetReader::new(sweep_settings(tls, proxy.addr, mode)).expect("reader");
    let read = reader
        .read_fleet(&Thresholds::default())
        .await
        .expect("a clean read through the proxy");
    reader.close().await;
    (read, proxy.longest_stream())
}

#[tokio::test]
async fn a_flipped_server_byte_becomes_data_in_plain_but_only_an_error_over_tls() {
    const OFFSETS: u64 = 120;
    const WORKERS: u64 = 8;
    let tls = Arc::new(tls_database().await);
    let started = Instant::now();

    let (reference, plain_length) = reference_read(&tls, TlsMode::Disabled).await;
    let (tls_reference, tls_length) = reference_read(&tls, TlsMode::Required).await;
    assert_eq!(
        data(&reference),
        data(&tls_reference),
        "the same data either way"
    );
    let reference = Arc::new(reference);

    let plain_started = Instant::now();
    let (plain, plain_examples) = sweep(
        tls.clone(),
        TlsMode::Disabled,
        plain_length,
        OFFSETS,
        WORKERS,
        reference.clone(),
    )
    .await;
    let plain_took = plain_started.elapsed();
    let tls_started = Instant::now();
    let (over_tls, tls_examples) = sweep(
        tls.clone(),
        TlsMode::Required,
        tls_length,
        OFFSETS,
        WORKERS,
        reference,
    )
    .await;
    let tls_took = tls_started.elapsed();
    eprintln!("plain: {}; TLS: {}", plain.text(), over_tls.text());
    for example in plain_examples.iter().take(3) {
        eprintln!("plain corrupted read, {example}");
    }

    // The proxy does corrupt data in plain (else the TLS result means nothing).
    assert!(
        plain.corrupted > 0,
        "no flip reached the data in plain: {}",
        plain.text()
    );
    // Over TLS, no flip ever becomes data, and flips do break reads.
    assert_eq!(
        over_tls.corrupted,
        0,
        "corrupted data over TLS: {}\n{}",
        over_tls.text(),
        tls_examples.join("\n")
    );
    assert_eq!(over_tls.panicked, 0, "{}", over_tls.text());
    assert!(over_tls.failed > 0, "{}", over_tls.text());
    assert_eq!(over_tls.total(), OFFSETS as u32);

    record(
        "corrupted_bytes",
        &format!(
            "a proxy flips one bit of one byte at a fixed offset of every connection's \
             server-to-client stream; {OFFSETS} offsets spread over the stream, a fresh reader each, \
             plain (`tls = \"disabled\"`) then TLS (`tls = \"required\"`)"
        ),
        "plain: some flips come out as wrong values (a section read \"successfully\" with other \
         data), others as errors or driver panics; TLS: every flip is an error (section \
         unreadable or build failed), never a value, never a panic",
        &[
            ("plain", plain.text()),
            ("TLS", over_tls.text()),
            (
                "stream length swept",
                format!("plain {plain_length} B, TLS {tls_length} B"),
            ),
            (
                "time",
                format!(
                    "plain sweep {}, TLS sweep {}, whole test {}",
                    ms(plain_took),
                    ms(tls_took),
                    ms(started.elapsed())
                ),
            ),
        ],
    );
}

/// A TCP proxy that flips one bit of the byte at a set offset of each
/// connection's server-to-client stream (the offset in force when the
/// connection was accepted; `u64::MAX` flips nothing).
struct FlipProxy {
    addr: SocketAddr,
    offset: Arc<AtomicU64>,
    flips: Arc<AtomicU64>,
    longest: Arc<AtomicU64>,
    accept: tokio::task::JoinHandle<()>,
}

impl FlipProxy {
    async fn start(upstream: SocketAddr) -> FlipProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let offset = Arc::new(AtomicU64::new(u64::MAX));
        let flips = Arc::new(AtomicU64::new(0));
        let longest = Arc::new(AtomicU64::new(0));
        let (o, f, l) = (offset.clone(), flips.clone(), longest.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let at = o.load(Ordering::SeqCst);
                let (flips, longest) = (f.clone(), l.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let up = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                        let _ = server_write.shutdown().await;
                    });
                    let mut position = 0u64;
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match server_read.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let end = position + n as u64;
                        if (position..end).contains(&at) {
                            let i = (at - position) as usize;
                            buf[i] ^= 1 << (at % 8);
                            flips.fetch_add(1, Ordering::SeqCst);
                        }
                        position = end;
                        longest.fetch_max(position, Ordering::SeqCst);
                        if client_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = client_write.shutdown().await;
                    up.abort();
                });
            }
        });
        FlipProxy {
            addr,
            offset,
            flips,
            longest,
            accept,
        }
    }

    fn flip_at(&self, offset: u64) {
        self.offset.store(offset, Ordering::SeqCst);
    }

    fn flips(&self) -> u64 {
        self.flips.load(Ordering::SeqCst)
    }

    fn longest_stream(&self) -> u64 {
        self.longest.load(Ordering::SeqCst)
    }
}

impl Drop for FlipProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
