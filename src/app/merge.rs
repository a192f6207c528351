//! `/merge` and `/split`: a leader decides what is one story and what is two.
//!
//! **Merge** (`/merge 20 into 12`), one commit:
//! * every signal of #20, and every alert tracked with it, moves to #12; #20's timeline stays
//!   where it is (it is the record of what was done on it, published statements included);
//! * #12's grade is re-assessed: the most severe of the two grades and of every signal's
//!   evidence graded again with the distinct sources of both cases together. Automatic
//!   grading never lowers a grade, and neither does a merge; a resolved #12 keeps its grade;
//! * per clock, the earlier running deadline of the two is kept: when #20's clock runs out
//!   first, #12's clock is shifted earlier by the difference (recorded on the `merged_from`
//!   event, read back like `/due` extensions). A clock that has stopped on #12 stays stopped;
//! * drafts on #20 not yet published are withdrawn (their text was written for the other case;
//!   a `draft_withdrawn` event names #12 and their cards are drawn again without buttons);
//!   published statements stay in #20's history;
//! * #20 ends closed and "merged into #12", its clock jobs withdrawn and its card edited to say
//!   so. Every command naming #20 afterwards answers "#20 was merged into #12".
//!
//! Refused: a case into itself, into or from a case off the ledger (closed, dismissed or
//! merged), across teams, and a drill's case with a real one.
//!
//! **Split** (`/split 12 41`), one commit: signal 41 (numbered in `/status`) leaves #12 for a new
//! case in the same team, titled as the signal, graded by that signal's own evidence alone,
//! with fresh clocks; #12 keeps its grade (only a leader lowers one). Its last signal cannot
//! leave a case.

use super::{Ctx, Done, Failure, Notice, format};
use crate::domain::clocks::{self, ClockKind, ClockStatus};
use crate::domain::grading::{self, Explanation, Weights};
use crate::domain::{Case, CaseId, EventAction, Grade, NewCase, Role};
use crate::store::{CaseWrite, Commit, JobWrite, NewOutbox, OtherCase, SignalMove, StoreError, StoredSignal};
use crate::t;
use chrono::Duration;
use serde_json::json;

const ATTEMPTS: usize = 3;

/// What a command on a merged case is told.
pub(super) fn merged_away(case: &Case) -> Option<Failure> {
    let into = case.merged_into?;
    Some(Failure::User(t!("case-merged", "case" => case.id.to_string(), "into" => into.to_string())))
}

fn weights(ctx: &Ctx<'_>) -> (Weights, u64) {
    let g = &ctx.app.config.grading;
    let w = Weights {
        thresholds: g.thresholds,
        attention_weight: g.attention_weight,
        diffusion_weight: g.diffusion_weight,
        max_attention: g.max_attention,
    };
    (w, g.window.as_secs())
}

fn evidence(signals: &[StoredSignal]) -> Vec<Explanation> {
    signals.iter().filter_map(|s| serde_json::from_str(&s.signal.explanation).ok()).collect()
}

fn refuse(text: crate::i18n::Text) -> Failure {
    Failure::User(text)
}

/// Why `from` cannot be merged into `into`, if it cannot.
fn check_merge(from: &Case, into: &Case) -> Result<(), Failure> {
    if let Some(f) = merged_away(into) {
        return Err(f);
    }
    for case in [from, into] {
        if !case.state.is_on_ledger() {
            return Err(refuse(
                t!("merge-off-ledger", "case" => case.id.to_string(), "state" => format::state(case.state)),
            ));
        }
    }
    if from.team != into.team {
        return Err(refuse(t!("merge-other-team", "from" => from.id.to_string(), "into" => into.id.to_string(),
            "team" => from.team.as_str(), "other" => into.team.as_str())));
    }
    if from.drill != into.drill {
        return Err(refuse(t!("merge-drill", "from" => from.id.to_string(), "into" => into.id.to_string())));
    }
    Ok(())
}

/// Per clock, how much earlier `into`'s deadline must fall to keep `from`'s when `from`'s runs
/// out first and both are running (zero otherwise). `into_facts` already carry the new grade.
fn shifts(
    ctx: &Ctx<'_>,
    from: &clocks::ClockFacts,
    from_case: &Case,
    into: &clocks::ClockFacts,
    into_case: &Case,
) -> [Duration; 3] {
    let policy = &ctx.app.config.clocks;
    let running = |facts: &clocks::ClockFacts, case: &Case, kind| {
        case.state.is_active()
            && matches!(
                clocks::status(policy, facts, kind, ctx.now),
                ClockStatus::Running { .. } | ClockStatus::Overdue { .. }
            )
    };
    let mut out = [Duration::zero(); 3];
    for kind in ClockKind::ALL {
        if running(from, from_case, kind) && running(into, into_case, kind) {
            let (a, b) = (clocks::deadline(policy, from, kind), clocks::deadline(policy, into, kind));
            if a < b {
                out[kind.index()] = a - b;
            }
        }
    }
    out
}

