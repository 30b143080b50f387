//! `links.host_dashboard` over HTTP: the fleet page and the process page
//! link to each process's own dashboard, hostile host ids encoded; a reload
//! changes the links of the cached default page.

use crate::helpers::{spawn_app_with, SCRIPT_HOST};
use fleetd::links::HostDashboard;
use fleetd::snapshots::LiveConfig;
use std::time::Duration;

/// `href`s of the dashboard links of a page.
pub fn dashboard_links(html: &str) -> Vec<String> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_link_to_each_process_dashboard_with_hostile_ids_encoded() {
    let app = spawn_app_with(|s| {
        s.links.host_dashboard = Some(template("https://dash.example/{host}/{process_id}"));
    })
    .await;
    let html = app.get("/fleet").await.text().await.expect("body");
    let links = dashboard_links(&html);
    for expected in [
        "https://dash.example/mon-a/mon-a:monitor",
        "https://dash.example/del-a/del-a:deliverer",
        "https://dash.example/%3Cscript%3Ealert%281%29%3C%2Fscript%3E/%3Cscript%3Ealert%281%29%3C%2Fscript%3E:monitor",
    ] {
        assert!(links.contains(&expected.to_owned()), "{expected} in {links:?}");
    }
    assert!(!html.contains(SCRIPT_HOST));
    assert!(html.contains("rel=\"noopener noreferrer\""));
    // The seeded fleet's jetmon_hosts rows link too (the template needs a
    // process: each host's monitor).
    assert!(
        links
            .iter()
            .filter(|l| l.as_str() == "https://dash.example/mon-b/mon-b:monitor")
            .count()
            >= 2,
        "process row and bucket-owner row: {links:?}"
    );

    let html = app
        .get("/fleet/process/mon-b:monitor")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(
        dashboard_links(&html),
        ["https://dash.example/mon-b/mon-b:monitor"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_template_no_page_has_a_dashboard_link() {
    let app = spawn_app_with(|_| {}).await;
    for path in ["/fleet", "/fleet/process/mon-a:monitor", "/fleet/cutover"] {
        let html = app.get(path).await.text().await.expect("body");
        assert!(dashboard_links(&html).is_empty(), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_settings_change_the_links_of_the_cached_default_page() {
    let app = spawn_app_with(|s| {
        s.cache.ttl = Duration::from_secs(60);
        s.links.host_dashboard = Some(template("https://old.example/{host}"));
    })
    .await;
    let before = app.get("/fleet").await.text().await.expect("body");
    assert!(dashboard_links(&before).contains(&"https://old.example/mon-a".to_owned()));
    let builds = app.snapshots.stats().builds();
    assert_eq!(
        app.get("/fleet").await.text().await.expect("body"),
        before,
        "the default page is cached"
    );
    assert_eq!(app.snapshots.stats().builds(), builds);

    let mut settings = app.settings.clone();
    settings.links.host_dashboard = Some(template("https://new.example/{host}"));
    app.snapshots.apply(LiveConfig::from_settings(&settings));
    let after = dashboard_links(&app.get("/fleet").await.text().await.expect("body"));
    assert!(
        after.contains(&"https://new.example/mon-a".to_owned()),
        "{after:?}"
    );
    assert!(
        after.iter().all(|l| l.starts_with("https://new.example/")),
        "{after:?}"
    );
}
