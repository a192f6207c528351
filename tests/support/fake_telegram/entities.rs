//! Telegram's text model: what a user sees is plain text plus entities whose offsets and lengths
//! count UTF-16 code units. After a parse mode has been applied, Telegram (tdlib's
//! `fix_formatted_text`) cleans the text, repairs overlapping entities, trims it and adds the
//! entities it detects by itself (mentions, bot commands, hashtags, cashtags, URLs). This file
//! ports those rules; see tdlib `td/telegram/MessageEntity.cpp`.

use serde_json::{Value, json};

/// One entity as the Bot API reports it (`type`, `offset`, `length`, plus the optional fields).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entity {
    /// The Bot API type: `bold`, `italic`, `underline`, `strikethrough`, `spoiler`, `code`, `pre`,
    /// `text_link`, `text_mention`, `custom_emoji`, `blockquote`, `expandable_blockquote`,
    /// `mention`, `hashtag`, `cashtag`, `bot_command`, `url`.
    pub kind: String,
    /// In UTF-16 code units.
    pub offset: usize,
    /// In UTF-16 code units.
    pub length: usize,
    pub url: Option<String>,
    pub language: Option<String>,
    pub custom_emoji_id: Option<String>,
    /// The user of a `text_mention`.
    pub user_id: Option<i64>,
}

impl Entity {
    pub fn new(kind: &str, offset: usize, length: usize) -> Entity {
        Entity {
            kind: kind.to_string(),
            offset,
            length,
            url: None,
            language: None,
            custom_emoji_id: None,
            user_id: None,
        }
    }

    pub fn with_url(mut self, url: &str) -> Entity {
        self.url = Some(url.to_string());
        self
    }

    pub fn with_language(mut self, language: &str) -> Entity {
        self.language = Some(language.to_string());
        self
    }

    pub fn end(&self) -> usize {
        self.offset + self.length
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({"type": self.kind, "offset": self.offset, "length": self.length});
        if let Some(url) = &self.url {
            v["url"] = json!(url);
        }
        if let Some(language) = &self.language {
            v["language"] = json!(language);
        }
        if let Some(id) = &self.custom_emoji_id {
            v["custom_emoji_id"] = json!(id);
        }
        if let Some(id) = self.user_id {
            v["user"] = json!({"id": id, "is_bot": false, "first_name": ""});
        }
        v
    }

    /// An entity from a request's `entities` array; `None` for unknown or malformed ones.
    pub fn from_json(v: &Value) -> Option<Entity> {
        let kind = v.get("type")?.as_str()?;
        if !KNOWN.contains(&kind) {
            return None;
        }
        let mut e = Entity::new(kind, v.get("offset")?.as_u64()? as usize, v.get("length")?.as_u64()? as usize);
        e.url = v.get("url").and_then(Value::as_str).map(str::to_string);
        e.language = v.get("language").and_then(Value::as_str).filter(|l| !l.is_empty()).map(str::to_string);
        e.custom_emoji_id = v.get("custom_emoji_id").and_then(Value::as_str).map(str::to_string);
        e.user_id = v.get("user").and_then(|u| u.get("id")).and_then(Value::as_i64);
        Some(e)
    }
}

const KNOWN: &[&str] = &[
    "mention",
    "hashtag",
    "cashtag",
    "bot_command",
    "url",
    "email",
    "phone_number",
    "bold",
    "italic",
    "underline",
    "strikethrough",
    "spoiler",
    "blockquote",
    "expandable_blockquote",
    "code",
    "pre",
    "text_link",
    "text_mention",
    "custom_emoji",
];
const SPLITTABLE: [&str; 5] = ["bold", "italic", "underline", "strikethrough", "spoiler"];

/// Plain text and its entities.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Formatted {
    pub text: String,
    pub entities: Vec<Entity>,
}

impl Formatted {
    /// The text an entity covers.
    pub fn slice(&self, e: &Entity) -> String {
        utf16_slice(&self.text, e.offset, e.length)
    }
}

pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The part of `s` at `offset..offset + length`, counted in UTF-16 code units.
pub fn utf16_slice(s: &str, offset: usize, length: usize) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    let start = offset.min(units.len());
    String::from_utf16_lossy(&units[start..(offset + length).min(units.len())])
}

