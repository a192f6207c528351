//! Drills: a scenario's injects go through the real intake as drill signals, at a speed.
//!
//! A running drill is the setting `drill:<team>` (one drill per team at a time); each inject is
//! a scheduled job (`drill_inject`), so a restart neither loses nor repeats one (the inject's
//! signal carries the job's key as its redelivery key). Drill cases are ordinary cases with
//! `drill` set: every notice about them is marked DRILL at delivery, their statements go to no
//! outlet, the status page and its feeds leave them out, their clocks run at the drill's speed,
//! and real signals and drill signals never join each other's cases (`app::intake`).

pub mod report;

use super::{Ctx, Done, Failure, Notice};
use crate::command::drills::DrillCommand;
use crate::config::drills::Scenario;
use crate::domain::{Case, CaseState, EventAction, NewEvent};
use crate::intake::{DrillMark, RawSignal};
use crate::store::{CaseFilter, CaseWrite, Commit, Job, JobWrite, NewJob, Store, StoreError};
use crate::t;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const INJECT: &str = "drill_inject";
/// The reason a drill case still open when its drill stops is dismissed with.
pub const ENDED: &str = "drill ended";
const ATTEMPTS: usize = 5;

/// The team's running drill, as the setting `drill:<team>` holds it ("off" when none runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Running {
    pub id: i64,
    pub scenario: String,
    pub speed: u32,
    pub started_at: DateTime<Utc>,
    pub by: String,
    pub injects: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct InjectJob {
    drill: i64,
    index: usize,
}

pub fn key(team: &str) -> String {
    format!("drill:{team}")
}

fn inject_key(team: &str, drill: i64, index: usize) -> String {
    format!("drill:{team}:{drill}:inject:{index}")
}

pub async fn running(store: &dyn Store, team: &str) -> Result<Option<Running>, StoreError> {
    Ok(store.setting(&key(team)).await?.and_then(|v| serde_json::from_str(&v).ok()))
}

/// How fast a case's clocks run: the drill's speed for a drill case while its drill runs.
pub async fn speed_of(store: &dyn Store, team: &str, drill: bool) -> Result<u32, StoreError> {
    if !drill {
        return Ok(1);
    }
    Ok(running(store, team).await?.map_or(1, |r| r.speed.max(1)))
}

/// Real time for a span of scenario time at `speed`.
pub fn real(scenario_secs: i64, speed: u32) -> Duration {
    Duration::milliseconds(scenario_secs.saturating_mul(1000) / i64::from(speed.max(1)))
}

pub(super) async fn handle(ctx: &Ctx<'_>, command: DrillCommand) -> Result<Done, Failure> {
    match command {
        DrillCommand::Start { scenario, speed } => start(ctx, &scenario, speed).await,
        DrillCommand::Status => status(ctx).await,
        DrillCommand::Stop => stop(ctx).await,
        DrillCommand::Report { drill } => report::reply(ctx, drill).await,
    }
}

