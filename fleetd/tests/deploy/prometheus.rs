//! `deploy/prometheus/fleetd-alerts.yml` with the real Prometheus (Debian's
//! `prometheus` package): `promtool` checks the rules and runs their unit
//! tests, every alert has its severity, annotations and runbook section, and
//! a real Prometheus scraping a real fleetd fires JetmonFleetRed on a red
//! fleet and resolves it once the fleet is green.

use crate::helpers::{client, seeded_db, spawn_app_on, wait_until};
use crate::support::{free_port, repo_file, repo_root, require_tool, run_bounded, tail};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const RULES: &str = "deploy/prometheus/fleetd-alerts.yml";
const RULE_TESTS: &str = "deploy/prometheus/tests/fleetd-alerts.test.yml";
const OPERATIONS: &str = "docs/operations.md";
const RUNBOOK_BASE: &str = "file:///usr/share/doc/fleetd/operations.md#";
const SEVERITIES: [&str; 2] = ["page", "ticket"];

fn promtool() -> PathBuf {
    require_tool("promtool", &[], "prometheus")
}

/// One rule of the rules file, as written (the file is ours: one key per
/// line, so reading it line by line is exact enough and says what is missing).
#[derive(Debug, Default)]
struct AlertRule {
    name: String,
    severity: Option<String>,
    runbook_url: Option<String>,
    has_summary: bool,
    has_description: bool,
}

fn alert_rules() -> Vec<AlertRule> {
    let mut rules: Vec<AlertRule> = Vec::new();
    for line in repo_file(RULES).lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("- alert: ") {
            rules.push(AlertRule {
                name: name.trim().to_owned(),
                ..AlertRule::default()
            });
            continue;
        }
        let Some(rule) = rules.last_mut() else {
            continue;
        };
        if let Some(severity) = line.strip_prefix("severity: ") {
            rule.severity = Some(severity.trim().to_owned());
        } else if let Some(url) = line.strip_prefix("runbook_url: ") {
            rule.runbook_url = Some(url.trim().to_owned());
        } else if line.starts_with("summary: ") {
            rule.has_summary = true;
        } else if line.starts_with("description: ") {
            rule.has_description = true;
        }
    }
    assert!(!rules.is_empty(), "{RULES} has no `- alert:` rule");
    rules
}

/// The anchor GitHub gives a Markdown heading: lower case, spaces to
/// hyphens, punctuation other than `-` and `_` dropped.
fn github_anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn operations_anchors() -> Vec<String> {
    repo_file(OPERATIONS)
        .lines()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|heading| github_anchor(heading.trim_start_matches('#')))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_check_rules_finds_every_alert_and_nothing_to_report() {
    let mut command = tokio::process::Command::new(promtool());
    command
        .args(["check", "rules"])
        .arg(repo_root().join(RULES));
    let output = run_bounded("promtool check rules", command, Duration::from_secs(60)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "promtool check rules {RULES}: {}\n{stdout}{stderr}",
        output.status
    );
    let expected = format!("SUCCESS: {} rules found", alert_rules().len());
    assert!(stdout.contains(&expected), "{expected:?} in:\n{stdout}");
    assert!(
        stderr.trim().is_empty() && !stdout.contains("WARNING"),
        "promtool has something to say:\n{stdout}{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_unit_tests_pass_and_show_every_alert_firing_and_not_firing() {
    let mut command = tokio::process::Command::new(promtool());
    command
        .args(["test", "rules"])
        .arg(repo_root().join(RULE_TESTS));
    let output = run_bounded("promtool test rules", command, Duration::from_secs(120)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("SUCCESS"),
        "promtool test rules {RULE_TESTS}: {}\n{stdout}{stderr}",
        output.status
    );

    // Which alerts the unit tests expect to fire (a non-empty exp_alerts)
    // and expect silent (`exp_alerts: []`).
    let tests = repo_file(RULE_TESTS);
    let mut alertname = None;
    let mut firing = Vec::new();
    let mut silent = Vec::new();
    for line in tests.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("alertname: ") {
            alertname = Some(name.trim().to_owned());
        } else if let Some(expected) = line.strip_prefix("exp_alerts:") {
            let name = alertname.take().expect("exp_alerts follows an alertname");
            if expected.trim() == "[]" {
                silent.push(name);
            } else {
                firing.push(name);
            }
        }
    }
    for rule in alert_rules() {
        assert!(
            firing.contains(&rule.name),
            "{RULE_TESTS} never shows {} firing",
            rule.name
        );
        assert!(
            silent.contains(&rule.name),
            "{RULE_TESTS} never shows {} not firing",
            rule.name
        );
    }
}