fn priority(e: &Entity) -> u8 {
    match e.kind.as_str() {
        "blockquote" | "expandable_blockquote" => 0,
        "pre" if e.language.is_some() => 10,
        "pre" => 11,
        "code" => 20,
        "text_link" | "text_mention" => 49,
        "bold" => 90,
        "italic" => 91,
        "underline" => 92,
        "strikethrough" => 93,
        "spoiler" => 94,
        "custom_emoji" => 99,
        _ => 50,
    }
}

/// Telegram's order: by offset, longer first, then by type priority.
pub fn sort_entities(v: &mut [Entity]) {
    v.sort_by(|a, b| a.offset.cmp(&b.offset).then(b.length.cmp(&a.length)).then(priority(a).cmp(&priority(b))));
}

fn is_blockquote(e: &Entity) -> bool {
    e.kind == "blockquote" || e.kind == "expandable_blockquote"
}

fn disjoint(a: &Entity, b: &Entity) -> bool {
    a.end() <= b.offset || b.end() <= a.offset
}

fn inside(a: &Entity, outer: &Entity) -> bool {
    outer.offset <= a.offset && a.end() <= outer.end()
}

/// Keeps an entity only if it starts after every kept one ended (input sorted).
fn remove_intersecting(v: &mut Vec<Entity>) {
    let mut last_end = 0;
    v.retain(|e| {
        let keep = e.offset >= last_end;
        if keep {
            last_end = e.end();
        }
        keep
    });
}

/// Splittable entities (bold, italic, ...) are merged per type, removed inside `pre`, and cut at
/// every boundary of the other entities.
fn resplit(split: Vec<Entity>, others: &[Entity]) -> Vec<Entity> {
    let Some(len) = split.iter().map(Entity::end).max() else { return split };
    let mut boundary = vec![false; len + 1];
    let mut in_pre = vec![false; len];
    for o in others {
        for p in [o.offset, o.end()] {
            if p <= len {
                boundary[p] = true;
            }
        }
        if o.kind == "pre" {
            in_pre.iter_mut().take(o.end().min(len)).skip(o.offset).for_each(|x| *x = true);
        }
    }
    let mut out = Vec::new();
    for kind in SPLITTABLE {
        let mut cover = vec![false; len];
        for e in split.iter().filter(|e| e.kind == kind) {
            cover[e.offset..e.end()].iter_mut().for_each(|x| *x = true);
        }
        let mut start = None;
        for p in 0..=len {
            let on = p < len && cover[p] && !in_pre[p];
            if let Some(s) = start
                && (!on || boundary[p])
            {
                out.push(Entity::new(kind, s, p - s));
                start = None;
            }
            if on && start.is_none() {
                start = Some(p);
            }
        }
    }
    out
}

fn partition(all: Vec<Entity>) -> (Vec<Entity>, Vec<Entity>, Vec<Entity>) {
    let (mut split, mut quotes, mut cont) = (Vec::new(), Vec::new(), Vec::new());
    for e in all {
        if SPLITTABLE.contains(&e.kind.as_str()) {
            split.push(e);
        } else if is_blockquote(&e) {
            quotes.push(e);
        } else {
            cont.push(e);
        }
    }
    (split, quotes, cont)
}

/// tdlib `fix_entities`: continuous entities (code, pre, links, ...) can't overlap each other,
/// blockquotes can't overlap each other and may only contain whole continuous entities.
fn fix_entities(mut all: Vec<Entity>) -> Vec<Entity> {
    all.retain(|e| e.length > 0);
    sort_entities(&mut all);
    let (split, mut quotes, mut cont) = partition(all);
    remove_intersecting(&mut cont);
    remove_intersecting(&mut quotes);
    cont.retain(|c| quotes.iter().all(|q| disjoint(c, q) || inside(c, q)));
    cont.extend(quotes);
    sort_entities(&mut cont);
    let split = resplit(split, &cont);
    cont.extend(split);
    sort_entities(&mut cont);
    cont
}

