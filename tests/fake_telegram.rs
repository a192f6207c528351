//! The fake Telegram server's own tests: its parsers against tdlib's test vectors and hostile
//! input, and its wire behaviour against the real teloxide client.

use crate::support::fake_telegram;
mod parsers;

use fake_telegram::{Failure, FakeTelegram, Scope};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, BotCommandScope, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ParseMode, Recipient,
    ReplyParameters, Seconds, ThreadId, UpdateKind,
};
use teloxide::{ApiError, RequestError};

const TOKEN: &str = "123456:TEST-token_abc";
const GROUP: i64 = -1001234567890;
const WAIT: Duration = Duration::from_secs(5);

fn api_error(r: Result<impl std::fmt::Debug, RequestError>) -> ApiError {
    match r {
        Err(RequestError::Api(e)) => e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

// ---------- The wire, with the real teloxide client ----------

#[tokio::test]
async fn get_me_answers_the_configured_bot() {
    let fake = FakeTelegram::start().await;
    let me = fake.bot(TOKEN).get_me().await.unwrap();
    assert_eq!(me.username(), "tocsin_bot");
    assert_eq!(me.user.id.0, 123456, "the bot id is the token's prefix, like Telegram");
    assert!(me.user.is_bot);
    fake.set_bot("other_bot", "Other");
    assert_eq!(fake.bot(TOKEN).get_me().await.unwrap().username(), "other_bot");
    let calls = fake.all_calls();
    assert_eq!((calls[0].method.as_str(), calls[0].token.as_str(), calls[0].status), ("getMe", TOKEN, 200));
}

#[tokio::test]
async fn send_message_with_html_round_trips_to_plain_text_and_entities() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot(TOKEN);
    let text =
        "<b>Case #12</b> opened by <i>安娜</i> 🔥 <code>a&lt;b&amp;c</code> <a href=\"https://x.io/c/12\">open</a>";
    let keyboard = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback("Ack", "ack:12")]]);
    let sent = bot
        .send_message(ChatId(GROUP), text)
        .parse_mode(ParseMode::Html)
        .message_thread_id(ThreadId(MessageId(77)))
        .disable_notification(true)
        .reply_markup(keyboard)
        .await
        .unwrap();
    assert_eq!(sent.text(), Some("Case #12 opened by 安娜 🔥 a<b&c open"));
    assert_eq!(sent.id, MessageId(1));
    assert_eq!(sent.chat.id, ChatId(GROUP));
    assert!(sent.chat.is_supergroup());
    assert_eq!(sent.thread_id, Some(ThreadId(MessageId(77))));
    assert!(sent.from.as_ref().unwrap().is_bot);
    let entities = sent.entities().unwrap();
    assert_eq!(entities.len(), 4);
    let msgs = fake.messages(GROUP);
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(
        (m.message_id, m.text.as_str(), m.thread_id, m.disable_notification),
        (1, sent.text().unwrap(), Some(77), true)
    );
    // "#12" is no hashtag: Telegram wants a letter in it.
    let spans = [("bold", "Case #12"), ("italic", "安娜"), ("code", "a<b&c"), ("text_link", "open")];
    assert_eq!(m.spans(), spans.map(|(k, t)| (k.to_string(), t.to_string())));
    assert_eq!(m.entities[3].url.as_deref(), Some("https://x.io/c/12"));
    assert_eq!(m.buttons(), vec![("Ack".to_string(), "ack:12".to_string())]);
    assert_eq!((m.raw_text.as_str(), m.parse_mode.as_deref()), (text, Some("HTML")));
    // Message ids count per chat.
    let other = bot.send_message(ChatId(42), "hi").await.unwrap();
    assert_eq!((other.id, other.chat.is_private()), (MessageId(1), true));
    assert_eq!(bot.send_message(ChatId(GROUP), "again").await.unwrap().id, MessageId(2));
    let sends = fake.sends();
    assert_eq!(sends.len(), 3);
    assert_eq!((sends[0].status, sends[0].text.as_deref(), sends[0].message_id), (200, sent.text(), Some(1)));
    assert_eq!(fake.calls("SendMessage")[0]["parse_mode"], "HTML");
}

