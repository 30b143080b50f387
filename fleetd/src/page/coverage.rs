//! Bucket ownership: the coverage bar (0..bucket_total, one segment per
//! host, gaps and overlaps marked) and the bucket-owner rows.
//!
//! The bar is inline SVG whose geometry is in attributes (`x`/`width` as
//! percentages of the bar), so it needs neither JavaScript nor inline styles
//! and scales with the page without distorting its labels.

use super::filter::ProcessFilter;
use super::format::{badge, fleet_url, status_badge, time_ago, Tone};
use super::rollup::row_status;
use super::PageContext;
use fleet_core::snapshot::{HostEntry, OwnershipMode};
use maud::{html, Markup};

/// One owner's range as drawn on the bar (inclusive bucket numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerRange {
    pub label: String,
    pub min: u32,
    pub max: u32,
    pub tone: Tone,
}

/// A run of buckets `start..=end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn len(&self) -> u32 {
        self.end - self.start + 1
    }
}

/// Buckets owned by more than one range, and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub span: Span,
    pub owners: Vec<String>,
}

/// Where the ranges leave buckets unowned or owned twice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Analysis {
    pub gaps: Vec<Span>,
    pub overlaps: Vec<Overlap>,
    /// Labels of ranges that are empty or reach past the last bucket.
    pub invalid: Vec<String>,
}

/// Whether a range is drawable and inside `0..total`.
pub fn range_valid(min: u32, max: u32, total: u32) -> bool {
    min <= max && max < total
}

/// Finds gaps and overlaps over `0..total`. Ranges reaching past the end are
/// clamped to it (and reported invalid); empty ranges are ignored (and
/// reported invalid).
pub fn analyse(ranges: &[OwnerRange], total: u32) -> Analysis {
    let mut analysis = Analysis::default();
    if total == 0 {
        return analysis;
    }
    let mut events: Vec<(u32, i32)> = Vec::with_capacity(ranges.len() * 2);
    let mut clamped: Vec<(u32, u32, &str)> = Vec::with_capacity(ranges.len());
    for r in ranges {
        if !range_valid(r.min, r.max, total) {
            analysis.invalid.push(r.label.clone());
        }
        if r.min > r.max || r.min >= total {
            continue;
        }
        let max = r.max.min(total - 1);
        events.push((r.min, 1));
        events.push((max + 1, -1));
        clamped.push((r.min, max, &r.label));
    }
    events.sort_unstable();
    let mut runs: Vec<(Span, i32)> = Vec::new();
    let (mut cursor, mut depth) = (0u32, 0i32);
    let mut i = 0;
    while i < events.len() {
        let at = events[i].0;
        if at > cursor {
            runs.push((
                Span {
                    start: cursor,
                    end: at - 1,
                },
                depth,
            ));
            cursor = at;
        }
        while i < events.len() && events[i].0 == at {
            depth += events[i].1;
            i += 1;
        }
    }
    if cursor < total {
        runs.push((
            Span {
                start: cursor,
                end: total - 1,
            },
            depth,
        ));
    }
    for (span, depth) in runs {
        if depth == 0 {
            analysis.gaps.push(span);
        } else if depth >= 2 {
            match analysis.overlaps.last_mut() {
                Some(prev) if prev.span.end + 1 == span.start => prev.span.end = span.end,
                _ => analysis.overlaps.push(Overlap {
                    span,
                    owners: Vec::new(),
                }),
            }
        }
    }
    for overlap in &mut analysis.overlaps {
        overlap.owners = clamped
            .iter()
            .filter(|(min, max, _)| *min <= overlap.span.end && *max >= overlap.span.start)
            .map(|(_, _, label)| (*label).to_owned())
            .collect();
    }
    analysis
}

/// A number of buckets as a percentage of the bar ("33.4%"), at most three
/// decimals, no trailing zeros.
pub fn pct(buckets: u32, total: u32) -> String {
    pct_f(f64::from(buckets) * 100.0 / f64::from(total.max(1)))
}

/// The middle of a span as a percentage of the bar.
fn pct_mid(span: &Span, total: u32) -> String {
    let mid = f64::from(span.start) + f64::from(span.len()) / 2.0;
    pct_f(mid * 100.0 / f64::from(total.max(1)))
}

