//! The ledger's storage: one [`Store`] trait, one implementation per backend.
//!
//! Every decision reaches the store as one [`Commit`]: the case change, the events that
//! record it and the messages it causes are written in one transaction, so a crash can
//! lose neither a message nor the record of why it was sent.

pub mod instance;
pub mod leases;
mod postgres;
pub mod readings;
mod rows;
mod sqlite;

pub use postgres::PgStore;
pub use readings::Readings;
pub use sqlite::SqliteStore;

use crate::domain::{Case, CaseId, Event, Locale, NewCase, NewEvent};
use crate::platform::Platform;
use crate::text::Sketch;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The case changed since it was read; the caller decides again on fresh data.
    #[error("the case was changed by someone else in the meantime")]
    Conflict,
    #[error("the case the change refers to does not exist")]
    NoSuchCase,
    /// The commit's `handled` key was already recorded: this event was acted on before.
    #[error("this event was already handled")]
    Duplicate,
    /// The database refused a batched write (SQLite's writer): nothing of it was kept.
    #[error("the database did not take the write: {0}")]
    Write(String),
    /// The database did not answer a moment ago (this is that failure, told to a caller that
    /// queued behind it rather than waiting out its own timeout).
    #[error("the database is not answering: {0}")]
    Unavailable(String),
    #[error("stored data is not what tocsin wrote: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the database could not be reached or could not write (stopped, timed out,
    /// read-only, disk full): not the request's fault, and worth trying again later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Write(_) | StoreError::Unavailable(_) => true,
            StoreError::Db(e) => db_unavailable(e),
            _ => false,
        }
    }
}

/// [`StoreError::is_unavailable`] for an error that may wrap a store error anywhere in it.
pub fn is_unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<StoreError>().is_some_and(StoreError::is_unavailable)
            || cause.downcast_ref::<sqlx::Error>().is_some_and(db_unavailable)
    })
}

fn db_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        // A connection cut mid-conversation reads as a malformed answer.
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else { return false };
            // SQLite's primary result codes (the low byte of an extended code): BUSY, READONLY,
            // IOERR, FULL, CANTOPEN. Postgres' SQLSTATE: connection exceptions (08), read-only
            // transactions, insufficient resources (53: disk full, out of memory, too many
            // connections) and the server shutting down or starting (57P0x).
            match code.parse::<i64>() {
                Ok(n) => matches!(n & 0xff, 5 | 8 | 10 | 13 | 14),
                Err(_) => code.starts_with("08") || code.starts_with("53") || code.starts_with("57P0") || code == "25006",
            }
        }
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What a commit does to a case.
#[derive(Debug, Clone)]
pub enum CaseWrite {
    /// The commit is not about a case (a chat setting, say).
    None,
    Insert(NewCase),
    /// Written only if the stored version still equals `case.version`.
    Update(Case),
}

/// A message to post, to be delivered by the outbox worker.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbox {
    pub chat: String,
    pub platform: Platform,
    /// Serialised [`crate::app::Notice`]: rendered in the chat's language at delivery.
    pub payload: String,
}

#[derive(Debug, Clone)]
pub struct Commit {
    pub case: CaseWrite,
    /// Recorded against the commit's case (or none).
    pub events: Vec<NewEvent>,
    /// Queued against the commit's case (or none).
    pub outbox: Vec<NewOutbox>,
    pub chat_locale: Option<(String, Locale)>,
    /// The platform event this commit acts on (`telegram:update:42`); a second commit with
    /// the same key fails with [`StoreError::Duplicate`] and writes nothing.
    pub handled: Option<String>,
    /// Signals taken in, attached to the commit's case.
    pub signals: Vec<NewSignal>,
    /// Timed work this decision schedules or withdraws, in order.
    pub jobs: Vec<JobWrite>,
    /// The scheduled job this commit carries out. It is marked done in the same transaction;
    /// if it is already done or withdrawn, the commit fails with [`StoreError::Duplicate`]
    /// and writes nothing.
    pub job_done: Option<String>,
    /// Named values written (or replaced) with the decision: a team's watch, a duty swap.
    pub settings: Vec<(String, String)>,
    /// Alerts of alert sources whose state this decision records (or that were only seen).
    pub alerts: Vec<AlertWrite>,
    /// Other cases the same decision changes (`/merge` closes one case into another), each
    /// written only if it is still at the version read, with its own events and notices.
    pub others: Vec<OtherCase>,
    /// Signals (and their alerts) moved to the commit's case from another.
    pub moves: Vec<SignalMove>,
    pub at: DateTime<Utc>,
}

