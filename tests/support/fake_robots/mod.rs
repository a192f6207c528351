//! A fake of the three group-robot APIs on loopback — Feishu/Lark custom bots, DingTalk custom
//! robots, WeCom group robots — answering as the platforms do: HTTP 200 with an error code in
//! the body. Each robot checks what its platform checks: Feishu the `timestamp`/`sign` in the
//! body, DingTalk the `timestamp`/`sign` in the query, WeCom the `key`; timestamps against the
//! test's clock, within the hour both platforms allow. Each keeps its platform's per-minute
//! limit (answering the platform's rate-limit code past it, and counting that as a violation),
//! records every body it was posted, and can be told to answer a given error code.

mod check;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as Ax};
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tocsin::clock::Clock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Feishu,
    DingTalk,
    WeCom,
}

/// One post a robot received, and the code it answered.
#[derive(Debug, Clone)]
pub struct Post {
    pub robot: String,
    pub body: Value,
    pub code: i64,
    pub at: DateTime<Utc>,
}

struct Robot {
    kind: Kind,
    secret: Option<String>,
    /// Answers to give instead of the real one, first first.
    scripted: VecDeque<(i64, String)>,
    accepted: VecDeque<DateTime<Utc>>,
}

#[derive(Default)]
pub struct State {
    robots: HashMap<String, Robot>,
    pub posts: Vec<Post>,
    /// Posts beyond a robot's documented limit: the platform would have refused them.
    pub violations: usize,
}

impl State {
    /// The bodies a robot accepted, in order.
    pub fn accepted(&self, robot: &str) -> Vec<Value> {
        self.posts.iter().filter(|p| p.robot == robot && p.code == 0).map(|p| p.body.clone()).collect()
    }

    pub fn answered(&self, robot: &str) -> Vec<i64> {
        self.posts.iter().filter(|p| p.robot == robot).map(|p| p.code).collect()
    }
}

struct Shared {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
}

#[derive(Clone)]
pub struct FakeRobots {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl FakeRobots {
    /// Timestamps are checked, and limits kept, against `clock`: the world's time in the test.
    pub async fn start(clock: Arc<dyn Clock>) -> FakeRobots {
        let shared = Arc::new(Shared { state: Mutex::new(State::default()), clock });
        let app = Router::new()
            .route("/open-apis/bot/v2/hook/{token}", post(feishu))
            .route("/robot/send", post(dingtalk))
            .route("/cgi-bin/webhook/send", post(wecom))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake robots");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeRobots { shared, addr }
    }

    /// Creates a robot and returns its webhook URL, as the platform's group settings show it.
    pub fn add(&self, kind: Kind, token: &str, secret: Option<&str>) -> String {
        let robot =
            Robot { kind, secret: secret.map(str::to_string), scripted: VecDeque::new(), accepted: VecDeque::new() };
        self.lock().robots.insert(token.to_string(), robot);
        match kind {
            Kind::Feishu => format!("http://{}/open-apis/bot/v2/hook/{token}", self.addr),
            Kind::DingTalk => format!("http://{}/robot/send?access_token={token}", self.addr),
            Kind::WeCom => format!("http://{}/cgi-bin/webhook/send?key={token}", self.addr),
        }
    }

    /// The robot's next `times` posts are answered with `code` (and counted as not accepted).
    pub fn fail(&self, token: &str, code: i64, msg: &str, times: usize) {
        let mut st = self.lock();
        let robot = st.robots.get_mut(token).expect("a robot of the fake");
        robot.scripted.extend(std::iter::repeat_n((code, msg.to_string()), times));
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub async fn wait_until(&self, cond: impl Fn(&State) -> bool, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if cond(&self.lock()) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn feishu(Ax(shared): Ax<Arc<Shared>>, Path(token): Path<String>, body: Bytes) -> axum::Json<Value> {
    let (code, msg) = receive(&shared, Kind::Feishu, &token, &HashMap::new(), &body);
    axum::Json(json!({ "code": code, "msg": msg, "data": {} }))
}

async fn dingtalk(
    Ax(shared): Ax<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> axum::Json<Value> {
    let token = q.get("access_token").cloned().unwrap_or_default();
    let (code, msg) = receive(&shared, Kind::DingTalk, &token, &q, &body);
    axum::Json(json!({ "errcode": code, "errmsg": msg }))
}

async fn wecom(
    Ax(shared): Ax<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> axum::Json<Value> {
    let token = q.get("key").cloned().unwrap_or_default();
    let (code, msg) = receive(&shared, Kind::WeCom, &token, &q, &body);
    axum::Json(json!({ "errcode": code, "errmsg": msg }))
}

/// Checks, limits and records one post; returns the platform's code and message.
fn receive(shared: &Shared, kind: Kind, token: &str, query: &HashMap<String, String>, raw: &[u8]) -> (i64, String) {
    let now = shared.clock.now();
    let body: Value = serde_json::from_slice(raw).unwrap_or(Value::Null);
    let mut st = shared.state.lock().unwrap_or_else(|p| p.into_inner());
    let mut violated = false;
    let (code, msg) = match st.robots.get_mut(token).filter(|r| r.kind == kind) {
        None => check::unknown_robot(kind),
        Some(robot) => match robot.scripted.pop_front() {
            Some(scripted) => scripted,
            None => match check::request(kind, robot.secret.as_deref(), query, &body, now) {
                Err(refusal) => refusal,
                Ok(()) => check::limit(kind, &mut robot.accepted, now).unwrap_or_else(|limited| {
                    violated = true;
                    limited
                }),
            },
        },
    };
    st.violations += usize::from(violated);
    st.posts.push(Post { robot: token.to_string(), body, code, at: now });
    (code, msg)
}
