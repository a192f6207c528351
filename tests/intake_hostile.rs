//! The intake listener against hostile and careless clients (issue 15, items 5–7 and 9): bodies
//! refused before they are read, slow heads and bodies cut off, a connection cap that keeps
//! `/healthz` reachable, a fast 503 beyond the requests in flight, replayed signatures refused,
//! idempotency keys compared whole, per-source rates, and JSON for every refusal.
//!
//! Real HTTP on loopback, partly spoken by hand over TCP to do what a well-behaved client never
//! does. The deadlines below only bound a test that would otherwise hang; nothing here asserts
//! how fast an answer came.

use crate::support;

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use support::TestDb;
use support::intake::{Intake, SIGNED_KEY, WIRE_TOKEN, bearer, config, signed_at, source, token_of};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// How long a test waits for an answer that must come.
const PATIENCE: Duration = Duration::from_secs(10);

/// Opens a connection and sends `head` (without its blank line: it is added when `complete`)
/// and then `body`.
async fn send(addr: SocketAddr, head: &str, complete: bool, body: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = if complete { format!("{head}\r\n\r\n") } else { head.to_string() };
    stream.write_all(head.as_bytes()).await.expect("send the head");
    stream.write_all(body).await.expect("send the body");
    stream
}

/// An answer read by hand: status, headers (lower-case names), JSON body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Reads one answer from `stream`; `None` when the server closed the connection without one.
async fn answer(stream: &mut TcpStream) -> Option<Answer> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let mut lines = head.split("\r\n");
                let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
                    .collect();
                let len: usize = headers.iter().find(|(k, _)| k == "content-length")?.1.parse().ok()?;
                while buf.len() < end + 4 + len {
                    let n = stream.read(&mut chunk).await.ok()?;
                    if n == 0 {
                        return None;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = serde_json::from_slice(&buf[end + 4..end + 4 + len])
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&buf[end + 4..]).into()));
                return Some(Answer { status, headers, body });
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(PATIENCE, read).await.expect("an answer or a close, not silence")
}

/// Whether the server has closed `stream` (rather than keeping it open) within `PATIENCE`.
async fn closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(tokio::time::timeout(PATIENCE, stream.read(&mut byte)).await, Ok(Ok(0) | Err(_)))
}

fn post_head(path: &str, length: usize, auth: &[(&str, String)]) -> String {
    let extra: String = auth.iter().map(|(k, v)| format!("\r\n{k}: {v}")).collect();
    format!("POST {path} HTTP/1.1\r\nhost: tocsin\r\ncontent-type: application/json\r\ncontent-length: {length}{extra}")
}

