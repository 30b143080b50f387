//! `fleetd check`: one snapshot straight from the database, no server.
//!
//! Runs the projection-drift scan first and waits for it (a fresh drift
//! figure, so a green fleet is possible), then builds the snapshot through
//! the same [`SnapshotService`] the daemon uses, prints the summary (or the
//! complete JSON with `--json`) and exits with the monitoring-plugin
//! convention: 0 green, 1 amber, 2 red, 3 unknown.
//!
//! With `--cutover` it prints the dynamic-ownership cutover checklist
//! ([`fleet_core::cutover`]) of that snapshot instead (or, with `--json`,
//! the checklist as JSON) and exits 0 when every expectation passes, 2 when
//! one fails, 3 when none fails but one is unknown.
//!
//! Unknown (3) means no verdict: a configuration that cannot be loaded or a
//! database that cannot be read. stdout then says `UNKNOWN: …` (or, with
//! `--json`, `{"status":"unknown","error":…}`) and stderr carries the
//! cause, with the database URL shown without its password.

use crate::cli::CheckArgs;
use crate::logging;
use crate::settings::Settings;
use crate::snapshots::{LiveConfig, PreparedSnapshot, SnapshotService};
use fleet_core::cutover::{cutover_checklist, Cutover, Outcome};
use fleet_core::snapshot::rfc3339;
use fleet_core::Status;
use fleet_sql::FleetReader;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

pub const EXIT_GREEN: u8 = 0;
pub const EXIT_AMBER: u8 = 1;
pub const EXIT_RED: u8 = 2;
pub const EXIT_UNKNOWN: u8 = 3;

/// Closing the pool after the check waits at most this long.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The exit status of a fleet status.
pub fn exit_code(status: Status) -> u8 {
    match status {
        Status::Green => EXIT_GREEN,
        Status::Amber => EXIT_AMBER,
        Status::Red => EXIT_RED,
    }
}

/// The exit status of a cutover checklist: a pass is green, a failure red,
/// and an expectation that cannot be confirmed is no verdict at all.
pub fn cutover_exit_code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Pass => EXIT_GREEN,
        Outcome::Fail => EXIT_RED,
        Outcome::Unknown => EXIT_UNKNOWN,
    }
}

/// Why there is no verdict. Display is for stderr: it may contain database
/// text (never a password: URLs are redacted, errors carry none).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("configuration error: {0}")]
    Config(#[from] crate::settings::SettingsError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("invalid database settings for {url}: {source}")]
    Database {
        url: String,
        #[source]
        source: fleet_sql::SqlError,
    },
    #[error("cannot read the fleet from {url}: {source}")]
    Snapshot {
        url: String,
        #[source]
        source: std::sync::Arc<crate::snapshots::SnapshotError>,
    },
}

impl CheckError {
    /// The one-line, client-safe reason printed on stdout.
    fn summary(&self) -> &'static str {
        match self {
            CheckError::Config(_) => "bad configuration",
            CheckError::Runtime(_) => "internal error",
            CheckError::Database { .. } => "bad database settings",
            CheckError::Snapshot { .. } => "the database could not be read",
        }
    }
}

pub fn run(args: &CheckArgs) -> ExitCode {
    let outcome = Settings::load(&args.config_source())
        .map_err(CheckError::from)
        .and_then(|settings| {
            // The verdict goes to stdout; only warnings and errors to stderr.
            logging::init(settings.log.level.min(log::LevelFilter::Warn));
            check(settings)
        });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = match outcome {
        Ok(prepared) if args.cutover => {
            let checklist = cutover_checklist(&prepared.snapshot);
            let text = if args.json {
                serde_json::to_string(&checklist)
            } else {
                Ok(cutover_text(&prepared, &checklist))
            };
            match text {
                Ok(text) => {
                    let _ = writeln!(out, "{text}");
                    cutover_exit_code(checklist.outcome)
                }
                // Strings and enums only: not expected, but never a verdict.
                Err(err) => {
                    eprintln!("fleetd check: serialising the checklist failed: {err}");
                    let line = if args.json {
                        serde_json::json!({ "outcome": "unknown", "error": "internal error" })
                            .to_string()
                    } else {
                        "UNKNOWN: cutover checklist unknown: internal error".to_owned()
                    };
                    let _ = writeln!(out, "{line}");
                    EXIT_UNKNOWN
                }
            }
        }
        Ok(prepared) => {
            let text = if args.json {
                String::from_utf8_lossy(&prepared.json).into_owned()
            } else {
                summary_text(&prepared)
            };
            let _ = writeln!(out, "{text}");
            exit_code(prepared.snapshot.summary.status)
        }
        Err(err) => {
            eprintln!("fleetd check: {err}");
            let (key, what) = if args.cutover {
                ("outcome", "cutover checklist")
            } else {
                ("status", "fleet status")
            };
            let line = if args.json {
                serde_json::json!({ key: "unknown", "error": err.summary() }).to_string()
            } else {
                format!("UNKNOWN: {what} unknown: {}", err.summary())
            };
            let _ = writeln!(out, "{line}");
            EXIT_UNKNOWN
        }
    };
    let _ = out.flush();
    ExitCode::from(code)
}