#[tokio::test]
async fn markdown_v2_escaped_by_teloxide_is_accepted_and_unescaped_is_rejected() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot(TOKEN);
    let raw = "Disk 93.5% full (host db-1) - see [ops]! ~50 GB > 40 GB = bad {x|y} `z` _w_ +1 \\";
    let text = format!("*{}*", teloxide::utils::markdown::escape(raw));
    let sent = bot.send_message(ChatId(GROUP), text).parse_mode(ParseMode::MarkdownV2).await.unwrap();
    assert_eq!(sent.text(), Some(raw));
    assert_eq!(fake.messages(GROUP)[0].spans()[0], ("bold".to_string(), raw.to_string()));
    let e = api_error(bot.send_message(ChatId(GROUP), raw).parse_mode(ParseMode::MarkdownV2).await);
    assert_eq!(
        e,
        ApiError::CantParseEntities(
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"
                .into()
        )
    );
    assert_eq!(fake.messages(GROUP).len(), 1, "a rejected message is not stored");
}

#[tokio::test]
async fn malformed_html_is_an_api_error() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot(TOKEN);
    let e = api_error(bot.send_message(ChatId(GROUP), "p99 < 2s").parse_mode(ParseMode::Html).await);
    let expected = "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 4";
    assert_eq!(e, ApiError::CantParseEntities(expected.into()));
    let e = api_error(bot.send_message(ChatId(GROUP), "<b>open <i>x</b>").parse_mode(ParseMode::Html).await);
    assert!(matches!(e, ApiError::CantParseEntities(ref s) if s.contains("Unmatched end tag")), "{e:?}");
    let e = api_error(bot.send_message(ChatId(GROUP), "<b></b>").parse_mode(ParseMode::Html).await);
    assert_eq!(e, ApiError::MessageTextIsEmpty);
    let e = api_error(bot.send_message(ChatId(GROUP), "x".repeat(4097)).await);
    assert_eq!(e, ApiError::MessageIsTooLong);
    let sends = fake.sends();
    assert_eq!(sends.iter().map(|s| s.status).collect::<Vec<_>>(), [400, 400, 400, 400]);
    assert_eq!(sends[0].description.as_deref(), Some(expected));
    assert!(fake.messages(GROUP).is_empty());
}

#[tokio::test]
async fn retry_after_surfaces_as_request_error_retry_after() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot(TOKEN);
    fake.fail(Failure::RetryAfter(2), Scope::method("sendMessage").in_chat(GROUP).once());
    let first = bot.send_message(ChatId(GROUP), "one").await;
    assert!(matches!(first, Err(RequestError::RetryAfter(s)) if s == Seconds::from_seconds(2)), "{first:?}");
    bot.send_message(ChatId(GROUP), "two").await.unwrap();
    let sends = fake.sends();
    assert_eq!(sends.iter().map(|s| s.status).collect::<Vec<_>>(), [429, 200]);
    assert_eq!((sends[0].retry_after, sends[0].injected, sends[0].text.as_deref()), (Some(2), true, None));
    assert_eq!(sends[0].description.as_deref(), Some("Too Many Requests: retry after 2"));
    assert!(sends[1].at >= sends[0].at);
    assert_eq!(fake.messages(GROUP).len(), 1);
}

