// The scheduler's queries, shared by both backends like queries.rs (and `include!`d after it,
// so its imports and the backend's `Db`, `Backend` and `CLAIM_JOBS_SQL` are in scope): the
// jobs a commit writes, and claiming and reading them.

/// A commit's jobs, in order. A run of jobs to queue is one multi-row INSERT (opening a case
/// queues three clock jobs; each statement is a round trip to the database) unless a key
/// repeats within it: the first of two jobs with one key must stand, and Postgres refuses to
/// touch one row twice in one statement.
async fn write_jobs(tx: &mut Conn, jobs: &[JobWrite], commit_case: Option<CaseId>) -> Result<()> {
    let mut run: Vec<NewJob> = Vec::new();
    for job in jobs {
        match job {
            JobWrite::WithdrawCase { case, kind } => {
                queue_in_runs(tx, &std::mem::take(&mut run)).await?;
                sqlx::query(
                    "UPDATE jobs SET state = 'withdrawn' WHERE case_id = $1 AND kind = $2 AND state = 'pending'",
                )
                .bind(case.get())
                .bind(kind)
                .execute(&mut *tx)
                .await?;
            }
            JobWrite::Withdraw(key) => {
                queue_in_runs(tx, &std::mem::take(&mut run)).await?;
                sqlx::query("UPDATE jobs SET state = 'withdrawn' WHERE key = $1 AND state = 'pending'")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
            JobWrite::Schedule(_) | JobWrite::ScheduleForCase(_) => {
                run.extend(scheduled(job, commit_case)?);
            }
        }
    }
    queue_in_runs(tx, &run).await
}

/// The job a [`JobWrite::Schedule`] or [`JobWrite::ScheduleForCase`] queues, the latter
/// keyed by and tied to `commit_case`; `None` for a withdrawal.
fn scheduled(job: &JobWrite, commit_case: Option<CaseId>) -> Result<Option<NewJob>> {
    Ok(match job {
        JobWrite::Schedule(j) => Some(j.clone()),
        JobWrite::ScheduleForCase(j) => {
            let Some(case) = commit_case else {
                return Err(StoreError::Corrupt("a case's job in a commit without a case".into()));
            };
            let key = j.key.replace("{case}", &case.get().to_string());
            Some(NewJob { key, case: Some(case), ..j.clone() })
        }
        JobWrite::WithdrawCase { .. } | JobWrite::Withdraw(_) => None,
    })
}

/// Queues jobs in order, one statement for each run in which no key repeats.
async fn queue_in_runs(tx: &mut Conn, jobs: &[NewJob]) -> Result<()> {
    let mut keys = std::collections::HashSet::new();
    let mut start = 0;
    for (i, job) in jobs.iter().enumerate() {
        if !keys.insert(job.key.as_str()) {
            queue_jobs(tx, &jobs[start..i]).await?;
            keys.clear();
            keys.insert(job.key.as_str());
            start = i;
        }
    }
    queue_jobs(tx, &jobs[start..]).await
}

/// Queues each job unless one with its key exists; a withdrawn one is queued again.
async fn queue_jobs(tx: &mut Conn, jobs: &[NewJob]) -> Result<()> {
    for chunk in jobs.chunks(MAX_ROWS) {
        let mut q = sqlx::QueryBuilder::<Db>::new("INSERT INTO jobs (key, kind, case_id, team, due_ms, payload) ");
        q.push_values(chunk, |mut row, j| {
            row.push_bind(&j.key)
                .push_bind(&j.kind)
                .push_bind(j.case.map(CaseId::get))
                .push_bind(&j.team)
                .push_bind(ms(j.due))
                .push_bind(&j.payload);
        });
        q.push(
            " ON CONFLICT (key) DO UPDATE SET state = 'pending', due_ms = excluded.due_ms, \
             payload = excluded.payload WHERE jobs.state = 'withdrawn'",
        );
        q.build().execute(&mut *tx).await?;
    }
    Ok(())
}

async fn claim_due_jobs(store: &Backend, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> Result<Vec<Job>> {
        let mut tx = store.begin_write().await?;
        let rows: Vec<JobRow> =
            sqlx::query_as(CLAIM_JOBS_SQL).bind(ms(lease_until)).bind(ms(now)).bind(limit).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let mut jobs = rows.into_iter().map(Job::try_from).collect::<Result<Vec<_>>>()?;
        jobs.sort_by(|a, b| (a.due, &a.key).cmp(&(b.due, &b.key)));
        Ok(jobs)
    }

async fn first_claimable(pool: &Pool) -> Result<Option<DateTime<Utc>>> {
        // A job can be claimed at its due time, or when its lease runs out if that is later.
        // The first job free at its due time is found by walking `jobs_due`; only jobs due no
        // later than it and leased beyond their due time (a handful: those running now) can be
        // claimable earlier. A `MIN(CASE ...)` over every pending job gives the same answer but
        // reads them all (≈ 1 s on SQLite with 300,000 pending; see BENCHMARKS.md).
        let due: Option<i64> = sqlx::query_scalar(
            "WITH first AS (SELECT due_ms FROM jobs WHERE state = 'pending' \
             AND (lease_until_ms IS NULL OR lease_until_ms <= due_ms) ORDER BY due_ms LIMIT 1) \
             SELECT MIN(t) FROM (SELECT due_ms AS t FROM first UNION ALL \
             SELECT lease_until_ms AS t FROM jobs WHERE state = 'pending' AND lease_until_ms > due_ms \
             AND due_ms <= COALESCE((SELECT due_ms FROM first), 9223372036854775807)) AS x",
        )
        .fetch_one(pool)
        .await?;
        due.map(rows::time).transpose()
    }

async fn jobs_of_case(pool: &Pool, case: CaseId) -> Result<Vec<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE case_id = $1 ORDER BY due_ms, key");
        let rows: Vec<JobRow> = sqlx::query_as(&sql).bind(case.get()).fetch_all(pool).await?;
        rows.into_iter().map(Job::try_from).collect()
    }

async fn jobs_done(pool: &Pool, kind: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Job>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE kind = $1 AND state = 'done' AND done_ms >= $2 AND done_ms < $3 \
             ORDER BY due_ms, key"
        );
        let rows: Vec<JobRow> =
            sqlx::query_as(&sql).bind(kind).bind(ms(from)).bind(ms(to)).fetch_all(pool).await?;
        rows.into_iter().map(Job::try_from).collect()
    }

async fn job_by_key(pool: &Pool, key: &str) -> Result<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE key = $1");
        let row: Option<JobRow> = sqlx::query_as(&sql).bind(key).fetch_optional(pool).await?;
        row.map(Job::try_from).transpose()
    }

