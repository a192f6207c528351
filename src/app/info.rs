//! Commands that answer questions (and `/lang`, the one chat setting).

use super::cases::not_found;
use super::{Ctx, Done, Failure, Notice, format};
use crate::command::{self, ListScope};
use crate::domain::grading::Explanation;
use crate::domain::{CaseId, Event, EventAction, Grade, Locale};
use crate::i18n::Text;
use crate::store::{CaseFilter, CaseWrite, Commit};
use crate::t;
use serde_json::json;

/// How many cases `/list` shows at most.
const LIST_LIMIT: usize = 20;
/// `/status` lists a case's latest signals, up to this many, each title cut to `SIGNAL_TITLE`.
const SIGNALS_SHOWN: usize = 10;
const SIGNAL_TITLE: usize = 80;

pub(super) fn help(ctx: &Ctx<'_>, topic: Option<&str>) -> Done {
    let Some(topic) = topic else {
        let mut out = vec![ctx.render(&t!("help-header"))];
        for spec in command::SPECS {
            let usage = ctx.render(&Text::new(spec.usage_key()));
            let help = ctx.render(&Text::new(spec.help_key()));
            out.push(format!("{usage} — {help}"));
        }
        out.push(ctx.render(&t!("help-footer")));
        return Done::Reply(out.join("\n"));
    };
    let Some(spec) = command::spec(topic) else {
        return Done::Reply(ctx.render(&t!("command-unknown", "name" => topic)));
    };
    let who = match spec.action.allowed_roles() {
        [] => ctx.render(&t!("help-anyone")),
        roles => {
            ctx.render(&t!("help-needs", "roles" => format::roles(&ctx.app.i18n, ctx.locale, roles.iter().copied())))
        }
    };
    let lines = [ctx.render(&Text::new(spec.usage_key())), ctx.render(&Text::new(spec.help_key())), who];
    Done::Reply(lines.join("\n"))
}

pub(super) fn whoami(ctx: &Ctx<'_>) -> Done {
    let p = ctx.person;
    let identities =
        p.identities.iter().map(|(platform, id)| format!("{platform} {id}")).collect::<Vec<_>>().join(", ");
    Done::Reply(ctx.render(&t!("whoami",
        "display" => p.display.as_str(),
        "name" => p.name.as_str(),
        "roles" => format::role_set(&ctx.app.i18n, ctx.locale, p.roles),
        "team" => ctx.team.name.as_str(),
        "identities" => identities,
        "locale" => ctx.locale.as_str())))
}

