//! The draft card: posted to the leaders' chat when a draft is written and edited in place
//! as leaders approve, reject or hold it, so everyone sees who approved and what is missing.
//! Drawn at delivery from the case's log, like the case card, so it is never stale.

use super::{Draft, drafts};
use crate::app::card::{CardButton, CardView, Press};
use crate::app::format;
use crate::config::Config;
use crate::domain::approval::{self, DraftRef, DraftVersion, Standing};
use crate::domain::{EventAction, Locale};
use crate::i18n::{I18n, Text};
use crate::store::{Store, StoreError};
use crate::t;
use chrono::{DateTime, Utc};

/// Characters of the concerns or of a rejection's reason shown on the card (each may be
/// 2,000 long). With the longest statement and title this keeps the card within one Telegram
/// message; the whole text is on the case's timeline.
const CARD_NOTE: usize = 200;

/// A drawn draft card, and the same as plain text for platforms without cards.
pub struct Card {
    pub view: CardView,
}

impl Card {
    pub fn text(&self) -> String {
        let v = &self.view;
        let mut lines = vec![v.headline.clone()];
        lines.extend(v.summary.clone());
        lines.extend(v.facts.iter().cloned());
        lines.push(v.last.clone());
        lines.join("\n")
    }
}

/// The card of one draft as the log stands now; `None` if there is no such draft.
pub async fn card(
    store: &dyn Store,
    config: &Config,
    i18n: &I18n,
    locale: Locale,
    d: DraftRef,
    now: DateTime<Utc>,
) -> Result<Option<Card>, StoreError> {
    let Some(case) = store.case(d.case).await? else { return Ok(None) };
    let all = drafts(&case, &store.events(d.case).await?);
    let Some(draft) = all.get(&d.n) else { return Ok(None) };
    let mut view = view(draft, &case.title, config, i18n, locale, now);
    if case.drill {
        view.facts.insert(0, i18n.render(locale, &t!("status-drill")));
    }
    Ok(Some(Card { view }))
}

fn view(draft: &Draft, title: &str, config: &Config, i18n: &I18n, locale: Locale, now: DateTime<Utc>) -> CardView {
    let r = |text: Text| i18n.render(locale, &text);
    let person = |n: &str| format::person(config, n);
    let names = |list: &[String]| list.iter().map(|n| person(n)).collect::<Vec<_>>().join(", ");
    let d = draft.reference.to_string();
    let v = draft.latest();
    let kind = match draft.status {
        Some(s) => r(t!("draft-card-update", "status" => r(s.label()))),
        None => r(t!("draft-card-reply")),
    };
    let headline = r(t!("draft-card-head", "kind" => kind, "draft" => d.as_str(), "version" => v,
        "case" => draft.reference.case.to_string(), "title" => title));
    let author = draft.record.author(v).unwrap_or("");
    let mut facts = vec![r(t!("draft-card-author", "author" => person(author)))];
    let policy = &config.approvals.policy;
    let standing = approval::evaluate(&draft.record, v, policy, now);
    // A held draft still shows who approved it: what is missing is the concern's withdrawal.
    let held_approvals = match &standing {
        Standing::Held { approvals, needed, .. } if !approvals.is_empty() => Some(r(
            t!("draft-card-waiting", "have" => approvals.len(), "needed" => *needed, "people" => names(approvals)),
        )),
        _ => None,
    };
    facts.push(r(match &standing {
        // A withdrawn draft waits for nothing: no approval can publish it.
        _ if draft.withdrawn.is_some() => {
            t!("draft-card-withdrawn", "into" => draft.withdrawn.map(|c| c.to_string()).unwrap_or_default())
        }
        Standing::Waiting { approvals, needed } if approvals.is_empty() => {
            t!("draft-card-waiting-none", "needed" => *needed)
        }
        Standing::Waiting { approvals, needed } => {
            t!("draft-card-waiting", "have" => approvals.len(), "needed" => *needed, "people" => names(approvals))
        }
        Standing::Approved { approvals } => {
            t!("draft-card-approved", "people" => names(approvals), "draft" => d.as_str())
        }
        Standing::Held { concerns, .. } => {
            let list = concerns.iter().map(|c| format!("{}: {}", person(&c.by), c.text)).collect::<Vec<_>>().join("; ");
            t!("draft-card-held", "concerns" => format::shorten(&list, CARD_NOTE))
        }
        Standing::Rejected { by, reason } => {
            let reason = crate::app::card::rejection_reason(i18n, locale, reason);
            t!("draft-card-rejected", "by" => person(by), "reason" => format::shorten(&reason, CARD_NOTE))
        }
        Standing::Published { at } => t!("draft-card-published", "time" => format::time(*at)),
        Standing::Superseded { .. } | Standing::Unknown => {
            t!("draft-card-waiting-none", "needed" => policy.needed(draft.record.grade))
        }
    }));
    facts.extend(held_approvals);
    let last = match &draft.last {
        Some((actor, action, _)) => {
            let what = match action {
                EventAction::DraftWritten => t!("event-draft-written", "draft" => d.as_str(), "version" => v),
                EventAction::DraftApproved => t!("event-draft-approved", "draft" => d.as_str(), "version" => v),
                EventAction::DraftRejected => t!("draft-card-last-rejected"),
                EventAction::ConcernRaised => t!("draft-card-last-concern"),
                EventAction::ConcernWithdrawn => t!("event-concern-withdrawn", "draft" => d.as_str()),
                EventAction::DraftWithdrawn => t!("event-draft-withdrawn",
                    "draft" => d.as_str(), "into" => draft.withdrawn.map(|c| c.to_string()).unwrap_or_default()),
                _ => t!("event-statement-published", "draft" => d.as_str(), "version" => v),
            };
            r(t!("card-last", "by" => person(actor), "what" => what))
        }
        None => String::new(),
    };
    let mut buttons = vec![];
    if matches!(standing, Standing::Waiting { .. }) && draft.withdrawn.is_none() {
        let this = DraftVersion { draft: draft.reference, version: Some(v) };
        buttons.push(CardButton { label: r(t!("button-approve")), press: Press::Approve(this) });
        buttons.push(CardButton { label: r(t!("button-reject")), press: Press::Reject(this) });
    }
    CardView {
        case: draft.reference.case,
        slot: Some(format!("draft{}", draft.reference.n)),
        headline,
        summary: Some(draft.text(v).to_string()),
        facts,
        last,
        buttons,
        colour: Some(config.grade(draft.record.grade).colour.clone()),
    }
}