#[tokio::test]
async fn forbidden_and_bad_request_surface_as_api_errors() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot(TOKEN);
    fake.fail(Failure::Forbidden("bot was kicked from the supergroup chat".into()), Scope::chat(GROUP));
    fake.fail(Failure::Forbidden("Forbidden: bot was kicked from the group chat".into()), Scope::chat(-555));
    fake.fail(Failure::Forbidden("bot was blocked by the user".into()), Scope::chat(42).once());
    fake.fail(Failure::BadRequest("chat not found".into()), Scope::method("sendMessage").in_chat(-777));
    for _ in 0..2 {
        let e = api_error(bot.send_message(ChatId(GROUP), "x").await);
        assert_eq!(e, ApiError::BotKickedFromSupergroup, "persistent until cleared");
    }
    // teloxide has no variant for a plain group: it is `Unknown`, with the description.
    let e = api_error(bot.send_message(ChatId(-555), "x").await);
    assert_eq!(e, ApiError::Unknown("Forbidden: bot was kicked from the group chat".into()));
    assert_eq!(api_error(bot.send_message(ChatId(42), "x").await), ApiError::BotBlocked);
    bot.send_message(ChatId(42), "once only").await.unwrap();
    assert_eq!(api_error(bot.send_message(ChatId(-777), "x").await), ApiError::ChatNotFound);
    bot.send_chat_action(ChatId(-777), teloxide::types::ChatAction::Typing).await.unwrap();
    fake.clear_failures();
    bot.send_message(ChatId(GROUP), "back").await.unwrap();
    let statuses: Vec<u16> = fake.sends().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [403, 403, 403, 403, 200, 400, 200]);
}

#[tokio::test]
async fn server_error_makes_teloxide_sleep_ten_seconds_then_fail() {
    let fake = FakeTelegram::start().await;
    fake.fail(Failure::ServerError, Scope::method("getMe").once());
    let started = Instant::now();
    let e = api_error(fake.bot(TOKEN).get_me().await);
    assert_eq!(e, ApiError::Unknown("Bad Gateway".into()));
    assert!(started.elapsed() >= Duration::from_secs(10), "teloxide waits 10 s on any 5xx");
    assert_eq!(fake.all_calls()[0].status, 502);
}

#[tokio::test]
async fn a_hung_request_times_out_in_the_client_but_is_delivered_late() {
    let fake = FakeTelegram::start().await;
    let client = teloxide::net::default_reqwest_settings().timeout(Duration::from_millis(300)).build().unwrap();
    let bot = Bot::with_client(TOKEN, client).set_api_url(fake.api_url().parse().unwrap());
    fake.fail(Failure::Hang(Duration::from_millis(800)), Scope::method("sendMessage").once());
    let r = bot.send_message(ChatId(GROUP), "slow").await;
    assert!(matches!(&r, Err(RequestError::Network(e)) if e.is_timeout()), "{r:?}");
    assert!(fake.messages(GROUP).is_empty());
    assert!(fake.wait_until(|s| s.messages(GROUP).len() == 1, WAIT).await, "the slow send lands later");
    assert_eq!(fake.sends()[0].status, 200);
    // A dropped connection is a network error too, and nothing is delivered.
    fake.fail(Failure::Disconnect, Scope::method("sendMessage").once());
    let r = bot.send_message(ChatId(GROUP), "lost").await;
    assert!(matches!(&r, Err(RequestError::Network(_))), "{r:?}");
    assert_eq!(fake.messages(GROUP).len(), 1);
    assert_eq!(fake.sends()[1].status, 0);
}

