//! Issue 15, item 2: every background task survives its own panic. A panic
//! is injected into each task (the test-only `fault-injection` hook of
//! `fleetd::tasks`) and the task's next cycle must still run, with the
//! panic logged and counted on `/metrics`.

use crate::helpers::{spawn_app_with, wait_until, TestApp};
use crate::support::{metrics_text, ms, record};
use fleetd::settings::ConfigSource;
use fleetd::snapshots::DRIFT_TASK;
use fleetd::startup::RELOAD_TASK;
use std::time::{Duration, Instant};

/// `fleetd_task_panics_total{task="…"}` on `/metrics`, if the series is there.
async fn task_panics(app: &TestApp, task: &str) -> Option<f64> {
    let text = metrics_text(&app.client, &app.address).await?;
    let prefix = format!("fleetd_task_panics_total{{task=\"{task}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix)?.parse().ok())
}

/// Sends SIGHUP to this test process, where the app's reload task listens.
/// (nextest runs every test in a process of its own.)
fn hangup() {
    let status = std::process::Command::new("kill")
        .arg("-HUP")
        .arg(std::process::id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_each_background_task_is_counted_and_its_next_cycle_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleetd.toml");
    std::fs::write(&config, "[fleet]\nbucket_total = 1000\n").expect("write config");
    let source = ConfigSource::explicit(&config);
    let app = spawn_app_with(|s| {
        s.cache.drift_interval = Duration::from_secs(1);
        s.source = Some(source);
    })
    .await;
    app.wait_for_drift().await;
    // Both tasks run (their series exist at 0) before anything is injected;
    // the reload task listens for SIGHUP from then on.
    wait_until(Duration::from_secs(10), || async {
        task_panics(&app, RELOAD_TASK).await == Some(0.0)
            && task_panics(&app, DRIFT_TASK).await == Some(0.0)
    })
    .await;
    let stats = app.snapshots.stats();

    // The drift refresher: the next scan after the panicking one runs.
    let scans_before = stats.snapshot().drift_scans_succeeded;
    fleetd::tasks::inject_panic(DRIFT_TASK);
    let injected = Instant::now();
    wait_until(Duration::from_secs(10), || async {
        task_panics(&app, DRIFT_TASK).await == Some(1.0)
    })
    .await;
    let scans_at_panic = stats.snapshot().drift_scans_succeeded;
    wait_until(Duration::from_secs(10), || async {
        stats.snapshot().drift_scans_succeeded > scans_at_panic
    })
    .await;
    let drift_next_scan = injected.elapsed();
    assert!(scans_at_panic >= scans_before);

    // The reload task: the SIGHUP whose reload panics changes nothing, the
    // next one reloads.
    fleetd::tasks::inject_panic(RELOAD_TASK);
    hangup();
    wait_until(Duration::from_secs(10), || async {
        task_panics(&app, RELOAD_TASK).await == Some(1.0)
    })
    .await;
    assert_eq!(app.reload.current().fleet.bucket_total, 1000);
    std::fs::write(&config, "[fleet]\nbucket_total = 500\n").expect("rewrite config");
    let second = Instant::now();
    hangup();
    wait_until(Duration::from_secs(10), || async {
        app.reload.current().fleet.bucket_total == 500
    })
    .await;
    let reload_after_panic = second.elapsed();
    let counters = stats.snapshot();
    assert_eq!(counters.reloads_succeeded, 1, "{counters:?}");
    assert_eq!(counters.reloads_failed, 0, "{counters:?}");

    // Each panic counted once, for its own task; the server kept serving.
    assert_eq!(task_panics(&app, DRIFT_TASK).await, Some(1.0));
    assert_eq!(task_panics(&app, RELOAD_TASK).await, Some(1.0));
    assert_eq!(app.get("/api/fleet").await.status(), 200);

    record(
        "background_task_panics",
        "a panic injected into one cycle of each background task (drift refresher, SIGHUP reload; \
         test-only hook)",
        "the panic is logged and counted in `fleetd_task_panics_total{task=…}`; the drift refresher's next \
         scan runs on schedule, the next SIGHUP reloads; requests unaffected",
        &[
            ("drift: next scan after the injection", ms(drift_next_scan)),
            ("reload: next SIGHUP applied in", ms(reload_after_panic)),
            ("panics counted", "drift 1, reload 1".to_owned()),
        ],
    );
}
