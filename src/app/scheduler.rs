//! The scheduler: runs jobs when they fall due, each exactly once.
//!
//! A job is claimed with a lease (on Postgres, `SKIP LOCKED` lets several instances share the
//! work), and what it sends is committed in the same transaction that marks it done, so a
//! crash can neither lose nor repeat it: an unfinished claim is handed out again when its
//! lease runs out. Jobs that fell due while tocsin was down run once at start, and say they
//! are late. Between runs the scheduler sleeps until the next job is due or a commit wakes it.

use super::clocks::{self, ClockJob};
use super::{App, Notice};
use crate::domain::clocks::{ClockKind, Stage};
use crate::domain::{EventAction, NewEvent};
use crate::store::{CaseWrite, Commit, Job, NewOutbox, StoreError};
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt as _;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::watch;
use tracing::Instrument as _;

/// How long a claimed job is ours before another instance may take it over.
const LEASE_SECS: i64 = 60;
const BATCH: i64 = 100;
/// A job run this long after its time says that it is late.
const LATE_AFTER_SECS: i64 = 60;

/// When a job was due, if it runs late enough that its message should say so.
pub(super) fn late(job: &Job, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (now - job.due > Duration::seconds(LATE_AFTER_SECS)).then_some(job.due)
}
/// Even with nothing due, look again this often: another instance may have scheduled work
/// due sooner, and instances do not tell each other about their commits.
pub(crate) const MAX_NAP: std::time::Duration = std::time::Duration::from_secs(30);
const ATTEMPTS: usize = 3;
/// Claimed jobs of this many cases run at a time: each job is a few reads and a commit, so one
/// after another a burst of 1,000 takes seconds (BENCHMARKS.md, response clocks).
const CONCURRENCY: usize = 16;
/// The job that ends a heightened watch given a duration.
pub const WATCH_END: &str = "watch_end";

impl App {
    /// Runs every job due now; returns how many ran (sent something or found nothing left to do).
    pub async fn run_due_jobs(&self) -> anyhow::Result<usize> {
        let mut ran = 0;
        loop {
            let now = self.clock.now();
            let jobs = self.store.claim_jobs(now, now + Duration::seconds(LEASE_SECS), BATCH).await?;
            if jobs.is_empty() {
                return Ok(ran);
            }
            // One case's jobs run one after another (each commit changes the case, so running
            // them together would only make them conflict); different cases run side by side.
            // A drill's injects likewise, in their order: two reports of one story due at once
            // must not both find no case yet and open two.
            let together = |a: &Job, b: &Job| {
                (a.case.is_some() && a.case == b.case)
                    || (a.kind == super::drills::INJECT && b.kind == super::drills::INJECT && a.team == b.team)
            };
            let mut by_case: Vec<Vec<&Job>> = vec![];
            for job in &jobs {
                match by_case.iter_mut().find(|g| together(g[0], job)) {
                    Some(group) => group.push(job),
                    None => by_case.push(vec![job]),
                }
            }
            // Made up front: a closure inside the stream would make the scheduler's future
            // not `Send` (rust-lang/rust#102211).
            let runs: Vec<_> = by_case
                .into_iter()
                .map(|group| async move {
                    let mut done = Vec::with_capacity(group.len());
                    for job in group {
                        done.push((job, self.run_job(job).await));
                    }
                    done
                })
                .collect();
            let results: Vec<_> = futures::stream::iter(runs).buffer_unordered(CONCURRENCY).collect().await;
            for (job, result) in results.into_iter().flatten() {
                match result {
                    Ok(()) => ran += 1,
                    // Left leased: it is tried again when the lease runs out.
                    Err(e) => tracing::error!(job = %job.key, error = %format!("{e:#}"), "a scheduled job failed"),
                }
            }
        }
    }

    async fn run_job(&self, job: &Job) -> anyhow::Result<()> {
        let span = tracing::info_span!("job", key = %job.key, case = job.case.map(crate::domain::CaseId::get));
        self.run_job_once(job).instrument(span).await
    }

