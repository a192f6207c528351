//! What tocsin knows about itself as a running service: the series `GET /metrics` shows
//! (Prometheus text format) and how each platform connection is doing ([`links`]).
//!
//! Two kinds of series:
//! - **counted by this process** as things happen: signals taken in, messages sent, clock stages
//!   and how late they ran. Each instance counts its own; sum them across instances.
//! - **read from the ledger when scraped** ([`Snapshot`]): cases on the ledger, the outbox,
//!   approvals waiting, the scheduler's lag. Every instance sharing a database reports the same
//!   values, so they stay right however many instances run (take `max`, not `sum`, across them).
//!
//! Each [`Telemetry`] has its own registry, not the process-wide default: the tests start many
//! tocsins in one process, and each must count only what it did. Label values come from closed
//! sets (grades, states, platforms, clocks, stages, outcomes) and from source and feed names in
//! bot.toml — never from a request body — so the number of series stays bounded.

pub mod links;

use crate::config::Config;
use crate::domain::clocks::{ClockKind, Stage};
use crate::domain::{CaseState, Grade};
use crate::platform::Platform;
use links::Links;
use prometheus::{Encoder as _, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

/// Seconds a clock stage ran after it fell due: on time is well under a second; after a restart
/// it can be hours.
const LATENESS_BUCKETS: [f64; 10] = [0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14_400.0, 86_400.0];

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What became of a signal (or of a request that tried to bring one in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalOutcome {
    Opened,
    Joined,
    Duplicate,
    /// A resolved alert noted on (or resolving) its case.
    Resolved,
    /// A resolved alert whose case tocsin does not know.
    Unmatched,
    /// Refused: no valid credentials, not JSON, not a signal, too large.
    Rejected,
    /// Could not be stored; the sender is asked to retry.
    Failed,
}

impl SignalOutcome {
    pub const ALL: [SignalOutcome; 7] = [
        SignalOutcome::Opened,
        SignalOutcome::Joined,
        SignalOutcome::Duplicate,
        SignalOutcome::Resolved,
        SignalOutcome::Unmatched,
        SignalOutcome::Rejected,
        SignalOutcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignalOutcome::Opened => "opened",
            SignalOutcome::Joined => "joined",
            SignalOutcome::Duplicate => "duplicate",
            SignalOutcome::Resolved => "resolved",
            SignalOutcome::Unmatched => "unmatched",
            SignalOutcome::Rejected => "rejected",
            SignalOutcome::Failed => "failed",
        }
    }
}

/// The source label of a request refused before its source was known.
pub const UNKNOWN_SOURCE: &str = "unknown";

/// How one attempt to send to a platform ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendResult {
    Ok,
    /// 429: the platform said to wait.
    RateLimited,
    /// A timeout or 5xx: retried later.
    Transient,
    /// Never deliverable (chat not found, bot removed): not retried.
    Permanent,
}

impl SendResult {
    pub const ALL: [SendResult; 4] =
        [SendResult::Ok, SendResult::RateLimited, SendResult::Transient, SendResult::Permanent];

    pub fn as_str(self) -> &'static str {
        match self {
            SendResult::Ok => "ok",
            SendResult::RateLimited => "rate_limited",
            SendResult::Transient => "transient",
            SendResult::Permanent => "permanent",
        }
    }
}

/// A clock stage's label: every reminder is `remind`, whatever its percentage.
fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::Remind(_) => "remind",
        Stage::Breach => "breach",
        Stage::Escalate => "escalate",
    }
}

const STAGES: [Stage; 3] = [Stage::Remind(50), Stage::Breach, Stage::Escalate];

/// What the ledger says at scrape time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Cases on the ledger (neither closed nor dismissed) by grade and state; drills left out.
    pub cases: Vec<(Grade, CaseState, i64)>,
    pub outbox: Vec<Queue>,
    /// Latest draft versions waiting for more leaders' approvals.
    pub approvals_waiting: i64,
    /// Latest draft versions a standing concern holds, whatever their approvals.
    pub approvals_held: i64,
    /// How long the earliest pending job has been due (0 when none is overdue).
    pub scheduler_lag_seconds: f64,
}

/// One platform's part of the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub platform: Platform,
    /// Messages neither delivered nor given up on.
    pub depth: i64,
    /// Seconds since the oldest of them was queued (0 when there is none).
    pub oldest_age_seconds: f64,
}

pub struct Telemetry {
    registry: Registry,
    signals: IntCounterVec,
    sends: IntCounterVec,
    stages: IntCounterVec,
    lateness: HistogramVec,
    /// How each platform connection is doing, for `/readyz`.
    pub links: Links,
}

/// Only a constant name or label list that is not valid makes these fail: a bug, not input.
const VALID: &str = "metric names and labels are constants";

