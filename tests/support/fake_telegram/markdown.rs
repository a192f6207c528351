//! Telegram's MarkdownV2 and legacy Markdown parse modes, ported from tdlib `parse_markdown_v2`
//! and `parse_markdown` (td/telegram/MessageEntity.cpp), including the error messages.
//!
//! MarkdownV2: outside entities every one of `_*[]()~`>#+-=|{}.!` must be escaped with `\`; any
//! ASCII character may be escaped; inside `code`/`pre` only `` ` `` and `\` need it. `>` at a line
//! start opens a blockquote, `**>` an expandable one (which ends with `||`).

use super::entities::{Entity, Formatted, checked_link, link_user_id, sort_entities};
use super::html::is_space;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Md {
    Bold,
    Italic,
    Underline,
    Strikethrough,
    Spoiler,
    Code,
    Pre,
    PreCode,
    TextUrl,
    CustomEmoji,
    BlockQuote,
    ExpandableBlockQuote,
}

impl fmt::Display for Md {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

struct Open {
    ty: Md,
    arg: String,
    offset: usize,
    byte: usize,
    begin: usize,
}

fn reserved(c: u8) -> String {
    format!("Character '{}' is reserved and must be escaped with the preceding '\\'", c as char)
}

fn utf16_step(c: u8) -> usize {
    if c & 0xc0 == 0x80 {
        0
    } else if c >= 0xf0 {
        2
    } else {
        1
    }
}

/// Reads a `(url)` starting at `i` (just after `(`), with `\` escapes: `(url, index of ')')`.
fn read_url(s: &[u8], mut i: usize) -> (String, usize) {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut url = Vec::new();
    while i < s.len() && at(i) != b')' {
        if at(i) == b'\\' && (1..=126).contains(&at(i + 1)) {
            url.push(at(i + 1));
            i += 2;
            continue;
        }
        url.push(at(i));
        i += 1;
    }
    (String::from_utf8_lossy(&url).into_owned(), i)
}

fn custom_emoji_id(url: &str) -> Result<String, String> {
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("tg:").ok_or("Custom emoji URL must have scheme tg")?.trim_start_matches('/');
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if &rest[..host_end] != "emoji" {
        return Err("Custom emoji URL must have host \"emoji\"".into());
    }
    let query = rest.split_once('?').map(|(_, q)| q.split('#').next().unwrap_or("")).unwrap_or("");
    let id = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("id="))
        .ok_or("Custom emoji URL must have an emoji identifier")?;
    match id.parse::<i64>() {
        Ok(n) if n != 0 && n.to_string() == id => Ok(id.to_string()),
        _ => Err("Invalid custom emoji identifier specified".into()),
    }
}

fn entity(ty: Md, offset: usize, length: usize, arg: String) -> Entity {
    let kind = match ty {
        Md::Bold => "bold",
        Md::Italic => "italic",
        Md::Underline => "underline",
        Md::Strikethrough => "strikethrough",
        Md::Spoiler => "spoiler",
        Md::Code => "code",
        Md::Pre | Md::PreCode => "pre",
        Md::TextUrl => "text_link",
        Md::CustomEmoji => "custom_emoji",
        Md::BlockQuote => "blockquote",
        Md::ExpandableBlockQuote => "expandable_blockquote",
    };
    let mut e = Entity::new(kind, offset, length);
    match ty {
        Md::PreCode => e.language = Some(arg),
        Md::TextUrl => e.url = Some(arg),
        Md::CustomEmoji => e.custom_emoji_id = Some(arg),
        _ => {}
    }
    e
}

