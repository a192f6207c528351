//! Starting and stopping tocsin: the store, the core, the delivery worker and every
//! platform bot.toml enables. `tocsin run` adds the console and OS signals on top.

use crate::app::App;
use crate::app::intake::Pipeline;
use crate::clock::{Clock, SystemClock};
use crate::config::discord::DISCORD_TOKEN_ENV;
use crate::config::{Config, TELEGRAM_TOKEN_ENV, TELEGRAM_WEBHOOK_SECRET_ENV};
use crate::delivery::{Sender, Worker};
use crate::i18n::I18n;
use crate::intake::auth::Credentials;
use crate::intake::feeds::{FeedConfig, Feeds};
use crate::leadership::{self, Leader};
use crate::platform::discord::{self, sender::DiscordSender};
use crate::platform::robots::RobotSender;
use crate::platform::telegram::{self, Inbound, sender::TelegramSender};
use crate::platform::{Platform, console};
use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long shutdown waits for queued messages to go out.
const DRAIN: Duration = Duration::from_secs(5);

/// Secrets come from the environment only, and are never logged.
#[derive(Default, Clone)]
pub struct Secrets {
    pub telegram_token: Option<String>,
    pub telegram_webhook_secret: Option<String>,
    pub discord_token: Option<String>,
    /// Environment variables for the credentials bot.toml names (`token_env`, `hmac_env`);
    /// `None` reads the process environment. Tests pass their own.
    pub vars: Option<std::collections::HashMap<String, String>>,
}

