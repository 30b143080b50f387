//! The full rollup (rows + now + thresholds → snapshot) at production size:
//! 1,000 processes with 4–5 dependency entries each, 200 bucket hosts, both
//! delivery tables, drift with causes. `cargo bench -p fleet-core --bench rollup`.

#[path = "common/large_fleet.rs"]
mod large_fleet;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn rollup(c: &mut Criterion) {
    let input = large_fleet::input();
    let now = large_fleet::now();
    let thresholds = large_fleet::thresholds();
    let snapshot = fleet_core::build_snapshot(&input, now, &thresholds);
    assert_eq!(snapshot.processes.len(), large_fleet::PROCESSES);
    assert_eq!(snapshot.bucket_coverage.hosts.len(), large_fleet::HOSTS);

    c.bench_function("rollup/1000_processes_200_hosts", |b| {
        b.iter(|| fleet_core::build_snapshot(black_box(&input), now, &thresholds))
    });
}

criterion_group!(benches, rollup);
criterion_main!(benches);
