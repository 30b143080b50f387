//! Rule §5 per site: the legacy projection a site should have, and why it
//! drifts when it does not.
//!
//! fleet-sql runs the same rule as one aggregate query over every active
//! site (the fast path: millions of rows never leave the server); this is its
//! pure twin, tested rule by rule here and held equal to the SQL by a parity
//! test against a real server (`fleet-sql/tests/drift_parity.rs`).
//!
//! Text comparisons follow the SQL's: jetmon's tables use a case-insensitive
//! collation that ignores trailing spaces, so `'down '` is `'Down'` there,
//! and here.

use crate::input::DriftCause;

/// What the rule needs of one `jetpack_monitor_sites` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteRow {
    pub monitor_active: bool,
    pub bucket_no: u16,
    /// `site_status` (TINYINT): 0 seems down, 1 up, 2 confirmed down.
    pub site_status: i16,
}

/// What the rule needs of one of the site's `jetmon_events` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteEvent<'a> {
    pub check_type: &'a str,
    pub state: &'a str,
    /// `ended_at IS NULL`.
    pub open: bool,
}

/// The legacy `site_status` values.
pub const SEEMS_DOWN: i16 = 0;
pub const UP: i16 = 1;
pub const CONFIRMED_DOWN: i16 = 2;

/// Whether the drift scan looks at this site: active, in a configured bucket.
pub fn in_scope(site: &SiteRow, bucket_total: u32) -> bool {
    site.monitor_active && u32::from(site.bucket_no) < bucket_total
}

fn sql_text_eq(value: &str, expected: &str) -> bool {
    value.trim_end_matches(' ').eq_ignore_ascii_case(expected)
}

fn is_open_http(event: &SiteEvent<'_>) -> bool {
    event.open && sql_text_eq(event.check_type, "http")
}

/// The `site_status` a site's open http events call for: any `Down` → 2,
/// else any `Seems Down` → 0, else (none, or other states) → 1. Down wins
/// whatever the order of the events.
pub fn expected_status(events: &[SiteEvent<'_>]) -> i16 {
    let open: Vec<&SiteEvent<'_>> = events.iter().filter(|e| is_open_http(e)).collect();
    if open.iter().any(|e| sql_text_eq(e.state, "Down")) {
        CONFIRMED_DOWN
    } else if open.iter().any(|e| sql_text_eq(e.state, "Seems Down")) {
        SEEMS_DOWN
    } else {
        UP
    }
}

/// `None` when the site's `site_status` is what its events call for;
/// otherwise the first matching cause, in rollup.md §5's order. Each site
/// has at most one cause, so counting causes counts every drifting site once.
pub fn classify(site_status: i16, events: &[SiteEvent<'_>]) -> Option<DriftCause> {
    let expected = expected_status(events);
    if site_status == expected {
        return None;
    }
    let open_http = events.iter().filter(|e| is_open_http(e)).count();
    let valid = |v: i16| (SEEMS_DOWN..=CONFIRMED_DOWN).contains(&v);
    Some(match (expected, site_status) {
        _ if !valid(site_status) || !valid(expected) => DriftCause::UnexpectedProjectionValue,
        _ if open_http > 1 => DriftCause::MultipleOpenHttpEvents,
        (UP, _) => DriftCause::StaleLegacyDownProjection,
        (CONFIRMED_DOWN, UP) => DriftCause::MissingConfirmedDownProjection,
        (SEEMS_DOWN, UP) => DriftCause::MissingSeemsDownProjection,
        (CONFIRMED_DOWN, SEEMS_DOWN) => DriftCause::MissingConfirmedPromotion,
        (SEEMS_DOWN, CONFIRMED_DOWN) => DriftCause::StaleConfirmedDownProjection,
        _ => DriftCause::UnexpectedOpenEventProjection,
    })
}

/// Drifting sites per cause over a set of sites and their events, in the
/// order of [`DriftCause::ALL`], causes without a site left out: what the
/// SQL scan returns for the same rows.
pub fn count_causes<'a, I>(sites: I, bucket_total: u32) -> Vec<(DriftCause, u64)>
where
    I: IntoIterator<Item = (SiteRow, &'a [SiteEvent<'a>])>,
{
    let mut counts = [0u64; DriftCause::ALL.len()];
    for (site, events) in sites {
        if !in_scope(&site, bucket_total) {
            continue;
        }
        if let Some(cause) = classify(site.site_status, events) {
            if let Some(slot) = DriftCause::ALL.iter().position(|c| *c == cause) {
                counts[slot] += 1;
            }
        }
    }
    DriftCause::ALL
        .into_iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .collect()
}
