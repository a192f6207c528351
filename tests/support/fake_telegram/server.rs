//! The HTTP side of the fake: routing `/bot<token>/<method>`, parameters (JSON, form, query,
//! multipart), failure injection, recording, and Telegram-style answers.

use super::methods::run;
use super::{Call, Failure, Shared, State};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as Ax;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Instant;

const METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendChatAction",
    "logOut",
    "close",
];

pub(super) struct ApiError {
    pub(super) code: u16,
    pub(super) description: String,
    pub(super) retry_after: Option<u64>,
}

pub(super) fn error(code: u16, description: &str) -> ApiError {
    ApiError { code, description: description.to_string(), retry_after: None }
}

pub(super) fn bad(description: &str) -> ApiError {
    error(400, description)
}

pub(super) type Outcome = Result<Value, ApiError>;

enum Reply {
    Json(u16, Value),
    Disconnect,
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(Ax(shared): Ax<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    // Run to completion even if the client hangs up: the fake's state never depends on when a
    // client gave up.
    let reply = tokio::spawn(serve(shared, uri, headers, body)).await;
    match reply.unwrap_or_else(|_| reply_of(Err(error(500, "Internal Server Error")))) {
        Reply::Json(status, body) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
        }
        // Announces more body than it sends, so hyper aborts the connection mid-answer.
        Reply::Disconnect => Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, "4096")
            .body(Body::from("{\"ok\":"))
            .unwrap(),
    }
}

fn reply_of(outcome: Outcome) -> Reply {
    match outcome {
        Ok(result) => Reply::Json(200, json!({"ok": true, "result": result})),
        Err(e) => {
            let mut body = json!({"ok": false, "error_code": e.code, "description": e.description});
            if let Some(s) = e.retry_after {
                body["parameters"] = json!({"retry_after": s});
            }
            Reply::Json(e.code, body)
        }
    }
}

