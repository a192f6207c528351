//! The duty roster: who is on watch at an instant (docs/ARCHITECTURE.md §1, rule 6).
//!
//! A [`Rotation`] cuts time into consecutive shifts in the team's own time zone. Each shift
//! runs from the hand-off time on one local date to the hand-off time one day (or one week)
//! later, so a shift over a daylight-saving change lasts 23 or 25 hours, never a fixed 24.
//! Shift `n` (counting from [`Rotation::start`]) is worked by `people[n % len]`, unless a
//! [`Swap`] names someone else for it. Within a shift, the person is on duty during the
//! daily [`Rotation::hours`], and around the clock on heightened watch.
//!
//! Local times that do not exist (the hour skipped in spring) are taken as the first instant
//! after the gap; local times that happen twice (the hour repeated in autumn) as the earlier
//! one. [`next_local`] applies the same rule to the daily report and other local-time events.

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How long one shift lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Every {
    Daily,
    Weekly,
}

impl Every {
    pub fn parse(s: &str) -> Option<Every> {
        match s {
            "daily" => Some(Every::Daily),
            "weekly" => Some(Every::Weekly),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Every::Daily => "daily",
            Every::Weekly => "weekly",
        }
    }

    /// Local calendar days from one hand-off to the next.
    pub fn days(self) -> i64 {
        match self {
            Every::Daily => 1,
            Every::Weekly => 7,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Names from `[[people]]`, in the order they take their turns.
    pub people: Vec<String>,
    pub every: Every,
    /// Local time at which one shift hands over to the next.
    pub handoff: NaiveTime,
    /// The local date of the first shift (worked by `people[0]`); before it there is none.
    pub start: NaiveDate,
    /// Local on-duty hours within each day of a shift, `[from, to)`; may wrap midnight
    /// (`20:00-08:00`). `None` (or `from == to`) is all day.
    pub hours: Option<(NaiveTime, NaiveTime)>,
    pub tz: Tz,
}

/// Someone else works the shift that starts on `date` (a local date; for a weekly rotation
/// the week's first day). When several swaps name the same date, the last one counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    pub date: NaiveDate,
    pub person: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// The local date the shift starts on.
    pub date: NaiveDate,
    pub person: String,
    pub starts: DateTime<Utc>,
    /// The next shift's start.
    pub ends: DateTime<Utc>,
}

/// What happens to a new case while someone is on duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NewCaseDuty {
    /// The person on duty becomes its owner.
    #[default]
    Assign,
    /// The person on duty is mentioned in the announcement; nobody is made owner.
    Mention,
}

impl NewCaseDuty {
    pub fn parse(s: &str) -> Option<NewCaseDuty> {
        match s {
            "assign" => Some(NewCaseDuty::Assign),
            "mention" => Some(NewCaseDuty::Mention),
            _ => None,
        }
    }
}

/// A team's duty arrangement, from `[teams.duty]` in bot.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duty {
    pub rotation: Rotation,
    pub new_cases: NewCaseDuty,
}

/// The instant a local date and time denote in `tz`: in a gap (spring forward), the first
/// instant after the gap; when it happens twice (fall back), the earlier one.
pub fn local_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => end_of_gap(tz, local),
    }
}

/// The first instant whose local time is at or after `local`, which lies in a gap. Local
/// time only moves forward within a day of a gap, so a bisection over the seconds finds
/// the transition.
fn end_of_gap(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let local_of = |secs: i64| DateTime::from_timestamp(secs, 0).map(|t| t.with_timezone(&tz).naive_local());
    let naive = local.and_utc().timestamp();
    // No offset is a day or more, so a day before reads earlier locally and a day after later.
    let (mut lo, mut hi) = (naive - 86_400, naive + 86_400);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if local_of(mid).is_some_and(|l| l >= local) { hi = mid } else { lo = mid }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The first instant strictly after `after` whose local time in `tz` is `time` (with
/// [`local_instant`]'s rule for times that do not exist or happen twice on a given day).
pub fn next_local(tz: Tz, time: NaiveTime, after: DateTime<Utc>) -> DateTime<Utc> {
    let mut date = after.with_timezone(&tz).date_naive();
    loop {
        let candidate = local_instant(tz, date.and_time(time));
        if candidate > after {
            return candidate;
        }
        date = date + Days::new(1);
    }
}

impl Rotation {
    /// The local date and instant at which shift `n` starts (`n` may be negative, for the
    /// search in [`shift_at`]).
    fn shift_start(&self, n: i64) -> Option<(NaiveDate, DateTime<Utc>)> {
        let date = self.start.checked_add_signed(chrono::Duration::try_days(n.checked_mul(self.every.days())?)?)?;
        Some((date, local_instant(self.tz, date.and_time(self.handoff))))
    }

    /// The number of the shift running at `t`, or `None` before the first one.
    fn shift_index(&self, t: DateTime<Utc>) -> Option<i64> {
        let days = (t.with_timezone(&self.tz).date_naive() - self.start).num_days();
        let mut n = days.div_euclid(self.every.days());
        // The local date's shift is right but for the hours before its hand-off; step to be sure.
        while t < self.shift_start(n)?.1 {
            n -= 1;
        }
        while t >= self.shift_start(n + 1)?.1 {
            n += 1;
        }
        (n >= 0).then_some(n)
    }

    fn shift(&self, swaps: &[Swap], n: i64) -> Option<Shift> {
        let len = i64::try_from(self.people.len()).ok().filter(|l| *l > 0)?;
        let (date, starts) = self.shift_start(n)?;
        let (_, ends) = self.shift_start(n + 1)?;
        let person = match swaps.iter().rfind(|s| s.date == date) {
            Some(swap) => swap.person.clone(),
            None => self.people[usize::try_from(n.rem_euclid(len)).ok()?].clone(),
        };
        Some(Shift { date, person, starts, ends })
    }

    /// Whether a local time of day is within the on-duty hours.
    pub fn in_hours(&self, local: NaiveTime) -> bool {
        match self.hours {
            None => true,
            Some((from, to)) if from < to => from <= local && local < to,
            Some((from, to)) if from > to => local >= from || local < to,
            Some(_) => true,
        }
    }
}

/// The shift running at `t`; `None` before the rotation starts or when it names nobody.
pub fn shift_at(rot: &Rotation, swaps: &[Swap], t: DateTime<Utc>) -> Option<Shift> {
    rot.shift(swaps, rot.shift_index(t)?)
}

/// The shift after the one running at `t`; before the rotation starts, its first shift.
pub fn next_shift(rot: &Rotation, swaps: &[Swap], t: DateTime<Utc>) -> Option<Shift> {
    match rot.shift_index(t) {
        Some(n) => rot.shift(swaps, n + 1),
        None if t < rot.shift_start(0)?.1 => rot.shift(swaps, 0),
        None => None,
    }
}

/// Who is on duty at `t`: the shift's person within the on-duty hours, and at any hour on
/// heightened watch (`watch`: round-the-clock duty). `None` outside the hours and before
/// the rotation starts.
pub fn on_duty(rot: &Rotation, swaps: &[Swap], t: DateTime<Utc>, watch: bool) -> Option<String> {
    let shift = shift_at(rot, swaps, t)?;
    (watch || rot.in_hours(t.with_timezone(&rot.tz).time())).then_some(shift.person)
}

#[cfg(test)]
mod tests;
