//! What one client may take of the `[http]` listener (issue 15): per-source rates, a cap on
//! intake requests in flight, bounded request heads, and JSON for every refusal.

use crate::config::intake::{HttpLimits, Rate, SourceConfig};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Per-source token buckets, in this instance's memory: each source has its own, so one
/// flooding source uses up only its own allowance. A bucket holds `count` requests and refills
/// at `count` per `per`, so a source may send its whole allowance at once, then at the rate.
pub struct Rates {
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    rate: Rate,
    tokens: f64,
    at: Instant,
}

impl Rates {
    pub fn new(sources: &[SourceConfig]) -> Rates {
        let now = Instant::now();
        let buckets = sources
            .iter()
            .filter_map(|s| Some((s.name.clone(), Bucket { rate: s.rate?, tokens: f64::from(s.rate?.count), at: now })))
            .collect();
        Rates { buckets: Mutex::new(buckets) }
    }

    /// Takes one request from `source`'s allowance; when none is left, how long until one is.
    pub fn take(&self, source: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let Some(b) = buckets.get_mut(source) else { return Ok(()) };
        let per_sec = f64::from(b.rate.count) / b.rate.per.as_secs_f64();
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_sec).min(f64::from(b.rate.count));
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_sec))
        }
    }
}

/// `{"error": reason}` with `status`, as every answer of the listener.
pub fn error(status: StatusCode, reason: impl Into<String>) -> Response {
    (status, Json(json!({ "error": reason.into() }))).into_response()
}

/// A refusal that says when to come back (whole seconds, at least 1).
pub fn retry_after(mut response: Response, wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// Request heads over the configured limits: 414 for the target, 431 for the whole head, as
/// JSON. hyper refuses heads past a larger backstop itself (see `server`).
pub async fn bounded_head(limits: HttpLimits, request: Request, next: Next) -> Response {
    let uri = request.uri().to_string().len();
    if uri > limits.uri_limit {
        return error(
            StatusCode::URI_TOO_LONG,
            format!("the request target is longer than {} bytes", limits.uri_limit),
        );
    }
    let headers = request.headers();
    let head = uri + 16 + headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum::<usize>();
    if head > limits.header_limit || headers.len() > MAX_HEADERS {
        let why = format!("the request headers are larger than {} bytes or {MAX_HEADERS} fields", limits.header_limit);
        return error(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, why);
    }
    next.run(request).await
}

/// Header fields a request may have (hyper's own limit is set above it, see `server`).
pub const MAX_HEADERS: usize = 100;

/// Every refusal the routes themselves do not word (404, 405, axum's own rejections) becomes
/// `{"error": ...}`, so a sender's parser never meets plain text or an empty body.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let reason = match text.trim() {
        "" => status.canonical_reason().unwrap_or("refused").to_lowercase(),
        t => t.to_string(),
    };
    let body = serde_json::to_vec(&json!({ "error": reason })).unwrap_or_default();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_gets_its_allowance_at_once_then_at_its_rate_and_others_are_untouched() {
        let source = |name: &str, rate: Option<Rate>| SourceConfig {
            name: name.into(),
            kind: crate::config::intake::SourceKind::Generic,
            weight: 1.0,
            token_env: Some("T".into()),
            hmac_env: None,
            tags: vec![],
            auto_resolve: false,
            rate,
            alerts: Default::default(),
        };
        let rates = Rates::new(&[source("a", Rate::parse("2/min")), source("b", None)]);
        let t0 = Instant::now();
        assert!(rates.take("a", t0).is_ok());
        assert!(rates.take("a", t0).is_ok());
        let wait = rates.take("a", t0).unwrap_err();
        assert!(wait > Duration::from_secs(29) && wait <= Duration::from_secs(30), "{wait:?}");
        assert!((0..1000).all(|_| rates.take("b", t0).is_ok()), "no rate, no limit");
        assert!(rates.take("a", t0 + Duration::from_secs(30)).is_ok(), "one more after half a minute");
        assert!(rates.take("a", t0 + Duration::from_secs(30)).is_err());
    }

    #[test]
    fn rates_are_read_with_their_unit() {
        assert_eq!(Rate::parse("60/min"), Some(Rate { count: 60, per: Duration::from_secs(60) }));
        assert_eq!(Rate::parse("10/s"), Some(Rate { count: 10, per: Duration::from_secs(1) }));
        assert_eq!(Rate::parse(" 1000 / h "), Some(Rate { count: 1000, per: Duration::from_secs(3600) }));
        for bad in ["", "60", "0/min", "-1/s", "60/week", "x/min", "99999999999/s"] {
            assert_eq!(Rate::parse(bad), None, "{bad}");
        }
    }
}
