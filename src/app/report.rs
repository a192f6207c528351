//! The leaders' report (docs/ARCHITECTURE.md §1, rule 5): new cases in a period, what is still open (by
//! grade, with owners), clocks overdue now, and clocks that ran out in the period.
//!
//! A [`Report`] is gathered once from the store and kept as data, so the same report can be
//! posted to the leaders' chat (rendered at delivery in the chat's language), answered to
//! `/report`, or printed by `tocsin report` as Markdown or CSV. Times are shown in the team's
//! own time zone. Publications join the report when approvals exist (the approvals issue).
//!
//! The daily report is a scheduled job, `report:<team>:<local date>`, due at the team's
//! `report_at`. Each run queues the next day's; at start every team's next one is (re)queued,
//! so a changed `report_at` takes effect and a report missed while tocsin was down is sent
//! once, late, and not again for each day missed.

mod render;

pub use render::{CSV_HEADER, csv, markdown, text};

use super::clocks;
use crate::config::{Config, Team};
use crate::domain::approval::Standing;
use crate::domain::clocks::{ClockKind, ClockStatus, Stage};
use crate::domain::roster;
use crate::domain::{CaseId, CaseState, Event, EventAction, Grade};
use crate::store::{CaseFilter, CaseWrite, Commit, Job, JobWrite, NewJob, NewOutbox, Store, StoreError};
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

pub const KIND: &str = "report";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub team: String,
    /// The team's time zone (IANA name): every time is shown in it.
    pub tz: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Cases opened in `[from, to)`, oldest first.
    pub new: Vec<CaseLine>,
    /// Cases still being worked at `to`, the most severe first.
    pub open: Vec<CaseLine>,
    /// Clocks still running past their deadline at `to`.
    pub overdue: Vec<ClockLine>,
    /// Clocks that ran out in `[from, to)`, as the scheduler recorded them.
    pub breaches: Vec<ClockLine>,
    /// Statements published in `[from, to)`.
    #[serde(default)]
    pub published: Vec<DraftLine>,
    /// Drafts waiting for approval (or held by a concern) at `to`.
    #[serde(default)]
    pub pending: Vec<DraftLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftLine {
    pub case: i64,
    pub title: String,
    /// `12.1`.
    pub draft: String,
    pub version: u32,
    /// Who published it (published), or who wrote the version (pending).
    pub by: String,
    pub at: DateTime<Utc>,
    /// Pending: approvals so far and needed; held by a concern.
    pub approvals: usize,
    pub needed: usize,
    pub held: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseLine {
    pub case: i64,
    pub grade: Grade,
    pub state: String,
    pub title: String,
    /// The owner's name in bot.toml (shown by display name).
    pub owner: Option<String>,
    pub drill: bool,
    pub opened_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockLine {
    pub case: i64,
    pub grade: Grade,
    pub title: String,
    pub owner: Option<String>,
    /// `ack`, `respond` or `resolve`.
    pub clock: String,
    pub deadline: DateTime<Utc>,
    /// When the breach was recorded (breaches) or the report's end (overdue clocks).
    pub at: DateTime<Utc>,
}

impl Report {
    pub fn tz(&self) -> Tz {
        self.tz.parse().unwrap_or(Tz::UTC)
    }

    pub fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz()).format("%Y-%m-%d %H:%M %Z").to_string()
    }
}

/// What `/report` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Since the team's local midnight.
    Today,
    /// The last seven local days, today included.
    Week,
}

/// The start of the local day `date` in `tz` (the first instant after a gap, if midnight is
/// skipped there).
pub fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    roster::local_instant(tz, date.and_time(chrono::NaiveTime::MIN))
}

impl Period {
    pub fn start(self, tz: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = now.with_timezone(&tz).date_naive();
        let first = match self {
            Period::Today => today,
            Period::Week => today.checked_sub_days(Days::new(6)).unwrap_or(today),
        };
        local_midnight(tz, first)
    }
}

