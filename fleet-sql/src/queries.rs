//! The SQL of each section and the mapping of its rows into fleet-core
//! inputs.

use crate::decode::{clamped, count, flag, opt_clamped, opt_string, opt_utc, string, take};
use crate::error::SqlError;
use chrono::{DateTime, Utc};
use fleet_core::{DeliveryKind, DeliveryTableCounts, DriftCause, DriftResult, HostRow, ProcessRow};
use mysql_async::Row;

pub(crate) const NOW_SQL: &str = "SELECT UTC_TIMESTAMP(6) AS now";

pub(crate) fn now_from_rows(what: &'static str, rows: Vec<Row>) -> Result<DateTime<Utc>, SqlError> {
    let mut row = single_row(what, rows)?;
    opt_utc(take(&mut row, "now")).ok_or_else(|| SqlError::decode(what, "no usable UTC_TIMESTAMP"))
}

fn single_row(what: &'static str, rows: Vec<Row>) -> Result<Row, SqlError> {
    let n = rows.len();
    let mut rows = rows.into_iter();
    match (rows.next(), n) {
        (Some(row), 1) => Ok(row),
        _ => Err(SqlError::decode(what, format!("expected one row, got {n}"))),
    }
}

/// Every column, named, so that a schema missing one fails loudly instead
/// of shifting values into the wrong fields.
pub(crate) const PROCESSES_SQL: &str = "\
SELECT process_id, host_id, process_type, pid, version, build_date, go_version, \
       state, health_status, started_at, updated_at, bucket_min, bucket_max, \
       bucket_ownership, api_port, dashboard_port, delivery_workers_enabled, \
       delivery_owner_host, worker_count, active_checks, queue_depth, retry_queue_size, \
       wpcom_circuit_open, wpcom_queue_depth, go_sys_mem_mb, rss_mem_mb, \
       dependency_health, created_at \
FROM jetmon_process_health \
ORDER BY process_id";

pub(crate) fn process_from_row(mut row: Row) -> ProcessRow {
    let mut col = |name: &str| take(&mut row, name);
    let process_id = string(col("process_id"));
    let updated_at = match opt_utc(col("updated_at")) {
        Some(t) => t,
        None => {
            // A zero or unreadable heartbeat is no heartbeat: the epoch makes
            // the process stale (red), which is what an operator must see.
            log::warn!("fleet-sql: process {process_id:?} has an unreadable updated_at; treating it as never updated");
            DateTime::UNIX_EPOCH
        }
    };
    ProcessRow {
        host_id: string(col("host_id")),
        process_type: string(col("process_type")),
        pid: clamped(col("pid")),
        version: string(col("version")),
        build_date: string(col("build_date")),
        go_version: string(col("go_version")),
        state: string(col("state")),
        health_status: string(col("health_status")),
        started_at: opt_utc(col("started_at")),
        updated_at,
        bucket_min: opt_clamped(col("bucket_min")),
        bucket_max: opt_clamped(col("bucket_max")),
        bucket_ownership: string(col("bucket_ownership")),
        api_port: opt_clamped(col("api_port")),
        dashboard_port: opt_clamped(col("dashboard_port")),
        delivery_workers_enabled: flag(col("delivery_workers_enabled")),
        delivery_owner_host: string(col("delivery_owner_host")),
        worker_count: clamped(col("worker_count")),
        active_checks: clamped(col("active_checks")),
        queue_depth: clamped(col("queue_depth")),
        retry_queue_size: clamped(col("retry_queue_size")),
        wpcom_circuit_open: flag(col("wpcom_circuit_open")),
        wpcom_queue_depth: clamped(col("wpcom_queue_depth")),
        go_sys_mem_mb: clamped(col("go_sys_mem_mb")),
        rss_mem_mb: clamped(col("rss_mem_mb")),
        // Raw text: fleet-core owns the lenient JSON parse and its issue.
        dependency_health: opt_string(col("dependency_health")),
        created_at: opt_utc(col("created_at")),
        process_id,
    }
}

pub(crate) const HOSTS_SQL: &str = "\
SELECT host_id, bucket_min, bucket_max, last_heartbeat, status \
FROM jetmon_hosts \
ORDER BY bucket_min, host_id";