#[test]
fn every_alert_has_a_severity_a_summary_a_description_and_a_runbook_section() {
    let anchors = operations_anchors();
    for rule in alert_rules() {
        let name = &rule.name;
        assert!(
            rule.severity
                .as_deref()
                .is_some_and(|s| SEVERITIES.contains(&s)),
            "{name}: severity {:?} is not one of {SEVERITIES:?}",
            rule.severity
        );
        assert!(
            rule.has_summary && rule.has_description,
            "{name} needs both a summary and a description"
        );
        let url = rule.runbook_url.as_deref().unwrap_or_default();
        let anchor = url
            .strip_prefix(RUNBOOK_BASE)
            .unwrap_or_else(|| panic!("{name}: runbook_url {url:?} is not under {RUNBOOK_BASE}"));
        assert_eq!(
            anchor,
            github_anchor(name),
            "{name}: the runbook section is named after the alert"
        );
        assert!(
            anchors.iter().any(|a| a == anchor),
            "{OPERATIONS} has no heading for #{anchor} ({name}'s runbook_url)"
        );
    }
}

// ---- a real Prometheus in front of a real fleetd ----------------------------

/// A running Prometheus, killed when dropped (one process).
struct Prometheus {
    child: Child,
    dir: tempfile::TempDir,
    address: String,
}

impl Prometheus {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The rules file with every `for: <N>m` turned into `for: <N>s`, so that an
/// alert fires in seconds. Every rule must have had one.
fn rules_in_seconds() -> String {
    let text = repo_file(RULES);
    let mut shortened = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let indent = line.len() - line.trim_start().len();
            let minutes = line
                .trim()
                .strip_prefix("for: ")
                .and_then(|value| value.strip_suffix('m'))
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            match minutes {
                Some(n) => {
                    shortened += 1;
                    format!("{}for: {n}s", &line[..indent])
                }
                None => line.to_owned(),
            }
        })
        .collect();
    assert_eq!(
        shortened,
        alert_rules().len(),
        "every rule of {RULES} has a `for:` in whole minutes for the test to shorten"
    );
    lines.join("\n") + "\n"
}

/// Starts Prometheus scraping the fleetd on `fleetd_port` as job `fleetd`,
/// every second, evaluating the shortened rules every second.
async fn start_prometheus(fleetd_port: u16) -> Prometheus {
    let binary = require_tool("prometheus", &[], "prometheus");
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("fleetd-alerts.yml");
    std::fs::write(&rules, rules_in_seconds()).expect("write rules");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {rules:?}\n\
             scrape_configs:\n  - job_name: fleetd\n    static_configs:\n\
             \x20     - targets: [\"127.0.0.1:{fleetd_port}\"]\n",
            rules = rules.display().to_string(),
        ),
    )
    .expect("write prometheus.yml");

    let port = free_port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log file");
    let child = std::process::Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    let mut prometheus = Prometheus {
        child,
        dir,
        address: format!("http://127.0.0.1:{port}"),
    };

    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = format!("{}/-/ready", prometheus.address);
    loop {
        if let Some(status) = prometheus.child.try_wait().expect("try_wait") {
            panic!(
                "prometheus exited with {status}:\n{}",
                tail(&prometheus.log(), 30)
            );
        }
        if client()
            .get(&ready)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "prometheus is not ready after 30 s:\n{}",
            tail(&prometheus.log(), 30)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    prometheus
}

/// The alerts Prometheus has pending or firing (`/api/v1/alerts`).
async fn active_alerts(prometheus: &Prometheus) -> Vec<serde_json::Value> {
    let url = format!("{}/api/v1/alerts", prometheus.address);
    let response = client()
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert!(response.status().is_success(), "GET {url}: {response:?}");
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["status"], "success", "{body:#}");
    body["data"]["alerts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn named<'a>(alerts: &'a [serde_json::Value], name: &str) -> Vec<&'a serde_json::Value> {
    alerts
        .iter()
        .filter(|a| a["labels"]["alertname"] == name)
        .collect()
}

