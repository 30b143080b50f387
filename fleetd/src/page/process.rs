//! The page of one process (`/fleet/process/{process_id}`): every field of
//! its `jetmon_process_health` row, its dependency entries, and the issues
//! that name it.

use super::format::{
    badge, fleet_url, plural, readable_age, reported_badge, time_full, time_utc, truncate, Tone,
    DETAIL_MAX_CHARS,
};
use super::layout;
use super::processes::status_cell;
use super::summary::stale_banner;
use super::{ProcessFilter, ProcessPageContext};
use chrono::{DateTime, Utc};
use maud::{html, Markup, Render};

fn null() -> Markup {
    html! { span.muted { "NULL" } }
}

fn opt<T: Render>(value: Option<T>) -> Markup {
    match value {
        Some(v) => html! { (v) },
        None => null(),
    }
}

fn opt_time(now: DateTime<Utc>, value: Option<DateTime<Utc>>) -> Markup {
    match value {
        Some(ts) => time_full(now, ts),
        None => null(),
    }
}

fn text(value: &str) -> Markup {
    if value.is_empty() {
        html! { span.muted { "(empty)" } }
    } else {
        html! { span.id { (value) } }
    }
}

fn yes_no(value: bool, tone_when_true: Tone, word_true: &str, word_false: &str) -> Markup {
    if value {
        badge(tone_when_true, word_true)
    } else {
        html! { span.muted { (word_false) } }
    }
}

