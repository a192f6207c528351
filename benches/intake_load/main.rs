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
//! Signals are made from templates (70 % Chinese, 30 % English; 12 kinds of incident, sentences
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

use chrono::Utc;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tocsin::app::Notice;
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::domain::grading::{self, CategoryHit, Weights};
use tocsin::domain::{EventAction, Grade, NewCase, NewEvent};
use tocsin::platform::Platform;
use tocsin::run::{Secrets, Services};
use tocsin::store::{CaseWrite, Commit, NewOutbox, NewSignal, Store};
use tocsin::text::{Analyzer, DEFAULT_OVERLAP, Rules, Sketch, hamming, simhash, sketch};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

const BOT_TOML: &str = include_str!("../bot.toml");
const WIRE_TOKEN: &str = "wire-token-0123456789";
/// Requests one client task may send in one run, whatever the time (a bound, never reached).
const MAX_PER_TASK: usize = 1_000_000;
/// Share of requests that re-send a recent story in the "repeats" runs.
const REPEAT_PCT: u64 = 20;
/// Stories generated to check how often two different ones look alike to SimHash.
const SIMULATED_STORIES: u64 = 10_000;
/// The `simhash_distance` tocsin uses unless bot.toml says otherwise.
const SIMHASH_DISTANCE: u32 = 12;

