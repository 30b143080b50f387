//! The document around every page: head (charset, viewport, title, the
//! stylesheet and the deferred script, both under the base path), the top
//! bar with navigation and the auto-refresh control, `<main>`, the footer.

use super::format::{iso, static_url, url, Tone};
use chrono::{DateTime, Utc};
use maud::{html, Markup, Render, DOCTYPE};

/// Seconds between auto-refreshes (read by fleet.js from `data-refresh-sec`).
pub const REFRESH_SEC: u32 = 10;

#[derive(Debug)]
pub struct Document<'a, M: Render = Markup> {
    pub base: &'a str,
    pub title: &'a str,
    /// Colours the top bar's accent (and nothing else).
    pub tone: Tone,
    /// Server render time: lets fleet.js compute relative times against the
    /// server's clock rather than the browser's.
    pub now: Option<DateTime<Utc>>,
    /// The URL of this very page (with its filters) when it may auto-refresh.
    pub reload: Option<&'a str>,
    /// Rendered straight into the document's buffer (a 1,000-process page
    /// is a megabyte; it is not built separately and then copied).
    pub main: M,
}

pub fn document<M: Render>(doc: &Document<'_, M>) -> Markup {
    let base = doc.base;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="dark";
                meta name="referrer" content="no-referrer";
                title { (doc.title) }
                link rel="stylesheet" href=(static_url(base, "fleet.css"));
                link rel="icon" type="image/svg+xml" href=(static_url(base, "favicon.svg"));
                script src=(static_url(base, "fleet.js")) defer {}
            }
            body.(doc.tone.page_class())
                data-now=[doc.now.map(iso)]
                data-refresh-sec=[doc.reload.map(|_| REFRESH_SEC)]
            {
                header.topbar {
                    a.brand href=(url(base, "/fleet")) {
                        span.brand-name { "fleetd" }
                        span.brand-sub { "jetmon v2 fleet" }
                    }
                    nav.topnav aria-label="fleetd" {
                        a href=(url(base, "/fleet")) { "fleet" }
                        a href=(url(base, "/fleet/cutover")) { "cutover" }
                        a href=(url(base, "/api/fleet")) { "JSON" }
                        a href=(url(base, "/api/fleet/history")) { "history JSON" }
                    }
                    @if let Some(reload) = doc.reload {
                        div.refresh {
                            span #refresh-state .muted aria-live="polite" {
                                "auto-refresh needs JavaScript"
                            }
                            button #refresh-toggle type="button" hidden { "pause" }
                            a.reload href=(reload) { "reload" }
                        }
                    }
                }
                main #main { (doc.main) }
                footer.foot {
                    "fleetd " (env!("CARGO_PKG_VERSION"))
                    " \u{b7} read-only view of the shared jetmon database \u{b7} all times UTC \u{b7} "
                    a href=(url(doc.base, "/metrics")) { "metrics" }
                }
            }
        }
    }
}
