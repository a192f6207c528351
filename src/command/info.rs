//! Commands that read, explain or set preferences.

use super::{Command, ListScope, Problem, command_spec, first_word};
use crate::domain::{Action, CaseId, Locale};

pub static HELP: super::Spec = command_spec!(
    /// /help [command]
    /// List the commands, or explain one.
    "help", Action::Help, parse_help
);

pub static WHOAMI: super::Spec = command_spec!(
    /// /whoami
    /// Show who tocsin thinks you are and what you may do.
    "whoami", Action::WhoAmI, |a| if a.is_empty() { Ok(Command::WhoAmI) } else { Err(Problem::Usage) }
);

pub static STATUS: super::Spec = command_spec!(
    /// /status [case]
    /// Show one case with its history, or an overview of open cases.
    "status", Action::Status, parse_status
);

pub static LIST: super::Spec = command_spec!(
    /// /list [open|mine|all]
    /// List cases: open (the default) is everything not yet closed or dismissed.
    "list", Action::List, parse_list
);

pub static LANG: super::Spec = command_spec!(
    /// /lang <en|zh-CN>
    /// Change the language tocsin speaks in this chat.
    "lang", Action::Lang, parse_lang
);

fn parse_help(args: &str) -> Result<Command, Problem> {
    let (topic, extra) = first_word(args);
    if !extra.is_empty() {
        return Err(Problem::Usage);
    }
    let topic = topic.strip_prefix('/').unwrap_or(topic);
    Ok(Command::Help { topic: Some(topic.to_string()).filter(|t| !t.is_empty()) })
}

fn parse_status(args: &str) -> Result<Command, Problem> {
    if args.is_empty() {
        return Ok(Command::Status { case: None });
    }
    let (word, extra) = first_word(args);
    match CaseId::parse(word) {
        Some(case) if extra.is_empty() => Ok(Command::Status { case: Some(case) }),
        _ => Err(Problem::Usage),
    }
}

fn parse_list(args: &str) -> Result<Command, Problem> {
    let scope = match args.to_ascii_lowercase().as_str() {
        "" | "open" => ListScope::Open,
        "mine" => ListScope::Mine,
        "all" => ListScope::All,
        _ => return Err(Problem::Usage),
    };
    Ok(Command::List { scope })
}

fn parse_lang(args: &str) -> Result<Command, Problem> {
    let (word, extra) = first_word(args);
    match Locale::parse(word) {
        Some(locale) if extra.is_empty() => Ok(Command::Lang { locale }),
        _ => Err(Problem::Usage),
    }
}
