//! The coverage section: the bar's geometry, the findings fleet-core made
//! (drawn on the bar and listed in words, nothing found by the page
//! itself), the bucket-owner rows and pinned ownership.

use super::scan::{badges, between, esc, section, table_rows, tones_of, Badge};
use super::*;
use crate::page::coverage::{bar, pct, Segment};
use fleet_core::coverage::PINNED_ERROR;
use fleet_core::snapshot::{CoverageFinding, FindingKind, HostProblem};

/// A dynamic fleet of one fresh monitor and these fresh, active owner rows.
fn owners(total: u32, hosts: &[(&str, u16, u16)]) -> FleetSnapshot {
    Fleet::empty()
        .bucket_total(total)
        .proc(monitor("m1"))
        .hosts(
            hosts
                .iter()
                .map(|&(h, min, max)| host(h, min, max))
                .collect(),
        )
        .build()
}

fn segments(snap: &FleetSnapshot) -> Vec<Segment<'_>> {
    snap.bucket_coverage
        .hosts
        .iter()
        .map(|h| Segment {
            label: &h.host_id,
            min: u32::from(h.bucket_min),
            max: u32::from(h.bucket_max),
            status: h.row_status,
        })
        .collect()
}

/// `(x, width)` of every `<rect class="{class}" …>` in order.
fn rects<'h>(svg: &'h str, class: &str) -> Vec<(&'h str, &'h str)> {
    let open = format!("<rect class=\"{class}\" x=\"");
    svg.split(open.as_str())
        .skip(1)
        .map(|rest| {
            let x = &rest[..rest.find('"').expect("x end")];
            let width = between(rest, "width=\"", "\" ");
            (x, &width["width=\"".len()..])
        })
        .collect()
}

/// The `x` of every caret of this kind in order.
fn carets<'h>(svg: &'h str, kind: &str) -> Vec<&'h str> {
    let open = format!("<svg class=\"cov-mark {kind}\" x=\"");
    svg.split(open.as_str())
        .skip(1)
        .map(|rest| &rest[..rest.find('"').expect("x end")])
        .collect()
}

#[test]
fn coverage_bar_geometry() {
    assert_eq!(pct(0, 1000), "0%");
    assert_eq!(pct(334, 1000), "33.4%");
    assert_eq!(pct(1, 3), "33.333%");
    assert_eq!(pct(1000, 1000), "100%");

    let snap = owners(1000, &[("a", 0, 333), ("b", 300, 600), ("c", 700, 999)]);
    let svg = bar(&segments(&snap), 1000, &snap.bucket_coverage.findings).into_string();
    // One segment per host, positioned by attributes, in its row's colour.
    assert_eq!(svg.matches("<rect class=\"cov-seg st-green").count(), 3);
    assert_eq!(svg.matches("<svg class=\"cov-name\"").count(), 3);
    assert!(svg.contains("<text x=\"4\" y=\"15\">b</text>"));
    assert!(svg.contains("x=\"0%\" y=\"0\" width=\"33.4%\""));
    assert!(svg.contains("x=\"30%\" y=\"0\" width=\"30.1%\""));
    assert!(svg.contains("x=\"70%\" y=\"0\" width=\"30%\""));
    // The gap 601-699 and the overlap 300-333 are drawn and titled.
    assert_eq!(rects(&svg, "cov-gap"), [("60.1%", "9.9%")]);
    assert!(svg.contains("<title>gap 601–699 (99 buckets)</title>"));
    assert_eq!(rects(&svg, "cov-overlap"), [("30%", "3.4%")]);
    assert!(svg.contains("<title>overlap 300–333 (34 buckets)</title>"));
    // Carets under both, at their middles.
    assert_eq!(carets(&svg, "gap"), ["65.05%"]);
    assert_eq!(carets(&svg, "overlap"), ["31.7%"]);
    assert!(
        svg.contains("aria-label=\"bucket coverage 0–999: 3 owner segments, 1 gaps, 1 overlaps\"")
    );
    // Axis labels from 0 to the last bucket.
    for label in [
        ">0</text>",
        ">250</text>",
        ">500</text>",
        ">750</text>",
        ">999</text>",
    ] {
        assert!(svg.contains(label), "axis label {label}");
    }
    assert!(!svg.contains("style="));
}

