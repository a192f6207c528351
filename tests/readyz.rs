//! `GET /readyz` end to end: tocsin started for real, its database made unreachable for real
//! (Postgres refusing connections, the SQLite file moved away), a newer schema, and Telegram's
//! `getUpdates` failing at the fake's wire; 503 naming the failed check, and 200 once it is well.

use crate::support;

use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::fake_telegram::{Failure, Scope};
use support::telegram::Tg;
use support::{BOT_TOML, TestDb};
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::run::{Secrets, Services};

const PATIENCE: Duration = Duration::from_secs(20);

/// The committed bot.toml (console only) with an `[http]` listener and no sources: the
/// operations routes alone.
async fn start(db: &TestDb) -> Services {
    let text = format!("{BOT_TOML}\n[http]\nlisten = \"127.0.0.1:0\"\n");
    let mut config = Config::parse(&text).expect("a valid config");
    config.database_url = db.url.clone();
    let secrets = Secrets { vars: Some(Default::default()), ..Secrets::default() };
    tocsin::run::start(config, Arc::new(SystemClock), secrets).await.expect("tocsin starts")
}

async fn readyz(addr: SocketAddr) -> (u16, Value) {
    let resp = reqwest::get(format!("http://{addr}/readyz")).await.expect("/readyz answers");
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["cache-control"], "no-store");
    (status, resp.json().await.expect("a JSON body"))
}

/// Asks until the answer has `status` (a platform's state changes when its next poll returns),
/// or patience runs out; the caller asserts on what it returns.
async fn readyz_when(addr: SocketAddr, status: u16) -> (u16, Value) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let answer = readyz(addr).await;
        if answer.0 == status || Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn failed(body: &Value) -> Vec<&str> {
    body["failed"].as_array().expect("a list of failed checks").iter().filter_map(Value::as_str).collect()
}

/// Runs SQL as the server's administrator (the test database's own connections are the ones
/// being refused).
async fn admin(sql: &str) {
    let url = std::env::var("TEST_DATABASE_URL").expect("a Postgres test has TEST_DATABASE_URL");
    let pool = sqlx::PgPool::connect(&url).await.expect("connect as administrator");
    sqlx::query(sql).execute(&pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_naming_the_database_while_postgres_refuses_connections_and_200_after() {
    let Some(db) = TestDb::postgres().await else { return };
    let services = start(&db).await;
    let addr = services.http_addr.expect("[http] listens");
    let (status, body) = readyz(addr).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ready"], true);
    for check in ["database", "migrations", "console"] {
        assert_eq!(body["checks"][check]["ok"], true, "{check}: {body}");
    }

    let name = db.url.rsplit('/').next().expect("a database name").split('?').next().unwrap().to_string();
    admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    admin(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")).await;
    let (status, body) = readyz(addr).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["ready"], false);
    assert_eq!(failed(&body), ["database", "migrations"], "{body}");
    assert!(body["checks"]["database"]["detail"].as_str().unwrap().contains("cannot be reached"), "{body}");
    assert_eq!(body["checks"]["console"]["ok"], true, "the console does not depend on the database");

    admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    let (status, body) = readyz(addr).await;
    assert_eq!(status, 200, "{body}");
    services.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_while_the_sqlite_file_is_moved_away_and_200_once_it_is_back() {
    let db = TestDb::sqlite();
    let services = start(&db).await;
    let addr = services.http_addr.expect("[http] listens");
    assert_eq!(readyz(addr).await.0, 200);

    let file = std::path::PathBuf::from(db.url.strip_prefix("sqlite://").expect("an SQLite URL"));
    let away = file.with_extension("db.away");
    std::fs::rename(&file, &away).expect("move the database file away");
    let (status, body) = readyz(addr).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(failed(&body), ["database", "migrations"], "{body}");
    assert!(!file.exists(), "checking never creates an empty database in its place");

    std::fs::rename(&away, &file).expect("put the database file back");
    let (status, body) = readyz(addr).await;
    assert_eq!(status, 200, "{body}");
    services.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_when_a_newer_tocsin_has_migrated_the_database() {
    let db = TestDb::sqlite();
    let services = start(&db).await;
    let addr = services.http_addr.expect("[http] listens");
    db.raw(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (20991231000001, 'from a newer tocsin', TRUE, X'00', 0)",
    )
    .await
    .expect("record a migration this build does not have");
    let (status, body) = readyz(addr).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(failed(&body), ["migrations"], "{body}");
    let detail = body["checks"]["migrations"]["detail"].as_str().unwrap();
    assert!(detail.contains("unknown to this version") && detail.contains("20991231000001"), "{detail}");
    services.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_naming_telegram_while_get_updates_fails_and_200_once_it_answers_again() {
    let tg = Tg::start_with("", |c| format!("{c}\n[http]\nlisten = \"127.0.0.1:0\"\n")).await;
    let addr = tg.services.as_ref().unwrap().http_addr.expect("[http] listens");
    let (status, body) = readyz(addr).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["telegram"]["detail"], "connected");

    // Telegram stops answering: the next long poll finds the connection dropped.
    tg.fake.fail(Failure::Disconnect, Scope::method("getUpdates"));
    let (status, body) = readyz_when(addr, 503).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(failed(&body), ["telegram"], "{body}");
    assert!(body["checks"]["telegram"]["detail"].as_str().unwrap().contains("getUpdates"), "{body}");

    tg.fake.clear_failures();
    let (status, body) = readyz_when(addr, 200).await;
    assert_eq!(status, 200, "{body}");
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_webhook_mode_telegram_is_ready_once_registered_and_its_calls_carry_request_ids() {
    let webhook = "mode = \"webhook\"\n[telegram.webhook]\nlisten = \"127.0.0.1:0\"\nurl = \"https://bot.example.org/telegram/hook\"\n";
    let tg = Tg::start_with(webhook, |c| format!("{c}\n[http]\nlisten = \"127.0.0.1:0\"\n")).await;
    let services = tg.services.as_ref().unwrap();
    let (status, body) = readyz(services.http_addr.expect("[http] listens")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["telegram"]["detail"], "connected", "Telegram calls us: a quiet hook is no failure");

    let hook = services.webhook_addr.expect("webhook mode listens");
    let update = tg.fake.text_update(support::telegram::TEAM, "supergroup", support::telegram::ALICE, "/whoami", None);
    let resp = reqwest::Client::new()
        .post(format!("http://{hook}/telegram/hook"))
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-token_for-tests")
        .header("x-request-id", "tg-update-1")
        .json(&update)
        .send()
        .await
        .expect("the webhook answers");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["x-request-id"], "tg-update-1");
    tg.shutdown().await;
}
