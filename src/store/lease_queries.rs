// Leases (`super::leases::Leases`), shared by both backends like queries.rs and `include!`d
// after it, so its imports and the backend's `Db`, `Backend`, `Pool` and `NOW_MS` (the
// database clock in milliseconds, as SQL) are in scope. Every comparison uses the database's
// clock, never an instance's: instances' clocks may disagree, the database's is one.

#[async_trait::async_trait]
impl super::leases::Leases for Backend {
    async fn take_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<Option<i64>> {
        let sql = format!(
            "INSERT INTO leases (name, holder, token, expires_ms) VALUES ($1, $2, 1, {NOW_MS} + $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = leases.token + 1, \
             expires_ms = excluded.expires_ms WHERE leases.expires_ms <= {NOW_MS} RETURNING token"
        );
        let token: Option<(i64,)> =
            sqlx::query_as(&sql).bind(name).bind(holder).bind(ttl_ms).fetch_optional(&self.pool).await?;
        Ok(token.map(|(t,)| t))
    }

    async fn renew_lease(&self, name: &str, holder: &str, token: i64, ttl_ms: i64) -> Result<bool> {
        let sql = format!(
            "UPDATE leases SET expires_ms = {NOW_MS} + $4 WHERE name = $1 AND holder = $2 AND token = $3"
        );
        let done =
            sqlx::query(&sql).bind(name).bind(holder).bind(token).bind(ttl_ms).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str, token: i64) -> Result<()> {
        let sql = format!(
            "UPDATE leases SET expires_ms = {NOW_MS} - 1 WHERE name = $1 AND holder = $2 AND token = $3"
        );
        sqlx::query(&sql).bind(name).bind(holder).bind(token).execute(&self.pool).await?;
        Ok(())
    }

    async fn take_over_outbox(&self, platform: Platform) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET lease_until_ms = NULL \
             WHERE state = 'pending' AND platform = $1 AND lease_until_ms IS NOT NULL",
        )
        .bind(platform.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn lease_holder(&self, name: &str) -> Result<Option<super::leases::LeaseHolder>> {
        let sql = format!(
            "SELECT holder, token, expires_ms - {NOW_MS} FROM leases WHERE name = $1 AND expires_ms > {NOW_MS}"
        );
        let row: Option<(String, i64, i64)> = sqlx::query_as(&sql).bind(name).fetch_optional(&self.pool).await?;
        Ok(row.map(|(holder, token, left_ms)| super::leases::LeaseHolder { holder, token, left_ms }))
    }
}
