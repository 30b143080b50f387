//! Per-section timings of a cold snapshot read, measured straight through
//! `fleet_sql::FleetReader` (fleetd does not surface its per-section
//! timings), plus the rollup and JSON steps in-process, the drift scan, and
//! the plans of the delivery and drift queries.

use crate::stats::{ms, Summary};
use crate::Result;
use fleet_bench::server::{self, PlanRow};
use fleet_core::{DeliveryKind, DriftInput, DriftResult, Thresholds};
use fleet_sql::{DbSettings, FleetReader};
use std::fmt;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct SectionsReport {
    pub runs: usize,
    /// Per section (`now`, `processes`, `hosts`, `webhook_deliveries`, `alert_deliveries`).
    pub sections: Vec<(&'static str, Summary)>,
    /// The whole `read_fleet` call (now, then the four sections concurrently).
    pub read: Summary,
    /// The slowest of the four concurrent sections, per run.
    pub slowest: Summary,
    /// Median over runs of read / slowest section.
    pub read_over_slowest: f64,
    /// `fleet_core::build_snapshot` on the rows read.
    pub rollup: Summary,
    /// `serde_json::to_vec` of the snapshot.
    pub json: Summary,
    pub json_bytes: usize,
    pub drift: Summary,
    pub drift_result: Option<DriftResult>,
    /// Server-wide `Created_tmp_tables` / `Created_tmp_disk_tables` growth
    /// during the drift scans (other clients count too).
    pub drift_tmp_tables: u64,
    pub drift_tmp_disk_tables: u64,
    pub drift_plan: Vec<PlanRow>,
    pub delivery_plans: Vec<(DeliveryKind, Vec<PlanRow>)>,
}

impl SectionsReport {
    pub fn section(&self, name: &str) -> Option<Summary> {
        self.sections
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
    }

    /// Plan rows that read a whole table or index.
    pub fn full_scans(plan: &[PlanRow]) -> Vec<String> {
        plan.iter()
            .filter(|row| matches!(field(row, "type"), "ALL" | "index"))
            .map(|row| format!("{} ({})", field(row, "table"), field(row, "type")))
            .collect()
    }
}

fn field<'a>(row: &'a PlanRow, name: &str) -> &'a str {
    row.iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Times `runs` sequential cold reads and `drift_runs` drift scans on
/// `db_url`'s database.
pub async fn measure(
    admin_url: &str,
    db_url: &str,
    runs: usize,
    drift_runs: usize,
    bucket_total: u32,
) -> Result<SectionsReport> {
    let reader = FleetReader::new(DbSettings::new(db_url))?;
    let thresholds = Thresholds {
        bucket_total,
        ..Thresholds::default()
    };
    // Connect the pool (and learn the flavour) outside the timed runs, as a
    // running fleetd has.
    reader.read_fleet(&thresholds).await?;

    let mut per_section: Vec<(&'static str, Vec<Duration>)> = Vec::new();
    let (mut reads, mut slowest, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rollups, mut jsons) = (Vec::new(), Vec::new());
    let mut json_bytes = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let mut read = reader.read_fleet(&thresholds).await?;
        let took = started.elapsed();
        let timings = std::mem::take(&mut read.timings);
        let mut slow = Duration::ZERO;
        for t in &timings {
            match per_section.iter_mut().find(|(n, _)| *n == t.section) {
                Some((_, v)) => v.push(t.elapsed),
                None => per_section.push((t.section, vec![t.elapsed])),
            }
            if t.section != fleet_sql::section::NOW {
                slow = slow.max(t.elapsed);
            }
            if !t.ok {
                return Err(format!("section {} failed (see the log)", t.section).into());
            }
        }
        reads.push(took);
        slowest.push(slow);
        ratios.push(took.as_secs_f64() / slow.as_secs_f64().max(1e-9));

        let (now, input) = read.into_input(DriftInput::NotCheckedYet);
        let started = Instant::now();
        let snapshot = fleet_core::build_snapshot(&input, now, &thresholds);
        rollups.push(started.elapsed());
        let started = Instant::now();
        let json = serde_json::to_vec(&snapshot)?;
        jsons.push(started.elapsed());
        json_bytes = json.len();
    }
    ratios.sort_by(f64::total_cmp);

    let tmp_names = ["Created_tmp_tables", "Created_tmp_disk_tables"];
    let mut status = server::ServerStatus::connect(admin_url).await?;
    let before = status.read(&tmp_names).await?;
    let mut drifts = Vec::new();
    let mut drift_result = None;
    for _ in 0..drift_runs {
        let started = Instant::now();
        let result = reader.read_drift(bucket_total).await?;
        drifts.push(started.elapsed());
        drift_result = Some(result);
    }
    let after = status.read(&tmp_names).await?;
    status.close().await;
    reader.close().await;

    let now = chrono::Utc::now();
    let mut delivery_plans = Vec::new();
    for kind in DeliveryKind::ALL {
        delivery_plans.push((
            kind,
            server::explain_delivery(db_url, kind, now, thresholds.recent_window).await?,
        ));
    }

    Ok(SectionsReport {
        runs: reads.len(),
        sections: per_section
            .into_iter()
            .map(|(n, v)| (n, Summary::of(&v)))
            .collect(),
        read: Summary::of(&reads),
        slowest: Summary::of(&slowest),
        read_over_slowest: ratios[ratios.len() / 2],
        rollup: Summary::of(&rollups),
        json: Summary::of(&jsons),
        json_bytes,
        drift: Summary::of(&drifts),
        drift_result,
        drift_tmp_tables: after[0].saturating_sub(before[0]),
        drift_tmp_disk_tables: after[1].saturating_sub(before[1]),
        drift_plan: server::explain_drift(db_url, bucket_total).await?,
        delivery_plans,
    })
}

