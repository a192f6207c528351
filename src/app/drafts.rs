//! Replies and progress updates: drafted, approved by leaders, published by a spokesperson to
//! every public outlet at once (docs/ARCHITECTURE.md §1, rule 4).
//!
//! A draft lives in its case's event log (`draft_written`, `draft_approved`, ...): the log is
//! the timeline the team reads, and every decision about a draft is a case commit, so two
//! leaders pressing Approve at once are serialised by the case's version like any other
//! change. Whether a version may be approved or published is decided by the pure rule in
//! [`crate::domain::approval`], fed with what the log says.

mod card;

pub use card::{Card, card};

use super::statements::UpdateStatus;
use super::{Ctx, Done, Failure, Notice, format};
use crate::domain::approval::{self, Ballot, Concern, DraftRecord, DraftRef, DraftVersion, NotNow, Standing, Vote};
use crate::domain::{Case, CaseId, Event, EventAction, NewEvent};
use crate::i18n::Text;
use crate::store::{CaseWrite, Commit, NewOutbox, StoreError};
use crate::t;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::BTreeMap;

const ATTEMPTS: usize = 3;

/// One draft as its case's events tell it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub reference: DraftRef,
    /// Text by version (index 0 is version 1).
    pub texts: Vec<String>,
    /// A progress update's status (`/update`); `None` for a reply.
    pub status: Option<UpdateStatus>,
    pub record: DraftRecord,
    /// The last thing that happened to it: who, what, when.
    pub last: Option<(String, EventAction, DateTime<Utc>)>,
    /// The case its own case was merged into, which withdrew it: it waits for nothing now.
    pub withdrawn: Option<CaseId>,
}

impl Draft {
    /// A draft with no version yet, of a case now at `grade`.
    fn empty(reference: DraftRef, grade: crate::domain::Grade, status: Option<UpdateStatus>) -> Draft {
        Draft {
            reference,
            texts: vec![],
            status,
            record: DraftRecord { grade, authors: vec![], ballots: vec![], concerns: vec![], published: None },
            last: None,
            withdrawn: None,
        }
    }

    /// Adds a version.
    fn written(&mut self, author: &str, text: &str) {
        self.texts.push(text.to_string());
        self.record.authors.push(author.to_string());
    }

    pub fn latest(&self) -> u32 {
        self.record.latest()
    }

    pub fn text(&self, version: u32) -> &str {
        (version as usize).checked_sub(1).and_then(|i| self.texts.get(i)).map_or("", String::as_str)
    }
}

fn n_of(e: &Event) -> Option<u32> {
    let d = DraftRef::parse(e.details.get("draft")?.as_str()?)?;
    Some(d.n)
}

fn version_of(e: &Event) -> u32 {
    e.details.get("version").and_then(|v| v.as_u64()).and_then(|v| u32::try_from(v).ok()).unwrap_or(0)
}

/// Every draft of a case, by number.
pub fn drafts(case: &Case, events: &[Event]) -> BTreeMap<u32, Draft> {
    let mut out: BTreeMap<u32, Draft> = BTreeMap::new();
    for e in events {
        let Some(n) = n_of(e) else { continue };
        if e.action == EventAction::DraftWritten {
            let text = e.details.get("text").and_then(|t| t.as_str()).unwrap_or("");
            let status = e.details.get("status").and_then(|s| s.as_str()).and_then(UpdateStatus::parse);
            out.entry(n)
                .or_insert_with(|| Draft::empty(DraftRef { case: case.id, n }, case.grade, status))
                .written(&e.actor, text);
        }
        let Some(d) = out.get_mut(&n) else { continue };
        let reason = || e.details.get("reason").and_then(|r| r.as_str()).unwrap_or("").to_string();
        match e.action {
            EventAction::DraftApproved => d.record.ballots.push(Ballot {
                by: e.actor.clone(),
                version: version_of(e),
                vote: Vote::Approve,
                at: e.at,
            }),
            EventAction::DraftRejected => d.record.ballots.push(Ballot {
                by: e.actor.clone(),
                version: version_of(e),
                vote: Vote::Reject { reason: reason() },
                at: e.at,
            }),
            EventAction::ConcernRaised => d.record.concerns.push(Concern {
                by: e.actor.clone(),
                text: e.details.get("text").and_then(|t| t.as_str()).unwrap_or("").to_string(),
                raised_at: e.at,
                withdrawn_at: None,
            }),
            EventAction::ConcernWithdrawn => {
                for c in d.record.concerns.iter_mut().filter(|c| c.by == e.actor && c.withdrawn_at.is_none()) {
                    c.withdrawn_at = Some(e.at);
                }
            }
            EventAction::StatementPublished => d.record.published = Some((version_of(e), e.at)),
            EventAction::DraftWithdrawn => {
                d.withdrawn = e.details.get("into").and_then(|v| v.as_i64()).map(CaseId::from_db).or(Some(case.id))
            }
            _ => continue,
        }
        d.last = Some((e.actor.clone(), e.action, e.at));
    }
    out
}

