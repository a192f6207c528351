//! For teams that run several instances against one shared database.

use sqlx::Connection as _;
use sqlx::postgres::PgPoolOptions;

type Db = sqlx::Postgres;
type Backend = PgStore;
include!("queries.rs");
include!("job_queries.rs");
include!("intake_queries.rs");
include!("reading_queries.rs");
include!("lease_queries.rs");
include!("outbox_queries.rs");

/// The database's clock in milliseconds since the epoch, as SQL: leases are timed by it.
const NOW_MS: &str = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

/// sqlx holds an advisory lock while migrating, so instances starting together are safe.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Leases due outbox rows, a chat's together (so a flooded chat's backlog can become one
/// digest rather than one per claimed batch), and in queue order: nothing of a chat is claimed
/// while an earlier message of it is out with a sender or waiting for its retry. `SKIP LOCKED` lets several instances claim disjoint batches
/// without waiting on each other; the lease hands a dead instance's rows to the others.
const CLAIM_SQL: &str = "UPDATE outbox SET lease_until_ms = $1, attempts = attempts + 1 WHERE id IN ( \
         SELECT o.id FROM outbox o WHERE o.platform = $2 AND o.state = 'pending' \
         AND o.next_attempt_ms <= $3 AND (o.lease_until_ms IS NULL OR o.lease_until_ms < $3) \
         AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.platform = o.platform AND e.chat = o.chat \
             AND e.state = 'pending' AND e.id < o.id AND (e.next_attempt_ms > $3 OR e.lease_until_ms >= $3)) \
         ORDER BY o.chat, o.id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, chat, platform, case_id, payload, attempts";

/// Leases due jobs, earliest first. `SKIP LOCKED` lets several instances claim disjoint jobs without waiting on each other.
const CLAIM_JOBS_SQL: &str = "UPDATE jobs SET lease_until_ms = $1, attempts = attempts + 1 WHERE key IN ( \
         SELECT key FROM jobs WHERE state = 'pending' AND due_ms <= $2 \
         AND (lease_until_ms IS NULL OR lease_until_ms < $2) \
         ORDER BY due_ms, key LIMIT $3 FOR UPDATE SKIP LOCKED) \
     RETURNING key, kind, case_id, team, due_ms, payload, state, attempts, done_ms";

/// How long a query waits for a connection before giving up.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A pooled connection idle for this long is pinged before it is used (HikariCP, the Java
/// pool, skips its check within 500 ms of a connection's last use the same way). One closed by
/// the server within that time fails the query it is taken for, once, and is dropped.
const PING_IF_IDLE_FOR: std::time::Duration = std::time::Duration::from_millis(500);

/// Sets how long the server lets a transaction sit idle (its client silent) before ending it:
/// the leader lease's TTL ([`crate::leadership::TTL`]).
const SET_IDLE_IN_TRANSACTION: &str = "SET idle_in_transaction_session_timeout = '10s'";

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<PgStore> {
        // A stopped database must not hold a request for sqlx's default 30 s: past this, the
        // request fails (intake answers 503 with Retry-After; a chat command "try again").
        // A transaction left open by a hung instance (stopped mid-write) would hold its row
        // locks for as long as it hangs; the server ends it once the lease it led by is gone.
        // Set per session rather than as a startup option, which connection poolers such as
        // PgBouncer refuse.
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query(SET_IDLE_IN_TRANSACTION).execute(conn).await?;
                    Ok(())
                })
            })
            // sqlx pings a connection when it goes back to the pool (one that fails is closed)
            // and, by default, again when it is taken out: two round trips around every query.
            // Only a connection that has sat idle for a while is pinged again before use (it
            // may have died with the server or the network since); the others were pinged a
            // moment ago.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IF_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await?;
        Ok(PgStore { pool })
    }

    async fn begin_write(&self) -> Result<Tx> {
        Ok(self.pool.begin().await?)
    }

    /// Postgres lets many transactions write at once, so each commit has its own.
    async fn write(&self, commit: Commit) -> Result<Option<CaseId>> {
        let mut tx = self.begin_write().await?;
        let id = write_commit(&mut tx, &commit).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// On a pooled connection: the pool checks it is alive before handing it out.
    /// On a connection of its own, as `/readyz` promises: a pooled one that the server closed
    /// since its last use (a restart, an administrator's `pg_terminate_backend`) would fail the
    /// check although the database can be reached (pooled connections are not pinged before
    /// each use, see [`PING_IF_IDLE_FOR`]).
    async fn check_schema(&self) -> Result<super::readings::Schema> {
        use sqlx::ConnectOptions as _;
        let options = self.pool.connect_options();
        let mut conn = tokio::time::timeout(ACQUIRE_TIMEOUT, options.connect())
            .await
            .map_err(|_| StoreError::Unavailable(format!("no connection within {} s", ACQUIRE_TIMEOUT.as_secs())))??;
        let schema = schema_on(&mut conn).await;
        let _ = conn.close().await;
        schema
    }
}
