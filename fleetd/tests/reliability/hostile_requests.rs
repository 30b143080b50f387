//! Item 3, requests: fuzzing of the query-string filter and the process-id
//! path segment (proptest; `FLEETD_FUZZ_CASES` sets the number of cases),
//! oversized heads and URLs, and clients too slow to finish their request.

use crate::helpers::{spawn_app, TestApp};
use crate::support::{ms, record};
use fleetd::page::{FilterError, ProcessFilter, StatusFilter};
use fleetd::startup::CLIENT_REQUEST_TIMEOUT;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The scenario name for the figures: `<name>_long` for a run with
/// `FLEETD_FUZZ_CASES` set, so that it does not overwrite the CI run's.
fn scenario(name: &str) -> String {
    if std::env::var_os("FLEETD_FUZZ_CASES").is_some() {
        format!("{name}_long")
    } else {
        name.to_owned()
    }
}

/// Cases per property: `FLEETD_FUZZ_CASES`, or `default` (the CI run).
fn cases(default: u32) -> u32 {
    std::env::var("FLEETD_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(default_cases: u32) -> Config {
    Config {
        cases: cases(default_cases),
        // Failures are reported with their minimal input; no files in the tree.
        failure_persistence: None,
        ..Config::default()
    }
}

/// A runner with a fixed seed (CI runs are repeatable), or a random one
/// with `FLEETD_FUZZ_RANDOM=1` (the long runs, to explore).
fn fuzz_runner(default_cases: u32) -> TestRunner {
    if std::env::var_os("FLEETD_FUZZ_RANDOM").is_some() {
        TestRunner::new(config(default_cases))
    } else {
        TestRunner::new_with_rng(
            config(default_cases),
            TestRng::deterministic_rng(RngAlgorithm::ChaCha),
        )
    }
}

/// Query strings made of the characters that matter to the parser, plus
/// anything.
fn query_strategy() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("status".to_owned()),
        Just("type".to_owned()),
        Just("host".to_owned()),
        Just("=".to_owned()),
        Just("&".to_owned()),
        Just("%".to_owned()),
        Just("+".to_owned()),
        Just("%2".to_owned()),
        Just("%zz".to_owned()),
        Just("%C3%28".to_owned()),
        Just("red".to_owned()),
        Just("stale".to_owned()),
        "[a-zA-Z0-9%+=&;#._~-]{0,8}",
        any::<String>(),
        "%[0-9A-Fa-f]{2}",
    ];
    proptest::collection::vec(pieces, 0..12).prop_map(|p| p.concat())
}

fn filter_strategy() -> impl Strategy<Value = ProcessFilter> {
    (
        proptest::option::of(proptest::sample::select(StatusFilter::ALL.to_vec())),
        proptest::option::of(any::<String>().prop_filter("non-empty", |s| !s.is_empty())),
        proptest::option::of(any::<String>().prop_filter("non-empty", |s| !s.is_empty())),
    )
        .prop_map(|(status, process_type, host)| ProcessFilter {
            status,
            process_type,
            host,
        })
}

