//! A TCP proxy in front of the database that a test controls: it can
//! forward, refuse new connections, cut every open connection, delay every
//! reply, or black-hole (accept and never answer). It counts the
//! connections it carries (open now, peak, total) and the MySQL commands
//! that go through it, so a test can tell how many statements *this* fleetd
//! sent — the shared server's own counters include everyone else's.
//!
//! - [`Mode::Forward`]: a plain proxy.
//! - [`Mode::Refuse`]: the listening socket is closed: connects are
//!   refused, as when the server is down. Connections already open are
//!   left alone; [`FaultProxy::cut_all`] drops them.
//! - [`Mode::Delay`]: every chunk from the server reaches the client that
//!   long after it arrived (the requests go through at once).
//! - [`Mode::BlackHole`]: new connections are accepted and never get a
//!   byte; open connections stop forwarding in both directions, for good
//!   (as with a hung server or a network that drops every packet). After a
//!   switch back to `Forward`, only new connections work.

#![allow(dead_code)] // each scenario uses a different subset

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Forward,
    Refuse,
    Delay(Duration),
    BlackHole,
}

/// MySQL commands seen from clients (first byte of a packet with sequence
/// number 0, i.e. the start of a command).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Commands {
    /// COM_QUERY (text protocol): session setup, `SELECT @@version`.
    pub query: u64,
    /// COM_QUERY whose text is a SELECT.
    pub query_select: u64,
    /// COM_STMT_PREPARE.
    pub prepare: u64,
    /// COM_STMT_EXECUTE: every section read and drift scan is one.
    pub execute: u64,
    /// COM_RESET_CONNECTION.
    pub reset: u64,
    /// COM_QUIT.
    pub quit: u64,
    /// Anything else (ping, statement close, ...).
    pub other: u64,
}

impl Commands {
    /// Statements that read data: prepared executions plus text SELECTs.
    pub fn selects(&self) -> u64 {
        self.execute + self.query_select
    }
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    open: AtomicUsize,
    peak_open: AtomicUsize,
    query: AtomicU64,
    query_select: AtomicU64,
    prepare: AtomicU64,
    execute: AtomicU64,
    reset: AtomicU64,
    quit: AtomicU64,
    other: AtomicU64,
}

struct Shared {
    upstream: SocketAddr,
    mode: Mutex<Mode>,
    counters: Counters,
    connections: Mutex<Vec<Connection>>,
}

struct Connection {
    task: AbortHandle,
    /// Set when the connection is black-holed: it never forwards again.
    dead: Arc<AtomicBool>,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("mode", &self.mode())
            .field("open", &self.open_connections())
            .finish_non_exhaustive()
    }
}

impl FaultProxy {
    /// A forwarding proxy to `upstream` on a free loopback port.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            upstream,
            mode: Mutex::new(Mode::Forward),
            counters: Counters::default(),
            connections: Mutex::new(Vec::new()),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        FaultProxy {
            addr,
            shared,
            accept: Mutex::new(Some(accept)),
        }
    }

    /// A proxy that starts in `Refuse` mode (nothing listens on `addr` yet).
    pub async fn start_refusing(upstream: SocketAddr) -> FaultProxy {
        let proxy = FaultProxy::start(upstream).await;
        proxy.set_mode(Mode::Refuse).await;
        proxy
    }

    pub fn mode(&self) -> Mode {
        *lock(&self.shared.mode)
    }

    /// Switches the fault. Leaving `Refuse` listens again on the same port;
    /// entering `BlackHole` freezes every open connection.
    pub async fn set_mode(&self, mode: Mode) {
        let old = std::mem::replace(&mut *lock(&self.shared.mode), mode);
        if mode == Mode::Refuse && old != Mode::Refuse {
            let accept = lock(&self.accept).take();
            if let Some(accept) = accept {
                accept.abort();
                // Dropping the listener happens when the aborted task is
                // dropped; wait for it so that connects are refused from
                // the moment this returns.
                let _ = accept.await;
            }
        } else if mode != Mode::Refuse && old == Mode::Refuse {
            let listener = rebind(self.addr).await;
            *lock(&self.accept) = Some(tokio::spawn(accept_loop(listener, self.shared.clone())));
        }
        if mode == Mode::BlackHole {
            for connection in lock(&self.shared.connections).iter() {
                connection.dead.store(true, Ordering::SeqCst);
            }
        }
    }

    /// Drops every open connection (both sides see the socket close), as
    /// when the server process dies.
    pub fn cut_all(&self) {
        for connection in lock(&self.shared.connections).drain(..) {
            connection.task.abort();
        }
    }

    /// Connections whose client side is still open.
    pub fn open_connections(&self) -> usize {
        self.shared.counters.open.load(Ordering::SeqCst)
    }

    /// The most connections open at once so far.
    pub fn peak_open_connections(&self) -> usize {
        self.shared.counters.peak_open.load(Ordering::SeqCst)
    }

    /// Resets the peak to the current number of open connections.
    pub fn reset_peak(&self) {
        let open = self.open_connections();
        self.shared.counters.peak_open.store(open, Ordering::SeqCst);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.shared.counters.accepted.load(Ordering::SeqCst)
    }

    pub fn commands(&self) -> Commands {
        let c = &self.shared.counters;
        let get = |n: &AtomicU64| n.load(Ordering::SeqCst);
        Commands {
            query: get(&c.query),
            query_select: get(&c.query_select),
            prepare: get(&c.prepare),
            execute: get(&c.execute),
            reset: get(&c.reset),
            quit: get(&c.quit),
            other: get(&c.other),
        }
    }

    /// `url` (a mysql:// URL) pointed at this proxy, TCP only.
    pub fn url_for(&self, url: &str) -> String {
        proxied_url(url, self.addr)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(accept) = lock(&self.accept).take() {
            accept.abort();
        }
        self.cut_all();
    }
}

