//! Checkpoints of the write-ahead log, off the writer's path. Left to SQLite, the connection
//! that commits when the log passes 1,000 pages copies the log into the database file and
//! syncs both, there and then: that was the one writer, and every request queued behind it
//! waited for the disk (under intake load a stall every few hundred milliseconds, p90 18 ms
//! against a p50 of 5; BENCHMARKS.md, "Intake throughput"). So the writer's connection does
//! not checkpoint by itself, and this task does, on a connection of its own, a moment after
//! the writer has written: a passive checkpoint copies what it can and holds nobody up.
//!
//! The log starts again from its beginning only when a write begins with all of it copied,
//! which a writer that never pauses seldom does: under intake load the log grew by 20,000
//! pages a second. When it holds more than [`LONG_LOG_PAGES`], the writer is asked to
//! checkpoint once itself, between two batches: it copies only what was written since this
//! task's last checkpoint, and its next write starts the log again. (A checkpoint from here
//! that waits for the writer instead, SQLite's `RESTART`, held the writer up to 0.8 s.)

use super::Result;
use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long after a write the checkpoint runs: the writes of that moment share it.
const GATHER: Duration = Duration::from_millis(100);
/// Pages (4 KiB each) past which the log is started again: 40 MiB.
pub(super) const LONG_LOG_PAGES: i64 = 10_000;

/// The writer's side: it says when it has written, and finishes a checkpoint when asked.
pub(super) struct Wrote {
    tell: mpsc::Sender<()>,
    long: Arc<AtomicBool>,
}

impl Wrote {
    pub(super) fn tell(&self) {
        // Full: a checkpoint is already due.
        let _ = self.tell.try_send(());
    }

    /// Called by the writer between batches, on its own connection: when the log has grown
    /// long, copies what is left of it, so that the next write starts it again.
    pub(super) async fn restart_if_long(&self, conn: &mut SqliteConnection) {
        if self.long.load(Ordering::Relaxed)
            && let Ok(done) = checkpoint(conn).await
            && done.all_copied()
        {
            self.long.store(false, Ordering::Relaxed);
        }
    }
}

/// Opens the checkpointer's connection and starts its task, which ends when the writer's
/// [`Wrote`] is dropped. The log counts as long past `long_pages` ([`LONG_LOG_PAGES`]).
pub(super) async fn start(options: &SqliteConnectOptions, long_pages: i64) -> Result<Wrote> {
    let conn = SqliteConnection::connect_with(options).await?;
    let (tell, told) = mpsc::channel(1);
    let long = Arc::new(AtomicBool::new(false));
    tokio::spawn(run(conn, told, long.clone(), long_pages));
    Ok(Wrote { tell, long })
}

async fn run(mut conn: SqliteConnection, mut told: mpsc::Receiver<()>, long: Arc<AtomicBool>, long_pages: i64) {
    let mut failing = false;
    while told.recv().await.is_some() {
        tokio::time::sleep(GATHER).await;
        let done = checkpoint(&mut conn).await;
        if let Ok(done) = &done {
            long.store(done.pages > long_pages, Ordering::Relaxed);
        }
        // Said once per run of failures: the writer's own errors say what the disk is doing.
        match done {
            Err(e) if !failing => {
                tracing::warn!("checkpointing the SQLite write-ahead log failed (it grows until one succeeds): {e}");
                failing = true;
            }
            Ok(_) if failing => {
                tracing::info!("checkpointing the SQLite write-ahead log works again");
                failing = false;
            }
            _ => {}
        }
    }
    let _ = conn.close().await;
}

/// What a checkpoint found and did.
struct Done {
    /// Whether another connection's checkpoint, or a reader, kept it from copying everything.
    busy: bool,
    /// Pages in the log.
    pages: i64,
    /// Pages of it now in the database file.
    copied: i64,
}

impl Done {
    fn all_copied(&self) -> bool {
        !self.busy && self.copied == self.pages
    }
}

/// A passive checkpoint: copies what it can without waiting for any reader or writer.
async fn checkpoint(conn: &mut SqliteConnection) -> Result<Done> {
    let (busy, pages, copied): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&mut *conn).await?;
    Ok(Done { busy: busy != 0, pages, copied })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::SqliteJournalMode;
    use std::str::FromStr as _;

    /// A writer that never pauses, as under intake load: the log is still started again,
    /// so its file stays near the size at which the writer is asked to help, while the
    /// database file takes in what was written.
    #[tokio::test]
    async fn the_log_of_a_writer_that_never_pauses_stays_short_and_its_writes_reach_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", file.display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let mut writer =
            SqliteConnection::connect_with(&options.clone().pragma("wal_autocheckpoint", "0")).await.unwrap();
        sqlx::query("CREATE TABLE t (v BLOB)").execute(&mut writer).await.unwrap();
        let wrote = start(&options, 64).await.unwrap();
        let wal = dir.path().join("t.db-wal");
        let mut longest = 0;
        // 3,000 pages written in all, the log asked to start again past 64.
        for _ in 0..300 {
            sqlx::query("BEGIN IMMEDIATE").execute(&mut writer).await.unwrap();
            for _ in 0..10 {
                sqlx::query("INSERT INTO t VALUES (randomblob(3000))").execute(&mut writer).await.unwrap();
            }
            sqlx::query("COMMIT").execute(&mut writer).await.unwrap();
            wrote.tell();
            wrote.restart_if_long(&mut writer).await;
            longest = longest.max(std::fs::metadata(&wal).unwrap().len());
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let page = 4096 + 24;
        assert!(longest < 1_000 * page, "the log grew to {} pages", longest / page);
        assert!(std::fs::metadata(&file).unwrap().len() > 1_000 * 4096, "the checkpoints copied the rows");
    }
}
