//! The durable history: one SQLite file at `history.path`, written only by
//! the history refresher (never on a request's path), read at start-up
//! and by the `/fleet/history` page and `/api/fleet/history?since=&until=`.
//!
//! - One table, `samples`: a row per stored sample, with the status of the
//!   sample before it (`prev_status`), so a transition is a row whose
//!   status differs from its `prev_status` and survives any thinning.
//! - `PRAGMA application_id` marks the file as fleetd's and
//!   `PRAGMA user_version` is the schema version: a file of another
//!   program, or written by a newer fleetd, is refused and left untouched.
//! - `PRAGMA quick_check` at open: a corrupt or truncated file is refused
//!   (and left for the operator to inspect), never "repaired".
//! - WAL journal, `synchronous = NORMAL`: a write is one short transaction;
//!   a crash loses at most the last sample, never the file.
//! - `auto_vacuum = INCREMENTAL`: rows deleted by retention, thinning or
//!   the size bound give their pages back to the file system.

use super::{Sample, SampleStatus, Transition};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

/// The schema this fleetd writes and reads.
pub const SCHEMA_VERSION: i64 = 1;
/// `PRAGMA application_id` of a fleetd history store ("fltd").
pub const APPLICATION_ID: i64 = 0x666c_7464;
/// Longest top-issue text stored (longer ones are cut at a char boundary).
pub const MAX_ISSUE_BYTES: usize = 512;

const SCHEMA: &str = "
CREATE TABLE samples (
    at_ms INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('green', 'amber', 'red', 'unknown')),
    prev_status TEXT CHECK (prev_status IN ('green', 'amber', 'red', 'unknown')),
    issue_count INTEGER NOT NULL,
    top_issue TEXT
);
CREATE INDEX samples_at ON samples (at_ms);
CREATE INDEX samples_transitions ON samples (at_ms)
    WHERE prev_status IS NOT NULL AND prev_status <> status;
";

/// Why the store cannot be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the history directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "history store {path} was written by a newer fleetd (schema {found}; this fleetd \
         reads schema {SCHEMA_VERSION}); it is left as it is"
    )]
    Newer { path: PathBuf, found: i64 },
    #[error(
        "{path} is not a fleetd history store (application_id {found:#x}); it is left as it is"
    )]
    Foreign { path: PathBuf, found: i64 },
    #[error("history store {path} is corrupt ({detail}); it is left as it is for inspection")]
    Corrupt { path: PathBuf, detail: String },
    #[error("history store {path} is read-only")]
    ReadOnly { path: PathBuf },
    #[error("history store {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// A short word for the page footer (the full text is in the log).
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::CreateDir { .. } | StoreError::ReadOnly { .. } => "not writable",
            StoreError::Newer { .. } => "written by a newer fleetd",
            StoreError::Foreign { .. } => "not a fleetd history file",
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::Sqlite { source, .. } => match source.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DiskFull) => "disk full",
                Some(
                    rusqlite::ErrorCode::ReadOnly
                    | rusqlite::ErrorCode::CannotOpen
                    | rusqlite::ErrorCode::PermissionDenied,
                ) => "not writable",
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                    "corrupt"
                }
                _ => "unusable",
            },
        }
    }
}

/// What the store held at start-up (see [`Store::load`]).
#[derive(Debug, Default)]
pub struct Loaded {
    /// The oldest stored sample's time.
    pub first_at: Option<DateTime<Utc>>,
    /// The newest samples, oldest first.
    pub recent: Vec<Sample>,
    /// The newest transitions, oldest first.
    pub transitions: Vec<Transition>,
    /// All stored transitions.
    pub transitions_total: u64,
    /// The samples since the `day_from` asked for, oldest first.
    pub day: Vec<Sample>,
}

/// What one maintenance pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Maintenance {
    pub expired: usize,
    pub thinned: usize,
    pub over_size: usize,
}

