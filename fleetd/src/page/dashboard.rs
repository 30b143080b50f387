//! Links to a process's own dashboard (`links.host_dashboard`): plain
//! `<a href>` elements (the strict CSP needs nothing more), opened in the
//! same tab, without a referrer or an opener. The URL comes from
//! [`HostDashboard`], which fixes its scheme and encodes every value; maud
//! escapes it once more as an attribute.

use crate::links::HostDashboard;
use fleet_core::snapshot::ProcessEntry;
use fleet_core::FleetSnapshot;
use maud::{html, Markup};
use std::collections::HashMap;

/// A link to a dashboard.
pub fn link(url: &str, label: Markup, title: &str) -> Markup {
    html! {
        a.dash href=(url) rel="noopener noreferrer" title=(title) { (label) " \u{2197}" }
    }
}

/// The short "dashboard ↗" link of a process, if the template gives it one.
pub fn of_process(dashboard: Option<&HostDashboard>, process: &ProcessEntry) -> Option<Markup> {
    let url = dashboard?.for_process(process)?;
    Some(link(
        &url,
        html! { "dashboard" },
        "this process's own dashboard",
    ))
}

/// Which dashboard a bucket-owner (`jetmon_hosts`) row links to: with a
/// template of `{host}` alone, the host's; otherwise the dashboard of the
/// host's monitor process (the most urgent one if it runs several), and no
/// link when the snapshot has none on that host.
#[derive(Debug)]
pub struct HostLinks<'a> {
    dashboard: Option<&'a HostDashboard>,
    monitors: HashMap<&'a str, &'a ProcessEntry>,
}

impl<'a> HostLinks<'a> {
    pub fn new(dashboard: Option<&'a HostDashboard>, snapshot: &'a FleetSnapshot) -> Self {
        let mut monitors = HashMap::new();
        if dashboard.is_some_and(HostDashboard::needs_process) {
            // Processes come most urgent first: the first monitor wins.
            for process in snapshot
                .processes
                .iter()
                .filter(|p| p.process_type == "monitor")
            {
                monitors.entry(process.host_id.as_str()).or_insert(process);
            }
        }
        HostLinks {
            dashboard,
            monitors,
        }
    }

    /// The dashboard URL of a bucket owner.
    pub fn url(&self, host_id: &str) -> Option<String> {
        let dashboard = self.dashboard?;
        if dashboard.needs_process() {
            dashboard.for_process(self.monitors.get(host_id)?)
        } else {
            dashboard.for_host(host_id)
        }
    }

    pub fn of_host(&self, host_id: &str) -> Option<Markup> {
        let url = self.url(host_id)?;
        Some(link(&url, html! { "dashboard" }, "this host's dashboard"))
    }
}

/// The link of a next action that says "open the host dashboard", when
/// fleet-core found exactly one host concerned (`next_action_hosts`).
pub fn of_next_action(
    dashboard: Option<&HostDashboard>,
    snapshot: &FleetSnapshot,
) -> Option<Markup> {
    let dashboard = dashboard?;
    let [host] = snapshot.summary.next_action_hosts.as_slice() else {
        return None;
    };
    let process = super::find_process(snapshot, &host.process_id)?;
    let url = dashboard.for_process(process)?;
    Some(link(
        &url,
        html! { "open the dashboard of " span.id { (host.host_id) } },
        "the dashboard of the one host this action concerns",
    ))
}
