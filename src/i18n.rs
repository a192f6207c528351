//! Every text a person reads comes from `locales/<lang>/tocsin.ftl` (Fluent).
//!
//! Code names a message with [`t!`]: `t!("case-not-found", "case" => id.to_string())`.
//! Keeping every key behind that one macro lets `tests/locales.rs` find each key the code
//! uses and check it exists in every locale. Command usage lines and help texts are the
//! exception: in English they are the commands' doc comments (see `command::SPECS`), in
//! other languages they are `cmd-<name>-usage` / `cmd-<name>-help` messages.

use crate::domain::Locale;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::borrow::Cow;

/// The Fluent sources, compiled in so the binary needs no files beside it.
pub const SOURCES: [(Locale, &str); 2] = [
    (Locale::En, include_str!("../locales/en/tocsin.ftl")),
    (Locale::ZhCn, include_str!("../locales/zh-CN/tocsin.ftl")),
];

/// A message to be rendered in some locale later.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub key: Cow<'static, str>,
    pub args: Vec<(&'static str, Arg)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Str(String),
    Num(i64),
    /// Rendered in the same locale first (a state name inside a sentence, say).
    Text(Box<Text>),
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}
impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_string())
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Num(n)
    }
}
impl From<u32> for Arg {
    fn from(n: u32) -> Arg {
        Arg::from(i64::from(n))
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<Text> for Arg {
    fn from(t: Text) -> Arg {
        Arg::Text(Box::new(t))
    }
}

impl Text {
    pub fn new(key: impl Into<Cow<'static, str>>) -> Text {
        Text { key: key.into(), args: Vec::new() }
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Text {
        self.args.push((name, value.into()));
        self
    }
}

/// Builds a [`Text`]: `t!("key")` or `t!("key", "name" => value, ...)`.
#[macro_export]
macro_rules! t {
    ($key:literal) => { $crate::i18n::Text::new($key) };
    ($key:literal, $($name:literal => $value:expr),+ $(,)?) => {
        $crate::i18n::Text::new($key)$(.arg($name, $value))+
    };
}

pub struct I18n {
    bundles: Vec<(Locale, FluentBundle<FluentResource>)>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I18n").finish_non_exhaustive()
    }
}

impl I18n {
    /// Loads the compiled-in locales. A syntax error in a .ftl file is a bug caught by tests,
    /// so it is reported, not hidden.
    pub fn new() -> anyhow::Result<I18n> {
        let mut bundles = Vec::new();
        for (locale, source) in SOURCES {
            let mut bundle =
                FluentBundle::new_concurrent(vec![locale.as_str().parse().map_err(|e| anyhow::anyhow!("{e:?}"))?]);
            // Unicode isolation marks around placeables show up as junk in chat clients.
            bundle.set_use_isolating(false);
            let mut sources = vec![source.to_string()];
            if locale == Locale::En {
                sources.push(crate::command::english_help_ftl());
            }
            for src in sources {
                let res =
                    FluentResource::try_new(src).map_err(|(_, errs)| anyhow::anyhow!("{locale} locale: {errs:?}"))?;
                bundle.add_resource(res).map_err(|errs| anyhow::anyhow!("{locale} locale: {errs:?}"))?;
            }
            bundles.push((locale, bundle));
        }
        Ok(I18n { bundles })
    }

    fn bundle(&self, locale: Locale) -> &FluentBundle<FluentResource> {
        &self.bundles.iter().find(|(l, _)| *l == locale).unwrap_or(&self.bundles[0]).1
    }

    pub fn has(&self, locale: Locale, key: &str) -> bool {
        self.bundle(locale).has_message(key)
    }

    /// Every message key of a locale, for the locale tests.
    pub fn keys(locale: Locale) -> Vec<String> {
        let (_, source) = SOURCES.iter().find(|(l, _)| *l == locale).expect("known locale");
        let mut src = source.to_string();
        if locale == Locale::En {
            src.push_str(&crate::command::english_help_ftl());
        }
        let res = FluentResource::try_new(src).unwrap_or_else(|(res, _)| res);
        res.entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    pub fn render(&self, locale: Locale, text: &Text) -> String {
        let bundle = self.bundle(locale);
        let Some(pattern) = bundle.get_message(&text.key).and_then(|m| m.value()) else {
            tracing::error!(key = %text.key, %locale, "missing locale message");
            return format!("⟨{}⟩", text.key);
        };
        let mut args = FluentArgs::new();
        for (name, value) in &text.args {
            let v: FluentValue = match value {
                Arg::Str(s) => s.clone().into(),
                Arg::Num(n) => (*n).into(),
                Arg::Text(inner) => self.render(locale, inner).into(),
            };
            args.set(*name, v);
        }
        let mut errors = vec![];
        let out = bundle.format_pattern(pattern, Some(&args), &mut errors);
        if !errors.is_empty() {
            tracing::error!(key = %text.key, %locale, ?errors, "locale message did not format cleanly");
        }
        out.into_owned()
    }
}
