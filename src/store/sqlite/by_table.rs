//! A batch of commits shaped like the intake's (a case opened or updated, with its events,
//! notices, signals and newly scheduled jobs) is written with one statement per table for the
//! whole batch, instead of about five per commit. Every statement is a round trip between the
//! writer task and sqlx's SQLite thread, and under intake load those round trips were what the
//! one writer spent its time on (BENCHMARKS.md, "Intake throughput"). If any commit fails
//! (a duplicate event key, a case changed since it was read), the whole write fails, and the
//! writer writes the batch again commit by commit under savepoints, which tells each caller
//! whether its own commit was the one.

use super::{
    CaseWrite, Commit, Conn, JobWrite, Result, StoreError, insert_cases, insert_events, insert_handled, insert_outbox,
    insert_signals, queue_in_runs, scheduled, update_case,
};
use crate::domain::{CaseId, NewCase};

/// Whether [`write`] can write `commit`: it opens or updates one case and schedules (but does
/// not withdraw) jobs, and touches nothing else.
pub(super) fn fits(commit: &Commit) -> bool {
    matches!(commit.case, CaseWrite::Insert(_) | CaseWrite::Update(_))
        && commit.others.is_empty()
        && commit.moves.is_empty()
        && commit.alerts.is_empty()
        && commit.settings.is_empty()
        && commit.chat_locale.is_none()
        && commit.job_done.is_none()
        && commit.jobs.iter().all(|j| matches!(j, JobWrite::Schedule(_) | JobWrite::ScheduleForCase(_)))
}