fn is_error(body: &Value) -> bool {
    body["error"].as_str().is_some_and(|e| !e.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_without_credentials_is_refused_before_it_is_sent() {
    let intake = Intake::start("").await;
    // 8000 bytes announced (under the 8 KiB limit), ten sent: the answer comes anyway.
    for auth in
        [vec![], vec![bearer("guess")], signed_at(SIGNED_KEY, chrono::Utc::now().timestamp() - 3600, b"{}").to_vec()]
    {
        let mut stream = send(intake.addr, &post_head("/api/v1/signals", 8000, &auth), true, b"{\"source\"").await;
        let a = answer(&mut stream).await.expect("refused while the body is still coming");
        assert_eq!(a.status, 401, "{:?}: {}", auth, a.body);
        assert!(is_error(&a.body), "{}", a.body);
        assert_eq!(a.header("content-type"), Some("application/json"));
    }
    // With good credentials, a body announced over the limit is refused before it is sent too.
    let mut stream =
        send(intake.addr, &post_head("/api/v1/signals", 10_000_000, &[bearer(WIRE_TOKEN)]), true, b"{").await;
    let a = answer(&mut stream).await.expect("413 at once");
    assert_eq!(a.status, 413, "{}", a.body);
    assert!(is_error(&a.body), "{}", a.body);
    assert!(intake.store.case(tocsin::domain::CaseId::parse("1").unwrap()).await.unwrap().is_none());
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_head_is_cut_off_and_a_slow_body_gets_408() {
    let text = config("")
        .replace("body_limit = 8192\n", "body_limit = 8192\nheader_timeout = \"1s\"\nbody_timeout = \"1s\"\n");
    let intake = Intake::start_on(text, TestDb::sqlite()).await;
    // Half a head, then nothing: the connection is closed.
    let mut slow_head = send(intake.addr, "POST /api/v1/signals HTTP/1.1\r\nhost: tocsin\r\n", false, b"").await;
    assert!(closed(&mut slow_head).await, "a head that never ends is cut off");
    // A connection that never sends anything is closed as well.
    let mut silent = TcpStream::connect(intake.addr).await.unwrap();
    assert!(closed(&mut silent).await, "an idle connection is closed");
    // An authenticated request whose body stops halfway: 408, in JSON.
    let mut slow_body = send(intake.addr, &post_head("/api/v1/signals", 100, &[bearer(WIRE_TOKEN)]), true, b"{").await;
    let a = answer(&mut slow_body).await.expect("an answer");
    assert_eq!(a.status, 408, "{}", a.body);
    assert!(is_error(&a.body), "{}", a.body);
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_holds_and_healthz_still_answers() {
    let text = config("").replace("body_limit = 8192\n", "body_limit = 8192\nmax_connections = 8\n");
    let intake = Intake::start_on(text, TestDb::sqlite()).await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(send(intake.addr, "GET /healthz HTTP/1.1\r\n", false, b"").await);
    }
    // Each newcomer closed the longest-idle connection: the probe gets in.
    let health = intake.client.get(format!("http://{}/healthz", intake.addr)).send().await.expect("/healthz answers");
    assert_eq!(health.status().as_u16(), 200);
    let mut closed_count = 0;
    // The oldest were closed first; the last few (at most the cap, less the probe) stay open.
    for stream in idle.iter_mut().take(12) {
        closed_count += usize::from(closed(stream).await);
    }
    assert_eq!(closed_count, 12, "the twelve oldest idle connections were closed to stay within 8");
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_requests_in_flight_a_503_says_when_to_retry() {
    let text = config("").replace("body_limit = 8192\n", "body_limit = 8192\nmax_in_flight = 1\n");
    let intake = Intake::start_on(text, TestDb::sqlite()).await;
    let body = br#"{"source": "x", "title": "Water outage in district 9"}"#;
    // The one place in flight is taken by a request whose body is still coming.
    let mut first =
        send(intake.addr, &post_head("/api/v1/signals", body.len(), &[bearer(WIRE_TOKEN)]), true, &body[..5]).await;
    // Until the first holds the place, a probe that takes nothing in (422) gets through.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let (status, answer_body) = loop {
        let (status, body) = intake.post("/api/v1/signals", &[bearer(WIRE_TOKEN)], "{}").await;
        if status != 422 || tokio::time::Instant::now() > deadline {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status, 503, "{answer_body}");
    assert!(is_error(&answer_body), "{answer_body}");
    let (status, _) = intake.signal(json!({ "source": "x", "title": "Gas leak on Elm Street" })).await;
    assert_eq!(status, 503);
    let busy = intake
        .client
        .post(format!("http://{}/api/v1/signals", intake.addr))
        .header("authorization", format!("Bearer {WIRE_TOKEN}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status().as_u16(), 503);
    let retry: u64 = busy.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    // The probes are not intake requests: they still answer.
    let health = intake.client.get(format!("http://{}/healthz", intake.addr)).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    first.write_all(&body[5..]).await.unwrap();
    let a = answer(&mut first).await.expect("the first is answered");
    assert_eq!((a.status, a.body), (202, json!({ "outcome": "opened", "case": 1 })));
    assert_eq!(intake.signal(json!({ "source": "x", "title": "Gas leak on Elm Street" })).await.0, 202);
    intake.shutdown().await;
}

/// tocsin's HMAC scheme signs a timestamp with the body: a replay is refused by every instance
/// on the same database (Postgres; SQLite is one instance's); the same body signed anew is taken
/// in; a stale signature is refused.
async fn a_replayed_signature_is_refused_by_every_instance(db: TestDb) {
    let second_db = (db.backend == support::Backend::Postgres).then(|| db.alias());
    let one = Intake::start_on(config(""), db).await;
    let two = match second_db {
        Some(db) => Some(Intake::start_on(config(""), db).await),
        None => None,
    };
    let two_or_one = two.as_ref().unwrap_or(&one);
    let body = br#"{"source": "x", "title": "Power cut in district 4"}"#.to_vec();
    let now = chrono::Utc::now().timestamp();
    let headers = signed_at(SIGNED_KEY, now, &body);
    assert_eq!(
        one.post("/api/v1/signals", &headers, body.clone()).await,
        (202, json!({ "outcome": "opened", "case": 1 }))
    );
    for instance in [&one, two_or_one] {
        let (status, answer) = instance.post("/api/v1/signals", &headers, body.clone()).await;
        assert_eq!(status, 401, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains("used before"), "{answer}");
    }
    let again = signed_at(SIGNED_KEY, now + 1, &body);
    assert_eq!(two_or_one.post("/api/v1/signals", &again, body.clone()).await.0, 202, "the same body, signed anew");
    // (A minute past the window either way: the test's clock reading is not the server's.)
    let now = chrono::Utc::now().timestamp();
    for stale in [now - 360, now + 360] {
        let (status, answer) = one.post("/api/v1/signals", &signed_at(SIGNED_KEY, stale, &body), body.clone()).await;
        assert_eq!(status, 401, "{stale}: {answer}");
    }
    assert_eq!(one.store.case_signals(tocsin::domain::CaseId::parse("1").unwrap()).await.unwrap().len(), 2);
    // Rows past their window are deleted.
    let store = one.store.clone();
    let past = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    assert!(store.first_sighting("test:old", past).await.unwrap());
    assert!(!store.first_sighting("test:old", past).await.unwrap());
    assert_eq!(store.forget_sightings(chrono::Utc::now()).await.unwrap(), 1);
    assert!(store.first_sighting("test:old", past).await.unwrap(), "forgotten");
    if let Some(two) = two {
        two.shutdown().await;
    }
    one.shutdown().await;
}

on_both_backends!(a_replayed_signature_is_refused_by_every_instance);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_idempotency_keys_that_differ_late_are_both_taken_in() {
    let intake = Intake::start("").await;
    let long = "k".repeat(250);
    let post = |key: String, title: &str| {
        let body = serde_json::to_vec(&json!({ "source": "x", "title": title })).unwrap();
        let headers = [bearer(WIRE_TOKEN), ("idempotency-key", key)];
        let intake = &intake;
        async move { intake.post("/api/v1/signals", &headers, body).await }
    };
    assert_eq!(post(format!("{long}-a"), "Gas leak on Elm Street").await.1["outcome"], "opened");
    assert_eq!(post(format!("{long}-b"), "Power outage downtown").await.1["outcome"], "opened");
    assert_eq!(post(format!("{long}-a"), "Gas leak on Elm Street").await.1, json!({ "outcome": "duplicate" }));
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_over_its_rate_gets_429_with_retry_after_and_others_go_on() {
    let intake = Intake::start(&format!("{}rate = \"2/min\"\n", source("metered", 1.0))).await;
    let signal = |n: usize| json!({ "source": "x", "title": format!("Report {n} of a burst main") });
    assert_eq!(intake.signal_as("metered", signal(1)).await.0, 202);
    assert_eq!(intake.signal_as("metered", signal(2)).await.0, 202);
    let over = intake
        .client
        .post(format!("http://{}/api/v1/signals", intake.addr))
        .header("authorization", format!("Bearer {}", token_of("metered")))
        .body(serde_json::to_vec(&signal(3)).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(over.status().as_u16(), 429);
    let retry: u64 = over.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "one request more in 30 s: {retry}");
    let body: Value = over.json().await.unwrap();
    assert!(is_error(&body), "{body}");
    assert_eq!(intake.signal(signal(4)).await.0, 202, "another source is not held back");
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_json() {
    let intake = Intake::start("").await;
    let big = format!(r#"{{"source": "x", "title": "{}"}}"#, "y".repeat(9000));
    let too_large = intake.post("/api/v1/signals", &[bearer(WIRE_TOKEN)], big).await;
    let long_uri = intake.post(&format!("/api/v1/signals?{}", "q".repeat(10_000)), &[bearer(WIRE_TOKEN)], "{}").await;
    let long_head =
        intake.post("/api/v1/signals", &[bearer(WIRE_TOKEN), ("x-padding", "p".repeat(20_000))], "{}").await;
    let nowhere = intake.post("/api/v1/nowhere", &[bearer(WIRE_TOKEN)], "{}").await;
    let wrong_method = intake.client.get(format!("http://{}/api/v1/signals", intake.addr)).send().await.unwrap();
    let wrong_method = (wrong_method.status().as_u16(), wrong_method.json::<Value>().await.unwrap_or_default());
    let unauthenticated = intake.post("/api/v1/signals", &[], "{}").await;
    for (want, (status, body)) in [
        (413, too_large),
        (414, long_uri),
        (431, long_head),
        (404, nowhere),
        (405, wrong_method),
        (401, unauthenticated),
    ] {
        assert_eq!(status, want, "{body}");
        assert!(is_error(&body), "{want}: {body}");
    }
    // A head past the parser's own backstop (4 × header_limit) is refused by it, in JSON too;
    // so is a head that is not HTTP.
    let endless = format!("GET /healthz HTTP/1.1\r\nx-padding: {}", "p".repeat(70_000));
    for (head, want) in [(endless.as_str(), 431), ("GET /healthz HTTP/1.1\r\nbad header\r\n\r\n", 400)] {
        let mut stream = send(intake.addr, head, false, b"").await;
        let a = answer(&mut stream).await.expect("an answer");
        assert_eq!(a.status, want, "{}", a.body);
        assert!(is_error(&a.body), "{}", a.body);
    }
    intake.shutdown().await;
}
