//! Intake throughput: single-signal `POST /api/v1/signals` requests per second and their latency,
//! each answered 202 only after its durable commit, on SQLite and (when `TEST_DATABASE_URL` or
//! `BENCH_DATABASE_URL` names a server) Postgres.
//!
//! tocsin runs in this process exactly as `tocsin::run::start` starts it (intake on 127.0.0.1, a
//! fresh ledger per run, the team chat on Discord so announcements stay in the outbox), on its own
//! tokio runtime with one worker per core. The load generator runs on a second runtime with one
//! thread: N client tasks, each a closed loop over one keep-alive connection (reqwest), POST one
//! signal, wait for the whole answer, POST the next. A run is a warm-up (not measured, but its
//! signals stay in the ledger) then a measured period; every loop is bounded in time and count.
//!
//! Signals are made from templates (70 % Chinese, 30 % English; 10 kinds of incident, sentences
//! drawn from pools, place names, agencies and numbers varied), 200-400 bytes of title and body,
//! so most are different stories and open a new case. In the "repeats" runs 20 % of requests
//! re-send a recent story from another source, which must join its case. The URL of each signal
//! names its story, so afterwards the ledger shows how many stories were split over several
//! cases or merged into one.
//!
//! Beside the runs, to see where the time goes: the HTTP floor (`GET /healthz`), the analysis a
//! signal costs (segmentation + rules + SimHash + sketch), `Store::story_signals` over the final ledger,
//! the store alone (commit only; and story scan + commit, as the pipeline does, without HTTP and
//! analysis), a run with a 1 s grading window (so the story scan stays short), and CPU time by
//! thread group (tocsin's runtime, sqlx's SQLite threads, the load generator, Postgres).
//!
//! Run with `cargo bench --bench intake_load`. Knobs: `INTAKE_LOAD_SECS` (measured seconds,
//! default 10), `INTAKE_LOAD_WARMUP_SECS` (default 2), `INTAKE_LOAD_CLIENTS` (default `16,64`),
//! `INTAKE_LOAD_BACKENDS` (default `sqlite,postgres`), `INTAKE_LOAD_DIAGNOSTICS=0` to skip the
//! extra measurements. Results go to BENCHMARKS.md by hand; nothing here asserts anything.

#[path = "../support/mod.rs"]
mod support;

mod analysis;
mod cpu;
mod diagnostics;
mod errors;
mod ledger;
mod load;
mod prepared;
mod stats;
mod stories;

use analysis::stories_report;
use diagnostics::{scan_variants, store_only};
use errors::{Tally, print_errors};
use ledger::{ledger, scan_time};
use load::{Timing, Work, load};
use stats::{Stats, timeline};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use support::{BOT_TOML, Backend, Backends, Db, env_num, loadavg};
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::run::{Secrets, Services};
use tocsin::text::{Analyzer, Rules};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The Postgres databases of this bench are `tocsin_bench_<pid>_<n>`.
const DB_PREFIX: &str = "tocsin_bench";
const WIRE_TOKEN: &str = "wire-token-0123456789";
/// Requests one client task may send in one run, whatever the time (a bound, never reached).
const MAX_PER_TASK: usize = 1_000_000;
/// Share of requests that re-send a recent story in the "repeats" runs.
const REPEAT_PCT: u64 = 20;

