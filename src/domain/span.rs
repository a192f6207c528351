//! A length of time typed by a person: `30s`, `5m`, `2h`, `1d`.
//!
//! Parse, don't validate: a [`Span`] is positive and at most [`Span::MAX_DAYS`] days, so any
//! date it is added to stays far inside what chrono (and both databases) can represent. A
//! leader's typo such as `99999999d` is a usage error, not an overflow deep in the clock code.

use chrono::TimeDelta;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(i64);

/// Why a typed length of time was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanError {
    /// Not a number followed by one of `s`, `m`, `h`, `d` (or zero).
    Malformed,
    /// Longer than [`Span::MAX_DAYS`].
    TooLong,
}

impl Span {
    /// The longest span a command takes: a year and a day, more than any clock or watch needs.
    pub const MAX_DAYS: i64 = 366;
    const MAX_SECS: i64 = Self::MAX_DAYS * 86_400;

    pub fn parse(s: &str) -> Result<Span, SpanError> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).ok_or(SpanError::Malformed)?;
        let (n, unit) = s.split_at(split);
        let unit_secs = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(SpanError::Malformed),
        };
        if n.is_empty() {
            return Err(SpanError::Malformed);
        }
        // Digits only, so a parse failure can only mean "more digits than an i64 holds".
        let n: i64 = n.parse().map_err(|_| SpanError::TooLong)?;
        let secs = n.checked_mul(unit_secs).ok_or(SpanError::TooLong)?;
        match secs {
            0 => Err(SpanError::Malformed),
            s if s > Self::MAX_SECS => Err(SpanError::TooLong),
            s => Ok(Span(s)),
        }
    }

    pub fn seconds(self) -> i64 {
        self.0
    }

    pub fn delta(self) -> TimeDelta {
        // In range by construction: at most MAX_SECS.
        TimeDelta::try_seconds(self.0).unwrap_or(TimeDelta::MAX)
    }

    /// A span read back from the ledger (seconds), where older versions or a hand-edited row may
    /// hold anything: out-of-range values are clamped rather than trusted.
    pub fn from_stored_seconds(secs: i64) -> Span {
        Span(secs.clamp(1, Self::MAX_SECS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_is_read() {
        assert_eq!(Span::parse("30s").map(Span::seconds), Ok(30));
        assert_eq!(Span::parse("5m").map(Span::seconds), Ok(300));
        assert_eq!(Span::parse("2h").map(Span::seconds), Ok(7200));
        assert_eq!(Span::parse("1d").map(Span::seconds), Ok(86_400));
        assert_eq!(Span::parse("366d").map(Span::seconds), Ok(366 * 86_400));
    }

    #[test]
    fn lengths_past_a_year_and_a_day_are_too_long_not_an_overflow() {
        for s in ["367d", "99999999d", "9223372036854775807s", "99999999999999999999999d", "8785h"] {
            assert_eq!(Span::parse(s), Err(SpanError::TooLong), "{s}");
        }
    }

    #[test]
    fn anything_else_is_malformed() {
        for s in ["", "0s", "d", "5", "5x", "-5m", "5 m", "1.5h", "５m", "5mm"] {
            assert_eq!(Span::parse(s), Err(SpanError::Malformed), "{s}");
        }
    }
}
