//! Every language tocsin speaks can say everything the code asks it to say, with the same
//! placeholders as English. A translation that is missing a message, or that drops or
//! renames a `{ $variable }`, fails here rather than in front of a response team.

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tocsin::command::SPECS;
use tocsin::domain::Locale;
use tocsin::i18n::{I18n, SOURCES, Text};

/// The complete Fluent text of a locale, as `I18n` loads it: English also gets the command
/// usage lines and help synthesised from the commands' doc comments.
fn ftl_source(locale: Locale) -> String {
    let (_, source) = SOURCES.iter().find(|(l, _)| *l == locale).expect("every locale has a source");
    let mut src = source.to_string();
    if locale == Locale::En {
        src.push_str(&tocsin::command::english_help_ftl());
    }
    src
}

/// `$variable` names referenced by each message of a locale, from the parsed Fluent AST.
fn variables_by_message(locale: Locale) -> BTreeMap<String, BTreeSet<String>> {
    let source = ftl_source(locale);
    let resource = fluent_syntax::parser::parse(source.as_str())
        .unwrap_or_else(|(_, errors)| panic!("{locale} does not parse: {errors:?}"));
    let mut out = BTreeMap::new();
    for entry in &resource.body {
        if let Entry::Message(m) = entry {
            let mut vars = BTreeSet::new();
            m.value.iter().for_each(|p| pattern_vars(p, &mut vars));
            m.attributes.iter().for_each(|a| pattern_vars(&a.value, &mut vars));
            out.insert(m.id.name.to_string(), vars);
        }
    }
    out
}

fn pattern_vars(pattern: &Pattern<&str>, vars: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            expression_vars(expression, vars);
        }
    }
}

fn expression_vars(expression: &Expression<&str>, vars: &mut BTreeSet<String>) {
    match expression {
        Expression::Inline(inline) => inline_vars(inline, vars),
        Expression::Select { selector, variants } => {
            inline_vars(selector, vars);
            variants.iter().for_each(|v| pattern_vars(&v.value, vars));
        }
    }
}

fn inline_vars(inline: &InlineExpression<&str>, vars: &mut BTreeSet<String>) {
    match inline {
        InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_string());
        }
        InlineExpression::FunctionReference { arguments, .. }
        | InlineExpression::TermReference { arguments: Some(arguments), .. } => {
            arguments.positional.iter().for_each(|a| inline_vars(a, vars));
            arguments.named.iter().for_each(|a| inline_vars(&a.value, vars));
        }
        InlineExpression::Placeable { expression } => expression_vars(expression, vars),
        _ => {}
    }
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every key named as `t!("key"` in src/, outside comments (the macro's own docs show a
/// made-up `t!("key")`). Asserts the scan found plenty, so it cannot silently find nothing.
fn keys_used_in_source() -> BTreeSet<String> {
    let mut files = Vec::new();
    rs_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut keys = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut rest = line;
            while let Some(at) = rest.find("t!(\"") {
                // `assert!("…")` also contains `t!("`: only a `t` that starts a word counts.
                let macro_name = rest[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                let after = &rest[at + 4..];
                let Some(end) = after.find('"') else { break };
                if macro_name {
                    keys.insert(after[..end].to_string());
                }
                rest = &after[end..];
            }
        }
    }
    assert!(keys.len() > 30, "the scan of {} source files found only {} t! keys: {keys:?}", files.len(), keys.len());
    keys
}

#[test]
fn english_and_chinese_define_exactly_the_same_keys() {
    let en: BTreeSet<String> = I18n::keys(Locale::En).into_iter().collect();
    let zh: BTreeSet<String> = I18n::keys(Locale::ZhCn).into_iter().collect();
    assert!(en.len() > 30, "en has only {} keys", en.len());
    let missing_in_zh: Vec<_> = en.difference(&zh).collect();
    let missing_in_en: Vec<_> = zh.difference(&en).collect();
    assert!(
        missing_in_zh.is_empty() && missing_in_en.is_empty(),
        "missing in zh-CN: {missing_in_zh:?}\nmissing in en: {missing_in_en:?}"
    );
}

