//! `fleetd check`: the built binary against green, amber and red fleets and
//! an unreachable database; exit codes 0 / 1 / 2 / 3.

use crate::helpers::{seeded_db, unreachable_database_url};
use crate::history::green_db;
use std::path::Path;
use std::process::{Command, Output};

use crate::child::BIN;

pub fn write_config(dir: &Path, database_url: &str) -> std::path::PathBuf {
    let config = dir.join("fleetd.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = {database_url:?}\nconnect_timeout_ms = 2000\n\
             [log]\nlevel = \"info\"\n"
        ),
    )
    .expect("write config");
    config
}

pub fn check(config: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .arg("check")
        .arg("--config")
        .arg(config)
        .args(extra)
        .env_remove("RUST_LOG")
        .output()
        .expect("run fleetd check")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_green_fleet_exits_0_after_checking_drift() {
    let db = green_db().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), db.url());

    let output = check(&config, &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}\n{}", stderr(&output));
    assert!(
        text.starts_with("GREEN: fleet checks are green\n"),
        "{text}"
    );
    assert!(text.contains("issues: none"), "{text}");
    assert!(text.contains("drift checked"), "drift was scanned: {text}");

    // --json prints the complete snapshot, with the drift figure.
    let output = check(&config, &["--json"]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["summary"]["status"], "green");
    assert_eq!(json["projection_drift"]["count"], 0);
    assert!(json["projection_drift"]["checked_at"].is_string());
    assert_eq!(json["processes"].as_array().map(Vec::len), Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amber_fleet_exits_1() {
    // The seeded fleet without its drifting site: amber (mon-b, a due row).
    let db = seeded_db().await;
    db.exec("UPDATE jetpack_monitor_sites SET site_status = 1 WHERE blog_id = 2")
        .await
        .expect("repair drift");
    let dir = tempfile::tempdir().expect("temp dir");
    let output = check(&write_config(dir.path(), db.url()), &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}\n{}", stderr(&output));
    assert!(
        text.starts_with("AMBER: fleet needs operator attention\n"),
        "{text}"
    );
    assert!(
        text.contains("amber  mon-b:monitor health_status=amber"),
        "{text}"
    );
    assert!(text.contains("next action: "), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_red_fleet_exits_2_and_lists_its_issues() {
    let db = seeded_db().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let output = check(&write_config(dir.path(), db.url()), &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{text}\n{}", stderr(&output));
    assert!(
        text.starts_with("RED: fleet has rollout-blocking issues\n"),
        "{text}"
    );
    assert!(
        text.contains("red    projection drift: legacy projection drift=1"),
        "{text}"
    );
    assert!(
        text.contains("next action: Run jetmon2 rollout projection-drift"),
        "{text}"
    );

    let output = check(&write_config(dir.path(), db.url()), &["--json"]);
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["summary"]["status"], "red");
}

#[test]
fn an_unreachable_database_exits_3_without_leaking_the_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = unreachable_database_url().replace("root@", "root:canary-pw@");
    let config = write_config(dir.path(), &url);

    let output = check(&config, &[]);
    let (out, err) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(3), "{out}\n{err}");
    assert_eq!(
        out,
        "UNKNOWN: fleet status unknown: the database could not be read\n"
    );
    assert!(
        err.contains("fleetd check: cannot read the fleet from mysql://root:***@127.0.0.1:"),
        "{err}"
    );
    assert!(
        !out.contains("canary-pw") && !err.contains("canary-pw"),
        "{err}"
    );

    let output = check(&config, &["--json"]);
    assert_eq!(output.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["status"], "unknown");
}

#[test]
fn a_bad_configuration_exits_3_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleetd.toml");
    std::fs::write(&config, "[cache]\nttl = 5\n").expect("write config");
    let output = check(&config, &[]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("cache.ttl"), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("UNKNOWN: "));

    let missing = dir.path().join("missing.toml");
    assert_eq!(check(&missing, &[]).status.code(), Some(3));
}

#[test]
fn a_usage_error_of_check_exits_3_unknown_not_2_red() {
    let output = Command::new(BIN)
        .args(["check", "--no-such-option"])
        .output()
        .expect("run fleetd check");
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("--no-such-option"));
    let help = Command::new(BIN)
        .args(["check", "--help"])
        .output()
        .expect("run fleetd check --help");
    assert_eq!(help.status.code(), Some(0));
}
