//! The status history over time and across restarts (issue 13): the
//! refresher records without any viewer and through the single-build
//! cache; a red fleet is still "red since" the same time after a restart;
//! every store fault leaves fleetd serving with memory-only history,
//! logged, on `/metrics` and in the page's history footer.
//!
//! The faults are real: a read-only mount (root ignores permission bits,
//! so the directory is a tmpfs remounted `ro`), a truncated file, garbage
//! bytes, a store with a newer schema version, and a full disk (a 512 KiB
//! tmpfs filled up while fleetd writes to it). Mounting needs root, which
//! the tests and CI have.

use crate::helpers::{spawn_app_on, unreachable_database_url, wait_until, TestApp};
use crate::history::{green_db, MAKE_RED_SQL};
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use fleetd::history::store::Store;
use fleetd::history::{Sample, SampleStatus};
use reqwest::StatusCode;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A fleetd on `db_url` sampling every second, its history at `path`.
async fn app_with_history(db_url: &str, path: Option<&Path>) -> TestApp {
    let path = path.map(Path::to_path_buf);
    spawn_app_on(db_url, move |s| {
        s.history.path = path;
        s.history.sample_interval = Duration::from_secs(1);
    })
    .await
}

async fn history_json(app: &TestApp, query: &str) -> serde_json::Value {
    let response = app.get(&format!("/api/fleet/history{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.expect("JSON")
}

/// The value of an unlabelled series on `/metrics`.
async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app.get("/metrics").await.text().await.expect("metrics");
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} not on /metrics:\n{text}"))
        .trim()
        .parse()
        .expect("a number")
}

async fn stop(app: TestApp) {
    app.server.stop(true).await;
    // run_until_stopped then flushes the history; give it its moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// A tmpfs mounted on a fresh directory, unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let parent = tempfile::tempdir().expect("temp dir");
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).expect("mount point");
        run(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                path_str(&dir),
            ],
        );
        Tmpfs {
            dir,
            _parent: parent,
        }
    }

    fn remount_read_only(&self) {
        run("mount", &["-o", "remount,ro", path_str(&self.dir)]);
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        status.success(),
        "{program} {args:?} failed (these tests need root to mount a tmpfs)"
    );
}

/// A store file with `n` samples, written and closed.
fn store_with_samples(path: &Path, n: i64) {
    let mut store = Store::open(path).expect("create a store");
    let start = Utc
        .with_ymd_and_hms(2026, 4, 30, 0, 0, 0)
        .single()
        .expect("time");
    let samples: Vec<Sample> = (0..n)
        .map(|i| Sample {
            at: start + ChronoDuration::seconds(15 * i),
            status: if i % 100 < 50 {
                SampleStatus::Green
            } else {
                SampleStatus::Red
            },
            top_issue: Some(format!("issue number {i} with some text to fill pages")),
            issue_count: 1,
        })
        .collect();
    store.append(&samples, None).expect("append");
    store.checkpoint().expect("checkpoint");
}

