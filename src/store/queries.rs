// Queries both backends share, written once against `Db`.
//
// This file (and job_queries.rs, the scheduler's, intake_queries.rs, the intake's, and outbox_queries.rs, the delivery worker's) is `include!`d by sqlite.rs and postgres.rs, each with its own
// `type Db = sqlx::Sqlite | sqlx::Postgres;` in scope. sqlx's query types are tied to one
// database, and the generic alternative needs a dozen trait bounds on every function; the
// SQL itself is identical (`$n` placeholders work in SQLite too). What differs per backend
// stays in the backend file: `Backend` (the store type, with a `pool`), its `begin_write`,
// `CLAIM_SQL` (how outbox rows are claimed) and `MIGRATOR`.

use super::rows::{
    CASE_COLUMNS, CaseRow, EventRow, JOB_COLUMNS, JobRow, OutboxRow, SIGNAL_COLUMNS, SignalRow, ms, outbox_state,
};
use super::{
    AlertWrite, CaseFilter, CaseWrite, Commit, Job, JobWrite, NewJob, OutboxItem, OutboxState, Result, Store, StoreError,
    StoredSignal, StoryHash, TrackedAlert, rows,
};
use crate::domain::{Case, CaseId, Event, Locale, NewCase};
use crate::platform::Platform;
use crate::text::Sketch;
use chrono::{DateTime, Utc};

type Tx = sqlx::Transaction<'static, Db>;
type Pool = sqlx::Pool<Db>;
/// A connection with a transaction open on it: a pool's `Tx`, or SQLite's writer connection.
type Conn = <Db as sqlx::Database>::Connection;

async fn write_commit(tx: &mut Conn, commit: &Commit) -> Result<Option<CaseId>> {
    if let Some(key) = &commit.job_done {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', done_ms = $2, lease_until_ms = NULL WHERE key = $1 AND state = 'pending'",
        )
        .bind(key)
        .bind(ms(commit.at))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Duplicate);
        }
    }
    if let Some(key) = &commit.handled {
        insert_handled(tx, &[(key.as_str(), commit.at)]).await?;
    }
    let case_id = match &commit.case {
        CaseWrite::None => None,
        CaseWrite::Insert(new) => insert_cases(tx, &[new]).await?.first().copied(),
        CaseWrite::Update(case) => Some(case.id),
    };
    // The existing cases are written lowest number first: two commits about the same two
    // cases (opposite merges at once) then lock their rows in the same order on Postgres, and
    // the second waits for the first and finds it stale, instead of both deadlocking.
    let mut updated: Vec<&Case> = commit.others.iter().map(|o| &o.case).collect();
    if let CaseWrite::Update(case) = &commit.case {
        updated.push(case);
    }
    updated.sort_by_key(|c| c.id);
    for case in updated {
        update_case(tx, case).await?;
    }
    let case_ref = case_id.map(CaseId::get);
    for other in &commit.others {
        let (events, outbox) = match (&commit.case, case_id) {
            (CaseWrite::Insert(_), Some(id)) => super::fill_case(other, id),
            _ => (other.events.clone(), other.outbox.clone()),
        };
        let case = Some(other.case.id.get());
        insert_events(tx, &events.iter().map(|e| (case, e)).collect::<Vec<_>>()).await?;
        insert_outbox(tx, &outbox.iter().map(|m| (case, m, commit.at)).collect::<Vec<_>>()).await?;
    }
    if let Some(to) = case_id {
        for m in &commit.moves {
            move_signals(tx, m, to).await?;
        }
    }
    insert_events(tx, &commit.events.iter().map(|e| (case_ref, e)).collect::<Vec<_>>()).await?;
    insert_outbox(tx, &commit.outbox.iter().map(|m| (case_ref, m, commit.at)).collect::<Vec<_>>()).await?;
    if let Some(case) = case_ref {
        insert_signals(tx, &commit.signals.iter().map(|s| (case, s)).collect::<Vec<_>>()).await?;
    }
    write_alerts(tx, &commit.alerts, case_ref, commit.at).await?;
    write_jobs(tx, &commit.jobs, case_id).await?;
    for (key, value) in &commit.settings {
        upsert_setting(tx, key, value, commit.at).await?;
    }
    if let Some((chat, locale)) = &commit.chat_locale {
        sqlx::query(
            "INSERT INTO chat_settings (chat, locale, updated_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (chat) DO UPDATE SET locale = excluded.locale, updated_ms = excluded.updated_ms",
        )
        .bind(chat)
        .bind(locale.as_str())
        .bind(ms(commit.at))
        .execute(&mut *tx)
        .await?;
    }
    Ok(case_id)
}

