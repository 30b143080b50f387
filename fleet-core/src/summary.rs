//! Rule §7: the summary — counts, issues, status, message and the next
//! safe action.

use crate::processes::{Health, Processes};
use crate::snapshot::{
    ActionHost, BucketCoverage, Delivery, DependencyRollup, Issue, ProcessEntry, ProjectionDrift,
    Summary,
};
use crate::status::Status;
use crate::{coverage, delivery, drift};

pub const MSG_RED: &str = "fleet has rollout-blocking issues";
pub const MSG_AMBER: &str = "fleet needs operator attention";
pub const MSG_GREEN: &str = "fleet checks are green";

pub const NO_PROCESS_ROWS: &str = "no process-health snapshots found";
pub const NO_MONITOR_ROWS: &str = "no monitor process snapshots found";

pub const ACTION_STALE: &str =
    "Investigate stale heartbeats before advancing rollout or relying on fleet status.";
pub const ACTION_COVERAGE_RED: &str =
    "Fix jetmon_hosts coverage before relying on dynamic ownership.";
pub const ACTION_DRIFT_RED: &str =
    "Run jetmon2 rollout projection-drift --limit=100 and fix drift before continuing.";
pub const ACTION_DELIVERY_RED: &str =
    "Investigate failed or abandoned delivery rows before moving delivery ownership.";
pub const ACTION_RED_PROCESSES: &str =
    "Open the affected host dashboard and resolve red health before rollout.";
pub const ACTION_DELIVERY_AMBER: &str =
    "Watch delivery-check and confirm due deliveries drain before moving delivery ownership.";
pub const ACTION_POSTURE_AMBER: &str =
    "Confirm DELIVERY_OWNER_HOST posture before enabling or moving delivery workers.";
pub const ACTION_COVERAGE_AMBER: &str =
    "Confirm whether the fleet is still in pinned rollout before expecting dynamic bucket coverage.";
pub const ACTION_NO_MONITORS: &str =
    "Confirm monitor processes are publishing jetmon_process_health snapshots.";
pub const ACTION_AMBER_PROCESSES: &str =
    "Open amber host dashboards and clear dependency warnings before the next rollout step.";
/// rollup.md §9.2: next actions 2–4 when the section is red only because
/// fleetd could not read it.
pub fn action_check_access(section: &str) -> String {
    format!(
        "Check fleetd's access to the jetmon database: {section} could not be read (the cause is in fleetd's log)."
    )
}

/// rollup.md §9.1: the next action for a red dependency.
pub fn action_red_dependency(name: &str) -> String {
    format!(
        "Open the host dashboards of the processes reporting {name} red and resolve it before the next rollout step."
    )
}

/// rollup.md §9.1: the issue a red dependency raises.
pub fn red_dependency_issue(name: &str, red_count: u64) -> String {
    format!("dependency {name}: red on {red_count} process(es)")
}

/// Not in jetmon: when the fleet is amber for a reason none of the rules
/// above names (drift not checked yet, an unreadable dependency_health row),
/// "looks healthy" would contradict the verdict shown above it.
pub const ACTION_REVIEW_ISSUES: &str =
    "Review the issues listed above and clear them before the next rollout step.";
pub const ACTION_HEALTHY: &str =
    "Fleet checks look healthy; continue normal monitoring and rollout validation.";

/// The sections the summary reads.
#[derive(Debug, Clone, Copy)]
pub struct Sections<'a> {
    pub processes: &'a Processes,
    pub coverage: &'a BucketCoverage,
    pub delivery: &'a Delivery,
    pub drift: &'a ProjectionDrift,
    pub dependencies: &'a [DependencyRollup],
}

pub fn summarize(s: Sections<'_>) -> Summary {
    let entries = &s.processes.entries;
    let count_type = |t: &str| entries.iter().filter(|e| e.process_type == t).count() as u64;
    let (mut green, mut amber, mut red, mut stale) = (0u64, 0u64, 0u64, 0u64);
    for entry in entries {
        if entry.stale {
            stale += 1;
            red += 1;
            continue;
        }
        match Health::of(entry).effective() {
            Status::Green => green += 1,
            Status::Amber => amber += 1,
            Status::Red => red += 1,
        }
    }
    let monitor_processes = count_type("monitor");
    let dependency_red_count = s
        .dependencies
        .iter()
        .filter(|d| d.status == Status::Red)
        .map(|d| d.red_count)
        .sum();
    let dependency_amber_count = s
        .dependencies
        .iter()
        .filter(|d| d.status == Status::Amber)
        .map(|d| d.amber_count)
        .sum();

    let issues = issues(&s, monitor_processes);
    let status = issues
        .iter()
        .map(|i| i.status)
        .max()
        .unwrap_or(Status::Green);
    let message = match status {
        Status::Red => MSG_RED,
        Status::Amber => MSG_AMBER,
        Status::Green => MSG_GREEN,
    };
    let (action, next_action_hosts) = next_action(&s, status, stale, red, amber, monitor_processes);
    Summary {
        status,
        message: message.to_owned(),
        suggested_next_action: action,
        next_action_hosts,
        issues: issues.iter().map(|i| i.text.clone()).collect(),
        issue_details: issues,
        red_processes: red,
        amber_processes: amber,
        green_processes: green,
        stale_processes: stale,
        monitor_processes,
        deliverer_processes: count_type("deliverer"),
        dependency_red_count,
        dependency_amber_count,
    }
}

