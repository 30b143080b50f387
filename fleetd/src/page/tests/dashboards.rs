//! Links to each process's own dashboard (`links.host_dashboard`): none
//! without a template; with one, every process row, bucket-owner row and
//! process page, and a next action concerning exactly one host; hostile
//! host ids never become markup, a `javascript:` URL or another host.

use super::scan::{attr_values, process_rows, section, table_rows};
use super::*;

/// `href`s of the dashboard links in `html`, unescaped.
fn dash_links(html: &str) -> Vec<String> {
    const OPEN: &str = "<a class=\"dash\" href=\"";
    html.match_indices(OPEN)
        .map(|(i, _)| {
            let rest = &html[i + OPEN.len()..];
            rest[..rest.find('"').expect("closing quote")].replace("&amp;", "&")
        })
        .collect()
}

fn template(text: &str) -> HostDashboard {
    HostDashboard::parse(text).expect("a valid template")
}

fn with_ports(mut row: ProcessRow, dashboard: Option<u32>, api: Option<u32>) -> ProcessRow {
    row.dashboard_port = dashboard;
    row.api_port = api;
    row
}

fn linked(snap: &FleetSnapshot, text: &str) -> String {
    Render {
        host_dashboard: Some(template(text)),
        ..Default::default()
    }
    .fleet(snap)
}

#[test]
fn without_a_template_no_page_links_to_a_dashboard() {
    let snap = red_snapshot();
    for html in [
        Render::default().fleet(&snap),
        render_process(&snap, "mon-b:monitor", ""),
    ] {
        assert!(dash_links(&html).is_empty());
        assert!(!html.contains("noopener"));
    }
}

#[test]
fn every_process_row_links_to_its_own_dashboard() {
    let snap = red_snapshot();
    let html = linked(
        &snap,
        "https://dash.example/{host}/{process_id}?api={api_port}",
    );
    let rows = process_rows(&html);
    assert_eq!(rows.len(), snap.processes.len());
    for (row, p) in rows.iter().zip(&snap.processes) {
        let links = dash_links(row);
        let host = crate::page::format::encode_path_segment(&p.host_id);
        let id = crate::page::format::encode_path_segment(&p.process_id);
        assert_eq!(
            links,
            [format!("https://dash.example/{host}/{id}?api=8090")],
            "{}",
            p.process_id
        );
        assert!(row.contains("rel=\"noopener noreferrer\""), "{row}");
    }
    assert!(
        html.contains("href=\"https://dash.example/%3Cscript%3Ealert%281%29%3C%2Fscript%3E/"),
        "the hostile host id is one encoded path segment"
    );
}

#[test]
fn a_null_port_the_template_uses_gives_that_process_no_link() {
    let snap = Fleet::healthy()
        .proc(with_ports(monitor("mon-a"), Some(8081), None))
        .proc(with_ports(monitor("mon-b"), None, Some(8090)))
        .build();
    let html = linked(&snap, "http://{host}:{dashboard_port}/");
    let rows = process_rows(&html);
    let row_of = |id: &str| {
        rows.iter()
            .find(|r| r.contains(&format!(">{id}</a>")))
            .unwrap_or_else(|| panic!("no row for {id}"))
    };
    assert_eq!(dash_links(row_of("mon-a:monitor")), ["http://mon-a:8081/"]);
    assert!(dash_links(row_of("mon-b:monitor")).is_empty());
    assert!(dash_links(row_of("m1:monitor")).is_empty());
}

#[test]
fn bucket_owner_rows_link_to_the_host_or_its_monitor() {
    let fleet = Fleet::empty()
        .procs([
            with_ports(monitor("mon-a"), Some(8081), None),
            with_ports(deliverer("mon-b"), Some(9000), None),
        ])
        .hosts(vec![
            host("mon-a", 0, 499),
            host("mon-b", 500, 899),
            host("gone", 900, 999),
        ]);
    let snap = fleet.build();
    let owner_links = |html: &str| -> Vec<Vec<String>> {
        table_rows(section(html, "coverage"), "grid hosts")
            .iter()
            .map(|row| dash_links(row))
            .collect()
    };
    // {host} alone: every owner row, even one whose process row is gone.
    let html = linked(&snap, "https://grafana.example/d/jetmon?var-host={host}");
    assert_eq!(
        owner_links(&html),
        [
            vec!["https://grafana.example/d/jetmon?var-host=mon-a".to_owned()],
            vec!["https://grafana.example/d/jetmon?var-host=mon-b".to_owned()],
            vec!["https://grafana.example/d/jetmon?var-host=gone".to_owned()],
        ]
    );
    // A template that needs a process: the host's monitor, none otherwise
    // (mon-b runs only a deliverer, "gone" nothing).
    let html = linked(&snap, "http://{host}:{dashboard_port}/");
    assert_eq!(
        owner_links(&html),
        [vec!["http://mon-a:8081/".to_owned()], vec![], vec![]]
    );
}

