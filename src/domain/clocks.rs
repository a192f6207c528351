//! Response clocks: acknowledge, respond and resolve, each running from the moment a case
//! opens (docs/ARCHITECTURE.md §1, rule 3).
//!
//! Everything here is arithmetic on facts the caller passes in, `now` included:
//!
//! * A clock's **length** is its grade's base duration from [`ClockPolicy`], multiplied by
//!   the watch factor while the team is on heightened watch, plus the extensions leaders
//!   granted with `/due` (extensions are not scaled). Its **deadline** is `opened_at + length`,
//!   so a regrade or an extension moves the deadline of a clock that is already running.
//! * A clock **stops** at its own stop time ([`ClockFacts::stopped_at`]). A later stop answers
//!   the earlier clocks too: a first public response also stops the acknowledge clock, and
//!   resolving stops all three. A clock that stopped by the deadline was **met**, after it
//!   **missed**.
//! * Each running clock has **stages**: the reminders (fractions of its length, e.g. 50 %
//!   and 80 %), the **breach** at 100 % and, when configured, the **escalation** to the level
//!   above (e.g. 150 %). [`schedule`] says which stages are still to come, and [`job_key`]
//!   names each one so the same reminder is never queued twice.

use super::{CaseId, Grade};
use chrono::{DateTime, Duration, Utc};
use std::borrow::Cow;
use std::fmt;

/// The three clocks of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClockKind {
    /// Someone on the team has seen the case (`/ack`).
    Acknowledge,
    /// The first public response has been published.
    Respond,
    /// The case is resolved.
    Resolve,
}

impl ClockKind {
    pub const ALL: [ClockKind; 3] = [ClockKind::Acknowledge, ClockKind::Respond, ClockKind::Resolve];

    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Acknowledge => "ack",
            ClockKind::Respond => "respond",
            ClockKind::Resolve => "resolve",
        }
    }

    /// Reads `ack`/`acknowledge`, `respond`/`response` and `resolve`, in any case.
    pub fn parse(s: &str) -> Option<ClockKind> {
        match s.to_ascii_lowercase().as_str() {
            "ack" | "acknowledge" => Some(ClockKind::Acknowledge),
            "respond" | "response" => Some(ClockKind::Respond),
            "resolve" => Some(ClockKind::Resolve),
            _ => None,
        }
    }

    /// The position in [`ClockKind::ALL`], for arrays indexed by clock.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ClockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The base lengths of the three clocks for one grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockDurations {
    pub ack: Duration,
    pub respond: Duration,
    pub resolve: Duration,
}

impl ClockDurations {
    pub fn get(&self, kind: ClockKind) -> Duration {
        match kind {
            ClockKind::Acknowledge => self.ack,
            ClockKind::Respond => self.respond,
            ClockKind::Resolve => self.resolve,
        }
    }

    pub fn get_mut(&mut self, kind: ClockKind) -> &mut Duration {
        match kind {
            ClockKind::Acknowledge => &mut self.ack,
            ClockKind::Respond => &mut self.respond,
            ClockKind::Resolve => &mut self.resolve,
        }
    }
}

/// How long each grade's clocks run and when people are reminded; from `[clocks]` and
/// `[watch]` in bot.toml (checked there: reminders strictly increasing whole percents in
/// (0, 1), `escalate` above 1, `watch_factor` in (0, 10]).
#[derive(Debug, Clone, PartialEq)]
pub struct ClockPolicy {
    /// Indexed by [`Grade::index`].
    pub per_grade: [ClockDurations; 4],
    /// Fractions of a clock's length at which its owner is reminded, e.g. `[0.5, 0.8]`.
    pub reminders: Vec<f64>,
    /// The fraction of a clock's length at which the level above is told, e.g. `1.5`;
    /// `None` = never.
    pub escalate: Option<f64>,
    /// Heightened watch multiplies every base length by this (0.5 halves the clocks).
    pub watch_factor: f64,
}

impl Default for ClockPolicy {
    fn default() -> ClockPolicy {
        let d = |ack: Duration, respond: Duration, resolve: Duration| ClockDurations { ack, respond, resolve };
        ClockPolicy {
            per_grade: [
                d(Duration::minutes(10), Duration::hours(1), Duration::hours(24)),
                d(Duration::minutes(30), Duration::hours(4), Duration::days(3)),
                d(Duration::hours(1), Duration::hours(12), Duration::days(7)),
                d(Duration::hours(4), Duration::days(2), Duration::days(14)),
            ],
            reminders: vec![0.5, 0.8],
            escalate: Some(1.5),
            watch_factor: 0.5,
        }
    }
}

impl ClockPolicy {
    /// The base length of one clock of one grade, before watch and extensions.
    pub fn base(&self, grade: Grade, kind: ClockKind) -> Duration {
        self.per_grade[grade.index()].get(kind)
    }

