//! The database goes away and comes back: webhooks are answered 503 with `Retry-After` (never
//! a hang, never a 500), a command in chat is told to try again, nothing that got a 202 is
//! lost, and tocsin recovers by itself.

use crate::support;

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::TestDb;
use support::fake_telegram::FakeTelegram;
use support::intake::{Intake, WIRE_TOKEN};
use support::proxy::{Proxy, upstream};
use support::telegram::{ALICE, LEADERS, TEAM, TOKEN};
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::run::Secrets;

/// A guard against a hang, far above the few seconds an answer should take.
const HANG: Duration = Duration::from_secs(30);

fn signal(title: &str) -> serde_json::Value {
    json!({"source": "hotline", "title": title, "body": format!("{title}: residents report it")})
}

async fn post(intake: &Intake, body: &serde_json::Value) -> reqwest::Response {
    intake
        .client
        .post(format!("http://{}/api/v1/signals", intake.addr))
        .bearer_auth(WIRE_TOKEN)
        .header("Idempotency-Key", body["title"].as_str().unwrap_or_default())
        .json(body)
        .timeout(HANG)
        .send()
        .await
        .expect("an answer, not a hang")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn with_postgres_unreachable_webhooks_get_503_with_retry_after_and_tocsin_recovers_by_itself() {
    let Some(db) = TestDb::postgres().await else { return };
    let proxy = Proxy::start(upstream(&db.url)).await;
    let mut via = db.alias();
    via.url = proxy.url(&db.url);
    let intake = Intake::start_on(support::intake::config(""), via).await;

    let before = post(&intake, &signal("Water main burst on Elm Street")).await;
    assert_eq!(before.status(), 202);

    proxy.cut();
    let during = post(&intake, &signal("Power outage in district 4")).await;
    assert_eq!(during.status(), 503, "{:?}", during.text().await);
    let retry = during.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s >= 1), "a Retry-After in seconds: {retry:?}");
    let answer: serde_json::Value = during.json().await.unwrap();
    assert!(answer["error"].as_str().unwrap_or_default().contains("retry"), "{answer}");

    proxy.restore().await;
    // The sender retries as told, and tocsin, reconnecting by itself, takes it in.
    let deadline = tokio::time::Instant::now() + HANG;
    loop {
        let again = post(&intake, &signal("Power outage in district 4")).await;
        if again.status() == 202 {
            break;
        }
        assert_eq!(again.status(), 503, "only 503 while reconnecting");
        assert!(tokio::time::Instant::now() < deadline, "tocsin did not recover");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let store = db.store().await;
    let titles: Vec<String> = store.cases(&Default::default()).await.unwrap().into_iter().map(|c| c.title).collect();
    for title in ["Water main burst on Elm Street", "Power outage in district 4"] {
        assert_eq!(titles.iter().filter(|t| t.as_str() == title).count(), 1, "{title} in {titles:?}");
    }
    intake.services.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn a_command_sent_while_postgres_is_unreachable_is_told_to_try_again() {
    let Some(db) = TestDb::postgres().await else { return };
    let proxy = Proxy::start(upstream(&db.url)).await;
    let fake = FakeTelegram::start().await;
    fake.set_chat(TEAM, "supergroup", Some("Ops"));
    fake.set_chat(LEADERS, "supergroup", Some("Leaders"));
    let mut config = Config::parse(&support::telegram::config(&fake, "")).unwrap();
    config.database_url = proxy.url(&db.url);
    let secrets = Secrets { telegram_token: Some(TOKEN.into()), vars: Some(Default::default()), ..Secrets::default() };
    let services = tocsin::run::start(config, Arc::new(SystemClock), secrets).await.expect("tocsin starts");
    fake.push_update(fake.text_update(TEAM, "supergroup", ALICE, "/new Gas smell near the school", None));
    let opened = fake.wait_until(|st| st.messages(TEAM).iter().any(|m| m.text.contains("#1 Gas smell")), HANG).await;
    assert!(opened, "the first case is opened while the database answers");

    proxy.cut();
    fake.push_update(fake.text_update(TEAM, "supergroup", ALICE, "/new Power cut in district 4", None));
    let told = fake
        .wait_until(
            |st| st.messages(TEAM).iter().any(|m| m.from_bot && m.text.contains("database is not answering")),
            HANG,
        )
        .await;
    assert!(told, "the chat is told to try again: {:#?}", support::telegram::texts(&fake.messages(TEAM)));

    proxy.restore().await;
    fake.push_update(fake.text_update(TEAM, "supergroup", ALICE, "/new Power cut in district 4", None));
    let recovered = fake.wait_until(|st| st.messages(TEAM).iter().any(|m| m.text.contains("#2 Power cut")), HANG).await;
    assert!(recovered, "tried again once the database is back, the command goes through");
    services.shutdown().await;
}