/// tdlib `merge_new_entities`: detected entities yield to the sender's continuous entities.
fn merge_new(all: Vec<Entity>, mut new: Vec<Entity>) -> Vec<Entity> {
    if new.is_empty() {
        return all;
    }
    let (split, quotes, old) = partition(all);
    new.retain(|n| quotes.iter().all(|q| disjoint(n, q) || inside(n, q)));
    let mut cont = Vec::new();
    let mut it = new.into_iter().peekable();
    for o in old {
        while let Some(n) = it.next_if(|n| n.end() <= o.offset) {
            cont.push(n);
        }
        let end = o.end();
        cont.push(o);
        while it.next_if(|n| n.offset < end).is_some() {}
    }
    cont.extend(it);
    cont.extend(quotes);
    sort_entities(&mut cont);
    let split = resplit(split, &cont);
    cont.extend(split);
    sort_entities(&mut cont);
    cont
}

/// Removes `\r` and U+2028..U+202E, turns other control characters (tab included) into spaces.
fn clean(text: &str, entities: Vec<Entity>) -> (String, Vec<Entity>) {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    let mut pos = 0;
    for ch in text.chars() {
        let w = ch.len_utf16();
        map.extend(std::iter::repeat_n(pos, w));
        match ch {
            '\r' | '\u{2028}'..='\u{202e}' => {}
            c if (c as u32) < 32 && c != '\n' => {
                out.push(' ');
                pos += 1;
            }
            c => {
                out.push(c);
                pos += w;
            }
        }
    }
    map.push(pos);
    let last = map.len() - 1;
    let entities = entities
        .into_iter()
        .filter_map(|mut e| {
            let (start, end) = (map[e.offset.min(last)], map[e.end().min(last)]);
            e.offset = start;
            e.length = end - start;
            (e.length > 0).then_some(e)
        })
        .collect();
    (out, entities)
}

