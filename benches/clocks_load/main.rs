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

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tempfile::TempDir;
use tocsin::app::{App, Invocation, clocks, scheduler};
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::domain::{EventAction, Grade, NewCase, NewEvent};
use tocsin::i18n::I18n;
use tocsin::platform::Platform;
use tocsin::store::{CaseWrite, Commit, Store};

const BOT_TOML: &str = include_str!("../bot.toml");
/// Commits in flight at once while seeding: enough to fill the SQLite writer's batches and
/// Postgres' pool.
const IN_FLIGHT: usize = 64;
/// The longest a burst may take to drain before the run gives up on it.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

fn main() {
    let backends = std::env::var("CLOCKS_LOAD_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let knobs = Knobs {
        cases: env_usize("CLOCKS_LOAD_CASES", 100_000).max(1),
        idle_secs: env_usize("CLOCKS_LOAD_IDLE_SECS", 60) as u64,
        burst: env_usize("CLOCKS_LOAD_BURST", 1000).max(1),
        lead_secs: env_usize("CLOCKS_LOAD_LEAD_SECS", 10).max(1) as i64,
        analyze: env_usize("CLOCKS_LOAD_ANALYZE", 1) != 0,
        traffic_secs: env_usize("CLOCKS_LOAD_TRAFFIC_SECS", 30) as u64,
    };
    let admin = ["BENCH_DATABASE_URL", "TEST_DATABASE_URL"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
    machine();
    println!(
        "{} open cases, {} s idle, {} jobs due at once (set up {} s ahead)\n",
        knobs.cases, knobs.idle_secs, knobs.burst, knobs.lead_secs
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let mut rows = vec![];
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !backends.contains(backend.name()) {
            continue;
        }
        if backend == Backend::Postgres && admin.is_none() {
            println!("NOTICE: neither BENCH_DATABASE_URL nor TEST_DATABASE_URL is set: Postgres is skipped\n");
            continue;
        }
        println!("=== {} ===", backend.name());
        match runtime.block_on(run(backend, &knobs, admin.as_deref())) {
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
    let db = Db::fresh(backend, admin).await?;
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
        idle_cpu.backends(backend),
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
        traffic_cpu.backends(backend),
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
        burst_cpu.backends(backend)
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
        idle_cpu.backends(backend),
        traffic_cpu.process(),
        traffic_cpu.backends(backend),
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

/// The committed bot.toml with the leaders' and escalation chats on the console, and the
/// default clocks (I 10m/1h/24h, II 30m/4h/3d, III 1h/12h/7d, IV 4h/2d/14d; reminders at 50 %
/// and 80 %, escalation at 150 %).
fn config() -> Config {
    let anchor = "team_chat = \"ops\"\n";
    let text = BOT_TOML.replace(anchor, &format!("{anchor}leaders_chat = \"leads\"\nescalation_chat = \"hq\"\n"))
        + "\n[chats.leads]\nplatform = \"console\"\n\n[chats.hq]\nplatform = \"console\"\n";
    Config::parse(&text).unwrap_or_else(|e| panic!("the bench config is invalid:\n{e}"))
}

/// Alice (leader, console) types `text` in the team chat.
fn console(text: &str) -> Invocation {
    Invocation {
        platform: Platform::Console,
        user_id: "alice".into(),
        chat_id: "ops".into(),
        text: text.into(),
        topic: None,
        bot_username: None,
        dedup_key: None,
    }
}

/// Opens `n` cases the way `/new` commits them, `IN_FLIGHT` commits at a time; `case(i)` gives
/// the i-th one's grade and opening time. Returns how many were committed.
async fn seed(
    store: &Arc<dyn Store>,
    config: &Arc<Config>,
    n: usize,
    case: impl Fn(usize) -> (Grade, DateTime<Utc>),
) -> anyhow::Result<usize> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut committed = 0;
    for i in 0..n {
        if tasks.len() >= IN_FLIGHT
            && let Some(r) = tasks.join_next().await
        {
            r??;
            committed += 1;
        }
        let (grade, opened_at) = case(i);
        let (store, config) = (store.clone(), config.clone());
        tasks.spawn(async move {
            let title = format!("Water main burst on street {i}");
            let new = NewCase {
                team: config.teams[0].name.clone(),
                title: title.clone(),
                summary: None,
                source: "console:ops".into(),
                grade,
                owner: None,
                leader: Some("alice".into()),
                opened_by: "alice".into(),
                drill: false,
                opened_at,
            };
            let jobs = clocks::for_new(&config, &new, false);
            let event = NewEvent {
                actor: "alice".into(),
                action: EventAction::Opened,
                details: json!({ "title": title, "summary": null, "grade": grade.as_str(), "source": "console:ops" }),
                platform: "console".into(),
                at: opened_at,
            };
            let commit = Commit { events: vec![event], jobs, ..Commit::new(CaseWrite::Insert(new), opened_at) };
            store.commit(commit).await.map(|_| ())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
        committed += 1;
    }
    Ok(committed)
}

/// Waits until `n` clock jobs due at `due` are done; returns them.
async fn drained(store: &Arc<dyn Store>, due: DateTime<Utc>, n: usize) -> anyhow::Result<Vec<tocsin::store::Job>> {
    let started = Instant::now();
    loop {
        let done: Vec<_> = store
            .jobs_done_between(clocks::KIND, due, due + Duration::days(1))
            .await?
            .into_iter()
            .filter(|j| j.due == due)
            .collect();
        if done.len() >= n {
            return Ok(done);
        }
        if started.elapsed() > DRAIN_LIMIT {
            anyhow::bail!("only {} of {n} jobs were done after {DRAIN_LIMIT:?}", done.len());
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// What one wake-up of the idle loop asks the store: a claim that finds nothing due, and the
/// time of the next due job. Median of five.
async fn wake_cost(store: &Arc<dyn Store>) -> anyhow::Result<String> {
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

fn pct(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A ledger for one run: a temp dir's SQLite file, or a Postgres database dropped afterwards.
struct Db {
    url: String,
    dir: Option<TempDir>,
    pg: Option<(String, String)>,
}

static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Db {
    async fn fresh(backend: Backend, admin: Option<&str>) -> anyhow::Result<Db> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}/tocsin.db", dir.path().display());
                Ok(Db { url, dir: Some(dir), pg: None })
            }
            Backend::Postgres => {
                let admin = admin.ok_or_else(|| anyhow::anyhow!("no Postgres URL"))?;
                let name =
                    format!("tocsin_clocks_bench_{}_{}", std::process::id(), DB_COUNTER.fetch_add(1, Ordering::SeqCst));
                let pool = sqlx::PgPool::connect(admin).await?;
                let created = sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await;
                pool.close().await;
                created?;
                Ok(Db { url: with_database(admin, &name), dir: None, pg: Some((admin.to_string(), name)) })
            }
        }
    }

    /// Bytes on disk: the SQLite file with its WAL, or `pg_database_size`.
    async fn size_on_disk(&self) -> anyhow::Result<u64> {
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
    async fn analyze(&self) -> anyhow::Result<Option<std::time::Duration>> {
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

    async fn remove(mut self) {
        if let Some((admin, name)) = self.pg.take() {
            drop_pg(&admin, &name).await;
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else { return };
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(drop_pg(&admin, &name));
        })
        .join();
    }
}

async fn drop_pg(admin: &str, name: &str) {
    if let Ok(pool) = sqlx::PgPool::connect(admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await;
        pool.close().await;
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

/// CPU ticks (1/100 s): this process, the Postgres backends serving the bench database, and
/// the whole machine.
struct Cpu {
    process: u64,
    backends: u64,
    machine_busy: u64,
    machine_total: u64,
}

impl Cpu {
    fn take(db: &Db) -> Cpu {
        let process = stat_ticks(std::path::Path::new("/proc/self/stat")).unwrap_or(0);
        let mut backends = 0;
        if let Some(name) = db.pg_name()
            && let Ok(procs) = std::fs::read_dir("/proc")
        {
            for p in procs.flatten() {
                let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
                if String::from_utf8_lossy(&cmdline).starts_with("postgres:")
                    && String::from_utf8_lossy(&cmdline).contains(name)
                {
                    backends += stat_ticks(&p.path().join("stat")).unwrap_or(0);
                }
            }
        }
        let (machine_busy, machine_total) = machine_ticks();
        Cpu { process, backends, machine_busy, machine_total }
    }

    /// Ticks used since `self` was taken. A backend that exited meanwhile takes its ticks with
    /// it (the store's pools keep theirs open).
    fn since(&self, db: &Db) -> Cpu {
        let now = Cpu::take(db);
        Cpu {
            process: now.process.saturating_sub(self.process),
            backends: now.backends.saturating_sub(self.backends),
            machine_busy: now.machine_busy.saturating_sub(self.machine_busy),
            machine_total: now.machine_total.saturating_sub(self.machine_total),
        }
    }

    fn process(&self) -> String {
        format!("{:.2} s", self.process as f64 / 100.0)
    }

    fn backends(&self, backend: Backend) -> String {
        match backend {
            Backend::Sqlite => "–".into(),
            Backend::Postgres => format!("{:.2} s", self.backends as f64 / 100.0),
        }
    }

    fn machine_busy_pct(&self) -> f64 {
        100.0 * self.machine_busy as f64 / self.machine_total.max(1) as f64
    }
}

/// utime + stime from a `/proc/.../stat` file.
fn stat_ticks(path: &std::path::Path) -> Option<u64> {
    let s = std::fs::read_to_string(path).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let fields: Vec<&str> = s[s.rfind(')')? + 2..].split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn machine_ticks() -> (u64, u64) {
    let Ok(s) = std::fs::read_to_string("/proc/stat") else { return (0, 0) };
    let Some(line) = s.lines().next() else { return (0, 0) };
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!("machine: {cores} cores, CPU {cpu}, load average {}", loadavg());
}

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}
