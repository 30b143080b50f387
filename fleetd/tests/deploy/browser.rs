//! Headless Chromium renders the fleet page of a running fleetd, with
//! JavaScript on and off: the verdict, the issues and the processes table
//! are in the rendered DOM either way, database strings stay text, and the
//! page's own script runs under its Content-Security-Policy without a
//! single console message. Screenshots go to `target/screenshots/` for
//! review (not committed).

use crate::helpers::{spawn_app, TestApp, SCRIPT_HOST};
use crate::support::{require_tool, run_bounded, tail, target_dir};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// One Chromium run, start to exit. Generous: two cores, other tests beside.
const CHROMIUM_LIMIT: Duration = Duration::from_secs(90);
/// What the page says where the script would show the auto-refresh state.
const NO_SCRIPT_TEXT: &str = "auto-refresh needs JavaScript";

fn chromium() -> PathBuf {
    require_tool("chromium", &["/usr/bin/chromium"], "chromium")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    On,
    Off,
}

/// Runs Chromium headless on `url` with a fresh profile, plus `extra`
/// arguments, bounded by [`CHROMIUM_LIMIT`].
async fn run_chromium(url: &str, script: Script, extra: &[String]) -> Output {
    let profile = tempfile::tempdir().expect("profile dir");
    if script == Script::Off {
        // `--blink-settings=scriptEnabled=false` also stops --dump-dom from
        // reading the DOM (it prints nothing); the profile's content
        // setting blocks the page's scripts only.
        let default = profile.path().join("Default");
        std::fs::create_dir_all(&default).expect("profile Default dir");
        std::fs::write(
            default.join("Preferences"),
            r#"{"profile":{"default_content_setting_values":{"javascript":2}}}"#,
        )
        .expect("write Preferences");
    }
    let mut command = tokio::process::Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            // Page console messages (CSP violations, script errors) on stderr.
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url);
    let output = run_bounded("chromium", command, CHROMIUM_LIMIT).await;
    assert!(
        output.status.success(),
        "chromium {extra:?} {url}: {}\n{}",
        output.status,
        tail(&String::from_utf8_lossy(&output.stderr), 40)
    );
    output
}

/// Console messages of the page (`INFO:CONSOLE...` lines).
fn console_messages(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect()
}

