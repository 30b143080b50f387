//! The reader fleetd uses: one call per snapshot, one per drift scan.

use crate::db::{Db, ServerFlavor};
use crate::error::SqlError;
use crate::queries;
use crate::settings::DbSettings;
use chrono::{DateTime, TimeDelta, Utc};
use fleet_core::{
    DeliveryKind, DeliveryTableCounts, DeliveryTableInput, DriftInput, DriftResult, FleetInput,
    HostRow, ProcessRow, Thresholds, Unreadable,
};
use mysql_async::{params, Params};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Section names, as used in [`SectionTiming`] and in log lines.
pub mod section {
    pub const NOW: &str = "now";
    pub const PROCESSES: &str = "processes";
    pub const HOSTS: &str = "hosts";
    pub const WEBHOOK_DELIVERIES: &str = "webhook_deliveries";
    pub const ALERT_DELIVERIES: &str = "alert_deliveries";
    pub const DRIFT: &str = "drift";

    pub(crate) fn delivery(kind: fleet_core::DeliveryKind) -> &'static str {
        match kind {
            fleet_core::DeliveryKind::Webhook => WEBHOOK_DELIVERIES,
            fleet_core::DeliveryKind::Alert => ALERT_DELIVERIES,
        }
    }
}

/// How long one section's read took, and whether it succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionTiming {
    pub section: &'static str,
    pub elapsed: Duration,
    pub ok: bool,
}

/// Everything one snapshot needs except drift, which has its own schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetRead {
    /// The database clock when the read started; every age and the delivery
    /// cutoff are relative to it.
    pub now: DateTime<Utc>,
    pub processes: Vec<ProcessRow>,
    pub hosts: Result<Vec<HostRow>, Unreadable>,
    /// Webhook then alert.
    pub delivery: Vec<DeliveryTableInput>,
    /// `now` first, then processes, hosts, webhook and alert deliveries.
    pub timings: Vec<SectionTiming>,
}

impl FleetRead {
    /// The fleet-core input for this read plus the latest drift outcome,
    /// and the `now` to build the snapshot at.
    pub fn into_input(self, drift: DriftInput) -> (DateTime<Utc>, FleetInput) {
        (
            self.now,
            FleetInput {
                processes: self.processes,
                hosts: self.hosts,
                delivery: self.delivery,
                drift,
            },
        )
    }
}

/// Reads the fleet from MySQL/MariaDB. Cheap to clone: clones share one pool.
#[derive(Clone, Debug)]
pub struct FleetReader {
    pub(crate) db: Arc<Db>,
}

impl FleetReader {
    /// Validates the settings and prepares the pool. No I/O: the first read
    /// connects (and learns the server flavour).
    pub fn new(settings: DbSettings) -> Result<FleetReader, SqlError> {
        Ok(FleetReader {
            db: Arc::new(Db::new(settings)?),
        })
    }

    pub fn settings(&self) -> &DbSettings {
        self.db.settings()
    }

    /// The server flavour, once the first read has connected.
    pub fn server_flavor(&self) -> Option<ServerFlavor> {
        self.db.flavor()
    }

    /// Whether the pool's TCP connections use TLS, once the first read has
    /// connected (with `tls = preferred` this is what the server offered).
    pub fn tls_in_use(&self) -> Option<bool> {
        self.db.tls_in_use()
    }

    /// Reads processes, hosts and both delivery tables concurrently on
    /// separate connections, with `now` from the database clock and the
    /// delivery cutoff = now - `thresholds.recent_window`.
    ///
    /// `Err` only when `now` or the process-health read fails (there is no
    /// snapshot without them; the caller logs it). Any other section that
    /// fails becomes `Err(Unreadable)` in the result and is logged here.
    pub async fn read_fleet(&self, thresholds: &Thresholds) -> Result<FleetRead, SqlError> {
        let (now, now_timing) = timed(section::NOW, self.read_now()).await;
        let now = now?;
        let cutoff = cutoff(now, thresholds.recent_window);

        let (processes, hosts, webhook, alert) = tokio::join!(
            timed(section::PROCESSES, self.read_processes()),
            timed(section::HOSTS, self.read_hosts()),
            timed(
                section::WEBHOOK_DELIVERIES,
                self.read_delivery(DeliveryKind::Webhook, now, cutoff)
            ),
            timed(
                section::ALERT_DELIVERIES,
                self.read_delivery(DeliveryKind::Alert, now, cutoff)
            ),
        );
        let timings = vec![now_timing, processes.1, hosts.1, webhook.1, alert.1];
        let hosts = self.unreadable_on_error(section::HOSTS, hosts.0);
        let delivery = [
            (DeliveryKind::Webhook, webhook.0),
            (DeliveryKind::Alert, alert.0),
        ]
        .into_iter()
        .map(|(kind, counts)| DeliveryTableInput {
            kind,
            counts: self.unreadable_on_error(section::delivery(kind), counts),
        })
        .collect();
        Ok(FleetRead {
            now,
            processes: processes.0?,
            hosts,
            delivery,
            timings,
        })
    }

