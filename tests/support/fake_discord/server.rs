//! The HTTP side: `/ws` for the gateway, everything else through one REST handler that records
//! the call, checks the token, applies injected failures, routes (`routes.rs`) and adds
//! Discord's rate-limit headers.

use super::faults::{Failure, segments, take};
use super::listener::Cut;
use super::routes::{Reply, route};
use super::{Call, Shared, gateway};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State as Ax};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().route("/ws", get(gateway::upgrade)).fallback(handle).with_state(shared)
}

async fn handle(
    Ax(shared): Ax<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Cut>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Run to completion even if the client hangs up: the fake's state never depends on when a
    // client gave up.
    let task = tokio::spawn(serve(shared, method, uri, headers, body));
    match task.await {
        Ok(Answer::Reply(reply, headers)) => respond(reply, headers),
        Ok(Answer::Drop) => {
            connection.cut();
            Response::new(Body::empty())
        }
        Ok(Answer::Hang) => std::future::pending().await,
        Err(_) => respond(Reply::error(500, 0, "500: Internal Server Error"), vec![]),
    }
}

enum Answer {
    Reply(Reply, Vec<(&'static str, String)>),
    Drop,
    Hang,
}

async fn serve(shared: Arc<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Answer {
    let method = method.as_str().to_ascii_uppercase();
    let path = uri.path().to_string();
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let body_json = parse_body(&headers, &body);
    let segs = segments(&path);
    let mut st = shared.lock();
    let index = st.calls.len();
    st.calls.push(Call {
        at: Instant::now(),
        method: method.clone(),
        path: path.clone(),
        body: body_json.clone(),
        status: 0,
        authorization: authorization.clone(),
        injected: false,
    });
    let versioned = path.starts_with("/api/v10/");
    // Interaction callbacks and webhooks are authorised by their token, and `GET /gateway` needs
    // no token, like on Discord (serenity uses the real gateway if that request fails).
    let by_token = matches!(segs.first().map(String::as_str), Some("interactions" | "webhooks"))
        || (method == "GET" && segs == ["gateway"]);
    let authorised = authorization.as_deref().is_some_and(|a| a.starts_with("Bot ") && st.token_ok(a));
    let unparsed = body_json.as_ref().is_some_and(|b| b.get("_unparsed").is_some());
    let (reply, extra) = if !versioned {
        (Reply::error(404, 0, "404: Not Found"), vec![])
    } else if !by_token && !authorised {
        (Reply::error(401, 0, "401: Unauthorized"), vec![])
    } else if unparsed {
        (Reply::error(400, 50109, "The request body contains invalid JSON."), vec![])
    } else if let Some(failure) = take(&mut st.rules, &method, &segs) {
        st.calls[index].injected = true;
        match failure {
            Failure::Drop => return Answer::Drop,
            Failure::Hang => return Answer::Hang,
            Failure::RateLimited { retry_after, global } => {
                let (status, body) = failure.answer().unwrap_or((429, Value::Null));
                (Reply { status, body: Some(body) }, rate_limited_headers(retry_after, global, &segs))
            }
            other => {
                let (status, body) = other.answer().unwrap_or((500, Value::Null));
                (Reply { status, body: Some(body) }, vec![])
            }
        }
    } else {
        let seg: Vec<&str> = segs.iter().map(String::as_str).collect();
        let channel = match (method.as_str(), seg.as_slice()) {
            ("POST", ["channels", c, "messages"]) => c.parse().ok(),
            _ => None,
        };
        if !by_token {
            st.count_request(channel);
        }
        let reply = route(&mut st, &method, &seg, body_json);
        let headers = match channel {
            Some(c) => {
                let (limit, remaining, reset_after) = st.bucket(c);
                bucket_headers(limit, remaining, reset_after, &format!("msg-{c}"))
            }
            None => bucket_headers(50, 49, 1.0, &format!("{method}-{}", seg.first().unwrap_or(&""))),
        };
        (reply, headers)
    };
    st.calls[index].status = reply.status;
    Answer::Reply(reply, extra)
}

fn bucket_headers(limit: u32, remaining: u32, reset_after: f64, bucket: &str) -> Vec<(&'static str, String)> {
    let reset = super::state::unix_ms() as f64 / 1000.0 + reset_after;
    vec![
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", format!("{reset:.3}")),
        ("x-ratelimit-reset-after", format!("{reset_after:.3}")),
        ("x-ratelimit-bucket", format!("{:016x}", fxhash(bucket))),
    ]
}

fn rate_limited_headers(retry_after: f64, global: bool, segs: &[String]) -> Vec<(&'static str, String)> {
    let mut h = bucket_headers(5, 0, retry_after, &segs.join("/"));
    h.push(("retry-after", (retry_after.ceil() as u64).to_string()));
    h.push(("x-ratelimit-scope", if global { "global" } else { "user" }.to_string()));
    if global {
        h.push(("x-ratelimit-global", "true".to_string()));
    }
    h
}

/// A stable, opaque bucket id (Discord's are hashes too).
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

fn respond(reply: Reply, headers: Vec<(&'static str, String)>) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let response = match reply.body {
        Some(body) => builder.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    };
    response.unwrap_or_else(|_| Response::new(Body::empty()))
}

/// A JSON body, or the `payload_json` part of a multipart one (how serenity sends files).
fn parse_body(headers: &HeaderMap, body: &Bytes) -> Option<Value> {
    if body.is_empty() {
        return None;
    }
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if let Some(boundary) = kind.split("boundary=").nth(1) {
        let text = String::from_utf8_lossy(body);
        let boundary = format!("--{}", boundary.trim_matches('"'));
        let part = text.split(&boundary).find(|p| p.contains("name=\"payload_json\""))?;
        let (_, content) = part.split_once("\r\n\r\n")?;
        return serde_json::from_str(content.trim_end_matches("\r\n")).ok();
    }
    serde_json::from_slice(body).ok().or_else(|| Some(json!({"_unparsed": String::from_utf8_lossy(body)})))
}
