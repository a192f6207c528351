//! Response clocks under load: a ledger of 100,000 open cases, each with its pending clock
//! jobs, and the real scheduler loop (`tocsin::app::scheduler::run`, system clock) over it.
//!
//! For each backend, on a fresh ledger (SQLite: a file in a temp dir; Postgres: a fresh
//! database on the server `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` names, dropped after):
//!
//! 1. **Setup.** N cases are opened with the commit `/new` makes (the case, its `opened`
//!    event and the jobs `app::clocks::for_new` computes: the first reminder of each of its
//!    three clocks), many commits in flight at once. Their announcements are left out of the
//!    outbox (they would have been delivered long ago). The cases are grades II–IV, opened
//!    during the last two minutes, so the earliest job (grade II's 50 % acknowledge reminder,
//!    15 min after opening) is 13 minutes or more away: nothing falls due during the run.
//!    Grade I's first reminder comes 5 minutes after opening, which a slow setup could reach.
//! 2. **Idle.** The scheduler loop runs with nothing due for `CLOCKS_LOAD_IDLE_SECS`. Reported:
//!    this process's CPU time (utime + stime from /proc/self/stat) over that period, the CPU of
//!    the Postgres backends serving the bench database (found by the database name in their
//!    command line), RSS (VmRSS) before and after, the database's size on disk, and what one
//!    wake-up of the loop costs (its two queries, timed alone).
//! 3. **Light traffic.** Then one `/new` a second through `App::handle` for
//!    `CLOCKS_LOAD_TRAFFIC_SECS`: each commit wakes the loop (as in production), which runs what
//!    is due (nothing) and asks for the next due job again. Reported: CPU over that period.
//! 4. **Burst.** `CLOCKS_LOAD_BURST` grade I cases are opened as if 5 minutes before a moment T
//!    a few seconds ahead (T a whole second), so each one's 50 % acknowledge reminder is due at
//!    exactly T; the commits are in before T, and the loop is signalled as `App::handle` does
//!    after a commit. The loop runs them as it does in production. Per job, lateness is its
//!    `done_ms` − T: `done_ms` is the time the scheduler took for the decision, just before it
//!    read the case and committed the reminder with the job marked done, so the commit itself
//!    lands one job's work (≈ drain ÷ jobs) later. Reported: p50 / p99 / max lateness, the
//!    time to drain (last `done_ms` − T), and the loop's CPU over the burst.
//!
//! On Postgres the setup ends with `ANALYZE`, as autovacuum would do after such a load: without
//! statistics the planner reads all pending jobs through `jobs_due` for the per-case withdrawal
//! each job's commit makes (≈ 30 ms a job at 300,000 pending). `CLOCKS_LOAD_ANALYZE=0` skips it,
//! which shows a server where autovacuum is off (as on the machine in BENCHMARKS.md) or has not
//! run yet.
//!
//! Run with `cargo bench --bench clocks_load`. Knobs: `CLOCKS_LOAD_BACKENDS` (default
//! `sqlite,postgres`), `CLOCKS_LOAD_CASES` (open cases, default 100000), `CLOCKS_LOAD_IDLE_SECS`
//! (default 60), `CLOCKS_LOAD_BURST` (jobs due at once, default 1000), `CLOCKS_LOAD_LEAD_SECS`
//! (how far ahead T is when the burst is set up, default 10), `CLOCKS_LOAD_ANALYZE` (default 1),
//! `CLOCKS_LOAD_TRAFFIC_SECS` (default 30; 0 skips it).
//! Results go to BENCHMARKS.md by hand; nothing here asserts anything.

#[path = "../support/mod.rs"]
mod support;

mod cases;
mod measure;

use cases::{config, console, drained, seed};
use chrono::{Duration, DurationRound, Utc};
use measure::{Cpu, pct, rss_kb, wake_cost};
use std::sync::Arc;
use std::time::Instant;
use support::{Backend, Backends, Db, env_num, loadavg};
use tocsin::app::{App, scheduler};
use tocsin::clock::SystemClock;
use tocsin::domain::Grade;
use tocsin::i18n::I18n;

