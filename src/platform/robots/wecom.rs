//! WeCom group robots: cards as `markdown` with a `<font color>` headline, text as `text` with
//! mentions in `mentioned_list` (never `@all`). The webhook URL's `key` is the only secret:
//! WeCom robots do not sign. Answers `{"errcode": 0, "errmsg": "ok"}`.

use super::format::{colour_name, escape_markdown, fit_bytes, markdown_card};
use super::{Mention, Verdict};
use crate::app::card::CardView;
use serde_json::{Value, json};
use std::time::Duration;

/// 20 messages a minute per robot.
pub const PER_MINUTE: usize = 20;
/// `text` content may be 2,048 bytes: 682 characters of at most 3 bytes each.
pub const MAX_TEXT: usize = 682;
/// `markdown` content may be 4,096 bytes.
const MAX_MARKDOWN_BYTES: usize = 4096;
const LIMITED_WAIT: Duration = Duration::from_secs(60);

/// WeCom's markdown has three colours: "warning" (orange-red), "info" (green), "comment" (grey).
fn font(colour: Option<&str>) -> &'static str {
    match colour.and_then(colour_name) {
        Some("red" | "orange" | "yellow") => "warning",
        Some("green") => "info",
        _ => "comment",
    }
}

pub fn card(view: &CardView) -> Value {
    let headline =
        format!("### <font color=\"{}\">{}</font>", font(view.colour.as_deref()), escape_markdown(&view.headline));
    let content = fit_bytes(&markdown_card(view, headline), MAX_MARKDOWN_BYTES);
    json!({ "msgtype": "markdown", "markdown": { "content": content } })
}

pub fn text(piece: &str, mention: Option<&Mention>) -> Value {
    let content = crate::domain::untrusted::shown(piece);
    let mut text = json!({ "content": content });
    if let Some(m) = mention.filter(|m| content.contains(&m.shown)) {
        text["mentioned_list"] = json!([m.user_id]);
    }
    json!({ "msgtype": "text", "text": text })
}

pub fn verdict(answer: &Value) -> Verdict {
    let msg = answer.get("errmsg").and_then(Value::as_str).unwrap_or("");
    match answer.get("errcode").and_then(Value::as_i64) {
        Some(0) => Verdict::Ok,
        Some(c @ 45009) => Verdict::Wait(LIMITED_WAIT, super::reason("WeCom", c, msg)),
        Some(c @ -1) => Verdict::Retry(super::reason("WeCom", c, msg)),
        // 93000 invalid webhook URL (robot removed), 40008 invalid message type, 44004 empty
        // text, ...: the same request would be refused again.
        Some(c) => Verdict::Refused(super::reason("WeCom", c, msg)),
        None => Verdict::Unreadable,
    }
}
