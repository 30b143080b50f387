//! A private MariaDB server for the TLS tests: its own data directory,
//! port and socket, with certificates the test made. The shared server
//! (whose configuration no test may change) has no TLS; this one does.
//!
//! - The system tables come from `mariadb-install-db`, run once into a
//!   template directory (seconds) that later servers copy (milliseconds).
//! - The server listens on 127.0.0.1 only, on a free port; `root` has no
//!   password, over the socket and from 127.0.0.1.
//! - Dropping a [`PrivateServer`] kills it and removes its directory. If
//!   the test process dies without dropping it (killed by a timeout), a
//!   watchdog shell kills the server within a second.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Options shared by the template's bootstrap and every server started from
/// it (InnoDB refuses a data directory made with other file sizes).
const SERVER_OPTIONS: [&str; 4] = [
    "--innodb-buffer-pool-size=16M",
    "--innodb-log-file-size=8M",
    "--skip-log-bin",
    "--loose-skip-feedback",
];

/// Certificates made with the `openssl` command for one test: a CA, a
/// server certificate it signed, valid for the DNS name `localhost` only,
/// and an unrelated second CA (which signed nothing the server shows).
#[derive(Debug, Clone)]
pub struct TestCertificates {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub other_ca: PathBuf,
}

impl TestCertificates {
    /// Generates the certificates into `dir` (which must exist). EC P-256
    /// keys, valid for two days.
    pub fn generate(dir: &Path) -> Result<TestCertificates, String> {
        let path = |name: &str| dir.join(name);
        make_ca(dir, "ca", "fleetd test CA")?;
        make_ca(dir, "other-ca", "fleetd unrelated CA")?;
        let ext = path("server.ext");
        std::fs::write(
            &ext,
            "subjectAltName = DNS:localhost\nbasicConstraints = CA:FALSE\n\
             keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\n",
        )
        .map_err(|e| format!("writing {}: {e}", ext.display()))?;
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            &path_str(&path("server.key")),
            "-out",
            &path_str(&path("server.csr")),
        ])?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            &path_str(&path("server.csr")),
            "-CA",
            &path_str(&path("ca.pem")),
            "-CAkey",
            &path_str(&path("ca.key")),
            "-set_serial",
            "2",
            "-days",
            "2",
            "-extfile",
            &path_str(&ext),
            "-out",
            &path_str(&path("server.pem")),
        ])?;
        Ok(TestCertificates {
            ca: path("ca.pem"),
            server_cert: path("server.pem"),
            server_key: path("server.key"),
            other_ca: path("other-ca.pem"),
        })
    }
}

fn make_ca(dir: &Path, name: &str, common_name: &str) -> Result<(), String> {
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        &format!("/CN={common_name}"),
        "-addext",
        "basicConstraints = critical, CA:TRUE",
        "-addext",
        "keyUsage = critical, keyCertSign, cRLSign",
        "-keyout",
        &path_str(&dir.join(format!("{name}.key"))),
        "-out",
        &path_str(&dir.join(format!("{name}.pem"))),
    ])
}

