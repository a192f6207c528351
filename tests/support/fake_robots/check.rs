//! What each robot checks before it posts, as its platform documents it.

use super::Kind;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};

type Answer = (i64, String);

fn answer(code: i64, msg: &str) -> Answer {
    (code, msg.to_string())
}

pub fn unknown_robot(kind: Kind) -> Answer {
    match kind {
        Kind::Feishu => answer(19001, "param invalid: incoming webhook access token invalid"),
        Kind::DingTalk => answer(300001, "token is not exist"),
        Kind::WeCom => answer(93000, "invalid webhook url"),
    }
}

fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Within the hour both platforms allow between the timestamp and their own clock.
fn fresh(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    at.is_some_and(|at| (now - at).abs() <= Duration::hours(1))
}

/// The signature, and that the body is a message of a type the platform knows.
pub fn request(
    kind: Kind,
    secret: Option<&str>,
    query: &HashMap<String, String>,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<(), Answer> {
    match (kind, secret) {
        (Kind::Feishu, Some(secret)) => {
            let ts = body["timestamp"].as_str().unwrap_or_default();
            let at = ts.parse::<i64>().ok().and_then(|s| DateTime::from_timestamp(s, 0));
            let expected = hmac_base64(format!("{ts}\n{secret}").as_bytes(), b"");
            if !fresh(at, now) || body["sign"].as_str() != Some(expected.as_str()) {
                return Err(answer(19021, "sign match fail or timestamp is not within one hour from current time"));
            }
        }
        (Kind::DingTalk, Some(secret)) => {
            // The query extractor has already URL-decoded the sign, as DingTalk does.
            let ts = query.get("timestamp").cloned().unwrap_or_default();
            let at = ts.parse::<i64>().ok().and_then(DateTime::from_timestamp_millis);
            let expected = hmac_base64(secret.as_bytes(), format!("{ts}\n{secret}").as_bytes());
            if !fresh(at, now) || query.get("sign") != Some(&expected) {
                return Err(answer(310000, "sign not match"));
            }
        }
        _ => {}
    }
    let known = match kind {
        Kind::Feishu => matches!(body["msg_type"].as_str(), Some("text" | "post" | "interactive")),
        Kind::DingTalk => matches!(body["msgtype"].as_str(), Some("text" | "markdown")),
        Kind::WeCom => matches!(body["msgtype"].as_str(), Some("text" | "markdown")),
    };
    if !known {
        return Err(match kind {
            Kind::Feishu => answer(9499, "Bad Request"),
            Kind::DingTalk => answer(40035, "缺少参数 json"),
            Kind::WeCom => answer(40008, "invalid message type"),
        });
    }
    // Not the platforms' checks: tocsin must never notify a whole group, so the fake refuses
    // every way to (with a code no platform uses, so the test that caused it fails loudly).
    let everyone = |list: &Value| list.as_array().is_some_and(|l| l.iter().any(|id| id == "@all"));
    let pings_all = match kind {
        Kind::DingTalk => body["at"]["isAtAll"].as_bool() == Some(true),
        Kind::WeCom => everyone(&body["text"]["mentioned_list"]) || everyone(&body["text"]["mentioned_mobile_list"]),
        Kind::Feishu => body["content"]["post"].to_string().contains(r#""user_id":"all""#),
    };
    if pings_all {
        return Err(answer(-2, "the fake refuses to ping everyone: tocsin never should"));
    }
    Ok(())
}

/// Keeps the documented limits: Feishu 5 a second and 100 a minute, DingTalk and WeCom 20 a
/// minute. A post past them is refused with the platform's rate-limit code.
pub fn limit(kind: Kind, accepted: &mut VecDeque<DateTime<Utc>>, now: DateTime<Utc>) -> Result<Answer, Answer> {
    while accepted.front().is_some_and(|t| now - *t >= Duration::seconds(60)) {
        accepted.pop_front();
    }
    let last_second = accepted.iter().filter(|t| now - **t < Duration::seconds(1)).count();
    let over = match kind {
        Kind::Feishu => accepted.len() >= 100 || last_second >= 5,
        Kind::DingTalk | Kind::WeCom => accepted.len() >= 20,
    };
    if over {
        return Err(match kind {
            Kind::Feishu => answer(11232, "frequency limited psm"),
            Kind::DingTalk => answer(130101, "send too fast, exceed 20 times per minute"),
            Kind::WeCom => answer(45009, "api freq out of limit"),
        });
    }
    accepted.push_back(now);
    Ok(answer(0, "ok"))
}
