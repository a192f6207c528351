//! What the bot posts to chats because a case changed: the outbox payload.
//!
//! A notice is stored as data and rendered at delivery, in the language the receiving chat
//! speaks *then*, so one decision can be announced to chats in different languages.

use super::format;
use crate::config::Config;
use crate::domain::clocks::ClockKind;
use crate::domain::{CaseId, Grade, Locale};
use crate::i18n::{I18n, Text};
use crate::t;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    Opened {
        title: String,
        summary: Option<String>,
        grade: Grade,
        by: String,
        /// An open case of the same team it is possibly the same story as.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        similar: Option<super::similar::Similar>,
    },
    Acknowledged {
        title: String,
        by: String,
    },
    Claimed {
        title: String,
        by: String,
    },
    Assigned {
        title: String,
        owner: String,
        by: String,
    },
    Regraded {
        title: String,
        from: Grade,
        to: Grade,
        by: String,
    },
    Resolved {
        title: String,
        summary: String,
        by: String,
    },
    Reopened {
        title: String,
        by: String,
    },
    Dismissed {
        title: String,
        reason: String,
        by: String,
    },
    Closed {
        title: String,
        by: String,
    },
    LanguageChanged {
        by: String,
    },
    /// A reply already rendered in the chat's language (platforms that queue replies).
    Reply {
        text: String,
    },
    /// A message could never be delivered to a chat; told to the team's leaders.
    DeliveryFailed {
        chat: String,
        reason: String,
    },
    /// The alert behind a case was resolved at its source.
    AlertResolved {
        title: String,
        alert: String,
        source: String,
    },
    /// Alerts of a case's notification group began firing or resolved (the card lists them).
    AlertsChanged {
        title: String,
        /// The names of the alerts that began firing, then of those that resolved.
        fired: Vec<String>,
        resolved: Vec<String>,
        /// How many of the case's alerts fire now, of how many.
        firing: usize,
        total: usize,
        source: String,
    },
    /// An alert fired again after its case was resolved: the case is open again.
    AlertRefired {
        title: String,
        alerts: Vec<String>,
        source: String,
    },
    /// A share of a clock has run: to the owner, in the team chat.
    Reminder {
        title: String,
        clock: String,
        percent: u8,
        deadline: DateTime<Utc>,
        owner: Option<String>,
        /// When it was due, if it is sent late (tocsin was down).
        late: Option<DateTime<Utc>>,
        /// Who to mention: the owner's name in bot.toml.
        #[serde(default)]
        mention: Option<String>,
    },
    /// A clock ran out: to the leaders.
    Breached {
        title: String,
        clock: String,
        deadline: DateTime<Utc>,
        owner: Option<String>,
        leader: Option<String>,
        late: Option<DateTime<Utc>>,
        /// Who to mention: the case's leader's name in bot.toml.
        #[serde(default)]
        mention: Option<String>,
    },
    /// Long past a deadline: to the level above.
    Escalated {
        title: String,
        team: String,
        clock: String,
        deadline: DateTime<Utc>,
        late: Option<DateTime<Utc>>,
    },
    /// A leader gave a clock more time.
    Extended {
        title: String,
        clock: String,
        deadline: DateTime<Utc>,
        reason: String,
        by: String,
    },
    /// The person on duty was made owner of (or told about) a new case.
    OnDuty {
        title: String,
        person: String,
        assigned: bool,
    },
    WatchStarted {
        reason: String,
        until: Option<DateTime<Utc>>,
        by: String,
    },
    WatchEnded {
        by: String,
    },
    DutySwapped {
        date: String,
        person: String,
        by: String,
    },
    /// A draft changed: its card is drawn again from the log at delivery.
    DraftCard {
        draft: String,
    },
    /// An approved statement, posted to a public outlet exactly as approved.
    Statement {
        text: String,
    },
    /// A statement went out: told to the team.
    Published {
        title: String,
        draft: String,
        outlets: String,
        by: String,
    },
    /// A leader started a drill in the team.
    DrillStarted {
        drill: i64,
        title: String,
        speed: u32,
        injects: usize,
        by: String,
    },
    /// A drill ended; `ended` of its cases were still open.
    DrillStopped {
        drill: i64,
        ended: usize,
        by: String,
    },
    /// Another case was merged into this one (`/merge`).
    MergedFrom {
        title: String,
        from: i64,
        from_title: String,
        signals: usize,
        grade: Grade,
        by: String,
    },
    /// This case was merged into another: its card says so from now on.
    MergedInto {
        title: String,
        into: i64,
        /// The drafts withdrawn with it (`20.1`).
        withdrawn: Vec<String>,
        by: String,
    },
    /// One of this case's signals became a case of its own (`/split`).
    SplitOut {
        title: String,
        signal: i64,
        /// The new case's number (the commit writes it in; see `store::OtherCase`).
        into: String,
        by: String,
    },
    /// The leaders' daily report.
    Report {
        report: Box<super::report::Report>,
        late: Option<DateTime<Utc>>,
    },
}

