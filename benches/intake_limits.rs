//! The intake listener's limits under pressure (issue 15):
//!
//! 1. **In-flight cap.** 64 clients, each a closed loop over its own keep-alive connection, POST
//!    signals to an intake whose `max_in_flight` is 16. Accepted requests (202) must keep their
//!    p99 ≤ 20 ms; the rest get a fast 503, whose latency is measured too. A refused client waits
//!    the `Retry-After` it was given (as a well-behaved sender does), unless
//!    `INTAKE_LIMITS_HONOUR=0`.
//! 2. **Slow unauthenticated connections.** 800 connections that send no credentials: 400 send a
//!    request head one line a second (slowloris), 400 announce a 256 KiB body and trickle it
//!    (1 KiB every 100 ms). RSS of the process before, at the end of the period and after, and
//!    `/healthz` probed from a fresh connection every 500 ms throughout.
//!
//! tocsin runs in this process as `tocsin::run::start` starts it (SQLite ledger in a temp dir,
//! default `[http]` limits except `max_in_flight`), on its own runtime with one worker per core;
//! the clients run on a second runtime with one thread. Run with
//! `cargo bench --bench intake_limits`. Knobs: `INTAKE_LIMITS_SECS` (each phase, default 10),
//! `INTAKE_LIMITS_CLIENTS` (64), `INTAKE_LIMITS_CAP` (16), `INTAKE_LIMITS_SLOW` (800). Results go
//! to BENCHMARKS.md by hand; nothing here asserts anything.

// Shared with the other load benches; this one uses only part of it.
#[allow(dead_code, unused_imports)]
#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{BOT_TOML, Backend, Db, env_num, loadavg};
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::run::Secrets;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const WIRE_TOKEN: &str = "wire-token-0123456789";

fn config_text(cap: usize) -> String {
    let base = BOT_TOML
        .replace("[console]\nchat = \"ops\"\n", "")
        .replace("console = true\n", "")
        .replace("[chats.ops]\nplatform = \"console\"\n", "[chats.ops]\nplatform = \"discord\"\nid = 1\n");
    format!(
        "{base}\n[http]\nlisten = \"127.0.0.1:0\"\nbody_limit = 262144\nmax_in_flight = {cap}\n\n\
         [[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"WIRE_TOKEN\"\n\n\
         [[keywords]]\ncategory = \"outage\"\nweight = 2.0\nterms = [\"power outage\", \"停电\"]\n"
    )
}

fn main() {
    let secs = env_num("INTAKE_LIMITS_SECS", 10u64).clamp(1, 120);
    let clients = env_num("INTAKE_LIMITS_CLIENTS", 64usize).clamp(1, 1024);
    let cap = env_num("INTAKE_LIMITS_CAP", 16usize).clamp(1, 1024);
    let slow = env_num("INTAKE_LIMITS_SLOW", 800usize).clamp(2, 4000);
    let honour = std::env::var("INTAKE_LIMITS_HONOUR").map_or(true, |v| v != "0");
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!("machine: {}, load average {}", support::machine(), loadavg());

    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(cores).enable_all().build().unwrap();
    let load = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = server.block_on(Db::fresh(Backend::Sqlite, None, "tocsin_bench_limits")).expect("a ledger");
    let mut config = Config::parse(&config_text(cap)).expect("a valid config");
    config.database_url = db.url.clone();
    let vars = HashMap::from([("WIRE_TOKEN".to_string(), WIRE_TOKEN.to_string())]);
    let secrets = Secrets { vars: Some(vars), ..Secrets::default() };
    let services = server.block_on(tocsin::run::start(config, Arc::new(SystemClock), secrets)).expect("tocsin starts");
    let addr = services.http_addr.expect("intake listens");
    let period = Duration::from_secs(secs);

    println!("\n=== {clients} clients, max_in_flight = {cap}, {secs} s, Retry-After honoured: {honour} ===");
    let r = load.block_on(in_flight(addr, clients, period, honour));
    let (ok, busy) = (stats(r.accepted.clone()), stats(r.refused.clone()));
    println!(
        "202: {} ({:.0}/s)  p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        ok.n,
        ok.n as f64 / secs as f64,
        ok.p50,
        ok.p99,
        ok.max
    );
    println!("503: {}  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms", busy.n, busy.p50, busy.p99, busy.max);
    println!("other answers: {:?}", r.other);

    println!("\n=== {slow} slow unauthenticated connections, {secs} s ===");
    let before = rss_kib();
    let s = load.block_on(slow_clients(addr, slow, period));
    let during = s.rss_at_end;
    load.block_on(async { tokio::time::sleep(Duration::from_secs(2)).await });
    let after = rss_kib();
    let probes = stats(s.healthz.clone());
    println!(
        "RSS: before {} MiB, at the end of the period {} MiB, 2 s after {} MiB",
        before / 1024,
        during / 1024,
        after / 1024
    );
    println!(
        "/healthz during: {} of {} probes answered 200; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        s.healthz.len(),
        s.probes,
        probes.p50,
        probes.p99,
        probes.max
    );
    println!(
        "slow-head connections closed by tocsin: {} of {}; slow-body connections refused (401 or reset): {} of {}",
        s.heads_closed,
        slow / 2,
        s.bodies_refused,
        slow - slow / 2
    );
    server.block_on(services.shutdown());
    drop(db);
}

struct InFlight {
    accepted: Vec<Duration>,
    refused: Vec<Duration>,
    other: HashMap<u16, usize>,
}