impl Telemetry {
    /// Every series bot.toml makes possible starts at zero, so a dashboard's `rate()` sees a
    /// series from the first scrape rather than from the first event.
    pub fn new(config: &Config) -> Telemetry {
        let registry = Registry::new();
        let signals = IntCounterVec::new(
            Opts::new("tocsin_signals_total", "Signals taken in (or refused), by source and outcome."),
            &["source", "outcome"],
        )
        .expect(VALID);
        let sends = IntCounterVec::new(
            Opts::new("tocsin_sends_total", "Attempts to send a message to a platform, by result."),
            &["platform", "result"],
        )
        .expect(VALID);
        let stages = IntCounterVec::new(
            Opts::new("tocsin_clock_stages_total", "Clock stages carried out (reminders, breaches, escalations)."),
            &["clock", "stage"],
        )
        .expect(VALID);
        let lateness = HistogramVec::new(
            HistogramOpts::new(
                "tocsin_clock_stage_lateness_seconds",
                "How long after it fell due a clock stage was carried out.",
            )
            .buckets(LATENESS_BUCKETS.to_vec()),
            &["stage"],
        )
        .expect(VALID);
        for c in [&signals, &sends, &stages] {
            registry.register(Box::new(c.clone())).expect(VALID);
        }
        registry.register(Box::new(lateness.clone())).expect(VALID);
        let build =
            IntGaugeVec::new(Opts::new("tocsin_build_info", "The running version."), &["version"]).expect(VALID);
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        registry.register(Box::new(build)).expect(VALID);

        let names = config.sources.iter().map(|s| s.name.as_str()).chain(config.feeds.iter().map(|f| f.name.as_str()));
        for source in names {
            for outcome in SignalOutcome::ALL {
                signals.with_label_values(&[source, outcome.as_str()]);
            }
        }
        // A request whose source is not known yet can only have been refused.
        signals.with_label_values(&[UNKNOWN_SOURCE, SignalOutcome::Rejected.as_str()]);
        for platform in config.platforms_in_use() {
            for result in SendResult::ALL {
                sends.with_label_values(&[platform.as_str(), result.as_str()]);
            }
        }
        for clock in ClockKind::ALL {
            for stage in STAGES {
                stages.with_label_values(&[clock.as_str(), stage_label(stage)]);
            }
        }
        for stage in STAGES {
            lateness.with_label_values(&[stage_label(stage)]);
        }
        Telemetry { registry, signals, sends, stages, lateness, links: Links::default() }
    }

    /// A signal's fate. `source` must be a name from bot.toml (or [`UNKNOWN_SOURCE`]).
    pub fn signal(&self, source: &str, outcome: SignalOutcome) {
        self.signals.with_label_values(&[source, outcome.as_str()]).inc();
    }

    pub fn sent(&self, platform: Platform, result: SendResult) {
        self.sends.with_label_values(&[platform.as_str(), result.as_str()]).inc();
    }

    /// A clock stage carried out `late` after it fell due.
    pub fn clock_stage(&self, clock: ClockKind, stage: Stage, late: chrono::Duration) {
        let label = stage_label(stage);
        self.stages.with_label_values(&[clock.as_str(), label]).inc();
        let seconds = late.num_milliseconds().max(0) as f64 / 1000.0;
        self.lateness.with_label_values(&[label]).observe(seconds);
    }

    /// The text exposition: this process's counters, and the ledger's gauges when it could be
    /// read (`tocsin_ledger_up` says whether it could).
    pub fn render(&self, snapshot: Option<&Snapshot>) -> Result<String, prometheus::Error> {
        let scratch = Registry::new();
        let up = IntGauge::new("tocsin_ledger_up", "1 if this scrape could read the ledger, else 0.")?;
        up.set(i64::from(snapshot.is_some()));
        scratch.register(Box::new(up))?;
        if let Some(s) = snapshot {
            register_snapshot(&scratch, s)?;
        }
        let mut families = self.registry.gather();
        families.extend(scratch.gather());
        families.sort_by(|a, b| a.name().cmp(b.name()));
        let mut out = Vec::new();
        prometheus::TextEncoder::new().encode(&families, &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

/// The ledger's gauges, in a registry made for one scrape: two scrapes at once never see each
/// other's half-set values, and a series that is gone is gone.
fn register_snapshot(r: &Registry, s: &Snapshot) -> Result<(), prometheus::Error> {
    let cases = IntGaugeVec::new(
        Opts::new(
            "tocsin_ledger_cases",
            "Cases on the ledger (neither closed nor dismissed; no drills), by grade and state.",
        ),
        &["grade", "state"],
    )?;
    for grade in Grade::ALL {
        for state in CaseState::ALL.into_iter().filter(|s| s.is_on_ledger()) {
            cases.with_label_values(&[grade.as_str(), state.as_str()]).set(0);
        }
    }
    for (grade, state, n) in &s.cases {
        cases.with_label_values(&[grade.as_str(), state.as_str()]).set(*n);
    }
    let depth = IntGaugeVec::new(
        Opts::new(
            "tocsin_outbox_depth",
            "Messages waiting in the outbox (not delivered, not given up on), by platform.",
        ),
        &["platform"],
    )?;
    let age = prometheus::GaugeVec::new(
        Opts::new("tocsin_outbox_oldest_age_seconds", "Age of the oldest message waiting in the outbox, by platform."),
        &["platform"],
    )?;
    for q in &s.outbox {
        depth.with_label_values(&[q.platform.as_str()]).set(q.depth);
        age.with_label_values(&[q.platform.as_str()]).set(q.oldest_age_seconds);
    }
    let approvals = IntGaugeVec::new(
        Opts::new(
            "tocsin_approvals_waiting",
            "Latest draft versions waiting for leaders' approval; held = a concern holds it.",
        ),
        &["held"],
    )?;
    approvals.with_label_values(&["false"]).set(s.approvals_waiting);
    approvals.with_label_values(&["true"]).set(s.approvals_held);
    let lag = prometheus::Gauge::new(
        "tocsin_scheduler_lag_seconds",
        "How long the earliest pending scheduled job has been due (0 when none is overdue).",
    )?;
    lag.set(s.scheduler_lag_seconds);
    r.register(Box::new(cases))?;
    r.register(Box::new(depth))?;
    r.register(Box::new(age))?;
    r.register(Box::new(approvals))?;
    r.register(Box::new(lag))?;
    Ok(())
}

#[cfg(test)]
mod tests;
