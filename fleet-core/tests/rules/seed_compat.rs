//! rollup.md §8: JSON compatibility with jetmon's `/api/fleet`.
//!
//! `fixtures/seed-example.json` is the example JSON of the seed pull request
//! (`shared/seed/fleet-dashboard-pr.txt`), verbatim. The same situation (a
//! pinned rollout: three fresh pinned monitors, one deliverer owning
//! delivery, a quiet queue, no drift, mysql green everywhere) is built
//! through fleet-core, and every field path of the seed must exist in our
//! JSON with the same JSON type; the summary must read the same.

use fleet_core::test_support::*;
use fleet_core::{DeliveryTableCounts, FleetSnapshot, ProcessRow};
use serde_json::Value;

const SEED: &str = include_str!("../fixtures/seed-example.json");

/// Paths (array indexes written `[]`) whose field is an `Option` in our
/// snapshot: only there may our JSON hold `null` where the seed has a value.
const OPTIONAL_PATHS: &[&str] = &[
    "processes[].started_at",
    "processes[].created_at",
    "processes[].bucket_min",
    "processes[].bucket_max",
    "processes[].api_port",
    "processes[].dashboard_port",
    "processes[].dependency_health[].latency_ms",
    "processes[].dependency_health[].last_error",
    "processes[].dependency_health[].checked_at",
    "bucket_coverage.error",
    "delivery.error",
    "projection_drift.error",
    "projection_drift.checked_at",
    "dependencies[].last_error",
];

fn seed() -> Value {
    serde_json::from_str(SEED).expect("the seed example is valid JSON")
}

fn seed_monitor(host: &str, min: u16, max: u16) -> ProcessRow {
    let mut row = pinned_monitor(host, min, max).age(4).deps(
        r#"[{"name":"mysql","status":"green","latency_ms":3,"checked_at":"2026-04-30T13:59:56Z"}]"#,
    );
    row.api_port = Some(8090);
    row.dashboard_port = Some(8080);
    "jetmon-deliverer-1".clone_into(&mut row.delivery_owner_host);
    row.worker_count = 256;
    row.active_checks = 128;
    row.queue_depth = 40;
    row.retry_queue_size = 2;
    row.go_sys_mem_mb = 96;
    row
}

