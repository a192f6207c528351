//! `GET /metrics` end to end: tocsin started for real (`run::start`, the `[http]` listener on
//! port 0, a fresh ledger), cases opened by webhook and by chat, messages sent, clocks run, then
//! scraped over HTTP and read with a Prometheus text-format parser (checked line by line first).

use crate::support;

use crate::feeds::server;

use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::fake_telegram::{Failure, Scope};
use support::telegram::{ALICE, LEADERS, TEAM, Tg};
use support::{BOT_TOML, TestDb, says};
use tocsin::clock::{Clock, ManualClock};
use tocsin::config::Config;
use tocsin::domain::CaseId;
use tocsin::platform::Platform;
use tocsin::run::{Secrets, Services};

const WIRE_TOKEN: &str = "wire-token-for-metrics";
const METRICS_TOKEN: &str = "metrics-token-0123";
const PATIENCE: Duration = Duration::from_secs(20);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
}

fn minutes(m: f64) -> chrono::Duration {
    chrono::Duration::milliseconds((m * 60_000.0) as i64)
}

/// The committed bot.toml (the console is the team chat) with the leaders' chat on Discord,
/// which this build cannot send to: what goes there stays in the outbox, where its depth and
/// age can be read. `/metrics` asks for a bearer token.
fn config() -> String {
    let base = BOT_TOML.replace("team_chat = \"ops\"\n", "team_chat = \"ops\"\nleaders_chat = \"leaders\"\n").replace(
        "[chats.ops]\nplatform = \"console\"\n",
        "[chats.ops]\nplatform = \"console\"\n\n[chats.leaders]\nplatform = \"discord\"\nid = 2\n",
    );
    format!(
        r#"{base}
[http]
listen = "127.0.0.1:0"
metrics_token_env = "METRICS_TOKEN"

[[sources]]
name = "wire"
kind = "generic"
token_env = "WIRE_TOKEN"

[[keywords]]
category = "safety"
weight = 3.0
terms = ["gas leak"]
"#
    )
}

/// A scrape, checked line by line against the text format, then parsed by `prometheus-parse`.
struct Scrape {
    text: String,
    samples: Vec<prometheus_parse::Sample>,
}

impl Scrape {
    fn parse(text: String) -> Scrape {
        strict(&text);
        let lines = text.lines().map(|l| Ok(l.to_string()));
        let samples = prometheus_parse::Scrape::parse(lines).expect("a Prometheus text exposition").samples;
        Scrape { text, samples }
    }

    /// The value of the one series with exactly these labels.
    fn value(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.find(metric, labels).unwrap_or_else(|| panic!("no {metric}{labels:?} in:\n{}", self.text))
    }

    fn find(&self, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let s = self.samples.iter().find(|s| {
            s.metric == metric
                && s.labels.len() == labels.len()
                && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
        })?;
        match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => Some(*v),
            other => panic!("{metric} is not a single value: {other:?}"),
        }
    }

    /// A histogram's cumulative count at the bucket `le`.
    fn bucket(&self, metric: &str, labels: &[(&str, &str)], le: f64) -> f64 {
        let s = self
            .samples
            .iter()
            .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .unwrap_or_else(|| panic!("no histogram {metric}{labels:?}"));
        let prometheus_parse::Value::Histogram(buckets) = &s.value else { panic!("{metric} is not a histogram") };
        buckets.iter().find(|b| b.less_than == le).map(|b| b.count).unwrap_or_else(|| panic!("no bucket le={le}"))
    }

    /// The sum of every series of `metric` whose labels include these.
    fn sum(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
                _ => 0.0,
            })
            .sum()
    }
}

/// The text format, strictly: every line is a `# HELP`, a `# TYPE` or a sample of a family
/// typed before it, with well-formed labels and a number for a value.
fn strict(text: &str) {
    let mut types: HashMap<String, String> = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(rest.split_once(' ').is_some_and(|(n, h)| name(n) && !h.is_empty()), "bad HELP: {line}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (n, t) = rest.split_once(' ').unwrap_or_else(|| panic!("bad TYPE: {line}"));
            assert!(
                name(n) && ["counter", "gauge", "histogram", "summary", "untyped"].contains(&t),
                "bad TYPE: {line}"
            );
            assert!(types.insert(n.to_string(), t.to_string()).is_none(), "a family typed twice: {line}");
        } else {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line:?}"));
            assert!(value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value), "bad value: {line}");
            let (metric, labels) = series.split_once('{').map_or((series, None), |(m, l)| (m, Some(l)));
            assert!(name(metric), "bad metric name: {line}");
            if let Some(labels) = labels {
                let labels = labels.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {line}"));
                for pair in labels.split("\",").filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("bad label in {line}"));
                    assert!(name(k) && !v.trim_end_matches('"').contains('"'), "bad label {pair:?} in {line}");
                }
            }
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    metric.strip_suffix(suffix).filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
                })
                .unwrap_or(metric);
            assert!(types.contains_key(family), "a sample before its TYPE: {line}");
            if types[family] == "counter" {
                assert!(family.ends_with("_total"), "a counter not named _total: {line}");
            }
        }
    }
}

