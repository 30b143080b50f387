//! `deploy/fleetd.service`: systemd's own checks on the unit, and the unit's
//! command line, environment, credential and reload command run against the
//! built binary the way systemd would (no systemd needed: the notification
//! socket is the test's).

use crate::helpers::{client, unreachable_database_url};
use crate::support::{fill_in, free_port, repo_file, require_tool, run_bounded, tail, BIN};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const UNIT: &str = "deploy/fleetd.service";
/// Where the unit expects the binary and the configuration.
const INSTALLED_BIN: &str = "/usr/bin/fleetd";
const INSTALLED_CONFIG: &str = "/etc/fleetd/fleetd.toml";
const ANALYZE_LIMIT: Duration = Duration::from_secs(60);
/// systemd-analyze security bands, best first; "OK" or better passes.
const GOOD_BANDS: [&str; 3] = ["PERFECT", "SAFE", "OK"];

fn systemd_analyze() -> PathBuf {
    require_tool(
        "systemd-analyze",
        &["/usr/bin/systemd-analyze", "/bin/systemd-analyze"],
        "systemd",
    )
}

/// The unit with `ExecStart` pointing at the built binary (`verify` checks
/// that the program exists), written to `dir`.
fn unit_for_this_build(dir: &Path) -> PathBuf {
    let unit = fill_in(
        UNIT,
        &repo_file(UNIT),
        &[(
            &format!("ExecStart={INSTALLED_BIN} "),
            &format!("ExecStart={BIN} "),
        )],
    );
    let path = dir.join("fleetd.service");
    std::fs::write(&path, unit).expect("write the unit");
    path
}

async fn analyze(args: &[&str], unit: &Path) -> std::process::Output {
    let mut command = tokio::process::Command::new(systemd_analyze());
    command
        .args(args)
        .arg(unit)
        .env("SYSTEMD_COLORS", "0")
        .env("SYSTEMD_PAGER", "");
    run_bounded(
        &format!("systemd-analyze {}", args.join(" ")),
        command,
        ANALYZE_LIMIT,
    )
    .await
}

/// The values of `key=` in the unit, in order (comments skipped).
fn directives<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    let prefix = format!("{key}=");
    unit.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.strip_prefix(prefix.as_str()))
        .collect()
}

fn directive<'a>(unit: &'a str, key: &str) -> &'a str {
    match directives(unit, key).as_slice() {
        [one] => one,
        other => panic!(
            "{UNIT} should set {key}= once, sets it {} times",
            other.len()
        ),
    }
}

/// `(score, band)` of the "Overall exposure level for X: 1.1 OK :-)" line.
fn overall_exposure(report: &str) -> (f64, String) {
    let line = report
        .lines()
        .find(|line| line.contains("Overall exposure level for"))
        .unwrap_or_else(|| panic!("no overall exposure in the report:\n{report}"));
    let (_, verdict) = line.rsplit_once(": ").expect("`...: <score> <band>`");
    let mut words = verdict.split_whitespace();
    let score = words
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no score in {line:?}"));
    let band = words.next().unwrap_or_default().to_owned();
    (score, band)
}

#[tokio::test]
async fn systemd_analyze_verify_is_clean_on_the_unit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let unit = unit_for_this_build(dir.path());
    // `Documentation=man:fleetd(1)` names the page the package installs;
    // scripts/test-deb verifies the installed unit with that check on.
    let output = analyze(&["verify", "--man=no"], &unit).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // verify exits 0 on many findings (unknown keys, unparsable values) and
    // only prints them: clean means silent about our unit as well as
    // successful. It also loads the units ours refers to (targets of the
    // host); what it says about those is the host's business.
    let about_ours: Vec<&str> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|line| line.contains("fleetd.service") || line.contains(BIN))
        .collect();
    assert!(
        output.status.success() && about_ours.is_empty(),
        "systemd-analyze verify {UNIT}: {}\n{}\n(all it printed:\n{stdout}{stderr})",
        output.status,
        about_ours.join("\n")
    );
    if !format!("{stdout}{stderr}").trim().is_empty() {
        eprintln!("systemd-analyze verify, about other units:\n{stdout}{stderr}");
    }
}

