//! The feed poller against a local feed server and a real SQLite ledger: new items become
//! signals once, even across a restart; conditional GETs; bad feeds never stop good ones.

/// The local feed server, shared with `intake_feeds`.
pub mod server;
use crate::support;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use server::{FeedServer, Item};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::TestDb;
use tocsin::clock::{Clock, ManualClock};
use tocsin::domain::CaseId;
use tocsin::intake::feeds::{FeedConfig, Feeds};
use tocsin::intake::{Intake, RawSignal, SignalSink};
use tocsin::store::{CaseWrite, Commit, Store, StoreError};

/// Stands in for the intake pipeline: records each signal's `dedup_key` in the same commit
/// as what it does, as the real pipeline does, and keeps the signals it took in.
struct RecordingSink {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    taken: Mutex<Vec<RawSignal>>,
    fail_after: Mutex<Option<usize>>,
    failed: AtomicBool,
}

impl RecordingSink {
    fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Arc<RecordingSink> {
        Arc::new(RecordingSink {
            store,
            clock,
            taken: Mutex::new(vec![]),
            fail_after: Mutex::new(None),
            failed: AtomicBool::new(false),
        })
    }

    fn titles(&self) -> Vec<String> {
        self.taken.lock().unwrap().iter().map(|s| s.title.clone()).collect()
    }
}

#[async_trait]
impl SignalSink for RecordingSink {
    async fn accept(&self, signal: RawSignal) -> anyhow::Result<Intake> {
        if let Some(left) = self.fail_after.lock().unwrap().as_mut() {
            if *left == 0 {
                self.failed.store(true, Ordering::SeqCst);
                anyhow::bail!("the pipeline is down");
            }
            *left -= 1;
        }
        let at = self.clock.now();
        let commit = Commit { handled: signal.dedup_key.clone(), ..Commit::new(CaseWrite::None, at) };
        match self.store.commit(commit).await {
            Ok(_) => {}
            Err(StoreError::Duplicate) => return Ok(Intake::Duplicate),
            Err(e) => return Err(e.into()),
        }
        let mut taken = self.taken.lock().unwrap();
        taken.push(signal);
        Ok(Intake::Opened(CaseId::from_db(taken.len() as i64)))
    }
}

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

fn item(n: i64, title: &str) -> Item {
    Item {
        id: format!("urn:item:{n}"),
        title: title.to_string(),
        link: format!("http://news.test/items/{n}"),
        published: t(n),
        body: format!("<p>Item <b>{n}</b> &amp; more</p>"),
    }
}

fn feed(name: &str, base: &str, path: &str, interval_ms: u64) -> FeedConfig {
    FeedConfig {
        name: name.to_string(),
        url: format!("{base}{path}").parse().unwrap(),
        interval: Duration::from_millis(interval_ms),
        tags: vec!["news".to_string()],
    }
}

/// A poller on `db` (a fresh store connection each time, as after a restart) and its sink.
async fn poller(db: &TestDb, feeds: Vec<FeedConfig>) -> (Feeds, Arc<RecordingSink>) {
    let store = db.store().await;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::at(t(100)));
    let sink = RecordingSink::new(store.clone(), clock.clone());
    (Feeds::new(feeds, store, sink.clone(), clock), sink)
}

#[tokio::test]
async fn new_items_become_signals_once() {
    let (server, base) = FeedServer::start().await;
    server.rss.lock().unwrap().add(item(1, "First"));
    server.rss.lock().unwrap().add(item(2, "Second"));
    let db = TestDb::sqlite();
    let rss = feed("wire", &base, "/rss.xml", 60_000);
    let (feeds, sink) = poller(&db, vec![rss.clone()]).await;

    assert_eq!(feeds.poll_once(&rss).await.unwrap(), 2);
    assert_eq!(sink.titles(), ["First", "Second"], "oldest first");
    assert_eq!(feeds.poll_once(&rss).await.unwrap(), 0);
    assert_eq!(sink.titles().len(), 2);
    assert_eq!(server.rss.lock().unwrap().not_modified, 1, "the second poll was answered 304");

    server.rss.lock().unwrap().add(item(3, "Third"));
    assert_eq!(feeds.poll_once(&rss).await.unwrap(), 1);
    assert_eq!(sink.titles(), ["First", "Second", "Third"]);
}

