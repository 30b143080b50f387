//! The built binary as a child process: startup, SIGHUP reload, SIGTERM,
//! systemd notifications, exit codes.

use crate::child::{ChildProcess, Collect, BIN};
use crate::helpers::{client, seeded_db};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::Duration;

/// A running `fleetd serve` whose log lines are collected.
struct ChildFleetd {
    process: ChildProcess,
    address: String,
}

impl ChildFleetd {
    fn start(config: &Path, notify_socket: Option<&Path>) -> ChildFleetd {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--config"])
            .arg(config)
            .env_remove("NOTIFY_SOCKET");
        if let Some(socket) = notify_socket {
            command.env("NOTIFY_SOCKET", socket);
        }
        let mut fleetd = ChildFleetd {
            process: ChildProcess::spawn(command, Collect::Stderr),
            address: String::new(),
        };
        let line = fleetd.wait_for_log("listening on http://");
        let start = line.find("http://").expect("url in log line");
        let url = &line[start..];
        let end = url.find("/fleet").expect("fleet path in log line");
        fleetd.address = url[..end].to_owned();
        fleetd
    }

    /// The next log line containing `needle` (panics after 15 s).
    fn wait_for_log(&mut self, needle: &str) -> String {
        self.process.wait_for(needle, Duration::from_secs(15))
    }

    /// The whole log, up to the child's exit (call after it exited).
    fn full_log(&mut self) -> String {
        self.process.full_output()
    }

    fn signal(&self, name: &str) {
        self.process.signal(name);
    }

    fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        self.process.wait_for_exit(limit)
    }

    async fn fleet_json(&self) -> serde_json::Value {
        let response = client()
            .get(format!("{}/api/fleet", self.address))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.json().await.expect("json")
    }

    async fn status_of(&self, path: &str) -> reqwest::StatusCode {
        client()
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
            .status()
    }
}

impl Drop for ChildFleetd {
    fn drop(&mut self) {
        let _ = self.process.child.kill();
        let _ = self.process.child.wait();
    }
}

fn config_text(database_url: &str, bucket_total: u32, level: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[database]\nurl = {database_url:?}\n\
         [fleet]\nbucket_total = {bucket_total}\n[cache]\nttl_ms = 60000\n\
         [log]\nlevel = {level:?}\n"
    )
}

