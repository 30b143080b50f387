//! `/metrics`: OpenMetrics text that parses, with the expected series for a
//! seeded red fleet; served from the cache; still there when the database
//! is down.

use crate::helpers::{spawn_app, spawn_app_on, unreachable_database_url};
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use std::collections::{BTreeMap, HashMap};

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed exposition: the declared type of each family and every sample.
#[derive(Debug, Default)]
struct Exposition {
    types: HashMap<String, String>,
    samples: Vec<Sample>,
}

impl Exposition {
    /// The value of the one series with this name and these labels.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .iter()
            .find(|s| s.name == name && s.labels == wanted)
            .map(|s| s.value)
    }

    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels)
            .unwrap_or_else(|| panic!("no series {name}{labels:?}"))
    }

    fn has_family(&self, family: &str) -> bool {
        self.types.contains_key(family)
    }
}

/// A strict parser for the subset of OpenMetrics text fleetd emits:
/// `# HELP`/`# TYPE`/`# UNIT` metadata, samples with escaped label values,
/// each family's samples contiguous and after its TYPE, sample names
/// matching the family's type suffixes, no duplicate series, and exactly
/// one `# EOF` as the last line.
fn parse(text: &str) -> Result<Exposition, String> {
    let mut exposition = Exposition::default();
    let mut seen_series = std::collections::HashSet::new();
    let mut finished_families = std::collections::HashSet::new();
    let mut current: Option<String> = None;
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    let (last, body) = lines.split_last().ok_or("empty exposition")?;
    if *last != "# EOF" {
        return Err(format!("last line is {last:?}, not # EOF"));
    }
    if !text.ends_with("# EOF\n") {
        return Err("no newline after # EOF".into());
    }
    for (n, line) in body.iter().enumerate() {
        let err = |what: &str| format!("line {}: {what}: {line:?}", n + 1);
        if let Some(meta) = line.strip_prefix("# ") {
            let mut parts = meta.splitn(3, ' ');
            let kind = parts.next().ok_or_else(|| err("empty comment"))?;
            let family = parts.next().ok_or_else(|| err("no family name"))?;
            let rest = parts.next().unwrap_or("");
            valid_name(family).map_err(|e| err(&e))?;
            if current.as_deref() != Some(family) {
                if let Some(previous) = current.take() {
                    finished_families.insert(previous);
                }
                if finished_families.contains(family) {
                    return Err(err("family appears twice"));
                }
                current = Some(family.to_owned());
            }
            match kind {
                "HELP" => {}
                "UNIT" => {
                    if !family.ends_with(&format!("_{rest}")) {
                        return Err(err("unit is not the name's suffix"));
                    }
                }
                "TYPE" => {
                    if !["counter", "gauge", "histogram", "info"].contains(&rest) {
                        return Err(err("unknown type"));
                    }
                    exposition.types.insert(family.to_owned(), rest.to_owned());
                }
                "EOF" => return Err(err("# EOF before the end")),
                _ => return Err(err("unknown metadata")),
            }
            continue;
        }
        let sample = parse_sample(line).map_err(|e| err(&e))?;
        let family = current
            .as_deref()
            .ok_or_else(|| err("sample before any TYPE"))?;
        let kind = exposition
            .types
            .get(family)
            .ok_or_else(|| err("sample of a family without TYPE"))?;
        let suffix = sample
            .name
            .strip_prefix(family)
            .ok_or_else(|| err("sample outside its family"))?;
        let allowed: &[&str] = match kind.as_str() {
            "counter" => &["_total", "_created"],
            "histogram" => &["_bucket", "_sum", "_count", "_created"],
            "info" => &["_info"],
            _ => &[""],
        };
        if !allowed.contains(&suffix) {
            return Err(err(&format!("suffix {suffix:?} not allowed for a {kind}")));
        }
        let key = format!("{}{:?}", sample.name, sample.labels);
        if !seen_series.insert(key) {
            return Err(err("duplicate series"));
        }
        exposition.samples.push(sample);
    }
    Ok(exposition)
}

fn valid_name(name: &str) -> Result<(), String> {
    let ok = name.chars().enumerate().all(|(i, c)| {
        c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
    });
    if ok && !name.is_empty() {
        Ok(())
    } else {
        Err(format!("invalid metric or label name {name:?}"))
    }
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    valid_name(name)?;
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        let close;
        loop {
            // label name
            let start = chars.peek().map(|(i, _)| *i).ok_or("unterminated labels")?;
            let mut eq = None;
            for (i, c) in chars.by_ref() {
                if c == '=' {
                    eq = Some(i);
                    break;
                }
            }
            let eq = eq.ok_or("label without =")?;
            let key = &inner[start..eq];
            valid_name(key)?;
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err("label value not quoted".into());
            }
            let mut value = String::new();
            loop {
                match chars.next().ok_or("unterminated label value")? {
                    (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        other => return Err(format!("bad escape \\{other}")),
                    },
                    (_, '"') => break,
                    (_, '\n') => return Err("raw newline in a label value".into()),
                    (_, c) => value.push(c),
                }
            }
            if labels.insert(key.to_owned(), value).is_some() {
                return Err(format!("label {key} twice"));
            }
            match chars.next().ok_or("unterminated labels")? {
                (_, ',') => continue,
                (i, '}') => {
                    close = i;
                    break;
                }
                (_, c) => return Err(format!("unexpected {c:?} after a label")),
            }
        }
        rest = &inner[close + 1..];
    }
    let value_text = rest.strip_prefix(' ').ok_or("no space before the value")?;
    if value_text.contains(' ') {
        return Err("timestamps or exemplars are not expected".into());
    }
    let value = match value_text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().map_err(|_| format!("bad value {v:?}"))?,
    };
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

