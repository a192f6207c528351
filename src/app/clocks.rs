//! A case's clocks as the scheduler's jobs. Whenever a case changes in a way its clocks
//! depend on (opened, regraded, acknowledged, responded, resolved, reopened, extended, or its
//! team's watch), its pending clock jobs are withdrawn and the stages still to come are
//! scheduled again, in the same commit as the change. A job key names the deadline it was
//! computed against, so a stage is never queued twice and a sent one is never repeated.

use crate::config::Config;
use crate::domain::clocks::{self, ClockFacts, ClockKind, ClockStatus, Due, Stage};
use crate::domain::{Case, CaseId, Event, EventAction, NewCase};
use crate::store::{JobState, JobWrite, NewJob, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const KIND: &str = "clock";

/// What a clock job carries (the key says the same; this is easier to read back).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockJob {
    pub clock: String,
    pub stage: String,
    pub deadline_ms: i64,
}

impl ClockJob {
    pub fn parse(payload: &str) -> Option<(ClockKind, Stage, DateTime<Utc>)> {
        let job: ClockJob = serde_json::from_str(payload).ok()?;
        Some((
            ClockKind::parse(&job.clock)?,
            Stage::parse(&job.stage)?,
            DateTime::from_timestamp_millis(job.deadline_ms)?,
        ))
    }
}

/// A team's heightened watch, kept as the setting `watch:<team>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    pub reason: String,
    pub by: String,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

pub fn watch_key(team: &str) -> String {
    format!("watch:{team}")
}

/// The team's watch if one is on at `now` (one that ran out is off, even before its end
/// job has run).
pub async fn watch_of(store: &dyn Store, team: &str, now: DateTime<Utc>) -> Result<Option<Watch>, StoreError> {
    let Some(value) = store.setting(&watch_key(team)).await? else { return Ok(None) };
    let watch: Option<Watch> = serde_json::from_str(&value).ok();
    Ok(watch.filter(|w| w.until.is_none_or(|until| until > now)))
}

/// The sum of `/due` extensions per clock, from the case's events.
pub async fn extensions(store: &dyn Store, case: CaseId) -> Result<[Duration; 3], StoreError> {
    Ok(extensions_in(&store.events(case).await?))
}

/// The sum of `/due` extensions per clock in a case's events (read once by the caller), and
/// of the shifts a `/merge` recorded (negative: a merged case's earlier deadline kept).
pub fn extensions_in(events: &[Event]) -> [Duration; 3] {
    let mut sum = [Duration::zero(); 3];
    for e in events {
        if e.action == EventAction::MergedFrom {
            for kind in ClockKind::ALL {
                if let Some(ms) = e.details["shift_ms"][kind.as_str()].as_i64() {
                    let shift = Duration::try_milliseconds(ms).unwrap_or(Duration::zero());
                    sum[kind.index()] = sum[kind.index()].checked_add(&shift).unwrap_or(sum[kind.index()]);
                }
            }
            continue;
        }
        if e.action != EventAction::ClockExtended {
            continue;
        }
        let clock = e.details["clock"].as_str().and_then(ClockKind::parse);
        if let (Some(clock), Some(secs)) = (clock, e.details["seconds"].as_i64()) {
            // Saturating: the ledger is read back, not trusted to be within range.
            let extra = crate::domain::Span::from_stored_seconds(secs).delta();
            sum[clock.index()] = sum[clock.index()].checked_add(&extra).unwrap_or(Duration::MAX);
        }
    }
    sum
}

pub fn facts_of(case: &Case, extensions: [Duration; 3], watch: bool) -> ClockFacts {
    ClockFacts {
        opened_at: case.opened_at,
        grade: case.grade,
        acknowledged_at: case.acknowledged_at,
        responded_at: case.responded_at,
        resolved_at: case.resolved_at,
        extensions,
        watch,
        speed: 1,
    }
}