    /// Every stage with the fraction of the clock at which it falls, in order of time.
    pub fn stages(&self) -> Vec<(Stage, f64)> {
        let mut v: Vec<(Stage, f64)> = self.reminders.iter().map(|&f| (Stage::remind(f), f)).collect();
        v.push((Stage::Breach, 1.0));
        if let Some(e) = self.escalate {
            v.push((Stage::Escalate, e));
        }
        v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        v
    }

    /// The fraction of a clock at which `stage` falls; `None` for a reminder or an escalation
    /// this policy does not have.
    pub fn fraction(&self, stage: Stage) -> Option<f64> {
        match stage {
            Stage::Remind(p) => self.reminders.iter().copied().find(|&f| Stage::remind(f) == Stage::Remind(p)),
            Stage::Breach => Some(1.0),
            Stage::Escalate => self.escalate,
        }
    }
}

/// What the caller knows about one case, for its clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockFacts {
    pub opened_at: DateTime<Utc>,
    /// The grade now: a regrade changes the length of clocks that are still running.
    pub grade: Grade,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When the first public response was published.
    pub responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The sum of `/due` extensions granted per clock, indexed by [`ClockKind::index`].
    pub extensions: [Duration; 3],
    /// The case's team is on heightened watch.
    pub watch: bool,
    /// How many times faster than real time the case's clocks run: 1, except for the cases
    /// of a drill run at a speed (extensions are not sped up).
    pub speed: u32,
}

impl ClockFacts {
    /// A case just opened: nothing stopped, nothing extended, no watch.
    pub fn new(opened_at: DateTime<Utc>, grade: Grade) -> ClockFacts {
        ClockFacts {
            opened_at,
            grade,
            acknowledged_at: None,
            responded_at: None,
            resolved_at: None,
            extensions: [Duration::zero(); 3],
            watch: false,
            speed: 1,
        }
    }

    /// When a clock stopped: the earliest of its own stop time and those of the clocks after
    /// it (a public response shows the case was seen; a resolution answers everything).
    pub fn stopped_at(&self, kind: ClockKind) -> Option<DateTime<Utc>> {
        let stops = [self.acknowledged_at, self.responded_at, self.resolved_at];
        stops[kind.index()..].iter().flatten().min().copied()
    }
}

/// Where a clock stands at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockStatus {
    /// Still running, with this much time left (always more than zero).
    Running { left: Duration },
    /// Still running, past its deadline by this much (zero at the deadline itself).
    Overdue { by: Duration },
    /// Stopped at or before its deadline.
    Met { at: DateTime<Utc> },
    /// Stopped after its deadline, late by `by`.
    Missed { at: DateTime<Utc>, by: Duration },
}

/// A moment in the life of a running clock at which somebody is told something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// The owner is reminded: this percentage of the clock has gone (1–99).
    Remind(u8),
    /// The deadline: the owner and the leaders are told.
    Breach,
    /// Well past the deadline: the level above is told.
    Escalate,
}

impl Stage {
    /// The reminder stage for a fraction of a clock, named by its whole percentage.
    pub fn remind(fraction: f64) -> Stage {
        Stage::Remind((fraction * 100.0).round().clamp(0.0, 255.0) as u8)
    }

