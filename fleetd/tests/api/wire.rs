//! Bytes on the wire (src/wire/): each snapshot body compressed once per
//! snapshot and coding, Accept-Encoding with q-values, HEAD, ETag and 304,
//! Cache-Control per kind of response.

use crate::helpers::{spawn_app_on, spawn_app_with, unreachable_database_url, TestApp};
use fleetd::wire::{BodyKind, Encoding};
use reqwest::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, ETAG, VARY};
use reqwest::{Method, StatusCode};
use std::io::Read;
use std::time::Duration;

const SNAPSHOT_ROUTES: [(&str, BodyKind); 3] = [
    ("/api/fleet", BodyKind::ApiFleet),
    ("/fleet", BodyKind::FleetPage),
    ("/api/fleet/history", BodyKind::History),
];

/// A fleetd whose snapshot stays the same for the whole test.
async fn steady_app() -> TestApp {
    spawn_app_with(|s| s.cache.ttl = Duration::from_secs(120)).await
}

struct Got {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: reqwest::header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body with its Content-Encoding undone.
    fn decoded(&self) -> Vec<u8> {
        let mut plain = Vec::new();
        match self.header(CONTENT_ENCODING) {
            None => plain.clone_from(&self.body),
            Some("gzip") => {
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut plain)
                    .expect("gunzip");
            }
            Some("br") => {
                brotli::Decompressor::new(&self.body[..], 4096)
                    .read_to_end(&mut plain)
                    .expect("brotli decode");
            }
            Some(other) => panic!("unexpected Content-Encoding {other}"),
        }
        plain
    }
}

async fn fetch(app: &TestApp, method: Method, path: &str, headers: &[(&str, &str)]) -> Got {
    let mut request = app.client.request(method, app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request to fleetd");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body").to_vec();
    Got {
        status,
        headers,
        body,
    }
}