#[tokio::test]
async fn get_updates_long_polls_and_confirms_by_offset() {
    let fake = FakeTelegram::start().await;
    fake.set_user(501, "Ann", Some("ann"));
    let bot = fake.bot(TOKEN);
    let poller = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    assert!(fake.wait_until(|s| s.calls("getUpdates").len() == 1, WAIT).await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!poller.is_finished(), "no update yet: the poll waits");
    let started = Instant::now();
    fake.push_update(fake.text_update(GROUP, "forum", 501, "/new disk full @ann", Some(9)));
    let updates = poller.await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "a pushed update wakes the poll");
    assert_eq!(updates.len(), 1);
    let UpdateKind::Message(m) = &updates[0].kind else { panic!("{:?}", updates[0]) };
    assert_eq!(m.text(), Some("/new disk full @ann"));
    assert_eq!(m.chat.id, ChatId(GROUP));
    assert!(m.chat.is_supergroup());
    assert_eq!(m.thread_id, Some(ThreadId(MessageId(9))));
    assert!(m.is_topic_message);
    let from = m.from.as_ref().unwrap();
    assert_eq!((from.id.0, from.first_name.as_str(), from.username.as_deref()), (501, "Ann", Some("ann")));
    let kinds: Vec<_> = m.entities().unwrap().iter().map(|e| format!("{:?}", e.kind)).collect();
    assert_eq!(kinds, ["BotCommand", "Mention"]);
    // The same update comes again until confirmed with a higher offset.
    let id = updates[0].id.0 as i32;
    assert_eq!(bot.get_updates().await.unwrap().len(), 1);
    assert!(bot.get_updates().offset(id + 1).await.unwrap().is_empty());
    assert_eq!(fake.pending_updates(), 0);
    // The bot can reply to the user's message.
    let reply = bot.send_message(ChatId(GROUP), "ok").reply_parameters(ReplyParameters::new(m.id)).await.unwrap();
    assert_eq!(reply.reply_to_message().map(|r| r.id), Some(m.id));
    let e =
        api_error(bot.send_message(ChatId(GROUP), "x").reply_parameters(ReplyParameters::new(MessageId(999))).await);
    assert_eq!(e, ApiError::MessageToReplyNotFound);
    // limit, and allowed_updates filtering what is delivered.
    for i in 0..3 {
        fake.push_update(fake.text_update(42, "private", 42, &format!("m{i}"), None));
    }
    assert_eq!(bot.get_updates().limit(2).await.unwrap().len(), 2);
    let only_callbacks = bot.get_updates().allowed_updates(vec![teloxide::types::AllowedUpdate::CallbackQuery]);
    assert!(only_callbacks.await.unwrap().is_empty());
    assert_eq!(fake.pending_updates(), 0);
}

#[tokio::test]
async fn a_second_poller_terminates_the_first_and_a_webhook_blocks_polling() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot(TOKEN);
    let first = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    assert!(fake.wait_until(|s| s.poll_generation == 1, WAIT).await, "the first poll is waiting");
    let second = bot.get_updates().timeout(0).await.unwrap();
    assert!(second.is_empty());
    assert_eq!(api_error(first.await.unwrap()), ApiError::TerminatedByOtherGetUpdates);
    bot.set_webhook("https://bot.example.com/hook".parse().unwrap()).await.unwrap();
    let e = api_error(bot.get_updates().await);
    let expected = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the \
                    webhook first";
    assert_eq!(e, ApiError::Unknown(expected.into()));
    bot.delete_webhook().await.unwrap();
    assert!(bot.get_updates().await.unwrap().is_empty());
    assert_eq!(fake.calls("setWebhook")[0]["url"], "https://bot.example.com/hook");
}