fn name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

struct Desk {
    services: Services,
    clock: Arc<ManualClock>,
    client: reqwest::Client,
    addr: SocketAddr,
    _db: TestDb,
}

impl Desk {
    async fn start(db: TestDb) -> Desk {
        let mut config = Config::parse(&config()).expect("a valid config");
        config.database_url = db.url.clone();
        let clock = Arc::new(ManualClock::at(t0()));
        let vars = [("WIRE_TOKEN", WIRE_TOKEN), ("METRICS_TOKEN", METRICS_TOKEN)];
        let vars = vars.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let secrets = Secrets { vars: Some(vars), ..Secrets::default() };
        let services = tocsin::run::start(config, clock.clone(), secrets).await.expect("tocsin starts");
        let addr = services.http_addr.expect("[http] listens");
        Desk { services, clock, client: reqwest::Client::new(), addr, _db: db }
    }

    async fn alice(&self, text: &str) {
        let response = self.services.app.handle(&says(Platform::Console, "alice", "ops", text)).await;
        assert!(response.committed, "{text}: {:?}", response.reply);
    }

    async fn signal(&self, token: Option<&str>, key: Option<&str>, body: &str) -> u16 {
        let mut req = self.client.post(format!("http://{}/api/v1/signals", self.addr)).body(body.to_string());
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        req.send().await.expect("the intake answers").status().as_u16()
    }

    /// Moves the clock to `at` minutes after opening, runs what fell due and delivers it.
    async fn at_minute(&self, at: f64) {
        self.clock.advance(t0() + minutes(at) - self.clock.now());
        self.services.app.run_due_jobs().await.expect("jobs run");
        self.services.worker.deliver_due().await.expect("delivery runs");
    }

    async fn scrape(&self) -> Scrape {
        scrape(&self.client, self.addr, Some(METRICS_TOKEN)).await
    }

    /// The background scheduler may be the one that runs a due job, a moment later.
    async fn scrape_when(&self, done: impl Fn(&Scrape) -> bool) -> Scrape {
        scrape_when(&self.client, self.addr, Some(METRICS_TOKEN), done).await
    }
}