/// Reads the team's report for `[from, to)` from the store; open cases and overdue clocks
/// are as they stand at `to`.
pub async fn gather(
    store: &dyn Store,
    config: &Config,
    team: &Team,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Report, StoreError> {
    // Drills are left out: the leaders' report is about real work, and a drill has its own
    // after-action report (`/drill report`, `tocsin report --drill`).
    let cases: Vec<_> =
        store.cases(&CaseFilter::default()).await?.into_iter().filter(|c| c.team == team.name && !c.drill).collect();
    let line = |c: &crate::domain::Case| CaseLine {
        case: c.id.get(),
        grade: c.grade,
        state: c.state.as_str().into(),
        title: c.title.clone(),
        owner: c.owner.clone(),
        drill: c.drill,
        opened_at: c.opened_at,
    };
    let mut new: Vec<_> = cases.iter().filter(|c| c.opened_at >= from && c.opened_at < to).map(line).collect();
    new.sort_by_key(|l| (l.opened_at, l.case));
    let active: Vec<_> = cases.iter().filter(|c| c.state.is_active()).collect();
    let mut open: Vec<_> = active.iter().map(|c| line(c)).collect();
    open.sort_by_key(|l| (l.grade, l.case));

    // Breach jobs done in the period point at the cases; their events say what was recorded
    // (a breach job that found its clock stopped meanwhile recorded nothing).
    let breached: BTreeSet<i64> = store
        .jobs_done_between(clocks::KIND, from, to)
        .await?
        .into_iter()
        .filter(|j| j.team.as_deref() == Some(team.name.as_str()))
        // An escalation run first (after a pause) records the breach it implies.
        .filter(|j| {
            crate::domain::clocks::parse_job_key(&j.key)
                .is_some_and(|(_, s)| matches!(s, Stage::Breach | Stage::Escalate))
        })
        .filter_map(|j| j.case.map(|c| c.get()))
        .collect();
    // Each case's log is read once, and only for the cases a section below looks into: the
    // cases still on the ledger (clocks, drafts), the breached ones, and those changed since
    // `from` (statements of the period).
    let mut logs: HashMap<CaseId, Vec<Event>> = HashMap::new();
    for case in &cases {
        if case.state.is_on_ledger() || breached.contains(&case.id.get()) || case.updated_at >= from {
            logs.insert(case.id, store.events(case.id).await?);
        }
    }
    let log = |case: &crate::domain::Case| logs.get(&case.id).map_or(&[][..], Vec::as_slice);
    let watch = clocks::watch_of(store, &team.name, to).await?.is_some();

    let mut overdue = vec![];
    for case in &active {
        let facts = clocks::facts_of(case, clocks::extensions_in(log(case)), watch);
        for kind in ClockKind::ALL {
            if let ClockStatus::Overdue { .. } = crate::domain::clocks::status(&config.clocks, &facts, kind, to) {
                overdue.push(ClockLine {
                    case: case.id.get(),
                    grade: case.grade,
                    title: case.title.clone(),
                    owner: case.owner.clone(),
                    clock: kind.as_str().into(),
                    deadline: crate::domain::clocks::deadline(&config.clocks, &facts, kind),
                    at: to,
                });
            }
        }
    }
    overdue.sort_by_key(|l| (l.deadline, l.case));

    let mut breaches = vec![];
    for case in cases.iter().filter(|c| breached.contains(&c.id.get())) {
        for e in log(case) {
            if e.action != EventAction::ClockBreached || e.at < from || e.at >= to {
                continue;
            }
            let deadline = e.details["deadline"].as_str().and_then(|d| DateTime::parse_from_rfc3339(d).ok());
            let (Some(clock), Some(deadline)) = (e.details["clock"].as_str(), deadline) else { continue };
            breaches.push(ClockLine {
                case: case.id.get(),
                grade: case.grade,
                title: case.title.clone(),
                owner: case.owner.clone(),
                clock: clock.into(),
                deadline: deadline.with_timezone(&Utc),
                at: e.at,
            });
        }
    }
    breaches.sort_by_key(|l| (l.at, l.case));

    // Publications and drafts live in the cases' logs; a case published or drafted in the
    // period was updated in it, and a pending draft belongs to a case still on the ledger.
    let (mut published, mut pending) = (vec![], vec![]);
    let policy = &config.approvals.policy;
    for case in cases.iter().filter(|c| c.state.is_on_ledger() || c.updated_at >= from) {
        let events = log(case);
        let line = |draft: String, version: u32, by: &str, at| DraftLine {
            case: case.id.get(),
            title: case.title.clone(),
            draft,
            version,
            by: by.to_string(),
            at,
            approvals: 0,
            needed: 0,
            held: false,
        };
        for e in events.iter().filter(|e| e.action == EventAction::StatementPublished && e.at >= from && e.at < to) {
            let draft = e.details["draft"].as_str().unwrap_or("").to_string();
            let version = e.details["version"].as_u64().and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
            published.push(line(draft, version, &e.actor, e.at));
        }
        for d in super::drafts::drafts(case, events).into_values() {
            let v = d.latest();
            let (approvals, needed, held) = match crate::domain::approval::evaluate(&d.record, v, policy, to) {
                Standing::Waiting { approvals, needed } => (approvals.len(), needed, false),
                Standing::Held { approvals, needed, .. } => (approvals.len(), needed, true),
                _ => continue,
            };
            let at = d.last.as_ref().map_or(case.updated_at, |(_, _, at)| *at);
            let author = d.record.author(v).unwrap_or("").to_string();
            pending.push(DraftLine { approvals, needed, held, ..line(d.reference.to_string(), v, &author, at) });
        }
    }
    published.sort_by_key(|l| (l.at, l.case));
    pending.sort_by_key(|l| (l.case, l.draft.clone()));
    Ok(Report {
        team: team.name.clone(),
        tz: team.timezone.name().into(),
        from,
        to,
        new,
        open,
        overdue,
        breaches,
        published,
        pending,
    })
}

/// The key of a team's daily report for a local date.
fn job_key(team: &str, date: NaiveDate) -> String {
    format!("{KIND}:{team}:{}", date.format("%Y-%m-%d"))
}

/// The instant of the team's report on a local date (the first instant after a gap).
fn report_instant(team: &Team, date: NaiveDate) -> Option<DateTime<Utc>> {
    Some(roster::local_instant(team.timezone, date.and_time(team.report_at?)))
}

/// The team's next daily report after `after`, if it has one.
pub fn next_job(team: &Team, after: DateTime<Utc>) -> Option<NewJob> {
    let due = roster::next_local(team.timezone, team.report_at?, after);
    let date = due.with_timezone(&team.timezone).date_naive();
    Some(NewJob {
        key: job_key(&team.name, date),
        kind: KIND.into(),
        case: None,
        team: Some(team.name.clone()),
        due,
        payload: "{}".into(),
    })
}

/// Every team's next daily report, queued afresh: withdrawing a pending one first lets a
/// changed `report_at` move it (a withdrawn job is queued again with the new time).
pub fn queue_all(config: &Config, now: DateTime<Utc>) -> Vec<JobWrite> {
    config
        .teams
        .iter()
        .filter_map(|t| next_job(t, now))
        .flat_map(|job| [JobWrite::Withdraw(job.key.clone()), JobWrite::Schedule(job)])
        .collect()
}

/// The period a daily report due at `due` covers: since the same local time a day earlier.
/// `None` when the job no longer matches bot.toml (the team or its report time changed).
pub fn daily_period(team: &Team, due: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let date = due.with_timezone(&team.timezone).date_naive();
    if report_instant(team, date)? != due {
        return None;
    }
    report_instant(team, date.pred_opt()?)
}

/// The state of a listed case, as stored in the report.
pub fn state_of(line: &CaseLine) -> CaseState {
    CaseState::parse(&line.state).unwrap_or(CaseState::Open)
}

impl super::App {
    /// Queues every team's next daily report (at start; idempotent across instances).
    pub async fn queue_reports(&self) -> Result<(), StoreError> {
        let now = self.clock.now();
        let jobs = queue_all(&self.config, now);
        if jobs.is_empty() {
            return Ok(());
        }
        self.store.commit(Commit { jobs, ..Commit::new(CaseWrite::None, now) }).await?;
        self.jobs_signal.notify_one();
        Ok(())
    }

    /// A daily report job: the report to the leaders' chat (the team chat if there is none)
    /// and the next day's job, in one commit. A job that no longer matches bot.toml sends
    /// nothing; after a long downtime only one report is sent, and the next is tomorrow's.
    pub(super) async fn report_job(&self, job: &Job, now: DateTime<Utc>) -> anyhow::Result<Commit> {
        let nothing = Commit::new(CaseWrite::None, now);
        let Some(team) = job.team.as_deref().and_then(|t| self.config.team(t)) else { return Ok(nothing) };
        let next = next_job(team, job.due.max(now)).map(JobWrite::Schedule).into_iter().collect();
        let Some(from) = daily_period(team, job.due) else { return Ok(Commit { jobs: next, ..nothing }) };
        let report = gather(self.store.as_ref(), &self.config, team, from, now).await?;
        let late = super::scheduler::late(job, now);
        let notice = super::Notice::Report { report: Box::new(report), late };
        let chat = team.leaders_chat.as_deref().unwrap_or(&team.team_chat);
        let outbox = self
            .config
            .chat(chat)
            .map(|c| NewOutbox { chat: c.name.clone(), platform: c.platform, payload: notice.to_payload() })
            .into_iter()
            .collect();
        Ok(Commit { outbox, jobs: next, ..nothing })
    }
}

/// How `tocsin report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Csv,
}