#[tokio::test]
async fn callback_updates_deserialize_and_are_answered_once() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot(TOKEN);
    let keyboard = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback("Ack", "ack:7")]]);
    let sent = bot.send_message(ChatId(GROUP), "Case 7").reply_markup(keyboard).await.unwrap();
    fake.push_update(fake.callback_update(GROUP, 501, sent.id.0 as i64, "ack:7"));
    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::CallbackQuery(q) = &updates[0].kind else { panic!("{:?}", updates[0]) };
    assert_eq!(q.data.as_deref(), Some("ack:7"));
    assert_eq!(q.from.id.0, 501);
    let message = q.message.as_ref().unwrap();
    assert_eq!(message.id(), sent.id);
    assert_eq!(message.regular_message().and_then(|m| m.text()), Some("Case 7"));
    bot.answer_callback_query(q.id.clone()).text("Acknowledged").show_alert(true).await.unwrap();
    let answers = fake.answers();
    assert_eq!((answers[0].text.as_deref(), answers[0].show_alert), (Some("Acknowledged"), true));
    assert_eq!(answers[0].callback_query_id, q.id.0);
    // Telegram's wording says "query ID"; teloxide's variant expects "query id", so it is Unknown.
    let e = api_error(bot.answer_callback_query(q.id.clone()).await);
    assert!(matches!(e, ApiError::Unknown(ref s) if s.contains("query is too old")), "{e:?}");
    // A button under a message the fake doesn't know arrives as an inaccessible message.
    fake.push_update(fake.callback_update(GROUP, 501, 999, "x"));
    let updates = bot.get_updates().offset(updates[0].id.0 as i32 + 1).await.unwrap();
    let UpdateKind::CallbackQuery(q) = &updates[0].kind else { panic!() };
    assert!(q.message.as_ref().unwrap().regular_message().is_none());
    // Callback data is limited to 64 bytes.
    let long = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback("x", "é".repeat(33))]]);
    let e = api_error(bot.send_message(ChatId(GROUP), "x").reply_markup(long).await);
    assert_eq!(e, ApiError::ButtonDataInvalid);
}

#[tokio::test]
async fn edits_follow_telegram_rules() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot(TOKEN);
    let e = api_error(bot.edit_message_text(ChatId(GROUP), MessageId(5), "x").await);
    assert_eq!(e, ApiError::MessageToEditNotFound);
    let keyboard = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback("Ack", "ack:1")]]);
    let sent = bot
        .send_message(ChatId(GROUP), "<b>Open</b>")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard.clone())
        .await
        .unwrap();
    // Same text, entities and keyboard: "not modified", even when written differently.
    let same = bot.edit_message_text(ChatId(GROUP), sent.id, "*Open*").parse_mode(ParseMode::MarkdownV2);
    assert_eq!(api_error(same.reply_markup(keyboard.clone()).await), ApiError::MessageNotModified);
    // Same text without entities is a change.
    let edited = bot.edit_message_text(ChatId(GROUP), sent.id, "Open").reply_markup(keyboard.clone()).await.unwrap();
    assert!(edited.entities().is_none_or(|e| e.is_empty()));
    assert!(edited.edit_date().is_some());
    // Editing the text without passing the keyboard removes it, like Telegram.
    bot.edit_message_text(ChatId(GROUP), sent.id, "Closed").await.unwrap();
    let m = fake.message(GROUP, sent.id.0 as i64).unwrap();
    assert_eq!((m.text.as_str(), m.reply_markup.clone(), m.edits), ("Closed", None, 2));
    assert_eq!(m.history, ["Open", "Open"]);
    let e = api_error(bot.edit_message_reply_markup(ChatId(GROUP), sent.id).await);
    assert_eq!(e, ApiError::MessageNotModified);
    bot.edit_message_reply_markup(ChatId(GROUP), sent.id).reply_markup(keyboard).await.unwrap();
    assert_eq!(fake.message(GROUP, sent.id.0 as i64).unwrap().buttons().len(), 1);
    // A user's message can't be edited; a deleted one is gone.
    fake.push_update(fake.text_update(GROUP, "supergroup", 501, "hello", None));
    let user_msg = fake.with_state(|s| s.messages.keys().last().unwrap().1);
    let e = api_error(bot.edit_message_text(ChatId(GROUP), MessageId(user_msg as i32), "x").await);
    assert_eq!(e, ApiError::MessageCantBeEdited);
    bot.delete_message(ChatId(GROUP), sent.id).await.unwrap();
    assert_eq!(api_error(bot.delete_message(ChatId(GROUP), sent.id).await), ApiError::MessageToDeleteNotFound);
    let statuses: Vec<u16> = fake.sends().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [400, 200, 400, 200, 200, 400, 200, 400]);
}

