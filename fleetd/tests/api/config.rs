//! Configuration loading: layering, unknown keys, bad values, secrets.

use fleetd::settings::{ConfigSource, Settings, SettingsError};
use std::io::Write;
use std::time::Duration;

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("temp file");
    f.write_all(text.as_bytes()).expect("write config");
    f
}

fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let f = file(text);
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Settings::load_with_env(&ConfigSource::explicit(f.path()), env)
}

fn error_of(text: &str, env: &[(&str, &str)]) -> String {
    load(text, env)
        .expect_err("configuration must be rejected")
        .to_string()
}

#[test]
fn the_spec_example_file_loads_to_the_defaults() {
    let spec_example = r#"
[server]
listen = "127.0.0.1:8080"
base_path = ""                 # e.g. "/ops/fleet" behind a proxy
[database]
url = "mysql://fleetd@127.0.0.1:3306/jetmon"
password_file = ""             # optional; e.g. a systemd credential
pool_max = 8
statement_timeout_ms = 3000
drift_statement_timeout_ms = 60000
[fleet]
bucket_total = 1000
heartbeat_grace_sec = 600
recent_window_sec = 900
[cache]
ttl_ms = 5000                  # 0 disables the snapshot cache
drift_interval_sec = 60
[log]
level = "info"                 # RUST_LOG, when set, wins
"#;
    let mut loaded = load(spec_example, &[]).expect("the spec's example is valid");
    loaded.source = None;
    assert_eq!(loaded, Settings::default());
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    let err = error_of("[cache]\nttl = 5\n", &[]);
    assert!(err.contains("cache.ttl"), "{err}");
    let err = error_of("[chache]\nttl_ms = 5\n", &[]);
    assert!(err.contains("chache"), "{err}");
    let err = error_of("", &[("FLEETD_SERVER__LISTEN_ADDR", "x")]);
    assert!(err.contains("server.listen_addr"), "{err}");
}

#[test]
fn bad_values_are_errors_naming_the_key() {
    let cases = [
        ("[database]\npool_max = 0\n", "database.pool_max"),
        ("[database]\npool_max = \"many\"\n", "database.pool_max"),
        ("[database]\npool_max = -1\n", "database.pool_max"),
        (
            "[database]\nstatement_timeout_ms = 0\n",
            "database.statement_timeout_ms",
        ),
        (
            "[database]\ndrift_statement_timeout_ms = 0\n",
            "database.drift_statement_timeout_ms",
        ),
        ("[database]\nurl = \"postgres://x\"\n", "database.url"),
        ("[server]\nlisten = \"localhost\"\n", "server.listen"),
        ("[server]\nbase_path = \"ops\"\n", "server.base_path"),
        ("[server]\nbase_path = \"/ops/\"\n", "server.base_path"),
        ("[fleet]\nbucket_total = 70000\n", "fleet.bucket_total"),
        (
            "[fleet]\nheartbeat_grace_sec = 0\n",
            "fleet.heartbeat_grace_sec",
        ),
        (
            "[fleet]\nrecent_window_sec = 0\n",
            "fleet.recent_window_sec",
        ),
        (
            "[cache]\ndrift_interval_sec = 0\n",
            "cache.drift_interval_sec",
        ),
        ("[log]\nlevel = \"loud\"\n", "log.level"),
    ];
    for (text, key) in cases {
        let err = error_of(text, &[]);
        assert!(err.contains(key), "{text:?}: {err}");
    }
    let err = error_of("", &[("FLEETD_FLEET__BUCKET_TOTAL", "lots")]);
    assert!(err.contains("fleet.bucket_total"), "{err}");
}