/// The Postgres databases of this bench are `tocsin_clocks_bench_<pid>_<n>`.
const DB_PREFIX: &str = "tocsin_clocks_bench";

fn main() {
    let backends = Backends::from_env("CLOCKS_LOAD_BACKENDS");
    let knobs = Knobs {
        cases: env_num("CLOCKS_LOAD_CASES", 100_000usize).max(1),
        idle_secs: env_num("CLOCKS_LOAD_IDLE_SECS", 60usize) as u64,
        burst: env_num("CLOCKS_LOAD_BURST", 1000usize).max(1),
        lead_secs: env_num("CLOCKS_LOAD_LEAD_SECS", 10usize).max(1) as i64,
        analyze: env_num("CLOCKS_LOAD_ANALYZE", 1usize) != 0,
        traffic_secs: env_num("CLOCKS_LOAD_TRAFFIC_SECS", 30usize) as u64,
    };
    println!("machine: {}, load average {}", support::machine(), loadavg());
    println!(
        "{} open cases, {} s idle, {} jobs due at once (set up {} s ahead)\n",
        knobs.cases, knobs.idle_secs, knobs.burst, knobs.lead_secs
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let mut rows = vec![];
    for backend in Backend::ALL {
        if !backends.start(backend) {
            continue;
        }
        match runtime.block_on(run(backend, &knobs, backends.admin())) {
            Ok(row) => rows.push(row),
            Err(e) => println!("{} failed: {e:#}\n", backend.name()),
        }
    }
    println!("=== summary ===");
    println!(
        "| backend | setup | idle CPU (this process) | idle CPU (Postgres backends) | CPU with one /new a second | RSS idle start → end → after burst | on disk | burst p50 | p99 | max | drain |"
    );
    println!("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
    println!("\nload average at the end: {}", loadavg());
}

struct Knobs {
    cases: usize,
    idle_secs: u64,
    burst: usize,
    lead_secs: i64,
    analyze: bool,
    traffic_secs: u64,
}

/// One backend's figures, as a row of the summary table.
struct Row(String);

impl std::fmt::Display for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

async fn run(backend: Backend, knobs: &Knobs, admin: Option<&str>) -> anyhow::Result<Row> {
    let db = Db::fresh(backend, admin, DB_PREFIX).await?;
    let store = tocsin::store::connect(&db.url).await?;
    store.migrate().await?;
    let config = Arc::new(config());

    // 1. Setup.
    println!("load average before setup: {}", loadavg());
    let t0 = Utc::now();
    let started = Instant::now();
    let seeded = seed(&store, &config, knobs.cases, |i| {
        let grade = [Grade::II, Grade::III, Grade::IV][i % 3];
        (grade, t0 - Duration::milliseconds((i as i64 * 7_919) % 120_000))
    })
    .await?;
    let setup = started.elapsed();
    println!(
        "setup: {seeded} cases, {} pending jobs, in {:.1} s ({:.0} cases/s)",
        seeded * 3,
        setup.as_secs_f64(),
        seeded as f64 / setup.as_secs_f64()
    );
    if knobs.analyze
        && let Some(took) = db.analyze().await?
    {
        println!("ANALYZE (what autovacuum would do after such a load) took {:.1} s", took.as_secs_f64());
    }
    let first_due = store.next_job_due().await?.expect("the seeded jobs are pending");
    println!("the earliest pending job is due in {:.0} s", (first_due - Utc::now()).num_seconds());

    // 2. Idle.
    let app = Arc::new(App::new(store.clone(), config.clone(), Arc::new(I18n::new()?), Arc::new(SystemClock)));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let cost = wake_cost(&store).await?;
    println!("one wake-up of the loop, its queries timed alone: {cost}");
    println!("load average before idle: {}", loadavg());
    let rss_before = rss_kb();
    let cpu = Cpu::take(&db);
    let looping = tokio::spawn(scheduler::run(app.clone(), stopped));
    tokio::time::sleep(std::time::Duration::from_secs(knobs.idle_secs)).await;
    let idle_cpu = cpu.since(&db);
    let rss_idle = rss_kb();
    let size = db.size_on_disk().await?;
    println!(
        "idle {} s: CPU this process {}, Postgres backends of this database {}, machine busy {:.0} %; \
         RSS {} → {} MB; on disk {:.1} MB",
        knobs.idle_secs,
        idle_cpu.process(),
        idle_cpu.backends(),
        idle_cpu.machine_busy_pct(),
        rss_before / 1024,
        rss_idle / 1024,
        size as f64 / 1e6
    );

    // 3. Light traffic: every commit `App::handle` makes wakes the loop, which then runs what
    // is due and looks for the next due job again.
    let cpu = Cpu::take(&db);
    for i in 0..knobs.traffic_secs {
        let started = Instant::now();
        let said = app.handle(&console(&format!("/new Pothole on street {i}"))).await;
        anyhow::ensure!(said.committed, "/new did not commit: {said:?}");
        tokio::time::sleep(std::time::Duration::from_secs(1).saturating_sub(started.elapsed())).await;
    }
    let traffic_cpu = cpu.since(&db);
    println!(
        "one /new a second for {} s: CPU this process {}, Postgres backends {}, machine busy {:.0} %",
        knobs.traffic_secs,
        traffic_cpu.process(),
        traffic_cpu.backends(),
        traffic_cpu.machine_busy_pct()
    );

    // 4. Burst.
    println!("load average before burst: {}", loadavg());
    let due = (Utc::now() + Duration::seconds(knobs.lead_secs)).duration_trunc(Duration::seconds(1))?;
    let opened = due - config.clocks.base(Grade::I, tocsin::domain::ClockKind::Acknowledge) / 2;
    let cpu = Cpu::take(&db);
    let set_up = Instant::now();
    seed(&store, &config, knobs.burst, |_| (Grade::I, opened)).await?;
    app.jobs_signal().notify_one();
    let margin = due - Utc::now();
    println!(
        "burst: {} cases set up in {:.2} s, {:.2} s before their reminders fall due",
        knobs.burst,
        set_up.elapsed().as_secs_f64(),
        margin.num_milliseconds() as f64 / 1000.0
    );
    let done = drained(&store, due, knobs.burst).await?;
    let burst_cpu = cpu.since(&db);
    let rss_after = rss_kb();
    stop.send(true)?;
    looping.await?;
    let mut late: Vec<i64> = done.iter().map(|j| (j.done_at.expect("done") - due).num_milliseconds()).collect();
    late.sort_unstable();
    let (p50, p99, max) = (pct(&late, 50.0), pct(&late, 99.0), *late.last().unwrap_or(&0));
    println!(
        "burst: {} jobs, lateness p50 {} ms, p99 {} ms, max {} ms (first {} ms; {:.2} ms a job); \
         CPU this process {}, Postgres backends {}",
        late.len(),
        p50,
        p99,
        max,
        late.first().unwrap_or(&0),
        max as f64 / late.len().max(1) as f64,
        burst_cpu.process(),
        burst_cpu.backends()
    );
    println!(
        "{} target p99 ≤ 1 s; RSS after burst {} MB; load average {}\n",
        if p99 <= 1000 { "meets the" } else { "misses the" },
        rss_after / 1024,
        loadavg()
    );
    let row = Row(format!(
        "| {} | {:.0} s | {} / {} s | {} | {} (+ {} Postgres) / {} s | {} → {} → {} MB | {:.0} MB | {} ms | {} ms | {} ms | {:.2} s |",
        backend.name(),
        setup.as_secs_f64(),
        idle_cpu.process(),
        knobs.idle_secs,
        idle_cpu.backends(),
        traffic_cpu.process(),
        traffic_cpu.backends(),
        knobs.traffic_secs,
        rss_before / 1024,
        rss_idle / 1024,
        rss_after / 1024,
        size as f64 / 1e6,
        p50,
        p99,
        max,
        max as f64 / 1000.0
    ));
    drop(app);
    drop(store);
    db.remove().await;
    Ok(row)
}
