//! Commands that change a case. Each reads the case, lets the pure domain decide, and
//! commits the new state, its event and its notices together. If someone else changed the
//! case in between, the store refuses the write and the decision is taken again.

use super::{Ctx, Done, Failure, Notice, format};
use crate::domain::case::Transition;
use crate::domain::clocks::ClockKind;
use crate::domain::{Case, CaseId, EventAction, Grade, NewCase, Role, TransitionError};
use crate::i18n::Text;
use crate::store::{CaseWrite, Commit, StoreError};
use crate::t;
use serde_json::json;

/// How many times a decision is retaken when the case keeps changing under it.
const ATTEMPTS: usize = 3;

/// What one transition records and announces.
struct Decision {
    action: EventAction,
    details: serde_json::Value,
    notice: Notice,
}

/// `/due`: a leader gives one clock of a case more time, for a reason on the record.
pub(super) async fn due(
    ctx: &Ctx<'_>,
    id: CaseId,
    clock: ClockKind,
    span: crate::domain::Span,
    reason: String,
) -> Result<Done, Failure> {
    let (extra, seconds) = (span.delta(), span.seconds());
    for _ in 0..ATTEMPTS {
        let mut case = ctx.app.store.case(id).await?.ok_or_else(|| not_found(id))?;
        let store = ctx.app.store.as_ref();
        let mut facts = super::clocks::facts(store, &case, ctx.now).await?;
        // A finished case's clocks have all stopped, whatever its state.
        if !case.state.is_active() || facts.stopped_at(clock).is_some() {
            return Err(Failure::User(t!("due-stopped", "case" => id.to_string(), "clock" => format::clock(clock))));
        }
        facts.extensions[clock.index()] += extra;
        let deadline = crate::domain::clocks::deadline(&ctx.app.config.clocks, &facts, clock);
        let sent = super::clocks::sent_stages(store, id).await?;
        let jobs = super::clocks::jobs_for(&ctx.app.config, &case, &facts, &sent, ctx.now);
        if ctx.person.roles.contains(Role::Leader) {
            case.adopt_leader(&ctx.person.name);
        }
        let details = json!({ "clock": clock.as_str(), "seconds": seconds, "extra": format::span(extra),
            "reason": reason, "deadline": deadline.to_rfc3339() });
        let notice = Notice::Extended {
            title: case.title.clone(),
            clock: clock.as_str().into(),
            deadline,
            reason: reason.clone(),
            by: ctx.person.display.clone(),
        };
        let commit = Commit {
            events: vec![ctx.event(EventAction::ClockExtended, details)],
            outbox: ctx.notices(&notice),
            handled: ctx.handled.clone(),
            jobs,
            ..Commit::new(CaseWrite::Update(case), ctx.now)
        };
        match ctx.app.store.commit(commit).await {
            Ok(_) => return Ok(Done::Committed),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::Internal(anyhow::anyhow!("case {id} kept changing while extending a clock")))
}

pub(super) fn not_found(id: CaseId) -> Failure {
    Failure::User(t!("case-not-found", "case" => id.to_string()))
}

pub(super) async fn open(
    ctx: &Ctx<'_>,
    grade: Option<Grade>,
    title: String,
    summary: Option<String>,
) -> Result<Done, Failure> {
    let grade = grade.unwrap_or(ctx.app.config.default_grade);
    // A leader who opens a case is in charge of it; otherwise the team's named leader is.
    let leader =
        if ctx.person.roles.contains(Role::Leader) { Some(ctx.person.name.clone()) } else { ctx.team.leader.clone() };
    let source = format!("{}:{}", ctx.platform, ctx.chat.name);
    let details = json!({ "title": title, "summary": summary, "grade": grade.as_str(), "source": source });
    let notice = Notice::Opened {
        title: title.clone(),
        summary: summary.clone(),
        grade,
        by: ctx.person.display.clone(),
        similar: None,
    };
    let new = NewCase {
        team: ctx.team.name.clone(),
        title,
        summary,
        source,
        grade,
        owner: None,
        leader,
        opened_by: ctx.person.name.clone(),
        drill: false,
        opened_at: ctx.now,
    };
    let (new, duty, jobs) = super::clocks::opening(&ctx.app.config, ctx.app.store.as_ref(), new).await?;
    let mut outbox = ctx.notices(&notice);
    if let Some(duty) = duty {
        outbox.extend(ctx.notices(&duty));
    }
    ctx.app
        .store
        .commit(Commit {
            case: CaseWrite::Insert(new),
            events: vec![ctx.event(EventAction::Opened, details)],
            outbox,
            handled: ctx.handled.clone(),
            jobs,
            ..Commit::new(CaseWrite::None, ctx.now)
        })
        .await?;
    Ok(Done::Committed)
}

/// Reads, decides, commits; retries on a concurrent change.
async fn change(
    ctx: &Ctx<'_>,
    id: CaseId,
    decide: impl Fn(&mut Case) -> Result<Decision, TransitionError>,
) -> Result<Done, Failure> {
    for _ in 0..ATTEMPTS {
        let mut case = ctx.app.store.case(id).await?.ok_or_else(|| not_found(id))?;
        let before = case.clone();
        let decision = decide(&mut case)?;
        if ctx.person.roles.contains(Role::Leader) {
            case.adopt_leader(&ctx.person.name);
        }
        let jobs = if super::clocks::moved(&before, &case) {
            super::clocks::reschedule(ctx.app.store.as_ref(), &ctx.app.config, &case, ctx.now).await?
        } else {
            vec![]
        };
        let mut outbox = ctx.notices(&decision.notice);
        if case.grade != before.grade {
            outbox.extend(super::drafts::redraw_after_regrade(ctx.app.store.as_ref(), &ctx.app.config, &case).await?);
        }
        let commit = Commit {
            events: vec![ctx.event(decision.action, decision.details)],
            outbox,
            handled: ctx.handled.clone(),
            jobs,
            ..Commit::new(CaseWrite::Update(case), ctx.now)
        };
        match ctx.app.store.commit(commit).await {
            Ok(_) => return Ok(Done::Committed),
            Err(StoreError::Conflict) => continue,
            Err(StoreError::NoSuchCase) => return Err(not_found(id)),
            Err(StoreError::Duplicate) => return Err(Failure::Duplicate),
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::Internal(anyhow::anyhow!("case {id} kept changing while deciding")))
}

pub(super) async fn ack(ctx: &Ctx<'_>, id: CaseId) -> Result<Done, Failure> {
    let by = ctx.person.display.clone();
    change(ctx, id, |case| {
        case.acknowledge(ctx.now)?;
        let notice = Notice::Acknowledged { title: case.title.clone(), by: by.clone() };
        Ok(Decision { action: EventAction::Acknowledged, details: json!({ "state": case.state.as_str() }), notice })
    })
    .await
}

pub(super) async fn claim(ctx: &Ctx<'_>, id: CaseId) -> Result<Done, Failure> {
    let (name, by) = (ctx.person.name.clone(), ctx.person.display.clone());
    change(ctx, id, |case| {
        case.set_owner(&name, ctx.now)?;
        let notice = Notice::Claimed { title: case.title.clone(), by: by.clone() };
        Ok(Decision { action: EventAction::Claimed, details: json!({ "owner": name }), notice })
    })
    .await
}

/// Someone who can own a case (or take a duty shift): a configured member or leader.
pub(super) fn owner_candidate<'a>(ctx: &Ctx<'a>, who: &str) -> Result<&'a crate::config::Person, Failure> {
    let config: &'a crate::config::Config = &ctx.app.config;
    let Some(owner) = config.person(who) else {
        let names = config.people.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ");
        return Err(Failure::User(t!("person-unknown", "name" => who, "people" => names)));
    };
    if !(owner.roles.contains(Role::Member) || owner.roles.contains(Role::Leader)) {
        return Err(Failure::User(t!("person-cannot-own", "name" => owner.display.as_str())));
    }
    Ok(owner)
}