async fn scrape(app: &crate::helpers::TestApp, path: &str) -> Exposition {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = response.text().await.expect("body");
    parse(&text).unwrap_or_else(|e| panic!("metrics do not parse: {e}\n{text}"))
}

#[test]
fn the_parser_rejects_malformed_text() {
    let ok = "# TYPE a gauge\na{x=\"1\"} 2\n# EOF\n";
    assert!(parse(ok).is_ok());
    for bad in [
        "# TYPE a gauge\na 1\n",                                             // no EOF
        "a 1\n# EOF\n",                                                      // no TYPE
        "# TYPE a gauge\na{x=\"1} 2\n# EOF\n",                               // unterminated value
        "# TYPE a gauge\na{x=\"1\"} 2\na{x=\"1\"} 3\n# EOF\n",               // duplicate
        "# TYPE a counter\na 1\n# EOF\n", // counter without _total
        "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n# EOF\n", // split family
        "# TYPE a gauge\na x\n# EOF\n",   // bad value
    ] {
        assert!(parse(bad).is_err(), "accepted: {bad:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_and_carry_the_red_fleet_and_fleetds_own_figures() {
    let app = spawn_app().await;
    // A stale monitor, and a process type that needs escaping.
    app.db
        .as_ref()
        .expect("seeded db")
        .exec(
            r#"INSERT INTO jetmon_process_health
                 (process_id, host_id, process_type, state, health_status, updated_at)
               VALUES
                 ('mon-z:monitor', 'mon-z', 'monitor', 'running', 'green', NOW() - INTERVAL 2 HOUR),
                 ('odd:x', 'odd', 'we"ird\\type', 'running', 'green', NOW())"#,
        )
        .await
        .expect("insert processes");
    // The first build uses a finished drift scan, so the seeded drifting
    // site counts.
    app.wait_for_drift().await;
    // A scrape never waits for a build: the page request builds the
    // snapshot the scrape then describes.
    assert_eq!(app.get("/api/fleet").await.status(), StatusCode::OK);

    let m = scrape(&app, "/metrics").await;
    assert_eq!(m.get("fleetd_snapshot_available", &[]), 1.0);

    // The fleet: red, one series per status value.
    assert_eq!(m.get("fleetd_fleet_status", &[("status", "red")]), 1.0);
    assert_eq!(m.get("fleetd_fleet_status", &[("status", "amber")]), 0.0);
    assert_eq!(m.get("fleetd_fleet_status", &[("status", "green")]), 0.0);
    let section = |name: &str, status: &str| {
        m.get(
            "fleetd_section_status",
            &[("section", name), ("status", status)],
        )
    };
    assert_eq!(section("processes", "red"), 1.0, "a stale monitor");
    assert_eq!(section("bucket_coverage", "green"), 1.0);
    assert_eq!(section("delivery_queues", "amber"), 1.0, "one due row");
    assert_eq!(section("delivery_posture", "green"), 1.0);
    assert_eq!(section("projection_drift", "red"), 1.0);
    assert_eq!(section("dependencies", "amber"), 1.0, "wpcom is slow");
    for name in fleetd::metrics::SECTIONS {
        let sum: f64 = ["red", "amber", "green"]
            .iter()
            .map(|s| section(name, s))
            .sum();
        assert_eq!(sum, 1.0, "exactly one status for {name}");
    }

    // Processes by type and health.
    let processes = |process_type: &str, health: &str| {
        m.get(
            "fleetd_processes",
            &[("process_type", process_type), ("health", health)],
        )
    };
    assert_eq!(processes("monitor", "green"), 2.0);
    assert_eq!(processes("monitor", "amber"), 1.0);
    assert_eq!(processes("monitor", "red"), 0.0);
    assert_eq!(processes("monitor", "stale"), 1.0);
    assert_eq!(processes("deliverer", "green"), 1.0);
    assert_eq!(processes("deliverer", "stale"), 0.0);
    assert_eq!(
        processes("we\"ird\\type", "green"),
        1.0,
        "label values from the database are escaped"
    );
    assert_eq!(m.get("fleetd_stale_processes", &[]), 1.0);
    assert!(m.get("fleetd_issues", &[("severity", "red")]) >= 2.0);

    // Delivery per table.
    let webhook = [("table", "webhook")];
    let alert = [("table", "alert")];
    assert_eq!(m.get("fleetd_delivery_pending", &webhook), 1.0);
    assert_eq!(m.get("fleetd_delivery_due", &webhook), 1.0);
    assert_eq!(m.get("fleetd_delivery_failed_recent", &webhook), 0.0);
    assert_eq!(m.get("fleetd_delivery_abandoned_recent", &webhook), 0.0);
    assert_eq!(m.get("fleetd_delivery_pending", &alert), 0.0);
    assert!(m.get("fleetd_delivery_oldest_due_age_seconds", &webhook) >= 59.0);
    assert_eq!(
        m.get(
            "fleetd_delivery_table_status",
            &[("table", "webhook"), ("status", "amber")]
        ),
        1.0
    );

    // Drift.
    assert_eq!(m.get("fleetd_projection_drift_sites", &[]), 1.0);
    assert_eq!(
        m.get(
            "fleetd_projection_drift_sites_by_cause",
            &[("cause", "stale_legacy_down_projection")]
        ),
        1.0
    );
    assert_eq!(
        m.get(
            "fleetd_dependency_status",
            &[("dependency", "wpcom"), ("status", "amber")]
        ),
        1.0
    );

    // fleetd's own figures, with their types.
    assert_eq!(m.get("fleetd_snapshot_builds_total", &[]), 1.0);
    assert_eq!(m.get("fleetd_snapshot_build_failures_total", &[]), 0.0);
    assert_eq!(
        m.get("fleetd_snapshot_build_duration_seconds_count", &[]),
        1.0
    );
    assert_eq!(
        m.get(
            "fleetd_snapshot_build_duration_seconds_bucket",
            &[("le", "+Inf")]
        ),
        1.0
    );
    assert!(m.get("fleetd_drift_scans_total", &[]) >= 1.0);
    assert!(m.get("fleetd_drift_scan_duration_seconds_count", &[]) >= 1.0);
    let now = chrono::Utc::now().timestamp() as f64;
    let last_success = m.get("fleetd_snapshot_last_success_timestamp_seconds", &[]);
    assert!((now - last_success).abs() < 60.0, "{last_success} vs {now}");
    assert_eq!(
        m.get(
            "fleetd_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    for (family, kind) in [
        ("fleetd_fleet_status", "gauge"),
        ("fleetd_snapshot_builds", "counter"),
        ("fleetd_snapshot_build_failures", "counter"),
        ("fleetd_snapshot_cache_hits", "counter"),
        ("fleetd_snapshot_cache_misses", "counter"),
        ("fleetd_snapshot_build_duration_seconds", "histogram"),
        ("fleetd_drift_scan_duration_seconds", "histogram"),
        ("fleetd_snapshot_last_success_timestamp_seconds", "gauge"),
    ] {
        assert_eq!(
            m.types.get(family).map(String::as_str),
            Some(kind),
            "{family}"
        );
    }

    // A second scrape is served from the cache: no new build, one more hit.
    let hits = m.get("fleetd_snapshot_cache_hits_total", &[]);
    let again = scrape(&app, "/metrics").await;
    assert_eq!(again.get("fleetd_snapshot_builds_total", &[]), 1.0);
    assert_eq!(
        again.get("fleetd_snapshot_cache_hits_total", &[]),
        hits + 1.0
    );
    assert_eq!(app.snapshots.stats().builds(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_answer_under_the_base_path_when_the_database_is_down() {
    let app = spawn_app_on(&unreachable_database_url(), |s| {
        s.server.base_path = "/ops/fleet".into();
    })
    .await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);

    // The first scrape starts a build without waiting for it; a later one
    // reports its failure.
    let first = scrape(&app, "/ops/fleet/metrics").await;
    assert_eq!(first.get("fleetd_snapshot_available", &[]), 0.0);
    crate::helpers::wait_until(std::time::Duration::from_secs(10), || async {
        app.snapshots.stats().snapshot().builds_failed >= 1
    })
    .await;
    let m = scrape(&app, "/ops/fleet/metrics").await;
    assert_eq!(m.get("fleetd_snapshot_available", &[]), 0.0);
    assert!(m.get("fleetd_snapshot_build_failures_total", &[]) >= 1.0);
    assert_eq!(
        m.get("fleetd_snapshot_build_failures_total", &[]),
        m.get("fleetd_snapshot_builds_total", &[])
    );
    assert!(
        !m.has_family("fleetd_fleet_status"),
        "no fleet series without a current snapshot"
    );
    assert!(!m.has_family("fleetd_snapshot_last_success_timestamp_seconds"));
    assert!(m.has_family("fleetd_snapshot_build_duration_seconds"));
}