/// Writes `commits` (each one that [`fits`]) in the open transaction and returns each one's
/// case, in order. What one commit writes is what `write_commit` would write for it alone.
pub(super) async fn write(conn: &mut Conn, commits: &[&Commit]) -> Result<Vec<CaseId>> {
    let keys: Vec<_> = commits.iter().filter_map(|c| c.handled.as_deref().map(|key| (key, c.at))).collect();
    insert_handled(conn, &keys).await?;
    let new: Vec<&NewCase> = commits
        .iter()
        .filter_map(|c| match &c.case {
            CaseWrite::Insert(new) => Some(new),
            _ => None,
        })
        .collect();
    let mut opened = insert_cases(conn, &new).await?.into_iter();
    let mut cases = Vec::with_capacity(commits.len());
    for commit in commits {
        cases.push(match &commit.case {
            CaseWrite::Insert(_) => opened.next().ok_or_else(|| StoreError::Corrupt("a new case got no id".into()))?,
            CaseWrite::Update(case) => {
                update_case(conn, case).await?;
                case.id
            }
            CaseWrite::None => return Err(StoreError::Corrupt("a commit without a case written by table".into())),
        });
    }
    let each = || commits.iter().zip(cases.iter().map(|c| c.get()));
    let events: Vec<_> = each().flat_map(|(c, case)| c.events.iter().map(move |e| (Some(case), e))).collect();
    insert_events(conn, &events).await?;
    let outbox: Vec<_> = each().flat_map(|(c, case)| c.outbox.iter().map(move |m| (Some(case), m, c.at))).collect();
    insert_outbox(conn, &outbox).await?;
    let signals: Vec<_> = each().flat_map(|(c, case)| c.signals.iter().map(move |s| (case, s))).collect();
    insert_signals(conn, &signals).await?;
    let mut jobs = Vec::new();
    for (commit, case) in commits.iter().zip(&cases) {
        for job in &commit.jobs {
            jobs.extend(scheduled(job, Some(*case))?);
        }
    }
    queue_in_runs(conn, &jobs).await?;
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Case, EventAction, Grade, NewEvent};
    use crate::platform::Platform;
    use crate::store::{NewJob, NewOutbox, NewSignal, SqliteStore, Store};
    use chrono::{DateTime, Utc};
    use sqlx::Connection as _;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
    use std::str::FromStr as _;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    /// A migrated ledger file, and a connection of our own to write it with.
    async fn ledger(dir: &tempfile::TempDir) -> (SqliteStore, SqliteConnection) {
        let url = format!("sqlite://{}/tocsin.db", dir.path().display());
        let store = SqliteStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let conn = SqliteConnection::connect_with(&SqliteConnectOptions::from_str(&url).unwrap().foreign_keys(true))
            .await
            .unwrap();
        (store, conn)
    }

    /// What the intake commits for signal `i`: its case, its event, two notices, the signal
    /// and a clock job, each naming `i`.
    fn intake(i: i64, case: CaseWrite) -> Commit {
        Commit {
            events: vec![NewEvent {
                actor: "tocsin".into(),
                action: EventAction::Opened,
                details: serde_json::json!({ "n": i }),
                platform: "intake".into(),
                at: at(i),
            }],
            outbox: ["ops", "mirror"]
                .map(|chat| NewOutbox {
                    chat: format!("{chat}-{i}"),
                    platform: Platform::Console,
                    payload: format!("{i}"),
                })
                .to_vec(),
            handled: Some(format!("intake:{i}")),
            signals: vec![NewSignal {
                source: "wire".into(),
                title: format!("signal {i}"),
                url: None,
                fingerprint: None,
                simhash: i as u64,
                sketch: None,
                score: 1.0,
                explanation: String::new(),
                received_at: at(i),
                specifics: None,
            }],
            jobs: vec![JobWrite::ScheduleForCase(NewJob {
                key: "clock:{case}:ack".into(),
                kind: "clock".into(),
                case: None,
                team: None,
                due: at(600 + i),
                payload: format!("{i}"),
            })],
            ..Commit::new(case, at(i))
        }
    }

    fn opening(i: i64) -> Commit {
        intake(
            i,
            CaseWrite::Insert(NewCase {
                team: "city-desk".into(),
                title: format!("case {i}"),
                summary: None,
                source: "wire".into(),
                grade: Grade::III,
                owner: None,
                leader: None,
                opened_by: "tocsin".into(),
                drill: false,
                opened_at: at(i),
            }),
        )
    }

    async fn in_one_transaction(conn: &mut SqliteConnection, commits: &[Commit]) -> Result<Vec<CaseId>> {
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.unwrap();
        let written = write(conn, &commits.iter().collect::<Vec<_>>()).await;
        let end = if written.is_ok() { "COMMIT" } else { "ROLLBACK" };
        sqlx::query(end).execute(&mut *conn).await.unwrap();
        written
    }

    #[test]
    fn only_a_commit_that_opens_or_updates_a_case_and_only_schedules_is_written_by_table() {
        assert!(fits(&opening(1)));
        assert!(!fits(&Commit::new(CaseWrite::None, at(0))));
        let withdrawing = Commit { jobs: vec![JobWrite::Withdraw("k".into())], ..opening(1) };
        assert!(!fits(&withdrawing));
        let with_setting = Commit { settings: vec![("k".into(), "v".into())], ..opening(1) };
        assert!(!fits(&with_setting));
        assert!(!fits(&Commit { job_done: Some("k".into()), ..opening(1) }));
    }

    #[tokio::test]
    async fn each_commit_of_a_batch_keeps_its_own_case_events_notices_signals_and_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut conn) = ledger(&dir).await;
        let first = in_one_transaction(&mut conn, &[opening(0)]).await.unwrap()[0];
        let case: Case = store.case(first).await.unwrap().unwrap();
        // Opened, joined and opened, interleaved: the numbers must still go to the right rows.
        let batch = vec![opening(1), intake(2, CaseWrite::Update(case)), opening(3), opening(4)];
        let cases = in_one_transaction(&mut conn, &batch).await.unwrap();
        assert_eq!(cases[1], first);
        assert_eq!(cases.iter().filter(|c| **c != first).count(), 3);
        for (i, id) in [1, 2, 3, 4].into_iter().zip(&cases) {
            let events = store.events(*id).await.unwrap();
            assert!(events.iter().any(|e| e.details["n"] == i), "case {id} has event {i}");
            let signals = store.case_signals(*id).await.unwrap();
            assert!(signals.iter().any(|s| s.signal.title == format!("signal {i}")));
            // A job already queued under the key stands: the join's does not replace the opening's.
            let queued_by = if *id == first { 0 } else { i };
            let jobs = store.case_jobs(*id).await.unwrap();
            let jobs: Vec<_> = jobs.iter().map(|j| (j.key.clone(), j.payload.clone())).collect();
            assert_eq!(jobs, [(format!("clock:{}:ack", id.get()), queued_by.to_string())]);
        }
        for i in [1, 3, 4] {
            let id = cases[i - 1];
            assert_eq!(store.case(id).await.unwrap().unwrap().title, format!("case {i}"));
            assert_eq!(store.events(id).await.unwrap().len(), 1);
        }
        assert_eq!(store.case(first).await.unwrap().unwrap().version, 2, "the join updated its case");
        let sent = store.claim_outbox(Platform::Console, at(10), at(40), 100).await.unwrap();
        assert_eq!(sent.len(), 10);
        for item in sent {
            let i: usize = item.payload.parse().unwrap();
            let want = if i == 0 { first } else { cases[i - 1] };
            assert_eq!(item.case, Some(want), "notice {i}");
            assert!(item.chat.ends_with(&format!("-{i}")));
        }
    }

    #[tokio::test]
    async fn a_repeated_event_key_or_a_stale_case_fails_the_whole_write() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut conn) = ledger(&dir).await;
        let first = in_one_transaction(&mut conn, &[opening(0)]).await.unwrap()[0];
        let case = store.case(first).await.unwrap().unwrap();
        let again = Commit { handled: Some("intake:1".into()), ..opening(5) };
        let err = in_one_transaction(&mut conn, &[opening(1), again]).await.unwrap_err();
        assert!(matches!(err, StoreError::Duplicate), "{err:?}");
        let stale = [intake(2, CaseWrite::Update(case.clone())), intake(3, CaseWrite::Update(case))];
        let err = in_one_transaction(&mut conn, &stale).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict), "{err:?}");
        assert_eq!(store.cases(&Default::default()).await.unwrap().len(), 1, "nothing of either batch was kept");
        assert!(!store.was_handled("intake:1").await.unwrap());
    }
}