/// A second case written by a commit, with what is recorded and announced about it. Its
/// events and notices may name the commit's own case before it has a number (`/split` opens
/// it): when the commit inserts its case, the text `{case}` in them becomes that number.
#[derive(Debug, Clone)]
pub struct OtherCase {
    pub case: Case,
    pub events: Vec<NewEvent>,
    pub outbox: Vec<NewOutbox>,
}

/// `other`'s events and notices with `{case}` replaced by the commit's case number.
fn fill_case(other: &OtherCase, case: CaseId) -> (Vec<NewEvent>, Vec<NewOutbox>) {
    let n = case.get().to_string();
    let events = other
        .events
        .iter()
        .map(|e| {
            let details =
                serde_json::from_str(&e.details.to_string().replace("{case}", &n)).unwrap_or(e.details.clone());
            NewEvent { details, ..e.clone() }
        })
        .collect();
    let outbox =
        other.outbox.iter().map(|m| NewOutbox { payload: m.payload.replace("{case}", &n), ..m.clone() }).collect();
    (events, outbox)
}

/// Signals taken from one case to the commit's case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalMove {
    /// Every signal and tracked alert of the case (`/merge`).
    All { from: CaseId },
    /// One signal, and the tracked alert it came from if any (`/split`). The commit fails
    /// with [`StoreError::Conflict`] if the signal is no longer the case's.
    One { from: CaseId, signal: i64 },
}

impl Commit {
    /// A commit that writes `case` and, until the caller adds them, nothing else.
    pub fn new(case: CaseWrite, at: DateTime<Utc>) -> Commit {
        Commit {
            case,
            events: vec![],
            outbox: vec![],
            chat_locale: None,
            handled: None,
            signals: vec![],
            jobs: vec![],
            job_done: None,
            settings: vec![],
            alerts: vec![],
            others: vec![],
            moves: vec![],
            at,
        }
    }
}

/// A change to the schedule, written with the decision that causes it.
#[derive(Debug, Clone, PartialEq)]
pub enum JobWrite {
    /// Queues a job unless one with its key exists; a withdrawn one is queued again.
    Schedule(NewJob),
    /// The same, about the commit's own case, whose number a new case does not have yet:
    /// `{case}` in the key becomes the number, and the job belongs to the case.
    ScheduleForCase(NewJob),
    /// Withdraws every pending job of a kind about a case (before writing its new schedule).
    WithdrawCase { case: CaseId, kind: String },
    /// Withdraws one pending job.
    Withdraw(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub key: String,
    pub kind: String,
    pub case: Option<CaseId>,
    pub team: Option<String>,
    pub due: DateTime<Utc>,
    /// What the job needs to run, as JSON.
    pub payload: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Done,
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub key: String,
    pub kind: String,
    pub case: Option<CaseId>,
    pub team: Option<String>,
    pub due: DateTime<Utc>,
    pub payload: String,
    pub state: JobState,
    /// Times it was claimed (a claim whose instance died is handed out again).
    pub attempts: i64,
    pub done_at: Option<DateTime<Utc>>,
}

/// One stored signal's SimHash and token sketch, for the in-memory story index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryHash {
    pub id: i64,
    pub case: CaseId,
    pub simhash: u64,
    /// `None` for a signal stored before sketches were kept.
    pub sketch: Option<Sketch>,
    /// The places and categories of a case's first signal (`None` for the others, and for
    /// signals stored before they were kept): the "possibly the same story" line.
    pub specifics: Option<crate::text::Specifics>,
    pub received_at: DateTime<Utc>,
}

