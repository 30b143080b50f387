//! Rendering tests of the pages, on hand-built snapshots (no database, no
//! rollup): escaping, base path, issues folding, filters, the coverage bar,
//! readable ages, status words, the process page and the history.

use super::coverage::{analyse, bar, pct, OwnerRange, Span};
use super::format::{
    decode_query_component, encode_path_segment, encode_query_value, process_url, readable_age,
    url, Tone,
};
use super::*;
use chrono::{Duration, TimeZone};
use fleet_core::snapshot::{
    BucketCoverage, Delivery, DeliveryTable, DependencyEntry, DependencyRollup, DriftCauseCount,
    HostEntry, Issue, OwnershipMode, Posture, ProjectionDrift, Summary,
};
use fleet_core::{DeliveryKind, DriftCause, Status};
use std::collections::BTreeMap;

const HOSTILE: &str = "<script>alert(1)</script>";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 30, 14, 0, 0)
        .single()
        .expect("valid time")
}

fn process(host: &str, process_type: &str, health: &str, age: i64, stale: bool) -> ProcessEntry {
    ProcessEntry {
        process_id: format!("{host}:{process_type}"),
        host_id: host.to_owned(),
        process_type: process_type.to_owned(),
        pid: 4242,
        version: "v2.3.1".to_owned(),
        build_date: "2026-04-28".to_owned(),
        go_version: "go1.24.2".to_owned(),
        state: "running".to_owned(),
        health_status: health.to_owned(),
        started_at: Some(t0() - Duration::hours(5)),
        updated_at: t0() - Duration::seconds(age),
        last_heartbeat_age_sec: u64::try_from(age).expect("age"),
        stale,
        bucket_min: None,
        bucket_max: None,
        bucket_ownership: "dynamic".to_owned(),
        api_port: Some(8090),
        dashboard_port: None,
        delivery_workers_enabled: false,
        delivery_owner_host: String::new(),
        worker_count: 256,
        active_checks: 128,
        queue_depth: 40,
        retry_queue_size: 2,
        wpcom_circuit_open: false,
        wpcom_queue_depth: 0,
        go_sys_mem_mb: 180,
        rss_mem_mb: 150,
        dependency_health: vec![DependencyEntry {
            name: "mysql".to_owned(),
            status: "green".to_owned(),
            latency_ms: Some(serde_json::Number::from(3)),
            last_error: None,
            checked_at: Some("2026-04-30T13:59:56Z".to_owned()),
        }],
        dependency_health_error: None,
        created_at: Some(t0() - Duration::days(3)),
    }
}

fn host(host_id: &str, min: u16, max: u16, age: i64, status: &str) -> HostEntry {
    HostEntry {
        host_id: host_id.to_owned(),
        bucket_min: min,
        bucket_max: max,
        last_heartbeat: t0() - Duration::seconds(age),
        status: status.to_owned(),
        last_heartbeat_age_sec: u64::try_from(age).expect("age"),
        stale: age > 600,
    }
}

fn issue(status: Status, text: &str) -> Issue {
    Issue {
        status,
        text: text.to_owned(),
    }
}