#[tokio::test]
async fn items_already_taken_in_are_skipped_when_the_server_ignores_conditional_get() {
    let (server, base) = FeedServer::start().await;
    server.atom.lock().unwrap().ignore_validators = true;
    server.atom.lock().unwrap().add(item(1, "One"));
    let db = TestDb::sqlite();
    let atom = feed("atom", &base, "/atom.xml", 60_000);
    let (feeds, sink) = poller(&db, vec![atom.clone()]).await;

    assert_eq!(feeds.poll_once(&atom).await.unwrap(), 1);
    server.atom.lock().unwrap().add(item(2, "Two"));
    assert_eq!(feeds.poll_once(&atom).await.unwrap(), 1);
    assert_eq!(feeds.poll_once(&atom).await.unwrap(), 0);
    assert_eq!(sink.titles(), ["One", "Two"]);
    assert_eq!(server.atom.lock().unwrap().not_modified, 0, "every answer was a whole feed");
}

#[tokio::test]
async fn items_come_across_a_restart_only_once() {
    let (server, base) = FeedServer::start().await;
    server.rss.lock().unwrap().ignore_validators = true;
    server.rss.lock().unwrap().add(item(1, "Before"));
    let db = TestDb::sqlite();
    let rss = feed("wire", &base, "/rss.xml", 60_000);
    {
        let (feeds, sink) = poller(&db, vec![rss.clone()]).await;
        assert_eq!(feeds.poll_once(&rss).await.unwrap(), 1);
        assert_eq!(sink.titles(), ["Before"]);
    }

    server.rss.lock().unwrap().add(item(2, "After"));
    let (feeds, sink) = poller(&db, vec![rss.clone()]).await;
    assert_eq!(feeds.poll_once(&rss).await.unwrap(), 1);
    assert_eq!(sink.titles(), ["After"], "the item taken in before the restart does not come again");
}

#[tokio::test]
async fn a_restarted_poller_sends_the_stored_etag_and_a_304_yields_nothing() {
    let (server, base) = FeedServer::start().await;
    server.rss.lock().unwrap().add(item(1, "Only"));
    let db = TestDb::sqlite();
    let rss = feed("wire", &base, "/rss.xml", 60_000);
    {
        let (feeds, _) = poller(&db, vec![rss.clone()]).await;
        assert_eq!(feeds.poll_once(&rss).await.unwrap(), 1);
    }
    let store = db.store().await;
    assert_eq!(store.setting("feed.wire.etag").await.unwrap().as_deref(), Some("\"v1\""));
    let last_modified = store.setting("feed.wire.last_modified").await.unwrap();
    assert_eq!(last_modified.as_deref(), Some("Thu, 01 Jan 2026 00:00:01 GMT"));

    let (feeds, sink) = poller(&db, vec![rss.clone()]).await;
    assert_eq!(feeds.poll_once(&rss).await.unwrap(), 0);
    assert!(sink.titles().is_empty());
    let state = server.rss.lock().unwrap();
    assert_eq!(state.validators[0], (None, None), "the very first request is unconditional");
    assert_eq!(state.validators[1], (Some("\"v1\"".to_string()), last_modified));
    assert_eq!(state.not_modified, 1);
}

#[tokio::test]
async fn a_poll_that_fails_halfway_takes_the_rest_next_time() {
    let (server, base) = FeedServer::start().await;
    for n in 1..=3 {
        server.rss.lock().unwrap().add(item(n, &format!("Item {n}")));
    }
    let db = TestDb::sqlite();
    let rss = feed("wire", &base, "/rss.xml", 60_000);
    let (feeds, sink) = poller(&db, vec![rss.clone()]).await;
    *sink.fail_after.lock().unwrap() = Some(1);

    assert!(feeds.poll_once(&rss).await.is_err());
    assert!(sink.failed.load(Ordering::SeqCst));
    *sink.fail_after.lock().unwrap() = None;
    assert_eq!(feeds.poll_once(&rss).await.unwrap(), 2, "the ETag was not kept, so the feed came whole again");
    assert_eq!(sink.titles(), ["Item 1", "Item 2", "Item 3"]);
}

