//! Telegram's HTML parse mode: escaping user text, and laying out a case card.
//!
//! HTML rather than MarkdownV2 because it has only three characters to escape (`&`, `<`,
//! `>`) instead of eighteen, so hostile text cannot slip through a forgotten one.

use crate::app::card::CardView;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// Escaped HTML with the last `shown` (a person's display name, which notices put after the
/// titles they quote) turned into a mention of the Telegram user `user_id`; `None` if the
/// name is not there or the id is not a number.
pub fn mention(escaped: &str, shown: &str, user_id: &str) -> Option<String> {
    let id: i64 = user_id.parse().ok()?;
    let name = escape(shown);
    let at = escaped.rfind(&name)?;
    let end = at + name.len();
    Some(format!("{}<a href=\"tg://user?id={id}\">{name}</a>{}", &escaped[..at], &escaped[end..]))
}

/// Makes any text safe to place between tags: shown exactly as written, except that control
/// and bidirectional characters are neutralised first
/// ([`crate::domain::untrusted::shown`]): Telegram would show a U+202E as is, reversing what
/// follows it.
pub fn escape(text: &str) -> String {
    let text = crate::domain::untrusted::shown(text);
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The card as HTML: the headline in bold, the summary quoted (it is text from outside, and
/// the quote bar keeps its lines from passing for the card's own), the last change in
/// italics, everything escaped.
pub fn card(view: &CardView) -> String {
    let mut lines = vec![format!("<b>{}</b>", escape(&view.headline))];
    if let Some(summary) = &view.summary {
        lines.push(format!("<blockquote>{}</blockquote>", escape(summary)));
    }
    lines.extend(view.facts.iter().map(|f| escape(f)));
    lines.push(format!("<i>{}</i>", escape(&view.last)));
    lines.join("\n")
}

/// The card's buttons in one row; no buttons means an empty keyboard, which removes the
/// old buttons when the card is edited.
pub fn keyboard(view: &CardView) -> InlineKeyboardMarkup {
    let row: Vec<InlineKeyboardButton> =
        view.buttons.iter().map(|b| InlineKeyboardButton::callback(b.label.clone(), b.press.data())).collect();
    if row.is_empty() { InlineKeyboardMarkup::default() } else { InlineKeyboardMarkup::new(vec![row]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped_and_nothing_else_changes() {
        assert_eq!(escape("<b>x</b> & \"y\""), "&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;");
        let untouched = "_*[]()~`>#+-=|{}.! 燃气泄漏 🔥 \\ https://example.org/a_b?c=d&e";
        assert_eq!(escape(untouched).replace("&amp;", "&").replace("&gt;", ">"), untouched);
    }
}