/// A red fleet like the one operators know from jetmon's page, with a
/// hostile host id, a coverage gap and overlap, an unreadable delivery
/// table and drift.
fn red_fleet() -> FleetSnapshot {
    let mut stale = process(HOSTILE, "monitor", "green", 1203, true);
    stale.bucket_min = Some(700);
    stale.bucket_max = Some(999);
    let mut red = process("mon-b", "monitor", "red", 23, false);
    red.dependency_health[0].status = "red".to_owned();
    red.dependency_health[0].last_error =
        Some("dial tcp 127.0.0.1:3306: connect: <refused> & \"retry\"".to_owned());
    let amber = process("mon-a", "monitor", "amber", 18, false);
    let mut odd = process("mon-d", "monitor", "degraded", 9, false);
    odd.dependency_health_error = Some("expected value at line 1 column 1".to_owned());
    odd.dependency_health.clear();
    let mut deliverer = process("del-a", "deliverer", "green", 13, false);
    deliverer.delivery_workers_enabled = true;
    deliverer.delivery_owner_host = "del-a".to_owned();
    let green = process("mon-e", "monitor", "green", 4, false);
    let processes = vec![stale, red, amber, odd, deliverer, green];
    let issues = vec![
        issue(
            Status::Red,
            &format!("{HOSTILE}:monitor heartbeat stale age=1203s"),
        ),
        issue(Status::Red, "mon-b:monitor health_status=red"),
        issue(
            Status::Red,
            "bucket coverage: gap 601-699 before host <script>alert(1)</script>",
        ),
        issue(Status::Red, "projection drift: legacy projection drift=7"),
        issue(
            Status::Red,
            "delivery queues: pending=5 due=3 failed_since=1 abandoned_since=0",
        ),
        issue(Status::Amber, "mon-a:monitor health_status=amber"),
        issue(Status::Amber, "mon-d:monitor health_status=\"degraded\""),
        issue(Status::Amber, "mon-d:monitor dependency_health unreadable"),
        issue(Status::Amber, "delivery posture: something amber"),
        issue(Status::Amber, "extra issue ten"),
        issue(Status::Amber, "extra issue eleven"),
    ];
    FleetSnapshot {
        generated_at: t0(),
        summary: Summary {
            status: Status::Red,
            message: "fleet has rollout-blocking issues".to_owned(),
            suggested_next_action:
                "investigate stale heartbeats before advancing rollout or relying on fleet status"
                    .to_owned(),
            issues: issues.iter().map(|i| i.text.clone()).collect(),
            issue_details: issues,
            red_processes: 2,
            amber_processes: 2,
            green_processes: 2,
            stale_processes: 1,
            monitor_processes: 5,
            deliverer_processes: 1,
            dependency_red_count: 1,
            dependency_amber_count: 0,
        },
        processes,
        process_counts: BTreeMap::from([("deliverer".to_owned(), 1), ("monitor".to_owned(), 5)]),
        bucket_coverage: BucketCoverage {
            status: Status::Red,
            mode: OwnershipMode::Dynamic,
            bucket_total: 1000,
            host_count: 3,
            error: Some(format!("gap 601-699 before host {HOSTILE}")),
            hosts: vec![
                host("mon-a", 0, 333, 33, "active"),
                host("mon-b", 300, 600, 38, "active"),
                host(HOSTILE, 700, 999, 1203, "draining"),
            ],
        },
        delivery: Delivery {
            status: Status::Red,
            error: Some("delivery queues: jetmon_alert_deliveries could not be read".to_owned()),
            since: t0() - Duration::seconds(900),
            pending: 5,
            due_now: 3,
            future_retry: 2,
            delivered_since: 60,
            abandoned_since: 0,
            failed_since: 1,
            oldest_pending_age_sec: 1300,
            oldest_due_age_sec: 1203,
            tables: vec![
                DeliveryTable {
                    kind: DeliveryKind::Webhook,
                    status: Status::Red,
                    error: None,
                    pending: 5,
                    due_now: 3,
                    future_retry: 2,
                    delivered_since: 60,
                    abandoned_since: 0,
                    failed_since: 1,
                    oldest_pending_age_sec: 1300,
                    oldest_due_age_sec: 1203,
                },
                DeliveryTable {
                    kind: DeliveryKind::Alert,
                    status: Status::Red,
                    error: Some("delivery queues: table could not be read".to_owned()),
                    pending: 0,
                    due_now: 0,
                    future_retry: 0,
                    delivered_since: 0,
                    abandoned_since: 0,
                    failed_since: 0,
                    oldest_pending_age_sec: 0,
                    oldest_due_age_sec: 0,
                },
            ],
            posture: Posture {
                status: Status::Green,
                enabled_process_count: 1,
                enabled_hosts: vec!["del-a".to_owned()],
                owner_hosts: vec!["del-a".to_owned()],
                unowned_process_count: 0,
                message: "delivery owner is constrained to del-a".to_owned(),
            },
        },
        projection_drift: ProjectionDrift {
            status: Status::Red,
            count: 7,
            error: None,
            causes: vec![
                DriftCauseCount {
                    code: DriftCause::MissingConfirmedDownProjection,
                    count: 5,
                },
                DriftCauseCount {
                    code: DriftCause::MultipleOpenHttpEvents,
                    count: 2,
                },
            ],
            checked_at: Some(t0() - Duration::seconds(95)),
            age_sec: Some(95),
        },
        dependencies: vec![
            DependencyRollup {
                name: "mysql".to_owned(),
                status: Status::Red,
                red_count: 1,
                amber_count: 0,
                green_count: 4,
                stale_count: 1,
                last_error: Some(
                    "dial tcp 127.0.0.1:3306: connect: <refused> & \"retry\"".to_owned(),
                ),
            },
            DependencyRollup {
                name: HOSTILE.to_owned(),
                status: Status::Green,
                red_count: 0,
                amber_count: 0,
                green_count: 1,
                stale_count: 0,
                last_error: None,
            },
        ],
    }
}

fn transitions() -> Vec<Transition> {
    vec![
        Transition {
            at: t0() - Duration::minutes(50),
            from: Status::Green,
            to: Status::Amber,
            top_issue: Some("mon-a:monitor health_status=amber".to_owned()),
        },
        Transition {
            at: t0() - Duration::minutes(20),
            from: Status::Amber,
            to: Status::Red,
            top_issue: Some(format!("{HOSTILE}:monitor heartbeat stale age=1203s")),
        },
    ]
}

#[derive(Default)]
struct Render<'a> {
    base: &'a str,
    filter: ProcessFilter,
    stale: Option<StaleNotice>,
    history: Vec<Transition>,
    status_since: Option<DateTime<Utc>>,
}

impl Render<'_> {
    fn fleet(&self, snap: &FleetSnapshot) -> String {
        fleet_page(&PageContext {
            snapshot: snap,
            base_path: self.base,
            now: snap.generated_at + Duration::seconds(4),
            stale: self.stale.clone(),
            filter: &self.filter,
            history: &self.history,
            status_since: self.status_since,
            status_since_exact: true,
        })
        .into_string()
    }
}

fn render_process(snap: &FleetSnapshot, id: &str, base: &str) -> String {
    let process = find_process(snap, id).expect("process exists");
    process_page(&ProcessPageContext {
        snapshot: snap,
        process,
        base_path: base,
        now: snap.generated_at + Duration::seconds(4),
        stale: None,
    })
    .into_string()
}

