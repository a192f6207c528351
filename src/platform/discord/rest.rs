//! Discord's REST API for what the delivery worker sends: messages, edits, crossposts.
//!
//! serenity's `Http` is used for everything else (the gateway's address, registering
//! commands, answering interactions). Sends go through this small client instead because
//! with serenity's rate limiter off (it ignores an API base override when on, DESIGN §5)
//! an error answer reaches us without its headers and without the 429 body's `retry_after`
//! and `global`: exactly what tocsin's one limiter needs to wait as long as Discord asks.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub const API_VERSION: &str = "v10";

/// Why a call failed, in the terms delivery decides on.
#[derive(Debug, Clone, PartialEq)]
pub enum RestError {
    /// 429: wait exactly `wait`; `global` holds every call of this token, else only the route.
    RateLimited { wait: Duration, global: bool },
    /// Discord answered with an error status and its JSON error code (`10003` Unknown Channel,
    /// `50001` Missing Access, ...).
    Status { status: u16, code: i64, message: String },
    /// No answer: the connection failed or dropped.
    Network(String),
}

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestError::RateLimited { wait, global } => write!(f, "rate limited for {wait:?} (global: {global})"),
            RestError::Status { status, code, message } => {
                write!(f, "Discord answered {status}: {message} (code {code})")
            }
            RestError::Network(e) => write!(f, "no answer from Discord: {e}"),
        }
    }
}

pub struct Rest {
    client: reqwest::Client,
    /// `https://discord.com/api/v10`, or the configured base's.
    api: String,
    /// `Bot <token>`; never logged (the struct has no Debug).
    authorization: String,
    /// Per channel: a bucket Discord said is empty (`X-RateLimit-Remaining: 0`), until when.
    exhausted: Mutex<HashMap<u64, Instant>>,
}

impl Rest {
    pub fn new(base: &str, token: &str) -> anyhow::Result<Rest> {
        let client =
            reqwest::Client::builder().user_agent("DiscordBot (https://github.com/tocsin, 0.1) tocsin").build()?;
        Ok(Rest {
            client,
            api: format!("{}/api/{API_VERSION}", base.trim_end_matches('/')),
            authorization: format!("Bot {token}"),
            exhausted: Mutex::new(HashMap::new()),
        })
    }

    /// How long a call to `channel` must still wait for the bucket Discord said was empty.
    pub fn bucket_wait(&self, channel: u64) -> Option<Duration> {
        let exhausted = self.exhausted.lock().unwrap_or_else(|p| p.into_inner());
        exhausted.get(&channel).and_then(|until| until.checked_duration_since(Instant::now()))
    }

    pub async fn post_message(&self, channel: u64, body: &Value) -> Result<Value, RestError> {
        self.call(reqwest::Method::POST, channel, &format!("/channels/{channel}/messages"), Some(body)).await
    }

    pub async fn edit_message(&self, channel: u64, message: u64, body: &Value) -> Result<Value, RestError> {
        let path = format!("/channels/{channel}/messages/{message}");
        self.call(reqwest::Method::PATCH, channel, &path, Some(body)).await
    }

    pub async fn crosspost(&self, channel: u64, message: u64) -> Result<Value, RestError> {
        let path = format!("/channels/{channel}/messages/{message}/crosspost");
        self.call(reqwest::Method::POST, channel, &path, None).await
    }

    pub async fn channel(&self, channel: u64) -> Result<Value, RestError> {
        self.call(reqwest::Method::GET, channel, &format!("/channels/{channel}"), None).await
    }

    async fn call(
        &self,
        method: reqwest::Method,
        channel: u64,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, RestError> {
        let mut req =
            self.client.request(method, format!("{}{path}", self.api)).header("Authorization", &self.authorization);
        if let Some(body) = body {
            req = req.header("Content-Type", "application/json").body(body.to_string());
        }
        let resp = req.send().await.map_err(|e| RestError::Network(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.map_err(|e| RestError::Network(e.without_url().to_string()))?;
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        if header("x-ratelimit-remaining").as_deref() == Some("0")
            && let Some(after) = header("x-ratelimit-reset-after").and_then(|s| seconds(&s))
        {
            self.exhausted.lock().unwrap_or_else(|p| p.into_inner()).insert(channel, Instant::now() + after);
        }
        if (200..300).contains(&status) {
            return Ok(json);
        }
        if status == 429 {
            // The body's `retry_after` is in seconds with a fraction; the header only whole.
            let wait = json
                .get("retry_after")
                .and_then(Value::as_f64)
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .or_else(|| header("retry-after").and_then(|s| seconds(&s)))
                .unwrap_or(Duration::from_secs(1));
            let global = json.get("global").and_then(Value::as_bool).unwrap_or(false)
                || header("x-ratelimit-global").is_some_and(|g| g == "true");
            return Err(RestError::RateLimited { wait, global });
        }
        Err(RestError::Status {
            status,
            code: json.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: json.get("message").and_then(Value::as_str).unwrap_or("").chars().take(200).collect(),
        })
    }
}

fn seconds(s: &str) -> Option<Duration> {
    s.trim().parse::<f64>().ok().and_then(|f| Duration::try_from_secs_f64(f).ok())
}