impl Secrets {
    fn var(&self, name: &str) -> Option<String> {
        match &self.vars {
            Some(vars) => vars.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }
}

impl Secrets {
    pub fn from_env() -> Secrets {
        let var = |k| std::env::var(k).ok().filter(|v: &String| !v.trim().is_empty());
        Secrets {
            telegram_token: var(TELEGRAM_TOKEN_ENV),
            telegram_webhook_secret: var(TELEGRAM_WEBHOOK_SECRET_ENV),
            discord_token: var(DISCORD_TOKEN_ENV),
            vars: None,
        }
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(..)")
    }
}

/// Everything running in the background, and the way to stop it.
pub struct Services {
    pub app: Arc<App>,
    pub worker: Arc<Worker>,
    /// Where the Telegram webhook listens, in webhook mode.
    pub webhook_addr: Option<SocketAddr>,
    /// Where the intake webhooks and `/metrics`, `/readyz` listen, when `[http]` is configured.
    pub http_addr: Option<SocketAddr>,
    /// Where the public status page listens, when `[status_page]` is configured.
    pub status_addr: Option<SocketAddr>,
    /// Whether this instance leads (polls the platforms and sends to them).
    pub leader: Leader,
    stop: watch::Sender<bool>,
    tasks: JoinSet<anyhow::Result<()>>,
    /// This instance's claim on a SQLite file, released when it stops.
    _instance: crate::store::instance::InstanceLock,
}

pub async fn start(config: Config, clock: Arc<dyn Clock>, secrets: Secrets) -> anyhow::Result<Services> {
    let config = Arc::new(config);
    let store = crate::store::connect(&config.database_url).await?;
    let instance = crate::store::instance::claim(&config.database_url)?;
    refuse_newer_schema(store.as_ref()).await?;
    store.migrate().await.context("migrating the database")?;
    let i18n = Arc::new(I18n::new()?);
    let app = Arc::new(App::new(store.clone(), config.clone(), i18n.clone(), clock.clone()));
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let leader = if config.database_url.starts_with("sqlite:") {
        Leader::always()
    } else {
        let (leader, keeping) = leadership::campaign(store.clone(), leadership::holder_name(), stopped.clone());
        tasks.spawn(keeping);
        leader
    };
    let mut senders: Vec<Arc<dyn Sender>> = Vec::new();
    let mut webhook_addr = None;

    if config.platforms_in_use().contains(&Platform::Console) {
        senders.push(Arc::new(console::ConsoleSender));
    }
    if let Some(tg) = &config.telegram {
        let token = secrets
            .telegram_token
            .as_deref()
            .with_context(|| format!("bot.toml has a [telegram] section but {TELEGRAM_TOKEN_ENV} is not set"))?;
        let bot = telegram::bot(tg, token)?;
        let username = telegram::introduce(&bot, &i18n, config.default_locale).await?;
        tracing::info!(%username, "connected to Telegram");
        app.telemetry().links.up(Platform::Telegram, clock.now(), telegram::freshness(tg));
        senders.push(Arc::new(TelegramSender::new(bot.clone(), store.clone(), clock.clone())));
        let inbound = Inbound { app: app.clone(), bot, username };
        let (addr, receiving) = telegram::start_receiving(
            inbound,
            tg,
            secrets.telegram_webhook_secret.clone(),
            leader.clone(),
            stopped.clone(),
        )
        .await?;
        webhook_addr = addr;
        tasks.spawn(receiving);
    }
    let http_addr = start_intake(&config, &store, &app, &clock, &secrets, &leader, &stopped, &mut tasks).await?;
    let status_addr = start_status_page(&config, &store, &i18n, &clock, &stopped, &mut tasks).await?;
    if let Some(dc) = &config.discord {
        let token = secrets
            .discord_token
            .as_deref()
            .with_context(|| format!("bot.toml has a [discord] section but {DISCORD_TOKEN_ENV} is not set"))?;
        let rest = discord::rest::Rest::new(&discord::base(dc), token)?;
        senders.push(Arc::new(DiscordSender::new(rest, store.clone(), clock.clone(), config.clone())));
        if leader.is_sole() {
            // Alone on its database: a wrong token or address stops the start, as it should.
            tasks.spawn(discord::connect(app.clone(), i18n.clone(), dc, token, stopped.clone()).await?);
        } else {
            let (app, i18n, dc, token) = (app.clone(), i18n.clone(), dc.clone(), token.to_string());
            tasks.spawn(leadership::while_leading(
                leader.clone(),
                stopped.clone(),
                "the Discord gateway",
                move |term| {
                    let (app, i18n, dc, token) = (app.clone(), i18n.clone(), dc.clone(), token.clone());
                    async move { discord::connect(app, i18n, &dc, &token, term).await?.await }
                },
            ));
        }
    } else if config.platforms_in_use().contains(&Platform::Discord) {
        // Accepted so a team can prepare bot.toml before it has a Discord application.
        tracing::warn!("Discord chats are configured but there is no [discord] section; their messages stay queued");
    }

    for platform in Platform::ROBOTS {
        let sender = RobotSender::from_config(platform, &config, clock.clone(), |name| secrets.var(name))?;
        if let Some(sender) = sender {
            tracing::info!(%platform, "group robots ready to post");
            senders.push(Arc::new(sender));
        }
    }

    for (grade, needed, leaders) in config.unreachable_quorums() {
        tracing::warn!(
            %grade, needed, leaders,
            "[approvals] quorum asks more leaders than bot.toml has: drafts of this grade can never be approved"
        );
    }
    app.queue_reports().await.context("queueing the daily reports")?;
    let scheduler = app.clone();
    let until_stopped = stopped.clone();
    tasks.spawn(async move {
        crate::app::scheduler::run(scheduler, until_stopped).await;
        Ok(())
    });
    if let Some(retention) = config.retention.clone() {
        tasks.spawn(crate::app::retention::keep_purging(store.clone(), clock.clone(), retention, stopped.clone()));
    }
    let worker = Arc::new(
        Worker::new(store, config.clone(), i18n, clock, senders, app.outbox_signal())
            .with_telemetry(app.telemetry())
            .with_leader(leader.clone()),
    );
    let w = worker.clone();
    tasks.spawn(async move {
        w.run(stopped).await;
        Ok(())
    });
    Ok(Services { app, worker, webhook_addr, http_addr, status_addr, leader, stop, tasks, _instance: instance })
}

/// The public status page, when bot.toml has a `[status_page]`.
async fn start_status_page(
    config: &Arc<Config>,
    store: &Arc<dyn crate::store::Store>,
    i18n: &Arc<I18n>,
    clock: &Arc<dyn Clock>,
    stopped: &watch::Receiver<bool>,
    tasks: &mut JoinSet<anyhow::Result<()>>,
) -> anyhow::Result<Option<SocketAddr>> {
    let Some(page) = &config.status_page else { return Ok(None) };
    let listener = tokio::net::TcpListener::bind(page.listen)
        .await
        .with_context(|| format!("listening for the status page on {}", page.listen))?;
    let addr = listener.local_addr()?;
    let router =
        crate::status_page::router(store.clone(), page.clone(), config.default_locale, i18n.clone(), clock.now());
    tracing::info!(%addr, "status page listening");
    tasks.spawn(serve(listener, router, stopped.clone(), "serving the status page"));
    Ok(Some(addr))
}

/// Serves `router` on `listener` until the stop signal, then finishes the requests in flight.
async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
    what: &'static str,
) -> anyhow::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await
        .context(what)
}

