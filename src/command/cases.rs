//! Commands that change a case.

use super::{Command, Problem, bounded, case_and_text, case_only, command_spec, first_word};
use crate::domain::{Action, CaseId, Grade};

/// The title rule of cases opened by a signal, for typed titles too (counted in UTF-16 units
/// here, as [`super::bounded`] counts, so never more characters than a signal's title).
pub const MAX_TITLE: usize = crate::domain::untrusted::MAX_TITLE;
pub const MAX_TEXT: usize = 2000;

pub static NEW: super::Spec = command_spec!(
    /// /new [I|II|III|IV] <title> [| summary]
    /// Open a case in this team. An optional grade comes first (I is the most severe);
    /// text after | is the summary.
    "new", Action::New, parse_new
);

pub static ACK: super::Spec = command_spec!(
    /// /ack <case>
    /// Acknowledge a case: the team has seen it.
    "ack", Action::Ack, |a| case_only(a).map(|case| Command::Ack { case })
);

pub static CLAIM: super::Spec = command_spec!(
    /// /claim <case>
    /// Take a case: you become its owner.
    "claim", Action::Claim, |a| case_only(a).map(|case| Command::Claim { case })
);

pub static ASSIGN: super::Spec = command_spec!(
    /// /assign <case> <person>
    /// Make someone the owner of a case.
    "assign", Action::Assign, parse_assign
);

pub static GRADE: super::Spec = command_spec!(
    /// /grade <case> <I|II|III|IV>
    /// Change a case's grade.
    "grade", Action::Grade, parse_grade
);

pub static RESOLVE: super::Spec = command_spec!(
    /// /resolve <case> <summary>
    /// Mark a case resolved, saying how.
    "resolve", Action::Resolve,
    |a| case_and_text(a, MAX_TEXT).map(|(case, summary)| Command::Resolve { case, summary })
);

pub static REOPEN: super::Spec = command_spec!(
    /// /reopen <case>
    /// Bring back a resolved, closed or dismissed case.
    "reopen", Action::Reopen, |a| case_only(a).map(|case| Command::Reopen { case })
);

pub static DISMISS: super::Spec = command_spec!(
    /// /dismiss <case> <reason>
    /// Decide a case needs no response; the reason is kept on the record.
    "dismiss", Action::Dismiss,
    |a| case_and_text(a, MAX_TEXT).map(|(case, reason)| Command::Dismiss { case, reason })
);

pub static CLOSE: super::Spec = command_spec!(
    /// /close <case>
    /// Take a resolved case off the ledger.
    "close", Action::Close, |a| case_only(a).map(|case| Command::Close { case })
);

fn parse_new(args: &str) -> Result<Command, Problem> {
    let (first, rest) = first_word(args);
    let (grade, text) = match Grade::parse(first) {
        Some(g) if !rest.is_empty() => (Some(g), rest),
        _ => (None, args),
    };
    let (title, summary) = match text.split_once('|') {
        Some((t, s)) => (t, Some(s.trim()).filter(|s| !s.is_empty())),
        None => (text, None),
    };
    // One line, whatever the platform let through (a Telegram message may hold line breaks).
    let title = bounded(&crate::domain::untrusted::one_line(title, usize::MAX), MAX_TITLE)?;
    let summary = summary.map(|s| bounded(s, MAX_TEXT)).transpose()?;
    Ok(Command::New { grade, title, summary })
}

fn parse_assign(args: &str) -> Result<Command, Problem> {
    let (case, rest) = first_word(args);
    let (person, extra) = first_word(rest);
    let person = person.strip_prefix('@').unwrap_or(person);
    match CaseId::parse(case) {
        Some(case) if !person.is_empty() && extra.is_empty() => {
            Ok(Command::Assign { case, person: person.to_string() })
        }
        _ => Err(Problem::Usage),
    }
}

fn parse_grade(args: &str) -> Result<Command, Problem> {
    let (case, rest) = first_word(args);
    let (grade, extra) = first_word(rest);
    // Unlike `/new`, the position makes the grade unambiguous, so `ii` is accepted too.
    match (CaseId::parse(case), Grade::parse(&grade.to_ascii_uppercase())) {
        (Some(case), Some(grade)) if extra.is_empty() => Ok(Command::Grade { case, grade }),
        _ => Err(Problem::Usage),
    }
}