/// fleetd started on a store it cannot use: it serves, records in memory,
/// and says so on /metrics, in the JSON and in the page footer.
async fn assert_falls_back_to_memory(app: &TestApp, reason: &str) {
    assert_eq!(metric(app, "fleetd_history_store_ok").await, 0.0);
    assert_eq!(metric(app, "fleetd_history_store_errors_total").await, 1.0);
    let history = history_json(app, "").await;
    assert_eq!(history["store"]["state"], "failed", "{history:#}");
    assert_eq!(history["store"]["reason"], reason, "{history:#}");
    let recent = history["recent"].as_array().expect("recent");
    assert!(!recent.is_empty(), "still recording in memory");
    let page = app.get("/fleet").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("page");
    assert!(
        page.contains(&format!("history store unusable ({reason})")),
        "the page footer names the fault"
    );
    // Later samples do not count the same fault again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(metric(app, "fleetd_history_store_errors_total").await, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresher_records_without_viewers_through_the_single_build_cache() {
    let db = green_db().await;
    // A long TTL: the refresher's asks within it must not build again.
    let app = spawn_app_on(db.url(), |s| {
        s.history.sample_interval = Duration::from_secs(1);
        s.cache.ttl = Duration::from_secs(3600);
    })
    .await;
    wait_until(Duration::from_secs(10), || async {
        app.snapshots.stats().builds() >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        app.snapshots.stats().builds(),
        1,
        "samples within one cache period share its build"
    );

    // A short TTL: no request at all, and the history still fills.
    let app = spawn_app_on(db.url(), |s| {
        s.history.sample_interval = Duration::from_secs(1);
        s.cache.ttl = Duration::from_millis(200);
    })
    .await;
    wait_until(Duration::from_secs(15), || async {
        app.snapshots.history().view().recent.len() >= 3
    })
    .await;
    assert_eq!(app.snapshots.history().status(), Some(SampleStatus::Green));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_builds_are_recorded_as_unknown() {
    let app = app_with_history(&unreachable_database_url(), None).await;
    wait_until(Duration::from_secs(20), || async {
        app.snapshots.history().view().recent.len() >= 2
    })
    .await;
    let history = history_json(&app, "").await;
    assert_eq!(history["status"], "unknown", "{history:#}");
    assert_eq!(history["recent"][0]["status"], "unknown");
    assert_eq!(history["recent"][0]["issue_count"], 0);
    assert_eq!(history["store"]["state"], "memory_only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn red_since_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A directory that does not exist yet: fleetd creates it.
    let path = dir.path().join("state/history.sqlite3");
    let db = green_db().await;
    let app = app_with_history(db.url(), Some(&path)).await;
    app.wait_for_drift().await;
    wait_until(Duration::from_secs(15), || async {
        app.snapshots.history().status() == Some(SampleStatus::Green)
    })
    .await;
    db.exec(MAKE_RED_SQL).await.expect("make the fleet red");
    wait_until(Duration::from_secs(15), || async {
        app.snapshots.history().status() == Some(SampleStatus::Red)
    })
    .await;
    // A sample after the transition, so both are stored.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let before = history_json(&app, "").await;
    assert_eq!(before["status"], "red");
    assert_eq!(before["status_since_exact"], true);
    assert_eq!(before["store"]["state"], "stored");
    let since = before["status_since"].as_str().expect("since").to_owned();
    assert_eq!(metric(&app, "fleetd_history_store_ok").await, 1.0);
    stop(app).await;

    let app = app_with_history(db.url(), Some(&path)).await;
    let after = history_json(&app, "").await;
    assert_eq!(after["status"], "red", "{after:#}");
    assert_eq!(
        after["status_since"],
        since.as_str(),
        "red since before the restart"
    );
    assert_eq!(after["status_since_exact"], true);
    let transitions = after["transitions"].as_array().expect("transitions");
    assert_eq!(transitions[0]["at"], since.as_str());
    assert_eq!(transitions[0]["from"], "green");
    assert_eq!(transitions[0]["to"], "red");
    assert!(after["recording_since"].as_str().expect("recording") < since.as_str());

    let page = app.get("/fleet").await.text().await.expect("page");
    assert!(
        page.contains(&format!(
            "<span class=\"st st-red\">red</span> since <time datetime=\"{since}\""
        )),
        "the page says red since the time before the restart"
    );
    assert!(page.contains("data-store=\"stored\""));
    assert!(
        page.contains("class=\"tl tl-red\""),
        "the 24-hour strip has the red"
    );

    // The history page reads the store: the transition from before the
    // restart, and the red spell that began then.
    let history_page = app.get("/fleet/history").await;
    assert_eq!(history_page.status(), StatusCode::OK);
    let history_page = history_page.text().await.expect("history page");
    let spells = &history_page[history_page
        .find("id=\"history-longest\"")
        .expect("longest red spells")..];
    assert!(
        spells.contains(&format!("<td><time datetime=\"{since}\"")),
        "the red spell starts at the transition"
    );
    let transitions_section = &history_page[history_page
        .find("id=\"history-transitions\"")
        .expect("transitions")..];
    assert!(transitions_section.contains(&format!("<time datetime=\"{since}\"")));

    // The window of the API reads the store: the transition is in it.
    let window = history_json(&app, &format!("?since={since}")).await;
    assert_eq!(window["window_since"], since.as_str());
    assert_eq!(window["transitions"][0]["at"], since.as_str());
    let none = history_json(&app, "?until=2000-01-01T00:00:00Z").await;
    assert_eq!(none["transitions"], serde_json::json!([]));
    assert_eq!(none["recent"], serde_json::json!([]));
    stop(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_directory_falls_back_to_memory() {
    let mount = Tmpfs::mount("1m");
    let path = mount.dir.join("history.sqlite3");
    store_with_samples(&path, 100);
    mount.remount_read_only();
    let db = green_db().await;
    let app = app_with_history(db.url(), Some(&path)).await;
    assert_falls_back_to_memory(&app, "not writable").await;
    stop(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_under_a_regular_file_falls_back_to_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").expect("write");
    let db = green_db().await;
    let app = app_with_history(db.url(), Some(&file.join("history.sqlite3"))).await;
    assert_falls_back_to_memory(&app, "not writable").await;
    stop(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_store_falls_back_to_memory_and_is_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("history.sqlite3");
    store_with_samples(&path, 5000);
    let len = std::fs::metadata(&path).expect("size").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    file.set_len(len / 2).expect("truncate");
    drop(file);
    let db = green_db().await;
    let app = app_with_history(db.url(), Some(&path)).await;
    assert_falls_back_to_memory(&app, "corrupt").await;
    stop(app).await;
    assert_eq!(
        std::fs::metadata(&path).expect("size").len(),
        len / 2,
        "the file is left for inspection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_fall_back_to_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("history.sqlite3");
    let garbage: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &garbage).expect("write garbage");
    let db = green_db().await;
    let app = app_with_history(db.url(), Some(&path)).await;
    assert_falls_back_to_memory(&app, "corrupt").await;
    stop(app).await;
    assert_eq!(
        std::fs::read(&path).expect("read"),
        garbage,
        "left as it was"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_from_a_newer_fleetd_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("history.sqlite3");
    store_with_samples(&path, 10);
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA user_version = 99;")
        .expect("a newer schema version");
    drop(conn);
    let db = green_db().await;
    let app = app_with_history(db.url(), Some(&path)).await;
    assert_falls_back_to_memory(&app, "written by a newer fleetd").await;
    stop(app).await;
    let conn = rusqlite::Connection::open(&path).expect("open");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("version");
    assert_eq!(version, 99, "the newer store is not touched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_falls_back_to_memory() {
    let mount = Tmpfs::mount("512k");
    let path = mount.dir.join("history.sqlite3");
    let db = green_db().await;
    let app = app_with_history(db.url(), Some(&path)).await;
    wait_until(Duration::from_secs(10), || async {
        app.snapshots.history().view().recent.len() >= 2
    })
    .await;
    assert_eq!(
        metric(&app, "fleetd_history_store_ok").await,
        1.0,
        "it starts stored"
    );
    // Fill the file system; the next writes of the store fail.
    let filler = mount.dir.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4096", "count=256"])
        .arg(format!("of={}", filler.display()))
        .stderr(std::process::Stdio::null())
        .status();
    // Samples with a changing top issue: each write needs new pages.
    for i in 0..20 {
        db.exec(&format!(
            "UPDATE jetmon_process_health SET health_status = '{}' WHERE process_id = 'mon-b:monitor'",
            if i % 2 == 0 { "amber" } else { "green" }
        ))
        .await
        .expect("flip mon-b");
        tokio::time::sleep(Duration::from_millis(1200)).await;
        if metric(&app, "fleetd_history_store_ok").await == 0.0 {
            break;
        }
    }
    assert_falls_back_to_memory(&app, "disk full").await;
    stop(app).await;
}
