//! Running `wrk` (Debian package `wrk`) and reading its report.

use crate::Result;
use std::fmt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// One wrk run.
#[derive(Debug, Clone)]
pub struct WrkSpec<'a> {
    pub url: &'a str,
    pub threads: u32,
    pub connections: u32,
    pub duration: Duration,
    /// Request headers (`Name: value`), e.g. `Accept-Encoding: gzip`.
    pub headers: &'a [String],
}

/// What wrk reported (`--latency`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WrkReport {
    pub url: String,
    pub connections: u32,
    pub requests: u64,
    pub seconds: f64,
    pub requests_per_sec: f64,
    pub p50: Duration,
    pub p75: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub connect_errors: u64,
    pub read_errors: u64,
    pub write_errors: u64,
    pub timeouts: u64,
    pub non_2xx: u64,
    pub transfer_per_sec: String,
    /// CPU seconds wrk itself used.
    pub cpu: f64,
}

impl WrkReport {
    /// Bytes per response on the wire (headers and body, as wrk read
    /// them): its Transfer/sec over its Requests/sec.
    pub fn bytes_per_response(&self) -> Option<f64> {
        let text = self.transfer_per_sec.trim();
        let (number, scale) = [
            ("GB", 1024.0 * 1024.0 * 1024.0),
            ("MB", 1024.0 * 1024.0),
            ("KB", 1024.0),
            ("B", 1.0),
        ]
        .iter()
        .find_map(|(unit, scale)| text.strip_suffix(unit).map(|n| (n, *scale)))?;
        let per_sec: f64 = number.parse().ok()?;
        (self.requests_per_sec > 0.0).then(|| per_sec * scale / self.requests_per_sec)
    }

    /// Problems that mean the tooling, not the timing, is broken.
    pub fn tooling_errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.requests == 0 {
            errors.push(format!("{}: no request completed", self.url));
        }
        if self.non_2xx > 0 {
            errors.push(format!(
                "{}: {} non-2xx/3xx responses",
                self.url, self.non_2xx
            ));
        }
        if self.connect_errors > 0 {
            errors.push(format!(
                "{}: {} connect errors",
                self.url, self.connect_errors
            ));
        }
        errors
    }
}

impl fmt::Display for WrkReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::stats::ms;
        write!(
            f,
            "{:>9.0} req/s  p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}  ({} requests in {:.1} s, {}/s; \
             socket errors: connect {}, read {}, write {}, timeout {}; non-2xx {})",
            self.requests_per_sec,
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max),
            self.requests,
            self.seconds,
            self.transfer_per_sec,
            self.connect_errors,
            self.read_errors,
            self.write_errors,
            self.timeouts,
            self.non_2xx
        )
    }
}