    async fn run_job_once(&self, job: &Job) -> anyhow::Result<()> {
        for _ in 0..ATTEMPTS {
            let now = self.clock.now();
            let (commit, stages) = match job.kind.as_str() {
                clocks::KIND => self.clock_job(job, now).await?,
                WATCH_END => (self.watch_end_job(job, now).await?, vec![]),
                super::report::KIND => (self.report_job(job, now).await?, vec![]),
                super::drills::INJECT => (self.drill_inject_job(job, now).await?, vec![]),
                other => {
                    tracing::warn!(kind = other, "a job of a kind this version does not know");
                    (Commit::new(CaseWrite::None, now), vec![])
                }
            };
            let commit = Commit { job_done: Some(job.key.clone()), ..commit };
            match self.store.commit(commit).await {
                Ok(_) => {
                    self.outbox_signal.notify_one();
                    // Counted once committed: a stage that lost a race is not counted twice.
                    for (kind, stage) in stages {
                        self.telemetry.clock_stage(kind, stage, now - job.due);
                    }
                    return Ok(());
                }
                // Another instance ran it, or a change withdrew it meanwhile.
                Err(StoreError::Duplicate) => return Ok(()),
                // The case changed while we decided: decide again on what it is now.
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        anyhow::bail!("the case of job {} kept changing", job.key)
    }

    /// A clock's reminder, breach or escalation, if the clock is still running against the
    /// deadline the job was made for; otherwise nothing but marking the job done. Also says
    /// which stages it carries out.
    async fn clock_job(&self, job: &Job, now: DateTime<Utc>) -> anyhow::Result<(Commit, Vec<(ClockKind, Stage)>)> {
        let nothing = || (Commit::new(CaseWrite::None, now), vec![]);
        let (Some(id), Some((kind, stage, deadline))) = (job.case, ClockJob::parse(&job.payload)) else {
            return Ok(nothing());
        };
        let Some(case) = self.store.case(id).await? else { return Ok(nothing()) };
        let facts = clocks::facts(self.store.as_ref(), &case, now).await?;
        let current = crate::domain::clocks::deadline(&self.config.clocks, &facts, kind);
        if !case.state.is_active() || facts.stopped_at(kind).is_some() || current != deadline {
            return Ok(nothing());
        }
        let late = late(job, now);
        let Some(team) = self.config.team(&case.team) else { return Ok(nothing()) };
        let name = |who: &Option<String>| who.as_deref().map(|n| super::format::person(&self.config, n));
        let leaders = team.leaders_chat.clone().unwrap_or_else(|| team.team_chat.clone());
        let breached = |late| Notice::Breached {
            title: case.title.clone(),
            clock: kind.as_str().into(),
            deadline,
            owner: name(&case.owner),
            leader: name(&case.leader),
            late,
            mention: case.leader.clone(),
        };
        let mut sent = clocks::sent_stages(self.store.as_ref(), id).await?;
        // A regrade (or the end of a watch) can put a clock past its escalation at once; only
        // the most advanced stage is then queued, but the breach it implies is still told to
        // the leaders and recorded for the reports.
        let missed_breach = stage == Stage::Escalate && !sent.contains(&(kind, Stage::Breach));
        let mut notices = match stage {
            // The reminder goes to every team chat: the owner may be reading either.
            Stage::Remind(percent) => team
                .team_chats()
                .map(|chat| {
                    let reminder = Notice::Reminder {
                        title: case.title.clone(),
                        clock: kind.as_str().into(),
                        percent,
                        deadline,
                        owner: name(&case.owner),
                        late,
                        mention: case.owner.clone(),
                    };
                    (Some(chat.to_string()), reminder)
                })
                .collect(),
            Stage::Breach => vec![(Some(leaders.clone()), breached(late))],
            // A drill escalates inside the team: the level above is not part of the rehearsal.
            Stage::Escalate => vec![(
                if case.drill { Some(leaders.clone()) } else { team.escalation_chat.clone() },
                Notice::Escalated {
                    title: case.title.clone(),
                    team: team.name.clone(),
                    clock: kind.as_str().into(),
                    deadline,
                    late,
                },
            )],
        };
        if missed_breach {
            notices.insert(0, (Some(leaders), breached(late)));
        }
        let outbox = notices
            .into_iter()
            .filter_map(|(chat, notice)| {
                let c = self.config.chat(&chat?)?;
                Some(NewOutbox { chat: c.name.clone(), platform: c.platform, payload: notice.to_payload() })
            })
            .collect();
        let events = match stage {
            Stage::Breach => vec![breach_event(kind, deadline, now)],
            Stage::Escalate if missed_breach => vec![breach_event(kind, deadline, now)],
            _ => vec![],
        };
        // The stage after this one is queued by the same commit.
        sent.push((kind, stage));
        let jobs = clocks::jobs_after(&self.config, &case, &facts, &sent, (kind, stage), now);
        let stages = if missed_breach { vec![(kind, Stage::Breach), (kind, stage)] } else { vec![(kind, stage)] };
        // Written back unchanged: the commit belongs to the case (its notice and event do),
        // and a change made meanwhile (an /ack) is a conflict that makes us look again.
        Ok((Commit { events, outbox, jobs, ..Commit::new(CaseWrite::Update(case), now) }, stages))
    }
}

impl App {
    /// Ends the watch this job was made for, unless it was already turned off or replaced.
    async fn watch_end_job(&self, job: &Job, now: DateTime<Utc>) -> anyhow::Result<Commit> {
        let nothing = Commit::new(CaseWrite::None, now);
        let Some(team) = job.team.as_deref().and_then(|t| self.config.team(t)) else { return Ok(nothing) };
        let key = clocks::watch_key(&team.name);
        let current = self.store.setting(&key).await?.and_then(|v| serde_json::from_str::<clocks::Watch>(&v).ok());
        if current.as_ref().and_then(|w| w.until) != Some(job.due) {
            return Ok(nothing);
        }
        let jobs = clocks::reschedule_team(self.store.as_ref(), &self.config, &team.name, false, now).await?;
        let notice = Notice::WatchEnded { by: super::intake::SYSTEM.into() };
        let outbox = team
            .team_chats()
            .filter_map(|name| self.config.chat(name))
            .map(|c| NewOutbox { chat: c.name.clone(), platform: c.platform, payload: notice.to_payload() })
            .collect();
        let event = NewEvent {
            actor: super::intake::SYSTEM.into(),
            action: EventAction::WatchEnded,
            details: json!({ "team": team.name, "expired": true }),
            platform: "scheduler".into(),
            at: now,
        };
        Ok(Commit { events: vec![event], outbox, jobs, settings: vec![(key, "off".into())], ..nothing })
    }
}

fn breach_event(kind: ClockKind, deadline: DateTime<Utc>, now: DateTime<Utc>) -> NewEvent {
    NewEvent {
        actor: super::intake::SYSTEM.into(),
        action: EventAction::ClockBreached,
        details: json!({ "clock": kind.as_str(), "deadline": deadline.to_rfc3339() }),
        platform: "scheduler".into(),
        at: now,
    }
}

/// Runs due jobs until `stop` turns true: after each run it sleeps until the next job is due
/// (at most [`MAX_NAP`]) or until `wake` says a commit may have scheduled something sooner.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let wake = app.jobs_signal.clone();
    loop {
        if *stop.borrow() {
            return;
        }
        if let Err(e) = app.run_due_jobs().await {
            tracing::error!(error = %format!("{e:#}"), "the scheduler could not claim jobs");
        }
        let nap = match app.store.next_job_due().await {
            Ok(Some(due)) => (due - app.clock.now()).to_std().unwrap_or_default().min(MAX_NAP),
            Ok(None) => MAX_NAP,
            Err(e) => {
                tracing::error!(error = %e, "the scheduler could not read the next due job");
                std::time::Duration::from_secs(1)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(nap) => {}
            _ = wake.notified() => {}
            _ = stop.changed() => return,
        }
    }
}