pub(crate) fn host_from_row(mut row: Row) -> HostRow {
    let mut col = |name: &str| take(&mut row, name);
    let host_id = string(col("host_id"));
    let last_heartbeat = opt_utc(col("last_heartbeat")).unwrap_or_else(|| {
        log::warn!("fleet-sql: host {host_id:?} has an unreadable last_heartbeat; treating it as never updated");
        DateTime::UNIX_EPOCH
    });
    HostRow {
        // Out-of-range values saturate, which coverage reports as an
        // invalid range rather than silently wrapping into a valid one.
        bucket_min: clamped(col("bucket_min")),
        bucket_max: clamped(col("bucket_max")),
        last_heartbeat,
        status: string(col("status")),
        host_id,
    }
}

/// One aggregate per counter, each a separate branch so that every branch
/// is a range over one `(status, time)` index (an OR across columns would
/// defeat them). `:now` and `:cutoff` are parameters: NOW() in SQL would
/// drift from the snapshot's `now`.
pub(crate) fn delivery_sql(kind: DeliveryKind) -> String {
    let t = kind.table();
    format!(
        "\
SELECT 'pending' AS k, COUNT(*) AS n, MIN(created_at) AS oldest \
  FROM {t} WHERE status = 'pending' \
UNION ALL SELECT 'due_unscheduled', COUNT(*), MIN(created_at) \
  FROM {t} WHERE status = 'pending' AND next_attempt_at IS NULL \
UNION ALL SELECT 'due_scheduled', COUNT(*), MIN(next_attempt_at) \
  FROM {t} WHERE status = 'pending' AND next_attempt_at <= :now \
UNION ALL SELECT 'future_retry', COUNT(*), NULL \
  FROM {t} WHERE status = 'pending' AND next_attempt_at > :now \
UNION ALL SELECT 'delivered', COUNT(*), NULL \
  FROM {t} WHERE status = 'delivered' AND delivered_at >= :cutoff \
UNION ALL SELECT 'failed_attempted', COUNT(*), NULL \
  FROM {t} WHERE status = 'failed' AND last_attempt_at >= :cutoff \
UNION ALL SELECT 'failed_unattempted', COUNT(*), NULL \
  FROM {t} WHERE status = 'failed' AND last_attempt_at IS NULL AND created_at >= :cutoff \
UNION ALL SELECT 'abandoned_attempted', COUNT(*), NULL \
  FROM {t} WHERE status = 'abandoned' AND last_attempt_at >= :cutoff \
UNION ALL SELECT 'abandoned_unattempted', COUNT(*), NULL \
  FROM {t} WHERE status = 'abandoned' AND last_attempt_at IS NULL AND created_at >= :cutoff"
    )
}

