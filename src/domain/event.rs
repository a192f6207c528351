//! The append-only event log: who did what to which case, when, and from where.

use super::CaseId;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventAction {
    Opened,
    Acknowledged,
    Claimed,
    Assigned,
    Regraded,
    Resolved,
    Reopened,
    Dismissed,
    Closed,
    LanguageChanged,
}

impl EventAction {
    pub const ALL: [EventAction; 10] = [
        EventAction::Opened,
        EventAction::Acknowledged,
        EventAction::Claimed,
        EventAction::Assigned,
        EventAction::Regraded,
        EventAction::Resolved,
        EventAction::Reopened,
        EventAction::Dismissed,
        EventAction::Closed,
        EventAction::LanguageChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventAction::Opened => "opened",
            EventAction::Acknowledged => "acknowledged",
            EventAction::Claimed => "claimed",
            EventAction::Assigned => "assigned",
            EventAction::Regraded => "regraded",
            EventAction::Resolved => "resolved",
            EventAction::Reopened => "reopened",
            EventAction::Dismissed => "dismissed",
            EventAction::Closed => "closed",
            EventAction::LanguageChanged => "language_changed",
        }
    }

    pub fn parse(s: &str) -> Option<EventAction> {
        EventAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// An event about to be written. It belongs to the case of the commit it travels in.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub actor: String,
    pub action: EventAction,
    /// Free-form facts of the event (old and new grade, the reason, ...), as JSON.
    pub details: serde_json::Value,
    pub platform: String,
    pub at: DateTime<Utc>,
}

/// An event as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub case: Option<CaseId>,
    pub actor: String,
    pub action: EventAction,
    pub details: serde_json::Value,
    pub platform: String,
    pub at: DateTime<Utc>,
}
