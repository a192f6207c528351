//! Several instances on one Postgres: one of them leads (polls Telegram and sends), the others
//! stand by and take over when it dies; a stopping leader hands the lease back at once; the
//! schema is migrated once and a newer schema is refused.

use crate::support;

use std::sync::Arc;
use std::time::Duration;
use support::fake_telegram::FakeTelegram;
use support::telegram::{ALICE, LEADERS, TEAM, TOKEN};
use support::{Backend, TestDb};
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::run::{Secrets, Services};

/// A dead leader's lease must expire (10 s) before another takes it; this is room for that.
pub(crate) const TAKEOVER: Duration = Duration::from_secs(40);

pub(crate) async fn instance(fake: &FakeTelegram, db: &TestDb) -> Services {
    instance_with(fake, db, "").await
}

/// `extra` is appended to the config (a section of its own).
pub(crate) async fn instance_with(fake: &FakeTelegram, db: &TestDb, extra: &str) -> Services {
    instance_at(fake, &db.url, extra).await
}

/// An instance on the database at `url` (which may lead through a proxy to the test's one).
pub(crate) async fn instance_at(fake: &FakeTelegram, url: &str, extra: &str) -> Services {
    let text = format!("{}\n{extra}", support::telegram::config(fake, ""));
    let mut config = Config::parse(&text).expect("a valid test config");
    config.database_url = url.to_string();
    let secrets = Secrets { telegram_token: Some(TOKEN.into()), vars: Some(Default::default()), ..Secrets::default() };
    tocsin::run::start(config, Arc::new(SystemClock), secrets).await.expect("tocsin starts")
}

pub(crate) async fn fake() -> FakeTelegram {
    let fake = FakeTelegram::start().await;
    fake.set_chat(TEAM, "supergroup", Some("Ops"));
    fake.set_chat(LEADERS, "supergroup", Some("Leaders"));
    fake
}

