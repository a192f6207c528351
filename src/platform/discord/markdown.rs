//! Discord's markdown: escaping user text so it shows as typed, and laying out a case card as
//! an embed with buttons.
//!
//! Discord has no "plain text" mode, so every character its markdown gives a meaning is
//! escaped with a backslash (which Discord accepts before any punctuation). `<` is escaped
//! too, so `<@123>`, `<@&123>` and `<#123>` in alert text show as typed instead of becoming
//! mentions, and `@` so `@everyone` stays text. Pings are also switched off on every message
//! with `allowed_mentions` ([`no_pings`]): escaping is for what people see, `allowed_mentions`
//! is for who gets notified.

use crate::app::card::CardView;
use crate::delivery::split::{split, utf16_len};
use serde_json::{Value, json};

/// Discord's limits: one message's content, an embed's title and description, a button label.
pub const MAX_CONTENT: usize = 2000;
pub const MAX_EMBED_TITLE: usize = 256;
pub const MAX_EMBED_DESCRIPTION: usize = 4096;
const MAX_LABEL: usize = 80;

/// Shows `text` exactly as written: control and bidirectional characters are neutralised
/// first ([`crate::domain::untrusted::shown`]), then markdown is escaped.
pub fn escape(text: &str) -> String {
    let text = crate::domain::untrusted::shown(text);
    let mut out = String::with_capacity(text.len() + 16);
    let mut line_start = true;
    for ch in text.chars() {
        match ch {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '<' | '[' | ']' | '(' | ')' | '@' => {
                out.push('\\');
                out.push(ch);
            }
            // Headings and list items only start a line.
            '#' | '-' | '+' if line_start => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
        line_start = ch == '\n' || (line_start && ch.is_whitespace());
    }
    out
}

/// `allowed_mentions` that pings no one: not @everyone, not a role, not a user.
pub fn no_pings() -> Value {
    json!({ "parse": [] })
}

/// `allowed_mentions` that pings only `user_id`.
pub fn ping_only(user_id: u64) -> Value {
    json!({ "parse": [], "users": [user_id.to_string()] })
}

/// Escaped text with the last `shown` (a person's name, which notices put after what they
/// quote) turned into a mention of the Discord user `user_id`; `None` if the name is not there
/// or the id is not a snowflake.
pub fn mention(escaped: &str, shown: &str, user_id: &str) -> Option<(String, u64)> {
    let id: u64 = user_id.parse().ok()?;
    let name = escape(shown);
    let at = escaped.rfind(&name)?;
    let end = at + name.len();
    Some((format!("{}<@{id}>{}", &escaped[..at], &escaped[end..]), id))
}

/// Text cut into messages that fit Discord's 2,000 characters after escaping: split as shown
/// (at line breaks where possible), then each piece escaped; a piece that escaping made too
/// long is split again, finer.
pub fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in split(text, MAX_CONTENT) {
        let escaped = escape(&piece);
        if utf16_len(&escaped) <= MAX_CONTENT {
            out.push(escaped);
        } else {
            // Every character escapes to at most two.
            out.extend(split(&piece, MAX_CONTENT / 2).iter().map(|p| escape(p)));
        }
    }
    out
}

/// The card as an embed: the headline as its title, the summary quoted (text from outside,
/// kept apart from the card's own lines), the facts, and the last change in italics; in the
/// grade's colour.
pub fn embed(view: &CardView, colour: Option<u32>) -> Value {
    let mut lines = Vec::new();
    if let Some(summary) = &view.summary {
        lines.extend(escape(summary).split('\n').map(|l| format!("> {l}")));
    }
    lines.extend(view.facts.iter().map(|f| escape(f)));
    lines.push(format!("*{}*", escape(&view.last)));
    let mut embed = json!({
        "title": fit(&escape(&view.headline), MAX_EMBED_TITLE),
        "description": fit(&lines.join("\n"), MAX_EMBED_DESCRIPTION),
    });
    if let Some(colour) = colour {
        embed["color"] = json!(colour);
    }
    embed
}

