//! What the public may see: published statements, and nothing else (docs/ARCHITECTURE.md §1, rule 4).
//!
//! Read from the cases' `statement_published` events, the same record the team's timeline
//! shows. Drafts, owners, internal notes and drills never appear: a public case is a case
//! that is not a drill and has at least one published statement, and all it shows is those
//! statements. Even its headline comes from its first statement, not from the case title
//! (which may quote an internal alert or a member of the public).

use crate::domain::{Case, CaseId, Event, EventAction};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The status a progress update announces (`/update`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl UpdateStatus {
    pub const ALL: [UpdateStatus; 4] =
        [UpdateStatus::Investigating, UpdateStatus::Identified, UpdateStatus::Monitoring, UpdateStatus::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::Investigating => "investigating",
            UpdateStatus::Identified => "identified",
            UpdateStatus::Monitoring => "monitoring",
            UpdateStatus::Resolved => "resolved",
        }
    }

    /// Its name in the reader's language (as the status page shows it).
    pub fn label(self) -> crate::i18n::Text {
        match self {
            UpdateStatus::Investigating => crate::t!("page-status-investigating"),
            UpdateStatus::Identified => crate::t!("page-status-identified"),
            UpdateStatus::Monitoring => crate::t!("page-status-monitoring"),
            UpdateStatus::Resolved => crate::t!("page-status-resolved"),
        }
    }

    pub fn parse(s: &str) -> Option<UpdateStatus> {
        UpdateStatus::ALL.into_iter().find(|u| u.as_str().eq_ignore_ascii_case(s))
    }
}

/// One published statement, exactly as it went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Its place among the case's published statements (1, 2, …): its public name, which
    /// says nothing of drafts that were never published.
    pub number: usize,
    /// For progress updates, the status it announced.
    pub status: Option<UpdateStatus>,
    pub text: String,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicCase {
    pub case: CaseId,
    /// The first line of its first statement, at most [`HEADLINE`] characters.
    pub headline: String,
    /// Oldest first; never empty.
    pub statements: Vec<Statement>,
    /// When the team finished the case (resolved, closed or dismissed it), whether or not a
    /// statement said so: the page must not call it in progress for ever.
    pub finished_at: Option<DateTime<Utc>>,
}

pub const HEADLINE: usize = 120;

impl PublicCase {
    /// The latest status announced, if any update announced one.
    pub fn status(&self) -> Option<UpdateStatus> {
        self.statements.iter().rev().find_map(|s| s.status)
    }

    /// Over for the public: a published `resolved` update said so, or the team finished it.
    pub fn is_over(&self) -> bool {
        self.finished_at.is_some() || self.status() == Some(UpdateStatus::Resolved)
    }

    /// Finished by the team without a published `resolved` update: shown as "closed".
    pub fn closed_quietly(&self) -> bool {
        self.finished_at.is_some() && self.status() != Some(UpdateStatus::Resolved)
    }

    /// Its last statement, or its finishing if that came later (the page changed then).
    pub fn updated_at(&self) -> DateTime<Utc> {
        let said = self.statements.last().map_or(DateTime::UNIX_EPOCH, |s| s.published_at);
        self.finished_at.map_or(said, |f| f.max(said))
    }
}

/// The published statements of one case, oldest first; `None` for a drill or a case that
/// has published nothing.
pub async fn of_case(store: &dyn Store, case: CaseId) -> Result<Option<PublicCase>, StoreError> {
    let Some(c) = store.case(case).await? else { return Ok(None) };
    let events = store.events(case).await?;
    Ok(public(&c, events.iter().filter(|e| e.action == EventAction::StatementPublished)))
}

/// Every public case, the most recently updated first: one read of the published
/// statements, then only the cases that have any.
pub async fn public_cases(store: &dyn Store) -> Result<Vec<PublicCase>, StoreError> {
    let mut by_case: BTreeMap<CaseId, Vec<Event>> = BTreeMap::new();
    for e in store.events_of_kind(EventAction::StatementPublished).await? {
        if let Some(case) = e.case {
            by_case.entry(case).or_default().push(e);
        }
    }
    let mut out = vec![];
    for (id, events) in by_case {
        if let Some(c) = store.case(id).await?
            && let Some(public) = public(&c, events.iter())
        {
            out.push(public);
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse((c.updated_at(), c.case)));
    Ok(out)
}

/// A case as the public sees it, from its `statement_published` events (oldest first).
fn public<'a>(c: &Case, published: impl Iterator<Item = &'a Event>) -> Option<PublicCase> {
    if c.drill {
        return None;
    }
    let statements: Vec<Statement> = published
        .filter_map(|e| {
            Some(Statement {
                number: 0,
                status: e.details.get("status").and_then(|s| s.as_str()).and_then(UpdateStatus::parse),
                text: e.details.get("text")?.as_str()?.to_string(),
                published_at: e.at,
            })
        })
        .enumerate()
        .map(|(i, s)| Statement { number: i + 1, ..s })
        .collect();
    let first = statements.first()?;
    let headline = super::format::first_line(&first.text, HEADLINE);
    let finished_at = (!c.state.is_active()).then(|| c.closed_at.or(c.resolved_at).unwrap_or(c.updated_at));
    Some(PublicCase { case: c.id, headline, statements, finished_at })
}
