//! 1,000 cases opened across three instances' intakes, for 40 teams with a Telegram group each:
//! the Bot API sees the platform's limits kept for the whole deployment, not per instance.

use super::fake_telegram::FakeTelegram;
use super::instance::{self, ALICE, Instance};
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const INSTANCES: usize = 3;
const CASES: usize = 1_000;
const CLIENTS: usize = 16;
/// Teams, each with its own Telegram group: more groups than the 30 messages/s a token may
/// send, at one a second each, so the whole deployment's budget is what holds them back.
const GROUPS: usize = 40;

fn group(i: usize) -> i64 {
    -1_000_001 - i as i64
}

/// bot.toml for [`GROUPS`] teams, each routed the signals tagged `t<i>`.
fn config(api: &str, http: std::net::SocketAddr) -> String {
    let grades = &super::support::BOT_TOML[super::support::BOT_TOML.find("[grades.I]").expect("grades")..];
    let mut t = String::from("database = \"sqlite://unused.db\"\ndefault_locale = \"en\"\ndefault_grade = \"IV\"\n\n");
    let _ = write!(t, "[telegram]\napi_url = \"{api}\"\npoll_timeout = 2\n\n");
    let _ = write!(t, "[http]\nlisten = \"{http}\"\n\n");
    let _ = write!(t, "[[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"WIRE_TOKEN\"\n\n");
    let _ = write!(
        t,
        "[[people]]\nname = \"lead\"\ndisplay = \"Lea Lead\"\nroles = [\"leader\", \"member\"]\ntelegram = {ALICE}\n\n"
    );
    for i in 0..GROUPS {
        let _ = write!(t, "[chats.chat-{i:03}]\nplatform = \"telegram\"\nid = {}\n\n", group(i));
        let _ = write!(t, "[[teams]]\nname = \"team-{i:03}\"\nleader = \"lead\"\nteam_chat = \"chat-{i:03}\"\n\n");
        let _ = write!(t, "[[routes]]\nteam = \"team-{i:03}\"\ngrades = []\ncategories = []\ntags = [\"t{i}\"]\n\n");
    }
    t.push_str(grades);
    t
}

pub async fn run(db: super::support::Db) -> anyhow::Result<usize> {
    let fake = FakeTelegram::start().await;
    for i in 0..GROUPS {
        fake.set_chat(group(i), "supergroup", Some(&format!("Group {i:03}")));
    }
    let client = reqwest::Client::new();
    let pool = sqlx::PgPool::connect(&db.url).await?;
    let mut instances = Vec::new();
    for _ in 0..INSTANCES {
        let addr = instance::free_addr();
        let config = config(&fake.api_url(), addr);
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
                let (addr, tags) = (addrs[n % addrs.len()], [format!("t{}", n % GROUPS)]);
                match instance::post_tagged(&client, addr, &format!("l{n}"), &instance::story(n), &tags).await {
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
    let (sends, groups) = fake.with_state(|st| {
        let ok: Vec<_> = st.calls.iter().filter(|c| c.status == 200 && is_send(&c.method)).collect();
        let mut all: Vec<Instant> = ok.iter().map(|c| c.at).collect();
        all.sort();
        let groups: Vec<Vec<Instant>> = (0..GROUPS)
            .map(|i| {
                let mut g: Vec<Instant> = ok.iter().filter(|c| c.chat_id == Some(group(i))).map(|c| c.at).collect();
                g.sort();
                g
            })
            .collect();
        (all, groups)
    });
    let per_second = instance::densest(&sends, Duration::from_secs(1));
    let per_minute = groups.iter().map(|g| instance::densest(g, Duration::from_secs(60))).max().unwrap_or(0);
    let reached = groups.iter().filter(|g| !g.is_empty()).count();
    let teams: Vec<(String, i64)> =
        sqlx::query_as("SELECT team, COUNT(*) FROM cases GROUP BY team").fetch_all(&pool).await.unwrap_or_default();
    println!(
        "{CASES} signals posted round-robin to {INSTANCES} instances by {CLIENTS} clients in {:.1} s ({refused} not 202); \
         {cases} cases; outbox drained after {:.1} s\n\
         cases in {} teams; {reached} of the {GROUPS} groups got messages\n\
         {} messages accepted by the Bot API; at most {per_second} in any second (limit 30), \
         at most {per_minute} to one of the {GROUPS} team groups in any minute (limit 20)\n",
        posted.as_secs_f64(),
        drained.as_secs_f64(),
        teams.len(),
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