/// The `[http]` listener (the operations routes, and the intake webhooks when there are
/// `[[sources]]`) and feed polling, when bot.toml configures them. jieba's dictionary is
/// loaded once here (≈110 ms, ≈35 MB) and only when something will take signals in.
#[allow(clippy::too_many_arguments)] // what `start` has built so far, passed along
async fn start_intake(
    config: &Arc<Config>,
    store: &Arc<dyn crate::store::Store>,
    app: &Arc<App>,
    clock: &Arc<dyn Clock>,
    secrets: &Secrets,
    leader: &Leader,
    stopped: &watch::Receiver<bool>,
    tasks: &mut JoinSet<anyhow::Result<()>>,
) -> anyhow::Result<Option<SocketAddr>> {
    // Drills inject through the same pipeline, so scenarios alone start it too.
    let pipeline = if config.sources.is_empty() && config.feeds.is_empty() && config.drills.is_empty() {
        None
    } else {
        let dict = config.user_dict.as_deref();
        let analyzer = Arc::new(crate::text::Analyzer::new(dict).context("loading the jieba dictionaries")?);
        Some(Arc::new(Pipeline::new(
            store.clone(),
            config.clone(),
            analyzer,
            clock.clone(),
            app.outbox_signal(),
            app.jobs_signal(),
        )))
    };
    if let Some(p) = &pipeline {
        app.set_pipeline(p.clone());
    }
    let telemetry = app.telemetry();
    let mut addr = None;
    if let Some(http) = &config.http {
        let metrics_token = match &http.metrics_token_env {
            Some(var) => Some(secrets.var(var).filter(|t| !t.is_empty()).with_context(|| {
                format!("[http] metrics_token_env names {var}, but that environment variable is not set")
            })?),
            None => None,
        };
        let ops = crate::ops::Ops {
            store: store.clone(),
            config: config.clone(),
            telemetry: telemetry.clone(),
            clock: clock.clone(),
            metrics_token,
            leader: leader.clone(),
        };
        let mut router = crate::ops::router(Arc::new(ops));
        if let Some(pipeline) = pipeline.as_ref().filter(|_| !config.sources.is_empty()) {
            let credentials = Arc::new(Credentials::from_env(&config.sources, |k| secrets.var(k))?);
            let intake = crate::intake::http::router(crate::intake::http::Settings {
                pipeline: pipeline.clone(),
                credentials,
                store: store.clone(),
                clock: clock.clone(),
                telemetry: telemetry.clone(),
                sources: config.sources.clone(),
                body_limit: http.body_limit,
                body_timeout: http.limits.body_timeout,
                max_in_flight: http.limits.max_in_flight,
            });
            router = router.merge(intake);
            if config.sources.iter().any(|s| s.hmac_env.is_some()) {
                tasks.spawn(forget_sightings(store.clone(), clock.clone(), stopped.clone()));
            }
        }
        let limits = http.limits.clone();
        let head_limits = limits.clone();
        let router = router
            .layer(axum::middleware::from_fn(crate::intake::limits::json_errors))
            .layer(axum::middleware::from_fn(move |r, n| {
                crate::intake::limits::bounded_head(head_limits.clone(), r, n)
            }))
            .layer(axum::middleware::from_fn(crate::ops::request_id::layer));
        let listener = tokio::net::TcpListener::bind(http.listen)
            .await
            .with_context(|| format!("listening for intake webhooks on {}", http.listen))?;
        let local = listener.local_addr()?;
        addr = Some(local);
        tracing::info!(addr = %local, "intake webhooks, /metrics and /readyz listening");
        let stop = stopped.clone();
        tasks.spawn(async move {
            crate::intake::server::serve(listener, router, limits, stop).await.context("serving the intake webhooks")
        });
    }
    if let Some(pipeline) = pipeline.filter(|_| !config.feeds.is_empty()) {
        let feeds: Vec<FeedConfig> = config
            .feeds
            .iter()
            .map(|f| FeedConfig {
                name: f.name.clone(),
                url: f.url.clone(),
                interval: f.interval,
                tags: f.tags.clone(),
            })
            .collect();
        let counted = Arc::new(crate::intake::Counted { sink: pipeline, telemetry });
        let poller = Arc::new(Feeds::new(feeds, store.clone(), counted, clock.clone()));
        // Polled by the leader only: every instance polling would fetch each feed once each.
        tasks.spawn(leadership::while_leading(leader.clone(), stopped.clone(), "feed polling", move |term| {
            let poller = poller.clone();
            async move {
                poller.run(term).await;
                Ok(())
            }
        }));
    }
    Ok(addr)
}

