//! Taking signals in: HTTP webhooks (generic JSON, Alertmanager, Grafana), RSS/Atom feeds,
//! and chat. Every signal ends up in one [`SignalSink`], which grades it and opens a case or
//! joins it to the open case of the same story.

mod alerts;
pub mod auth;
pub mod feeds;
pub mod http;
mod json_io;
pub mod limits;
pub mod server;
pub mod signal;

pub use signal::{DrillMark, Metrics, RawSignal};

use crate::telemetry::{SignalOutcome, Telemetry};
use async_trait::async_trait;
use std::sync::Arc;

/// Where taken-in signals go: the grading and case pipeline.
#[async_trait]
pub trait SignalSink: Send + Sync {
    /// Takes one signal in, durably. A signal whose `dedup_key` was taken in before is
    /// ignored (`Ok(Intake::Duplicate)`).
    async fn accept(&self, signal: RawSignal) -> anyhow::Result<Intake>;
}

/// What became of a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// A new case was opened for it.
    Opened(crate::domain::CaseId),
    /// It joined the open case of the same story.
    Joined(crate::domain::CaseId),
    /// It was taken in before.
    Duplicate,
}

/// Counts and logs what became of a signal from `source`, a name from bot.toml (a source or a
/// feed), never one a request body gave.
pub fn record(telemetry: &Telemetry, source: &str, intake: &Intake) {
    let (outcome, case) = match intake {
        Intake::Opened(c) => (SignalOutcome::Opened, Some(c.get())),
        Intake::Joined(c) => (SignalOutcome::Joined, Some(c.get())),
        Intake::Duplicate => (SignalOutcome::Duplicate, None),
    };
    telemetry.signal(source, outcome);
    tracing::info!(source, outcome = outcome.as_str(), case, "signal taken in");
}

/// A sink that counts what each signal became by the signal's `source`. Only for feeds, whose
/// signals are named after the feed in bot.toml: a webhook's body names its own source, which
/// is no label (the webhook handlers count by the configured source instead).
pub struct Counted<S: ?Sized> {
    pub sink: Arc<S>,
    pub telemetry: Arc<Telemetry>,
}

#[async_trait]
impl<S: SignalSink + ?Sized> SignalSink for Counted<S> {
    async fn accept(&self, signal: RawSignal) -> anyhow::Result<Intake> {
        let source = signal.source.clone();
        let result = self.sink.accept(signal).await;
        match &result {
            Ok(intake) => record(&self.telemetry, &source, intake),
            Err(_) => self.telemetry.signal(&source, SignalOutcome::Failed),
        }
        result
    }
}
