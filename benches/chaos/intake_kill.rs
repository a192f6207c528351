//! A 10,000-signal intake flood with tocsin SIGKILLed at five random points and started again
//! on the same database: every signal answered 202 is in the ledger afterwards, and no story
//! has two cases.

use super::instance::{self, Instance};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SIGNALS: usize = 10_000;
/// Five signals per story, sent by different clients at about the same time.
const STORIES: usize = SIGNALS / 5;
const CLIENTS: usize = 16;
const KILLS: usize = 5;

pub async fn run(db: &super::support::Db) -> anyhow::Result<usize> {
    let client = reqwest::Client::new();
    let addr = instance::free_addr();
    let config = instance::config(None, Some(addr));
    let start = |client: reqwest::Client| {
        let (config, url) = (config.clone(), db.url.clone());
        async move {
            let mut x = Instance::start(&config, &url, Some(addr))?;
            x.ready(&client).await?;
            anyhow::Ok(x)
        }
    };
    let mut tocsin = start(client.clone()).await?;
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos() as u64;
    let mut points: Vec<usize> =
        (0..KILLS).map(|k| 500 + (mix(seed + k as u64) % (SIGNALS as u64 - 1_000)) as usize).collect();
    points.sort_unstable();
    println!("kill points (202s counted): {points:?} (seed {seed})");

    let acked = Arc::new(Mutex::new(Vec::<usize>::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let retries = Arc::new(AtomicUsize::new(0));
    let other = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (acked, next, retries, other, client) =
            (acked.clone(), next.clone(), retries.clone(), other.clone(), client.clone());
        clients.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= SIGNALS {
                    return;
                }
                // The sender's part: retry what was not answered 202 (refused connections,
                // dropped requests, 503), with the same idempotency key.
                loop {
                    match instance::post_signal(&client, addr, &format!("k{n}"), &instance::story(n % STORIES)).await {
                        Ok(202) => {
                            acked.lock().unwrap().push(n);
                            break;
                        }
                        Ok(503) | Err(_) => {
                            retries.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Ok(_) => {
                            other.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                    }
                }
            }
        }));
    }
    let mut restarts = Vec::new();
    for point in points {
        while acked.lock().unwrap().len() < point {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let killed = Instant::now();
        tocsin.kill();
        tocsin = start(client.clone()).await?;
        restarts.push(killed.elapsed().as_secs_f64());
    }
    for c in clients {
        c.await?;
    }
    let took = started.elapsed();
    let acked: Vec<usize> = std::mem::take(&mut *acked.lock().unwrap());
    tocsin.kill();

    // What the ledger kept, read after the last process is gone.
    let (handled, signals) = read_ledger(&db.url).await?;
    let lost: Vec<&usize> = acked.iter().filter(|n| !handled.contains(&format!("http:wire:k{n}"))).collect();
    let mut cases_of: HashMap<String, HashSet<i64>> = HashMap::new();
    for (title, case) in &signals {
        cases_of.entry(title.clone()).or_default().insert(*case);
    }
    let split = cases_of.values().filter(|c| c.len() > 1).count();
    let stories_of_case: HashMap<i64, usize> = cases_of.values().flatten().fold(HashMap::new(), |mut m, c| {
        *m.entry(*c).or_default() += 1;
        m
    });
    let merged = stories_of_case.values().filter(|&&n| n > 1).count();
    println!(
        "{} of {SIGNALS} answered 202 in {:.1} s ({} retries, {} other answers); restart after each kill: {} s\n\
         ledger: {} signals; 202s missing from it: {}; stories with two cases: {split}; cases holding two stories: {merged}\n",
        acked.len(),
        took.as_secs_f64(),
        retries.load(Ordering::SeqCst),
        other.load(Ordering::SeqCst),
        restarts.iter().map(|s| format!("{s:.2}")).collect::<Vec<_>>().join(", "),
        signals.len(),
        lost.len(),
    );
    Ok(lost.len() + split + other.load(Ordering::SeqCst))
}

async fn read_ledger(url: &str) -> anyhow::Result<(HashSet<String>, Vec<(String, i64)>)> {
    const HANDLED: &str = "SELECT key FROM handled WHERE key LIKE 'http:wire:%'";
    const SIGNALS: &str = "SELECT title, case_id FROM signals";
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        let keys: Vec<(String,)> = sqlx::query_as(HANDLED).fetch_all(&pool).await?;
        let signals: Vec<(String, i64)> = sqlx::query_as(SIGNALS).fetch_all(&pool).await?;
        pool.close().await;
        Ok((keys.into_iter().map(|(k,)| k).collect(), signals))
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        let keys: Vec<(String,)> = sqlx::query_as(HANDLED).fetch_all(&pool).await?;
        let signals: Vec<(String, i64)> = sqlx::query_as(SIGNALS).fetch_all(&pool).await?;
        pool.close().await;
        Ok((keys.into_iter().map(|(k,)| k).collect(), signals))
    }
}

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