/// Everything the clocks of a stored case depend on, read from the store.
pub async fn facts(store: &dyn Store, case: &Case, now: DateTime<Utc>) -> Result<ClockFacts, StoreError> {
    let ext = extensions(store, case.id).await?;
    let watch = watch_of(store, &case.team, now).await?.is_some();
    let speed = super::drills::speed_of(store, &case.team, case.drill).await?;
    Ok(ClockFacts { speed, ..facts_of(case, ext, watch) })
}

/// The clocks of a case still running at `now` (some perhaps overdue), for cards and `/status`.
pub async fn running(
    store: &dyn Store,
    config: &Config,
    case: &Case,
    now: DateTime<Utc>,
) -> Result<Vec<(ClockKind, ClockStatus)>, StoreError> {
    if !case.state.is_active() {
        return Ok(vec![]);
    }
    let facts = facts(store, case, now).await?;
    Ok(ClockKind::ALL
        .into_iter()
        .map(|kind| (kind, clocks::status(&config.clocks, &facts, kind, now)))
        .filter(|(_, s)| matches!(s, ClockStatus::Running { .. } | ClockStatus::Overdue { .. }))
        .collect())
}

fn job(team: &str, key: String, due: &Due) -> NewJob {
    let payload = ClockJob {
        clock: due.kind.as_str().into(),
        stage: due.stage.as_str().into_owned(),
        deadline_ms: due.deadline.timestamp_millis(),
    };
    NewJob {
        key,
        kind: KIND.into(),
        case: None,
        team: Some(team.to_string()),
        due: due.at,
        payload: serde_json::to_string(&payload).expect("a clock job serialises"),
    }
}

/// Only the next stage of each clock is queued: a running clock has one pending job, and
/// each stage, when it runs, queues the one after it. That keeps the jobs table at three rows
/// per open case, however many reminders the policy has.
fn next_per_clock(dues: Vec<Due>) -> Vec<Due> {
    let mut seen = Vec::new();
    dues.into_iter()
        .filter(|d| {
            !seen.contains(&d.kind) && {
                seen.push(d.kind);
                true
            }
        })
        .collect()
}

/// The jobs of a case being opened (its number comes with the commit).
pub fn for_new(config: &Config, new: &NewCase, watch: bool, speed: u32) -> Vec<JobWrite> {
    let mut facts = ClockFacts::new(new.opened_at, new.grade);
    facts.watch = watch;
    facts.speed = speed;
    next_per_clock(clocks::schedule(&config.clocks, &facts, &[], new.opened_at))
        .iter()
        .map(|due| JobWrite::ScheduleForCase(job(&new.team, clocks::job_key_with("{case}", due), due)))
        .collect()
}

/// A case about to be opened with everything its opening brings: the person on duty as owner
/// (or a notice naming them) and its first clock jobs, on the team's current watch.
pub async fn opening(
    config: &Config,
    store: &dyn Store,
    new: NewCase,
) -> Result<(NewCase, Option<super::Notice>, Vec<JobWrite>), StoreError> {
    let watch = watch_of(store, &new.team, new.opened_at).await?.is_some();
    let (new, duty) = super::duty::on_new_case(config, store, new, watch).await?;
    let speed = super::drills::speed_of(store, &new.team, new.drill).await?;
    let jobs = for_new(config, &new, watch, speed);
    Ok((new, duty, jobs))
}

/// The stages of a case's clocks already announced.
pub async fn sent_stages(store: &dyn Store, case: CaseId) -> Result<Vec<(ClockKind, Stage)>, StoreError> {
    Ok(store
        .case_jobs(case)
        .await?
        .into_iter()
        .filter(|j| j.kind == KIND && j.state == JobState::Done)
        .filter_map(|j| clocks::parse_job_key(&j.key))
        .collect())
}