/// An alert of an Alertmanager or Grafana source as tocsin last saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedAlert {
    /// `<source>:<the sender's fingerprint>`.
    pub fingerprint: String,
    pub case: CaseId,
    /// `<source>:<groupKey>` when the source groups by notification.
    pub group: Option<String>,
    /// One line naming the alert on the card (`DiskFull instance=db-0`).
    pub name: String,
    pub firing: bool,
    /// When it last began firing or resolved.
    pub changed_at: DateTime<Utc>,
    /// When a notification last carried it.
    pub seen_at: DateTime<Utc>,
}

/// What a commit writes about one alert, at the commit's time.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertWrite {
    /// Its state changed (or it is new): attached to the commit's case. With `new`, the commit
    /// fails with [`StoreError::Conflict`] if another commit recorded the fingerprint first.
    Set { fingerprint: String, group: Option<String>, name: String, firing: bool, new: bool },
    /// A notification repeated it: only its last-seen time moves.
    Seen { fingerprint: String },
}

/// A signal as stored with the case of its story.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSignal {
    pub source: String,
    pub title: String,
    pub url: Option<String>,
    pub fingerprint: Option<String>,
    pub simhash: u64,
    /// Its content words' sketch (`None` only for signals stored before sketches were kept).
    pub sketch: Option<Sketch>,
    pub score: f64,
    /// How the grade was reached (`safety ×2 (燃气, 泄漏), ... → II`).
    pub explanation: String,
    pub received_at: DateTime<Utc>,
    /// The places and categories it names: kept for a case's first signal only.
    pub specifics: Option<crate::text::Specifics>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredSignal {
    /// The signal's number, shown by `/status` so a leader can name it to `/split`.
    pub id: i64,
    pub case: CaseId,
    pub signal: NewSignal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: i64,
    pub chat: String,
    pub platform: Platform,
    pub case: Option<CaseId>,
    pub payload: String,
    pub attempts: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    Pending,
    Delivered,
    Failed,
}

/// Which cases to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only cases not yet closed or dismissed.
    pub on_ledger: bool,
    pub owner: Option<String>,
    pub limit: Option<i64>,
}

