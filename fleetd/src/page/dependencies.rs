//! Dependencies: the rollup per dependency name, and which processes report
//! it other than green (linked to their pages).

use super::format::{
    count_cell, process_url, status_badge, truncate, Tone, CELL_MAX_CHARS, TITLE_MAX_CHARS,
};
use super::PageContext;
use maud::{html, Markup};

pub fn section(ctx: &PageContext<'_>) -> Markup {
    let snap = ctx.snapshot;
    let worst = snap.sections.dependencies;
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
                                        @for report in &dep.not_green {
                                            span.reporter.(Tone::from(report.counted_as).class()) {
                                                a.id href=(process_url(ctx.base_path, &report.process_id)) { (report.process_id) }
                                                " " (report.status)
                                                @if report.stale { " (stale)" }
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
