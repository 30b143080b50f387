//! The rollup cards under the verdict: one card per part of the fleet, each
//! with its own status word and colour, its key figures, and a link to its
//! section (the process counts link to the filtered processes table).

use super::filter::{ProcessFilter, StatusFilter};
use super::format::{badge, fleet_url, readable_age, time_ago, Tone};
use super::PageContext;
use fleet_core::Status;
use maud::{html, Markup};

fn card(title: &str, anchor: &str, tone: Tone, word: &str, body: Markup) -> Markup {
    html! {
        div.card.(tone.class()) {
            div.card-head {
                a.card-title href={ "#" (anchor) } { (title) }
                (badge(tone, word))
            }
            div.card-body { (body) }
        }
    }
}

fn status_card(title: &str, anchor: &str, status: Status, body: Markup) -> Markup {
    card(title, anchor, status.into(), status.as_str(), body)
}

pub fn cards(ctx: &PageContext<'_>) -> Markup {
    let snap = ctx.snapshot;
    let s = &snap.summary;
    let base = ctx.base_path;
    let sections = &snap.sections;
    let status_link = |status: StatusFilter, count: u64, tone: Tone| {
        let filter = ProcessFilter::NONE.with_status(Some(status));
        html! {
            a.chip.(if count > 0 { tone.class() } else { "zero" })
                href=(fleet_url(base, &filter.to_query(), Some("processes")))
            {
                span.num { (count) } " " (status.as_str())
            }
        }
    };
    let type_link = |process_type: &str, count: u64| {
        let filter = ProcessFilter::NONE.with_type(Some(process_type));
        html! {
            a.big.num href=(fleet_url(base, &filter.to_query(), Some("processes"))) { (count) }
        }
    };
    let d = &snap.delivery;
    let cov = &snap.bucket_coverage;
    let drift = &snap.projection_drift;
    let dep_red = snap
        .dependencies
        .iter()
        .filter(|d| d.status == Status::Red)
        .count();
    let dep_amber = snap
        .dependencies
        .iter()
        .filter(|d| d.status == Status::Amber)
        .count();
    html! {
        section.cards aria-label="rollup" {
            (status_card("processes", "processes", sections.processes, html! {
                div.chips {
                    (status_link(StatusFilter::Red, s.red_processes, Tone::Red))
                    (status_link(StatusFilter::Amber, s.amber_processes, Tone::Amber))
                    (status_link(StatusFilter::Green, s.green_processes, Tone::Green))
                    (status_link(StatusFilter::Stale, s.stale_processes, Tone::Red))
                }
                div.card-note { "stale counts as red too" }
            }))
            (status_card("monitors", "processes", sections.monitors, html! {
                @if s.monitor_processes > 0 {
                    (type_link("monitor", s.monitor_processes))
                    div.card-note { "jetmon2 monitor processes" }
                } @else {
                    span.big.num { "0" }
                    div.card-note { "no monitor process snapshots found" }
                }
            }))
            @match sections.deliverers {
                Some(status) => (status_card("deliverers", "processes", status, html! {
                    (type_link("deliverer", s.deliverer_processes))
                    div.card-note { "standalone jetmon-deliverer" }
                })),
                None => (card("deliverers", "processes", Tone::Neutral, "none", html! {
                    span.big.num { "0" }
                    div.card-note { "no standalone deliverers" }
                })),
            }
            (status_card("delivery queues", "delivery", sections.delivery, html! {
                span.big.num { (d.due_now) } " " span.unit { "due now" }
                div.card-note.num {
                    "pending " (d.pending) " \u{b7} failed " (d.failed_since)
                    " \u{b7} abandoned " (d.abandoned_since)
                }
                @if d.due_now > 0 {
                    div.card-note { "oldest due " (readable_age(d.oldest_due_age_sec)) }
                }
                @if d.error.is_some() { div.card-note { "not fully readable" } }
            }))
            (status_card("delivery posture", "delivery", sections.delivery_posture, html! {
                span.big.num { (d.posture.enabled_process_count) } " " span.unit { "enabled" }
                div.card-note { (d.posture.message) }
            }))
            (status_card("bucket coverage", "coverage", sections.bucket_coverage, html! {
                span.big { (cov.mode.as_str()) }
                div.card-note.num {
                    (cov.host_count) " hosts \u{b7} " (cov.bucket_total) " buckets"
                }
            }))
            (status_card("projection drift", "drift", sections.projection_drift, html! {
                @if let Some(at) = drift.checked_at {
                    span.big.num { (drift.count) } " " span.unit { "drifting sites" }
                    div.card-note { "checked " (time_ago(ctx.now, at)) }
                    @if let Some(error) = &drift.error { div.card-note { (error) } }
                } @else {
                    span.big { "\u{2014}" }
                    div.card-note { (drift.error.as_deref().unwrap_or("not checked yet")) }
                }
            }))
            @match sections.dependencies {
                Some(status) => (status_card("dependencies", "dependencies", status, html! {
                    span.big.num { (snap.dependencies.len()) }
                    div.card-note.num { (dep_red) " red \u{b7} " (dep_amber) " amber" }
                })),
                None => (card("dependencies", "dependencies", Tone::Neutral, "none", html! {
                    span.big.num { "0" }
                    div.card-note { "no dependency health reported" }
                })),
            }
        }
    }
}
