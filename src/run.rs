//! `tocsin run`: wires the store, the core, the delivery worker and the enabled platforms
//! together, and shuts them down cleanly on end of input, Ctrl-C or SIGTERM.

use crate::app::App;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::delivery::{Sender, Worker};
use crate::i18n::I18n;
use crate::platform::{Platform, console};
use anyhow::Context as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long shutdown waits for queued messages to go out.
const DRAIN: Duration = Duration::from_secs(5);

pub async fn run(config: Config) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let store = crate::store::connect(&config.database_url).await?;
    store.migrate().await.context("migrating the database")?;
    let i18n = Arc::new(I18n::new()?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let app = App::new(store.clone(), config.clone(), i18n.clone(), clock.clone());

    let mut senders: Vec<Arc<dyn Sender>> = Vec::new();
    for platform in config.platforms_in_use() {
        match platform {
            Platform::Console => senders.push(Arc::new(console::ConsoleSender)),
            other => {
                tracing::warn!(%other, "chats are configured for a platform this build cannot reach yet; their messages stay queued")
            }
        }
    }
    let worker = Worker::new(store, config.clone(), i18n, clock, senders, app.outbox_signal());
    let (stop, stopped) = watch::channel(false);

    tracing::info!(platforms = ?config.platforms_in_use(), "tocsin is running");
    let work = async {
        tokio::join!(worker.run(stopped), async {
            let result = match &config.console {
                Some(c) => console::run(&app, &worker, c, tokio::io::BufReader::new(tokio::io::stdin())).await,
                None => {
                    std::future::pending::<()>().await;
                    Ok(())
                }
            };
            let _ = stop.send(true);
            result
        })
        .1
    };
    let result = tokio::select! {
        r = work => r,
        _ = shutdown_signal() => { tracing::info!("signal received, shutting down"); Ok(()) }
    };
    worker.drain(DRAIN).await;
    result
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