async fn start(ctx: &Ctx<'_>, name: &str, speed: u32) -> Result<Done, Failure> {
    let app = ctx.app;
    let team = &ctx.team.name;
    let Some(scenario) = app.config.drill(name) else {
        let known: Vec<&str> = app.config.drills.iter().map(|s| s.name.as_str()).collect();
        return Err(Failure::User(t!("drill-unknown", "name" => name, "known" => known.join(", "))));
    };
    if let Some(r) = running(app.store.as_ref(), team).await? {
        return Err(Failure::User(t!("drill-already", "drill" => r.id, "scenario" => r.scenario)));
    }
    if app.pipeline.get().is_none() {
        return Err(Failure::Internal(anyhow::anyhow!("drills need the intake pipeline, which did not start")));
    }
    // Numbered across all teams; a number is never reused, since drill events are never deleted.
    let id = app.store.events_of_kind(EventAction::DrillStarted).await?.len() as i64 + 1;
    let r = Running {
        id,
        scenario: scenario.name.clone(),
        speed,
        started_at: ctx.now,
        by: ctx.person.name.clone(),
        injects: scenario.injects.len(),
    };
    let jobs = scenario
        .injects
        .iter()
        .enumerate()
        .map(|(index, inject)| {
            JobWrite::Schedule(NewJob {
                key: inject_key(team, id, index),
                kind: INJECT.into(),
                case: None,
                team: Some(team.clone()),
                due: ctx.now + real(inject.at_secs, speed),
                payload: serde_json::to_string(&InjectJob { drill: id, index }).expect("an inject job serialises"),
            })
        })
        .collect();
    let notice = Notice::DrillStarted {
        drill: id,
        title: scenario.title.clone(),
        speed,
        injects: scenario.injects.len(),
        by: ctx.person.display.clone(),
    };
    let commit = Commit {
        events: vec![ctx.event(
            EventAction::DrillStarted,
            json!({ "drill": id, "scenario": scenario.name, "speed": speed, "team": team, "injects": r.injects }),
        )],
        outbox: ctx.notices(&notice),
        handled: ctx.handled.clone(),
        jobs,
        settings: vec![(key(team), serde_json::to_string(&r).expect("a drill serialises"))],
        ..Commit::new(CaseWrite::None, ctx.now)
    };
    app.store.commit(commit).await?;
    Ok(Done::Committed)
}

async fn status(ctx: &Ctx<'_>) -> Result<Done, Failure> {
    let store = ctx.app.store.as_ref();
    let Some(r) = running(store, &ctx.team.name).await? else { return Ok(Done::Reply(ctx.render(&t!("drill-none")))) };
    let mut sent = 0_usize;
    for index in 0..r.injects {
        if store.job(&inject_key(&ctx.team.name, r.id, index)).await?.is_some_and(|j| j.done_at.is_some()) {
            sent += 1;
        }
    }
    let open = drill_cases(store, &ctx.team.name).await?.len();
    let elapsed = (ctx.now - r.started_at).num_seconds().max(0) * i64::from(r.speed);
    Ok(Done::Reply(ctx.render(&t!("drill-status",
        "drill" => r.id, "scenario" => r.scenario.as_str(), "speed" => r.speed, "sent" => sent,
        "injects" => r.injects, "open" => open, "elapsed" => report::minutes(elapsed)))))
}

/// The team's drill cases still on the ledger.
async fn drill_cases(store: &dyn Store, team: &str) -> Result<Vec<Case>, StoreError> {
    let cases = store.cases(&CaseFilter { on_ledger: true, owner: None, limit: None }).await?;
    Ok(cases.into_iter().filter(|c| c.drill && c.team == team).collect())
}

async fn stop(ctx: &Ctx<'_>) -> Result<Done, Failure> {
    let app = ctx.app;
    let team = &ctx.team.name;
    let Some(r) = running(app.store.as_ref(), team).await? else { return Err(Failure::User(t!("drill-none"))) };
    let mut ended = vec![];
    for case in drill_cases(app.store.as_ref(), team).await? {
        if end_case(ctx, case.id, r.id).await? {
            ended.push(case.id.get());
        }
    }
    let jobs = (0..r.injects).map(|i| JobWrite::Withdraw(inject_key(team, r.id, i))).collect();
    let notice = Notice::DrillStopped { drill: r.id, ended: ended.len(), by: ctx.person.display.clone() };
    let commit = Commit {
        events: vec![ctx.event(EventAction::DrillStopped, json!({ "drill": r.id, "team": team, "ended": ended }))],
        outbox: ctx.notices(&notice),
        handled: ctx.handled.clone(),
        jobs,
        settings: vec![(key(team), "off".into())],
        ..Commit::new(CaseWrite::None, ctx.now)
    };
    app.store.commit(commit).await?;
    Ok(Done::Committed)
}

