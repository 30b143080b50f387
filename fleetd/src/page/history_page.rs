//! `/fleet/history`: what fleetd recorded over the last
//! `history.retention_days` (from its store; a day at most without one):
//! the timeline of the whole period, the time red and amber per UTC day,
//! the longest red spells and every transition. The figures are computed
//! by [`crate::history::summary`]; this module only draws them.

use super::format::{fleet_url, readable_age, time_utc, url, utc_text, Tone};
use super::history::{rows, store_note, table_head};
use super::{layout, timeline};
use crate::history::{HistoryReport, Transition};
use chrono::{DateTime, Duration, Utc};
use maud::{html, Markup};

/// Transitions listed in full before the rest folds into a `<details>`.
pub const TRANSITIONS_SHOWN: usize = 50;

fn secs(d: Duration) -> u64 {
    d.num_seconds().max(0).unsigned_abs()
}

/// "—" for zero, else the readable duration.
fn amount(d: Duration) -> String {
    if d.num_seconds() <= 0 {
        "\u{2014}".to_owned()
    } else {
        readable_age(secs(d))
    }
}

pub fn history_page(base: &str, now: DateTime<Utc>, report: &HistoryReport) -> Markup {
    let transitions: Vec<&Transition> = report.transitions.iter().collect();
    let shown = transitions.len().min(TRANSITIONS_SHOWN);
    let (first, rest) = transitions.split_at(shown);
    let main = html! {
        nav.crumbs aria-label="breadcrumb" {
            a href=(fleet_url(base, "", None)) { "\u{2190} fleet" }
        }
        section.panel #history-period aria-labelledby="history-page-title" {
            h1 #history-page-title { "fleet status history" }
            p.muted {
                "From " (time_utc(report.from)) " to " (time_utc(report.to))
                " (" (readable_age(secs(report.to - report.from))) "), as recorded by this fleetd. "
                "Unknown: the database could not be read, or fleetd was not recording."
            }
            (timeline::strip(&report.segments, report.from, report.to, "fleet status over the period"))
        }
        section.panel #history-days aria-labelledby="history-days-title" {
            h2 #history-days-title { "time red and amber per day (UTC)" }
            @if report.days.is_empty() {
                p.muted { "nothing recorded yet" }
            } @else {
                div.table-wrap {
                    table.grid.history-days {
                        thead {
                            tr {
                                th scope="col" { "day" }
                                th scope="col" { "red" }
                                th scope="col" { "amber" }
                                th scope="col" { "unknown" }
                                th scope="col" { "green" }
                            }
                        }
                        tbody {
                            @for day in &report.days {
                                tr {
                                    th scope="row" { (day.day.format("%Y-%m-%d").to_string()) }
                                    td.num.(if day.red.num_seconds() > 0 { Tone::Red.class() } else { "" }) { (amount(day.red)) }
                                    td.num.(if day.amber.num_seconds() > 0 { Tone::Amber.class() } else { "" }) { (amount(day.amber)) }
                                    td.num.muted { (amount(day.unknown)) }
                                    td.num { (amount(day.green)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.panel #history-longest aria-labelledby="history-longest-title" {
            h2 #history-longest-title { "longest red spells" }
            @if report.longest_red.is_empty() {
                p.muted { "no red in this period" }
            } @else {
                div.table-wrap {
                    table.grid.history-spells {
                        thead {
                            tr {
                                th scope="col" { "from" }
                                th scope="col" { "to" }
                                th scope="col" { "lasted" }
                            }
                        }
                        tbody {
                            @for spell in &report.longest_red {
                                tr {
                                    td { (time_utc(spell.start)) }
                                    td { (time_utc(spell.end)) }
                                    td.num { (readable_age(secs(spell.duration()))) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.panel #history-transitions aria-labelledby="history-transitions-title" {
            h2 #history-transitions-title { "transitions (" (transitions.len()) ")" }
            @if transitions.is_empty() {
                p.muted { "no transitions in this period" }
            } @else {
                div.table-wrap {
                    table.grid.history {
                        (table_head())
                        tbody { (rows(first, now)) }
                    }
                }
                @if !rest.is_empty() {
                    details {
                        summary { "+" (rest.len()) " older transitions" }
                        div.table-wrap {
                            table.grid.history { tbody { (rows(rest, now)) } }
                        }
                    }
                }
            }
            p.muted.small #history-footer {
                (store_note(&report.store)) ". As JSON: "
                a href=(url(base, &format!(
                    "/api/fleet/history?since={}",
                    super::format::encode_query_value(&super::format::iso(report.from))
                ))) { "/api/fleet/history?since=" (utc_text(report.from)) }
                "."
            }
        }
    };
    let reload = url(base, "/fleet/history");
    layout::document(&layout::Document {
        base,
        title: "history \u{b7} fleetd",
        tone: Tone::Neutral,
        now: Some(now),
        reload: Some(&reload),
        main,
    })
}
