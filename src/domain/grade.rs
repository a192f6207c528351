//! Grades I–IV, as in public emergency-response plans: I is the most severe.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    I,
    II,
    III,
    IV,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::I, Grade::II, Grade::III, Grade::IV];

    /// Parses the Roman numeral exactly as written (`I`, `II`, `III`, `IV`).
    ///
    /// Case-sensitive on purpose: `/new i think...` must not be read as a grade.
    pub fn parse(s: &str) -> Option<Grade> {
        match s {
            "I" => Some(Grade::I),
            "II" => Some(Grade::II),
            "III" => Some(Grade::III),
            "IV" => Some(Grade::IV),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::I => "I",
            Grade::II => "II",
            Grade::III => "III",
            Grade::IV => "IV",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_round_trip_and_reject_anything_else() {
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.as_str()), Some(g));
        }
        for bad in ["V", "i", "ii", "", "1", "IIII"] {
            assert_eq!(Grade::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn grade_one_is_the_most_severe() {
        assert!(Grade::I < Grade::IV);
    }
}
