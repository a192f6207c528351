//! The intake webhooks (axum): generic JSON signals, Alertmanager and Grafana.
//!
//! Every answer says what happened in JSON: 202 with the case after a durable commit, 400
//! for a body that is not JSON, 422 for JSON that is not a signal, 401 without valid
//! credentials, 413 over the configured body limit, 408 for a body that does not arrive in
//! time, 429 (with `Retry-After`) beyond a source's `rate`, 503 (with `Retry-After`) beyond the
//! requests in flight. Credentials are checked before the body is read (issue 15). Each outcome
//! is counted by the source bot.toml names (`tocsin_signals_total`) and logged with its case.

use super::RawSignal;
use super::alerts::{self, AlertBatch};
use super::auth::{Credentials, Presented};
use super::limits::{Rates, retry_after};
use crate::app::intake::Pipeline;
use crate::clock::Clock;
use crate::config::intake::{SourceConfig, SourceKind};
use crate::intake::Intake;
use crate::store::Store;
use crate::telemetry::{SignalOutcome, Telemetry, UNKNOWN_SOURCE};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use http_body_util::BodyExt as _;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// What the intake routes need.
pub struct Settings {
    pub pipeline: Arc<Pipeline>,
    pub credentials: Arc<Credentials>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub telemetry: Arc<Telemetry>,
    pub sources: Vec<SourceConfig>,
    pub body_limit: usize,
    pub body_timeout: Duration,
    pub max_in_flight: usize,
}

/// A refusal, boxed: a `Response` is large to carry in every `Result`.
type Refusal = Box<Response>;

#[derive(Clone)]
struct Intakes {
    pipeline: Arc<Pipeline>,
    credentials: Arc<Credentials>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    telemetry: Arc<Telemetry>,
    rates: Arc<Rates>,
    in_flight: Arc<Semaphore>,
    body_limit: usize,
    body_timeout: Duration,
}

impl Intakes {
    /// A request refused before anything was taken in; `source` once its credentials said.
    fn refused(&self, source: &str, response: Response) -> Response {
        self.telemetry.signal(source, SignalOutcome::Rejected);
        tracing::info!(source, status = response.status().as_u16(), "a signal was refused");
        response
    }

    fn failed(&self, source: &str, e: anyhow::Error) -> Response {
        self.telemetry.signal(source, SignalOutcome::Failed);
        internal(e)
    }

    /// 429 beyond the source's `rate`.
    fn within_rate(&self, source: &SourceConfig) -> Result<(), Refusal> {
        self.rates.take(&source.name, Instant::now()).map_err(|wait| {
            let why = format!("source \"{}\" is over its rate; retry later", source.name);
            Box::new(self.refused(&source.name, retry_after(error(StatusCode::TOO_MANY_REQUESTS, why), wait)))
        })
    }

    /// Who sent the request, and its body: the headers are checked before the body is read,
    /// a body is read only within its limit and time, and a signature is verified over it (and
    /// refused when seen before) only then.
    async fn admit(&self, kind: SourceKind, request: Request) -> Result<(SourceConfig, HeaderMap, Bytes), Refusal> {
        let (parts, body) = request.into_parts();
        let now = self.clock.now().timestamp();
        let presented = self
            .credentials
            .check_headers(kind, &parts.headers, now)
            .map_err(|why| Box::new(self.refused(UNKNOWN_SOURCE, error(StatusCode::UNAUTHORIZED, why))))?;
        let known = match &presented {
            Presented::Source(source) => {
                self.within_rate(source)?;
                source.name.as_str()
            }
            Presented::Signed(_) => UNKNOWN_SOURCE,
        };
        let body = read_body(&parts.headers, body, self.body_limit, self.body_timeout)
            .await
            .map_err(|r| Box::new(self.refused(known, *r)))?;
        let source = match presented {
            Presented::Source(source) => source,
            Presented::Signed(signed) => {
                let Some(source) = self.credentials.check_body(&signed, &body) else {
                    return Err(Box::new(
                        self.refused(UNKNOWN_SOURCE, error(StatusCode::UNAUTHORIZED, "invalid credentials")),
                    ));
                };
                self.within_rate(&source)?;
                if let Some((key, until)) = signed.replay_key(&source) {
                    let until =
                        chrono::DateTime::from_timestamp(until, 0).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
                    match self.store.first_sighting(&key, until).await {
                        Ok(true) => {}
                        Ok(false) => {
                            let why = "this signature was used before: sign each request anew, with its own timestamp";
                            return Err(Box::new(self.refused(&source.name, error(StatusCode::UNAUTHORIZED, why))));
                        }
                        Err(e) => return Err(Box::new(self.failed(&source.name, e.into()))),
                    }
                }
                source
            }
        };
        Ok((source, parts.headers, body))
    }
}

