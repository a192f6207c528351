//! One `tocsin run` process: its bot.toml in a temp dir, its log kept, SIGKILL or SIGTERM to end.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub const TOKEN: &str = "4242:CHAOS-TOKEN";
pub const WIRE_TOKEN: &str = "chaos-wire-token-0123456789";
pub const TEAM: i64 = -100_111;
pub const LEADERS: i64 = -100_222;
pub const ALICE: i64 = 1001;

pub struct Instance {
    child: Child,
    _dir: tempfile::TempDir,
    pub http: Option<SocketAddr>,
    pub log: Arc<Mutex<Vec<String>>>,
}

/// bot.toml without the console (a process without a terminal), with two Telegram groups
/// (`telegram_api`), an intake source (`http`), or both.
pub fn config(telegram_api: Option<&str>, http: Option<SocketAddr>) -> String {
    let mut text = super::support::BOT_TOML.replace("[console]\nchat = \"ops\"\n", "");
    if let Some(api) = telegram_api {
        text = text
            .replace("console = true\n", &format!("telegram = {ALICE}\n"))
            .replace(
                "[chats.ops]\nplatform = \"console\"\n",
                &format!("[chats.ops]\nplatform = \"telegram\"\nid = {TEAM}\n\n[chats.leaders]\nplatform = \"telegram\"\nid = {LEADERS}\n"),
            )
            .replace("team_chat = \"ops\"\n", "team_chat = \"ops\"\nleaders_chat = \"leaders\"\n");
        text = format!("{text}\n[telegram]\napi_url = \"{api}\"\npoll_timeout = 2\n");
    } else {
        text = text
            .replace("console = true\n", "discord = 77\n")
            .replace("[chats.ops]\nplatform = \"console\"\n", "[chats.ops]\nplatform = \"discord\"\nid = 1\n");
    }
    if let Some(addr) = http {
        text = format!(
            "{text}\n[http]\nlisten = \"{addr}\"\n\n\
             [[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"WIRE_TOKEN\"\n"
        );
    }
    text
}

/// A free port on loopback (bound, then let go: the process binds it a moment later).
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address")
}

impl Instance {
    pub fn start(config: &str, database_url: &str, http: Option<SocketAddr>) -> anyhow::Result<Instance> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("bot.toml"), config)?;
        let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .arg("run")
            .current_dir(dir.path())
            .env("TOCSIN_DATABASE_URL", database_url)
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("WIRE_TOKEN", WIRE_TOKEN)
            .env("RUST_LOG", "warn,tocsin=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stderr, lines) = (child.stderr.take().expect("stderr"), log.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Ok(Instance { child, _dir: dir, http, log })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no hand-back, no drain, as in a crash or an OOM kill.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits until the intake answers `/healthz`, or the process has died.
    pub async fn ready(&mut self, client: &reqwest::Client) -> anyhow::Result<()> {
        let Some(addr) = self.http else { return Ok(()) };
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if client.get(format!("http://{addr}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if !self.alive() || tokio::time::Instant::now() > deadline {
                anyhow::bail!("tocsin did not come up:\n{}", self.log_text());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Who holds the leader lease now (its holder name carries the process id).
pub async fn leader_pid(pool: &sqlx::PgPool) -> Option<u32> {
    let now = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
    let sql = format!("SELECT holder FROM leases WHERE name = 'leader' AND expires_ms > {now}");
    let holder: Option<(String,)> = sqlx::query_as(&sql).fetch_optional(pool).await.ok()?;
    holder?.0.split(':').nth(1)?.parse().ok()
}

/// Posts one generic signal with its idempotency key; the status, or the transport error.
pub async fn post_signal(client: &reqwest::Client, addr: SocketAddr, key: &str, text: &str) -> Result<u16, String> {
    post_tagged(client, addr, key, text, &[]).await
}

/// As [`post_signal`], with tags (which route it to a team).
pub async fn post_tagged(
    client: &reqwest::Client,
    addr: SocketAddr,
    key: &str,
    text: &str,
    tags: &[String],
) -> Result<u16, String> {
    let body = serde_json::json!({ "source": "chaos", "title": text, "body": text, "tags": tags });
    client
        .post(format!("http://{addr}/api/v1/signals"))
        .bearer_auth(WIRE_TOKEN)
        .header("Idempotency-Key", key)
        .json(&body)
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

const WORDS: &[&str] = &[
    "water",
    "main",
    "burst",
    "bridge",
    "closed",
    "fire",
    "alarm",
    "school",
    "market",
    "power",
    "outage",
    "storm",
    "flood",
    "tunnel",
    "station",
    "hospital",
    "crane",
    "collapse",
    "smoke",
    "chemical",
    "spill",
    "river",
    "harbour",
    "ferry",
    "tram",
    "signal",
    "failure",
    "landslide",
    "road",
    "blocked",
    "pipeline",
    "leak",
    "factory",
    "warehouse",
    "stadium",
    "crowd",
    "protest",
    "airport",
    "delay",
    "runway",
    "bus",
    "crash",
    "highway",
    "pileup",
    "dam",
    "gate",
    "elevator",
    "trapped",
    "tower",
    "antenna",
    "library",
    "museum",
    "theatre",
    "roof",
    "scaffold",
    "sewer",
    "overflow",
    "bakery",
    "kitchen",
    "restaurant",
    "poisoning",
    "clinic",
    "vaccine",
    "shortage",
    "pharmacy",
    "theft",
    "bank",
    "outlet",
    "substation",
    "transformer",
    "explosion",
    "quarry",
    "mine",
    "ventilation",
    "kindergarten",
    "playground",
    "swing",
    "park",
    "tree",
    "fallen",
    "cable",
    "bridgehead",
    "pier",
    "lighthouse",
    "beacon",
    "barge",
    "container",
    "terminal",
    "customs",
    "border",
    "checkpoint",
    "queue",
    "ticket",
    "concert",
    "stage",
    "lighting",
    "rigging",
];

/// A story's text: its number and eight words picked by it, so two stories share few words
/// (and are not joined), while every signal of one story is the same text (and is).
pub fn story(n: usize) -> String {
    let mut x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut words = Vec::new();
    for _ in 0..8 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        words.push(WORDS[(x % WORDS.len() as u64) as usize]);
    }
    format!("Report s{n:05}z: {}", words.join(" "))
}

/// The most events within any `window` (times sorted).
pub fn densest(times: &[Instant], window: std::time::Duration) -> usize {
    let (mut best, mut lo) = (0, 0);
    for hi in 0..times.len() {
        while times[hi] - times[lo] >= window {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}
