//! "Possibly the same story": the line a new case's card (and its opening notice) carries when
//! it shares a named place and a keyword category with an open case of the same team, with a
//! Merge button. Decided once, when the case opens (`super::intake`), and kept in the `opened`
//! event's details, so every later rendering of the card shows it without asking the index.

use crate::domain::{CaseId, EventAction};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// The older case a new one may be the same story as, and what they share (`荷花小区`, `燃气`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Similar {
    #[serde(with = "case_number")]
    pub case: CaseId,
    pub shared: Vec<String>,
}

impl Similar {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a number and strings always serialise")
    }

    /// `荷花小区, 燃气`: what the line lists.
    pub fn shared_list(&self) -> String {
        self.shared.join(", ")
    }
}

/// What `case`'s card should say it is possibly the same as: the suggestion made when it
/// opened, while both cases are still active (once either is resolved, dismissed or merged the
/// line has nothing left to offer).
pub async fn for_card(store: &dyn Store, case: CaseId) -> Result<Option<Similar>, StoreError> {
    let events = store.events(case).await?;
    let Some(similar) = events
        .iter()
        .find(|e| e.action == EventAction::Opened)
        .and_then(|e| e.details.get("similar"))
        .and_then(|v| serde_json::from_value::<Similar>(v.clone()).ok())
    else {
        return Ok(None);
    };
    let active = |c: Option<crate::domain::Case>| c.is_some_and(|c| c.state.is_active());
    if active(store.case(case).await?) && active(store.case(similar.case).await?) {
        Ok(Some(similar))
    } else {
        Ok(None)
    }
}

/// A case number as a plain integer in JSON.
mod case_number {
    use crate::domain::CaseId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(case: &CaseId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(case.get())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CaseId, D::Error> {
        let n = i64::deserialize(d)?;
        CaseId::parse(&n.to_string()).ok_or_else(|| serde::de::Error::custom("not a case number"))
    }
}
