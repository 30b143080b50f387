//! `deploy/nginx/fleetd.conf` in a real nginx, in front of a real fleetd
//! serving under `/ops/fleet` over a seeded scratch database.

use crate::helpers::{client, spawn_app_with, TestApp};
use crate::support::{
    fill_in, free_port, linked_urls, repo_file, require_tool, run_bounded, running_as_root, tail,
};
use reqwest::StatusCode;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const CONF: &str = "deploy/nginx/fleetd.conf";
const BASE: &str = "/ops/fleet";
const USER: &str = "operator";
const PASSWORD: &str = "correct horse battery";
/// `openssl passwd -apr1 -salt fleetdts 'correct horse battery'`
const HTPASSWD_ENTRY: &str = "operator:$apr1$fleetdts$fIC/xcj2ZzaUv.iYWekoi/";

/// A running nginx (single process, so killing it leaves nothing behind).
struct Nginx {
    child: Child,
    prefix: tempfile::TempDir,
    address: String,
}

impl Nginx {
    fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("error.log")).unwrap_or_default()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> PathBuf {
    require_tool("nginx", &["/usr/sbin/nginx"], "nginx-light")
}

/// The main configuration around the deploy file: everything nginx writes
/// goes to the temp prefix, and nginx stays in the foreground as one process.
/// gzip is on for everything, as an operator's `http {}` may have it
/// (Debian's has `gzip on`): the deploy file must keep nginx from
/// compressing fleetd's responses again.
fn main_conf(prefix: &Path) -> String {
    let p = prefix.display();
    // As root, nginx would switch to `nobody`, who cannot read the temp dir.
    let user = if running_as_root() { "user root;" } else { "" };
    format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\n{user}\n\
         pid {p}/nginx.pid;\nerror_log {p}/error.log info;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log {p}/access.log;\n\
         gzip on;\n  gzip_types *;\n  gzip_min_length 20;\n\
         client_body_temp_path {p}/client_body;\n  proxy_temp_path {p}/proxy;\n\
         fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n\
         scgi_temp_path {p}/scgi;\n  include {p}/fleetd.conf;\n}}\n"
    )
}

