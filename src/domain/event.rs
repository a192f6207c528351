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
    /// A signal of the same story joined the case.
    SignalAdded,
    /// Something worth recording happened to the case (an alert resolved at its source).
    Noted,
    /// A leader gave a clock more time (`/due`): clock, seconds, reason.
    ClockExtended,
    /// A clock ran out before its case reached the state that stops it.
    ClockBreached,
    /// A leader put the team on heightened watch (no case).
    WatchStarted,
    WatchEnded,
    /// A leader changed who is on duty for one shift (no case).
    DutySwapped,
    /// A version of a reply or progress update was written: draft, version, text, status.
    DraftWritten,
    /// A leader approved one version of a draft: draft, version.
    DraftApproved,
    /// A leader rejected one version of a draft: draft, version, reason.
    DraftRejected,
    /// A concern now holds a draft: draft, concern, text.
    ConcernRaised,
    /// The person who raised a concern withdrew it: draft, concern.
    ConcernWithdrawn,
    /// An approved version went out to the public outlets: draft, version, text, status, outlets.
    StatementPublished,
    /// A leader started a drill (no case): drill, scenario, speed, team.
    DrillStarted,
    /// A drill ended (no case): drill, team, and the cases it ended.
    DrillStopped,
    /// A drill's after-action report was asked for (no case): drill, score.
    DrillReported,
    /// A leader merged this case into another (`/merge`): into, signals moved, drafts withdrawn.
    MergedInto,
    /// Another case was merged into this one: from, signals, grade before and after, and the
    /// clock shifts (`shift_ms`, milliseconds per clock) that keep the earlier of the two deadlines.
    MergedFrom,
    /// A leader moved one signal of this case out into a new case (`/split`): signal, into.
    SplitOut,
    /// A draft no longer waits for approval: draft, reason (its case was merged away).
    DraftWithdrawn,
}

impl EventAction {
    pub const ALL: [EventAction; 30] = [
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
        EventAction::SignalAdded,
        EventAction::Noted,
        EventAction::ClockExtended,
        EventAction::ClockBreached,
        EventAction::WatchStarted,
        EventAction::WatchEnded,
        EventAction::DutySwapped,
        EventAction::DraftWritten,
        EventAction::DraftApproved,
        EventAction::DraftRejected,
        EventAction::ConcernRaised,
        EventAction::ConcernWithdrawn,
        EventAction::StatementPublished,
        EventAction::DrillStarted,
        EventAction::DrillStopped,
        EventAction::DrillReported,
        EventAction::MergedInto,
        EventAction::MergedFrom,
        EventAction::SplitOut,
        EventAction::DraftWithdrawn,
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
            EventAction::SignalAdded => "signal_added",
            EventAction::Noted => "noted",
            EventAction::ClockExtended => "clock_extended",
            EventAction::ClockBreached => "clock_breached",
            EventAction::WatchStarted => "watch_started",
            EventAction::WatchEnded => "watch_ended",
            EventAction::DutySwapped => "duty_swapped",
            EventAction::DraftWritten => "draft_written",
            EventAction::DraftApproved => "draft_approved",
            EventAction::DraftRejected => "draft_rejected",
            EventAction::ConcernRaised => "concern_raised",
            EventAction::ConcernWithdrawn => "concern_withdrawn",
            EventAction::StatementPublished => "statement_published",
            EventAction::DrillStarted => "drill_started",
            EventAction::DrillStopped => "drill_stopped",
            EventAction::DrillReported => "drill_reported",
            EventAction::MergedInto => "merged_into",
            EventAction::MergedFrom => "merged_from",
            EventAction::SplitOut => "split_out",
            EventAction::DraftWithdrawn => "draft_withdrawn",
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
