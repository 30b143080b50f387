//! fleetd's own counters, read from its `/metrics` (OpenMetrics text): the
//! load benchmark counts snapshot builds, drift scans and reloads there.

use std::time::Duration;

/// The counters of one scrape.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FleetdCounters {
    /// Snapshot builds started, successful or not.
    pub builds: u64,
    pub build_failures: u64,
    /// Drift scans finished, successful or not.
    pub drift_scans: u64,
    pub drift_scan_failures: u64,
    /// Summed duration of the finished drift scans.
    pub drift_scan_time: Duration,
    /// Configuration reloads attempted.
    pub reloads: u64,
    pub reload_failures: u64,
}

impl FleetdCounters {
    /// Reads the counters from a `/metrics` body; names the first one
    /// missing (a fleetd that does not serve it cannot be measured).
    pub fn parse(text: &str) -> Result<FleetdCounters, String> {
        let count = |name: &str| value(text, name).map(|v| v as u64);
        Ok(FleetdCounters {
            builds: count("fleetd_snapshot_builds_total")?,
            build_failures: count("fleetd_snapshot_build_failures_total")?,
            drift_scans: count("fleetd_drift_scans_total")?,
            drift_scan_failures: count("fleetd_drift_scan_failures_total")?,
            drift_scan_time: Duration::from_secs_f64(
                value(text, "fleetd_drift_scan_duration_seconds_sum")?.max(0.0),
            ),
            reloads: count("fleetd_config_reloads_total")?,
            reload_failures: count("fleetd_config_reload_failures_total")?,
        })
    }

    /// Mean duration of the drift scans finished since `earlier`; zero
    /// when none finished.
    pub fn mean_drift_scan_since(&self, earlier: &FleetdCounters) -> Duration {
        let scans = self.drift_scans.saturating_sub(earlier.drift_scans);
        if scans == 0 {
            return Duration::ZERO;
        }
        self.drift_scan_time.saturating_sub(earlier.drift_scan_time) / scans as u32
    }
}

/// The value of the unlabelled sample `name`.
fn value(text: &str, name: &str) -> Result<f64, String> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (sample, rest) = line.split_once(' ')?;
            (sample == name).then(|| rest.split_whitespace().next())?
        })
        .ok_or_else(|| format!("fleetd's /metrics has no `{name}`"))?
        .parse()
        .map_err(|e| format!("fleetd's /metrics: `{name}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape fleetd serves (prometheus-client's OpenMetrics encoding).
    const SCRAPE: &str = "\
# HELP fleetd_snapshot_builds Snapshot builds started (each reads the database once).
# TYPE fleetd_snapshot_builds counter
fleetd_snapshot_builds_total 17
fleetd_snapshot_build_failures_total 2
fleetd_snapshot_build_duration_seconds_sum 0.5
fleetd_snapshot_build_duration_seconds_count 17
fleetd_drift_scans_total 4
fleetd_drift_scan_failures_total 1
fleetd_drift_scan_duration_seconds_sum 2.0
fleetd_drift_scan_duration_seconds_bucket{le=\"1.0\"} 3
fleetd_drift_scan_duration_seconds_count 4
fleetd_config_reloads_total 1
fleetd_config_reload_failures_total 0
fleetd_processes{type=\"monitor\",health=\"green\"} 4
# EOF
";

    #[test]
    fn counters_are_read_by_their_exact_sample_name() {
        let c = FleetdCounters::parse(SCRAPE).expect("parses");
        assert_eq!(
            c,
            FleetdCounters {
                builds: 17,
                build_failures: 2,
                drift_scans: 4,
                drift_scan_failures: 1,
                drift_scan_time: Duration::from_secs(2),
                reloads: 1,
                reload_failures: 0,
            }
        );
    }

    #[test]
    fn a_missing_counter_is_an_error_naming_it() {
        let without = SCRAPE.replace("fleetd_drift_scans_total 4\n", "");
        let err = FleetdCounters::parse(&without).expect_err("missing counter");
        assert!(err.contains("fleetd_drift_scans_total"), "{err}");
    }

    #[test]
    fn the_mean_drift_scan_covers_only_the_scans_since_the_earlier_read() {
        let earlier = FleetdCounters {
            drift_scans: 2,
            drift_scan_time: Duration::from_millis(500),
            ..FleetdCounters::default()
        };
        let later = FleetdCounters {
            drift_scans: 6,
            drift_scan_time: Duration::from_millis(2500),
            ..FleetdCounters::default()
        };
        assert_eq!(
            later.mean_drift_scan_since(&earlier),
            Duration::from_millis(500)
        );
        assert_eq!(earlier.mean_drift_scan_since(&earlier), Duration::ZERO);
    }
}
