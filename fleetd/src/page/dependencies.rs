//! Dependencies: the rollup per dependency name, and which processes report
//! it other than green (linked to their pages).

use super::format::{
    count_cell, process_url, status_badge, tone_of_str, truncate, Tone, CELL_MAX_CHARS,
    TITLE_MAX_CHARS,
};
use super::PageContext;
use fleet_core::Status;
use maud::{html, Markup};

/// The dependency's name as the rollup groups it (trimmed, empty → unknown).
fn group_name(name: &str) -> &str {
    match name.trim() {
        "" => "unknown",
        trimmed => trimmed,
    }
}

pub fn section(ctx: &PageContext<'_>) -> Markup {
    let snap = ctx.snapshot;
    let worst = snap.dependencies.iter().map(|d| d.status).max();
    html! {
        section.panel #dependencies aria-labelledby="dependencies-title" {
            h2 #dependencies-title {
                "dependencies "
                @if let Some(status) = worst { (status_badge(status)) }
            }
            @if snap.dependencies.is_empty() {
                p.muted { "no process reports dependency health." }
            } @else {
                div.table-wrap {
                    table.grid.deps {
                        thead {
                            tr {
                                th scope="col" { "name" }
                                th scope="col" { "status" }
                                th.num scope="col" { "red" }
                                th.num scope="col" { "amber" }
                                th.num scope="col" { "green" }
                                th.num scope="col" title="entries from stale processes" { "stale" }
                                th scope="col" { "last error" }
                                th scope="col" { "reported not green by" }
                            }
                        }
                        tbody {
                            @for dep in &snap.dependencies {
                                tr {
                                    th scope="row" { span.id { (dep.name) } }
                                    td { (status_badge(dep.status)) }
                                    td.num { (count_cell(dep.red_count, Tone::Red)) }
                                    td.num { (count_cell(dep.amber_count, Tone::Amber)) }
                                    td.num { (count_cell(dep.green_count, Tone::Neutral)) }
                                    td.num { (count_cell(dep.stale_count, Tone::Red)) }
                                    td.wrap {
                                        @match &dep.last_error {
                                            Some(error) => span.errtext title=(truncate(error, TITLE_MAX_CHARS)) { (truncate(error, CELL_MAX_CHARS)) },
                                            None => span.muted { "\u{2014}" },
                                        }
                                    }
                                    td.wrap {
                                        @if dep.status != Status::Green {
                                            @for (p, entry) in snap.processes.iter().flat_map(|p| {
                                                p.dependency_health.iter().map(move |e| (p, e))
                                            }).filter(|(_, e)| {
                                                group_name(&e.name) == dep.name
                                                    && Status::parse(&e.status) != Some(Status::Green)
                                            }) {
                                                span.reporter.(tone_of_str(&entry.status).class()) {
                                                    a.id href=(process_url(ctx.base_path, &p.process_id)) { (p.process_id) }
                                                    " " (entry.status)
                                                    @if p.stale { " (stale)" }
                                                }
                                                " "
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
    }
}
