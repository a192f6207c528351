//! Intake load while Postgres is away for 30 s. By default tocsin's connection is cut (through a
//! proxy: the port refuses connections and open ones drop, as when the server stops), which
//! leaves the server to anything else using it. With `CHAOS_PG_STOP` and `CHAOS_PG_START` (shell
//! commands, e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main stop -m fast`), the server
//! itself is stopped and started again: its connections are ended by the server, as in a
//! restart or a crash.

use super::instance::{self, Instance};
use super::proxy::{Proxy, upstream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 8;
const BEFORE: Duration = Duration::from_secs(15);
const OUTAGE: Duration = Duration::from_secs(30);
const AFTER: Duration = Duration::from_secs(15);

struct Answer {
    at: Instant,
    took: Duration,
    status: Option<u16>,
    key: usize,
}

/// How Postgres goes away and comes back.
enum Outage {
    Cut(Proxy),
    Stop { stop: String, start: String },
}

impl Outage {
    async fn from_env(url: &str) -> Outage {
        match (std::env::var("CHAOS_PG_STOP"), std::env::var("CHAOS_PG_START")) {
            (Ok(stop), Ok(start)) => Outage::Stop { stop, start },
            _ => Outage::Cut(Proxy::start(upstream(url)).await),
        }
    }

    fn url(&self, url: &str) -> String {
        match self {
            Outage::Cut(proxy) => proxy.url(url),
            Outage::Stop { .. } => url.to_string(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Outage::Cut(_) => "connection to Postgres cut (30 s)",
            Outage::Stop { .. } => "Postgres stopped (30 s)",
        }
    }

    async fn begin(&self) -> anyhow::Result<()> {
        match self {
            Outage::Cut(proxy) => {
                proxy.cut();
                Ok(())
            }
            Outage::Stop { stop, .. } => shell(stop).await,
        }
    }

    async fn end(&self) -> anyhow::Result<()> {
        match self {
            Outage::Cut(proxy) => {
                proxy.restore().await;
                Ok(())
            }
            Outage::Stop { start, .. } => shell(start).await,
        }
    }
}

async fn shell(command: &str) -> anyhow::Result<()> {
    let status = tokio::process::Command::new("sh").arg("-c").arg(command).status().await?;
    anyhow::ensure!(status.success(), "`{command}` failed: {status}");
    Ok(())
}

pub async fn run(db: super::support::Db) -> anyhow::Result<usize> {
    let outage = Outage::from_env(&db.url).await;
    let client = reqwest::Client::new();
    let addr = instance::free_addr();
    let mut tocsin = Instance::start(&instance::config(None, Some(addr)), &outage.url(&db.url), Some(addr))?;
    tocsin.ready(&client).await?;
    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let end = started + BEFORE + OUTAGE + AFTER;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (answers, next, client) = (answers.clone(), next.clone(), client.clone());
        clients.push(tokio::spawn(async move {
            while Instant::now() < end {
                let n = next.fetch_add(1, Ordering::SeqCst);
                let asked = Instant::now();
                let status = instance::post_signal(&client, addr, &format!("o{n}"), &instance::story(n)).await.ok();
                answers.lock().unwrap().push(Answer { at: asked, took: asked.elapsed(), status, key: n });
                if status != Some(202) {
                    // As told by Retry-After, shortened: the figure wanted is when 202s resume.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }));
    }
    tokio::time::sleep_until((started + BEFORE).into()).await;
    let cut_at = Instant::now();
    outage.begin().await?;
    tokio::time::sleep_until((cut_at + OUTAGE).into()).await;
    outage.end().await?;
    let restored_at = Instant::now();
    for c in clients {
        c.await?;
    }
    tocsin.kill();
    let answers = std::mem::take(&mut *answers.lock().unwrap());
    let phase = |a: &Answer| {
        if a.at < cut_at {
            0
        } else if a.at < restored_at {
            1
        } else {
            2
        }
    };
    println!("| phase | 202 | 503 | other status | no answer | slowest answer |");
    println!("|---|---|---|---|---|---|");
    for (p, name) in ["before", outage.name(), "after"].iter().enumerate() {
        let of: Vec<&Answer> = answers.iter().filter(|a| phase(a) == p).collect();
        let count = |f: &dyn Fn(&Answer) -> bool| of.iter().filter(|a| f(a)).count();
        let slowest = of.iter().map(|a| a.took).max().unwrap_or_default();
        println!(
            "| {name} | {} | {} | {} | {} | {:.2} s |",
            count(&|a| a.status == Some(202)),
            count(&|a| a.status == Some(503)),
            count(&|a| a.status.is_some_and(|s| s != 202 && s != 503)),
            count(&|a| a.status.is_none()),
            slowest.as_secs_f64()
        );
    }
    let recovered =
        answers.iter().filter(|a| a.at >= restored_at && a.status == Some(202)).map(|a| a.at + a.took).min();
    match recovered {
        Some(at) => {
            println!("\nfirst 202 after Postgres came back: {:.2} s after", (at - restored_at).as_secs_f64())
        }
        None => println!("\nno 202 after Postgres came back"),
    }
    let pool = sqlx::PgPool::connect(&db.url).await?;
    let keys: Vec<(String,)> =
        sqlx::query_as("SELECT key FROM handled WHERE key LIKE 'http:wire:o%'").fetch_all(&pool).await?;
    let kept: std::collections::HashSet<String> = keys.into_iter().map(|(k,)| k).collect();
    let lost =
        answers.iter().filter(|a| a.status == Some(202) && !kept.contains(&format!("http:wire:o{}", a.key))).count();
    let other = answers.iter().filter(|a| a.status.is_some_and(|s| s != 202 && s != 503)).count();
    println!("202s missing from the ledger: {lost}\n");
    pool.close().await;
    db.remove().await;
    Ok(lost + other + usize::from(recovered.is_none()))
}