/// The notices that draw a case's withdrawn drafts' cards again, in the leaders' and team chats.
fn draft_cards(ctx: &Ctx<'_>, drafts: &[String]) -> Vec<NewOutbox> {
    let leaders = ctx.team.leaders_chat.as_deref().unwrap_or(&ctx.team.team_chat);
    let mut chats = vec![leaders];
    if leaders != ctx.team.team_chat {
        chats.push(&ctx.team.team_chat);
    }
    let mut out = vec![];
    for d in drafts {
        let payload = Notice::DraftCard { draft: d.clone() }.to_payload();
        for c in chats.iter().filter_map(|name| ctx.app.config.chat(name)) {
            out.push(NewOutbox { chat: c.name.clone(), platform: c.platform, payload: payload.clone() });
        }
    }
    out
}

/// `/merge <from> into <into>`.
pub(super) async fn merge(ctx: &Ctx<'_>, from_id: CaseId, into_id: CaseId) -> Result<Done, Failure> {
    if from_id == into_id {
        return Err(refuse(t!("merge-self", "case" => from_id.to_string())));
    }
    let store = ctx.app.store.as_ref();
    let config = &ctx.app.config;
    for _ in 0..ATTEMPTS {
        let mut from = store.case(from_id).await?.ok_or_else(|| super::cases::not_found(from_id))?;
        let mut into = store.case(into_id).await?.ok_or_else(|| super::cases::not_found(into_id))?;
        check_merge(&from, &into)?;
        let (from_signals, into_signals) = (store.case_signals(from_id).await?, store.case_signals(into_id).await?);
        // The grade: never less severe than either case's, nor than the evidence graded anew.
        let (w, window) = weights(ctx);
        let since = ctx.now - Duration::seconds(window as i64);
        let mut sources = store.case_sources(into_id, since).await?;
        sources.extend(store.case_sources(from_id, since).await?);
        sources.sort_unstable();
        sources.dedup();
        let mut all = evidence(&into_signals);
        all.extend(evidence(&from_signals));
        let reassessed = grading::reassess(&all, sources.len(), window, &w);
        let grade = [Some(into.grade), Some(from.grade), reassessed].into_iter().flatten().min().unwrap_or(into.grade);
        let before = into.grade;
        if grade < into.grade && into.state.is_active() {
            let _ = into.regrade(grade, ctx.now);
        }
        // The clocks: the earlier running deadline of the two, per clock.
        let from_facts = super::clocks::facts(store, &from, ctx.now).await?;
        let mut into_facts = super::clocks::facts(store, &into, ctx.now).await?;
        into_facts.grade = into.grade;
        let shift = shifts(ctx, &from_facts, &from, &into_facts, &into);
        for kind in ClockKind::ALL {
            into_facts.extensions[kind.index()] += shift[kind.index()];
        }
        let shift_json: serde_json::Map<String, serde_json::Value> = ClockKind::ALL
            .into_iter()
            .filter(|k| !shift[k.index()].is_zero())
            .map(|k| (k.as_str().to_string(), json!(shift[k.index()].num_milliseconds())))
            .collect();
        // The drafts: those not yet published are withdrawn with the case.
        let from_events = store.events(from_id).await?;
        let withdrawn: Vec<String> = super::drafts::drafts(&from, &from_events)
            .values()
            .filter(|d| d.record.published.is_none() && d.withdrawn.is_none())
            .map(|d| d.reference.to_string())
            .collect();
        from.merge_into(into_id, ctx.now)?;
        if ctx.person.roles.contains(Role::Leader) {
            into.adopt_leader(&ctx.person.name);
        }
        let moved = from_signals.len();
        let mut from_events = vec![ctx.event(
            EventAction::MergedInto,
            json!({ "into": into_id.get(), "signals": moved, "withdrawn": withdrawn }),
        )];
        from_events.extend(
            withdrawn
                .iter()
                .map(|d| ctx.event(EventAction::DraftWithdrawn, json!({ "draft": d, "into": into_id.get() }))),
        );
        let by = ctx.person.display.clone();
        let mut from_outbox = ctx.notices(&Notice::MergedInto {
            title: from.title.clone(),
            into: into_id.get(),
            withdrawn: withdrawn.clone(),
            by: by.clone(),
        });
        from_outbox.extend(draft_cards(ctx, &withdrawn));
        let notice = Notice::MergedFrom {
            title: into.title.clone(),
            from: from_id.get(),
            from_title: from.title.clone(),
            signals: moved,
            grade: into.grade,
            by,
        };
        let mut outbox = ctx.notices(&notice);
        if into.grade != before {
            outbox.extend(super::drafts::redraw_after_regrade(store, config, &into).await?);
        }
        let details = json!({ "from": from_id.get(), "title": from.title, "signals": moved,
            "grade_from": before.as_str(), "grade": into.grade.as_str(), "shift_ms": shift_json });
        let sent = super::clocks::sent_stages(store, into_id).await?;
        let mut jobs = vec![JobWrite::WithdrawCase { case: from_id, kind: super::clocks::KIND.into() }];
        jobs.extend(super::clocks::jobs_for(config, &into, &into_facts, &sent, ctx.now));
        let commit = Commit {
            events: vec![ctx.event(EventAction::MergedFrom, details)],
            outbox,
            handled: ctx.handled.clone(),
            jobs,
            others: vec![OtherCase { case: from, events: from_events, outbox: from_outbox }],
            moves: vec![SignalMove::All { from: from_id }],
            ..Commit::new(CaseWrite::Update(into), ctx.now)
        };
        match store.commit(commit).await {
            Ok(_) => {
                let ids: Vec<i64> = from_signals.iter().map(|s| s.id).collect();
                ctx.app.signals_moved(&ids, into_id);
                return Ok(Done::Committed);
            }
            Err(StoreError::Conflict) => continue,
            Err(StoreError::NoSuchCase) => return Err(super::cases::not_found(into_id)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::Internal(anyhow::anyhow!("cases {from_id} and {into_id} kept changing while merging")))
}

/// `/split <case> <signal>`.
pub(super) async fn split(ctx: &Ctx<'_>, id: CaseId, signal: i64) -> Result<Done, Failure> {
    let store = ctx.app.store.as_ref();
    for _ in 0..ATTEMPTS {
        let mut case = store.case(id).await?.ok_or_else(|| super::cases::not_found(id))?;
        if !case.state.is_on_ledger() {
            return Err(refuse(t!("merge-off-ledger", "case" => id.to_string(), "state" => format::state(case.state))));
        }
        let signals = store.case_signals(id).await?;
        let Some(chosen) = signals.iter().find(|s| s.id == signal) else {
            let ids = signals.iter().map(|s| s.id.to_string()).collect::<Vec<_>>().join(", ");
            return Err(refuse(t!("split-no-signal", "case" => id.to_string(), "signal" => signal, "signals" => ids)));
        };
        if signals.len() < 2 {
            return Err(refuse(t!("split-last-signal", "case" => id.to_string(), "signal" => signal)));
        }
        let (w, window) = weights(ctx);
        let grade: Grade = grading::reassess(&evidence(std::slice::from_ref(chosen)), 1, window, &w)
            .unwrap_or(ctx.app.config.default_grade);
        // A signal whose text the retention setting already cleared has no title left.
        let title = if chosen.signal.title.is_empty() {
            ctx.render(&t!("split-title", "signal" => signal, "case" => id.to_string()))
        } else {
            chosen.signal.title.clone()
        };
        let new = NewCase {
            team: case.team.clone(),
            title: title.clone(),
            summary: None,
            source: chosen.signal.url.clone().unwrap_or_else(|| chosen.signal.source.clone()),
            grade,
            owner: None,
            leader: Some(ctx.person.name.clone()),
            opened_by: ctx.person.name.clone(),
            drill: case.drill,
            opened_at: ctx.now,
        };
        let (new, duty, jobs) = super::clocks::opening(&ctx.app.config, store, new).await?;
        let by = ctx.person.display.clone();
        let mut outbox =
            ctx.notices(&Notice::Opened { title: title.clone(), summary: None, grade, by: by.clone(), similar: None });
        if let Some(duty) = duty {
            outbox.extend(ctx.notices(&duty));
        }
        case.updated_at = ctx.now;
        // `{case}` is the new case's number, written in by the commit (see `store::OtherCase`).
        let other_events = vec![ctx.event(EventAction::SplitOut, json!({ "signal": signal, "into": "{case}" }))];
        let other_outbox =
            ctx.notices(&Notice::SplitOut { title: case.title.clone(), signal, into: "{case}".into(), by });
        let details = json!({ "title": title, "grade": grade.as_str(), "source": new.source,
            "split_from": id.get(), "signal": signal });
        let commit = Commit {
            events: vec![ctx.event(EventAction::Opened, details)],
            outbox,
            handled: ctx.handled.clone(),
            jobs,
            others: vec![OtherCase { case, events: other_events, outbox: other_outbox }],
            moves: vec![SignalMove::One { from: id, signal }],
            ..Commit::new(CaseWrite::Insert(new), ctx.now)
        };
        match store.commit(commit).await {
            Ok(Some(new_id)) => {
                ctx.app.signals_moved(&[signal], new_id);
                return Ok(Done::Committed);
            }
            Ok(None) => return Ok(Done::Committed),
            Err(StoreError::Conflict) => continue,
            Err(StoreError::NoSuchCase) => return Err(super::cases::not_found(id)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::Internal(anyhow::anyhow!("case {id} kept changing while splitting")))
}