/// Parses MarkdownV2 into plain text and entities, or returns tdlib's error message (without the
/// `Bad Request: can't parse entities: ` prefix).
pub fn parse_markdown_v2(input: &str) -> Result<Formatted, String> {
    let s = input.as_bytes();
    let n = s.len();
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let mut off16 = 0;
    let mut stack: Vec<Open> = Vec::new();
    let mut ents = Vec::new();
    let (mut have_quote, mut can_start_quote) = (false, true);
    let mut i = 0;
    while i < n {
        let c = s[i];
        if c == b'\\' && (1..=126).contains(&at(i + 1)) {
            i += 1;
            off16 += 1;
            out.push(s[i]);
            if s[i] != b'\r' {
                can_start_quote = s[i] == b'\n';
            }
            i += 1;
            continue;
        }
        let in_code = matches!(stack.last().map(|o| o.ty), Some(Md::Code | Md::Pre | Md::PreCode));
        let special: &[u8] = if in_code { b"`" } else { b"_*[]()~`>#+-=|{}.!\n" };
        if !special.contains(&c) {
            off16 += utf16_step(c);
            if c & 0xc0 != 0x80 && c != b'\r' {
                can_start_quote = false;
            }
            out.push(c);
            i += 1;
            continue;
        }
        let is_end = match stack.last() {
            None => false,
            Some(_) if have_quote && c == b'\n' && (i + 1 == n || at(i + 1) != b'>') => true,
            Some(top) => match top.ty {
                Md::Bold => c == b'*',
                Md::Italic => c == b'_' && at(i + 1) != b'_',
                Md::Code => c == b'`',
                Md::Pre | Md::PreCode => c == b'`' && at(i + 1) == b'`' && at(i + 2) == b'`',
                Md::TextUrl | Md::CustomEmoji => c == b']',
                Md::Underline => c == b'_' && at(i + 1) == b'_',
                Md::Strikethrough => c == b'~',
                Md::Spoiler => c == b'|' && at(i + 1) == b'|',
                Md::BlockQuote | Md::ExpandableBlockQuote => false,
            },
        };
        if !is_end {
            let byte = i;
            let mut arg = String::new();
            let ty = match c {
                b'_' if at(i + 1) == b'_' => {
                    i += 1;
                    Some(Md::Underline)
                }
                b'_' => Some(Md::Italic),
                b'*' => Some(Md::Bold),
                b'~' => Some(Md::Strikethrough),
                b'|' if at(i + 1) == b'|' => {
                    i += 1;
                    Some(Md::Spoiler)
                }
                b'[' => Some(Md::TextUrl),
                b'`' if at(i + 1) == b'`' && at(i + 2) == b'`' => {
                    i += 3;
                    let mut ty = Md::Pre;
                    let mut end = i;
                    while !is_space(at(end)) && at(end) != b'`' {
                        end += 1;
                    }
                    if i != end && end < n && at(end) != b'`' {
                        ty = Md::PreCode;
                        arg = String::from_utf8_lossy(&s[i..end]).into_owned();
                        i = end;
                    }
                    if at(i) == b'\n' || at(i) == b'\r' {
                        i += if matches!(at(i + 1), b'\n' | b'\r') && at(i) != at(i + 1) { 2 } else { 1 };
                    }
                    i -= 1;
                    Some(ty)
                }
                b'`' => Some(Md::Code),
                b'!' if at(i + 1) == b'[' => {
                    i += 1;
                    Some(Md::CustomEmoji)
                }
                b'\n' => {
                    off16 += 1;
                    out.push(b'\n');
                    can_start_quote = true;
                    None
                }
                b'>' if can_start_quote && have_quote => None,
                b'>' if can_start_quote => {
                    have_quote = true;
                    Some(Md::BlockQuote)
                }
                other => return Err(reserved(other)),
            };
            if let Some(ty) = ty {
                stack.push(Open { ty, arg, offset: off16, byte, begin: out.len() });
            }
            i += 1;
            continue;
        }
        let mut ty = stack.last().unwrap().ty;
        if c == b'\n' && ty != Md::BlockQuote {
            let top = stack.last().unwrap();
            let ends_expandable =
                ty == Md::Spoiler && (top.byte + 2 == i || (top.byte + 3 == i && out.last() == Some(&b'\r')));
            if !ends_expandable {
                return Err(format!("Can't find end of {ty} entity at byte offset {}", top.byte));
            }
            stack.pop();
            let top = stack.last().unwrap();
            if top.ty != Md::BlockQuote {
                return Err(format!("Can't find end of {} entity at byte offset {}", top.ty, top.byte));
            }
            ty = Md::ExpandableBlockQuote;
        }
        let top = stack.pop().unwrap();
        let mut arg = top.arg;
        let mut user_id = None;
        let mut skip = off16 == top.offset;
        match ty {
            Md::Underline | Md::Spoiler => i += 1,
            Md::Pre | Md::PreCode => i += 2,
            Md::TextUrl => {
                let url = if at(i + 1) != b'(' {
                    String::from_utf8_lossy(&out[top.begin..]).into_owned()
                } else {
                    let (url, end) = read_url(s, i + 2);
                    if at(end) != b')' {
                        return Err(format!("Can't find end of a URL at byte offset {}", i + 2));
                    }
                    i = end;
                    url
                };
                user_id = link_user_id(&url);
                if user_id.is_none() {
                    match checked_link(&url) {
                        Some(url) => arg = url,
                        None => skip = true,
                    }
                }
            }
            Md::CustomEmoji => {
                if at(i + 1) != b'(' {
                    return Err("Custom emoji entity must contain a tg://emoji URL".into());
                }
                let (url, end) = read_url(s, i + 2);
                if at(end) != b')' {
                    return Err(format!("Can't find end of a custom emoji URL at byte offset {}", i + 2));
                }
                i = end;
                arg = custom_emoji_id(&url)?;
            }
            Md::BlockQuote | Md::ExpandableBlockQuote => {
                have_quote = false;
                out.push(s[i]);
                can_start_quote = true;
                off16 += 1;
                skip = false;
            }
            _ => {}
        }
        if !skip {
            let length = off16 - top.offset;
            if let Some(user) = user_id {
                let mut e = Entity::new("text_mention", top.offset, length);
                e.user_id = Some(user);
                ents.push(e);
            } else {
                ents.push(entity(ty, top.offset, length, arg));
            }
        }
        i += 1;
    }
    if have_quote {
        let mut ty = Md::BlockQuote;
        if stack.last().is_some_and(|t| t.ty == Md::Spoiler && t.byte + 2 == n) {
            stack.pop();
            ty = Md::ExpandableBlockQuote;
        }
        if stack.last().is_some_and(|t| t.ty == Md::BlockQuote) {
            let top = stack.pop().unwrap();
            if off16 != top.offset {
                ents.push(entity(ty, top.offset, off16 - top.offset, String::new()));
            }
        }
    }
    if let Some(top) = stack.last() {
        return Err(format!("Can't find end of {} entity at byte offset {}", top.ty, top.byte));
    }
    sort_entities(&mut ents);
    Ok(Formatted { text: String::from_utf8_lossy(&out).into_owned(), entities: ents })
}