    /// `remind50`, `breach`, `escalate`.
    pub fn as_str(self) -> Cow<'static, str> {
        match self {
            Stage::Remind(p) => Cow::Owned(format!("remind{p}")),
            Stage::Breach => Cow::Borrowed("breach"),
            Stage::Escalate => Cow::Borrowed("escalate"),
        }
    }

    /// Reads back what [`Stage::as_str`] wrote; reminders are 1–99 percent.
    pub fn parse(s: &str) -> Option<Stage> {
        match s {
            "breach" => Some(Stage::Breach),
            "escalate" => Some(Stage::Escalate),
            _ => {
                let digits = s.strip_prefix("remind")?;
                if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                digits.parse::<u8>().ok().filter(|p| (1..=99).contains(p)).map(Stage::Remind)
            }
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// One stage of one clock that is still to be announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub kind: ClockKind,
    pub stage: Stage,
    /// When the stage falls. At or before `now` (a stage that fell while nobody could
    /// announce it, or that a regrade pulled into the past) means: announce it now.
    pub at: DateTime<Utc>,
    /// The clock's deadline this stage was computed against; part of the [`job_key`].
    pub deadline: DateTime<Utc>,
}

/// `d × factor`, to the millisecond, saturating at the ends of `Duration`'s range.
fn scale(d: Duration, factor: f64) -> Duration {
    let ms = (d.num_milliseconds() as f64 * factor).round() as i64; // `as` saturates
    Duration::try_milliseconds(ms).unwrap_or(if ms < 0 { Duration::MIN } else { Duration::MAX })
}

/// `at + d`, saturating: no stored length or extension can make date arithmetic panic (a
/// leader's typo once took the whole process down here).
fn shifted(at: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    at.checked_add_signed(d).unwrap_or(if d < Duration::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// How long a clock runs in total: base × watch factor (on watch) + extensions, never less
/// than zero.
pub fn length(policy: &ClockPolicy, facts: &ClockFacts, kind: ClockKind) -> Duration {
    let base = policy.base(facts.grade, kind);
    let base = if facts.watch { scale(base, policy.watch_factor) } else { base };
    let base = if facts.speed > 1 { scale(base, 1.0 / f64::from(facts.speed)) } else { base };
    base.checked_add(&facts.extensions[kind.index()]).unwrap_or(Duration::MAX).max(Duration::zero())
}

pub fn deadline(policy: &ClockPolicy, facts: &ClockFacts, kind: ClockKind) -> DateTime<Utc> {
    shifted(facts.opened_at, length(policy, facts, kind))
}

/// When a stage of a clock falls, or `None` if the policy has no such stage.
pub fn stage_at(policy: &ClockPolicy, facts: &ClockFacts, kind: ClockKind, stage: Stage) -> Option<DateTime<Utc>> {
    let fraction = policy.fraction(stage)?;
    Some(shifted(facts.opened_at, scale(length(policy, facts, kind), fraction)))
}

pub fn status(policy: &ClockPolicy, facts: &ClockFacts, kind: ClockKind, now: DateTime<Utc>) -> ClockStatus {
    let deadline = deadline(policy, facts, kind);
    match facts.stopped_at(kind) {
        Some(at) if at <= deadline => ClockStatus::Met { at },
        Some(at) => ClockStatus::Missed { at, by: at - deadline },
        None if now < deadline => ClockStatus::Running { left: deadline - now },
        None => ClockStatus::Overdue { by: now - deadline },
    }
}

/// The stages still to be announced, in order of time, for every clock that is running.
///
/// A stage that falls after `now` is always listed, whether or not it was sent before: an
/// extension or a lighter grade moved it, and the new deadline gives it a new [`job_key`].
/// Of the stages of one clock that fall at or before `now`, only the latest is listed, and
/// only if it is not in `already_sent`: a sent stage is never repeated, and when a regrade
/// (or a pause in announcing) puts several stages in the past at once, the team hears the
/// most advanced one now, not a burst of stale reminders before it.
pub fn schedule(
    policy: &ClockPolicy,
    facts: &ClockFacts,
    already_sent: &[(ClockKind, Stage)],
    now: DateTime<Utc>,
) -> Vec<Due> {
    let stages = policy.stages();
    let mut out = Vec::new();
    for kind in ClockKind::ALL {
        if facts.stopped_at(kind).is_some() {
            continue;
        }
        let deadline = deadline(policy, facts, kind);
        let total = length(policy, facts, kind);
        let timed: Vec<Due> = stages
            .iter()
            .map(|&(stage, fraction)| Due {
                kind,
                stage,
                at: shifted(facts.opened_at, scale(total, fraction)),
                deadline,
            })
            .collect();
        if let Some(latest_past) = timed.iter().rfind(|d| d.at <= now)
            && !already_sent.contains(&(kind, latest_past.stage))
        {
            out.push(*latest_past);
        }
        out.extend(timed.into_iter().filter(|d| d.at > now));
    }
    out.sort_by_key(|d| (d.at, d.kind, d.stage));
    out
}

/// The stage of a running clock that comes right after `after`, skipping those already sent,
/// whether it lies in the future or has already passed. Once a stage has been announced, its
/// clock goes on stage by stage: stages that fell due while tocsin was down are each sent
/// (late), not lost. (A regrade or an extension uses [`schedule`] instead, which announces
/// only the most advanced stage already past.)
pub fn next_stage(
    policy: &ClockPolicy,
    facts: &ClockFacts,
    kind: ClockKind,
    after: Stage,
    already_sent: &[(ClockKind, Stage)],
) -> Option<Due> {
    if facts.stopped_at(kind).is_some() {
        return None;
    }
    let deadline = deadline(policy, facts, kind);
    let total = length(policy, facts, kind);
    policy
        .stages()
        .into_iter()
        .find(|&(stage, _)| stage > after && !already_sent.contains(&(kind, stage)))
        .map(|(stage, fraction)| Due { kind, stage, at: shifted(facts.opened_at, scale(total, fraction)), deadline })
}

/// The name of the job that announces one stage: `clock:42:ack:remind50:<deadline in unix
/// ms>`. The same stage against the same deadline always gets the same key, so it can never
/// be queued twice; a moved deadline gives a new key (and the old job is stale).
pub fn job_key(case: CaseId, due: &Due) -> String {
    job_key_with(&case.get().to_string(), due)
}

/// The same key with `case` written as given: `{case}` for a case the store has not
/// numbered yet.
pub fn job_key_with(case: &str, due: &Due) -> String {
    format!("clock:{case}:{}:{}:{}", due.kind.as_str(), due.stage.as_str(), due.deadline.timestamp_millis())
}

/// The clock and stage a job key names.
pub fn parse_job_key(key: &str) -> Option<(ClockKind, Stage)> {
    let mut parts = key.split(':');
    (parts.next()? == "clock").then_some(())?;
    let _case = parts.next()?;
    Some((ClockKind::parse(parts.next()?)?, Stage::parse(parts.next()?)?))
}

#[cfg(test)]
mod tests;
