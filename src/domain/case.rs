//! A case: one story the team is working, from first sighting to closure.
//!
//! ```text
//! open ──ack──► acknowledged ──owner──► responding ──resolve──► resolved ──close──► closed
//!   │  (ack with an owner goes straight to responding)  ▲             │               │
//!   └──────────── dismiss (leader, reason) ─► dismissed └── reopen ◄──┴───────────────┘
//! ```
//! Every transition is a method that takes `now` and either changes the case or explains,
//! as a [`TransitionError`], why it cannot.

use super::Grade;
use chrono::{DateTime, Utc};
use std::fmt;

/// A case number as people write it: `42` or `#42`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(i64);

impl CaseId {
    pub fn parse(s: &str) -> Option<CaseId> {
        let digits = s.strip_prefix('#').unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i64>().ok().filter(|n| *n > 0).map(CaseId)
    }

    /// For rows read back from the store, which only ever holds ids it generated.
    pub fn from_db(n: i64) -> CaseId {
        CaseId(n)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    Open,
    Acknowledged,
    Responding,
    Resolved,
    Closed,
    Dismissed,
}

impl CaseState {
    pub const ALL: [CaseState; 6] = [
        CaseState::Open,
        CaseState::Acknowledged,
        CaseState::Responding,
        CaseState::Resolved,
        CaseState::Closed,
        CaseState::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Open => "open",
            CaseState::Acknowledged => "acknowledged",
            CaseState::Responding => "responding",
            CaseState::Resolved => "resolved",
            CaseState::Closed => "closed",
            CaseState::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Still being worked: someone owes the public an answer.
    pub fn is_active(self) -> bool {
        matches!(self, CaseState::Open | CaseState::Acknowledged | CaseState::Responding)
    }

    /// Still on the ledger: not closed and not dismissed (a resolved case awaits closing).
    pub fn is_on_ledger(self) -> bool {
        !matches!(self, CaseState::Closed | CaseState::Dismissed)
    }
}

/// What a person tried to do to a case, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Acknowledge,
    Assign,
    Regrade,
    Resolve,
    Reopen,
    Dismiss,
    Close,
    /// Being merged into another case, or taking one in (`/merge`).
    Merge,
    /// Giving a signal to a new case (`/split`).
    Split,
}

/// Why a transition cannot happen. Each is a user error, shown to the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Asking for a state the case is already in (or past, for `/ack`).
    #[error("case {case} is already {state:?}")]
    Already { case: CaseId, state: CaseState },
    #[error("case {case} cannot {what:?} while {state:?}")]
    NotWhile { case: CaseId, what: Transition, state: CaseState },
    #[error("case {case} must be resolved before it is closed")]
    CloseNeedsResolve { case: CaseId, state: CaseState },
    #[error("case {case} is already grade {grade}")]
    SameGrade { case: CaseId, grade: Grade },
    #[error("case {case} is already owned by {owner}")]
    SameOwner { case: CaseId, owner: String },
}

/// A case about to be opened; the store assigns its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub team: String,
    pub title: String,
    pub summary: Option<String>,
    pub source: String,
    pub grade: Grade,
    /// Named from the start (the person on duty); the case still waits for its `/ack`.
    pub owner: Option<String>,
    pub leader: Option<String>,
    pub opened_by: String,
    pub drill: bool,
    pub opened_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: CaseId,
    pub team: String,
    pub title: String,
    pub summary: Option<String>,
    pub source: String,
    pub grade: Grade,
    pub state: CaseState,
    pub owner: Option<String>,
    pub leader: Option<String>,
    pub opened_by: String,
    pub drill: bool,
    pub resolution: Option<String>,
    pub dismissal: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When the first statement about the case was published: the first-response clock
    /// stops here.
    pub responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency token: the store refuses an update written against an old version.
    pub version: i64,
    /// The case that took this one's signals (`/merge`): this one is closed for good.
    pub merged_into: Option<CaseId>,
}

impl Case {
    /// The case as it is right after the store gave it a number.
    pub fn opened(id: CaseId, new: NewCase) -> Case {
        Case {
            id,
            team: new.team,
            title: new.title,
            summary: new.summary,
            source: new.source,
            grade: new.grade,
            state: CaseState::Open,
            owner: new.owner,
            leader: new.leader,
            opened_by: new.opened_by,
            drill: new.drill,
            resolution: None,
            dismissal: None,
            opened_at: new.opened_at,
            acknowledged_at: None,
            responded_at: None,
            resolved_at: None,
            closed_at: None,
            updated_at: new.opened_at,
            version: 1,
            merged_into: None,
        }
    }

    fn not_while(&self, what: Transition) -> TransitionError {
        TransitionError::NotWhile { case: self.id, what, state: self.state }
    }

