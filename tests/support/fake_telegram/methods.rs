//! The Bot API methods, with Telegram's rules and error descriptions.

use super::entities::{Entity, Formatted, fix_text, utf16_len};
use super::html::parse_html;
use super::markdown::{parse_markdown, parse_markdown_v2};
use super::server::{ApiError, Outcome, bad, error, flag, int, message_id, object, require_chat, string};
use super::{CallbackAnswer, Msg, Shared, State, now_unix};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content and reply markup \
                            are exactly the same as a current content and reply markup of the message";

pub(super) async fn run(shared: &Arc<Shared>, method: &str, p: &Value) -> Outcome {
    if method == "getUpdates" {
        return get_updates(shared, p).await;
    }
    let mut st = shared.lock();
    match method {
        "getMe" => Ok(json!({
            "id": st.bot_id, "is_bot": true, "first_name": st.bot_first_name, "username": st.bot_username,
            "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false})),
        "sendMessage" => send_message(&mut st, p),
        "editMessageText" => edit_message_text(&mut st, p),
        "editMessageReplyMarkup" => edit_reply_markup(&mut st, p),
        "deleteMessage" => {
            let (chat_id, id) = (require_chat(p)?, message_id(p)?);
            st.messages.remove(&(chat_id, id)).ok_or_else(|| bad("Bad Request: message to delete not found"))?;
            st.deleted.push((chat_id, id));
            Ok(json!(true))
        }
        "answerCallbackQuery" => {
            let id = string(p, "callback_query_id").unwrap_or_default();
            if !st.open_callbacks.remove(&id) {
                return Err(bad("Bad Request: query is too old and response timeout expired or query ID is invalid"));
            }
            let answer = CallbackAnswer {
                callback_query_id: id,
                text: string(p, "text"),
                show_alert: flag(p, "show_alert"),
                url: string(p, "url"),
            };
            st.answers.push(answer);
            Ok(json!(true))
        }
        "setMyCommands" => set_my_commands(&mut st, p),
        "getMyCommands" => {
            let list = st.commands.get(&commands_key(p)?).cloned().unwrap_or_default();
            Ok(list.into_iter().map(|(c, d)| json!({"command": c, "description": d})).collect())
        }
        "deleteMyCommands" => {
            st.commands.remove(&commands_key(p)?);
            Ok(json!(true))
        }
        "setWebhook" | "deleteWebhook" => {
            let url = if method == "setWebhook" { string(p, "url").unwrap_or_default() } else { String::new() };
            if !url.is_empty() && !url.starts_with("https://") {
                return Err(bad("Bad Request: bad webhook: An HTTPS URL must be provided for webhook"));
            }
            st.webhook = (!url.is_empty()).then(|| p.clone());
            if flag(p, "drop_pending_updates") {
                st.queue.clear();
            }
            Ok(json!(true))
        }
        "getWebhookInfo" => {
            let url = st.webhook.as_ref().and_then(|w| w["url"].as_str()).unwrap_or("");
            Ok(json!({"url": url, "has_custom_certificate": false, "pending_update_count": st.queue.len()}))
        }
        "sendChatAction" => require_chat(p).map(|_| json!(true)),
        _ => Ok(json!(true)), // logOut, close
    }
}

/// Applies Telegram's text rules to a `text` with an optional `parse_mode` (or explicit
/// `entities`): the Bot API error description on failure.
pub fn render(text: &str, parse_mode: Option<&str>, entities: Option<&Value>) -> Result<Formatted, String> {
    if text.is_empty() {
        return Err("Bad Request: message text is empty".into());
    }
    let mode = parse_mode.map(str::to_ascii_lowercase).filter(|m| !m.is_empty() && m != "none");
    let parsed = match mode.as_deref() {
        None => {
            let list = entities.and_then(Value::as_array).map(|l| l.iter().filter_map(Entity::from_json).collect());
            Ok(Formatted { text: text.to_string(), entities: list.unwrap_or_default() })
        }
        Some("html") => parse_html(text),
        Some("markdownv2") => parse_markdown_v2(text),
        Some("markdown") => parse_markdown(text),
        Some(_) => return Err("Bad Request: unsupported parse_mode".into()),
    };
    let fixed = fix_text(parsed.map_err(|e| format!("Bad Request: can't parse entities: {e}"))?)?;
    if utf16_len(&fixed.text) > 4096 {
        return Err("Bad Request: message is too long".into());
    }
    Ok(fixed)
}

fn text_of(p: &Value) -> Result<(String, Option<String>, Formatted), ApiError> {
    let raw = string(p, "text").unwrap_or_default();
    let parse_mode = string(p, "parse_mode");
    let formatted = render(&raw, parse_mode.as_deref(), object(p, "entities").as_ref()).map_err(|e| bad(&e))?;
    Ok((raw, parse_mode, formatted))
}

/// The inline keyboard a message keeps; other markups (reply keyboards, ...) aren't stored.
fn inline_markup(p: &Value) -> Result<Option<Value>, ApiError> {
    let Some(rows) = object(p, "reply_markup").and_then(|m| m.get("inline_keyboard").cloned()) else { return Ok(None) };
    let rows = rows.as_array().ok_or_else(|| bad("Bad Request: inline keyboard must be an Array of Arrays"))?;
    for row in rows {
        for button in row.as_array().ok_or_else(|| bad("Bad Request: inline keyboard must be an Array of Arrays"))? {
            if !button["text"].is_string() {
                return Err(bad("Bad Request: can't parse inline keyboard button: Text must be a String"));
            }
            if let Some(data) = button.get("callback_data") {
                let len = data.as_str().map_or(0, str::len);
                if !(1..=64).contains(&len) {
                    return Err(bad("Bad Request: BUTTON_DATA_INVALID"));
                }
            }
        }
    }
    let empty = rows.iter().all(|r| r.as_array().is_some_and(Vec::is_empty));
    Ok((!empty).then(|| json!({"inline_keyboard": rows})))
}

fn send_message(st: &mut State, p: &Value) -> Outcome {
    let chat_id = require_chat(p)?;
    let (raw, parse_mode, f) = text_of(p)?;
    let reply_markup = inline_markup(p)?;
    let (reply_to, allow) = match object(p, "reply_parameters") {
        Some(rp) => (int(&rp, "message_id"), flag(&rp, "allow_sending_without_reply")),
        None => (int(p, "reply_to_message_id"), flag(p, "allow_sending_without_reply")),
    };
    let reply_to = match reply_to {
        Some(r) if !st.messages.contains_key(&(chat_id, r)) && allow => None,
        Some(r) if !st.messages.contains_key(&(chat_id, r)) => {
            return Err(bad("Bad Request: message to be replied not found"));
        }
        other => other,
    };
    let message_id = st.alloc_message_id(chat_id);
    let msg = Msg {
        chat_id,
        message_id,
        from_bot: true,
        from_user: None,
        text: f.text,
        entities: f.entities,
        raw_text: raw,
        parse_mode,
        reply_markup,
        thread_id: int(p, "message_thread_id"),
        reply_to,
        disable_notification: flag(p, "disable_notification"),
        link_preview_options: object(p, "link_preview_options"),
        date: now_unix(),
        edit_date: None,
        edits: 0,
        history: Vec::new(),
    };
    let v = st.message_json(&msg, true);
    st.messages.insert((chat_id, message_id), msg);
    Ok(v)
}

fn editable<'a>(st: &'a mut State, p: &Value) -> Result<&'a mut Msg, ApiError> {
    let (chat_id, id) = (require_chat(p)?, message_id(p)?);
    let msg = st.messages.get_mut(&(chat_id, id)).ok_or_else(|| bad("Bad Request: message to edit not found"))?;
    if !msg.from_bot {
        return Err(bad("Bad Request: message can't be edited"));
    }
    Ok(msg)
}

fn edit_message_text(st: &mut State, p: &Value) -> Outcome {
    if p.get("inline_message_id").is_some_and(|v| !v.is_null()) {
        return Err(bad("Bad Request: MESSAGE_ID_INVALID"));
    }
    let (raw, parse_mode, f) = text_of(p)?;
    // Like Telegram: an edit without reply_markup removes the keyboard.
    let reply_markup = inline_markup(p)?;
    let msg = editable(st, p)?;
    if msg.text == f.text && msg.entities == f.entities && msg.reply_markup == reply_markup {
        return Err(bad(NOT_MODIFIED));
    }
    msg.history.push(std::mem::replace(&mut msg.text, f.text));
    msg.entities = f.entities;
    msg.raw_text = raw;
    msg.parse_mode = parse_mode;
    msg.reply_markup = reply_markup;
    msg.edits += 1;
    msg.edit_date = Some(now_unix());
    let msg = msg.clone();
    Ok(st.message_json(&msg, true))
}

fn edit_reply_markup(st: &mut State, p: &Value) -> Outcome {
    let reply_markup = inline_markup(p)?;
    let msg = editable(st, p)?;
    if msg.reply_markup == reply_markup {
        return Err(bad(NOT_MODIFIED));
    }
    msg.reply_markup = reply_markup;
    msg.edits += 1;
    msg.edit_date = Some(now_unix());
    let msg = msg.clone();
    Ok(st.message_json(&msg, true))
}

pub(crate) fn scope_key(scope: Option<&Value>) -> String {
    scope.filter(|s| !s.is_null()).cloned().unwrap_or_else(|| json!({"type": "default"})).to_string()
}

fn commands_key(p: &Value) -> Result<(String, String), ApiError> {
    let language = string(p, "language_code").unwrap_or_default();
    let two_letters = language.len() == 2 && language.bytes().all(|b| b.is_ascii_lowercase());
    if !language.is_empty() && !two_letters {
        return Err(bad("Bad Request: invalid language code specified"));
    }
    Ok((scope_key(object(p, "scope").as_ref()), language))
}

fn set_my_commands(st: &mut State, p: &Value) -> Outcome {
    let list = object(p, "commands").and_then(|v| v.as_array().cloned());
    let list = list.ok_or_else(|| bad("Bad Request: parameter \"commands\" is required"))?;
    let mut commands = Vec::new();
    for c in &list {
        let (command, description) = (c["command"].as_str().unwrap_or(""), c["description"].as_str().unwrap_or(""));
        let valid = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
        if command.is_empty() || command.len() > 32 || !command.bytes().all(valid) {
            return Err(bad("Bad Request: BOT_COMMAND_INVALID"));
        }
        if description.trim().is_empty() || description.chars().count() > 256 {
            return Err(bad("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"));
        }
        commands.push((command.to_string(), description.to_string()));
    }
    let key = commands_key(p)?;
    st.commands.insert(key, commands);
    Ok(json!(true))
}

fn update_kind(u: &Value) -> &str {
    u.as_object().and_then(|o| o.keys().find(|k| *k != "update_id")).map_or("", String::as_str)
}

async fn get_updates(shared: &Arc<Shared>, p: &Value) -> Outcome {
    let offset = int(p, "offset").unwrap_or(0);
    let limit = int(p, "limit").unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(int(p, "timeout").unwrap_or(0).max(0) as u64);
    let generation = {
        let mut st = shared.lock();
        if st.webhook.is_some() {
            return Err(error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the \
                 webhook first",
            ));
        }
        if let Some(list) = object(p, "allowed_updates").and_then(|v| v.as_array().cloned()) {
            let list: Vec<String> = list.iter().filter_map(Value::as_str).map(str::to_string).collect();
            st.allowed_updates = (!list.is_empty()).then_some(list);
        }
        // Confirms (forgets) what the client has seen, like Telegram.
        if offset > 0 {
            st.queue.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
        } else if offset < 0 {
            while st.queue.len() > offset.unsigned_abs() as usize {
                st.queue.pop_front();
            }
        }
        st.poll_generation += 1;
        st.poll_generation
    };
    shared.notify.notify_waiters(); // an older poll now answers 409
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let notified = shared.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut st = shared.lock();
            if st.poll_generation != generation {
                st.poll_conflicts += 1;
                return Err(error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is \
                     running",
                ));
            }
            let allowed = st.allowed_updates.clone();
            st.queue.retain(|u| match &allowed {
                Some(list) => list.iter().any(|a| a == update_kind(u)),
                None => !matches!(update_kind(u), "chat_member" | "message_reaction" | "message_reaction_count"),
            });
            let batch: Vec<Value> = st.queue.iter().take(limit).cloned().collect();
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(Value::Array(batch));
            }
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}
