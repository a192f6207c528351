//! tocsin's chat commands as Discord application commands, and an interaction's options back
//! into the command line the core understands.
//!
//! Each command keeps its name (`/ack`), so help texts and the typed form read the same on
//! every platform; descriptions come from `locales/` in every locale, as Discord localisations.
//! Options are typed where Discord can type them: a case is an integer, a person a Discord user
//! (or a bot.toml name), a grade or clock one of its choices.

use crate::command::SPECS;
use crate::config::Config;
use crate::domain::Locale;
use crate::i18n::{I18n, Text};
use crate::platform::Platform;
use serenity::all::{CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateCommand, CreateCommandOption};

/// Discord's limit on a command's or an option's description.
const MAX_DESCRIPTION: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Case,
    Text,
    User,
    Choice(&'static [&'static str]),
}

/// One option: its name (also its description's key, `discord-option-<name>`), kind, whether
/// it is required, and a word the command line puts before its value (`| summary`).
#[derive(Debug, Clone, Copy)]
struct Opt {
    name: &'static str,
    kind: Kind,
    required: bool,
    before: Option<&'static str>,
}

const fn opt(name: &'static str, kind: Kind, required: bool) -> Opt {
    Opt { name, kind, required, before: None }
}

const GRADES: &[&str] = &["I", "II", "III", "IV"];

/// The options of each command, in the order its command line takes them.
fn options(command: &str) -> Vec<Opt> {
    let case = opt("case", Kind::Case, true);
    let draft = opt("draft", Kind::Text, true);
    let text = opt("text", Kind::Text, true);
    let reason = opt("reason", Kind::Text, true);
    match command {
        "help" => vec![opt("command", Kind::Text, false)],
        "status" => vec![opt("case", Kind::Case, false)],
        "list" => vec![opt("scope", Kind::Choice(&["open", "mine", "all"]), false)],
        "new" => vec![
            opt("title", Kind::Text, true),
            opt("grade", Kind::Choice(GRADES), false),
            Opt { before: Some("|"), ..opt("summary", Kind::Text, false) },
        ],
        "ack" | "claim" | "reopen" | "close" => vec![case],
        "merge" => vec![case, Opt { before: Some("into"), ..opt("into", Kind::Case, true) }],
        "split" => vec![case, opt("signal", Kind::Case, true)],
        "assign" => vec![case, opt("person", Kind::User, false), opt("name", Kind::Text, false)],
        "grade" => vec![case, opt("grade", Kind::Choice(GRADES), true)],
        "resolve" => vec![case, opt("summary", Kind::Text, true)],
        "dismiss" => vec![case, reason],
        "due" => vec![
            case,
            opt("clock", Kind::Choice(&["ack", "respond", "resolve"]), true),
            opt("duration", Kind::Text, true),
            reason,
        ],
        "duty" => vec![
            Opt { before: Some("swap"), ..opt("person", Kind::User, false) },
            Opt { before: Some("swap"), ..opt("name", Kind::Text, false) },
            opt("date", Kind::Text, false),
        ],
        "watch" => vec![
            opt("action", Kind::Choice(&["on", "off"]), true),
            opt("reason", Kind::Text, false),
            Opt { before: Some("for"), ..opt("duration", Kind::Text, false) },
        ],
        "report" => vec![opt("period", Kind::Choice(&["today", "week"]), false)],
        "drill" => vec![
            opt("action", Kind::Choice(&["start", "status", "stop", "report"]), true),
            opt("scenario", Kind::Text, false),
            opt("speed", Kind::Text, false),
        ],
        "lang" => vec![opt("language", Kind::Choice(&["en", "zh-CN"]), true)],
        "draft" => vec![case, text],
        "redraft" | "concern" => vec![draft, text],
        "approve" | "withdraw" | "publish" => vec![draft],
        "reject" => vec![draft, reason],
        "update" => vec![
            case,
            opt("status", Kind::Choice(&["investigating", "identified", "monitoring", "resolved"]), true),
            text,
        ],
        _ => vec![],
    }
}