/// Polls `/api/v1/alerts` every 250 ms until `done` holds; fails after
/// `limit` with what Prometheus last listed and its log.
async fn wait_for_alerts(
    prometheus: &Prometheus,
    what: &str,
    limit: Duration,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> (Vec<serde_json::Value>, Duration) {
    let started = Instant::now();
    loop {
        let alerts = active_alerts(prometheus).await;
        if done(&alerts) {
            return (alerts, started.elapsed());
        }
        assert!(
            started.elapsed() < limit,
            "{what}: not within {limit:?}; Prometheus lists {alerts:#?}\n{}",
            tail(&prometheus.log(), 20)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn fleet_status(app: &crate::helpers::TestApp) -> String {
    let json: serde_json::Value = app
        .get("/api/fleet")
        .await
        .json()
        .await
        .expect("JSON snapshot");
    json["summary"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The seeded fleet made green (mon-b healthy, no due delivery, no drift),
/// then red by mon-a reporting itself red.
const SEED_RED_SQL: &str = "
UPDATE jetmon_process_health SET health_status = 'green' WHERE process_id = 'mon-b:monitor';
DELETE FROM jetmon_webhook_deliveries;
UPDATE jetpack_monitor_sites SET site_status = 1 WHERE blog_id = 2;
UPDATE jetmon_process_health SET health_status = 'red' WHERE process_id = 'mon-a:monitor';
";

const MAKE_GREEN_SQL: &str =
    "UPDATE jetmon_process_health SET health_status = 'green' WHERE process_id = 'mon-a:monitor'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_fires_jetmon_fleet_red_on_a_red_fleet_and_resolves_it_once_green() {
    let db = seeded_db().await;
    db.exec(SEED_RED_SQL).await.expect("seed a red fleet");
    let app = spawn_app_on(db.url(), |s| s.cache.ttl = Duration::from_millis(200)).await;
    // With the drift figure in, green is reachable as soon as mon-a is.
    app.wait_for_drift().await;
    assert_eq!(fleet_status(&app).await, "red");

    let prometheus = start_prometheus(app.port).await;
    let target = format!("127.0.0.1:{}", app.port);
    // About 8 s here: Prometheus hands new targets to its scraper after up
    // to 5 s (its discovery updates are throttled), then 2 s of `for`.
    let (alerts, to_fire) = wait_for_alerts(
        &prometheus,
        "JetmonFleetRed firing",
        Duration::from_secs(60),
        |alerts| {
            named(alerts, "JetmonFleetRed")
                .iter()
                .any(|a| a["state"] == "firing")
        },
    )
    .await;
    let red = named(&alerts, "JetmonFleetRed")[0];
    assert_eq!(red["labels"]["severity"], "page", "{red:#}");
    assert_eq!(red["labels"]["job"], "fleetd", "{red:#}");
    assert_eq!(red["labels"]["instance"], target.as_str(), "{red:#}");
    // The description's query found this instance's red section.
    let description = red["annotations"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(
        description.contains("(red sections: processes)"),
        "{description}"
    );
    // A healthy fleetd over a readable database raises nothing else.
    let others: Vec<&serde_json::Value> = alerts
        .iter()
        .filter(|a| a["labels"]["alertname"] != "JetmonFleetRed")
        .collect();
    assert!(
        others.is_empty(),
        "only JetmonFleetRed is active: {others:#?}"
    );

    db.exec(MAKE_GREEN_SQL).await.expect("make the fleet green");
    wait_until(Duration::from_secs(10), || async {
        fleet_status(&app).await == "green"
    })
    .await;
    let (alerts, to_resolve) = wait_for_alerts(
        &prometheus,
        "JetmonFleetRed resolved",
        Duration::from_secs(60),
        |alerts| named(alerts, "JetmonFleetRed").is_empty(),
    )
    .await;
    assert!(
        alerts.is_empty(),
        "a green fleet raises nothing: {alerts:#?}"
    );
    eprintln!(
        "JetmonFleetRed (for: 2s) firing {:.1} s after Prometheus was ready; \
         resolved {:.1} s after fleetd read green",
        to_fire.as_secs_f64(),
        to_resolve.as_secs_f64()
    );
    drop(prometheus);
    drop(db);
}
