//! The status history store (issue 13): its size after 30 days of samples
//! at the default interval, and the cost of one write.
//! `cargo bench -p fleetd --bench history_store`.
//!
//! The 30 days are written as fleetd writes them: one transaction per
//! sample every 15 s (the default `history.sample_interval_sec`), the
//! hourly maintenance (retention 30 days, thinning to one sample a minute
//! after a day, the 64 MiB bound) run after each simulated hour. The fleet
//! is green most of the time, amber for a few minutes every few hours and
//! red for a quarter of an hour every other day, with a top issue of a
//! typical length whenever it is not green. The file's size is printed
//! after a WAL checkpoint; the benchmark then measures one more write
//! (one sample, one transaction) on that 30-day file.

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use fleetd::history::store::Store;
use fleetd::history::{HistoryConfig, Sample, SampleStatus, THIN_AFTER};
use std::hint::black_box;
use std::time::Instant;

const INTERVAL_SECS: i64 = 15;
const DAYS: i64 = 30;

fn status_at(second: i64) -> SampleStatus {
    let in_two_days = second % (2 * 86_400);
    let in_three_hours = second % (3 * 3600);
    if (50_000..50_900).contains(&in_two_days) {
        SampleStatus::Red
    } else if in_three_hours < 240 {
        SampleStatus::Amber
    } else {
        SampleStatus::Green
    }
}

fn sample(start: DateTime<Utc>, second: i64) -> Sample {
    let status = status_at(second);
    Sample {
        at: start + Duration::seconds(second),
        status,
        top_issue: match status {
            SampleStatus::Green => None,
            SampleStatus::Amber => {
                Some("mon-b:monitor dependency_health mysql=amber (latency 812 ms)".to_owned())
            }
            _ => Some("mon-a:monitor heartbeat stale age=700s (grace 600s)".to_owned()),
        },
        issue_count: usize::from(status != SampleStatus::Green),
    }
}

fn history_store(c: &mut Criterion) {
    let config = HistoryConfig::default();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("history.sqlite3");
    let mut store = Store::open(&path).expect("open");
    // The 30 days end now: the history opened below trims by the real clock.
    let start = Utc
        .timestamp_opt(Utc::now().timestamp() - DAYS * 86_400, 0)
        .single()
        .expect("time");
    let total = DAYS * 86_400 / INTERVAL_SECS;
    let began = Instant::now();
    let mut prev = None;
    for i in 0..total {
        let second = i * INTERVAL_SECS;
        let s = sample(start, second);
        let status = s.status;
        store
            .append(std::slice::from_ref(&s), prev)
            .expect("append");
        prev = Some(status);
        if (second + INTERVAL_SECS) % 3600 == 0 {
            store
                .maintain(s.at, config.retention, THIN_AFTER, config.max_bytes)
                .expect("maintain");
        }
    }
    let took = began.elapsed();
    store.checkpoint().expect("checkpoint");
    let file = std::fs::metadata(&path).expect("size").len();
    eprintln!(
        "30 days at {INTERVAL_SECS} s: {total} samples written in {:.1} s ({:.1} µs each, \
         maintenance included); {} rows kept; file {} bytes ({:.2} MiB), pages in use {} bytes",
        took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / total as f64,
        store.count().expect("count"),
        file,
        file as f64 / (1024.0 * 1024.0),
        store.used_bytes().expect("used")
    );

    // What `/fleet/history` reads and computes on this file (the report of
    // the whole retention period), once, timed.
    drop(store);
    let history = fleetd::history::History::open(
        HistoryConfig {
            path: Some(path.clone()),
            ..HistoryConfig::default()
        },
        std::sync::Arc::new(fleetd::stats::Stats::default()),
    );
    let end = start + Duration::seconds(DAYS * 86_400);
    let began = Instant::now();
    let report = history.report(end);
    eprintln!(
        "/fleet/history report of the 30 days: {:.1} ms ({} segments, {} days, {} transitions)",
        began.elapsed().as_secs_f64() * 1e3,
        report.segments.len(),
        report.days.len(),
        report.transitions.len()
    );
    drop(history);
    let mut store = Store::open(&path).expect("reopen");

    let mut second = DAYS * 86_400;
    c.bench_function("history_store_write_one_sample_30_day_file", |b| {
        b.iter(|| {
            second += INTERVAL_SECS;
            let s = sample(start, second);
            store
                .append(
                    black_box(std::slice::from_ref(&s)),
                    Some(SampleStatus::Green),
                )
                .expect("append");
        })
    });
}

criterion_group!(benches, history_store);
criterion_main!(benches);