/// Every value of `attr="..."` in the HTML (maud always double-quotes).
fn attr_values<'h>(html: &'h str, attr: &str) -> Vec<&'h str> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let end = rest.find('"').expect("closing quote");
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

/// The text of every status badge (`<span class="st st-…">word</span>`).
fn badge_words(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<span class=\"st st-") {
        rest = &rest[i + "<span class=\"st ".len()..];
        let class_end = rest.find('"').expect("class end");
        let class = rest[..class_end].to_owned();
        let text_start = rest.find('>').expect("tag end") + 1;
        let text_end = rest.find("</span>").expect("span end");
        out.push((class, rest[text_start..text_end].to_owned()));
    }
    out
}

/// The rows of the processes table body.
fn process_rows(html: &str) -> Vec<&str> {
    let start = html
        .find("<table class=\"grid procs\">")
        .expect("processes table");
    let table = &html[start..];
    let body =
        &table[table.find("<tbody>").expect("tbody")..table.find("</tbody>").expect("/tbody")];
    body.split("<tr").skip(1).collect()
}

// ---------------------------------------------------------------- escaping

#[test]
fn hostile_strings_are_escaped_everywhere() {
    let snap = red_fleet();
    let filter = ProcessFilter {
        host: Some(HOSTILE.to_owned()),
        process_type: Some("\"><img src=x onerror=alert(1)>".to_owned()),
        status: None,
    };
    let pages = [
        Render {
            history: transitions(),
            ..Default::default()
        }
        .fleet(&snap),
        Render {
            filter,
            stale: Some(StaleNotice {
                failed_at: t0(),
                reason: HOSTILE.to_owned(),
            }),
            ..Default::default()
        }
        .fleet(&snap),
        render_process(&snap, &format!("{HOSTILE}:monitor"), ""),
        error_page("", 400, HOSTILE, HOSTILE).into_string(),
    ];
    for html in &pages {
        assert!(!html.contains(HOSTILE), "raw hostile string in output");
        assert!(!html.contains("<img"), "injected tag in output");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The only script element is the external, deferred fleet.js.
        assert_eq!(html.matches("<script").count(), 1);
        assert!(html.contains("<script src=\"/static/fleet.js\" defer></script>"));
    }
}

#[test]
fn pages_need_no_csp_exceptions() {
    let snap = red_fleet();
    let pages = [
        Render::default().fleet(&snap),
        render_process(&snap, "mon-b:monitor", ""),
        error_page("", 404, "Not found", "no such page").into_string(),
    ];
    for html in &pages {
        assert!(!html.contains(" style="), "inline style attribute");
        assert!(!html.contains("<style"), "inline style element");
        assert!(
            !html.contains(" onclick=") && !html.contains(" onload="),
            "inline handler"
        );
        assert!(!html.contains("javascript:"));
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("name=\"viewport\""));
    }
}

// --------------------------------------------------------------- base path

#[test]
fn every_href_src_and_action_starts_with_the_base_path() {
    let snap = red_fleet();
    let base = "/ops/fleet";
    let pages = [
        Render {
            base,
            history: transitions(),
            ..Default::default()
        }
        .fleet(&snap),
        Render {
            base,
            filter: ProcessFilter::from_query("status=red&type=monitor&host=mon-b").expect("valid"),
            ..Default::default()
        }
        .fleet(&snap),
        render_process(&snap, "mon-b:monitor", base),
        render_process(&snap, &format!("{HOSTILE}:monitor"), base),
        error_page(base, 404, "Not found", "nothing here").into_string(),
        filter_error_page(
            base,
            &FilterError::UnknownParameter {
                parameter: "x".to_owned(),
                value: "y".to_owned(),
            },
        )
        .into_string(),
    ];
    for html in &pages {
        let mut urls = attr_values(html, "href");
        urls.extend(attr_values(html, "src"));
        urls.extend(attr_values(html, "action"));
        assert!(urls.len() >= 4, "too few links found: {urls:?}");
        for u in urls {
            // Same-document fragments (`#processes`) cannot leave the base.
            assert!(
                u.starts_with("/ops/fleet/") || u.starts_with('#'),
                "URL outside the base path: {u}"
            );
        }
        assert!(html.contains("href=\"/ops/fleet/static/fleet.css\""));
        assert!(html.contains("src=\"/ops/fleet/static/fleet.js\""));
    }
}

#[test]
fn url_helper_joins_base_and_path() {
    assert_eq!(url("", "/fleet"), "/fleet");
    assert_eq!(url("/ops/fleet", "/fleet"), "/ops/fleet/fleet");
    assert_eq!(
        url("/ops/fleet/", "/static/fleet.css"),
        "/ops/fleet/static/fleet.css"
    );
    assert_eq!(
        process_url("/x", "mon-a:monitor"),
        "/x/fleet/process/mon-a:monitor"
    );
    assert_eq!(
        process_url("", "a/b c?d#e%f+<g>"),
        "/fleet/process/a%2Fb%20c%3Fd%23e%25f%2B%3Cg%3E"
    );
}

#[test]
fn percent_encoding_round_trips() {
    let value = "mon a&b=c/ü?#%+";
    assert_eq!(
        encode_query_value(value),
        "mon%20a%26b%3Dc%2F%C3%BC%3F%23%25%2B"
    );
    assert_eq!(decode_query_component(&encode_query_value(value)), value);
    assert_eq!(decode_query_component("a+b%2"), "a b%2");
    assert_eq!(encode_path_segment("host:monitor@x"), "host:monitor@x");
}