/// Starts nginx with the deploy file, proxying to `upstream_port`.
async fn start_nginx(upstream_port: u16) -> Nginx {
    let binary = nginx_binary();
    let prefix = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let htpasswd = prefix.path().join("fleetd.htpasswd");
    std::fs::write(&htpasswd, format!("{HTPASSWD_ENTRY}\n")).expect("write htpasswd");
    let site = fill_in(
        CONF,
        &repo_file(CONF),
        &[
            (
                "listen 127.0.0.1:8443;",
                &format!("listen 127.0.0.1:{port};"),
            ),
            (
                "server 127.0.0.1:8080 ",
                &format!("server 127.0.0.1:{upstream_port} "),
            ),
            (
                "auth_basic_user_file /etc/nginx/fleetd.htpasswd;",
                &format!("auth_basic_user_file {};", htpasswd.display()),
            ),
        ],
    );
    std::fs::write(prefix.path().join("fleetd.conf"), site).expect("write site conf");
    let conf = prefix.path().join("nginx.conf");
    std::fs::write(&conf, main_conf(prefix.path())).expect("write nginx.conf");
    let args = |command: &mut tokio::process::Command| {
        command
            .arg("-p")
            .arg(prefix.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(prefix.path().join("error.log"));
    };

    // The configuration must be valid as a whole before it is run.
    let mut test = tokio::process::Command::new(&binary);
    args(&mut test);
    test.arg("-t");
    let output = run_bounded("nginx -t", test, Duration::from_secs(30)).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && !stderr.contains("[warn]"),
        "nginx -t on {CONF}: {}\n{stderr}",
        output.status
    );

    let mut command = tokio::process::Command::new(&binary);
    args(&mut command);
    let mut command = command.into_std();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut nginx = Nginx {
        child: command.spawn().expect("start nginx"),
        prefix,
        address: format!("http://127.0.0.1:{port}"),
    };

    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = nginx.child.try_wait().expect("try_wait") {
            panic!("nginx exited with {status}:\n{}", nginx.error_log());
        }
        assert!(
            Instant::now() < deadline,
            "nginx does not listen on {port} after 15 s:\n{}",
            nginx.error_log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    nginx
}

async fn fleetd_and_nginx() -> (TestApp, Nginx) {
    fleetd_and_nginx_with(Duration::from_secs(5)).await
}

/// `ttl`: the cache lifetime (long, for a snapshot that stays the same).
async fn fleetd_and_nginx_with(ttl: Duration) -> (TestApp, Nginx) {
    let app = spawn_app_with(|settings| {
        settings.server.base_path = BASE.to_owned();
        settings.cache.ttl = ttl;
    })
    .await;
    app.wait_for_drift().await;
    let nginx = start_nginx(app.port).await;
    (app, nginx)
}

async fn get_as_operator(nginx: &Nginx, path: &str) -> reqwest::Response {
    client()
        .get(nginx.url(path))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "GET {path} through nginx: {e}\n{}",
                tail(&nginx.error_log(), 20)
            )
        })
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Every link and asset of a page is under the base path (or a fragment of
/// the page itself).
fn assert_links_stay_under_base(page: &str, html: &str) -> BTreeSet<String> {
    let urls = linked_urls(html);
    assert!(!urls.is_empty(), "{page} links to nothing");
    let prefix = format!("{BASE}/");
    let outside: Vec<&String> = urls
        .iter()
        .filter(|url| !url.starts_with('#') && !url.starts_with(&prefix))
        .collect();
    assert!(
        outside.is_empty(),
        "{page} links outside {prefix}: {outside:?}"
    );
    urls.into_iter()
        .filter(|url| !url.starts_with('#'))
        .map(|url| url.split('#').next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_serves_the_page_assets_json_and_filtered_views_under_the_sub_path_behind_auth() {
    let (app, nginx) = fleetd_and_nginx().await;

    // The page, through the proxy.
    let page = get_as_operator(&nginx, &format!("{BASE}/fleet")).await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "{}",
        tail(&nginx.error_log(), 20)
    );
    assert!(
        content_type(&page).starts_with("text/html"),
        "{}",
        content_type(&page)
    );
    for (header, value) in fleetd::middleware::SECURITY_HEADERS {
        // The page is a snapshot view: fleetd's own Cache-Control for it.
        let value = if header.as_str() == "cache-control" {
            fleetd::wire::SNAPSHOT_CACHE_CONTROL
        } else {
            value
        };
        assert_eq!(
            page.headers()
                .get(header.as_str())
                .and_then(|v| v.to_str().ok()),
            Some(value),
            "{header} must pass the proxy unchanged"
        );
    }
    let html = page.text().await.expect("page body");
    assert!(
        html.contains("mon-a:monitor"),
        "the seeded fleet is on the page"
    );
    let targets = assert_links_stay_under_base("the fleet page", &html);

    // Every link of the page answers through the proxy: assets with their
    // types, the JSON, the filtered views, the process pages.
    for needed in [
        format!("{BASE}/static/fleet.css"),
        format!("{BASE}/static/fleet.js"),
        format!("{BASE}/api/fleet"),
    ] {
        assert!(targets.contains(&needed), "the page links {needed}");
    }
    for target in &targets {
        let response = get_as_operator(&nginx, target).await;
        let status = response.status();
        let kind = content_type(&response);
        assert_eq!(status, StatusCode::OK, "{target} through nginx");
        let expected = if target.ends_with(".css") {
            "text/css"
        } else if target.ends_with(".js") {
            "text/javascript"
        } else if target.ends_with(".svg") {
            "image/svg+xml"
        } else if target.contains("/api/") {
            "application/json"
        } else if target.ends_with("/metrics") {
            "application/openmetrics-text"
        } else {
            "text/html"
        };
        assert!(
            kind.starts_with(expected),
            "{target}: {kind}, expected {expected}"
        );
        let body = response.text().await.expect("body");
        assert!(!body.is_empty(), "{target} is empty");
        if expected == "text/html" {
            assert_links_stay_under_base(target, &body);
        }
    }

    // The JSON is the snapshot fleetd serves directly.
    let json: serde_json::Value = get_as_operator(&nginx, &format!("{BASE}/api/fleet"))
        .await
        .json()
        .await
        .expect("JSON through nginx");
    assert_eq!(json["processes"].as_array().map(Vec::len), Some(4));
    let direct: serde_json::Value = app
        .get(&format!("{BASE}/api/fleet"))
        .await
        .json()
        .await
        .expect("JSON from fleetd");
    assert_eq!(
        json["summary"], direct["summary"],
        "the proxy passes the snapshot as is"
    );

    // A filtered view is a shareable URL that works through the proxy.
    for (query, shown, hidden) in [
        ("status=red", None, Some("mon-a:monitor")),
        (
            "status=amber",
            Some("mon-b:monitor"),
            Some("del-a:deliverer"),
        ),
        (
            "type=deliverer",
            Some("del-a:deliverer"),
            Some("mon-b:monitor"),
        ),
        ("host=mon-a", Some("mon-a:monitor"), Some("mon-b:monitor")),
    ] {
        let path = format!("{BASE}/fleet?{query}");
        let response = get_as_operator(&nginx, &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().await.expect("filtered page");
        assert_links_stay_under_base(&path, &html);
        let rows = processes_table(&html);
        if let Some(shown) = shown {
            assert!(rows.contains(shown), "{path} shows {shown}");
        }
        if let Some(hidden) = hidden {
            assert!(!rows.contains(hidden), "{path} hides {hidden}");
        }
    }
}

/// The part of a page from the processes section on (the filters act on
/// that table; other sections name processes too).
fn processes_table(html: &str) -> &str {
    let start = html
        .find("id=\"processes\"")
        .expect("the page has a processes section");
    let rest = &html[start..];
    let end = rest
        .find("</table>")
        .map_or(rest.len(), |end| end + "</table>".len());
    &rest[..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_demands_credentials_and_keeps_redirects_and_methods_right() {
    // fleetd lives as long as the test: nginx proxies to it.
    let (_app, nginx) = fleetd_and_nginx().await;
    let anonymous = client();

    // No credentials, or wrong ones: nginx answers 401 for every path.
    for path in [
        format!("{BASE}/fleet"),
        format!("{BASE}/api/fleet"),
        format!("{BASE}/static/fleet.css"),
        format!("{BASE}/fleet?status=red"),
    ] {
        let response = anonymous
            .get(nginx.url(&path))
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{path} without credentials"
        );
        let challenge = response
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(challenge.starts_with("Basic"), "{path}: {challenge:?}");
        let wrong = anonymous
            .get(nginx.url(&path))
            .basic_auth(USER, Some("wrong"))
            .send()
            .await
            .expect("request");
        assert_eq!(
            wrong.status(),
            StatusCode::UNAUTHORIZED,
            "{path} with a wrong password"
        );
    }

    // Redirects stay under the sub-path and carry no host or scheme.
    let bare = anonymous
        .get(nginx.url(BASE))
        .send()
        .await
        .expect("request");
    assert_eq!(bare.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(location(&bare), format!("{BASE}/fleet"));
    let root = get_as_operator(&nginx, &format!("{BASE}/")).await;
    assert!(root.status().is_redirection(), "{}", root.status());
    assert_eq!(location(&root), format!("{BASE}/fleet"));

    // Read-only through the proxy too: fleetd's 405 with Allow reaches the client.
    let post = client()
        .post(nginx.url(&format!("{BASE}/api/fleet")))
        .basic_auth(USER, Some(PASSWORD))
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        post.headers()
            .get(reqwest::header::ALLOW)
            .and_then(|v| v.to_str().ok()),
        Some("GET, HEAD")
    );
    let head = client()
        .head(nginx.url(&format!("{BASE}/fleet")))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .expect("request");
    assert_eq!(head.status(), StatusCode::OK);
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The security headers fleetd promises on every response (docs/api.md).
fn security_headers() -> [(&'static str, String); 5] {
    [
        ("cache-control", String::new()),
        ("x-content-type-options", "nosniff".to_owned()),
        ("x-frame-options", "DENY".to_owned()),
        ("referrer-policy", "no-referrer".to_owned()),
        (
            "content-security-policy",
            fleetd::middleware::CONTENT_SECURITY_POLICY.to_owned(),
        ),
    ]
}

/// Sends raw bytes and returns the status line and the header lines
/// (lower-cased names) of the answer.
async fn raw_exchange(address: &str, request: &[u8]) -> (String, Vec<(String, String)>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // The server may answer (and close) before reading everything.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers)
}

/// Each security header exactly once; `expected_cache_control` for the one
/// whose value depends on the response.
#[track_caller]
fn assert_security_headers(what: &str, headers: &[(String, String)], expected_cache_control: &str) {
    for (name, expected) in security_headers() {
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        let expected = if name == "cache-control" {
            expected_cache_control.to_owned()
        } else {
            expected
        };
        assert_eq!(values, vec![expected.as_str()], "{what}: {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_puts_the_security_headers_once_on_every_response_errors_included() {
    let (app, nginx) = fleetd_and_nginx().await;
    let auth = format!(
        "Authorization: Basic {}\r\n",
        base64_encode(&format!("{USER}:{PASSWORD}"))
    );
    let long_url = "a".repeat(70_000);
    let long_header = "b".repeat(70_000);
    // (what, request, status code expected, cache-control expected)
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "a page fleetd served",
            format!("GET {BASE}/fleet HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"),
            "200",
            "private, no-cache",
        ),
        (
            "fleetd's own 404",
            format!("GET {BASE}/nope HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"),
            "404",
            "no-store",
        ),
        (
            "nginx's 401",
            format!("GET {BASE}/fleet HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            "401",
            "no-store",
        ),
        (
            "an oversized URL",
            format!("GET {BASE}/fleet?{long_url} HTTP/1.1\r\nHost: x\r\n\r\n"),
            "414",
            "no-store",
        ),
        (
            "an oversized header",
            format!("GET {BASE}/fleet HTTP/1.1\r\nHost: x\r\nX-Big: {long_header}\r\n\r\n"),
            "400",
            "no-store",
        ),
        (
            "a smuggling attempt",
            format!(
                "GET {BASE}/fleet HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 4\r\n\
                 Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n"
            ),
            "400",
            "no-store",
        ),
        (
            "a malformed request line",
            "GARBAGE\r\n\r\n".to_owned(),
            "400",
            "no-store",
        ),
    ];
    for (what, request, code, cache_control) in cases {
        let (status, headers) = raw_exchange(&nginx.address, request.as_bytes()).await;
        assert!(
            status.split(' ').nth(1) == Some(code),
            "{what}: expected {code}, got {status:?}"
        );
        assert_security_headers(what, &headers, cache_control);
    }

    // What fleetd itself covers: every response a handler or its
    // middleware writes, directly too. (Errors actix's HTTP layer writes
    // before routing carry none; the proxy above covers them.)
    for path in ["/fleet", "/api/fleet", "/nope", "/healthz"] {
        let request = format!("GET {BASE}{path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (status, headers) = raw_exchange(&app.address, request.as_bytes()).await;
        assert!(status.contains(' '), "{path}: {status:?}");
        let cache_control = headers
            .iter()
            .find(|(n, _)| n == "cache-control")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        assert_security_headers(&format!("fleetd direct {path}"), &headers, &cache_control);
    }
}

/// One response, as the client got it.
struct Seen {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn exchange(
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
    through_nginx: bool,
) -> Seen {
    let mut request = client().request(method, url);
    if through_nginx {
        request = request.basic_auth(USER, Some(PASSWORD));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    Seen {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_passes_compressed_bodies_etags_and_304s_through_unchanged() {
    // One snapshot for the whole test: fleetd's answer directly and
    // through nginx must be byte for byte the same.
    let (app, nginx) = fleetd_and_nginx_with(Duration::from_secs(120)).await;
    for path in ["/fleet", "/api/fleet", "/api/fleet/history"] {
        let path = format!("{BASE}{path}");
        for (accept, coding) in [
            ("gzip, deflate, br, zstd", Some("br")),
            ("gzip", Some("gzip")),
            ("identity", None),
        ] {
            let what = format!("{path} {accept}");
            let headers = [("accept-encoding", accept)];
            let direct = exchange(reqwest::Method::GET, &app.url(&path), &headers, false).await;
            let proxied = exchange(reqwest::Method::GET, &nginx.url(&path), &headers, true).await;
            assert_eq!(direct.status, StatusCode::OK, "{what}");
            assert_eq!(proxied.status, StatusCode::OK, "{what}");
            let big = direct.body.len() >= fleetd::wire::MIN_COMPRESSED_LEN
                || direct.header("content-encoding").is_some();
            if big || coding.is_none() {
                assert_eq!(direct.header("content-encoding"), coding, "{what} direct");
            }
            for name in [
                "content-encoding",
                "etag",
                "vary",
                "cache-control",
                "content-type",
            ] {
                assert_eq!(
                    proxied.header(name),
                    direct.header(name),
                    "{what}: {name} through nginx"
                );
            }
            let etag = proxied
                .header("etag")
                .expect("ETag through nginx")
                .to_owned();
            assert!(!etag.starts_with("W/"), "{what}: nginx kept the strong tag");
            assert!(
                proxied.body == direct.body,
                "{what}: the same bytes through nginx"
            );

            let revalidate = [
                ("accept-encoding", accept),
                ("if-none-match", etag.as_str()),
            ];
            let not_modified =
                exchange(reqwest::Method::GET, &nginx.url(&path), &revalidate, true).await;
            assert_eq!(
                not_modified.status,
                StatusCode::NOT_MODIFIED,
                "{what}: 304 through nginx"
            );
            assert!(not_modified.body.is_empty(), "{what}: a 304 has no body");
            assert_eq!(not_modified.header("etag"), Some(etag.as_str()), "{what}");
            assert_eq!(
                not_modified.header("cache-control"),
                Some("private, no-cache")
            );

            let head = exchange(reqwest::Method::HEAD, &nginx.url(&path), &headers, true).await;
            assert_eq!(head.status, StatusCode::OK, "HEAD {what}");
            assert_eq!(
                head.header("content-encoding"),
                direct.header("content-encoding"),
                "HEAD {what}"
            );
            assert_eq!(head.header("etag"), Some(etag.as_str()), "HEAD {what}");
        }
    }
    assert_eq!(app.snapshots.stats().builds(), 1, "one snapshot throughout");
}

/// RFC 4648 base64 (for one Basic credential; no crate for four lines).
fn base64_encode(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
