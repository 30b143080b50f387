//! `scripts/lib/mariadb.sh`: what `scripts/test` (CI) does to get a MariaDB
//! on a fresh machine, decided from real probes of this machine (a port that
//! answers or not, a server binary installed or not).

use crate::support::{free_port, repo_root};
use std::process::Command;

/// `mariadb_plan` with the given port and server binary path.
fn plan(port: u16, mariadbd: &str) -> String {
    let output = Command::new("bash")
        .arg("-c")
        .arg(". scripts/lib/mariadb.sh && mariadb_plan")
        .current_dir(repo_root())
        .env("MARIADB_PORT", port.to_string())
        .env("MARIADBD", mariadbd)
        .output()
        .expect("run bash");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn scripts_test_uses_a_server_that_answers_starts_a_stopped_one_and_installs_a_missing_one() {
    // A port something listens on: the server is there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let answering = listener.local_addr().expect("addr").port();
    assert_eq!(plan(answering, "/nonexistent/mariadbd"), "ok");
    drop(listener);

    // Nothing listens; an executable server binary is installed: start it.
    // (`/bin/true` stands for an installed binary: only its presence counts.)
    let silent = free_port();
    assert_eq!(plan(silent, "/bin/true"), "start");

    // Nothing listens and no server is installed: install Debian's.
    assert_eq!(plan(silent, "/nonexistent/mariadbd"), "install");
}
