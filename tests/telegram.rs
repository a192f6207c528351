//! Telegram end to end: tocsin and the real teloxide client against a fake Bot API on
//! loopback. Cards, buttons, refusals, commands addressed to the bot, and updates acted on
//! exactly once.

use crate::support;

use std::time::Duration;
use support::telegram::{ALICE, BOB, LEADERS, OLGA, PATIENCE, TEAM, Tg, texts};
use tocsin::domain::{CaseId, CaseState, EventAction};

fn case(n: &str) -> CaseId {
    CaseId::parse(n).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_opened_in_one_chat_arrives_as_a_card_in_the_team_chat_and_a_leaders_press_edits_it() {
    let tg = Tg::start().await;
    tg.say(LEADERS, ALICE, "/new II Gas leak at Elm Street | residents smell gas");
    let card = tg.expect(TEAM, "#1 Gas leak at Elm Street").await;
    assert!(
        card.text.starts_with("🟠 #1 Gas leak at Elm Street\nresidents smell gas\n🟠 Grade II (orange) · open"),
        "{}",
        card.text
    );
    assert_eq!(
        card.buttons(),
        [("👀 Acknowledge".to_string(), "ack:1".to_string()), ("🙋 Claim".into(), "claim:1".into())]
    );
    // Grade II: 30 minutes to acknowledge, 4 hours to a first response, 3 days to resolve.
    let clocks = card.text.lines().find(|l| l.starts_with("⏱ ")).unwrap_or_else(|| panic!("{}", card.text));
    assert!(clocks.contains("acknowledge: 29m") || clocks.contains("acknowledge: 30m"), "{clocks}");
    assert!(clocks.contains("first response: 3h 59m left") || clocks.contains("first response: 4h left"), "{clocks}");
    assert!(clocks.contains("resolve: 2d 23h left") || clocks.contains("resolve: 3d left"), "{clocks}");
    // The leaders' chat, where it was typed, sees the announcement too.
    tg.expect(LEADERS, "🆕 #1 Gas leak at Elm Street").await;

    tg.press(TEAM, ALICE, card.message_id, "ack:1");
    let edited = tg
        .fake
        .wait_until(|st| st.message(TEAM, card.message_id).is_some_and(|m| m.text.contains("· acknowledged")), PATIENCE)
        .await;
    assert!(edited, "{:#?}", texts(&tg.fake.messages(TEAM)));
    let now = tg.fake.message(TEAM, card.message_id).unwrap();
    assert_eq!(now.edits, 1);
    assert!(now.text.ends_with("Alice Chen: acknowledged it"), "{}", now.text);
    assert!(now.text.contains("⏱ first response: ") && !now.text.contains("acknowledge: "), "stopped: {}", now.text);
    assert_eq!(now.buttons(), [("🙋 Claim".to_string(), "claim:1".to_string())], "acknowledged: only Claim is left");
    assert_eq!(tg.fake.messages(TEAM).len(), 1, "edited in place, not re-posted");
    let answers = tg.fake.answers();
    assert_eq!(answers.len(), 1);
    assert!(!answers[0].show_alert);
    assert_eq!(tg.store.case(case("1")).await.unwrap().unwrap().state, CaseState::Acknowledged);
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_close_is_refused_in_the_chat_and_an_observers_press_gets_an_alert_popup() {
    let tg = Tg::start().await;
    tg.say(TEAM, BOB, "/new Power cut in district 4");
    let card = tg.expect(TEAM, "#1 Power cut").await;
    tg.say(TEAM, BOB, "/close 1");
    tg.expect(TEAM, "Sorry, /close needs the leader role.").await;

    tg.press(TEAM, OLGA, card.message_id, "claim:1");
    assert!(tg.fake.wait_until(|st| !st.answers.is_empty(), PATIENCE).await);
    let answer = &tg.fake.answers()[0];
    assert!(answer.show_alert);
    assert_eq!(answer.text.as_deref(), Some("Sorry, /claim needs the member / leader role."));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!tg.fake.messages(TEAM).iter().any(|m| m.text.contains("/claim")), "a popup, not a chat message");
    let c = tg.store.case(case("1")).await.unwrap().unwrap();
    assert_eq!((c.state, c.owner), (CaseState::Open, None));
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_are_told_their_id_and_unknown_chats_are_told_theirs() {
    let tg = Tg::start().await;
    tg.say(TEAM, 9999, "/new I am not on the team");
    tg.expect(TEAM, "platform telegram, id 9999").await;
    tg.fake.set_chat(-100_999, "group", Some("Elsewhere"));
    tg.say(-100_999, ALICE, "/whoami");
    tg.expect(-100_999, "chat id -100999").await;
    assert!(tg.store.case(case("1")).await.unwrap().is_none());
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_addressed_to_this_bot_work_and_those_for_another_bot_are_ignored() {
    let tg = Tg::start().await;
    tg.say(TEAM, ALICE, "/new@other_bot Not for us");
    tg.say(TEAM, ALICE, "/new@tocsin_bot For us");
    tg.expect(TEAM, "#1 For us").await;
    tg.say(TEAM, ALICE, "/status@TOCSIN_BOT 1");
    tg.expect(TEAM, "Owner: nobody · Leader: Alice Chen").await;
    assert!(!tg.fake.messages(TEAM).iter().any(|m| m.text.contains("Not for us")));
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_list_is_registered_in_both_languages() {
    let tg = Tg::start().await;
    let en = tg.fake.commands(None, "en").expect("English commands");
    let zh = tg.fake.commands(None, "zh").expect("Chinese commands");
    let default = tg.fake.commands(None, "").expect("default commands");
    assert_eq!(en.len(), 29);
    assert!(en.contains(&("ack".to_string(), "Acknowledge a case: the team has seen it.".to_string())), "{en:?}");
    assert!(zh.contains(&("ack".to_string(), "确认案件：团队已看到。".to_string())), "{zh:?}");
    assert!(en.iter().any(|(name, help)| name == "merge" && help.starts_with("Fold the first case into")), "{en:?}");
    assert_eq!(default, en, "the default language is bot.toml's default_locale");
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_update_delivered_again_after_a_restart_changes_nothing() {
    let mut tg = Tg::start().await;
    let update = tg.say(TEAM, ALICE, "/new Water main burst");
    let card = tg.expect(TEAM, "#1 Water main burst").await;
    let events_before = tg.store.events(case("1")).await.unwrap();

    // The process dies before it confirms the update; Telegram hands it out again.
    tg.services.take().unwrap().shutdown().await;
    tg.store.set_setting("telegram.offset", "0", chrono::Utc::now()).await.unwrap();
    tg.fake.push_update(update);
    tg.restart().await;
    assert!(tg.fake.wait_until(|st| st.queue.is_empty(), PATIENCE).await);
    tg.say(TEAM, ALICE, "/status 1"); // a later update, to know the redelivered one was handled
    tg.expect(TEAM, "History:").await;

    assert!(tg.store.case(case("2")).await.unwrap().is_none(), "no second case");
    assert_eq!(tg.store.events(case("1")).await.unwrap(), events_before);
    assert_eq!(
        tg.fake.messages(TEAM).iter().filter(|m| m.text.contains("Water main burst")).count(),
        2,
        "card + status"
    );
    assert_eq!(tg.fake.message(TEAM, card.message_id).unwrap().edits, 0);
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_tap_on_a_button_acts_once() {
    let tg = Tg::start().await;
    tg.say(TEAM, BOB, "/new Gas smell near school");
    let card = tg.expect(TEAM, "#1 Gas smell").await;
    tg.press(TEAM, BOB, card.message_id, "ack:1");
    tg.press(TEAM, BOB, card.message_id, "ack:1");
    assert!(tg.fake.wait_until(|st| st.answers.len() == 2, PATIENCE).await);
    let answers = tg.fake.answers();
    assert_eq!(answers.iter().filter(|a| a.show_alert).count(), 1, "{answers:?}");
    assert!(answers.iter().any(|a| a.text.as_deref() == Some("Case #1 is already acknowledged.")), "{answers:?}");
    let events = tg.store.events(case("1")).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.action == EventAction::Acknowledged).count(), 1);
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forum_topic_chat_gets_its_messages_in_its_topic() {
    let tg = Tg::start_with("", |c| c.replace(&format!("id = {TEAM}\n"), &format!("id = {TEAM}\ntopic = 77\n"))).await;
    tg.fake.set_chat(TEAM, "forum", Some("Ops forum"));
    let update = tg.fake.text_update(TEAM, "forum", ALICE, "/new Bridge closed", Some(77));
    tg.fake.push_update(update);
    let card = tg.expect(TEAM, "#1 Bridge closed").await;
    assert_eq!(card.thread_id, Some(77));
    tg.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_is_a_new_message_that_mentions_the_owner_and_a_breach_mentions_the_leader() {
    // Grade II acknowledged within 4 s: a reminder at 2 s and 3.2 s, the breach at 4 s.
    let tg = Tg::start_with("", |c| c + "\n[clocks.II]\nacknowledge = \"4s\"\n").await;
    tg.say(LEADERS, ALICE, "/new II Gas leak at Elm Street");
    tg.expect(TEAM, "#1 Gas leak at Elm Street").await;
    tg.say(LEADERS, ALICE, "/assign 1 bob");
    let reminder = tg.expect(TEAM, "50%").await;
    let mention = reminder.entities.iter().find(|e| e.kind == "text_mention").expect("a mention");
    assert_eq!(mention.user_id, Some(BOB), "{:?}", reminder.entities);
    let utf16: Vec<u16> = reminder.text.encode_utf16().skip(mention.offset).take(mention.length).collect();
    assert_eq!(String::from_utf16_lossy(&utf16), "Bob Li");
    let breach = tg.expect(LEADERS, "missed its").await;
    let mention = breach.entities.iter().find(|e| e.kind == "text_mention").expect("a mention");
    assert_eq!(mention.user_id, Some(ALICE), "the case's leader: {:?}", breach.entities);
    tg.shutdown().await;
}
