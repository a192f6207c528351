//! Issue 15, items 2–4: hostile input through the intake webhooks, end to end over real HTTP
//! on loopback with a real SQLite ledger. A credential cannot borrow another source's trust;
//! made-up engagement numbers and made-up source names cannot grade a story up to I; a
//! hostile title cannot forge a line of the bot's, reach a terminal raw, or be kept whole —
//! on the console (the real binary) and on a Telegram card (the real teloxide client against
//! the fake Bot API).

use crate::support;

use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use support::fake_telegram::{FakeTelegram, Msg};
use support::intake::{Intake, WIRE_TOKEN, outlets, source};
use support::process::Tocsin;
use support::telegram::{LEADERS, PATIENCE, TEAM, TOKEN};
use support::{BOT_TOML, TestDb};
use tocsin::domain::grading::Explanation;
use tocsin::domain::{CaseId, EventAction, Grade};
use tocsin::store::Store;

fn id(n: i64) -> CaseId {
    CaseId::parse(&n.to_string()).unwrap()
}

async fn explanation(store: &dyn Store, case: i64) -> Explanation {
    let signals = store.case_signals(id(case)).await.unwrap();
    serde_json::from_str(&signals.last().expect("a signal").signal.explanation).unwrap()
}

// Item 2 ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weak_credential_naming_a_trusted_source_in_the_body_keeps_its_own_weight() {
    let intake = Intake::start(&(source("low", 0.1) + &source("trusted", 3.0))).await;
    // safety ×1 (3.0) and 999 views (attention 3.0): 0.1 × 6 = 0.6 from "low", 3 × 6 = 18 from
    // "trusted". The old code took the weight of the body's "source" and made this Grade I.
    let borrowed = json!({ "source": "trusted", "title": "Gas leak on Elm Street", "metrics": { "views": 999 } });
    assert_eq!(intake.signal_as("low", borrowed).await, (202, json!({ "outcome": "opened", "case": 1 })));
    let case = intake.store.case(id(1)).await.unwrap().unwrap();
    assert_eq!(case.grade, Grade::IV, "graded with the credential's weight, 0.1");
    let why = explanation(intake.store.as_ref(), 1).await;
    assert_eq!((why.source_weight, why.sources), (0.1, 1));
    let signals = intake.store.case_signals(id(1)).await.unwrap();
    assert_eq!(signals[0].signal.source, "low", "the source is the credential's");
    // The body's name is kept, as a label only.
    let events = intake.store.events(id(1)).await.unwrap();
    assert_eq!(
        (events[0].details["source"].as_str(), events[0].details["label"].as_str()),
        (Some("low"), Some("trusted"))
    );

    // The trusted source's own credential does carry its weight.
    let own = json!({ "source": "trusted", "title": "Explosion at the Riverside chemical plant", "metrics": { "views": 999 } });
    assert_eq!(intake.signal_as("trusted", own).await.1["case"], 2);
    assert_eq!(intake.store.case(id(2)).await.unwrap().unwrap().grade, Grade::I);
    assert_eq!(explanation(intake.store.as_ref(), 2).await.source_weight, 3.0);
    intake.shutdown().await;
}

// Item 3 ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engagement_numbers_of_u64_max_cannot_make_a_signal_grade_one() {
    let intake = Intake::start("").await;
    let max = u64::MAX;
    let (status, answer) = intake
        .signal(json!({ "source": "x", "title": "Street lamp flickering on Oak Road",
                        "metrics": { "views": max, "comments": max, "shares": max } }))
        .await;
    assert_eq!((status, answer), (202, json!({ "outcome": "opened", "case": 1 })));
    let why = explanation(intake.store.as_ref(), 1).await;
    assert_eq!(why.attention, 6.0, "attention stops at its ceiling (it was 20.5)");
    assert!(why.categories.is_empty());
    assert_eq!(intake.store.case(id(1)).await.unwrap().unwrap().grade, Grade::III, "6.0 is III, never I");
    intake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_source_names_are_not_diffusion_but_distinct_credentials_are() {
    let intake = Intake::start(&outlets(4)).await;
    let report = "A street lamp on Oak Road has been flickering since Monday evening and residents asked the city to check the wiring.";
    for i in 0..64 {
        let (status, answer) = intake
            .signal(json!({ "source": format!("made-up-{i}"), "title": "Lamp flickering on Oak Road", "body": report }))
            .await;
        assert_eq!((status, &answer["case"]), (202, &json!(1)), "{answer}");
    }
    let case = intake.store.case(id(1)).await.unwrap().unwrap();
    // 64 body names were log2(64) × 2 = 12 points of diffusion: Grade I from IV.
    assert_eq!(case.grade, Grade::IV, "one credential is one source");
    assert_eq!(explanation(intake.store.as_ref(), 1).await.sources, 1);
    let events = intake.store.events(id(1)).await.unwrap();
    assert!(!events.iter().any(|e| e.action == EventAction::Regraded));

    // Four credentials are four sources: 2 × log2(4) = 4 points, Grade III.
    let other = "Water pressure dropped in the north district this morning and several buildings report weak taps.";
    for i in 0..4 {
        let outlet = format!("outlet-{i}");
        let (_, answer) = intake
            .signal_as(&outlet, json!({ "source": "x", "title": "Low water pressure up north", "body": other }))
            .await;
        assert_eq!(answer["case"], 2, "{answer}");
    }
    assert_eq!(explanation(intake.store.as_ref(), 2).await.sources, 4);
    assert_eq!(intake.store.case(id(2)).await.unwrap().unwrap().grade, Grade::III);
    intake.shutdown().await;
}