/// Rows one multi-row statement may hold: its binds stay far below SQLite's limit of 32,766
/// (and Postgres's 65,535) at the dozen columns of the widest table.
const MAX_ROWS: usize = 1000;

/// The event keys a commit acts on (`handled`); any already acted on makes it a duplicate.
async fn insert_handled(tx: &mut Conn, keys: &[(&str, DateTime<Utc>)]) -> Result<()> {
    for chunk in keys.chunks(MAX_ROWS) {
        let mut q = sqlx::QueryBuilder::<Db>::new("INSERT INTO handled (key, at_ms) ");
        q.push_values(chunk, |mut row, (key, at)| {
            row.push_bind(*key).push_bind(ms(*at));
        });
        q.push(" ON CONFLICT (key) DO NOTHING");
        if q.build().execute(&mut *tx).await?.rows_affected() < chunk.len() as u64 {
            return Err(StoreError::Duplicate);
        }
    }
    Ok(())
}

/// New cases, numbered in the order given (the ids are handed out row by row, so sorting
/// them restores the order: SQLite does not promise to return them in it).
async fn insert_cases(tx: &mut Conn, cases: &[&NewCase]) -> Result<Vec<CaseId>> {
    let mut ids = Vec::with_capacity(cases.len());
    for chunk in cases.chunks(MAX_ROWS) {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO cases (team, title, summary, source, grade, state, leader, opened_by, drill, \
             opened_ms, updated_ms, version, owner) ",
        );
        q.push_values(chunk, |mut row, c| {
            row.push_bind(&c.team)
                .push_bind(&c.title)
                .push_bind(&c.summary)
                .push_bind(&c.source)
                .push_bind(c.grade.as_str())
                .push("'open'")
                .push_bind(&c.leader)
                .push_bind(&c.opened_by)
                .push_bind(c.drill)
                .push_bind(ms(c.opened_at))
                .push_bind(ms(c.opened_at))
                .push("1")
                .push_bind(&c.owner);
        });
        q.push(" RETURNING id");
        let mut got: Vec<i64> = q.build_query_scalar().fetch_all(&mut *tx).await?;
        got.sort_unstable();
        ids.extend(got.into_iter().map(CaseId::from_db));
    }
    Ok(ids)
}