pub(super) async fn overview(ctx: &Ctx<'_>) -> Result<Done, Failure> {
    let cases = ctx.app.store.cases(&CaseFilter { on_ledger: true, ..CaseFilter::default() }).await?;
    if cases.is_empty() {
        return Ok(Done::Reply(ctx.render(&t!("status-empty"))));
    }
    let by_grade = Grade::ALL
        .iter()
        .map(|g| {
            let n = cases.iter().filter(|c| c.grade == *g).count();
            format!("{} {g}: {n}", ctx.app.config.grade(*g).emoji)
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let unowned = cases.iter().filter(|c| c.owner.is_none() && c.state.is_active()).count();
    let mine = cases.iter().filter(|c| c.owner.as_deref() == Some(ctx.person.name.as_str())).count();
    Ok(Done::Reply(ctx.render(&t!("status-overview",
        "count" => cases.len(), "by_grade" => by_grade, "unowned" => unowned, "mine" => mine))))
}

pub(super) async fn status(ctx: &Ctx<'_>, id: CaseId) -> Result<Done, Failure> {
    let store = &ctx.app.store;
    let case = store.case(id).await?.ok_or_else(|| not_found(id))?;
    let events = store.events(id).await?;
    let config = &ctx.app.config;
    let nobody = || ctx.render(&t!("nobody"));
    let mut out = vec![format!("{} {} {}", config.grade(case.grade).emoji, case.id, case.title)];
    if let Some(s) = &case.summary {
        out.push(s.clone());
    }
    out.push(ctx.render(&t!("status-grade-state",
        "grade" => format::grade(config, case.grade, ctx.locale), "state" => format::state(case.state))));
    out.push(ctx.render(&t!("status-people",
        "owner" => case.owner.as_deref().map_or_else(nobody, |o| format::person(config, o)),
        "leader" => case.leader.as_deref().map_or_else(nobody, |l| format::person(config, l)))));
    out.push(ctx.render(&t!("status-opened",
        "time" => format::time(case.opened_at),
        "by" => format::person(config, &case.opened_by),
        "source" => case.source.as_str())));
    if let Some(r) = &case.resolution {
        out.push(ctx.render(&t!("status-resolution", "summary" => r.as_str())));
    }
    if let Some(r) = &case.dismissal {
        out.push(ctx.render(&t!("status-dismissal", "reason" => r.as_str())));
    }
    if let Some(into) = case.merged_into {
        out.push(ctx.render(&t!("status-merged", "into" => into.to_string())));
    }
    let clocks = super::clocks::running(store.as_ref(), config, &case, ctx.now).await?;
    out.extend(super::card::clocks_line(&clocks, &ctx.app.i18n, ctx.locale));
    out.extend(super::card::alert_lines(&store.case_alerts(id).await?, &ctx.app.i18n, ctx.locale));
    if case.drill {
        out.push(ctx.render(&t!("status-drill")));
    }
    let signals = store.case_signals(id).await?;
    if let Some(latest) = signals.last() {
        let mut sources: Vec<&str> = signals.iter().map(|s| s.signal.source.as_str()).collect();
        sources.sort_unstable();
        sources.dedup();
        out.push(ctx.render(&t!("status-sources", "count" => sources.len(), "sources" => sources.join(", "))));
        if let Ok(why) = serde_json::from_str::<Explanation>(&latest.signal.explanation) {
            out.push(explain(ctx, &why));
        }
        // Numbered, so that a leader can name one to `/split`.
        out.push(ctx.render(&t!("status-signals")));
        for s in signals.iter().rev().take(SIGNALS_SHOWN) {
            out.push(ctx.render(&t!("status-signal", "signal" => s.id, "source" => s.signal.source.as_str(),
                "title" => format::shorten(&s.signal.title, SIGNAL_TITLE))));
        }
        if signals.len() > SIGNALS_SHOWN {
            out.push(ctx.render(&t!("status-signals-more", "count" => signals.len() - SIGNALS_SHOWN)));
        }
    }
    let drafts = super::drafts::drafts(&case, &events);
    if !drafts.is_empty() {
        out.push(ctx.render(&t!("status-drafts")));
        let policy = &config.approvals.policy;
        out.extend(drafts.values().map(|d| ctx.render(&super::drafts::summary_line(d, policy, ctx.now))));
    }
    out.push(ctx.render(&t!("status-history")));
    out.extend(events.iter().map(|e| history_line(ctx, e)));
    Ok(Done::Reply(out.join("\n")))
}

/// `safety ×2 (燃气, 泄漏) · attention 2.1 · source weight 0.8 · 7 sources in 1 h → II`
fn explain(ctx: &Ctx<'_>, e: &Explanation) -> String {
    let mut parts: Vec<String> = e
        .categories
        .iter()
        .map(|c| {
            ctx.render(
                &t!("why-category", "name" => c.name.as_str(), "count" => c.count, "terms" => c.terms.join(", ")),
            )
        })
        .collect();
    parts.push(ctx.render(&t!("why-attention", "value" => format!("{:.1}", e.attention))));
    parts.push(ctx.render(&t!("why-weight", "value" => format!("{:.1}", e.source_weight))));
    let window = match e.window_secs {
        s if s % 3600 == 0 => ctx.render(&t!("why-hours", "n" => (s / 3600) as i64)),
        s => ctx.render(&t!("why-minutes", "n" => (s / 60) as i64)),
    };
    parts.push(ctx.render(&t!("why-sources", "count" => e.sources, "window" => window)));
    if let Some(s) = &e.severity {
        let floor =
            t!("why-severity", "label" => s.label.as_str(), "value" => s.value.as_str(), "grade" => s.grade.as_str());
        parts.push(ctx.render(&floor));
    }
    ctx.render(&t!("status-why", "parts" => parts.join(" · "), "grade" => e.grade.as_str()))
}

fn number(e: &Event, key: &str) -> i64 {
    e.details.get(key).and_then(|v| v.as_i64()).unwrap_or(0)
}

/// A detail written as a number or as a string of digits (`/split`'s new case number is filled
/// into a string by the store).
fn detail_or_number(e: &Event, key: &str) -> String {
    match e.details.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

fn history_line(ctx: &Ctx<'_>, e: &Event) -> String {
    let detail = |key: &str| e.details.get(key).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let config = &ctx.app.config;
    let what = match e.action {
        EventAction::Opened if e.details.get("split_from").is_some() => t!("event-split-from",
            "grade" => detail("grade"), "case" => format!("#{}", number(e, "split_from")), "signal" => number(e, "signal")),
        EventAction::Opened => t!("event-opened", "grade" => detail("grade")),
        EventAction::Acknowledged => t!("event-acknowledged"),
        EventAction::Claimed => t!("event-claimed"),
        EventAction::Assigned => t!("event-assigned", "owner" => format::person(config, &detail("owner"))),
        EventAction::Regraded => t!("event-regraded", "from" => detail("from"), "to" => detail("to")),
        EventAction::Resolved => t!("event-resolved", "summary" => detail("summary")),
        EventAction::Reopened if e.details.get("alerts").is_some() => {
            t!("event-alert-refired", "alerts" => detail("alerts"))
        }
        EventAction::Reopened => t!("event-reopened"),
        EventAction::Dismissed => t!("event-dismissed", "reason" => detail("reason")),
        EventAction::Closed => t!("event-closed"),
        EventAction::LanguageChanged => t!("event-language", "locale" => detail("locale")),
        EventAction::SignalAdded if e.details.get("alert").is_some() => {
            t!("event-alert-fired", "name" => detail("alert"), "grade" => detail("grade"))
        }
        EventAction::SignalAdded => {
            // The name the sender gave is shown as a label beside the source it authenticated as.
            let source = match e.details.get("label").and_then(|v| v.as_str()) {
                Some(label) => ctx.render(&t!("source-labelled", "source" => detail("source"), "label" => label)),
                None => detail("source"),
            };
            t!("event-signal", "source" => source, "grade" => detail("grade"))
        }
        EventAction::Noted => t!("event-noted", "text" => detail("text")),
        EventAction::ClockExtended => t!("event-clock-extended",
            "clock" => detail("clock"), "extra" => detail("extra"), "reason" => detail("reason")),
        EventAction::ClockBreached => t!("event-clock-breached", "clock" => detail("clock")),
        EventAction::DraftWritten => {
            t!("event-draft-written", "draft" => detail("draft"), "version" => number(e, "version"))
        }
        EventAction::DraftApproved => {
            t!("event-draft-approved", "draft" => detail("draft"), "version" => number(e, "version"))
        }
        EventAction::DraftRejected => t!("event-draft-rejected",
            "draft" => detail("draft"), "version" => number(e, "version"),
            "reason" => super::card::rejection_reason(&ctx.app.i18n, ctx.locale, &detail("reason"))),
        EventAction::ConcernRaised => t!("event-concern-raised", "draft" => detail("draft"), "text" => detail("text")),
        EventAction::ConcernWithdrawn => t!("event-concern-withdrawn", "draft" => detail("draft")),
        EventAction::StatementPublished => {
            t!("event-statement-published", "draft" => detail("draft"), "version" => number(e, "version"))
        }
        EventAction::MergedInto => t!("event-merged-into", "into" => format!("#{}", number(e, "into"))),
        EventAction::MergedFrom => t!("event-merged-from",
            "from" => format!("#{}", number(e, "from")), "signals" => number(e, "signals"), "grade" => detail("grade")),
        EventAction::SplitOut => {
            t!("event-split-out", "signal" => number(e, "signal"), "into" => format!("#{}", detail_or_number(e, "into")))
        }
        EventAction::DraftWithdrawn => t!("event-draft-withdrawn",
            "draft" => detail("draft"), "into" => format!("#{}", number(e, "into"))),
        // Not about one case: never in a case's history.
        EventAction::WatchStarted
        | EventAction::WatchEnded
        | EventAction::DutySwapped
        | EventAction::DrillStarted
        | EventAction::DrillStopped
        | EventAction::DrillReported => {
            t!("event-noted", "text" => e.action.as_str())
        }
    };
    ctx.render(&t!("history-line",
        "time" => format::time(e.at),
        "actor" => format::person(config, &e.actor),
        "what" => what,
        "platform" => e.platform.as_str()))
}

pub(super) async fn list(ctx: &Ctx<'_>, scope: ListScope) -> Result<Done, Failure> {
    let filter = CaseFilter {
        on_ledger: scope != ListScope::All,
        owner: (scope == ListScope::Mine).then(|| ctx.person.name.clone()),
        limit: Some(LIST_LIMIT as i64 + 1),
    };
    let cases = ctx.app.store.cases(&filter).await?;
    if cases.is_empty() {
        return Ok(Done::Reply(ctx.render(&t!("list-empty"))));
    }
    let header = match scope {
        ListScope::Open => t!("list-header-open"),
        ListScope::Mine => t!("list-header-mine"),
        ListScope::All => t!("list-header-all"),
    };
    let mut out = vec![ctx.render(&header)];
    let config = &ctx.app.config;
    out.extend(cases.iter().take(LIST_LIMIT).map(|c| format::case_line(config, &ctx.app.i18n, ctx.locale, c)));
    if cases.len() > LIST_LIMIT {
        out.push(ctx.render(&t!("list-more", "limit" => LIST_LIMIT)));
    }
    Ok(Done::Reply(out.join("\n")))
}

/// Sets this chat's language. The confirmation goes through the outbox like any other
/// consequence of a change, and is rendered in the new language.
pub(super) async fn lang(ctx: &Ctx<'_>, locale: Locale) -> Result<Done, Failure> {
    let notice = Notice::LanguageChanged { by: ctx.person.display.clone() };
    let chat = ctx.chat;
    let outbox = vec![crate::store::NewOutbox {
        chat: chat.name.clone(),
        platform: chat.platform,
        payload: notice.to_payload(),
    }];
    ctx.app
        .store
        .commit(Commit {
            events: vec![
                ctx.event(EventAction::LanguageChanged, json!({ "chat": chat.name, "locale": locale.as_str() })),
            ],
            outbox,
            chat_locale: Some((chat.name.clone(), locale)),
            handled: ctx.handled.clone(),
            ..Commit::new(CaseWrite::None, ctx.now)
        })
        .await?;
    Ok(Done::Committed)
}
