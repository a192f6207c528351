//! Commands about time: clocks, duty and heightened watch.

use super::{Command, Problem, bounded, command_spec, first_word};
use crate::domain::clocks::ClockKind;
use crate::domain::{Action, CaseId, Span, SpanError};

pub static DUE: super::Spec = command_spec!(
    /// /due <case> <ack|respond|resolve> <duration> <reason>
    /// Give a case's clock more time (a duration such as 30m, 2h or 1d), saying why.
    "due", Action::Due, parse_due
);

pub static DUTY: super::Spec = command_spec!(
    /// /duty [swap <person> <YYYY-MM-DD>]
    /// Who is on duty now and next; leaders can hand one shift (by the date it starts) to someone else.
    "duty", Action::Duty, parse_duty
);

pub static WATCH: super::Spec = command_spec!(
    /// /watch on <reason> [for <duration>] | /watch off
    /// Heightened watch: shorter clocks and round-the-clock duty, until turned off or for a time.
    "watch", Action::Watch, parse_watch
);

pub static REPORT: super::Spec = command_spec!(
    /// /report [today|week]
    /// The leaders' report: new cases, open cases by grade with owners, overdue clocks and breaches.
    "report", Action::Report, parse_report
);

fn parse_report(args: &str) -> Result<Command, Problem> {
    use crate::app::report::Period;
    match args.trim().to_ascii_lowercase().as_str() {
        "" | "today" => Ok(Command::Report { period: Period::Today }),
        "week" => Ok(Command::Report { period: Period::Week }),
        _ => Err(Problem::Usage),
    }
}

fn parse_due(args: &str) -> Result<Command, Problem> {
    let (case, rest) = first_word(args);
    let (clock, rest) = first_word(rest);
    let (extra, reason) = first_word(rest);
    let case = CaseId::parse(case).ok_or(Problem::Usage)?;
    let clock = ClockKind::parse(clock).ok_or(Problem::Usage)?;
    let extra = span(extra)?;
    let reason = bounded(reason, super::cases::MAX_TEXT)?;
    Ok(Command::Due { case, clock, extra, reason })
}

fn parse_duty(args: &str) -> Result<Command, Problem> {
    let (word, rest) = first_word(args);
    match word {
        "" => Ok(Command::Duty),
        w if w.eq_ignore_ascii_case("swap") => {
            let (person, rest) = first_word(rest);
            let (date, extra) = first_word(rest);
            let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| Problem::Usage)?;
            let person = person.strip_prefix('@').unwrap_or(person);
            if person.is_empty() || !extra.is_empty() {
                return Err(Problem::Usage);
            }
            Ok(Command::DutySwap { person: person.to_string(), date })
        }
        _ => Err(Problem::Usage),
    }
}

fn parse_watch(args: &str) -> Result<Command, Problem> {
    let (word, rest) = first_word(args);
    if word.eq_ignore_ascii_case("off") && rest.is_empty() {
        return Ok(Command::WatchOff);
    }
    if !word.eq_ignore_ascii_case("on") {
        return Err(Problem::Usage);
    }
    // `for <duration>` at the end bounds the watch; everything before it is the reason.
    // A last word that is not a length at all ("typhoon for the coast") belongs to the reason.
    let (reason, span) = match rest.rsplit_once(" for ") {
        Some((reason, d)) => match Span::parse(d) {
            Ok(d) => (reason, Some(d)),
            Err(SpanError::TooLong) => return Err(Problem::SpanTooLong),
            Err(SpanError::Malformed) => (rest, None),
        },
        None => (rest, None),
    };
    Ok(Command::WatchOn { reason: bounded(reason, super::cases::MAX_TEXT)?, span })
}

fn span(word: &str) -> Result<Span, Problem> {
    Span::parse(word).map_err(|e| match e {
        SpanError::TooLong => Problem::SpanTooLong,
        SpanError::Malformed => Problem::Usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::parse;

    fn ok(text: &str) -> Command {
        parse(text, None).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    #[test]
    fn due_names_case_clock_time_and_reason() {
        assert_eq!(
            ok("/due 4 ack 30m waiting for the utility"),
            Command::Due {
                case: CaseId::parse("4").unwrap(),
                clock: ClockKind::Acknowledge,
                extra: Span::parse("30m").unwrap(),
                reason: "waiting for the utility".into()
            }
        );
        for huge in ["/due 1 resolve 99999999d x", "/due 1 respond 9223372036854775807s x", "/due 1 ack 367d x"] {
            assert!(
                matches!(
                    parse(huge, None),
                    Err(crate::command::ParseError::BadArguments { problem: Problem::SpanTooLong, .. })
                ),
                "{huge}"
            );
        }
        for bad in ["/due", "/due 4", "/due 4 lunch 30m x", "/due 4 ack soon x", "/due 4 ack 30m", "/due x ack 30m y"] {
            assert!(parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn duty_shows_or_swaps_a_dated_shift() {
        assert_eq!(ok("/duty"), Command::Duty);
        assert_eq!(
            ok("/duty swap @bob 2026-11-23"),
            Command::DutySwap { person: "bob".into(), date: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap() }
        );
        for bad in ["/duty swap bob", "/duty swap bob 23.11.2026", "/duty now", "/duty swap bob 2026-11-23 x"] {
            assert!(parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn watch_goes_on_with_a_reason_and_maybe_an_end() {
        assert_eq!(ok("/watch on typhoon warning"), Command::WatchOn { reason: "typhoon warning".into(), span: None });
        assert_eq!(
            ok("/watch on typhoon for the coast for 12h"),
            Command::WatchOn { reason: "typhoon for the coast".into(), span: Some(Span::parse("12h").unwrap()) }
        );
        assert!(matches!(
            parse("/watch on x for 99999999d", None),
            Err(crate::command::ParseError::BadArguments { problem: Problem::SpanTooLong, .. })
        ));
        assert_eq!(ok("/watch off"), Command::WatchOff);
        for bad in ["/watch", "/watch on", "/watch maybe", "/watch off now"] {
            assert!(parse(bad, None).is_err(), "{bad}");
        }
    }
}
