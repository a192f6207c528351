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

pub static MERGE: super::Spec = command_spec!(
    /// /merge <case> into <case>
    /// Fold the first case into the second, the same story reported twice: its signals,
    /// sources and earliest deadlines move over, drafts awaiting approval on it are withdrawn,
    /// and it ends as "merged into" the second.
    "merge", Action::Merge, parse_merge
);

pub static SPLIT: super::Spec = command_spec!(
    /// /split <case> <signal>
    /// Move one signal of a case (numbered in /status) out into a new case of its own.
    "split", Action::Split, parse_split
);

/// The words accepted between the two cases of `/merge` (a card's button types `into`).
const INTO: [&str; 4] = ["into", "到", "并入", "->"];

fn parse_merge(args: &str) -> Result<Command, Problem> {
    let (from, rest) = first_word(args);
    let (second, rest) = first_word(rest);
    let (into, extra) =
        if INTO.iter().any(|w| w.eq_ignore_ascii_case(second)) { first_word(rest) } else { (second, rest) };
    match (CaseId::parse(from), CaseId::parse(into)) {
        (Some(from), Some(into)) if extra.is_empty() => Ok(Command::Merge { from, into }),
        _ => Err(Problem::Usage),
    }
}

fn parse_split(args: &str) -> Result<Command, Problem> {
    let (case, rest) = first_word(args);
    let (signal, extra) = first_word(rest);
    let signal = signal.parse::<i64>().ok().filter(|n| *n > 0 && signal.bytes().all(|b| b.is_ascii_digit()));
    match (CaseId::parse(case), signal) {
        (Some(case), Some(signal)) if extra.is_empty() => Ok(Command::Split { case, signal }),
        _ => Err(Problem::Usage),
    }
}

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