#[test]
fn environment_overrides_the_file() {
    let settings = load(
        "[fleet]\nbucket_total = 100\n[cache]\nttl_ms = 1000\n",
        &[
            ("FLEETD_FLEET__BUCKET_TOTAL", "200"),
            (
                "FLEETD_DATABASE__URL",
                "mysql://other@db.example:3307/jetmon",
            ),
            ("FLEETD_SERVER__BASE_PATH", "/ops/fleet"),
            ("FLEETD_LOG__LEVEL", "debug"),
        ],
    )
    .expect("valid");
    assert_eq!(settings.fleet.bucket_total, 200);
    assert_eq!(
        settings.cache.ttl,
        Duration::from_millis(1000),
        "file value kept"
    );
    assert_eq!(
        settings.database.url,
        "mysql://other@db.example:3307/jetmon"
    );
    assert_eq!(settings.server.base_path, "/ops/fleet");
    assert_eq!(settings.log.level, log::LevelFilter::Debug);
}

#[test]
fn zero_ttl_is_allowed_and_means_no_cache() {
    let settings = load("[cache]\nttl_ms = 0\n", &[]).expect("valid");
    assert_eq!(settings.cache.ttl, Duration::ZERO);
}

#[test]
fn other_fleetd_variables_are_not_configuration() {
    let settings = load("", &[("FLEETD_TEST_DATABASE_URL", "mysql://root@h/x")]).expect("ignored");
    assert_eq!(settings.database.url, Settings::default().database.url);
}

#[test]
fn a_missing_default_file_means_defaults_but_a_missing_named_file_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("fleetd.toml");
    let source = ConfigSource {
        path: missing.clone(),
        required: false,
    };
    let settings = Settings::load_with_env(&source, Vec::new()).expect("defaults");
    assert_eq!(settings.fleet, Settings::default().fleet);

    let err = Settings::load_with_env(&ConfigSource::explicit(&missing), Vec::new())
        .expect_err("named file must exist")
        .to_string();
    assert!(err.contains(&missing.display().to_string()), "{err}");
}

#[test]
fn password_is_read_from_the_file_without_its_newline_and_never_shown() {
    let mut secret = tempfile::NamedTempFile::new().expect("temp file");
    secret.write_all(b"s3cret-pw\n").expect("write");
    let path = secret.path().display().to_string();
    let settings = load(&format!("[database]\npassword_file = {path:?}\n"), &[]).expect("valid");
    let password = settings.database.password.as_ref().expect("password read");
    assert_eq!(password.expose(), "s3cret-pw");
    assert_eq!(
        settings.database.db_settings().password.as_deref(),
        Some("s3cret-pw")
    );
    assert!(!format!("{settings:?}").contains("s3cret-pw"));
}

#[test]
fn a_missing_password_file_names_the_key_and_the_path() {
    let err = error_of(
        "[database]\npassword_file = \"/nonexistent/fleetd-pw\"\n",
        &[],
    );
    assert!(err.contains("database.password_file"), "{err}");
    assert!(err.contains("/nonexistent/fleetd-pw"), "{err}");
}

#[test]
fn tls_defaults_to_preferred_and_is_set_by_key_or_environment() {
    let defaults = Settings::default();
    assert_eq!(defaults.database.tls, fleet_sql::TlsMode::Preferred);
    assert!(defaults.database.ca_file.is_none());
    let settings = load(
        "[database]\ntls = \"disabled\"\n",
        &[("FLEETD_DATABASE__TLS", "required")],
    )
    .expect("valid");
    assert_eq!(settings.database.tls, fleet_sql::TlsMode::Required);
    assert_eq!(
        settings.database.db_settings().tls,
        fleet_sql::TlsMode::Required
    );
}

#[test]
fn a_ca_file_is_read_at_load_and_reaches_the_reader() {
    let dir = tempfile::tempdir().expect("temp dir");
    let certs = fleet_sql::testing::TestCertificates::generate(dir.path()).expect("certificates");
    let text = format!(
        "[database]\ntls = \"verify_identity\"\nca_file = {:?}\n",
        certs.ca.display().to_string()
    );
    let settings = load(&text, &[]).expect("valid");
    let ca = settings.database.ca_file.as_ref().expect("CA read");
    assert_eq!(ca.path(), certs.ca.as_path());
    assert_eq!(settings.database.db_settings().ca_file.as_ref(), Some(ca));
}