/// Asserts that the coverage section of `html` draws exactly `findings`:
/// one rect and one caret per gap and per overlap, where the finding says,
/// and one list item per finding (of any kind) naming its buckets and
/// owners.
pub(super) fn assert_draws(html: &str, findings: &[CoverageFinding], total: u32) {
    let cov = section(html, "coverage");
    let svg = between(cov, "<svg class=\"covbar\"", "</svg><p class=\"legend");
    for (kind, class, mark) in [
        (FindingKind::Gap, "cov-gap", "gap"),
        (FindingKind::Overlap, "cov-overlap", "overlap"),
    ] {
        let of_kind: Vec<&CoverageFinding> = findings.iter().filter(|f| f.kind == kind).collect();
        let expected: Vec<(String, String)> = of_kind
            .iter()
            .map(|f| (pct(f.first_bucket, total), pct(f.bucket_count(), total)))
            .collect();
        let drawn: Vec<(String, String)> = rects(svg, class)
            .into_iter()
            .map(|(x, w)| (x.to_owned(), w.to_owned()))
            .collect();
        assert_eq!(drawn, expected, "{class} rects for {findings:?}");
        assert_eq!(carets(svg, mark).len(), of_kind.len(), "{mark} carets");
    }
    let list = between(cov, "<ul class=\"findings\">", "</ul>");
    let items: Vec<&str> = list.split("<li>").skip(1).collect();
    if findings.is_empty() {
        assert_eq!(items.len(), 1);
        assert_eq!(badges(items[0]), [Badge::said(Status::Green, "ranges ok")]);
        return;
    }
    assert_eq!(items.len(), findings.len(), "{list}");
    for (item, finding) in items.iter().zip(findings) {
        assert_eq!(
            badges(item),
            [Badge::said(Status::Red, finding.kind.as_str())],
            "{item}"
        );
        assert!(
            item.contains(&format!(
                "<span class=\"num\">{}–{}</span>",
                finding.first_bucket, finding.last_bucket
            )),
            "{item} for {finding:?}"
        );
        if finding.kind != FindingKind::Gap {
            assert!(!finding.hosts.is_empty());
            for owner in &finding.hosts {
                assert!(
                    item.contains(&format!("<span class=\"id\">{}</span>", esc(owner))),
                    "{owner} not named in {item}"
                );
            }
        }
    }
}

#[test]
fn the_bar_and_the_findings_list_draw_exactly_the_snapshots_findings() {
    let cases: [&[(&str, u16, u16)]; 6] = [
        // An overlap, then a gap.
        &[("a", 0, 333), ("b", 300, 600), ("c", 700, 999)],
        // Invalid ranges (empty, past the end), a leading and a trailing gap.
        &[("a", 10, 20), ("b", 15, 1200), ("c", 9, 5)],
        // Nested owners: two overlaps, three owners of bucket 150.
        &[("a", 0, 999), ("b", 100, 200), ("c", 150, 300)],
        // One-bucket problems.
        &[("a", 0, 499), ("b", 499, 998)],
        // Nothing wrong.
        &[("a", 0, 499), ("b", 500, 999)],
        &[("a", 0, 999)],
    ];
    for hosts in cases {
        let snap = owners(1000, hosts);
        let findings = &snap.bucket_coverage.findings;
        assert_eq!(
            snap.bucket_coverage.status,
            if findings.is_empty() {
                Status::Green
            } else {
                Status::Red
            }
        );
        let html = Render::default().fleet(&snap);
        assert_draws(&html, findings, 1000);
        let aria = format!(
            "{} owner segments, {} gaps, {} overlaps",
            hosts.len(),
            findings
                .iter()
                .filter(|f| f.kind == FindingKind::Gap)
                .count(),
            findings
                .iter()
                .filter(|f| f.kind == FindingKind::Overlap)
                .count()
        );
        assert!(html.contains(&aria), "{aria}");
    }

    // What the list says, in words, for the invalid ranges and the nest.
    let html = Render::default().fleet(&owners(1000, cases[1]));
    assert!(html.contains("range <span class=\"num\">9–5</span> of <span class=\"id\">c</span> is empty or reaches past the last bucket"));
    assert!(
        html.contains("range <span class=\"num\">15–1200</span> of <span class=\"id\">b</span>")
    );
    assert!(html.contains("buckets <span class=\"num\">0–9</span> (10) have no owner"));
    let html = Render::default().fleet(&owners(1000, cases[2]));
    assert!(html.contains(
        "buckets <span class=\"num\">150–300</span> (151) are owned by <span class=\"id\">a</span>, <span class=\"id\">b</span>, <span class=\"id\">c</span>"
    ));
}

