//! Status history: the recent fleet-status transitions fleetd remembers
//! (in memory, since it started), newest first.

use super::format::{status_badge, time_ago, time_utc, url};
use super::PageContext;
use crate::history::Transition;
use maud::{html, Markup};

/// Transitions listed before the rest folds into a `<details>`.
pub const TRANSITIONS_SHOWN: usize = 10;

fn rows(list: &[&Transition], ctx: &PageContext<'_>) -> Markup {
    html! {
        @for t in list {
            tr {
                td { (time_utc(t.at)) }
                td.muted { (time_ago(ctx.now, t.at)) }
                td { (status_badge(t.from)) " \u{2192} " (status_badge(t.to)) }
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

pub fn section(ctx: &PageContext<'_>) -> Markup {
    let mut list: Vec<&Transition> = ctx.history.iter().collect();
    list.sort_by_key(|t| std::cmp::Reverse(t.at));
    let shown = list.len().min(TRANSITIONS_SHOWN);
    let (first, rest) = list.split_at(shown);
    html! {
        section.panel #history aria-labelledby="history-title" {
            h2 #history-title { "status history" }
            @if list.is_empty() {
                p.muted { "no transitions recorded since fleetd started" }
            } @else {
                div.table-wrap {
                    table.grid.history {
                        thead {
                            tr {
                                th scope="col" { "changed at" }
                                th scope="col" { "age" }
                                th scope="col" { "from \u{2192} to" }
                                th scope="col" { "top issue" }
                            }
                        }
                        tbody { (rows(first, ctx)) }
                    }
                }
                @if !rest.is_empty() {
                    details #older-transitions {
                        summary { "+" (rest.len()) " older transitions" }
                        div.table-wrap {
                            table.grid.history { tbody { (rows(rest, ctx)) } }
                        }
                    }
                }
            }
            p.muted.small {
                "kept in memory only (lost when fleetd restarts); also as "
                a href=(url(ctx.base_path, "/api/fleet/history")) { "JSON" }
            }
        }
    }
}
