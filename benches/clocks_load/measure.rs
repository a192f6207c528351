//! What a run measures beside the scheduler's own timings: CPU time, memory, the database's
//! size, and what one wake-up of the idle loop costs.

use crate::support::{Backend, Db, MachineTicks, stat};
use chrono::{Duration, Utc};
use std::sync::Arc;
use std::time::Instant;
use tocsin::store::Store;

impl Db {
    /// Bytes on disk: the SQLite file with its WAL, or `pg_database_size`.
    pub async fn size_on_disk(&self) -> anyhow::Result<u64> {
        if let Some(dir) = &self.dir {
            let mut total = 0;
            for entry in std::fs::read_dir(dir.path())? {
                total += entry?.metadata()?.len();
            }
            return Ok(total);
        }
        let pool = sqlx::PgPool::connect(&self.url).await?;
        let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&pool).await?;
        pool.close().await;
        Ok(size as u64)
    }

    /// Gathers the planner's statistics on Postgres; `None` on SQLite.
    pub async fn analyze(&self) -> anyhow::Result<Option<std::time::Duration>> {
        if self.pg.is_none() {
            return Ok(None);
        }
        let started = Instant::now();
        let pool = sqlx::PgPool::connect(&self.url).await?;
        sqlx::query("ANALYZE").execute(&pool).await?;
        pool.close().await;
        Ok(Some(started.elapsed()))
    }

    /// The database's name, as its Postgres backends show it in their command line.
    fn pg_name(&self) -> Option<&str> {
        self.pg.as_ref().map(|(_, name)| name.as_str())
    }
}

/// CPU ticks (1/100 s): this process, the Postgres backends serving the bench database, and
/// the whole machine.
pub struct Cpu {
    backend: Backend,
    process: u64,
    backends: u64,
    machine: MachineTicks,
}

impl Cpu {
    pub fn take(db: &Db) -> Cpu {
        let process = stat(std::path::Path::new("/proc/self/stat")).map_or(0, |(_, ticks)| ticks);
        let mut backends = 0;
        if let Some(name) = db.pg_name()
            && let Ok(procs) = std::fs::read_dir("/proc")
        {
            for p in procs.flatten() {
                let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
                if String::from_utf8_lossy(&cmdline).starts_with("postgres:")
                    && String::from_utf8_lossy(&cmdline).contains(name)
                {
                    backends += stat(&p.path().join("stat")).map_or(0, |(_, ticks)| ticks);
                }
            }
        }
        Cpu { backend: db.backend, process, backends, machine: MachineTicks::take() }
    }

    /// Ticks used since `self` was taken. A backend that exited meanwhile takes its ticks with
    /// it (the store's pools keep theirs open).
    pub fn since(&self, db: &Db) -> Cpu {
        let now = Cpu::take(db);
        Cpu {
            backend: self.backend,
            process: now.process.saturating_sub(self.process),
            backends: now.backends.saturating_sub(self.backends),
            machine: now.machine.since(self.machine),
        }
    }

    pub fn process(&self) -> String {
        format!("{:.2} s", self.process as f64 / 100.0)
    }

    pub fn backends(&self) -> String {
        match self.backend {
            Backend::Sqlite => "–".into(),
            Backend::Postgres => format!("{:.2} s", self.backends as f64 / 100.0),
        }
    }

    pub fn machine_busy_pct(&self) -> f64 {
        self.machine.busy_pct()
    }
}

/// This process's resident set (VmRSS), in kB.
pub fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// What one wake-up of the idle loop asks the store: a claim that finds nothing due, and the
/// time of the next due job. Median of five.
pub async fn wake_cost(store: &Arc<dyn Store>) -> anyhow::Result<String> {
    let mut claim = vec![];
    let mut next = vec![];
    for _ in 0..5 {
        let now = Utc::now();
        let t = Instant::now();
        let claimed = store.claim_jobs(now, now + Duration::seconds(60), 100).await?;
        claim.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(claimed.is_empty(), "a job was due during the idle phase");
        let t = Instant::now();
        store.next_job_due().await?;
        next.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    claim.sort_by(f64::total_cmp);
    next.sort_by(f64::total_cmp);
    Ok(format!("claim_jobs (nothing due) {:.2} ms, next_job_due {:.1} ms", claim[2], next[2]))
}

pub fn pct(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