#[test]
fn the_process_page_links_to_the_process_dashboard() {
    let snap = red_snapshot();
    let t = template("https://dash.example/{process_id}");
    let html = render_process_linked(&snap, "mon-b:monitor", "", Some(&t));
    assert_eq!(dash_links(&html), ["https://dash.example/mon-b:monitor"]);
    let html = render_process_linked(&snap, &format!("{HOSTILE}:monitor"), "", Some(&t));
    assert_eq!(
        dash_links(&html),
        ["https://dash.example/%3Cscript%3Ealert%281%29%3C%2Fscript%3E:monitor"]
    );
}

#[test]
fn a_next_action_links_to_the_dashboard_only_when_it_concerns_one_host() {
    let one_red = Fleet::healthy()
        .proc(with_ports(monitor("mon-b").health("red"), Some(8081), None))
        .build();
    let two_red = Fleet::healthy()
        .procs([
            with_ports(monitor("mon-b").health("red"), Some(8081), None),
            with_ports(monitor("mon-c").health("red"), Some(8081), None),
        ])
        .build();
    let one_amber = Fleet::healthy()
        .proc(with_ports(
            deliverer("del-a").health("amber"),
            Some(7000),
            None,
        ))
        .build();
    let red_dependency = Fleet::healthy()
        .procs([
            with_ports(monitor("mon-b"), Some(8081), None).deps(&deps(&[dep("redis", "red")])),
            with_ports(monitor("mon-c"), Some(8081), None).deps(&deps(&[dep("redis", "amber")])),
        ])
        .build();
    let green = Fleet::healthy().build();
    let text = "http://{host}:{dashboard_port}/";
    for (what, snap, expected) in [
        ("one red host", &one_red, Some("http://mon-b:8081/")),
        ("two red hosts", &two_red, None),
        ("one amber host", &one_amber, Some("http://del-a:7000/")),
        (
            "a red dependency on one host",
            &red_dependency,
            Some("http://mon-b:8081/"),
        ),
        ("a green fleet", &green, None),
    ] {
        let html = linked(snap, text);
        let next = super::scan::between(section(&html, "summary"), "<p class=\"next\">", "</p>");
        assert_eq!(
            dash_links(next),
            expected.into_iter().collect::<Vec<_>>(),
            "{what}: {next}"
        );
        let unlinked = Render::default().fleet(snap);
        assert!(
            dash_links(&unlinked).is_empty(),
            "{what}: no template, no link"
        );
    }
}

#[test]
fn hostile_host_ids_never_become_markup_scripts_or_another_host() {
    let hostile = [
        "\"><script>alert(1)</script>",
        "javascript:alert(1)",
        "//evil.example",
    ];
    let snap = Fleet::healthy()
        .procs(hostile.map(|h| with_ports(monitor(h).health("red"), Some(8081), Some(8090))))
        .hosts(
            hostile
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let i = u16::try_from(i).expect("small");
                    host(h, i * 300, i * 300 + 299)
                })
                .collect(),
        )
        .build();
    for text in [
        "https://dash.example/host/{host}/{process_id}",
        "http://{host}:{dashboard_port}/",
    ] {
        let html = linked(&snap, text);
        let process = render_process_linked(
            &snap,
            &format!("{}:monitor", hostile[0]),
            "",
            Some(&template(text)),
        );
        for page in [&html, &process] {
            assert!(!page.contains("\"><script>"), "{text}: markup injected");
            assert_eq!(page.matches("<script").count(), 1, "only fleet.js");
            for href in attr_values(page, "href") {
                assert!(
                    !href.to_ascii_lowercase().starts_with("javascript:"),
                    "{href}"
                );
                assert!(!href.starts_with("//"), "{href}");
            }
            for link in dash_links(page) {
                let url = reqwest::Url::parse(&link).unwrap_or_else(|e| panic!("{link}: {e}"));
                assert_eq!(url.host_str(), Some("dash.example"), "{text}: {link}");
                assert_eq!(url.scheme(), "https");
            }
        }
        if text.starts_with("http://{host}") {
            // None of these can be a host name: no link rather than a
            // link elsewhere.
            assert!(dash_links(&html).is_empty(), "{text}");
        } else {
            assert_eq!(
                dash_links(section(&html, "processes")).len(),
                snap.processes.len()
            );
        }
    }
}
