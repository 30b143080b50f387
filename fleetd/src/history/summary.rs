//! What the recorded samples say over a period: the status segments (the
//! page's timeline strip), the time spent red, amber and unknown per UTC
//! day, and the longest red spells (the `/fleet/history` page).
//!
//! Pure functions of the samples, the period and the longest gap a sample
//! may cover: no clock, no store. A sample's status holds until the next
//! sample, but for at most `max_gap`; beyond that nothing was recorded
//! (fleetd was down, or not yet started) and the time counts as
//! [`SampleStatus::Unknown`], like a failed build: gaps are shown, never
//! bridged.

use super::SampleStatus;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// One stretch of time with one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: SampleStatus,
}

impl Segment {
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
}

/// The time of each status within one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTotals {
    pub day: NaiveDate,
    pub green: Duration,
    pub amber: Duration,
    pub red: Duration,
    pub unknown: Duration,
}

impl DayTotals {
    fn new(day: NaiveDate) -> Self {
        DayTotals {
            day,
            green: Duration::zero(),
            amber: Duration::zero(),
            red: Duration::zero(),
            unknown: Duration::zero(),
        }
    }

    fn add(&mut self, status: SampleStatus, time: Duration) {
        let slot = match status {
            SampleStatus::Green => &mut self.green,
            SampleStatus::Amber => &mut self.amber,
            SampleStatus::Red => &mut self.red,
            SampleStatus::Unknown => &mut self.unknown,
        };
        *slot += time;
    }
}

/// The segments covering `[from, to)`, in order, adjacent ones of equal
/// status merged. `samples` are `(time, status)` in ascending time; the
/// last one before `from` (if given) decides the status at `from`.
/// Empty when `to <= from`.
pub fn segments(
    samples: &[(DateTime<Utc>, SampleStatus)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    max_gap: Duration,
) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    if to <= from {
        return out;
    }
    let mut push = |start: DateTime<Utc>, end: DateTime<Utc>, status: SampleStatus| {
        let (start, end) = (start.max(from), end.min(to));
        if end <= start {
            return;
        }
        match out.last_mut() {
            Some(last) if last.status == status && last.end == start => last.end = end,
            _ => out.push(Segment { start, end, status }),
        }
    };
    // Nothing recorded before the first sample.
    let first_at = samples.first().map_or(to, |(at, _)| *at);
    push(from, first_at, SampleStatus::Unknown);
    for (i, (at, status)) in samples.iter().enumerate() {
        let next = samples.get(i + 1).map_or(to, |(next, _)| *next);
        let held_until = next.min(*at + max_gap);
        push(*at, held_until, *status);
        push(held_until, next, SampleStatus::Unknown);
    }
    out
}