#[test]
fn tls_mistakes_are_errors_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").expect("write");
    let cases = [
        ("[database]\ntls = \"yes\"\n".to_string(), "database.tls"),
        ("[database]\ntls = true\n".to_string(), "database.tls"),
        // A CA file only means something when the certificate is checked.
        (
            "[database]\ntls = \"disabled\"\nca_file = \"/etc/ssl/ca.pem\"\n".to_string(),
            "database.ca_file",
        ),
        (
            "[database]\ntls = \"required\"\nca_file = \"/etc/ssl/ca.pem\"\n".to_string(),
            "database.ca_file",
        ),
        (
            "[database]\ntls = \"verify_identity\"\nca_file = \"/nonexistent/ca.pem\"\n"
                .to_string(),
            "/nonexistent/ca.pem",
        ),
        (
            format!(
                "[database]\ntls = \"verify_identity\"\nca_file = {:?}\n",
                garbage.display().to_string()
            ),
            "database.ca_file",
        ),
        // TLS is decided by `database.tls` alone.
        (
            "[database]\nurl = \"mysql://u@h/db?require_ssl=true\"\n".to_string(),
            "database.url",
        ),
        (
            "[database]\nurl = \"mysql://u@localhost/db?socket=/run/mysqld/mysqld.sock\"\n\
             tls = \"required\"\n"
                .to_string(),
            "database.tls",
        ),
    ];
    for (text, needle) in cases {
        let err = error_of(&text, &[]);
        assert!(err.contains(needle), "{text:?}: {err}");
    }
    let err = error_of(
        "[database]\ntls = \"verify_identity\"\nca_file = \"/nonexistent/ca.pem\"\n",
        &[],
    );
    assert!(err.contains("database.ca_file"), "{err}");
}

/// Every numeric key with values beyond any sane range: the largest
/// integers TOML and the integer types hold, and one past each documented
/// maximum (docs/configuration.md "Ranges").
const EXTREMES: [&str; 3] = ["9223372036854775807", "4294967296", "18446744073709551615"];