pub(super) async fn assign(ctx: &Ctx<'_>, id: CaseId, who: &str) -> Result<Done, Failure> {
    let owner = owner_candidate(ctx, who)?;
    let by = ctx.person.display.clone();
    change(ctx, id, |case| {
        let previous = case.owner.clone();
        case.set_owner(&owner.name, ctx.now)?;
        let notice = Notice::Assigned { title: case.title.clone(), owner: owner.display.clone(), by: by.clone() };
        let details = json!({ "owner": owner.name, "previous": previous });
        Ok(Decision { action: EventAction::Assigned, details, notice })
    })
    .await
}

pub(super) async fn regrade(ctx: &Ctx<'_>, id: CaseId, grade: Grade) -> Result<Done, Failure> {
    let by = ctx.person.display.clone();
    change(ctx, id, |case| {
        let from = case.regrade(grade, ctx.now)?;
        let notice = Notice::Regraded { title: case.title.clone(), from, to: grade, by: by.clone() };
        let details = json!({ "from": from.as_str(), "to": grade.as_str() });
        Ok(Decision { action: EventAction::Regraded, details, notice })
    })
    .await
}

pub(super) async fn resolve(ctx: &Ctx<'_>, id: CaseId, summary: String) -> Result<Done, Failure> {
    let by = ctx.person.display.clone();
    change(ctx, id, |case| {
        case.resolve(&summary, ctx.now)?;
        let notice = Notice::Resolved { title: case.title.clone(), summary: summary.clone(), by: by.clone() };
        Ok(Decision { action: EventAction::Resolved, details: json!({ "summary": summary }), notice })
    })
    .await
}

