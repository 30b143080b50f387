//! The processes table with its filters (plain links and a GET form, so a
//! filtered view is a shareable URL and works without JavaScript).

use super::filter::{ProcessFilter, StatusFilter, PARAM_HOST, PARAM_STATUS, PARAM_TYPE};
use super::format::{
    badge, fleet_url, process_url, reported_badge, status_badge, time_ago, truncate, url, Tone,
    TITLE_MAX_CHARS,
};
use super::PageContext;
use fleet_core::snapshot::ProcessEntry;
use fleet_core::Status;
use maud::{html, Markup};
use std::collections::BTreeSet;

/// The status cell of a process row: the word (stale/red/amber/green) in its
/// colour, plus the raw health value when the word alone would hide it.
pub fn status_cell(p: &ProcessEntry) -> Markup {
    if p.stale {
        html! { (badge(Tone::Red, "stale")) " " span.muted.small.sub { "health " (p.health_status) } }
    } else {
        reported_badge(p.status, &p.health_status)
    }
}

/// The dependency summary of a process row: non-green entries by name.
fn deps_cell(p: &ProcessEntry) -> Markup {
    let bad: Vec<_> = p
        .dependency_health
        .iter()
        .filter(|d| d.counted_as != Status::Green)
        .collect();
    html! {
        @if p.dependency_health_error.is_some() {
            (badge(Tone::Amber, "unreadable"))
        } @else if p.dependency_health.is_empty() {
            span.muted { "\u{2014}" }
        } @else if bad.is_empty() {
            span.muted { (p.dependency_health.len()) " green" }
        } @else {
            @for (i, d) in bad.iter().enumerate() {
                @if i > 0 { " " }
                span.dep.(Tone::from(d.counted_as).class()) title=(truncate(d.last_error.as_deref().unwrap_or(""), TITLE_MAX_CHARS)) {
                    span.id { (d.name) } " " (d.status)
                }
            }
        }
    }
}

fn buckets_cell(p: &ProcessEntry) -> Markup {
    html! {
        @match (p.bucket_min, p.bucket_max) {
            (Some(min), Some(max)) => span.num title=(p.bucket_ownership) { (min) "\u{2013}" (max) },
            _ => span.muted title=(p.bucket_ownership) { "\u{2014}" },
        }
    }
}

fn row(ctx: &PageContext<'_>, p: &ProcessEntry) -> Markup {
    let base = ctx.base_path;
    let inactive = fleet_core::processes::is_stopped(p);
    // By convention process_id is "<host_id>:<process_type>"; the host is
    // only spelled out when it is not.
    let conventional = p
        .process_id
        .strip_prefix(p.host_id.as_str())
        .and_then(|rest| rest.strip_prefix(':'))
        == Some(p.process_type.as_str());
    html! {
        tr.stale[p.stale] {
            td { (status_cell(p)) }
            th.ident scope="row" {
                a.id href=(process_url(base, &p.process_id)) { (p.process_id) }
                @if !conventional {
                    span.sub.muted { "host " span.id { (p.host_id) } }
                }
                @if let Some(link) = super::dashboard::of_process(ctx.host_dashboard, p) {
                    span.sub { (link) }
                }
            }
            td { (p.process_type) " " span.muted[inactive] { "\u{b7} " (p.state) } }
            td.num.(if p.stale { Tone::Red.class() } else { "" }) { (time_ago(ctx.now, p.updated_at)) }
            td.id title={ "built " (p.build_date) " \u{b7} " (p.go_version) } { (p.version) }
            td.num { (buckets_cell(p)) }
            td.num { (p.active_checks) span.muted { " / " (p.worker_count) } }
            td.num { (p.queue_depth) }
            td.num { (p.retry_queue_size) }
            td.num {
                @if p.wpcom_circuit_open { (badge(Tone::Red, "open")) " " }
                span.num { (p.wpcom_queue_depth) }
            }
            td.wrap-narrow {
                @if p.delivery_workers_enabled {
                    "on"
                    @if p.delivery_owner_host.trim().is_empty() {
                        " " (badge(Tone::Amber, "no owner"))
                    } @else {
                        " \u{2192} " span.id { (p.delivery_owner_host) }
                    }
                } @else {
                    span.muted { "off" }
                }
            }
            td.num title={ "go sys " (p.go_sys_mem_mb) " MB" } { (p.rss_mem_mb) " MB" }
            td.wrap-narrow { (deps_cell(p)) }
        }
    }
}