#[tokio::test]
async fn atom_and_rss_both_map_title_link_published_and_guid() {
    let (server, base) = FeedServer::start().await;
    server.rss.lock().unwrap().add(item(7, "RSS item"));
    server.atom.lock().unwrap().add(item(8, "Atom entry"));
    let db = TestDb::sqlite();
    let (rss, atom) = (feed("wire", &base, "/rss.xml", 60_000), feed("blog", &base, "/atom.xml", 60_000));
    let (feeds, sink) = poller(&db, vec![rss.clone(), atom.clone()]).await;
    feeds.poll_once(&rss).await.unwrap();
    feeds.poll_once(&atom).await.unwrap();

    let taken = sink.taken.lock().unwrap();
    let (r, a) = (&taken[0], &taken[1]);
    assert_eq!((r.source.as_str(), r.title.as_str()), ("wire", "RSS item"));
    assert_eq!(r.url.as_deref(), Some("http://news.test/items/7"));
    assert_eq!(r.occurred_at, Some(t(7)));
    assert_eq!(r.dedup_key.as_deref(), Some("feed:wire:urn:item:7"));
    assert_eq!(r.body, "Item 7 & more", "HTML is stripped to text");
    assert_eq!((r.tags.clone(), r.fingerprint.clone()), (vec!["news".to_string()], None));

    assert_eq!((a.source.as_str(), a.title.as_str()), ("blog", "Atom entry"));
    assert_eq!(a.url.as_deref(), Some("http://news.test/items/8"), "the alternate link, not the edit link");
    assert_eq!(a.occurred_at, Some(t(8)), "published, not updated");
    assert_eq!(a.dedup_key.as_deref(), Some("feed:blog:urn:item:8"));
    assert_eq!(a.body, "Item 8 & more");
}

#[tokio::test]
async fn items_without_a_guid_are_known_by_their_link_or_a_hash_of_their_title() {
    let (server, base) = FeedServer::start().await;
    server.rss.lock().unwrap().ignore_validators = true;
    server.rss.lock().unwrap().add(Item { id: String::new(), ..item(1, "Linked") });
    server.rss.lock().unwrap().add(Item { id: String::new(), link: String::new(), ..item(2, "Bare") });
    let db = TestDb::sqlite();
    let rss = feed("wire", &base, "/rss.xml", 60_000);
    let (feeds, sink) = poller(&db, vec![rss.clone()]).await;

    assert_eq!(feeds.poll_once(&rss).await.unwrap(), 2);
    assert_eq!(feeds.poll_once(&rss).await.unwrap(), 0, "a made-up id is the same every time");
    let keys: Vec<_> = sink.taken.lock().unwrap().iter().map(|s| s.dedup_key.clone().unwrap()).collect();
    assert_eq!(keys[0], "feed:wire:http://news.test/items/1");
    assert!(keys[1].starts_with("feed:wire:sha256:"), "{}", keys[1]);
}

