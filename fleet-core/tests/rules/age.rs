//! rollup.md preamble: ages are `now - timestamp` in whole seconds, rounded
//! to the nearest second, never negative; staleness compares the exact age.

use fleet_core::age::{age_secs, exact_age, is_stale};
use fleet_core::test_support::*;
use std::time::Duration;

#[test]
fn age_rounds_to_the_nearest_second() {
    // (milliseconds before now, expected whole-second age)
    let cases: &[(i64, u64)] = &[
        (0, 0),
        (1, 0),
        (499, 0),
        (500, 1),
        (501, 1),
        (999, 1),
        (1_000, 1),
        (4_400, 4),
        (4_499, 4),
        (4_500, 5),
        (4_600, 5),
        (599_499, 599),
        (600_400, 600),
        (600_500, 601),
        (86_400_000, 86_400),
    ];
    for &(ms, expected) in cases {
        assert_eq!(
            age_secs(now(), ms_ago(ms)),
            expected,
            "age of a timestamp {ms} ms old"
        );
    }
}

#[test]
fn age_of_a_future_timestamp_is_zero() {
    for ms in [1_i64, 499, 500, 1_000, 3_600_000] {
        let ts = now() + chrono::Duration::milliseconds(ms);
        assert_eq!(age_secs(now(), ts), 0, "{ms} ms in the future");
        assert_eq!(
            exact_age(now(), ts),
            Duration::ZERO,
            "{ms} ms in the future"
        );
        assert!(
            !is_stale(now(), ts, Duration::ZERO),
            "{ms} ms in the future is never stale"
        );
    }
}

#[test]
fn exact_age_keeps_sub_second_precision() {
    assert_eq!(
        exact_age(now(), ms_ago(600_400)),
        Duration::from_millis(600_400)
    );
    assert_eq!(exact_age(now(), now()), Duration::ZERO);
}

#[test]
fn stale_is_strictly_greater_than_the_grace_on_the_exact_age() {
    let grace = Duration::from_secs(600);
    // (milliseconds before now, stale?)
    let cases: &[(i64, bool)] = &[
        (0, false),
        (599_999, false),
        (600_000, false), // exactly the grace: not stale
        (600_001, true),  // one millisecond over
        (600_400, true),  // rounds to 600 s but is over the grace
        (601_000, true),  // one second over
    ];
    for &(ms, stale) in cases {
        assert_eq!(
            is_stale(now(), ms_ago(ms), grace),
            stale,
            "age {ms} ms vs grace 600 s"
        );
    }
}
