//! Bucket ownership: the coverage bar (0..bucket_total, one segment per
//! host, gaps and overlaps marked) and the bucket-owner rows.
//!
//! The bar is inline SVG whose geometry is in attributes (`x`/`width` as
//! percentages of the bar), so it needs neither JavaScript nor inline styles
//! and scales with the page without distorting its labels.

use super::dashboard::HostLinks;
use super::filter::ProcessFilter;
use super::format::{badge, fleet_url, status_badge, time_ago, Tone};
use super::PageContext;
use fleet_core::snapshot::{CoverageFinding, FindingKind, HostEntry, HostProblem, OwnershipMode};
use fleet_core::Status;
use maud::{html, Markup};

/// One owner's range as drawn on the bar (inclusive bucket numbers),
/// coloured by the status fleet-core gave its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    pub label: &'a str,
    pub min: u32,
    pub max: u32,
    pub status: Status,
}

impl Segment<'_> {
    /// The part of the range that lies on the bar, if any (an invalid
    /// range is listed as a finding; only its drawable part is drawn).
    fn on_bar(&self, total: u32) -> Option<(u32, u32)> {
        (self.min <= self.max && self.min < total).then(|| (self.min, self.max.min(total - 1)))
    }
}

/// A number of buckets as a percentage of the bar ("33.4%"), at most three
/// decimals, no trailing zeros.
pub fn pct(buckets: u32, total: u32) -> String {
    pct_f(f64::from(buckets) * 100.0 / f64::from(total.max(1)))
}

/// The middle of a finding's buckets as a percentage of the bar.
fn pct_mid(finding: &CoverageFinding, total: u32) -> String {
    let mid = f64::from(finding.first_bucket) + f64::from(finding.bucket_count()) / 2.0;
    pct_f(mid * 100.0 / f64::from(total.max(1)))
}