async fn in_flight(addr: SocketAddr, clients: usize, period: Duration, honour: bool) -> InFlight {
    let end = Instant::now() + period;
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
            let mut out = InFlight { accepted: vec![], refused: vec![], other: HashMap::new() };
            while Instant::now() < end {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                // Words of their own per request: every signal a story of its own (similar texts
                // would all join one case, and measure that case's contention instead).
                let w = |i: u64| format!("{:08x}", splitmix(n as u64 * 8 + i) as u32);
                let body = format!(
                    r#"{{"source": "bench", "title": "Power outage {} {} {} {}", "body": "{} {} {} crews on site"}}"#,
                    w(0),
                    w(1),
                    w(2),
                    w(3),
                    w(4),
                    w(5),
                    w(6)
                );
                let sent = Instant::now();
                let answer = client
                    .post(format!("http://{addr}/api/v1/signals"))
                    .header("authorization", format!("Bearer {WIRE_TOKEN}"))
                    .body(body)
                    .send()
                    .await;
                let Ok(answer) = answer else {
                    *out.other.entry(0).or_default() += 1;
                    continue;
                };
                let status = answer.status().as_u16();
                let retry = answer.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                let _ = answer.bytes().await;
                let took = sent.elapsed();
                match status {
                    202 => out.accepted.push(took),
                    503 => {
                        out.refused.push(took);
                        if honour {
                            tokio::time::sleep(Duration::from_secs(retry.unwrap_or(1))).await;
                        }
                    }
                    s => *out.other.entry(s).or_default() += 1,
                }
            }
            out
        }));
    }
    let mut all = InFlight { accepted: vec![], refused: vec![], other: HashMap::new() };
    for t in tasks {
        let r = t.await.unwrap();
        all.accepted.extend(r.accepted);
        all.refused.extend(r.refused);
        for (k, v) in r.other {
            *all.other.entry(k).or_default() += v;
        }
    }
    all
}

/// A well-mixed 64-bit function of `x` (SplitMix64's finaliser).
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Slow {
    healthz: Vec<Duration>,
    probes: usize,
    rss_at_end: u64,
    heads_closed: usize,
    bodies_refused: usize,
}

async fn slow_clients(addr: SocketAddr, n: usize, period: Duration) -> Slow {
    let end = Instant::now() + period;
    let heads_closed = Arc::new(AtomicUsize::new(0));
    let bodies_refused = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..n {
        let (heads_closed, bodies_refused) = (heads_closed.clone(), bodies_refused.clone());
        tasks.push(tokio::spawn(async move {
            let Ok(mut s) = TcpStream::connect(addr).await else { return };
            if i % 2 == 0 {
                // Slowloris: a header line a second, never the blank line.
                let _ = s.write_all(b"POST /api/v1/signals HTTP/1.1\r\nhost: tocsin\r\n").await;
                let mut line = 0;
                while Instant::now() < end {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    line += 1;
                    if s.write_all(format!("x-slow-{line}: y\r\n").as_bytes()).await.is_err() {
                        heads_closed.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                }
                let mut b = [0u8; 64];
                if matches!(tokio::time::timeout(Duration::from_millis(10), s.read(&mut b)).await, Ok(Ok(0) | Err(_))) {
                    heads_closed.fetch_add(1, Ordering::Relaxed);
                }
            } else {
                // A 256 KiB body without credentials, trickled.
                let head = "POST /api/v1/signals HTTP/1.1\r\nhost: tocsin\r\ncontent-type: application/json\r\ncontent-length: 262144\r\n\r\n";
                let _ = s.write_all(head.as_bytes()).await;
                let (mut r, mut w) = s.into_split();
                let refused = bodies_refused.clone();
                let reader = tokio::spawn(async move {
                    let mut buf = [0u8; 512];
                    // The 401 itself, or (when tocsin's close reset the connection while the
                    // client was still sending) the reset: either way refused before the period ended.
                    match tokio::time::timeout_at(end.into(), r.read(&mut buf)).await {
                        Ok(Ok(n)) if n == 0 || buf[..n].starts_with(b"HTTP/1.1 401") => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Err(_)) => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {}
                    }
                });
                let chunk = vec![b' '; 1024];
                let mut sent = 0;
                while Instant::now() < end && sent < 262_144 {
                    if w.write_all(&chunk).await.is_err() {
                        break;
                    }
                    sent += chunk.len();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let _ = reader.await;
            }
        }));
    }
    let mut healthz = Vec::new();
    let mut probes = 0;
    tokio::time::sleep(Duration::from_millis(500)).await;
    while Instant::now() + Duration::from_millis(500) < end {
        probes += 1;
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
        let sent = Instant::now();
        if let Ok(r) = client.get(format!("http://{addr}/healthz")).send().await
            && r.status().as_u16() == 200
        {
            healthz.push(sent.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let rss_at_end = rss_kib();
    for t in tasks {
        let _ = t.await;
    }
    Slow {
        healthz,
        probes,
        rss_at_end,
        heads_closed: heads_closed.load(Ordering::Relaxed),
        bodies_refused: bodies_refused.load(Ordering::Relaxed),
    }
}

struct Stats {
    n: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let at = |q: f64| ms(v.get(((v.len() as f64 * q).ceil() as usize).saturating_sub(1)));
    Stats { n: v.len(), p50: at(0.5), p99: at(0.99), max: ms(v.last()) }
}

/// This process's resident set, KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}
