//! Property tests of rollup.md §2 rule 6 (the coverage walk): a random
//! partition of `0..bucket_total` into contiguous, fresh, active hosts is
//! green; breaking it in any one way turns it red with the right kind of
//! error, told apart by the error text.

use crate::spec::*;
use fleet_core::snapshot::OwnershipMode;
use fleet_core::test_support::*;
use fleet_core::{FleetSnapshot, HostRow, Status};
use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::BTreeSet;

/// A random partition: `bucket_total` and its contiguous ranges, in bucket
/// order, with at least `min_ranges` ranges.
#[derive(Debug, Clone)]
struct Partition {
    total: u32,
    ranges: Vec<(u16, u16)>,
}

fn partition(min_ranges: usize) -> impl Strategy<Value = Partition> {
    let min_cuts = min_ranges.saturating_sub(1);
    (2u32..=1500)
        .prop_flat_map(move |total| {
            let max_cuts = (total as usize - 1).min(40).max(min_cuts);
            (
                Just(total),
                proptest::collection::btree_set(1..total, min_cuts..=max_cuts),
            )
        })
        .prop_map(|(total, cuts): (u32, BTreeSet<u32>)| {
            let mut ranges = Vec::with_capacity(cuts.len() + 1);
            let mut start = 0u32;
            for cut in cuts {
                ranges.push((to_u16(start), to_u16(cut - 1)));
                start = cut;
            }
            ranges.push((to_u16(start), to_u16(total - 1)));
            Partition { total, ranges }
        })
}

fn to_u16(n: u32) -> u16 {
    u16::try_from(n).expect("bucket numbers fit in SMALLINT UNSIGNED")
}

/// The host owning range `i` (zero-padded so names sort like indexes).
fn name(i: usize) -> String {
    format!("host-{i:03}")
}

/// Host rows for `ranges` (indexed like the partition), listed in a shuffled
/// order decided by `seed`, plus one fresh dynamic monitor per host.
fn fleet_of(total: u32, ranges: &[(usize, u16, u16)], seed: u64) -> Fleet {
    let mut hosts: Vec<HostRow> = ranges
        .iter()
        .map(|&(i, min, max)| host(&name(i), min, max))
        .collect();
    // Deterministic shuffle: the rollup must sort hosts itself.
    let len = hosts.len();
    if len > 1 {
        let mut s = seed | 1;
        for i in (1..len).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            hosts.swap(i, (s % (i as u64 + 1)) as usize);
        }
    }
    let monitors = ranges.iter().map(|&(i, _, _)| monitor(&name(i)));
    Fleet::empty()
        .bucket_total(total)
        .procs(monitors)
        .hosts(hosts)
}

fn indexed(p: &Partition) -> Vec<(usize, u16, u16)> {
    p.ranges
        .iter()
        .enumerate()
        .map(|(i, &(min, max))| (i, min, max))
        .collect()
}

fn error_of(snap: &FleetSnapshot) -> String {
    snap.bucket_coverage.error.clone().unwrap_or_default()
}

fn assert_red_dynamic(snap: &FleetSnapshot) -> Result<String, TestCaseError> {
    prop_assert_eq!(snap.bucket_coverage.mode, OwnershipMode::Dynamic);
    prop_assert_eq!(
        snap.bucket_coverage.status,
        Status::Red,
        "{:?}",
        &snap.bucket_coverage
    );
    Ok(error_of(snap))
}

fn assert_gap(error: &str, range: &str, before: &str) -> Result<(), TestCaseError> {
    let lower = error.to_lowercase();
    prop_assert!(
        lower.contains("gap") && !lower.contains("trailing"),
        "expected a gap: {:?}",
        error
    );
    prop_assert!(
        !lower.contains("overlap") && !lower.contains("invalid"),
        "expected only a gap: {:?}",
        error
    );
    prop_assert!(error.contains(range), "gap {} in {:?}", range, error);
    prop_assert!(
        error.contains(before),
        "gap before {} in {:?}",
        before,
        error
    );
    Ok(())
}