fn filters(ctx: &PageContext<'_>) -> Markup {
    let snap = ctx.snapshot;
    let base = ctx.base_path;
    let f = ctx.filter;
    let count =
        |filter: &ProcessFilter| snap.processes.iter().filter(|p| filter.matches(p)).count();
    let types: BTreeSet<&str> = snap
        .processes
        .iter()
        .map(|p| p.process_type.as_str())
        .chain(f.process_type.as_deref())
        .collect();
    let hosts: BTreeSet<&str> = snap
        .processes
        .iter()
        .map(|p| p.host_id.as_str())
        .chain(f.host.as_deref())
        .collect();
    let chip = |status: Option<StatusFilter>| {
        let target = f.with_status(status);
        let on = f.status == status;
        let tone = match status {
            None => Tone::Neutral,
            Some(StatusFilter::Red | StatusFilter::Stale) => Tone::Red,
            Some(StatusFilter::Amber) => Tone::Amber,
            Some(StatusFilter::Green) => Tone::Green,
        };
        html! {
            a.chip.(tone.class()).on[on]
                href=(fleet_url(base, &target.to_query(), Some("processes")))
                aria-current=[on.then_some("true")]
            {
                (status.map_or("all", StatusFilter::as_str)) " " span.num { (count(&target)) }
            }
        }
    };
    html! {
        div.filters {
            div.chips {
                span.label { "status" }
                (chip(None))
                @for status in StatusFilter::ALL { (chip(Some(status))) }
            }
            form.filter-form method="get" action=(url(base, "/fleet#processes")) {
                label {
                    span.label { "status" }
                    select name=(PARAM_STATUS) {
                        option value="" selected[f.status.is_none()] { "any" }
                        @for status in StatusFilter::ALL {
                            option value=(status.as_str()) selected[f.status == Some(status)] { (status.as_str()) }
                        }
                    }
                }
                label {
                    span.label { "type" }
                    select name=(PARAM_TYPE) {
                        option value="" selected[f.process_type.is_none()] { "any" }
                        @for t in &types {
                            option value=(t) selected[f.process_type.as_deref() == Some(*t)] { (t) }
                        }
                    }
                }
                label {
                    span.label { "host" }
                    select name=(PARAM_HOST) {
                        option value="" selected[f.host.is_none()] { "any" }
                        @for h in &hosts {
                            option value=(h) selected[f.host.as_deref() == Some(*h)] { (h) }
                        }
                    }
                }
                button type="submit" { "apply" }
            }
        }
    }
}

/// The active filters in words, e.g. "status red", "host mon-a".
fn active_filters(filter: &ProcessFilter) -> Vec<Markup> {
    let mut parts = Vec::new();
    if let Some(status) = filter.status {
        parts.push(html! { "status " strong { (status.as_str()) } });
    }
    if let Some(process_type) = &filter.process_type {
        parts.push(html! { "type " strong.id { (process_type) } });
    }
    if let Some(host) = &filter.host {
        parts.push(html! { "host " strong.id { (host) } });
    }
    parts
}

pub fn section(ctx: &PageContext<'_>) -> Markup {
    let snap = ctx.snapshot;
    let shown: Vec<&ProcessEntry> = snap
        .processes
        .iter()
        .filter(|p| ctx.filter.matches(p))
        .collect();
    let total = snap.processes.len();
    // Unfiltered, the section's own status; filtered, the worst of the
    // decided row statuses shown.
    let worst = if ctx.filter.is_active() {
        shown.iter().map(|p| p.status).max()
    } else {
        Some(snap.sections.processes)
    };
    html! {
        section.panel #processes aria-labelledby="processes-title" {
            h2 #processes-title {
                "processes "
                @if let Some(status) = worst { (status_badge(status)) }
            }
            (filters(ctx))
            p.showing {
                @if ctx.filter.is_active() {
                    "showing " strong.num { (shown.len()) } " of " span.num { (total) } " processes (filtered: "
                    @for (i, part) in active_filters(ctx.filter).iter().enumerate() {
                        @if i > 0 { ", " }
                        (part)
                    }
                    ") \u{b7} "
                    a href=(fleet_url(ctx.base_path, "", Some("processes"))) { "clear filters" }
                } @else {
                    "showing all " span.num { (total) } " processes, most urgent first"
                }
            }
            div.table-wrap {
                table.grid.procs {
                    thead {
                        tr {
                            th scope="col" { "status" }
                            th scope="col" { "process" }
                            th scope="col" { "type \u{b7} state" }
                            th.num scope="col" { "heartbeat" }
                            th scope="col" { "version" }
                            th.num scope="col" { "buckets" }
                            th.num scope="col" title="active_checks / worker_count" { "checks" }
                            th.num scope="col" title="queue_depth" { "queue" }
                            th.num scope="col" title="retry_queue_size" { "retry" }
                            th.num scope="col" title="wpcom_queue_depth; a red badge marks an open wpcom circuit" { "wpcom" }
                            th scope="col" title="delivery workers \u{2192} DELIVERY_OWNER_HOST" { "delivery" }
                            th.num scope="col" title="rss_mem_mb" { "rss" }
                            th scope="col" { "dependencies" }
                        }
                    }
                    tbody {
                        @for p in &shown { (row(ctx, p)) }
                        @if shown.is_empty() {
                            tr {
                                td.muted colspan="14" {
                                    @if total == 0 {
                                        "no process-health snapshots found"
                                    } @else {
                                        "no process matches these filters"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
