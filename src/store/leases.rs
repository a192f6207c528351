//! Leases: work that must run in one instance at a time, held through the database (see the
//! `leases` migration and `crate::leadership`). A supertrait of [`super::Store`]; both
//! backends share the SQL (`lease_queries.rs`) and differ only in how they read the
//! database's clock.

use super::Result;
use async_trait::async_trait;

#[async_trait]
pub trait Leases: Send + Sync {
    /// Takes `name` for `holder` for `ttl_ms` if nobody holds it (or its holder let it
    /// expire); returns the new fencing token, or `None` while someone else holds it.
    async fn take_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<Option<i64>>;
    /// Extends a held lease; `false` if it has changed hands since `token` was given.
    async fn renew_lease(&self, name: &str, holder: &str, token: i64, ttl_ms: i64) -> Result<bool>;
    /// Hands a held lease back at once, so a standby need not wait for it to expire.
    async fn release_lease(&self, name: &str, holder: &str, token: i64) -> Result<()>;
    /// Clears the claims on `platform`'s pending outbox messages. A new leader calls it: only the
    /// leader sends to the platforms, so every such claim is a former leader's, and a dead one's
    /// would otherwise hold its chats until the claims ran out.
    async fn take_over_outbox(&self, platform: crate::platform::Platform) -> Result<u64>;
    /// Who holds `name`, if anyone does now.
    async fn lease_holder(&self, name: &str) -> Result<Option<LeaseHolder>>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    pub holder: String,
    pub token: i64,
    /// How long the lease has left, by the database's clock.
    pub left_ms: i64,
}
