//! RSS and Atom feeds: each feed is polled on its own interval with a conditional GET, and
//! each new item becomes one signal, once, even across a restart.
//!
//! - The last response's `ETag` / `Last-Modified` are kept in the store's settings
//!   (`feed.<name>.etag`, `feed.<name>.last_modified`) and sent back as `If-None-Match` /
//!   `If-Modified-Since`; a 304 yields nothing. They are stored only after every item of the
//!   response was taken in, so a failed poll is fetched whole again next time.
//! - An item's `dedup_key` is `feed:<name>:<id>` (GUID/id, else link, else a hash of title
//!   and link). Items already handled are skipped; the sink records the key atomically with
//!   what it does, so a crash between the two cannot make an item a signal twice.
//! - A failing feed (HTTP error, timeout, over [`MAX_BODY`], unparsable) backs off, doubling
//!   from its interval up to [`MAX_BACKOFF`]; the other feeds carry on. Logs name a feed's
//!   URL by scheme, host and path only: the rest may hold credentials.

mod items;

use crate::clock::Clock;
use crate::intake::{Intake, SignalSink};
use crate::store::Store;
use anyhow::{Context as _, bail};
use reqwest::StatusCode;
use reqwest::header::{ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long one feed request may take, from connecting to the last byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// A larger feed document is an error for that feed.
pub const MAX_BODY: usize = 5 * 1024 * 1024;
/// The longest a failing feed waits between attempts (unless its own interval is longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);
/// A shorter (or zero) interval is taken as this, so a misconfigured feed cannot spin.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// Names the feed in signals (`source`), dedup keys and settings.
    pub name: String,
    pub url: reqwest::Url,
    pub interval: Duration,
    /// Given to every signal from this feed (for routing).
    pub tags: Vec<String>,
}

/// The feed poller.
pub struct Feeds {
    inner: Arc<Inner>,
}

struct Inner {
    feeds: Vec<FeedConfig>,
    store: Arc<dyn Store>,
    sink: Arc<dyn SignalSink>,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
}

impl Feeds {
    pub fn new(
        feeds: Vec<FeedConfig>,
        store: Arc<dyn Store>,
        sink: Arc<dyn SignalSink>,
        clock: Arc<dyn Clock>,
    ) -> Feeds {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("tocsin/", env!("CARGO_PKG_VERSION"), " (feed poller)"))
            .build()
            // Only fails when the TLS backend cannot start: nothing can be fetched then.
            .expect("building the feed HTTP client");
        Feeds { inner: Arc::new(Inner { feeds, store, sink, clock, http }) }
    }

    /// Polls every feed on its own interval until `shutdown` turns true; a bad feed (HTTP
    /// error, timeout, unparsable XML) never stops the others.
    ///
    /// Each feed runs in its own task, polled at once and then after its interval (or its
    /// back-off), sleeping in between, so a slow feed never delays another.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        if self.inner.feeds.is_empty() {
            return stopped(&mut shutdown).await;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..self.inner.feeds.len() {
            tasks.spawn(Arc::clone(&self.inner).run_feed(index, shutdown.clone()));
        }
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "a feed poller task ended abnormally");
            }
        }
    }

    /// One poll of one feed now; returns how many new items became signals (for tests and
    /// the first poll).
    pub async fn poll_once(&self, feed: &FeedConfig) -> anyhow::Result<usize> {
        self.inner.poll(feed).await
    }

    pub fn feeds(&self) -> &[FeedConfig] {
        &self.inner.feeds
    }
}

