//! Projection drift: how many active sites' legacy `site_status` disagrees
//! with their open http events, why, and how old that figure is.

use super::format::{status_badge, time_full};
use super::PageContext;
use fleet_core::snapshot::DriftScan;
use fleet_core::DriftCause;
use maud::{html, Markup};

/// What a cause code means, in an operator's words.
pub fn cause_meaning(cause: DriftCause) -> &'static str {
    match cause {
        DriftCause::UnexpectedProjectionValue => {
            "site_status or the expected value is outside 0/1/2"
        }
        DriftCause::MultipleOpenHttpEvents => "the site has more than one open http event",
        DriftCause::StaleLegacyDownProjection => {
            "no open Down/Seems Down event, but site_status still says down"
        }
        DriftCause::MissingConfirmedDownProjection => {
            "an open Down event, but site_status still says up"
        }
        DriftCause::MissingSeemsDownProjection => {
            "an open Seems Down event, but site_status still says up"
        }
        DriftCause::MissingConfirmedPromotion => {
            "an open Down event, but site_status still says seems down"
        }
        DriftCause::StaleConfirmedDownProjection => {
            "only Seems Down is open, but site_status says confirmed down"
        }
        DriftCause::UnexpectedOpenEventProjection => "any other disagreement with an open event",
    }
}

pub fn section(ctx: &PageContext<'_>) -> Markup {
    let drift = &ctx.snapshot.projection_drift;
    html! {
        section.panel #drift aria-labelledby="drift-title" {
            h2 #drift-title { "projection drift " (status_badge(drift.status)) }
            p {
                @match (drift.scan, drift.checked_at) {
                    (DriftScan::NotConfigured, _) => {
                        strong { "not scanned" }
                        span.muted { " \u{2014} bucket_total is not configured, so no drift scan runs" }
                    }
                    (DriftScan::NotCheckedYet, _) => {
                        strong { "not checked yet" }
                        span.muted { " \u{2014} the first drift scan has not finished; until it does this section is never green" }
                    }
                    (DriftScan::Failed, None) => {
                        strong { "unknown" }
                        span.muted { " \u{2014} no drift scan has succeeded yet; fleetd retries every interval" }
                    }
                    (DriftScan::Failed, Some(at)) => {
                        "last known: " strong.num { (drift.count) } " drifting active sites \u{b7} checked "
                        (time_full(ctx.now, at))
                        span.muted { " \u{b7} the latest scan failed; this is the last good result" }
                    }
                    (DriftScan::Checked, Some(at)) => {
                        strong.num { (drift.count) } " drifting active sites \u{b7} checked "
                        (time_full(ctx.now, at))
                        span.muted { " \u{b7} the scan runs on its own, slower schedule" }
                    }
                    (DriftScan::Checked, None) => {
                        strong.num { (drift.count) } " drifting active sites"
                    }
                }
            }
            @if let Some(error) = &drift.error { p.error { (error) } }
            @if !drift.causes.is_empty() {
                div.table-wrap {
                    table.grid.causes {
                        thead {
                            tr {
                                th scope="col" { "cause" }
                                th.num scope="col" { "sites" }
                                th scope="col" { "meaning" }
                            }
                        }
                        tbody {
                            @for cause in &drift.causes {
                                tr {
                                    th scope="row" { span.id { (cause.code.code()) } }
                                    td.num.st-red { (cause.count) }
                                    td.muted { (cause_meaning(cause.code)) }
                                }
                            }
                        }
                    }
                }
            }
            @if drift.count > 0 {
                p.small {
                    "to list them: " code { "jetmon2 rollout projection-drift --limit=100" }
                }
            }
        }
    }
}
