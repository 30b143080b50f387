//! URLs under the base path, percent-encoding, and the processes filters
//! (query string in and out, matching, the filtered page and its links).

use super::scan::{attr_values, process_rows};
use super::*;
use crate::page::format::{
    decode_query_component, encode_path_segment, encode_query_value, process_url, url,
};
use crate::page::{error_page, filter_error_page, FilterError, StatusFilter};

// --------------------------------------------------------------- base path

#[test]
fn every_href_src_and_action_starts_with_the_base_path() {
    let snap = red_snapshot();
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

#[test]
fn process_links_encode_the_id() {
    let html = Render::default().fleet(&red_snapshot());
    assert!(
        html.contains("href=\"/fleet/process/%3Cscript%3Ealert%281%29%3C%2Fscript%3E:monitor\"")
    );
    assert!(html.contains("href=\"/fleet/process/mon-b:monitor\""));
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
    let snap = red_snapshot();
    let count = |q: &str| {
        let f = ProcessFilter::from_query(q).expect("valid");
        snap.processes.iter().filter(|p| f.matches(p)).count()
    };
    let s = &snap.summary;
    assert_eq!(
        (s.red_processes, s.amber_processes, s.green_processes),
        (2, 2, 2)
    );
    // A stale process counts as stale and red; unknown health as amber.
    assert_eq!(count("status=stale") as u64, s.stale_processes);
    assert_eq!(count("status=stale"), 1);
    assert_eq!(count("status=red") as u64, s.red_processes);
    assert_eq!(count("status=amber") as u64, s.amber_processes);
    assert_eq!(count("status=green") as u64, s.green_processes);
    assert_eq!(count("type=deliverer") as u64, s.deliverer_processes);
    assert_eq!(count("type=monitor") as u64, s.monitor_processes);
    assert_eq!(count("type=monitor"), 5);
    assert_eq!(count("host=mon-b"), 1);
    assert_eq!(count("status=red&host=mon-b&type=monitor"), 1);
    assert_eq!(count("status=green&host=mon-b"), 0);
    assert_eq!(count("host=mon"), 0, "host matches exactly");
    assert_eq!(count(""), snap.processes.len());
}

#[test]
fn filtered_page_shows_n_of_m_and_clear_link() {
    let snap = red_snapshot();
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
    let html = Render {
        filter: ProcessFilter::from_query("type=monitor").expect("valid"),
        ..Default::default()
    }
    .fleet(&red_snapshot());
    assert!(html.contains("href=\"/fleet?status=amber&amp;type=monitor#processes\""));
    assert!(html.contains("href=\"/fleet?status=stale&amp;type=monitor#processes\""));
    // Links from the bucket owners table filter by host alone.
    assert!(html.contains("href=\"/fleet?host=mon-b#processes\""));
}
