//! The console platform end to end: the real binary, a real SQLite file in a fresh
//! directory, commands piped in, the transcript read back, the ledger checked on disk.

use crate::support;

use std::path::Path;
use support::BOT_TOML;
use support::process::{Tocsin, session};
use tocsin::domain::{CaseId, CaseState, EventAction};
use tocsin::store::Store;

const WALKTHROUGH: [&str; 6] = [
    "/new Water main burst on 5th Avenue | residents report flooding",
    "/ack 1",
    "/assign 1 bob",
    "/status 1",
    "/resolve 1 repaired",
    "/close 1",
];

fn project_with(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bot.toml"), config).unwrap();
    dir
}

async fn ledger(dir: &Path) -> std::sync::Arc<dyn Store> {
    let url = format!("sqlite://{}/tocsin.db", dir.display());
    tocsin::store::connect(&url).await.unwrap()
}

async fn history(store: &dyn Store, case: i64) -> Vec<EventAction> {
    let events = store.events(CaseId::parse(&case.to_string()).unwrap()).await.unwrap();
    events.iter().map(|e| e.action).collect()
}

fn assert_in_order(transcript: &str, expected: &[&str]) {
    let mut rest = transcript;
    for e in expected {
        let at = rest.find(e).unwrap_or_else(|| panic!("{e:?} missing or out of order in:\n{transcript}"));
        rest = &rest[at + e.len()..];
    }
}

#[tokio::test]
async fn a_case_is_worked_from_open_to_closed_on_the_console_in_english() {
    // A message's first line starts at the tag; its further lines are indented under it.
    let dir = project_with(BOT_TOML);
    let (status, out, err) = session(dir.path(), &[], &WALKTHROUGH);
    assert!(status.success(), "exit {status}; stderr:\n{err}");
    assert_in_order(
        &out,
        &[
            "[ops] 🆕 #1 Water main burst on 5th Avenue",
            "[ops]   🔵 Grade IV (blue) · opened by Alice Chen",
            "[ops]   residents report flooding",
            "[ops] 👀 #1 Water main burst on 5th Avenue — acknowledged by Alice Chen",
            "[ops] 👉 #1 Water main burst on 5th Avenue — Bob Li owns it now (assigned by Alice Chen)",
            "[ops]   🔵 Grade IV (blue) · responding",
            "[ops]   Owner: Bob Li · Leader: Alice Chen",
            "[ops]   History:",
            "Alice Chen (console): made Bob Li the owner",
            "[ops] ✅ #1 Water main burst on 5th Avenue — resolved by Alice Chen: repaired",
            "[ops] 📁 #1 Water main burst on 5th Avenue — closed by Alice Chen",
        ],
    );
    let store = ledger(dir.path()).await;
    let case = store.case(CaseId::parse("1").unwrap()).await.unwrap().unwrap();
    assert_eq!(
        (case.state, case.owner.as_deref(), case.resolution.as_deref()),
        (CaseState::Closed, Some("bob"), Some("repaired"))
    );
    use EventAction::*;
    assert_eq!(history(store.as_ref(), 1).await, [Opened, Acknowledged, Assigned, Resolved, Closed]);
}

#[tokio::test]
async fn the_same_walkthrough_speaks_chinese_in_a_chinese_chat() {
    let dir = project_with(&BOT_TOML.replace("default_locale = \"en\"", "default_locale = \"zh-CN\""));
    let mut input = vec!["/new 燃气泄漏 | 居民报告闻到燃气味"];
    input.extend(&WALKTHROUGH[1..]);
    let (status, out, err) = session(dir.path(), &[], &input);
    assert!(status.success(), "exit {status}; stderr:\n{err}");
    assert_in_order(
        &out,
        &[
            "[ops] 🆕 #1 燃气泄漏",
            "[ops]   🔵 Ⅳ级（蓝色） · 由 Alice Chen 立案",
            "[ops]   居民报告闻到燃气味",
            "[ops] 👀 #1 燃气泄漏 — Alice Chen 已确认",
            "[ops] 👉 #1 燃气泄漏 — 负责人改为 Bob Li（由 Alice Chen 指派）",
            "[ops]   🔵 Ⅳ级（蓝色） · 处置中",
            "[ops]   负责人：Bob Li · 负责领导：Alice Chen",
            "[ops] ✅ #1 燃气泄漏 — Alice Chen 已处置：repaired",
            "[ops] 📁 #1 燃气泄漏 — Alice Chen 已结案",
        ],
    );
    let store = ledger(dir.path()).await;
    assert_eq!(history(store.as_ref(), 1).await.len(), 5);
}

#[tokio::test]
async fn lang_switches_the_chat_to_chinese_and_it_stays_switched_after_a_restart() {
    let dir = project_with(BOT_TOML);
    let (_, out, _) = session(dir.path(), &[], &["/lang zh-CN", "/status"]);
    assert_in_order(&out, &["[ops] 🌐 Alice Chen 已将本群语言设为简体中文。", "[ops] 台账上没有案件。"]);
    let (_, out, _) = session(dir.path(), &[], &["/ack 1"]);
    assert!(out.contains("[ops] 不存在案件 #1。"), "{out}");
}

