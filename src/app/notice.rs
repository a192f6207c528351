//! What the bot posts to chats because a case changed: the outbox payload.
//!
//! A notice is stored as data and rendered at delivery, in the language the receiving chat
//! speaks *then*, so one decision can be announced to chats in different languages.

use super::format;
use crate::config::Config;
use crate::domain::{CaseId, Grade, Locale};
use crate::i18n::{I18n, Text};
use crate::t;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    Opened { title: String, summary: Option<String>, grade: Grade, by: String },
    Acknowledged { title: String, by: String },
    Claimed { title: String, by: String },
    Assigned { title: String, owner: String, by: String },
    Regraded { title: String, from: Grade, to: Grade, by: String },
    Resolved { title: String, summary: String, by: String },
    Reopened { title: String, by: String },
    Dismissed { title: String, reason: String, by: String },
    Closed { title: String, by: String },
    LanguageChanged { by: String },
}

impl Notice {
    pub fn to_payload(&self) -> String {
        serde_json::to_string(self).expect("a notice always serialises")
    }

    pub fn from_payload(s: &str) -> serde_json::Result<Notice> {
        serde_json::from_str(s)
    }

    pub fn render(&self, case: Option<CaseId>, config: &Config, i18n: &I18n, locale: Locale) -> String {
        let case = case.map(|c| c.to_string()).unwrap_or_default();
        let text: Text = match self {
            Notice::Opened { title, summary, grade, by } => {
                let head = i18n.render(
                    locale,
                    &t!("notice-opened", "case" => case, "title" => title.as_str(), "grade" => format::grade(config, *grade, locale), "by" => by.as_str()),
                );
                return match summary {
                    Some(s) => format!("{head}\n{s}"),
                    None => head,
                };
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
            Notice::LanguageChanged { by } => t!("notice-language", "by" => by.as_str()),
        };
        i18n.render(locale, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_survive_the_outbox_round_trip() {
        let n = Notice::Regraded { title: "Gas <leak>".into(), from: Grade::IV, to: Grade::I, by: "Alice".into() };
        assert_eq!(Notice::from_payload(&n.to_payload()).unwrap(), n);
    }
}
