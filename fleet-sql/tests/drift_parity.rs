//! The drift scan's SQL (the fast path) against its pure twin in fleet-core
//! (`fleet_core::site_drift`, rollup.md §5): on a few thousand random sites
//! and events in a real server, the per-cause counts must be equal.
//!
//! The data is random but reproducible: the seed is printed, and
//! `FLEETD_PARITY_SEED=<n>` replays a run.

mod common;

use common::*;
use fleet_core::site_drift::{count_causes, SiteEvent, SiteRow};
use fleet_core::DriftCause;

/// splitmix64: small, fast and good enough to spread test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

struct Site {
    blog_id: u64,
    row: SiteRow,
    monitor_active: u8,
    events: Vec<Event>,
}

struct Event {
    check_type: &'static str,
    state: &'static str,
    open: bool,
}

// Mostly what jetmon writes, plus the spellings the tables' collation
// treats as equal (case, trailing spaces) and values that must not match.
const CHECK_TYPES: [&str; 7] = ["http", "http", "http", "HTTP", "http ", "dns", "tls"];
const STATES: [&str; 10] = [
    "Down",
    "Down",
    "Seems Down",
    "Seems Down",
    "Up",
    "Warning",
    "Degraded",
    "down",
    "SEEMS DOWN ",
    " Down",
];
const SITE_STATUSES: [i16; 9] = [1, 1, 1, 0, 2, 0, 2, -1, 5];
const ACTIVE: [u8; 5] = [1, 1, 1, 0, 2];
const BUCKET_TOTAL: u32 = 1000;

fn generate(rng: &mut Rng, sites: u64) -> Vec<Site> {
    (1..=sites)
        .map(|blog_id| {
            let monitor_active = rng.pick(&ACTIVE);
            let events = (0..rng.below(4))
                .map(|_| Event {
                    check_type: rng.pick(&CHECK_TYPES),
                    state: rng.pick(&STATES),
                    open: rng.below(3) > 0,
                })
                .collect();
            Site {
                blog_id,
                row: SiteRow {
                    monitor_active: monitor_active == 1,
                    // Some sites beyond bucket_total, which the scan skips.
                    bucket_no: rng.below(u64::from(BUCKET_TOTAL) + 100) as u16,
                    site_status: rng.pick(&SITE_STATUSES),
                },
                monitor_active,
                events,
            }
        })
        .collect()
}

async fn load(db: &fleet_sql::testing::ScratchDb, sites: &[Site]) {
    for chunk in sites.chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|s| {
                format!(
                    "({}, {}, {}, {})",
                    s.blog_id, s.row.bucket_no, s.monitor_active, s.row.site_status
                )
            })
            .collect();
        exec(
            db,
            &format!(
                "INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_active, site_status) VALUES {}",
                values.join(", ")
            ),
        )
        .await;
        // endpoint_id numbers a site's events, so that open events never
        // collide on the open-event unique key.
        let events: Vec<String> = chunk
            .iter()
            .flat_map(|s| {
                s.events.iter().enumerate().map(move |(i, e)| {
                    format!(
                        "({}, {i}, '{}', 1, '{}', {})",
                        s.blog_id,
                        e.check_type,
                        e.state,
                        if e.open { "NULL" } else { "NOW(3)" }
                    )
                })
            })
            .collect();
        if !events.is_empty() {
            exec(
                db,
                &format!(
                    "INSERT INTO jetmon_events (blog_id, endpoint_id, check_type, severity, state, ended_at) VALUES {}",
                    events.join(", ")
                ),
            )
            .await;
        }
    }
}

#[tokio::test]
async fn drift_sql_counts_equal_the_pure_rule_on_random_sites_and_events() {
    let seed = std::env::var("FLEETD_PARITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("drift parity seed: {seed} (FLEETD_PARITY_SEED={seed} replays this run)");
    let mut rng = Rng(seed);
    let sites = generate(&mut rng, 4000);

    let db = scratch().await;
    load(&db, &sites).await;
    let scanned = reader(&db)
        .read_drift(BUCKET_TOTAL)
        .await
        .expect("the drift scan reads");

    let events: Vec<Vec<SiteEvent<'_>>> = sites
        .iter()
        .map(|s| {
            s.events
                .iter()
                .map(|e| SiteEvent {
                    check_type: e.check_type,
                    state: e.state,
                    open: e.open,
                })
                .collect()
        })
        .collect();
    let pure = count_causes(
        sites
            .iter()
            .zip(&events)
            .map(|(s, e)| (s.row, e.as_slice())),
        BUCKET_TOTAL,
    );
    assert_eq!(scanned.causes, pure, "seed {seed}: SQL vs fleet-core");

    // The data must exercise the rule, or equality proves little.
    let drifting: u64 = pure.iter().map(|(_, n)| n).sum();
    assert!(
        drifting > 500,
        "seed {seed}: only {drifting} drifting sites"
    );
    for cause in [
        DriftCause::UnexpectedProjectionValue,
        DriftCause::MultipleOpenHttpEvents,
        DriftCause::StaleLegacyDownProjection,
        DriftCause::MissingConfirmedDownProjection,
        DriftCause::MissingSeemsDownProjection,
        DriftCause::MissingConfirmedPromotion,
        DriftCause::StaleConfirmedDownProjection,
    ] {
        assert!(
            pure.iter().any(|(c, n)| *c == cause && *n > 0),
            "seed {seed}: no site with cause {}",
            cause.code()
        );
    }
    db.drop().await.expect("drop the scratch database");
}