#[tokio::test]
async fn a_members_close_is_refused_with_the_role_it_needs_and_changes_nothing() {
    // Bob is only a member; here he is the one typing on the console.
    let config = BOT_TOML
        .replace("locale = \"en\"\nconsole = true", "locale = \"en\"")
        .replace("locale = \"zh-CN\"\n", "locale = \"zh-CN\"\nconsole = true\n");
    let dir = project_with(&config);
    let (status, out, err) =
        session(dir.path(), &[], &["/new Water main burst", "/close 1", "/assign 1 bob", "/grade 1 V"]);
    assert!(status.success(), "exit {status}; stderr:\n{err}");
    assert_in_order(
        &out,
        &[
            "[ops] 🆕 #1 Water main burst",
            "[ops] Sorry, /close needs the leader role.",
            "[ops] Sorry, /assign needs the leader role.",
            // A member is not shown the usage of a command they may not run at all.
            "[ops] Sorry, /grade needs the leader role.",
        ],
    );
    let store = ledger(dir.path()).await;
    let case = store.case(CaseId::parse("1").unwrap()).await.unwrap().unwrap();
    assert_eq!((case.state, case.version), (CaseState::Open, 1));
    assert_eq!(history(store.as_ref(), 1).await, [EventAction::Opened]);
}

#[tokio::test]
async fn mistakes_are_explained_with_usage_lines_and_change_nothing() {
    let dir = project_with(BOT_TOML);
    let long = format!("/new {}", "x".repeat(300));
    let input = [
        "/new Water main burst on 5th Avenue",
        "/ack 999",
        "/grade 1 V",
        "/frobnicate",
        "/assign 1 nobody",
        "/assign 1 olga",
        "plain words",
        long.as_str(),
        "/resolve",
        "/close 1",
        "/status #0",
        "\u{0}/ack \u{202e}1",
        "/status 1",
    ];
    let (status, out, err) = session(dir.path(), &[], &input);
    assert!(status.success(), "exit {status}; stderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_in_order(
        &out,
        &[
            "[ops] 🆕 #1 Water main burst on 5th Avenue",
            "[ops] There is no case #999.",
            "[ops] Usage: /grade <case> <I|II|III|IV>",
            "[ops] There is no command /frobnicate. Send /help for the list.",
            "[ops] I don't know anyone called \"nobody\". People: alice, bob, dana, olga.",
            "[ops] Olga Park cannot own cases: an owner needs the member or leader role.",
            "[ops] Commands start with / — send /help for the list.",
            "[ops] That text is too long (at most 200 characters).",
            "[ops]   Usage: /new [I|II|III|IV] <title> [| summary]",
            "[ops] Usage: /resolve <case> <summary>",
            "[ops] Case #1 is open: a case is closed only after it is resolved (/resolve 1 <summary>).",
            "[ops] Usage: /status [case]",
            "[ops] Commands start with /",
            "[ops]   🔵 Grade IV (blue) · open",
        ],
    );
    let store = ledger(dir.path()).await;
    let case = store.case(CaseId::parse("1").unwrap()).await.unwrap().unwrap();
    assert_eq!((case.state, case.version), (CaseState::Open, 1));
    assert_eq!(history(store.as_ref(), 1).await, [EventAction::Opened]);
    assert!(store.case(CaseId::parse("2").unwrap()).await.unwrap().is_none());
}

#[test]
fn sigterm_shuts_the_console_down_cleanly() {
    let dir = project_with(BOT_TOML);
    let mut t = Tocsin::start(dir.path(), &["run"], &[]);
    t.send("/new Gas smell near the school");
    t.expect("[ops] 🆕 #1 Gas smell near the school");
    let (status, _, err) = t.terminate();
    assert!(status.success(), "exit {status}; stderr:\n{err}");
    assert!(err.contains("shutting down"), "{err}");
}

#[test]
fn a_second_instance_on_the_same_sqlite_file_is_refused_until_the_first_stops() {
    let dir = project_with(BOT_TOML);
    let mut first = Tocsin::start(dir.path(), &["run"], &[]);
    first.send("/new Gas smell near the school");
    first.expect("[ops] 🆕 #1 Gas smell near the school");
    let (status, _, err) = Tocsin::start(dir.path(), &["run"], &[]).finish();
    assert!(!status.success(), "the second instance must not run");
    assert!(err.contains("another tocsin is already running on") && err.contains("tocsin.db"), "{err}");
    let (status, _, err) = first.terminate();
    assert!(status.success(), "{err}");
    let mut again = Tocsin::start(dir.path(), &["run"], &[]);
    again.send("/status 1");
    again.expect("Gas smell near the school");
    let (status, _, err) = again.finish();
    assert!(status.success(), "once the first stopped, the next one runs: {err}");
}

