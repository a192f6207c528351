//! Where the time goes: the store alone, without HTTP and analysis (commit only, and story scan +
//! commit as the pipeline does), what SQLite's `synchronous` setting costs, and the story lookup's
//! plan and narrower forms of it.

use crate::cpu::Cpu;
use crate::load::{Sample, Timing, gather};
use crate::prepared::{Prepared, prepare, raw_commit};
use crate::stats::{Stats, timeline};
use crate::support::{Backend, Db, loadavg};
use crate::{DB_PREFIX, MAX_PER_TASK, server_runtime};
use chrono::Utc;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tocsin::text::{Analyzer, Rules};

type Op = Arc<dyn Fn(usize) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// `tasks` closed loops calling `op(k)` (k = a task's iteration, interleaved across tasks) for
/// warm-up + measured time, on `rt`; every call's latency, and the CPU time while measuring.
fn timed(rt: &tokio::runtime::Runtime, tasks: usize, t: Timing, op: Op) -> (Vec<Sample>, Cpu) {
    let t0 = Instant::now();
    let end = t0 + t.warmup + t.measured;
    let cpu_from = t0 + t.warmup;
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|i| {
                let op = op.clone();
                tokio::spawn(async move {
                    let mut samples = Vec::with_capacity(4096);
                    let mut k = i;
                    while samples.len() < MAX_PER_TASK && Instant::now() < end {
                        let started = Instant::now();
                        let ok = op(k).await;
                        k += tasks;
                        samples.push(Sample {
                            start_us: started.duration_since(t0).as_micros() as u64,
                            latency_us: started.elapsed().as_micros() as u64,
                            status: if ok { 202 } else { 500 },
                        });
                    }
                    samples
                })
            })
            .collect();
        gather(handles, cpu_from, "a store task").await
    })
}

const SHORT: Timing = Timing { warmup: Duration::from_secs(1), measured: Duration::from_secs(3) };

/// Commits exactly as the pipeline opens a case (case, event, notice, signal in one
/// transaction), first alone, then preceded by `Store::story_signals` as the pipeline does.
pub fn store_only(
    backend: Backend,
    admin: Option<&str>,
    analyzer: &Analyzer,
    rules: &Rules,
    clients: &[usize],
    timing: Timing,
) {
    let prepared: Arc<Vec<Prepared>> = Arc::new((0..2000).map(|seed| prepare(seed, analyzer, rules)).collect());
    let most = clients.iter().copied().max().unwrap_or(64);
    let mut variants: Vec<(usize, bool)> = vec![(1, false)];
    variants.extend(clients.iter().map(|&c| (c, false)));
    variants.push((most, true));
    for (c, with_scan) in variants {
        let rt = server_runtime();
        let db = match rt.block_on(Db::fresh(backend, admin, DB_PREFIX)) {
            Ok(db) => db,
            Err(e) => {
                println!("{}: no database ({e}); store-only run skipped", backend.name());
                return;
            }
        };
        let store = rt.block_on(async {
            let store = tocsin::store::connect(&db.url).await.expect("connect");
            store.migrate().await.expect("migrate");
            store
        });
        let what = if with_scan { "story_signals + commit" } else { "commit only" };
        let t = if with_scan { timing } else { SHORT };
        let (s, p) = (store.clone(), prepared.clone());
        let op: Op = Arc::new(move |k| {
            let (store, p) = (s.clone(), p.clone());
            Box::pin(async move {
                let mut ok = true;
                if with_scan {
                    ok &= store.story_hashes(Utc::now() - chrono::Duration::hours(1), None).await.is_ok();
                }
                ok && store.commit(p[k % p.len()].commit()).await.is_ok()
            })
        });
        let (samples, cpu) = timed(&rt, c, t, op);
        println!("\n--- {} store only, {what}, {c} tasks (load average {}) ---", backend.name(), loadavg());
        Stats::of(&samples, t).print();
        if with_scan {
            println!("completed per second, warm-up included: {:?}", timeline(&samples, t));
        }
        cpu.print(t.measured);
        drop(store);
        rt.shutdown_timeout(Duration::from_secs(5));
        let cleanup = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        cleanup.block_on(db.remove());
    }
    if backend == Backend::Sqlite {
        sqlite_synchronous(&prepared);
    }
}