/// The next datagram on the notify socket.
fn next_notification(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 512];
    let n = socket
        .recv(&mut buf)
        .expect("a notification within the timeout");
    String::from_utf8_lossy(&buf[..n]).trim_end().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_applies_a_good_file_and_keeps_the_running_config_when_the_file_is_broken() {
    let db = seeded_db().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleetd.toml");
    std::fs::write(&config, config_text(db.url(), 1000, "info")).expect("write config");
    let notify_path = dir.path().join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).expect("notify socket");
    notify
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");

    let mut fleetd = ChildFleetd::start(&config, Some(&notify_path));
    assert_eq!(next_notification(&notify), "READY=1");
    assert_eq!(
        fleetd.fleet_json().await["bucket_coverage"]["bucket_total"],
        1000
    );

    // A good file: the new threshold is visible on the next request.
    std::fs::write(&config, config_text(db.url(), 500, "debug")).expect("rewrite config");
    fleetd.signal("HUP");
    fleetd.wait_for_log("configuration reloaded");
    let reloading = next_notification(&notify);
    assert!(reloading.contains("RELOADING=1"), "{reloading}");
    assert_eq!(next_notification(&notify), "READY=1");
    assert_eq!(
        fleetd.fleet_json().await["bucket_coverage"]["bucket_total"],
        500
    );
    // The log level changed too: builds are logged at debug.
    fleetd.wait_for_log("fleet snapshot built");

    // A broken file: logged with the key, the running config stays.
    std::fs::write(&config, "[fleet]\nbucket_total = 250\nbogus = 1\n").expect("break config");
    fleetd.signal("HUP");
    let line = fleetd.wait_for_log("configuration reload failed");
    assert!(line.contains("fleet.bogus"), "{line}");
    assert_eq!(
        fleetd.fleet_json().await["bucket_coverage"]["bucket_total"],
        500
    );
    assert_eq!(fleetd.status_of("/healthz").await, reqwest::StatusCode::OK);

    fleetd.signal("TERM");
    assert_eq!(
        fleetd.wait_for_exit(Duration::from_secs(20)).code(),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_exits_zero() {
    let db = seeded_db().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleetd.toml");
    std::fs::write(&config, config_text(db.url(), 1000, "info")).expect("write config");
    let mut fleetd = ChildFleetd::start(&config, None);
    assert_eq!(
        fleetd.status_of("/api/fleet").await,
        reqwest::StatusCode::OK
    );

    fleetd.signal("TERM");
    fleetd.wait_for_log("graceful shutdown");
    assert_eq!(
        fleetd.wait_for_exit(Duration::from_secs(20)).code(),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_loopback_listen_is_warned_about_and_passwords_never_reach_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let password_file = dir.path().join("db-password");
    std::fs::write(&password_file, "file-canary-pw\n").expect("write password");
    // The URL's own password must not be logged either. Nothing listens on
    // the database port, so every build fails and logs its error.
    let url = crate::helpers::unreachable_database_url().replace("root@", "root:url-canary-pw@");
    let config = dir.path().join("fleetd.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"0.0.0.0:0\"\n[database]\nurl = {url:?}\n\
             password_file = {:?}\nconnect_timeout_ms = 500\n[log]\nlevel = \"trace\"\n",
            password_file.display().to_string()
        ),
    )
    .expect("write config");

    let mut fleetd = ChildFleetd::start(&config, None);
    fleetd.address = fleetd.address.replace("0.0.0.0", "127.0.0.1");
    assert_eq!(
        fleetd.status_of("/api/fleet").await,
        reqwest::StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        fleetd.status_of("/fleet").await,
        reqwest::StatusCode::SERVICE_UNAVAILABLE
    );
    fleetd.signal("TERM");
    assert_eq!(
        fleetd.wait_for_exit(Duration::from_secs(20)).code(),
        Some(0)
    );

    let log = fleetd.full_log();
    assert!(log.contains("not a loopback address"), "{log}");
    assert!(
        log.contains("snapshot build failed"),
        "the cause is logged: {log}"
    );
    assert!(
        !log.contains("canary-pw"),
        "a password reached the log: {log}"
    );
}

#[test]
fn a_broken_config_file_stops_startup_with_exit_code_2_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleetd.toml");
    std::fs::write(&config, "[database]\npool_max = 0\n").expect("write config");
    let output = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run fleetd");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("database.pool_max"), "{stderr}");

    let missing = dir.path().join("missing.toml");
    let output = Command::new(BIN)
        .arg("--config")
        .arg(&missing)
        .output()
        .expect("run fleetd");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn help_and_version_work_for_every_command() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["serve", "--help"],
        &["serve", "--version"],
        &["check", "--help"],
        &["check", "--version"],
        &["demo", "--help"],
        &["demo", "--version"],
    ] {
        let output = Command::new(BIN).args(args).output().expect("run fleetd");
        assert!(output.status.success(), "{args:?}");
        assert!(!output.stdout.is_empty(), "{args:?} prints something");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_dependency_health_row_is_logged_once_with_its_parse_error() {
    let db = seeded_db().await;
    db.exec(
        "UPDATE jetmon_process_health SET dependency_health = '[1, 2]' \
         WHERE process_id = (SELECT id FROM (SELECT MIN(process_id) AS id FROM jetmon_process_health) AS p)",
    )
    .await
    .expect("make one row's dependency_health unreadable");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleetd.toml");
    // A cache of 0: every request builds, and the row must still be logged once.
    std::fs::write(
        &config,
        config_text(db.url(), 1000, "info").replace("ttl_ms = 60000", "ttl_ms = 0"),
    )
    .expect("write config");
    let mut fleetd = ChildFleetd::start(&config, None);
    for _ in 0..3 {
        let json = fleetd.fleet_json().await;
        assert!(
            json["summary"]["issues"]
                .as_array()
                .expect("issues")
                .iter()
                .any(|i| i
                    .as_str()
                    .is_some_and(|i| i.ends_with("dependency_health unreadable"))),
            "{}",
            json["summary"]
        );
    }
    fleetd.wait_for_log("dependency_health is unreadable");
    fleetd.signal("TERM");
    fleetd.wait_for_exit(Duration::from_secs(20));
    let log = fleetd.full_log();
    assert_eq!(
        log.matches("dependency_health is unreadable").count(),
        1,
        "logged once, not per build: {log}"
    );
    assert!(
        log.contains("entry 0 is a number, expected an object"),
        "{log}"
    );
    db.drop().await.expect("drop");
}

/// `href`s of the dashboard links of a page.
fn dashboard_links(html: &str) -> Vec<String> {
    const OPEN: &str = "<a class=\"dash\" href=\"";
    html.match_indices(OPEN)
        .map(|(i, _)| {
            let rest = &html[i + OPEN.len()..];
            rest[..rest.find('"').expect("closing quote")].replace("&amp;", "&")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_changes_the_host_dashboard_links_of_the_cached_page() {
    let db = seeded_db().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleetd.toml");
    let with_links = |template: &str| {
        format!(
            "{}[links]\nhost_dashboard = {template:?}\n",
            config_text(db.url(), 1000, "info")
        )
    };
    std::fs::write(&config, with_links("https://old.example/{host}")).expect("write config");
    let mut fleetd = ChildFleetd::start(&config, None);
    let url = format!("{}/fleet", fleetd.address);
    let page = || async {
        client()
            .get(&url)
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("body")
    };
    // The default page is cached for the snapshot (ttl 60 s).
    let before = page().await;
    assert!(dashboard_links(&before).contains(&"https://old.example/mon-a".to_owned()));
    assert_eq!(page().await, before, "served from the snapshot's cache");

    std::fs::write(&config, with_links("https://new.example/h/{host}")).expect("rewrite");
    fleetd.signal("HUP");
    let line = fleetd.wait_for_log("configuration reloaded");
    assert!(line.contains("links.host_dashboard"), "{line}");
    let after = dashboard_links(&page().await);
    assert!(
        after.contains(&"https://new.example/h/mon-a".to_owned()),
        "{after:?}"
    );
    assert!(
        after
            .iter()
            .all(|l| l.starts_with("https://new.example/h/")),
        "no link of the old template survives the reload: {after:?}"
    );

    // A broken template is refused naming the key; the links stay.
    std::fs::write(&config, with_links("https://new.example/{hostname}")).expect("break");
    fleetd.signal("HUP");
    let line = fleetd.wait_for_log("configuration reload failed");
    assert!(line.contains("links.host_dashboard"), "{line}");
    assert!(dashboard_links(&page().await).contains(&"https://new.example/h/mon-a".to_owned()));

    // Removing the key removes the links.
    std::fs::write(&config, config_text(db.url(), 1000, "info")).expect("rewrite");
    fleetd.signal("HUP");
    fleetd.wait_for_log("configuration reloaded");
    assert!(dashboard_links(&page().await).is_empty());
}

#[test]
fn a_bad_host_dashboard_template_stops_startup_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleetd.toml");
    std::fs::write(
        &config,
        "[links]\nhost_dashboard = \"javascript:alert(1)\"\n",
    )
    .expect("write config");
    let output = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run fleetd");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("links.host_dashboard") && stderr.contains("http://"),
        "{stderr}"
    );
}