fn pct_f(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

const TRACK_H: u32 = 22;
const BAR_H: u32 = 54;

fn finding_title(finding: &CoverageFinding) -> String {
    format!(
        "{} {}\u{2013}{} ({} buckets)",
        finding.kind.as_str(),
        finding.first_bucket,
        finding.last_bucket,
        finding.bucket_count()
    )
}

/// The gaps or the overlaps among `findings`.
fn of_kind(
    findings: &[CoverageFinding],
    kind: FindingKind,
) -> impl Iterator<Item = &CoverageFinding> {
    findings.iter().filter(move |f| f.kind == kind)
}

/// The coverage bar of `segments` over `0..total` (total > 0), with the
/// gaps and overlaps fleet-core found in them.
pub fn bar(segments: &[Segment<'_>], total: u32, findings: &[CoverageFinding]) -> Markup {
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
        segments.len(),
        of_kind(findings, FindingKind::Gap).count(),
        of_kind(findings, FindingKind::Overlap).count()
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
            @for (i, seg) in segments.iter().enumerate() {
                @if let Some((min, max)) = seg.on_bar(total) {
                    rect.cov-seg.(Tone::from(seg.status).class()).alt[i % 2 == 1]
                        x=(pct(min, total)) y="0"
                        width=(pct(max - min + 1, total)) height=(TRACK_H)
                    {
                        title { (seg.label) " " (seg.min) "\u{2013}" (seg.max) }
                    }
                }
            }
            @for (class, kind) in [("cov-gap", FindingKind::Gap), ("cov-overlap", FindingKind::Overlap)] {
                @for finding in of_kind(findings, kind) {
                    rect class=(class) x=(pct(finding.first_bucket, total)) y="0"
                        width=(pct(finding.bucket_count(), total)) height=(TRACK_H)
                    {
                        title { (finding_title(finding)) }
                    }
                }
            }
            // Labels last, so that they stay readable over overlaps; each in
            // its own nested viewport, which clips it to its segment.
            @for seg in segments {
                @if let Some((min, max)) = seg.on_bar(total) {
                    svg.cov-name x=(pct(min, total)) y="0"
                        width=(pct(max - min + 1, total)) height=(TRACK_H)
                    {
                        text x="4" y="15" { (seg.label) }
                    }
                }
            }
            // Carets under every gap and overlap keep a one-bucket problem
            // visible at any width.
            @for (class, kind) in [("cov-mark gap", FindingKind::Gap), ("cov-mark overlap", FindingKind::Overlap)] {
                @for finding in of_kind(findings, kind) {
                    svg class=(class) x=(pct_mid(finding, total)) y=(TRACK_H + 1)
                        width="1" height="9"
                    {
                        polygon points="-5,8 5,8 0,0" {}
                    }
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

/// The findings under a bar, in words.
fn findings_list(findings: &[CoverageFinding]) -> Markup {
    html! {
        ul.findings {
            @if findings.is_empty() {
                li { (badge(Tone::Green, "ranges ok")) " every bucket is claimed by exactly one host range (stale or draining owners are judged separately, above)" }
            }
            @for finding in findings {
                li {
                    (badge(Tone::Red, finding.kind.as_str())) " "
                    @match finding.kind {
                        FindingKind::Gap => {
                            "buckets " span.num { (finding.first_bucket) "\u{2013}" (finding.last_bucket) }
                            " (" (finding.bucket_count()) ") have no owner"
                        }
                        FindingKind::Overlap => {
                            "buckets " span.num { (finding.first_bucket) "\u{2013}" (finding.last_bucket) }
                            " (" (finding.bucket_count()) ") are owned by "
                            @for (i, owner) in finding.hosts.iter().enumerate() {
                                @if i > 0 { ", " }
                                span.id { (owner) }
                            }
                        }
                        FindingKind::InvalidRange => {
                            "range " span.num { (finding.first_bucket) "\u{2013}" (finding.last_bucket) }
                            " of "
                            @for (i, owner) in finding.hosts.iter().enumerate() {
                                @if i > 0 { ", " }
                                span.id { (owner) }
                            }
                            " is empty or reaches past the last bucket"
                        }
                    }
                }
            }
        }
    }
}

/// The status word of one bucket-owner row and why, as fleet-core decided.
fn owner_status(host: &HostEntry) -> (Tone, &'static str, String) {
    let word = match host.row_problem {
        Some(HostProblem::Stale) => "stale",
        _ => host.row_status.as_str(),
    };
    let why = match host.row_problem {
        None | Some(HostProblem::NotActive) => host.status.clone(),
        Some(problem) => problem.as_str().to_owned(),
    };
    (host.row_status.into(), word, why)
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
    let links = HostLinks::new(ctx.host_dashboard, ctx.snapshot);
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
                        @let (tone, word, why) = owner_status(host);
                        @let (min, max) = (u32::from(host.bucket_min), u32::from(host.bucket_max));
                        tr {
                            th scope="row" {
                                a.id href=(fleet_url(
                                    ctx.base_path,
                                    &ProcessFilter::NONE.with_host(Some(&host.host_id)).to_query(),
                                    Some("processes"),
                                )) { (host.host_id) }
                                @if let Some(link) = links.of_host(&host.host_id) {
                                    " " (link)
                                }
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
                @let segments: Vec<Segment<'_>> = cov.hosts.iter().map(|h| Segment {
                    label: &h.host_id,
                    min: u32::from(h.bucket_min),
                    max: u32::from(h.bucket_max),
                    status: h.row_status,
                }).collect();
                (bar(&segments, total, &cov.findings))
                (legend())
                (findings_list(&cov.findings))
                (hosts_table(ctx, &cov.hosts, total))
            } @else if matches!(cov.mode, OwnershipMode::Pinned | OwnershipMode::Mixed) {
                h3 { "pinned ranges reported by monitor processes" }
                @if cov.pinned_ranges.is_empty() {
                    p.muted { "no fresh monitor reports a pinned range." }
                } @else {
                    @let segments: Vec<Segment<'_>> = cov.pinned_ranges.iter().map(|r| Segment {
                        label: &r.host_id,
                        min: u32::from(r.bucket_min),
                        max: u32::from(r.bucket_max),
                        status: r.status,
                    }).collect();
                    (bar(&segments, total, &cov.pinned_findings))
                    (legend())
                    (findings_list(&cov.pinned_findings))
                }
            } @else {
                p.muted { "jetmon_hosts has no bucket-owner rows." }
            }
        }
    }
}
