//! Delivery: who may deliver (the DELIVERY_OWNER_HOST posture) and the
//! webhook/alert queues, one row per table with its own status.

use super::filter::ProcessFilter;
use super::format::{
    age_secs, badge, count_cell, fleet_url, plural, readable_age, status_badge, time_utc, Tone,
};
use super::PageContext;
use fleet_core::snapshot::DeliveryTable;
use maud::{html, Markup};

fn host_links(ctx: &PageContext<'_>, hosts: &[String]) -> Markup {
    html! {
        @if hosts.is_empty() {
            span.muted { "none" }
        } @else {
            @for (i, host) in hosts.iter().enumerate() {
                @if i > 0 { ", " }
                a.id href=(fleet_url(
                    ctx.base_path,
                    &ProcessFilter::NONE.with_host(Some(host)).to_query(),
                    Some("processes"),
                )) { (host) }
            }
        }
    }
}

fn age_cell(count: u64, age: u64, tone: Tone) -> Markup {
    if count == 0 {
        html! { span.muted { "\u{2014}" } }
    } else {
        html! { span.num.(tone.class()) { (readable_age(age)) } }
    }
}

fn table_row(t: &DeliveryTable) -> Markup {
    html! {
        tr {
            th scope="row" {
                span.id { (t.kind.as_str()) }
                div.muted.small { (t.kind.table()) }
            }
            td { (status_badge(t.status)) }
            @if let Some(error) = &t.error {
                td.error colspan="8" { (error) " \u{2014} counters unknown, not zero" }
            } @else {
                td.num { (count_cell(t.pending, Tone::Neutral)) }
                td.num { (count_cell(t.due_now, Tone::Amber)) }
                td.num { (count_cell(t.future_retry, Tone::Neutral)) }
                td.num { (age_cell(t.pending, t.oldest_pending_age_sec, Tone::Neutral)) }
                td.num { (age_cell(t.due_now, t.oldest_due_age_sec, Tone::Amber)) }
                td.num { (count_cell(t.delivered_since, Tone::Green)) }
                td.num { (count_cell(t.failed_since, Tone::Red)) }
                td.num { (count_cell(t.abandoned_since, Tone::Red)) }
            }
        }
    }
}

pub fn section(ctx: &PageContext<'_>) -> Markup {
    let snap = ctx.snapshot;
    let d = &snap.delivery;
    let p = &d.posture;
    let window = age_secs(snap.generated_at, d.since);
    html! {
        section.panel #delivery aria-labelledby="delivery-title" {
            h2 #delivery-title { "delivery" }
            div.posture {
                h3 { "ownership (DELIVERY_OWNER_HOST) " (status_badge(p.status)) " " span.message { (p.message) } }
                dl.kv.inline {
                    div {
                        dt { "workers enabled on" }
                        dd.num { (plural(p.enabled_process_count, "process", "processes")) }
                    }
                    div {
                        dt { "enabled hosts" }
                        dd { (host_links(ctx, &p.enabled_hosts)) }
                    }
                    div {
                        dt { "owner hosts" }
                        dd {
                            (host_links(ctx, &p.owner_hosts))
                            @if p.owner_hosts.len() > 1 { " " (badge(Tone::Amber, "several owners")) }
                        }
                    }
                    div {
                        dt { "enabled without owner" }
                        dd.num {
                            @if p.unowned_process_count > 0 {
                                (badge(Tone::Amber, "amber")) " " (p.unowned_process_count)
                            } @else { "0" }
                        }
                    }
                }
            }
            div.queues {
                h3 { "queues " (status_badge(d.status)) }
                p.muted.small {
                    "delivered / failed / abandoned count rows since " (time_utc(d.since))
                    " (the last " (readable_age(window)) ")"
                }
                @if let Some(error) = &d.error { p.error { (error) } }
                div.table-wrap {
                    table.grid.queue-table {
                        thead {
                            tr {
                                th scope="col" { "table" }
                                th scope="col" { "status" }
                                th.num scope="col" { "pending" }
                                th.num scope="col" { "due now" }
                                th.num scope="col" { "future retry" }
                                th.num scope="col" { "oldest pending" }
                                th.num scope="col" { "oldest due" }
                                th.num scope="col" { "delivered" }
                                th.num scope="col" { "failed" }
                                th.num scope="col" { "abandoned" }
                            }
                        }
                        tbody {
                            @for t in &d.tables { (table_row(t)) }
                        }
                        tfoot {
                            tr {
                                th scope="row" { "total" }
                                td { (status_badge(d.status)) }
                                td.num { (count_cell(d.pending, Tone::Neutral)) }
                                td.num { (count_cell(d.due_now, Tone::Amber)) }
                                td.num { (count_cell(d.future_retry, Tone::Neutral)) }
                                td.num { (age_cell(d.pending, d.oldest_pending_age_sec, Tone::Neutral)) }
                                td.num { (age_cell(d.due_now, d.oldest_due_age_sec, Tone::Amber)) }
                                td.num { (count_cell(d.delivered_since, Tone::Green)) }
                                td.num { (count_cell(d.failed_since, Tone::Red)) }
                                td.num { (count_cell(d.abandoned_since, Tone::Red)) }
                            }
                        }
                    }
                }
            }
        }
    }
}
