//! Hostile and careless input from outside, tried as an attacker or a tired leader would:
//! nothing typed or posted may take the process down, borrow trust or forge the bot's voice.

mod support;

use support::telegram::{ALICE, LEADERS, PATIENCE, TEAM, Tg, texts};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaders_typo_of_an_enormous_duration_gets_a_usage_line_and_the_bot_carries_on() {
    let mut tg = Tg::start().await;
    tg.say(LEADERS, ALICE, "/new II Gas leak at Elm Street");
    tg.expect(TEAM, "#1 Gas leak at Elm Street").await;
    // (Answers that come at once may be collected into one digest message.)
    // Each of these once panicked in date arithmetic and ended the process (exit 101); in
    // polling mode the same update then came back after every restart.
    for typo in ["/due 1 resolve 99999999d x", "/due 1 respond 9223372036854775807s x", "/watch on x for 99999999d"] {
        tg.say(LEADERS, ALICE, typo);
    }
    let answered = tg
        .fake
        .wait_until(
            |st| st.messages(LEADERS).iter().map(|m| m.text.matches("at most 366 days").count()).sum::<usize>() == 3,
            PATIENCE,
        )
        .await;
    assert!(answered, "{:#?}", texts(&tg.fake.messages(LEADERS)));
    // Still running, and still taking a sensible extension.
    tg.say(LEADERS, ALICE, "/due 1 resolve 2d waiting for the utility");
    tg.expect(LEADERS, "moved the resolve deadline").await;
    // Nothing comes back after a restart: every update was recorded.
    let before = tg.fake.messages(LEADERS).len();
    tg.restart().await;
    tg.say(LEADERS, ALICE, "/status 1");
    tg.expect(LEADERS, "Grade II").await;
    let after: Vec<_> = tg.fake.messages(LEADERS).into_iter().skip(before).collect();
    assert!(!after.iter().any(|m| m.text.contains("at most 366 days")), "{:#?}", texts(&after));
    tg.shutdown().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_ledger_and_its_wal_are_readable_by_tocsin_only() {
    use std::os::unix::fs::PermissionsExt;
    let tg = Tg::start().await;
    tg.say(LEADERS, ALICE, "/new Gas leak at Elm Street");
    tg.expect(TEAM, "#1 Gas leak").await;
    let path = tg.db.url.strip_prefix("sqlite://").unwrap().to_string();
    for file in [path.clone(), format!("{path}-wal"), format!("{path}-shm")] {
        let mode = std::fs::metadata(&file).unwrap_or_else(|e| panic!("{file}: {e}")).permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{file}: {mode:o}");
    }
    tg.shutdown().await;
}

#[test]
fn a_line_that_is_not_utf8_on_the_console_is_refused_and_the_console_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bot.toml"), support::BOT_TOML).unwrap();
    let mut tocsin = support::process::Tocsin::start(dir.path(), &["run"], &[]);
    tocsin.send_bytes(b"/new Gas \xff\xfe leak\n");
    tocsin.expect("[ops] That line was not UTF-8 text, so it was ignored.");
    tocsin.send("/new Gas leak at Elm Street");
    tocsin.expect("[ops] 🆕 #1 Gas leak at Elm Street");
    let (status, out, err) = tocsin.finish();
    assert!(status.success(), "exit {status}; stderr:\n{err}\n{out}");
}