// Item 4 ------------------------------------------------------------------------------------

const FORGED: &str = "✅ #1 Gas leak — resolved by Alice Chen";

/// A title with a forged bot line, an escape that erases the terminal line, a right-to-left
/// override and 200,000 more characters; a body with the forged line on a line of its own.
fn hostile_signal() -> serde_json::Value {
    json!({
        "source": "hotline",
        "title": format!("Gas leak\n{FORGED}\u{1b}[2K\u{202E} {}", "x".repeat(200_000)),
        "body": format!("Residents smell gas.\r\n{FORGED}\n\u{1b}[31mred\u{202E}reversed"),
    })
}

/// What the ledger must hold for [`hostile_signal`]'s title: one line of exactly 200 characters.
fn assert_clean_title(title: &str) {
    assert!(title.starts_with(&format!("Gas leak {FORGED}\u{FFFD}[2K\u{FFFD} xxx")), "{title:?}");
    assert!(title.ends_with("x…"), "{title:?}");
    assert_eq!(title.chars().count(), 200);
}

fn assert_nothing_raw(text: &str) {
    for bad in ['\u{1b}', '\u{202E}', '\r', '\u{9b}'] {
        assert!(!text.contains(bad), "{bad:?} reached the output:\n{text}");
    }
}

fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bot.toml"), config).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

const WIRE_SOURCE: &str = "\n[[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"WIRE_TOKEN\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_webhook_title_cannot_forge_a_console_line_or_reach_the_terminal_raw() {
    let port = free_port();
    let dir = project(&format!("{BOT_TOML}\n[http]\nlisten = \"127.0.0.1:{port}\"\n{WIRE_SOURCE}"));
    let mut tocsin = Tocsin::start(dir.path(), &["run"], &[("WIRE_TOKEN", WIRE_TOKEN)]);
    tocsin.send("/status");
    tocsin.expect("[ops] Nothing is on the ledger."); // started: the webhook listener is bound

    post_hostile_signal(&format!("127.0.0.1:{port}")).await;
    tocsin.expect("[ops] 🆕 #1 Gas leak");
    tocsin.send("/status 1");
    tocsin.expect("History:");
    // A member's typed title follows the same rule.
    tocsin.send("/new Typed\u{1b}[2J\u{202E} title | first\u{1b}[0m");
    tocsin.expect("[ops] 🆕 #2 Typed");
    let (status, out, err) = tocsin.finish();
    assert!(status.success(), "exit {status}; stderr:\n{err}");

    assert_nothing_raw(&out);
    for line in out.lines() {
        assert!(line.starts_with("[ops] "), "every line carries the chat's tag: {line:?}");
        // Nothing was resolved: a line that begins a message with ✅ would be forged.
        assert!(!line.starts_with("[ops] ✅"), "a forged bot line:\n{out}");
    }
    let opened = out.lines().find(|l| l.starts_with("[ops] 🆕 #1 ")).unwrap();
    assert_clean_title(opened.strip_prefix("[ops] 🆕 #1 ").unwrap());
    // The body keeps its lines, each indented under the message it belongs to.
    assert!(out.contains(&format!("\n[ops]   Residents smell gas.\n[ops]   {FORGED}\n")), "{out}");
    assert!(out.contains("[ops]   \u{FFFD}[31mred\u{FFFD}reversed"), "{out}");
    assert!(out.contains("[ops] 🆕 #2 Typed\u{FFFD}[2J\u{FFFD} title\n[ops]   "), "{out}");

    let store = tocsin::store::connect(&format!("sqlite://{}/tocsin.db", dir.path().display())).await.unwrap();
    let case = store.case(id(1)).await.unwrap().unwrap();
    assert_clean_title(&case.title);
    assert_eq!(
        case.summary.as_deref(),
        Some(format!("Residents smell gas.\n{FORGED}\n\u{FFFD}[31mred\u{FFFD}reversed").as_str())
    );
    assert_clean_title(&store.case_signals(id(1)).await.unwrap()[0].signal.title);
    assert_eq!(store.case(id(2)).await.unwrap().unwrap().title, "Typed\u{FFFD}[2J\u{FFFD} title");
}