impl Notice {
    pub fn to_payload(&self) -> String {
        serde_json::to_string(self).expect("a notice always serialises")
    }

    pub fn from_payload(s: &str) -> serde_json::Result<Notice> {
        serde_json::from_str(s)
    }

    /// Whether this notice reports a change to its case (and so may update a case card).
    pub fn is_case_change(&self) -> bool {
        !matches!(
            self,
            Notice::LanguageChanged { .. }
                | Notice::Reply { .. }
                | Notice::DeliveryFailed { .. }
                | Notice::WatchStarted { .. }
                | Notice::WatchEnded { .. }
                | Notice::DutySwapped { .. }
                | Notice::Report { .. }
                | Notice::DrillStarted { .. }
                | Notice::DrillStopped { .. }
                | Notice::DraftCard { .. }
                | Notice::Statement { .. }
                // Timed warnings are new messages, so that the person named is notified
                // (an edited card notifies nobody).
                | Notice::Reminder { .. }
                | Notice::Breached { .. }
                | Notice::Escalated { .. }
        )
    }

    /// The person (by name in bot.toml) this notice should mention where the platform can.
    /// Sent on its own, never folded into a digest: a statement must reach the public exactly
    /// as approved, and a draft card is a card.
    pub fn stands_alone(&self) -> bool {
        matches!(self, Notice::Statement { .. } | Notice::DraftCard { .. })
    }

    pub fn mention(&self) -> Option<&str> {
        match self {
            Notice::Reminder { mention, .. } | Notice::Breached { mention, .. } => mention.as_deref(),
            _ => None,
        }
    }

    /// One line for a case card: who did what last (`Alice Chen: acknowledged it`).
    pub fn card_line(&self, config: &Config, i18n: &I18n, locale: Locale) -> String {
        let (by, what) = match self {
            Notice::Opened { grade, by, .. } => (by, t!("event-opened", "grade" => grade.as_str())),
            Notice::Acknowledged { by, .. } => (by, t!("event-acknowledged")),
            Notice::Claimed { by, .. } => (by, t!("event-claimed")),
            Notice::Assigned { owner, by, .. } => (by, t!("event-assigned", "owner" => owner.as_str())),
            Notice::Regraded { from, to, by, .. } => {
                (by, t!("event-regraded", "from" => from.as_str(), "to" => to.as_str()))
            }
            Notice::Resolved { summary, by, .. } => (by, t!("event-resolved", "summary" => summary.as_str())),
            Notice::Reopened { by, .. } => (by, t!("event-reopened")),
            Notice::Dismissed { reason, by, .. } => (by, t!("event-dismissed", "reason" => reason.as_str())),
            Notice::Closed { by, .. } => (by, t!("event-closed")),
            Notice::MergedFrom { from, signals, grade, by, .. } => (
                by,
                t!("event-merged-from", "from" => format!("#{from}"), "signals" => *signals, "grade" => grade.as_str()),
            ),
            Notice::MergedInto { into, by, .. } => (by, t!("event-merged-into", "into" => format!("#{into}"))),
            Notice::SplitOut { signal, into, by, .. } => {
                (by, t!("event-split-out", "signal" => *signal, "into" => format!("#{into}")))
            }
            Notice::AlertResolved { alert, source, .. } => (source, t!("event-noted", "text" => alert.as_str())),
            Notice::AlertsChanged { fired, resolved, firing, total, source, .. } => {
                let changes = alert_changes(i18n, locale, fired, resolved);
                (source, t!("event-alerts-changed", "changes" => changes, "firing" => *firing, "total" => *total))
            }
            Notice::AlertRefired { alerts, source, .. } => {
                (source, t!("event-alert-refired", "alerts" => names(alerts)))
            }
            other => return other.render(None, config, i18n, locale),
        };
        i18n.render(locale, &t!("card-last", "by" => by.as_str(), "what" => what))
    }

