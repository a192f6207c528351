//! Shared test helpers: a fresh real database per test, on SQLite or Postgres.
//!
//! Postgres tests need `TEST_DATABASE_URL` (for example `postgres://postgres@127.0.0.1/test`).
//! Without it they are reported as *ignored*: `build.rs` then sets `cfg(no_test_database)`, and
//! every Postgres test carries
//! `#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]` (the tests
//! [`on_both_backends!`] generates carry it already). Under `CI=true` a missing database is a
//! failure, never a skip: the cfg is not set there and [`TestDb::postgres`] panics.
#![allow(dead_code)] // each test binary uses a different part of this module

pub mod discord;
pub mod fake_discord;
pub mod fake_robots;
pub mod fake_telegram;
pub mod intake;
mod pg_url;
pub mod process;
pub mod proxy;
pub mod robots;
pub mod telegram;
pub mod volume;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tempfile::TempDir;
use tocsin::store::Store;

pub const BOT_TOML: &str = include_str!("../../bot.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists only for one test and is removed afterwards, even if it panics.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    _dir: Option<TempDir>,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/tocsin.db", dir.path().display());
        TestDb { backend: Backend::Sqlite, url, _dir: Some(dir), pg: None }
    }

    /// A fresh Postgres database, or `None` (with a notice) when none is configured; that happens
    /// only when a test binary runs outside cargo without the variable it was built with.
    pub async fn postgres() -> Option<TestDb> {
        let admin = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("CI=true but TEST_DATABASE_URL is not set: Postgres tests must run in CI");
                }
                eprintln!("NOTICE: TEST_DATABASE_URL is not set; skipping a Postgres test");
                return None;
            }
        };
        let name = format!(
            "tocsin_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
        );
        let pool = sqlx::PgPool::connect(&admin).await.expect("connect to TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create test database");
        pool.close().await;
        let url = pg_url::with_database(&admin, &name);
        Some(TestDb { backend: Backend::Postgres, url, _dir: None, pg: Some((admin, name)) })
    }

    /// Either backend, for tests generated per backend; `None` means skip.
    pub async fn of(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite()),
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    /// A second handle on the same database, for a second instance; the first handle
    /// alone removes it.
    pub fn alias(&self) -> TestDb {
        TestDb { backend: self.backend, url: self.url.clone(), _dir: None, pg: None }
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Arc<dyn Store> {
        let store = tocsin::store::connect(&self.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }

    /// Runs raw SQL outside the store, to check what the schema itself allows.
    pub async fn raw(&self, sql: &str) -> Result<u64, String> {
        match self.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.map_err(|e| e.to_string())?;
                let r = sqlx::query(sql).execute(&pool).await.map(|r| r.rows_affected());
                pool.close().await;
                r.map_err(|e| e.to_string())
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.map_err(|e| e.to_string())?;
                let r = sqlx::query(sql).execute(&pool).await.map(|r| r.rows_affected());
                pool.close().await;
                r.map_err(|e| e.to_string())
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else { return };
        // Drop runs outside any runtime we could borrow: use a private one on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

/// Generates one `#[tokio::test]` per backend for each listed `async fn(TestDb)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::support::TestDb::sqlite();
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
                async fn $name() {
                    let Some(db) = $crate::support::TestDb::postgres().await else { return };
                    super::$name(db).await;
                }
            )*
        }
    };
}

/// A chat message as an adapter hands it to `App::handle`: no topic, no bot name, no
/// redelivery key.
pub fn says(platform: tocsin::platform::Platform, user: &str, chat: &str, text: &str) -> tocsin::app::Invocation {
    tocsin::app::Invocation {
        platform,
        user_id: user.into(),
        chat_id: chat.into(),
        text: text.into(),
        topic: None,
        bot_username: None,
        dedup_key: None,
    }
}