/// The seed's situation, built through fleet-core.
fn seed_situation() -> FleetSnapshot {
    let deliverer = deliverer("jetmon-deliverer-1")
        .workers("jetmon-deliverer-1")
        .age(2)
        .deps(r#"[{"name":"mysql","status":"green","latency_ms":2,"checked_at":"2026-04-30T13:59:58Z"}]"#);
    let fleet = Fleet::empty()
        .procs([
            seed_monitor("jetmon-c", 667, 999),
            deliverer,
            seed_monitor("jetmon-a", 0, 333),
            seed_monitor("jetmon-b", 334, 666),
        ])
        .webhook(DeliveryTableCounts {
            delivered_since: 42,
            ..counts()
        })
        .alert(DeliveryTableCounts {
            delivered_since: 18,
            ..counts()
        })
        .drift_causes(&[]);
    assert_eq!(fleet.now, now());
    assert_eq!(fleet.thresholds.bucket_total, 1000);
    fleet.build()
}

fn ours() -> Value {
    serde_json::to_value(seed_situation()).expect("snapshot serialises")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every path of `seed` must exist in `ours` with the same JSON type;
/// arrays are compared through their element 0.
fn check_shape(seed: &Value, ours: &Value, path: &str, pattern: &str, problems: &mut Vec<String>) {
    let optional = OPTIONAL_PATHS.contains(&pattern);
    match (seed, ours) {
        (Value::Null, _) => {
            if !optional && !ours.is_null() {
                problems.push(format!(
                    "{path}: seed has null, our field is not an Option ({})",
                    type_name(ours)
                ));
            }
        }
        (_, Value::Null) if optional => {}
        (Value::Object(s), Value::Object(o)) => {
            for (key, sv) in s {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let child_pattern = if pattern.is_empty() {
                    key.clone()
                } else {
                    format!("{pattern}.{key}")
                };
                match o.get(key) {
                    Some(ov) => check_shape(sv, ov, &child, &child_pattern, problems),
                    None => problems.push(format!("{child}: missing from our JSON")),
                }
            }
        }
        (Value::Array(s), Value::Array(o)) => {
            if let Some(s0) = s.first() {
                match o.first() {
                    Some(o0) => check_shape(
                        s0,
                        o0,
                        &format!("{path}[0]"),
                        &format!("{pattern}[]"),
                        problems,
                    ),
                    None => problems.push(format!("{path}: seed has elements, ours is empty")),
                }
            }
        }
        _ => {
            if type_name(seed) != type_name(ours) {
                problems.push(format!(
                    "{path}: seed is {}, ours is {} ({ours})",
                    type_name(seed),
                    type_name(ours)
                ));
            }
        }
    }
}

/// Every value of `seed` must equal ours (arrays element by element; the
/// seed shortened `processes` to its first entry, so only there may ours be
/// longer).
fn check_values(seed: &Value, ours: &Value, path: &str, problems: &mut Vec<String>) {
    match (seed, ours) {
        (Value::Object(s), Value::Object(o)) => {
            for (key, sv) in s {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match o.get(key) {
                    Some(ov) => check_values(sv, ov, &child, problems),
                    None => problems.push(format!("{child}: missing")),
                }
            }
        }
        (Value::Array(s), Value::Array(o)) => {
            if path != "processes" && s.len() != o.len() {
                problems.push(format!(
                    "{path}: seed has {} elements, ours {}",
                    s.len(),
                    o.len()
                ));
            }
            for (i, (sv, ov)) in s.iter().zip(o).enumerate() {
                check_values(sv, ov, &format!("{path}[{i}]"), problems);
            }
        }
        _ => {
            if seed != ours {
                problems.push(format!("{path}: seed {seed}, ours {ours}"));
            }
        }
    }
}

/// The seed pull request, `shared/seed/fleet-dashboard-pr.txt`: beside the
/// project (`../shared` in a development checkout), found by walking up from
/// this crate, or where `FLEETD_SHARED_DIR` says. `None` where the shared
/// directory is not there (a clone checked out on its own, as CI may).
fn seed_pr_path() -> Option<std::path::PathBuf> {
    const SEED_PR: &str = "seed/fleet-dashboard-pr.txt";
    if let Some(dir) = std::env::var_os("FLEETD_SHARED_DIR") {
        return Some(std::path::Path::new(&dir).join(SEED_PR));
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared").join(SEED_PR))
        .find(|path| path.is_file())
}

/// FNV-1a (64 bit): a fingerprint that is the same on every platform and
/// Rust release, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The fingerprint of `fixtures/seed-example.json` as it was when it was
/// last compared with the seed PR. Where the PR is present the test checks
/// both the text and this value, so the value stays right; where it is not,
/// the value still catches any edit of the fixture.
const SEED_FIXTURE_FNV1A: u64 = 0x44d7_ee49_a8e8_328d;

#[test]
fn seed_fixture_is_the_seed_example_verbatim() {
    let fingerprint = fnv1a(SEED.trim_end().as_bytes());
    match seed_pr_path() {
        Some(path) => {
            let pr = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read the seed PR at {}: {e}", path.display()));
            assert!(
                pr.contains(SEED.trim_end()),
                "fixtures/seed-example.json differs from the seed PR's example"
            );
            assert_eq!(
                fingerprint, SEED_FIXTURE_FNV1A,
                "the fixture matches the seed PR: record its fingerprint {fingerprint:#018x} \
                 in SEED_FIXTURE_FNV1A"
            );
        }
        None => {
            eprintln!(
                "shared/seed/fleet-dashboard-pr.txt is not beside this checkout \
                 (FLEETD_SHARED_DIR unset): checking the fixture against the fingerprint \
                 recorded when it was last compared with the seed"
            );
            assert_eq!(
                fingerprint, SEED_FIXTURE_FNV1A,
                "fixtures/seed-example.json changed since it was compared with the seed PR"
            );
        }
    }
    let seed = seed();
    assert_eq!(seed["generated_at"], "2026-04-30T14:00:00Z");
}

#[test]
fn seed_compat_every_seed_field_path_exists_with_the_same_json_type() {
    let mut problems = Vec::new();
    check_shape(&seed(), &ours(), "", "", &mut problems);
    assert!(
        problems.is_empty(),
        "JSON shape differs from the seed:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn seed_compat_summary_equals_the_seed() {
    let seed = seed();
    let ours = ours();
    for key in ["status", "message", "suggested_next_action", "issues"] {
        assert_eq!(ours["summary"][key], seed["summary"][key], "summary.{key}");
    }
}

#[test]
fn seed_compat_every_seed_value_is_reproduced() {
    let mut problems = Vec::new();
    check_values(&seed(), &ours(), "", &mut problems);
    assert!(
        problems.is_empty(),
        "values differ from the seed:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn seed_compat_additions_are_additive_only() {
    // fleetd's own fields exist beside (never instead of) the seed's.
    let ours = ours();
    assert!(ours["summary"]["issue_details"].is_array());
    assert!(ours["projection_drift"]["causes"].is_array());
    assert!(ours["delivery"]["since"].is_string());
    assert_eq!(ours["projection_drift"]["count"], 0);
}

#[test]
fn seed_compat_shape_checker_catches_differences() {
    // The checker itself: a renamed field, a changed type, an emptied array.
    let seed = seed();
    let mut renamed = ours();
    let summary = renamed["summary"].as_object_mut().expect("summary object");
    let status = summary.remove("status").expect("status");
    summary.insert("state".into(), status);
    let mut retyped = ours();
    retyped["bucket_coverage"]["host_count"] = Value::String("0".into());
    let mut emptied = ours();
    emptied["dependencies"] = Value::Array(vec![]);
    let mut nulled = ours();
    nulled["delivery"]["pending"] = Value::Null;
    let mut nulled_option = ours();
    nulled_option["processes"][0]["api_port"] = Value::Null;
    for (what, broken, expect_problem) in [
        ("renamed", renamed, true),
        ("retyped", retyped, true),
        ("emptied", emptied, true),
        ("nulled non-option", nulled, true),
        ("nulled option", nulled_option, false),
    ] {
        let mut problems = Vec::new();
        check_shape(&seed, &broken, "", "", &mut problems);
        assert_eq!(!problems.is_empty(), expect_problem, "{what}: {problems:?}");
    }
}