/// Waits until exactly one of `instances` leads, and returns its index.
pub(crate) async fn the_leader(instances: &[Services]) -> usize {
    let deadline = tokio::time::Instant::now() + TAKEOVER;
    loop {
        let leading: Vec<usize> = (0..instances.len()).filter(|&i| instances[i].leader.is_leading()).collect();
        if let [one] = leading[..] {
            return one;
        }
        assert!(tokio::time::Instant::now() < deadline, "no single leader: {leading:?} lead");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Each command opens a case whose title carries a tag of its own (`r07z`), which the team
/// chat then shows (on the case's card, or in a digest under a flood).
fn tag(n: usize) -> String {
    format!("r{n:02}z")
}

pub(crate) fn telegram_sends(services: &Services) -> f64 {
    let text = services.app.telemetry().render(None).expect("metrics render");
    text.lines()
        .filter(|l| l.starts_with("tocsin_sends_total{") && l.contains("platform=\"telegram\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn three_instances_poll_telegram_one_at_a_time_and_a_killed_leader_is_replaced() {
    let Some(db) = TestDb::postgres().await else { return };
    let fake = fake().await;
    let mut instances = vec![instance(&fake, &db).await, instance(&fake, &db).await, instance(&fake, &db).await];
    let first = the_leader(&instances).await;

    let mut asked = Vec::new();
    for n in 0..10 {
        asked.push(open_case(&fake, n));
    }
    assert!(wait_answered(&fake, &asked).await, "every command before the crash is answered");

    // The leader dies without a word (its tasks are aborted, its lease is not handed back),
    // in the middle of a flood of commands.
    let dead = instances.remove(first);
    for n in 10..20 {
        asked.push(open_case(&fake, n));
    }
    drop(dead);
    for n in 20..30 {
        asked.push(open_case(&fake, n));
    }
    let next = the_leader(&instances).await;
    assert!(wait_answered(&fake, &asked).await, "every command is answered after the takeover");

    // Each command opened one case (none twice, though the crash left some to be read again),
    // and a crash repeats at most one message (the one out with Telegram when it died).
    let store = db.store().await;
    let titles: Vec<String> = store.cases(&Default::default()).await.unwrap().into_iter().map(|c| c.title).collect();
    for t in &asked {
        assert_eq!(titles.iter().filter(|title| title.contains(t.as_str())).count(), 1, "cases for {t}: {titles:?}");
    }
    let shown: Vec<String> = fake.messages(TEAM).into_iter().filter(|m| m.from_bot).map(|m| m.text).collect();
    let repeated = shown.iter().enumerate().filter(|(i, m)| shown[..*i].contains(m)).count();
    assert!(repeated <= 1, "{repeated} messages were sent twice:\n{shown:#?}");
    let conflicts = fake.with_state(|st| st.poll_conflicts);
    assert_eq!(conflicts, 0, "two instances polled getUpdates at the same time");
    // Only the leader sends: the platform's budget is kept in one place.
    let standby = 1 - next;
    assert_eq!(telegram_sends(&instances[standby]), 0.0, "a standby sent to Telegram");
    assert!(telegram_sends(&instances[next]) > 0.0, "the new leader sent the answers");
    for s in instances {
        s.shutdown().await;
    }
}

pub(crate) fn open_case(fake: &FakeTelegram, n: usize) -> String {
    let tag = tag(n);
    fake.push_update(fake.text_update(TEAM, "supergroup", ALICE, &format!("/new Leak report {tag}"), None));
    tag
}

pub(crate) async fn wait_answered(fake: &FakeTelegram, asked: &[String]) -> bool {
    let asked = asked.to_vec();
    fake.wait_until(
        move |st| asked.iter().all(|t| st.messages(TEAM).iter().any(|m| m.from_bot && m.text.contains(t.as_str()))),
        TAKEOVER,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn a_leader_that_stops_hands_the_lease_back_and_another_takes_it_at_its_next_try() {
    let Some(db) = TestDb::postgres().await else { return };
    let fake = fake().await;
    let mut instances = vec![instance(&fake, &db).await, instance(&fake, &db).await];
    let first = the_leader(&instances).await;
    let store = db.store().await;
    let held = store.lease_holder("leader").await.unwrap().expect("the leader holds the lease");

    instances.remove(first).shutdown().await;
    // Handed back, not left to expire: nobody holds it, or the other instance already does.
    let now = store.lease_holder("leader").await.unwrap();
    assert!(now.as_ref().is_none_or(|h| h.holder != held.holder), "still held by the stopped leader: {now:?}");
    assert_eq!(the_leader(&instances).await, 0);
    let taken = store.lease_holder("leader").await.unwrap().expect("taken over");
    assert!(taken.token > held.token, "a new holder gets a new fencing token: {held:?} then {taken:?}");
    instances.remove(0).shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn a_standby_is_ready_and_says_it_is_standing_by() {
    let Some(db) = TestDb::postgres().await else { return };
    let fake = fake().await;
    let http = "[http]\nlisten = \"127.0.0.1:0\"\n";
    let instances = vec![instance_with(&fake, &db, http).await, instance_with(&fake, &db, http).await];
    let leader = the_leader(&instances).await;
    for (i, s) in instances.iter().enumerate() {
        let url = format!("http://{}/readyz", s.http_addr.expect("[http] listens"));
        let answer = reqwest::get(url).await.expect("/readyz answers");
        assert_eq!(answer.status(), 200, "instance {i}");
        let body: serde_json::Value = answer.json().await.unwrap();
        let telegram = body["checks"]["telegram"]["detail"].as_str().unwrap_or_default().to_string();
        assert_eq!(telegram.contains("standing by"), i != leader, "instance {i} (leader {leader}): {body}");
    }
    for s in instances {
        s.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn instances_starting_together_run_each_migration_once() {
    let Some(db) = TestDb::postgres().await else { return };
    let migrating = (0..3).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move { tocsin::store::connect(&url).await.expect("connect").migrate().await })
    });
    for m in futures::future::join_all(migrating).await {
        m.unwrap().expect("every instance's migration succeeds (the later ones find nothing to do)");
    }
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let (all, distinct): (i64, i64) = sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT version) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(all, distinct);
    assert!(all >= 12, "{all} migrations recorded");
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn a_process_stopped_with_sigterm_hands_its_lease_back_before_it_exits() {
    let Some(db) = TestDb::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bot.toml"), support::BOT_TOML).unwrap();
    let tocsin = support::process::Tocsin::start(dir.path(), &["run"], &[("TOCSIN_DATABASE_URL", db.url.as_str())]);
    let store = db.store().await;
    let pid = format!(":{}:", tocsin.pid());
    let deadline = tokio::time::Instant::now() + TAKEOVER;
    while !store.lease_holder("leader").await.unwrap().is_some_and(|h| h.holder.contains(&pid)) {
        assert!(tokio::time::Instant::now() < deadline, "the only instance never took the lease");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _, log) = tocsin.terminate();
    assert!(status.success(), "{log}");
    assert_eq!(store.lease_holder("leader").await.unwrap(), None, "the lease is free at once:\n{log}");
    assert!(log.contains("handed the lead back"), "{log}");
}

async fn an_instance_older_than_the_schema_refuses_to_start(db: TestDb) {
    db.store().await;
    let future = match db.backend {
        Backend::Sqlite => {
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (29991231000001, 'from a newer tocsin', TRUE, X'00', 0)"
        }
        Backend::Postgres => {
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (29991231000001, 'from a newer tocsin', TRUE, '\\x00'::bytea, 0)"
        }
    };
    db.raw(future).await.expect("a newer tocsin's migration recorded");
    let mut config = Config::parse(support::BOT_TOML).unwrap();
    config.database_url = db.url.clone();
    let refused = match tocsin::run::start(config, Arc::new(SystemClock), Secrets::default()).await {
        Ok(_) => panic!("an older tocsin started on a newer schema"),
        Err(e) => format!("{e:#}"),
    };
    assert!(refused.contains("migrated by a newer tocsin (migration 29991231000001"), "{refused}");
}

crate::on_both_backends!(an_instance_older_than_the_schema_refuses_to_start);
