//! The intake webhooks (axum): generic JSON signals, Alertmanager and Grafana.
//!
//! Every answer says what happened in JSON: 202 with the case after a durable commit, 400
//! for a body that is not JSON, 422 for JSON that is not a signal, 401 without valid
//! credentials, 413 over the configured body limit. Each outcome is counted by the source
//! bot.toml names (`tocsin_signals_total`) and logged with its case.

use super::RawSignal;
use super::alerts::{self, AlertBatch};
use super::auth::{Credentials, Verdict};
use crate::app::intake::Pipeline;
use crate::config::intake::SourceKind;
use crate::intake::Intake;
use crate::telemetry::{SignalOutcome, Telemetry, UNKNOWN_SOURCE};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Clone)]
struct Intakes {
    pipeline: Arc<Pipeline>,
    credentials: Arc<Credentials>,
    telemetry: Arc<Telemetry>,
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
}

/// The intake routes (`/healthz` and the other operations routes are [`crate::ops`]'s).
pub fn router(
    pipeline: Arc<Pipeline>,
    credentials: Arc<Credentials>,
    body_limit: usize,
    telemetry: Arc<Telemetry>,
) -> Router {
    Router::new()
        .route("/api/v1/signals", post(signals))
        .route("/api/v1/alertmanager", post(alertmanager))
        .route("/api/v1/grafana", post(grafana))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(Intakes { pipeline, credentials, telemetry })
}

/// The body, or the answer to a body too large (413) or broken off.
type Body = Result<Bytes, BytesRejection>;

fn reply(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn error(status: StatusCode, reason: impl Into<String>) -> Response {
    reply(status, json!({ "error": reason.into() }))
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

fn internal(e: anyhow::Error) -> Response {
    tracing::error!(error = ?e, "taking a signal in failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, "the signal could not be stored; nothing was taken in, please retry")
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

async fn signals(State(s): State<Intakes>, headers: HeaderMap, body: Body) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return s.refused(UNKNOWN_SOURCE, rejection.into_response()),
    };
    let source = match s.credentials.check(SourceKind::Generic, &headers, &body) {
        Verdict::Allowed(source) => source,
        Verdict::Denied(why) => return s.refused(UNKNOWN_SOURCE, error(StatusCode::UNAUTHORIZED, why)),
    };
    let b: SignalBody = match parse(&body) {
        Ok(b) => b,
        Err(r) => return s.refused(&source.name, *r),
    };
    if b.title.trim().is_empty() || b.source.trim().is_empty() {
        return s.refused(&source.name, error(StatusCode::UNPROCESSABLE_ENTITY, "source and title must not be empty"));
    }
    // An Idempotency-Key lets a sender retry without taking the same report in twice.
    let dedup_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("http:{}:{}", source.name, k.chars().take(200).collect::<String>()));
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

async fn alertmanager(State(s): State<Intakes>, headers: HeaderMap, body: Body) -> Response {
    alert_webhook(s, SourceKind::Alertmanager, headers, body).await
}

async fn grafana(State(s): State<Intakes>, headers: HeaderMap, body: Body) -> Response {
    alert_webhook(s, SourceKind::Grafana, headers, body).await
}

/// Alertmanager (webhook version 4) and Grafana send the same shape: a batch of alerts,
/// each firing or resolved, each with a fingerprint that names it across notifications.
async fn alert_webhook(s: Intakes, kind: SourceKind, headers: HeaderMap, body: Body) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return s.refused(UNKNOWN_SOURCE, rejection.into_response()),
    };
    let source = match s.credentials.check(kind, &headers, &body) {
        Verdict::Allowed(source) => source,
        Verdict::Denied(why) => return s.refused(UNKNOWN_SOURCE, error(StatusCode::UNAUTHORIZED, why)),
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
