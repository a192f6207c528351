//! The embedded default: one SQLite file, one instance.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

type Db = sqlx::Sqlite;
type Backend = SqliteStore;
include!("queries.rs");
include!("job_queries.rs");
include!("intake_queries.rs");
include!("reading_queries.rs");
include!("lease_queries.rs");
include!("outbox_queries.rs");

/// The database's clock in milliseconds since the epoch, as SQL: leases are timed by it.
const NOW_MS: &str = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Leases due outbox rows, a chat's together (so a flooded chat's backlog can become one
/// digest rather than one per claimed batch), and in queue order: nothing of a chat is claimed
/// while an earlier message of it is out with a sender or waiting for its retry. SQLite has one writer at a time, so no row locking is needed.
const CLAIM_SQL: &str = "UPDATE outbox SET lease_until_ms = $1, attempts = attempts + 1 WHERE id IN ( \
         SELECT o.id FROM outbox o WHERE o.platform = $2 AND o.state = 'pending' \
         AND o.next_attempt_ms <= $3 AND (o.lease_until_ms IS NULL OR o.lease_until_ms < $3) \
         AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.platform = o.platform AND e.chat = o.chat \
             AND e.state = 'pending' AND e.id < o.id AND (e.next_attempt_ms > $3 OR e.lease_until_ms >= $3)) \
         ORDER BY o.chat, o.id LIMIT $4) \
     RETURNING id, chat, platform, case_id, payload, attempts";

mod by_table;
mod checkpoint;
mod writer;

/// Leases due jobs, earliest first. SQLite has one writer at a time, so no row locking is needed.
const CLAIM_JOBS_SQL: &str = "UPDATE jobs SET lease_until_ms = $1, attempts = attempts + 1 WHERE key IN ( \
         SELECT key FROM jobs WHERE state = 'pending' AND due_ms <= $2 \
         AND (lease_until_ms IS NULL OR lease_until_ms < $2) \
         ORDER BY due_ms, key LIMIT $3) \
     RETURNING key, kind, case_id, team, due_ms, payload, state, attempts, done_ms";

#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Reads, and the outbox's and settings' small writes.
    pool: Pool,
    /// Every [`Commit`]: the ledger's writes, batched.
    writer: writer::Writer,
    /// How `/readyz` opens a connection of its own: never creating the file.
    probe: SqliteConnectOptions,
    /// The database file; `None` in memory.
    file: Option<std::path::PathBuf>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file in WAL mode. Writers wait up to five
    /// seconds for one another instead of failing at once.
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // The file is created here, once (0600); connections opened later never create one.
        // Otherwise a pool connection opened after the file was moved or deleted would start
        // an empty ledger in its place and carry on as if nothing had happened.
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(in_memory)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        if !in_memory {
            private_files(options.get_filename())?;
        }
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options.clone()).await?;
        let writer = writer::Writer::start(&options).await?;
        let probe = SqliteConnectOptions::from_str(url)?.create_if_missing(false);
        let file = (!in_memory).then(|| options.get_filename().to_path_buf());
        Ok(SqliteStore { pool, writer, probe, file })
    }

    /// A deferred `BEGIN` that later writes fails with SQLITE_BUSY at once, skipping the
    /// busy timeout; `BEGIN IMMEDIATE` takes the write lock up front and waits for it.
    async fn begin_write(&self) -> Result<Tx> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn write(&self, commit: Commit) -> Result<Option<CaseId>> {
        self.writer.write(commit).await.map_err(|e| self.explained(e))
    }

    /// SQLite reports a write its file system refused as a "disk I/O error"; the file system
    /// can say why, and the operator reading the log needs that, not the code.
    fn explained(&self, e: StoreError) -> StoreError {
        let Some(file) = self.file.as_deref().filter(|_| e.is_unavailable()) else { return e };
        match unwritable(file) {
            Some(why) => StoreError::Write(format!("{e}: {why}")),
            None => e,
        }
    }

    /// On a new connection: the pool's keep the file they opened even after it was moved away,
    /// deleted or its disk went read-only, so only a fresh open tells whether it is still there.
    async fn check_schema(&self) -> Result<super::readings::Schema> {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect_with(&self.probe).await?;
        let schema = schema_on(&mut conn).await;
        let _ = conn.close().await;
        schema
    }
}

/// Why `file` cannot be written to, if it cannot (opening it to append changes nothing).
fn unwritable(file: &std::path::Path) -> Option<String> {
    use std::io::ErrorKind;
    let e = std::fs::OpenOptions::new().append(true).open(file).err()?;
    let shown = file.display();
    Some(match e.kind() {
        ErrorKind::ReadOnlyFilesystem => format!("the file system holding {shown} is read-only"),
        ErrorKind::PermissionDenied => format!("tocsin may not write to {shown}"),
        ErrorKind::NotFound => format!("{shown} is gone (moved or deleted while tocsin ran)"),
        _ => format!("{shown} cannot be opened for writing: {e}"),
    })
}

/// The ledger holds third-party reports and who decided what: readable by tocsin's user only.
/// SQLite creates the `-wal` and `-shm` files with the database file's own mode, so creating
/// the file 0600 first covers them; an existing file (or its WAL) that others can read is
/// tightened.
fn private_files(path: &std::path::Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |e: std::io::Error| sqlx::Error::Io(e);
        if !path.exists() {
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if let Ok(meta) = std::fs::metadata(&file)
                && meta.permissions().mode() & 0o077 != 0
            {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
            }
        }
    }
    Ok(())
}
