//! A `fleetd` binary run as a child process, one of its output streams
//! collected line by line (shared by the signal and demo tests).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_fleetd");

/// Which output stream is collected (the other is discarded).
#[derive(Debug, Clone, Copy)]
pub enum Collect {
    Stdout,
    Stderr,
}

#[derive(Debug)]
pub struct ChildProcess {
    pub child: Child,
    lines: Receiver<String>,
    /// Every line received so far.
    seen: Vec<String>,
}

impl ChildProcess {
    /// Spawns `command` (stdio set here) and drains the collected stream
    /// for the child's whole life: a full pipe would block it.
    pub fn spawn(mut command: Command, collect: Collect) -> ChildProcess {
        let (out, err) = match collect {
            Collect::Stdout => (Stdio::piped(), Stdio::null()),
            Collect::Stderr => (Stdio::null(), Stdio::piped()),
        };
        let mut child = command
            .env_remove("RUST_LOG")
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start fleetd");
        let stream: Box<dyn Read + Send> = match collect {
            Collect::Stdout => Box::new(child.stdout.take().expect("stdout piped")),
            Collect::Stderr => Box::new(child.stderr.take().expect("stderr piped")),
        };
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        ChildProcess {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next line containing `needle` (panics after `limit`, showing
    /// what was seen).
    pub fn wait_for(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line containing {needle:?} within {limit:?}; got:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Everything collected, up to the child's exit (call after it exited).
    pub fn full_output(&mut self) -> String {
        self.seen.extend(self.lines.iter());
        self.seen.join("\n")
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name}");
    }

    pub fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "fleetd did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}