/// The tags of an HTML text (`<...>`, quotes respected) and its text with
/// the character references decoded.
fn tags_and_text(html: &str) -> (Vec<String>, String) {
    let mut tags = Vec::new();
    let mut text = String::new();
    let mut tag: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in html.chars() {
        match tag.as_mut() {
            None if c == '<' => tag = Some(String::new()),
            None => text.push(c),
            Some(current) => match (quote, c) {
                (None, '>') => {
                    tags.push(std::mem::take(current));
                    tag = None;
                    text.push(' ');
                }
                (None, '"' | '\'') => {
                    quote = Some(c);
                    current.push(c);
                }
                (Some(q), _) if c == q => {
                    quote = None;
                    current.push(c);
                }
                _ => current.push(c),
            },
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (tags, text)
}

/// Asserts what an operator must see, from the rendered DOM.
fn assert_rendered_page(dom: &str, snapshot: &serde_json::Value, script: Script) {
    assert!(
        dom.contains("</html>"),
        "no document from --dump-dom ({script:?}):\n{dom}"
    );
    let (tags, text) = tags_and_text(dom);
    let summary = &snapshot["summary"];
    let status = summary["status"].as_str().expect("summary.status");
    let message = summary["message"].as_str().expect("summary.message");

    // The verdict: the status as a word, and the message.
    let word = status.to_uppercase();
    assert!(
        text.split_whitespace().any(|w| w == word),
        "the status word {word} is not on the rendered page ({script:?}):\n{text}"
    );
    assert!(
        text.contains(message),
        "the message `{message}` is not rendered ({script:?})"
    );
    // The issues, as many as the page lists before "+N more".
    let issues = summary["issues"].as_array().expect("summary.issues");
    assert!(!issues.is_empty(), "the seeded fleet has issues");
    for issue in issues.iter().take(8) {
        let issue = issue.as_str().expect("issue text");
        assert!(
            text.contains(issue),
            "issue `{issue}` not rendered ({script:?})"
        );
    }
    // The processes table, with every seeded process.
    assert!(
        tags.iter()
            .any(|t| t.starts_with("section") && t.contains("id=\"processes\"")),
        "no processes section ({script:?})"
    );
    assert!(
        tags.iter().any(|t| t.starts_with("table")),
        "no table ({script:?})"
    );
    for process in snapshot["processes"].as_array().expect("processes") {
        let id = process["process_id"].as_str().expect("process_id");
        assert!(text.contains(id), "process {id} not rendered ({script:?})");
    }
    // The host named like a script tag is text, never an element.
    assert!(
        text.contains(SCRIPT_HOST),
        "the script-named host is shown as text"
    );
    for tag in tags.iter().filter(|t| t.starts_with("script")) {
        assert!(
            tag.contains("src=\"/static/fleet.js\""),
            "a script element that is not fleetd's own: <{tag}> ({script:?})"
        );
    }
    // The optional script: ran (and replaced the notice) only when allowed.
    match script {
        Script::On => assert!(
            !text.contains(NO_SCRIPT_TEXT),
            "fleet.js did not run with JavaScript on (CSP, or an error)"
        ),
        Script::Off => assert!(
            text.contains(NO_SCRIPT_TEXT),
            "without JavaScript the page says so where the refresh control would be"
        ),
    }
}

async fn fleet_and_snapshot() -> (TestApp, serde_json::Value) {
    let app = spawn_app().await;
    // A stable page: the drift figure is in, nothing changes meanwhile.
    app.wait_for_drift().await;
    let response = app.get("/api/fleet").await;
    assert_eq!(response.status(), 200);
    let snapshot = response.json().await.expect("snapshot JSON");
    (app, snapshot)
}

async fn screenshot(app: &TestApp, script: Script, name: &str) -> PathBuf {
    let dir = target_dir().join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots dir");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    run_chromium(
        &app.url("/fleet"),
        script,
        &[
            format!("--screenshot={}", path.display()),
            "--window-size=1400,2200".to_owned(),
        ],
    )
    .await;
    assert_png(&path);
    path
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000,
        "{} is not a real screenshot ({} bytes)",
        path.display(),
        bytes.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_the_fleet_page_with_javascript() {
    let (app, snapshot) = fleet_and_snapshot().await;
    let output = run_chromium(&app.url("/fleet"), Script::On, &["--dump-dom".to_owned()]).await;
    let dom = String::from_utf8_lossy(&output.stdout);
    assert_rendered_page(&dom, &snapshot, Script::On);
    let console = console_messages(&output);
    assert!(
        console.is_empty(),
        "the page logged to the console: {console:#?}"
    );

    let path = screenshot(&app, Script::On, "fleet.png").await;
    eprintln!("screenshot: {}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_the_complete_fleet_page_without_javascript() {
    let (app, snapshot) = fleet_and_snapshot().await;
    let output = run_chromium(&app.url("/fleet"), Script::Off, &["--dump-dom".to_owned()]).await;
    let dom = String::from_utf8_lossy(&output.stdout);
    assert_rendered_page(&dom, &snapshot, Script::Off);
    let console = console_messages(&output);
    assert!(
        console.is_empty(),
        "the page logged to the console: {console:#?}"
    );

    let path = screenshot(&app, Script::Off, "fleet-nojs.png").await;
    eprintln!("screenshot: {}", path.display());
}

// ---------------------------------------------------------------------------
// Layout and accessibility, through playwright-core and axe-core (npm, in
// fleetd/tests/browser/, installed by scripts/test with `npm ci`) driving
// the same Debian Chromium. The fleet is the benchmark data set's shape:
// 200 processes, so the cards' counts reach three digits.

/// The small benchmark data set: 200 processes (100 hosts × monitor +
/// deliverer), a few thousand sites.
const BENCH_SHAPE: fleet_bench::dataset::LargeSpec = fleet_bench::dataset::LargeSpec {
    sites: 5_000,
    webhook_deliveries: 2_000,
    alert_deliveries: 1_000,
    closed_events: 200,
    process_hosts: 100,
    bucket_hosts: 50,
    bucket_total: 1000,
};

/// fleetd over the benchmark-shaped database (kept for as long as the app).
async fn bench_shaped_fleet() -> (TestApp, fleet_sql::testing::ScratchDb, serde_json::Value) {
    let db = fleet_sql::testing::ScratchDb::create_without_schema()
        .await
        .expect("a scratch database");
    fleet_bench::dataset::seed(
        &fleet_sql::testing::admin_url(),
        db.name(),
        &BENCH_SHAPE,
        true,
    )
    .await
    .expect("seed the benchmark data set");
    let url = fleet_bench::database_url(&fleet_sql::testing::admin_url(), db.name())
        .expect("database URL");
    let app = crate::helpers::spawn_app_on(&url, |s| {
        s.cache.ttl = Duration::from_secs(120);
    })
    .await;
    app.wait_for_drift().await;
    let snapshot: serde_json::Value = app
        .get("/api/fleet")
        .await
        .json()
        .await
        .expect("snapshot JSON");
    assert_eq!(
        snapshot["processes"].as_array().map(Vec::len),
        Some(200),
        "the benchmark shape has 200 processes"
    );
    (app, db, snapshot)
}

fn browser_checks_dir() -> PathBuf {
    crate::support::repo_root().join("fleetd/tests/browser")
}

/// Runs `check.mjs <mode>` on `urls`; returns its findings (empty: passed).
async fn browser_check(mode: &str, urls: &[String]) -> serde_json::Value {
    let dir = browser_checks_dir();
    let node = require_tool("node", &["/usr/bin/node"], "nodejs");
    assert!(
        dir.join("node_modules/playwright-core").is_dir()
            && dir.join("node_modules/axe-core").is_dir(),
        "playwright-core and axe-core are not installed in {}: run `npm ci` there \
         (scripts/test does, with PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1)",
        dir.display()
    );
    let mut command = tokio::process::Command::new(node);
    command
        .current_dir(&dir)
        .arg("check.mjs")
        .arg(chromium())
        .arg(mode)
        .args(urls);
    let output = run_bounded("node check.mjs", command, Duration::from_secs(240)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|_| {
        panic!(
            "check.mjs {mode}: {}\n{stdout}\n{}",
            output.status,
            tail(&String::from_utf8_lossy(&output.stderr), 40)
        )
    });
    let findings = report["findings"].clone();
    let empty = findings.as_array().is_some_and(Vec::is_empty);
    assert_eq!(
        output.status.success(),
        empty,
        "check.mjs {mode}: exit status {} disagrees with its findings",
        output.status
    );
    findings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_overflows_its_card_or_cell_at_1400_and_390_px_with_200_processes() {
    let (app, _db, snapshot) = bench_shaped_fleet().await;
    let stale = snapshot["summary"]["stale_processes"].as_u64().unwrap_or(0);
    let process = snapshot["processes"][0]["process_id"]
        .as_str()
        .expect("a process id");
    let urls = [
        app.url("/fleet"),
        app.url("/fleet?status=red"),
        app.url(&format!("/fleet/process/{process}")),
    ];
    let findings = browser_check("overflow", &urls).await;
    assert!(
        findings.as_array().is_some_and(Vec::is_empty),
        "elements overflow their card or cell ({stale} stale processes):\n{findings:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_or_critical_violation() {
    let (app, _db, snapshot) = bench_shaped_fleet().await;
    let process = snapshot["processes"][0]["process_id"]
        .as_str()
        .expect("a process id");
    let urls = [
        app.url("/fleet"),
        app.url("/fleet?status=red&type=monitor"),
        app.url(&format!("/fleet/process/{process}")),
        app.url("/fleet/process/no-such-process"),
        app.url("/fleet/cutover"),
    ];
    let findings = browser_check("axe", &urls).await;
    assert!(
        findings.as_array().is_some_and(Vec::is_empty),
        "axe-core: serious or critical violations:\n{findings:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_refresh_revalidates_and_gets_304_while_the_snapshot_is_unchanged() {
    // One snapshot for the whole test (the default TTL would rebuild it
    // before the first refresh).
    let app = crate::helpers::spawn_app_with(|s| s.cache.ttl = Duration::from_secs(120)).await;
    app.wait_for_drift().await;
    let _ = app.get("/fleet").await;
    let findings = browser_check("refresh", &[app.url("/fleet")]).await;
    assert!(
        findings.as_array().is_some_and(Vec::is_empty),
        "the refresh did not revalidate:\n{findings:#}"
    );
}
