// The intake's queries, shared by both backends like queries.rs (and `include!`d after it, so
// its imports and the backend's `Db`, `Pool` and `Conn` are in scope): the alerts a commit
// records, reading them back, the replay window's signatures, and the story index's reads.

async fn write_alerts(tx: &mut Conn, alerts: &[AlertWrite], case: Option<i64>, at: DateTime<Utc>) -> Result<()> {
    for alert in alerts {
        let done = match alert {
            AlertWrite::Seen { fingerprint } => {
                sqlx::query("UPDATE alerts SET seen_ms = $2 WHERE fingerprint = $1")
                    .bind(fingerprint)
                    .bind(ms(at))
                    .execute(&mut *tx)
                    .await?;
                continue;
            }
            AlertWrite::Set { fingerprint, group, name, firing, new } => {
                let case = case.ok_or(StoreError::NoSuchCase)?;
                let sql = if *new {
                    "INSERT INTO alerts (fingerprint, case_id, group_key, name, firing, changed_ms, seen_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (fingerprint) DO NOTHING"
                } else {
                    "UPDATE alerts SET case_id = $2, group_key = $3, name = $4, firing = $5, changed_ms = $6, \
                     seen_ms = $6 WHERE fingerprint = $1"
                };
                sqlx::query(sql)
                    .bind(fingerprint)
                    .bind(case)
                    .bind(group)
                    .bind(name)
                    .bind(*firing)
                    .bind(ms(at))
                    .execute(&mut *tx)
                    .await?
            }
        };
        // Another report of the same alert was recorded since this one was decided on.
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
    }
    Ok(())
}

const ALERT_COLUMNS: &str = "fingerprint, case_id, group_key, name, firing, changed_ms, seen_ms";
/// `fingerprint, case_id, group_key, name, firing, changed_ms, seen_ms`.
type AlertRow = (String, i64, Option<String>, String, bool, i64, i64);

fn tracked((fingerprint, case, group, name, firing, changed, seen): AlertRow) -> Result<TrackedAlert> {
    Ok(TrackedAlert {
        fingerprint,
        case: CaseId::from_db(case),
        group,
        name,
        firing,
        changed_at: rows::time(changed)?,
        seen_at: rows::time(seen)?,
    })
}

async fn alerts_by_fingerprint(pool: &Pool, fingerprints: &[String]) -> Result<Vec<TrackedAlert>> {
    let mut found = Vec::with_capacity(fingerprints.len());
    // In chunks: both backends limit the parameters of one statement.
    for chunk in fingerprints.chunks(500) {
        let mut q = sqlx::QueryBuilder::<Db>::new(format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE fingerprint IN ("));
        let mut list = q.separated(", ");
        for fp in chunk {
            list.push_bind(fp.clone());
        }
        q.push(")");
        let rows: Vec<AlertRow> = q.build_query_as().fetch_all(pool).await?;
        for row in rows {
            found.push(tracked(row)?);
        }
    }
    Ok(found)
}

async fn group_case(pool: &Pool, group: &str) -> Result<Option<CaseId>> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT MAX(case_id) FROM alerts WHERE group_key = $1").bind(group).fetch_one(pool).await?;
    Ok(id.map(CaseId::from_db))
}

async fn alerts_of_case(pool: &Pool, case: CaseId) -> Result<Vec<TrackedAlert>> {
    let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE case_id = $1 ORDER BY name, fingerprint");
    let rows: Vec<AlertRow> = sqlx::query_as(&sql).bind(case.get()).fetch_all(pool).await?;
    rows.into_iter().map(tracked).collect()
}

/// The insert alone decides, atomically on both backends: two instances handed the same replay
/// at once cannot both see it as new.
async fn insert_sighting(pool: &Pool, key: &str, keep_until: DateTime<Utc>) -> Result<bool> {
    let done = sqlx::query("INSERT INTO intake_seen (key, keep_until_ms) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(ms(keep_until))
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

async fn delete_sightings(pool: &Pool, now: DateTime<Utc>) -> Result<u64> {
    let done = sqlx::query("DELETE FROM intake_seen WHERE keep_until_ms < $1").bind(ms(now)).execute(pool).await?;
    Ok(done.rows_affected())
}

/// The story index's rows: the window's signals when `after` is `None` (through the time
/// index), else only those written since the row id `after` (through the primary key; the
/// caller drops what fell out of the window).
async fn hashes_after(pool: &Pool, since: DateTime<Utc>, after: Option<i64>) -> Result<Vec<StoryHash>> {
    const COLUMNS: &str = "SELECT id, case_id, simhash, sketch, received_ms, specifics FROM signals";
    let rows: Vec<HashRow> = match after {
        None => {
            let sql = format!("{COLUMNS} WHERE received_ms >= $1 ORDER BY id");
            sqlx::query_as(&sql).bind(ms(since)).fetch_all(pool).await?
        }
        Some(id) => {
            let sql = format!("{COLUMNS} WHERE id > $1 ORDER BY id");
            sqlx::query_as(&sql).bind(id).fetch_all(pool).await?
        }
    };
    rows.into_iter().map(story_hash).collect()
}

async fn hashes_by_id(pool: &Pool, ids: &[i64]) -> Result<Vec<StoryHash>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut q =
        sqlx::QueryBuilder::<Db>::new("SELECT id, case_id, simhash, sketch, received_ms, specifics FROM signals WHERE id IN (");
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    q.push(") ORDER BY id");
    let rows: Vec<HashRow> = q.build_query_as().fetch_all(pool).await?;
    rows.into_iter().map(story_hash).collect()
}

/// `id, case_id, simhash, sketch, received_ms, specifics`.
type HashRow = (i64, i64, i64, Option<Vec<u8>>, i64, Option<String>);

fn story_hash((id, case, hash, sketch, received, specifics): HashRow) -> Result<StoryHash> {
    Ok(StoryHash {
        id,
        case: CaseId::from_db(case),
        simhash: hash as u64,
        sketch: sketch.as_deref().map(rows::sketch).transpose()?,
        // Unreadable specifics only cost a suggestion: not worth refusing the row for.
        specifics: specifics.as_deref().and_then(crate::text::Specifics::from_json),
        received_at: rows::time(received)?,
    })
}

async fn sources_since(pool: &Pool, case: CaseId, since: DateTime<Utc>) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT source FROM signals WHERE case_id = $1 AND received_ms >= $2 ORDER BY source",
    )
    .bind(case.get())
    .bind(ms(since))
    .fetch_all(pool)
    .await?)
}

async fn fingerprint_case(pool: &Pool, fingerprint: &str) -> Result<Option<CaseId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT s.case_id FROM signals s JOIN cases c ON c.id = s.case_id \
         WHERE s.fingerprint = $1 AND c.state NOT IN ('closed', 'dismissed') ORDER BY s.id DESC LIMIT 1",
    )
    .bind(fingerprint)
    .fetch_optional(pool)
    .await?;
    Ok(id.map(CaseId::from_db))
}

async fn signals_of(pool: &Pool, case: CaseId) -> Result<Vec<StoredSignal>> {
    let sql = format!("SELECT {SIGNAL_COLUMNS} FROM signals WHERE case_id = $1 ORDER BY id");
    let rows: Vec<SignalRow> = sqlx::query_as(&sql).bind(case.get()).fetch_all(pool).await?;
    rows.into_iter().map(StoredSignal::try_from).collect()
}