async fn scrape(client: &reqwest::Client, addr: SocketAddr, token: Option<&str>) -> Scrape {
    let mut req = client.get(format!("http://{addr}/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.expect("/metrics answers");
    assert_eq!(resp.status().as_u16(), 200);
    Scrape::parse(resp.text().await.expect("a body"))
}

/// Scrapes until `done` holds (what is counted in the background is counted a moment after its
/// effect shows), or until patience runs out; the caller asserts on what it returns.
async fn scrape_when(
    client: &reqwest::Client,
    addr: SocketAddr,
    token: Option<&str>,
    done: impl Fn(&Scrape) -> bool,
) -> Scrape {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let scrape = scrape(client, addr, token).await;
        if done(&scrape) || Instant::now() > deadline {
            return scrape;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const GAS_LEAK: &str = r#"{"source": "hotline-desk", "title": "Gas leak reported on Elm Street", "body": "Residents smell gas near the school."}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_shows_what_came_in_what_was_sent_and_what_the_ledger_holds() {
    let desk = Desk::start(TestDb::sqlite()).await;
    let first = desk.scrape().await;
    assert_eq!(first.value("tocsin_signals_total", &[("source", "wire"), ("outcome", "opened")]), 0.0);
    assert_eq!(first.sum("tocsin_ledger_cases", &[]), 0.0);
    assert_eq!(first.value("tocsin_ledger_up", &[]), 1.0);

    // Signals: one opens a case, its retry is a duplicate, another outlet's report of the same
    // story joins it; one without credentials and one that is not JSON are refused.
    assert_eq!(desk.signal(Some(WIRE_TOKEN), Some("r-1"), GAS_LEAK).await, 202);
    assert_eq!(desk.signal(Some(WIRE_TOKEN), Some("r-1"), GAS_LEAK).await, 202);
    assert_eq!(desk.signal(Some(WIRE_TOKEN), None, &GAS_LEAK.replace("hotline-desk", "city-radio")).await, 202);
    assert_eq!(desk.signal(None, None, GAS_LEAK).await, 401);
    assert_eq!(desk.signal(Some(WIRE_TOKEN), None, "{not json").await, 400);

    // Chat: the signal's case is acknowledged; a grade I case is opened and a reply drafted for it.
    desk.alice("/ack 1").await;
    desk.alice("/new I Water main burst on 5th Avenue | flooding").await;
    desk.alice("/draft 2 Crews are on site; avoid 5th Avenue.").await;
    desk.services.worker.deliver_due().await.expect("delivery runs");

    // Grade I's acknowledge clock is 10 minutes: reminders at 5 and 8, the breach at 10, each
    // run 30 s after it fell due. The breach goes to the leaders' chat, on Discord: it waits.
    desk.at_minute(5.5).await;
    desk.at_minute(8.5).await;
    desk.at_minute(10.5).await;
    desk.clock.advance(minutes(1.5));

    let ack = |stage| [("clock", "ack"), ("stage", stage)];
    let s = desk.scrape_when(|s| s.find("tocsin_clock_stages_total", &ack("breach")) == Some(1.0)).await;
    let signals = |outcome| s.value("tocsin_signals_total", &[("source", "wire"), ("outcome", outcome)]);
    assert_eq!([signals("opened"), signals("duplicate"), signals("joined"), signals("rejected")], [1.0, 1.0, 1.0, 1.0]);
    assert_eq!(s.value("tocsin_signals_total", &[("source", "unknown"), ("outcome", "rejected")]), 1.0);
    assert!(!s.text.contains("hotline-desk") && !s.text.contains("city-radio"), "a body's source is never a label");

    let grade_of_1 = desk.services.app.store().case(CaseId::parse("1").unwrap()).await.unwrap().unwrap().grade;
    assert_eq!(s.value("tocsin_ledger_cases", &[("grade", grade_of_1.as_str()), ("state", "acknowledged")]), 1.0);
    assert_eq!(s.value("tocsin_ledger_cases", &[("grade", "I"), ("state", "open")]), 1.0);
    assert_eq!(s.sum("tocsin_ledger_cases", &[]), 2.0);

    assert_eq!(
        [s.value("tocsin_clock_stages_total", &ack("remind")), s.value("tocsin_clock_stages_total", &ack("breach"))],
        [2.0, 1.0]
    );
    assert_eq!(s.value("tocsin_clock_stages_total", &[("clock", "respond"), ("stage", "remind")]), 0.0);
    let late = [("stage", "remind")];
    assert_eq!(
        [
            s.bucket("tocsin_clock_stage_lateness_seconds", &late, 15.0),
            s.bucket("tocsin_clock_stage_lateness_seconds", &late, 60.0)
        ],
        [0.0, 2.0]
    );
    assert_eq!(s.value("tocsin_clock_stage_lateness_seconds_sum", &late), 60.0);

    // Console: the opened case, the /ack, the /new, the draft's card in the chat it was written
    // in, and two reminders. (The joined report came through the same credential, so it is no
    // second source and raises no grade, whatever its body calls itself.) Discord: the draft's
    // card for the leaders and the breach, waiting since the draft, 12 minutes ago.
    assert_eq!(grade_of_1, tocsin::domain::Grade::IV);
    assert_eq!(s.value("tocsin_sends_total", &[("platform", "console"), ("result", "ok")]), 6.0);
    assert_eq!(s.value("tocsin_outbox_depth", &[("platform", "discord")]), 2.0);
    assert_eq!(s.value("tocsin_outbox_oldest_age_seconds", &[("platform", "discord")]), 720.0);
    assert_eq!(s.value("tocsin_outbox_depth", &[("platform", "console")]), 0.0);
    assert_eq!(s.value("tocsin_approvals_waiting", &[("held", "false")]), 1.0, "grade I needs two leaders");
    assert_eq!(s.value("tocsin_scheduler_lag_seconds", &[]), 0.0, "the next job (the escalation) is due at 15");
    desk.services.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_bearer_token_bot_toml_names_and_every_answer_carries_a_request_id() {
    let desk = Desk::start(TestDb::sqlite()).await;
    let url = format!("http://{}/metrics", desk.addr);
    let without = desk.client.get(&url).send().await.unwrap();
    assert_eq!(without.status().as_u16(), 401);
    assert_eq!(without.headers()["www-authenticate"], "Bearer");
    assert!(without.headers().contains_key("x-request-id"), "refusals carry a request id too");
    let wrong = desk.client.get(&url).bearer_auth("not-the-token").send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let right =
        desk.client.get(&url).bearer_auth(METRICS_TOKEN).header("x-request-id", "scrape-7").send().await.unwrap();
    assert_eq!(right.status().as_u16(), 200);
    assert_eq!(right.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    assert_eq!(right.headers()["x-request-id"], "scrape-7");
    desk.services.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_gauges_are_the_same_from_every_instance_sharing_a_postgres_database() {
    let Some(db) = TestDb::postgres().await else { return };
    let second = db.alias();
    let one = Desk::start(db).await;
    let two = Desk::start(second).await;
    one.alice("/new II Power outage in the north district").await;
    two.alice("/new III Road closed on Bridge Street").await;
    let (a, b) = (one.scrape().await, two.scrape().await);
    for s in [&a, &b] {
        assert_eq!(s.value("tocsin_ledger_cases", &[("grade", "II"), ("state", "open")]), 1.0);
        assert_eq!(s.value("tocsin_ledger_cases", &[("grade", "III"), ("state", "open")]), 1.0);
    }
    two.services.shutdown().await;
    one.services.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_to_telegram_are_counted_by_result_429_transient_and_permanent_included() {
    let tg = Tg::start_with("", |c| format!("{c}\n[http]\nlisten = \"127.0.0.1:0\"\n")).await;
    let addr = tg.services.as_ref().unwrap().http_addr.expect("[http] without sources still serves /metrics");
    // The case's card: told to wait once (429), then sent.
    tg.fake.fail(Failure::RetryAfter(1), Scope::method("sendMessage").in_chat(TEAM).once());
    tg.say(TEAM, ALICE, "/new Water main burst on 5th Avenue");
    tg.expect(TEAM, "Water main burst").await;
    // The answer to /status: the connection drops once (transient), then it goes out.
    tg.fake.fail(Failure::Disconnect, Scope::method("sendMessage").in_chat(TEAM).once());
    tg.say(TEAM, ALICE, "/status 1");
    tg.expect(TEAM, "History").await;
    // The draft's card for the leaders' chat, from which the bot was removed: permanent.
    tg.fake.fail(Failure::Forbidden("bot was kicked from the supergroup chat".into()), Scope::chat(LEADERS));
    tg.say(TEAM, ALICE, "/draft 1 Crews are on site.");

    let telegram = |s: &Scrape, result| s.find("tocsin_sends_total", &[("platform", "telegram"), ("result", result)]);
    let s = scrape_when(&reqwest::Client::new(), addr, None, |s| telegram(s, "permanent") == Some(1.0)).await;
    assert_eq!(telegram(&s, "rate_limited"), Some(1.0), "{}", s.text);
    assert_eq!(telegram(&s, "transient"), Some(1.0), "{}", s.text);
    assert_eq!(telegram(&s, "permanent"), Some(1.0), "{}", s.text);
    assert!(telegram(&s, "ok").unwrap() >= 2.0, "the card and the status went out: {}", s.text);
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_lag_is_how_long_the_earliest_pending_job_has_been_due() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let mut config = Config::parse(&config()).unwrap();
    config.database_url = db.url.clone();
    let config = Arc::new(config);
    let clock = Arc::new(ManualClock::at(t0()));
    let i18n = Arc::new(tocsin::i18n::I18n::new().unwrap());
    let app = tocsin::app::App::new(store.clone(), config.clone(), i18n, clock.clone());
    assert!(app.handle(&says(Platform::Console, "alice", "ops", "/new I Gas leak at the depot")).await.committed);
    let lag = || async { tocsin::app::gauges::snapshot(store.as_ref(), &config, clock.now()).await.unwrap() };
    assert_eq!(lag().await.scheduler_lag_seconds, 0.0, "the first reminder is due in 5 minutes");
    clock.advance(minutes(7.0));
    assert_eq!(lag().await.scheduler_lag_seconds, 120.0, "the reminder at 5 minutes waits");
    assert_eq!(app.run_due_jobs().await.unwrap(), 1);
    assert_eq!(lag().await.scheduler_lag_seconds, 0.0, "the next reminder is at 8 minutes");
    let snapshot = lag().await;
    assert_eq!(snapshot.outbox.iter().find(|q| q.platform == Platform::Console).map(|q| q.depth), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_items_are_counted_by_the_feeds_name() {
    let (server, base) = server::FeedServer::start().await;
    for (id, title) in [("a1", "Power outage in the old town"), ("a2", "Water main burst on 5th Avenue")] {
        server.rss.lock().unwrap().add(server::Item {
            id: id.into(),
            title: title.into(),
            link: format!("https://news.example/{id}"),
            published: Utc::now(),
            body: "<p>Reported by residents.</p>".into(),
        });
    }
    let feed = format!("\n[[feeds]]\nname = \"city-news\"\nurl = \"{base}/rss.xml\"\ninterval = \"1h\"\n");
    let intake = support::intake::Intake::start(&feed).await;
    let opened = [("source", "city-news"), ("outcome", "opened")];
    let s =
        scrape_when(&intake.client, intake.addr, None, |s| s.find("tocsin_signals_total", &opened) == Some(2.0)).await;
    assert_eq!(s.value("tocsin_signals_total", &opened), 2.0, "{}", s.text);
    assert_eq!(s.value("tocsin_signals_total", &[("source", "wire"), ("outcome", "opened")]), 0.0);
    intake.shutdown().await;
}
