//! Status history on the fleet page: the 24-hour timeline strip, the
//! recent fleet-status transitions (newest first) and where the history is
//! kept (the section's footer: the store, or why it is memory only).

use super::format::{sample_badge, time_ago, time_utc, url, utc_text};
use super::{timeline, PageContext};
use crate::history::{StoreState, Transition};
use chrono::Duration;
use maud::{html, Markup};

/// Transitions listed before the rest folds into a `<details>`.
pub const TRANSITIONS_SHOWN: usize = 10;

pub(super) fn rows(list: &[&Transition], now: chrono::DateTime<chrono::Utc>) -> Markup {
    html! {
        @for t in list {
            tr {
                td { (time_utc(t.at)) }
                td.muted { (time_ago(now, t.at)) }
                td { (sample_badge(t.from)) " \u{2192} " (sample_badge(t.to)) }
                td.wrap {
                    @match &t.top_issue {
                        Some(issue) => span.issue-text { (issue) },
                        None => span.muted { "no issues" },
                    }
                }
            }
        }
    }
}

pub(super) fn table_head() -> Markup {
    html! {
        thead {
            tr {
                th scope="col" { "changed at" }
                th scope="col" { "age" }
                th scope="col" { "from \u{2192} to" }
                th scope="col" { "top issue" }
            }
        }
    }
}

/// Where the history is kept, in words (the footer of both history views).
pub(super) fn store_note(store: &StoreState) -> Markup {
    html! {
        @match store {
            StoreState::Stored => span #history-store data-store="stored" {
                "kept on disk by this fleetd (it survives restarts)"
            },
            StoreState::MemoryOnly => span #history-store data-store="memory_only" {
                "kept in memory only (no history.path: lost when fleetd restarts)"
            },
            StoreState::Failed { reason, since } => span #history-store .st.st-amber data-store="failed" {
                "history store unusable (" (reason) ") since " (utc_text(*since))
                ": kept in memory only until fleetd restarts; the cause is in fleetd's log"
            },
        }
    }
}

pub fn section(ctx: &PageContext<'_>) -> Markup {
    let mut list: Vec<&Transition> = ctx.history.iter().collect();
    list.sort_by_key(|t| std::cmp::Reverse(t.at));
    let shown = list.len().min(TRANSITIONS_SHOWN);
    let (first, rest) = list.split_at(shown);
    html! {
        section.panel #history aria-labelledby="history-title" {
            h2 #history-title { "status history" }
            (timeline::strip(
                ctx.timeline,
                ctx.now - Duration::hours(24),
                ctx.now,
                "fleet status over the last 24 hours",
            ))
            @if list.is_empty() {
                p.muted { "no transitions recorded" }
            } @else {
                div.table-wrap {
                    table.grid.history {
                        (table_head())
                        tbody { (rows(first, ctx.now)) }
                    }
                }
                @if !rest.is_empty() {
                    details #older-transitions {
                        summary { "+" (rest.len()) " older transitions" }
                        div.table-wrap {
                            table.grid.history { tbody { (rows(rest, ctx.now)) } }
                        }
                    }
                }
            }
            p.muted.small #history-footer {
                (store_note(ctx.history_store)) "; "
                a href=(url(ctx.base_path, "/fleet/history")) { "history of the last days" }
                ", also as "
                a href=(url(ctx.base_path, "/api/fleet/history")) { "JSON" }
            }
        }
    }
}
