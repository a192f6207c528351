//! One tocsin per SQLite file. SQLite is single-instance (several instances share Postgres):
//! a second `tocsin run` on the same file would run a second scheduler and delivery worker
//! against it, so it is refused at start while the first holds the file's lock.

use anyhow::Context as _;
use sqlx::sqlite::SqliteConnectOptions;
use std::fs::{File, TryLockError};
use std::str::FromStr as _;

/// Held for as long as the instance runs; dropping it lets the next one start.
#[derive(Debug)]
pub struct InstanceLock(#[allow(dead_code)] Option<File>);

/// Takes the exclusive lock on the database file (an advisory `flock`, which does not touch
/// SQLite's own `fcntl` locks). Postgres and in-memory databases need none.
pub fn claim(url: &str) -> anyhow::Result<InstanceLock> {
    if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(InstanceLock(None));
    }
    let path = SqliteConnectOptions::from_str(url)?.get_filename().to_path_buf();
    let file = File::open(&path).with_context(|| format!("opening {} to lock it", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(InstanceLock(Some(file))),
        Err(TryLockError::WouldBlock) => anyhow::bail!(
            "another tocsin is already running on {}: SQLite serves one instance; stop the other one, \
             or use Postgres to run several (README, \"Using Postgres\")",
            path.display()
        ),
        Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}
