//! Rows as both backends return them, and their conversion into domain types.

use super::{Job, JobState, NewSignal, OutboxItem, OutboxState, StoreError, StoredSignal};
use crate::domain::{Case, CaseId, CaseState, Event, EventAction, Grade};
use crate::platform::Platform;
use crate::text::Sketch;
use chrono::{DateTime, Utc};

pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn time(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt(format!("time {ms}")))
}

/// A stored token sketch (`Sketch::to_bytes`).
pub fn sketch(bytes: &[u8]) -> Result<Sketch, StoreError> {
    Sketch::from_bytes(bytes).ok_or_else(|| StoreError::Corrupt(format!("token sketch of {} bytes", bytes.len())))
}

fn opt_time(ms: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    ms.map(time).transpose()
}

fn platform(s: &str) -> Result<Platform, StoreError> {
    Platform::parse(s).ok_or_else(|| StoreError::Corrupt(format!("platform {s:?}")))
}

pub const CASE_COLUMNS: &str = "id, team, title, summary, source, grade, state, owner, leader, \
     opened_by, drill, resolution, dismissal, opened_ms, acknowledged_ms, responded_ms, resolved_ms, \
     closed_ms, updated_ms, version, merged_into";

#[derive(sqlx::FromRow)]
pub struct CaseRow {
    id: i64,
    team: String,
    title: String,
    summary: Option<String>,
    source: String,
    grade: String,
    state: String,
    owner: Option<String>,
    leader: Option<String>,
    opened_by: String,
    drill: bool,
    resolution: Option<String>,
    dismissal: Option<String>,
    opened_ms: i64,
    acknowledged_ms: Option<i64>,
    responded_ms: Option<i64>,
    resolved_ms: Option<i64>,
    closed_ms: Option<i64>,
    updated_ms: i64,
    version: i64,
    merged_into: Option<i64>,
}

impl TryFrom<CaseRow> for Case {
    type Error = StoreError;

    fn try_from(r: CaseRow) -> Result<Case, StoreError> {
        Ok(Case {
            id: CaseId::from_db(r.id),
            grade: Grade::parse(&r.grade).ok_or_else(|| StoreError::Corrupt(format!("grade {:?}", r.grade)))?,
            state: CaseState::parse(&r.state).ok_or_else(|| StoreError::Corrupt(format!("state {:?}", r.state)))?,
            team: r.team,
            title: r.title,
            summary: r.summary,
            source: r.source,
            owner: r.owner,
            leader: r.leader,
            opened_by: r.opened_by,
            drill: r.drill,
            resolution: r.resolution,
            dismissal: r.dismissal,
            opened_at: time(r.opened_ms)?,
            acknowledged_at: opt_time(r.acknowledged_ms)?,
            responded_at: opt_time(r.responded_ms)?,
            resolved_at: opt_time(r.resolved_ms)?,
            closed_at: opt_time(r.closed_ms)?,
            updated_at: time(r.updated_ms)?,
            version: r.version,
            merged_into: r.merged_into.map(CaseId::from_db),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct EventRow {
    id: i64,
    case_id: Option<i64>,
    actor: String,
    action: String,
    details: String,
    platform: String,
    at_ms: i64,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;

    fn try_from(r: EventRow) -> Result<Event, StoreError> {
        Ok(Event {
            id: r.id,
            case: r.case_id.map(CaseId::from_db),
            actor: r.actor,
            action: EventAction::parse(&r.action)
                .ok_or_else(|| StoreError::Corrupt(format!("event action {:?}", r.action)))?,
            details: serde_json::from_str(&r.details).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            platform: r.platform,
            at: time(r.at_ms)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct OutboxRow {
    id: i64,
    chat: String,
    platform: String,
    case_id: Option<i64>,
    payload: String,
    attempts: i64,
}

impl TryFrom<OutboxRow> for OutboxItem {
    type Error = StoreError;

    fn try_from(r: OutboxRow) -> Result<OutboxItem, StoreError> {
        Ok(OutboxItem {
            id: r.id,
            platform: platform(&r.platform)?,
            chat: r.chat,
            case: r.case_id.map(CaseId::from_db),
            payload: r.payload,
            attempts: r.attempts,
        })
    }
}

pub fn outbox_state(s: &str) -> Result<OutboxState, StoreError> {
    match s {
        "pending" => Ok(OutboxState::Pending),
        "delivered" => Ok(OutboxState::Delivered),
        "failed" => Ok(OutboxState::Failed),
        other => Err(StoreError::Corrupt(format!("outbox state {other:?}"))),
    }
}

pub const SIGNAL_COLUMNS: &str =
    "id, case_id, source, title, url, fingerprint, simhash, sketch, score, explanation, received_ms";

#[derive(sqlx::FromRow)]
pub struct SignalRow {
    id: i64,
    case_id: i64,
    source: String,
    title: String,
    url: Option<String>,
    fingerprint: Option<String>,
    simhash: i64,
    sketch: Option<Vec<u8>>,
    score: f64,
    explanation: String,
    received_ms: i64,
}

impl TryFrom<SignalRow> for StoredSignal {
    type Error = StoreError;

    fn try_from(r: SignalRow) -> Result<StoredSignal, StoreError> {
        Ok(StoredSignal {
            id: r.id,
            case: CaseId::from_db(r.case_id),
            signal: NewSignal {
                source: r.source,
                title: r.title,
                url: r.url,
                fingerprint: r.fingerprint,
                // Stored as i64 with the same bits: both backends lack unsigned 64-bit integers.
                simhash: r.simhash as u64,
                sketch: r.sketch.as_deref().map(sketch).transpose()?,
                score: r.score,
                explanation: r.explanation,
                received_at: time(r.received_ms)?,
                // Read by the story index only (`story_hashes`).
                specifics: None,
            },
        })
    }
}

pub const JOB_COLUMNS: &str = "key, kind, case_id, team, due_ms, payload, state, attempts, done_ms";

#[derive(sqlx::FromRow)]
pub struct JobRow {
    key: String,
    kind: String,
    case_id: Option<i64>,
    team: Option<String>,
    due_ms: i64,
    payload: String,
    state: String,
    attempts: i64,
    done_ms: Option<i64>,
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;

    fn try_from(r: JobRow) -> Result<Job, StoreError> {
        let state = match r.state.as_str() {
            "pending" => JobState::Pending,
            "done" => JobState::Done,
            "withdrawn" => JobState::Withdrawn,
            other => return Err(StoreError::Corrupt(format!("job state {other:?}"))),
        };
        Ok(Job {
            key: r.key,
            kind: r.kind,
            case: r.case_id.map(CaseId::from_db),
            team: r.team,
            due: time(r.due_ms)?,
            payload: r.payload,
            state,
            attempts: r.attempts,
            done_at: opt_time(r.done_ms)?,
        })
    }
}