fn pct_f(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

const TRACK_H: u32 = 22;
const BAR_H: u32 = 54;

fn span_title(kind: &str, span: &Span) -> String {
    format!(
        "{kind} {}\u{2013}{} ({} buckets)",
        span.start,
        span.end,
        span.len()
    )
}

/// The coverage bar of `ranges` over `0..total` (total > 0).
pub fn bar(ranges: &[OwnerRange], total: u32, analysis: &Analysis) -> Markup {
    let last = total.saturating_sub(1);
    let ticks = [0u32, 1, 2, 3, 4].map(|q| {
        let at = u32::try_from(u64::from(total) * u64::from(q) / 4).unwrap_or(total);
        let (label, anchor) = match q {
            0 => (0, "start"),
            4 => (last, "end"),
            _ => (at, "middle"),
        };
        (pct(at, total), label, anchor)
    });
    let aria = format!(
        "bucket coverage 0\u{2013}{last}: {} owner segments, {} gaps, {} overlaps",
        ranges.len(),
        analysis.gaps.len(),
        analysis.overlaps.len()
    );
    html! {
        svg.covbar xmlns="http://www.w3.org/2000/svg" width="100%" height=(BAR_H)
            role="img" aria-label=(aria)
        {
            defs {
                pattern #cov-hatch patternUnits="userSpaceOnUse" width="6" height="6"
                    patternTransform="rotate(45)"
                {
                    rect.hatch-bg width="6" height="6" {}
                    line.hatch-line x1="0" y1="0" x2="0" y2="6" {}
                }
            }
            rect.cov-track x="0" y="0" width="100%" height=(TRACK_H) {}
            @for (i, r) in ranges.iter().enumerate() {
                @if r.min <= r.max && r.min < total {
                    rect.cov-seg.(r.tone.class()).alt[i % 2 == 1]
                        x=(pct(r.min, total)) y="0"
                        width=(pct(r.max.min(last) - r.min + 1, total)) height=(TRACK_H)
                    {
                        title { (r.label) " " (r.min) "\u{2013}" (r.max) }
                    }
                }
            }
            @for gap in &analysis.gaps {
                rect.cov-gap x=(pct(gap.start, total)) y="0"
                    width=(pct(gap.len(), total)) height=(TRACK_H)
                {
                    title { (span_title("gap", gap)) }
                }
            }
            @for overlap in &analysis.overlaps {
                rect.cov-overlap x=(pct(overlap.span.start, total)) y="0"
                    width=(pct(overlap.span.len(), total)) height=(TRACK_H)
                {
                    title { (span_title("overlap", &overlap.span)) }
                }
            }
            // Labels last, so that they stay readable over overlaps; each in
            // its own nested viewport, which clips it to its segment.
            @for r in ranges {
                @if r.min <= r.max && r.min < total {
                    svg.cov-name x=(pct(r.min, total)) y="0"
                        width=(pct(r.max.min(last) - r.min + 1, total)) height=(TRACK_H)
                    {
                        text x="4" y="15" { (r.label) }
                    }
                }
            }
            // Carets under every gap and overlap keep a one-bucket problem
            // visible at any width.
            @for (class, span) in analysis.gaps.iter().map(|g| ("cov-mark gap", g))
                .chain(analysis.overlaps.iter().map(|o| ("cov-mark overlap", &o.span)))
            {
                svg class=(class) x=(pct_mid(span, total)) y=(TRACK_H + 1)
                    width="1" height="9"
                {
                    polygon points="-5,8 5,8 0,0" {}
                }
            }
            line.cov-axis x1="0" y1="36" x2="100%" y2="36" {}
            @for (x, label, anchor) in &ticks {
                line.cov-tick x1=(x) y1="33" x2=(x) y2="39" {}
                text.cov-label x=(x) y="51" text-anchor=(anchor) { (label) }
            }
        }
    }
}

/// The gap/overlap/invalid lists under a bar, in words.
fn findings(analysis: &Analysis) -> Markup {
    html! {
        ul.findings {
            @if analysis.gaps.is_empty() && analysis.overlaps.is_empty() {
                li { (badge(Tone::Green, "ranges ok")) " every bucket is claimed by exactly one host range (stale or draining owners are judged separately, above)" }
            }
            @for gap in &analysis.gaps {
                li { (badge(Tone::Red, "gap")) " buckets " span.num { (gap.start) "\u{2013}" (gap.end) }
                    " (" (gap.len()) ") have no owner" }
            }
            @for overlap in &analysis.overlaps {
                li {
                    (badge(Tone::Red, "overlap")) " buckets "
                    span.num { (overlap.span.start) "\u{2013}" (overlap.span.end) }
                    " (" (overlap.span.len()) ") are owned by "
                    @for (i, owner) in overlap.owners.iter().enumerate() {
                        @if i > 0 { ", " }
                        span.id { (owner) }
                    }
                }
            }
            @for label in &analysis.invalid {
                li { (badge(Tone::Red, "invalid")) " range of " span.id { (label) } " is empty or reaches past the last bucket" }
            }
        }
    }
}

/// The status of one bucket-owner row: its word, its tone and why.
fn host_status(host: &HostEntry, total: u32) -> (Tone, &'static str, String) {
    if !range_valid(
        u32::from(host.bucket_min),
        u32::from(host.bucket_max),
        total,
    ) {
        (Tone::Red, "red", "invalid range".to_owned())
    } else if host.status != "active" {
        (Tone::Red, "red", host.status.clone())
    } else if host.stale {
        (Tone::Red, "stale", "heartbeat stale".to_owned())
    } else {
        (Tone::Green, "green", host.status.clone())
    }
}

fn lane(min: u32, max: u32, total: u32, tone: Tone) -> Markup {
    html! {
        svg.lane xmlns="http://www.w3.org/2000/svg" width="100%" height="10" aria-hidden="true" {
            rect.lane-track width="100%" height="10" {}
            @if min <= max && min < total {
                rect.lane-seg.(tone.class()) x=(pct(min, total)) y="0"
                    width=(pct(max.min(total - 1) - min + 1, total)) height="10" {}
            }
        }
    }
}

fn hosts_table(ctx: &PageContext<'_>, hosts: &[HostEntry], total: u32) -> Markup {
    html! {
        div.table-wrap {
            table.grid.hosts {
                thead {
                    tr {
                        th scope="col" { "host" }
                        th scope="col" { "status" }
                        th.num scope="col" { "range" }
                        th.num scope="col" { "buckets" }
                        th.lane-col scope="col" { "0\u{2013}" (total - 1) }
                        th scope="col" { "heartbeat" }
                    }
                }
                tbody {
                    @for host in hosts {
                        @let (tone, word, why) = host_status(host, total);
                        @let (min, max) = (u32::from(host.bucket_min), u32::from(host.bucket_max));
                        tr {
                            th scope="row" {
                                a.id href=(fleet_url(
                                    ctx.base_path,
                                    &ProcessFilter::NONE.with_host(Some(&host.host_id)).to_query(),
                                    Some("processes"),
                                )) { (host.host_id) }
                            }
                            td { (badge(tone, word)) " " span.muted { (why) } }
                            td.num { (min) "\u{2013}" (max) }
                            td.num { (if max >= min { max - min + 1 } else { 0 }) }
                            td.lane-col { (lane(min, max, total, tone)) }
                            td.num.(if host.stale { Tone::Red.class() } else { "" }) {
                                (time_ago(ctx.now, host.last_heartbeat))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Pinned ranges reported by the active monitor processes (used while
/// jetmon_hosts is not in charge).
fn pinned_ranges(ctx: &PageContext<'_>) -> Vec<OwnerRange> {
    ctx.snapshot
        .processes
        .iter()
        .filter(|p| {
            p.process_type == "monitor" && !p.stale && p.state != "stopped" && p.state != "stopping"
        })
        .filter_map(|p| {
            Some(OwnerRange {
                label: p.host_id.clone(),
                min: u32::from(p.bucket_min?),
                max: u32::from(p.bucket_max?),
                tone: row_status(p).into(),
            })
        })
        .collect()
}

fn legend() -> Markup {
    html! {
        p.legend.small {
            span.sw.sw-seg {} " owner range (coloured by its row status) "
            span.sw.sw-gap {} " gap: no owner "
            span.sw.sw-overlap {} " overlap: several owners"
        }
    }
}

pub fn section(ctx: &PageContext<'_>) -> Markup {
    let cov = &ctx.snapshot.bucket_coverage;
    let total = cov.bucket_total;
    html! {
        section.panel #coverage aria-labelledby="coverage-title" {
            h2 #coverage-title { "bucket coverage " (status_badge(cov.status)) }
            p.muted {
                "mode " strong.id { (cov.mode.as_str()) }
                " \u{b7} " span.num { (cov.host_count) } " jetmon_hosts rows \u{b7} "
                span.num { (total) } " buckets"
            }
            @if let Some(error) = &cov.error { p.error { (error) } }
            @if total == 0 {
                p.muted { "bucket_total is not configured: there is nothing to draw." }
            } @else if !cov.hosts.is_empty() {
                @let ranges: Vec<OwnerRange> = cov.hosts.iter().map(|h| OwnerRange {
                    label: h.host_id.clone(),
                    min: u32::from(h.bucket_min),
                    max: u32::from(h.bucket_max),
                    tone: host_status(h, total).0,
                }).collect();
                @let analysis = analyse(&ranges, total);
                (bar(&ranges, total, &analysis))
                (legend())
                (findings(&analysis))
                (hosts_table(ctx, &cov.hosts, total))
            } @else if matches!(cov.mode, OwnershipMode::Pinned | OwnershipMode::Mixed) {
                @let ranges = pinned_ranges(ctx);
                h3 { "pinned ranges reported by monitor processes" }
                @if ranges.is_empty() {
                    p.muted { "no fresh monitor reports a pinned range." }
                } @else {
                    @let analysis = analyse(&ranges, total);
                    (bar(&ranges, total, &analysis))
                    (legend())
                    (findings(&analysis))
                }
            } @else {
                p.muted { "jetmon_hosts has no bucket-owner rows." }
            }
        }
    }
}
