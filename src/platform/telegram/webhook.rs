//! Webhook mode: Telegram POSTs each update to an axum route that checks the secret token.

use super::Inbound;
use crate::intake::auth::constant_time_eq;
use anyhow::Context as _;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::net::SocketAddr;
use teloxide::Bot;
use teloxide::payloads::SetWebhookSetters;
use teloxide::prelude::Requester;
use teloxide::types::{AllowedUpdate, Update};
use tokio::sync::watch;

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Updates are small; anything larger is not from Telegram.
const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Clone)]
struct Hook {
    secret: String,
    inbound: Inbound,
}

pub struct Webhook {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Webhook {
    pub async fn bind(listen: SocketAddr, path: &str, secret: String, inbound: Inbound) -> anyhow::Result<Webhook> {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening for webhooks on {listen}"))?;
        let router = Router::new()
            .route(path, post(receive))
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .layer(axum::middleware::from_fn(crate::ops::request_id::layer))
            .with_state(Hook { secret, inbound });
        Ok(Webhook { listener, router })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn serve(self, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|stop| *stop).await;
            })
            .await
            .context("serving the Telegram webhook")
    }
}

/// Tells Telegram where to send updates, and the secret it must send with them.
pub async fn register(bot: &Bot, url: &reqwest::Url, secret: &str) -> anyhow::Result<()> {
    bot.set_webhook(url.clone())
        .secret_token(secret.to_string())
        .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
        .await
        .context("registering the webhook with Telegram (setWebhook)")?;
    Ok(())
}

async fn receive(State(hook): State<Hook>, headers: HeaderMap, body: axum::body::Bytes) -> (StatusCode, String) {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !constant_time_eq(given, hook.secret.as_bytes()) {
        return (StatusCode::UNAUTHORIZED, "missing or wrong X-Telegram-Bot-Api-Secret-Token".into());
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("not a Telegram update: {e}")),
    };
    let app = &hook.inbound.app;
    app.telemetry().links.up(crate::platform::Platform::Telegram, app.now(), None);
    // A panic is logged and contained; answering 200 keeps Telegram from redelivering an
    // update that would only fail again.
    let _ = crate::app::contain::contained("handling a Telegram update", hook.inbound.handle(&update)).await;
    (StatusCode::OK, "ok".into())
}