fn write_plan(f: &mut fmt::Formatter<'_>, plan: &[PlanRow]) -> fmt::Result {
    writeln!(
        f,
        "    {:<3} {:<13} {:<26} {:<6} {:<28} {:>9}  Extra",
        "id", "select_type", "table", "type", "key", "rows"
    )?;
    for row in plan {
        writeln!(
            f,
            "    {:<3} {:<13} {:<26} {:<6} {:<28} {:>9}  {}",
            field(row, "id"),
            field(row, "select_type"),
            field(row, "table"),
            field(row, "type"),
            field(row, "key"),
            field(row, "rows"),
            field(row, "Extra")
        )?;
    }
    Ok(())
}

impl fmt::Display for SectionsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "cold snapshot read, {} sequential runs (fleet_sql::FleetReader::read_fleet):",
            self.runs
        )?;
        for (name, s) in &self.sections {
            writeln!(f, "  {name:<20} {s}")?;
        }
        writeln!(f, "  {:<20} {}", "read_fleet (all)", self.read)?;
        writeln!(f, "  {:<20} {}", "slowest section", self.slowest)?;
        writeln!(
            f,
            "  read / slowest section (median of runs): {:.2}",
            self.read_over_slowest
        )?;
        writeln!(f, "  {:<20} {}", "rollup (fleet-core)", self.rollup)?;
        writeln!(
            f,
            "  {:<20} {}  ({} bytes)",
            "JSON serialisation", self.json, self.json_bytes
        )?;
        writeln!(f, "projection drift scan, {} runs:", self.drift.n)?;
        writeln!(f, "  {:<20} {}", "read_drift", self.drift)?;
        if let Some(result) = &self.drift_result {
            let total: u64 = result.causes.iter().map(|(_, n)| n).sum();
            let causes: Vec<String> = result
                .causes
                .iter()
                .map(|(c, n)| format!("{}={n}", c.code()))
                .collect();
            writeln!(f, "  drifting sites: {total} ({})", causes.join(", "))?;
        }
        writeln!(
            f,
            "  server temporary tables during the scans: {} ({} on disk)",
            self.drift_tmp_tables, self.drift_tmp_disk_tables
        )?;
        writeln!(f, "  plan:")?;
        write_plan(f, &self.drift_plan)?;
        for (kind, plan) in &self.delivery_plans {
            let scans = SectionsReport::full_scans(plan);
            writeln!(
                f,
                "delivery query plan ({}): {}",
                kind.table(),
                if scans.is_empty() {
                    "no full table or index scan".to_string()
                } else {
                    format!("FULL SCANS: {}", scans.join(", "))
                }
            )?;
            write_plan(f, plan)?;
        }
        writeln!(
            f,
            "  (slowest section p50 {}, read_fleet p50 {})",
            ms(self.slowest.p50),
            ms(self.read.p50)
        )
    }
}
