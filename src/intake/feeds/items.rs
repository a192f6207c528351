//! A fetched feed document (RSS 0.9x/1.0/2.0, Atom, JSON Feed) turned into signals.

use super::FeedConfig;
use crate::intake::{Metrics, RawSignal};
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Link, Text};
use sha2::{Digest as _, Sha256};

/// A signal's body is cut to this many characters (some feeds carry whole articles).
const BODY_MAX_CHARS: usize = 8_000;
/// A title made up from the body (the item had none) is cut to this many characters.
const MADE_UP_TITLE_CHARS: usize = 80;

/// The items of one feed document as signals, oldest first.
pub(super) fn signals(feed: &FeedConfig, document: &[u8]) -> anyhow::Result<Vec<RawSignal>> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(feed.url.as_str()))
        // Leave a missing id empty: the default makes up a random one for an item with neither
        // id nor link, which would turn it into a new signal on every poll.
        .id_generator(|_, _, _| String::new())
        .build();
    let parsed = parser.parse(document).context("the feed is not RSS, Atom or JSON Feed")?;
    let feed_language = parsed.language.clone();
    let mut signals: Vec<RawSignal> =
        parsed.entries.into_iter().map(|entry| signal(feed, entry, feed_language.as_deref())).collect();
    // Feeds list newest first by convention; when every item is dated, the dates decide.
    signals.reverse();
    if signals.iter().all(|s| s.occurred_at.is_some()) {
        signals.sort_by_key(|s| s.occurred_at);
    }
    Ok(signals)
}

fn signal(feed: &FeedConfig, entry: Entry, feed_language: Option<&str>) -> RawSignal {
    let url = first_link(&entry.links).map(|l| l.href.trim().to_string()).filter(|l| !l.is_empty());
    let title = entry.title.as_ref().map(text).unwrap_or_default();
    let body = entry
        .summary
        .as_ref()
        .map(text)
        .filter(|s| !s.is_empty())
        .or_else(|| entry.content.as_ref().and_then(|c| c.body.as_deref()).map(strip_html))
        .unwrap_or_default();
    let id = item_id(&entry.id, &title, url.as_deref());
    let title = if title.is_empty() { made_up_title(&body, url.as_deref(), &id) } else { title };
    RawSignal {
        source: feed.name.clone(),
        label: None,
        title,
        body: truncate_chars(body, BODY_MAX_CHARS),
        url,
        language: entry.language.or_else(|| feed_language.map(str::to_string)).filter(|l| !l.is_empty()),
        metrics: Metrics::default(),
        tags: feed.tags.clone(),
        fingerprint: None,
        occurred_at: occurred_at(entry.published, entry.updated),
        dedup_key: Some(format!("feed:{}:{}", feed.name, id)),
        drill: None,
    }
}

/// The item's GUID or id, else its link, else a stable hash of its title and link.
pub(super) fn item_id(id: &str, title: &str, link: Option<&str>) -> String {
    let id = id.trim();
    if !id.is_empty() {
        return id.to_string();
    }
    if let Some(link) = link.filter(|l| !l.is_empty()) {
        return link.to_string();
    }
    let mut hash = Sha256::new();
    hash.update(title.as_bytes());
    hash.update([0]);
    hash.update(link.unwrap_or_default().as_bytes());
    format!("sha256:{}", hex::encode(&hash.finalize()[..16]))
}

fn occurred_at(published: Option<DateTime<Utc>>, updated: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    published.or(updated)
}

/// The item's own page: an Atom `alternate` (or unlabelled) link if there is one, else the first.
fn first_link(links: &[Link]) -> Option<&Link> {
    links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")).or_else(|| links.first())
}

/// A text construct as plain text: HTML and XHTML are stripped, plain text is kept as is.
fn text(t: &Text) -> String {
    let plain = t.content_type.essence().to_string() == "text/plain";
    if plain { collapse_whitespace(&t.content) } else { strip_html(&t.content) }
}

fn made_up_title(body: &str, url: Option<&str>, id: &str) -> String {
    let line = body.lines().map(str::trim).find(|l| !l.is_empty());
    match line {
        Some(line) => truncate_chars(line.to_string(), MADE_UP_TITLE_CHARS),
        None => url.unwrap_or(id).to_string(),
    }
}

fn truncate_chars(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", s[..cut].trim_end()),
        None => s,
    }
}

/// HTML to text, simply: tags dropped (block ends become line breaks), `script` and `style`
/// dropped with their content, entities decoded, runs of blanks collapsed.
pub(super) fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt + 1..];
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(gt) = after.find('>') else {
            // A lone `<` is text, not a tag.
            out.push('<');
            rest = after;
            continue;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if !tag.starts_with('/') && (name == "script" || name == "style") {
            let close = format!("</{name}");
            rest = find_ascii_ci(rest, &close).map_or("", |i| rest[i..].find('>').map_or("", |g| &rest[i + g + 1..]));
            continue;
        }
        if is_block(&name) {
            out.push('\n');
        } else if name.is_empty() && tag.is_empty() {
            out.push_str("<>");
        }
    }
    out.push_str(&decode_entities(rest));
    collapse_whitespace(&out)
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.as_bytes().windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "hr"
            | "section"
            | "article"
    )
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let entity = after.find(';').filter(|&semi| semi <= 10).and_then(|semi| Some((entity(&after[..semi])?, semi)));
        match entity {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        _ => return None,
    })
}

/// Blanks within a line become one space; blank lines go; lines are trimmed.
fn collapse_whitespace(s: &str) -> String {
    s.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_text() {
        let html = "<p>Gas <b>leak</b> &amp; fire</p><script>alert(1)</script><p>燃气&#27844;漏 &lt;3</p><!-- x -->";
        assert_eq!(strip_html(html), "Gas leak & fire\n燃气泄漏 <3");
    }

    #[test]
    fn a_lone_angle_bracket_and_an_unknown_entity_stay_text() {
        assert_eq!(strip_html("a < b &bogus; c"), "a < b &bogus; c");
    }

    #[test]
    fn an_item_without_id_or_link_gets_a_stable_id() {
        let a = item_id("", "标题", None);
        assert_eq!(a, item_id(" ", "标题", None));
        assert_ne!(a, item_id("", "另一个", None));
        assert_eq!(item_id("", "t", Some("https://x/1")), "https://x/1");
        assert_eq!(item_id(" guid-1 ", "t", Some("https://x/1")), "guid-1");
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        assert_eq!(truncate_chars("一二三四".to_string(), 2), "一二…");
        assert_eq!(truncate_chars("一二".to_string(), 2), "一二");
    }
}