/// The clean-up Telegram applies after parsing. `Err` means the text is empty.
pub fn fix_text(parsed: Formatted) -> Result<Formatted, String> {
    let total = utf16_len(&parsed.text);
    let entities = parsed.entities.into_iter().filter(|e| e.offset < total).map(|mut e| {
        e.length = e.length.min(total - e.offset);
        e
    });
    let (text, entities) = clean(&parsed.text, fix_entities(entities.collect()));
    let mut entities = fix_entities(entities);
    // rtrim: spaces and newlines go, entities are cut to the remaining text.
    let trimmed = text.trim_end_matches([' ', '\n']);
    if trimmed.is_empty() {
        return Err("Bad Request: message text is empty".into());
    }
    let end = utf16_len(trimmed);
    entities.retain(|e| e.offset < end);
    entities.iter_mut().for_each(|e| e.length = e.length.min(end - e.offset));
    // ltrim: only up to the first entity.
    let first = entities.iter().map(|e| e.offset).min().unwrap_or(usize::MAX);
    let lead = trimmed.bytes().take_while(|b| *b == b' ' || *b == b'\n').count().min(first);
    entities.iter_mut().for_each(|e| e.offset -= lead);
    sort_entities(&mut entities);
    let text = trimmed[lead..].to_string();
    let found = find_entities(&text);
    Ok(Formatted { entities: merge_new(entities, found), text })
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_hashtag_letter(c: char) -> bool {
    c == '_' || c == '\u{200c}' || c == '\u{b7}' || ('\u{d80}'..='\u{dff}').contains(&c) || c.is_alphanumeric()
}

fn is_ascii_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The entities Telegram detects by itself: mentions, bot commands, hashtags, cashtags, and URLs
/// with an explicit http(s) scheme. (Telegram also finds bare domains, e-mail addresses, phone
/// and bank card numbers; this fake does not.)
pub fn find_entities(text: &str) -> Vec<Entity> {
    let ch: Vec<char> = text.chars().collect();
    let n = ch.len();
    let mut off = Vec::with_capacity(n + 1);
    let mut o = 0;
    for c in &ch {
        off.push(o);
        o += c.len_utf16();
    }
    off.push(o);
    let get = |i: usize| ch.get(i).copied().unwrap_or('\0');
    let scan = |mut j: usize, f: fn(char) -> bool| {
        while j < n && f(ch[j]) {
            j += 1;
        }
        j
    };
    let mut found: Vec<(usize, usize, &str)> = Vec::new();
    for i in 0..n {
        let prev = if i > 0 { ch[i - 1] } else { ' ' };
        match ch[i] {
            '@' if !is_word(prev) => {
                let j = scan(i + 1, is_ascii_word);
                if (2..=32).contains(&(j - i - 1)) && !is_word(get(j)) {
                    found.push((i, j, "mention"));
                }
            }
            '/' if !is_word(prev) && !matches!(prev, '/' | '<' | '>') => {
                let mut j = scan(i + 1, is_ascii_word);
                if !(1..=64).contains(&(j - i - 1)) {
                    continue;
                }
                if get(j) == '@' {
                    let k = scan(j + 1, is_ascii_word);
                    if !(3..=32).contains(&(k - j - 1)) {
                        continue;
                    }
                    j = k;
                }
                let next = get(j);
                if !is_word(next) && !matches!(next, '/' | '<' | '>') {
                    found.push((i, j, "bot_command"));
                }
            }
            '#' if !is_hashtag_letter(prev) => {
                let j = scan(i + 1, is_hashtag_letter);
                let end = j.min(i + 1 + 256);
                if j > i + 1 && get(j) != '#' && ch[i + 1..end].iter().any(|c| c.is_alphabetic()) {
                    found.push((i, end, "hashtag"));
                }
            }
            '$' if !is_hashtag_letter(prev) && prev != '$' => {
                let j = if ch[i + 1..].starts_with(&['1', 'I', 'N', 'C', 'H']) {
                    i + 6
                } else {
                    scan(i + 1, |c| c.is_ascii_uppercase())
                };
                let next = get(j);
                if (1..=8).contains(&(j - i - 1)) && !is_hashtag_letter(next) && next != '$' {
                    found.push((i, j, "cashtag"));
                }
            }
            'h' | 'H' if !prev.is_alphanumeric() => {
                let rest: String = ch[i..n.min(i + 8)].iter().collect::<String>().to_ascii_lowercase();
                if !rest.starts_with("http://") && !rest.starts_with("https://") {
                    continue;
                }
                let mut j = scan(i, |c| !c.is_whitespace() && !matches!(c, '<' | '>' | '"'));
                while j > i && matches!(ch[j - 1], '.' | ',' | ':' | ';' | '!' | '?' | '\'' | ')' | ']' | '}') {
                    let opens = ch[i..j].iter().filter(|c| matches!(c, '(' | '[' | '{')).count();
                    let closes = ch[i..j].iter().filter(|c| matches!(c, ')' | ']' | '}')).count();
                    if matches!(ch[j - 1], ')' | ']' | '}') && opens >= closes {
                        break;
                    }
                    j -= 1;
                }
                let candidate: String = ch[i..j].iter().collect();
                if checked_link(&candidate).is_some() {
                    found.push((i, j, "url"));
                }
            }
            _ => {}
        }
    }
    let mut entities: Vec<Entity> =
        found.into_iter().map(|(s, e, kind)| Entity::new(kind, off[s], off[e] - off[s])).collect();
    sort_entities(&mut entities);
    remove_intersecting(&mut entities);
    entities
}

/// The user id of a `tg://user?id=N` link.
pub fn link_user_id(url: &str) -> Option<i64> {
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("tg:")?.trim_start_matches('/');
    let query = rest.strip_prefix("user?")?;
    let id = query.split('&').find_map(|kv| kv.strip_prefix("id="))?;
    id.parse::<i64>().ok().filter(|id| *id > 0)
}

fn valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host, None),
    };
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() == 4 && labels.iter().all(|l| l.parse::<u8>().is_ok()) {
        return true;
    }
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_'))
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()))
}

/// tdlib `LinkManager::get_checked_link`, approximately: the normalised link, or `None` when
/// Telegram would silently drop the entity. A link without a scheme gets `http://`; the host is
/// lowercased and an empty path becomes `/`.
pub fn checked_link(url: &str) -> Option<String> {
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let lower = url.to_ascii_lowercase();
    for scheme in ["tg:", "ton:", "tonsite:"] {
        if lower.starts_with(scheme) {
            let rest = url[scheme.len()..].trim_start_matches('/');
            return (!rest.is_empty()).then(|| format!("{scheme}//{rest}"));
        }
    }
    let (scheme, rest) = match url.find("://") {
        Some(i) if lower[..i] == *"http" || lower[..i] == *"https" => (&lower[..i], &url[i + 3..]),
        Some(_) => return None,
        None => ("http", url),
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(split);
    if !valid_host(host) {
        return None;
    }
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    Some(format!("{scheme}://{}{path}", host.to_lowercase()))
}
