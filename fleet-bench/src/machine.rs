//! What the machine is, and what a process uses (from /proc).

use std::fmt;

/// The machine the figures were taken on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_mib: u64,
    pub kernel: String,
}

impl Machine {
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_mib = kib_field(&meminfo, "MemTotal:").unwrap_or(0) / 1024;
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            memory_mib,
            kernel,
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} CPUs ({}), {} MiB memory, Linux {}",
            self.cpus, self.cpu_model, self.memory_mib, self.kernel
        )
    }
}

/// A `Name:   1234 kB` field of a /proc file, in KiB.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Peak and current resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rss {
    /// VmHWM: the peak resident set size.
    pub peak_kib: u64,
    /// VmRSS: the resident set size now.
    pub now_kib: u64,
}

impl Rss {
    pub fn of(pid: u32) -> Option<Rss> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        Some(Rss {
            peak_kib: kib_field(&status, "VmHWM:")?,
            now_kib: kib_field(&status, "VmRSS:")?,
        })
    }

    pub fn peak_mib(&self) -> f64 {
        self.peak_kib as f64 / 1024.0
    }
}

/// Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// CPU seconds used by one process so far (user + system), from
/// `/proc/PID/stat`.
pub fn process_cpu(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After ")": state(0) ppid(1) ... utime(11) stime(12).
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SEC)
}

/// The first process whose command name is one of `names`.
pub fn find_process(names: &[&str]) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let entry = entry.ok()?;
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(entry.path().join("comm")).ok()?;
        names.contains(&comm.trim()).then_some(pid)
    })
}

/// Busy CPU seconds of the whole machine so far (all CPUs; everything but
/// idle and iowait), from `/proc/stat`.
pub fn machine_busy_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let total: f64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4)?;
    Some((total - idle) / TICKS_PER_SEC)
}

/// Where the machine's CPU went during a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CpuUse {
    pub seconds: f64,
    pub machine_busy: f64,
    pub fleetd: f64,
    pub mariadb: f64,
    pub wrk: f64,
}

impl CpuUse {
    /// CPU seconds used by everything else on the machine (other builds,
    /// tests, services).
    pub fn others(&self) -> f64 {
        (self.machine_busy - self.fleetd - self.mariadb - self.wrk).max(0.0)
    }

    /// Whether other processes took a noticeable share (over 10%) of the
    /// machine: latency figures are then disturbed.
    pub fn disturbed(&self, cpus: usize) -> bool {
        self.others() > 0.10 * self.seconds * cpus as f64
    }
}

impl fmt::Display for CpuUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CPU-seconds in {:.1} s: fleetd {:.1}, wrk {:.1}, mariadbd {:.1}, other processes {:.1}",
            self.seconds,
            self.fleetd,
            self.wrk,
            self.mariadb,
            self.others()
        )
    }
}

/// A reading taken before a measurement, to compare with after it.
#[derive(Debug, Clone, Copy)]
pub struct CpuMark {
    at: std::time::Instant,
    busy: f64,
    fleetd: f64,
    mariadb: f64,
}

impl CpuMark {
    pub fn now(fleetd: u32) -> CpuMark {
        CpuMark {
            at: std::time::Instant::now(),
            busy: machine_busy_cpu().unwrap_or(0.0),
            fleetd: process_cpu(fleetd).unwrap_or(0.0),
            mariadb: mariadb_cpu(),
        }
    }

    /// Use since this mark; `wrk` is what the wrk runs reported.
    pub fn since(&self, fleetd: u32, wrk: f64) -> CpuUse {
        let later = CpuMark::now(fleetd);
        CpuUse {
            seconds: self.at.elapsed().as_secs_f64(),
            machine_busy: later.busy - self.busy,
            fleetd: later.fleetd - self.fleetd,
            mariadb: later.mariadb - self.mariadb,
            wrk,
        }
    }
}

fn mariadb_cpu() -> f64 {
    find_process(&["mariadbd", "mysqld"])
        .and_then(process_cpu)
        .unwrap_or(0.0)
}

/// Waits (at most `limit`) until other processes leave the machine nearly
/// idle: busy under 10% of all CPUs over one second. Returns whether it
/// became quiet.
pub async fn wait_until_quiet(limit: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    loop {
        let before = machine_busy_cpu().unwrap_or(0.0);
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let busy = machine_busy_cpu().unwrap_or(0.0) - before;
        if busy < 0.10 * cpus {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
    }
}

#[cfg(test)]
mod cpu_tests {
    use super::*;

    #[test]
    fn cpu_figures_of_this_machine_and_process() {
        assert!(machine_busy_cpu().is_some());
        assert!(process_cpu(std::process::id()).is_some());
        let cpu = CpuUse {
            seconds: 10.0,
            machine_busy: 12.0,
            fleetd: 5.0,
            mariadb: 1.0,
            wrk: 4.0,
        };
        assert!((cpu.others() - 2.0).abs() < 1e-9);
        assert!(!cpu.disturbed(2));
        assert!(CpuUse {
            machine_busy: 13.0,
            ..cpu
        }
        .disturbed(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kib_fields() {
        let text = "Name:\tfleetd\nVmHWM:\t   23456 kB\nVmRSS:\t   20000 kB\n";
        assert_eq!(kib_field(text, "VmHWM:"), Some(23_456));
        assert_eq!(kib_field(text, "VmRSS:"), Some(20_000));
        assert_eq!(kib_field(text, "VmSwap:"), None);
    }

    #[test]
    fn this_process_has_an_rss() {
        let rss = Rss::of(std::process::id()).expect("own /proc status");
        assert!(rss.peak_kib >= rss.now_kib && rss.now_kib > 0);
    }
}