/// What one decision about a draft records and sends.
struct Decision {
    events: Vec<NewEvent>,
    outbox: Vec<NewOutbox>,
    /// The draft whose card is to be drawn again.
    card: Option<DraftRef>,
}

/// Reads the case and its drafts, decides, commits; decides again if the case changed.
async fn decide(
    ctx: &Ctx<'_>,
    id: CaseId,
    f: impl Fn(&mut Case, &BTreeMap<u32, Draft>) -> Result<Decision, Failure>,
) -> Result<Done, Failure> {
    let store = ctx.app.store.as_ref();
    for _ in 0..ATTEMPTS {
        let mut case = store.case(id).await?.ok_or_else(|| super::cases::not_found(id))?;
        let before = case.clone();
        let drafts = drafts(&case, &store.events(id).await?);
        let mut decision = f(&mut case, &drafts)?;
        if let Some(draft) = decision.card {
            decision.outbox.extend(card_notices(ctx, draft));
        }
        let jobs = if super::clocks::moved(&before, &case) {
            super::clocks::reschedule(store, &ctx.app.config, &case, ctx.now).await?
        } else {
            vec![]
        };
        let commit = Commit {
            events: decision.events,
            outbox: decision.outbox,
            handled: ctx.handled.clone(),
            jobs,
            ..Commit::new(CaseWrite::Update(case), ctx.now)
        };
        match store.commit(commit).await {
            Ok(_) => return Ok(Done::Committed),
            Err(StoreError::Conflict) => continue,
            Err(StoreError::NoSuchCase) => return Err(super::cases::not_found(id)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::Internal(anyhow::anyhow!("case {id} kept changing while deciding about a draft")))
}

/// After a grade change, every unpublished draft's card is drawn again in the leaders' chat
/// and the team chat: the quorum is the grade's, so an "approved" card may need one more
/// leader now, or a waiting one may be approved. A lowered grade publishes nothing by
/// itself, even where bot.toml auto-publishes: publication follows a person's decision.
pub(crate) async fn redraw_after_regrade(
    store: &dyn crate::store::Store,
    config: &crate::config::Config,
    case: &Case,
) -> Result<Vec<NewOutbox>, StoreError> {
    let Some(team) = config.team(&case.team) else { return Ok(vec![]) };
    let leaders = team.leaders_chat.as_deref().unwrap_or(&team.team_chat);
    let mut chats = vec![leaders];
    if leaders != team.team_chat {
        chats.push(&team.team_chat);
    }
    let events = store.events(case.id).await?;
    let mut out = vec![];
    for draft in drafts(case, &events).values().filter(|d| d.record.published.is_none()) {
        let payload = Notice::DraftCard { draft: draft.reference.to_string() }.to_payload();
        for c in chats.iter().filter_map(|name| config.chat(name)) {
            out.push(NewOutbox { chat: c.name.clone(), platform: c.platform, payload: payload.clone() });
        }
    }
    Ok(out)
}

/// The draft card goes to the leaders (who approve) and to the chat the command came from.
fn card_notices(ctx: &Ctx<'_>, draft: DraftRef) -> Vec<NewOutbox> {
    let payload = Notice::DraftCard { draft: draft.to_string() }.to_payload();
    let leaders = ctx.team.leaders_chat.as_deref().unwrap_or(&ctx.team.team_chat);
    let mut chats = vec![leaders];
    if ctx.chat.name != leaders {
        chats.push(&ctx.chat.name);
    }
    chats
        .into_iter()
        .filter_map(|name| ctx.app.config.chat(name))
        .map(|c| NewOutbox { chat: c.name.clone(), platform: c.platform, payload: payload.clone() })
        .collect()
}

fn find(drafts: &BTreeMap<u32, Draft>, d: DraftRef) -> Result<&Draft, Failure> {
    drafts.get(&d.n).ok_or_else(|| Failure::User(t!("draft-not-found", "draft" => d.to_string())))
}

/// The version a command names: the one given, or the latest.
fn version(draft: &Draft, asked: DraftVersion) -> Result<u32, Failure> {
    match asked.version {
        Some(v) if v > draft.latest() || v == 0 => {
            Err(Failure::User(t!("draft-not-found", "draft" => asked.to_string())))
        }
        Some(v) => Ok(v),
        None => Ok(draft.latest()),
    }
}

/// A refusal from the rule, in the reader's words.
fn refusal(ctx: &Ctx<'_>, draft: &Draft, version: u32, why: NotNow) -> Failure {
    let d = draft.reference.to_string();
    let name = |n: &str| format::person(&ctx.app.config, n);
    Failure::User(match why {
        NotNow::Unknown => t!("draft-not-found", "draft" => d),
        NotNow::OwnDraft => t!("draft-own", "draft" => d),
        NotNow::AlreadyVoted => t!("draft-voted", "draft" => d, "version" => version),
        NotNow::AlreadyPublished => t!("draft-published", "draft" => d),
        NotNow::Superseded { latest } => t!("draft-superseded", "draft" => d, "version" => version, "latest" => latest),
        NotNow::Rejected { by } => t!("draft-rejected", "draft" => d, "version" => version, "by" => name(&by)),
        NotNow::Held { concerns } => {
            let mut people: Vec<String> = vec![];
            for person in concerns.iter().map(|c| name(&c.by)) {
                if !people.contains(&person) {
                    people.push(person);
                }
            }
            t!("draft-held", "draft" => d, "people" => people.join(", "))
        }
        NotNow::AlreadyApproved => t!("draft-approved-already", "draft" => d),
        NotNow::NotApproved { approvals, needed } => {
            t!("draft-not-approved", "draft" => d, "version" => version, "have" => approvals, "needed" => needed)
        }
    })
}

fn written(ctx: &Ctx<'_>, d: DraftRef, version: u32, text: &str, status: Option<UpdateStatus>) -> NewEvent {
    ctx.event(
        EventAction::DraftWritten,
        json!({ "draft": d.to_string(), "version": version, "text": text, "status": status.map(UpdateStatus::as_str) }),
    )
}

fn next_number(drafts: &BTreeMap<u32, Draft>) -> u32 {
    drafts.keys().next_back().map_or(1, |n| n + 1)
}

fn takes_drafts(case: &Case) -> Result<(), Failure> {
    if case.state.is_on_ledger() {
        Ok(())
    } else {
        Err(Failure::User(t!("draft-case-closed", "case" => case.id.to_string(), "state" => format::state(case.state))))
    }
}

/// `/draft <case> <text>`.
pub(super) async fn draft(ctx: &Ctx<'_>, id: CaseId, text: String) -> Result<Done, Failure> {
    decide(ctx, id, |case, drafts| {
        takes_drafts(case)?;
        let d = DraftRef { case: case.id, n: next_number(drafts) };
        Ok(Decision { events: vec![written(ctx, d, 1, &text, None)], outbox: vec![], card: Some(d) })
    })
    .await
}

/// `/redraft <draft> <text>`: a new version, which needs approving again.
pub(super) async fn redraft(ctx: &Ctx<'_>, d: DraftRef, text: String) -> Result<Done, Failure> {
    decide(ctx, d.case, |case, drafts| {
        takes_drafts(case)?;
        let draft = find(drafts, d)?;
        if draft.record.published.is_some() {
            return Err(refusal(ctx, draft, draft.latest(), NotNow::AlreadyPublished));
        }
        let event = written(ctx, d, draft.latest() + 1, &text, draft.status);
        Ok(Decision { events: vec![event], outbox: vec![], card: Some(d) })
    })
    .await
}

/// `/approve` and `/reject`: one leader's vote on one version. An approval that completes
/// the quorum publishes at once where bot.toml says so for the grade.
pub(super) async fn vote(ctx: &Ctx<'_>, asked: DraftVersion, reject: Option<String>) -> Result<Done, Failure> {
    let policy = &ctx.app.config.approvals.policy;
    decide(ctx, asked.draft.case, |case, drafts| {
        let mut draft = find(drafts, asked.draft)?.clone();
        let v = version(&draft, asked)?;
        approval::can_vote(&draft.record, v, &ctx.person.name, policy, ctx.now)
            .map_err(|why| refusal(ctx, &draft, v, why))?;
        let d = asked.draft.to_string();
        let (action, details, vote) = match &reject {
            Some(reason) => (
                EventAction::DraftRejected,
                json!({ "draft": d, "version": v, "reason": reason }),
                Vote::Reject { reason: reason.clone() },
            ),
            None => (EventAction::DraftApproved, json!({ "draft": d, "version": v }), Vote::Approve),
        };
        let mut events = vec![ctx.event(action, details)];
        let mut outbox = vec![];
        draft.record.ballots.push(Ballot { by: ctx.person.name.clone(), version: v, vote, at: ctx.now });
        let approved = matches!(approval::evaluate(&draft.record, v, policy, ctx.now), Standing::Approved { .. });
        // Without an outlet there is nowhere to publish: the approval still counts.
        if approved && ctx.app.config.approvals.auto_publish(case.grade) && !ctx.team.public_outlets.is_empty() {
            let (e, o) = publication(ctx, case, &draft, v, true)?;
            events.extend(e);
            outbox.extend(o);
        }
        Ok(Decision { events, outbox, card: Some(asked.draft) })
    })
    .await
}

/// `/concern <draft> <text>`: holds the draft until the same person withdraws it.
pub(super) async fn concern(ctx: &Ctx<'_>, d: DraftRef, text: String) -> Result<Done, Failure> {
    decide(ctx, d.case, |_, drafts| {
        let draft = find(drafts, d)?;
        if draft.record.published.is_some() {
            return Err(refusal(ctx, draft, draft.latest(), NotNow::AlreadyPublished));
        }
        let event = ctx.event(EventAction::ConcernRaised, json!({ "draft": d.to_string(), "text": text }));
        Ok(Decision { events: vec![event], outbox: vec![], card: Some(d) })
    })
    .await
}

/// `/withdraw <draft>`: the person's own standing concerns end.
pub(super) async fn withdraw(ctx: &Ctx<'_>, d: DraftRef) -> Result<Done, Failure> {
    decide(ctx, d.case, |_, drafts| {
        let draft = find(drafts, d)?;
        if !draft.record.concerns.iter().any(|c| c.by == ctx.person.name && c.standing(ctx.now)) {
            return Err(Failure::User(t!("concern-none", "draft" => d.to_string())));
        }
        let event = ctx.event(EventAction::ConcernWithdrawn, json!({ "draft": d.to_string() }));
        Ok(Decision { events: vec![event], outbox: vec![], card: Some(d) })
    })
    .await
}

/// `/publish <draft>`: only the approved latest version, once.
pub(super) async fn publish(ctx: &Ctx<'_>, asked: DraftVersion) -> Result<Done, Failure> {
    let policy = &ctx.app.config.approvals.policy;
    decide(ctx, asked.draft.case, |case, drafts| {
        let draft = find(drafts, asked.draft)?;
        let v = version(draft, asked)?;
        approval::can_publish(&draft.record, v, policy, ctx.now).map_err(|why| refusal(ctx, draft, v, why))?;
        let (events, outbox) = publication(ctx, case, draft, v, false)?;
        Ok(Decision { events, outbox, card: Some(asked.draft) })
    })
    .await
}

/// `/update <case> <status> <text>`: a progress update, drafted, and published at once if
/// bot.toml pre-approves updates for the case's grade.
pub(super) async fn update(ctx: &Ctx<'_>, id: CaseId, status: UpdateStatus, text: String) -> Result<Done, Failure> {
    decide(ctx, id, |case, drafts| {
        takes_drafts(case)?;
        let d = DraftRef { case: case.id, n: next_number(drafts) };
        let mut events = vec![written(ctx, d, 1, &text, Some(status))];
        let mut outbox = vec![];
        if ctx.app.config.approvals.preapproved_update(case.grade) {
            let mut draft = Draft::empty(d, case.grade, Some(status));
            draft.written(&ctx.person.name, &text);
            let (e, o) = publication(ctx, case, &draft, 1, false)?;
            events.extend(e);
            outbox.extend(o);
        }
        Ok(Decision { events, outbox, card: Some(d) })
    })
    .await
}

/// Publishing one version: the exact text to every public outlet of the team (a drill goes
/// nowhere public), the statement on the case's timeline, the first-response clock stopped,
/// and a `resolved` update resolving the case; all in the caller's commit.
fn publication(
    ctx: &Ctx<'_>,
    case: &mut Case,
    draft: &Draft,
    version: u32,
    auto: bool,
) -> Result<(Vec<NewEvent>, Vec<NewOutbox>), Failure> {
    let outlets: Vec<&crate::config::Chat> =
        ctx.team.public_outlets.iter().filter_map(|name| ctx.app.config.chat(name)).collect();
    // A drill's statement goes nowhere, so a team without outlets can still rehearse one.
    if outlets.is_empty() && !case.drill {
        return Err(Failure::User(t!("publish-no-outlets")));
    }
    let text = draft.text(version).to_string();
    let statement = Notice::Statement { text: text.clone() }.to_payload();
    // A drill's statement goes to the team's sandbox outlet if it has one, else nowhere; its
    // record and notice name only where it really went.
    let outlets: Vec<&crate::config::Chat> = if case.drill {
        ctx.team.sandbox_outlet.iter().filter_map(|name| ctx.app.config.chat(name)).collect()
    } else {
        outlets
    };
    let mut outbox: Vec<NewOutbox> = outlets
        .iter()
        .map(|c| NewOutbox { chat: c.name.clone(), platform: c.platform, payload: statement.clone() })
        .collect();
    let names: Vec<&str> = outlets.iter().map(|c| c.name.as_str()).collect();
    let mut events = vec![ctx.event(
        EventAction::StatementPublished,
        json!({ "draft": draft.reference.to_string(), "version": version, "text": text,
            "status": draft.status.map(UpdateStatus::as_str), "outlets": names, "auto": auto, "drill": case.drill }),
    )];
    case.published(ctx.now);
    if draft.status == Some(UpdateStatus::Resolved) && case.state.is_active() {
        case.resolve(&text, ctx.now)?;
        events.push(ctx.event(EventAction::Resolved, json!({ "summary": text })));
    }
    let notice = Notice::Published {
        title: case.title.clone(),
        draft: draft.reference.to_string(),
        outlets: names.join(", "),
        by: ctx.person.display.clone(),
    };
    outbox.extend(ctx.notices(&notice));
    Ok((events, outbox))
}

/// A draft's text for the chat that asked (`/status` shows the drafts of a case).
pub fn summary_line(draft: &Draft, policy: &approval::ApprovalPolicy, now: DateTime<Utc>) -> Text {
    let d = draft.reference.to_string();
    let v = draft.latest();
    if let Some(into) = draft.withdrawn {
        return t!("draft-line-withdrawn", "draft" => d, "version" => v, "into" => into.to_string());
    }
    match approval::evaluate(&draft.record, v, policy, now) {
        Standing::Published { .. } => t!("draft-line-published", "draft" => d, "version" => v),
        Standing::Rejected { .. } => t!("draft-line-rejected", "draft" => d, "version" => v),
        Standing::Held { .. } => t!("draft-line-held", "draft" => d, "version" => v),
        Standing::Approved { .. } => t!("draft-line-approved", "draft" => d, "version" => v),
        Standing::Waiting { approvals, needed } => {
            t!("draft-line-waiting", "draft" => d, "version" => v, "have" => approvals.len(), "needed" => needed)
        }
        Standing::Superseded { .. } | Standing::Unknown => t!("draft-line-waiting", "draft" => d, "version" => v,
            "have" => 0_usize, "needed" => policy.needed(draft.record.grade)),
    }
}
