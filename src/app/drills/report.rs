//! A drill's after-action report, read from the event log only: per case, how long (in
//! scenario time) until it was acknowledged, had an owner, had its first statement approved and
//! published, and was resolved; which of the scenario's expectations were missed; a score; and
//! the timeline.

use super::super::{Ctx, Done, Failure};
use crate::config::Config;
use crate::config::drills::Expectations;
use crate::domain::{CaseId, Event, EventAction, Locale};
use crate::i18n::I18n;
use crate::store::{Store, StoreError};
use crate::t;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub struct CaseFigures {
    pub case: CaseId,
    pub title: String,
    /// Scenario seconds from the case's opening to each first time; `None`: never.
    pub acknowledged: Option<i64>,
    pub owner: Option<i64>,
    pub approved: Option<i64>,
    pub published: Option<i64>,
    pub resolved: Option<i64>,
    /// Still open when the drill stopped.
    pub ended_by_drill: bool,
    /// Expectations not met: (what, the limit in scenario seconds).
    pub missed: Vec<(&'static str, i64)>,
    pub met: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DrillReport {
    pub drill: i64,
    pub scenario: String,
    pub speed: u32,
    pub started_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub cases: Vec<CaseFigures>,
    /// Expectations met out of those checked, as a percentage (100 when none were set).
    pub score: u32,
    /// (scenario seconds from the start, who, what, which case), in order.
    pub timeline: Vec<(i64, String, EventAction, Option<CaseId>)>,
}

fn first(events: &[Event], actions: &[EventAction]) -> Option<DateTime<Utc>> {
    events.iter().find(|e| actions.contains(&e.action)).map(|e| e.at)
}

/// The report of the team's drill numbered `drill`, or of its latest; `None` if it has none.
pub async fn gather(
    store: &dyn Store,
    config: &Config,
    team: &str,
    drill: Option<i64>,
) -> Result<Option<DrillReport>, StoreError> {
    let started = super::drill_events(store, EventAction::DrillStarted, team).await?;
    let id_of = |e: &Event| e.details["drill"].as_i64();
    let Some(start) = (match drill {
        Some(id) => started.iter().find(|e| id_of(e) == Some(id)),
        None => started.last(),
    }) else {
        return Ok(None);
    };
    let id = id_of(start).unwrap_or_default();
    let speed = start.details["speed"].as_u64().and_then(|s| u32::try_from(s).ok()).unwrap_or(1).max(1);
    let scaled = |from: DateTime<Utc>, to: DateTime<Utc>| (to - from).num_milliseconds() * i64::from(speed) / 1000;
    let stopped = super::drill_events(store, EventAction::DrillStopped, team).await?;
    let stop = stopped.iter().find(|e| id_of(e) == Some(id));
    let expect = super::scenario_of(config, start).map(|s| s.expect).unwrap_or_default();
    let mut timeline = vec![(0, start.actor.clone(), EventAction::DrillStarted, None)];
    let mut cases = vec![];
    let mut checked = 0;
    let mut met = 0;
    for opened in store.events_of_kind(EventAction::Opened).await? {
        let (Some(case_id), Some(drill_of)) = (opened.case, opened.details["drill"].as_i64()) else { continue };
        let Some(case) = store.case(case_id).await?.filter(|c| drill_of == id && c.team == team && c.drill) else {
            continue;
        };
        let events = store.events(case_id).await?;
        let at = |actions: &[EventAction]| first(&events, actions).map(|t| scaled(case.opened_at, t));
        let published = at(&[EventAction::StatementPublished]);
        let resolved = at(&[EventAction::Resolved]);
        let acknowledged = at(&[EventAction::Acknowledged]);
        let mut f = CaseFigures {
            case: case_id,
            title: case.title.clone(),
            acknowledged,
            owner: at(&[EventAction::Claimed, EventAction::Assigned]),
            approved: at(&[EventAction::DraftApproved]),
            published,
            resolved,
            ended_by_drill: events
                .iter()
                .any(|e| e.action == EventAction::Dismissed && e.details["reason"].as_str() == Some(super::ENDED)),
            missed: vec![],
            met: 0,
        };
        score_case(&mut f, &expect);
        checked += f.met + f.missed.len();
        met += f.met;
        for e in &events {
            timeline.push((scaled(start.at, e.at), e.actor.clone(), e.action, Some(case_id)));
        }
        cases.push(f);
    }
    if let Some(stop) = stop {
        timeline.push((scaled(start.at, stop.at), stop.actor.clone(), EventAction::DrillStopped, None));
    }
    timeline.sort_by_key(|(t, ..)| *t);
    let score = (met * 100).checked_div(checked).map_or(100, |s| s as u32);
    Ok(Some(DrillReport {
        drill: id,
        scenario: start.details["scenario"].as_str().unwrap_or_default().to_string(),
        speed,
        started_at: start.at,
        stopped_at: stop.map(|e| e.at),
        cases,
        score,
        timeline,
    }))
}

fn score_case(f: &mut CaseFigures, expect: &Expectations) {
    let checks = [
        ("acknowledge", expect.acknowledge, f.acknowledged),
        ("first_statement", expect.first_statement, f.published),
        ("resolve", expect.resolve, f.resolved),
    ];
    for (what, limit, took) in checks {
        let Some(limit) = limit.map(|l| l.seconds()) else { continue };
        match took {
            Some(t) if t <= limit => f.met += 1,
            _ => f.missed.push((what, limit)),
        }
    }
}

/// Scenario seconds as `12m05s` (or `1h02m`).
pub fn minutes(secs: i64) -> String {
    let secs = secs.max(0);
    if secs >= 3600 {
        format!("{}h{:02}m", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{}m{:02}s", secs / 60, secs % 60)
    }
}

/// The report as chat text (and the body of the Markdown one), in `locale`.
pub fn text(r: &DrillReport, config: &Config, i18n: &I18n, locale: Locale) -> String {
    let render = |t| i18n.render(locale, &t);
    let never = render(t!("drill-report-never"));
    let took = |v: Option<i64>| v.map_or_else(|| never.clone(), minutes);
    let mut out = vec![render(t!("drill-report-head",
        "drill" => r.drill, "scenario" => r.scenario.as_str(), "speed" => r.speed, "score" => r.score))];
    for f in &r.cases {
        out.push(render(t!("drill-report-case",
            "case" => f.case.to_string(), "title" => f.title.as_str(),
            "ack" => took(f.acknowledged), "owner" => took(f.owner), "approved" => took(f.approved),
            "published" => took(f.published), "resolved" => took(f.resolved))));
        for (what, limit) in &f.missed {
            let what = render(crate::i18n::Text::new(format!("drill-expect-{}", what.replace('_', "-"))));
            out.push(render(t!("drill-report-missed", "what" => what, "limit" => minutes(*limit))));
        }
        if f.ended_by_drill {
            out.push(render(t!("drill-report-ended")));
        }
    }
    if r.cases.is_empty() {
        out.push(render(t!("drill-report-no-cases")));
    }
    out.push(render(t!("drill-report-timeline")));
    for (at, actor, action, case) in &r.timeline {
        let who = super::super::format::person(config, actor);
        let case = case.map(|c| format!(" {c}")).unwrap_or_default();
        out.push(format!("  +{} {who}: {}{case}", minutes(*at), action.as_str()));
    }
    out.join("\n")
}

/// `/drill report [n]`: answered in the chat, and recorded on the ledger.
pub(in crate::app) async fn reply(ctx: &Ctx<'_>, drill: Option<i64>) -> Result<Done, Failure> {
    let store = ctx.app.store.as_ref();
    let Some(r) = gather(store, &ctx.app.config, &ctx.team.name, drill).await? else {
        return Err(Failure::User(t!("drill-report-none")));
    };
    // A leaders' chat that is a group robot cannot be asked: the report is posted there too.
    let mut outbox = vec![];
    if let Some(leaders) = ctx.team.leaders_chat.as_deref().and_then(|c| ctx.app.config.chat(c))
        && leaders.platform.is_robot()
        && leaders.name != ctx.chat.name
    {
        let locale = crate::app::chat_locale(store, &ctx.app.config, leaders).await;
        let text = text(&r, &ctx.app.config, &ctx.app.i18n, locale);
        let payload = crate::app::Notice::Reply { text }.to_payload();
        outbox.push(crate::store::NewOutbox { chat: leaders.name.clone(), platform: leaders.platform, payload });
    }
    let commit = crate::store::Commit {
        events: vec![super::report_event(ctx, r.drill, r.score)],
        outbox,
        ..crate::store::Commit::new(crate::store::CaseWrite::None, ctx.now)
    };
    store.commit(commit).await?;
    Ok(Done::Reply(text(&r, &ctx.app.config, &ctx.app.i18n, ctx.locale)))
}

/// `tocsin report --drill <n>`: the report as Markdown, for whichever team ran drill `n`.
pub async fn markdown(
    store: &dyn Store,
    config: &Config,
    i18n: &I18n,
    drill: i64,
    locale: Locale,
) -> anyhow::Result<String> {
    for team in &config.teams {
        if let Some(r) = gather(store, config, &team.name, Some(drill)).await? {
            let body = text(&r, config, i18n, locale);
            let mut lines = body.lines();
            let head = lines.next().unwrap_or_default();
            let rest: Vec<String> = lines.map(|l| format!("    {l}")).collect();
            return Ok(format!("# {head}\n\n{}\n", rest.join("\n")));
        }
    }
    anyhow::bail!("no drill number {drill} on the ledger")
}
