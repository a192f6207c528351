//! The outbox worker on a real SQLite ledger: what a decision queues is rendered in each
//! receiving chat's language, retried on transient failures at the right time, and given
//! up on when the platform says it never will be accepted.

use crate::support;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use std::sync::{Arc, Mutex};
use support::{BOT_TOML, TestDb};
use tocsin::app::App;
use tocsin::clock::{Clock, ManualClock};
use tocsin::config::{Chat, Config};
use tocsin::delivery::{Outgoing, SendError, Sender, Worker};
use tocsin::i18n::I18n;
use tocsin::platform::Platform;
use tocsin::store::Store;

/// Stands in for a platform's API: records what it is given, fails as scripted.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<(String, String)>>,
    script: Mutex<Vec<SendError>>,
}

#[async_trait]
impl Sender for Recorder {
    fn platform(&self) -> Platform {
        Platform::Console
    }

    async fn send(&self, chat: &Chat, message: &Outgoing) -> Result<usize, SendError> {
        if let Some(err) = self.script.lock().unwrap().pop() {
            return Err(err);
        }
        let Outgoing::Text(text) = message else { panic!("the console shows no cards") };
        self.sent.lock().unwrap().push((chat.name.clone(), text.clone()));
        Ok(1)
    }
}

struct Rig {
    app: App,
    worker: Worker,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    recorder: Arc<Recorder>,
    _db: TestDb,
}

/// A second console chat, `desk`, speaking Chinese, is the team's leaders' chat.
async fn rig(failures: Vec<SendError>) -> Rig {
    let text = BOT_TOML
        .replace("[chats.ops]", "[chats.desk]\nplatform = \"console\"\nlocale = \"zh-CN\"\n\n[chats.ops]")
        .replace("team_chat = \"ops\"", "team_chat = \"ops\"\nleaders_chat = \"desk\"");
    let config = Arc::new(Config::parse(&text).expect("valid config"));
    let db = TestDb::sqlite();
    let store = db.store().await;
    let clock = Arc::new(ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()));
    let i18n = Arc::new(I18n::new().unwrap());
    let app = App::new(store.clone(), config.clone(), i18n.clone(), clock.clone());
    let recorder = Arc::new(Recorder { script: Mutex::new(failures), ..Default::default() });
    let sender: Arc<dyn Sender> = recorder.clone();
    let worker =
        Worker::new(store.clone(), config, i18n, clock.clone() as Arc<dyn Clock>, vec![sender], app.outbox_signal());
    Rig { app, worker, store, clock, recorder, _db: db }
}

impl Rig {
    async fn say(&self, chat: &str, text: &str) {
        let inv = support::says(Platform::Console, "alice", chat, text);
        assert!(self.app.handle(&inv).await.committed, "{text} should commit");
    }

    fn sent(&self) -> Vec<(String, String)> {
        self.recorder.sent.lock().unwrap().clone()
    }

    async fn pending(&self) -> i64 {
        self.store.outbox_pending(Platform::Console).await.unwrap()
    }
}

#[tokio::test]
async fn each_chat_reads_the_announcement_in_its_own_language() {
    let rig = rig(vec![]).await;
    rig.say("desk", "/new I Gas leak at Elm Street").await;
    assert_eq!(rig.worker.deliver_due().await.unwrap(), 2);
    // Chats are sent to side by side: in either order.
    let mut sent = rig.sent();
    sent.sort();
    assert_eq!(sent[0], ("desk".into(), "🆕 #1 Gas leak at Elm Street\n🔴 Ⅰ级（红色） · 由 Alice Chen 立案".into()));
    assert_eq!(sent[1], ("ops".into(), "🆕 #1 Gas leak at Elm Street\n🔴 Grade I (red) · opened by Alice Chen".into()));
    assert_eq!(rig.pending().await, 0);
}

#[tokio::test]
async fn a_transient_failure_is_retried_once_its_backoff_has_passed() {
    let rig = rig(vec![SendError::Transient { reason: "timeout".into(), retry_after: None }]).await;
    rig.say("ops", "/new Power cut").await;
    rig.worker.deliver_due().await.unwrap();
    assert!(rig.sent().is_empty());
    rig.clock.advance(chrono::Duration::milliseconds(999));
    rig.worker.deliver_due().await.unwrap();
    assert!(rig.sent().is_empty(), "the first backoff is one second");
    rig.clock.advance(chrono::Duration::milliseconds(1));
    rig.worker.deliver_due().await.unwrap();
    assert_eq!(rig.sent().len(), 1);
    assert_eq!(rig.pending().await, 0);
}

#[tokio::test]
async fn a_platforms_retry_after_is_waited_exactly() {
    let rig =
        rig(vec![SendError::Transient { reason: "429".into(), retry_after: Some(std::time::Duration::from_secs(7)) }])
            .await;
    rig.say("ops", "/new Power cut").await;
    rig.worker.deliver_due().await.unwrap();
    rig.clock.advance(chrono::Duration::seconds(6));
    rig.worker.deliver_due().await.unwrap();
    assert!(rig.sent().is_empty());
    rig.clock.advance(chrono::Duration::seconds(1));
    rig.worker.deliver_due().await.unwrap();
    assert_eq!(rig.sent().len(), 1);
}

#[tokio::test]
async fn a_permanent_failure_is_never_retried_the_leaders_are_told_and_later_messages_still_go_out() {
    let rig = rig(vec![SendError::Permanent("Forbidden: bot was kicked from the group chat".into())]).await;
    rig.say("ops", "/new Power cut").await;
    rig.say("ops", "/ack 1").await;
    rig.worker.deliver_due().await.unwrap();
    rig.clock.advance(chrono::Duration::hours(1));
    rig.worker.deliver_due().await.unwrap();
    let sent = rig.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().any(|(chat, text)| chat == "ops" && text.contains("acknowledged by Alice Chen")), "{sent:?}");
    assert!(
        sent.contains(&(
            "desk".into(),
            "⚠️ 无法向「ops」群投递消息，不再重试：Forbidden: bot was kicked from the group chat".into()
        )),
        "{sent:?}"
    );
    assert_eq!(rig.pending().await, 0, "the failed one is given up on, not pending forever");
}