#[tokio::test]
async fn commands_are_recorded_per_scope_and_language() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot(TOKEN);
    let commands = vec![BotCommand::new("new", "Open a case"), BotCommand::new("ack", "Acknowledge")];
    bot.set_my_commands(commands.clone()).await.unwrap();
    let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(GROUP)) };
    bot.set_my_commands(vec![BotCommand::new("new", "开案")]).scope(scope.clone()).language_code("zh").await.unwrap();
    assert_eq!(
        fake.commands(None, ""),
        Some(vec![("new".into(), "Open a case".into()), ("ack".into(), "Acknowledge".into())])
    );
    let scope_json = json!({"type": "chat", "chat_id": GROUP});
    assert_eq!(fake.commands(Some(scope_json.clone()), "zh"), Some(vec![("new".into(), "开案".into())]));
    assert_eq!(bot.get_my_commands().await.unwrap(), commands);
    let e = api_error(bot.set_my_commands(vec![BotCommand::new("New-Case", "x")]).await);
    assert_eq!(e, ApiError::Unknown("Bad Request: BOT_COMMAND_INVALID".into()));
    let e = api_error(bot.set_my_commands(commands.clone()).language_code("zh-CN").await);
    assert_eq!(e, ApiError::Unknown("Bad Request: invalid language code specified".into()));
    bot.delete_my_commands().scope(scope).language_code("zh").await.unwrap();
    assert_eq!(fake.commands(Some(scope_json), "zh"), None);
    assert_eq!(fake.calls("setMyCommands")[1]["language_code"], "zh");
}

#[tokio::test]
async fn teloxide_dispatcher_polls_the_fake() {
    let fake = FakeTelegram::start().await;
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        bot.send_message(msg.chat.id, format!("pong: {}", msg.text().unwrap_or(""))).await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(fake.bot(TOKEN), handler).build();
    let task = tokio::spawn(async move { dispatcher.dispatch().await });
    fake.push_update(fake.text_update(42, "private", 42, "/ping", None));
    fake.push_update(fake.text_update(42, "private", 42, "/ping again", None));
    let done = fake.wait_until(|s| s.messages(42).iter().filter(|m| m.from_bot).count() == 2, WAIT).await;
    assert!(done, "{:#?}", fake.all_calls());
    let texts: Vec<String> = fake.messages(42).into_iter().map(|m| m.text).collect();
    assert_eq!(texts, ["pong: /ping", "pong: /ping again"]);
    assert!(fake.wait_until(|s| s.queue.is_empty(), WAIT).await, "the dispatcher confirms what it handled");
    task.abort();
}

#[tokio::test]
async fn unknown_methods_and_revoked_tokens_answer_like_telegram() {
    let fake = FakeTelegram::start().await;
    let (status, body) = raw_post(&fake, &format!("/bot{TOKEN}/sendSticker2"), "{}").await;
    assert_eq!(
        (status, body),
        (404, json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"}))
    );
    let (status, body) = raw_post(&fake, &format!("/bot{TOKEN}/sendmessage?chat_id=5"), "").await;
    assert_eq!((status, body["description"].as_str()), (400, Some("Bad Request: message text is empty")));
    let (status, body) = raw_post(&fake, &format!("/bot{TOKEN}/SENDMESSAGE?chat_id=5&text=hi%20there"), "").await;
    assert_eq!((status, body["result"]["text"].as_str()), (200, Some("hi there")));
    let (status, _) = raw_post(&fake, "/nobot/getMe", "").await;
    assert_eq!(status, 404);
    fake.revoke_token("999:revoked");
    assert_eq!(api_error(fake.bot("999:revoked").get_me().await), ApiError::InvalidToken);
    assert!(fake.with_state(|s| s.tokens.contains(&"999:revoked".to_string())));
}

async fn raw_post(fake: &FakeTelegram, path: &str, body: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(fake.addr()).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: fake\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}
