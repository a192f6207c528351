//! Feeds through the whole pipeline: a local feed server's items become graded cases once,
//! and a restart takes none of them in again.

use crate::support;

use crate::feeds::server::{FeedServer, Item};
use chrono::Utc;
use std::time::{Duration, Instant};
use support::TestDb;
use support::intake::{Intake, config};
use tocsin::domain::{CaseId, Grade};
use tocsin::store::CaseFilter;

fn item(id: &str, title: &str, body: &str) -> Item {
    Item {
        id: id.into(),
        title: title.into(),
        link: format!("https://news.example/{id}"),
        published: Utc::now(),
        body: body.into(),
    }
}

async fn cases(intake: &Intake) -> usize {
    intake.store.cases(&CaseFilter::default()).await.unwrap().len()
}

async fn wait_for_cases(intake: &Intake, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while cases(intake).await < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(cases(intake).await, n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_items_become_cases_once_even_across_a_restart() {
    let (server, base) = FeedServer::start().await;
    server.rss.lock().unwrap().add(item("a1", "朝阳区居民楼燃气泄漏", "<p>居民报告闻到燃气味，消防已到场。</p>"));
    server.rss.lock().unwrap().add(item(
        "a2",
        "Power outage in the old town",
        "<p>Four thousand homes without power.</p>",
    ));
    let text = config(&format!(
        "\n[[feeds]]\nname = \"city-news\"\nurl = \"{base}/rss.xml\"\ninterval = \"1s\"\nweight = 0.5\n"
    ));

    let intake = Intake::start_on(text.clone(), TestDb::sqlite()).await;
    wait_for_cases(&intake, 2).await;
    let gas = intake.store.case(CaseId::parse("1").unwrap()).await.unwrap().unwrap();
    assert_eq!((gas.title.as_str(), gas.source.as_str()), ("朝阳区居民楼燃气泄漏", "https://news.example/a1"));
    assert_eq!(gas.grade, Grade::III, "safety ×2 from a half-weight source");
    let db = intake.shutdown_keeping_db().await;

    server.rss.lock().unwrap().add(item("a3", "Water main burst on 5th Avenue", "<p>Flooding reported.</p>"));
    server.rss.lock().unwrap().ignore_validators = true; // the whole feed again, old items included
    let intake = Intake::start_on(text, db).await;
    wait_for_cases(&intake, 3).await;
    tokio::time::sleep(Duration::from_millis(2500)).await; // more polls come and go
    assert_eq!(cases(&intake).await, 3, "a1 and a2 were not taken in again");
    intake.shutdown().await;
}
