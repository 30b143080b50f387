//! nginx serving files with `gzip_static`, the reference the wire phase
//! compares fleetd with: the same bytes fleetd serves, written to disk
//! (the identity body and fleetd's own gzip variant as `<file>.gz`), on a
//! free loopback port, two workers like fleetd's two on this machine.

use crate::Result;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// A running nginx; stopped (SIGTERM to the master, which stops its
/// workers) when dropped.
pub struct StaticNginx {
    child: Child,
    pid: u32,
    pub base: String,
    _dir: tempfile::TempDir,
}

/// Where Debian installs nginx.
fn binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("nginx"))
}

impl StaticNginx {
    /// Serves `files` (`(name, identity bytes, gzip bytes)`) at `/<name>`,
    /// the gzip bytes to clients that accept gzip (`gzip_static on`).
    pub async fn start(files: &[(&str, &[u8], &[u8])]) -> Result<StaticNginx> {
        let dir = tempfile::tempdir()?;
        let www = dir.path().join("www");
        std::fs::create_dir_all(&www)?;
        for (name, identity, gzip) in files {
            std::fs::write(www.join(name), identity)?;
            std::fs::write(www.join(format!("{name}.gz")), gzip)?;
        }
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            listener.local_addr()?.port()
        };
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), &www, port))?;
        let mut command = Command::new(binary());
        command
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start nginx ({}): {e}", binary().display()))?;
        let pid = child.id().ok_or("nginx exited at once")?;
        let mut nginx = StaticNginx {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = nginx.child.try_wait()? {
                let log = std::fs::read_to_string(nginx._dir.path().join("error.log"))
                    .unwrap_or_default();
                return Err(format!("nginx exited ({status}):\n{log}").into());
            }
            if Instant::now() > deadline {
                return Err("nginx does not listen after 10 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(nginx)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for StaticNginx {
    fn drop(&mut self) {
        // The master stops its workers on TERM (a KILL would orphan them).
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
    }
}

fn config(prefix: &Path, www: &Path, port: u16) -> String {
    let p = prefix.display();
    let user = if std::env::var("USER").is_ok_and(|u| u == "root")
        || std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        }) {
        "user root;"
    } else {
        ""
    };
    format!(
        "daemon off;\nworker_processes 2;\n{user}\npid {p}/nginx.pid;\nerror_log {p}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {p}/client_body;\n  proxy_temp_path {p}/proxy;\n\
         fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n\
         types {{ application/json json; text/html html; }}\n\
         sendfile on;\n  tcp_nopush on;\n  keepalive_requests 1000000;\n\
         server {{\n    listen 127.0.0.1:{port};\n    root {www};\n\
         location / {{ gzip_static on; gzip_vary on; etag on; }}\n  }}\n}}\n",
        www = www.display()
    )
}
