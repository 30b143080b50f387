//! The fleet page: escaping, the verdict and its issues, freshness, status
//! words, delivery, drift, history and size limits.

use super::scan::{badges, between, esc, process_rows, section, Badge};
use super::*;
use crate::page::error_page;
use crate::page::format::readable_age;

// ---------------------------------------------------------------- escaping

#[test]
fn hostile_strings_are_escaped_everywhere() {
    let snap = red_snapshot();
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
                failed_at: now(),
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
    let snap = red_snapshot();
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

// ------------------------------------------------------------------ issues

/// Three more amber issues than the red fleet has: processes of a third
/// type, whose issues follow the monitors' in the amber group (12 in all,
/// with the red dependency's, rollup.md §9.1).
fn red_fleet_with_twelve_issues() -> FleetSnapshot {
    red_fleet()
        .procs(["x-1", "x-2", "x-3"].map(|h| process(h, "api").health("amber")))
        .build()
}

#[test]
fn first_eight_issues_then_plus_n_more_reachable_without_js() {
    let snap = red_fleet_with_twelve_issues();
    let issues = &snap.summary.issue_details;
    assert_eq!(issues.len(), 12, "{:?}", snap.summary.issues);
    let html = Render::default().fleet(&snap);
    let summary = section(&html, "summary");
    let first_list = between(summary, "<ol class=\"issues\">", "</ol>");
    assert_eq!(first_list.matches("<li>").count(), 8);
    let more = between(summary, "<details", "</details>");
    assert!(more.contains("<summary>+4 more</summary>"));
    assert!(more.contains("<ol class=\"issues\" start=\"9\">"));
    assert_eq!(more.matches("<li>").count(), 4);
    // Each issue in its place, with its own severity word, in the
    // snapshot's order (red first).
    for (i, issue) in issues.iter().enumerate() {
        let (list, other) = if i < 8 {
            (first_list, more)
        } else {
            (more, first_list)
        };
        let item = format!(
            "<span class=\"st st-{0}\">{0}</span> <span class=\"issue-text\">{1}</span>",
            issue.status,
            esc(&issue.text)
        );
        assert!(list.contains(&item), "issue {i} not listed as {item}");
        assert!(!other.contains(&item), "issue {i} listed twice");
    }
    assert!(first_list.contains(
        "<span class=\"st st-red\">red</span> <span class=\"issue-text\">mon-b:monitor health_status=red"
    ));
    assert!(more.contains(
        "<span class=\"st st-amber\">amber</span> <span class=\"issue-text\">mon-d:monitor dependency_health unreadable"
    ));

    // Exactly eight issues: nothing folds.
    let few = Fleet::healthy()
        .procs((1..=8).map(|i| process(&format!("a-{i}"), "api").health("amber")))
        .build();
    assert_eq!(
        few.summary.issue_details.len(),
        8,
        "{:?}",
        few.summary.issues
    );
    let html = Render::default().fleet(&few);
    assert!(!html.contains("more-issues"));
    assert!(!html.contains(" more</summary>"));
}

#[test]
fn verdict_shows_word_message_action_time_and_freshness() {
    let snap = red_snapshot();
    let html = Render::default().fleet(&snap);
    assert!(html.contains("<title>RED · fleet has rollout-blocking issues · fleetd</title>"));
    assert!(html.contains("<span class=\"verdict-word st st-red\">RED</span>"));
    assert!(html.contains(
        "Investigate stale heartbeats before advancing rollout or relying on fleet status."
    ));
    assert!(html.contains("<time datetime=\"2026-04-30T14:00:00Z\">2026-04-30 14:00:00 UTC</time>"));
    assert!(html.contains("data-ago>4 s ago</time>"));
    // Fresh data: the stale marker is present but hidden.
    assert!(html.contains("<span class=\"st st-red\" id=\"stale-marker\" hidden>stale</span>"));
    assert!(!html.contains("STALE DATA"));
}

#[test]
fn a_green_fleet_says_so() {
    let snap = Fleet::healthy().build();
    let html = Render::default().fleet(&snap);
    assert!(html.contains("<span class=\"verdict-word st st-green\">GREEN</span>"));
    assert!(html.contains("<title>GREEN · fleet checks are green · fleetd</title>"));
    assert!(html.contains("<p class=\"muted no-issues\">no issues</p>"));
    assert!(html.contains("<body class=\"page-green\""));
}

#[test]
fn stale_notice_shows_banner_and_marker() {
    let snap = red_snapshot();
    let html = Render {
        stale: Some(StaleNotice {
            failed_at: now() + Duration::seconds(3),
            reason: "the database is unreachable".to_owned(),
        }),
        ..Default::default()
    }
    .fleet(&snap);
    let banner = between(&html, "stale-banner", "</section>");
    assert!(banner.contains("STALE DATA"));
    assert!(banner.contains("the database is unreachable"));
    assert!(banner.contains("2026-04-30 14:00:00 UTC"));
    assert!(banner.contains("2026-04-30 14:00:03 UTC"));
    assert!(html.contains("<span class=\"st st-red\" id=\"stale-marker\">stale</span>"));
    assert!(html.contains("class=\"stale\" id=\"data-freshness\""));
}

#[test]
fn old_data_is_marked_stale_without_a_notice() {
    let snap = red_snapshot();
    let html = fleet_page(&PageContext {
        snapshot: &snap,
        base_path: "",
        now: snap.generated_at + Duration::seconds(3 * 3600 + 300),
        stale: None,
        filter: &ProcessFilter::NONE,
        history: &[],
        status_since: None,
        status_since_exact: false,
        timeline: &[],
        history_store: &crate::history::StoreState::MemoryOnly,
        host_dashboard: None,
    })
    .into_string();
    assert!(html.contains("data-ago>3 h 5 min ago</time>"));
    assert!(html.contains("<span class=\"st st-red\" id=\"stale-marker\">stale</span>"));
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
    let snap = red_snapshot();
    assert_eq!(snap.delivery.oldest_due_age_sec, 1203);
    let html = Render::default().fleet(&snap);
    assert!(html.contains("20 min ago"), "stale heartbeat age");
    assert!(html.contains(">20 min</span>"), "oldest due age");
    assert!(!html.contains("1203s ago") && !html.contains("1207s ago"));
}

// ------------------------------------------------------------ status words

#[test]
fn every_status_badge_has_a_word() {
    let snap = red_snapshot();
    let html = Render {
        history: transitions(),
        ..Default::default()
    }
    .fleet(&snap);
    let all = badges(&html);
    assert!(all.len() > 30, "{}", all.len());
    for Badge { tone, word } in &all {
        assert!(!word.trim().is_empty(), "badge {tone} without a word");
        assert!(!word.contains('<'), "badge {tone} wraps markup: {word}");
    }
    // Every card carries a status word.
    let cards = between(&html, "<section class=\"cards\"", "</section>");
    let heads: Vec<&str> = cards.split("<div class=\"card-head\">").skip(1).collect();
    assert_eq!(heads.len(), 8);
    for head in heads {
        let head = &head[..head.find("</div>").expect("head end")];
        assert!(
            head.contains("<span class=\"st st-"),
            "card without status: {head}"
        );
    }
}

#[test]
fn every_process_row_says_its_status_in_words() {
    let snap = red_snapshot();
    let html = Render::default().fleet(&snap);
    let rows = process_rows(&html);
    let expected = ["stale", "red", "amber", "amber", "green", "green"];
    assert_eq!(rows.len(), expected.len());
    for (row, word) in rows.iter().zip(expected) {
        let first_cell = between(row, "<td>", "</td>");
        assert!(
            first_cell.contains(&format!("\">{word}</span>")),
            "row status should be {word}: {first_cell}"
        );
    }
    // Unknown health is amber *and* shows the raw value.
    assert!(rows[3].contains("mon-d:monitor") && rows[3].contains("“degraded”"));
    // The stale row still shows its own health.
    assert!(rows[0].contains("health green"));
}

#[test]
fn delivery_tables_have_status_and_unreadable_table_is_not_zero() {
    let snap = red_snapshot();
    let html = Render::default().fleet(&snap);
    let d = section(&html, "delivery");
    assert!(d.contains("jetmon_webhook_deliveries"));
    assert!(d.contains("jetmon_alert_deliveries"));
    assert!(d.contains("counters unknown, not zero"));
    assert!(d.contains("delivery owner is constrained to del-a"));
    // Queues heading, webhook (a failure), alert (unreadable), total.
    assert_eq!(d.matches("<span class=\"st st-red\">red</span>").count(), 4);
    // The posture is green: one owner.
    assert!(d.contains("(DELIVERY_OWNER_HOST) <span class=\"st st-green\">green</span>"));
}

#[test]
fn drift_shows_causes_and_age_or_not_checked() {
    let html = Render::default().fleet(&red_snapshot());
    let d = section(&html, "drift");
    assert!(d.contains("<span class=\"st st-red\">red</span>"));
    let five = d.find("missing_confirmed_down_projection").expect("cause");
    let two = d.find("multiple_open_http_events").expect("cause");
    assert!(five < two, "largest cause first");
    assert!(d.contains("checked <time datetime=\"2026-04-30T13:58:25Z\">"));
    assert!(d.contains("1 min 39 s ago"));
    assert!(d.contains("jetmon2 rollout projection-drift --limit=100"));

    let snap = red_fleet().drift(DriftInput::NotCheckedYet).build();
    let html = Render::default().fleet(&snap);
    let d = section(&html, "drift");
    assert!(d.contains("<span class=\"st st-amber\">amber</span>"));
    assert!(d.contains("not checked yet"));
    assert!(!d.contains("<table"));
}

// ----------------------------------------------------------------- history

#[test]
fn history_empty_and_with_transitions() {
    let snap = red_snapshot();
    let html = Render::default().fleet(&snap);
    assert!(html.contains("no transitions recorded"));
    assert!(html.contains("data-store=\"memory_only\""));
    assert!(html.contains("unknown (history starts when fleetd starts)"));

    let since = now() - Duration::minutes(20);
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
    let hist = section(&html, "history");
    let newer = hist.find("13:40:00 UTC").expect("newer transition");
    let older = hist.find("13:10:00 UTC").expect("older transition");
    assert!(newer < older, "newest first");
    assert!(hist.contains(
        "<span class=\"st st-amber\">amber</span> → <span class=\"st st-red\">red</span>"
    ));
}

/// The 24-hour strip: one SVG rect per segment, coloured by class, each
/// with a `<title>` tooltip giving its status and times; no script.
#[test]
fn history_timeline_strip_draws_each_segment_with_its_times() {
    use crate::history::summary::Segment;
    use crate::history::SampleStatus;
    let snap = red_snapshot();
    // The page's now is generated_at + 4 s; the strip covers the 24 h before.
    let end = snap.generated_at + Duration::seconds(4);
    let start = end - Duration::hours(24);
    let seg = |from: i64, to: i64, status| Segment {
        start: start + Duration::hours(from),
        end: start + Duration::hours(to),
        status,
    };
    let timeline = vec![
        seg(0, 6, SampleStatus::Unknown),
        seg(6, 18, SampleStatus::Green),
        seg(18, 21, SampleStatus::Amber),
        seg(21, 24, SampleStatus::Red),
    ];
    let html = Render {
        timeline,
        ..Default::default()
    }
    .fleet(&snap);
    let hist = section(&html, "history");
    let svg = &hist[hist.find("<svg").expect("an svg")..hist.find("</svg>").expect("closed")];
    assert!(svg.contains("viewBox=\"0 0 1440 24\""));
    assert!(svg.contains("role=\"img\""));
    assert_eq!(svg.matches("<rect").count(), 4, "{svg}");
    for class in ["tl-unknown", "tl-green", "tl-amber", "tl-red"] {
        assert!(svg.contains(&format!("class=\"tl {class}\"")), "{class}");
    }
    // Red is the last quarter-day: x = 21/24 of 1440, width 180.
    assert!(
        svg.contains("class=\"tl tl-red\" x=\"1260\" y=\"0\" width=\"180\""),
        "{svg}"
    );
    // Its tooltip gives both times and the duration.
    let red_from = crate::page::format::utc_text(start + Duration::hours(21));
    let red_to = crate::page::format::utc_text(end);
    assert!(
        svg.contains(&format!(
            "<title>red: {red_from} \u{2013} {red_to} (3 h)</title>"
        )),
        "{svg}"
    );
    assert!(!hist.contains("<script"));
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

// ------------------------------------------------------------------- sizes

#[test]
fn megabyte_errors_are_truncated_on_the_pages() {
    const TAIL: &str = "the-end-of-the-error";
    let huge = format!("{}{TAIL}", "e".repeat(1_000_000));
    let mut fleet = red_fleet();
    let entry = serde_json::json!({ "name": "mysql", "status": "red", "last_error": huge });
    for row in &mut fleet.input.processes {
        row.dependency_health = Some(format!("[{entry}]"));
    }
    let snap = fleet.build();
    assert_eq!(
        snap.dependencies[0].last_error.as_deref().map(str::len),
        Some(huge.len()),
        "the snapshot carries the whole error"
    );
    let page = Render::default().fleet(&snap);
    assert!(page.len() < 200_000, "fleet page is {} bytes", page.len());
    assert!(page.contains('\u{2026}'), "truncation is marked");
    assert!(
        !page.contains(TAIL),
        "the tail past the cut is not rendered"
    );
    let detail = render_process(&snap, &snap.processes[0].process_id, "");
    assert!(
        detail.len() < 200_000,
        "process page is {} bytes",
        detail.len()
    );
    assert!(detail.contains('\u{2026}'), "truncation is marked");
    assert!(
        !detail.contains(TAIL),
        "the tail past the cut is not rendered"
    );
}

/// Writes the pages to /tmp for a visual check (`--run-ignored only`); when
/// FLEETD_PAGE_DUMP starts with '/', it is the base path (e.g. a directory
/// holding a `static` link to fleetd/static, for `file://` screenshots):
/// `FLEETD_PAGE_DUMP=/tmp/fleetshot cargo nextest run -p fleetd --run-ignored only page::tests::fleet_page::dump`.
#[test]
#[ignore = "a tool, not a check: writes the pages to /tmp for a visual review"]
fn dump_pages_for_screenshots() {
    let dump = std::env::var("FLEETD_PAGE_DUMP").unwrap_or_default();
    let base = if dump.starts_with('/') {
        dump.as_str()
    } else {
        ""
    };
    let snap = red_snapshot();
    let pages = [
        (
            "/tmp/fleet.html",
            Render {
                base,
                history: transitions(),
                status_since: Some(now() - Duration::minutes(20)),
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
                    failed_at: now() + Duration::seconds(3),
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
            crate::page::filter_error_page(
                base,
                &crate::page::FilterError::InvalidValue {
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
fn a_stale_page_looks_like_no_fresh_verdict_title_colour_or_word() {
    let green = Fleet::healthy().build();
    assert_eq!(green.summary.status, fleet_core::Status::Green);
    let notice = StaleNotice {
        failed_at: now() + Duration::seconds(3),
        reason: "the database is unreachable".to_owned(),
    };
    let html = Render {
        stale: Some(notice.clone()),
        ..Default::default()
    }
    .fleet(&green);
    let title_of = |html: &str| {
        let start = html.find("<title>").expect("a title") + "<title>".len();
        let end = html[start..].find("</title>").expect("title end");
        html[start..start + end].to_owned()
    };
    let title = title_of(&html);
    assert_eq!(title, "STALE DATA · last known green · fleetd");
    assert!(!title.contains("GREEN"), "{title}");
    assert!(
        html.contains("<body class=\"page-neutral\""),
        "the top bar is grey"
    );
    assert!(
        html.contains("<section class=\"verdict st-neutral\" id=\"summary\""),
        "the verdict block is grey"
    );
    let verdict = section(&html, "summary");
    assert!(verdict.contains("<span class=\"verdict-word st st-neutral\">STALE DATA</span>"));
    assert!(verdict.contains("last known: green"));
    assert!(
        !verdict.contains(">GREEN<"),
        "no fresh-looking verdict word"
    );

    // The process page of a stale snapshot too.
    let process = process_page(&ProcessPageContext {
        snapshot: &green,
        process: find_process(&green, "m1:monitor").expect("m1"),
        base_path: "",
        now: green.generated_at + Duration::seconds(4),
        stale: Some(notice),
        host_dashboard: None,
    })
    .into_string();
    let title = title_of(&process);
    assert_eq!(title, "STALE DATA · m1:monitor · last known green · fleetd");
    assert!(process.contains("<body class=\"page-neutral\""));
    assert!(process.contains(">STALE DATA</span>"));

    // Fresh, the same snapshot reads green everywhere.
    let fresh = Render::default().fleet(&green);
    assert!(fresh.contains("<title>GREEN · fleet checks are green · fleetd</title>"));
    assert!(fresh.contains("<body class=\"page-green\""));
}