#[async_trait]
pub trait Store: Readings + leases::Leases + Send + Sync + 'static {
    /// Applies this backend's migrations.
    async fn migrate(&self) -> Result<()>;

    /// Writes one decision atomically; returns the case it was about (new or updated).
    async fn commit(&self, commit: Commit) -> Result<Option<CaseId>>;

    async fn case(&self, id: CaseId) -> Result<Option<Case>>;
    async fn cases(&self, filter: &CaseFilter) -> Result<Vec<Case>>;
    async fn events(&self, case: CaseId) -> Result<Vec<Event>>;
    /// Every event of one kind, of every case, oldest first (the status page reads the
    /// published statements this way: one indexed read, not one per case).
    async fn events_of_kind(&self, action: crate::domain::EventAction) -> Result<Vec<Event>>;
    async fn chat_locale(&self, chat: &str) -> Result<Option<Locale>>;

    /// Leases up to `limit` due messages for one platform until `lease_until`, oldest first.
    /// A message whose lease ran out (its worker died) is handed out again.
    async fn claim_outbox(
        &self,
        platform: Platform,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>>;
    async fn outbox_delivered(&self, id: i64, now: DateTime<Utc>) -> Result<()>;
    /// A failed send: retried at `retry_at`, or never again when it is `None`.
    async fn outbox_failed(&self, id: i64, error: &str, retry_at: Option<DateTime<Utc>>) -> Result<()>;
    async fn outbox_state(&self, id: i64) -> Result<Option<OutboxState>>;
    /// Messages for a platform not yet delivered nor given up on.
    async fn outbox_pending(&self, platform: Platform) -> Result<i64>;
    /// Puts a claimed message back, due at `at`, without counting a failure (a rate limit
    /// said "not yet").
    async fn outbox_defer(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
    /// When the next pending message for a platform falls due, if any is pending.
    async fn outbox_next_due(&self, platform: Platform) -> Result<Option<DateTime<Utc>>>;

    /// Whether a platform event key was already recorded by a commit.
    async fn was_handled(&self, key: &str) -> Result<bool>;
    /// The platform message id of a case's card in a chat.
    async fn card(&self, case: CaseId, chat: &str) -> Result<Option<String>>;
    async fn set_card(&self, case: CaseId, chat: &str, message_id: &str, now: DateTime<Utc>) -> Result<()>;
    async fn setting(&self, key: &str) -> Result<Option<String>>;

    /// SimHashes for the story index. With `after = None`: every signal received since
    /// `since`. With `Some(id)`: every signal whose row id is above `id`, whenever received
    /// (the index catching up). Oldest first, whatever the state of their cases.
    async fn story_hashes(&self, since: DateTime<Utc>, after: Option<i64>) -> Result<Vec<StoryHash>>;
    /// The same rows by id: those an earlier catch-up found missing (a concurrent writer had
    /// drawn the id but not yet committed).
    async fn story_hashes_by_id(&self, ids: &[i64]) -> Result<Vec<StoryHash>>;
    /// The distinct sources of a case's signals received since `since`: its diffusion. A signal's
    /// source is its authenticated identity (a configured source or feed), never a body's word.
    async fn case_sources(&self, case: CaseId, since: DateTime<Utc>) -> Result<Vec<String>>;
    /// The case still on the ledger that a source fingerprint belongs to, if any.
    async fn case_by_fingerprint(&self, fingerprint: &str) -> Result<Option<CaseId>>;
    /// The tracked alerts among these fingerprints.
    async fn alerts(&self, fingerprints: &[String]) -> Result<Vec<TrackedAlert>>;
    /// The latest case a notification group's alerts were recorded on, in any state.
    async fn alert_group_case(&self, group: &str) -> Result<Option<CaseId>>;
    /// A case's alerts, by name (a card lists them in a steady order).
    async fn case_alerts(&self, case: CaseId) -> Result<Vec<TrackedAlert>>;
    /// Every signal of a case, oldest first.
    async fn case_signals(&self, case: CaseId) -> Result<Vec<StoredSignal>>;
    async fn set_setting(&self, key: &str, value: &str, now: DateTime<Utc>) -> Result<()>;
    /// Clears the third-party text (title, URL) of signals received before `before` and not
    /// cleared yet, marking them cleared at `now`; with `dry_run`, only counts them.
    async fn purge_signal_text(&self, before: DateTime<Utc>, now: DateTime<Utc>, dry_run: bool) -> Result<u64>;
    /// Records a signed intake request's signature, kept until `keep_until`; `false` when it
    /// was recorded before and is still kept (a replay). One table for every instance.
    async fn first_sighting(&self, key: &str, keep_until: DateTime<Utc>) -> Result<bool>;
    /// Deletes the signatures kept until before `now`; returns how many.
    async fn forget_sightings(&self, now: DateTime<Utc>) -> Result<u64>;
    /// Every setting whose key starts with `prefix`, by key.
    async fn settings_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>>;

    /// Leases up to `limit` pending jobs due by `now` until `lease_until`, earliest first.
    /// On Postgres, instances claim disjoint jobs (`SKIP LOCKED`); a job whose lease ran out
    /// (its instance died) is handed out again.
    async fn claim_jobs(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> Result<Vec<Job>>;
    /// When the next pending job can be claimed, if any is pending.
    async fn next_job_due(&self) -> Result<Option<DateTime<Utc>>>;
    /// A case's jobs in every state, by due time.
    async fn case_jobs(&self, case: CaseId) -> Result<Vec<Job>>;
    /// Jobs of a kind done in `[from, to)`, by due time (breaches for a report, say).
    async fn jobs_done_between(&self, kind: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Job>>;
    /// A job by key, in any state.
    async fn job(&self, key: &str) -> Result<Option<Job>>;
}

/// Opens the store a database URL names: `sqlite://...` or `postgres://...`.
pub async fn connect(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    use anyhow::Context as _;
    if url.starts_with("sqlite:") {
        let store = SqliteStore::connect(url).await.context("opening the SQLite database")?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = PgStore::connect(url).await.context("connecting to Postgres")?;
        Ok(Arc::new(store))
    } else {
        anyhow::bail!("database URL must start with sqlite:// or postgres:// (got {:?})", scheme(url))
    }
}

/// The scheme part of a URL only: the rest may hold credentials and is never printed.
fn scheme(url: &str) -> &str {
    url.split_once("://").map_or("", |(s, _)| s)
}