/// Runs wrk and parses its report. Fails if wrk cannot run or exits
/// non-zero, or its report cannot be read.
pub async fn run(wrk: &Path, spec: &WrkSpec<'_>) -> Result<WrkReport> {
    let secs = spec.duration.as_secs().max(1);
    let child = Command::new(wrk)
        .arg(format!("-t{}", spec.threads.min(spec.connections).max(1)))
        .arg(format!("-c{}", spec.connections))
        .arg(format!("-d{secs}s"))
        .arg("--latency")
        .arg("--timeout")
        .arg("2s")
        .args(spec.headers.iter().flat_map(|h| ["-H", h.as_str()]))
        .arg(spec.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", wrk.display()))?;
    let pid = child.id();
    // wrk's own CPU time, sampled until it exits.
    let mut cpu = 0.0;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut finished = std::pin::pin!(child.wait_with_output());
    let output = loop {
        tokio::select! {
            output = &mut finished => break output?,
            _ = tick.tick() => {
                if let Some(c) = pid.and_then(crate::machine::process_cpu) {
                    cpu = c;
                }
            }
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "wrk {} failed ({}): {}{}",
            spec.url,
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let mut report = parse(&stdout).map_err(|e| format!("wrk {}: {e}:\n{stdout}", spec.url))?;
    report.url = spec.url.to_string();
    report.connections = spec.connections;
    report.cpu = cpu;
    Ok(report)
}

/// `12.5us`, `3.40ms`, `1.02s`, `2.00m` → Duration.
fn duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = text.strip_suffix('h') {
        (n, 3600.0)
    } else {
        return None;
    };
    let value: f64 = number.parse().ok()?;
    Some(Duration::from_secs_f64(value * scale))
}

fn parse(out: &str) -> Result<WrkReport, String> {
    let mut r = WrkReport::default();
    let mut saw_rps = false;
    for line in out.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Latency", _avg, _stdev, max, ..] => {
                r.max = duration(max).ok_or("bad latency max")?;
            }
            ["50%", v] => r.p50 = duration(v).ok_or("bad p50")?,
            ["75%", v] => r.p75 = duration(v).ok_or("bad p75")?,
            ["90%", v] => r.p90 = duration(v).ok_or("bad p90")?,
            ["99%", v] => r.p99 = duration(v).ok_or("bad p99")?,
            ["Requests/sec:", v] => {
                r.requests_per_sec = v.parse().map_err(|_| "bad Requests/sec")?;
                saw_rps = true;
            }
            ["Transfer/sec:", v] => r.transfer_per_sec = (*v).to_string(),
            [n, "requests", "in", secs, ..] => {
                r.requests = n.parse().map_err(|_| "bad request count")?;
                r.seconds = duration(secs.trim_end_matches(','))
                    .ok_or("bad run time")?
                    .as_secs_f64();
            }
            ["Socket", "errors:", ..] => {
                // Socket errors: connect 0, read 0, write 0, timeout 0
                let numbers: Vec<u64> = line
                    .split([',', ' '])
                    .filter_map(|w| w.parse().ok())
                    .collect();
                if let [c, rd, w, t] = numbers.as_slice() {
                    (r.connect_errors, r.read_errors, r.write_errors, r.timeouts) =
                        (*c, *rd, *w, *t);
                }
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => {
                r.non_2xx = n.parse().map_err(|_| "bad non-2xx count")?;
            }
            _ => {}
        }
    }
    if !saw_rps {
        return Err("no Requests/sec line".into());
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
Running 3s test @ http://127.0.0.1:8080/api/fleet
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    2.01ms  30.00ms   80.00%
    Req/Sec     3.00k   200.00     3.50k    70.00%
  Latency Distribution
     50%  812.00us
     75%    6.00ms
     90%    7.00ms
     99%   12.50ms
  18000 requests in 3.00s, 3.60GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:   6000.00
Transfer/sec:      1.20GB
";

    #[test]
    fn parses_a_latency_report() {
        let r = parse(SAMPLE).expect("parses");
        assert_eq!(r.requests, 18_000);
        assert!((r.seconds - 3.0).abs() < 1e-9);
        assert!((r.requests_per_sec - 6000.0).abs() < 1e-9);
        assert_eq!(r.p50, Duration::from_micros(812));
        assert_eq!(r.p99, Duration::from_micros(12_500));
        assert_eq!(r.max, Duration::from_millis(30));
        assert_eq!((r.connect_errors, r.read_errors, r.timeouts), (0, 2, 1));
        assert_eq!(r.non_2xx, 5);
        assert_eq!(r.transfer_per_sec, "1.20GB");
        assert_eq!(r.tooling_errors().len(), 1);
    }

    #[test]
    fn bytes_per_response_is_transfer_over_requests() {
        let report = WrkReport {
            requests_per_sec: 1000.0,
            transfer_per_sec: "12.00MB".to_owned(),
            ..WrkReport::default()
        };
        assert_eq!(
            report.bytes_per_response(),
            Some(12.0 * 1024.0 * 1024.0 / 1000.0)
        );
        let bytes = WrkReport {
            transfer_per_sec: "512.00B".to_owned(),
            ..report.clone()
        };
        assert_eq!(bytes.bytes_per_response(), Some(0.512));
        let none = WrkReport {
            transfer_per_sec: "fast".to_owned(),
            ..report
        };
        assert_eq!(none.bytes_per_response(), None);
    }

    #[test]
    fn a_report_without_totals_is_an_error() {
        assert!(parse("unable to connect to 127.0.0.1:1 Connection refused").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(duration("1.50s"), Some(Duration::from_millis(1500)));
        assert_eq!(duration("2.00m"), Some(Duration::from_secs(120)));
        assert_eq!(duration("x"), None);
    }
}
