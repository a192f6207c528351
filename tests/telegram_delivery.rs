//! Telegram delivery under pressure, checked on what the fake Bot API receives: rate limits,
//! 429 and 403 answers, floods coalesced into digests, hostile text, long replies, and the
//! webhook's door.

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;
use support::fake_telegram::{Failure, Scope};
use support::telegram::{ALICE, LEADERS, PATIENCE, TEAM, Tg, texts};
use tocsin::domain::{CaseId, CaseState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_makes_the_next_send_wait_its_retry_after_and_nothing_is_lost() {
    let tg = Tg::start().await;
    tg.fake.fail(Failure::RetryAfter(2), Scope::method("sendMessage").in_chat(TEAM).once());
    tg.say(TEAM, ALICE, "/new Flooded underpass");
    tg.expect(TEAM, "#1 Flooded underpass").await;
    let sends: Vec<_> = tg.fake.sends().into_iter().filter(|c| c.chat_id == Some(TEAM)).collect();
    assert_eq!(sends[0].status, 429);
    assert_eq!(sends[1].status, 200);
    let waited = sends[1].at - sends[0].at;
    assert!(waited >= Duration::from_secs(2), "the retry came after {waited:?}");
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_is_not_retried_the_leaders_are_told_and_the_case_still_works() {
    let tg = Tg::start().await;
    tg.fake.fail(Failure::Forbidden("bot was kicked from the group chat".into()), Scope::chat(TEAM));
    tg.say(LEADERS, ALICE, "/new Chemical spill");
    tg.expect(LEADERS, "🆕 #1 Chemical spill").await;
    tg.expect(LEADERS, "I could not deliver a message to chat \"ops\" and will not retry: Forbidden: bot was kicked")
        .await;
    tg.say(LEADERS, ALICE, "/ack 1");
    tg.expect(LEADERS, "👀 #1 Chemical spill — acknowledged by Alice Chen").await;
    assert_eq!(tg.store.case(CaseId::parse("1").unwrap()).await.unwrap().unwrap().state, CaseState::Acknowledged);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let to_team = tg.fake.sends().into_iter().filter(|c| c.chat_id == Some(TEAM)).count();
    assert_eq!(to_team, 2, "one attempt per message, none retried");
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_cases_in_a_second_reach_the_group_as_digests_within_its_limits() {
    let tg = Tg::start().await;
    let started = std::time::Instant::now();
    for i in 1..=200 {
        tg.say(TEAM, ALICE, &format!("/new Report {i} of smoke"));
    }
    let pushed = started.elapsed();
    assert!(pushed < Duration::from_secs(1), "the updates took {pushed:?} to push");
    let wanted: BTreeSet<String> = (1..=200).map(|i| format!("#{i} ")).collect();
    let all_there = |texts: &[String]| {
        let joined = texts.join("\n");
        wanted.iter().all(|w| joined.contains(w.as_str()))
    };
    let done = tg.fake.wait_until(|st| all_there(&texts(&st.messages(TEAM))), Duration::from_secs(30)).await;
    let sends: Vec<_> = tg.fake.sends().into_iter().filter(|c| c.chat_id == Some(TEAM) && c.status == 200).collect();
    assert!(done, "not every case number was delivered: {:#?}", texts(&tg.fake.messages(TEAM)));
    assert!(sends[0].at - started < Duration::from_secs(2), "the first message took {:?}", sends[0].at - started);
    for (i, first) in sends.iter().enumerate() {
        let in_minute = sends[i..].iter().filter(|s| s.at - first.at < Duration::from_secs(60)).count();
        assert!(in_minute <= 20, "{in_minute} messages in one minute");
    }
    let per_second: Vec<_> = sends.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(per_second.iter().all(|gap| *gap >= Duration::from_millis(990)), "{per_second:?}");
    assert!(texts(&tg.fake.messages(TEAM)).iter().any(|t| t.starts_with("📋 ")), "a digest was sent");
    tg.shutdown().await;
}

/// Text a hostile or careless reporter might type, every one of which must show as typed.
const HOSTILE: [&str; 7] = [
    r"_*[]()~`>#+-=|{}.!\ all of MarkdownV2's specials",
    "<b>not bold</b> </code> <a href=\"x\">no link</a>",
    "AT&T &amp; &lt;tags&gt; & more",
    "emoji 🔥🧯👩‍🚒 and flags 🇨🇳",
    "燃气泄漏：南京市长江大桥附近",
    "ⓘ RTL \u{202e}reversed\u{202c} and zero\u{200b}width",
    "x",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_shows_exactly_as_typed_with_only_our_own_formatting() {
    let tg = Tg::start().await;
    let long_url = format!("https://example.org/{}?q=a_b*c", "segment/".repeat(18));
    let mut titles: Vec<String> = HOSTILE.iter().map(|s| s.to_string()).collect();
    titles.push(format!("see {long_url}"));
    for (i, text) in titles.iter().enumerate() {
        // `|` separates the title from the summary, so the title gets the text without it.
        let title = text.replace('|', "");
        tg.say(TEAM, ALICE, &format!("/new {title} | summary: {text}"));
        let card = tg.expect(TEAM, &format!("#{} ", i + 1)).await;
        // Direction overrides are neutralised (U+FFFD) before sending, as is every control
        // character (`tocsin::domain::untrusted`); Telegram itself strips U+2028..U+202E.
        let shown = |s: &str| {
            let s = tocsin::domain::untrusted::shown(s);
            s.chars().filter(|c| !('\u{2028}'..='\u{202e}').contains(c)).collect::<String>()
        };
        let headline = format!("🔵 #{} {}", i + 1, shown(&title));
        let expected = format!("{headline}\nsummary: {}\n", shown(text));
        assert!(card.text.starts_with(&expected), "{:?}\n{:?}", card.text, text);
        assert!(card.raw_text.contains(&tocsin::platform::telegram::html::escape(text)), "sent as typed");
        let bold: Vec<_> = card.spans().into_iter().filter(|(k, _)| k == "bold").map(|(_, t)| t).collect();
        // Telegram cuts bold around a link it detects, so the headline may come in pieces.
        assert_eq!(bold.concat(), headline, "only the headline is bold");
        let italic: Vec<_> = card.spans().into_iter().filter(|(k, _)| k == "italic").map(|(_, t)| t).collect();
        assert_eq!(italic, ["Alice Chen: opened it at grade IV"]);
        // The summary is quoted: text from outside, set apart from the card's own lines.
        let ours = ["bold", "italic", "blockquote", "url", "hashtag", "mention", "cashtag", "bot_command"];
        assert!(card.entities.iter().all(|e| ours.contains(&e.kind.as_str())), "{:?}", card.entities);
    }
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_longer_than_a_telegram_message_arrives_split_and_whole() {
    let tg = Tg::start().await;
    let title = "y".repeat(190);
    for _ in 0..20 {
        tg.say(LEADERS, ALICE, &format!("/new {title}"));
    }
    tg.expect(LEADERS, "#20 ").await;
    tg.say(TEAM, ALICE, "/list");
    tg.expect(TEAM, "Cases on the ledger (newest first):").await;
    let found = tg.fake.wait_until(|st| st.messages(TEAM).iter().any(|m| m.text.contains("#1 🔵 IV")), PATIENCE).await;
    assert!(found);
    // The reply is the last thing queued for the team chat, after the cases' cards and digests.
    let all = texts(&tg.fake.messages(TEAM));
    let parts = &all[all.len() - 2..];
    assert!(parts[0].starts_with("Cases on the ledger (newest first):\n#20 "), "{parts:#?}");
    assert!(
        parts[1].starts_with("#") && parts[1].ends_with(&format!("#1 🔵 IV · open · nobody · {title}")),
        "{parts:#?}"
    );
    assert!(parts.iter().all(|p| p.encode_utf16().count() <= 4096));
    let joined = format!("{}\n{}", parts[0], parts[1]);
    for n in 1..=20 {
        assert!(joined.contains(&format!("#{n} 🔵 IV · open · nobody · {title}")), "#{n} missing");
    }
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_and_a_5xx_are_retried_with_growing_pauses() {
    let tg = Tg::start().await;
    tg.fake.fail(Failure::Disconnect, Scope::method("sendMessage").in_chat(TEAM).once());
    tg.fake.fail(Failure::ServerError, Scope::method("sendMessage").in_chat(TEAM).once());
    tg.say(TEAM, ALICE, "/new Gas main pressure drop");
    tg.expect(TEAM, "#1 Gas main pressure drop").await;
    let sends: Vec<_> = tg.fake.sends().into_iter().filter(|c| c.chat_id == Some(TEAM)).collect();
    let statuses: Vec<u16> = sends.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [0, 502, 200], "dropped, bad gateway, delivered");
    // teloxide itself waits 10 s after any 5xx before it reports it; our back-off comes on top.
    assert!(sends[1].at - sends[0].at >= Duration::from_secs(1), "first back-off: 1 s");
    assert!(sends[2].at - sends[1].at >= Duration::from_secs(2), "second back-off: 2 s");
    assert_eq!(tg.fake.messages(TEAM).len(), 1, "delivered once");
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_whose_send_hangs_holds_up_only_itself() {
    // A long poll of 15 s gives teloxide's HTTP client a 22 s timeout, longer than the test's
    // patience: only tocsin's own send timeout can free the delivery loop in time.
    let tg = Tg::start_with("", |c| c.replace("poll_timeout = 2", "poll_timeout = 15")).await;
    // The team chat's first send is held far longer than tocsin waits for any platform answer.
    tg.fake.fail(Failure::Hang(Duration::from_secs(60)), Scope::method("sendMessage").in_chat(TEAM).once());
    tg.say(LEADERS, ALICE, "/new Gas main pressure drop");
    tg.expect(LEADERS, "🆕 #1 Gas main pressure drop").await;
    assert!(
        tg.fake.wait_until(|st| st.sends().iter().any(|c| c.chat_id == Some(TEAM)), PATIENCE).await,
        "the card's send to the team chat has started"
    );
    // While that send hangs, a reply queued later for the leaders' chat goes out.
    tg.say(LEADERS, ALICE, "/status");
    tg.expect(LEADERS, "On the ledger: 1").await;
    assert!(
        tg.fake.messages(TEAM).is_empty(),
        "the team chat's send was still hanging: {:#?}",
        texts(&tg.fake.messages(TEAM))
    );
    // tocsin gives up on the hanging send and tries again: the card arrives.
    tg.expect(TEAM, "#1 Gas main pressure drop").await;
    tg.shutdown().await;
}
