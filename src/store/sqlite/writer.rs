//! SQLite has one writer at a time. Left to themselves, concurrent commits queue for the
//! write lock inside SQLite's busy handler, which sleeps and polls: cores sit idle and single
//! commits stall for a second (BENCHMARKS.md, "Intake throughput"). So every [`Commit`] goes
//! to one task that owns one connection and writes whatever commits are waiting in one
//! transaction, each under its own savepoint: one sync for the batch, and one commit's
//! failure (a conflict, a duplicate) rolls back that commit alone.
//!
//! Savepoints cost two statements a commit, and every statement is a round trip to sqlx's
//! worker thread; nearly every commit succeeds. So a batch is first written without them (the
//! intake's commits table by table, see [`super::by_table`]), and only when one of its commits
//! fails is that transaction rolled back and the batch written again, each commit under its
//! savepoint.

use super::{Commit, Conn, Result, StoreError, by_table, checkpoint, write_commit};
use crate::domain::CaseId;
use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

/// Enough to amortise a sync over many commits, few enough that one slow batch does not
/// hold a caller for long.
const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<Option<CaseId>>>;

#[derive(Debug, Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<(Commit, Reply)>,
}

impl Writer {
    /// Opens the writer's own connection and starts its task on the current runtime, with
    /// the WAL's checkpointer beside it. Both end when the last handle is dropped.
    pub(super) async fn start(options: &SqliteConnectOptions) -> Result<Writer> {
        // The writer never checkpoints by itself: `super::checkpoint` does, off its path.
        let conn = SqliteConnection::connect_with(&options.clone().pragma("wal_autocheckpoint", "0")).await?;
        let wrote = checkpoint::start(options, checkpoint::LONG_LOG_PAGES).await?;
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(conn, queue, wrote));
        Ok(Writer { jobs })
    }

    pub(super) async fn write(&self, commit: Commit) -> Result<Option<CaseId>> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Write("the SQLite writer has stopped".into());
        self.jobs.send((commit, reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(mut conn: SqliteConnection, mut queue: mpsc::Receiver<(Commit, Reply)>, wrote: checkpoint::Wrote) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&mut conn, &mut batch).await;
        wrote.tell();
        wrote.restart_if_long(&mut conn).await;
    }
}

async fn write_batch(conn: &mut Conn, batch: &mut Vec<(Commit, Reply)>) {
    if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        return fail_all(batch.drain(..).map(|(_, reply)| reply), &e);
    }
    let commits: Vec<&Commit> = batch.iter().map(|(commit, _)| commit).collect();
    let Ok(results) = write_all(conn, &commits).await else {
        // A commit failed: none of this transaction is kept; each commit again, on its own.
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return write_each(conn, batch).await;
    };
    let replies = batch.drain(..).map(|(_, reply)| reply);
    finish(conn, replies.zip(results.into_iter().map(Ok)).collect()).await;
}

/// Every commit of a batch, without savepoints: the intake's table by table, others one by one.
async fn write_all(conn: &mut Conn, commits: &[&Commit]) -> Result<Vec<Option<CaseId>>> {
    if commits.iter().all(|commit| by_table::fits(commit)) {
        return Ok(by_table::write(conn, commits).await?.into_iter().map(Some).collect());
    }
    let mut results = Vec::with_capacity(commits.len());
    for commit in commits {
        results.push(write_commit(conn, commit).await?);
    }
    Ok(results)
}

/// The batch in one transaction, each commit under its own savepoint.
async fn write_each(conn: &mut Conn, batch: &mut Vec<(Commit, Reply)>) {
    let mut replies = Vec::with_capacity(batch.len());
    if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        return fail_all(batch.drain(..).map(|(_, reply)| reply), &e);
    }
    let mut results = Vec::with_capacity(batch.len());
    let mut broken = None;
    for (commit, reply) in batch.drain(..) {
        replies.push(reply);
        if broken.is_none() {
            match one(conn, commit).await {
                Ok(result) => results.push(result),
                Err(e) => broken = Some(e),
            }
        }
    }
    if let Some(e) = broken {
        // A savepoint itself failed: the transaction's state is unknown, so none of the
        // batch is kept, and every caller is told.
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return fail_all(replies.into_iter(), &e);
    }
    finish(conn, replies.into_iter().zip(results).collect()).await;
}

/// Commits the batch's transaction and answers each caller with its commit's result.
async fn finish(conn: &mut Conn, outcomes: Vec<(Reply, Result<Option<CaseId>>)>) {
    if let Err(e) = sqlx::query("COMMIT").execute(&mut *conn).await {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        let why = e.to_string();
        for (reply, result) in outcomes {
            // A commit that had already failed keeps its own reason; the others learn why
            // they were not kept.
            let _ = reply.send(result.and(Err(StoreError::Write(why.clone()))));
        }
        return;
    }
    for (reply, result) in outcomes {
        let _ = reply.send(result);
    }
}

/// One commit under its own savepoint. The outer error means the savepoint could not be
/// managed; the inner result is the commit's own outcome.
async fn one(conn: &mut Conn, commit: Commit) -> Result<Result<Option<CaseId>>, sqlx::Error> {
    sqlx::query("SAVEPOINT one_commit").execute(&mut *conn).await?;
    let result = write_commit(conn, &commit).await;
    if result.is_err() {
        sqlx::query("ROLLBACK TO one_commit").execute(&mut *conn).await?;
    }
    sqlx::query("RELEASE one_commit").execute(&mut *conn).await?;
    Ok(result)
}

fn fail_all(replies: impl Iterator<Item = Reply>, e: &sqlx::Error) {
    let why = e.to_string();
    for reply in replies {
        let _ = reply.send(Err(StoreError::Write(why.clone())));
    }
}
