//! The large-dataset seeder against a real server (the test server of the
//! repo: `FLEETD_TEST_DATABASE_URL`, default the local MariaDB as root):
//! a small spec is seeded, read back through the reader fleetd uses, and
//! its tables are compared with a fresh load of the schema.

use fleet_bench::database_url;
use fleet_bench::dataset::{self, LargeSpec};
use fleet_core::{DeliveryKind, DriftCause, Thresholds};
use fleet_sql::testing::{admin_url, ScratchDb};
use fleet_sql::{DbSettings, FleetReader};
use mysql_async::prelude::Queryable;

const SPEC: LargeSpec = LargeSpec {
    sites: 60_000,
    webhook_deliveries: 4_000,
    alert_deliveries: 2_000,
    closed_events: 500,
    ..LargeSpec::QUICK
};

/// `SHOW CREATE TABLE` without the parts that depend on the rows.
async fn table_ddl(url: &str, table: &str) -> String {
    let mut conn = mysql_async::Conn::from_url(url).await.expect("connect");
    let row: Option<(String, String)> = conn
        .query_first(format!("SHOW CREATE TABLE {table}"))
        .await
        .expect("show create table");
    let _ = conn.disconnect().await;
    let ddl = row.expect("a row").1;
    ddl.split_whitespace()
        .filter(|w| !w.starts_with("AUTO_INCREMENT="))
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeded_database_has_the_schema_and_every_kind_of_row() {
    let admin = admin_url();
    let name = format!("fleetd_bench_test_{}", std::process::id());
    let report = dataset::seed(&admin, &name, &SPEC, false)
        .await
        .expect("seeding works");
    // In a task, so that a failed assertion still lets the test drop its
    // database.
    let result = tokio::spawn(check(admin.clone(), name.clone(), report)).await;
    dataset::drop_database(&admin, &name).await.expect("drop");
    result.expect("checks pass");
}

async fn check(admin: String, name: String, report: dataset::SeedReport) {
    let (admin, name) = (admin.as_str(), name.as_str());
    let rows = |table: &str| {
        report
            .tables
            .iter()
            .find(|t| t.table == table)
            .map(|t| t.rows)
    };
    assert_eq!(rows("jetpack_monitor_sites"), Some(SPEC.sites));
    assert_eq!(
        rows("jetmon_webhook_deliveries"),
        Some(SPEC.webhook_deliveries)
    );
    assert_eq!(rows("jetmon_alert_deliveries"), Some(SPEC.alert_deliveries));
    assert_eq!(rows("jetmon_process_health"), Some(200));
    assert_eq!(rows("jetmon_hosts"), Some(50));

    // The secondary indexes dropped for the load are back, exactly as the
    // schema declares them.
    let url = database_url(admin, name).expect("url");
    let fresh = ScratchDb::create().await.expect("scratch database");
    for table in [
        "jetpack_monitor_sites",
        "jetmon_events",
        "jetmon_webhook_deliveries",
        "jetmon_alert_deliveries",
        "jetmon_process_health",
        "jetmon_hosts",
    ] {
        assert_eq!(
            table_ddl(&url, table).await,
            table_ddl(fresh.url(), table).await,
            "{table}"
        );
    }
    fresh.drop().await.expect("drop scratch");

    // Read back through the reader fleetd uses.
    let reader = FleetReader::new(DbSettings::new(url.clone())).expect("reader");
    let thresholds = Thresholds::default();
    let read = reader.read_fleet(&thresholds).await.expect("read");
    assert_eq!(read.processes.len(), 200);
    assert!(read.processes.iter().all(|p| p
        .dependency_health
        .as_deref()
        .is_some_and(|d| d.starts_with('['))));
    assert_eq!(read.hosts.as_ref().map(Vec::len), Ok(50));
    for table in &read.delivery {
        let c = table.counts.as_ref().expect("delivery counts");
        assert!(
            c.pending > 0
                && c.due_now > 0
                && c.future_retry > 0
                && c.delivered_since > 0
                && c.failed_since > 0
                && c.abandoned_since > 0,
            "{:?}: {c:?}",
            table.kind
        );
        assert!(c.due_now + c.future_retry == c.pending, "{c:?}");
    }
    assert_eq!(read.delivery[0].kind, DeliveryKind::Webhook);

    let drift = reader.read_drift(1000).await.expect("drift");
    let causes: Vec<DriftCause> = drift.causes.iter().map(|(c, _)| *c).collect();
    for expected in [
        DriftCause::UnexpectedProjectionValue,
        DriftCause::StaleLegacyDownProjection,
        DriftCause::MissingConfirmedDownProjection,
        DriftCause::MissingSeemsDownProjection,
        DriftCause::MissingConfirmedPromotion,
        DriftCause::StaleConfirmedDownProjection,
    ] {
        assert!(causes.contains(&expected), "{expected:?} in {causes:?}");
    }

    // A second seed of the same spec is found and moved to now.
    assert!(dataset::reuse(admin, name, &SPEC)
        .await
        .expect("reuse")
        .is_some());
    let other = LargeSpec { sites: 10, ..SPEC };
    assert!(dataset::reuse(admin, name, &other)
        .await
        .expect("reuse")
        .is_none());
    reader.close().await;
}

#[tokio::test]
async fn a_foreign_database_is_not_replaced_without_force() {
    let db = ScratchDb::create().await.expect("scratch database");
    let err = dataset::seed(&admin_url(), db.name(), &SPEC, false)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("refusing"), "{err}");
    db.drop().await.expect("drop");
}