#[tokio::test]
async fn systemd_analyze_security_rates_the_unit_ok_or_better() {
    let dir = tempfile::tempdir().expect("temp dir");
    let unit = unit_for_this_build(dir.path());
    let output = analyze(&["security", "--offline=true", "--no-pager"], &unit).await;
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "systemd-analyze security failed: {}\n{report}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let (score, band) = overall_exposure(&report);
    eprintln!("systemd-analyze security: {score:.1} {band}");
    assert!(
        GOOD_BANDS.contains(&band.as_str()),
        "{UNIT} is rated {score:.1} {band}; it must be OK or better. What is still exposed:\n{}",
        report
            .lines()
            .filter(|l| l.starts_with('\u{2717}'))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The score is quoted to operators; keep the quotes true.
    let quoted = format!("{score:.1} {band}");
    for file in ["docs/operations.md", UNIT] {
        assert!(
            repo_file(file).contains(&quoted),
            "{file} should quote the unit's security score, now `{quoted}`"
        );
    }
}

#[test]
fn the_unit_has_the_promised_hardening_and_lifecycle() {
    let unit = repo_file(UNIT);
    for (key, value) in [
        ("Type", "notify"),
        ("NotifyAccess", "main"),
        ("Restart", "on-failure"),
        ("ExecReload", "/bin/kill -HUP $MAINPID"),
        ("DynamicUser", "yes"),
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("LoadCredential", "db-password:/etc/fleetd/db-password"),
    ] {
        assert_eq!(directive(&unit, key), value, "{UNIT}: {key}=");
    }
    let filters = directives(&unit, "SystemCallFilter");
    assert!(
        filters.first() == Some(&"@system-service") && filters.len() > 1,
        "{UNIT}: an allow list (@system-service) narrowed by a deny list, got {filters:?}"
    );
    assert!(
        directives(&unit, "Environment").contains(&"FLEETD_DATABASE__PASSWORD_FILE=%d/db-password"),
        "{UNIT}: the password comes from the credential"
    );
}

/// A `fleetd` started like systemd starts the unit.
struct Service {
    child: Child,
    log: PathBuf,
}

impl Service {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "fleetd did not exit within {limit:?}; log:\n{}",
                tail(&self.log(), 30)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for the next notification containing `state` (e.g. "READY=1").
fn expect_notification(socket: &UnixDatagram, state: &str, service: &Service) -> String {
    let mut buf = [0u8; 1024];
    loop {
        match socket.recv(&mut buf) {
            Ok(n) => {
                let message = String::from_utf8_lossy(&buf[..n]).into_owned();
                if message.lines().any(|line| line == state) {
                    return message;
                }
            }
            Err(e) => panic!(
                "no {state} notification ({e}); fleetd's log:\n{}",
                tail(&service.log(), 30)
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_units_command_line_credential_and_reload_drive_the_binary_like_systemd() {
    let unit = repo_file(UNIT);
    let dir = tempfile::tempdir().expect("temp dir");

    // ExecStart, with the example configuration installed verbatim.
    let config = dir.path().join("fleetd.toml");
    std::fs::write(&config, repo_file("deploy/fleetd.toml.example")).expect("write config");
    let exec_start = fill_in(
        "ExecStart",
        directive(&unit, "ExecStart"),
        &[(INSTALLED_CONFIG, &config.display().to_string())],
    );
    let mut argv = exec_start.split_whitespace();
    assert_eq!(
        argv.next(),
        Some(INSTALLED_BIN),
        "ExecStart runs the installed binary"
    );
    let args: Vec<&str> = argv.collect();

    // LoadCredential=db-password:... puts the file in $CREDENTIALS_DIRECTORY,
    // which `%d` names in Environment=.
    let credentials = dir.path().join("credentials");
    std::fs::create_dir(&credentials).expect("credentials dir");
    let password = format!("never-logged-{}", std::process::id());
    let (credential, _) = directive(&unit, "LoadCredential")
        .split_once(':')
        .expect("LoadCredential=NAME:PATH");
    std::fs::write(credentials.join(credential), format!("{password}\n"))
        .expect("write the credential");

    let notify_path = dir.path().join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).expect("notification socket");
    notify
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("socket timeout");

    // A service's environment is systemd's, not ours: start from nothing.
    let port = free_port();
    let log = dir.path().join("fleetd.log");
    let mut command = Command::new(BIN);
    command
        .args(&args)
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin")
        .env("NOTIFY_SOCKET", &notify_path)
        .env("CREDENTIALS_DIRECTORY", &credentials);
    for assignment in directives(&unit, "Environment") {
        let (name, value) = assignment.split_once('=').expect("Environment=NAME=VALUE");
        command.env(
            name,
            value.replace("%d", &credentials.display().to_string()),
        );
    }
    // What a site writes into /etc/fleetd/fleetd.toml, here as overrides:
    // a free port, and a database that is down (readiness must not need it).
    command
        .env("FLEETD_SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("FLEETD_DATABASE__URL", unreachable_database_url())
        .env("FLEETD_DATABASE__CONNECT_TIMEOUT_MS", "1000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"));
    let mut service = Service {
        child: command.spawn().expect("start fleetd"),
        log,
    };

    // READY=1 means the port accepts connections: the unit's After= users
    // and `systemctl start` may rely on it at once.
    expect_notification(&notify, "READY=1", &service);
    std::net::TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("READY=1 was sent but port {port} refuses: {e}"));
    let base = format!("http://127.0.0.1:{port}");
    let healthz = client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(healthz.status(), 200, "alive without a database");
    let readyz = client()
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(readyz.status(), 503, "not ready without a database");

    // ExecReload, literally.
    let exec_reload =
        directive(&unit, "ExecReload").replace("$MAINPID", &service.child.id().to_string());
    let mut reload = exec_reload.split_whitespace();
    let program = reload.next().expect("ExecReload has a program");
    let status = Command::new(program)
        .args(reload)
        .status()
        .expect("run ExecReload");
    assert!(status.success(), "ExecReload: {exec_reload}");
    expect_notification(&notify, "RELOADING=1", &service);
    expect_notification(&notify, "READY=1", &service);
    assert!(
        service.log().contains("configuration reloaded"),
        "the reload was applied; log:\n{}",
        service.log()
    );

    // `systemctl stop`: SIGTERM (KillSignal's default), exit 0 in time.
    let status = Command::new("kill")
        .args(["-TERM", &service.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    expect_notification(&notify, "STOPPING=1", &service);
    let timeout_stop = directive(&unit, "TimeoutStopSec")
        .trim_end_matches('s')
        .parse::<u64>()
        .expect("TimeoutStopSec in seconds");
    let exit = service.wait_for_exit(Duration::from_secs(timeout_stop));
    assert!(exit.success(), "fleetd stopped with {exit}");

    let log = service.log();
    assert!(
        !log.contains(&password),
        "the credential's password reached the log:\n{log}"
    );
}
