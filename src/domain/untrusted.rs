//! Text from outside tocsin — webhook and feed fields, chat messages — made safe to keep and
//! to show. Pure functions, applied twice: when text is taken in (so the ledger holds clean
//! titles and bodies) and again by every renderer that prints text from the ledger or from
//! people (console, Telegram, the status page, reports), so that a row written before these
//! rules, or by another path, is shown safely too.
//!
//! What is neutralised, and why:
//! - **Control characters** (C0 and C1, DEL; ESC among them) become U+FFFD `�`. Terminals act
//!   on them (`ESC [2K` erases a line, `CR` returns to its start), so raw they let a title
//!   rewrite what the console shows. The replacement stays visible: the team can see that
//!   something was there.
//! - **Bidirectional controls** — the embeddings and overrides U+202A–U+202E and the isolates
//!   U+2066–U+2069 — become U+FFFD as well: they make text display in an order other than the
//!   one it is stored in ("Trojan Source"), so a title could read one way and say another.
//!   The marks U+200E, U+200F and U+061C stay: they are single strong characters that can
//!   reorder text no more than any Hebrew or Arabic letter can, and right-to-left writing
//!   needs them.
//! - **Line breaks** (LF, CR, CRLF, NEL, VT, FF, U+2028, U+2029): a title or label is one line,
//!   so there they become a space; a body keeps them, as `\n`, and renderers decide how to show
//!   continuation lines (the console indents them, see `platform::console`).
//!
//! Lengths are counted in characters and cut on a character boundary, ending in `…`; a result
//! is never longer than the bound it was given.

use std::borrow::Cow;

/// The longest title a case or a signal keeps, in characters.
pub const MAX_TITLE: usize = 200;
/// The longest label (a name a sender gives, such as a webhook body's `source`), in characters.
pub const MAX_LABEL: usize = 64;

const REPLACEMENT: char = '\u{FFFD}';

/// A bidirectional embedding, override or isolate.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that ends a line somewhere: in Rust's `lines()`, a terminal, or Unicode.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Whether `c` may appear in text as shown: not a control character (tab and line feed aside)
/// and not a bidirectional control.
pub fn is_safe(c: char) -> bool {
    matches!(c, '\n' | '\t') || !(c.is_control() || is_bidi_control(c) || is_line_break(c))
}

