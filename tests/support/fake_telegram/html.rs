//! Telegram's HTML parse mode, ported from tdlib `parse_html` (td/telegram/MessageEntity.cpp),
//! including its error messages. Returns the raw parse; `entities::fix_text` does the clean-up.
//!
//! Quirks kept on purpose, because Telegram has them: only `&lt; &gt; &amp; &quot;` and numeric
//! references are decoded, any other `&` stays literal text (no error); the `;` is optional;
//! `</>` closes the innermost tag; attribute values without quotes are lowercased; an `<a>`
//! without `href` links to its own text; a link Telegram can't check is dropped silently.

use super::entities::{Entity, Formatted, checked_link, link_user_id, sort_entities};

const TAGS: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "s",
    "strike",
    "del",
    "u",
    "ins",
    "tg-spoiler",
    "tg-emoji",
    "span",
    "pre",
    "code",
    "blockquote",
];

/// tdlib's `is_space`: the NUL terminator counts as a space, which ends every scan.
pub(super) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0 | 0x0b)
}

fn lower(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_lowercase()
}

/// Decodes the character reference at `pos` (which holds `&`): `(code point, next position)`.
fn decode_entity(s: &[u8], pos: usize) -> Option<(u32, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut end = pos + 1;
    let mut code: u32 = 0;
    if at(pos + 1) == b'#' {
        end += 1;
        if at(pos + 2) == b'x' {
            end += 1;
            while at(end).is_ascii_hexdigit() {
                code = code.wrapping_mul(16).wrapping_add((at(end) as char).to_digit(16).unwrap());
                end += 1;
            }
        } else {
            while at(end).is_ascii_digit() {
                code = code.wrapping_mul(10).wrapping_add((at(end) - b'0') as u32);
                end += 1;
            }
        }
        if code == 0 || code >= 0x10ffff || end - pos >= 10 {
            return None;
        }
    } else {
        while at(end).is_ascii_alphabetic() {
            end += 1;
        }
        code = match &s[pos + 1..end] {
            b"lt" => '<' as u32,
            b"gt" => '>' as u32,
            b"amp" => '&' as u32,
            b"quot" => '"' as u32,
            _ => return None,
        };
    }
    Some((code, if at(end) == b';' { end + 1 } else { end }))
}