fn assert_trailing_gap(error: &str, range: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        error.to_lowercase().contains("trailing gap"),
        "expected a trailing gap: {:?}",
        error
    );
    prop_assert!(
        error.contains(range),
        "trailing gap {} in {:?}",
        range,
        error
    );
    Ok(())
}

fn assert_overlap(error: &str, at_host: &str, bucket: u16) -> Result<(), TestCaseError> {
    let lower = error.to_lowercase();
    prop_assert!(
        lower.contains("overlap"),
        "expected an overlap: {:?}",
        error
    );
    prop_assert!(
        !lower.contains("gap") && !lower.contains("invalid"),
        "expected only an overlap: {:?}",
        error
    );
    prop_assert!(
        error.contains(at_host),
        "overlap at {} in {:?}",
        at_host,
        error
    );
    prop_assert!(
        error.contains(&bucket.to_string()),
        "overlap at bucket {} in {:?}",
        bucket,
        error
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn coverage_rule6_any_contiguous_partition_is_green(p in partition(1), seed in any::<u64>()) {
        let snap = fleet_of(p.total, &indexed(&p), seed).build();
        let cov = &snap.bucket_coverage;
        prop_assert_eq!(cov.mode, OwnershipMode::Dynamic);
        prop_assert_eq!(cov.status, Status::Green, "{:?}", cov);
        prop_assert_eq!(&cov.error, &None);
        prop_assert_eq!(cov.host_count, p.ranges.len() as u64);
        let listed: Vec<(u16, u16)> = cov.hosts.iter().map(|h| (h.bucket_min, h.bucket_max)).collect();
        prop_assert_eq!(listed, p.ranges.clone(), "hosts listed by bucket_min");
        prop_assert_eq!(snap.summary.status, Status::Green, "{:?}", &snap.summary.issues);
    }

    #[test]
    fn coverage_rule6_removing_one_range_is_a_red_gap(p in partition(2), which in any::<Index>(), seed in any::<u64>()) {
        let i = which.index(p.ranges.len());
        let (min, max) = p.ranges[i];
        let mut rest = indexed(&p);
        rest.remove(i);
        let snap = fleet_of(p.total, &rest, seed).build();
        let error = assert_red_dynamic(&snap)?;
        if i + 1 == p.ranges.len() {
            assert_trailing_gap(&error, &format!("{min}-{}", p.total - 1))?;
        } else {
            assert_gap(&error, &format!("{min}-{max}"), &name(i + 1))?;
        }
    }

    #[test]
    fn coverage_rule6_shifting_a_boundary_by_one_is_a_red_overlap_or_gap(
        p in partition(2),
        which in any::<Index>(),
        variant in 0u8..6,
        seed in any::<u64>(),
    ) {
        let n = p.ranges.len();
        let mut r = indexed(&p);
        let len_of = |k: usize| usize::from(p.ranges[k].1 - p.ranges[k].0) + 1;
        // The inner boundary between range j and j + 1 is bucket b = min(j+1).
        let j = which.index(n - 1);
        let b = p.ranges[j + 1].0;
        match variant {
            // Range j grows into j + 1: overlap at host j + 1, bucket b.
            0 => {
                r[j].2 += 1;
                let error = assert_red_dynamic(&fleet_of(p.total, &r, seed).build())?;
                assert_overlap(&error, &name(j + 1), b)?;
            }
            // Range j + 1 grows into j: overlap at host j + 1, bucket b - 1.
            1 => {
                r[j + 1].1 -= 1;
                let error = assert_red_dynamic(&fleet_of(p.total, &r, seed).build())?;
                assert_overlap(&error, &name(j + 1), b - 1)?;
            }
            // Range j shrinks: one-bucket gap b-1 before host j + 1.
            2 => {
                prop_assume!(len_of(j) >= 2);
                r[j].2 -= 1;
                let error = assert_red_dynamic(&fleet_of(p.total, &r, seed).build())?;
                assert_gap(&error, &format!("{}-{}", b - 1, b - 1), &name(j + 1))?;
            }
            // Range j + 1 shrinks: one-bucket gap b before host j + 1.
            3 => {
                prop_assume!(len_of(j + 1) >= 2);
                r[j + 1].1 += 1;
                let error = assert_red_dynamic(&fleet_of(p.total, &r, seed).build())?;
                assert_gap(&error, &format!("{b}-{b}"), &name(j + 1))?;
            }
            // The first range starts at 1: gap 0-0 before host 0.
            4 => {
                prop_assume!(len_of(0) >= 2);
                r[0].1 += 1;
                let error = assert_red_dynamic(&fleet_of(p.total, &r, seed).build())?;
                assert_gap(&error, "0-0", &name(0))?;
            }
            // The last range ends one early: trailing gap total-1.
            _ => {
                prop_assume!(len_of(n - 1) >= 2);
                r[n - 1].2 -= 1;
                let error = assert_red_dynamic(&fleet_of(p.total, &r, seed).build())?;
                let last = p.total - 1;
                assert_trailing_gap(&error, &format!("{last}-{last}"))?;
            }
        }
    }

    #[test]
    fn coverage_rule6_adding_an_out_of_range_host_is_red_invalid(
        p in partition(1),
        past_end in 0u32..500,
        width in any::<Index>(),
        reversed in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let (min, max) = if reversed {
            // bucket_min > bucket_max, both inside 0..total.
            let max = width.index(p.total as usize - 1) as u32;
            (max + 1 + (past_end % (p.total - 1 - max)), max)
        } else {
            // bucket_max >= bucket_total.
            let max = (p.total + past_end).min(u32::from(u16::MAX));
            (width.index(max as usize + 1) as u32, max)
        };
        let (min, max) = (to_u16(min), to_u16(max));
        let mut hosts = indexed(&p);
        hosts.push((999, min, max));
        let snap = fleet_of(p.total, &hosts, seed).build();
        let error = assert_red_dynamic(&snap)?;
        let lower = error.to_lowercase();
        prop_assert!(lower.contains("invalid"), "expected an invalid range: {:?}", error);
        prop_assert!(error.contains(&name(999)), "names the host: {:?}", error);
        prop_assert!(error.contains(&format!("{min}-{max}")), "names the range {}-{}: {:?}", min, max, error);
        prop_assert!(error.contains(&p.total.to_string()), "names the total: {:?}", error);
    }

    #[test]
    fn coverage_rule7_any_non_active_host_is_red_naming_it(p in partition(1), which in any::<Index>(), seed in any::<u64>()) {
        let i = which.index(p.ranges.len());
        let mut snap_fleet = fleet_of(p.total, &indexed(&p), seed);
        let target = name(i);
        if let Ok(hosts) = snap_fleet.input.hosts.as_mut() {
            for h in hosts.iter_mut().filter(|h| h.host_id == target) {
                h.status = "draining".into();
            }
        }
        let error = assert_red_dynamic(&snap_fleet.build())?;
        prop_assert!(error.contains(&target), "names {}: {:?}", target, error);
    }

    #[test]
    fn coverage_rule8_any_stale_host_is_red_naming_it(p in partition(1), which in any::<Index>(), seed in any::<u64>()) {
        let i = which.index(p.ranges.len());
        let mut snap_fleet = fleet_of(p.total, &indexed(&p), seed);
        let target = name(i);
        if let Ok(hosts) = snap_fleet.input.hosts.as_mut() {
            for h in hosts.iter_mut().filter(|h| h.host_id == target) {
                h.last_heartbeat = secs_ago(GRACE_SECS + 1);
            }
        }
        let error = assert_red_dynamic(&snap_fleet.build())?;
        prop_assert!(error.contains(&target), "names {}: {:?}", target, error);
    }
}

#[test]
fn coverage_rule5_removing_the_only_range_leaves_no_host_rows() {
    let snap = fleet_of(1000, &[], 0).proc(monitor("m1")).build();
    assert_eq!(snap.bucket_coverage.status, Status::Amber);
    assert_spec_text(coverage_error(&snap), spec_text::NO_HOST_ROWS_ERROR);
}