#[test]
fn every_locale_file_parses_without_errors() {
    for locale in Locale::ALL {
        let source = ftl_source(locale);
        let resource = fluent_syntax::parser::parse(source.as_str())
            .unwrap_or_else(|(_, errors)| panic!("{locale} does not parse: {errors:?}"));
        let junk: Vec<_> = resource.body.iter().filter(|e| matches!(e, Entry::Junk { .. })).collect();
        assert!(junk.is_empty(), "{locale} has junk: {junk:?}");
    }
    I18n::new().expect("the compiled-in locales load");
}

#[test]
fn every_key_the_code_uses_exists_in_every_locale() {
    let i18n = I18n::new().unwrap();
    let missing: Vec<String> = Locale::ALL
        .iter()
        .flat_map(|l| keys_used_in_source().into_iter().filter(|k| !i18n.has(*l, k)).map(move |k| format!("{l}: {k}")))
        .collect();
    assert!(missing.is_empty(), "keys used in src/ but missing from a locale:\n{}", missing.join("\n"));
}

#[test]
fn every_command_has_a_usage_line_and_a_help_text_in_every_locale() {
    let i18n = I18n::new().unwrap();
    assert_eq!(SPECS.len(), 29, "SPECS changed size: check the locales and this count");
    let mut missing = Vec::new();
    for locale in Locale::ALL {
        for spec in SPECS {
            for key in [spec.usage_key(), spec.help_key()] {
                if !i18n.has(locale, &key) {
                    missing.push(format!("{locale}: {key}"));
                } else if i18n.render(locale, &Text::new(key.clone())).trim().is_empty() {
                    missing.push(format!("{locale}: {key} is empty"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "command texts missing:\n{}", missing.join("\n"));
}

#[test]
fn every_key_the_code_uses_renders_as_a_message_not_the_missing_marker() {
    let i18n = I18n::new().unwrap();
    let mut bad = Vec::new();
    for locale in Locale::ALL {
        for key in keys_used_in_source() {
            let out = i18n.render(locale, &Text::new(key.clone()));
            if out == format!("⟨{key}⟩") || out.trim().is_empty() {
                bad.push(format!("{locale}: {key} rendered as {out:?}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_message_renders_completely_when_given_its_variables() {
    let i18n = I18n::new().unwrap();
    let mut bad = Vec::new();
    for locale in Locale::ALL {
        for (key, vars) in variables_by_message(locale) {
            let mut text = Text::new(key.clone());
            for var in vars {
                // `Text` names arguments with `&'static str`, as the code's literals are.
                text = text.arg(Box::leak(var.into_boxed_str()), "x");
            }
            let out = i18n.render(locale, &text);
            // Fluent writes an unresolved placeable as `{$name}` or `{key}`.
            if out.contains('⟨') || out.contains("{$") || out.contains("{???}") {
                bad.push(format!("{locale}: {key} rendered as {out:?}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn a_translation_uses_the_same_variables_as_english_for_every_message() {
    let en = variables_by_message(Locale::En);
    assert!(en.values().filter(|v| !v.is_empty()).count() > 20, "the variable scan found too little: {en:?}");
    let mut differ = Vec::new();
    for locale in Locale::ALL.into_iter().filter(|l| *l != Locale::En) {
        let other = variables_by_message(locale);
        for (key, en_vars) in &en {
            match other.get(key) {
                Some(vars) if vars == en_vars => {}
                Some(vars) => differ.push(format!("{key}: en uses {en_vars:?}, {locale} uses {vars:?}")),
                None => differ.push(format!("{key}: missing in {locale}")),
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn the_variable_scan_sees_variables_inside_selectors_and_variants() {
    // status-overview's English text uses `$count` both as text and as a plural selector.
    let en = variables_by_message(Locale::En);
    let want: BTreeSet<String> = ["count", "by_grade", "unowned", "mine"].map(String::from).into();
    assert_eq!(en["status-overview"], want);
    assert!(en["cmd-new-usage"].is_empty(), "escaped braces in usage lines are not variables");
}
