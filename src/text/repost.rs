//! Reposts and quotes: the parts of a text that may be an earlier report, quoted.
//!
//! A repost is the original text after (or before) a comment: Weibo's `comment //@name: text`
//! chains, `转发微博` / `转发：`, Twitter's `RT @user: text`, mail-style `> ` blocks and text
//! in quotation marks. The whole text's SimHash is far from the original's when the comment is
//! long, so each such part is looked up in the story index on its own (see
//! `crate::app::stories`), and joins only if it holds most of an earlier signal's words
//! ([`super::Sketch::containment_in`]): *containment of the earlier in the new*, which is
//! asymmetric on purpose — a long article that quotes one sentence of a long report holds
//! few of that report's words and does not join it.
//!
//! Pure string work, no segmentation: a text without any of the markers costs a few `find`s.

/// Parts shorter than this (in characters) are not worth a lookup: a quoted phrase, a name.
const MIN_PART_CHARS: usize = 12;
/// A text rarely quotes more than a few earlier ones; each part costs a segmentation.
const MAX_PARTS: usize = 6;

/// The parts of `text` that may be an earlier signal quoted or reposted, longest first, each
/// at least [`MIN_PART_CHARS`] long, without the whole text itself. Empty for a text with
/// none of the markers.
pub fn quoted_parts(text: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = Vec::new();
    weibo_chain(text, &mut parts);
    after_marker(text, &mut parts);
    quoted_block(text, &mut parts);
    quotation_marks(text, &mut parts);
    let whole = text.trim();
    let mut parts: Vec<&str> =
        parts.into_iter().map(clean).filter(|p| p.chars().count() >= MIN_PART_CHARS && *p != whole).collect();
    parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
    parts.dedup();
    parts.truncate(MAX_PARTS);
    parts
}

/// `comment //@a: text a //@b: text b`: every part after a `//` (a URL's `://` is not one),
/// the name of `//@name:` dropped, and the text after the first `//` as a whole too (a
/// chain's original is its last part, but a plain `comment // original` has no name).
fn weibo_chain<'a>(text: &'a str, parts: &mut Vec<&'a str>) {
    let cuts: Vec<usize> = text.match_indices("//").map(|(i, _)| i).filter(|&i| !text[..i].ends_with(':')).collect();
    let Some(&first) = cuts.first() else { return };
    parts.push(drop_name(&text[first + 2..]));
    for (n, &start) in cuts.iter().enumerate() {
        let end = cuts.get(n + 1).copied().unwrap_or(text.len());
        if start + 2 <= end {
            parts.push(drop_name(&text[start + 2..end]));
        }
    }
}

/// `转发微博`, `转发：`, `【转发】`, `RT @user:`, `Repost:`: the text after the marker.
fn after_marker<'a>(text: &'a str, parts: &mut Vec<&'a str>) {
    for marker in ["转发微博", "【转发】", "转发：", "转发:", "转发", "RT @", "RT:", "Repost:", "repost:"]
    {
        if let Some(i) = text.find(marker) {
            let rest = &text[i + marker.len()..];
            // `RT @user: text`: the name up to its colon is part of the marker.
            let rest = if marker == "RT @" { rest.split_once([':', '：']).map_or(rest, |(_, r)| r) } else { rest };
            parts.push(drop_name(rest));
        }
    }
}

/// Lines starting with `>` (mail and Markdown quotes), joined: one part per run of them.
fn quoted_block<'a>(text: &'a str, parts: &mut Vec<&'a str>) {
    // The run is a slice of the text from its first quoted line to the end of its last, so
    // the `>` of the lines after the first stay in it (they are punctuation to the analyzer).
    let mut run: Option<(usize, usize)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let quoted = line.trim_start().starts_with(['>', '＞']);
        match (&mut run, quoted) {
            (Some((_, end)), true) => *end = offset + line.len(),
            (None, true) => {
                let skip =
                    line.len() - line.trim_start().len() + line.trim_start().chars().next().map_or(0, char::len_utf8);
                run = Some((offset + skip, offset + line.len()));
            }
            (Some((start, end)), false) => {
                parts.push(&text[*start..*end]);
                run = None;
            }
            (None, false) => {}
        }
        offset += line.len();
    }
    if let Some((start, end)) = run {
        parts.push(&text[start..end]);
    }
}

