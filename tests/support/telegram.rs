//! tocsin started for real against the fake Telegram Bot API: a fresh SQLite ledger, the
//! real teloxide client, polling (or a webhook) and the delivery worker all running.

use super::fake_telegram::{FakeTelegram, Msg};
use super::{BOT_TOML, TestDb};
use std::sync::Arc;
use std::time::Duration;
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::run::{Secrets, Services};
use tocsin::store::Store;

pub const TEAM: i64 = -100_111;
pub const LEADERS: i64 = -100_222;
pub const ALICE: i64 = 1001; // leader, member
pub const BOB: i64 = 1002; // member
pub const DANA: i64 = 1003; // spokesperson
pub const OLGA: i64 = 1004; // observer
pub const TOKEN: &str = "4242:TEST-TOKEN";
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Tg {
    pub fake: FakeTelegram,
    pub services: Option<Services>,
    pub store: Arc<dyn Store>,
    pub db: TestDb,
    pub config: String,
    /// Drill scenarios given to every (re)start, as `drills/` would.
    pub drills: Vec<tocsin::config::drills::Scenario>,
}

/// bot.toml with the console replaced by two Telegram groups: the team chat and the leaders'.
pub fn config(fake: &FakeTelegram, extra: &str) -> String {
    BOT_TOML
        .replace("[console]\nchat = \"ops\"\n", &format!("[telegram]\napi_url = \"{}\"\npoll_timeout = 2\n{extra}", fake.api_url()))
        .replace("console = true\n", &format!("telegram = {ALICE}\n"))
        .replace("roles = [\"member\"]\nlocale = \"zh-CN\"\n", &format!("roles = [\"member\"]\nlocale = \"zh-CN\"\ntelegram = {BOB}\n"))
        .replace("roles = [\"spokesperson\"]\n", &format!("roles = [\"spokesperson\"]\ntelegram = {DANA}\n"))
        .replace("roles = [\"observer\"]\n", &format!("roles = [\"observer\"]\ntelegram = {OLGA}\n"))
        .replace(
            "[chats.ops]\nplatform = \"console\"\n",
            &format!("[chats.ops]\nplatform = \"telegram\"\nid = {TEAM}\n\n[chats.leaders]\nplatform = \"telegram\"\nid = {LEADERS}\n"),
        )
        .replace("team_chat = \"ops\"\n", "team_chat = \"ops\"\nleaders_chat = \"leaders\"\n")
}

impl Tg {
    pub async fn start() -> Tg {
        Tg::start_with("", |c| c).await
    }

    /// `extra` goes inside `[telegram]`; `edit` may change the whole config text.
    pub async fn start_with(extra: &str, edit: impl FnOnce(String) -> String) -> Tg {
        Tg::start_with_drills(extra, edit, vec![]).await
    }

    /// As [`Tg::start_with`], with drill scenarios.
    pub async fn start_with_drills(
        extra: &str,
        edit: impl FnOnce(String) -> String,
        drills: Vec<tocsin::config::drills::Scenario>,
    ) -> Tg {
        let fake = FakeTelegram::start().await;
        fake.set_chat(TEAM, "supergroup", Some("Ops"));
        fake.set_chat(LEADERS, "supergroup", Some("Leaders"));
        let config = edit(config(&fake, extra));
        let db = TestDb::sqlite();
        let store = db.store().await;
        let mut tg = Tg { fake, services: None, store, db, config, drills };
        tg.restart().await;
        tg
    }

    /// (Re)starts tocsin on the same database, as a new process would.
    pub async fn restart(&mut self) {
        if let Some(s) = self.services.take() {
            s.shutdown().await;
        }
        let mut config = Config::parse(&self.config).expect("a valid test config");
        config.database_url = self.db.url.clone();
        config.drills = self.drills.clone();
        let secrets = Secrets {
            telegram_token: Some(TOKEN.into()),
            telegram_webhook_secret: Some("s3cret-token_for-tests".into()),
            // For a test that adds an intake source (`token_env = "WIRE_TOKEN"`).
            vars: Some([("WIRE_TOKEN".to_string(), super::intake::WIRE_TOKEN.to_string())].into_iter().collect()),
            ..Secrets::default()
        };
        self.services = Some(tocsin::run::start(config, Arc::new(SystemClock), secrets).await.expect("tocsin starts"));
    }

    pub fn say(&self, chat: i64, user: i64, text: &str) -> serde_json::Value {
        let update = self.fake.text_update(chat, "supergroup", user, text, None);
        self.fake.push_update(update.clone());
        update
    }

    pub fn press(&self, chat: i64, user: i64, message_id: i64, data: &str) {
        let update = self.fake.callback_update(chat, user, message_id, data);
        self.fake.push_update(update);
    }

    /// Waits for a bot message in `chat` whose shown text contains `needle`.
    pub async fn expect(&self, chat: i64, needle: &str) -> Msg {
        let found = self
            .fake
            .wait_until(|st| st.messages(chat).iter().any(|m| m.from_bot && m.text.contains(needle)), PATIENCE)
            .await;
        let messages = self.fake.messages(chat);
        assert!(found, "no message containing {needle:?} in chat {chat}; it has:\n{:#?}", texts(&messages));
        messages.into_iter().find(|m| m.text.contains(needle)).expect("found above")
    }

    pub async fn shutdown(mut self) {
        if let Some(s) = self.services.take() {
            s.shutdown().await;
        }
    }
}

pub fn texts(messages: &[Msg]) -> Vec<String> {
    messages.iter().map(|m| m.text.clone()).collect()
}