/// Ends one drill case: dismissed as "drill ended" if still active, closed if resolved.
/// Whether it was dismissed.
async fn end_case(ctx: &Ctx<'_>, id: crate::domain::CaseId, drill: i64) -> Result<bool, Failure> {
    let store = ctx.app.store.as_ref();
    for _ in 0..ATTEMPTS {
        let Some(mut case) = store.case(id).await? else { return Ok(false) };
        let (action, details, notice, dismissed) = if case.state.is_active() {
            case.dismiss(ENDED, ctx.now)?;
            let notice =
                Notice::Dismissed { title: case.title.clone(), reason: ENDED.into(), by: ctx.person.display.clone() };
            (EventAction::Dismissed, json!({ "reason": ENDED, "drill": drill }), notice, true)
        } else if case.state == CaseState::Resolved {
            case.close(ctx.now)?;
            let notice = Notice::Closed { title: case.title.clone(), by: ctx.person.display.clone() };
            (EventAction::Closed, json!({ "drill": drill }), notice, false)
        } else {
            return Ok(false);
        };
        let jobs = super::clocks::reschedule(store, &ctx.app.config, &case, ctx.now).await?;
        let commit = Commit {
            events: vec![ctx.event(action, details)],
            outbox: ctx.notices(&notice),
            jobs,
            ..Commit::new(CaseWrite::Update(case), ctx.now)
        };
        match store.commit(commit).await {
            Ok(_) => return Ok(dismissed),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::Internal(anyhow::anyhow!("drill case {id} kept changing while the drill stopped")))
}

impl super::App {
    /// One inject of a running drill, through the real intake as a drill signal. The signal
    /// carries the job's key, so a job run again after a crash does not inject twice.
    pub(super) async fn drill_inject_job(&self, job: &Job, now: DateTime<Utc>) -> anyhow::Result<Commit> {
        let nothing = Commit::new(CaseWrite::None, now);
        let Some(team) = job.team.as_deref() else { return Ok(nothing) };
        let Ok(payload) = serde_json::from_str::<InjectJob>(&job.payload) else { return Ok(nothing) };
        let Some(r) = running(self.store.as_ref(), team).await?.filter(|r| r.id == payload.drill) else {
            return Ok(nothing);
        };
        let Some(inject) = self.config.drill(&r.scenario).and_then(|s| s.injects.get(payload.index)) else {
            tracing::warn!(scenario = %r.scenario, "a drill's scenario or inject is no longer in drills/");
            return Ok(nothing);
        };
        let Some(pipeline) = self.pipeline.get() else { return Ok(nothing) };
        let signal = RawSignal {
            source: inject.source.clone(),
            label: None,
            title: inject.title.clone(),
            body: inject.text.clone(),
            url: None,
            language: None,
            metrics: inject.metrics,
            tags: vec![],
            fingerprint: inject.story.as_ref().map(|s| format!("drill:{team}:{}:{s}", r.id)),
            occurred_at: None,
            dedup_key: Some(job.key.clone()),
            drill: Some(DrillMark { id: r.id, team: team.to_string() }),
        };
        pipeline.take(signal).await?;
        Ok(nothing)
    }
}

/// The drill events of a team, oldest first (start, stop, report).
pub async fn drill_events(
    store: &dyn Store,
    action: EventAction,
    team: &str,
) -> Result<Vec<crate::domain::Event>, StoreError> {
    let events = store.events_of_kind(action).await?;
    Ok(events.into_iter().filter(|e| e.details["team"].as_str() == Some(team)).collect())
}

/// The scenario a drill ran, if it is still in drills/.
pub fn scenario_of<'a>(config: &'a crate::config::Config, started: &crate::domain::Event) -> Option<&'a Scenario> {
    started.details["scenario"].as_str().and_then(|s| config.drill(s))
}

pub(super) fn report_event(ctx: &Ctx<'_>, drill: i64, score: u32) -> NewEvent {
    ctx.event(EventAction::DrillReported, json!({ "drill": drill, "team": ctx.team.name, "score": score }))
}
