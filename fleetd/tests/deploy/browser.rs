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
