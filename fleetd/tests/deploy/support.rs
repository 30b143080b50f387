//! What the deployment checks share: the repository's files, the real tools
//! (found or failed for, never skipped), commands bounded in time, and
//! filling in the deploy files' site-specific lines.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// The built daemon.
pub const BIN: &str = env!("CARGO_BIN_EXE_fleetd");

/// The workspace root (where `deploy/` and `docs/` are).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fleetd/ has a parent: the workspace")
        .to_owned()
}

/// A file of the repository, e.g. `deploy/fleetd.service`.
pub fn repo_file(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The lines of the section of `doc` under `heading` (a whole `#…` line),
/// up to the next heading of the same or a higher level.
pub fn doc_section<'a>(doc: &'a str, path: &str, heading: &str) -> Vec<&'a str> {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let start = doc
        .lines()
        .position(|line| line == heading)
        .unwrap_or_else(|| panic!("{path}: no {heading:?}"));
    doc.lines()
        .skip(start + 1)
        .take_while(|line| {
            let hashes = line.chars().take_while(|c| *c == '#').count();
            !(hashes > 0 && hashes <= level && line[hashes..].starts_with(' '))
        })
        .collect()
}

/// The target directory (`CARGO_TARGET_TMPDIR` is `<target>/tmp`).
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR lies in the target directory")
        .to_owned()
}

/// Whether this process runs as root (the owner of `/proc/self` is the
/// effective user; no unsafe `geteuid` needed).
pub fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The program `name`: on `PATH`, or at one of `also` (sbin directories are
/// not on every `PATH`). A missing tool fails the test: these checks must
/// never pass by not running.
pub fn require_tool(name: &str, also: &[&str], debian_package: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(also.iter().map(PathBuf::from))
        .find(|candidate| is_executable(candidate))
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not installed (looked on PATH and at {also:?}). This deployment \
                 check needs the real program and does not skip: scripts/test (what CI runs) \
                 installs the Debian package `{debian_package}` when it is missing; run the \
                 suite through scripts/test, or `apt-get install {debian_package}`."
            )
        })
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `text` (the file `what`) with each `(from, to)` replaced. Every `from`
/// must occur: when a deploy file changes shape, the test says which line
/// it no longer finds instead of silently testing something else.
pub fn fill_in(what: &str, text: &str, replacements: &[(&str, &str)]) -> String {
    let mut text = text.to_owned();
    for (from, to) in replacements {
        assert!(
            text.contains(from),
            "{what} no longer contains {from:?}; the deployment test fills that line in — \
             update the test together with the file"
        );
        text = text.replace(from, to);
    }
    text
}

/// A loopback port that was free a moment ago (for programs that cannot
/// report the port they bound).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// Runs `command` to its end, bounded by `limit`, with its output captured.
/// It runs in a process group of its own; when it overstays, the whole
/// group is killed and the test fails with the end of what it printed.
pub async fn run_bounded(
    what: &str,
    mut command: tokio::process::Command,
    limit: Duration,
) -> Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let pid = child.id().expect("a just-started child has a pid");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let out = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf).await;
        buf
    });
    let err = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf).await;
        buf
    });

    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => status.unwrap_or_else(|e| panic!("wait for {what}: {e}")),
        Err(_) => {
            // Not reaped yet, so the group id is still ours to kill.
            kill_group(pid);
            let _ = child.wait().await;
            let stderr = tokio::time::timeout(Duration::from_secs(5), err)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            panic!(
                "{what} did not finish within {limit:?} and was killed; the end of its stderr:\n{}",
                tail(&String::from_utf8_lossy(&stderr), 40)
            );
        }
    };
    // Helpers the program started may still hold its pipes: give them a
    // moment, then end the group (it still exists while they hold them).
    let grace = Duration::from_secs(10);
    let (stdout, stderr) = match tokio::time::timeout(grace, async {
        (out.await.unwrap_or_default(), err.await.unwrap_or_default())
    })
    .await
    {
        Ok(both) => both,
        Err(_) => {
            kill_group(pid);
            panic!(
                "{what} exited but left processes holding its output for {grace:?}; killed them"
            );
        }
    };
    Output {
        status,
        stdout,
        stderr,
    }
}

/// SIGKILL to the process group `pgid` (best effort).
pub fn kill_group(pgid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Every URL in `href`, `src` and `action` attributes of an HTML text, with
/// the HTML character references maud writes decoded.
pub fn linked_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in [" href=\"", " src=\"", " action=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("attribute values are closed");
            urls.push(
                rest[..end]
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&#39;", "'")
                    .replace("&amp;", "&"),
            );
            rest = &rest[end..];
        }
    }
    urls
}