/// Events, each with the case it is recorded against (or none).
async fn insert_events(tx: &mut Conn, events: &[(Option<i64>, &crate::domain::NewEvent)]) -> Result<()> {
    for chunk in events.chunks(MAX_ROWS) {
        let mut q =
            sqlx::QueryBuilder::<Db>::new("INSERT INTO events (case_id, actor, action, details, platform, at_ms) ");
        q.push_values(chunk, |mut row, (case, e)| {
            row.push_bind(*case)
                .push_bind(&e.actor)
                .push_bind(e.action.as_str())
                .push_bind(e.details.to_string())
                .push_bind(&e.platform)
                .push_bind(ms(e.at));
        });
        q.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Notices to send, each with its case (or none) and when it was queued.
async fn insert_outbox(tx: &mut Conn, outbox: &[(Option<i64>, &super::NewOutbox, DateTime<Utc>)]) -> Result<()> {
    for chunk in outbox.chunks(MAX_ROWS) {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO outbox (chat, platform, case_id, payload, created_ms, next_attempt_ms) ",
        );
        q.push_values(chunk, |mut row, (case, m, at)| {
            row.push_bind(&m.chat)
                .push_bind(m.platform.as_str())
                .push_bind(*case)
                .push_bind(&m.payload)
                .push_bind(ms(*at))
                .push_bind(ms(*at));
        });
        q.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Signals taken in, each with the case it joins.
async fn insert_signals(tx: &mut Conn, signals: &[(i64, &super::NewSignal)]) -> Result<()> {
    for chunk in signals.chunks(MAX_ROWS) {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO signals (case_id, source, title, url, fingerprint, simhash, sketch, score, explanation, \
             received_ms, specifics) ",
        );
        q.push_values(chunk, |mut row, (case, sig)| {
            row.push_bind(*case)
                .push_bind(&sig.source)
                .push_bind(&sig.title)
                .push_bind(&sig.url)
                .push_bind(&sig.fingerprint)
                .push_bind(sig.simhash as i64)
                .push_bind(sig.sketch.as_ref().map(Sketch::to_bytes))
                .push_bind(sig.score)
                .push_bind(&sig.explanation)
                .push_bind(ms(sig.received_at))
                .push_bind(sig.specifics.as_ref().map(crate::text::Specifics::to_json));
        });
        q.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Moves signals, and the tracked alerts that came with them, to case `to`.
async fn move_signals(tx: &mut Conn, m: &super::SignalMove, to: CaseId) -> Result<()> {
    match *m {
        super::SignalMove::All { from } => {
            for table in ["signals", "alerts"] {
                sqlx::query(&format!("UPDATE {table} SET case_id = $1 WHERE case_id = $2"))
                    .bind(to.get())
                    .bind(from.get())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        super::SignalMove::One { from, signal } => {
            let fingerprint: Option<Option<String>> =
                sqlx::query_scalar("SELECT fingerprint FROM signals WHERE id = $1 AND case_id = $2")
                    .bind(signal)
                    .bind(from.get())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(fingerprint) = fingerprint else { return Err(StoreError::Conflict) };
            sqlx::query("UPDATE signals SET case_id = $1 WHERE id = $2")
                .bind(to.get())
                .bind(signal)
                .execute(&mut *tx)
                .await?;
            if let Some(fp) = fingerprint {
                sqlx::query("UPDATE alerts SET case_id = $1 WHERE fingerprint = $2 AND case_id = $3")
                    .bind(to.get())
                    .bind(fp)
                    .bind(from.get())
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    Ok(())
}

async fn upsert_setting(tx: &mut Conn, key: &str, value: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
    )
    .bind(key)
    .bind(value)
    .bind(ms(at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Writes the case only if nobody else did since it was read (optimistic concurrency).
async fn update_case(tx: &mut Conn, c: &Case) -> Result<()> {
    let done = sqlx::query(
        "UPDATE cases SET title = $2, summary = $3, grade = $4, state = $5, owner = $6, \
         leader = $7, resolution = $8, dismissal = $9, acknowledged_ms = $10, resolved_ms = $11, \
         closed_ms = $12, updated_ms = $13, responded_ms = $15, merged_into = $16, version = version + 1 \
         WHERE id = $1 AND version = $14",
    )
    .bind(c.id.get())
    .bind(&c.title)
    .bind(&c.summary)
    .bind(c.grade.as_str())
    .bind(c.state.as_str())
    .bind(&c.owner)
    .bind(&c.leader)
    .bind(&c.resolution)
    .bind(&c.dismissal)
    .bind(c.acknowledged_at.map(ms))
    .bind(c.resolved_at.map(ms))
    .bind(c.closed_at.map(ms))
    .bind(ms(c.updated_at))
    .bind(c.version)
    .bind(c.responded_at.map(ms))
    .bind(c.merged_into.map(CaseId::get))
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM cases WHERE id = $1").bind(c.id.get()).fetch_optional(&mut *tx).await?;
    Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NoSuchCase })
}

async fn get_case(pool: &Pool, id: CaseId) -> Result<Option<Case>> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1");
    let row: Option<CaseRow> = sqlx::query_as(&sql).bind(id.get()).fetch_optional(pool).await?;
    row.map(Case::try_from).transpose()
}

async fn list_cases(pool: &Pool, f: &CaseFilter) -> Result<Vec<Case>> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases \
         WHERE ($1 = FALSE OR state NOT IN ('closed', 'dismissed')) AND ($2 IS NULL OR owner = $2) \
         ORDER BY id DESC LIMIT $3"
    );
    let rows: Vec<CaseRow> =
        sqlx::query_as(&sql).bind(f.on_ledger).bind(&f.owner).bind(f.limit.unwrap_or(i64::MAX)).fetch_all(pool).await?;
    rows.into_iter().map(Case::try_from).collect()
}

async fn list_events(pool: &Pool, case: CaseId) -> Result<Vec<Event>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT id, case_id, actor, action, details, platform, at_ms FROM events \
         WHERE case_id = $1 ORDER BY id",
    )
    .bind(case.get())
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Event::try_from).collect()
}

async fn list_events_of_kind(pool: &Pool, action: crate::domain::EventAction) -> Result<Vec<Event>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT id, case_id, actor, action, details, platform, at_ms FROM events WHERE action = $1 ORDER BY id",
    )
    .bind(action.as_str())
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Event::try_from).collect()
}

