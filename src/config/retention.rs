//! `[retention]`: how long third-party text is kept.
//!
//! Reports from the public and from feeds are someone else's words; tocsin keeps them while they
//! help the team and then lets them go. What stays is the audit skeleton: each signal's source,
//! time, score and grade explanation, the cases, the event log and every published statement.

use super::Problems;
use chrono::TimeDelta;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetention {
    /// `90d`: signal titles and URLs older than this are cleared.
    pub signal_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub signal_text: TimeDelta,
}

/// The shortest retention accepted: the story window and the daily report need a day's signals.
const MIN_DAYS: i64 = 1;

pub(super) fn retention(p: &mut Problems, raw: Option<&RawRetention>) -> Option<Retention> {
    let raw = raw?;
    let Some(text) = &raw.signal_text else {
        p.add("retention.signal_text", "is missing: how long signal text is kept, such as \"90d\"");
        return None;
    };
    let Some(kept) = super::intake::duration(text).and_then(|d| TimeDelta::from_std(d).ok()) else {
        p.add("retention.signal_text", format!("\"{text}\" is not a duration such as 30d"));
        return None;
    };
    // Past a century nothing would ever be cleared; such a value is a typo, not a policy.
    if kept < TimeDelta::days(MIN_DAYS) || kept > TimeDelta::days(36_525) {
        p.add("retention.signal_text", "must be between 1d and 36525d");
        return None;
    }
    Some(Retention { signal_text: kept })
}