/// `url` with its host:port replaced by `addr` and `prefer_socket=false`
/// (mysql_async would otherwise switch a loopback TCP connection to the
/// server's Unix socket, around the proxy).
pub fn proxied_url(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let userinfo = authority.rfind('@').map_or("", |at| &authority[..=at]);
    let tail = &rest[authority_end..];
    let separator = if tail.contains('?') { '&' } else { '?' };
    format!("{scheme}://{userinfo}{addr}{tail}{separator}prefer_socket=false")
}

/// The `host:port` of a mysql:// URL as a socket address (`localhost` is
/// 127.0.0.1).
pub fn upstream_of(url: &str) -> SocketAddr {
    let (_, rest) = url.split_once("://").expect("a URL");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:3306")
    };
    let host_port = host_port.replace("localhost", "127.0.0.1");
    std::net::ToSocketAddrs::to_socket_addrs(&host_port)
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("cannot resolve the database address {host_port}"))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn rebind(addr: SocketAddr) -> TcpListener {
    // Tokio sets SO_REUSEADDR, so the port is free again at once; retry in
    // case another socket grabbed it for a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match TcpListener::bind(addr).await {
            Ok(listener) => return listener,
            Err(err) if Instant::now() < deadline => {
                eprintln!("fault proxy: rebinding {addr}: {err}; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => panic!("fault proxy: cannot listen on {addr} again: {err}"),
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((client, _)) = listener.accept().await {
        let _ = client.set_nodelay(true);
        let counters = &shared.counters;
        counters.accepted.fetch_add(1, Ordering::SeqCst);
        let open = counters.open.fetch_add(1, Ordering::SeqCst) + 1;
        counters.peak_open.fetch_max(open, Ordering::SeqCst);
        let dead = Arc::new(AtomicBool::new(*lock(&shared.mode) == Mode::BlackHole));
        let guard = OpenGuard(shared.clone());
        let task = tokio::spawn(serve(client, shared.clone(), dead.clone(), guard));
        let mut connections = lock(&shared.connections);
        connections.retain(|c| !c.task.is_finished());
        connections.push(Connection {
            task: task.abort_handle(),
            dead,
        });
    }
}

/// Counts a connection as open until its task ends or is aborted.
struct OpenGuard(Arc<Shared>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.counters.open.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve(client: TcpStream, shared: Arc<Shared>, dead: Arc<AtomicBool>, _guard: OpenGuard) {
    if dead.load(Ordering::SeqCst) {
        // Accepted while black-holed: never a byte, until the client goes.
        hold(client).await;
        return;
    }
    let Ok(server) = TcpStream::connect(shared.upstream).await else {
        return;
    };
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let mut up = tokio::spawn(client_to_server(
        client_read,
        server_write,
        shared.clone(),
        dead.clone(),
    ));
    let mut down = tokio::spawn(server_to_client(server_read, client_write, shared, dead));
    // Aborting this task (cut_all) drops the handles below but not the
    // tasks: abort them explicitly.
    struct AbortOnDrop(AbortHandle, AbortHandle);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
            self.1.abort();
        }
    }
    let _abort = AbortOnDrop(up.abort_handle(), down.abort_handle());
    // The connection ends when the client closes it (fleetd let go of it)
    // or the server does.
    tokio::select! {
        _ = &mut up => {}
        _ = &mut down => {}
    }
}

async fn client_to_server(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    shared: Arc<Shared>,
    dead: Arc<AtomicBool>,
) {
    let mut parser = PacketParser::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if *lock(&shared.mode) == Mode::BlackHole {
            dead.store(true, Ordering::SeqCst);
        }
        if dead.load(Ordering::SeqCst) {
            // Swallowed; the socket stays open until the client closes it.
            continue;
        }
        parser.feed(&buf[..n], &shared.counters);
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

async fn server_to_client(
    mut from: OwnedReadHalf,
    to: OwnedWriteHalf,
    shared: Arc<Shared>,
    dead: Arc<AtomicBool>,
) {
    // Chunks travel with their arrival time; the writer holds each back
    // until arrival + the delay in force when it arrived.
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        let mut to = to;
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
    });
    struct AbortOnDrop(AbortHandle);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _writer = AbortOnDrop(writer.abort_handle());
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mode = *lock(&shared.mode);
        if mode == Mode::BlackHole {
            dead.store(true, Ordering::SeqCst);
        }
        if dead.load(Ordering::SeqCst) {
            continue;
        }
        let delay = match mode {
            Mode::Delay(delay) => delay,
            _ => Duration::ZERO,
        };
        if tx
            .send((Instant::now() + delay, buf[..n].to_vec()))
            .is_err()
        {
            break;
        }
    }
    // The server closed: deliver what is queued, then close the client.
    drop(tx);
    let _ = writer.await;
}

