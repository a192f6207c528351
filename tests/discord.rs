//! Discord end to end: tocsin and the real serenity client against a fake Discord (gateway
//! websocket and REST) on loopback, with the fake Telegram Bot API beside it for a team that
//! works on both. Cards, buttons, slash commands, refusals, mentions, limits, resumes, and
//! one public voice reaching both platforms.

use crate::support;

use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use support::discord::{
    ALICE, ALICE_TG, BOB, BOB_TG, DANA, Dc, GUILD, LEADERS, NEWS, OPS, OPS_TG, PATIENCE, PUBLIC_TG, STRANGER, buttons,
    shown, shown_all,
};
use support::fake_discord::{Failure, Scope};
use tocsin::domain::{CaseId, CaseState, EventAction};

fn case(n: &str) -> CaseId {
    CaseId::parse(n).unwrap()
}

fn case_option(n: i64) -> serde_json::Value {
    json!([{ "name": "case", "type": 4, "value": n }])
}

/// The responses Discord accepted for one interaction.
fn responses_to(dc: &Dc, interaction: u64) -> Vec<support::fake_discord::InteractionResponse> {
    dc.discord.interaction_responses().into_iter().filter(|r| r.interaction_id == interaction).collect()
}

async fn answered(dc: &Dc, interaction: u64) -> support::fake_discord::InteractionResponse {
    let done = dc.discord.wait_until(|st| st.responses.iter().any(|r| r.interaction_id == interaction), PATIENCE).await;
    assert!(done, "interaction {interaction} was never answered; calls: {:#?}", dc.discord.calls());
    responses_to(dc, interaction).remove(0)
}