    /// Someone on the team has seen the case. With an owner already named it is being
    /// responded to at once.
    pub fn acknowledge(&mut self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        match self.state {
            CaseState::Open => {
                self.acknowledged_at = Some(now);
                self.state = CaseState::Acknowledged;
                if self.owner.is_some() {
                    self.respond(now);
                }
                self.updated_at = now;
                Ok(())
            }
            CaseState::Acknowledged | CaseState::Responding => {
                Err(TransitionError::Already { case: self.id, state: self.state })
            }
            _ => Err(self.not_while(Transition::Acknowledge)),
        }
    }

    /// Names the responsible owner (by claim or by a leader's assignment). An acknowledged
    /// case with an owner is being responded to; an open one still waits for its `/ack`.
    pub fn set_owner(&mut self, owner: &str, now: DateTime<Utc>) -> Result<(), TransitionError> {
        if !self.state.is_active() {
            return Err(self.not_while(Transition::Assign));
        }
        if self.owner.as_deref() == Some(owner) {
            return Err(TransitionError::SameOwner { case: self.id, owner: owner.to_string() });
        }
        self.owner = Some(owner.to_string());
        if self.state == CaseState::Acknowledged {
            self.respond(now);
        }
        self.updated_at = now;
        Ok(())
    }

    fn respond(&mut self, _now: DateTime<Utc>) {
        self.state = CaseState::Responding;
    }

    /// A statement about the case was published: the first one stops the first-response
    /// clock (docs/ARCHITECTURE.md §1, rule 3). Later ones change nothing here.
    pub fn published(&mut self, now: DateTime<Utc>) {
        self.responded_at.get_or_insert(now);
        self.updated_at = now;
    }

    /// Names the leader in charge if the case has none yet; never replaces one.
    pub fn adopt_leader(&mut self, leader: &str) {
        if self.leader.is_none() {
            self.leader = Some(leader.to_string());
        }
    }

    pub fn regrade(&mut self, grade: Grade, now: DateTime<Utc>) -> Result<Grade, TransitionError> {
        if !self.state.is_active() {
            return Err(self.not_while(Transition::Regrade));
        }
        if self.grade == grade {
            return Err(TransitionError::SameGrade { case: self.id, grade });
        }
        let before = std::mem::replace(&mut self.grade, grade);
        self.updated_at = now;
        Ok(before)
    }

    pub fn resolve(&mut self, summary: &str, now: DateTime<Utc>) -> Result<(), TransitionError> {
        if !self.state.is_active() {
            return Err(self.not_while(Transition::Resolve));
        }
        self.state = CaseState::Resolved;
        self.resolution = Some(summary.to_string());
        self.resolved_at = Some(now);
        self.updated_at = now;
        Ok(())
    }

    /// The case is folded into `into` (`/merge`): it ends closed, naming the case that took
    /// its signals. Only a case still on the ledger can be merged, and a merged case never
    /// comes back (its signals, grade and clocks live on in `into`).
    pub fn merge_into(&mut self, into: CaseId, now: DateTime<Utc>) -> Result<(), TransitionError> {
        if !self.state.is_on_ledger() || self.merged_into.is_some() {
            return Err(self.not_while(Transition::Merge));
        }
        self.state = CaseState::Closed;
        self.merged_into = Some(into);
        self.closed_at = Some(now);
        self.updated_at = now;
        Ok(())
    }

    /// Brings a finished case back. It returns to where its facts put it: never acknowledged
    /// → open; acknowledged with an owner → responding; otherwise acknowledged. The
    /// acknowledge clock does not restart, since the team has already seen it.
    pub fn reopen(&mut self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        if self.state.is_active() || self.merged_into.is_some() {
            return Err(self.not_while(Transition::Reopen));
        }
        self.state = match (self.acknowledged_at, &self.owner) {
            (None, _) => CaseState::Open,
            (Some(_), Some(_)) => CaseState::Responding,
            (Some(_), None) => CaseState::Acknowledged,
        };
        self.resolution = None;
        self.dismissal = None;
        self.resolved_at = None;
        self.closed_at = None;
        self.updated_at = now;
        Ok(())
    }

    /// A leader decides the case needs no response; the reason is kept on the record.
    pub fn dismiss(&mut self, reason: &str, now: DateTime<Utc>) -> Result<(), TransitionError> {
        if !self.state.is_active() {
            return Err(self.not_while(Transition::Dismiss));
        }
        self.state = CaseState::Dismissed;
        self.dismissal = Some(reason.to_string());
        self.closed_at = Some(now);
        self.updated_at = now;
        Ok(())
    }

    /// Takes a case off the ledger. Only a resolved case can be closed (docs/ARCHITECTURE.md §1, rule 2).
    pub fn close(&mut self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        match self.state {
            CaseState::Resolved => {
                self.state = CaseState::Closed;
                self.closed_at = Some(now);
                self.updated_at = now;
                Ok(())
            }
            CaseState::Closed => Err(TransitionError::Already { case: self.id, state: self.state }),
            CaseState::Dismissed => Err(self.not_while(Transition::Close)),
            state => Err(TransitionError::CloseNeedsResolve { case: self.id, state }),
        }
    }
}

#[cfg(test)]
mod tests;
