//! The operations endpoints, served on the `[http]` listener next to the intake webhooks:
//!
//! - `GET /healthz` — `ok` while the process answers at all;
//! - `GET /readyz` — 200 when tocsin can do its work (the database answers, its migrations are
//!   this build's, each platform in use is connected), else 503; the JSON body names each check
//!   ([`readiness`]);
//! - `GET /metrics` — the Prometheus text format ([`crate::telemetry`]), behind a bearer token
//!   when `[http] metrics_token_env` names one.
//!
//! Every request on that listener gets a request id ([`request_id`]).

pub mod readiness;
pub mod request_id;

use crate::clock::Clock;
use crate::config::Config;
use crate::intake::auth::constant_time_eq;
use crate::store::Store;
use crate::telemetry::{CONTENT_TYPE, Telemetry};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;

/// How long a scrape or a readiness check waits for the database: an orchestrator's probe
/// gives up after a few seconds, and a pool waiting for a dead server would wait 30.
pub const PATIENCE: Duration = Duration::from_secs(3);

/// What the endpoints read.
pub struct Ops {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub telemetry: Arc<Telemetry>,
    pub clock: Arc<dyn Clock>,
    /// The bearer token `/metrics` asks for, if bot.toml names its variable.
    pub metrics_token: Option<String>,
    /// Whether this instance leads: a standby keeps no platform connection of its own.
    pub leader: crate::leadership::Leader,
}

impl std::fmt::Debug for Ops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ops(..)")
    }
}

pub fn router(ops: Arc<Ops>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(ops)
}

async fn readyz(State(ops): State<Arc<Ops>>) -> Response {
    let report = readiness::check(&ops).await;
    let status = if report.ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    if !report.ready() {
        tracing::warn!(failed = ?report.failed(), "not ready");
    }
    no_store((status, Json(report.to_json())).into_response())
}

async fn metrics(State(ops): State<Arc<Ops>>, headers: HeaderMap) -> Response {
    if let Some(token) = &ops.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
            let mut response =
                (StatusCode::UNAUTHORIZED, "send Authorization: Bearer <metrics token>\n").into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    let now = ops.clock.now();
    let read = crate::app::gauges::snapshot(ops.store.as_ref(), &ops.config, now);
    // The process's own counters are worth showing even when the ledger cannot be read.
    let snapshot = match tokio::time::timeout(PATIENCE, read).await {
        Ok(Ok(s)) => Some(s),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "/metrics could not read the ledger");
            None
        }
        Err(_) => {
            tracing::warn!("/metrics gave up waiting for the ledger");
            None
        }
    };
    match ops.telemetry.render(snapshot.as_ref()) {
        Ok(text) => no_store(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "rendering /metrics failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "the metrics could not be rendered\n").into_response()
        }
    }
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
