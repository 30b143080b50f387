//! The cutover checklist page: every expectation fleet-core checked, with
//! its outcome as word and colour, its figure and its fix; the overall
//! outcome on top; a stale snapshot never looks like a fresh verdict.

use super::scan::{badges, esc, section, table_rows, verdict_word, Badge};
use super::*;
use crate::page::{cutover_page, CutoverPageContext};
use fleet_core::cutover::{cutover_checklist, Outcome};

fn render(snap: &FleetSnapshot, stale: Option<StaleNotice>) -> String {
    cutover_page(&CutoverPageContext {
        snapshot: snap,
        base_path: "",
        now: snap.generated_at + Duration::seconds(4),
        stale,
    })
    .into_string()
}

fn badge_of(outcome: Outcome) -> Badge {
    Badge::said(outcome.status(), outcome.as_str())
}

fn title_of(html: &str) -> &str {
    super::scan::between(html, "<title>", "</title>").trim_start_matches("<title>")
}

#[test]
fn each_expectation_shows_its_outcome_word_and_colour_figure_and_fix() {
    for snap in [red_snapshot(), Fleet::healthy().build()] {
        let checklist = cutover_checklist(&snap);
        let html = render(&snap, None);
        let rows = table_rows(section(&html, "checklist"), "grid checklist");
        assert_eq!(rows.len(), checklist.items.len());
        for (row, item) in rows.iter().zip(&checklist.items) {
            assert_eq!(badges(row), [badge_of(item.outcome)], "{row}");
            assert!(row.contains(&esc(item.title)), "{row}");
            assert!(row.contains(&esc(&item.figure)), "{row}");
            match &item.fix {
                Some(fix) => assert!(row.contains(&esc(fix)), "{row}"),
                None => {
                    assert_eq!(item.outcome, Outcome::Pass);
                    assert!(
                        row.contains("<span class=\"muted\">\u{2014}</span>"),
                        "{row}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_overall_outcome_is_on_top_in_title_word_and_colour() {
    let red = red_snapshot();
    assert_eq!(cutover_checklist(&red).outcome, Outcome::Fail);
    let html = render(&red, None);
    assert_eq!(title_of(&html), "FAIL · cutover checklist · fleetd");
    assert_eq!(
        verdict_word(&html),
        Badge::said(fleet_core::Status::Red, "FAIL")
    );
    assert!(html.contains("<body class=\"page-red\""));

    let green = Fleet::healthy().build();
    let html = render(&green, None);
    assert_eq!(title_of(&html), "PASS · cutover checklist · fleetd");
    assert_eq!(
        verdict_word(&html),
        Badge::said(fleet_core::Status::Green, "PASS")
    );

    // Drift not checked yet: unknown, amber, never green.
    let unknown = Fleet::healthy().drift(DriftInput::NotCheckedYet).build();
    assert_eq!(cutover_checklist(&unknown).outcome, Outcome::Unknown);
    let html = render(&unknown, None);
    assert_eq!(title_of(&html), "UNKNOWN · cutover checklist · fleetd");
    assert_eq!(
        verdict_word(&html),
        Badge::said(fleet_core::Status::Amber, "UNKNOWN")
    );
    assert!(html.contains("cannot be confirmed yet"));
}

#[test]
fn a_stale_checklist_never_looks_fresh() {
    let green = Fleet::healthy().build();
    let notice = StaleNotice {
        failed_at: green.generated_at,
        reason: HOSTILE.to_owned(),
    };
    let html = render(&green, Some(notice));
    assert_eq!(
        title_of(&html),
        "STALE DATA · cutover checklist · last known pass · fleetd"
    );
    assert!(html.contains("<body class=\"page-neutral\""));
    assert_eq!(verdict_word(&html), Badge::neutral("STALE DATA"));
    assert!(section(&html, "cutover-verdict").contains("last known: pass"));
    assert!(html.contains("stale-banner"));
    assert!(!html.contains(">PASS<"), "no fresh-looking outcome word");
    assert!(!html.contains(HOSTILE), "the notice is escaped");
}

#[test]
fn hostile_figures_are_escaped() {
    // The red fleet's hostile host is a stale bucket owner: the coverage
    // freshness figure names it.
    let snap = red_snapshot();
    let html = render(&snap, None);
    assert!(!html.contains(HOSTILE));
    assert!(html.contains(&esc(HOSTILE)));
    assert_eq!(html.matches("<script").count(), 1, "only fleet.js");
}

#[test]
fn the_fleet_page_links_to_the_checklist() {
    let html = Render {
        base: "/ops",
        ..Default::default()
    }
    .fleet(&red_snapshot());
    assert!(html.contains("<a href=\"/ops/fleet/cutover\">cutover</a>"));
}
