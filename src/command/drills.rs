//! `/drill`: rehearse a response with a scenario from `drills/` (leaders, in a team chat).
//!
//! ```text
//! drill := "start" scenario [speed] | "status" | "stop" | "report" [drill-number]
//! speed := digits ["x" | "×"]             1 to 600; 1 (real time) when omitted
//! ```

use super::{Command, Problem, command_spec, first_word};
use crate::domain::Action;

pub static DRILL: super::Spec = command_spec!(
    /// /drill <start <scenario> [speed]|status|stop|report [drill]>
    /// Run a drill scenario from drills/ through the real intake at a speed (60 = an hour a minute), see how it goes, end it, or get its after-action report.
    "drill", Action::Drill, parse
);

/// What `/drill` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrillCommand {
    Start {
        scenario: String,
        speed: u32,
    },
    Status,
    Stop,
    /// The team's latest drill, or the one numbered.
    Report {
        drill: Option<i64>,
    },
}

fn parse(args: &str) -> Result<Command, Problem> {
    let (action, rest) = first_word(args);
    let (arg, extra) = first_word(rest);
    let drill = match action.to_ascii_lowercase().as_str() {
        "start" if !arg.is_empty() => {
            let (speed, extra) = first_word(extra);
            if !extra.is_empty() {
                return Err(Problem::Usage);
            }
            let speed = match speed {
                "" => 1,
                s => crate::config::drills::parse_speed(s).ok_or(Problem::Usage)?,
            };
            if arg.chars().count() > 64 {
                return Err(Problem::Usage);
            }
            DrillCommand::Start { scenario: arg.to_string(), speed }
        }
        "status" if rest.is_empty() => DrillCommand::Status,
        "stop" if rest.is_empty() => DrillCommand::Stop,
        "report" if extra.is_empty() => match arg {
            "" => DrillCommand::Report { drill: None },
            n => DrillCommand::Report {
                drill: Some(n.trim_start_matches('#').parse().ok().filter(|n| *n > 0).ok_or(Problem::Usage)?),
            },
        },
        _ => return Err(Problem::Usage),
    };
    Ok(Command::Drill(drill))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Command, Problem> {
        parse(s)
    }

    #[test]
    fn each_form_of_drill_parses() {
        assert_eq!(
            p("start gas-leak 60x"),
            Ok(Command::Drill(DrillCommand::Start { scenario: "gas-leak".into(), speed: 60 }))
        );
        assert_eq!(
            p("start gas-leak"),
            Ok(Command::Drill(DrillCommand::Start { scenario: "gas-leak".into(), speed: 1 }))
        );
        assert_eq!(p("STATUS"), Ok(Command::Drill(DrillCommand::Status)));
        assert_eq!(p("stop"), Ok(Command::Drill(DrillCommand::Stop)));
        assert_eq!(p("report"), Ok(Command::Drill(DrillCommand::Report { drill: None })));
        assert_eq!(p("report #3"), Ok(Command::Drill(DrillCommand::Report { drill: Some(3) })));
    }

    #[test]
    fn anything_else_is_a_usage_error() {
        for bad in ["", "start", "start x 0", "start x 601", "start x 10 more", "stop now", "report x", "go"] {
            assert_eq!(p(bad), Err(Problem::Usage), "{bad}");
        }
    }
}
