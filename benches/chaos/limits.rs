//! 1,000 cases opened across three instances' intakes: the Bot API sees the platform's limits
//! kept for the whole deployment, not per instance.

use super::fake_telegram::FakeTelegram;
use super::instance::{self, Instance, LEADERS, TEAM};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const INSTANCES: usize = 3;
const CASES: usize = 1_000;
const CLIENTS: usize = 16;

pub async fn run(db: super::support::Db) -> anyhow::Result<usize> {
    let fake = FakeTelegram::start().await;
    fake.set_chat(TEAM, "supergroup", Some("Ops"));
    fake.set_chat(LEADERS, "supergroup", Some("Leaders"));
    let client = reqwest::Client::new();
    let pool = sqlx::PgPool::connect(&db.url).await?;
    let mut instances = Vec::new();
    for _ in 0..INSTANCES {
        let addr = instance::free_addr();
        let config = instance::config(Some(&fake.api_url()), Some(addr));
        let mut x = Instance::start(&config, &db.url, Some(addr))?;
        x.ready(&client).await?;
        instances.push(x);
    }
    let addrs: Vec<_> = instances.iter().filter_map(|x| x.http).collect();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (next, client, addrs) = (next.clone(), client.clone(), addrs.clone());
        clients.push(tokio::spawn(async move {
            let mut refused = 0;
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= CASES {
                    return refused;
                }
                // Round-robin: each instance opens a third of the cases.
                match instance::post_signal(&client, addrs[n % addrs.len()], &format!("l{n}"), &instance::story(n))
                    .await
                {
                    Ok(202) => {}
                    _ => refused += 1,
                }
            }
        }));
    }
    let mut refused = 0;
    for c in clients {
        refused += c.await?;
    }
    let posted = started.elapsed();
    // Until the outbox is empty: every case announced, as cards or in digests.
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (pending,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetch_one(&pool).await?;
        if pending == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let drained = started.elapsed();
    let (cases,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases").fetch_one(&pool).await?;
    let (sends, group) = fake.with_state(|st| {
        let ok: Vec<_> = st.calls.iter().filter(|c| c.status == 200 && is_send(&c.method)).collect();
        let mut all: Vec<Instant> = ok.iter().map(|c| c.at).collect();
        let mut group: Vec<Instant> = ok.iter().filter(|c| c.chat_id == Some(TEAM)).map(|c| c.at).collect();
        all.sort();
        group.sort();
        (all, group)
    });
    let per_second = instance::densest(&sends, Duration::from_secs(1));
    let per_minute = instance::densest(&group, Duration::from_secs(60));
    println!(
        "{CASES} signals posted round-robin to {INSTANCES} instances by {CLIENTS} clients in {:.1} s ({refused} not 202); \
         {cases} cases; outbox drained after {:.1} s\n\
         {} messages accepted by the Bot API; at most {per_second} in any second (limit 30), \
         at most {per_minute} to the team group in any minute (limit 20)\n",
        posted.as_secs_f64(),
        drained.as_secs_f64(),
        sends.len(),
    );
    for x in instances {
        x.kill();
    }
    pool.close().await;
    db.remove().await;
    Ok(usize::from(per_second > 30) + usize::from(per_minute > 20) + refused)
}

fn is_send(method: &str) -> bool {
    matches!(method, "sendMessage" | "editMessageText" | "editMessageReplyMarkup")
}