fn main() {
    // tocsin logs why a request failed (a 500) at ERROR: tallied per run, first lines only.
    tracing_subscriber::registry().with(Tally).init();
    let secs = env_num("INTAKE_LOAD_SECS", 10u64).clamp(1, 120);
    let warmup = env_num("INTAKE_LOAD_WARMUP_SECS", 2u64).min(60);
    let clients: Vec<usize> = std::env::var("INTAKE_LOAD_CLIENTS")
        .unwrap_or_else(|_| "16,64".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .filter(|&c| (1..=1024).contains(&c))
        .collect();
    let backends = Backends::from_env("INTAKE_LOAD_BACKENDS");
    let diagnostics = std::env::var("INTAKE_LOAD_DIAGNOSTICS").map_or(true, |v| v != "0");
    let timing = Timing { warmup: Duration::from_secs(warmup), measured: Duration::from_secs(secs) };

    println!("machine: {}, {}, load average {}", support::machine(), rustc(), loadavg());
    println!("runs: {warmup} s warm-up + {secs} s measured; clients {clients:?}\n");

    let analyzer = Analyzer::new(None).expect("the built-in dictionary loads");
    let base = Config::parse(&config_text("1h")).expect("a valid intake config");
    let rules = Rules::new(&analyzer, &base.keywords);
    stories_report(&analyzer, &rules);

    let mut rows: Vec<Row> = Vec::new();
    let admin = backends.admin();
    for backend in Backend::ALL {
        if !backends.start(backend) {
            continue;
        }
        for &c in &clients {
            for repeats in [false, true] {
                let scenario = Scenario { backend, clients: c, repeats, window: "1h" };
                if let Some(row) = run_scenario(&scenario, timing, admin, diagnostics && !repeats) {
                    rows.push(row);
                }
            }
        }
        if diagnostics {
            let c = clients.iter().copied().max().unwrap_or(64);
            let scenario = Scenario { backend, clients: c, repeats: false, window: "1s" };
            if let Some(row) = run_scenario(&scenario, timing, admin, false) {
                rows.push(row);
            }
            store_only(backend, admin, &analyzer, &rules, &clients, timing);
        }
    }

    println!("\n=== summary (latency in ms, send → whole answer) ===");
    println!(
        "| backend | clients | stories | req/s | p50 | p90 | p99 | max | non-202 | req/s 1st s → last s | cases | signals | story scan at end |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
    for r in &rows {
        println!("{}", r.markdown());
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios

struct Scenario {
    backend: Backend,
    clients: usize,
    repeats: bool,
    /// The grading window: how far back the story lookup scans.
    window: &'static str,
}

impl Scenario {
    fn stories(&self) -> String {
        let kind = if self.repeats { format!("{REPEAT_PCT} % repeats") } else { "all distinct".into() };
        if self.window == "1h" { kind } else { format!("{kind}, window {}", self.window) }
    }
}

struct Row {
    backend: Backend,
    clients: usize,
    stories: String,
    stats: Stats,
    first_last: (u64, u64),
    cases: i64,
    signals: i64,
    scan_ms: f64,
}

impl Row {
    fn markdown(&self) -> String {
        let s = &self.stats;
        format!(
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} → {} | {} | {} | {:.1} ms |",
            self.backend.name(),
            self.clients,
            self.stories,
            s.rps,
            s.p50,
            s.p90,
            s.p99,
            s.max,
            s.non_202,
            self.first_last.0,
            self.first_last.1,
            self.cases,
            self.signals,
            self.scan_ms
        )
    }
}

/// One load run against a fresh ledger; `None` when the database could not be made.
fn run_scenario(s: &Scenario, timing: Timing, admin: Option<&str>, floor: bool) -> Option<Row> {
    let server = server_runtime();
    let db = match server.block_on(Db::fresh(s.backend, admin, DB_PREFIX)) {
        Ok(db) => db,
        Err(e) => {
            println!("{}: no database ({e}); skipped", s.backend.name());
            return None;
        }
    };
    let mut config = Config::parse(&config_text(s.window)).expect("a valid intake config");
    config.database_url = db.url.clone();
    let vars: HashMap<String, String> = [("WIRE_TOKEN".to_string(), WIRE_TOKEN.to_string())].into();
    let secrets = Secrets { vars: Some(vars), ..Secrets::default() };
    let services: Services =
        server.block_on(tocsin::run::start(config, Arc::new(SystemClock), secrets)).expect("tocsin starts");
    let addr = services.http_addr.expect("intake listens");
    let store = services.app.store();

    println!("\n--- {} · {} clients · {} (load average {}) ---", s.backend.name(), s.clients, s.stories(), loadavg());
    let url = format!("http://{addr}/api/v1/signals");
    let work = Work::Signals { repeat_pct: if s.repeats { REPEAT_PCT } else { 0 } };
    let (samples, cpu) = load(&url, work, s.clients, timing);
    let stats = Stats::of(&samples, timing);
    let timeline = timeline(&samples, timing);
    stats.print();
    print_errors();
    let m = timing.warmup.as_secs() as usize;
    let first_last = (
        timeline.get(m).copied().unwrap_or(0),
        timeline.get(m + timing.measured.as_secs() as usize - 1).copied().unwrap_or(0),
    );
    println!("completed requests per second, warm-up included: {timeline:?}");
    cpu.print(timing.measured);

    let scan_ms = server.block_on(scan_time(&store));
    let ledger = server.block_on(ledger(&db));
    println!(
        "ledger at the end: {} cases, {} signals; Store::story_signals over it: {:.1} ms",
        ledger.cases, ledger.signals, scan_ms
    );
    ledger.print_stories();
    if floor {
        server.block_on(scan_variants(&db));
    }

    if floor {
        let (samples, _) = load(
            &format!("http://{addr}/healthz"),
            Work::Health,
            s.clients,
            Timing { warmup: Duration::from_secs(1), measured: Duration::from_secs(3) },
        );
        let h = Stats::of(&samples, Timing { warmup: Duration::from_secs(1), measured: Duration::from_secs(3) });
        println!(
            "HTTP floor, GET /healthz with {} clients on the same server: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
            s.clients, h.rps, h.p50, h.p99
        );
    }

    server.block_on(services.shutdown());
    drop(store);
    server.shutdown_timeout(Duration::from_secs(5));
    let cleanup = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    cleanup.block_on(db.remove());
    Some(Row {
        backend: s.backend,
        clients: s.clients,
        stories: s.stories(),
        stats,
        first_last,
        cases: ledger.cases,
        signals: ledger.signals,
        scan_ms,
    })
}

pub fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name("tocsin-server")
        .enable_all()
        .build()
        .expect("the server runtime")
}

fn config_text(window: &str) -> String {
    let base = BOT_TOML
        .replace("[console]\nchat = \"ops\"\n", "")
        .replace("console = true\n", "")
        .replace("[chats.ops]\nplatform = \"console\"\n", "[chats.ops]\nplatform = \"discord\"\nid = 1\n");
    format!(
        r#"{base}
[http]
listen = "127.0.0.1:0"
body_limit = 8192

[[sources]]
name = "wire"
kind = "generic"
token_env = "WIRE_TOKEN"

[grading]
window = "{window}"
thresholds = {{ I = 12.0, II = 8.0, III = 4.0 }}

[[keywords]]
category = "safety"
weight = 3.0
terms = ["燃气", "泄漏", "gas leak", "explosion", "火灾", "fire", "滑坡", "landslide"]
exclude = ["演练", "drill"]

[[keywords]]
category = "outage"
weight = 2.0
terms = ["停电", "停水", "power outage", "outage", "中断", "without water"]

[[keywords]]
category = "price"
weight = 1.0
terms = ["水价", "调价", "water prices", "price"]

[[keywords]]
category = "service"
weight = 1.0
terms = ["地铁", "公交", "metro", "bus", "延误", "delays"]
"#
    )
}

/// The compiler's version, for the header: the numbers depend on it.
fn rustc() -> String {
    std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|e| format!("rustc: {e}"))
}