    /// The drift scan (rollup.md §5): one query under its own, longer
    /// statement limit. Each active site with `bucket_no < bucket_total`
    /// counts once, Down wins over Seems Down, broken down by cause.
    pub async fn read_drift(&self, bucket_total: u32) -> Result<DriftResult, SqlError> {
        const WHAT: &str = section::DRIFT;
        let limit = self.db.settings().drift_statement_timeout;
        let rows = self
            .db
            .select(
                WHAT,
                |flavor| flavor.select_with_limit(queries::DRIFT_SQL_BODY, limit),
                params! { "bucket_total" => bucket_total },
                self.db.drift_bound(),
            )
            .await?;
        queries::drift_from_rows(WHAT, rows)
    }

    /// The database's clock (UTC, microseconds).
    pub async fn read_now(&self) -> Result<DateTime<Utc>, SqlError> {
        let rows = self.plain_select(section::NOW, queries::NOW_SQL).await?;
        queries::now_from_rows(section::NOW, rows)
    }

    /// Every `jetmon_process_health` row, leniently decoded.
    pub async fn read_processes(&self) -> Result<Vec<ProcessRow>, SqlError> {
        let rows = self
            .plain_select(section::PROCESSES, queries::PROCESSES_SQL)
            .await?;
        Ok(rows.into_iter().map(queries::process_from_row).collect())
    }

    /// Every `jetmon_hosts` row, ordered by `bucket_min`, then `host_id`.
    pub async fn read_hosts(&self) -> Result<Vec<HostRow>, SqlError> {
        let rows = self
            .plain_select(section::HOSTS, queries::HOSTS_SQL)
            .await?;
        Ok(rows.into_iter().map(queries::host_from_row).collect())
    }

    /// The counters of one delivery table at `now`, counting finished
    /// deliveries from `cutoff` on (rollup.md §3).
    pub async fn read_delivery(
        &self,
        kind: DeliveryKind,
        now: DateTime<Utc>,
        cutoff: DateTime<Utc>,
    ) -> Result<DeliveryTableCounts, SqlError> {
        let what = section::delivery(kind);
        let rows = self
            .db
            .select(
                what,
                |_| queries::delivery_sql(kind),
                params! { "now" => now.naive_utc(), "cutoff" => cutoff.naive_utc() },
                self.db.statement_bound(),
            )
            .await?;
        queries::delivery_from_rows(what, rows)
    }

    /// Disconnects the pool (graceful shutdown). Waits, bounded, for
    /// connections still in use.
    pub async fn close(self) {
        self.db.close().await;
    }

    async fn plain_select(
        &self,
        what: &'static str,
        sql: &'static str,
    ) -> Result<Vec<mysql_async::Row>, SqlError> {
        self.db
            .select(
                what,
                |_| sql.to_string(),
                Params::Empty,
                self.db.statement_bound(),
            )
            .await
    }

    fn unreadable_on_error<T>(
        &self,
        section: &'static str,
        result: Result<T, SqlError>,
    ) -> Result<T, Unreadable> {
        result.map_err(|err| {
            log::error!(
                "fleet-sql: section {section} unreadable ({}): {err}",
                self.db.settings().redacted_url()
            );
            Unreadable
        })
    }
}

/// `now - window`, clamped to the TIMESTAMP range's start so that an absurd
/// window cannot overflow or produce a date the server rejects.
fn cutoff(now: DateTime<Utc>, window: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(window)
        .ok()
        .and_then(|w| now.checked_sub_signed(w))
        .unwrap_or(DateTime::UNIX_EPOCH)
        .max(DateTime::UNIX_EPOCH)
}

async fn timed<T>(
    section: &'static str,
    read: impl Future<Output = Result<T, SqlError>>,
) -> (Result<T, SqlError>, SectionTiming) {
    let started = Instant::now();
    let result = read.await;
    let timing = SectionTiming {
        section,
        elapsed: started.elapsed(),
        ok: result.is_ok(),
    };
    (result, timing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_is_now_minus_window_and_never_before_the_epoch() {
        let now = DateTime::UNIX_EPOCH + TimeDelta::seconds(10_000);
        assert_eq!(
            cutoff(now, Duration::from_secs(900)),
            DateTime::UNIX_EPOCH + TimeDelta::seconds(9_100)
        );
        assert_eq!(
            cutoff(now, Duration::from_secs(20_000)),
            DateTime::UNIX_EPOCH
        );
        assert_eq!(cutoff(now, Duration::MAX), DateTime::UNIX_EPOCH);
    }

    fn assert_send<T: Send>(_: &T) {}
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn reader_and_its_futures_can_move_between_threads() {
        assert_send_sync::<FleetReader>();
        let reader = FleetReader::new(DbSettings::new("mysql://h/db")).expect("settings");
        let thresholds = Thresholds::default();
        assert_send(&reader.read_fleet(&thresholds));
        assert_send(&reader.read_drift(1000));
        assert_send(&reader.clone().close());
    }

    #[test]
    fn new_validates_without_connecting() {
        // Port 9 (discard) on a reserved address: any I/O would fail or hang.
        let reader = FleetReader::new(DbSettings::new("mysql://u:pw@192.0.2.1:9/db"));
        assert!(reader.is_ok());
        assert!(FleetReader::new(DbSettings::new("postgres://h/db")).is_err());
        let mut bad = DbSettings::new("mysql://h/db");
        bad.pool_max = 0;
        assert!(FleetReader::new(bad).is_err());
    }
}
