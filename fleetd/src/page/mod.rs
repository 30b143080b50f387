//! Server-rendered pages (maud): the fleet page, the per-process page and
//! error pages.
//!
//! Every part of the fleet page is its own module; they all build URLs with
//! [`format::url`] (so the configured base path is honoured everywhere),
//! escape every database string (maud escapes spliced values; this module
//! never uses `PreEscaped` on data), and show each status as a word *and* a
//! colour. Nothing needs JavaScript: `static/fleet.js` only adds
//! auto-refresh (with a pause control) and live relative times.

mod coverage;
mod cutover;
mod dashboard;
mod delivery;
mod dependencies;
mod drift;
mod filter;
pub mod format;
mod history;
mod history_page;
mod layout;
mod process;
mod processes;
mod rollup;
mod summary;
mod timeline;

#[cfg(test)]
mod tests;

pub use cutover::{outcome_badge, CutoverPageContext};
pub use filter::{FilterError, ProcessFilter, StatusFilter};
pub use history_page::history_page;

use crate::history::summary::Segment;
use crate::history::{StoreState, Transition};
use crate::links::HostDashboard;
use chrono::{DateTime, Utc};
use fleet_core::snapshot::ProcessEntry;
use fleet_core::FleetSnapshot;
use maud::{html, Markup, Render};

/// Why the page shows an older snapshot than asked for.
#[derive(Debug, Clone)]
pub struct StaleNotice {
    /// When the last build attempt failed.
    pub failed_at: DateTime<Utc>,
    /// Generic, client-safe reason (never database text), e.g. "the database is unreachable".
    pub reason: String,
}

/// Everything the fleet page is rendered from.
#[derive(Debug)]
pub struct PageContext<'a> {
    pub snapshot: &'a FleetSnapshot,
    /// "" or e.g. "/ops/fleet" (no trailing slash); every link and asset URL starts with it.
    pub base_path: &'a str,
    /// Render time (for "data as of … ago").
    pub now: DateTime<Utc>,
    /// Set when this is the last good snapshot because the latest build failed.
    pub stale: Option<StaleNotice>,
    /// The processes-table filter parsed from the query string
    /// ([`ProcessFilter::from_query`]); `&ProcessFilter::NONE` for none.
    pub filter: &'a ProcessFilter,
    /// Recent fleet-status transitions, in any order (shown newest first);
    /// `&[]` when none were recorded.
    pub history: &'a [Transition],
    /// Since when the fleet has had its current status, as far as fleetd
    /// knows (the latest transition, or the first snapshot fleetd built);
    /// `None` if unknown.
    pub status_since: Option<DateTime<Utc>>,
    /// `false` when `status_since` is only when fleetd started recording
    /// (no transition seen yet): the status may be older.
    pub status_since_exact: bool,
    /// The fleet status over the 24 hours before `now` (the timeline strip).
    pub timeline: &'a [Segment],
    /// Where the history is kept (the history section's footer).
    pub history_store: &'a StoreState,
    /// `links.host_dashboard`: when set, process rows, bucket-owner rows and
    /// a next action concerning one host link to the dashboard.
    pub host_dashboard: Option<&'a HostDashboard>,
}

/// Everything the page of one process (`/fleet/process/{process_id}`) is
/// rendered from. The server looks the process up (see [`find_process`]) and
/// answers 404 itself when there is none.
#[derive(Debug)]
pub struct ProcessPageContext<'a> {
    pub snapshot: &'a FleetSnapshot,
    /// The process to show; one of `snapshot.processes`.
    pub process: &'a ProcessEntry,
    /// "" or e.g. "/ops/fleet" (no trailing slash).
    pub base_path: &'a str,
    /// Render time.
    pub now: DateTime<Utc>,
    /// Set when this is the last good snapshot because the latest build failed.
    pub stale: Option<StaleNotice>,
    /// `links.host_dashboard`: when set, the page links to the process's
    /// own dashboard.
    pub host_dashboard: Option<&'a HostDashboard>,
}

/// The process with this id, if the snapshot has one.
pub fn find_process<'a>(snapshot: &'a FleetSnapshot, process_id: &str) -> Option<&'a ProcessEntry> {
    snapshot
        .processes
        .iter()
        .find(|p| p.process_id == process_id)
}

/// The fleet page (`/fleet`).
pub fn fleet_page(ctx: &PageContext<'_>) -> Markup {
    let snap = ctx.snapshot;
    let status = snap.summary.status;
    // A stale page (the last good snapshot, shown because the latest build
    // failed) must not look like a fresh verdict anywhere: not in the title
    // a background tab shows, not in the page's colour.
    let (title, tone) = match &ctx.stale {
        None => (
            format!(
                "{} \u{b7} {} \u{b7} fleetd",
                status.as_str().to_uppercase(),
                snap.summary.message
            ),
            status.into(),
        ),
        Some(_) => (
            format!("STALE DATA \u{b7} last known {status} \u{b7} fleetd"),
            format::Tone::Neutral,
        ),
    };
    let reload = format::fleet_url(ctx.base_path, &ctx.filter.to_query(), None);
    layout::document(&layout::Document {
        base: ctx.base_path,
        title: &title,
        tone,
        now: Some(ctx.now),
        reload: Some(&reload),
        main: FleetSections(ctx),
    })
}

/// The fleet page's sections, each rendered into the document's buffer.
#[derive(Debug)]
struct FleetSections<'c, 'a>(&'c PageContext<'a>);

impl Render for FleetSections<'_, '_> {
    fn render_to(&self, buffer: &mut String) {
        let ctx = self.0;
        if let Some(notice) = &ctx.stale {
            summary::stale_banner(ctx.snapshot, notice, ctx.now).render_to(buffer);
        }
        summary::verdict(ctx).render_to(buffer);
        rollup::cards(ctx).render_to(buffer);
        delivery::section(ctx).render_to(buffer);
        coverage::section(ctx).render_to(buffer);
        processes::section(ctx).render_to(buffer);
        dependencies::section(ctx).render_to(buffer);
        drift::section(ctx).render_to(buffer);
        history::section(ctx).render_to(buffer);
    }
}

/// The page of one process (`/fleet/process/{process_id}`).
pub fn process_page(ctx: &ProcessPageContext<'_>) -> Markup {
    process::page(ctx)
}

/// The dynamic-ownership cutover checklist (`/fleet/cutover`).
pub fn cutover_page(ctx: &CutoverPageContext<'_>) -> Markup {
    cutover::page(ctx)
}

/// A complete HTML error page (e.g. 400, 404, 405, 503 without any snapshot).
pub fn error_page(base_path: &str, status_code: u16, title: &str, detail: &str) -> Markup {
    let main = html! {
        section.panel.error-page {
            h1 { span.code { (status_code) } " " (title) }
            p { (detail) }
            p {
                a href=(format::fleet_url(base_path, "", None)) { "\u{2190} back to the fleet page" }
            }
        }
    };
    let title = format!("{status_code} {title} \u{b7} fleetd");
    layout::document(&layout::Document {
        base: base_path,
        title: &title,
        tone: format::Tone::Neutral,
        now: None,
        reload: None,
        main,
    })
}

/// The 400 page for a query string [`ProcessFilter::from_query`] rejected:
/// names the parameter and value and links to the unfiltered page.
pub fn filter_error_page(base_path: &str, error: &FilterError) -> Markup {
    error_page(base_path, 400, "Bad filter", &error.to_string())
}
