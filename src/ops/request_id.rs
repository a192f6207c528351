//! A request id for every call on tocsin's HTTP listeners: the caller's `X-Request-Id` if it is
//! sane (1–64 visible ASCII characters), else a new UUID. It names a tracing span around the
//! request, so every log line the request causes carries it, and it is sent back in the
//! answer's `X-Request-Id`, so a sender can quote it.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

pub const HEADER: &str = "x-request-id";
/// Longer ids are replaced: a log field is no place for a caller's essay.
pub const MAX_LEN: usize = 64;

/// The middleware (`axum::middleware::from_fn(request_id::layer)`).
pub async fn layer(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
    // The route, not the raw path: the label-like part of a URL, whatever a client sends.
    let route = request.extensions().get::<MatchedPath>().map_or("-", |m| m.as_str()).to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), route = %route);
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| tracing::debug!(status = response.status().as_u16(), "answered"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// Short, printable, and without spaces: safe in a header and in a log line.
pub fn sane(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::sane;

    #[test]
    fn only_short_visible_ascii_ids_are_taken_from_the_caller() {
        assert!(sane("req-42"));
        assert!(sane("0b7c1a6e-5f0e-4c1b-9d1a-2f3e4d5c6b7a"));
        assert!(!sane(""));
        assert!(!sane("has space"));
        assert!(!sane("naïve"));
        assert!(!sane("line\nbreak"));
        assert!(!sane(&"x".repeat(65)));
        assert!(sane(&"x".repeat(64)));
    }
}
