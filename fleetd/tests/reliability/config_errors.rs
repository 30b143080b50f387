//! Item 3, configuration: the real binary given broken configuration files
//! and variables. Each one stops startup with exit status 2 and one clear
//! message on stderr that names the key (or, for a file that is not TOML,
//! the file and the position), never a panic. (tests/api/config.rs checks
//! the same rules at the library level.)

use crate::support::{ms, record};
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fleetd");

struct Outcome {
    code: Option<i32>,
    stderr: String,
    took: Duration,
}

/// Runs `fleetd <args>` with `env` (and no other `FLEETD_*` or `RUST_LOG`);
/// kills it after 10 s, which fails the test: a broken configuration must
/// never get as far as serving.
fn run(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> Outcome {
    let started = Instant::now();
    let mut command = Command::new(BIN);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars() {
        if name.starts_with("FLEETD_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("start fleetd");
    let deadline = started + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fleetd {args:?} did not exit: the broken configuration was accepted");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    Outcome {
        code: status.code(),
        stderr,
        took: started.elapsed(),
    }
}

/// What is broken, the file, the environment, what the message must name.
type Case = (
    &'static str,
    String,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

#[test]
fn every_broken_configuration_stops_startup_with_status_2_and_a_message_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = "[server]\nlisten = \"127.0.0.1:0\"\n";
    // (what, file text, environment, text the message must contain)
    let cases: Vec<Case> = vec![
        (
            "TOML syntax: unclosed table header",
            "[database\nurl = \"x\"\n".into(),
            vec![],
            "line 1",
        ),
        (
            "TOML syntax: unterminated string",
            format!("{base}[database]\nurl = \"mysql://x\n"),
            vec![],
            "line 4",
        ),
        (
            "TOML: duplicate key",
            format!("{base}[database]\npool_max = 1\npool_max = 2\n"),
            vec![],
            "pool_max",
        ),
        // The toml parser reports this one without a position: the file is named.
        (
            "TOML: integer beyond i64",
            format!("{base}[cache]\nttl_ms = 18446744073709551616\n"),
            vec![],
            "cache.ttl_ms",
        ),
        (
            "wrong type: string for a number",
            format!("{base}[database]\npool_max = \"many\"\n"),
            vec![],
            "database.pool_max",
        ),
        (
            "wrong type: float for a number",
            format!("{base}[database]\nstatement_timeout_ms = 1.5\n"),
            vec![],
            "database.statement_timeout_ms",
        ),
        (
            "wrong type: boolean for a number",
            format!("{base}[fleet]\nbucket_total = true\n"),
            vec![],
            "fleet.bucket_total",
        ),
        (
            "wrong type: array for a string",
            format!("{base}[log]\nlevel = [\"info\"]\n"),
            vec![],
            "log.level",
        ),
        (
            "wrong type: table for a section value",
            "[server]\nlisten = { ip = \"127.0.0.1\" }\n".into(),
            vec![],
            "server.listen",
        ),
        (
            "wrong type: a section that is a value",
            format!("{base}cache = 5\n"),
            vec![],
            "cache",
        ),
        (
            "out of range: pool_max 0",
            format!("{base}[database]\npool_max = 0\n"),
            vec![],
            "database.pool_max",
        ),
        // One connection would be held by a slow drift scan: no snapshots.
        (
            "out of range: pool_max 1",
            format!("{base}[database]\npool_max = 1\n"),
            vec![],
            "database.pool_max",
        ),
        (
            "out of range: negative",
            format!("{base}[cache]\nttl_ms = -5\n"),
            vec![],
            "cache.ttl_ms",
        ),
        (
            "out of range: bucket_total beyond u32",
            format!("{base}[fleet]\nbucket_total = 99999999999\n"),
            vec![],
            "fleet.bucket_total",
        ),
        (
            "out of range: bucket_total 70000",
            format!("{base}[fleet]\nbucket_total = 70000\n"),
            vec![],
            "fleet.bucket_total",
        ),
        (
            "out of range: statement limit 0",
            format!("{base}[database]\nstatement_timeout_ms = 0\n"),
            vec![],
            "database.statement_timeout_ms",
        ),
        (
            "out of range: listen port",
            "[server]\nlisten = \"127.0.0.1:70000\"\n".into(),
            vec![],
            "server.listen",
        ),
        (
            "invalid: base_path",
            format!("{base}base_path = \"/a/<script>\"\n"),
            vec![],
            "server.base_path",
        ),
        (
            "invalid: log level",
            format!("{base}[log]\nlevel = \"loud\"\n"),
            vec![],
            "log.level",
        ),
        (
            "invalid: database URL",
            format!("{base}[database]\nurl = \"postgres://h/db\"\n"),
            vec![],
            "database.url",
        ),
        (
            "unknown key",
            format!("{base}[cache]\nttl = 5\n"),
            vec![],
            "cache.ttl",
        ),
        (
            "unknown section",
            format!("{base}[chache]\nttl_ms = 5\n"),
            vec![],
            "chache",
        ),
        (
            "unknown top-level key",
            format!("debug = true\n{base}"),
            vec![],
            "debug",
        ),
        (
            "missing password file",
            format!("{base}[database]\npassword_file = \"/nonexistent/fleetd-pw\"\n"),
            vec![],
            "database.password_file",
        ),
        (
            "password file is a directory",
            format!("{base}[database]\npassword_file = \"/\"\n"),
            vec![],
            "database.password_file",
        ),
        (
            "environment: wrong type",
            base.to_owned(),
            vec![("FLEETD_DATABASE__POOL_MAX", "lots")],
            "database.pool_max",
        ),
        (
            "environment: out of range",
            base.to_owned(),
            vec![("FLEETD_FLEET__HEARTBEAT_GRACE_SEC", "0")],
            "fleet.heartbeat_grace_sec",
        ),
        (
            "wrong type: a quoted number",
            format!("{base}[fleet]\nbucket_total = \"1000\"\n"),
            vec![],
            "fleet.bucket_total",
        ),
        (
            "environment: unknown key",
            base.to_owned(),
            vec![("FLEETD_SERVER__LISTEN_ADDR", "x")],
            "server.listen_addr",
        ),
    ];
    let mut slowest = Duration::ZERO;
    let mut wrong = Vec::new();
    for (i, (what, text, env, key)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case-{i}.toml"));
        std::fs::write(&path, text).expect("write config");
        let args = ["serve".as_ref(), "--config".as_ref(), path.as_os_str()];
        let out = run(&args, env);
        slowest = slowest.max(out.took);
        let ok = out.code == Some(2)
            && out.stderr.contains(key)
            && out.stderr.starts_with("fleetd: configuration error: ")
            && !out.stderr.contains("panicked");
        if !ok {
            wrong.push(format!(
                "{what} (expected {key:?}): status {:?}: {}",
                out.code, out.stderr
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n---\n"));
    // Invalid UTF-8 bytes, a directory, and a missing file as --config.
    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, b"[server]\nlisten = \"\xff\xfe\"\n").expect("write");
    for (what, path, names) in [
        // Read lossily: the value with replacement characters is rejected.
        (
            "file with invalid UTF-8",
            binary.clone(),
            "server.listen".to_owned(),
        ),
        (
            "config path is a directory",
            dir.path().to_owned(),
            format!("{} is a directory", dir.path().display()),
        ),
        (
            "config file missing",
            dir.path().join("missing.toml"),
            dir.path().join("missing.toml").display().to_string(),
        ),
    ] {
        let out = run(
            &["serve".as_ref(), "--config".as_ref(), path.as_os_str()],
            &[],
        );
        assert_eq!(out.code, Some(2), "{what}: {}", out.stderr);
        assert!(
            out.stderr.contains(&names),
            "{what}: names {names}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
    }
    // `fleetd check` refuses the same files (non-zero, no panic).
    let path = dir.path().join("case-0.toml");
    let out = run(
        &["check".as_ref(), "--config".as_ref(), path.as_os_str()],
        &[],
    );
    assert_ne!(out.code, Some(0), "check: {}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "check: {}", out.stderr);

    record(
        "broken_configuration",
        &format!(
            "the fleetd binary with {} broken configurations: TOML syntax, duplicate keys, wrong types (a \
             quoted number too), out-of-range values, invalid values, unknown keys/sections, missing or unreadable password file, bad environment variables, invalid \
             UTF-8, a directory or missing file as --config",
            cases.len() + 3
        ),
        "exit status 2 and `fleetd: configuration error: …` naming the key (TOML syntax errors: the file, line and column); no panic",
        &[("cases", (cases.len() + 3).to_string()), ("slowest exit", ms(slowest))],
    );
}

/// Issue 15, item 1: every numeric key given the largest values TOML and
/// the integer types hold, and one past its documented maximum, in the file
/// and in its environment variable. fleetd used to panic ("overflow when
/// adding durations"), abort on a huge allocation after "listening"
/// (`pool_max = 4294967296`) or say "number too large to fit in target
/// type" naming no key; each must stop startup with status 2 naming the key.
#[test]
fn extreme_numbers_in_every_numeric_key_stop_startup_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = "[server]\nlisten = \"127.0.0.1:0\"\n";
    let mut cases = 0;
    let mut slowest = Duration::ZERO;
    let mut wrong = Vec::new();
    for key in fleetd::settings::NUMERIC_KEYS {
        let (section, name) = key.key.split_once('.').expect("section.key");
        let past_max = (key.max + 1).to_string();
        let values = [
            "9223372036854775807",
            "4294967296",
            "18446744073709551615",
            "-1",
            past_max.as_str(),
        ];
        for value in values {
            let variable = format!("FLEETD_{}__{}", section.to_uppercase(), name.to_uppercase());
            for in_file in [true, false] {
                let path = dir.path().join(format!("{}-{cases}.toml", key.key));
                let text = if in_file {
                    format!("{base}[{section}]\n{name} = {value}\n")
                } else {
                    base.to_owned()
                };
                std::fs::write(&path, text).expect("write config");
                let env: Vec<(&str, &str)> = if in_file {
                    vec![]
                } else {
                    vec![(variable.as_str(), value)]
                };
                let out = run(
                    &["serve".as_ref(), "--config".as_ref(), path.as_os_str()],
                    &env,
                );
                cases += 1;
                slowest = slowest.max(out.took);
                let ok = out.code == Some(2)
                    && out.stderr.contains(key.key)
                    && !out.stderr.contains("panicked")
                    && !out.stderr.contains("target type");
                if !ok {
                    let place = if in_file { "file" } else { "environment" };
                    wrong.push(format!(
                        "{} = {value} ({place}): status {:?}: {}",
                        key.key, out.code, out.stderr
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n---\n"));
    record(
        "extreme_configuration",
        &format!(
            "the fleetd binary with each of the {} numeric keys set to 2^63-1, 2^32, 2^64-1, -1 and its maximum + 1, \
             in the file and in its FLEETD_* variable",
            fleetd::settings::NUMERIC_KEYS.len()
        ),
        "exit status 2 and `invalid value for `KEY`: N is out of range: from MIN to MAX UNIT`; never a panic, \
         an abort or \"too large to fit in target type\"",
        &[("cases", cases.to_string()), ("slowest exit", ms(slowest))],
    );
}