async fn serve(shared: Arc<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Reply {
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let (token, name) = match segments.as_slice() {
        [bot, name] if bot.starts_with("bot") && !name.is_empty() => (decode(&bot[3..], false), *name),
        _ => return reply_of(Err(error(404, "Not Found"))),
    };
    let method = METHODS.iter().copied().find(|m| m.eq_ignore_ascii_case(name));
    let params = parse_params(uri.query(), &headers, &body);
    let chat_id = int(&params, "chat_id");
    let (index, failure) = {
        let mut st = shared.lock();
        if !st.tokens.contains(&token) {
            if let Some(id) = token.split(':').next().and_then(|p| p.parse().ok()).filter(|_| st.tokens.is_empty()) {
                st.bot_id = id;
            }
            st.tokens.push(token.clone());
        }
        st.calls.push(Call {
            method: method.unwrap_or(name).to_string(),
            token: token.clone(),
            body: params.clone(),
            chat_id,
            at: Instant::now(),
            answered_at: None,
            status: 0,
            description: None,
            retry_after: None,
            injected: false,
            text: None,
            message_id: None,
        });
        let index = st.calls.len() - 1;
        let early = if st.revoked.contains(&token) {
            Some(error(401, "Unauthorized"))
        } else if method.is_none() {
            Some(error(404, "Not Found: method not found"))
        } else {
            None
        };
        if let Some(e) = early {
            let outcome = Err(e);
            finish(&mut st, index, &outcome, false);
            return reply_of(outcome);
        }
        (index, take_failure(&mut st, method.unwrap(), chat_id))
    };
    let method = method.unwrap();
    let (outcome, injected) = match failure {
        None => (run(&shared, method, &params).await, false),
        Some(Failure::Hang(d)) => {
            tokio::time::sleep(d).await;
            (run(&shared, method, &params).await, false)
        }
        Some(Failure::Disconnect) => {
            let mut st = shared.lock();
            st.calls[index].injected = true;
            st.calls[index].description = Some("connection dropped".into());
            return Reply::Disconnect;
        }
        Some(f) => (Err(failure_error(&f)), true),
    };
    finish(&mut shared.lock(), index, &outcome, injected);
    reply_of(outcome)
}

fn finish(st: &mut State, index: usize, outcome: &Outcome, injected: bool) {
    let call = &mut st.calls[index];
    call.answered_at = Some(Instant::now());
    call.injected = injected;
    match outcome {
        Ok(v) => {
            call.status = 200;
            call.text = v["text"].as_str().map(str::to_string);
            call.message_id = v["message_id"].as_i64();
        }
        Err(e) => {
            call.status = e.code;
            call.description = Some(e.description.clone());
            call.retry_after = e.retry_after;
        }
    }
}

fn take_failure(st: &mut State, method: &str, chat_id: Option<i64>) -> Option<Failure> {
    let pos = st.rules.iter().position(|r| {
        r.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
            && r.chat_id.is_none_or(|c| Some(c) == chat_id)
            && r.left != Some(0)
    })?;
    let rule = &mut st.rules[pos];
    let failure = rule.failure.clone();
    if let Some(left) = rule.left.as_mut() {
        *left -= 1;
        if *left == 0 {
            st.rules.remove(pos);
        }
    }
    Some(failure)
}

fn failure_error(f: &Failure) -> ApiError {
    let prefixed = |prefix: &str, d: &str| if d.starts_with(prefix) { d.to_string() } else { format!("{prefix}: {d}") };
    match f {
        Failure::RetryAfter(s) => {
            ApiError { code: 429, description: format!("Too Many Requests: retry after {s}"), retry_after: Some(*s) }
        }
        Failure::Forbidden(d) => error(403, &prefixed("Forbidden", d)),
        Failure::BadRequest(d) => error(400, &prefixed("Bad Request", d)),
        Failure::ServerError => error(502, "Bad Gateway"),
        Failure::Hang(_) | Failure::Disconnect => unreachable!("handled by the caller"),
    }
}

pub(super) fn message_id(p: &Value) -> Result<i64, ApiError> {
    int(p, "message_id").ok_or_else(|| bad("Bad Request: message identifier is not specified"))
}

pub(super) fn require_chat(p: &Value) -> Result<i64, ApiError> {
    if p["chat_id"].is_null() {
        return Err(bad("Bad Request: chat_id is empty"));
    }
    int(p, "chat_id").ok_or_else(|| bad("Bad Request: chat not found"))
}

pub(super) fn int(p: &Value, key: &str) -> Option<i64> {
    match &p[key] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn string(p: &Value, key: &str) -> Option<String> {
    match &p[key] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn flag(p: &Value, key: &str) -> bool {
    match &p[key] {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true" || s == "1",
        Value::Number(n) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// A structured parameter; form and query parameters carry them as JSON text.
pub(super) fn object(p: &Value, key: &str) -> Option<Value> {
    match &p[key] {
        Value::Null => None,
        Value::String(s) => serde_json::from_str(s).ok(),
        v => Some(v.clone()),
    }
}

fn parse_params(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Value {
    let mut map = Map::new();
    let pairs = |s: &str| -> Vec<(String, Value)> {
        let kv = s.split('&').filter(|kv| !kv.is_empty()).map(|kv| kv.split_once('=').unwrap_or((kv, "")));
        kv.map(|(k, v)| (decode(k, true), Value::String(decode(v, true)))).collect()
    };
    map.extend(pairs(query.unwrap_or("")));
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/x-www-form-urlencoded") {
        map.extend(pairs(&String::from_utf8_lossy(body)));
    } else if content_type.starts_with("multipart/form-data") {
        // teloxide sends methods that may carry a file (setWebhook, ...) as multipart.
        let boundary = content_type.split(';').find_map(|p| p.trim().strip_prefix("boundary="));
        map.extend(multipart(body, boundary.unwrap_or("").trim_matches('"')));
    } else if let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(body) {
        map.extend(o);
    }
    Value::Object(map)
}

/// The fields of a multipart/form-data body, as text (files included, lossily).
fn multipart(body: &[u8], boundary: &str) -> Vec<(String, Value)> {
    let text = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    let fields = text.split(delimiter.as_str()).filter_map(|part| {
        let (head, value) = part.strip_prefix("\r\n")?.split_once("\r\n\r\n")?;
        let name = head.split("; name=\"").nth(1)?.split('"').next()?;
        Some((name.to_string(), Value::String(value.strip_suffix("\r\n").unwrap_or(value).to_string())))
    });
    fields.collect()
}

fn decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'%' if i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() => {
                out.push((hex(b[i + 1]).unwrap() * 16 + hex(b[i + 2]).unwrap()) as u8);
                i += 3;
                continue;
            }
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