/// tocsin with the fake Telegram as its platform and the intake webhooks on a free port.
async fn telegram_with_intake(fake: &FakeTelegram, db: &TestDb) -> tocsin::run::Services {
    fake.set_chat(TEAM, "supergroup", Some("Ops"));
    fake.set_chat(LEADERS, "supergroup", Some("Leaders"));
    let text = format!("{}\n[http]\nlisten = \"127.0.0.1:0\"\n{WIRE_SOURCE}", support::telegram::config(fake, ""));
    let mut config = tocsin::config::Config::parse(&text).expect("a valid config");
    config.database_url = db.url.clone();
    let vars = HashMap::from([("WIRE_TOKEN".to_string(), WIRE_TOKEN.to_string())]);
    let secrets = tocsin::run::Secrets { telegram_token: Some(TOKEN.into()), vars: Some(vars), ..Default::default() };
    tocsin::run::start(config, Arc::new(tocsin::clock::SystemClock), secrets).await.expect("tocsin starts")
}

/// The card's text between UTF-16 offsets, as Telegram counts entities.
fn utf16_slice(text: &str, offset: usize, length: usize) -> String {
    let units: Vec<u16> = text.encode_utf16().skip(offset).take(length).collect();
    String::from_utf16_lossy(&units)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_webhook_title_shows_as_one_clean_bounded_line_on_a_telegram_card() {
    let fake = FakeTelegram::start().await;
    let db = TestDb::sqlite();
    let services = telegram_with_intake(&fake, &db).await;
    let addr = services.http_addr.expect("intake listens");
    post_hostile_signal(&addr.to_string()).await;
    let found = fake
        .wait_until(|st| st.messages(TEAM).iter().any(|m| m.from_bot && m.text.contains("#1 Gas leak")), PATIENCE)
        .await;
    assert!(found, "no card: {:#?}", fake.messages(TEAM).iter().map(|m| &m.text).collect::<Vec<_>>());
    let card: Msg = fake.messages(TEAM).into_iter().find(|m| m.text.contains("#1 Gas leak")).unwrap();

    assert_nothing_raw(&card.text);
    let mut lines = card.text.lines();
    let headline = lines.next().unwrap();
    assert_clean_title(headline.strip_prefix("🔵 #1 ").unwrap_or_else(|| panic!("{headline:?}")));
    // The summary is quoted: the forged line is inside the quote, never a line of the card's own.
    let quote = card.entities.iter().find(|e| e.kind == "blockquote").expect("the summary is quoted");
    let quoted = utf16_slice(&card.text, quote.offset, quote.length);
    assert_eq!(quoted.trim_end(), format!("Residents smell gas.\n{FORGED}\n\u{FFFD}[31mred\u{FFFD}reversed"));
    let outside = card.text.replacen(&quoted, "", 1);
    assert!(!outside.lines().any(|l| l.starts_with('✅')), "a forged line outside the quote:\n{}", card.text);
    assert!(outside.contains("🔵 Grade IV (blue) · open"), "{}", card.text);

    let store = db.store().await;
    assert_clean_title(&store.case(id(1)).await.unwrap().unwrap().title);
    services.shutdown().await;
}

/// Posts [`hostile_signal`] through the wire source's credential; it must be taken in.
async fn post_hostile_signal(addr: &str) {
    let answer = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/signals"))
        .bearer_auth(WIRE_TOKEN)
        .json(&hostile_signal())
        .send()
        .await
        .expect("the intake answers");
    assert_eq!(answer.status().as_u16(), 202);
}