/// Every command, described in every locale (the default locale's words as the base).
pub fn definitions(i18n: &I18n, default: Locale) -> Vec<CreateCommand> {
    let text = |locale, key: String| -> String {
        let s = i18n.render(locale, &Text::new(key));
        s.chars().take(MAX_DESCRIPTION).collect()
    };
    SPECS
        .iter()
        .map(|spec| {
            let mut command =
                CreateCommand::new(spec.name).description(text(default, spec.help_key())).dm_permission(false);
            for locale in Locale::ALL {
                command = command.description_localized(discord_locale(locale), text(locale, spec.help_key()));
            }
            let mut seen = Vec::new();
            for o in options(spec.name) {
                // `/duty`'s two ways to name the swap partner share one description key.
                if seen.contains(&o.name) {
                    continue;
                }
                seen.push(o.name);
                let key = format!("discord-option-{}", o.name);
                let mut option =
                    CreateCommandOption::new(kind(o.kind), o.name, text(default, key.clone())).required(o.required);
                for locale in Locale::ALL {
                    option = option.description_localized(discord_locale(locale), text(locale, key.clone()));
                }
                match o.kind {
                    Kind::Case => option = option.min_int_value(1),
                    Kind::Choice(values) => {
                        for v in values {
                            option = option.add_string_choice(*v, *v);
                        }
                    }
                    Kind::Text | Kind::User => {}
                }
                command = command.add_option(option);
            }
            command
        })
        .collect()
}

fn kind(k: Kind) -> CommandOptionType {
    match k {
        Kind::Case => CommandOptionType::Integer,
        Kind::User => CommandOptionType::User,
        Kind::Text | Kind::Choice(_) => CommandOptionType::String,
    }
}

/// Discord's locale names.
fn discord_locale(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "en-US",
        Locale::ZhCn => "zh-CN",
    }
}

/// The command line an application command stands for (`/due 3 ack 30m waiting for the
/// fire service`), so it goes through the same grammar, permissions and decisions as typing
/// it. A Discord user given as a person becomes their bot.toml name when they have one.
pub fn command_line(name: &str, given: &[CommandDataOption], config: &Config) -> String {
    let mut line = format!("/{name}");
    let mut words_before = Vec::new();
    for o in options(name) {
        let Some(value) = given.iter().find(|g| g.name == o.name).map(|g| &g.value) else { continue };
        let shown = match value {
            CommandDataOptionValue::Integer(n) => n.to_string(),
            CommandDataOptionValue::String(s) => s.replace('\n', " "),
            CommandDataOptionValue::User(id) => config
                .person_by_identity(Platform::Discord, &id.get().to_string())
                .map_or_else(|| format!("discord:{}", id.get()), |p| p.name.clone()),
            CommandDataOptionValue::Number(n) => n.to_string(),
            CommandDataOptionValue::Boolean(b) => b.to_string(),
            _ => continue,
        };
        if let Some(word) = o.before
            && !words_before.contains(&word)
        {
            words_before.push(word);
            line.push(' ');
            line.push_str(word);
        }
        line.push(' ');
        line.push_str(&shown);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_its_options_and_each_option_a_description_key() {
        let keys: Vec<String> = SPECS
            .iter()
            .flat_map(|s| options(s.name).into_iter().map(|o| format!("discord-option-{}", o.name)))
            .collect();
        let en = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/locales/en/tocsin.ftl")).unwrap();
        for key in keys {
            assert!(en.contains(&format!("{key} =")), "{key} is missing from locales/en/tocsin.ftl");
        }
        for spec in SPECS {
            let takes_arguments =
                !spec.usage_en().trim_start_matches('/').trim_start_matches(spec.name).trim().is_empty();
            assert_eq!(takes_arguments, !options(spec.name).is_empty(), "/{}", spec.name);
        }
    }
}