/// Legacy `Markdown`: `*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ````, `[text](url)`; only
/// `_ * ` [` can be escaped, and entities can't be nested.
pub fn parse_markdown(input: &str) -> Result<Formatted, String> {
    let s = input.as_bytes();
    let n = s.len();
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let mut off16 = 0;
    let mut ents = Vec::new();
    let mut i = 0;
    while i < n {
        let c = s[i];
        if c == b'\\' && matches!(at(i + 1), b'_' | b'*' | b'`' | b'[') {
            out.push(s[i + 1]);
            off16 += 1;
            i += 2;
            continue;
        }
        if !matches!(c, b'_' | b'*' | b'`' | b'[') {
            off16 += utf16_step(c);
            out.push(c);
            i += 1;
            continue;
        }
        let begin = i;
        let end_char = if c == b'[' { b']' } else { c };
        let mut is_pre = false;
        let mut language = String::new();
        i += 1;
        if c == b'`' && at(i) == b'`' && at(i + 1) == b'`' {
            i += 2;
            is_pre = true;
            let mut end = i;
            while !is_space(at(end)) && at(end) != b'`' {
                end += 1;
            }
            if i != end && end < n && at(end) != b'`' {
                language = String::from_utf8_lossy(&s[i..end]).into_owned();
                i = end;
            }
            if at(i) == b'\n' || at(i) == b'\r' {
                i += if matches!(at(i + 1), b'\n' | b'\r') && at(i) != at(i + 1) { 2 } else { 1 };
            }
        }
        let offset = off16;
        while i < n && (at(i) != end_char || (is_pre && !(at(i + 1) == b'`' && at(i + 2) == b'`'))) {
            off16 += utf16_step(at(i));
            out.push(at(i));
            i += 1;
        }
        if i >= n {
            return Err(format!("Can't find end of the entity starting at byte offset {begin}"));
        }
        if off16 != offset {
            let length = off16 - offset;
            match c {
                b'_' => ents.push(Entity::new("italic", offset, length)),
                b'*' => ents.push(Entity::new("bold", offset, length)),
                b'[' => {
                    let url = if at(i + 1) != b'(' {
                        String::from_utf8_lossy(&s[begin + 1..i]).into_owned()
                    } else {
                        let start = i + 2;
                        i = start;
                        while i < n && at(i) != b')' {
                            i += 1;
                        }
                        String::from_utf8_lossy(&s[start.min(n)..i.min(n)]).into_owned()
                    };
                    if let Some(user) = link_user_id(&url) {
                        ents.push(Entity { user_id: Some(user), ..Entity::new("text_mention", offset, length) });
                    } else if let Some(url) = checked_link(&url) {
                        ents.push(Entity::new("text_link", offset, length).with_url(&url));
                    }
                }
                _ if is_pre && !language.is_empty() => {
                    ents.push(Entity::new("pre", offset, length).with_language(&language))
                }
                _ if is_pre => ents.push(Entity::new("pre", offset, length)),
                _ => ents.push(Entity::new("code", offset, length)),
            }
        }
        if is_pre {
            i += 2;
        }
        i += 1;
    }
    Ok(Formatted { text: String::from_utf8_lossy(&out).into_owned(), entities: ents })
}
