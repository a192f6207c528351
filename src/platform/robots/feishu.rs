//! Feishu/Lark custom bots: cards as `interactive` messages with a coloured header, text as
//! `post` rich text whose elements are plain text and mentions (`{"tag": "at"}`), so nothing
//! typed is ever markup. Answers `{"code": 0, "msg": "success"}`; older deployments answer
//! `{"StatusCode": 0}`.

use super::format::{colour_name, commands_line, mention_at};
use super::{Mention, Verdict};
use crate::app::card::CardView;
use serde_json::{Value, json};
use std::time::Duration;

/// 100 messages a minute and 5 a second per bot.
pub const PER_SECOND: usize = 5;
pub const PER_MINUTE: usize = 100;
/// The request body may be 20 KB; text is cut well inside it (3 bytes a character at most).
pub const MAX_TEXT: usize = 5000;
/// Feishu does not say how long a limited bot waits: one window of its per-minute budget.
const LIMITED_WAIT: Duration = Duration::from_secs(60);

/// Header templates Feishu knows, nearest to the grade's colour.
fn template(colour: Option<&str>) -> &'static str {
    match colour.and_then(colour_name) {
        Some("purple") => "purple",
        Some(name) => name,
        None => "blue",
    }
}

fn plain(text: &str) -> Value {
    json!({ "tag": "plain_text", "content": crate::domain::untrusted::shown(text) })
}

pub fn card(view: &CardView) -> Value {
    let mut elements = Vec::new();
    if let Some(summary) = &view.summary {
        elements.push(json!({ "tag": "div", "text": plain(summary) }));
    }
    if !view.facts.is_empty() {
        elements.push(json!({ "tag": "div", "text": plain(&view.facts.join("\n")) }));
    }
    if let Some(commands) = commands_line(view) {
        elements.push(json!({ "tag": "note", "elements": [plain(&commands)] }));
    }
    elements.push(json!({ "tag": "note", "elements": [plain(&view.last)] }));
    json!({
        "msg_type": "interactive",
        "card": {
            "config": { "wide_screen_mode": true },
            "header": { "title": plain(&view.headline), "template": template(view.colour.as_deref()) },
            "elements": elements,
        },
    })
}

/// One line per paragraph; the mention, if any, as an `at` element in place of the name.
pub fn text(piece: &str, mention: Option<&Mention>) -> Value {
    let shown = crate::domain::untrusted::shown(piece);
    let at = mention.and_then(|m| mention_at(&shown, &m.shown).map(|span| (span, m.user_id.as_str())));
    let mut paragraphs = Vec::new();
    let mut offset = 0;
    for line in shown.split('\n') {
        let (start, end) = (offset, offset + line.len());
        offset = end + 1;
        match at {
            Some(((from, to), id)) if from >= start && to <= end => {
                let (before, after) = (&shown[start..from], &shown[to..end]);
                let mut p = vec![];
                if !before.is_empty() {
                    p.push(json!({ "tag": "text", "text": before }));
                }
                p.push(json!({ "tag": "at", "user_id": id }));
                if !after.is_empty() {
                    p.push(json!({ "tag": "text", "text": after }));
                }
                paragraphs.push(Value::Array(p));
            }
            _ => paragraphs.push(json!([{ "tag": "text", "text": line }])),
        }
    }
    json!({ "msg_type": "post", "content": { "post": { "zh_cn": { "title": "", "content": paragraphs } } } })
}

/// Adds the signature fields a signing bot checks.
pub fn sign(body: &mut Value, secret: &str, now_secs: i64) {
    body["timestamp"] = json!(now_secs.to_string());
    body["sign"] = json!(super::sign::feishu(now_secs, secret));
}

pub fn verdict(answer: &Value) -> Verdict {
    let code = answer.get("code").or_else(|| answer.get("StatusCode")).and_then(Value::as_i64);
    let msg = answer.get("msg").or_else(|| answer.get("StatusMessage")).and_then(Value::as_str).unwrap_or("");
    match code {
        Some(0) => Verdict::Ok,
        // 9499 "too many request", 11232 "frequency limited".
        Some(c @ (9499 | 11232)) => Verdict::Wait(LIMITED_WAIT, super::reason("Feishu", c, msg)),
        // 19021 sign match fail, 19022 IP not allowed, 19024 keyword not found, and the rest:
        // the same request would be refused again.
        Some(c) => Verdict::Refused(super::reason("Feishu", c, msg)),
        None => Verdict::Unreadable,
    }
}