fn content(r: &support::fake_discord::InteractionResponse) -> String {
    support::discord::unescape(r.data.as_ref().and_then(|d| d["content"].as_str()).unwrap_or(""))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_signal_becomes_an_embed_card_and_a_press_edits_it_in_place_while_the_channel_is_flooded() {
    let dc = Dc::start().await;
    let status = dc
        .signal(json!({ "source": "hotline", "title": "Gas leak at Elm Street", "body": "residents smell gas" }))
        .await;
    assert_eq!(status, 202);
    let card = dc.expect(OPS, "#1 Gas leak at Elm Street").await;
    let embed = &card.embeds[0];
    assert_eq!(embed["color"], json!(0x1976d2), "Grade IV's colour: {embed}");
    assert!(shown(&card).contains("Grade IV (blue) · open"), "{}", shown(&card));
    assert_eq!(
        buttons(&card),
        [("👀 Acknowledge".to_string(), "ack:1".to_string()), ("🙋 Claim".into(), "claim:1".into())]
    );
    assert_eq!(card.allowed_mentions, Some(json!({ "parse": [] })));

    // 200 messages wait for the team channel, far more than Discord lets through at once.
    let services = dc.services.as_ref().unwrap();
    let ops = services.app.config().chat("ops").unwrap().clone();
    for i in 1..=200 {
        services.app.enqueue_reply(&ops, format!("queued message {i}"), None).await.unwrap();
    }
    let press = dc.press(OPS, ALICE, card.id, "ack:1");
    // The fake refuses an answer later than Discord's three seconds (10062 Unknown interaction).
    let answer = answered(&dc, press).await;
    assert_eq!(answer.kind, 6, "a press that changed the case is acknowledged without a message");
    let acked = dc
        .discord
        .wait_until(|st| st.message(OPS, card.id).is_some_and(|m| shown(&m).contains("· acknowledged")), PATIENCE)
        .await;
    assert!(acked, "{:#?}", shown_all(&dc.discord.messages(OPS)));
    let now = dc.discord.message(OPS, card.id).unwrap();
    assert!(shown(&now).contains("Alice Chen: acknowledged it"), "{}", shown(&now));
    assert_eq!(buttons(&now), [("🙋 Claim".to_string(), "claim:1".to_string())]);
    let cards = dc.discord.messages(OPS).into_iter().filter(|m| !m.embeds.is_empty()).count();
    assert_eq!(cards, 1, "edited in place, not posted again");
    assert_eq!(dc.store.case(case("1")).await.unwrap().unwrap().state, CaseState::Acknowledged);
    assert_eq!(dc.discord.limit_violations(), 0, "Discord's limits were kept");
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_close_is_refused_privately_and_a_stranger_is_told_their_discord_id() {
    let dc = Dc::start().await;
    let new = dc.slash(OPS, BOB, "new", json!([{ "name": "title", "type": 3, "value": "Power cut in district 4" }]));
    assert!(answered(&dc, new).await.ephemeral, "a committed command's answer is for its asker");
    dc.expect(OPS, "#1 Power cut in district 4").await;

    let close = dc.slash(OPS, BOB, "close", case_option(1));
    let refusal = answered(&dc, close).await;
    assert_eq!(refusal.kind, 4);
    assert!(refusal.ephemeral, "refusals are shown to the asker only");
    assert_eq!(content(&refusal), "Sorry, /close needs the leader role.");

    let who = dc.slash(OPS, STRANGER, "whoami", json!([]));
    let unknown = answered(&dc, who).await;
    assert!(unknown.ephemeral);
    assert!(content(&unknown).contains(&format!("platform discord, id {STRANGER}")), "{}", content(&unknown));
    assert_eq!(dc.store.case(case("1")).await.unwrap().unwrap().state, CaseState::Open);
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_case_worked_from_telegram_and_discord_at_once_shows_every_step_on_both_cards() {
    let dc = Dc::start().await;
    dc.telegram.push_update(dc.telegram.text_update(
        OPS_TG,
        "supergroup",
        ALICE_TG,
        "/new II Flooding on Route 9",
        None,
    ));
    let discord_card = dc.expect(OPS, "#1 Flooding on Route 9").await;
    // The card is the bot's message there that starts with the case's headline.
    let tg_has = |needle: &'static str| {
        move |st: &support::fake_telegram::State| {
            st.messages(OPS_TG).iter().any(|m| {
                m.from_bot && m.text.contains("#1 Flooding") && m.text.contains(needle) && m.text.contains("⏱")
            })
        }
    };
    assert!(dc.telegram.wait_until(tg_has("#1 Flooding on Route 9"), PATIENCE).await, "the Telegram card");

    // Bob acknowledges on Discord ...
    dc.press(OPS, BOB, discord_card.id, "ack:1");
    assert!(
        dc.telegram.wait_until(tg_has("Bob Li: acknowledged it"), PATIENCE).await,
        "Telegram shows the Discord press"
    );
    // ... and claims it back on Telegram.
    let tg_card = dc.telegram.messages(OPS_TG).into_iter().find(|m| m.from_bot && m.reply_markup.is_some()).unwrap();
    dc.telegram.push_update(dc.telegram.callback_update(OPS_TG, BOB_TG, tg_card.message_id, "claim:1"));
    let claimed = dc
        .discord
        .wait_until(
            |st| st.message(OPS, discord_card.id).is_some_and(|m| shown(&m).contains("Bob Li: took it")),
            PATIENCE,
        )
        .await;
    assert!(claimed, "Discord shows the Telegram press: {:#?}", shown_all(&dc.discord.messages(OPS)));
    assert!(dc.telegram.wait_until(tg_has("Bob Li: took it"), PATIENCE).await);

    let c = dc.store.case(case("1")).await.unwrap().unwrap();
    assert_eq!(c.owner.as_deref(), Some("bob"), "one person across platforms");
    let events = dc.store.events(case("1")).await.unwrap();
    let by = |action| {
        events.iter().filter(|e| e.action == action).map(|e| (e.actor.clone(), e.platform.clone())).collect::<Vec<_>>()
    };
    assert_eq!(by(EventAction::Acknowledged), [("bob".to_string(), "discord".to_string())]);
    assert_eq!(by(EventAction::Claimed), [("bob".to_string(), "telegram".to_string())]);
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_429_and_a_global_429_are_waited_out_exactly_and_a_403_tells_the_leaders() {
    let dc = Dc::start().await;
    let route = format!("POST /api/v10/channels/{OPS}/messages");
    dc.discord.fail(Failure::RateLimited { retry_after: 1.5, global: false }, Scope::route(&route).once());
    dc.slash(OPS, ALICE, "new", json!([{ "name": "title", "type": 3, "value": "Bridge closed" }]));
    dc.expect(OPS, "#1 Bridge closed").await;
    let posts: Vec<_> = dc
        .discord
        .calls()
        .into_iter()
        .filter(|c| c.method == "POST" && c.path.ends_with(&format!("/channels/{OPS}/messages")))
        .collect();
    assert_eq!(posts.iter().map(|c| c.status).collect::<Vec<_>>(), [429, 200], "retried once, delivered once");
    let waited = posts[1].at - posts[0].at;
    assert!(waited >= Duration::from_millis(1500), "waited {waited:?}, Discord asked for 1.5 s");

    // Typed in the leaders' channel: the team channel gets the card, the leaders' the notice.
    dc.discord.fail(Failure::RateLimited { retry_after: 1.0, global: true }, Scope::route(&route).once());
    dc.slash(LEADERS, ALICE, "new", json!([{ "name": "title", "type": 3, "value": "Tunnel closed" }]));
    dc.expect(OPS, "#2 Tunnel closed").await;
    dc.expect(LEADERS, "#2 Tunnel closed").await;
    let calls = dc.discord.calls();
    let limited = calls.iter().position(|c| c.status == 429 && c.at > posts[1].at).expect("the global 429");
    for later in calls[limited + 1..].iter().filter(|c| c.path.contains("/channels/")) {
        assert!(
            later.at - calls[limited].at >= Duration::from_secs(1),
            "{} {} did not wait for the global limit",
            later.method,
            later.path
        );
    }
    assert_eq!(dc.discord.messages(OPS).iter().filter(|m| shown(m).contains("Tunnel closed")).count(), 1, "sent once");

    dc.discord.fail(Failure::MissingAccess, Scope::channel(OPS).times(100));
    dc.slash(LEADERS, ALICE, "new", json!([{ "name": "title", "type": 3, "value": "Gas main repair" }]));
    let told = dc.expect(LEADERS, "could not deliver a message to chat \"ops\"").await;
    assert!(shown(&told).contains("Missing Access"), "{}", shown(&told));
    let tries = dc.discord.calls().into_iter().filter(|c| c.status == 403).count();
    assert_eq!(tries, 1, "a 403 is not retried");
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_and_masked_links_in_alert_text_ping_no_one_and_show_as_typed() {
    let dc = Dc::start().await;
    let title = "@everyone @here <@&42> [click here](https://evil.example) **DB down**";
    assert_eq!(dc.signal(json!({ "source": "hotline", "title": title })).await, 202);
    let card = dc.expect(OPS, "DB down").await;
    assert_eq!(card.allowed_mentions, Some(json!({ "parse": [] })), "nobody is pinged");
    let headline = support::discord::unescape(card.embeds[0]["title"].as_str().unwrap());
    assert!(headline.ends_with(title), "shown as typed: {headline}");
    let raw = card.embeds[0]["title"].as_str().unwrap();
    // Every character that would start a mention, a masked link or bold is escaped.
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
            continue;
        }
        assert!(!"@<[*".contains(c), "an unescaped {c:?} would render: {raw}");
    }
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_drop_and_resume_in_a_burst_of_presses_handles_each_once() {
    let dc = Dc::start().await;
    // One at a time, so each gets its card (five at once would be one digest).
    for (n, title) in ["One", "Two", "Three", "Four", "Five"].iter().enumerate() {
        dc.slash(OPS, ALICE, "new", json!([{ "name": "title", "type": 3, "value": title }]));
        dc.expect(OPS, &format!("#{} {title}", n + 1)).await;
    }
    let cards: HashMap<u64, u64> = dc
        .discord
        .messages(OPS)
        .iter()
        .filter_map(|m| Some((buttons(m).first()?.1.trim_start_matches("ack:").parse().ok()?, m.id)))
        .collect();
    let mut presses = Vec::new();
    for (n, message) in &cards {
        presses.push(dc.press(OPS, BOB, *message, &format!("ack:{n}")));
    }
    // The session drops in the middle of the burst; presses made meanwhile are replayed on RESUME.
    dc.discord.hold_dispatches(true);
    for (n, message) in &cards {
        presses.push(dc.press(OPS, ALICE, *message, &format!("claim:{n}")));
    }
    dc.discord.drop_socket();
    dc.discord.hold_dispatches(false);
    for (n, message) in &cards {
        presses.push(dc.press(OPS, BOB, *message, &format!("ack:{n}")));
    }
    for p in &presses {
        answered(&dc, *p).await;
    }
    assert!(dc.discord.resumes() >= 1, "the session was resumed");
    for p in &presses {
        assert_eq!(responses_to(&dc, *p).len(), 1, "interaction {p} answered once");
    }
    for n in 1..=5 {
        let events = dc.store.events(case(&n.to_string())).await.unwrap();
        let count = |a| events.iter().filter(|e| e.action == a).count();
        assert_eq!((count(EventAction::Acknowledged), count(EventAction::Claimed)), (1, 1), "case {n}: {events:#?}");
    }
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_approved_by_button_on_discord_is_published_to_a_discord_announcement_channel_and_a_telegram_outlet() {
    let dc = Dc::start().await;
    let statement = "Route 9 is closed near the river; use Route 12. *Updates* follow <here>.";
    dc.slash(OPS, BOB, "new", json!([{ "name": "title", "type": 3, "value": "Route 9 flooded" }]));
    dc.expect(OPS, "#1 Route 9 flooded").await;
    let draft = json!([{ "name": "case", "type": 4, "value": 1 }, { "name": "text", "type": 3, "value": statement }]);
    dc.slash(OPS, BOB, "draft", draft);
    let card = dc.expect(LEADERS, "Reply 1.1").await;
    let approve = buttons(&card).into_iter().find(|(_, id)| id.starts_with("approve:")).expect("an Approve button");
    dc.press(LEADERS, ALICE, card.id, &approve.1);
    dc.expect(LEADERS, "Approved by Alice Chen").await;

    let publish = dc.slash(OPS, DANA, "publish", json!([{ "name": "draft", "type": 3, "value": "1.1" }]));
    answered(&dc, publish).await;
    let news = dc.expect(NEWS, "Route 9 is closed").await;
    assert_eq!(shown(&news), statement, "the announcement channel gets the text as written");
    assert_eq!(news.allowed_mentions, Some(json!({ "parse": [] })));
    let crossposted = dc.discord.wait_until(|st| st.crossposted.contains(&(NEWS, news.id)), PATIENCE).await;
    assert!(crossposted, "published to the channel's followers");
    let on_telegram =
        dc.telegram.wait_until(|st| st.messages(PUBLIC_TG).iter().any(|m| m.text == statement), PATIENCE).await;
    assert!(on_telegram, "the Telegram outlet gets the same statement");
    let events = dc.store.events(case("1")).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.action == EventAction::StatementPublished).count(), 1, "one commit");
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_is_registered_in_the_server_with_typed_options_in_english_and_chinese() {
    let dc = Dc::start().await;
    let commands = dc.discord.commands(GUILD).unwrap();
    let names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    for name in ["ack", "claim", "new", "close", "due", "draft", "approve", "publish", "update", "whoami"] {
        assert!(names.contains(&name), "/{name} is registered: {names:?}");
    }
    let ack = commands.iter().find(|c| c["name"] == "ack").unwrap();
    assert!(ack["description_localizations"]["zh-CN"].as_str().is_some_and(|d| !d.is_empty()), "{ack}");
    let option = &ack["options"][0];
    assert_eq!(
        (option["name"].as_str(), option["type"].as_u64(), option["required"].as_bool()),
        (Some("case"), Some(4), Some(true))
    );
    assert!(option["description_localizations"]["zh-CN"].as_str().is_some_and(|d| d.contains("事件")), "{option}");
    let assign = commands.iter().find(|c| c["name"] == "assign").unwrap();
    assert_eq!(assign["options"][1]["type"], json!(6), "a person is a Discord user: {assign}");
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_press_made_while_tocsin_restarts_is_handled_once_by_the_new_process() {
    let mut dc = Dc::start().await;
    dc.slash(OPS, ALICE, "new", json!([{ "name": "title", "type": 3, "value": "Water main burst" }]));
    let card = dc.expect(OPS, "#1 Water main burst").await;
    dc.discord.hold_dispatches(true);
    let press = dc.press(OPS, BOB, card.id, "ack:1");
    dc.restart().await;
    dc.discord.hold_dispatches(false);
    assert_eq!(answered(&dc, press).await.kind, 6);
    let acked = dc
        .discord
        .wait_until(
            |st| st.message(OPS, card.id).is_some_and(|m| shown(&m).contains("Bob Li: acknowledged it")),
            PATIENCE,
        )
        .await;
    assert!(acked, "{:#?}", shown_all(&dc.discord.messages(OPS)));
    let events = dc.store.events(case("1")).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.action == EventAction::Acknowledged).count(), 1);
    assert_eq!(responses_to(&dc, press).len(), 1);
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_message_content_intent_commands_typed_as_messages_work_and_are_answered_in_the_channel() {
    let dc = Dc::start_with(|c| c.replace("[discord]\n", "[discord]\nmessage_content = true\n")).await;
    dc.discord.say(GUILD, OPS, BOB, "/new III Traffic lights out on Main St");
    let card = dc.expect(OPS, "#1 Traffic lights out on Main St").await;
    assert_eq!(buttons(&card).len(), 2);
    dc.discord.say(GUILD, OPS, BOB, "/close 1");
    dc.expect(OPS, "Sorry, /close needs the leader role.").await;
    dc.discord.say(GUILD, OPS, BOB, "just chatting, not a command");
    dc.discord.say(GUILD, OPS, ALICE, "/ack 1");
    let acked = dc
        .discord
        .wait_until(
            |st| st.message(OPS, card.id).is_some_and(|m| shown(&m).contains("Alice Chen: acknowledged it")),
            PATIENCE,
        )
        .await;
    assert!(acked, "{:#?}", shown_all(&dc.discord.messages(OPS)));
    let bot_texts: Vec<String> =
        dc.discord.messages(OPS).iter().filter(|m| m.author_id != BOB && m.author_id != ALICE).map(shown).collect();
    assert!(!bot_texts.iter().any(|t| t.contains("just chatting")), "plain chat gets no answer: {bot_texts:#?}");
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_discords_reconnect_and_invalid_session_every_press_is_still_answered_once() {
    let dc = Dc::start().await;
    for (n, title) in ["Smoke on Pier 3", "Fallen tree on Oak Rd"].iter().enumerate() {
        dc.slash(OPS, ALICE, "new", json!([{ "name": "title", "type": 3, "value": title }]));
        dc.expect(OPS, &format!("#{} {title}", n + 1)).await;
    }
    let card = |n: u64| {
        let all = dc.discord.messages(OPS);
        let found = all.iter().find(|m| buttons(m).iter().any(|(_, id)| *id == format!("ack:{n}"))).cloned();
        found.unwrap_or_else(|| panic!("no card for #{n}: {all:#?}")).id
    };
    let (one, two) = (card(1), card(2));
    let first = dc.press(OPS, BOB, one, "ack:1");
    dc.discord.reconnect();
    let second = dc.press(OPS, BOB, two, "ack:2");
    answered(&dc, second).await;
    // A session that cannot be resumed is identified anew; serenity takes 5 s for that (its
    // shard manager times out waiting for the runner), and on Discord presses made meanwhile
    // are lost, so this one is made once the new session is up.
    dc.discord.invalid_session(false);
    let reidentified = dc.discord.wait_until(|st| st.gateway.identifies >= 2 && st.gateway.live, PATIENCE).await;
    assert!(reidentified, "a new session after op 9");
    let third = dc.press(OPS, ALICE, one, "claim:1");
    for p in [first, second, third] {
        answered(&dc, p).await;
        assert_eq!(responses_to(&dc, p).len(), 1, "interaction {p} answered once");
    }
    assert!(dc.discord.resumes() >= 1, "op 7: the session was resumed");
    assert!(dc.discord.identifies() >= 2, "op 9 (not resumable): a new session was identified");
    let c1 = dc.store.case(case("1")).await.unwrap().unwrap();
    assert_eq!((c1.state, c1.owner.as_deref()), (CaseState::Responding, Some("alice")));
    assert_eq!(dc.store.case(case("2")).await.unwrap().unwrap().state, CaseState::Acknowledged);
    dc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_discord_token_appears_nowhere_in_a_whole_run_logged_at_trace() {
    // Assembled at run time, so nothing token-shaped is committed.
    let token = format!("{}.{}.{}", "MTAxMDEwMTAxMDEwMTAxMDEw", "SECRET", "discord-token-Pq8");
    let discord = support::fake_discord::FakeDiscord::start().await;
    discord.set_token(&token);
    discord.add_guild(GUILD, "City desk");
    discord.add_channel(GUILD, OPS, "ops");
    discord.add_user(ALICE, "alice");
    let grades = &support::BOT_TOML[support::BOT_TOML.find("[grades.I]").unwrap()..];
    let config = format!(
        "database = \"sqlite://tocsin.db\"\n[discord]\napi_url = \"{}\"\n\n[[people]]\nname = \"alice\"\nroles = [\"leader\", \"member\"]\ndiscord = {ALICE}\n\n\
         [chats.ops]\nplatform = \"discord\"\nid = \"{OPS}\"\n\n[[teams]]\nname = \"desk\"\nteam_chat = \"ops\"\n\n{grades}",
        discord.base_url()
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bot.toml"), config).unwrap();
    let tocsin =
        support::process::Tocsin::start(dir.path(), &["run"], &[("RUST_LOG", "trace"), ("DISCORD_TOKEN", &token)]);
    assert!(discord.wait_until(|st| st.commands.contains_key(&GUILD), PATIENCE).await, "connected");
    // A failed send is logged with its error.
    discord.fail(Failure::Drop, Scope::channel(OPS).once());
    let press = discord.slash(GUILD, OPS, ALICE, "new", json!([{ "name": "title", "type": 3, "value": "Gas leak" }]));
    assert!(discord.wait_until(|st| st.messages(OPS).iter().any(|m| shown(m).contains("#1 Gas leak")), PATIENCE).await);
    assert!(discord.wait_until(|st| st.responses.iter().any(|r| r.interaction_id == press), PATIENCE).await);
    let (_, out, err) = tocsin.terminate();
    assert!(err.lines().count() > 50, "a trace-level run logs plenty: {err}");
    for secret in [token.as_str(), "SECRET.discord-token-Pq8"] {
        for (name, text) in [("stdout", &out), ("stderr", &err)] {
            let leaks: Vec<&str> = text.lines().filter(|l| l.contains(secret)).take(3).collect();
            assert!(leaks.is_empty(), "the token appears in {name}:\n{}", leaks.join("\n"));
        }
    }
}
