//! The machine and CPU time, as /proc tells them.

/// Cores and CPU model, for the header of a bench's output.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!("{cores} cores, CPU {cpu}")
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// `(comm, utime + stime)` from a `/proc/.../stat` file; the time in ticks (1/100 s).
pub fn stat(path: &std::path::Path) -> Option<(String, u64)> {
    let s = std::fs::read_to_string(path).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s[open + 1..close].to_string();
    let fields: Vec<&str> = s[close + 1..].split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((comm, ticks))
}

/// CPU ticks (1/100 s) of the whole machine, all cores: busy and in all, from /proc/stat.
#[derive(Default, Clone, Copy)]
pub struct MachineTicks {
    pub busy: u64,
    pub total: u64,
}

impl MachineTicks {
    /// The counters now; zero where /proc/stat cannot be read.
    pub fn take() -> MachineTicks {
        let Ok(s) = std::fs::read_to_string("/proc/stat") else { return MachineTicks::default() };
        let Some(line) = s.lines().next() else { return MachineTicks::default() };
        let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
        let total: u64 = v.iter().take(8).sum();
        let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
        MachineTicks { busy: total - idle, total }
    }

    /// Ticks counted between `earlier` and `self`.
    pub fn since(self, earlier: MachineTicks) -> MachineTicks {
        MachineTicks { busy: self.busy.saturating_sub(earlier.busy), total: self.total.saturating_sub(earlier.total) }
    }

    /// How busy the machine was, in % of all cores.
    pub fn busy_pct(self) -> f64 {
        100.0 * self.busy as f64 / self.total.max(1) as f64
    }
}
