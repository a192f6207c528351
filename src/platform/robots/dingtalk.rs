//! DingTalk custom robots: cards as `markdown` (title and text), text as `text`, mentions in
//! `at.atUserIds` with `isAtAll` always false. A signing robot takes `timestamp` and `sign`
//! in the URL's query. Answers `{"errcode": 0, "errmsg": "ok"}`.

use super::format::{escape_markdown, markdown_card, mention_at};
use super::{Mention, Verdict};
use crate::app::card::CardView;
use serde_json::{Value, json};
use std::time::Duration;

/// 20 messages a minute per robot; past that DingTalk throttles the robot for ten minutes.
pub const PER_MINUTE: usize = 20;
/// The message may be 20,000 bytes; text is cut well inside it (3 bytes a character at most).
pub const MAX_TEXT: usize = 6000;
const THROTTLED: Duration = Duration::from_secs(600);

pub fn card(view: &CardView) -> Value {
    let title = crate::domain::untrusted::one_line(&view.headline, 64);
    let headline = format!("### {}", escape_markdown(&view.headline));
    json!({
        "msgtype": "markdown",
        "markdown": { "title": title, "text": markdown_card(view, headline) },
        "at": { "isAtAll": false },
    })
}

/// The mention is `@userId` in the text where the name was (DingTalk shows it as the name)
/// and the id in `atUserIds`: only that person is notified.
pub fn text(piece: &str, mention: Option<&Mention>) -> Value {
    let shown = crate::domain::untrusted::shown(piece).into_owned();
    match mention.and_then(|m| mention_at(&shown, &m.shown).map(|span| (span, m))) {
        Some(((from, to), m)) => json!({
            "msgtype": "text",
            "text": { "content": format!("{}@{}{}", &shown[..from], m.user_id, &shown[to..]) },
            "at": { "atUserIds": [m.user_id], "isAtAll": false },
        }),
        None => json!({ "msgtype": "text", "text": { "content": shown }, "at": { "isAtAll": false } }),
    }
}

/// Adds `timestamp` (ms) and `sign` to the webhook URL; the query encoder URL-encodes the sign.
pub fn sign(url: &mut reqwest::Url, secret: &str, now_ms: i64) {
    let sign = super::sign::dingtalk(now_ms, secret);
    url.query_pairs_mut().append_pair("timestamp", &now_ms.to_string()).append_pair("sign", &sign);
}

pub fn verdict(answer: &Value) -> Verdict {
    let msg = answer.get("errmsg").and_then(Value::as_str).unwrap_or("");
    match answer.get("errcode").and_then(Value::as_i64) {
        Some(0) => Verdict::Ok,
        Some(c @ 130101) => Verdict::Wait(THROTTLED, super::reason("DingTalk", c, msg)),
        Some(c @ -1) => Verdict::Retry(super::reason("DingTalk", c, msg)),
        // 310000 security check failed (sign, keyword, IP), 300001 token invalid (robot
        // removed), 400xxx bad message: the same request would be refused again.
        Some(c) => Verdict::Refused(super::reason("DingTalk", c, msg)),
        None => Verdict::Unreadable,
    }
}