pub(super) async fn reopen(ctx: &Ctx<'_>, id: CaseId) -> Result<Done, Failure> {
    let by = ctx.person.display.clone();
    change(ctx, id, |case| {
        let from = case.state;
        case.reopen(ctx.now)?;
        let notice = Notice::Reopened { title: case.title.clone(), by: by.clone() };
        let details = json!({ "from": from.as_str(), "to": case.state.as_str() });
        Ok(Decision { action: EventAction::Reopened, details, notice })
    })
    .await
}

pub(super) async fn dismiss(ctx: &Ctx<'_>, id: CaseId, reason: String) -> Result<Done, Failure> {
    let by = ctx.person.display.clone();
    change(ctx, id, |case| {
        case.dismiss(&reason, ctx.now)?;
        let notice = Notice::Dismissed { title: case.title.clone(), reason: reason.clone(), by: by.clone() };
        Ok(Decision { action: EventAction::Dismissed, details: json!({ "reason": reason }), notice })
    })
    .await
}

pub(super) async fn close(ctx: &Ctx<'_>, id: CaseId) -> Result<Done, Failure> {
    let by = ctx.person.display.clone();
    change(ctx, id, |case| {
        case.close(ctx.now)?;
        let notice = Notice::Closed { title: case.title.clone(), by: by.clone() };
        Ok(Decision { action: EventAction::Closed, details: json!({}), notice })
    })
    .await
}

/// The user-facing explanation of a refused transition.
pub(super) fn transition_text(e: &TransitionError) -> Text {
    match e {
        TransitionError::Already { case, state } => {
            t!("case-already", "case" => case.to_string(), "state" => format::state(*state))
        }
        TransitionError::NotWhile { case, what, state } => t!("case-not-while",
            "case" => case.to_string(), "state" => format::state(*state), "what" => transition(*what)),
        TransitionError::CloseNeedsResolve { case, state } => t!("case-close-unresolved",
            "case" => case.to_string(), "number" => case.get(), "state" => format::state(*state)),
        TransitionError::SameGrade { case, grade } => {
            t!("case-same-grade", "case" => case.to_string(), "grade" => grade.as_str())
        }
        TransitionError::SameOwner { case, owner } => {
            t!("case-same-owner", "case" => case.to_string(), "owner" => owner.as_str())
        }
    }
}

fn transition(what: Transition) -> Text {
    match what {
        Transition::Acknowledge => t!("transition-acknowledge"),
        Transition::Assign => t!("transition-assign"),
        Transition::Regrade => t!("transition-regrade"),
        Transition::Resolve => t!("transition-resolve"),
        Transition::Reopen => t!("transition-reopen"),
        Transition::Dismiss => t!("transition-dismiss"),
        Transition::Close => t!("transition-close"),
        Transition::Merge => t!("transition-merge"),
        Transition::Split => t!("transition-split"),
    }
}