#[test]
fn fuzzed_query_strings_parse_to_a_filter_or_an_error_naming_the_parameter_never_a_panic() {
    let started = Instant::now();
    let (ok, err) = (AtomicU64::new(0), AtomicU64::new(0));
    let mut runner = fuzz_runner(1500);
    runner
        .run(&query_strategy(), |query| {
            match ProcessFilter::from_query(&query) {
                Ok(filter) => {
                    ok.fetch_add(1, Ordering::Relaxed);
                    // What the page links to parses back to the same filter.
                    prop_assert_eq!(ProcessFilter::from_query(&filter.to_query()), Ok(filter));
                }
                Err(error) => {
                    err.fetch_add(1, Ordering::Relaxed);
                    let text = error.to_string();
                    prop_assert!(text.contains(error.parameter()), "{}", text);
                    // Truncated to 80 characters plus an ellipsis.
                    prop_assert!(error.value().chars().count() <= 81);
                    if let FilterError::InvalidValue { parameter, .. } = &error {
                        prop_assert_eq!(*parameter, "status");
                    }
                }
            }
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
    let mut runner = fuzz_runner(1500);
    runner
        .run(&filter_strategy(), |filter| {
            prop_assert_eq!(ProcessFilter::from_query(&filter.to_query()), Ok(filter));
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
    record(
        &scenario("fuzz_filter_query"),
        "proptest: random query strings built from `status`/`type`/`host`, `=`, `&`, `%`, `+`, broken escapes, \
         invalid UTF-8 escapes, any Unicode; and random filters",
        "every string parses to a filter or to an error naming the parameter (value truncated to 80 chars); \
         filters round-trip through to_query",
        &[
            ("cases", format!("{} + {}", ok.load(Ordering::Relaxed) + err.load(Ordering::Relaxed), cases(1500))),
            ("parsed / rejected", format!("{} / {}", ok.load(Ordering::Relaxed), err.load(Ordering::Relaxed))),
            ("took", ms(started.elapsed())),
        ],
    );
}

/// One raw HTTP/1.1 request with `target` sent byte for byte; returns the
/// status code (`None` if the server closed without an answer).
async fn raw_status(port: u16, head: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    // A server may answer and close before the whole head is written.
    let _ = stream.write_all(head).await;
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                response.extend_from_slice(&buf[..n]);
                if response.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => panic!("no answer within 10 s"),
        }
    }
    let line = response.split(|b| *b == b'\r').next()?;
    std::str::from_utf8(line)
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

fn get(target: &[u8]) -> Vec<u8> {
    let mut head = b"GET ".to_vec();
    head.extend_from_slice(target);
    head.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    head
}

fn percent_encode_all(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

#[test]
fn fuzzed_process_ids_and_query_strings_through_the_server_get_200_400_or_404_never_5xx() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let app: TestApp = runtime.block_on(spawn_app());
    let port = app.port;
    let started = Instant::now();
    let statuses = Arc::new(std::sync::Mutex::new(
        std::collections::BTreeMap::<u16, u64>::new(),
    ));
    let count = |status: u16| *statuses.lock().expect("lock").entry(status).or_default() += 1;

    // Process ids: random bytes, every byte percent-encoded, or raw when
    // they are plain URL characters.
    let id_strategy = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..96).prop_map(|b| percent_encode_all(&b)),
        "[a-zA-Z0-9:@._~!$&'()*+,;=-]{0,64}",
        "(%[0-9A-Fa-f]{2}|[a-z.:]|%2[fF]|\\.\\.|%00){0,24}",
    ];
    let mut runner = fuzz_runner(300);
    runner
        .run(&id_strategy, |id| {
            let status = runtime
                .block_on(raw_status(
                    port,
                    &get(format!("/fleet/process/{id}").as_bytes()),
                ))
                .unwrap_or(0);
            count(status);
            prop_assert!(matches!(status, 200 | 400 | 404), "{} for {:?}", status, id);
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));

    // Query strings through the server, any bytes percent-encoded or raw
    // URL characters.
    let query_strategy = prop_oneof![
        query_strategy().prop_map(|q| {
            q.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"=&%+;._~-".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        }),
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| format!("host={}", percent_encode_all(&b))),
    ];
    let mut runner = fuzz_runner(300);
    runner
        .run(&query_strategy, |query| {
            let status = runtime
                .block_on(raw_status(port, &get(format!("/fleet?{query}").as_bytes())))
                .unwrap_or(0);
            count(status);
            prop_assert!(matches!(status, 200 | 400), "{} for {:?}", status, query);
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));

    // Raw bytes in the request target: the server answers 400 (or closes),
    // never 5xx, and keeps serving.
    let mut runner = fuzz_runner(200);
    runner
        .run(&proptest::collection::vec(any::<u8>(), 1..64), |target| {
            let mut raw = b"/fleet/process/".to_vec();
            raw.extend_from_slice(&target);
            let status = runtime.block_on(raw_status(port, &get(&raw))).unwrap_or(0);
            count(status);
            prop_assert!(status < 500, "{} for {:?}", status, target);
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));

    let health = runtime.block_on(raw_status(port, &get(b"/healthz")));
    assert_eq!(health, Some(200), "the server is fine afterwards");
    let stats = statuses.lock().expect("lock").clone();
    let total: u64 = stats.values().sum();
    record(
        &scenario("fuzz_through_server"),
        "proptest through the real server: random bytes as a percent-encoded process id, raw URL characters, \
         `%2F`/`..`/`%00`; random query strings on /fleet; raw non-URL bytes in the request target",
        "process pages 200/404 (400 for malformed), /fleet 200/400; raw bytes 400 or connection closed; never 5xx",
        &[
            ("requests", total.to_string()),
            (
                "answers",
                stats
                    .iter()
                    .map(|(s, n)| if *s == 0 { format!("closed×{n}") } else { format!("{s}×{n}") })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            ("took", ms(started.elapsed())),
        ],
    );
    drop(app);
    runtime.shutdown_timeout(Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_and_urls_are_refused_with_4xx_and_the_server_carries_on() {
    let app = spawn_app().await;
    let port = app.port;
    let long = |n: usize| "a".repeat(n);
    let mut outcomes = Vec::new();
    // actix-http reads a request head into a buffer of at most 128 KiB and
    // takes at most 96 headers: a head within that is an ordinary request
    // (a 16 KiB filter value is valid and simply matches nothing).
    let header = |name: &str, size: usize| {
        format!(
            "GET /fleet HTTP/1.1\r\nHost: x\r\n{name}: {}\r\n\r\n",
            long(size)
        )
        .into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>, &[u16])> = vec![
        (
            "URL 16 KiB",
            get(format!("/fleet?host={}", long(16 * 1024)).as_bytes()),
            &[200],
        ),
        (
            "URL 64 KiB",
            get(format!("/fleet/process/{}", long(64 * 1024)).as_bytes()),
            &[400, 414, 431],
        ),
        (
            "URL 1 MiB",
            get(format!("/fleet?{}", long(1024 * 1024)).as_bytes()),
            &[414, 431],
        ),
        ("header 64 KiB", header("X-Big", 64 * 1024), &[200]),
        ("header 200 KiB", header("X-Big", 200 * 1024), &[431]),
        ("cookie 1 MiB", header("Cookie", 1024 * 1024), &[431]),
        (
            "200 headers",
            format!(
                "GET /fleet HTTP/1.1\r\nHost: x\r\n{}\r\n",
                (0..200)
                    .map(|i| format!("X-H{i}: v\r\n"))
                    .collect::<String>()
            )
            .into_bytes(),
            &[431],
        ),
    ];
    for (what, head, expected) in cases {
        let started = Instant::now();
        let status = raw_status(port, &head).await;
        let took = started.elapsed();
        assert!(
            status.is_some_and(|s| expected.contains(&s)),
            "{what}: {status:?}, expected one of {expected:?}"
        );
        assert!(took < Duration::from_secs(5), "{what} took {took:?}");
        assert_eq!(app.get("/healthz").await.status(), reqwest::StatusCode::OK);
        outcomes.push(format!(
            "{what} → {} in {}",
            status.map_or("closed".to_owned(), |s| s.to_string()),
            ms(took)
        ));
    }
    assert_eq!(
        app.get("/api/fleet").await.status(),
        reqwest::StatusCode::OK
    );
    record(
        "oversized_requests",
        "request heads with a 16 KiB / 64 KiB / 1 MiB URL, a 64 KiB and a 200 KiB header, a 1 MiB cookie, 200 headers",
        "heads within actix's 128 KiB / 96-header limits served; larger ones refused at once (400/431); \
         the server keeps serving",
        &[("answers", outcomes.join(", "))],
    );
}

/// Sends `head` one byte every `pace`, never finishing the request; returns
/// how long until the server answered or closed, and the status.
async fn trickle(port: u16, head: &'static [u8], pace: Duration) -> (Duration, Option<u16>) {
    let started = Instant::now();
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (mut read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        for byte in head.iter().cycle() {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(pace).await;
        }
        // Nothing to send: stay connected and silent (dropping the write
        // half would send FIN).
        std::future::pending::<()>().await;
        drop(write);
    });
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = CLIENT_REQUEST_TIMEOUT + Duration::from_secs(10);
    loop {
        match tokio::time::timeout(deadline, read.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => response.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the slow client was never cut off"),
        }
    }
    let took = started.elapsed();
    writer.abort();
    let status = std::str::from_utf8(&response)
        .ok()
        .and_then(|r| r.split(' ').nth(1))
        .and_then(|s| s.parse().ok());
    (took, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut_off_by_the_request_timeout_while_others_are_served() {
    let app = spawn_app().await;
    let port = app.port;
    // The head trickles in one byte per 200 ms (a whole head would take
    // ~8 s), or nothing is ever sent.
    const HEAD: &[u8] =
        b"GET /fleet HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nAccept: */*\r\n\r\n";
    let slow_clients = 64;
    let mut tasks = Vec::new();
    for i in 0..slow_clients {
        let head: &'static [u8] = if i % 2 == 0 { HEAD } else { b"" };
        tasks.push(tokio::spawn(trickle(
            port,
            head,
            Duration::from_millis(200),
        )));
    }
    // Meanwhile ordinary clients are served at once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut slowest_normal = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        assert_eq!(app.get("/fleet").await.status(), reqwest::StatusCode::OK);
        slowest_normal = slowest_normal.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut cut_after = Vec::new();
    for task in tasks {
        let (took, status) = task.await.expect("slow client");
        assert!(
            matches!(status, None | Some(408)),
            "a slow client gets 408 or a closed connection: {status:?}"
        );
        cut_after.push(took);
    }
    let latest = cut_after.iter().max().copied().unwrap_or_default();
    let earliest = cut_after.iter().min().copied().unwrap_or_default();
    // actix checks the timer with a 1 s granularity (plus a loaded machine).
    let bound = CLIENT_REQUEST_TIMEOUT + Duration::from_secs(3);
    assert!(
        latest <= bound,
        "cut off after {latest:?} (bound {bound:?})"
    );
    assert!(
        earliest >= CLIENT_REQUEST_TIMEOUT - Duration::from_secs(1),
        "{earliest:?}"
    );
    assert!(
        slowest_normal < Duration::from_secs(1),
        "{slowest_normal:?}"
    );
    record(
        "slow_clients",
        "64 connections: 32 send the request head one byte per 200 ms, 32 send nothing",
        "each cut off (408 or closed) after the client request timeout; other clients served meanwhile",
        &[
            ("client_request_timeout", ms(CLIENT_REQUEST_TIMEOUT)),
            ("cut off after", format!("{} … {}", ms(earliest), ms(latest))),
            ("slowest ordinary request meanwhile", ms(slowest_normal)),
        ],
    );
}
