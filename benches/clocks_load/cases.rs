//! The ledger's cases: the bench config, how they are opened, and waiting for the burst's jobs.

use crate::support::BOT_TOML;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;
use tocsin::app::{Invocation, clocks};
use tocsin::config::Config;
use tocsin::domain::{EventAction, Grade, NewCase, NewEvent};
use tocsin::platform::Platform;
use tocsin::store::{CaseWrite, Commit, Store};

/// Commits in flight at once while seeding: enough to fill the SQLite writer's batches and
/// Postgres' pool.
const IN_FLIGHT: usize = 64;
/// The longest a burst may take to drain before the run gives up on it.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// The committed bot.toml with the leaders' and escalation chats on the console, and the
/// default clocks (I 10m/1h/24h, II 30m/4h/3d, III 1h/12h/7d, IV 4h/2d/14d; reminders at 50 %
/// and 80 %, escalation at 150 %).
pub fn config() -> Config {
    let anchor = "team_chat = \"ops\"\n";
    let text = BOT_TOML.replace(anchor, &format!("{anchor}leaders_chat = \"leads\"\nescalation_chat = \"hq\"\n"))
        + "\n[chats.leads]\nplatform = \"console\"\n\n[chats.hq]\nplatform = \"console\"\n";
    Config::parse(&text).unwrap_or_else(|e| panic!("the bench config is invalid:\n{e}"))
}

/// Alice (leader, console) types `text` in the team chat.
pub fn console(text: &str) -> Invocation {
    Invocation {
        platform: Platform::Console,
        user_id: "alice".into(),
        chat_id: "ops".into(),
        text: text.into(),
        topic: None,
        bot_username: None,
        dedup_key: None,
    }
}

/// Opens `n` cases the way `/new` commits them, `IN_FLIGHT` commits at a time; `case(i)` gives
/// the i-th one's grade and opening time. Returns how many were committed.
pub async fn seed(
    store: &Arc<dyn Store>,
    config: &Arc<Config>,
    n: usize,
    case: impl Fn(usize) -> (Grade, DateTime<Utc>),
) -> anyhow::Result<usize> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut committed = 0;
    for i in 0..n {
        if tasks.len() >= IN_FLIGHT
            && let Some(r) = tasks.join_next().await
        {
            r??;
            committed += 1;
        }
        let (grade, opened_at) = case(i);
        let (store, config) = (store.clone(), config.clone());
        tasks.spawn(async move {
            let title = format!("Water main burst on street {i}");
            let new = NewCase {
                team: config.teams[0].name.clone(),
                title: title.clone(),
                summary: None,
                source: "console:ops".into(),
                grade,
                owner: None,
                leader: Some("alice".into()),
                opened_by: "alice".into(),
                drill: false,
                opened_at,
            };
            let jobs = clocks::for_new(&config, &new, false, 1);
            let event = NewEvent {
                actor: "alice".into(),
                action: EventAction::Opened,
                details: json!({ "title": title, "summary": null, "grade": grade.as_str(), "source": "console:ops" }),
                platform: "console".into(),
                at: opened_at,
            };
            let commit = Commit { events: vec![event], jobs, ..Commit::new(CaseWrite::Insert(new), opened_at) };
            store.commit(commit).await.map(|_| ())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
        committed += 1;
    }
    Ok(committed)
}

/// Waits until `n` clock jobs due at `due` are done; returns them.
pub async fn drained(store: &Arc<dyn Store>, due: DateTime<Utc>, n: usize) -> anyhow::Result<Vec<tocsin::store::Job>> {
    let started = Instant::now();
    loop {
        let done: Vec<_> = store
            .jobs_done_between(clocks::KIND, due, due + Duration::days(1))
            .await?
            .into_iter()
            .filter(|j| j.due == due)
            .collect();
        if done.len() >= n {
            return Ok(done);
        }
        if started.elapsed() > DRAIN_LIMIT {
            anyhow::bail!("only {} of {n} jobs were done after {DRAIN_LIMIT:?}", done.len());
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
