//! The chat command grammar, the same on every platform.
//!
//! ```text
//! command := "/" name ["@" bot] [" " args]        name is case-insensitive
//! case    := ["#"] digits                          "42" or "#42"
//! grade   := "I" | "II" | "III" | "IV"
//! person  := ["@"] name                            as configured in bot.toml
//! ```
//!
//! Each command is declared once, with [`command_spec!`], in the file of its group
//! ([`cases`], [`info`]). The declaration's doc comment *is* its English help: the first
//! line is the usage line, the rest the description. Other locales translate them as
//! `cmd-<name>-usage` and `cmd-<name>-help`. Adding a command is one `command_spec!` and one line
//! in [`SPECS`].

pub mod cases;
pub mod clocks;
pub mod drafts;
pub mod drills;
pub mod info;

use crate::domain::{Action, CaseId, Grade, Locale};

/// How one command is named, documented, permitted and parsed.
pub struct Spec {
    pub name: &'static str,
    pub action: Action,
    usage_doc: &'static str,
    help_doc: &'static [&'static str],
    parse: fn(&str) -> Result<Command, Problem>,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Spec(/{})", self.name)
    }
}

/// Specs are statics: two are the same command exactly when they have the same name.
impl PartialEq for Spec {
    fn eq(&self, other: &Spec) -> bool {
        self.name == other.name
    }
}
impl Eq for Spec {}

impl Spec {
    pub fn usage_en(&self) -> &'static str {
        self.usage_doc.trim()
    }

    pub fn help_en(&self) -> String {
        self.help_doc.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ")
    }

    pub fn usage_key(&self) -> String {
        format!("cmd-{}-usage", self.name)
    }

    pub fn help_key(&self) -> String {
        format!("cmd-{}-help", self.name)
    }
}

/// Declares a command: doc comment (usage line, then help), name, action and parser.
macro_rules! command_spec {
    (#[doc = $usage:literal] $(#[doc = $help:literal])+ $name:literal, $action:expr, $parse:expr) => {
        $crate::command::Spec {
            name: $name,
            action: $action,
            usage_doc: $usage,
            help_doc: &[$($help),+],
            parse: $parse,
        }
    };
}
pub(crate) use command_spec;

/// Every command, in the order `/help` lists them.
pub static SPECS: &[&Spec] = &[
    &info::HELP,
    &info::WHOAMI,
    &info::STATUS,
    &info::LIST,
    &cases::NEW,
    &cases::ACK,
    &cases::CLAIM,
    &cases::ASSIGN,
    &cases::GRADE,
    &cases::RESOLVE,
    &cases::REOPEN,
    &cases::DISMISS,
    &cases::CLOSE,
    &cases::MERGE,
    &cases::SPLIT,
    &info::LANG,
    &clocks::DUE,
    &clocks::DUTY,
    &clocks::WATCH,
    &clocks::REPORT,
    &drafts::DRAFT,
    &drafts::REDRAFT,
    &drafts::APPROVE,
    &drafts::REJECT,
    &drafts::CONCERN,
    &drafts::WITHDRAW,
    &drafts::PUBLISH,
    &drafts::UPDATE,
    &drills::DRILL,
];

pub fn spec(name: &str) -> Option<&'static Spec> {
    let name = name.strip_prefix('/').unwrap_or(name);
    SPECS.iter().copied().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// The English usage and help lines as Fluent messages, built from the doc comments.
pub fn english_help_ftl() -> String {
    let escape = |s: &str| s.replace('{', "{\"{\"}").replace('}', "{\"}\"}");
    SPECS
        .iter()
        .map(|s| format!("{} = {}\n{} = {}\n", s.usage_key(), escape(s.usage_en()), s.help_key(), escape(&s.help_en())))
        .collect()
}

/// Which cases `/list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    /// Not yet closed or dismissed.
    Open,
    /// Open, and owned by the person asking.
    Mine,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help { topic: Option<String> },
    WhoAmI,
    Status { case: Option<CaseId> },
    List { scope: ListScope },
    New { grade: Option<Grade>, title: String, summary: Option<String> },
    Ack { case: CaseId },
    Claim { case: CaseId },
    Assign { case: CaseId, person: String },
    Grade { case: CaseId, grade: Grade },
    Resolve { case: CaseId, summary: String },
    Reopen { case: CaseId },
    Dismiss { case: CaseId, reason: String },
    Close { case: CaseId },
    Lang { locale: Locale },
    Due { case: CaseId, clock: crate::domain::clocks::ClockKind, extra: crate::domain::Span, reason: String },
    Duty,
    DutySwap { person: String, date: chrono::NaiveDate },
    WatchOn { reason: String, span: Option<crate::domain::Span> },
    WatchOff,
    Report { period: crate::app::report::Period },
    Draft { case: CaseId, text: String },
    Redraft { draft: crate::domain::approval::DraftRef, text: String },
    Approve { draft: crate::domain::approval::DraftVersion },
    Reject { draft: crate::domain::approval::DraftVersion, reason: String },
    Concern { draft: crate::domain::approval::DraftRef, text: String },
    Withdraw { draft: crate::domain::approval::DraftRef },
    Publish { draft: crate::domain::approval::DraftVersion },
    Update { case: CaseId, status: crate::app::statements::UpdateStatus, text: String },
    Drill(drills::DrillCommand),
    Merge { from: CaseId, into: CaseId },
    Split { case: CaseId, signal: i64 },
}

