// The delivery worker's queries on the outbox: marking messages delivered, failed or deferred,
// and what is due. `include!`d by sqlite.rs and postgres.rs like queries.rs (see there).

async fn mark_delivered(pool: &Pool, id: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE outbox SET state = 'delivered', delivered_ms = $2, lease_until_ms = NULL WHERE id = $1")
        .bind(id)
        .bind(ms(now))
        .execute(pool)
        .await?;
    Ok(())
}

async fn mark_failed(pool: &Pool, id: i64, error: &str, retry_at: Option<DateTime<Utc>>) -> Result<()> {
    let sql = match retry_at {
        Some(_) => "UPDATE outbox SET last_error = $2, next_attempt_ms = $3, lease_until_ms = NULL WHERE id = $1",
        None => "UPDATE outbox SET state = 'failed', last_error = $2, lease_until_ms = NULL WHERE id = $1",
    };
    let mut q = sqlx::query(sql).bind(id).bind(error);
    if let Some(at) = retry_at {
        q = q.bind(ms(at));
    }
    q.execute(pool).await?;
    Ok(())
}

async fn get_outbox_state(pool: &Pool, id: i64) -> Result<Option<OutboxState>> {
    let s: Option<String> =
        sqlx::query_scalar("SELECT state FROM outbox WHERE id = $1").bind(id).fetch_optional(pool).await?;
    s.map(|s| outbox_state(&s)).transpose()
}

async fn count_pending(pool: &Pool, platform: Platform) -> Result<i64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE platform = $1 AND state = 'pending'")
        .bind(platform.as_str())
        .fetch_one(pool)
        .await?;
    Ok(n)
}

async fn defer(pool: &Pool, id: i64, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE outbox SET next_attempt_ms = $2, lease_until_ms = NULL, attempts = attempts - 1 WHERE id = $1")
        .bind(id)
        .bind(ms(at))
        .execute(pool)
        .await?;
    Ok(())
}

async fn next_due(pool: &Pool, platform: Platform) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> =
        // A message leased by a worker is not due before its lease ends, even if its
        // attempt time has passed (another instance may be sending it right now).
        sqlx::query_scalar(
            "SELECT MIN(CASE WHEN lease_until_ms > next_attempt_ms THEN lease_until_ms ELSE next_attempt_ms END) \
             FROM outbox WHERE platform = $1 AND state = 'pending'",
        )
            .bind(platform.as_str())
            .fetch_one(pool)
            .await?;
    at.map(super::rows::time).transpose()
}