fn main() {
    // tocsin logs why a request failed (a 500) at ERROR: tallied per run, first lines only.
    tracing_subscriber::registry().with(Tally).init();
    let secs = env_u64("INTAKE_LOAD_SECS", 10).clamp(1, 120);
    let warmup = env_u64("INTAKE_LOAD_WARMUP_SECS", 2).min(60);
    let clients: Vec<usize> = std::env::var("INTAKE_LOAD_CLIENTS")
        .unwrap_or_else(|_| "16,64".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .filter(|&c| (1..=1024).contains(&c))
        .collect();
    let backends = std::env::var("INTAKE_LOAD_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let diagnostics = std::env::var("INTAKE_LOAD_DIAGNOSTICS").map_or(true, |v| v != "0");
    let timing = Timing { warmup: Duration::from_secs(warmup), measured: Duration::from_secs(secs) };

    machine();
    println!("runs: {warmup} s warm-up + {secs} s measured; clients {clients:?}\n");

    let analyzer = Analyzer::new(None).expect("the built-in dictionary loads");
    let base = Config::parse(&config_text("1h")).expect("a valid intake config");
    let rules = Rules::new(&analyzer, &base.keywords);
    stories_report(&analyzer, &rules);

    let mut rows: Vec<Row> = Vec::new();
    let admin = ["BENCH_DATABASE_URL", "TEST_DATABASE_URL"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !backends.contains(backend.name()) {
            continue;
        }
        if backend == Backend::Postgres && admin.is_none() {
            println!("NOTICE: neither BENCH_DATABASE_URL nor TEST_DATABASE_URL is set: Postgres is skipped\n");
            continue;
        }
        println!("=== {} ===", backend.name());
        for &c in &clients {
            for repeats in [false, true] {
                let scenario = Scenario { backend, clients: c, repeats, window: "1h" };
                if let Some(row) = run_scenario(&scenario, timing, admin.as_deref(), diagnostics && !repeats) {
                    rows.push(row);
                }
            }
        }
        if diagnostics {
            let c = clients.iter().copied().max().unwrap_or(64);
            let scenario = Scenario { backend, clients: c, repeats: false, window: "1s" };
            if let Some(row) = run_scenario(&scenario, timing, admin.as_deref(), false) {
                rows.push(row);
            }
            store_only(backend, admin.as_deref(), &analyzer, &rules, &clients, timing);
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

#[derive(Clone, Copy)]
struct Timing {
    warmup: Duration,
    measured: Duration,
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
    let db = match server.block_on(Db::new(s.backend, admin)) {
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

fn server_runtime() -> tokio::runtime::Runtime {
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

// ---------------------------------------------------------------------------------------------
// The load generator

#[derive(Clone, Copy)]
enum Work {
    Signals { repeat_pct: u64 },
    Health,
}

#[derive(Clone, Copy)]
struct Sample {
    /// Since the start of the warm-up.
    start_us: u64,
    latency_us: u64,
    /// 0: no HTTP answer at all.
    status: u16,
}

/// Story numbers handed out to the client tasks of one run.
struct Stories {
    next: AtomicU64,
    requests: AtomicU64,
}

/// Runs `clients` closed-loop tasks for warm-up + measured time; returns every request's sample
/// and the CPU time spent meanwhile.
fn load(url: &str, work: Work, clients: usize, timing: Timing) -> (Vec<Sample>, Cpu) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("load-client")
        .enable_all()
        .build()
        .expect("the client runtime");
    let stories = Arc::new(Stories { next: AtomicU64::new(0), requests: AtomicU64::new(0) });
    let t0 = Instant::now();
    let measure_from = t0 + timing.warmup;
    let end = measure_from + timing.measured;
    let (samples, cpu) = rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(clients)
            .build()
            .expect("a client");
        let tasks: Vec<_> = (0..clients)
            .map(|i| {
                let (client, url, stories) = (client.clone(), url.to_string(), stories.clone());
                tokio::spawn(async move { client_loop(client, url, work, stories, i as u64, t0, end).await })
            })
            .collect();
        tokio::time::sleep_until(measure_from.into()).await;
        let before = CpuSnapshot::take();
        let mut samples = Vec::new();
        for t in tasks {
            samples.extend(t.await.expect("a client task"));
        }
        (samples, before.since())
    });
    rt.shutdown_timeout(Duration::from_secs(5));
    (samples, cpu)
}

async fn client_loop(
    client: reqwest::Client,
    url: String,
    work: Work,
    stories: Arc<Stories>,
    task: u64,
    t0: Instant,
    end: Instant,
) -> Vec<Sample> {
    let mut rng = Rng(0x5eed_0000 + task);
    let mut samples = Vec::with_capacity(4096);
    while samples.len() < MAX_PER_TASK && Instant::now() < end {
        let req = match work {
            Work::Health => client.get(&url),
            Work::Signals { repeat_pct } => {
                let n = stories.requests.fetch_add(1, Ordering::Relaxed);
                let issued = stories.next.load(Ordering::Relaxed);
                // A repeat is a story first sent 64-1000 stories ago: a later report of it.
                let seed = if rng.below(100) < repeat_pct && issued >= 128 {
                    issued - 64 - rng.below((issued - 64).min(936))
                } else {
                    stories.next.fetch_add(1, Ordering::Relaxed)
                };
                let body = signal_json(seed, n, &mut rng);
                client
                    .post(&url)
                    .header("authorization", format!("Bearer {WIRE_TOKEN}"))
                    .header("content-type", "application/json")
                    .body(body)
            }
        };
        let started = Instant::now();
        let status = match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.bytes().await {
                    Ok(_) => status,
                    Err(_) => 0,
                }
            }
            Err(_) => 0,
        };
        let latency = started.elapsed();
        samples.push(Sample {
            start_us: started.duration_since(t0).as_micros() as u64,
            latency_us: latency.as_micros() as u64,
            status,
        });
    }
    samples
}

struct Stats {
    count: usize,
    rps: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    non_202: usize,
    statuses: BTreeMap<u16, usize>,
}

impl Stats {
    /// Requests started in the measured period; throughput over that period (plus the tail of
    /// the last answers).
    fn of(samples: &[Sample], timing: Timing) -> Stats {
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

    fn print(&self) {
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
fn timeline(samples: &[Sample], timing: Timing) -> Vec<u64> {
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

// ---------------------------------------------------------------------------------------------
// Signals made from templates

fn signal_json(seed: u64, n: u64, rng: &mut Rng) -> Vec<u8> {
    let story = story(seed);
    let source = SOURCES[rng.below(SOURCES.len() as u64) as usize];
    serde_json::to_vec(&json!({
        "source": source,
        "title": story.title,
        "body": story.body,
        "url": format!("https://news.example.org/s/{seed}/{n}"),
        "language": if story.zh { "zh" } else { "en" },
        "metrics": { "views": rng.below(50_000), "comments": rng.below(300), "shares": rng.below(100) },
        "tags": [if rng.below(2) == 0 { "north" } else { "south" }],
    }))
    .expect("a signal serialises")
}

struct Story {
    zh: bool,
    /// Which kind of incident (index into the language's kinds).
    kind: usize,
    title: String,
    body: String,
}

/// The story numbered `seed`: always the same text for the same number. Four sentences: what
/// happened where, who responded how, a witness quoted, where things stand; every part drawn
/// from its own pool, so two stories share few words beyond the language's common ones.
fn story(seed: u64) -> Story {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5_5A5A);
    let zh = r.below(10) < 7;
    let lang = if zh { &ZH } else { &EN };
    let kind = r.below(lang.kinds.len() as u64) as usize;
    let k = &lang.kinds[kind];
    let slots = Slots {
        district: r.pick(lang.districts),
        place: r.pick(lang.places),
        org: r.pick(lang.orgs),
        who: lang.who(&mut r),
    };
    let (title, what, impact, action) = (r.pick(&k.titles), r.pick(&k.what), r.pick(&k.impact), r.pick(&k.action));
    let (site, response, said) = (r.pick(lang.sites), r.pick(lang.responses), r.pick(lang.said));
    let (quote, status) = (r.pick(lang.quotes), r.pick(lang.status));
    let frame = r.below(3) as usize;
    let first = if zh {
        [
            format!("{{t}}，{{d}}{{p}}{site}{what}，{impact}。"),
            format!("据{{d}}方面消息，{{t}}{{p}}附近{site}{what}，目前{impact}。"),
            format!("记者从{{o}}获悉，{{t}}在{{d}}{{p}}{site}{what}，{impact}。"),
        ]
    } else {
        [
            format!("{{T}}, {what} at {site} on {{p}} in {{d}}, and {impact}."),
            format!("In {{d}}, {what} near {site} on {{p}} {{t}}; {impact}."),
            format!("Reports from {{p}}, {{d}}: {what} {{t}}, so {impact}."),
        ]
    };
    let second = if zh {
        [
            format!("{{o}}{response}，{action}。"),
            format!("事发后，{{o}}{response}，并{action}。"),
            format!("{{d}}相关部门{response}，随后{action}。"),
        ]
    } else {
        [
            format!("{{O}} {response} and {action}."),
            format!("Responding, {{o}} {response}; it {action}."),
            format!("According to {{o}}, staff {response}, then {action}."),
        ]
    };
    let (first, second) = (&first[frame], &second[r.below(3) as usize]);
    let body = if zh {
        format!("{first}{second}{{w}}{said}：“{quote}。”{status}")
    } else {
        format!("{first} {second} {{w}} {said}: \"{quote}.\" {status}")
    };
    Story { zh, kind, title: fill(title, &slots, lang, &mut r), body: fill(&body, &slots, lang, &mut r) }
}

struct Slots {
    district: &'static str,
    place: &'static str,
    org: &'static str,
    who: String,
}

fn fill(template: &str, s: &Slots, lang: &Lang, r: &mut Rng) -> String {
    let mut out = String::with_capacity(template.len() + 40);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let end = i + rest[i..].find('}').expect("a closed slot");
        match &rest[i + 1..end] {
            "d" => out.push_str(s.district),
            "p" => out.push_str(s.place),
            "o" => out.push_str(s.org),
            "O" => out.push_str(&capitalised(s.org)),
            "w" => out.push_str(&s.who),
            "n" => out.push_str(&(2 + r.below(998)).to_string()),
            "t" => out.push_str(&lang.time(r)),
            "T" => out.push_str(&capitalised(&lang.time(r))),
            other => panic!("unknown slot {other}"),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// What one kind of incident is said with: 3 titles and 4 phrasings of each part.
struct Kind {
    titles: [&'static str; 3],
    what: [&'static str; 4],
    impact: [&'static str; 4],
    action: [&'static str; 4],
}

struct Lang {
    zh: bool,
    kinds: &'static [Kind],
    districts: &'static [&'static str],
    places: &'static [&'static str],
    orgs: &'static [&'static str],
    names: &'static [&'static str],
    sites: &'static [&'static str],
    responses: &'static [&'static str],
    said: &'static [&'static str],
    quotes: &'static [&'static str],
    status: &'static [&'static str],
}

impl Lang {
    fn who(&self, r: &mut Rng) -> String {
        let name = r.pick(self.names);
        if self.zh { format!("{name}{}", if r.below(2) == 0 { "先生" } else { "女士" }) } else { name.to_string() }
    }

    fn time(&self, r: &mut Rng) -> String {
        let (month, day, hour, minute) = (r.below(12), 1 + r.below(28), r.below(24), r.below(60));
        if self.zh {
            let part = ["凌晨", "上午", "中午", "下午", "晚上"][(hour / 5).min(4) as usize];
            format!("{}月{day}日{part}{hour}时{minute}分", month + 1)
        } else {
            format!("at {hour}:{minute:02} on {} {day}", EN_MONTHS[month as usize])
        }
    }
}

const SOURCES: &[&str] = &[
    "city-hotline",
    "weibo-monitor",
    "news-wire",
    "radio-traffic",
    "district-office",
    "wechat-groups",
    "tv-news",
    "forum-watch",
    "police-feed",
    "citizen-app",
];

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

static ZH: Lang = Lang {
    zh: true,
    kinds: &[
        Kind {
            titles: ["{d}{p}发生燃气泄漏", "{p}一居民楼燃气泄漏 {n}人紧急疏散", "{d}燃气管道泄漏 现场已封控"],
            what: ["发生燃气泄漏", "一处燃气管道破裂", "闻到浓烈的燃气味", "燃气表箱起火冒烟"],
            impact: ["周边{n}户居民被紧急疏散", "附近道路封闭约{n}米", "{n}家商铺暂停营业", "{n}名居民一度被困楼内"],
            action: [
                "关闭燃气总阀并对泄漏点进行封堵",
                "对周边{n}栋楼逐户排查燃气设施",
                "设置警戒区并禁止明火",
                "更换了约{n}米受损管段",
            ],
        },
        Kind {
            titles: ["{d}{p}片区突发停电", "{d}大面积停电 {n}户受影响", "{p}变电站故障 周边停电"],
            what: ["突发大面积停电", "变电站设备跳闸", "一条高压线路故障", "配电箱起火导致停电"],
            impact: [
                "约{n}户居民和{n}家商户停电",
                "{n}个路口信号灯熄灭",
                "{n}部电梯停运、有人被困",
                "周边医院启用备用电源",
            ],
            action: [
                "调派{n}支抢修队伍和{n}台应急发电车",
                "逐段排查线路故障点",
                "为重要用户临时接入移动电源",
                "预计{n}小时内恢复供电",
            ],
        },
        Kind {
            titles: ["{d}{p}供水管道爆裂", "{p}停水 {n}户居民用水受影响", "{d}自来水主管破裂 路面积水"],
            what: ["一根供水主管道爆裂", "地下水管突然破裂", "自来水出现浑浊和异味", "供水泵站发生故障"],
            impact: [
                "约{n}户居民临时停水",
                "路面积水最深约{n}厘米",
                "{n}个小区水压明显偏低",
                "部分路段交通中断{n}小时",
            ],
            action: [
                "安排{n}辆送水车定点供水",
                "关阀抢修并连夜更换破损管段",
                "对管网水质进行取样检测",
                "开通临时热线{n}条",
            ],
        },
        Kind {
            titles: ["{p}路口发生交通事故 {n}人受伤", "{d}公交车与货车相撞", "{p}多车追尾 交通一度瘫痪"],
            what: ["一辆公交车与重型货车相撞", "发生{n}车连环追尾事故", "一辆渣土车侧翻", "一辆轿车冲上人行道"],
            impact: [
                "造成{n}人受伤，其中{n}人伤势较重",
                "车辆排队超过{n}米",
                "{n}条公交线路临时绕行",
                "一名行人被困车底",
            ],
            action: [
                "将伤者送往附近医院救治",
                "对事故车辆驾驶人进行酒精检测",
                "疏导滞留车辆并清理现场",
                "调取路口监控核查事故原因",
            ],
        },
        Kind {
            titles: ["{d}{p}一仓库起火", "{p}一栋居民楼发生火灾", "{d}商铺失火 浓烟笼罩{p}"],
            what: ["突发大火", "一家商铺起火", "一处仓库发生火灾", "一住户家中起火"],
            impact: ["过火面积约{n}平方米", "{n}名居民被疏散", "浓烟在{n}公里外可见", "{n}人因吸入烟雾送医"],
            action: [
                "调派{n}辆消防车、{n}名指战员扑救",
                "在{n}分钟内控制住火势",
                "搜救被困人员并排查复燃隐患",
                "对起火原因展开调查",
            ],
        },
        Kind {
            titles: ["{d}拟调整居民用水价格", "{d}水价调整方案公布", "{d}阶梯水价将上调"],
            what: ["公布居民用水价格调整方案", "举行水价调整听证会", "拟上调第一阶梯水价", "发布调价征求意见稿"],
            impact: [
                "每立方米上调{n}分",
                "涉及{n}万户居民",
                "低保家庭每月可免费用水{n}立方米",
                "预计每户每月多支出{n}元",
            ],
            action: ["组织{n}名代表参加听证", "公开成本监审报告", "设立意见征集邮箱", "承诺调价收入用于管网改造"],
        },
        Kind {
            titles: ["暴雨致{d}{p}严重积水", "{d}强降雨 多处道路被淹", "{p}内涝 {n}辆车被困"],
            what: ["遭遇强降雨", "多处低洼路段严重积水", "地下车库进水", "一处下穿隧道被淹"],
            impact: ["{n}小时降雨量达{n}毫米", "{n}辆汽车被困水中", "积水最深处超过{n}厘米", "{n}条公交线路临时改道"],
            action: ["出动{n}台抽水泵排除积水", "封闭下穿隧道并设置警示", "转移受困群众{n}人", "发布暴雨橙色预警"],
        },
        Kind {
            titles: ["{p}一小区电梯急坠", "{d}电梯故障 {n}人被困", "{p}写字楼电梯突发故障"],
            what: ["电梯突然下坠", "电梯困人", "电梯门未关闭即运行", "自动扶梯突然逆行"],
            impact: ["{n}名乘客被困约{n}分钟", "一名老人受到惊吓送医", "{n}人轻微擦伤", "该电梯近一个月故障{n}次"],
            action: ["破拆救出被困人员", "查封涉事电梯并约谈物业", "对小区{n}部电梯全面检查", "责令维保单位限期整改"],
        },
        Kind {
            titles: ["{d}一学校食堂疑似食物中毒", "{p}餐馆{n}名顾客就餐后不适", "{d}疑似食源性疾病聚集"],
            what: [
                "多名学生午餐后出现呕吐腹泻",
                "一家餐馆的顾客出现食物中毒症状",
                "食堂饭菜疑似变质",
                "外卖餐品引发群体不适",
            ],
            impact: ["{n}人送医治疗", "{n}人留院观察", "涉事食堂暂停营业", "家长在校门口聚集"],
            action: [
                "封存剩余食品并采样送检",
                "责令涉事单位停业整顿",
                "对供货商展开溯源调查",
                "检测结果预计{n}天后公布",
            ],
        },
        Kind {
            titles: ["地铁{n}号线{p}站故障 列车延误", "{d}地铁信号故障 乘客滞留", "{p}站临时封站"],
            what: ["地铁信号设备发生故障", "一列地铁在隧道内停车", "站内屏蔽门故障", "接触网断电"],
            impact: ["列车间隔延长至{n}分钟", "站台滞留乘客约{n}人", "{n}座车站临时限流", "早高峰延误超过{n}分钟"],
            action: ["开行{n}辆接驳公交", "组织乘客有序疏散", "抢修人员进入隧道排查", "通过广播和社交媒体发布信息"],
        },
    ],
    districts: &[
        "江北区",
        "渝中区",
        "南岸区",
        "沙坪坝区",
        "九龙坡区",
        "大渡口区",
        "北碚区",
        "渝北区",
        "巴南区",
        "江津区",
        "长寿区",
        "合川区",
        "永川区",
        "璧山区",
        "铜梁区",
        "潼南区",
        "荣昌区",
        "綦江区",
        "大足区",
        "万州区",
        "涪陵区",
        "黔江区",
    ],
    places: &[
        "华新路",
        "人民路",
        "滨江大道",
        "解放碑",
        "观音桥",
        "杨家坪",
        "南坪",
        "三峡广场",
        "龙头寺",
        "大坪",
        "石桥铺",
        "鸳鸯街道",
        "回兴街道",
        "鱼洞",
        "李家沱",
        "西永",
        "陈家坪",
        "两路口",
        "菜园坝",
        "朝天门",
        "礼嘉",
        "蔡家岗",
        "茶园",
        "界石",
    ],
    orgs: &[
        "消防救援支队",
        "应急管理局",
        "供电公司",
        "自来水公司",
        "燃气公司",
        "交警支队",
        "街道办事处",
        "卫生健康委",
        "住房城乡建设委",
        "市场监管局",
        "交通运输局",
        "气象台",
    ],
    names: &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"],
    sites: &[
        "一居民楼",
        "一处老旧小区",
        "一家餐馆",
        "一所学校附近",
        "一座商场",
        "一处工地",
        "一栋写字楼",
        "一个菜市场",
        "一处停车场",
        "一座立交桥下",
        "一家医院附近",
        "一个公园旁",
        "一处城中村",
        "一座仓储中心",
        "一家酒店",
        "一条商业街",
        "一所幼儿园附近",
        "一处物流园",
        "一座体育馆",
        "一个公交枢纽",
    ],
    responses: &[
        "接报后迅速赶到现场",
        "第一时间启动应急预案",
        "派出{n}名工作人员",
        "连夜组织处置",
        "会同相关部门联合处置",
        "已成立现场指挥部",
        "协调{n}个部门参与处置",
        "在{n}分钟内到达现场",
        "组织专业队伍开展救援",
        "对周边进行安全检查",
        "通过广播提醒周边居民",
        "调集{n}台车辆赶赴现场",
        "安排人员24小时值守",
        "开通热线接受群众咨询",
        "向上级部门报告情况",
    ],
    said: &["告诉记者", "表示", "在接受采访时说", "在朋友圈写道", "在现场说", "向本报反映"],
    quotes: &[
        "当时听到一声巨响，大家都很害怕",
        "希望有关部门尽快查明原因",
        "这种情况以前从来没有遇到过",
        "孩子放学回家的路都被堵住了",
        "我们在楼下等了{n}个多小时",
        "物业一直没有给出说法",
        "现场处置得还算及时",
        "家里老人行动不便，转移很困难",
        "生意受了不小的影响",
        "这条路每天都有很多车经过",
        "听说附近已经出过{n}次类似的事",
        "政府的工作人员来得很快",
        "晚上能不能恢复正常还不知道",
        "最担心的是会不会再发生",
        "打了好几次电话都占线",
        "邻居们互相帮忙，挺感动的",
        "我们住在{n}楼，下来费了好大劲",
        "隐患早就存在，一直没人管",
        "希望赔偿能够尽快落实",
        "店里的东西全都泡了水",
        "上班迟到了快{n}分钟",
        "救援人员很专业，大家配合得很好",
        "网上的说法太夸张了",
        "这几年基础设施越来越旧",
        "没想到会这么严重",
    ],
    status: &[
        "目前现场秩序已基本恢复。",
        "事故原因仍在进一步调查中。",
        "截至发稿时，暂无人员死亡报告。",
        "相关部门将在{n}小时内公布调查进展。",
        "有关情况本报将持续关注。",
        "{d}已成立工作专班跟进处置。",
        "受影响群众已得到妥善安置。",
        "后续将对同类隐患开展专项排查。",
        "涉事单位负责人已被约谈。",
        "周边交通预计{n}点前恢复正常。",
        "网上相关视频浏览量已超过{n}万次。",
        "志愿者为受影响群众送去了饮用水和食品。",
        "社区工作人员正在逐户登记受影响情况。",
        "{d}教育部门通知附近{n}所学校调整作息。",
        "专家提醒市民注意安全、不信谣不传谣。",
        "医院已开通绿色通道救治伤员。",
        "保险公司已启动快速理赔程序。",
        "{o}表示将依法依规追究相关责任。",
        "现场仍有{n}名工作人员在忙碌。",
        "更多细节有待官方通报。",
    ],
};

static EN: Lang = Lang {
    zh: false,
    kinds: &[
        Kind {
            titles: ["Gas leak on {p} in {d}", "Gas leak forces {n} residents out in {d}", "Gas pipe rupture near {p}"],
            what: [
                "a gas leak was reported",
                "a gas pipe ruptured",
                "residents smelled strong gas",
                "a gas meter box caught fire",
            ],
            impact: [
                "{n} residents were evacuated",
                "{n} metres of road were closed",
                "{n} shops had to close",
                "{n} people were briefly trapped indoors",
            ],
            action: [
                "shut off the main valve and sealed the leak",
                "checked gas fittings in {n} nearby buildings",
                "set up a cordon and banned open flames",
                "replaced {n} metres of damaged pipe",
            ],
        },
        Kind {
            titles: ["Power cut hits {d}", "Outage leaves {n} homes dark in {d}", "Substation fault near {p}"],
            what: [
                "a power outage hit the area",
                "a substation tripped",
                "a high-voltage line failed",
                "a switchboard fire cut the power",
            ],
            impact: [
                "{n} homes and {n} businesses lost power",
                "traffic lights at {n} junctions went dark",
                "{n} lifts stopped with people inside",
                "a nearby hospital ran on backup power",
            ],
            action: [
                "sent {n} repair crews and {n} generators",
                "traced the fault section by section",
                "connected critical users to mobile power",
                "expects power back within {n} hours",
            ],
        },
        Kind {
            titles: ["Water main bursts on {p}", "{n} homes without water in {d}", "Burst pipe floods {p}"],
            what: [
                "a water main burst",
                "an underground pipe cracked",
                "tap water turned cloudy and smelly",
                "a pumping station failed",
            ],
            impact: [
                "{n} households lost their water supply",
                "water on the road reached {n} cm",
                "water pressure dropped in {n} estates",
                "the road was closed for {n} hours",
            ],
            action: [
                "sent {n} water trucks to fixed points",
                "closed the valves and replaced the pipe overnight",
                "took samples to test water quality",
                "opened {n} temporary hotlines",
            ],
        },
        Kind {
            titles: [
                "Crash at {p} junction injures {n}",
                "Bus and truck collide in {d}",
                "Pile-up on {p} snarls traffic",
            ],
            what: [
                "a bus collided with a heavy truck",
                "{n} cars crashed in a pile-up",
                "a dump truck overturned",
                "a car mounted the pavement",
            ],
            impact: [
                "{n} people were hurt, {n} of them badly",
                "queues stretched {n} metres",
                "{n} bus routes were diverted",
                "a pedestrian was trapped under a car",
            ],
            action: [
                "took the injured to hospital",
                "breath-tested the drivers involved",
                "cleared the wreckage and freed the traffic",
                "reviewed camera footage of the junction",
            ],
        },
        Kind {
            titles: ["Warehouse fire in {d}", "Fire in apartment block on {p}", "Shop fire sends smoke over {d}"],
            what: [
                "a fire broke out",
                "a shop caught fire",
                "a warehouse went up in flames",
                "a flat on floor {n} caught fire",
            ],
            impact: [
                "about {n} square metres burned",
                "{n} residents were evacuated",
                "smoke was visible {n} km away",
                "{n} people were treated for smoke",
            ],
            action: [
                "sent {n} engines and {n} firefighters",
                "brought the fire under control within {n} minutes",
                "searched the building for anyone trapped",
                "opened an investigation into the cause",
            ],
        },
        Kind {
            titles: ["{d} to raise water prices", "{d} publishes water price plan", "Water bills set to rise in {d}"],
            what: [
                "the water price plan was published",
                "a hearing on water prices was held",
                "a rise in first-tier water prices was proposed",
                "a draft price notice was released",
            ],
            impact: [
                "prices rise by {n} cents per cubic metre",
                "{n} thousand households are affected",
                "low-income families get {n} cubic metres free",
                "bills will rise about {n} a month",
            ],
            action: [
                "invited {n} representatives to the hearing",
                "published the cost audit report",
                "opened a mailbox for public comments",
                "promised to spend the revenue on pipes",
            ],
        },
        Kind {
            titles: ["Heavy rain floods {d}", "Streets under water around {p}", "{n} cars stranded as rain hits {d}"],
            what: [
                "heavy rain struck",
                "low-lying roads flooded",
                "an underground car park took in water",
                "an underpass was submerged",
            ],
            impact: [
                "{n} mm of rain fell in {n} hours",
                "{n} cars were stranded",
                "water was more than {n} cm deep",
                "{n} bus routes were diverted",
            ],
            action: [
                "deployed {n} pumps to drain the water",
                "closed the underpass and posted warnings",
                "moved {n} people to safety",
                "issued an orange rainstorm warning",
            ],
        },
        Kind {
            titles: ["Lift plunges in {p} block", "{n} trapped in lift in {d}", "Lift fault in office tower on {p}"],
            what: [
                "a lift dropped suddenly",
                "a lift stopped between floors",
                "a lift moved with its doors open",
                "an escalator reversed without warning",
            ],
            impact: [
                "{n} passengers were trapped for {n} minutes",
                "an elderly woman was taken to hospital",
                "{n} people had minor injuries",
                "the lift had failed {n} times this month",
            ],
            action: [
                "cut the doors open to free those inside",
                "sealed the lift and called in the manager",
                "ordered checks on all {n} lifts",
                "gave the maintenance firm a deadline to fix it",
            ],
        },
        Kind {
            titles: [
                "Suspected food poisoning at {d} school",
                "{n} diners fall ill at {p} restaurant",
                "Cluster of food illness in {d}",
            ],
            what: [
                "pupils fell ill after lunch",
                "diners showed signs of food poisoning",
                "canteen food was suspected of spoiling",
                "a takeaway meal made a group sick",
            ],
            impact: [
                "{n} people were taken to hospital",
                "{n} remain under observation",
                "the canteen was shut",
                "parents gathered at the school gate",
            ],
            action: [
                "sealed the remaining food and took samples",
                "ordered the kitchen to close",
                "traced the supplier of the ingredients",
                "expects test results within {n} days",
            ],
        },
        Kind {
            titles: [
                "Metro line {n} delayed at {p}",
                "Signal fault strands commuters in {d}",
                "{p} station closed after fault",
            ],
            what: [
                "a metro signal fault occurred",
                "a train stopped in the tunnel",
                "platform screen doors failed",
                "the overhead power line tripped",
            ],
            impact: [
                "trains ran every {n} minutes",
                "about {n} passengers were stranded",
                "{n} stations limited entry",
                "morning trains were {n} minutes late",
            ],
            action: [
                "ran {n} shuttle buses",
                "led passengers out of the station",
                "sent engineers into the tunnel",
                "posted updates on social media",
            ],
        },
    ],
    districts: &[
        "Riverside",
        "Northgate",
        "Eastfield",
        "Old Town",
        "Harbor District",
        "Westbrook",
        "Hillcrest",
        "Southport",
        "Mill Creek",
        "Kingsbridge",
        "Lakeview",
        "Ashford",
        "Brookline",
        "Fairmont",
        "Greenwood",
        "Maple Heights",
        "Oakridge",
        "Pinecrest",
        "Redwood",
        "Stonebridge",
    ],
    places: &[
        "Elm Street",
        "Main Street",
        "Station Road",
        "Park Avenue",
        "Canal Street",
        "Bridge Road",
        "Market Square",
        "Church Lane",
        "Harbor Road",
        "Mill Lane",
        "King Street",
        "Queen's Road",
        "High Street",
        "Union Avenue",
        "Cedar Drive",
        "Victoria Road",
        "Ferry Road",
        "Grove Street",
        "Chapel Street",
        "Orchard Way",
    ],
    orgs: &[
        "the fire department",
        "the city emergency office",
        "the power utility",
        "the water authority",
        "the gas company",
        "traffic police",
        "the district council",
        "the health department",
        "the housing department",
        "the food safety agency",
        "the transit authority",
        "the weather service",
    ],
    names: &[
        "Maria Lopez",
        "James Carter",
        "Wei Zhang",
        "Priya Nair",
        "Tom Becker",
        "Aisha Khan",
        "Lucas Silva",
        "Emma Novak",
        "Daniel Kim",
        "Sara Rossi",
        "Omar Haddad",
        "Nina Petrova",
    ],
    sites: &[
        "a block of flats",
        "an old housing estate",
        "a restaurant",
        "a school",
        "a shopping centre",
        "a building site",
        "an office tower",
        "a food market",
        "a car park",
        "a flyover",
        "a hospital",
        "a park",
        "a village",
        "a logistics centre",
        "a hotel",
        "a shopping street",
        "a kindergarten",
        "an industrial park",
        "a sports hall",
        "a bus interchange",
    ],
    responses: &[
        "arrived within minutes",
        "activated its emergency plan",
        "sent {n} staff to the scene",
        "worked through the night",
        "worked with other agencies",
        "set up a command post",
        "coordinated {n} departments",
        "reached the site in {n} minutes",
        "sent a specialist rescue team",
        "carried out safety checks nearby",
        "warned residents by loudspeaker",
        "sent {n} vehicles",
        "kept staff on duty around the clock",
        "opened a hotline for residents",
        "reported to the city government",
    ],
    said: &["told reporters", "said", "said in an interview", "wrote online", "said at the scene", "told this paper"],
    quotes: &[
        "We heard a loud bang and everyone panicked",
        "I hope they find the cause soon",
        "Nothing like this has happened here before",
        "The kids could not get home from school",
        "We waited outside for {n} hours",
        "The property manager has told us nothing",
        "The response was fairly quick",
        "My parents can barely walk, moving them was hard",
        "Business has taken a real hit",
        "So many cars use this road every day",
        "This is the {n}th time something like this happened",
        "The officials got here fast",
        "Nobody knows if it will be fixed tonight",
        "I am worried it will happen again",
        "The hotline was busy every time I called",
        "Neighbours helped each other, it was moving",
        "We live on floor {n}, getting down was hard",
        "Everyone knew about the problem for years",
        "I hope the compensation comes quickly",
        "Everything in my shop got soaked",
        "I was {n} minutes late for work",
        "The rescuers were very professional",
        "What people say online is exaggerated",
        "The infrastructure here is getting old",
        "I never thought it would be this bad",
    ],
    status: &[
        "Order at the scene has largely been restored.",
        "The cause is still under investigation.",
        "No deaths had been reported at the time of writing.",
        "Officials will publish an update within {n} hours.",
        "This story will be updated.",
        "{d} has set up a task force.",
        "Those affected have been given shelter.",
        "Similar hazards will be checked across the city.",
        "Managers of the site have been summoned.",
        "Traffic should be back to normal by {n} o'clock.",
        "Videos of the scene have been viewed {n} thousand times.",
        "Volunteers handed out water and food.",
        "Community workers are visiting every household.",
        "{n} schools in {d} changed their hours.",
        "Experts urged people not to spread rumours.",
        "The hospital opened a fast track for the injured.",
        "Insurers have started fast claims.",
        "{O} said those responsible would be held to account.",
        "{n} workers are still at the scene.",
        "More details are expected from officials.",
    ],
};

/// splitmix64: small, fast, and the same numbers on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The generated stories as the pipeline's analysis sees them: sizes, the cost of the analysis
/// per signal, and how many distinct stories SimHash would take for an earlier one.
fn stories_report(analyzer: &Analyzer, rules: &Rules) {
    let mut sizes = Vec::new();
    let mut costs = Vec::new();
    let mut hashes = Vec::new();
    let mut sketches = Vec::new();
    let mut kinds = Vec::new();
    for seed in 0..SIMULATED_STORIES {
        let s = story(seed);
        kinds.push((s.zh, s.kind));
        let text = format!("{}\n{}", s.title, s.body);
        sizes.push(s.title.len() + s.body.len());
        let started = Instant::now();
        let tokens = analyzer.tokens(&text);
        let hits = rules.classify(&tokens);
        let hash = simhash(&tokens);
        let words = sketch(&tokens);
        costs.push(started.elapsed().as_nanos() as u64);
        std::hint::black_box(hits);
        hashes.push(hash);
        sketches.push(words);
    }
    sizes.sort_unstable();
    costs.sort_unstable();
    let at = |v: &[u64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let near_of = |i: usize, same: bool| {
        (0..i).any(|j| (kinds[j] == kinds[i]) == same && hamming(hashes[j], hashes[i]) <= SIMHASH_DISTANCE)
    };
    let near = (1..hashes.len()).filter(|&i| near_of(i, true) || near_of(i, false)).count();
    let near_other = (1..hashes.len()).filter(|&i| near_of(i, false)).count();
    let near_zh = (1..hashes.len()).filter(|&i| kinds[i].0 && (near_of(i, true) || near_of(i, false))).count();
    // Hamming distance between unrelated stories (different kinds of incident), per language.
    let unrelated = |zh: bool| {
        let idx: Vec<usize> = (0..hashes.len()).filter(|&i| kinds[i].0 == zh).take(2000).collect();
        let mut d: Vec<u64> = Vec::new();
        for (a, &i) in idx.iter().enumerate() {
            for &j in &idx[a + 1..] {
                if kinds[i] != kinds[j] {
                    d.push(hamming(hashes[i], hashes[j]) as u64);
                }
            }
        }
        d.sort_unstable();
        let within = d.iter().filter(|&&x| x <= SIMHASH_DISTANCE as u64).count();
        format!(
            "median {} bits, 0.1 % quantile {} bits, {:.4} % of pairs within {SIMHASH_DISTANCE}",
            d[d.len() / 2],
            d[d.len() / 1000],
            100.0 * within as f64 / d.len() as f64
        )
    };
    println!(
        "generated stories: title+body {} B min, {} B median, {} B max; zh {} % (of {SIMULATED_STORIES})",
        sizes[0],
        sizes[sizes.len() / 2],
        sizes[sizes.len() - 1],
        (0..SIMULATED_STORIES).filter(|&s| story(s).zh).count() * 100 / SIMULATED_STORIES as usize
    );
    println!(
        "analysis per signal (Analyzer::tokens + Rules::classify + simhash + sketch, one thread): p50 {:.1} µs, p99 {:.1} µs",
        at(&costs, 0.5) as f64 / 1e3,
        at(&costs, 0.99) as f64 / 1e3
    );
    println!(
        "SimHash look-alikes: {near} of {SIMULATED_STORIES} distinct stories are within {SIMHASH_DISTANCE} bits of an \
         earlier one (they would join its case): {near_zh} of them Chinese; {near_other} look like a story of \
         another kind of incident"
    );
    println!("Hamming distance between unrelated stories: Chinese {}; English {}", unrelated(true), unrelated(false));
    // The second check tocsin makes: of the pairs SimHash takes for one story, those that also
    // share at least DEFAULT_OVERLAP of their content words (every pair here is two stories).
    let mut overlaps = Vec::new();
    let mut joined = 0;
    for i in 1..hashes.len() {
        let mut joins = false;
        for j in 0..i {
            if hamming(hashes[j], hashes[i]) <= SIMHASH_DISTANCE {
                let r = sketches[i].resemblance(&sketches[j]);
                joins |= r >= DEFAULT_OVERLAP;
                overlaps.push(r);
            }
        }
        joined += usize::from(joins);
    }
    overlaps.sort_by(f64::total_cmp);
    let q = |p: f64| overlaps.get(((overlaps.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or(0.0);
    println!(
        "with the token check too (resemblance ≥ {DEFAULT_OVERLAP}): {joined} of {SIMULATED_STORIES} would join an \
         earlier story; resemblance of the {} SimHash look-alike pairs: median {:.2}, 99.9 % {:.2}, max {:.2}; {} \
         pairs at ≥ {DEFAULT_OVERLAP}",
        overlaps.len(),
        q(0.5),
        q(0.999),
        q(1.0),
        overlaps.iter().filter(|&&r| r >= DEFAULT_OVERLAP).count()
    );
    let s = story(1);
    println!("example: {} / {}", s.title, s.body);
    let s = story(4);
    println!("example: {} / {}\n", s.title, s.body);
}

// ---------------------------------------------------------------------------------------------
// The store alone, without HTTP and analysis

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
        tokio::time::sleep_until(cpu_from.into()).await;
        let before = CpuSnapshot::take();
        let mut samples = Vec::new();
        for h in handles {
            samples.extend(h.await.expect("a store task"));
        }
        (samples, before.since())
    })
}

const SHORT: Timing = Timing { warmup: Duration::from_secs(1), measured: Duration::from_secs(3) };

/// Commits exactly as the pipeline opens a case (case, event, notice, signal in one
/// transaction), first alone, then preceded by `Store::story_signals` as the pipeline does.
fn store_only(
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
        let db = match rt.block_on(Db::new(backend, admin)) {
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
            let db = rt.block_on(Db::new(Backend::Sqlite, None)).expect("a temp dir");
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

/// What `write_commit` (src/store/queries.rs) does to open a case: case, event, notice, signal.
async fn raw_commit(pool: &sqlx::SqlitePool, p: &Prepared) -> Result<(), sqlx::Error> {
    let now = Utc::now().timestamp_millis();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cases (team, title, summary, source, grade, state, leader, opened_by, drill, \
         opened_ms, updated_ms, version) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $9, 1) RETURNING id",
    )
    .bind("city-desk")
    .bind(&p.title)
    .bind(&p.body)
    .bind(&p.source)
    .bind(p.grade.as_str())
    .bind("alice")
    .bind("tocsin")
    .bind(false)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO events (case_id, actor, action, details, platform, at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind("tocsin")
    .bind(EventAction::Opened.as_str())
    .bind(json!({ "title": p.title, "grade": p.grade.as_str(), "source": "news-wire", "score": p.score }).to_string())
    .bind("intake")
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO outbox (chat, platform, case_id, payload, created_ms, next_attempt_ms) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind("ops")
    .bind(Platform::Discord.as_str())
    .bind(id)
    .bind(&p.payload)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO signals (case_id, source, title, url, fingerprint, simhash, sketch, score, explanation, \
         received_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind("news-wire")
    .bind(&p.title)
    .bind(&p.source)
    .bind(None::<String>)
    .bind(p.simhash as i64)
    .bind(p.sketch.to_bytes())
    .bind(p.score)
    .bind(&p.explanation)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

struct Prepared {
    /// The notice the team chat would be sent, serialised.
    payload: String,
    title: String,
    body: String,
    source: String,
    simhash: u64,
    sketch: Sketch,
    score: f64,
    grade: Grade,
    explanation: String,
}

fn prepare(seed: u64, analyzer: &Analyzer, rules: &Rules) -> Prepared {
    let s = story(seed);
    let tokens = analyzer.tokens(&format!("{}\n{}", s.title, s.body));
    let hits: Vec<CategoryHit> = rules
        .classify(&tokens)
        .into_iter()
        .map(|h| CategoryHit { name: h.category, weight: h.weight, count: h.count, terms: h.terms })
        .collect();
    let weights = Weights { thresholds: [12.0, 8.0, 4.0], attention_weight: 1.0, diffusion_weight: 2.0 };
    let e = grading::assess(hits, grading::attention(1200, 30, 5), 1.0, 1, 3600, &weights);
    let notice = Notice::Opened {
        title: s.title.clone(),
        summary: Some(s.body.clone()),
        grade: e.grade,
        by: "news-wire".into(),
    };
    Prepared {
        payload: notice.to_payload(),
        source: format!("https://news.example.org/s/{seed}/0"),
        simhash: simhash(&tokens),
        sketch: sketch(&tokens),
        score: e.score,
        grade: e.grade,
        explanation: serde_json::to_string(&e).expect("an explanation serialises"),
        title: s.title,
        body: s.body,
    }
}

impl Prepared {
    fn commit(&self) -> Commit {
        let now = Utc::now();
        Commit {
            case: CaseWrite::Insert(NewCase {
                team: "city-desk".into(),
                title: self.title.clone(),
                summary: Some(self.body.clone()),
                source: self.source.clone(),
                grade: self.grade,
                owner: None,
                leader: Some("alice".into()),
                opened_by: "tocsin".into(),
                drill: false,
                opened_at: now,
            }),
            events: vec![NewEvent {
                actor: "tocsin".into(),
                action: EventAction::Opened,
                details: json!({ "title": self.title, "grade": self.grade.as_str(), "source": "news-wire", "score": self.score }),
                platform: "intake".into(),
                at: now,
            }],
            outbox: vec![NewOutbox { chat: "ops".into(), platform: Platform::Discord, payload: self.payload.clone() }],
            chat_locale: None,
            handled: None,
            signals: vec![NewSignal {
                source: "news-wire".into(),
                title: self.title.clone(),
                url: Some(self.source.clone()),
                fingerprint: None,
                simhash: self.simhash,
                sketch: Some(self.sketch.clone()),
                score: self.score,
                explanation: self.explanation.clone(),
                received_at: now,
            }],
            jobs: vec![],
            job_done: None,
            settings: vec![],
            at: now,
        }
    }
}

/// Median time of `Store::story_hashes` over the last hour, as the pipeline calls it.
async fn scan_time(store: &Arc<dyn Store>) -> f64 {
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let rows = store.story_hashes(Utc::now() - chrono::Duration::hours(1), None).await.expect("story signals");
        times.push(started.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(rows);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

// ---------------------------------------------------------------------------------------------
// Databases

struct Db {
    backend: Backend,
    url: String,
    _dir: Option<TempDir>,
    /// Admin URL and database name, to drop it afterwards.
    pg: Option<(String, String)>,
}

static DB_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Db {
    async fn new(backend: Backend, admin: Option<&str>) -> Result<Db, String> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
                let url = format!("sqlite://{}/tocsin.db", dir.path().display());
                Ok(Db { backend, url, _dir: Some(dir), pg: None })
            }
            Backend::Postgres => {
                let admin = admin.ok_or("no Postgres URL")?;
                let name = format!("tocsin_bench_{}_{}", std::process::id(), DB_COUNTER.fetch_add(1, Ordering::SeqCst));
                let pool = sqlx::PgPool::connect(admin).await.map_err(|e| e.to_string())?;
                let created = sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await;
                pool.close().await;
                created.map_err(|e| e.to_string())?;
                let url = with_database(admin, &name);
                Ok(Db { backend, url, _dir: None, pg: Some((admin.to_string(), name)) })
            }
        }
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

struct Ledger {
    cases: i64,
    signals: i64,
    /// (case, url) of every signal.
    rows: Vec<(i64, Option<String>)>,
}

/// Every column `signals_since` reads, in its order.
type SignalColumns = (i64, String, String, Option<String>, Option<String>, i64, f64, String, i64);

/// The story lookup's query (src/store/queries.rs `signals_since`) as the database plans it, and
/// what narrower forms of it would cost on the same ledger: evidence for where its time goes.
async fn scan_variants(db: &Db) {
    const CURRENT: &str = "SELECT case_id, source, title, url, fingerprint, simhash, score, explanation, received_ms \
         FROM signals WHERE received_ms >= $1 AND case_id IN \
         (SELECT id FROM cases WHERE state NOT IN ('closed', 'dismissed')) ORDER BY id";
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
            for (name, sql, since) in variants {
                let mut times = Vec::new();
                let mut rows = 0;
                for _ in 0..5 {
                    let started = Instant::now();
                    rows = if sql == CURRENT {
                        let r: Vec<SignalColumns> =
                            sqlx::query_as(sql).bind(since).fetch_all(&pool).await.expect("a scan");
                        r.len()
                    } else {
                        let r: Vec<(i64, i64)> =
                            sqlx::query_as(sql).bind(since).fetch_all(&pool).await.expect("a scan");
                        r.len()
                    };
                    times.push(started.elapsed().as_secs_f64() * 1e3);
                }
                times.sort_by(f64::total_cmp);
                println!("  {name}: {rows} rows, {:.2} ms", times[2]);
            }
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
            for (name, sql, since) in variants {
                let mut times = Vec::new();
                let mut rows = 0;
                for _ in 0..5 {
                    let started = Instant::now();
                    rows = if sql == CURRENT {
                        let r: Vec<SignalColumns> =
                            sqlx::query_as(sql).bind(since).fetch_all(&pool).await.expect("a scan");
                        r.len()
                    } else {
                        let r: Vec<(i64, i64)> =
                            sqlx::query_as(sql).bind(since).fetch_all(&pool).await.expect("a scan");
                        r.len()
                    };
                    times.push(started.elapsed().as_secs_f64() * 1e3);
                }
                times.sort_by(f64::total_cmp);
                println!("  {name}: {rows} rows, {:.2} ms", times[2]);
            }
            pool.close().await;
        }
    }
}

async fn ledger(db: &Db) -> Ledger {
    const CASES: &str = "SELECT COUNT(*) FROM cases";
    const SIGNALS: &str = "SELECT case_id, url FROM signals";
    let (cases, rows) = match db.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.expect("open the ledger");
            let cases: i64 = sqlx::query_scalar(CASES).fetch_one(&pool).await.expect("count cases");
            let rows = sqlx::query_as(SIGNALS).fetch_all(&pool).await.expect("read signals");
            pool.close().await;
            (cases, rows)
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("open the ledger");
            let cases: i64 = sqlx::query_scalar(CASES).fetch_one(&pool).await.expect("count cases");
            let rows = sqlx::query_as(SIGNALS).fetch_all(&pool).await.expect("read signals");
            pool.close().await;
            (cases, rows)
        }
    };
    Ledger { cases, signals: rows.len() as i64, rows }
}

impl Ledger {
    /// Stories split over several cases, and cases holding several stories.
    fn print_stories(&self) {
        let mut cases_of: HashMap<u64, HashSet<i64>> = HashMap::new();
        let mut stories_of: HashMap<i64, HashSet<u64>> = HashMap::new();
        for (case, url) in &self.rows {
            let Some(seed) = url.as_deref().and_then(|u| u.split('/').nth(4)).and_then(|s| s.parse().ok()) else {
                continue;
            };
            cases_of.entry(seed).or_default().insert(*case);
            stories_of.entry(*case).or_default().insert(seed);
        }
        let split = cases_of.values().filter(|c| c.len() > 1).count();
        let merged = stories_of.values().filter(|s| s.len() > 1).count();
        let reports = self.rows.len() - cases_of.len();
        let mut per_case: HashMap<i64, usize> = HashMap::new();
        for (case, _) in &self.rows {
            *per_case.entry(*case).or_insert(0) += 1;
        }
        let largest = per_case.values().copied().max().unwrap_or(0);
        println!(
            "stories: {} distinct ({reports} later reports of one); {split} stories split over several cases, \
             {merged} cases holding several stories; the largest case has {largest} signals",
            cases_of.len()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// What tocsin logged

/// ERROR events by target and first line of their fields, since the last `print_errors`.
static ERRORS: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

struct Tally;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Tally {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() != tracing::Level::ERROR {
            return;
        }
        let mut fields = FirstLines(String::new());
        event.record(&mut fields);
        let key = format!("{}:{}", event.metadata().target(), fields.0);
        *ERRORS.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_insert(0) += 1;
    }
}

/// `name=value` of every field, each value cut at its first line (anyhow appends a backtrace).
struct FirstLines(String);

impl tracing::field::Visit for FirstLines {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        let first = text.lines().next().unwrap_or("");
        self.0.push_str(&format!(" {}={first}", field.name()));
    }
}

fn print_errors() {
    let errors = std::mem::take(&mut *ERRORS.lock().unwrap_or_else(|e| e.into_inner()));
    for (what, n) in errors {
        println!("tocsin logged {n} × ERROR {what}");
    }
}

// ---------------------------------------------------------------------------------------------
// The machine and CPU time

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
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
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    println!(
        "machine: {cores} cores, CPU {cpu}, {}, load average {}",
        rustc.unwrap_or_else(|e| format!("rustc: {e}")),
        loadavg()
    );
}

/// CPU ticks (1/100 s) by thread group of this process, of Postgres' processes, and of the
/// whole machine.
#[derive(Default, Clone)]
struct CpuSnapshot {
    groups: BTreeMap<&'static str, u64>,
    machine_busy: u64,
    machine_total: u64,
}

impl CpuSnapshot {
    fn take() -> CpuSnapshot {
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
        if let Ok(s) = std::fs::read_to_string("/proc/stat")
            && let Some(line) = s.lines().next()
        {
            let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
            let total: u64 = v.iter().take(8).sum();
            let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
            snap.machine_total = total;
            snap.machine_busy = total - idle;
        }
        snap
    }

    fn since(&self) -> Cpu {
        let now = CpuSnapshot::take();
        let mut groups = BTreeMap::new();
        for (k, v) in &now.groups {
            groups.insert(*k, v.saturating_sub(self.groups.get(k).copied().unwrap_or(0)));
        }
        Cpu {
            groups,
            machine_busy: now.machine_busy.saturating_sub(self.machine_busy),
            machine_total: now.machine_total.saturating_sub(self.machine_total),
        }
    }
}

/// `(comm, utime + stime)` from a `/proc/.../stat` file.
fn stat(path: &std::path::Path) -> Option<(String, u64)> {
    let s = std::fs::read_to_string(path).ok()?;
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s[open + 1..close].to_string();
    let fields: Vec<&str> = s[close + 1..].split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((comm, ticks))
}

struct Cpu {
    groups: BTreeMap<&'static str, u64>,
    machine_busy: u64,
    machine_total: u64,
}

impl Cpu {
    fn print(&self, measured: Duration) {
        let secs = |t: u64| t as f64 / 100.0;
        let parts: Vec<String> =
            self.groups.iter().filter(|(_, t)| **t > 0).map(|(k, t)| format!("{k} {:.1} s", secs(*t))).collect();
        let ours: u64 = self.groups.values().sum();
        println!(
            "CPU during the measured {} s (+ tail): {}; machine busy {:.0} % of all cores ({:.1} s of it not ours)",
            measured.as_secs(),
            parts.join(", "),
            100.0 * self.machine_busy as f64 / self.machine_total.max(1) as f64,
            (secs(self.machine_busy) - secs(ours)).max(0.0)
        );
    }
}