/// The card's buttons in one action row; none means an empty list, which removes the old
/// buttons when the card is edited.
pub fn components(view: &CardView) -> Value {
    if view.buttons.is_empty() {
        return json!([]);
    }
    let buttons: Vec<Value> = view
        .buttons
        .iter()
        .map(|b| {
            let label: String = b.label.chars().take(MAX_LABEL).collect();
            json!({ "type": 2, "style": 1, "label": label, "custom_id": b.press.data() })
        })
        .collect();
    json!([{ "type": 1, "components": buttons }])
}

/// `#d32f2f` as Discord's integer colour.
pub fn colour(hex: &str) -> Option<u32> {
    u32::from_str_radix(hex.strip_prefix('#')?, 16).ok().filter(|c| *c <= 0xFF_FFFF)
}

/// Shortens already-escaped text to `max` UTF-16 units, never leaving a dangling backslash.
fn fit(text: &str, max: usize) -> String {
    if utf16_len(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for ch in text.chars() {
        if utf16_len(&out) + ch.len_utf16() + 1 > max {
            break;
        }
        out.push(ch);
    }
    let trailing = out.chars().rev().take_while(|c| *c == '\\').count();
    if trailing % 2 == 1 {
        out.pop();
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Discord shows for escaped text: a backslash before punctuation is dropped.
    fn unescape(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn mentions_links_and_markup_show_as_typed() {
        let typed = "@everyone @here <@&42> <@7> [click](https://evil.example) **bold** `code` ~~x~~ ||spoiler|| \\";
        let escaped = escape(typed);
        // Every character that starts a mention, a link or markup is escaped.
        let chars: Vec<char> = escaped.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '\\' {
                i += 2;
                continue;
            }
            assert!(!"@<[(*`~|".contains(chars[i]), "an unescaped {:?} in {escaped}", chars[i]);
            i += 1;
        }
        assert_eq!(unescape(&escaped), typed);
    }

    #[test]
    fn headings_quotes_and_lists_only_matter_at_line_start() {
        assert_eq!(escape("# x\n- y\nа-б #3"), "\\# x\n\\- y\nа-б #3");
        assert_eq!(escape("> quoted"), "\\> quoted");
    }

    #[test]
    fn long_text_is_cut_into_messages_that_fit_after_escaping() {
        let text = "*".repeat(4500);
        let pieces = pieces(&text);
        assert!(
            pieces.iter().all(|p| utf16_len(p) <= MAX_CONTENT),
            "{:?}",
            pieces.iter().map(|p| p.len()).collect::<Vec<_>>()
        );
        assert_eq!(pieces.iter().map(|p| unescape(p)).collect::<String>(), text);
    }

    #[test]
    fn a_cut_never_leaves_half_an_escape() {
        let cut = fit(&escape(&"_".repeat(300)), MAX_EMBED_TITLE);
        assert!(utf16_len(&cut) <= MAX_EMBED_TITLE);
        assert_eq!(cut.trim_end_matches('…').chars().rev().take_while(|c| *c == '\\').count() % 2, 0);
    }

    #[test]
    fn a_possibly_the_same_line_is_a_field_of_the_embed_and_its_merge_button_a_component() {
        use crate::app::card::{CardButton, Press};
        use crate::domain::CaseId;
        let (new, old) = (CaseId::parse("20").unwrap(), CaseId::parse("12").unwrap());
        let view = CardView {
            case: new,
            slot: None,
            headline: "🟠 #20 燃气味".into(),
            summary: None,
            facts: vec!["🔗 Possibly the same as #12: 荷花小区, *燃气*".into()],
            last: String::new(),
            buttons: vec![CardButton {
                label: "🔗 Merge into #12".into(),
                press: Press::Merge { from: new, into: old },
            }],
            colour: None,
        };
        let embed = embed(&view, None).to_string();
        assert!(embed.contains("Possibly the same as #12: 荷花小区, \\\\*燃气\\\\*"), "escaped: {embed}");
        let components = components(&view);
        assert_eq!(components[0]["components"][0]["custom_id"], "merge:20:12");
        assert_eq!(components[0]["components"][0]["label"], "🔗 Merge into #12");
    }

    #[test]
    fn colours_are_read_from_hex() {
        assert_eq!(colour("#d32f2f"), Some(0xd32f2f));
        assert_eq!(colour("red"), None);
    }
}