async fn get(app: &TestApp, path: &str, accept_encoding: &str) -> Got {
    fetch(
        app,
        Method::GET,
        path,
        &[("accept-encoding", accept_encoding)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_bodies_are_compressed_once_per_snapshot_and_coding() {
    let app = steady_app().await;
    for (path, kind) in SNAPSHOT_ROUTES {
        let plain = get(&app, path, "identity").await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        assert_eq!(plain.header(CONTENT_ENCODING), None, "{path}");
        let compressible = plain.body.len() >= fleetd::wire::MIN_COMPRESSED_LEN;
        if kind != BodyKind::History {
            assert!(compressible, "{path} is {} bytes", plain.body.len());
        }
        for (accept, coding) in [
            ("gzip, deflate, br, zstd", "br"),
            ("gzip", "gzip"),
            ("deflate, gzip", "gzip"),
        ] {
            for _ in 0..10 {
                let got = get(&app, path, accept).await;
                assert_eq!(got.status, StatusCode::OK, "{path} {accept}");
                assert_eq!(got.header(VARY), Some("Accept-Encoding"), "{path}");
                assert_eq!(got.decoded(), plain.body, "{path} {accept}: same document");
                if compressible {
                    assert_eq!(
                        got.header(CONTENT_ENCODING),
                        Some(coding),
                        "{path} {accept}"
                    );
                    assert!(
                        got.body.len() * 3 < plain.body.len(),
                        "{path} {accept}: {} of {} bytes",
                        got.body.len(),
                        plain.body.len()
                    );
                } else {
                    assert_eq!(got.header(CONTENT_ENCODING), None, "{path}: small body");
                }
            }
        }
        let expected = u64::from(compressible);
        for encoding in [Encoding::Gzip, Encoding::Brotli] {
            assert_eq!(
                app.snapshots.stats().compressions(kind, encoding),
                expected,
                "{path}: {encoding:?} compressions over 10+ requests of one snapshot"
            );
        }
    }
    assert_eq!(app.snapshots.stats().builds(), 1, "one snapshot throughout");
    let metrics = String::from_utf8(get(&app, "/metrics", "identity").await.body).expect("utf-8");
    assert!(
        metrics.contains("fleetd_compressions_total{body=\"api_fleet\",encoding=\"gzip\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fleetd_compression_seconds_total{body=\"fleet_page\",encoding=\"br\"}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_encoding_q_values_and_identity_are_honoured() {
    let app = steady_app().await;
    let cases = [
        ("", None),
        ("identity", None),
        ("gzip;q=0", None),
        ("gzip;q=0, br;q=0", None),
        ("*;q=0", None),
        ("zstd", None),
        ("br;q=0, gzip", Some("gzip")),
        ("gzip;q=0.5, identity", None),
        ("gzip;q=0.9, br;q=0.5", Some("gzip")),
        ("br;q=0.9, gzip;q=0.5", Some("br")),
        ("*", Some("br")),
    ];
    for (accept, coding) in cases {
        let got = get(&app, "/api/fleet", accept).await;
        assert_eq!(got.status, StatusCode::OK, "{accept:?}");
        assert_eq!(got.header(CONTENT_ENCODING), coding, "{accept:?}");
    }
    // No Accept-Encoding at all: identity.
    let bare = fetch(&app, Method::GET, "/api/fleet", &[]).await;
    assert_eq!(bare.header(CONTENT_ENCODING), None);
    assert_eq!(bare.header(VARY), Some("Accept-Encoding"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_has_the_headers_of_get_and_no_body() {
    let app = steady_app().await;
    for (path, _) in SNAPSHOT_ROUTES {
        for accept in ["gzip, deflate, br, zstd", "gzip", "identity"] {
            let got = get(&app, path, accept).await;
            let head = fetch(&app, Method::HEAD, path, &[("accept-encoding", accept)]).await;
            assert_eq!(head.status, StatusCode::OK, "HEAD {path} {accept}");
            assert!(head.body.is_empty(), "HEAD {path}: no body");
            for name in [CONTENT_ENCODING, ETAG, VARY, CACHE_CONTROL] {
                assert_eq!(
                    head.header(name.clone()),
                    got.header(name.clone()),
                    "HEAD {path} {accept}: {name}"
                );
            }
            assert_eq!(
                head.header(CONTENT_LENGTH),
                Some(got.body.len().to_string().as_str()),
                "HEAD {path} {accept}: the length GET sends"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matching_if_none_match_gets_304_without_a_body() {
    let app = steady_app().await;
    for (path, _) in SNAPSHOT_ROUTES {
        let mut tags = Vec::new();
        for accept in ["gzip, deflate, br, zstd", "gzip", "identity"] {
            let got = get(&app, path, accept).await;
            assert_eq!(
                got.header(CACHE_CONTROL),
                Some("private, no-cache"),
                "{path}"
            );
            let etag = got.header(ETAG).expect("ETag").to_owned();
            assert!(
                etag.starts_with('"') && etag.ends_with('"'),
                "{path}: strong tag {etag}"
            );
            for _ in 0..3 {
                let again = fetch(
                    &app,
                    Method::GET,
                    path,
                    &[("accept-encoding", accept), ("if-none-match", &etag)],
                )
                .await;
                assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path} {accept}");
                assert!(again.body.is_empty(), "{path}: a 304 has no body");
                assert_eq!(again.header(ETAG), Some(etag.as_str()), "{path}");
                assert_eq!(again.header(CACHE_CONTROL), Some("private, no-cache"));
                assert_eq!(again.header(VARY), Some("Accept-Encoding"));
            }
            // A list, and the weak form, match too (weak comparison).
            let weak = format!("\"nope\", W/{etag}");
            let listed = fetch(
                &app,
                Method::GET,
                path,
                &[("accept-encoding", accept), ("if-none-match", &weak)],
            )
            .await;
            assert_eq!(listed.status, StatusCode::NOT_MODIFIED, "{path} {weak}");
            let head = fetch(
                &app,
                Method::HEAD,
                path,
                &[("accept-encoding", accept), ("if-none-match", &etag)],
            )
            .await;
            assert_eq!(head.status, StatusCode::NOT_MODIFIED, "HEAD {path}");
            tags.push(etag);
        }
        if tags[0] != tags[2] {
            // Compressed: another coding's tag is another representation.
            let other = fetch(
                &app,
                Method::GET,
                path,
                &[("accept-encoding", "identity"), ("if-none-match", &tags[0])],
            )
            .await;
            assert_eq!(
                other.status,
                StatusCode::OK,
                "{path}: the br tag does not validate identity"
            );
        }
        let stale = fetch(
            &app,
            Method::GET,
            path,
            &[("if-none-match", "\"0-0000000000000000\"")],
        )
        .await;
        assert_eq!(
            stale.status,
            StatusCode::OK,
            "{path}: another snapshot's tag"
        );
    }
    assert_eq!(app.snapshots.stats().builds(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_snapshot_gets_a_new_tag() {
    let ttl = Duration::from_millis(300);
    let app = spawn_app_with(|s| s.cache.ttl = ttl).await;
    let first = get(&app, "/api/fleet", "gzip").await;
    let etag = first.header(ETAG).expect("ETag").to_owned();
    // generated_at moves by at least a second: the next snapshot differs.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let next = fetch(
        &app,
        Method::GET,
        "/api/fleet",
        &[("accept-encoding", "gzip"), ("if-none-match", &etag)],
    )
    .await;
    assert!(app.snapshots.stats().builds() >= 2);
    assert_ne!(next.decoded(), first.decoded(), "a newer snapshot");
    assert_eq!(next.status, StatusCode::OK);
    assert_ne!(next.header(ETAG), Some(etag.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_health_and_readiness_stay_no_store() {
    let app = steady_app().await;
    for (path, status) in [
        ("/healthz", StatusCode::OK),
        ("/readyz", StatusCode::OK),
        ("/nope", StatusCode::NOT_FOUND),
        ("/api/nope", StatusCode::NOT_FOUND),
        ("/fleet?status=purple", StatusCode::BAD_REQUEST),
        ("/fleet/process/nope", StatusCode::NOT_FOUND),
    ] {
        // The snapshot exists first, so /readyz is ready.
        let _ = get(&app, "/api/fleet", "gzip").await;
        let got = get(&app, path, "gzip, br").await;
        assert_eq!(got.status, status, "{path}");
        assert_eq!(got.header(CACHE_CONTROL), Some("no-store"), "{path}");
        assert_eq!(got.header(ETAG), None, "{path}");
    }
    let down = spawn_app_on(&unreachable_database_url(), |_| {}).await;
    for path in ["/api/fleet", "/fleet"] {
        let got = get(&down, path, "gzip").await;
        assert_eq!(got.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(got.header(CACHE_CONTROL), Some("no-store"), "{path}");
        assert_eq!(got.header(CONTENT_ENCODING), None, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_gzipped_per_scrape_for_prometheus() {
    let app = steady_app().await;
    let _ = get(&app, "/api/fleet", "identity").await;
    let scrape = get(&app, "/metrics", "gzip").await;
    assert_eq!(scrape.status, StatusCode::OK);
    assert_eq!(scrape.header(VARY), Some("Accept-Encoding"));
    let text = String::from_utf8(scrape.decoded()).expect("utf-8");
    assert!(text.ends_with("# EOF\n"), "{text}");
    if text.len() >= fleetd::wire::MIN_COMPRESSED_LEN {
        assert_eq!(scrape.header(CONTENT_ENCODING), Some("gzip"));
        assert_eq!(
            app.snapshots
                .stats()
                .compressions(BodyKind::Metrics, Encoding::Gzip),
            1
        );
    }
    let plain = get(&app, "/metrics", "identity").await;
    assert_eq!(plain.header(CONTENT_ENCODING), None);
}
