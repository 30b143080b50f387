//! The top of the fleet page: the stale-data banner and the verdict (status
//! word and colour, message, next action, issues, data freshness, since when
//! the status holds).

use super::format::{status_badge, time_ago, time_full, time_utc, Tone};
use super::{PageContext, StaleNotice};
use chrono::{DateTime, Utc};
use fleet_core::FleetSnapshot;
use maud::{html, Markup};

/// How many issues are listed before the rest folds into "+N more".
pub const ISSUES_SHOWN: usize = 8;

/// Data older than this is marked stale even without a failed build (e.g.
/// the browser kept an old page, or refreshes stopped).
pub const DATA_STALE_AFTER_SEC: u64 = 60;

/// The banner shown when the page serves the last good snapshot because the
/// latest build failed.
pub fn stale_banner(snap: &FleetSnapshot, notice: &StaleNotice, now: DateTime<Utc>) -> Markup {
    html! {
        section.banner.stale-banner role="alert" {
            strong { "STALE DATA" }
            " \u{2014} fleetd could not refresh the snapshot: " (notice.reason) ". "
            "Showing the last good snapshot, generated " (time_full(now, snap.generated_at)) ". "
            "Last failed attempt " (time_full(now, notice.failed_at)) ". "
            "The status below may no longer be true; fleetd keeps retrying."
        }
    }
}

/// The verdict block.
pub fn verdict(ctx: &PageContext<'_>) -> Markup {
    let snap = ctx.snapshot;
    let summary = &snap.summary;
    // The last good snapshot, shown because the latest build failed: grey,
    // and its verdict only as "last known".
    let last_known = ctx.stale.is_some();
    let tone: Tone = if last_known {
        Tone::Neutral
    } else {
        summary.status.into()
    };
    let stale = last_known
        || fleet_core::age::is_stale(
            ctx.now,
            snap.generated_at,
            std::time::Duration::from_secs(DATA_STALE_AFTER_SEC),
        );
    let shown = summary.issue_details.len().min(ISSUES_SHOWN);
    let (first, rest) = summary.issue_details.split_at(shown);
    html! {
        section.verdict.(tone.class()) #summary aria-labelledby="verdict-title" {
            div.verdict-main {
                div.verdict-head {
                    @if last_known {
                        span.verdict-word.st.(tone.class()) { "STALE DATA" }
                        h1 #verdict-title {
                            "last known: " (summary.status.as_str()) " \u{2014} " (summary.message)
                        }
                    } @else {
                        span.verdict-word.st.(tone.class()) { (summary.status.as_str().to_uppercase()) }
                        h1 #verdict-title { (summary.message) }
                    }
                }
                p.next {
                    span.label { "next action" }
                    " " (summary.suggested_next_action)
                    @if let Some(link) = super::dashboard::of_next_action(ctx.host_dashboard, snap) {
                        " " (link)
                    }
                }
                @if summary.issue_details.is_empty() {
                    p.muted.no-issues { "no issues" }
                } @else {
                    h2.sub { "issues (" (summary.issue_details.len()) ")" }
                    ol.issues {
                        @for issue in first {
                            li { (status_badge(issue.status)) " " span.issue-text { (issue.text) } }
                        }
                    }
                    @if !rest.is_empty() {
                        details.more-issues #more-issues {
                            summary { "+" (rest.len()) " more" }
                            ol.issues start=(ISSUES_SHOWN + 1) {
                                @for issue in rest {
                                    li { (status_badge(issue.status)) " " span.issue-text { (issue.text) } }
                                }
                            }
                        }
                    }
                }
            }
            dl.verdict-meta {
                dt { "generated" }
                dd { (time_utc(snap.generated_at)) }
                dt { "data as of" }
                dd #data-freshness .stale[stale] data-stale-after=(DATA_STALE_AFTER_SEC) {
                    (time_ago(ctx.now, snap.generated_at)) " "
                    span #stale-marker .st.st-red hidden[!stale] { "stale" }
                }
                dt { "status" }
                dd {
                    @match ctx.status_since {
                        Some(since) => {
                            (status_badge(summary.status))
                            @if ctx.status_since_exact { " since " } @else { " since at least " }
                            (time_full(ctx.now, since))
                        }
                        None => span.muted { "unknown (history starts when fleetd starts)" },
                    }
                }
                dt { "processes" }
                dd.num { (snap.processes.len()) }
            }
        }
    }
}