impl Inner {
    async fn run_feed(self: Arc<Self>, index: usize, mut shutdown: watch::Receiver<bool>) {
        let feed = &self.feeds[index];
        let mut failures: u32 = 0;
        while !*shutdown.borrow_and_update() {
            let outcome = tokio::select! {
                outcome = self.poll(feed) => outcome,
                _ = stopped(&mut shutdown) => return,
            };
            match outcome {
                Ok(n) => {
                    if failures > 0 {
                        tracing::info!(feed = %feed.name, "feed is reachable again");
                    }
                    failures = 0;
                    if n > 0 {
                        tracing::debug!(feed = %feed.name, new = n, "feed items taken in");
                    }
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(
                        feed = %feed.name,
                        url = %redacted(&feed.url),
                        failures,
                        retry_in_s = backoff(feed.interval, failures).as_secs(),
                        error = format!("{e:#}"),
                        "polling a feed failed"
                    );
                }
            }
            let wait = backoff(feed.interval, failures);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stopped(&mut shutdown) => return,
            }
        }
    }

    async fn poll(&self, feed: &FeedConfig) -> anyhow::Result<usize> {
        let Some(fetched) = self.fetch(feed).await? else { return Ok(0) };
        let for_parse = feed.clone();
        let signals = tokio::task::spawn_blocking(move || items::signals(&for_parse, &fetched.body))
            .await
            .context("parsing the feed")??;

        let mut seen = HashSet::new();
        let mut taken = 0;
        for signal in signals {
            let key = signal.dedup_key.clone().unwrap_or_default();
            if !seen.insert(key.clone()) || self.store.was_handled(&key).await.context("checking an item")? {
                continue;
            }
            match self.sink.accept(signal).await.with_context(|| format!("taking in item {key:?}"))? {
                Intake::Opened(_) | Intake::Joined(_) => taken += 1,
                Intake::Duplicate => {}
            }
        }

        // Every item is in: only now may the next poll skip this version of the feed.
        let now = self.clock.now();
        let etag = fetched.etag.unwrap_or_default();
        let last_modified = fetched.last_modified.unwrap_or_default();
        self.store.set_setting(&etag_key(feed), &etag, now).await.context("saving the feed's ETag")?;
        self.store
            .set_setting(&last_modified_key(feed), &last_modified, now)
            .await
            .context("saving the feed's Last-Modified")?;
        Ok(taken)
    }

    /// The feed document, or `None` when the server says it has not changed (304).
    async fn fetch(&self, feed: &FeedConfig) -> anyhow::Result<Option<Fetched>> {
        let mut request = self.http.get(feed.url.clone());
        let etag = self.store.setting(&etag_key(feed)).await.context("reading the feed's ETag")?;
        if let Some(etag) = etag.filter(|v| !v.is_empty()) {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let last_modified =
            self.store.setting(&last_modified_key(feed)).await.context("reading the feed's Last-Modified")?;
        if let Some(since) = last_modified.filter(|v| !v.is_empty()) {
            request = request.header(IF_MODIFIED_SINCE, since);
        }

        let mut response = request.send().await.map_err(|e| anyhow::Error::new(e.without_url()))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if !status.is_success() {
            bail!("the server answered HTTP {status}");
        }
        if response.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            bail!("the feed is larger than {MAX_BODY} bytes");
        }
        let etag = header(response.headers(), ETAG);
        let last_modified = header(response.headers(), LAST_MODIFIED);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| anyhow::Error::new(e.without_url()))? {
            if body.len() + chunk.len() > MAX_BODY {
                bail!("the feed is larger than {MAX_BODY} bytes");
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(Fetched { body, etag, last_modified }))
    }
}

struct Fetched {
    body: Vec<u8>,
    etag: Option<String>,
    last_modified: Option<String>,
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

fn etag_key(feed: &FeedConfig) -> String {
    format!("feed.{}.etag", feed.name)
}

fn last_modified_key(feed: &FeedConfig) -> String {
    format!("feed.{}.last_modified", feed.name)
}

/// How long to wait before the next poll after `failures` failures in a row: the interval,
/// doubled per failure, at most [`MAX_BACKOFF`] (or the interval, if that is longer).
fn backoff(interval: Duration, failures: u32) -> Duration {
    let interval = interval.max(MIN_INTERVAL);
    let cap = MAX_BACKOFF.max(interval);
    let factor = 1u32.checked_shl(failures.min(31)).unwrap_or(u32::MAX);
    interval.checked_mul(factor).unwrap_or(cap).min(cap)
}

/// Resolves once `shutdown` is true (or its sender is gone, so it never can be).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

/// A URL as it may be logged: scheme, host, port and path; no user, password or query.
fn redacted(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_the_interval_up_to_half_an_hour() {
        let minute = Duration::from_secs(60);
        assert_eq!(backoff(minute, 0), minute);
        assert_eq!(backoff(minute, 1), 2 * minute);
        assert_eq!(backoff(minute, 3), 8 * minute);
        assert_eq!(backoff(minute, 10), MAX_BACKOFF);
        assert_eq!(backoff(minute, u32::MAX), MAX_BACKOFF);
        assert_eq!(backoff(120 * minute, 2), 120 * minute);
        assert_eq!(backoff(Duration::ZERO, 0), MIN_INTERVAL, "a zero interval does not spin");
    }

    #[test]
    fn logged_urls_carry_no_credentials() {
        let url = reqwest::Url::parse("https://user:secret@news.example:8443/feed.xml?token=abc").unwrap();
        assert_eq!(redacted(&url), "https://news.example:8443/feed.xml");
    }
}