/// An open, checked history store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating the file and its directory when missing) and checks
    /// the store; any problem is an error naming the file, and the file is
    /// then left as it was found.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| classify(&path, source))?;
        if conn.is_readonly(rusqlite::MAIN_DB).map_err(sql)? {
            return Err(StoreError::ReadOnly { path });
        }
        conn.busy_timeout(std::time::Duration::from_secs(2))
            .map_err(sql)?;
        let pragma = |name: &str| -> Result<i64, StoreError> {
            conn.pragma_query_value(None, name, |row| row.get(0))
                .map_err(|source| classify(&path, source))
        };
        let version = pragma("user_version")?;
        let application_id = pragma("application_id")?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
            .map_err(|source| classify(&path, source))?;
        if application_id != APPLICATION_ID && (application_id != 0 || tables > 0) {
            return Err(StoreError::Foreign {
                path,
                found: application_id,
            });
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::Newer {
                path,
                found: version,
            });
        }
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(|source| classify(&path, source))?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path,
                detail: check,
            });
        }
        if version == 0 {
            // Before the first table: only then can auto_vacuum be chosen.
            conn.execute_batch(&format!(
                "PRAGMA auto_vacuum = INCREMENTAL;
                 BEGIN;
                 {SCHEMA}
                 PRAGMA application_id = {APPLICATION_ID};
                 PRAGMA user_version = {SCHEMA_VERSION};
                 COMMIT;"
            ))
            .map_err(|source| classify(&path, source))?;
        }
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|source| classify(&path, source))?;
        if !mode.eq_ignore_ascii_case("wal") {
            log::warn!(
                "history store {}: journal mode {mode}, not WAL",
                path.display()
            );
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL")
            .map_err(|source| classify(&path, source))?;
        // A write now, so that a file fleetd cannot write is found at
        // start-up rather than at the first sample.
        conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .map_err(|source| classify(&path, source))?;
        Ok(Store { conn, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `samples` (oldest first) in one transaction; `prev` is the
    /// status recorded before the first of them.
    pub fn append(
        &mut self,
        samples: &[Sample],
        mut prev: Option<SampleStatus>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let fail = |source| classify(&path, source);
        let tx = self.conn.transaction().map_err(fail)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO samples (at_ms, status, prev_status, issue_count, top_issue)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(fail)?;
            for sample in samples {
                insert
                    .execute(params![
                        sample.at.timestamp_millis(),
                        sample.status.as_str(),
                        prev.map(SampleStatus::as_str),
                        i64::try_from(sample.issue_count).unwrap_or(i64::MAX),
                        sample.top_issue.as_deref().map(cut_issue),
                    ])
                    .map_err(fail)?;
                prev = Some(sample.status);
            }
        }
        tx.commit().map_err(fail)
    }

    /// The state to start from: the newest `recent` samples, the newest
    /// `transitions` transitions and every sample since `day_from`.
    pub fn load(
        &self,
        recent: usize,
        transitions: usize,
        day_from: DateTime<Utc>,
    ) -> Result<Loaded, StoreError> {
        let fail = |source| classify(&self.path, source);
        let first_at = self
            .conn
            .query_row("SELECT min(at_ms) FROM samples", [], |row| {
                row.get::<_, Option<i64>>(0)
            })
            .map_err(fail)?
            .and_then(from_millis);
        let mut recent_rows = self
            .query_samples(
                "SELECT at_ms, status, prev_status, issue_count, top_issue FROM samples
                 ORDER BY at_ms DESC, rowid DESC LIMIT ?1",
                params![limit(recent)],
            )
            .map_err(fail)?;
        recent_rows.reverse();
        let mut transition_rows = self.transitions_before(None, None, transitions)?;
        transition_rows.reverse();
        let transitions_total: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM samples WHERE prev_status IS NOT NULL AND prev_status <> status",
                [],
                |row| row.get(0),
            )
            .map_err(fail)?;
        let day = self
            .query_samples(
                "SELECT at_ms, status, prev_status, issue_count, top_issue FROM samples
                 WHERE at_ms >= ?1 ORDER BY at_ms, rowid",
                params![day_from.timestamp_millis()],
            )
            .map_err(fail)?;
        Ok(Loaded {
            first_at,
            recent: recent_rows.into_iter().map(|(s, _)| s).collect(),
            transitions: transition_rows,
            transitions_total: u64::try_from(transitions_total).unwrap_or(0),
            day: day.into_iter().map(|(s, _)| s).collect(),
        })
    }

    /// Samples in `[from, until]`, oldest first, at most `max` (the newest
    /// ones), preceded by the last sample before `from` if any (it decides
    /// the status at `from`).
    pub fn samples_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        max: usize,
    ) -> Result<Vec<Sample>, StoreError> {
        let fail = |source| classify(&self.path, source);
        let before = self
            .query_samples(
                "SELECT at_ms, status, prev_status, issue_count, top_issue FROM samples
                 WHERE at_ms < ?1 ORDER BY at_ms DESC, rowid DESC LIMIT 1",
                params![from.timestamp_millis()],
            )
            .map_err(fail)?;
        let mut within = self
            .query_samples(
                "SELECT at_ms, status, prev_status, issue_count, top_issue FROM samples
                 WHERE at_ms >= ?1 AND at_ms <= ?2 ORDER BY at_ms DESC, rowid DESC LIMIT ?3",
                params![
                    from.timestamp_millis(),
                    until.timestamp_millis(),
                    limit(max)
                ],
            )
            .map_err(fail)?;
        within.reverse();
        Ok(before
            .into_iter()
            .chain(within)
            .map(|(sample, _)| sample)
            .collect())
    }

    /// Transitions in `[from, until]` (both optional), newest first, at
    /// most `max`.
    pub fn transitions_before(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        max: usize,
    ) -> Result<Vec<Transition>, StoreError> {
        let rows = self
            .query_samples(
                "SELECT at_ms, status, prev_status, issue_count, top_issue FROM samples
                 WHERE prev_status IS NOT NULL AND prev_status <> status
                   AND at_ms >= ?1 AND at_ms <= ?2
                 ORDER BY at_ms DESC, rowid DESC LIMIT ?3",
                params![
                    from.map_or(i64::MIN, |t| t.timestamp_millis()),
                    until.map_or(i64::MAX, |t| t.timestamp_millis()),
                    limit(max)
                ],
            )
            .map_err(|source| classify(&self.path, source))?;
        Ok(rows
            .into_iter()
            .filter_map(|(sample, prev)| {
                Some(Transition {
                    at: sample.at,
                    from: prev?,
                    to: sample.status,
                    top_issue: sample.top_issue,
                })
            })
            .collect())
    }

    /// Retention, thinning and the size bound, in one transaction:
    /// - samples older than `retention` go;
    /// - samples older than `thin_after` that are no transition keep one
    ///   per minute;
    /// - while the file's used pages exceed `max_bytes`, the oldest tenth
    ///   of the samples goes.
    ///
    /// Freed pages are then returned to the file system.
    pub fn maintain(
        &mut self,
        now: DateTime<Utc>,
        retention: Duration,
        thin_after: Duration,
        max_bytes: u64,
    ) -> Result<Maintenance, StoreError> {
        let path = self.path.clone();
        let fail = |source| classify(&path, source);
        let mut done = Maintenance::default();
        let tx = self.conn.transaction().map_err(fail)?;
        done.expired = tx
            .execute(
                "DELETE FROM samples WHERE at_ms < ?1",
                params![(now - retention).timestamp_millis()],
            )
            .map_err(fail)?;
        done.thinned = tx
            .execute(
                "DELETE FROM samples
                 WHERE at_ms < ?1
                   AND (prev_status IS NULL OR prev_status = status)
                   AND rowid NOT IN (
                       SELECT min(rowid) FROM samples WHERE at_ms < ?1 GROUP BY at_ms / 60000
                   )",
                params![(now - thin_after).timestamp_millis()],
            )
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        self.conn
            .execute_batch("PRAGMA incremental_vacuum")
            .map_err(fail)?;
        while self.used_bytes()? > max_bytes {
            let removed = self
                .conn
                .execute(
                    "DELETE FROM samples WHERE rowid IN (
                         SELECT rowid FROM samples ORDER BY at_ms, rowid
                         LIMIT max(1, (SELECT count(*) FROM samples) / 10)
                     )",
                    [],
                )
                .map_err(fail)?;
            self.conn
                .execute_batch("PRAGMA incremental_vacuum")
                .map_err(fail)?;
            done.over_size += removed;
            if removed == 0 {
                break;
            }
        }
        Ok(done)
    }

    /// Bytes of the pages in use (the file less its free pages).
    pub fn used_bytes(&self) -> Result<u64, StoreError> {
        let fail = |source| classify(&self.path, source);
        let get = |name: &str| -> Result<i64, StoreError> {
            self.conn
                .pragma_query_value(None, name, |row| row.get(0))
                .map_err(fail)
        };
        let used = (get("page_count")? - get("freelist_count")?) * get("page_size")?;
        Ok(u64::try_from(used).unwrap_or(0))
    }

    /// Rows stored.
    pub fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM samples", [], |row| row.get(0))
            .map_err(|source| classify(&self.path, source))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Writes the WAL back into the file (on shutdown, and before
    /// measuring its size).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(|source| classify(&self.path, source))
    }

    #[allow(clippy::type_complexity)]
    fn query_samples(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> rusqlite::Result<Vec<(Sample, Option<SampleStatus>)>> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let rows = statement.query_map(params, |row| {
            let at: i64 = row.get(0)?;
            let status: String = row.get(1)?;
            let prev: Option<String> = row.get(2)?;
            let issue_count: i64 = row.get(3)?;
            let top_issue: Option<String> = row.get(4)?;
            Ok((at, status, prev, issue_count, top_issue))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, status, prev, issue_count, top_issue) = row?;
            // The CHECK constraints keep both columns to the four words.
            let (Some(at), Some(status)) = (from_millis(at), SampleStatus::parse(&status)) else {
                continue;
            };
            out.push((
                Sample {
                    at,
                    status,
                    top_issue,
                    issue_count: usize::try_from(issue_count).unwrap_or(0),
                },
                prev.as_deref().and_then(SampleStatus::parse),
            ));
        }
        Ok(out)
    }
}

