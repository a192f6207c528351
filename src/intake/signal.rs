//! A signal: one report of something happening, from any source, before it is graded.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Engagement numbers a source reports for a signal (all optional, missing = 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    #[serde(default)]
    pub views: u64,
    #[serde(default)]
    pub comments: u64,
    #[serde(default)]
    pub shares: u64,
}

/// A signal as it arrives, from a webhook, a feed or a chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawSignal {
    /// The configured source it came through (`intake.sources[].name`, a feed's name, ...).
    pub source: String,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    /// BCP 47 tag if the source says (`zh`, `en`); the text is segmented either way.
    pub language: Option<String>,
    pub metrics: Metrics,
    pub tags: Vec<String>,
    /// The source's own id for the story (Alertmanager's alert fingerprint, say): signals
    /// with the same fingerprint are the same story.
    pub fingerprint: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    /// Names this delivery (`feed:<name>:<guid>`): a signal whose key was already taken in
    /// is not taken in again, even after a restart.
    pub dedup_key: Option<String>,
}