// ------------------------------------------------------------------ issues

#[test]
fn first_eight_issues_then_plus_n_more_reachable_without_js() {
    let snap = red_fleet();
    let html = Render::default().fleet(&snap);
    let summary = &html[html.find("id=\"summary\"").expect("summary")..];
    let first_list = &summary[..summary.find("</ol>").expect("issues list")];
    assert_eq!(first_list.matches("<li>").count(), 8);
    assert!(!first_list.contains("extra issue ten"));
    let more = &summary[summary.find("<details").expect("details for the rest")..];
    assert!(more.contains("<summary>+3 more</summary>"));
    assert!(more.contains("<ol class=\"issues\" start=\"9\">"));
    assert!(more.contains("extra issue ten") && more.contains("extra issue eleven"));
    // Each issue carries its own severity word.
    assert!(first_list
        .contains("<span class=\"st st-red\">red</span> <span class=\"issue-text\">mon-b:monitor"));
    assert!(more.contains(
        "<span class=\"st st-amber\">amber</span> <span class=\"issue-text\">extra issue ten"
    ));

    let mut few = red_fleet();
    few.summary.issue_details.truncate(8);
    let html = Render::default().fleet(&few);
    assert!(!html.contains("more-issues"));
    assert!(!html.contains(" more</summary>"));
}

#[test]
fn verdict_shows_word_message_action_time_and_freshness() {
    let snap = red_fleet();
    let html = Render::default().fleet(&snap);
    assert!(html.contains("<title>RED · fleet has rollout-blocking issues · fleetd</title>"));
    assert!(html.contains("<span class=\"verdict-word st st-red\">RED</span>"));
    assert!(html.contains("investigate stale heartbeats before advancing rollout"));
    assert!(html.contains("<time datetime=\"2026-04-30T14:00:00Z\">2026-04-30 14:00:00 UTC</time>"));
    assert!(html.contains("data-ago>4 s ago</time>"));
    // Fresh data: the stale marker is present but hidden.
    assert!(html.contains("<span class=\"st st-red\" id=\"stale-marker\" hidden>stale</span>"));
    assert!(!html.contains("STALE DATA"));
}

#[test]
fn stale_notice_shows_banner_and_marker() {
    let snap = red_fleet();
    let html = Render {
        stale: Some(StaleNotice {
            failed_at: t0() + Duration::seconds(3),
            reason: "the database is unreachable".to_owned(),
        }),
        ..Default::default()
    }
    .fleet(&snap);
    let banner = &html[html.find("stale-banner").expect("banner")..];
    let banner = &banner[..banner.find("</section>").expect("end")];
    assert!(banner.contains("STALE DATA"));
    assert!(banner.contains("the database is unreachable"));
    assert!(banner.contains("2026-04-30 14:00:00 UTC"));
    assert!(banner.contains("2026-04-30 14:00:03 UTC"));
    assert!(html.contains("<span class=\"st st-red\" id=\"stale-marker\">stale</span>"));
    assert!(html.contains("class=\"stale\" id=\"data-freshness\""));
}

#[test]
fn old_data_is_marked_stale_without_a_notice() {
    let snap = red_fleet();
    let html = fleet_page(&PageContext {
        snapshot: &snap,
        base_path: "",
        now: snap.generated_at + Duration::seconds(3 * 3600 + 300),
        stale: None,
        filter: &ProcessFilter::NONE,
        history: &[],
        status_since: None,
        status_since_exact: false,
    })
    .into_string();
    assert!(html.contains("data-ago>3 h 5 min ago</time>"));
    assert!(html.contains("<span class=\"st st-red\" id=\"stale-marker\">stale</span>"));
}

// ----------------------------------------------------------------- filters

#[test]
fn filter_from_query_accepts_good_input() {
    assert_eq!(ProcessFilter::from_query(""), Ok(ProcessFilter::default()));
    assert_eq!(
        ProcessFilter::from_query("status=&type=&host="),
        Ok(ProcessFilter::default())
    );
    assert_eq!(
        ProcessFilter::from_query("status=stale&type=monitor&host=mon+a%3Cb%3E"),
        Ok(ProcessFilter {
            status: Some(StatusFilter::Stale),
            process_type: Some("monitor".to_owned()),
            host: Some("mon a<b>".to_owned()),
        })
    );
    assert_eq!(
        ProcessFilter::from_query("host=mon-a&&status"),
        Ok(ProcessFilter {
            host: Some("mon-a".to_owned()),
            ..Default::default()
        })
    );
}

#[test]
fn filter_from_query_names_bad_parameter_and_value() {
    let err = ProcessFilter::from_query("status=purple").expect_err("bad status");
    assert_eq!(err.parameter(), "status");
    assert_eq!(err.value(), "purple");
    let text = err.to_string();
    assert!(
        text.contains("\"status\"") && text.contains("\"purple\""),
        "{text}"
    );

    let err = ProcessFilter::from_query("type=monitor&colour=red").expect_err("unknown");
    assert!(matches!(err, FilterError::UnknownParameter { .. }));
    assert_eq!((err.parameter(), err.value()), ("colour", "red"));
    assert!(err.to_string().contains("colour"));

    // An unknown parameter is an error even when empty.
    assert!(ProcessFilter::from_query("page=").is_err());

    let err = ProcessFilter::from_query("host=a&host=b").expect_err("repeated");
    assert_eq!((err.parameter(), err.value()), ("host", "b"));

    // Case matters: the status words are lower-case.
    assert!(ProcessFilter::from_query("status=RED").is_err());

    // Long values are truncated in the error.
    let long = "x".repeat(500);
    let err = ProcessFilter::from_query(&format!("status={long}")).expect_err("bad");
    assert!(err.value().chars().count() <= 81);
}

