//! What the three robots' formats share: escaping for their markdown, the card's lines, grade
//! colours, and cutting to a byte budget.
//!
//! Plain notices go out as each platform's plain-text message (Feishu `post`, DingTalk and
//! WeCom `text`), where nothing typed is markup and mentions are separate fields: text shows
//! exactly as typed and pings only whom tocsin names. Cards use markdown (DingTalk, WeCom) or
//! a card of `plain_text` elements (Feishu); the markdown is escaped here.

use crate::app::card::CardView;

/// Shows `text` as typed in DingTalk's and WeCom's markdown: control and bidirectional
/// characters neutralised, markdown punctuation backslash-escaped, and `<` followed by a
/// zero-width space, so `<@userid>`, `<font …>` or `<a …>` in alert text never becomes a
/// mention, a colour or a link (neither platform documents a way to escape a tag).
pub fn escape_markdown(text: &str) -> String {
    let text = crate::domain::untrusted::shown(text);
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        match ch {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '[' | ']' | '(' | ')' | '#' | '-' | '+' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("<\u{200b}"),
            c => out.push(c),
        }
    }
    out
}

/// The commands a card's buttons stand for, since a robot's card cannot be pressed:
/// `👀 Acknowledge: /ack 1 · 🙋 Claim: /claim 1` (typed on a two-way platform or the console).
pub fn commands_line(view: &CardView) -> Option<String> {
    let parts: Vec<String> = view.buttons.iter().map(|b| format!("{}: {}", b.label, b.press.command())).collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// A grade colour (`#d32f2f`) as the nearest of a few named ones, for formats that offer only
/// names: "red", "orange", "yellow", "green", "blue", "purple" or "grey".
pub fn colour_name(hex: &str) -> Option<&'static str> {
    let rgb = u32::from_str_radix(hex.strip_prefix('#')?, 16).ok()?;
    let (r, g, b) = (((rgb >> 16) & 0xff) as i32, ((rgb >> 8) & 0xff) as i32, (rgb & 0xff) as i32);
    const NAMED: [(&str, (i32, i32, i32)); 7] = [
        ("red", (229, 57, 53)),
        ("orange", (245, 124, 0)),
        ("yellow", (251, 192, 45)),
        ("green", (67, 160, 71)),
        ("blue", (30, 136, 229)),
        ("purple", (142, 36, 170)),
        ("grey", (150, 150, 150)),
    ];
    NAMED.iter().min_by_key(|(_, (nr, ng, nb))| (r - nr).pow(2) + (g - ng).pow(2) + (b - nb).pow(2)).map(|(n, _)| *n)
}

/// Cuts `text` to at most `max` UTF-8 bytes on a character boundary, ending in `…` if cut.
pub fn fit_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut cut = text[..end].to_string();
    // Never leave a dangling escape.
    if cut.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1 {
        cut.pop();
    }
    cut.push('…');
    cut
}

/// A card as markdown lines for DingTalk and WeCom: `headline` already styled by the caller,
/// the summary quoted, the facts, the commands, and the last change in italics.
pub fn markdown_card(view: &CardView, headline: String) -> String {
    let mut lines = vec![headline];
    if let Some(summary) = &view.summary {
        lines.extend(escape_markdown(summary).split('\n').map(|l| format!("> {l}")));
    }
    lines.extend(view.facts.iter().map(|f| escape_markdown(f)));
    if let Some(commands) = commands_line(view) {
        lines.push(escape_markdown(&commands));
    }
    lines.push(format!("*{}*", escape_markdown(&view.last)));
    lines.join("\n\n")
}

/// Where in `text` the mention of `shown` goes: the last place the name appears (notices put
/// the person after anything they quote, so a name typed into a title is not the one linked).
pub fn mention_at(text: &str, shown: &str) -> Option<(usize, usize)> {
    if shown.is_empty() {
        return None;
    }
    text.rfind(shown).map(|at| (at, at + shown.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_tags_in_text_are_escaped_and_nothing_is_lost() {
        let hostile = r"**bold** [link](http://x) <@all> <font color='info'>x</font> # h \ ok";
        let escaped = escape_markdown(hostile);
        assert!(!escaped.contains("<@") && !escaped.contains("<font"), "{escaped}");
        assert!(!escaped.contains("**") && !escaped.contains("]("), "{escaped}");
        let unescaped: String = {
            let mut out = String::new();
            let mut chars = escaped.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
                    out.push(chars.next().unwrap());
                } else if c != '\u{200b}' {
                    out.push(c);
                }
            }
            out
        };
        assert_eq!(unescaped, hostile);
    }

    #[test]
    fn grade_colours_map_to_the_nearest_name() {
        assert_eq!(colour_name("#d32f2f"), Some("red"));
        assert_eq!(colour_name("#f57c00"), Some("orange"));
        assert_eq!(colour_name("#fbc02d"), Some("yellow"));
        assert_eq!(colour_name("#1976d2"), Some("blue"));
        assert_eq!(colour_name("nope"), None);
    }

    #[test]
    fn cutting_to_bytes_keeps_characters_whole() {
        let cut = fit_bytes(&"燃气".repeat(100), 20);
        assert!(cut.len() <= 20 && cut.ends_with('…'), "{cut}");
        assert_eq!(fit_bytes("short", 20), "short");
    }
}