/// The intake routes (`/healthz` and the other operations routes are [`crate::ops`]'s).
pub fn router(settings: Settings) -> Router {
    let state = Intakes {
        rates: Arc::new(Rates::new(&settings.sources)),
        in_flight: Arc::new(Semaphore::new(settings.max_in_flight)),
        pipeline: settings.pipeline,
        credentials: settings.credentials,
        store: settings.store,
        clock: settings.clock,
        telemetry: settings.telemetry,
        body_limit: settings.body_limit,
        body_timeout: settings.body_timeout,
    };
    Router::new()
        .route("/api/v1/signals", post(signals))
        .route("/api/v1/alertmanager", post(alertmanager))
        .route("/api/v1/grafana", post(grafana))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), in_flight))
        .with_state(state)
}

/// Beyond `max_in_flight` intake requests at once, a fast 503: the sender retries later
/// rather than everyone waiting longer.
async fn in_flight(State(s): State<Intakes>, request: Request, next: Next) -> Response {
    match s.in_flight.clone().try_acquire_owned() {
        Ok(permit) => {
            let response = next.run(request).await;
            drop(permit);
            response
        }
        Err(_) => {
            let busy = error(StatusCode::SERVICE_UNAVAILABLE, "too many requests in flight; retry later");
            s.refused(UNKNOWN_SOURCE, retry_after(busy, Duration::from_secs(1)))
        }
    }
}

/// The body, at most `limit` bytes and within `timeout`: 413 beyond the limit (at once when
/// Content-Length says so), 408 when it does not arrive in time.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize, timeout: Duration) -> Result<Bytes, Refusal> {
    let too_large = || Box::new(error(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is larger than {limit} bytes")));
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let collect = async {
        let mut body = body;
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| Box::new(error(StatusCode::BAD_REQUEST, "the body could not be read")))?;
            if let Ok(data) = frame.into_data() {
                if out.len() + data.len() > limit {
                    return Err(too_large());
                }
                out.extend_from_slice(&data);
            }
        }
        Ok(Bytes::from(out))
    };
    tokio::time::timeout(timeout, collect).await.unwrap_or_else(|_| {
        Err(Box::new(error(
            StatusCode::REQUEST_TIMEOUT,
            format!("the body did not arrive within {} s", timeout.as_secs()),
        )))
    })
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn error(status: StatusCode, reason: impl Into<String>) -> Response {
    super::limits::error(status, reason)
}

/// A JSON syntax error is a bad request; well-formed JSON of the wrong shape is unprocessable.
fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        let status = if e.is_data() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::BAD_REQUEST };
        Box::new(error(status, e.to_string()))
    })
}

fn outcome(intake: &Intake) -> Value {
    match intake {
        Intake::Opened(c) => json!({ "outcome": "opened", "case": c.get() }),
        Intake::Joined(c) => json!({ "outcome": "joined", "case": c.get() }),
        Intake::Duplicate => json!({ "outcome": "duplicate" }),
    }
}

/// Nothing was taken in, so the sender should send it again: 503 with `Retry-After`, never
/// 500 (a sender gives up on a 500 sooner). A database that is down, read-only or full is
/// said so in the log.
fn internal(e: anyhow::Error) -> Response {
    if crate::store::is_unavailable(&e) {
        tracing::error!(error = %format!("{e:#}"), "the database did not take a signal (down, read-only or full?); answered 503");
    } else {
        tracing::error!(error = ?e, "taking a signal in failed; answered 503");
    }
    let response =
        error(StatusCode::SERVICE_UNAVAILABLE, "the signal could not be stored; nothing was taken in, please retry");
    retry_after(response, RETRY_STORE)
}

/// How long a sender is asked to wait after the store failed.
const RETRY_STORE: std::time::Duration = std::time::Duration::from_secs(5);