#[test]
fn filter_to_query_round_trips() {
    let filter = ProcessFilter {
        status: Some(StatusFilter::Amber),
        process_type: Some("deliverer".to_owned()),
        host: Some("a&b=c d/é".to_owned()),
    };
    let query = filter.to_query();
    assert_eq!(
        query,
        "status=amber&type=deliverer&host=a%26b%3Dc%20d%2F%C3%A9"
    );
    assert_eq!(ProcessFilter::from_query(&query), Ok(filter));
    assert_eq!(ProcessFilter::NONE.to_query(), "");
}

#[test]
fn filter_matches_like_the_summary_counts() {
    let snap = red_fleet();
    let count = |q: &str| {
        let f = ProcessFilter::from_query(q).expect("valid");
        snap.processes.iter().filter(|p| f.matches(p)).count()
    };
    let s = &snap.summary;
    // A stale process counts as stale and red; unknown health as amber.
    assert_eq!(count("status=stale"), 1);
    assert_eq!(count("status=red") as u64, s.red_processes);
    assert_eq!(count("status=amber") as u64, s.amber_processes);
    assert_eq!(count("status=green") as u64, s.green_processes);
    assert_eq!(count("type=deliverer"), 1);
    assert_eq!(count("type=monitor"), 5);
    assert_eq!(count("host=mon-b"), 1);
    assert_eq!(count("status=red&host=mon-b&type=monitor"), 1);
    assert_eq!(count("status=green&host=mon-b"), 0);
    assert_eq!(count("host=mon"), 0, "host matches exactly");
    assert_eq!(count(""), snap.processes.len());
}

#[test]
fn filtered_page_shows_n_of_m_and_clear_link() {
    let snap = red_fleet();
    let html = Render {
        filter: ProcessFilter::from_query("status=red").expect("valid"),
        ..Default::default()
    }
    .fleet(&snap);
    assert_eq!(process_rows(&html).len(), 2);
    assert!(html.contains(
        "showing <strong class=\"num\">2</strong> of <span class=\"num\">6</span> processes"
    ));
    assert!(html.contains("<a href=\"/fleet#processes\">clear filters</a>"));
    assert!(html.contains("(filtered: status <strong>red</strong>) · "));
    // The current status chip is marked, and the form keeps the value.
    assert!(html.contains("aria-current=\"true\">red <span class=\"num\">2</span>"));
    assert!(html.contains("<option value=\"red\" selected>red</option>"));

    let html = Render::default().fleet(&snap);
    assert_eq!(process_rows(&html).len(), 6);
    assert!(!html.contains("clear filters"));

    let html = Render {
        filter: ProcessFilter::from_query("host=nobody&type=monitor").expect("valid"),
        ..Default::default()
    }
    .fleet(&snap);
    assert!(html.contains("no process matches these filters"));
    assert!(html.contains(
        "(filtered: type <strong class=\"id\">monitor</strong>, host <strong class=\"id\">nobody</strong>)"
    ));
}

#[test]
fn filter_links_keep_other_filters() {
    let snap = red_fleet();
    let html = Render {
        filter: ProcessFilter::from_query("type=monitor").expect("valid"),
        ..Default::default()
    }
    .fleet(&snap);
    assert!(html.contains("href=\"/fleet?status=amber&amp;type=monitor#processes\""));
    assert!(html.contains("href=\"/fleet?status=stale&amp;type=monitor#processes\""));
    // Links from the bucket owners table filter by host alone.
    assert!(html.contains("href=\"/fleet?host=mon-b#processes\""));
}

// ---------------------------------------------------------------- coverage

fn range(label: &str, min: u32, max: u32) -> OwnerRange {
    OwnerRange {
        label: label.to_owned(),
        min,
        max,
        tone: Tone::Green,
    }
}

#[test]
fn coverage_analysis_finds_gap_and_overlap() {
    let ranges = [
        range("a", 0, 333),
        range("b", 300, 600),
        range("c", 700, 999),
    ];
    let analysis = analyse(&ranges, 1000);
    assert_eq!(
        analysis.gaps,
        vec![Span {
            start: 601,
            end: 699
        }]
    );
    assert_eq!(analysis.overlaps.len(), 1);
    assert_eq!(
        analysis.overlaps[0].span,
        Span {
            start: 300,
            end: 333
        }
    );
    assert_eq!(analysis.overlaps[0].owners, vec!["a", "b"]);
    assert!(analysis.invalid.is_empty());

    let full = analyse(&[range("a", 0, 499), range("b", 500, 999)], 1000);
    assert!(full.gaps.is_empty() && full.overlaps.is_empty());

    let edges = analyse(
        &[range("a", 10, 20), range("b", 15, 1200), range("c", 9, 5)],
        1000,
    );
    assert_eq!(edges.gaps, vec![Span { start: 0, end: 9 }]);
    assert_eq!(edges.overlaps[0].span, Span { start: 15, end: 20 });
    assert_eq!(edges.invalid, vec!["b", "c"]);

    // Three owners of the same bucket, nested: one overlap region.
    let nested = analyse(
        &[
            range("a", 0, 999),
            range("b", 100, 200),
            range("c", 150, 300),
        ],
        1000,
    );
    assert_eq!(nested.overlaps.len(), 1);
    assert_eq!(
        nested.overlaps[0].span,
        Span {
            start: 100,
            end: 300
        }
    );
    assert_eq!(nested.overlaps[0].owners, vec!["a", "b", "c"]);
}