fn openssl(args: &[&str]) -> Result<(), String> {
    run("openssl", args)
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A running private MariaDB; killed and removed on drop.
#[derive(Debug)]
pub struct PrivateServer {
    dir: PathBuf,
    port: u16,
    socket: PathBuf,
    server: Child,
    watchdog: Option<Child>,
}

impl PrivateServer {
    /// Starts a server on a copy of the template under `template_root`
    /// (made there first if missing; tests pass their
    /// `CARGO_TARGET_TMPDIR`), with TLS from `certificates` if given.
    pub async fn start(
        template_root: &Path,
        certificates: Option<&TestCertificates>,
    ) -> Result<PrivateServer, String> {
        let template = template(template_root)?;
        let dir = unique_dir()?;
        let data = dir.join("data");
        copy_dir(&template, &data)?;
        let socket = dir.join("sock");
        let port = free_port()?;
        let mut args = vec![
            "--no-defaults".to_string(),
            format!("--datadir={}", data.display()),
            format!("--port={port}"),
            "--bind-address=127.0.0.1".to_string(),
            format!("--socket={}", socket.display()),
            format!("--pid-file={}", dir.join("pid").display()),
            format!("--log-error={}", dir.join("error.log").display()),
            format!("--tmpdir={}", dir.display()),
            "--skip-name-resolve".to_string(),
        ];
        args.extend(SERVER_OPTIONS.iter().map(|o| o.to_string()));
        if running_as_root() {
            args.push("--user=root".to_string());
        }
        if let Some(certs) = certificates {
            args.push(format!("--ssl-ca={}", certs.ca.display()));
            args.push(format!("--ssl-cert={}", certs.server_cert.display()));
            args.push(format!("--ssl-key={}", certs.server_key.display()));
        }
        let server = Command::new("mariadbd")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start mariadbd: {e}"))?;
        let watchdog = Command::new("sh")
            .args([
                "-c",
                "while kill -0 \"$0\" 2>/dev/null; do sleep 1; done; kill -9 \"$1\" 2>/dev/null",
                &std::process::id().to_string(),
                &server.id().to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        let mut private = PrivateServer {
            dir,
            port,
            socket,
            server,
            watchdog,
        };
        private.wait_until_up().await?;
        private
            .exec(
                "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; \
                 GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
            )
            .await?;
        Ok(private)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The TCP address (127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `root` over TCP to 127.0.0.1, no database; for
    /// [`crate::testing::ScratchDb::create_at`].
    pub fn admin_url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}", self.port)
    }

    /// Runs SQL as root over the server's unix socket.
    pub async fn exec(&self, sql: &str) -> Result<(), String> {
        let mut conn = Conn::new(self.socket_opts())
            .await
            .map_err(|e| format!("connecting to the private server: {e}"))?;
        conn.query_drop(sql)
            .await
            .map_err(|e| format!("{e}\nSQL: {sql}"))?;
        conn.disconnect().await.map_err(|e| e.to_string())
    }

    /// The server's error log so far, for failure messages.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    fn socket_opts(&self) -> Opts {
        OptsBuilder::default()
            .user(Some("root"))
            .socket(Some(self.socket.to_string_lossy()))
            .into()
    }

    async fn wait_until_up(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.server.try_wait() {
                return Err(format!(
                    "mariadbd exited ({status}) before accepting connections:\n{}",
                    self.error_log()
                ));
            }
            if self.socket.exists() {
                if let Ok(conn) = Conn::new(self.socket_opts()).await {
                    let _ = conn.disconnect().await;
                    return Ok(());
                }
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "mariadbd did not accept connections within {START_TIMEOUT:?}:\n{}",
                    self.error_log()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        // Its data directory is thrown away: no need for a clean shutdown.
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The template data directory for this mariadbd version, made if missing.
/// Concurrent test processes may each make one; the first rename wins.
fn template(root: &Path) -> Result<PathBuf, String> {
    let version = mariadbd_version()?;
    let template = root.join(format!("mariadb-template-{version}"));
    if template.is_dir() {
        return Ok(template);
    }
    std::fs::create_dir_all(root).map_err(|e| format!("creating {}: {e}", root.display()))?;
    let staging = root.join(format!(
        "mariadb-template-{version}.staging-{}-{}",
        std::process::id(),
        nanos()
    ));
    // A temporary directory of its own: a bootstrapping server deletes the
    // `#sql*` files it finds in its tmpdir, so two test processes making
    // templates at once in the shared /tmp removed each other's temporary
    // tables ("Unknown table 'mysql.tmp_user_sys'").
    let tmp = root.join(format!(
        "{}.tmp",
        staging
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("staging")
    ));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("creating {}: {e}", tmp.display()))?;
    let datadir = format!("--datadir={}", staging.display());
    let tmpdir = format!("--tmpdir={}", tmp.display());
    let mut args = vec![
        "--no-defaults",
        datadir.as_str(),
        tmpdir.as_str(),
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
    ];
    if running_as_root() {
        args.push("--user=root");
    }
    args.extend(SERVER_OPTIONS);
    let made = run("mariadb-install-db", &args);
    let _ = std::fs::remove_dir_all(&tmp);
    if let Err(e) = made {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if std::fs::rename(&staging, &template).is_err() {
        // Another process made it first.
        let _ = std::fs::remove_dir_all(&staging);
    }
    if template.is_dir() {
        Ok(template)
    } else {
        Err(format!(
            "no template data directory at {}",
            template.display()
        ))
    }
}

fn mariadbd_version() -> Result<String, String> {
    let output = Command::new("mariadbd")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run mariadbd (is mariadb-server installed?): {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text
        .split_whitespace()
        .skip_while(|word| *word != "Ver")
        .nth(1)
        .ok_or_else(|| format!("unexpected `mariadbd --version`: {text}"))?;
    Ok(version
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect())
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn unique_dir() -> Result<PathBuf, String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "fleetd-private-mariadb-{}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}

fn nanos() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default()
}

/// A port nobody listens on right now (the server binds it a moment later;
/// another process taking it in between makes the start fail, clearly).
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("creating {}: {e}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("reading {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .map_err(|e| format!("copying {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}