/// The last sample stored (tests and tools).
pub fn last_sample(store: &Store) -> Result<Option<Sample>, StoreError> {
    let rows = store
        .conn
        .query_row(
            "SELECT at_ms, status FROM samples ORDER BY at_ms DESC, rowid DESC LIMIT 1",
            [],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
        )
        .optional()
        .map_err(|source| classify(&store.path, source))?;
    Ok(rows.and_then(|(at, status)| {
        Some(Sample {
            at: from_millis(at)?,
            status: SampleStatus::parse(&status)?,
            top_issue: None,
            issue_count: 0,
        })
    }))
}

/// SQLite's "not a database" and "malformed" become [`StoreError::Corrupt`].
fn classify(path: &Path, source: rusqlite::Error) -> StoreError {
    match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: source.to_string(),
            }
        }
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        },
    }
}

fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn cut_issue(issue: &str) -> &str {
    if issue.len() <= MAX_ISSUE_BYTES {
        return issue;
    }
    let mut end = MAX_ISSUE_BYTES;
    while !issue.is_char_boundary(end) {
        end -= 1;
    }
    &issue[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(second: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 30, 0, 0, 0)
            .single()
            .expect("valid time")
            + Duration::seconds(second)
    }

    fn sample(second: i64, status: SampleStatus) -> Sample {
        Sample {
            at: t(second),
            status,
            top_issue: (status != SampleStatus::Green).then(|| format!("issue at {second}")),
            issue_count: usize::from(status != SampleStatus::Green),
        }
    }

    #[test]
    fn samples_and_transitions_round_trip() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/dir/history.sqlite3");
        let mut store = Store::open(&path).expect("open creates the directory");
        let samples = [
            sample(0, SampleStatus::Green),
            sample(15, SampleStatus::Red),
            sample(30, SampleStatus::Red),
            sample(45, SampleStatus::Unknown),
        ];
        store.append(&samples, None).expect("append");
        drop(store);
        let store = Store::open(&path).expect("reopen");
        let loaded = store.load(10, 10, t(20)).expect("load");
        assert_eq!(loaded.first_at, Some(t(0)));
        assert_eq!(loaded.recent, samples.to_vec());
        assert_eq!(loaded.transitions_total, 2);
        assert_eq!(
            loaded
                .transitions
                .iter()
                .map(|t| (t.from, t.to, t.at))
                .collect::<Vec<_>>(),
            vec![
                (SampleStatus::Green, SampleStatus::Red, t(15)),
                (SampleStatus::Red, SampleStatus::Unknown, t(45))
            ]
        );
        assert_eq!(loaded.day, samples[2..].to_vec());
        let between = store.samples_between(t(20), t(40), 10).expect("between");
        assert_eq!(between, samples[1..3].to_vec(), "with the one before");
    }

    #[test]
    fn retention_thinning_and_size_bound() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&dir.path().join("h.sqlite3")).expect("open");
        // Three days at one sample every 15 s, red for one minute at 01:00
        // on the first day.
        let day = 86_400;
        let samples: Vec<Sample> = (0..(3 * day / 15))
            .map(|i| {
                let s = i * 15;
                let status = if (3600..3660).contains(&s) {
                    SampleStatus::Red
                } else {
                    SampleStatus::Green
                };
                sample(s, status)
            })
            .collect();
        store.append(&samples, None).expect("append");
        let now = t(3 * day);
        let done = store
            .maintain(now, Duration::days(2), Duration::days(1), u64::MAX)
            .expect("maintain");
        // Day 1 is past retention; day 2 thins to one a minute; day 3 stays.
        assert_eq!(done.expired, (day / 15) as usize);
        assert_eq!(done.thinned, (day / 15 - day / 60) as usize);
        assert_eq!(store.count().expect("count"), (day / 60 + day / 15) as u64);
        assert!(
            store
                .transitions_before(None, None, 10)
                .expect("t")
                .is_empty(),
            "the red minute was past retention"
        );

        // Transitions survive thinning.
        let mut store2 = Store::open(&dir.path().join("h2.sqlite3")).expect("open");
        store2.append(&samples, None).expect("append");
        store2
            .maintain(now, Duration::days(30), Duration::days(1), u64::MAX)
            .expect("maintain");
        assert_eq!(
            store2.transitions_before(None, None, 10).expect("t").len(),
            2
        );

        // The size bound drops the oldest samples.
        let before = store2.count().expect("count");
        let done = store2
            .maintain(now, Duration::days(30), Duration::days(1), 64 * 1024)
            .expect("maintain");
        assert!(done.over_size > 0);
        assert!(store2.used_bytes().expect("size") <= 64 * 1024);
        let last = last_sample(&store2).expect("last").expect("some");
        assert_eq!(last.at, samples.last().expect("last").at, "the newest stay");
        assert!(store2.count().expect("count") < before);
    }

    #[test]
    fn long_issues_are_cut_at_a_char_boundary() {
        let long = "é".repeat(MAX_ISSUE_BYTES);
        let cut = cut_issue(&long);
        assert!(cut.len() <= MAX_ISSUE_BYTES);
        assert!(long.starts_with(cut));
    }
}