#[test]
fn coverage_bar_geometry() {
    assert_eq!(pct(0, 1000), "0%");
    assert_eq!(pct(334, 1000), "33.4%");
    assert_eq!(pct(1, 3), "33.333%");
    assert_eq!(pct(1000, 1000), "100%");

    let ranges = [
        range("a", 0, 333),
        range("b", 300, 600),
        range("c", 700, 999),
    ];
    let analysis = analyse(&ranges, 1000);
    let svg = bar(&ranges, 1000, &analysis).into_string();
    // One segment per host, positioned by attributes.
    assert_eq!(svg.matches("<rect class=\"cov-seg st-green").count(), 3);
    assert_eq!(svg.matches("<svg class=\"cov-name\"").count(), 3);
    assert!(svg.contains("<text x=\"4\" y=\"15\">b</text>"));
    assert!(svg.contains("x=\"0%\" y=\"0\" width=\"33.4%\""));
    assert!(svg.contains("x=\"30%\" y=\"0\" width=\"30.1%\""));
    assert!(svg.contains("x=\"70%\" y=\"0\" width=\"30%\""));
    // The gap 601-699 and the overlap 300-333 are drawn and titled.
    assert!(svg.contains("<rect class=\"cov-gap\" x=\"60.1%\" y=\"0\" width=\"9.9%\""));
    assert!(svg.contains("<title>gap 601–699 (99 buckets)</title>"));
    assert!(svg.contains("<rect class=\"cov-overlap\" x=\"30%\" y=\"0\" width=\"3.4%\""));
    assert!(svg.contains("<title>overlap 300–333 (34 buckets)</title>"));
    // Carets under both, at their middles.
    assert!(svg.contains("<svg class=\"cov-mark gap\" x=\"65.05%\""));
    assert!(svg.contains("<svg class=\"cov-mark overlap\" x=\"31.7%\""));
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

#[test]
fn coverage_section_lists_findings_and_host_rows() {
    let snap = red_fleet();
    let html = Render::default().fleet(&snap);
    let cov = &html[html.find("id=\"coverage\"").expect("coverage")..];
    let cov = &cov[..cov.find("</section>").expect("end")];
    assert!(cov.contains(
        "<span class=\"st st-red\">gap</span> buckets <span class=\"num\">601–699</span>"
    ));
    assert!(cov.contains(
        "<span class=\"st st-red\">overlap</span> buckets <span class=\"num\">300–333</span>"
    ));
    // The draining, stale host row says so in words.
    assert!(
        cov.contains("<span class=\"st st-red\">red</span> <span class=\"muted\">draining</span>")
    );
    assert!(cov.contains("20 min ago"));
}

#[test]
fn pinned_mode_draws_monitor_ranges() {
    let mut snap = red_fleet();
    snap.bucket_coverage.mode = OwnershipMode::Pinned;
    snap.bucket_coverage.hosts.clear();
    snap.bucket_coverage.status = Status::Amber;
    for (p, (min, max)) in snap
        .processes
        .iter_mut()
        .zip([(0, 0), (0, 499), (500, 999)])
    {
        p.bucket_min = Some(min);
        p.bucket_max = Some(max);
    }
    let html = Render::default().fleet(&snap);
    assert!(html.contains("pinned ranges reported by monitor processes"));
    assert!(html.contains("every bucket is claimed by exactly one host range"));
}

// -------------------------------------------------------------------- ages

#[test]
fn readable_ages() {
    let cases = [
        (0, "0 s"),
        (4, "4 s"),
        (59, "59 s"),
        (60, "1 min"),
        (90, "1 min 30 s"),
        (599, "9 min 59 s"),
        (600, "10 min"),
        (1203, "20 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (11_100, "3 h 5 min"),
        (11_159, "3 h 5 min"),
        (86_400, "1 d"),
        (90_000, "1 d 1 h"),
    ];
    for (secs, text) in cases {
        assert_eq!(readable_age(secs), text, "{secs} s");
    }
}

#[test]
fn ages_on_the_page_are_readable() {
    let snap = red_fleet();
    let html = Render::default().fleet(&snap);
    assert!(html.contains("20 min ago"), "stale heartbeat age");
    assert!(html.contains(">20 min</span>"), "oldest due age");
    assert!(!html.contains("1203s ago"));
}

// ------------------------------------------------------------ status words

#[test]
fn every_status_badge_has_a_word() {
    let snap = red_fleet();
    let html = Render {
        history: transitions(),
        ..Default::default()
    }
    .fleet(&snap);
    let badges = badge_words(&html);
    assert!(badges.len() > 30, "{}", badges.len());
    for (class, word) in &badges {
        assert!(!word.trim().is_empty(), "badge {class} without a word");
        assert!(!word.contains('<'), "badge {class} wraps markup: {word}");
    }
    // Every card carries a status word.
    let cards = &html[html.find("<section class=\"cards\"").expect("cards")..];
    let cards = &cards[..cards.find("</section>").expect("end")];
    let heads = cards.split("<div class=\"card-head\">").skip(1).count();
    assert_eq!(heads, 8);
    for head in cards.split("<div class=\"card-head\">").skip(1) {
        let head = &head[..head.find("</div>").expect("head end")];
        assert!(
            head.contains("<span class=\"st st-"),
            "card without status: {head}"
        );
    }
}

#[test]
fn every_process_row_says_its_status_in_words() {
    let snap = red_fleet();
    let html = Render::default().fleet(&snap);
    let rows = process_rows(&html);
    let expected = ["stale", "red", "amber", "amber", "green", "green"];
    assert_eq!(rows.len(), expected.len());
    for (row, word) in rows.iter().zip(expected) {
        let first_cell = &row[row.find("<td>").expect("td")..row.find("</td>").expect("/td")];
        assert!(
            first_cell.contains(&format!("\">{word}</span>")),
            "row status should be {word}: {first_cell}"
        );
    }
    // Unknown health is amber *and* shows the raw value.
    assert!(rows[3].contains("“degraded”"));
    // The stale row still shows its own health.
    assert!(rows[0].contains("health green"));
}

#[test]
fn delivery_tables_have_status_and_unreadable_table_is_not_zero() {
    let snap = red_fleet();
    let html = Render::default().fleet(&snap);
    let d = &html[html.find("id=\"delivery\"").expect("delivery")..];
    let d = &d[..d.find("</section>").expect("end")];
    assert!(d.contains("jetmon_webhook_deliveries"));
    assert!(d.contains("jetmon_alert_deliveries"));
    assert!(d.contains("counters unknown, not zero"));
    assert!(d.contains("delivery owner is constrained to del-a"));
    assert_eq!(d.matches("<span class=\"st st-red\">red</span>").count(), 4);
}

#[test]
fn drift_shows_causes_and_age_or_not_checked() {
    let mut snap = red_fleet();
    let html = Render::default().fleet(&snap);
    let d = &html[html.find("id=\"drift\"").expect("drift")..];
    assert!(d.contains("missing_confirmed_down_projection"));
    assert!(d.contains("multiple_open_http_events"));
    assert!(d.contains("checked <time datetime=\"2026-04-30T13:58:25Z\">"));
    assert!(d.contains("1 min 39 s ago"));

    snap.projection_drift = ProjectionDrift {
        status: Status::Amber,
        count: 0,
        error: Some("not checked yet".to_owned()),
        causes: Vec::new(),
        checked_at: None,
        age_sec: None,
    };
    let html = Render::default().fleet(&snap);
    let d = &html[html.find("id=\"drift\"").expect("drift")..];
    assert!(d.contains("<span class=\"st st-amber\">amber</span>"));
    assert!(d.contains("not checked yet"));
}

// ----------------------------------------------------------------- history

#[test]
fn history_empty_and_with_transitions() {
    let snap = red_fleet();
    let html = Render::default().fleet(&snap);
    assert!(html.contains("no transitions recorded since fleetd started"));
    assert!(html.contains("unknown (history starts when fleetd starts)"));

    let since = t0() - Duration::minutes(20);
    let html = Render {
        history: transitions(),
        status_since: Some(since),
        ..Default::default()
    }
    .fleet(&snap);
    assert!(!html.contains("no transitions recorded"));
    assert!(html.contains(
        "<span class=\"st st-red\">red</span> since <time datetime=\"2026-04-30T13:40:00Z\">2026-04-30 13:40:00 UTC</time>"
    ));
    let hist = &html[html.find("id=\"history\"").expect("history")..];
    let newer = hist.find("13:40:00 UTC").expect("newer transition");
    let older = hist.find("13:10:00 UTC").expect("older transition");
    assert!(newer < older, "newest first");
    assert!(hist.contains(
        "<span class=\"st st-amber\">amber</span> → <span class=\"st st-red\">red</span>"
    ));
}

#[test]
fn transition_serializes_for_the_history_feed() {
    let json = serde_json::to_value(&transitions()[1]).expect("json");
    assert_eq!(
        json,
        serde_json::json!({
            "at": "2026-04-30T13:40:00Z",
            "from": "amber",
            "to": "red",
            "top_issue": format!("{HOSTILE}:monitor heartbeat stale age=1203s"),
        })
    );
}

// ------------------------------------------------------------ process page

#[test]
fn process_page_shows_every_field_and_dependencies() {
    let snap = red_fleet();
    let html = render_process(&snap, "mon-b:monitor", "");
    for field in [
        "process_id",
        "host_id",
        "process_type",
        "pid",
        "version",
        "build_date",
        "go_version",
        "state",
        "health_status",
        "started_at",
        "updated_at",
        "last_heartbeat_age_sec",
        "stale",
        "bucket_min",
        "bucket_max",
        "bucket_ownership",
        "api_port",
        "dashboard_port",
        "delivery_workers_enabled",
        "delivery_owner_host",
        "worker_count",
        "active_checks",
        "queue_depth",
        "retry_queue_size",
        "wpcom_circuit_open",
        "wpcom_queue_depth",
        "go_sys_mem_mb",
        "rss_mem_mb",
        "dependency_health",
        "created_at",
    ] {
        assert!(
            html.contains(&format!("<code>{field}</code>")),
            "field {field}"
        );
    }
    assert!(html.contains("<title>mon-b:monitor · red · fleetd</title>"));
    assert!(html.contains("v2.3.1") && html.contains("go1.24.2") && html.contains(">4242<"));
    // NULL columns say so.
    assert!(html.contains("<span class=\"muted\">NULL</span>"));
    // Dependency entries with status word, latency and escaped error.
    assert!(html.contains("<span class=\"st st-red\">red</span>"));
    assert!(html.contains("3 ms"));
    assert!(html.contains("connect: &lt;refused&gt; &amp; &quot;retry&quot;"));
    // The issue naming it, and links back.
    assert!(html.contains("mon-b:monitor health_status=red"));
    assert!(html.contains("href=\"/fleet\""));
    assert!(html.contains("href=\"/fleet?host=mon-b#processes\""));
}

#[test]
fn process_page_of_unreadable_dependencies_and_stale_process() {
    let snap = red_fleet();
    let html = render_process(&snap, "mon-d:monitor", "");
    assert!(html.contains("dependency_health could not be read: expected value at line 1 column 1"));
    assert!(html.contains("no dependency entries"));
    assert!(html.contains("“degraded”"));

    let html = render_process(&snap, &format!("{HOSTILE}:monitor"), "");
    assert!(html.contains("STALE"));
    assert!(html.contains("<span class=\"st st-red\">stale</span>"));
}

#[test]
fn process_links_encode_the_id() {
    let snap = red_fleet();
    let html = Render::default().fleet(&snap);
    assert!(
        html.contains("href=\"/fleet/process/%3Cscript%3Ealert%281%29%3C%2Fscript%3E:monitor\"")
    );
    assert!(html.contains("href=\"/fleet/process/mon-b:monitor\""));
}

#[test]
fn error_page_is_complete() {
    let html = error_page("/ops", 404, "Not found", "no page at this address").into_string();
    assert!(html.contains("<title>404 Not found · fleetd</title>"));
    assert!(html.contains("no page at this address"));
    assert!(html.contains("href=\"/ops/fleet\""));
    let err = ProcessFilter::from_query("status=blue").expect_err("bad");
    let html = filter_error_page("", &err).into_string();
    assert!(html.contains("400"));
    assert!(!html.contains("invalid value \"blue\""));
    assert!(html.contains("invalid value &quot;blue&quot; for parameter &quot;status&quot;"));
}

/// Writes the pages to /tmp for a visual check when FLEETD_PAGE_DUMP is set;
/// its value, when it starts with '/', is the base path (e.g. a directory
/// holding a `static` link to fleetd/static, for `file://` screenshots):
/// `FLEETD_PAGE_DUMP=/tmp/fleetshot cargo nextest run -p fleetd page::tests::dump`.
#[test]
fn dump_pages_for_screenshots() {
    let Some(dump) = std::env::var_os("FLEETD_PAGE_DUMP") else {
        return;
    };
    let dump = dump.to_string_lossy().into_owned();
    let base = if dump.starts_with('/') {
        dump.as_str()
    } else {
        ""
    };
    let snap = red_fleet();
    let pages = [
        (
            "/tmp/fleet.html",
            Render {
                base,
                history: transitions(),
                status_since: Some(t0() - Duration::minutes(20)),
                ..Default::default()
            }
            .fleet(&snap),
        ),
        (
            "/tmp/fleet-filtered.html",
            Render {
                base,
                filter: ProcessFilter::from_query("status=red").expect("valid"),
                stale: Some(StaleNotice {
                    failed_at: t0() + Duration::seconds(3),
                    reason: "the database is unreachable".to_owned(),
                }),
                ..Default::default()
            }
            .fleet(&snap),
        ),
        (
            "/tmp/fleet-process.html",
            render_process(&snap, "mon-b:monitor", base),
        ),
        (
            "/tmp/fleet-error.html",
            filter_error_page(
                base,
                &FilterError::InvalidValue {
                    parameter: "status",
                    value: "blue".to_owned(),
                },
            )
            .into_string(),
        ),
    ];
    for (path, html) in pages {
        std::fs::write(path, html).expect("write page");
    }
}

#[test]
fn megabyte_errors_are_truncated_on_the_pages() {
    let huge = format!("{}{}", "e".repeat(1_000_000), HOSTILE);
    let mut snap = red_fleet();
    for dep in &mut snap.dependencies {
        dep.last_error = Some(huge.clone());
    }
    for process in &mut snap.processes {
        for entry in &mut process.dependency_health {
            entry.status = "red".to_owned();
            entry.last_error = Some(huge.clone());
        }
    }
    let page = Render::default().fleet(&snap);
    assert!(page.len() < 200_000, "fleet page is {} bytes", page.len());
    assert!(page.contains('\u{2026}'), "truncation is marked");
    let id = snap.processes[0].process_id.clone();
    let detail = render_process(&snap, &id, "");
    assert!(
        detail.len() < 200_000,
        "process page is {} bytes",
        detail.len()
    );
    assert!(
        !detail.contains(HOSTILE),
        "the tail past the cut is not rendered"
    );
}