#[test]
fn owner_segments_and_rows_take_the_colour_fleet_core_gave_the_row() {
    let snap = Fleet::empty()
        .proc(monitor("m1"))
        .hosts(vec![
            host("a", 0, 299),
            host("b", 300, 599).beat_age(STALE_SECS),
            host("c", 600, 899).host_status("draining"),
            host("d", 900, 1100),
        ])
        .build();
    let hosts = &snap.bucket_coverage.hosts;
    let problems: Vec<Option<HostProblem>> = hosts.iter().map(|h| h.row_problem).collect();
    assert_eq!(
        problems,
        [
            None,
            Some(HostProblem::Stale),
            Some(HostProblem::NotActive),
            Some(HostProblem::InvalidRange)
        ]
    );
    let html = Render::default().fleet(&snap);
    let cov = section(&html, "coverage");
    assert_eq!(
        tones_of(cov, "cov-seg"),
        ["st-green", "st-red", "st-red", "st-red"]
    );
    let rows = table_rows(cov, "grid hosts");
    let said: Vec<Badge> = rows
        .iter()
        .map(|r| badges(r).into_iter().next().expect("a badge"))
        .collect();
    assert_eq!(
        said,
        [
            Badge::of(Status::Green),
            Badge::said(Status::Red, "stale"),
            Badge::of(Status::Red),
            Badge::of(Status::Red),
        ]
    );
    assert!(rows[0].contains("<span class=\"muted\">active</span>"));
    assert!(rows[1].contains("<span class=\"muted\">heartbeat stale</span>"));
    assert!(rows[2].contains("<span class=\"muted\">draining</span>"));
    assert!(rows[3].contains("<span class=\"muted\">invalid range</span>"));
}

#[test]
fn coverage_section_lists_findings_and_host_rows() {
    let snap = red_snapshot();
    let html = Render::default().fleet(&snap);
    let cov = section(&html, "coverage");
    assert!(cov.starts_with("id=\"coverage\""));
    assert!(cov.contains("bucket coverage <span class=\"st st-red\">red</span>"));
    assert!(cov.contains(
        "<span class=\"st st-red\">gap</span> buckets <span class=\"num\">601–699</span>"
    ));
    assert!(cov.contains(
        "<span class=\"st st-red\">overlap</span> buckets <span class=\"num\">300–333</span> (34) are owned by <span class=\"id\">mon-a</span>, <span class=\"id\">mon-b</span>"
    ));
    // The draining, stale host row says so in words.
    assert!(
        cov.contains("<span class=\"st st-red\">red</span> <span class=\"muted\">draining</span>")
    );
    assert!(cov.contains("20 min ago"));
    assert_draws(&html, &snap.bucket_coverage.findings, 1000);
}

#[test]
fn pinned_mode_draws_monitor_ranges() {
    let snap = Fleet::empty()
        .procs([
            pinned_monitor("mon-a", 0, 499),
            pinned_monitor("mon-b", 500, 999),
        ])
        .build();
    let html = Render::default().fleet(&snap);
    let cov = section(&html, "coverage");
    assert!(cov.contains("bucket coverage <span class=\"st st-amber\">amber</span>"));
    assert!(cov.contains(PINNED_ERROR));
    assert!(cov.contains("pinned ranges reported by monitor processes"));
    assert_eq!(tones_of(cov, "cov-seg"), ["st-green", "st-green"]);
    assert!(cov.contains("every bucket is claimed by exactly one host range"));
    assert!(!cov.contains("<table"), "no owner rows while pinned");

    // A gap between the pinned ranges is drawn, and is information only.
    let snap = Fleet::empty()
        .procs([
            pinned_monitor("mon-a", 0, 399),
            pinned_monitor("mon-b", 500, 999).health("amber"),
        ])
        .build();
    assert_eq!(snap.bucket_coverage.status, Status::Amber);
    assert_eq!(snap.bucket_coverage.pinned_findings.len(), 1);
    let html = Render::default().fleet(&snap);
    assert_draws(&html, &snap.bucket_coverage.pinned_findings, 1000);
    let cov = section(&html, "coverage");
    assert_eq!(tones_of(cov, "cov-seg"), ["st-green", "st-amber"]);
}

#[test]
fn nothing_to_draw_without_bucket_total_or_owner_rows() {
    let html = Render::default().fleet(&Fleet::healthy().bucket_total(0).build());
    let cov = section(&html, "coverage");
    assert!(cov.contains("bucket_total is not configured: there is nothing to draw."));
    assert!(!cov.contains("<svg"));

    let html = Render::default().fleet(&Fleet::healthy().hosts(Vec::new()).build());
    let cov = section(&html, "coverage");
    assert!(cov.contains("jetmon_hosts has no bucket-owner rows."));
    assert!(cov.contains("bucket coverage <span class=\"st st-amber\">amber</span>"));
}
