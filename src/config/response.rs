//! bot.toml sections for response clocks and duty: `[clocks]`, `[watch]`, and the keys of
//! `[[teams]]` that say when and to whom a team answers (`timezone`, `report_at`,
//! `[teams.duty]`; `escalation_chat` is checked with the team's other chats).

use super::Problems;
use super::intake::duration;
use crate::domain::roster::{Duty, Every, NewCaseDuty, Rotation};
use crate::domain::{ClockKind, ClockPolicy, Grade, Role, Stage};
use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClocks {
    pub reminders: Option<Vec<f64>>,
    /// A fraction above 1, or `false` for never.
    pub escalate: Option<toml::Value>,
    #[serde(rename = "I")]
    pub i: Option<RawGradeClocks>,
    #[serde(rename = "II")]
    pub ii: Option<RawGradeClocks>,
    #[serde(rename = "III")]
    pub iii: Option<RawGradeClocks>,
    #[serde(rename = "IV")]
    pub iv: Option<RawGradeClocks>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGradeClocks {
    pub acknowledge: Option<String>,
    pub respond: Option<String>,
    pub resolve: Option<String>,
}

impl RawGradeClocks {
    fn get(&self, kind: ClockKind) -> Option<&String> {
        match kind {
            ClockKind::Acknowledge => self.acknowledge.as_ref(),
            ClockKind::Respond => self.respond.as_ref(),
            ClockKind::Resolve => self.resolve.as_ref(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWatch {
    pub factor: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDuty {
    pub people: Vec<String>,
    pub every: Option<String>,
    pub handoff: String,
    pub start: String,
    pub hours: Option<String>,
    pub new_cases: Option<String>,
}

/// The bot.toml key of a clock in `[clocks.<grade>]`.
fn key(kind: ClockKind) -> &'static str {
    match kind {
        ClockKind::Acknowledge => "acknowledge",
        ClockKind::Respond => "respond",
        ClockKind::Resolve => "resolve",
    }
}

/// A duration the way bot.toml writes it, in its largest whole unit: `90m`, `2d`.
fn written(d: chrono::Duration) -> String {
    let s = d.num_seconds();
    match s {
        _ if s % 86_400 == 0 => format!("{}d", s / 86_400),
        _ if s % 3600 == 0 => format!("{}h", s / 3600),
        _ if s % 60 == 0 => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

/// `[clocks]` and `[watch]`; whatever is not given keeps [`ClockPolicy::default`].
pub(super) fn clocks(p: &mut Problems, raw: Option<&RawClocks>, watch: Option<&RawWatch>) -> ClockPolicy {
    let mut policy = ClockPolicy::default();
    if let Some(raw) = raw {
        if let Some(reminders) = &raw.reminders {
            policy.reminders = self::reminders(p, reminders);
        }
        match &raw.escalate {
            None => {}
            Some(toml::Value::Boolean(false)) => policy.escalate = None,
            Some(v) => match v.as_float().or_else(|| v.as_integer().map(|n| n as f64)) {
                Some(f) if f.is_finite() && f > 1.0 => policy.escalate = Some(f),
                _ => p.add(
                    "clocks.escalate",
                    format!("{v} is not a fraction above 1 (1.5 = half a clock past its deadline), or false for never"),
                ),
            },
        }
        for (grade, rg) in Grade::ALL.into_iter().zip([&raw.i, &raw.ii, &raw.iii, &raw.iv]) {
            let Some(rg) = rg else { continue };
            let lengths = &mut policy.per_grade[grade.index()];
            for kind in ClockKind::ALL {
                let Some(text) = rg.get(kind) else { continue };
                match duration(text).and_then(|d| chrono::Duration::from_std(d).ok()) {
                    Some(d) => *lengths.get_mut(kind) = d,
                    None => p.add(
                        format!("clocks.{grade}.{}", key(kind)),
                        format!("\"{text}\" is not a duration like 10m, 4h or 3d (more than zero)"),
                    ),
                }
            }
            for pair in ClockKind::ALL.windows(2) {
                let (a, b) = (lengths.get(pair[0]), lengths.get(pair[1]));
                if a > b {
                    p.add(
                        format!("clocks.{grade}"),
                        format!(
                            "{} ({}) must not be shorter than {} ({}); missing keys keep their defaults",
                            key(pair[1]),
                            written(b),
                            key(pair[0]),
                            written(a)
                        ),
                    );
                }
            }
        }
    }
    if let Some(f) = watch.and_then(|w| w.factor) {
        if f.is_finite() && f > 0.0 && f <= 10.0 {
            policy.watch_factor = f;
        } else {
            p.add("watch.factor", format!("{f} is not a factor above 0 and at most 10 (0.5 halves every clock)"));
        }
    }
    policy
}

fn reminders(p: &mut Problems, raw: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for (j, &f) in raw.iter().enumerate() {
        let at = format!("clocks.reminders[{j}]");
        if !(f.is_finite() && f > 0.0 && f < 1.0) {
            p.add(at, format!("{f} is not a fraction between 0 and 1 (0.8 = when 80 % of a clock has gone)"));
            continue;
        }
        // Reminders are named by their whole percentage (`remind80`), so each needs its own.
        let stage = Stage::remind(f);
        if !matches!(stage, Stage::Remind(1..=99)) {
            p.add(at, format!("{f} rounds to {stage}; reminders are at 1 % to 99 % of a clock"));
        } else if out.last().is_some_and(|&prev| Stage::remind(prev) >= stage) {
            p.add(at, format!("{f} must come later than the reminder before it (at least a whole percent)"));
        } else {
            out.push(f);
        }
    }
    out
}

pub(super) fn timezone(p: &mut Problems, at: String, name: &str) -> Option<Tz> {
    let tz = name.parse::<Tz>().ok();
    if tz.is_none() {
        p.add(
            at,
            format!("unknown time zone \"{name}\" (an IANA name like \"Asia/Shanghai\", \"Europe/Berlin\", \"UTC\")"),
        );
    }
    tz
}

/// A local time of day, `HH:MM` on the 24-hour clock.
fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    let well_formed = s.len() == 5 && s.as_bytes()[2] == b':';
    well_formed.then(|| NaiveTime::parse_from_str(s, "%H:%M").ok()).flatten()
}

pub(super) fn time_of_day(p: &mut Problems, at: String, s: &str) -> Option<NaiveTime> {
    let t = parse_time(s);
    if t.is_none() {
        p.add(at, format!("\"{s}\" is not a time like \"09:00\" (HH:MM, 24-hour clock)"));
    }
    t
}

fn hours(p: &mut Problems, at: String, s: &str) -> Option<(NaiveTime, NaiveTime)> {
    let parsed = s.split_once('-').and_then(|(a, b)| Some((parse_time(a)?, parse_time(b)?)));
    match parsed {
        None => p.add(at, format!("\"{s}\" is not hours like \"08:00-20:00\" (or \"20:00-08:00\" across midnight)")),
        Some((a, b)) if a == b => {
            p.add(at, format!("\"{s}\" starts and ends at the same time; omit hours for all day"))
        }
        Some(h) => return Some(h),
    }
    None
}

/// `[teams.duty]` of the team at `at`, whose time zone is `tz` (`None` if it was bad).
pub(super) fn duty(
    p: &mut Problems,
    at: &str,
    raw: &RawDuty,
    tz: Option<Tz>,
    people: &[super::Person],
) -> Option<Duty> {
    let at = format!("{at}.duty");
    if raw.people.is_empty() {
        p.add(format!("{at}.people"), "needs at least one person");
    }
    let mut names = Vec::new();
    for (j, name) in raw.people.iter().enumerate() {
        match people.iter().find(|person| person.name.eq_ignore_ascii_case(name)) {
            None => p.add(format!("{at}.people[{j}]"), format!("no person named \"{name}\"")),
            Some(person) if !person.roles.contains(Role::Member) && !person.roles.contains(Role::Leader) => p.add(
                format!("{at}.people[{j}]"),
                format!("\"{name}\" cannot work cases on duty (needs the member or leader role)"),
            ),
            Some(person) => names.push(person.name.clone()),
        }
    }
    let every = match raw.every.as_deref() {
        None => Some(Every::Daily),
        Some(s) => {
            let e = Every::parse(s);
            if e.is_none() {
                p.add(format!("{at}.every"), format!("unknown rotation \"{s}\" (expected \"daily\" or \"weekly\")"));
            }
            e
        }
    };
    let handoff = time_of_day(p, format!("{at}.handoff"), &raw.handoff);
    let start = NaiveDate::parse_from_str(raw.start.trim(), "%Y-%m-%d").ok();
    if start.is_none() {
        p.add(format!("{at}.start"), format!("\"{}\" is not a date like \"2026-11-02\"", raw.start));
    }
    // `None` when the hours were given but bad; `Some(None)` when not given (all day).
    let hours = match &raw.hours {
        None => Some(None),
        Some(s) => self::hours(p, format!("{at}.hours"), s).map(Some),
    };
    let new_cases = match raw.new_cases.as_deref() {
        None => Some(NewCaseDuty::default()),
        Some(s) => {
            let n = NewCaseDuty::parse(s);
            if n.is_none() {
                p.add(format!("{at}.new_cases"), format!("unknown value \"{s}\" (expected \"assign\" or \"mention\")"));
            }
            n
        }
    };
    if names.len() != raw.people.len() || names.is_empty() {
        return None;
    }
    let rotation = Rotation { people: names, every: every?, handoff: handoff?, start: start?, hours: hours?, tz: tz? };
    Some(Duty { rotation, new_cases: new_cases? })
}