/// Drift scan, then one snapshot.
pub fn check(settings: Settings) -> Result<std::sync::Arc<PreparedSnapshot>, CheckError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CheckError::Runtime)?;
    let url = settings.database.redacted_url();
    runtime.block_on(async {
        let reader = FleetReader::new(settings.database.db_settings()).map_err(|source| {
            CheckError::Database {
                url: url.clone(),
                source,
            }
        })?;
        let snapshots = SnapshotService::new(
            reader,
            LiveConfig::from_settings(&settings),
            tokio::runtime::Handle::current(),
        );
        snapshots.refresh_drift().await;
        let result = snapshots.build_now().await;
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, snapshots.close()).await;
        result.map_err(|source| CheckError::Snapshot { url, source })
    })
}

/// The human summary: `STATUS: message`, the next action, the issues and
/// when the data is from.
pub fn summary_text(prepared: &PreparedSnapshot) -> String {
    let snap = &prepared.snapshot;
    let s = &snap.summary;
    let mut text = String::new();
    let _ = writeln!(text, "{}: {}", s.status.as_str().to_uppercase(), s.message);
    let _ = writeln!(text, "next action: {}", s.suggested_next_action);
    if s.issue_details.is_empty() {
        let _ = writeln!(text, "issues: none");
    } else {
        let _ = writeln!(text, "issues ({}):", s.issue_details.len());
        for issue in &s.issue_details {
            let _ = writeln!(text, "  {:<5}  {}", issue.status.as_str(), issue.text);
        }
    }
    let _ = write!(
        text,
        "processes: {} ({} monitor, {} deliverer, {} stale); generated {} (database clock)",
        snap.processes.len(),
        s.monitor_processes,
        s.deliverer_processes,
        s.stale_processes,
        rfc3339::format(&snap.generated_at)
    );
    if let Some(checked) = snap.projection_drift.checked_at {
        let _ = write!(text, "; drift checked {}", rfc3339::format(&checked));
    }
    text
}

/// The checklist for people: `OUTCOME: …`, one line per expectation
/// (outcome, title, figure) with its fix under it when it is not a pass,
/// and when the data is from.
pub fn cutover_text(prepared: &PreparedSnapshot, checklist: &Cutover) -> String {
    let snap = &prepared.snapshot;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: dynamic-ownership cutover checklist",
        checklist.outcome.as_str().to_uppercase()
    );
    for item in &checklist.items {
        let _ = writeln!(
            text,
            "  {:<7}  {}: {}",
            item.outcome.as_str(),
            item.title,
            item.figure
        );
        if let Some(fix) = &item.fix {
            let _ = writeln!(text, "           fix: {fix}");
        }
    }
    let _ = write!(
        text,
        "generated {} (database clock)",
        rfc3339::format(&snap.generated_at)
    );
    if let Some(checked) = snap.projection_drift.checked_at {
        let _ = write!(text, "; drift checked {}", rfc3339::format(&checked));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_monitoring_plugin_convention() {
        assert_eq!(exit_code(Status::Green), 0);
        assert_eq!(exit_code(Status::Amber), 1);
        assert_eq!(exit_code(Status::Red), 2);
        assert_eq!(EXIT_UNKNOWN, 3);
    }

    #[test]
    fn cutover_exit_codes_are_pass_0_fail_2_unknown_3() {
        assert_eq!(cutover_exit_code(Outcome::Pass), 0);
        assert_eq!(cutover_exit_code(Outcome::Fail), 2);
        assert_eq!(cutover_exit_code(Outcome::Unknown), 3);
    }
}