/// The time of each status per UTC day, oldest day first; a segment across
/// midnight is split.
pub fn per_day(segments: &[Segment]) -> Vec<DayTotals> {
    let mut days: Vec<DayTotals> = Vec::new();
    for segment in segments {
        let mut start = segment.start;
        while start < segment.end {
            let day = start.date_naive();
            let midnight = day
                .succ_opt()
                .and_then(|next| next.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
                .unwrap_or(segment.end);
            let end = segment.end.min(midnight);
            if days.last().is_none_or(|d| d.day != day) {
                days.push(DayTotals::new(day));
            }
            if let Some(totals) = days.last_mut() {
                totals.add(segment.status, end - start);
            }
            start = end;
        }
    }
    days
}

/// The `n` longest segments of `status`, longest first (the earlier first
/// among equals).
pub fn longest(segments: &[Segment], status: SampleStatus, n: usize) -> Vec<Segment> {
    let mut spells: Vec<Segment> = segments
        .iter()
        .filter(|s| s.status == status)
        .copied()
        .collect();
    spells.sort_by(|a, b| b.duration().cmp(&a.duration()).then(a.start.cmp(&b.start)));
    spells.truncate(n);
    spells
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use SampleStatus::{Amber, Green, Red, Unknown};

    /// Minutes after 2026-04-30 23:00 UTC (so 60 is the next midnight).
    fn t(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 30, 23, 0, 0)
            .single()
            .expect("valid time")
            + Duration::minutes(minute)
    }

    fn seg(start: i64, end: i64, status: SampleStatus) -> Segment {
        Segment {
            start: t(start),
            end: t(end),
            status,
        }
    }

    #[test]
    fn segments_table() {
        let gap = Duration::minutes(3);
        // (name, samples as (minute, status), from, to, expected)
        #[allow(clippy::type_complexity)]
        let cases: Vec<(&str, Vec<(i64, SampleStatus)>, i64, i64, Vec<Segment>)> = vec![
            (
                "no samples: all unknown",
                vec![],
                0,
                10,
                vec![seg(0, 10, Unknown)],
            ),
            ("empty period", vec![(0, Red)], 5, 5, vec![]),
            (
                "before the first sample is unknown",
                vec![(4, Green), (6, Green)],
                0,
                8,
                vec![seg(0, 4, Unknown), seg(4, 8, Green)],
            ),
            (
                "equal neighbours merge, changes split",
                vec![(0, Green), (1, Green), (2, Red), (3, Red), (4, Green)],
                0,
                5,
                vec![seg(0, 2, Green), seg(2, 4, Red), seg(4, 5, Green)],
            ),
            (
                "a gap longer than max_gap is unknown",
                vec![(0, Red), (10, Red)],
                0,
                12,
                vec![seg(0, 3, Red), seg(3, 10, Unknown), seg(10, 12, Red)],
            ),
            (
                "the last sample holds for max_gap at most",
                vec![(0, Amber)],
                0,
                10,
                vec![seg(0, 3, Amber), seg(3, 10, Unknown)],
            ),
            (
                "a sample before the period decides its start",
                vec![(-2, Red), (1, Green)],
                0,
                2,
                vec![seg(0, 1, Red), seg(1, 2, Green)],
            ),
            (
                "a failed build is unknown like a gap",
                vec![(0, Red), (1, Unknown), (2, Red)],
                0,
                3,
                vec![seg(0, 1, Red), seg(1, 2, Unknown), seg(2, 3, Red)],
            ),
        ];
        for (name, samples, from, to, expected) in cases {
            let samples: Vec<_> = samples.into_iter().map(|(m, s)| (t(m), s)).collect();
            assert_eq!(segments(&samples, t(from), t(to), gap), expected, "{name}");
        }
    }

    #[test]
    fn per_day_table() {
        let d = |day: u32| {
            NaiveDate::from_ymd_opt(2026, if day == 30 { 4 } else { 5 }, day).expect("date")
        };
        let m = Duration::minutes;
        // (name, segments, expected (day, green, amber, red, unknown) in minutes)
        #[allow(clippy::type_complexity)]
        let cases: Vec<(&str, Vec<Segment>, Vec<(NaiveDate, i64, i64, i64, i64)>)> = vec![
            ("nothing", vec![], vec![]),
            (
                "one day",
                vec![seg(0, 10, Green), seg(10, 25, Red), seg(25, 30, Amber)],
                vec![(d(30), 10, 5, 15, 0)],
            ),
            (
                "a red spell across midnight is split",
                vec![seg(50, 70, Red), seg(70, 75, Unknown)],
                vec![(d(30), 0, 0, 10, 0), (d(1), 0, 0, 10, 5)],
            ),
        ];
        for (name, segs, expected) in cases {
            let expected: Vec<DayTotals> = expected
                .into_iter()
                .map(|(day, g, a, r, u)| DayTotals {
                    day,
                    green: m(g),
                    amber: m(a),
                    red: m(r),
                    unknown: m(u),
                })
                .collect();
            assert_eq!(per_day(&segs), expected, "{name}");
        }
    }

    #[test]
    fn longest_table() {
        let segs = vec![
            seg(0, 5, Red),
            seg(5, 6, Green),
            seg(6, 20, Red),
            seg(20, 21, Amber),
            seg(21, 26, Red),
        ];
        let cases: Vec<(&str, SampleStatus, usize, Vec<Segment>)> = vec![
            (
                "longest first, earlier first among equals",
                Red,
                3,
                vec![seg(6, 20, Red), seg(0, 5, Red), seg(21, 26, Red)],
            ),
            ("truncated to n", Red, 1, vec![seg(6, 20, Red)]),
            ("none of that status", Unknown, 3, vec![]),
            ("another status", Amber, 3, vec![seg(20, 21, Amber)]),
        ];
        for (name, status, n, expected) in cases {
            assert_eq!(longest(&segs, status, n), expected, "{name}");
        }
    }
}