/// Keys up to this many characters are kept as sent; longer ones by their SHA-256, so two keys
/// that differ anywhere are two keys (they were once cut here, and the second report dropped).
const KEY_KEPT: usize = 200;

/// The dedup key of a generic signal with `Idempotency-Key: key` from `source`.
fn idempotency_key(source: &str, key: &str) -> String {
    if key.chars().count() <= KEY_KEPT {
        format!("http:{source}:{key}")
    } else {
        // Another prefix: a hashed key can never equal a key sent as is.
        format!("http-sha256:{source}:{}", hex::encode(Sha256::digest(key.as_bytes())))
    }
}

/// The body of `POST /api/v1/signals`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalBody {
    source: String,
    title: String,
    #[serde(default)]
    body: String,
    url: Option<String>,
    language: Option<String>,
    #[serde(default)]
    metrics: super::Metrics,
    #[serde(default)]
    tags: Vec<String>,
    fingerprint: Option<String>,
    occurred_at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn signals(State(s): State<Intakes>, request: Request) -> Response {
    let (source, headers, body) = match s.admit(SourceKind::Generic, request).await {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let b: SignalBody = match parse(&body) {
        Ok(b) => b,
        Err(r) => return s.refused(&source.name, *r),
    };
    if b.title.trim().is_empty() || b.source.trim().is_empty() {
        return s.refused(&source.name, error(StatusCode::UNPROCESSABLE_ENTITY, "source and title must not be empty"));
    }
    // An Idempotency-Key lets a sender retry without taking the same report in twice.
    let dedup_key =
        headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(|k| idempotency_key(&source.name, k));
    let mut tags = b.tags;
    tags.extend(source.tags.iter().cloned());
    // Trust comes from the credential: the body's `source` is only a label (issue 15).
    let signal = RawSignal {
        source: source.name.clone(),
        label: Some(b.source),
        title: b.title,
        body: b.body,
        url: b.url,
        language: b.language,
        metrics: b.metrics,
        tags,
        fingerprint: b.fingerprint.map(|f| format!("{}:{f}", source.name)),
        occurred_at: b.occurred_at,
        dedup_key,
        drill: None,
    };
    match s.pipeline.take(signal).await {
        Ok(intake) => {
            super::record(&s.telemetry, &source.name, &intake);
            reply(StatusCode::ACCEPTED, outcome(&intake))
        }
        Err(e) => s.failed(&source.name, e),
    }
}

async fn alertmanager(State(s): State<Intakes>, request: Request) -> Response {
    alert_webhook(s, SourceKind::Alertmanager, request).await
}

async fn grafana(State(s): State<Intakes>, request: Request) -> Response {
    alert_webhook(s, SourceKind::Grafana, request).await
}

/// Alertmanager (webhook version 4) and Grafana send the same shape: a batch of alerts,
/// each firing or resolved, each with a fingerprint that names it across notifications.
async fn alert_webhook(s: Intakes, kind: SourceKind, request: Request) -> Response {
    let (source, _, body) = match s.admit(kind, request).await {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let batch: AlertBatch = match parse(&body) {
        Ok(b) => b,
        Err(r) => return s.refused(&source.name, *r),
    };
    if kind == SourceKind::Alertmanager && batch.version.as_deref() != Some("4") {
        let why = "only Alertmanager webhook version 4 is understood";
        return s.refused(&source.name, error(StatusCode::UNPROCESSABLE_ENTITY, why));
    }
    // Each alert (or notification group) is one commit; the answer lists every alert's fate,
    // and a 503 says exactly which were kept before the store failed (see `alerts::take`).
    let answer = alerts::take(&s.pipeline, &s.telemetry, &batch, &source).await;
    if answer.failed {
        let mut response = reply(StatusCode::SERVICE_UNAVAILABLE, answer.body);
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
        return response;
    }
    reply(StatusCode::ACCEPTED, answer.body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn idempotency_keys_are_compared_whole() {
        let long = "k".repeat(300);
        let (a, b) = (format!("{long}a"), format!("{long}b"));
        assert_ne!(super::idempotency_key("wire", &a), super::idempotency_key("wire", &b));
        assert_eq!(super::idempotency_key("wire", "r-1"), "http:wire:r-1", "short keys as before");
        assert!(super::idempotency_key("wire", &a).len() < 100);
    }
}