impl Command {
    /// The case the command is about, if it names one (for logs).
    pub fn case(&self) -> Option<CaseId> {
        match self {
            Command::Status { case } => *case,
            Command::Ack { case }
            | Command::Claim { case }
            | Command::Reopen { case }
            | Command::Close { case }
            | Command::Assign { case, .. }
            | Command::Grade { case, .. }
            | Command::Resolve { case, .. }
            | Command::Dismiss { case, .. }
            | Command::Due { case, .. }
            | Command::Draft { case, .. }
            | Command::Update { case, .. }
            | Command::Split { case, .. } => Some(*case),
            Command::Merge { from, .. } => Some(*from),
            Command::Redraft { draft, .. } | Command::Concern { draft, .. } | Command::Withdraw { draft } => {
                Some(draft.case)
            }
            Command::Approve { draft } | Command::Reject { draft, .. } | Command::Publish { draft } => {
                Some(draft.draft.case)
            }
            Command::Help { .. }
            | Command::WhoAmI
            | Command::List { .. }
            | Command::New { .. }
            | Command::Lang { .. }
            | Command::Duty
            | Command::DutySwap { .. }
            | Command::WatchOn { .. }
            | Command::WatchOff
            | Command::Report { .. }
            | Command::Drill(_) => None,
        }
    }

    pub fn action(&self) -> Action {
        match self {
            Command::Help { .. } => Action::Help,
            Command::WhoAmI => Action::WhoAmI,
            Command::Status { .. } => Action::Status,
            Command::List { .. } => Action::List,
            Command::New { .. } => Action::New,
            Command::Ack { .. } => Action::Ack,
            Command::Claim { .. } => Action::Claim,
            Command::Assign { .. } => Action::Assign,
            Command::Grade { .. } => Action::Grade,
            Command::Resolve { .. } => Action::Resolve,
            Command::Reopen { .. } => Action::Reopen,
            Command::Dismiss { .. } => Action::Dismiss,
            Command::Close { .. } => Action::Close,
            Command::Lang { .. } => Action::Lang,
            Command::Due { .. } => Action::Due,
            Command::Duty => Action::Duty,
            Command::DutySwap { .. } => Action::DutySwap,
            Command::WatchOn { .. } | Command::WatchOff => Action::Watch,
            Command::Report { .. } => Action::Report,
            Command::Draft { .. } => Action::Draft,
            Command::Redraft { .. } => Action::Redraft,
            Command::Approve { .. } => Action::Approve,
            Command::Reject { .. } => Action::Reject,
            Command::Concern { .. } => Action::Concern,
            Command::Withdraw { .. } => Action::Withdraw,
            Command::Publish { .. } => Action::Publish,
            Command::Update { .. } => Action::Update,
            Command::Drill(_) => Action::Drill,
            Command::Merge { .. } => Action::Merge,
            Command::Split { .. } => Action::Split,
        }
    }
}

/// Why the arguments of a known command were not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Missing, extra or malformed arguments: show the usage line.
    Usage,
    /// A text argument is longer than tocsin keeps.
    TooLong { max: usize },
    /// A length of time past [`crate::domain::Span::MAX_DAYS`].
    SpanTooLong,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Plain text, not a command.
    NotACommand,
    /// `/cmd@otherbot`: addressed to another bot in the same group.
    NotForThisBot,
    Unknown {
        name: String,
    },
    BadArguments {
        spec: &'static Spec,
        problem: Problem,
    },
}

/// Parses one chat message. `bot` is this bot's username on platforms that address
/// commands to a bot (`/ack@tocsin_bot 3`).
pub fn parse(text: &str, bot: Option<&str>) -> Result<Command, ParseError> {
    let text = text.trim();
    let rest = text.strip_prefix('/').ok_or(ParseError::NotACommand)?;
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let name = match head.split_once('@') {
        Some((name, to)) => {
            if bot.is_some_and(|b| !b.eq_ignore_ascii_case(to)) {
                return Err(ParseError::NotForThisBot);
            }
            name
        }
        None => head,
    };
    let spec = spec(name).ok_or_else(|| ParseError::Unknown { name: name.to_string() })?;
    (spec.parse)(args.trim()).map_err(|problem| ParseError::BadArguments { spec, problem })
}

/// Splits off the first whitespace-separated word.
fn first_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.split_once(char::is_whitespace) {
        Some((w, rest)) => (w, rest.trim()),
        None => (s, ""),
    }
}

/// Exactly one argument, read by `parse` (a case number, a draft, a version).
fn only<T>(args: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, Problem> {
    let (word, rest) = first_word(args);
    match parse(word) {
        Some(v) if rest.is_empty() => Ok(v),
        _ => Err(Problem::Usage),
    }
}

/// One argument read by `parse`, then free text (a summary, a reason) of at most `max`
/// characters.
fn with_text<T>(args: &str, max: usize, parse: impl Fn(&str) -> Option<T>) -> Result<(T, String), Problem> {
    let (word, rest) = first_word(args);
    let v = parse(word).ok_or(Problem::Usage)?;
    bounded(rest, max).map(|text| (v, text))
}

fn case_only(args: &str) -> Result<CaseId, Problem> {
    only(args, CaseId::parse)
}

/// A case followed by free text of at most `max` characters.
fn case_and_text(args: &str, max: usize) -> Result<(CaseId, String), Problem> {
    with_text(args, max, CaseId::parse)
}

/// Non-empty text of at most `max` characters, counted as the platforms count them (UTF-16
/// units: an emoji is two), so that a limit set to fit a message really does. Control and
/// bidirectional characters are neutralised (see [`crate::domain::untrusted`]); line breaks stay.
fn bounded(text: &str, max: usize) -> Result<String, Problem> {
    let text = crate::domain::untrusted::block(text, usize::MAX);
    let text = text.as_str();
    if text.is_empty() {
        Err(Problem::Usage)
    } else if text.encode_utf16().count() > max {
        Err(Problem::TooLong { max })
    } else {
        Ok(text.to_string())
    }
}

#[cfg(test)]
mod tests;
