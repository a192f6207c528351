//! The load generator: closed-loop client tasks on a runtime of their own.

use crate::cpu::{Cpu, CpuSnapshot};
use crate::stories::{Rng, signal_json};
use crate::{MAX_PER_TASK, WIRE_TOKEN};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// A run's warm-up (not measured) and measured period.
#[derive(Clone, Copy)]
pub struct Timing {
    pub warmup: Duration,
    pub measured: Duration,
}

/// What each request of a run is.
#[derive(Clone, Copy)]
pub enum Work {
    Signals { repeat_pct: u64 },
    Health,
}

/// One request (or store call) and how it went.
#[derive(Clone, Copy)]
pub struct Sample {
    /// Since the start of the warm-up.
    pub start_us: u64,
    pub latency_us: u64,
    /// 0: no HTTP answer at all.
    pub status: u16,
}

/// Story numbers handed out to the client tasks of one run.
struct Stories {
    next: AtomicU64,
    requests: AtomicU64,
}

/// Runs `clients` closed-loop tasks for warm-up + measured time; returns every request's sample
/// and the CPU time spent meanwhile.
pub fn load(url: &str, work: Work, clients: usize, timing: Timing) -> (Vec<Sample>, Cpu) {
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
        gather(tasks, measure_from, "a client task").await
    });
    rt.shutdown_timeout(Duration::from_secs(5));
    (samples, cpu)
}

/// Every task's samples, and the CPU time spent from `measure_from` until the last task ended.
pub async fn gather(tasks: Vec<JoinHandle<Vec<Sample>>>, measure_from: Instant, what: &str) -> (Vec<Sample>, Cpu) {
    tokio::time::sleep_until(measure_from.into()).await;
    let before = CpuSnapshot::take();
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await.expect(what));
    }
    (samples, before.since())
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
