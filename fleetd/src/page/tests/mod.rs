//! Rendering tests of the pages. Every snapshot they draw is built by
//! fleet-core's real rollup from input rows (`fleet_core::test_support`), so
//! the statuses on it are the ones fleet-core decided and agree with each
//! other; the tests check what the page makes of them: escaping, base path,
//! issues folding, filters, the coverage bar, readable ages, status words,
//! the process page and the history. `badges` checks, on generated fleets,
//! that every badge equals the status the snapshot holds.

mod badges;
mod coverage;
mod cutover;
mod dashboards;
mod drift_states;
mod fleet_page;
mod links;
mod process_page;
mod scan;

use super::{
    find_process, fleet_page, process_page, PageContext, ProcessFilter, ProcessPageContext,
    StaleNotice,
};
use crate::history::summary::Segment;
use crate::history::{SampleStatus, StoreState, Transition};
use crate::links::HostDashboard;
use chrono::{DateTime, Duration, Utc};
use fleet_core::test_support::*;
use fleet_core::{
    DeliveryKind, DeliveryTableCounts, DriftCause, DriftInput, DriftResult, FleetSnapshot,
    ProcessRow, Status,
};

pub const HOSTILE: &str = "<script>alert(1)</script>";

/// The error text of mon-b's red mysql entry (markup-like on purpose).
pub const MYSQL_ERROR: &str = "dial tcp 127.0.0.1:3306: connect: <refused> & \"retry\"";

/// The fields the fixture builder leaves at zero or `None`, filled the way a
/// real jetmon process reports them, so the page has something to show.
fn like_production(mut row: ProcessRow) -> ProcessRow {
    row.version = "v2.3.1".to_owned();
    row.build_date = "2026-04-28".to_owned();
    row.go_version = "go1.24.2".to_owned();
    row.started_at = Some(secs_ago(5 * 3600));
    row.created_at = Some(secs_ago(3 * 86_400));
    row.api_port = Some(8090);
    row.worker_count = 256;
    row.active_checks = 128;
    row.queue_depth = 40;
    row.retry_queue_size = 2;
    row.go_sys_mem_mb = 180;
    row.rss_mem_mb = 150;
    row.deps(&deps(&[dep("mysql", "green")]))
}

/// One dependency entry with a latency *and* an error.
fn dep_full(name: &str, status: &str, last_error: &str) -> String {
    serde_json::json!({
        "name": name,
        "status": status,
        "latency_ms": 3,
        "last_error": last_error,
        "checked_at": "2026-04-30T13:59:56Z",
    })
    .to_string()
}

/// A red fleet like the one operators know from jetmon's page: a stale
/// monitor with a hostile host id, a red and an amber monitor, one with an
/// unknown health and unreadable dependency_health, a delivery owner, a
/// coverage overlap and gap (the hostile host draining and stale), a
/// webhook queue with failures beside an unreadable alert table, and drift.
/// Its rollup has exactly eight issues (five red, three amber).
pub fn red_fleet() -> Fleet {
    let mut stale = like_production(monitor(HOSTILE)).age(1203);
    stale.bucket_min = Some(700);
    stale.bucket_max = Some(999);
    let red = like_production(monitor("mon-b"))
        .health("red")
        .age(23)
        .deps(&deps(&[dep_full("mysql", "red", MYSQL_ERROR)]));
    let amber = like_production(monitor("mon-a")).health("amber").age(18);
    // Not JSON at all: the row is kept, flagged, with no entries.
    let odd = like_production(monitor("mon-d"))
        .health("degraded")
        .age(9)
        .deps(HOSTILE);
    let owner = like_production(deliverer("del-a")).age(13).workers("del-a");
    let green = like_production(monitor("mon-e"))
        .deps(&deps(&[dep("mysql", "green"), dep(HOSTILE, "green")]));
    Fleet::empty()
        .procs([stale, red, amber, odd, owner, green])
        .hosts(vec![
            host("mon-a", 0, 333).beat_age(33),
            host("mon-b", 300, 600).beat_age(38),
            host(HOSTILE, 700, 999)
                .beat_age(1203)
                .host_status("draining"),
        ])
        .webhook(DeliveryTableCounts {
            pending: 5,
            due_now: 3,
            future_retry: 2,
            delivered_since: 60,
            failed_since: 1,
            abandoned_since: 0,
            oldest_pending_at: Some(secs_ago(1300)),
            oldest_due_at: Some(secs_ago(1203)),
        })
        .unreadable_table(DeliveryKind::Alert)
        .drift(DriftInput::Checked(DriftResult {
            checked_at: secs_ago(95),
            causes: vec![
                (DriftCause::MissingConfirmedDownProjection, 5),
                (DriftCause::MultipleOpenHttpEvents, 2),
            ],
        }))
}

pub fn red_snapshot() -> FleetSnapshot {
    red_fleet().build()
}

pub fn transitions() -> Vec<Transition> {
    vec![
        Transition {
            at: now() - Duration::minutes(50),
            from: SampleStatus::Green,
            to: SampleStatus::Amber,
            top_issue: Some("mon-a:monitor health_status=amber".to_owned()),
        },
        Transition {
            at: now() - Duration::minutes(20),
            from: SampleStatus::Amber,
            to: SampleStatus::Red,
            top_issue: Some(format!("{HOSTILE}:monitor heartbeat stale age=1203s")),
        },
    ]
}

/// How a test renders the fleet page; the default is the plain page at
/// `/fleet`, four seconds after the snapshot was built.
#[derive(Default)]
pub struct Render<'a> {
    pub base: &'a str,
    pub filter: ProcessFilter,
    pub stale: Option<StaleNotice>,
    pub history: Vec<Transition>,
    pub status_since: Option<DateTime<Utc>>,
    pub timeline: Vec<Segment>,
    pub host_dashboard: Option<HostDashboard>,
}

impl Render<'_> {
    pub fn fleet(&self, snap: &FleetSnapshot) -> String {
        fleet_page(&PageContext {
            snapshot: snap,
            base_path: self.base,
            now: snap.generated_at + Duration::seconds(4),
            stale: self.stale.clone(),
            filter: &self.filter,
            history: &self.history,
            status_since: self.status_since,
            status_since_exact: true,
            timeline: &self.timeline,
            history_store: &StoreState::MemoryOnly,
            host_dashboard: self.host_dashboard.as_ref(),
        })
        .into_string()
    }
}

pub fn render_process(snap: &FleetSnapshot, id: &str, base: &str) -> String {
    render_process_linked(snap, id, base, None)
}

/// The process page with a `links.host_dashboard` template.
pub fn render_process_linked(
    snap: &FleetSnapshot,
    id: &str,
    base: &str,
    host_dashboard: Option<&HostDashboard>,
) -> String {
    let process = find_process(snap, id).expect("process exists");
    process_page(&ProcessPageContext {
        snapshot: snap,
        process,
        base_path: base,
        now: snap.generated_at + Duration::seconds(4),
        stale: None,
        host_dashboard,
    })
    .into_string()
}
