//! Throughput and latency of a run, from its samples.

use crate::load::{Sample, Timing};
use std::collections::BTreeMap;

pub struct Stats {
    count: usize,
    pub rps: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub non_202: usize,
    statuses: BTreeMap<u16, usize>,
}

impl Stats {
    /// Requests started in the measured period; throughput over that period (plus the tail of
    /// the last answers).
    pub fn of(samples: &[Sample], timing: Timing) -> Stats {
        let from = timing.warmup.as_micros() as u64;
        let mut lat: Vec<u64> = Vec::new();
        let mut statuses = BTreeMap::new();
        let mut last_end = from;
        for s in samples.iter().filter(|s| s.start_us >= from) {
            lat.push(s.latency_us);
            *statuses.entry(s.status).or_insert(0) += 1;
            last_end = last_end.max(s.start_us + s.latency_us);
        }
        lat.sort_unstable();
        let pct = |p: f64| {
            if lat.is_empty() { f64::NAN } else { lat[((lat.len() - 1) as f64 * p).round() as usize] as f64 / 1e3 }
        };
        let elapsed = ((last_end - from) as f64 / 1e6).max(timing.measured.as_secs_f64());
        let ok = statuses.iter().filter(|(s, _)| **s == 202 || **s == 200).map(|(_, n)| n).sum::<usize>();
        Stats {
            count: lat.len(),
            rps: lat.len() as f64 / elapsed,
            p50: pct(0.50),
            p90: pct(0.90),
            p99: pct(0.99),
            max: pct(1.0),
            non_202: lat.len() - ok,
            statuses,
        }
    }

    pub fn print(&self) {
        println!(
            "{} requests: {:.0} req/s; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; statuses {:?}",
            self.count, self.rps, self.p50, self.p90, self.p99, self.max, self.statuses
        );
        if self.non_202 > 0 {
            println!("!! {} requests were not answered 202", self.non_202);
        }
    }
}

/// Requests completed in each second since the start of the warm-up.
pub fn timeline(samples: &[Sample], timing: Timing) -> Vec<u64> {
    let secs = (timing.warmup + timing.measured).as_secs() as usize;
    let mut per = vec![0u64; secs];
    for s in samples {
        let done = ((s.start_us + s.latency_us) / 1_000_000) as usize;
        if let Some(slot) = per.get_mut(done) {
            *slot += 1;
        }
    }
    per
}