/// What `tocsin report` asks for: every team's report (or one team's) from the local
/// midnight of `since` to that of `until` (exclusive), or to now.
#[derive(Debug, Clone)]
pub struct Request {
    pub team: Option<String>,
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
    pub format: Format,
    pub locale: crate::domain::Locale,
}

/// The command line's report, ready to print.
pub async fn for_command_line(
    store: &dyn Store,
    config: &Config,
    i18n: &crate::i18n::I18n,
    req: &Request,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let teams: Vec<&Team> = match &req.team {
        Some(name) => vec![config.team(name).ok_or_else(|| anyhow::anyhow!("bot.toml has no team {name:?}"))?],
        None => config.teams.iter().collect(),
    };
    let mut out = match req.format {
        Format::Markdown => String::new(),
        Format::Csv => format!("{CSV_HEADER}\n"),
    };
    for team in teams {
        let from = local_midnight(team.timezone, req.since);
        let to = req.until.map_or(now, |d| local_midnight(team.timezone, d));
        anyhow::ensure!(from < to, "--since must come before --until (and before now)");
        let report = gather(store, config, team, from, to).await?;
        out += &match req.format {
            Format::Markdown => markdown(&report, config, i18n, req.locale),
            Format::Csv => csv(&report),
        };
    }
    Ok(out)
}