#[test]
fn extreme_numbers_are_refused_naming_the_key_never_a_panic_or_a_type_error() {
    let keys = [
        "database.pool_max",
        "database.connect_timeout_ms",
        "database.statement_timeout_ms",
        "database.drift_statement_timeout_ms",
        "fleet.bucket_total",
        "fleet.heartbeat_grace_sec",
        "fleet.recent_window_sec",
        "cache.ttl_ms",
        "cache.drift_interval_sec",
        "cache.build_wait_ms",
    ];
    let mut wrong = Vec::new();
    for key in keys {
        let (section, name) = key.split_once('.').expect("section.key");
        for value in EXTREMES {
            let text = format!("[{section}]\n{name} = {value}\n");
            let outcome = std::panic::catch_unwind(|| load(&text, &[]));
            match outcome {
                Err(_) => wrong.push(format!("{key} = {value}: panicked")),
                Ok(Ok(_)) => wrong.push(format!("{key} = {value}: accepted")),
                Ok(Err(err)) => {
                    let err = err.to_string();
                    if !err.contains(key) || err.contains("fit in target type") {
                        wrong.push(format!("{key} = {value}: {err}"));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_quoted_number_in_the_file_is_refused_but_environment_numbers_work() {
    let err = error_of("[fleet]\nbucket_total = \"1000\"\n", &[]);
    assert!(err.contains("fleet.bucket_total"), "{err}");
    let err = error_of("[database]\npool_max = \"6\"\n", &[]);
    assert!(err.contains("database.pool_max"), "{err}");
    // Environment values are always strings: a number in one is a number.
    let settings = load(
        "",
        &[
            ("FLEETD_FLEET__BUCKET_TOTAL", "1000"),
            ("FLEETD_DATABASE__POOL_MAX", "6"),
            ("FLEETD_CACHE__TTL_MS", "0"),
        ],
    )
    .expect("numbers in environment variables");
    assert_eq!(settings.fleet.bucket_total, 1000);
    assert_eq!(settings.database.pool_max, 6);
    assert_eq!(settings.cache.ttl, Duration::ZERO);
    for (name, value, key) in [
        (
            "FLEETD_CACHE__DRIFT_INTERVAL_SEC",
            "9223372036854775807",
            "cache.drift_interval_sec",
        ),
        (
            "FLEETD_CACHE__TTL_MS",
            "18446744073709551615",
            "cache.ttl_ms",
        ),
        (
            "FLEETD_DATABASE__POOL_MAX",
            "4294967296",
            "database.pool_max",
        ),
        ("FLEETD_FLEET__BUCKET_TOTAL", "1e3", "fleet.bucket_total"),
    ] {
        let err = error_of("", &[(name, value)]);
        assert!(err.contains(key), "{name}={value}: {err}");
    }
}

#[test]
fn the_drift_deadline_never_overflows_whatever_the_durations() {
    let mut settings = Settings::default();
    settings.cache.drift_interval = Duration::MAX;
    settings.database.drift_statement_timeout = Duration::MAX;
    let thresholds =
        std::panic::catch_unwind(|| settings.thresholds()).expect("thresholds() must not panic");
    assert_eq!(thresholds.drift_max_age, Some(Duration::MAX));
}

#[test]
fn a_directory_given_as_the_configuration_file_is_called_a_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = Settings::load_with_env(&ConfigSource::explicit(dir.path()), Vec::new())
        .expect_err("a directory is not a configuration file")
        .to_string();
    assert!(err.contains("is a directory"), "{err}");
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
}

#[test]
fn host_dashboard_is_read_from_the_file_or_the_environment() {
    assert_eq!(
        Settings::default().links.host_dashboard,
        None,
        "no links by default"
    );
    let template = "http://{host}:{dashboard_port}/";
    let settings = load(&format!("[links]\nhost_dashboard = {template:?}\n"), &[]).expect("valid");
    assert_eq!(
        settings.links.host_dashboard.as_ref().map(|t| t.as_str()),
        Some(template)
    );
    let settings = load(
        "[links]\nhost_dashboard = \"https://a.example/{host}\"\n",
        &[(
            "FLEETD_LINKS__HOST_DASHBOARD",
            "https://grafana.example/d/jetmon?var-host={host}&port={api_port}",
        )],
    )
    .expect("valid");
    assert_eq!(
        settings.links.host_dashboard.as_ref().map(|t| t.as_str()),
        Some("https://grafana.example/d/jetmon?var-host={host}&port={api_port}"),
        "the environment wins"
    );
    let err = error_of("", &[("FLEETD_LINKS_HOST_DASHBOARD", "https://a.example/")]);
    assert!(err.contains("FLEETD_LINKS__HOST_DASHBOARD"), "{err}");
}

#[test]
fn a_bad_host_dashboard_template_is_an_error_naming_the_key_and_the_problem() {
    let cases = [
        (
            "https://d.example/{hostname}",
            "unknown placeholder {hostname}",
        ),
        ("https://d.example/{host", "unbalanced '{'"),
        ("https://d.example/host}", "unbalanced '}'"),
        ("/fleet/{host}", "not an absolute http:// or https:// URL"),
        (
            "javascript:alert(1)",
            "not an absolute http:// or https:// URL",
        ),
        (
            "ftp://d.example/{host}",
            "not an absolute http:// or https:// URL",
        ),
        ("https:///{host}", "no host"),
    ];
    for (template, problem) in cases {
        let err = error_of(&format!("[links]\nhost_dashboard = {template:?}\n"), &[]);
        assert!(
            err.contains("links.host_dashboard") && err.contains(problem),
            "{template}: {err}"
        );
        let err = error_of("", &[("FLEETD_LINKS__HOST_DASHBOARD", template)]);
        assert!(
            err.contains("links.host_dashboard"),
            "{template} (env): {err}"
        );
    }
    let err = error_of("[links]\nhost_dashbaord = \"https://d.example/\"\n", &[]);
    assert!(err.contains("links.host_dashbaord"), "{err}");
}
