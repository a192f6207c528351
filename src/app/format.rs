//! Small renderings shared by replies and notices.

use crate::config::Config;
use crate::domain::{Case, CaseState, Grade, Locale, Role, Roles};
use crate::i18n::{I18n, Text};
use crate::t;
use chrono::{DateTime, Utc};

/// `🔴 Grade I (red)`, from bot.toml's grade styles.
pub fn grade(config: &Config, grade: Grade, locale: Locale) -> String {
    let style = config.grade(grade);
    let name = style.names.get(&locale).map_or(grade.as_str(), String::as_str);
    format!("{} {}", style.emoji, name)
}

pub fn state(state: CaseState) -> Text {
    match state {
        CaseState::Open => t!("state-open"),
        CaseState::Acknowledged => t!("state-acknowledged"),
        CaseState::Responding => t!("state-responding"),
        CaseState::Resolved => t!("state-resolved"),
        CaseState::Closed => t!("state-closed"),
        CaseState::Dismissed => t!("state-dismissed"),
    }
}

pub fn role(role: Role) -> Text {
    match role {
        Role::Member => t!("role-member"),
        Role::Leader => t!("role-leader"),
        Role::Spokesperson => t!("role-spokesperson"),
        Role::Observer => t!("role-observer"),
    }
}

/// Role names joined in the reader's language, e.g. `member / leader`.
pub fn roles(i18n: &I18n, locale: Locale, roles: impl IntoIterator<Item = Role>) -> String {
    roles.into_iter().map(|r| i18n.render(locale, &role(r))).collect::<Vec<_>>().join(" / ")
}

pub fn role_set(i18n: &I18n, locale: Locale, set: Roles) -> String {
    roles(i18n, locale, set.iter())
}

/// Times are shown in UTC until teams get time zones (the clocks issue).
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A person's display name, or the stored name if they left bot.toml since.
pub fn person(config: &Config, name: &str) -> String {
    config.person(name).map_or_else(|| name.to_string(), |p| p.display.clone())
}

/// One line per case, for `/list`.
pub fn case_line(config: &Config, i18n: &I18n, locale: Locale, case: &Case) -> String {
    let owner = match &case.owner {
        Some(o) => person(config, o),
        None => i18n.render(locale, &t!("nobody")),
    };
    i18n.render(
        locale,
        &t!("case-line",
            "case" => case.id.to_string(),
            "emoji" => config.grade(case.grade).emoji.as_str(),
            "grade" => case.grade.as_str(),
            "state" => state(case.state),
            "owner" => owner,
            "title" => case.title.as_str()),
    )
}

/// The first `max` characters of `s` (never splitting one), and whether anything was cut.
pub fn prefix(s: &str, max: usize) -> (&str, bool) {
    match s.char_indices().nth(max) {
        Some((i, _)) => (&s[..i], true),
        None => (s, false),
    }
}

/// The first non-blank line of a text, at most `max` characters (`…` when cut).
pub fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    shorten(line, max)
}

/// At most `max` characters of `text`, ending in `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    match prefix(text, max) {
        (kept, true) => format!("{}…", kept.trim_end()),
        (whole, false) => whole.to_string(),
    }
}

/// A clock's name in the reader's language.
pub fn clock(kind: crate::domain::clocks::ClockKind) -> Text {
    use crate::domain::clocks::ClockKind;
    match kind {
        ClockKind::Acknowledge => t!("clock-ack"),
        ClockKind::Respond => t!("clock-respond"),
        ClockKind::Resolve => t!("clock-resolve"),
    }
}

/// A length of time in the largest two units (`2d 4h`, `1h 5m`, `45s`), the same in every language.
pub fn span(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    let (days, hours, mins, secs) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "m"), (secs, "s")]
        .into_iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() { "0s".into() } else { parts.join(" ") }
}