#[tokio::test]
async fn chinese_titles_survive() {
    let (server, base) = FeedServer::start().await;
    let title = "南京市长江大桥附近燃气泄漏，消防已到场";
    server.rss.lock().unwrap().add(Item { body: "<p>现场&nbsp;已疏散 200 人</p>".into(), ..item(1, title) });
    server.atom.lock().unwrap().add(item(2, "上海地铁2号线故障 · 延误"));
    // A GBK-encoded feed: 燃气泄漏 is C8BC C6F8 D0B9 C2A9 in GBK.
    let mut gbk = b"<?xml version=\"1.0\" encoding=\"GBK\"?><rss version=\"2.0\"><channel><title>t</title>\
        <item><guid>g1</guid><title>"
        .to_vec();
    gbk.extend_from_slice(&[0xc8, 0xbc, 0xc6, 0xf8, 0xd0, 0xb9, 0xc2, 0xa9]);
    gbk.extend_from_slice(b"</title></item></channel></rss>");
    *server.raw.lock().unwrap() = gbk;
    let db = TestDb::sqlite();
    let feeds_list = vec![
        feed("wire", &base, "/rss.xml", 60_000),
        feed("blog", &base, "/atom.xml", 60_000),
        feed("gbk", &base, "/raw.xml", 60_000),
    ];
    let (feeds, sink) = poller(&db, feeds_list.clone()).await;
    for f in &feeds_list {
        assert_eq!(feeds.poll_once(f).await.unwrap(), 1, "{}", f.name);
    }

    assert_eq!(sink.titles(), [title, "上海地铁2号线故障 · 延误", "燃气泄漏"]);
    assert_eq!(sink.taken.lock().unwrap()[0].body, "现场 已疏散 200 人");
}

#[tokio::test]
async fn a_server_error_garbage_or_an_oversized_feed_is_an_error_for_that_feed() {
    let (server, base) = FeedServer::start().await;
    let db = TestDb::sqlite();
    let bad =
        [("/fail.xml", "HTTP 500"), ("/garbage.xml", "not RSS, Atom"), ("/huge.xml", "larger than 5242880 bytes")];
    let configs: Vec<_> = bad.iter().map(|(path, _)| feed("bad", &base, path, 60_000)).collect();
    let (feeds, sink) = poller(&db, configs.clone()).await;
    for (f, (_, why)) in configs.iter().zip(bad) {
        let e = format!("{:#}", feeds.poll_once(f).await.expect_err(f.url.path()));
        assert!(e.contains(why), "{e}");
    }
    assert!(sink.titles().is_empty());
    assert_eq!(server.failures(), 1);
}

#[tokio::test]
async fn errors_never_show_credentials_from_a_feed_url() {
    let db = TestDb::sqlite();
    // Nothing listens on port 9: the request fails, and its error must not carry the URL.
    let f = feed("private", "http://reader:hunter2@127.0.0.1:9", "/feed.xml?token=s3cret", 60_000);
    let (feeds, _) = poller(&db, vec![f.clone()]).await;
    let e = format!("{:#}", feeds.poll_once(&f).await.unwrap_err());
    assert!(!e.contains("hunter2") && !e.contains("s3cret"), "{e}");
}

#[tokio::test]
async fn a_failing_feed_and_a_garbage_feed_do_not_stop_a_good_one() {
    let (server, base) = FeedServer::start().await;
    server.rss.lock().unwrap().add(item(1, "Early"));
    let db = TestDb::sqlite();
    let list = vec![
        feed("broken", &base, "/fail.xml", 50),
        feed("garbled", &base, "/garbage.xml", 50),
        feed("wire", &base, "/rss.xml", 50),
    ];
    let (feeds, sink) = poller(&db, list).await;
    let (stop, shutdown) = tokio::sync::watch::channel(false);

    let run = async {
        feeds.run(shutdown).await;
    };
    let check = async {
        wait_for(|| sink.titles().len() == 1).await;
        server.rss.lock().unwrap().add(item(2, "Late"));
        wait_for(|| sink.titles().len() == 2).await;
        wait_for(|| server.rss.lock().unwrap().requests >= 10).await;
        let good = server.rss.lock().unwrap().requests;
        let (failed, garbled) = (server.failures(), server.garbage.load(Ordering::SeqCst));
        assert!(failed >= 2 && garbled >= 2, "failing feeds are retried ({failed}, {garbled})");
        assert!(failed < good && garbled < good, "and back off ({failed}, {garbled} vs {good} polls)");
        stop.send(true).unwrap();
    };
    tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(run, check) })
        .await
        .expect("run stops on shutdown");
    assert_eq!(sink.titles(), ["Early", "Late"]);
}

/// Waits (in real time, bounded) until `done` holds.
async fn wait_for(done: impl Fn() -> bool) {
    for _ in 0..2_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting");
}
