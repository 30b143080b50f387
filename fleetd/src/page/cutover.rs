//! The dynamic-ownership cutover checklist (`/fleet/cutover`): each
//! expectation fleet-core checked ([`fleet_core::cutover`]) as pass / fail /
//! unknown — word and colour — with the figure behind it and the fix when it
//! is not a pass; the overall outcome on top. Nothing is decided here.

use super::format::{badge, fleet_url, time_ago, time_full, time_utc, url, Tone};
use super::summary::{stale_banner, DATA_STALE_AFTER_SEC};
use super::{layout, StaleNotice};
use chrono::{DateTime, Utc};
use fleet_core::cutover::{cutover_checklist, CheckItem, Outcome};
use fleet_core::FleetSnapshot;
use maud::{html, Markup};

/// Everything the checklist page is rendered from.
#[derive(Debug)]
pub struct CutoverPageContext<'a> {
    pub snapshot: &'a FleetSnapshot,
    /// "" or e.g. "/ops/fleet" (no trailing slash).
    pub base_path: &'a str,
    /// Render time.
    pub now: DateTime<Utc>,
    /// Set when this is the last good snapshot because the latest build failed.
    pub stale: Option<StaleNotice>,
}

/// The colour of an outcome (unknown is amber: never green).
fn tone(outcome: Outcome) -> Tone {
    outcome.status().into()
}

/// An outcome's badge: its word, in its colour.
pub fn outcome_badge(outcome: Outcome) -> Markup {
    badge(tone(outcome), outcome.as_str())
}

fn item_row(item: &CheckItem) -> Markup {
    html! {
        tr.(format!("outcome-{}", item.outcome.as_str())) {
            td { (outcome_badge(item.outcome)) }
            th scope="row" { (item.title) }
            td.wrap { span.figure.id { (item.figure) } }
            td.wrap {
                @match &item.fix {
                    Some(fix) => span.fix { (fix) },
                    None => span.muted { "\u{2014}" },
                }
            }
        }
    }
}

pub fn page(ctx: &CutoverPageContext<'_>) -> Markup {
    let snap = ctx.snapshot;
    let base = ctx.base_path;
    let checklist = cutover_checklist(snap);
    let outcome = checklist.outcome;
    // The last good snapshot (the latest build failed): nothing may look
    // like a fresh verdict, as on the fleet page.
    let last_known = ctx.stale.is_some();
    let head_tone = if last_known {
        Tone::Neutral
    } else {
        tone(outcome)
    };
    let data_stale = last_known
        || fleet_core::age::is_stale(
            ctx.now,
            snap.generated_at,
            std::time::Duration::from_secs(DATA_STALE_AFTER_SEC),
        );
    let failing = checklist
        .items
        .iter()
        .filter(|i| i.outcome != Outcome::Pass)
        .count();
    let main = html! {
        @if let Some(notice) = &ctx.stale { (stale_banner(snap, notice, ctx.now)) }
        nav.crumbs aria-label="breadcrumb" {
            a href=(fleet_url(base, "", None)) { "\u{2190} fleet" }
        }
        section.verdict.(head_tone.class()) #cutover-verdict aria-labelledby="cutover-title" {
            div.verdict-main {
                div.verdict-head {
                    @if last_known {
                        span.verdict-word.st.(head_tone.class()) { "STALE DATA" }
                        h1 #cutover-title {
                            "cutover checklist \u{2014} last known: " (outcome.as_str())
                        }
                    } @else {
                        span.verdict-word.st.(head_tone.class()) { (outcome.as_str().to_uppercase()) }
                        h1 #cutover-title { "dynamic-ownership cutover checklist" }
                    }
                }
                p.next {
                    @match outcome {
                        Outcome::Pass => "Every expectation of the cutover holds.",
                        Outcome::Fail => { (failing) " of " (checklist.items.len()) " expectations do not hold: apply the fixes below, then check again." },
                        Outcome::Unknown => { (failing) " of " (checklist.items.len()) " expectations cannot be confirmed yet: the cutover is not confirmed until they pass." },
                    }
                }
                p.muted.small {
                    "After bucket ownership moves from pinned ranges to jetmon_hosts, expect green "
                    "mode=dynamic coverage, fresh coverage, no stale processes, zero projection drift "
                    "and no failed or abandoned delivery rows. Unknown is never a pass. "
                    "The same checklist on the command line: "
                    code { "fleetd check --cutover" } "."
                }
            }
            dl.verdict-meta {
                dt { "generated" }
                dd { (time_utc(snap.generated_at)) }
                dt { "data as of" }
                dd #data-freshness .stale[data_stale] data-stale-after=(DATA_STALE_AFTER_SEC) {
                    (time_ago(ctx.now, snap.generated_at)) " "
                    span #stale-marker .st.st-red hidden[!data_stale] { "stale" }
                }
                @if let Some(checked) = snap.projection_drift.checked_at {
                    dt { "drift checked" }
                    dd { (time_full(ctx.now, checked)) }
                }
            }
        }
        section.panel #checklist aria-labelledby="checklist-title" {
            h2 #checklist-title { "expectations" }
            div.table-wrap {
                table.grid.checklist {
                    thead {
                        tr {
                            th scope="col" { "outcome" }
                            th scope="col" { "expectation" }
                            th scope="col" { "figure" }
                            th scope="col" { "fix" }
                        }
                    }
                    tbody {
                        @for item in &checklist.items { (item_row(item)) }
                    }
                }
            }
            p.muted.small {
                "The same checklist as JSON: " code { "fleetd check --cutover --json" } ". "
                "The snapshot it is decided from: "
                a href=(url(base, "/api/fleet")) { "/api/fleet" } "."
            }
        }
    };
    let title = match &ctx.stale {
        None => format!(
            "{} \u{b7} cutover checklist \u{b7} fleetd",
            outcome.as_str().to_uppercase()
        ),
        Some(_) => format!(
            "STALE DATA \u{b7} cutover checklist \u{b7} last known {} \u{b7} fleetd",
            outcome.as_str()
        ),
    };
    let reload = url(base, "/fleet/cutover");
    layout::document(&layout::Document {
        base,
        title: &title,
        tone: head_tone,
        now: Some(ctx.now),
        reload: Some(&reload),
        main,
    })
}
