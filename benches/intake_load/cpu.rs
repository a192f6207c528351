//! CPU time by thread group while a run is measured.

use crate::support::{MachineTicks, stat};
use std::collections::BTreeMap;
use std::time::Duration;

/// CPU ticks (1/100 s) by thread group of this process, of Postgres' processes, and of the
/// whole machine.
#[derive(Default, Clone)]
pub struct CpuSnapshot {
    groups: BTreeMap<&'static str, u64>,
    machine: MachineTicks,
}

impl CpuSnapshot {
    pub fn take() -> CpuSnapshot {
        let mut snap = CpuSnapshot::default();
        if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
            for t in tasks.flatten() {
                if let Some((comm, ticks)) = stat(&t.path().join("stat")) {
                    let group = match comm.as_str() {
                        c if c.starts_with("tocsin-server") => "tocsin runtime",
                        c if c.starts_with("sqlx-sqlite") => "sqlx SQLite threads",
                        c if c.starts_with("load-client") => "load generator",
                        _ => "other threads",
                    };
                    *snap.groups.entry(group).or_insert(0) += ticks;
                }
            }
        }
        if let Ok(procs) = std::fs::read_dir("/proc") {
            for p in procs.flatten() {
                if let Some((comm, ticks)) = stat(&p.path().join("stat"))
                    && comm == "postgres"
                {
                    *snap.groups.entry("postgres processes").or_insert(0) += ticks;
                }
            }
        }
        snap.machine = MachineTicks::take();
        snap
    }

    pub fn since(&self) -> Cpu {
        let now = CpuSnapshot::take();
        let mut groups = BTreeMap::new();
        for (k, v) in &now.groups {
            groups.insert(*k, v.saturating_sub(self.groups.get(k).copied().unwrap_or(0)));
        }
        Cpu { groups, machine: now.machine.since(self.machine) }
    }
}

/// CPU ticks used between a `CpuSnapshot` and its `since`.
pub struct Cpu {
    groups: BTreeMap<&'static str, u64>,
    machine: MachineTicks,
}

impl Cpu {
    pub fn print(&self, measured: Duration) {
        let secs = |t: u64| t as f64 / 100.0;
        let parts: Vec<String> =
            self.groups.iter().filter(|(_, t)| **t > 0).map(|(k, t)| format!("{k} {:.1} s", secs(*t))).collect();
        let ours: u64 = self.groups.values().sum();
        println!(
            "CPU during the measured {} s (+ tail): {}; machine busy {:.0} % of all cores ({:.1} s of it not ours)",
            measured.as_secs(),
            parts.join(", "),
            self.machine.busy_pct(),
            (secs(self.machine.busy) - secs(ours)).max(0.0)
        );
    }
}
