//! Each route's status, content type and headers; methods; 404; base path.

use crate::helpers::{spawn_app, spawn_app_with};
use reqwest::header::{HeaderMap, ALLOW, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};

fn assert_security_headers(headers: &HeaderMap, what: &str) {
    assert_headers(headers, what, "no-store");
}

/// The security headers, with the `Cache-Control` of a snapshot-derived
/// 200 (`private, no-cache`: revalidated on every use, see tests/api/wire.rs)
/// or of everything else (`no-store`).
fn assert_headers(headers: &HeaderMap, what: &str, cache_control: &str) {
    let expected = [
        ("cache-control", cache_control),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            fleetd::middleware::CONTENT_SECURITY_POLICY,
        ),
    ];
    for (name, value) in expected {
        assert_eq!(
            headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{what}: header {name}"
        );
    }
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    assert!(
        !csp.contains("unsafe-inline"),
        "{what}: CSP must not allow inline code"
    );
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_with_its_content_type_and_the_security_headers() {
    let app = spawn_app().await;
    let cases = [
        ("/fleet", StatusCode::OK, "text/html; charset=utf-8"),
        ("/fleet/cutover", StatusCode::OK, "text/html; charset=utf-8"),
        ("/api/fleet", StatusCode::OK, "application/json"),
        ("/healthz", StatusCode::OK, "text/plain; charset=utf-8"),
        ("/readyz", StatusCode::OK, "text/plain; charset=utf-8"),
        ("/", StatusCode::FOUND, ""),
        ("/nope", StatusCode::NOT_FOUND, "text/html; charset=utf-8"),
        ("/api/nope", StatusCode::NOT_FOUND, "application/json"),
        (
            "/static/nope.css",
            StatusCode::NOT_FOUND,
            "text/html; charset=utf-8",
        ),
        (
            "/fleet/process/nope",
            StatusCode::NOT_FOUND,
            "text/html; charset=utf-8",
        ),
        (
            "/fleet?status=purple",
            StatusCode::BAD_REQUEST,
            "text/html; charset=utf-8",
        ),
    ];
    for (path, status, ctype) in cases {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        let snapshot_view = status == StatusCode::OK
            && (path.starts_with("/fleet") || path.starts_with("/api/fleet"));
        let cache_control = if snapshot_view {
            "private, no-cache"
        } else {
            "no-store"
        };
        assert_headers(response.headers(), path, cache_control);
        if !ctype.is_empty() {
            assert_eq!(content_type(response.headers()), ctype, "GET {path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_bodies() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.text().await.expect("body"), "ok");
    // Not ready before the first snapshot: the probe does not wait for a
    // build, it starts one, and a later probe is ready.
    let first = app.get("/readyz").await;
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        first.text().await.expect("body"),
        "not ready: no recent fleet snapshot"
    );
    crate::helpers::wait_until(std::time::Duration::from_secs(10), || async {
        app.get("/readyz").await.status() == StatusCode::OK
    })
    .await;
    assert_eq!(
        app.get("/readyz").await.text().await.expect("body"),
        "ready"
    );
    assert_eq!(app.snapshots.stats().builds(), 1, "the probes built once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_redirects_to_the_fleet_page() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()[LOCATION], "/fleet");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_other_than_get_and_head_get_405_with_allow() {
    let app = spawn_app().await;
    let methods = [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ];
    for path in [
        "/",
        "/fleet",
        "/fleet/cutover",
        "/api/fleet",
        "/healthz",
        "/readyz",
        "/static/fleet.css",
        "/nope",
    ] {
        for method in methods.clone() {
            let response = app.request(method.clone(), path).await;
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(response.headers()[ALLOW], "GET, HEAD", "{method} {path}");
            assert_security_headers(response.headers(), &format!("{method} {path}"));
        }
    }
    let api = app.request(Method::POST, "/api/fleet").await;
    assert_eq!(content_type(api.headers()), "application/json");
    assert_eq!(
        api.json::<serde_json::Value>().await.expect("json"),
        serde_json::json!({"error": "method not allowed"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_is_answered_like_get_without_a_body() {
    let app = spawn_app().await;
    for path in [
        "/fleet",
        "/fleet/cutover",
        "/api/fleet",
        "/healthz",
        "/readyz",
    ] {
        let response = app.request(Method::HEAD, path).await;
        assert_eq!(response.status(), StatusCode::OK, "HEAD {path}");
        let cache_control = if path.starts_with("/fleet") || path.starts_with("/api/fleet") {
            "private, no-cache"
        } else {
            "no-store"
        };
        assert_headers(response.headers(), path, cache_control);
        assert!(
            response.bytes().await.expect("body").is_empty(),
            "HEAD {path} has no body"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_get_404_never_a_fallback_page() {
    let app = spawn_app().await;
    for path in [
        "/fleet/",
        "/fleetx",
        "/api",
        "/api/fleet/x",
        "/static/",
        "/static/../Cargo.toml",
        "/index.html",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "GET {path}");
        assert_security_headers(response.headers(), path);
    }
    let api = app.get("/api/unknown").await;
    assert_eq!(
        api.json::<serde_json::Value>().await.expect("json"),
        serde_json::json!({"error": "not found"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_assets_are_served_with_their_types() {
    let app = spawn_app().await;
    let names: Vec<_> = fleetd::routes::assets::names().collect();
    assert!(
        names.contains(&"fleet.css"),
        "the stylesheet is embedded: {names:?}"
    );
    for name in names {
        let response = app.get(&format!("/static/{name}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        assert_security_headers(response.headers(), name);
        let expected = match name.rsplit_once('.').map(|(_, ext)| ext) {
            Some("css") => "text/css; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected asset type {other:?}"),
        };
        assert_eq!(content_type(response.headers()), expected, "{name}");
        assert!(
            !response.bytes().await.expect("body").is_empty(),
            "{name} is not empty"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_path_moves_every_route_under_it() {
    let app = spawn_app_with(|s| s.server.base_path = "/ops/fleetd".into()).await;
    for (path, status) in [
        ("/ops/fleetd/fleet", StatusCode::OK),
        ("/ops/fleetd/api/fleet", StatusCode::OK),
        ("/ops/fleetd/healthz", StatusCode::OK),
        ("/ops/fleetd/readyz", StatusCode::OK),
        ("/fleet", StatusCode::NOT_FOUND),
        ("/api/fleet", StatusCode::NOT_FOUND),
        ("/healthz", StatusCode::NOT_FOUND),
        ("/ops/fleetd/nope", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.get(path).await.status(), status, "GET {path}");
    }
    for root in ["/", "/ops/fleetd", "/ops/fleetd/"] {
        let response = app.get(root).await;
        assert_eq!(response.status(), StatusCode::FOUND, "GET {root}");
        assert_eq!(
            response.headers()[LOCATION],
            "/ops/fleetd/fleet",
            "GET {root}"
        );
    }
    let api_404 = app.get("/ops/fleetd/api/nope").await;
    assert_eq!(content_type(api_404.headers()), "application/json");

    // Every link and asset on the page stays under the base path.
    let page = app
        .get("/ops/fleetd/fleet")
        .await
        .text()
        .await
        .expect("page");
    for attr in ["href=\"", "src=\""] {
        for (i, _) in page.match_indices(attr) {
            let url = &page[i + attr.len()..];
            let url = &url[..url.find('"').unwrap_or(url.len())];
            if url.starts_with('/') {
                assert!(
                    url.starts_with("/ops/fleetd/"),
                    "{attr}{url} escapes the base path"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_responses_carry_no_retry_after() {
    let app = spawn_app().await;
    for path in ["/fleet", "/api/fleet", "/readyz"] {
        assert!(
            app.get(path).await.headers().get(RETRY_AFTER).is_none(),
            "{path}"
        );
    }
}
