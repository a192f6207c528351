//! Duty and heightened watch: who takes new cases now, and the team's state of alert.

use super::clocks::{self, Watch};
use super::{Ctx, Done, Failure, Notice, format};
use crate::config::Config;
use crate::domain::roster::{self, NewCaseDuty, Swap};
use crate::domain::{EventAction, NewCase};
use crate::store::{CaseWrite, Commit, JobWrite, Store, StoreError};
use crate::t;
use chrono::NaiveDate;
use serde_json::json;

fn swap_prefix(team: &str) -> String {
    format!("duty:swap:{team}:")
}

/// The team's swapped shifts, from the settings `duty:swap:<team>:<date>`.
pub async fn swaps(store: &dyn Store, team: &str) -> Result<Vec<Swap>, StoreError> {
    let prefix = swap_prefix(team);
    Ok(store
        .settings_with_prefix(&prefix)
        .await?
        .into_iter()
        .filter_map(|(key, person)| {
            let date = NaiveDate::parse_from_str(key.strip_prefix(&prefix)?, "%Y-%m-%d").ok()?;
            Some(Swap { date, person })
        })
        .collect())
}

/// A new case without an owner goes to the person on duty (or only tells them, as the
/// team's duty says); returns the case to open and the notice about it.
pub async fn on_new_case(
    config: &Config,
    store: &dyn Store,
    mut new: NewCase,
    watch: bool,
) -> Result<(NewCase, Option<Notice>), StoreError> {
    let Some(duty) = config.team(&new.team).and_then(|t| t.duty.as_ref()) else { return Ok((new, None)) };
    if new.owner.is_some() {
        return Ok((new, None));
    }
    let swaps = swaps(store, &new.team).await?;
    let Some(person) = roster::on_duty(&duty.rotation, &swaps, new.opened_at, watch) else { return Ok((new, None)) };
    let assigned = duty.new_cases == NewCaseDuty::Assign;
    let notice = Notice::OnDuty { title: new.title.clone(), person: format::person(config, &person), assigned };
    if assigned {
        new.owner = Some(person);
    }
    Ok((new, Some(notice)))
}

/// `/duty`: who is on now and next.
pub(super) async fn show(ctx: &Ctx<'_>) -> Result<Done, Failure> {
    let Some(duty) = &ctx.team.duty else { return Ok(Done::Reply(ctx.render(&t!("duty-none")))) };
    let store = ctx.app.store.as_ref();
    let swaps = swaps(store, &ctx.team.name).await?;
    let watch = clocks::watch_of(store, &ctx.team.name, ctx.now).await?.is_some();
    let rot = &duty.rotation;
    let person = |name: &str| format::person(&ctx.app.config, name);
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&rot.tz).format("%Y-%m-%d %H:%M").to_string();
    let mut lines = vec![];
    lines.push(match (roster::on_duty(rot, &swaps, ctx.now, watch), roster::shift_at(rot, &swaps, ctx.now)) {
        (Some(name), Some(shift)) => {
            ctx.render(&t!("duty-now", "person" => person(&name), "until" => local(shift.ends), "tz" => rot.tz.name()))
        }
        _ => ctx.render(&t!("duty-nobody-now")),
    });
    if let Some(next) = roster::next_shift(rot, &swaps, ctx.now) {
        lines.push(ctx.render(
            &t!("duty-next", "person" => person(&next.person), "from" => local(next.starts), "tz" => rot.tz.name()),
        ));
    }
    if watch {
        lines.push(ctx.render(&t!("duty-watch")));
    }
    Ok(Done::Reply(lines.join("\n")))
}

/// `/duty swap <person> <date>`: the shift that starts that day goes to someone else.
pub(super) async fn swap(ctx: &Ctx<'_>, name: &str, date: NaiveDate) -> Result<Done, Failure> {
    if ctx.team.duty.is_none() {
        return Ok(Done::Reply(ctx.render(&t!("duty-none"))));
    }
    let person = super::cases::owner_candidate(ctx, name)?;
    let date_text = date.format("%Y-%m-%d").to_string();
    let key = format!("{}{date_text}", swap_prefix(&ctx.team.name));
    let notice =
        Notice::DutySwapped { date: date_text.clone(), person: person.display.clone(), by: ctx.person.display.clone() };
    let commit = Commit {
        events: vec![ctx.event(
            EventAction::DutySwapped,
            json!({ "team": ctx.team.name, "date": date_text, "person": person.name }),
        )],
        outbox: ctx.notices(&notice),
        handled: ctx.handled.clone(),
        settings: vec![(key, person.name.clone())],
        ..Commit::new(CaseWrite::None, ctx.now)
    };
    ctx.app.store.commit(commit).await?;
    Ok(Done::Committed)
}

/// `/watch on` and `/watch off`: the team's clocks are scaled (or back to normal) at once,
/// every active case rescheduled in the same commit as the announcement.
pub(super) async fn watch(ctx: &Ctx<'_>, on: Option<(String, Option<crate::domain::Span>)>) -> Result<Done, Failure> {
    let store = ctx.app.store.as_ref();
    let key = clocks::watch_key(&ctx.team.name);
    let watching = on.is_some();
    let (value, event, notice, mut jobs) = match on {
        Some((reason, span)) => {
            let until = span.map(|s| ctx.now + s.delta());
            let watch = Watch { reason: reason.clone(), by: ctx.person.name.clone(), since: ctx.now, until };
            let value = serde_json::to_string(&watch).expect("a watch serialises");
            let event = ctx
                .event(EventAction::WatchStarted, json!({ "team": ctx.team.name, "reason": reason, "until": until }));
            let notice = Notice::WatchStarted { reason, until, by: ctx.person.display.clone() };
            let jobs = until.map(|until| end_job(&ctx.team.name, until)).into_iter().collect::<Vec<_>>();
            (value, event, notice, jobs)
        }
        None => {
            if clocks::watch_of(store, &ctx.team.name, ctx.now).await?.is_none() {
                return Ok(Done::Reply(ctx.render(&t!("watch-not-on"))));
            }
            let event = ctx.event(EventAction::WatchEnded, json!({ "team": ctx.team.name }));
            ("off".to_string(), event, Notice::WatchEnded { by: ctx.person.display.clone() }, vec![])
        }
    };
    let commit = Commit {
        events: vec![event],
        outbox: ctx.notices(&notice),
        handled: ctx.handled.clone(),
        settings: vec![(key.clone(), value.clone())],
        ..Commit::new(CaseWrite::None, ctx.now)
    };
    // The cases' new schedules are computed for the watch this commit leaves on or off.
    let config = &ctx.app.config;
    jobs.extend(clocks::reschedule_team(store, config, &ctx.team.name, watching, ctx.now).await?);
    ctx.app.store.commit(Commit { jobs, ..commit }).await?;
    Ok(Done::Committed)
}

/// The job that turns a watch with an end off when it ends.
fn end_job(team: &str, until: chrono::DateTime<chrono::Utc>) -> JobWrite {
    JobWrite::Schedule(crate::store::NewJob {
        key: format!("watch_end:{team}:{}", until.timestamp_millis()),
        kind: super::scheduler::WATCH_END.into(),
        case: None,
        team: Some(team.to_string()),
        due: until,
        payload: "{}".into(),
    })
}
