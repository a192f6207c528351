//! Drill scenarios: one TOML file per scenario in `drills/` next to bot.toml.
//!
//! ```toml
//! title = "Gas leak at the east plant"
//! [expect]                      # what the team should manage, in scenario time
//! acknowledge = "10m"
//! first_statement = "30m"
//! resolve = "2h"
//! [[inject]]
//! at = "+0m"                    # offset from the start, in scenario time
//! source = "wire"
//! story = "leak"                # injects naming the same story join one case
//! title = "Gas smell reported near the east plant"
//! text = "Residents report ..."
//! metrics = { views = 1200, comments = 40, shares = 15 }
//! ```
//!
//! A scenario is checked like bot.toml: every problem names the file and, where the file has
//! one, the line and column, so `tocsin check-config` points at the bad value.

use super::{ConfigError, ConfigErrors};
use crate::domain::Span;
use crate::intake::Metrics;
use serde::Deserialize;
use std::path::Path;

/// The most injects one scenario may hold, and the fastest a drill may run.
pub const MAX_INJECTS: usize = 200;
pub const MAX_SPEED: u32 = 600;

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file's stem: what `/drill start` names.
    pub name: String,
    /// Where it was read from (for messages), relative to bot.toml's folder.
    pub file: String,
    pub title: String,
    pub expect: Expectations,
    /// In the order they fire.
    pub injects: Vec<Inject>,
}

/// What the team is expected to manage, each counted from the case's opening in scenario time.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Expectations {
    pub acknowledge: Option<Span>,
    pub first_statement: Option<Span>,
    pub resolve: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Inject {
    /// Scenario time from the start, in seconds (`+0m` is 0).
    pub at_secs: i64,
    pub source: String,
    /// Injects of one story always join one case (its fingerprint within the drill).
    pub story: Option<String>,
    pub title: String,
    pub text: String,
    pub metrics: Metrics,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    title: String,
    #[serde(default)]
    expect: RawExpect,
    #[serde(default)]
    inject: Vec<RawInject>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    acknowledge: Option<Length>,
    first_statement: Option<Length>,
    resolve: Option<Length>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInject {
    at: Offset,
    source: String,
    story: Option<String>,
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    metrics: Metrics,
}

/// `"10m"`: refused where it is written (the error carries its position in the file).
struct Length(Span);

impl<'de> Deserialize<'de> for Length {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Length, D::Error> {
        let s = String::deserialize(d)?;
        Span::parse(&s)
            .map(Length)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a length of time such as \"30m\" or \"2h\"")))
    }
}

/// `"+20m"` (or `"+0m"`, the start).
struct Offset(i64);

impl<'de> Deserialize<'de> for Offset {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Offset, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("{s:?} is not an offset such as \"+0m\" or \"+20m\""));
        let rest = s.trim().strip_prefix('+').ok_or_else(bad)?;
        if rest.trim_start_matches('0').chars().all(|c| "smhd".contains(c)) && rest.starts_with('0') {
            return Ok(Offset(0));
        }
        Span::parse(rest).map(|span| Offset(span.seconds())).map_err(|_| bad())
    }
}

/// Parses one scenario file's text; `file` names it in every error.
pub fn parse(file: &str, name: &str, text: &str) -> Result<Scenario, ConfigErrors> {
    let problem = |message: String| ConfigErrors(vec![ConfigError { path: file.to_string(), message }]);
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace('`', "\"").replace('\n', "; ");
        match e.span() {
            Some(span) => problem(format!("{}: {message}", super::position(text, span.start))),
            None => problem(message),
        }
    })?;
    if raw.inject.is_empty() {
        return Err(problem("a scenario needs at least one [[inject]]".into()));
    }
    if raw.inject.len() > MAX_INJECTS {
        return Err(problem(format!("at most {MAX_INJECTS} injects")));
    }
    if raw.title.trim().is_empty() || raw.inject.iter().any(|i| i.title.trim().is_empty() || i.source.is_empty()) {
        return Err(problem("titles and sources may not be empty".into()));
    }
    let mut injects: Vec<Inject> = raw
        .inject
        .into_iter()
        .map(|i| Inject {
            at_secs: i.at.0,
            source: i.source,
            story: i.story,
            title: i.title,
            text: i.text,
            metrics: i.metrics,
        })
        .collect();
    // Stable: injects at the same moment keep the file's order.
    injects.sort_by_key(|i| i.at_secs);
    let e = raw.expect;
    Ok(Scenario {
        name: name.to_string(),
        file: file.to_string(),
        title: raw.title,
        expect: Expectations {
            acknowledge: e.acknowledge.map(|l| l.0),
            first_statement: e.first_statement.map(|l| l.0),
            resolve: e.resolve.map(|l| l.0),
        },
        injects,
    })
}