    pub fn render(&self, case: Option<CaseId>, config: &Config, i18n: &I18n, locale: Locale) -> String {
        let case = case.map(|c| c.to_string()).unwrap_or_default();
        let text: Text = match self {
            Notice::Opened { title, summary, grade, by, similar } => {
                let mut text = i18n.render(
                    locale,
                    &t!("notice-opened", "case" => case.clone(), "title" => title.as_str(), "grade" => format::grade(config, *grade, locale), "by" => by.as_str()),
                );
                if let Some(s) = summary {
                    text = format!("{text}\n{s}");
                }
                // Where there is no card (and no button), the line names the command instead.
                if let Some(similar) = similar {
                    let command = format!("/merge {} into {}", case.trim_start_matches('#'), similar.case.get());
                    let line = t!("notice-similar", "case" => similar.case.to_string(), "shared" => similar.shared_list(), "command" => command);
                    text = format!("{text}\n{}", i18n.render(locale, &line));
                }
                return text;
            }
            Notice::Acknowledged { title, by } => {
                t!("notice-acknowledged", "case" => case, "title" => title.as_str(), "by" => by.as_str())
            }
            Notice::Claimed { title, by } => {
                t!("notice-claimed", "case" => case, "title" => title.as_str(), "by" => by.as_str())
            }
            Notice::Assigned { title, owner, by } => t!("notice-assigned",
                "case" => case, "title" => title.as_str(), "owner" => owner.as_str(), "by" => by.as_str()),
            Notice::Regraded { title, from, to, by } => t!("notice-regraded",
                "case" => case, "title" => title.as_str(), "by" => by.as_str(),
                "from" => format::grade(config, *from, locale), "to" => format::grade(config, *to, locale)),
            Notice::Resolved { title, summary, by } => t!("notice-resolved",
                "case" => case, "title" => title.as_str(), "summary" => summary.as_str(), "by" => by.as_str()),
            Notice::Reopened { title, by } => {
                t!("notice-reopened", "case" => case, "title" => title.as_str(), "by" => by.as_str())
            }
            Notice::Dismissed { title, reason, by } => t!("notice-dismissed",
                "case" => case, "title" => title.as_str(), "reason" => reason.as_str(), "by" => by.as_str()),
            Notice::Closed { title, by } => {
                t!("notice-closed", "case" => case, "title" => title.as_str(), "by" => by.as_str())
            }
            Notice::MergedFrom { title, from, from_title, signals, grade, by } => t!("notice-merged-from",
                "case" => case, "title" => title.as_str(), "from" => format!("#{from}"),
                "from_title" => from_title.as_str(), "signals" => *signals,
                "grade" => format::grade(config, *grade, locale), "by" => by.as_str()),
            Notice::MergedInto { title, into, withdrawn, by } if withdrawn.is_empty() => t!("notice-merged-into",
                "case" => case, "title" => title.as_str(), "into" => format!("#{into}"), "by" => by.as_str()),
            Notice::MergedInto { title, into, withdrawn, by } => t!("notice-merged-into-withdrawn",
                "case" => case, "title" => title.as_str(), "into" => format!("#{into}"), "by" => by.as_str(),
                "drafts" => withdrawn.join(", ")),
            Notice::SplitOut { title, signal, into, by } => t!("notice-split-out",
                "case" => case, "title" => title.as_str(), "signal" => *signal, "into" => format!("#{into}"),
                "by" => by.as_str()),
            Notice::LanguageChanged { by } => t!("notice-language", "by" => by.as_str()),
            Notice::DrillStarted { drill, title, speed, injects, by } => t!("notice-drill-started",
                "drill" => *drill, "title" => title.as_str(), "speed" => *speed, "injects" => *injects, "by" => by.as_str()),
            Notice::DrillStopped { drill, ended, by } => {
                t!("notice-drill-stopped", "drill" => *drill, "ended" => *ended, "by" => by.as_str())
            }
            Notice::Reply { text } | Notice::Statement { text } => return text.clone(),
            Notice::DraftCard { draft } => t!("notice-draft-changed", "draft" => draft.as_str()),
            // Only a drill publishes to no outlet: its statement stays inside the team.
            Notice::Published { title, draft, outlets, by } if outlets.is_empty() => t!("notice-published-drill",
                "case" => case, "title" => title.as_str(), "draft" => draft.as_str(), "by" => by.as_str()),
            Notice::Published { title, draft, outlets, by } => t!("notice-published",
                "case" => case, "title" => title.as_str(), "draft" => draft.as_str(),
                "outlets" => outlets.as_str(), "by" => by.as_str()),
            Notice::AlertResolved { title, alert, source } => t!("notice-alert-resolved",
                "case" => case, "title" => title.as_str(), "alert" => alert.as_str(), "source" => source.as_str()),
            Notice::AlertsChanged { title, fired, resolved, firing, total, source } => t!("notice-alerts-changed",
                "case" => case, "title" => title.as_str(), "changes" => alert_changes(i18n, locale, fired, resolved),
                "firing" => *firing, "total" => *total, "source" => source.as_str()),
            Notice::AlertRefired { title, alerts, source } => t!("notice-alert-refired",
                "case" => case, "title" => title.as_str(), "alerts" => names(alerts), "source" => source.as_str()),
            // A robot that refuses is a setting to fix (signature, keyword, robot removed).
            Notice::DeliveryFailed { chat, reason } => match config.chat(chat).filter(|c| c.platform.is_robot()) {
                Some(c) => t!("notice-robot-refused", "chat" => chat.as_str(),
                    "platform" => c.platform.as_str(), "reason" => reason.as_str()),
                None => t!("notice-delivery-failed", "chat" => chat.as_str(), "reason" => reason.as_str()),
            },
            Notice::Reminder { title, clock, percent, deadline, owner, late, .. } => {
                let owner = owner.clone().unwrap_or_else(|| i18n.render(locale, &t!("reminder-nobody")));
                let text = t!("notice-reminder", "case" => case, "title" => title.as_str(),
                    "clock" => clock_name(clock), "percent" => *percent as i64,
                    "deadline" => format::time(*deadline), "owner" => owner);
                return with_late(i18n, locale, &text, *late);
            }
            Notice::Breached { title, clock, deadline, owner, leader, late, .. } => {
                let nobody = || i18n.render(locale, &t!("reminder-nobody"));
                let text = t!("notice-breached", "case" => case, "title" => title.as_str(),
                    "clock" => clock_name(clock), "deadline" => format::time(*deadline),
                    "owner" => owner.clone().unwrap_or_else(nobody), "leader" => leader.clone().unwrap_or_else(nobody));
                return with_late(i18n, locale, &text, *late);
            }
            Notice::Escalated { title, team, clock, deadline, late } => {
                let text = t!("notice-escalated", "case" => case, "title" => title.as_str(), "team" => team.as_str(),
                    "clock" => clock_name(clock), "deadline" => format::time(*deadline));
                return with_late(i18n, locale, &text, *late);
            }
            Notice::Extended { title, clock, deadline, reason, by } => t!("notice-extended",
                "case" => case, "title" => title.as_str(), "clock" => clock_name(clock),
                "deadline" => format::time(*deadline), "reason" => reason.as_str(), "by" => by.as_str()),
            Notice::OnDuty { title, person, assigned: true } => {
                t!("notice-duty-assigned", "case" => case, "title" => title.as_str(), "person" => person.as_str())
            }
            Notice::OnDuty { title, person, assigned: false } => {
                t!("notice-duty-mention", "case" => case, "title" => title.as_str(), "person" => person.as_str())
            }
            Notice::WatchStarted { reason, until: Some(until), by } => t!("notice-watch-until",
                "reason" => reason.as_str(), "until" => format::time(*until), "by" => by.as_str()),
            Notice::WatchStarted { reason, until: None, by } => {
                t!("notice-watch-on", "reason" => reason.as_str(), "by" => by.as_str())
            }
            Notice::WatchEnded { by } => t!("notice-watch-off", "by" => by.as_str()),
            Notice::DutySwapped { date, person, by } => {
                t!("notice-duty-swapped", "date" => date.as_str(), "person" => person.as_str(), "by" => by.as_str())
            }
            Notice::Report { report, late } => {
                let body = super::report::text(report, config, i18n, locale);
                return match late {
                    Some(due) => {
                        format!("{body}\n\n{}", i18n.render(locale, &t!("notice-late", "due" => format::time(*due))))
                    }
                    None => body,
                };
            }
        };
        i18n.render(locale, &text)
    }
}