/// A case's new schedule from its clock facts as the commit will leave them: its pending
/// clock jobs are withdrawn and the next unsent stage of each running clock queued.
pub fn jobs_for(
    config: &Config,
    case: &Case,
    facts: &ClockFacts,
    sent: &[(ClockKind, Stage)],
    now: DateTime<Utc>,
) -> Vec<JobWrite> {
    let mut jobs = vec![JobWrite::WithdrawCase { case: case.id, kind: KIND.into() }];
    if !case.state.is_active() {
        return jobs;
    }
    // A stage already announced is not announced again when an extension, a lighter grade or
    // the end of a watch moves it into the future: the team heard it once.
    let due = clocks::schedule(&config.clocks, facts, sent, now);
    let unsent = due.into_iter().filter(|d| !sent.contains(&(d.kind, d.stage))).collect();
    for mut due in next_per_clock(unsent) {
        // A stage this change pulled into the past falls due now: it is not late.
        due.at = due.at.max(now);
        let job = NewJob { case: Some(case.id), ..job(&case.team, clocks::job_key(case.id, &due), &due) };
        jobs.push(JobWrite::Schedule(job));
    }
    jobs
}

/// A case's schedule after one stage of one of its clocks has run: as [`jobs_for`], except
/// that this clock goes on with its very next stage, even one already past, so that what fell
/// due while tocsin was down is each sent once, late, rather than skipped.
pub fn jobs_after(
    config: &Config,
    case: &Case,
    facts: &ClockFacts,
    sent: &[(ClockKind, Stage)],
    ran: (ClockKind, Stage),
    now: DateTime<Utc>,
) -> Vec<JobWrite> {
    let mut jobs = jobs_for(config, case, facts, sent, now);
    if !case.state.is_active() {
        return jobs;
    }
    let (kind, stage) = ran;
    jobs.retain(
        |j| !matches!(j, JobWrite::Schedule(job) if clocks::parse_job_key(&job.key).is_some_and(|(k, _)| k == kind)),
    );
    if let Some(due) = clocks::next_stage(&config.clocks, facts, kind, stage, sent) {
        let job = NewJob { case: Some(case.id), ..job(&case.team, clocks::job_key(case.id, &due), &due) };
        jobs.push(JobWrite::Schedule(job));
    }
    jobs
}

/// The schedule of a stored case as it is now (`case` as about to be written).
pub async fn reschedule(
    store: &dyn Store,
    config: &Config,
    case: &Case,
    now: DateTime<Utc>,
) -> Result<Vec<JobWrite>, StoreError> {
    if !case.state.is_active() {
        return Ok(jobs_for(config, case, &ClockFacts::new(case.opened_at, case.grade), &[], now));
    }
    let facts = facts(store, case, now).await?;
    Ok(jobs_for(config, case, &facts, &sent_stages(store, case.id).await?, now))
}

/// Every active case of a team rescheduled for a watch turned on or off by the same commit.
pub async fn reschedule_team(
    store: &dyn Store,
    config: &Config,
    team: &str,
    watch: bool,
    now: DateTime<Utc>,
) -> Result<Vec<JobWrite>, StoreError> {
    let cases = store.cases(&crate::store::CaseFilter { on_ledger: true, owner: None, limit: None }).await?;
    let mut jobs = vec![];
    for case in cases.iter().filter(|c| c.team == team && c.state.is_active()) {
        let speed = super::drills::speed_of(store, &case.team, case.drill).await?;
        let facts = ClockFacts { speed, ..facts_of(case, extensions(store, case.id).await?, watch) };
        jobs.extend(jobs_for(config, case, &facts, &sent_stages(store, case.id).await?, now));
    }
    Ok(jobs)
}

/// Whether a change from `before` to `after` moves any clock.
pub fn moved(before: &Case, after: &Case) -> bool {
    before.grade != after.grade
        || before.state != after.state
        || before.acknowledged_at != after.acknowledged_at
        || before.responded_at != after.responded_at
        || before.resolved_at != after.resolved_at
}