/// Text as it may be shown: every kind of line break becomes `\n` (CRLF one `\n`), tabs stay,
/// every other control character and every bidirectional control becomes U+FFFD. Borrows
/// when there is nothing to change, which is nearly always.
pub fn shown(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_safe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            c if is_line_break(c) => out.push('\n'),
            '\t' => out.push('\t'),
            c if c.is_control() || is_bidi_control(c) => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The title rule, for any one-line text from outside (titles, labels, links): line breaks,
/// tabs and runs of white space become one space, control and bidirectional characters
/// U+FFFD, the ends are trimmed, and the result is at most `max` characters (cut with `…`).
pub fn one_line(text: &str, max: usize) -> String {
    let neutral: String = text
        .chars()
        .map(|c| match c {
            c if c == '\t' || is_line_break(c) => ' ',
            c if c.is_control() || is_bidi_control(c) => REPLACEMENT,
            c => c,
        })
        .collect();
    let joined = neutral.split_whitespace().collect::<Vec<_>>().join(" ");
    cut(joined, max)
}

/// A case or signal title: [`one_line`] at [`MAX_TITLE`]; `None` when nothing is left.
pub fn title(text: &str) -> Option<String> {
    Some(one_line(text, MAX_TITLE)).filter(|t| !t.is_empty())
}

/// A label a sender gives (the webhook body's `source`): [`one_line`] at [`MAX_LABEL`]; `None`
/// when nothing is left.
pub fn label(text: &str) -> Option<String> {
    Some(one_line(text, MAX_LABEL)).filter(|t| !t.is_empty())
}

/// The rule for multi-line text from outside (a body, a summary): [`shown`], trimmed, and at
/// most `max` characters (cut with `…`).
pub fn block(text: &str, max: usize) -> String {
    cut(shown(text).trim().to_string(), max)
}

/// At most `max` characters: a longer text keeps its first `max - 1`, trimmed at the end, and
/// `…`.
fn cut(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some(_) if max == 0 => String::new(),
        Some(_) => {
            let (end, _) = text.char_indices().nth(max - 1).expect("longer than max");
            format!("{}…", text[..end].trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forged_bot_line_in_a_title_stays_on_the_titles_line() {
        let hostile = "Water leak\n✅ #1 Water leak — resolved by Alice Chen";
        assert_eq!(one_line(hostile, MAX_TITLE), "Water leak ✅ #1 Water leak — resolved by Alice Chen");
        assert_eq!(one_line("a\r\nb\u{2028}c\u{85}d\u{0B}e\u{0C}f\tg", 50), "a b c d e f g");
    }

    #[test]
    fn escapes_and_bidi_overrides_become_visible_replacements() {
        assert_eq!(one_line("\u{1b}[2K\u{1b}[31mred", 50), "\u{FFFD}[2K\u{FFFD}[31mred");
        assert_eq!(one_line("invoice\u{202E}fdp.exe", 50), "invoice\u{FFFD}fdp.exe");
        assert_eq!(one_line("\u{2066}x\u{2069} \u{9b}y \u{7f}", 50), "\u{FFFD}x\u{FFFD} \u{FFFD}y \u{FFFD}");
        // Marks needed by right-to-left writing stay.
        assert_eq!(one_line("שלום\u{200F} abc\u{200E}", 50), "שלום\u{200F} abc\u{200E}");
    }

    #[test]
    fn long_titles_are_cut_on_a_character_boundary_with_an_ellipsis() {
        let long = "燃".repeat(200_000);
        let t = title(&long).unwrap();
        assert_eq!(t.chars().count(), MAX_TITLE);
        assert!(t.ends_with("燃…"));
        assert_eq!(title(&"x".repeat(MAX_TITLE)).unwrap().chars().count(), MAX_TITLE, "exactly the bound is kept");
        assert_eq!(one_line("abc def", 5), "abc…", "trimmed before the ellipsis");
        assert_eq!(one_line("abc", 0), "");
        assert_eq!(one_line("abc", 1), "…");
        assert_eq!(title(" \n\t\u{2028} "), None);
        assert_eq!(label(&"n".repeat(100)).unwrap().chars().count(), MAX_LABEL);
    }

    #[test]
    fn bodies_keep_their_lines_as_plain_line_feeds() {
        assert_eq!(block("  first\r\nsecond\rthird\u{2029}fourth\n\n", 100), "first\nsecond\nthird\nfourth");
        assert_eq!(block("tab\there\u{1b}[0m", 100), "tab\there\u{FFFD}[0m");
        assert_eq!(shown("plain text, 燃气泄漏"), Cow::Borrowed("plain text, 燃气泄漏"));
        assert_eq!(shown("a\u{202E}b\r\nc"), "a\u{FFFD}b\nc");
    }

    /// A small deterministic generator (xorshift), so the property checks below need no
    /// dependency and fail the same way every time.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// Mostly hostile characters: every control, break and bidi control, plus ordinary
        /// letters, spaces, wide and astral characters.
        fn char(&mut self) -> char {
            const NASTY: &[char] = &[
                '\n',
                '\r',
                '\t',
                ' ',
                ' ',
                '\u{0}',
                '\u{1b}',
                '\u{7f}',
                '\u{85}',
                '\u{9b}',
                '\u{0B}',
                '\u{0C}',
                '\u{2028}',
                '\u{2029}',
                '\u{202A}',
                '\u{202B}',
                '\u{202C}',
                '\u{202D}',
                '\u{202E}',
                '\u{2066}',
                '\u{2067}',
                '\u{2068}',
                '\u{2069}',
                '\u{200E}',
                '\u{200F}',
                '\u{A0}',
                '\u{3000}',
                '\u{FFFD}',
                '…',
                'a',
                'Z',
                '#',
                '✅',
                '燃',
                '🔥',
                '\u{10FFFD}',
            ];
            match self.next() % 4 {
                0 => char::from_u32((self.next() % 0x11_0000) as u32).unwrap_or('x'),
                _ => NASTY[(self.next() % NASTY.len() as u64) as usize],
            }
        }

        fn text(&mut self) -> String {
            let len = (self.next() % 300) as usize;
            (0..len).map(|_| self.char()).collect()
        }
    }

    #[test]
    fn property_titles_are_one_clean_line_within_the_bound_and_cleaning_is_idempotent() {
        let mut g = Gen(0x5EED_1234_ABCD_0001);
        for _ in 0..5_000 {
            let raw = g.text();
            let max = (g.next() % 250) as usize;
            let once = one_line(&raw, max);
            assert!(once.chars().count() <= max, "{raw:?} at {max} → {once:?}");
            assert!(once.chars().all(|c| is_safe(c) && c != '\n' && c != '\t'), "{raw:?} → {once:?}");
            assert_eq!(once.trim(), once, "{raw:?}");
            assert!(!once.contains("  "), "{raw:?} → {once:?}");
            assert_eq!(one_line(&once, max), once, "idempotent: {raw:?}");
        }
    }

    #[test]
    fn property_bodies_are_clean_within_the_bound_and_cleaning_is_idempotent() {
        let mut g = Gen(0xB0D1_E5C0_FFEE_0002);
        for _ in 0..5_000 {
            let raw = g.text();
            let max = (g.next() % 400) as usize;
            let once = block(&raw, max);
            assert!(once.chars().count() <= max, "{raw:?} at {max} → {once:?}");
            assert!(once.chars().all(is_safe), "{raw:?} → {once:?}");
            assert_eq!(block(&once, max), once, "idempotent: {raw:?}");
            let seen = shown(&raw);
            assert!(seen.chars().all(is_safe), "{raw:?} → {seen:?}");
            assert_eq!(shown(&seen), seen, "idempotent: {raw:?}");
        }
    }
}
