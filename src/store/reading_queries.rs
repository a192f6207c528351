// Operations' reads (`Readings`), shared by both backends like queries.rs and `include!`d after
// it, so its imports and the backend's `Db`, `Backend`, `Pool`, `Conn` and `MIGRATOR` are in
// scope. Which connection the schema check runs on is the backend's own `check_schema`.

async fn backlog_of(pool: &Pool) -> Result<super::readings::Backlog> {
    let cases: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT grade, state, COUNT(*) FROM cases \
         WHERE state NOT IN ('closed', 'dismissed') AND drill = $1 GROUP BY grade, state",
    )
    .bind(false)
    .fetch_all(pool)
    .await?;
    let cases = cases
        .into_iter()
        .map(|(g, s, n)| {
            let grade = crate::domain::Grade::parse(&g).ok_or_else(|| StoreError::Corrupt(format!("grade {g:?}")))?;
            let state =
                crate::domain::CaseState::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("state {s:?}")))?;
            Ok((grade, state, n))
        })
        .collect::<Result<Vec<_>>>()?;
    let outbox: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT platform, COUNT(*), MIN(created_ms) FROM outbox WHERE state = 'pending' GROUP BY platform",
    )
    .fetch_all(pool)
    .await?;
    // A platform this build does not know (written by a newer one) has no series here.
    let outbox = outbox
        .into_iter()
        .filter_map(|(p, n, oldest)| Some((Platform::parse(&p)?, n, oldest)))
        .map(|(p, n, oldest)| Ok((p, n, rows::time(oldest)?)))
        .collect::<Result<Vec<_>>>()?;
    let earliest: Option<i64> =
        sqlx::query_scalar("SELECT MIN(due_ms) FROM jobs WHERE state = 'pending'").fetch_one(pool).await?;
    Ok(super::readings::Backlog { cases, outbox, earliest_job: earliest.map(rows::time).transpose()? })
}

async fn ledger_events_of(pool: &Pool, actions: &[crate::domain::EventAction]) -> Result<Vec<Event>> {
    if actions.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (1..=actions.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT e.id, e.case_id, e.actor, e.action, e.details, e.platform, e.at_ms \
         FROM events e JOIN cases c ON c.id = e.case_id \
         WHERE c.state NOT IN ('closed', 'dismissed') AND e.action IN ({}) ORDER BY e.id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, EventRow>(&sql);
    for action in actions {
        query = query.bind(action.as_str());
    }
    let rows = query.fetch_all(pool).await?;
    rows.into_iter().map(Event::try_from).collect()
}

/// Reads `_sqlx_migrations` on `conn` after making sure the database answers at all: an error
/// from `SELECT 1` is the database's; a missing migrations table is a database never migrated.
async fn schema_on(conn: &mut Conn) -> Result<super::readings::Schema> {
    sqlx::query("SELECT 1").execute(&mut *conn).await?;
    let applied: Vec<(i64, Vec<u8>, bool)> =
        sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    let known: Vec<(i64, Vec<u8>)> = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| (m.version, m.checksum.to_vec()))
        .collect();
    Ok(super::readings::Schema::compare(&applied, &known))
}

#[async_trait::async_trait]
impl super::readings::Readings for Backend {
    async fn backlog(&self) -> Result<super::readings::Backlog> {
        backlog_of(&self.pool).await
    }

    async fn ledger_events(&self, actions: &[crate::domain::EventAction]) -> Result<Vec<Event>> {
        ledger_events_of(&self.pool, actions).await
    }

    async fn schema(&self) -> Result<super::readings::Schema> {
        self.check_schema().await
    }
}