/// Text between `“` and `”`, `「` and `」`, or straight double quotes.
fn quotation_marks<'a>(text: &'a str, parts: &mut Vec<&'a str>) {
    for (open, close) in [('“', '”'), ('「', '」'), ('"', '"')] {
        let mut rest = text;
        let mut base = 0;
        while let Some(i) = rest.find(open) {
            let after = i + open.len_utf8();
            let Some(j) = rest[after..].find(close) else { break };
            parts.push(&text[base + after..base + after + j]);
            let next = after + j + close.len_utf8();
            base += next;
            rest = &rest[next..];
        }
    }
}

/// `@name: text` → `text` (a Weibo repost names whom it reposts, up to a colon); anything
/// else as it is.
fn drop_name(part: &str) -> &str {
    let part = part.trim_start();
    match part.strip_prefix(['@', '＠']) {
        Some(named) => match named.find([':', '：']) {
            // A name is short; a colon far away is part of the text.
            Some(i) if named[..i].chars().count() <= 30 => {
                &named[i + named[i..].chars().next().map_or(1, char::len_utf8)..]
            }
            _ => named,
        },
        None => part,
    }
}

fn clean(part: &str) -> &str {
    part.trim_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '：' | '】' | '，' | ','))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = "荷花小区3栋今天下午发生燃气泄漏，消防已到场疏散居民";

    #[test]
    fn a_weibo_repost_chain_yields_each_comment_and_the_original() {
        let text = format!("太吓人了 //@小王: 我家就在旁边 //@本地新闻: {ORIGINAL}");
        let parts = quoted_parts(&text);
        assert!(parts.contains(&ORIGINAL), "{parts:?}");
        let plain = format!("转给大家看看，注意安全//{ORIGINAL}");
        assert!(quoted_parts(&plain).contains(&ORIGINAL), "{:?}", quoted_parts(&plain));
    }

    #[test]
    fn a_url_is_not_a_repost_mark() {
        assert!(quoted_parts("详情见 https://example.com/news/12345 页面").is_empty());
    }

    #[test]
    fn retweets_and_zhuanfa_yield_the_text_after_the_marker() {
        let en = "Stay away from there! RT @citynews: Gas leak at 5 Elm Street, residents evacuated";
        assert_eq!(quoted_parts(en), ["Gas leak at 5 Elm Street, residents evacuated"]);
        assert!(quoted_parts(&format!("转发微博：{ORIGINAL}")).contains(&ORIGINAL));
        assert!(quoted_parts(&format!("【转发】@本地新闻：{ORIGINAL}")).contains(&ORIGINAL));
    }

    #[test]
    fn quoted_blocks_and_quotation_marks_are_parts() {
        let mail = "Is this ours?\n> Gas leak at 5 Elm Street,\n> residents evacuated by firefighters\nthanks";
        assert_eq!(quoted_parts(mail), ["Gas leak at 5 Elm Street,\n> residents evacuated by firefighters"]);
        let quoted = format!("居民说：“{ORIGINAL}”，请大家绕行");
        assert!(quoted_parts(&quoted).contains(&ORIGINAL));
    }

    #[test]
    fn short_quotes_and_plain_texts_give_nothing() {
        assert!(quoted_parts(ORIGINAL).is_empty());
        assert!(quoted_parts("他说“快跑”然后就走了，大家都很紧张地看着外面").is_empty());
        assert!(quoted_parts("").is_empty());
        assert!(quoted_parts("//").is_empty());
        assert!(quoted_parts("“unterminated quote and some more words here").is_empty());
    }
}
