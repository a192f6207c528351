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
    /// The authenticated source it came through: the `[[sources]]` entry whose credential the
    /// request carried, or the `[[feeds]]` entry polled. Its configured weight is the signal's
    /// influence, and diffusion counts distinct ones; it never comes from the body.
    pub source: String,
    /// What the sender says it saw this on (the generic webhook body's `source`): kept on the
    /// record as a label, never a key into trust.
    pub label: Option<String>,
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
    /// Set only by a drill's inject, never from a body: the signal opens or joins drill cases
    /// of this drill only (and a real signal never joins a drill case).
    #[serde(skip)]
    pub drill: Option<DrillMark>,
}

/// Which drill a signal belongs to, and the team that runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillMark {
    pub id: i64,
    pub team: String,
}

/// The longest link kept (it is shown on cards as the case's source).
const MAX_URL: usize = 2048;
/// The longest tag kept (tags route; they are not shown).
const MAX_TAG: usize = 64;

impl RawSignal {
    /// The signal with every text from outside made safe to keep and show (see
    /// [`crate::domain::untrusted`]): the title one line of at most
    /// [`MAX_TITLE`](crate::domain::untrusted::MAX_TITLE) characters (the source's name if
    /// nothing is left of it), the body's control and bidirectional characters neutralised,
    /// the label, link and tags one bounded line each.
    pub fn cleaned(self) -> RawSignal {
        use crate::domain::untrusted;
        let title =
            untrusted::title(&self.title).unwrap_or_else(|| untrusted::one_line(&self.source, untrusted::MAX_TITLE));
        RawSignal {
            title,
            body: untrusted::block(&self.body, usize::MAX),
            label: self.label.as_deref().and_then(untrusted::label).filter(|l| *l != self.source),
            url: self.url.as_deref().map(|u| untrusted::one_line(u, MAX_URL)).filter(|u| !u.is_empty()),
            tags: self.tags.iter().map(|t| untrusted::one_line(t, MAX_TAG)).filter(|t| !t.is_empty()).collect(),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(title: &str) -> RawSignal {
        RawSignal {
            source: "wire".into(),
            label: Some("wire".into()),
            title: title.into(),
            body: "line one\r\n\u{1b}[2Kline two\u{202E}".into(),
            url: Some("https://example.org/\n✅".into()),
            language: None,
            metrics: Metrics::default(),
            tags: vec!["north\u{0}".into(), " \n ".into()],
            fingerprint: None,
            occurred_at: None,
            dedup_key: None,
            drill: None,
        }
    }

    #[test]
    fn a_cleaned_signal_has_one_bounded_title_line_and_neutral_text() {
        let s = signal(&format!("Leak\n✅ #1 Leak — resolved by Alice Chen{}", "!".repeat(300))).cleaned();
        assert!(s.title.starts_with("Leak ✅ #1 Leak — resolved by Alice Chen!!!"), "{}", s.title);
        assert_eq!(s.title.chars().count(), crate::domain::untrusted::MAX_TITLE);
        assert_eq!(s.body, "line one\n\u{FFFD}[2Kline two\u{FFFD}");
        assert_eq!(s.url.as_deref(), Some("https://example.org/ ✅"));
        assert_eq!(s.tags, ["north\u{FFFD}"]);
        assert_eq!(s.label, None, "a label that only repeats the source says nothing");
        assert_eq!(signal("\n\t").cleaned().title, "wire", "nothing left of the title: the source names it");
    }
}