async fn get_chat_locale(pool: &Pool, chat: &str) -> Result<Option<Locale>> {
    let tag: Option<String> =
        sqlx::query_scalar("SELECT locale FROM chat_settings WHERE chat = $1").bind(chat).fetch_optional(pool).await?;
    Ok(tag.and_then(|t| Locale::parse(&t)))
}

async fn handled(pool: &Pool, key: &str) -> Result<bool> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT key FROM handled WHERE key = $1").bind(key).fetch_optional(pool).await?;
    Ok(found.is_some())
}

async fn get_card(pool: &Pool, case: CaseId, chat: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT message_id FROM cards WHERE case_id = $1 AND chat = $2")
        .bind(case.get())
        .bind(chat)
        .fetch_optional(pool)
        .await?)
}

async fn put_card(pool: &Pool, case: CaseId, chat: &str, message_id: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO cards (case_id, chat, message_id, updated_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (case_id, chat) DO UPDATE SET message_id = excluded.message_id, updated_ms = excluded.updated_ms",
    )
    .bind(case.get())
    .bind(chat)
    .bind(message_id)
    .bind(ms(now))
    .execute(pool)
    .await?;
    Ok(())
}

async fn get_setting(pool: &Pool, key: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(pool).await?)
}

async fn put_setting(pool: &Pool, key: &str, value: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
    )
    .bind(key)
    .bind(value)
    .bind(ms(now))
    .execute(pool)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl Store for Backend {
    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn commit(&self, commit: Commit) -> Result<Option<CaseId>> {
        self.write(commit).await
    }

    async fn case(&self, id: CaseId) -> Result<Option<Case>> {
        get_case(&self.pool, id).await
    }

    async fn cases(&self, filter: &CaseFilter) -> Result<Vec<Case>> {
        list_cases(&self.pool, filter).await
    }

    async fn events(&self, case: CaseId) -> Result<Vec<Event>> {
        list_events(&self.pool, case).await
    }

    async fn events_of_kind(&self, action: crate::domain::EventAction) -> Result<Vec<Event>> {
        list_events_of_kind(&self.pool, action).await
    }

    async fn chat_locale(&self, chat: &str) -> Result<Option<Locale>> {
        get_chat_locale(&self.pool, chat).await
    }

    async fn claim_outbox(
        &self,
        platform: Platform,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        let mut tx = self.begin_write().await?;
        let rows: Vec<OutboxRow> = sqlx::query_as(CLAIM_SQL)
            .bind(ms(lease_until))
            .bind(platform.as_str())
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut items = rows.into_iter().map(OutboxItem::try_from).collect::<Result<Vec<_>>>()?;
        // RETURNING gives no order; delivery must keep the order messages were queued in.
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    async fn outbox_delivered(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        mark_delivered(&self.pool, id, now).await
    }

    async fn outbox_failed(&self, id: i64, error: &str, retry_at: Option<DateTime<Utc>>) -> Result<()> {
        mark_failed(&self.pool, id, error, retry_at).await
    }

    async fn outbox_state(&self, id: i64) -> Result<Option<OutboxState>> {
        get_outbox_state(&self.pool, id).await
    }

    async fn outbox_pending(&self, platform: Platform) -> Result<i64> {
        count_pending(&self.pool, platform).await
    }

    async fn outbox_defer(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        defer(&self.pool, id, at).await
    }

    async fn outbox_next_due(&self, platform: Platform) -> Result<Option<DateTime<Utc>>> {
        next_due(&self.pool, platform).await
    }

    async fn was_handled(&self, key: &str) -> Result<bool> {
        handled(&self.pool, key).await
    }

    async fn card(&self, case: CaseId, chat: &str) -> Result<Option<String>> {
        get_card(&self.pool, case, chat).await
    }

    async fn set_card(&self, case: CaseId, chat: &str, message_id: &str, now: DateTime<Utc>) -> Result<()> {
        put_card(&self.pool, case, chat, message_id, now).await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        get_setting(&self.pool, key).await
    }

    async fn set_setting(&self, key: &str, value: &str, now: DateTime<Utc>) -> Result<()> {
        put_setting(&self.pool, key, value, now).await
    }

    async fn first_sighting(&self, key: &str, keep_until: DateTime<Utc>) -> Result<bool> {
        insert_sighting(&self.pool, key, keep_until).await
    }

    async fn forget_sightings(&self, now: DateTime<Utc>) -> Result<u64> {
        delete_sightings(&self.pool, now).await
    }

    async fn settings_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        // Compared as a prefix, not with LIKE, so `_` and `%` in keys mean themselves.
        Ok(sqlx::query_as("SELECT key, value FROM settings WHERE substr(key, 1, length($1)) = $1 ORDER BY key")
            .bind(prefix)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn claim_jobs(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> Result<Vec<Job>> {
        claim_due_jobs(self, now, lease_until, limit).await
    }

    async fn next_job_due(&self) -> Result<Option<DateTime<Utc>>> {
        first_claimable(&self.pool).await
    }

    async fn case_jobs(&self, case: CaseId) -> Result<Vec<Job>> {
        jobs_of_case(&self.pool, case).await
    }

    async fn jobs_done_between(&self, kind: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Job>> {
        jobs_done(&self.pool, kind, from, to).await
    }

    async fn job(&self, key: &str) -> Result<Option<Job>> {
        job_by_key(&self.pool, key).await
    }

    async fn story_hashes(&self, since: DateTime<Utc>, after: Option<i64>) -> Result<Vec<StoryHash>> {
        hashes_after(&self.pool, since, after).await
    }

    async fn story_hashes_by_id(&self, ids: &[i64]) -> Result<Vec<StoryHash>> {
        hashes_by_id(&self.pool, ids).await
    }

    async fn case_sources(&self, case: CaseId, since: DateTime<Utc>) -> Result<Vec<String>> {
        sources_since(&self.pool, case, since).await
    }

    async fn case_by_fingerprint(&self, fingerprint: &str) -> Result<Option<CaseId>> {
        fingerprint_case(&self.pool, fingerprint).await
    }

    async fn case_signals(&self, case: CaseId) -> Result<Vec<StoredSignal>> {
        signals_of(&self.pool, case).await
    }

    async fn alerts(&self, fingerprints: &[String]) -> Result<Vec<TrackedAlert>> {
        alerts_by_fingerprint(&self.pool, fingerprints).await
    }

    async fn alert_group_case(&self, group: &str) -> Result<Option<CaseId>> {
        group_case(&self.pool, group).await
    }

    async fn case_alerts(&self, case: CaseId) -> Result<Vec<TrackedAlert>> {
        alerts_of_case(&self.pool, case).await
    }

    async fn purge_signal_text(&self, before: DateTime<Utc>, now: DateTime<Utc>, dry_run: bool) -> Result<u64> {
        const WHERE: &str = "WHERE received_ms < $1 AND purged_ms IS NULL";
        if dry_run {
            let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM signals {WHERE}"))
                .bind(ms(before))
                .fetch_one(&self.pool)
                .await?;
            return Ok(n.max(0) as u64);
        }
        // In batches, so that a first purge of a long history does not hold the write lock
        // (SQLite's is the whole file) for long.
        const BATCH: i64 = 5_000;
        let sql = format!(
            "UPDATE signals SET title = '', url = NULL, purged_ms = $2 \
             WHERE id IN (SELECT id FROM signals {WHERE} ORDER BY id LIMIT $3)"
        );
        let mut total = 0;
        loop {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(&sql).bind(ms(before)).bind(ms(now)).bind(BATCH).execute(&mut *tx).await?;
            tx.commit().await?;
            total += done.rows_affected();
            if done.rows_affected() < BATCH as u64 {
                return Ok(total);
            }
        }
    }
}