/// Refuses to start on a database a newer tocsin has migrated: this build would misread
/// what it does not know (a state, a column's meaning), and cannot undo the migrations.
async fn refuse_newer_schema(store: &dyn crate::store::Store) -> anyhow::Result<()> {
    let schema = match store.schema().await {
        Ok(schema) => schema,
        // A database that has never been migrated has no history to compare with.
        Err(_) => return Ok(()),
    };
    if let Some(newest) = schema.unknown.iter().max() {
        anyhow::bail!(
            "this database was migrated by a newer tocsin (migration {newest}, which this build does not know); \
             run that version or a newer one, or restore a backup taken before the upgrade"
        );
    }
    Ok(())
}

/// Deletes the replay table's rows whose window has passed, once a minute (any instance may;
/// a failure is retried at the next turn).
async fn forget_sightings(
    store: Arc<dyn crate::store::Store>,
    clock: Arc<dyn Clock>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    loop {
        if let Err(e) = store.forget_sightings(clock.now()).await {
            tracing::warn!(error = %e, "forgetting old intake signatures failed");
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(()),
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}

impl Services {
    /// Resolves when a background task ends on its own (which it only does on failure).
    pub async fn failed(&mut self) -> anyhow::Error {
        match self.tasks.join_next().await {
            Some(Ok(Err(e))) => e,
            Some(Ok(Ok(()))) => anyhow::anyhow!("a background task stopped unexpectedly"),
            Some(Err(e)) => anyhow::Error::new(e).context("a background task panicked"),
            None => std::future::pending().await,
        }
    }

    /// Stops receiving, delivers what is queued (for a few seconds at most), and stops.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while let Ok(Some(r)) = tokio::time::timeout(DRAIN, self.tasks.join_next()).await {
            if let Ok(Err(e)) = r {
                tracing::warn!(error = ?e, "a task ended with an error while stopping");
            }
        }
        self.tasks.abort_all();
        self.worker.drain(DRAIN).await;
    }
}

/// `tocsin run`: everything bot.toml enables, plus the console, until end of input (when
/// the console is on), Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let console = config.console.clone();
    let mut services = start(config, Arc::new(SystemClock), Secrets::from_env()).await?;
    tracing::info!(platforms = ?services.app.config().platforms_in_use(), "tocsin is running");
    let (app, worker) = (services.app.clone(), services.worker.clone());
    let result = tokio::select! {
        r = async {
            match &console {
                Some(c) => console::run(&app, &worker, c, tokio::io::BufReader::new(tokio::io::stdin())).await,
                None => std::future::pending().await,
            }
        } => r,
        e = services.failed() => Err(e),
        _ = shutdown_signal() => { tracing::info!("signal received, shutting down"); Ok(()) }
    };
    services.shutdown().await;
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