pub fn page(ctx: &ProcessPageContext<'_>) -> Markup {
    let p = ctx.process;
    let snap = ctx.snapshot;
    let base = ctx.base_path;
    let now = ctx.now;
    let status = p.status;
    // The last good snapshot (the latest build failed): nothing may look
    // like a fresh verdict.
    let head_tone = if ctx.stale.is_some() {
        Tone::Neutral
    } else {
        Tone::from(status)
    };
    let prefix = format!("{} ", p.process_id);
    let issues: Vec<_> = snap
        .summary
        .issue_details
        .iter()
        .filter(|i| i.text.starts_with(&prefix))
        .collect();
    let host_filter = ProcessFilter::NONE.with_host(Some(&p.host_id));
    let fields: Vec<(&str, Markup)> = vec![
        ("process_id", text(&p.process_id)),
        ("host_id", text(&p.host_id)),
        ("process_type", text(&p.process_type)),
        ("pid", html! { span.num { (p.pid) } }),
        ("state", text(&p.state)),
        (
            "health_status",
            reported_badge(p.health_counted_as, &p.health_status),
        ),
        ("stale", yes_no(p.stale, Tone::Red, "stale", "no")),
        ("updated_at", time_full(now, p.updated_at)),
        (
            "last_heartbeat_age_sec",
            html! { span.num { (p.last_heartbeat_age_sec) } " s " span.muted { "(" (readable_age(p.last_heartbeat_age_sec)) " at snapshot time)" } },
        ),
        ("started_at", opt_time(now, p.started_at)),
        ("created_at", opt_time(now, p.created_at)),
        ("version", text(&p.version)),
        ("build_date", text(&p.build_date)),
        ("go_version", text(&p.go_version)),
        ("bucket_min", opt(p.bucket_min)),
        ("bucket_max", opt(p.bucket_max)),
        ("bucket_ownership", text(&p.bucket_ownership)),
        ("api_port", opt(p.api_port)),
        ("dashboard_port", opt(p.dashboard_port)),
        (
            "delivery_workers_enabled",
            yes_no(
                p.delivery_workers_enabled,
                Tone::Neutral,
                "enabled",
                "disabled",
            ),
        ),
        ("delivery_owner_host", text(&p.delivery_owner_host)),
        ("worker_count", html! { span.num { (p.worker_count) } }),
        ("active_checks", html! { span.num { (p.active_checks) } }),
        ("queue_depth", html! { span.num { (p.queue_depth) } }),
        (
            "retry_queue_size",
            html! { span.num { (p.retry_queue_size) } },
        ),
        (
            "wpcom_circuit_open",
            yes_no(p.wpcom_circuit_open, Tone::Red, "open", "closed"),
        ),
        (
            "wpcom_queue_depth",
            html! { span.num { (p.wpcom_queue_depth) } },
        ),
        (
            "go_sys_mem_mb",
            html! { span.num { (p.go_sys_mem_mb) } " MB" },
        ),
        ("rss_mem_mb", html! { span.num { (p.rss_mem_mb) } " MB" }),
        (
            "dependency_health",
            match &p.dependency_health_error {
                Some(error) => {
                    html! { (badge(Tone::Amber, "unreadable")) " " span.errtext { (error) } }
                }
                None => html! {
                    (plural(p.dependency_health.len() as u64, "entry", "entries")) " (below)"
                },
            },
        ),
    ];
    let main = html! {
        @if let Some(notice) = &ctx.stale { (stale_banner(snap, notice, now)) }
        nav.crumbs aria-label="breadcrumb" {
            a href=(fleet_url(base, "", None)) { "\u{2190} fleet" }
            " \u{b7} "
            a href=(fleet_url(base, "", Some("processes"))) { "all processes" }
            " \u{b7} "
            a href=(fleet_url(base, &host_filter.to_query(), Some("processes"))) {
                "processes on " span.id { (p.host_id) }
            }
            @if let Some(link) = super::dashboard::of_process(ctx.host_dashboard, p) {
                " \u{b7} " (link)
            }
        }
        section.verdict.process-head.(head_tone.class()) aria-labelledby="process-title" {
            div.verdict-main {
                div.verdict-head {
                    span.verdict-word.st.(head_tone.class()) {
                        @if ctx.stale.is_some() {
                            "STALE DATA"
                        } @else if p.stale {
                            "STALE"
                        } @else {
                            (status.as_str().to_uppercase())
                        }
                    }
                    h1 #process-title .id { (p.process_id) }
                }
                p { (status_cell(p)) " \u{b7} " (p.process_type) " on " span.id { (p.host_id) } " \u{b7} " (p.state) }
                @if issues.is_empty() {
                    p.muted { "no fleet issue names this process" }
                } @else {
                    ol.issues {
                        @for issue in &issues {
                            li { (super::format::status_badge(issue.status)) " " span.issue-text { (issue.text) } }
                        }
                    }
                }
            }
            dl.verdict-meta {
                dt { "heartbeat" }
                dd { (super::format::time_ago(now, p.updated_at)) }
                dt { "snapshot" }
                dd { (time_utc(snap.generated_at)) }
            }
        }
        section.panel #fields aria-labelledby="fields-title" {
            h2 #fields-title { "jetmon_process_health row" }
            table.kvtable {
                tbody {
                    @for (name, value) in &fields {
                        tr { th scope="row" { code { (name) } } td { (value) } }
                    }
                }
            }
        }
        section.panel #dependency-entries aria-labelledby="deps-title" {
            h2 #deps-title { "dependency entries" }
            @if let Some(error) = &p.dependency_health_error {
                p.error { "dependency_health could not be read: " (error) }
            }
            @if p.dependency_health.is_empty() {
                p.muted { "no dependency entries" }
            } @else {
                div.table-wrap {
                    table.grid {
                        thead {
                            tr {
                                th scope="col" { "name" }
                                th scope="col" { "status" }
                                th.num scope="col" { "latency" }
                                th scope="col" { "checked at" }
                                th scope="col" { "last error" }
                            }
                        }
                        tbody {
                            @for d in &p.dependency_health {
                                tr {
                                    th scope="row" { (text(&d.name)) }
                                    td { (reported_badge(d.counted_as, &d.status)) }
                                    td.num {
                                        @match &d.latency_ms {
                                            Some(ms) => { (ms.to_string()) " ms" },
                                            None => span.muted { "\u{2014}" },
                                        }
                                    }
                                    td { @match &d.checked_at { Some(at) => (at), None => span.muted { "\u{2014}" } } }
                                    td.wrap {
                                        @match &d.last_error {
                                            Some(error) => span.errtext { (truncate(error, DETAIL_MAX_CHARS)) },
                                            None => span.muted { "\u{2014}" },
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let row_word = if p.stale { "stale" } else { status.as_str() };
    let title = match &ctx.stale {
        None => format!("{} \u{b7} {row_word} \u{b7} fleetd", p.process_id),
        Some(_) => format!(
            "STALE DATA \u{b7} {} \u{b7} last known {row_word} \u{b7} fleetd",
            p.process_id
        ),
    };
    let reload = super::format::process_url(base, &p.process_id);
    layout::document(&layout::Document {
        base,
        title: &title,
        tone: head_tone,
        now: Some(now),
        reload: Some(&reload),
        main,
    })
}
