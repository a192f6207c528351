//! The fake Discord server's own tests, against the real serenity client (not tocsin's code):
//! the gateway here, REST in `fake_discord/rest.rs`, the client and fixtures in
//! `fake_discord/harness.rs`.

use crate::support::fake_discord::{Failure, FakeDiscord, Scope};
use harness::{Bot, CHANNEL, GUILD, Handler, Seen, TOKEN, USER, WAIT, assert_dispatches_parse, gap, intents, world};
use serde_json::json;
use serenity::all::{
    ChannelId, ClientBuilder, CommandDataOptionValue, CreateActionRow, CreateButton, CreateMessage, GatewayIntents,
    HttpBuilder,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::unbounded_channel;

mod harness;
mod rest;

#[tokio::test]
async fn serenity_gets_ready_then_a_slash_command_and_its_answer_is_recorded() {
    let fake = world().await;
    let mut bot = Bot::connect(&fake, intents()).await;
    let ready = bot.ready().await;
    assert_eq!(ready.user.id.get(), FakeDiscord::BOT_ID);
    assert_eq!(ready.application.id.get(), FakeDiscord::APP_ID);
    assert_eq!(ready.guilds.iter().map(|g| g.id.get()).collect::<Vec<_>>(), [GUILD]);
    assert!(fake.connected());
    assert_eq!(fake.with_state(|s| s.gateway.intents), Some(intents().bits()));

    let options = json!([{"name": "case", "type": 4, "value": 12}, {"name": "note", "type": 3, "value": "on it"}]);
    let id = fake.slash(GUILD, CHANNEL, USER, "ack", options);
    let Seen::Command { id: got, name, options } = bot.next_user_event().await else { panic!("not a command") };
    assert_eq!((got, name.as_str()), (id, "ack"));
    assert_eq!(options[0], ("case".to_string(), CommandDataOptionValue::Integer(12)));
    assert_eq!(options[1], ("note".to_string(), CommandDataOptionValue::String("on it".into())));

    assert!(fake.wait_until(|s| !s.responses.is_empty(), WAIT).await);
    let answer = &fake.interaction_responses()[0];
    assert_eq!((answer.interaction_id, answer.kind, answer.ephemeral), (id, 4, false));
    assert_eq!(answer.data.as_ref().unwrap()["content"], "pong ack");
    let posted = fake.messages(CHANNEL);
    assert_eq!(posted.len(), 1, "a type 4 answer is a message everyone sees");
    assert_eq!((posted[0].content.as_str(), posted[0].interaction_id), ("pong ack", Some(id)));
    assert_dispatches_parse(&fake);
}

#[tokio::test]
async fn a_reconnect_during_a_burst_of_presses_delivers_each_press_exactly_once() {
    let fake = world().await;
    let mut bot = Bot::connect(&fake, intents()).await;
    bot.ready().await;
    let button = CreateActionRow::Buttons(vec![CreateButton::new("ack:1").label("Ack")]);
    let posted = ChannelId::new(CHANNEL)
        .send_message(&bot.http, CreateMessage::new().content("Case 1").components(vec![button]))
        .await
        .expect("send");
    let press = |i: usize| fake.press(GUILD, CHANNEL, USER, posted.id.get(), &format!("ack:{i}"));
    let mut pressed: Vec<u64> = (0..7).map(press).collect();
    fake.hold_dispatches(true);
    pressed.extend((7..13).map(press));
    fake.reconnect();
    pressed.extend((13..20).map(press));
    assert!(fake.wait_until(|s| s.gateway.resumes >= 1, WAIT).await, "serenity resumed");
    fake.hold_dispatches(false);

    let mut seen: HashMap<u64, usize> = HashMap::new();
    while seen.values().sum::<usize>() < 20 {
        if let Seen::Component { id, custom_id } = bot.next_user_event().await {
            assert!(custom_id.starts_with("ack:"));
            *seen.entry(id).or_default() += 1;
        }
    }
    // Anything replayed twice would arrive now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(extra) = bot.seen.try_recv() {
        if let Seen::Component { id, .. } = extra {
            *seen.entry(id).or_default() += 1;
        }
    }
    assert!(pressed.iter().all(|id| seen.get(id) == Some(&1)), "each press exactly once: {seen:?}");
    assert_eq!(seen.len(), 20);
    assert_eq!((fake.identifies(), fake.resumes()), (1, 1));
    assert!(fake.wait_until(|s| s.responses.len() == 20, WAIT).await, "every press was acknowledged in time");
    eprintln!("serenity: op 7 → RESUME in {:?}", gap(&fake, "op7", "resume"));
    assert_dispatches_parse(&fake);
}

