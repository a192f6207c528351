//! tocsin started with its intake webhooks on a free port and a fresh SQLite ledger.

use super::{BOT_TOML, TestDb};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::run::{Secrets, Services};
use tocsin::store::Store;

pub const WIRE_TOKEN: &str = "wire-token-0123456789";
pub const SIGNED_KEY: &str = "signed-key-abcdef";
pub const AM_TOKEN: &str = "am-token-xyz";
pub const GRAFANA_KEY: &str = "grafana-key-123";

/// The team chat is a Discord chat, which this build cannot send to: announcements stay in
/// the outbox, where tests can count them, and nothing is printed.
pub fn config(extra: &str) -> String {
    let base = BOT_TOML
        .replace("[console]\nchat = \"ops\"\n", "")
        .replace("console = true\n", "discord = 77\n")
        .replace("[chats.ops]\nplatform = \"console\"\n", "[chats.ops]\nplatform = \"discord\"\nid = 1\n");
    format!(
        r#"{base}
[http]
listen = "127.0.0.1:0"
body_limit = 8192

[[sources]]
name = "wire"
kind = "generic"
token_env = "WIRE_TOKEN"

[[sources]]
name = "signed"
kind = "generic"
weight = 0.5
hmac_env = "SIGNED_KEY"

[[sources]]
name = "am"
kind = "alertmanager"
token_env = "AM_TOKEN"
tags = ["infra"]

[[sources]]
name = "grafana"
kind = "grafana"
hmac_env = "GRAFANA_KEY"

[grading]
window = "1h"
thresholds = {{ I = 12.0, II = 8.0, III = 4.0 }}

[[keywords]]
category = "safety"
weight = 3.0
terms = ["燃气", "泄漏", "gas leak", "explosion"]
exclude = ["演练", "drill"]

[[keywords]]
category = "outage"
weight = 2.0
terms = ["停电", "停水", "power outage", "outage"]
{extra}"#
    )
}

pub struct Intake {
    pub services: Services,
    pub store: Arc<dyn Store>,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    _db: TestDb,
}

impl Intake {
    pub async fn start(extra: &str) -> Intake {
        Intake::start_with(config(extra)).await
    }

    /// The Alertmanager source is trusted to resolve cases.
    pub async fn start_auto_resolve() -> Intake {
        Intake::start_with(config("").replace("tags = [\"infra\"]", "tags = [\"infra\"]\nauto_resolve = true")).await
    }

    async fn start_with(text: String) -> Intake {
        Intake::start_on(text, TestDb::sqlite()).await
    }

    /// Starts tocsin on a given database (to restart on the same one: `shutdown_keeping_db`).
    pub async fn start_on(text: String, db: TestDb) -> Intake {
        let mut config = Config::parse(&text).expect("a valid intake config");
        config.database_url = db.url.clone();
        let mut vars: HashMap<String, String> = [
            ("WIRE_TOKEN", WIRE_TOKEN),
            ("SIGNED_KEY", SIGNED_KEY),
            ("AM_TOKEN", AM_TOKEN),
            ("GRAFANA_KEY", GRAFANA_KEY),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        // Sources a test adds (see `source`) get their token from their name.
        for s in &config.sources {
            if let Some(var) = &s.token_env {
                vars.entry(var.clone()).or_insert_with(|| token_of(&s.name));
            }
        }
        let secrets = Secrets { vars: Some(vars), ..Secrets::default() };
        let services = tocsin::run::start(config, Arc::new(SystemClock), secrets).await.expect("tocsin starts");
        let addr = services.http_addr.expect("intake listens");
        let store = services.app.store();
        Intake { services, store, addr, client: reqwest::Client::new(), _db: db }
    }

    /// POSTs `body` to `path` with the given headers; returns the status and the JSON answer.
    pub async fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: impl Into<Vec<u8>>,
    ) -> (u16, serde_json::Value) {
        let mut req = self.client.post(format!("http://{}{path}", self.addr)).body(body.into());
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.expect("the intake answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    pub async fn signal(&self, json: serde_json::Value) -> (u16, serde_json::Value) {
        self.post("/api/v1/signals", &[bearer(WIRE_TOKEN)], serde_json::to_vec(&json).unwrap()).await
    }

    /// Posts a generic signal with the credential of the source `name` (added with [`source`]).
    pub async fn signal_as(&self, name: &str, json: serde_json::Value) -> (u16, serde_json::Value) {
        self.post("/api/v1/signals", &[bearer(&token_of(name))], serde_json::to_vec(&json).unwrap()).await
    }

    /// What tocsin answers Alice (a leader, Discord user 77) in the team chat.
    pub async fn ask(&self, text: &str) -> String {
        let inv = tocsin::app::Invocation {
            platform: tocsin::platform::Platform::Discord,
            user_id: "77".into(),
            chat_id: "1".into(),
            text: text.into(),
            topic: None,
            bot_username: None,
            dedup_key: None,
        };
        self.services.app.handle(&inv).await.reply.unwrap_or_default()
    }

    pub async fn shutdown(self) {
        self.services.shutdown().await;
    }

    /// Stops tocsin and hands back its database for a restart.
    pub async fn shutdown_keeping_db(self) -> TestDb {
        self.services.shutdown().await;
        self._db
    }
}

pub fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

/// tocsin's own scheme, signed now: `X-Tocsin-Timestamp` and `X-Tocsin-Signature`.
pub fn signed(key: &str, body: &[u8]) -> [(&'static str, String); 2] {
    signed_at(key, chrono::Utc::now().timestamp(), body)
}

/// tocsin's own scheme, signed at `timestamp` (unix seconds).
pub fn signed_at(key: &str, timestamp: i64, body: &[u8]) -> [(&'static str, String); 2] {
    [
        ("x-tocsin-timestamp", timestamp.to_string()),
        ("x-tocsin-signature", tocsin::intake::auth::sign(key.as_bytes(), timestamp, body)),
    ]
}

/// An HMAC of the body alone, as Grafana signs (`x-grafana-alerting-signature`).
pub fn signature(header: &'static str, key: &str, body: &[u8]) -> (&'static str, String) {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    (header, format!("sha256={}", hex::encode(mac.finalize().into_bytes())))
}

/// A generic `[[sources]]` entry for a test's config, with its own bearer token ([`token_of`]),
/// which `Intake::start` provides.
pub fn source(name: &str, weight: f64) -> String {
    let var = format!("{}_TOKEN", name.to_uppercase().replace('-', "_"));
    format!("\n[[sources]]\nname = \"{name}\"\nkind = \"generic\"\nweight = {weight:?}\ntoken_env = \"{var}\"\n")
}

/// `n` sources `outlet-0` … of weight 1: distinct credentials, so distinct sources for diffusion.
pub fn outlets(n: usize) -> String {
    (0..n).map(|i| source(&format!("outlet-{i}"), 1.0)).collect()
}

/// The bearer token of a source added with [`source`].
pub fn token_of(name: &str) -> String {
    format!("{name}-token-0123456789")
}