/// Keeps a socket open without ever answering, until the peer closes it.
async fn hold(mut socket: TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = socket.read(&mut buf).await {
        if n == 0 {
            return;
        }
    }
}

/// Splits the client→server byte stream into MySQL packets (3-byte
/// length, 1-byte sequence number, payload) and counts commands.
#[derive(Default)]
struct PacketParser {
    header: Vec<u8>,
    /// Bytes of the current payload still to skip.
    remaining: usize,
    /// Payload bytes of the current command captured so far (its start).
    head: Vec<u8>,
    capture: bool,
}

impl PacketParser {
    const HEAD_BYTES: usize = 64;

    fn feed(&mut self, mut bytes: &[u8], counters: &Counters) {
        while !bytes.is_empty() {
            if self.remaining == 0 {
                let need = 4 - self.header.len();
                let take = need.min(bytes.len());
                self.header.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if self.header.len() < 4 {
                    return;
                }
                let len = usize::from(self.header[0])
                    | usize::from(self.header[1]) << 8
                    | usize::from(self.header[2]) << 16;
                let sequence = self.header[3];
                self.header.clear();
                self.remaining = len;
                self.capture = sequence == 0 && len > 0;
                self.head.clear();
                if len == 0 {
                    continue;
                }
            }
            let take = self.remaining.min(bytes.len());
            if self.capture && self.head.len() < Self::HEAD_BYTES {
                let room = Self::HEAD_BYTES - self.head.len();
                self.head.extend_from_slice(&bytes[..take.min(room)]);
            }
            self.remaining -= take;
            bytes = &bytes[take..];
            if self.remaining == 0 && self.capture {
                self.count(counters);
            }
        }
    }

    fn count(&self, c: &Counters) {
        let Some((&command, text)) = self.head.split_first() else {
            return;
        };
        let counter = match command {
            0x03 => {
                let text = String::from_utf8_lossy(text)
                    .trim_start()
                    .to_ascii_uppercase();
                if text.starts_with("SELECT") || text.contains(" FOR SELECT") {
                    c.query_select.fetch_add(1, Ordering::SeqCst);
                }
                &c.query
            }
            0x16 => &c.prepare,
            0x17 => &c.execute,
            0x1f => &c.reset,
            0x01 => &c.quit,
            _ => &c.other,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}