pub(crate) fn delivery_from_rows(
    what: &'static str,
    rows: Vec<Row>,
) -> Result<DeliveryTableCounts, SqlError> {
    let mut counts = DeliveryTableCounts::default();
    let mut seen = 0usize;
    for mut row in rows {
        let key = string(take(&mut row, "k"));
        let n = count(take(&mut row, "n"))
            .ok_or_else(|| SqlError::decode(what, format!("count of {key} is not a count")))?;
        let oldest = opt_utc(take(&mut row, "oldest"));
        match key.as_str() {
            "pending" => {
                counts.pending = n;
                counts.oldest_pending_at = oldest;
            }
            "due_unscheduled" | "due_scheduled" => {
                counts.due_now += n;
                counts.oldest_due_at = earliest(counts.oldest_due_at, oldest);
            }
            "future_retry" => counts.future_retry = n,
            "delivered" => counts.delivered_since = n,
            "failed_attempted" | "failed_unattempted" => counts.failed_since += n,
            "abandoned_attempted" | "abandoned_unattempted" => counts.abandoned_since += n,
            other => return Err(SqlError::decode(what, format!("unknown branch {other:?}"))),
        }
        seen += 1;
    }
    if seen != 9 {
        return Err(SqlError::decode(
            what,
            format!("expected 9 branches, got {seen}"),
        ));
    }
    Ok(counts)
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The drift scan, without its leading `SELECT` (the flavour decides how the
/// statement's own time limit is attached).
///
/// Shape, inside out:
/// - `e`: the open http events per blog_id, with the expected legacy value
///   (Down wins over Seems Down). `dedup_key IS NOT NULL` is the same
///   condition as `ended_at IS NULL` (the generated column is non-NULL
///   exactly for open events) but lets the server range-scan `uk_open_dedup`
///   and touch only open events, which are few, instead of all history.
///   Materialised once, with an automatic key on blog_id.
/// - `x`: every active site in range (one pass over the sites table; there
///   is no index that could avoid it) LEFT JOINed to `e` by blog_id, so each
///   site appears exactly once whatever its number of events.
/// - `y`: drifting sites only, classified by the first matching cause.
/// - outer: one row of counts, conditional sums, so no temporary table.
pub(crate) const DRIFT_SQL_BODY: &str = "\
UTC_TIMESTAMP(6) AS checked_at, \
  CAST(COALESCE(SUM(y.cause = 1), 0) AS UNSIGNED) AS c1, \
  CAST(COALESCE(SUM(y.cause = 2), 0) AS UNSIGNED) AS c2, \
  CAST(COALESCE(SUM(y.cause = 3), 0) AS UNSIGNED) AS c3, \
  CAST(COALESCE(SUM(y.cause = 4), 0) AS UNSIGNED) AS c4, \
  CAST(COALESCE(SUM(y.cause = 5), 0) AS UNSIGNED) AS c5, \
  CAST(COALESCE(SUM(y.cause = 6), 0) AS UNSIGNED) AS c6, \
  CAST(COALESCE(SUM(y.cause = 7), 0) AS UNSIGNED) AS c7, \
  CAST(COALESCE(SUM(y.cause = 8), 0) AS UNSIGNED) AS c8 \
FROM ( \
  SELECT CASE \
      WHEN x.site_status NOT IN (0, 1, 2) THEN 1 \
      WHEN x.open_http > 1 THEN 2 \
      WHEN x.expected = 1 AND x.site_status <> 1 THEN 3 \
      WHEN x.expected = 2 AND x.site_status = 1 THEN 4 \
      WHEN x.expected = 0 AND x.site_status = 1 THEN 5 \
      WHEN x.expected = 2 AND x.site_status = 0 THEN 6 \
      WHEN x.expected = 0 AND x.site_status = 2 THEN 7 \
      ELSE 8 END AS cause \
  FROM ( \
    SELECT s.site_status, \
           COALESCE(e.open_http, 0) AS open_http, \
           COALESCE(e.expected, 1) AS expected \
    FROM jetpack_monitor_sites AS s \
    LEFT JOIN ( \
      SELECT blog_id, COUNT(*) AS open_http, \
             CASE WHEN MAX(state = 'Down') = 1 THEN 2 \
                  WHEN MAX(state = 'Seems Down') = 1 THEN 0 \
                  ELSE 1 END AS expected \
      FROM jetmon_events \
      WHERE ended_at IS NULL AND dedup_key IS NOT NULL AND check_type = 'http' \
      GROUP BY blog_id \
    ) AS e ON e.blog_id = s.blog_id \
    WHERE s.monitor_active = 1 AND s.bucket_no < :bucket_total \
  ) AS x \
  WHERE x.site_status <> x.expected \
) AS y";

/// The cause numbered `n` in the SQL's CASE (1-based, rollup.md's order).
fn cause_column(cause: DriftCause) -> String {
    let index = DriftCause::ALL
        .iter()
        .position(|c| *c == cause)
        .unwrap_or_default();
    format!("c{}", index + 1)
}

pub(crate) fn drift_from_rows(what: &'static str, rows: Vec<Row>) -> Result<DriftResult, SqlError> {
    let mut row = single_row(what, rows)?;
    let checked_at = opt_utc(take(&mut row, "checked_at"))
        .ok_or_else(|| SqlError::decode(what, "no usable checked_at"))?;
    let mut causes = Vec::new();
    for cause in DriftCause::ALL {
        let column = cause_column(cause);
        let n = count(take(&mut row, column.as_str()))
            .ok_or_else(|| SqlError::decode(what, format!("{column} is not a count")))?;
        if n > 0 {
            causes.push((cause, n));
        }
    }
    Ok(DriftResult { checked_at, causes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_cause_columns_follow_the_spec_order() {
        assert_eq!(cause_column(DriftCause::UnexpectedProjectionValue), "c1");
        assert_eq!(cause_column(DriftCause::MultipleOpenHttpEvents), "c2");
        assert_eq!(
            cause_column(DriftCause::UnexpectedOpenEventProjection),
            "c8"
        );
        // The SQL's CASE has one branch per cause.
        for n in 1..=8 {
            assert!(DRIFT_SQL_BODY.contains(&format!("AS c{n}")));
            assert!(DRIFT_SQL_BODY.contains(&format!("THEN {n}")) || n == 8);
        }
    }

    #[test]
    fn every_delivery_branch_is_named_and_uses_parameters_not_now() {
        let sql = delivery_sql(DeliveryKind::Alert);
        assert!(sql.contains("jetmon_alert_deliveries"));
        assert!(!sql.to_uppercase().contains("NOW()"));
        assert_eq!(sql.matches("UNION ALL").count(), 8);
    }
}