#[tokio::test]
async fn after_a_non_resumable_invalid_session_serenity_identifies_again_and_keeps_working() {
    let fake = world().await;
    let mut bot = Bot::connect(&fake, intents()).await;
    bot.ready().await;
    let started = Instant::now();
    fake.invalid_session(false);
    assert!(fake.wait_until(|s| s.gateway.identifies == 2, WAIT).await, "serenity identified again");
    bot.ready().await;
    eprintln!(
        "serenity: op 9 (not resumable) → IDENTIFY in {:?} ({:?} after its first start)",
        gap(&fake, "op9", "identify"),
        started.elapsed()
    );
    let id = fake.slash(GUILD, CHANNEL, USER, "status", json!([]));
    let Seen::Command { id: got, .. } = bot.next_user_event().await else { panic!("not a command") };
    assert_eq!(got, id);
    assert_eq!(fake.resumes(), 0);
    assert_dispatches_parse(&fake);
}

#[tokio::test]
async fn after_a_resumable_invalid_session_serenity_resumes() {
    let fake = world().await;
    let mut bot = Bot::connect(&fake, intents()).await;
    bot.ready().await;
    fake.invalid_session(true);
    let id = fake.slash(GUILD, CHANNEL, USER, "status", json!([]));
    let Seen::Command { id: got, .. } = bot.next_user_event().await else { panic!("not a command") };
    assert_eq!(got, id);
    assert_eq!((fake.identifies(), fake.resumes()), (1, 1));
    eprintln!("serenity: op 9 (resumable) → RESUME in {:?}", gap(&fake, "op9", "resume"));
}

#[tokio::test]
async fn after_a_dropped_socket_serenity_reconnects_and_resumes() {
    let fake = world().await;
    let mut bot = Bot::connect(&fake, intents()).await;
    bot.ready().await;
    fake.drop_socket();
    assert!(!fake.connected());
    let id = fake.slash(GUILD, CHANNEL, USER, "status", json!([]));
    let Seen::Command { id: got, .. } = bot.next_user_event().await else { panic!("not a command") };
    assert_eq!(got, id, "the command sent while the socket was down arrives after the RESUME");
    assert!(fake.connected());
    assert_eq!((fake.identifies(), fake.resumes()), (1, 1));
    eprintln!("serenity: dropped socket → RESUME in {:?}", gap(&fake, "drop", "resume"));
    assert_dispatches_parse(&fake);
}

#[tokio::test]
async fn messages_reach_the_bot_with_content_only_with_the_message_content_intent() {
    let fake = world().await;
    let mut bot = Bot::connect(&fake, intents()).await;
    bot.ready().await;
    let id = fake.say(GUILD, CHANNEL, USER, "is the API down?");
    let Seen::Message(m) = bot.next_user_event().await else { panic!("not a message") };
    assert_eq!((m.id.get(), m.content.as_str(), m.author.id.get()), (id, "is the API down?", USER));
    assert_eq!(m.guild_id.map(|g| g.get()), Some(GUILD));
    assert_dispatches_parse(&fake);

    let fake = world().await;
    let mut bot = Bot::connect(&fake, GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES).await;
    bot.ready().await;
    fake.say(GUILD, CHANNEL, USER, "secret");
    let Seen::Message(m) = bot.next_user_event().await else { panic!("not a message") };
    assert_eq!(m.content, "", "no MESSAGE_CONTENT intent, no content");
    assert_eq!(fake.messages(CHANNEL)[0].content, "secret");
}