/// Alert names are listed up to this many; a notification group can hold thousands.
const MAX_NAMES: usize = 10;

/// `DiskFull db-0, DiskFull db-1 (+3)`.
fn names(list: &[String]) -> String {
    let shown = list.iter().take(MAX_NAMES).cloned().collect::<Vec<_>>().join(", ");
    match list.len().saturating_sub(MAX_NAMES) {
        0 => shown,
        more => format!("{shown} (+{more})"),
    }
}

/// `firing: A, B · resolved: C`.
fn alert_changes(i18n: &I18n, locale: Locale, fired: &[String], resolved: &[String]) -> String {
    let mut parts = vec![];
    if !fired.is_empty() {
        parts.push(i18n.render(locale, &t!("alerts-fired", "names" => names(fired))));
    }
    if !resolved.is_empty() {
        parts.push(i18n.render(locale, &t!("alerts-resolved", "names" => names(resolved))));
    }
    parts.join(" · ")
}

/// A clock's name in the reader's language, from its stored form (`ack`).
fn clock_name(clock: &str) -> Text {
    format::clock(ClockKind::parse(clock).unwrap_or(ClockKind::Resolve))
}

/// A timed notice sent after its time (tocsin was down) says so.
fn with_late(i18n: &I18n, locale: Locale, text: &Text, late: Option<DateTime<Utc>>) -> String {
    let body = i18n.render(locale, text);
    match late {
        Some(due) => format!("{body}\n{}", i18n.render(locale, &t!("notice-late", "due" => format::time(due)))),
        None => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_groups_alert_changes_are_told_in_one_line_with_long_lists_cut() {
        let config = Config::parse(include_str!("../../bot.toml")).unwrap();
        let i18n = I18n::new().unwrap();
        let names = |n: usize| (0..n).map(|i| format!("DiskFull instance=db-{i}")).collect::<Vec<_>>();
        let n = Notice::AlertsChanged {
            title: "DiskFull".into(),
            fired: vec![],
            resolved: names(12),
            firing: 2,
            total: 14,
            source: "prometheus".into(),
        };
        let case = Some(CaseId::parse("4").unwrap());
        let en = n.render(case, &config, &i18n, Locale::En);
        assert!(en.contains("resolved: DiskFull instance=db-0,") && en.contains("db-9 (+2)"), "{en}");
        assert!(en.contains("2 of 14 alerts firing (prometheus)") && !en.contains("db-10"), "{en}");
        assert!(n.render(case, &config, &i18n, Locale::ZhCn).contains("已恢复"));
        let again = Notice::AlertRefired { title: "DiskFull".into(), alerts: names(1), source: "prometheus".into() };
        assert_eq!(Notice::from_payload(&again.to_payload()).unwrap(), again);
        assert!(again.render(case, &config, &i18n, Locale::En).contains("reopened: firing again at prometheus"));
    }

    #[test]
    fn an_opening_that_is_possibly_the_same_story_names_the_merge_command_where_there_is_no_button() {
        let config = Config::parse(include_str!("../../bot.toml")).unwrap();
        let i18n = I18n::new().unwrap();
        let similar = super::super::similar::Similar {
            case: CaseId::parse("12").unwrap(),
            shared: vec!["荷花小区".into(), "燃气".into()],
        };
        let n = Notice::Opened {
            title: "楼道燃气味".into(),
            summary: None,
            grade: Grade::III,
            by: "wire".into(),
            similar: Some(similar),
        };
        let case = CaseId::parse("20");
        let en = n.render(case, &config, &i18n, Locale::En);
        assert!(
            en.ends_with("🔗 Possibly the same as #12: 荷花小区, 燃气 (a leader can merge them: /merge 20 into 12)"),
            "{en}"
        );
        let zh = n.render(case, &config, &i18n, Locale::ZhCn);
        assert!(zh.ends_with("🔗 可能与 #12 是同一事件：荷花小区, 燃气（负责人可合并：/merge 20 into 12）"), "{zh}");
        assert_eq!(Notice::from_payload(&n.to_payload()).unwrap(), n);
        // An opening queued before the field existed still reads.
        let old = r#"{"kind":"opened","title":"t","summary":null,"grade":"III","by":"wire"}"#;
        assert!(matches!(Notice::from_payload(old), Ok(Notice::Opened { similar: None, .. })));
    }

    #[test]
    fn notices_survive_the_outbox_round_trip() {
        let n = Notice::Regraded { title: "Gas <leak>".into(), from: Grade::IV, to: Grade::I, by: "Alice".into() };
        assert_eq!(Notice::from_payload(&n.to_payload()).unwrap(), n);
    }
}
