//! The leader is SIGKILLed three times during a flood of commands.

use super::fake_telegram::FakeTelegram;
use super::instance::{self, ALICE, Instance, LEADERS, TEAM};
use std::time::{Duration, Instant};

const INSTANCES: usize = 3;
const KILLS: usize = 3;
/// One `/new` every this long, for the whole run.
const PACE: Duration = Duration::from_millis(100);
const FIRST_KILL: Duration = Duration::from_secs(10);
const BETWEEN_KILLS: Duration = Duration::from_secs(25);

pub async fn run(db: super::support::Db) -> anyhow::Result<usize> {
    let fake = FakeTelegram::start().await;
    fake.set_chat(TEAM, "supergroup", Some("Ops"));
    fake.set_chat(LEADERS, "supergroup", Some("Leaders"));
    let config = instance::config(Some(&fake.api_url()), None);
    let pool = sqlx::PgPool::connect(&db.url).await?;
    let mut instances = Vec::new();
    for _ in 0..INSTANCES {
        instances.push(Instance::start(&config, &db.url, None)?);
    }
    while instance::leader_pid(&pool).await.is_none() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let started = Instant::now();
    let total = (FIRST_KILL + BETWEEN_KILLS * KILLS as u32).as_millis() / PACE.as_millis();
    let flooding = fake.clone();
    let flood = tokio::spawn(async move {
        let mut tags = Vec::new();
        for n in 0..total {
            let tag = format!("f{n:04}x");
            flooding.push_update(flooding.text_update(TEAM, "supergroup", ALICE, &format!("/new Flood {tag}"), None));
            tags.push(tag);
            tokio::time::sleep(PACE).await;
        }
        tags
    });

    println!("| kill | at | lease taken over after | first send after | sends meanwhile |");
    println!("|---|---|---|---|---|");
    for k in 0..KILLS {
        let at = FIRST_KILL + BETWEEN_KILLS * k as u32;
        tokio::time::sleep_until((started + at).into()).await;
        let Some(pid) = instance::leader_pid(&pool).await else { anyhow::bail!("no leader before kill {k}") };
        let Some(i) = instances.iter().position(|x| x.pid() == pid) else { anyhow::bail!("the leader is not ours") };
        let killed_at = Instant::now();
        instances.remove(i).kill();
        let takeover = loop {
            match instance::leader_pid(&pool).await {
                Some(p) if p != pid => break killed_at.elapsed(),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        // The first message the Bot API accepted after the kill (from the new leader, or one
        // the dead leader had on the wire).
        let first_send = loop {
            let sent = fake.with_state(|st| {
                st.calls
                    .iter()
                    .filter(|c| c.status == 200 && c.at > killed_at && is_send(&c.method))
                    .map(|c| c.at)
                    .min()
            });
            match sent {
                Some(at) => break at - killed_at,
                None if killed_at.elapsed() > Duration::from_secs(60) => break Duration::MAX,
                None => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        let meanwhile = fake.with_state(|st| {
            st.calls
                .iter()
                .filter(|c| c.status == 200 && c.at > killed_at && c.at < killed_at + takeover && is_send(&c.method))
                .count()
        });
        println!(
            "| {} | {:.1} s | {:.2} s | {:.2} s | {meanwhile} |",
            k + 1,
            at.as_secs_f64(),
            takeover.as_secs_f64(),
            first_send.as_secs_f64()
        );
        instances.push(Instance::start(&config, &db.url, None)?);
    }
    let tags = flood.await?;
    let shown = |fake: &FakeTelegram, tags: &[String]| {
        let texts: Vec<String> = fake.messages(TEAM).into_iter().filter(|m| m.from_bot).map(|m| m.text).collect();
        tags.iter().filter(|t| texts.iter().any(|m| m.contains(t.as_str()))).count()
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    while shown(&fake, &tags) < tags.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let titles: Vec<(String,)> = sqlx::query_as("SELECT title FROM cases").fetch_all(&pool).await?;
    let cases_of = |t: &str| titles.iter().filter(|(title,)| title.contains(t)).count();
    let never = tags.iter().filter(|t| cases_of(t) == 0).count();
    let twice = tags.iter().filter(|t| cases_of(t) > 1).count();
    let texts: Vec<String> = fake.messages(TEAM).into_iter().filter(|m| m.from_bot).map(|m| m.text).collect();
    let repeated = texts.iter().enumerate().filter(|(i, m)| texts[..*i].contains(m)).count();
    let conflicts = fake.with_state(|st| st.poll_conflicts);
    println!(
        "\n{} commands over {:.0} s, {KILLS} kills: {} shown in the team chat, {never} never opened a case, \
         {twice} opened two; {repeated} messages sent twice; {conflicts} getUpdates conflicts (two pollers at once)\n",
        tags.len(),
        started.elapsed().as_secs_f64(),
        shown(&fake, &tags),
    );
    for x in instances {
        x.kill();
    }
    pool.close().await;
    db.remove().await;
    Ok(never + twice + repeated.saturating_sub(KILLS) + conflicts as usize)
}

fn is_send(method: &str) -> bool {
    matches!(method, "sendMessage" | "editMessageText" | "editMessageReplyMarkup")
}
