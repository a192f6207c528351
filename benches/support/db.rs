//! The throwaway ledger of one run.

use super::{Backend, pg_url};
use std::sync::atomic::{AtomicU64, Ordering};
use tempfile::TempDir;

/// A ledger for one run: a temp dir's SQLite file, or a Postgres database dropped afterwards.
pub struct Db {
    pub backend: Backend,
    pub url: String,
    /// The SQLite file's directory, removed with the `Db`.
    pub dir: Option<TempDir>,
    /// Admin URL and database name, to drop it afterwards.
    pub pg: Option<(String, String)>,
}

static DB_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Db {
    /// A new ledger on `backend`; on Postgres a database `<prefix>_<pid>_<n>` made through `admin`.
    pub async fn fresh(backend: Backend, admin: Option<&str>, prefix: &str) -> anyhow::Result<Db> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}/tocsin.db", dir.path().display());
                Ok(Db { backend, url, dir: Some(dir), pg: None })
            }
            Backend::Postgres => {
                let admin = admin.ok_or_else(|| anyhow::anyhow!("no Postgres URL"))?;
                let name = format!("{prefix}_{}_{}", std::process::id(), DB_COUNTER.fetch_add(1, Ordering::SeqCst));
                let pool = sqlx::PgPool::connect(admin).await?;
                let created = sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await;
                pool.close().await;
                created?;
                let url = pg_url::with_database(admin, &name);
                Ok(Db { backend, url, dir: None, pg: Some((admin.to_string(), name)) })
            }
        }
    }

    pub async fn remove(mut self) {
        if let Some((admin, name)) = self.pg.take() {
            drop_pg(&admin, &name).await;
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            // The SQLite ledger goes with its directory (as dropping the `TempDir` would do).
            let _ = dir.close();
        }
        let Some((admin, name)) = self.pg.take() else { return };
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(drop_pg(&admin, &name));
        })
        .join();
    }
}

async fn drop_pg(admin: &str, name: &str) {
    if let Ok(pool) = sqlx::PgPool::connect(admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await;
        pool.close().await;
    }
}
