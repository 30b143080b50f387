//! The fleet page render and the JSON serialisation of the snapshot at
//! production size (the fleet of `fleet-core/benches/rollup.rs`: 1,000
//! processes with 4–5 dependency entries each, 200 bucket hosts, both
//! delivery tables, drift with causes). `cargo bench -p fleetd --bench render`.
//!
//! fleetd renders the unfiltered page and serialises the JSON once per
//! snapshot; these are the costs of that once, and of a filtered page
//! (rendered per request).

#[path = "../../fleet-core/benches/common/large_fleet.rs"]
mod large_fleet;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fleetd::page::{self, PageContext, ProcessFilter};
use std::hint::black_box;

fn render(c: &mut Criterion) {
    let snapshot = fleet_core::build_snapshot(
        &large_fleet::input(),
        large_fleet::now(),
        &large_fleet::thresholds(),
    );
    let ctx = |filter| PageContext {
        snapshot: &snapshot,
        base_path: "",
        now: large_fleet::now(),
        stale: None,
        filter,
        history: &[],
        status_since: None,
        status_since_exact: false,
        timeline: &[],
        history_store: &fleetd::history::StoreState::MemoryOnly,
        host_dashboard: None,
    };
    let html = page::fleet_page(&ctx(&ProcessFilter::NONE)).into_string();
    let json = serde_json::to_vec(&snapshot).expect("the snapshot serialises");
    let filter = ProcessFilter::from_query("status=red").expect("a valid filter");

    let mut group = c.benchmark_group("render_1000_processes");
    group.throughput(Throughput::Bytes(html.len() as u64));
    group.bench_function("fleet_page", |b| {
        b.iter(|| page::fleet_page(black_box(&ctx(&ProcessFilter::NONE))).into_string())
    });
    group.bench_function("fleet_page_filtered_status_red", |b| {
        b.iter(|| page::fleet_page(black_box(&ctx(&filter))).into_string())
    });
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("snapshot_json", |b| {
        b.iter(|| serde_json::to_vec(black_box(&snapshot)).expect("serialises"))
    });
    group.finish();
    eprintln!(
        "page {} bytes, JSON {} bytes, {} processes",
        html.len(),
        json.len(),
        snapshot.processes.len()
    );
}

criterion_group!(benches, render);
criterion_main!(benches);
