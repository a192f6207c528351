//! The fake's parsers against tdlib's own test vectors (td/test/message_entities.cpp) and hostile
//! input, and the clean-up Telegram applies to every text.

use crate::support::fake_telegram::{Entity, Formatted, parse_html, parse_markdown, parse_markdown_v2, render};
use serde_json::json;

/// `(kind, offset, length)` of every entity.
fn shape(f: &Formatted) -> Vec<(&str, usize, usize)> {
    f.entities.iter().map(|e| (e.kind.as_str(), e.offset, e.length)).collect()
}

fn html(s: &str) -> Formatted {
    parse_html(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn md(s: &str) -> Formatted {
    parse_markdown_v2(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

// ---------- MarkdownV2 ----------

#[test]
fn markdown_v2_every_reserved_character_must_be_escaped() {
    for c in "_*[]()~`>#+-=|{}.!".chars() {
        let plain = format!("a{c}b");
        if !"_*[`~|".contains(c) {
            let e = parse_markdown_v2(&plain).unwrap_err();
            assert_eq!(e, format!("Character '{c}' is reserved and must be escaped with the preceding '\\'"));
        }
        assert!(parse_markdown_v2(&plain).is_err(), "{plain:?} must fail");
        let escaped = format!("a\\{c}b");
        assert_eq!(md(&escaped), Formatted { text: plain, entities: vec![] });
    }
    for c in "\"'$%&,/:;<?@^ä中".chars() {
        assert_eq!(md(&format!("a{c}b")).text, format!("a{c}b"));
    }
    // Any ASCII character may be escaped; a backslash before anything else stays.
    assert_eq!(md("\\\\\\a\\b\\c\\d\\e\\f\\1\\2\\3\\4\\➡️\\").text, "\\abcdef1234\\➡️\\");
}

#[test]
fn markdown_v2_errors_match_tdlib() {
    let cases = [
        ("🏟 🏟_abacaba", "Can't find end of Italic entity at byte offset 9"),
        ("🏟 🏟_abac * asd ", "Can't find end of Bold entity at byte offset 15"),
        ("🏟 🏟`", "Can't find end of Code entity at byte offset 9"),
        ("🏟 🏟```", "Can't find end of Pre entity at byte offset 9"),
        ("🏟 🏟```a ", "Can't find end of PreCode entity at byte offset 9"),
        ("🏟 🏟__", "Can't find end of Underline entity at byte offset 9"),
        ("🏟 🏟||test\\|", "Can't find end of Spoiler entity at byte offset 9"),
        ("[telegram\\.org](asd\\)", "Can't find end of a URL at byte offset 16"),
        (">*b\n>ld \n>bo\nld*\nasd\ndef", "Can't find end of Bold entity at byte offset 1"),
        (">\n*a*>2", "Character '>' is reserved and must be escaped with the preceding '\\'"),
        ("🏟 🏟![👍]", "Custom emoji entity must contain a tg://emoji URL"),
        ("v1.2", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("*bold*!", "Character '!' is reserved and must be escaped with the preceding '\\'"),
    ];
    for (input, error) in cases {
        assert_eq!(parse_markdown_v2(input).unwrap_err(), error, "{input:?}");
    }
}

#[test]
fn markdown_v2_entities_match_tdlib() {
    let f = md("🏟 🏟_abac \\* asd _");
    assert_eq!((f.text.as_str(), shape(&f)), ("🏟 🏟abac * asd ", vec![("italic", 5, 11)]));
    let f = md("🏟 🏟_🏟 __🏟___");
    assert_eq!((f.text.as_str(), shape(&f)), ("🏟 🏟🏟 🏟", vec![("italic", 5, 5), ("underline", 8, 2)]));
    let f = md("`_* *_`__*` `*__");
    assert_eq!(f.text, "_* *_ ");
    assert_eq!(shape(&f), vec![("code", 0, 5), ("code", 5, 1), ("bold", 5, 1), ("underline", 5, 1)]);
    let f = md("🏟 🏟```🏟 🏟```");
    assert_eq!((f.text.as_str(), shape(&f)), ("🏟 🏟 🏟", vec![("pre", 5, 3)]));
    assert_eq!(f.entities[0].language.as_deref(), Some("🏟"));
    let f = md("```rust\nfn main() { a\\`b }\n```");
    assert_eq!(f.text, "fn main() { a`b }\n");
    assert_eq!(f.entities, vec![Entity::new("pre", 0, 18).with_language("rust")]);
    let f = md("*bold _italic bold ~strike~ __under__ ||spoiler||_*");
    assert_eq!(f.text, "bold italic bold strike under spoiler");
    assert_eq!(
        shape(&f),
        vec![("bold", 0, 37), ("italic", 5, 32), ("strikethrough", 17, 6), ("underline", 24, 5), ("spoiler", 30, 7)]
    );
    let f = md("[telegram\\.org](https://telegram.dog?)");
    assert_eq!(f.entities, vec![Entity::new("text_link", 0, 12).with_url("https://telegram.dog/?")]);
    assert!(md("[ ](as)").entities.is_empty());
    assert_eq!(md("[Ann](tg://user?id=42)").entities[0].user_id, Some(42));
    let f = md(">*b\n>ld \n>bo\n>ld*\nasd\ndef");
    assert_eq!(
        (f.text.as_str(), shape(&f)),
        ("b\nld \nbo\nld\nasd\ndef", vec![("blockquote", 0, 12), ("bold", 0, 11)])
    );
    let f = md(">asd\n>q||e||w||\nasdad");
    assert_eq!(shape(&f), vec![("expandable_blockquote", 0, 8), ("spoiler", 5, 1)]);
    let f = md("🏟 🏟![👍](TG://EMoJI/?test=1231&id=25#id=32)a");
    assert_eq!((f.text.as_str(), shape(&f)), ("🏟 🏟👍a", vec![("custom_emoji", 5, 2)]));
    assert_eq!(f.entities[0].custom_emoji_id.as_deref(), Some("25"));
}

// ---------- HTML ----------

#[test]
fn html_errors_match_tdlib() {
    let cases = [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", "Unsupported start tag \"abac\" at byte offset 13"),
        ("🏟 🏟&lt;<i   =aba>", "Empty attribute name in the tag \"i\" at byte offset 13"),
        ("🏟 🏟&lt;<i    aba>", "Can't find end tag corresponding to start tag \"i\""),
        ("🏟 🏟&lt;<i    aba  =  ", "Unclosed start tag \"i\" at byte offset 13"),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        ("🏟 🏟&lt;<i>a</em   >", "Unmatched end tag at byte offset 17, expected \"</i>\", found \"</em>\""),
        ("<b>a</b> < c", "Unsupported start tag \"\" at byte offset 9"),
        ("</code>", "Unexpected end tag at byte offset 0"),
        ("<b><i>x</b></i>", "Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\""),
        ("<br>", "Unsupported start tag \"br\" at byte offset 0"),
        ("<span>x</span>", "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"),
        ("<tg-emoji emoji-id=\"x\">👍</tg-emoji>", "Invalid custom emoji identifier specified"),
        (
            "&#57311;",
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code \
             units",
        ),
    ];
    for (input, error) in cases {
        assert_eq!(parse_html(input).unwrap_err(), error, "{input:?}");
    }
}

#[test]
fn html_entities_match_tdlib() {
    // Only four named references exist; any other `&` is literal text, not an error.
    assert_eq!(html("&ge;&lt;&gt;&amp;&quot;&laquo;&raquo;&#12345678;").text, "&ge;<>&\"&laquo;&raquo;&#12345678;");
    assert_eq!(html("AT&T &nbsp; &#65;&#x42;&#x1F525; &amp &#0; &").text, "AT&T &nbsp; AB🔥 & &#0; &");
    let f = html("🏟 🏟<i>🏟 &lt🏟</i>");
    assert_eq!((f.text.as_str(), shape(&f)), ("🏟 🏟🏟 <🏟", vec![("italic", 5, 6)]));
    let f = html("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;'>a</>");
    assert_eq!((f.text.as_str(), shape(&f)), ("🏟 🏟<a", vec![("italic", 6, 1)]));
    let f = html(
        "<B>x</b><STRONG>y</strong><em>z</em><ins>u</ins><del>s</del><strike>t</strike><tg-spoiler>p</tg-spoiler>",
    );
    let kinds: Vec<&str> = f.entities.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["bold", "bold", "italic", "underline", "strikethrough", "strikethrough", "spoiler"]);
    assert_eq!(shape(&html("<span class=\"tg-spoiler\">s</span>")), vec![("spoiler", 0, 1)]);
    let link = |s: &str| html(s).entities.first().and_then(|e| e.url.clone());
    assert_eq!(link("<a href=telegram.org> </a>").as_deref(), Some("http://telegram.org/"));
    assert_eq!(link("<a>telegram.org</a>").as_deref(), Some("http://telegram.org/"));
    assert_eq!(link("<a href=\"https://x.io/a?b=1&amp;c=2\">x</a>").as_deref(), Some("https://x.io/a?b=1&c=2"));
    assert_eq!(link("<a href=\"not a url\">x</a>"), None);
    assert_eq!(html("<a href=\"tg://user?id=7\">Ann</a>").entities[0].user_id, Some(7));
    let f = html("🏟 🏟&lt;<pre><code class=\"language-fift\">🏟 🏟&lt;</></>");
    assert_eq!(f.entities, vec![Entity::new("pre", 6, 6).with_language("fift")]);
    let f = html("🏟 🏟&lt;<pre><code class=\"language-fift\">🏟 🏟&lt;</> </>");
    assert_eq!(shape(&f), vec![("pre", 6, 7), ("code", 6, 6)]);
    assert!(f.entities.iter().all(|e| e.language.is_none()));
    let f = html("<code><i><b> </b></i></code><i><b><code> </code></b></i>");
    let expected = [("code", 0, 1), ("bold", 0, 1), ("italic", 0, 1), ("code", 1, 1), ("bold", 1, 1), ("italic", 1, 1)];
    assert_eq!(shape(&f), expected);
    let f = html("➡️ ➡️<tg-emoji emoji-id = \"12345\">➡️ ➡️</tg-emoji><b>➡️ ➡️</b>");
    assert_eq!(shape(&f), vec![("custom_emoji", 5, 5), ("bold", 10, 5)]);
    let f = html("<blockquote   expandable>a&lt;<pre  >b;</></>");
    assert_eq!((f.text.as_str(), shape(&f)), ("a<b;", vec![("expandable_blockquote", 0, 4), ("pre", 2, 2)]));
    assert!(html("<b></b>x").entities.is_empty());
}

// ---------- What the user sees: parse, clean up, trim, detect ----------

#[test]
fn render_applies_telegram_clean_up() {
    let r = |s: &str, mode: &str| render(s, Some(mode), None).unwrap();
    let f = r("<b>告警</b> 🔥<i>严重</i> <code>&lt;b&gt;&amp;</code>", "HTML");
    assert_eq!(f.text, "告警 🔥严重 <b>&");
    assert_eq!(f.spans_for_test(), vec![("bold", "告警".into()), ("italic", "严重".into()), ("code", "<b>&".into())]);
    assert_eq!(shape(&f), vec![("bold", 0, 2), ("italic", 5, 2), ("code", 8, 4)]);
    // Trailing space/newline always go; leading ones only up to the first entity.
    let f = r("  <b> hi </b>  \n", "HTML");
    assert_eq!((f.text.as_str(), shape(&f)), (" hi", vec![("bold", 0, 3)]));
    assert_eq!(r("\n\n  plain \n", "HTML").text, "plain");
    // \r disappears, other control characters (tab too) become spaces.
    assert_eq!(render("a\tb\r\nc\u{7}d", None, None).unwrap().text, "a b\nc d");
    // Adjacent entities of one kind merge; splittable ones are cut around links.
    assert_eq!(shape(&r("<b>a</b><b>b</b>", "HTML")), vec![("bold", 0, 2)]);
    let f = r("<b>x<a href=\"https://e.io\">y</a>z</b>", "HTML");
    assert_eq!(shape(&f), vec![("bold", 0, 1), ("text_link", 1, 1), ("bold", 1, 1), ("bold", 2, 1)]);
    // Nothing nests in pre.
    assert_eq!(shape(&r("<pre>a<b>b</b></pre>", "HTML")), vec![("pre", 0, 2)]);
    // Telegram detects commands, mentions, hashtags, cashtags and URLs by itself ...
    let f = render("/ack@tocsin_bot 12 by @alice #incident $USD see https://example.com/x.", None, None).unwrap();
    let spans = f.spans_for_test();
    assert_eq!(
        spans,
        vec![
            ("bot_command", "/ack@tocsin_bot".into()),
            ("mention", "@alice".into()),
            ("hashtag", "#incident".into()),
            ("cashtag", "$USD".into()),
            ("url", "https://example.com/x".into())
        ]
    );
    // ... but not inside code, and not in the middle of words.
    assert_eq!(shape(&r("<code>/ack</code> a/b x@y x#y", "HTML")), vec![("code", 0, 4)]);
    // Explicit entities instead of a parse mode.
    let ents = json!([{"type": "bold", "offset": 0, "length": 2}, {"type": "italic", "offset": 3, "length": 99}]);
    let f = render("🔥 ok", None, Some(&ents)).unwrap();
    assert_eq!(shape(&f), vec![("bold", 0, 2), ("italic", 3, 2)]);
    // Legacy Markdown.
    let f = r("*b* _i_ `c` [l](https://t.me/x) a\\_b", "Markdown");
    assert_eq!(f.text, "b i c l a_b");
    assert_eq!(shape(&f), vec![("bold", 0, 1), ("italic", 2, 1), ("code", 4, 1), ("text_link", 6, 1)]);
    assert!(parse_markdown("*open").is_err());
}

#[test]
fn render_enforces_length_and_emptiness_in_utf16_units() {
    let err = |s: &str, mode: Option<&str>| render(s, mode, None).unwrap_err();
    assert_eq!(err("", None), "Bad Request: message text is empty");
    assert_eq!(err(" \n \n", None), "Bad Request: message text is empty");
    assert_eq!(err("<b></b>", Some("HTML")), "Bad Request: message text is empty");
    assert_eq!(err("*  *", Some("MarkdownV2")), "Bad Request: message text is empty");
    assert!(render(&"a".repeat(4096), None, None).is_ok());
    assert_eq!(err(&"a".repeat(4097), None), "Bad Request: message is too long");
    assert!(render(&"中".repeat(4096), None, None).is_ok());
    assert!(render(&"😀".repeat(2048), None, None).is_ok());
    assert_eq!(err(&"😀".repeat(2049), None), "Bad Request: message is too long");
    // Markup doesn't count, the parsed text does.
    assert!(render(&format!("<b>{}</b>", "a".repeat(4096)), Some("HTML"), None).is_ok());
    assert_eq!(err("x", Some("BBCode")), "Bad Request: unsupported parse_mode");
    assert_eq!(
        err("<b>x", Some("html")),
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    );
}

#[test]
fn teloxide_escapers_survive_the_parsers() {
    use teloxide::utils::{html as h, markdown as m};
    let hostile = [
        "_*[]()~`>#+-=|{}.!\\",
        "<b>bold?</b> </code> &amp; &lt; a & b < c > d",
        "🔥 incident 🧯 in 机房 (上海) — 100% \"quoted\" 'x'",
        "v1.2.3-rc.1 | p99 > 2s = bad || ok ~~ __x__",
        "👨‍👩‍👧 emoji with ZWJ and ️variation",
    ];
    for s in hostile {
        assert_eq!(render(&h::escape(s), Some("HTML"), None).unwrap().text, s, "HTML {s:?}");
        let f = render(&m::escape(s), Some("MarkdownV2"), None).unwrap();
        assert_eq!(f.text, s, "MarkdownV2 {s:?}");
        let f = render(&format!("x {}", m::code_inline(s)), Some("MarkdownV2"), None).unwrap();
        assert_eq!(
            (f.text.clone(), f.entities),
            (format!("x {s}"), vec![Entity::new("code", 2, s.encode_utf16().count())])
        );
        let f = render(&format!("x {}", h::code_inline(s)), Some("HTML"), None).unwrap();
        assert_eq!(f.spans_for_test(), vec![("code", s.to_string())]);
    }
}

trait Spans {
    fn spans_for_test(&self) -> Vec<(&str, String)>;
}

impl Spans for Formatted {
    fn spans_for_test(&self) -> Vec<(&str, String)> {
        self.entities.iter().map(|e| (e.kind.as_str(), self.slice(e))).collect()
    }
}
