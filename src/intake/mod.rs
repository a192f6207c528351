//! Taking signals in: HTTP webhooks (generic JSON, Alertmanager, Grafana), RSS/Atom feeds,
//! and chat. Every signal ends up in one [`SignalSink`], which grades it and opens a case or
//! joins it to the open case of the same story.

mod alerts;
pub mod auth;
pub mod feeds;
pub mod http;
pub mod signal;

pub use signal::{Metrics, RawSignal};

use async_trait::async_trait;

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