/// Every `*.toml` in `<dir>/drills`, by name; a missing folder means no scenarios. All files
/// are checked, and every problem reported.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, ConfigErrors> {
    let folder = dir.join("drills");
    let Ok(entries) = std::fs::read_dir(&folder) else { return Ok(vec![]) };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut scenarios = vec![];
    let mut problems = vec![];
    for path in paths {
        let file = format!("drills/{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        let name = path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parsed = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&file, &name, &text),
            Err(e) => Err(ConfigErrors(vec![ConfigError { path: file.clone(), message: format!("cannot read: {e}") }])),
        };
        match parsed {
            Ok(s) => scenarios.push(s),
            Err(e) => problems.extend(e.0),
        }
    }
    if problems.is_empty() { Ok(scenarios) } else { Err(ConfigErrors(problems)) }
}

/// `60`, `60x` or `60×`: how many times faster than scenario time a drill runs (1 to [`MAX_SPEED`]).
pub fn parse_speed(s: &str) -> Option<u32> {
    let n = s.trim().trim_end_matches(['x', 'X', '×']);
    n.parse::<u32>().ok().filter(|n| (1..=MAX_SPEED).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "Gas leak"
[expect]
acknowledge = "10m"
[[inject]]
at = "+20m"
source = "forum"
story = "leak"
title = "More reports"
metrics = { views = 5000 }
[[inject]]
at = "+0m"
source = "wire"
story = "leak"
title = "Gas smell"
"#;

    #[test]
    fn a_scenario_is_read_with_its_injects_in_time_order() {
        let s = parse("drills/gas.toml", "gas", GOOD).unwrap();
        assert_eq!(s.injects.iter().map(|i| i.at_secs).collect::<Vec<_>>(), [0, 1200]);
        assert_eq!(s.expect.acknowledge.map(Span::seconds), Some(600));
        assert_eq!(s.injects[1].metrics.views, 5000);
    }

    #[test]
    fn a_bad_offset_is_refused_with_file_and_line() {
        let bad = GOOD.replace("\"+20m\"", "\"in a while\"");
        let e = parse("drills/gas.toml", "gas", &bad).unwrap_err().to_string();
        assert!(e.starts_with("drills/gas.toml: line 6, column"), "{e}");
        let e = parse(
            "drills/gas.toml",
            "gas",
            &GOOD.replace("story = \"leak\"\ntitle = \"Gas", "stroy = 1\ntitle = \"Gas"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 14"), "{e}");
    }

    #[test]
    fn the_committed_examples_parse_alike_in_english_and_chinese() {
        let en = parse("drills/gas-leak.toml", "gas-leak", include_str!("../../drills/gas-leak.toml")).unwrap();
        let zh =
            parse("drills/gas-leak-zh.toml", "gas-leak-zh", include_str!("../../drills/gas-leak-zh.toml")).unwrap();
        assert_eq!(en.injects.len(), 6);
        assert_eq!(en.expect, zh.expect);
        let shape = |s: &Scenario| s.injects.iter().map(|i| (i.at_secs, i.story.clone())).collect::<Vec<_>>();
        assert_eq!(shape(&en), shape(&zh));
        assert_eq!(en.injects.iter().filter(|i| i.at_secs == 1200).count(), 2, "the story spreads at +20m");
    }

    #[test]
    fn speeds_are_whole_factors_within_bounds() {
        assert_eq!(parse_speed("60"), Some(60));
        assert_eq!(parse_speed("10x"), Some(10));
        assert_eq!(parse_speed("60×"), Some(60));
        assert_eq!(parse_speed("0"), None);
        assert_eq!(parse_speed("601"), None);
        assert_eq!(parse_speed("fast"), None);
    }
}
