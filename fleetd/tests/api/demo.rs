//! `fleetd demo` as a child process: it creates its database, serves a page
//! with processes, and drops the database on SIGTERM; without a server it
//! says how to start one.

use crate::child::{ChildProcess, Collect, BIN};
use crate::helpers::client;
use fleet_sql::testing::{admin_url, ScratchDb};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// A running `fleetd demo` whose stdout lines are collected.
struct Demo(ChildProcess);

impl Demo {
    fn start(args: &[&str]) -> Demo {
        let mut command = Command::new(BIN);
        command.arg("demo").args(args);
        Demo(ChildProcess::spawn(command, Collect::Stdout))
    }

    /// The next stdout line containing `needle` (panics after `limit`).
    fn wait_for(&mut self, needle: &str, limit: Duration) -> String {
        self.0.wait_for(needle, limit)
    }

    fn terminate(&self) {
        self.0.signal("TERM");
    }

    fn signal(&self, name: &str) {
        self.0.signal(name);
    }

    fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        self.0.wait_for_exit(limit)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // A failing test still lets the demo clean up its database.
        if self.0.is_running() {
            self.terminate();
            let deadline = Instant::now() + Duration::from_secs(20);
            while self.0.is_running() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.0.child.kill();
        }
        let _ = self.0.child.wait();
    }
}

/// Whether a database of that name exists on the test server.
async fn database_exists(probe: &ScratchDb, name: &str) -> bool {
    let value = probe
        .value(&format!(
            "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'"
        ))
        .await
        .expect("query information_schema");
    mysql_async::from_value::<i64>(value) == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_serves_a_live_fleet_and_drops_its_database_on_sigterm() {
    let probe = ScratchDb::create_without_schema()
        .await
        .expect("a connection to the test server");
    let server = admin_url();
    let mut demo = Demo::start(&["--database-url", &server, "--listen", "127.0.0.1:0"]);

    let line = demo.wait_for("database   fleetd_demo_", Duration::from_secs(60));
    let name = line
        .split_whitespace()
        .nth(1)
        .expect("database name")
        .to_owned();
    let line = demo.wait_for("serving    http://", Duration::from_secs(60));
    let url = line.split_whitespace().nth(1).expect("the URL").to_owned();
    assert!(url.ends_with("/fleet"), "{url}");
    assert!(database_exists(&probe, &name).await, "{name} was created");

    // The page and the feed show the demo fleet.
    let http = client();
    let page = http.get(&url).send().await.expect("GET /fleet");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let html = page.text().await.expect("page");
    for process in [
        "jm-dfw-01:monitor",
        "jm-ord-02:monitor",
        "jm-dlv-01:deliverer",
    ] {
        assert!(html.contains(process), "{process} on the page");
    }
    let api = url.replace("/fleet", "/api/fleet");
    let fleet: serde_json::Value = http
        .get(&api)
        .send()
        .await
        .expect("GET /api/fleet")
        .json()
        .await
        .expect("JSON");
    assert_eq!(fleet["processes"].as_array().map(Vec::len), Some(5));
    assert_eq!(fleet["bucket_coverage"]["mode"], "dynamic");
    assert_eq!(fleet["bucket_coverage"]["host_count"], 4);
    assert_eq!(
        fleet["delivery"]["posture"]["owner_hosts"],
        serde_json::json!(["jm-dlv-01"])
    );
    assert!(
        fleet["delivery"]["due_now"].as_u64().is_some_and(|d| d > 0),
        "a backlog"
    );

    // The heartbeats move: a later snapshot has a later heartbeat.
    let heartbeat = |fleet: &serde_json::Value| {
        fleet["processes"][0]["updated_at"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let first = heartbeat(&fleet);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let later: serde_json::Value = http
            .get(&api)
            .send()
            .await
            .expect("GET /api/fleet")
            .json()
            .await
            .expect("JSON");
        if heartbeat(&later) > first {
            break;
        }
        assert!(Instant::now() < deadline, "heartbeats did not move");
    }

    demo.terminate();
    let status = demo.wait_for_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0));
    demo.wait_for(&format!("dropped database {name}"), Duration::from_secs(5));
    assert!(!database_exists(&probe, &name).await, "{name} was dropped");
}

#[test]
fn demo_without_a_server_says_how_to_start_one() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let output = Command::new(BIN)
        .args([
            "demo",
            "--database-url",
            &format!("mysql://root@127.0.0.1:{port}/"),
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("RUST_LOG")
        .output()
        .expect("run fleetd demo");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "no MySQL/MariaDB server is reachable at mysql://root@127.0.0.1:{port}/"
        )),
        "{stderr}"
    );
    // This machine has a server installed: the one line says how to start it.
    let hint: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("To run the demo"))
        .collect();
    assert_eq!(hint.len(), 1, "one line of advice: {stderr}");
    assert!(hint[0].contains("sudo systemctl start mariadb"), "{stderr}");
    assert!(hint[0].contains("start-stop-daemon"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_drops_its_database_when_its_terminal_hangs_up() {
    let probe = ScratchDb::create_without_schema()
        .await
        .expect("a connection to the test server");
    let server = admin_url();
    let mut demo = Demo::start(&["--database-url", &server, "--listen", "127.0.0.1:0"]);
    let line = demo.wait_for("database   fleetd_demo_", Duration::from_secs(60));
    let name = line
        .split_whitespace()
        .nth(1)
        .expect("database name")
        .to_owned();
    demo.wait_for("serving    http://", Duration::from_secs(60));
    demo.signal("HUP");
    let status = demo.wait_for_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0));
    assert!(!database_exists(&probe, &name).await, "{name} was dropped");
}
