//! Hostile and careless input from outside, tried as an attacker or a tired leader would:
//! nothing typed or posted may take the process down, borrow trust or forge the bot's voice.

use crate::support;

use support::fake_telegram::{Failure, Scope};
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

/// Every secret tocsin is given, in a whole run at the most verbose log level: the Telegram
/// token (polling the fake Bot API, sending a card), the bearer token and the HMAC key of two
/// webhook sources (each used), and the password of the Postgres URL. None may appear in
/// anything the process prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_test_database, ignore = "needs TEST_DATABASE_URL (see README)")]
async fn no_secret_appears_in_a_whole_run_logged_at_trace() {
    use support::intake::bearer;
    let Some(db) = support::TestDb::postgres().await else { return };
    db.store().await; // migrated here, so the process only connects
    const TOKEN: &str = "4242:SECRET-telegram-token-Zq9";
    const BEARER: &str = "SECRET-bearer-token-Wx4";
    const HMAC_KEY: &str = "SECRET-hmac-key-Vy7";
    const PASSWORD: &str = "SECRET-pg-password-Ut2";
    const WEBHOOK_SECRET: &str = "SECRET-webhook-secret-Rs3";
    let url = with_password(&db.url, PASSWORD);
    let fake = support::fake_telegram::FakeTelegram::start().await;
    fake.set_chat(TEAM, "supergroup", Some("Ops"));
    fake.set_chat(LEADERS, "supergroup", Some("Leaders"));
    let config = format!(
        "{}\n[http]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"WIRE_TOKEN\"\n\n\
         [[sources]]\nname = \"signed\"\nkind = \"generic\"\nhmac_env = \"SIGNED_KEY\"\n",
        support::telegram::config(&fake, "")
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bot.toml"), config).unwrap();
    let env = [
        ("RUST_LOG", "trace"),
        ("TELOXIDE_TOKEN", TOKEN),
        ("TOCSIN_TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("WIRE_TOKEN", BEARER),
        ("SIGNED_KEY", HMAC_KEY),
        ("TOCSIN_DATABASE_URL", url.as_str()),
    ];
    let mut tocsin = support::process::Tocsin::start(dir.path(), &["run"], &env);
    let line = tocsin.expect_log("intake webhooks");
    let addr = line.split("addr=").nth(1).and_then(|a| a.split_whitespace().next()).expect("the address is logged");
    // Failed calls are logged with their error, whose URL would hold the token.
    fake.fail(Failure::Disconnect, Scope::method("sendMessage").once());
    fake.fail(Failure::Disconnect, Scope::method("getUpdates").once());
    fake.push_update(fake.text_update(LEADERS, "supergroup", ALICE, "/new II Gas leak at Elm Street", None));
    assert!(fake.wait_until(|st| st.messages(TEAM).iter().any(|m| m.text.contains("#1 Gas leak")), PATIENCE).await);
    let client = reqwest::Client::new();
    let body = br#"{"source": "wire", "title": "Water main burst on 5th Avenue"}"#.to_vec();
    let signed = br#"{"source": "signed", "title": "Power cut in district 4"}"#.to_vec();
    for (headers, body) in [(vec![bearer(BEARER)], body), (support::intake::signed(HMAC_KEY, &signed).to_vec(), signed)]
    {
        let mut req = client.post(format!("http://{addr}/api/v1/signals")).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        assert_eq!(req.send().await.unwrap().status().as_u16(), 202);
    }
    assert!(fake.wait_until(|st| st.messages(TEAM).iter().any(|m| m.text.contains("Power cut")), PATIENCE).await);
    tocsin.expect_log("getUpdates failed"); // the dropped poll is logged, with its error
    let (_, out, err) = tocsin.terminate();
    assert!(err.lines().count() > 100, "a trace-level run logs plenty: {err}");
    let secret_part = TOKEN.split(':').nth(1).unwrap();
    for secret in [TOKEN, secret_part, BEARER, HMAC_KEY, PASSWORD, WEBHOOK_SECRET] {
        for (name, text) in [("stdout", &out), ("stderr", &err)] {
            let leaks: Vec<&str> = text.lines().filter(|l| l.contains(secret)).take(3).collect();
            assert!(leaks.is_empty(), "{secret} appears in {name}:\n{}", leaks.join("\n"));
        }
    }
}

/// `postgres://user@host/db` with a password added (trust auth ignores it; the test is
/// whether it is ever printed).
fn with_password(url: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (userinfo, host) = rest.split_once('@').expect("a user in TEST_DATABASE_URL");
    let user = userinfo.split(':').next().unwrap_or(userinfo);
    format!("{scheme}://{user}:{password}@{host}")
}
