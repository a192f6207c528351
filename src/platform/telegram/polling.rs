//! Long polling with `getUpdates`, resuming from the last confirmed update after a restart.

use super::Inbound;
use crate::platform::Platform;
use std::time::Duration;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::prelude::Requester;
use teloxide::types::AllowedUpdate;
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;

const OFFSET_KEY: &str = "telegram.offset";

/// See [`super::freshness`]: two client timeouts of a long poll.
pub fn freshness(timeout: u32) -> chrono::Duration {
    chrono::Duration::seconds(2 * (i64::from(timeout) + 7))
}

pub async fn run(inbound: Inbound, timeout: u32, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let store = inbound.app.store();
    // Telegram refuses getUpdates while a webhook is set.
    if let Err(e) = teloxide::prelude::Requester::delete_webhook(&inbound.bot).await {
        tracing::warn!(error = %e, "could not remove a webhook before polling");
    }
    // Where the last poller (this instance or another) stopped; a database that does not
    // answer is waited for, not a reason to start from the oldest update or to stop polling.
    let mut offset: i32 = loop {
        match store.setting(OFFSET_KEY).await {
            Ok(saved) => break saved.and_then(|s| s.parse().ok()).unwrap_or(0),
            Err(e) => {
                tracing::warn!(error = %e, "could not read where polling stopped; trying again shortly");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = shutdown.changed() => return Ok(()),
                }
            }
        }
    };
    let mut failures: u32 = 0;
    let telemetry = inbound.app.telemetry();
    loop {
        let poll = inbound
            .bot
            .get_updates()
            .offset(offset)
            .timeout(timeout)
            .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
        let updates = tokio::select! {
            r = poll => r,
            _ = shutdown.changed() => return Ok(()),
        };
        match updates {
            Ok(updates) => {
                failures = 0;
                telemetry.links.up(Platform::Telegram, inbound.app.now(), Some(freshness(timeout)));
                for update in &updates {
                    // The core contains its own panics; this covers the adapter around it.
                    let _ = crate::app::contain::contained("handling a Telegram update", inbound.handle(update)).await;
                    offset = offset.max(i32::try_from(update.id.0).unwrap_or(i32::MAX).saturating_add(1));
                }
                // Kept in memory too: a failed save costs at most a redelivery, which the
                // handled-event keys answer once.
                if !updates.is_empty()
                    && let Err(e) = store.set_setting(OFFSET_KEY, &offset.to_string(), inbound.app.now()).await
                {
                    tracing::warn!(error = %e, "could not save where polling stopped");
                }
            }
            Err(e) => {
                failures += 1;
                telemetry.links.down(Platform::Telegram, inbound.app.now(), format!("getUpdates: {e}"));
                let wait = match &e {
                    RequestError::RetryAfter(s) => s.duration(),
                    _ => Duration::from_secs(2u64.pow(failures.min(5))),
                };
                if matches!(e, RequestError::Api(ApiError::InvalidToken)) {
                    anyhow::bail!("Telegram rejected the bot token (TELOXIDE_TOKEN)");
                }
                tracing::warn!(error = %e, ?wait, "getUpdates failed; polling again after a pause");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => return Ok(()),
                }
            }
        }
        if *shutdown.borrow() {
            return Ok(());
        }
    }
}