#[tokio::test]
async fn after_a_close_frame_serenity_resumes_and_heartbeats_are_acknowledged() {
    let fake = world().await;
    fake.set_heartbeat_interval(100);
    let mut bot = Bot::connect(&fake, intents()).await;
    bot.ready().await;
    assert!(fake.wait_until(|s| s.gateway.heartbeats >= 2, WAIT).await, "serenity heartbeats at HELLO's interval");
    fake.close_socket(4000);
    let id = fake.slash(GUILD, CHANNEL, USER, "status", json!([]));
    let Seen::Command { id: got, .. } = bot.next_user_event().await else { panic!("not a command") };
    assert_eq!(got, id);
    assert_eq!((fake.identifies(), fake.resumes()), (1, 1));
    eprintln!("serenity: close 4000 → RESUME in {:?}", gap(&fake, "close", "resume"));
}

#[tokio::test]
async fn a_deferred_answer_is_edited_and_followed_up_and_a_button_can_update_its_message() {
    let fake = world().await;
    let mut bot = Bot::connect(&fake, intents()).await;
    bot.ready().await;
    let id = fake.slash(GUILD, CHANNEL, USER, "slow", json!([]));
    bot.next_user_event().await;
    assert!(fake.wait_until(|s| s.responses.len() == 3, WAIT).await, "defer, edit, followup");
    let answers: Vec<(u64, u8, bool)> =
        fake.interaction_responses().iter().map(|r| (r.interaction_id, r.kind, r.ephemeral)).collect();
    assert_eq!(answers, [(id, 5, true), (id, 0, true), (id, 1, false)]);
    let visible: Vec<String> = fake.messages(CHANNEL).into_iter().map(|m| m.content).collect();
    assert_eq!(visible, ["more"], "the deferred answer was ephemeral");

    let button = CreateActionRow::Buttons(vec![CreateButton::new("update:Acknowledged by anna").label("Ack")]);
    let card = ChannelId::new(CHANNEL)
        .send_message(&bot.http, CreateMessage::new().content("Case 7").components(vec![button]))
        .await
        .expect("send");
    fake.press(GUILD, CHANNEL, USER, card.id.get(), "update:Acknowledged by anna");
    bot.next_user_event().await;
    assert!(fake.wait_until(|s| s.responses.len() == 4, WAIT).await);
    let card = fake.message(CHANNEL, card.id.get()).unwrap();
    assert_eq!((card.content.as_str(), card.components.len(), card.edits), ("Acknowledged by anna", 0, 1));
    assert_dispatches_parse(&fake);
}

#[tokio::test]
async fn a_wrong_token_ends_the_client_with_an_authentication_error() {
    let fake = world().await;
    fake.set_token("the-right-one");
    fake.fail(Failure::ServerError(502), Scope::any());
    let http = HttpBuilder::new(TOKEN).proxy(fake.base_url()).ratelimiter_disabled(true).build();
    let (tx, _seen) = unbounded_channel();
    let mut client = ClientBuilder::new_with_http(http, intents()).event_handler(Handler(tx)).await.expect("client");
    let ended = tokio::time::timeout(WAIT, client.start()).await.expect("the client gave up");
    assert!(ended.is_err(), "close 4004 ends serenity's client: {ended:?}");
    assert_eq!(fake.identifies(), 0, "only accepted IDENTIFYs count");
    assert!(fake.with_state(|s| s.gateway.last("identify-refused").is_some()));
    let calls = fake.calls();
    assert_eq!(
        (calls[0].api_path(), calls[0].status),
        ("/gateway", 200),
        "discovery needs no token and never fails by accident"
    );
    assert!(fake.with_state(|s| s.gateway.connections) >= 1);
}

#[tokio::test]
async fn a_connection_whose_heartbeats_go_unanswered_is_left_for_a_new_session() {
    let fake = world().await;
    fake.set_heartbeat_interval(200);
    let mut bot = Bot::connect(&fake, intents()).await;
    bot.ready().await;
    fake.ack_heartbeats(false);
    let stopped = Instant::now();
    assert!(fake.wait_until(|s| s.gateway.identifies == 2, WAIT).await, "serenity left the zombie connection");
    fake.ack_heartbeats(true);
    eprintln!("serenity: heartbeats unanswered (200 ms interval) → IDENTIFY in {:?}", stopped.elapsed());
    bot.ready().await;
    let id = fake.slash(GUILD, CHANNEL, USER, "status", json!([]));
    let Seen::Command { id: got, .. } = bot.next_user_event().await else { panic!("not a command") };
    assert_eq!(got, id);
}
