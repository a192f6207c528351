//! tocsin started for real with its team chat on the console and group robots of Feishu,
//! DingTalk and WeCom around it, all posting to the fake robots on loopback: the robots mirror
//! the team chat (`ops-feishu`, `ops-dingtalk`, `ops-wecom`), a WeCom robot is the leaders'
//! chat (`leaders-wecom`), and one robot of each platform is a public outlet (`news-*`).
//! The clock is the test's: it moves only when a test moves it, and the fake robots check
//! timestamps and keep their per-minute limits against it.

use super::fake_robots::{FakeRobots, Kind};
use super::{BOT_TOML, TestDb};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tocsin::clock::{Clock, ManualClock};
use tocsin::config::Config;
use tocsin::platform::Platform;
use tocsin::run::{Secrets, Services};

pub const PATIENCE: Duration = Duration::from_secs(20);

/// (chat, platform, robot token, signing secret)
pub const ROBOTS: [(&str, Kind, &str, Option<&str>); 7] = [
    ("ops-feishu", Kind::Feishu, "fs-ops", Some("fs-secret-ops")),
    ("ops-dingtalk", Kind::DingTalk, "dt-ops", Some("SECdt-ops")),
    ("ops-wecom", Kind::WeCom, "wc-ops", None),
    ("leaders-wecom", Kind::WeCom, "wc-leaders", None),
    ("news-feishu", Kind::Feishu, "fs-news", Some("fs-secret-news")),
    ("news-dingtalk", Kind::DingTalk, "dt-news", Some("SECdt-news")),
    ("news-wecom", Kind::WeCom, "wc-news", None),
];

fn env_name(chat: &str) -> String {
    format!("ROBOT_{}", chat.to_uppercase().replace('-', "_"))
}

fn platform(kind: Kind) -> &'static str {
    match kind {
        Kind::Feishu => "feishu",
        Kind::DingTalk => "dingtalk",
        Kind::WeCom => "wecom",
    }
}

/// bot.toml with the robots added, Bob's ids on each platform, Alice also a spokesperson, and
/// grade IV progress updates pre-approved (so a statement goes out with one command).
pub fn config() -> String {
    let mut chats = String::from("[chats.ops]\nplatform = \"console\"\n");
    for (chat, kind, _, secret) in ROBOTS {
        chats +=
            &format!("\n[chats.{chat}]\nplatform = \"{}\"\nwebhook_env = \"{}\"\n", platform(kind), env_name(chat));
        if secret.is_some() {
            chats += &format!("secret_env = \"{}_SECRET\"\n", env_name(chat));
        }
    }
    let team = "team_chat = \"ops\"\nmirrors = [\"ops-feishu\", \"ops-dingtalk\", \"ops-wecom\"]\n\
                leaders_chat = \"leaders-wecom\"\npublic_outlets = [\"news-feishu\", \"news-dingtalk\", \"news-wecom\"]\n";
    let text = BOT_TOML
        .replacen("roles = [\"leader\", \"member\"]\n", "roles = [\"leader\", \"member\", \"spokesperson\"]\n", 1)
        .replace(
            "roles = [\"member\"]\nlocale = \"zh-CN\"\n",
            "roles = [\"member\"]\nlocale = \"zh-CN\"\nfeishu = \"ou_bob\"\ndingtalk = \"bob01\"\nwecom = \"bob.li\"\n",
        )
        .replace("[chats.ops]\nplatform = \"console\"\n", &chats)
        .replace("team_chat = \"ops\"\n", team);
    format!("{text}\n[approvals]\npreapproved_updates = [\"IV\"]\n")
}

pub struct Rb {
    pub fake: FakeRobots,
    pub clock: Arc<ManualClock>,
    pub services: Services,
    _db: TestDb,
}

impl Rb {
    pub async fn start() -> Rb {
        Rb::start_with(|_| {}).await
    }

    /// `edit` may change the environment tocsin is given (a wrong secret, say).
    pub async fn start_with(edit: impl FnOnce(&mut HashMap<String, String>)) -> Rb {
        Rb::start_edited(|c| c, edit).await
    }

    /// `config` may change bot.toml's text, `vars` the environment tocsin is given.
    pub async fn start_edited(
        config_edit: impl FnOnce(String) -> String,
        edit: impl FnOnce(&mut HashMap<String, String>),
    ) -> Rb {
        let clock = Arc::new(ManualClock::at(Utc::now()));
        let fake = FakeRobots::start(clock.clone() as Arc<dyn Clock>).await;
        let mut vars = HashMap::new();
        for (chat, kind, token, secret) in ROBOTS {
            vars.insert(env_name(chat), fake.add(kind, token, secret));
            if let Some(secret) = secret {
                vars.insert(format!("{}_SECRET", env_name(chat)), secret.to_string());
            }
        }
        edit(&mut vars);
        let db = TestDb::sqlite();
        let mut config = Config::parse(&config_edit(config())).expect("a valid test config");
        config.database_url = db.url.clone();
        config.drills = vec![drill()];
        let secrets = Secrets { vars: Some(vars), ..Secrets::default() };
        let services = tocsin::run::start(config, clock.clone(), secrets).await.expect("tocsin starts");
        Rb { fake, clock, services, _db: db }
    }

    /// Alice types `text` on the console, into the team chat.
    pub async fn alice(&self, text: &str) {
        let response = self.services.app.handle(&super::says(Platform::Console, "alice", "ops", text)).await;
        assert!(response.committed, "{text}: {:?}", response.reply);
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// Waits until `robot` accepted a post whose body, as JSON text, contains `needle`.
    pub async fn expect(&self, robot: &str, needle: &str) -> serde_json::Value {
        let has = |st: &super::fake_robots::State| st.accepted(robot).iter().any(|b| shown(b).contains(needle));
        let found = self.fake.wait_until(has, PATIENCE).await;
        let accepted = self.fake.lock().accepted(robot);
        assert!(
            found,
            "{robot} accepted nothing with {needle:?}; it has:\n{:#?}",
            accepted.iter().map(shown).collect::<Vec<_>>()
        );
        accepted.into_iter().find(|b| shown(b).contains(needle)).expect("found above")
    }

    pub async fn shutdown(self) {
        self.services.shutdown().await;
    }
}

/// A body's text as a person would search it: the JSON with its string escapes undone.
pub fn shown(body: &serde_json::Value) -> String {
    fn walk(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(o) => o.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    walk(body, &mut out);
    out
}

/// A one-inject drill scenario, as `drills/` would hold it.
pub fn drill() -> tocsin::config::drills::Scenario {
    let text = "title = \"Pipe burst drill\"\n[expect]\nacknowledge = \"10m\"\n\n[[inject]]\nat = \"+0m\"\n\
                source = \"wire\"\nstory = \"pipe\"\ntitle = \"Pipe burst on Quay Street\"\n";
    tocsin::config::drills::parse("drills/pipe.toml", "pipe", text).expect("a valid scenario")
}