/// All issues, red ones first, each group in the order rule §7 lists.
fn issues(s: &Sections<'_>, monitor_processes: u64) -> Vec<Issue> {
    let mut all = Vec::new();
    let mut push = |status: Status, text: String| all.push(Issue { status, text });
    let entries = &s.processes.entries;
    if entries.is_empty() {
        push(Status::Amber, NO_PROCESS_ROWS.to_owned());
    }
    for entry in entries {
        let id = &entry.process_id;
        if entry.stale {
            push(
                Status::Red,
                format!("{id} heartbeat stale age={}s", entry.last_heartbeat_age_sec),
            );
            continue;
        }
        match Health::of(entry) {
            Health::Known(Status::Green) => {}
            Health::Known(status) => push(status, format!("{id} health_status={status}")),
            Health::Unknown => push(
                Status::Amber,
                format!("{id} health_status={:?}", entry.health_status),
            ),
        }
    }
    for id in &s.processes.unreadable_dependency_health {
        push(Status::Amber, format!("{id} dependency_health unreadable"));
    }
    // §9.1, in dependency sort order (red ones come first there).
    for dependency in s.dependencies.iter().filter(|d| d.status == Status::Red) {
        push(
            Status::Amber,
            red_dependency_issue(&dependency.name, dependency.red_count),
        );
    }
    if monitor_processes == 0 {
        push(Status::Amber, NO_MONITOR_ROWS.to_owned());
    }
    if s.coverage.status != Status::Green {
        let detail = s.coverage.error.clone().unwrap_or_default();
        push(s.coverage.status, format!("bucket coverage: {detail}"));
    }
    if s.drift.status != Status::Green {
        push(
            s.drift.status,
            format!("projection drift: {}", drift::issue_detail(s.drift)),
        );
    }
    if s.delivery.status != Status::Green {
        push(
            s.delivery.status,
            format!("delivery queues: {}", delivery::issue_detail(s.delivery)),
        );
    }
    let posture = &s.delivery.posture;
    if posture.status != Status::Green {
        push(
            posture.status,
            format!("delivery posture: {}", posture.message),
        );
    }
    // Stable: each group keeps the order above.
    all.sort_by_key(|issue| std::cmp::Reverse(issue.status));
    all
}

/// The next action, and the hosts it concerns when it asks to open host
/// dashboards (see [`Summary::next_action_hosts`]).
fn next_action(
    s: &Sections<'_>,
    status: Status,
    stale: u64,
    red_processes: u64,
    amber_processes: u64,
    monitor_processes: u64,
) -> (String, Vec<ActionHost>) {
    let text = |action: &str| (action.to_owned(), Vec::new());
    let red_dependency = s.dependencies.iter().find(|d| d.status == Status::Red);
    if stale > 0 {
        text(ACTION_STALE)
    } else if s.coverage.status == Status::Red {
        if coverage::red_only_unreadable(s.coverage) {
            (action_check_access("bucket coverage"), Vec::new())
        } else {
            text(ACTION_COVERAGE_RED)
        }
    } else if s.drift.status == Status::Red {
        if drift::red_only_unreadable(s.drift) {
            (action_check_access("projection drift"), Vec::new())
        } else {
            text(ACTION_DRIFT_RED)
        }
    } else if s.delivery.status == Status::Red {
        if delivery::red_only_unreadable(s.delivery) {
            (action_check_access("delivery queues"), Vec::new())
        } else {
            text(ACTION_DELIVERY_RED)
        }
    } else if red_processes > 0 {
        (
            ACTION_RED_PROCESSES.to_owned(),
            hosts_of_processes(&s.processes.entries, Status::Red),
        )
    } else if s.delivery.status == Status::Amber {
        text(ACTION_DELIVERY_AMBER)
    } else if s.delivery.posture.status == Status::Amber {
        text(ACTION_POSTURE_AMBER)
    } else if s.coverage.status == Status::Amber {
        text(ACTION_COVERAGE_AMBER)
    } else if monitor_processes == 0 {
        text(ACTION_NO_MONITORS)
    } else if amber_processes > 0 {
        (
            ACTION_AMBER_PROCESSES.to_owned(),
            hosts_of_processes(&s.processes.entries, Status::Amber),
        )
    } else if let Some(dependency) = red_dependency {
        (
            action_red_dependency(&dependency.name),
            distinct_hosts(
                dependency
                    .not_green
                    .iter()
                    .filter(|report| report.counted_as == Status::Red)
                    .map(|report| (report.host_id.as_str(), report.process_id.as_str())),
            ),
        )
    } else if status != Status::Green {
        text(ACTION_REVIEW_ISSUES)
    } else {
        text(ACTION_HEALTHY)
    }
}

/// The hosts of the fresh processes whose health counts as `health` (stale
/// processes have their own action, which names no dashboard).
fn hosts_of_processes(entries: &[ProcessEntry], health: Status) -> Vec<ActionHost> {
    distinct_hosts(
        entries
            .iter()
            .filter(|entry| !entry.stale && Health::of(entry).effective() == health)
            .map(|entry| (entry.host_id.as_str(), entry.process_id.as_str())),
    )
}

/// Each host once, with its first process, in the order given (processes
/// come most urgent first).
fn distinct_hosts<'a>(reports: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<ActionHost> {
    let mut seen = std::collections::BTreeSet::new();
    let mut hosts = Vec::new();
    for (host_id, process_id) in reports {
        if seen.insert(host_id) {
            hosts.push(ActionHost {
                host_id: host_id.to_owned(),
                process_id: process_id.to_owned(),
            });
        }
    }
    hosts
}