#[test]
fn check_config_names_the_bad_key_and_fails() {
    let dir = project_with(
        &BOT_TOML.replace("roles = [\"member\"]\nlocale = \"zh-CN\"", "roles = [\"admin\"]\nlocale = \"zh-CN\""),
    );
    let (status, _, err) = Tocsin::start(dir.path(), &["check-config"], &[]).finish();
    assert!(!status.success());
    assert!(err.contains("people[1].roles: unknown role \"admin\""), "{err}");

    let good = project_with(BOT_TOML);
    let (status, out, _) = Tocsin::start(good.path(), &["check-config", "--config", "bot.toml"], &[]).finish();
    assert!(status.success());
    assert!(out.contains("bot.toml: ok"), "{out}");
}

#[test]
fn run_refuses_a_broken_config_without_touching_the_database() {
    let dir = project_with(&BOT_TOML.replace("team_chat = \"ops\"", "team_chat = \"nowhere\""));
    let (status, _, err) = Tocsin::start(dir.path(), &["run"], &[]).finish();
    assert!(!status.success());
    assert!(err.contains("teams[0].team_chat: no chat named \"nowhere\""), "{err}");
    assert!(!dir.path().join("tocsin.db").exists());
}

#[tokio::test]
async fn migrate_creates_and_migrates_the_database_and_exits() {
    let dir = project_with(BOT_TOML);
    let (status, out, err) = Tocsin::start(dir.path(), &["migrate"], &[]).finish();
    assert!(status.success(), "{err}");
    assert!(out.contains("migrations applied"));
    let store = ledger(dir.path()).await;
    assert!(store.cases(&Default::default()).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_sqlite_file_is_created_next_to_bot_toml_wherever_tocsin_is_started() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    std::fs::create_dir(&conf).unwrap();
    std::fs::write(conf.join("bot.toml"), BOT_TOML).unwrap();
    let (status, out, err) = Tocsin::start(dir.path(), &["migrate", "--config", "conf/bot.toml"], &[]).finish();
    assert!(status.success(), "{out}\n{err}");
    assert!(conf.join("tocsin.db").exists());
    assert!(!dir.path().join("tocsin.db").exists());
}

#[tokio::test]
async fn purge_clears_signal_text_past_the_retention_and_a_dry_run_only_counts() {
    use tocsin::store::{CaseWrite, Commit, NewSignal};
    let dir = project_with(&format!("{BOT_TOML}\n[retention]\nsignal_text = \"30d\"\n"));
    let store = ledger(dir.path()).await;
    store.migrate().await.unwrap();
    let now = chrono::Utc::now();
    let signal = |title: &str, days: i64| NewSignal {
        source: "hotline".into(),
        title: title.into(),
        url: Some("https://example.org/report".into()),
        fingerprint: None,
        simhash: 7,
        sketch: None,
        score: 1.0,
        explanation: "→ IV".into(),
        received_at: now - chrono::Duration::days(days),
        specifics: None,
    };
    let case = tocsin::domain::NewCase {
        team: "city-desk".into(),
        title: "Gas leak".into(),
        summary: None,
        source: "hotline".into(),
        grade: tocsin::domain::Grade::IV,
        owner: None,
        leader: None,
        opened_by: "hotline".into(),
        drill: false,
        opened_at: now - chrono::Duration::days(40),
    };
    let signals = vec![signal("a resident's words, 40 days old", 40), signal("yesterday's report", 1)];
    let commit = Commit { signals, ..Commit::new(CaseWrite::Insert(case), now) };
    let id = store.commit(commit).await.unwrap().unwrap();
    let titles =
        || async { store.case_signals(id).await.unwrap().into_iter().map(|s| s.signal.title).collect::<Vec<_>>() };

    let (status, out, err) = Tocsin::start(dir.path(), &["purge", "--dry-run"], &[]).finish();
    assert!(status.success(), "{err}");
    assert!(out.starts_with("1 signals received before ") && out.contains("would have their text cleared"), "{out}");
    assert_eq!(titles().await, ["a resident's words, 40 days old", "yesterday's report"]);

    let (status, out, err) = Tocsin::start(dir.path(), &["purge"], &[]).finish();
    assert!(status.success(), "{err}");
    assert!(out.starts_with("cleared the text of 1 signals"), "{out}");
    assert_eq!(titles().await, ["", "yesterday's report"]);
    let kept = store.case_signals(id).await.unwrap();
    assert_eq!((kept[0].signal.url.as_deref(), kept[0].signal.source.as_str()), (None, "hotline"));
}

#[test]
fn purge_without_a_retention_section_says_so() {
    let dir = project_with(BOT_TOML);
    let (status, _, err) = Tocsin::start(dir.path(), &["purge"], &[]).finish();
    assert!(!status.success());
    assert!(err.contains("no [retention] section"), "{err}");
}