/// tocsin opens SQLite with `synchronous = NORMAL` (src/store/sqlite.rs): in WAL mode a commit
/// is then not fsynced, so it survives a crash of tocsin but not of the machine. The same
/// four-insert transaction through a pool of its own (4 connections, `BEGIN IMMEDIATE`, as
/// tocsin's), at NORMAL and at FULL (an fsync per commit), shows what durability costs here.
fn sqlite_synchronous(prepared: &Arc<Vec<Prepared>>) {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
    use std::str::FromStr;
    for (label, sync) in [("NORMAL", SqliteSynchronous::Normal), ("FULL", SqliteSynchronous::Full)] {
        for c in [1, 16] {
            let rt = server_runtime();
            let db = rt.block_on(Db::fresh(Backend::Sqlite, None, DB_PREFIX)).expect("a temp dir");
            let pool = rt.block_on(async {
                let store = tocsin::store::connect(&db.url).await.expect("connect");
                store.migrate().await.expect("migrate");
                drop(store);
                let options = SqliteConnectOptions::from_str(&db.url)
                    .expect("a SQLite URL")
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(sync)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true);
                SqlitePoolOptions::new().max_connections(4).connect_with(options).await.expect("a pool")
            });
            let (pool2, p) = (pool.clone(), prepared.clone());
            let op: Op = Arc::new(move |k| {
                let (pool, p) = (pool2.clone(), p.clone());
                Box::pin(async move { raw_commit(&pool, &p[k % p.len()]).await.is_ok() })
            });
            let (samples, _) = timed(&rt, c, SHORT, op);
            let s = Stats::of(&samples, SHORT);
            println!(
                "SQLite synchronous = {label}, the pipeline's transaction by hand, {c} task(s): {:.0} commits/s, \
                 p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms, failed {}",
                s.rps, s.p50, s.p99, s.max, s.non_202
            );
            rt.block_on(pool.close());
            rt.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

/// Every column `signals_since` reads, in its order.
type SignalColumns = (i64, String, String, Option<String>, Option<String>, i64, f64, String, i64);

/// The story lookup's query as src/store/queries.rs `signals_since` makes it.
const CURRENT: &str = "SELECT case_id, source, title, url, fingerprint, simhash, score, explanation, received_ms \
     FROM signals WHERE received_ms >= $1 AND case_id IN \
     (SELECT id FROM cases WHERE state NOT IN ('closed', 'dismissed')) ORDER BY id";

/// The story lookup's query (src/store/queries.rs `signals_since`) as the database plans it, and
/// what narrower forms of it would cost on the same ledger: evidence for where its time goes.
pub async fn scan_variants(db: &Db) {
    const SLIM: &str = "SELECT case_id, simhash FROM signals WHERE received_ms >= $1 AND case_id IN \
         (SELECT id FROM cases WHERE state NOT IN ('closed', 'dismissed')) ORDER BY id";
    let by_time = match db.backend {
        Backend::Sqlite => {
            "SELECT s.case_id, s.simhash FROM signals s INDEXED BY signals_by_time JOIN cases c ON c.id = s.case_id \
             WHERE s.received_ms >= $1 AND c.state NOT IN ('closed', 'dismissed') ORDER BY s.id"
        }
        Backend::Postgres => {
            "SELECT s.case_id, s.simhash FROM signals s JOIN cases c ON c.id = s.case_id \
             WHERE s.received_ms >= $1 AND c.state NOT IN ('closed', 'dismissed') ORDER BY s.id"
        }
    };
    let now = Utc::now().timestamp_millis();
    let variants = [
        ("current query, all columns, since 1 h", CURRENT, now - 3_600_000),
        ("current query, all columns, since 1 s", CURRENT, now - 1_000),
        ("case_id + simhash only, since 1 h", SLIM, now - 3_600_000),
        ("case_id + simhash only, through the time index, since 1 h", by_time, now - 3_600_000),
        ("case_id + simhash only, through the time index, since 1 s", by_time, now - 1_000),
    ];
    match db.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.expect("open the ledger");
            // EXPLAIN QUERY PLAN returns (id, parent, notused, detail); keep the detail.
            let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {CURRENT}"))
                .bind(now - 3_600_000)
                .fetch_all(&pool)
                .await
                .unwrap_or_default();
            let version: String =
                sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&pool).await.unwrap_or_default();
            println!(
                "SQLite {version} plan of the story lookup: {}",
                plan.iter().map(|p| p.3.as_str()).collect::<Vec<_>>().join(" | ")
            );
            time_variants(&pool, &variants).await;
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("open the ledger");
            let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN (ANALYZE, COSTS OFF) {CURRENT}"))
                .bind(now - 3_600_000)
                .fetch_all(&pool)
                .await
                .unwrap_or_else(|e| vec![format!("(no plan: {e})")]);
            println!(
                "Postgres plan of the story lookup: {}",
                plan.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" | ")
            );
            time_variants(&pool, &variants).await;
            pool.close().await;
        }
    }
}

/// Each `(name, sql, since)` run five times on `pool`: its rows and median time.
async fn time_variants<DB>(pool: &sqlx::Pool<DB>, variants: &[(&str, &str, i64)])
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    SignalColumns: for<'r> sqlx::FromRow<'r, DB::Row>,
    (i64, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    for &(name, sql, since) in variants {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..5 {
            let started = Instant::now();
            rows = if sql == CURRENT {
                let r: Vec<SignalColumns> = sqlx::query_as(sql).bind(since).fetch_all(pool).await.expect("a scan");
                r.len()
            } else {
                let r: Vec<(i64, i64)> = sqlx::query_as(sql).bind(since).fetch_all(pool).await.expect("a scan");
                r.len()
            };
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!("  {name}: {rows} rows, {:.2} ms", times[2]);
    }
}