fn push_code(out: &mut Vec<u8>, code: u32) {
    if let Some(c) = char::from_u32(code) {
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
}

struct Open {
    tag: String,
    arg: String,
    offset: usize,
    begin: usize,
}

/// Parses Telegram HTML into plain text and entities, or returns tdlib's error message (without
/// the `Bad Request: can't parse entities: ` prefix the Bot API adds).
pub fn parse_html(input: &str) -> Result<Formatted, String> {
    let s = input.as_bytes();
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut off16 = 0;
    let mut bad_surrogate = false;
    let mut stack: Vec<Open> = Vec::new();
    let mut ents: Vec<Entity> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'&'
            && let Some((code, next)) = decode_entity(s, i)
        {
            off16 += if code > 0xffff { 2 } else { 1 };
            bad_surrogate |= (0xd800..=0xdfff).contains(&code);
            push_code(&mut out, code);
            i = next;
            continue;
        }
        if c != b'<' {
            if c & 0xc0 != 0x80 {
                off16 += if c >= 0xf0 { 2 } else { 1 };
            }
            out.push(c);
            i += 1;
            continue;
        }
        let begin = i;
        i += 1;
        if at(i) != b'/' {
            while !is_space(at(i)) && at(i) != b'>' {
                i += 1;
            }
            if at(i) == 0 {
                return Err(format!("Unclosed start tag at byte offset {begin}"));
            }
            let tag = lower(&s[begin + 1..i]);
            if !TAGS.contains(&tag.as_str()) {
                return Err(format!("Unsupported start tag \"{tag}\" at byte offset {begin}"));
            }
            let mut arg = String::new();
            while at(i) != b'>' {
                while at(i) != 0 && is_space(at(i)) {
                    i += 1;
                }
                if at(i) == b'>' {
                    break;
                }
                let name_begin = i;
                while !is_space(at(i)) && !matches!(at(i), b'=' | b'>' | b'/' | b'"' | b'\'') {
                    i += 1;
                }
                let name = &s[name_begin..i];
                if name.is_empty() {
                    return Err(format!("Empty attribute name in the tag \"{tag}\" at byte offset {begin}"));
                }
                while at(i) != 0 && is_space(at(i)) {
                    i += 1;
                }
                if at(i) != b'=' {
                    if at(i) == 0 {
                        return Err(format!("Unclosed start tag \"{tag}\" at byte offset {begin}"));
                    }
                    if tag == "blockquote" && name == b"expandable" {
                        arg = "1".into();
                    }
                    continue;
                }
                i += 1;
                while at(i) != 0 && is_space(at(i)) {
                    i += 1;
                }
                if at(i) == 0 {
                    return Err(format!("Unclosed start tag \"{tag}\" at byte offset {begin}"));
                }
                let value = if at(i) != b'\'' && at(i) != b'"' {
                    let token_begin = i;
                    while at(i).is_ascii_alphanumeric() || at(i) == b'.' || at(i) == b'-' {
                        i += 1;
                    }
                    if !is_space(at(i)) && at(i) != b'>' {
                        return Err(format!("Unexpected end of name token at byte offset {token_begin}"));
                    }
                    lower(&s[token_begin..i])
                } else {
                    let quote = at(i);
                    i += 1;
                    let mut v = Vec::new();
                    while at(i) != quote && at(i) != 0 {
                        if at(i) == b'&'
                            && let Some((code, next)) = decode_entity(s, i)
                        {
                            push_code(&mut v, code);
                            i = next;
                            continue;
                        }
                        v.push(at(i));
                        i += 1;
                    }
                    if at(i) == quote {
                        i += 1;
                    }
                    String::from_utf8_lossy(&v).into_owned()
                };
                if at(i) == 0 {
                    return Err(format!("Unclosed start tag at byte offset {begin}"));
                }
                match (tag.as_str(), name) {
                    ("a", b"href") | ("tg-emoji", b"emoji-id") => arg = value,
                    ("code", b"class") if value.starts_with("language-") => arg = value[9..].to_string(),
                    ("span", b"class") if value.starts_with("tg-") => arg = value[3..].to_string(),
                    ("blockquote", b"expandable") => arg = "1".into(),
                    _ => {}
                }
            }
            if tag == "span" && arg != "spoiler" {
                return Err(format!("Tag \"span\" must have class \"tg-spoiler\" at byte offset {begin}"));
            }
            stack.push(Open { tag, arg, offset: off16, begin: out.len() });
        } else {
            if stack.is_empty() {
                return Err(format!("Unexpected end tag at byte offset {begin}"));
            }
            while !is_space(at(i)) && at(i) != b'>' {
                i += 1;
            }
            let end_tag = lower(&s[begin + 2..i]);
            while is_space(at(i)) && at(i) != 0 {
                i += 1;
            }
            if at(i) != b'>' {
                return Err(format!("Unclosed end tag at byte offset {begin}"));
            }
            let open = stack.pop().unwrap();
            if !end_tag.is_empty() && end_tag != open.tag {
                return Err(format!(
                    "Unmatched end tag at byte offset {begin}, expected \"</{}>\", found \"</{end_tag}>\"",
                    open.tag
                ));
            }
            if off16 > open.offset {
                close(&mut ents, open, off16, &out)?;
            }
        }
        i += 1;
    }
    if let Some(open) = stack.last() {
        return Err(format!("Can't find end tag corresponding to start tag \"{}\"", open.tag));
    }
    for e in ents.iter_mut().filter(|e| e.kind == "code") {
        e.language = None;
    }
    sort_entities(&mut ents);
    if bad_surrogate {
        return Err("Text contains invalid Unicode characters after decoding HTML entities, check for unmatched \
                    surrogate code units"
            .into());
    }
    Ok(Formatted { text: String::from_utf8_lossy(&out).into_owned(), entities: ents })
}

fn close(ents: &mut Vec<Entity>, open: Open, off16: usize, out: &[u8]) -> Result<(), String> {
    let (offset, length) = (open.offset, off16 - open.offset);
    let same_range = |e: &Entity| e.offset == offset && e.length == length;
    let kind = match open.tag.as_str() {
        "i" | "em" => "italic",
        "b" | "strong" => "bold",
        "s" | "strike" | "del" => "strikethrough",
        "u" | "ins" => "underline",
        "tg-spoiler" | "span" => "spoiler",
        "blockquote" if !open.arg.is_empty() => "expandable_blockquote",
        "blockquote" => "blockquote",
        "tg-emoji" => {
            let id = open.arg.parse::<i64>().ok().filter(|id| *id != 0);
            let id = id.ok_or("Invalid custom emoji identifier specified")?;
            let mut e = Entity::new("custom_emoji", offset, length);
            e.custom_emoji_id = Some(id.to_string());
            ents.push(e);
            return Ok(());
        }
        "a" => {
            let url =
                if open.arg.is_empty() { String::from_utf8_lossy(&out[open.begin..]).into_owned() } else { open.arg };
            if let Some(user) = link_user_id(&url) {
                let mut e = Entity::new("text_mention", offset, length);
                e.user_id = Some(user);
                ents.push(e);
            } else if let Some(url) = checked_link(&url) {
                ents.push(Entity::new("text_link", offset, length).with_url(&url));
            }
            return Ok(());
        }
        "pre" => {
            match ents.last_mut() {
                Some(e) if e.kind == "code" && same_range(e) && e.language.is_some() => e.kind = "pre".into(),
                _ => ents.push(Entity::new("pre", offset, length)),
            }
            return Ok(());
        }
        "code" => {
            let language = (!open.arg.is_empty()).then_some(open.arg);
            match ents.last_mut() {
                Some(e) if e.kind == "pre" && e.language.is_none() && same_range(e) && language.is_some() => {
                    e.language = language;
                }
                _ => ents.push(Entity { language, ..Entity::new("code", offset, length) }),
            }
            return Ok(());
        }
        other => unreachable!("tag {other}"),
    };
    ents.push(Entity::new(kind, offset, length));
    Ok(())
}
