//! The fake's REST side, through serenity's `Http` (no gateway needed) and plain reqwest.

use super::harness::{CHANNEL, GUILD, NEWS, TOKEN, USER, world};
use crate::support::fake_discord::{Failure, FakeDiscord, Scope};
use serde_json::{Value, json};
use serenity::all::{
    ApplicationId, ChannelId, CreateActionRow, CreateButton, CreateCommand, CreateCommandOption, CreateEmbed,
    CreateMessage, EditMessage, GuildId, Http, HttpBuilder, HttpError, MessageId, UserId,
};
use std::time::Duration;

/// Without a gateway READY serenity does not learn the application id: commands need it set.
fn http(fake: &FakeDiscord) -> Http {
    let builder = HttpBuilder::new(TOKEN).proxy(fake.base_url()).ratelimiter_disabled(true);
    builder.application_id(ApplicationId::new(FakeDiscord::APP_ID)).build()
}

/// `(status, code)` of a failed serenity request.
fn discord_error<T: std::fmt::Debug>(r: serenity::Result<T>) -> (u16, isize) {
    match r {
        Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(e))) => (e.status_code.as_u16(), e.error.code),
        other => panic!("expected a Discord error, got {other:?}"),
    }
}

/// A raw request, like tocsin's own delivery code makes: `(status, headers, JSON body)`.
async fn raw(
    fake: &FakeDiscord,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = reqwest::Client::new()
        .request(method, format!("{}/api/v10{path}", fake.base_url()))
        .header("Authorization", format!("Bot {TOKEN}"));
    if let Some(b) = body {
        req = req.header("Content-Type", "application/json").body(b.to_string());
    }
    let resp = req.send().await.expect("an answer");
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    let text = resp.text().await.unwrap_or_default();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_message_with_an_embed_and_a_button_lands_and_a_429_carries_discords_body_and_headers() {
    let fake = world().await;
    let http = http(&fake);
    let message = CreateMessage::new()
        .content("Case 12 opened")
        .embed(CreateEmbed::new().title("API down").description("since 09:00"))
        .components(vec![CreateActionRow::Buttons(vec![CreateButton::new("ack:12").label("Ack")])]);
    let sent = ChannelId::new(CHANNEL).send_message(&http, message.clone()).await.expect("send");
    let stored = fake.messages(CHANNEL);
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].id, stored[0].author_id), (sent.id.get(), FakeDiscord::BOT_ID));
    assert_eq!(stored[0].embeds[0]["description"], "since 09:00");
    assert_eq!(stored[0].buttons(), [("Ack".to_string(), "ack:12".to_string())]);
    assert_eq!(sent.embeds[0].title.as_deref(), Some("API down"));

    fake.fail(
        Failure::RateLimited { retry_after: 1.5, global: false },
        Scope::route("POST /channels/{id}/messages").times(2),
    );
    let r = ChannelId::new(CHANNEL).send_message(&http, message).await;
    assert_eq!(discord_error(r), (429, 0));
    let (status, headers, body) =
        raw(&fake, "POST", &format!("/channels/{CHANNEL}/messages"), Some(json!({"content": "x"}))).await;
    assert_eq!(status, 429);
    assert_eq!(body, json!({"message": "You are being rate limited.", "retry_after": 1.5, "global": false, "code": 0}));
    assert_eq!(headers["retry-after"], "2");
    assert_eq!(headers["x-ratelimit-scope"], "user");
    assert!(headers.get("x-ratelimit-global").is_none());
    assert!(headers.contains_key("x-ratelimit-bucket") && headers.contains_key("x-ratelimit-reset-after"));
    assert_eq!(fake.messages(CHANNEL).len(), 1, "rate-limited sends are not stored");
    let (status, headers, _) =
        raw(&fake, "POST", &format!("/channels/{CHANNEL}/messages"), Some(json!({"content": "y"}))).await;
    assert_eq!(status, 200, "the failure was used up");
    assert_eq!(headers["x-ratelimit-limit"], "5");
    let calls = fake.calls();
    assert_eq!(calls.iter().filter(|c| c.injected).count(), 2);
    assert_eq!(calls[0].authorization.as_deref(), Some(format!("Bot {TOKEN}").as_str()));
    assert_eq!(calls[0].path, format!("/api/v10/channels/{CHANNEL}/messages"));
    assert_eq!(calls[0].api_path(), format!("/channels/{CHANNEL}/messages"));
}

#[tokio::test]
async fn discords_limits_and_unknown_things_answer_with_its_error_codes() {
    let fake = world().await;
    let long = "x".repeat(2001);
    let (status, _, body) =
        raw(&fake, "POST", &format!("/channels/{CHANNEL}/messages"), Some(json!({"content": long}))).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(50035)));
    assert_eq!(body["errors"]["content"]["_errors"][0]["code"], "BASE_TYPE_MAX_LENGTH");
    let (status, _, body) =
        raw(&fake, "POST", &format!("/channels/{CHANNEL}/messages"), Some(json!({"content": ""}))).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(50006)));
    let embed = json!({"embeds": [{"description": "d".repeat(4097)}]});
    let (status, _, body) = raw(&fake, "POST", &format!("/channels/{CHANNEL}/messages"), Some(embed)).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(50035)));
    let (status, _, body) = raw(&fake, "POST", "/channels/999/messages", Some(json!({"content": "hi"}))).await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(10003)));
    let (status, _, body) =
        raw(&fake, "PATCH", &format!("/channels/{CHANNEL}/messages/5"), Some(json!({"content": "x"}))).await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(10008)));
    let (status, _, body) = raw(&fake, "GET", "/guilds/1/audit-logs", None).await;
    assert_eq!((status, body), (404, json!({"message": "404: Not Found", "code": 0})));
    assert_eq!(fake.calls().last().map(|c| c.path.clone()), Some("/api/v10/guilds/1/audit-logs".to_string()));
    let garbage = reqwest::Client::new()
        .post(format!("{}/api/v10/channels/{CHANNEL}/messages", fake.base_url()))
        .header("Authorization", format!("Bot {TOKEN}"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status().as_u16(), 400);
    assert_eq!(fake.calls_to("POST /channels/{id}/messages").len(), 5);
    let anonymous = reqwest::get(format!("{}/api/v10/users/@me", fake.base_url())).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert!(fake.messages(CHANNEL).is_empty());
}

#[tokio::test]
async fn edits_crossposts_and_the_bot_user_go_through_serenity() {
    let fake = world().await;
    let http = http(&fake);
    assert_eq!(http.get_current_user().await.expect("users/@me").id.get(), FakeDiscord::BOT_ID);
    let sent = ChannelId::new(NEWS).send_message(&http, CreateMessage::new().content("v1")).await.unwrap();
    ChannelId::new(NEWS).edit_message(&http, sent.id, EditMessage::new().content("v2")).await.expect("edit");
    let m = fake.message(NEWS, sent.id.get()).unwrap();
    assert_eq!((m.content.as_str(), m.edits), ("v2", 1));
    ChannelId::new(NEWS).crosspost(&http, sent.id).await.expect("crosspost");
    assert_eq!(fake.crossposted(), [(NEWS, sent.id.get())]);
    assert_eq!(discord_error(ChannelId::new(NEWS).crosspost(&http, sent.id).await), (400, 40033));
    let other = ChannelId::new(CHANNEL).send_message(&http, CreateMessage::new().content("x")).await.unwrap();
    assert_eq!(discord_error(ChannelId::new(CHANNEL).crosspost(&http, other.id).await), (400, 50024));
    assert_eq!(discord_error(ChannelId::new(CHANNEL).message(&http, MessageId::new(1)).await), (404, 10008));
    fake.fail(Failure::MissingPermissions, Scope::channel(CHANNEL).once());
    let r = ChannelId::new(CHANNEL).send_message(&http, CreateMessage::new().content("x")).await;
    assert_eq!(discord_error(r), (403, 50013));
}

#[tokio::test]
async fn guild_commands_are_registered_and_slash_uses_their_ids() {
    let fake = world().await;
    let http = http(&fake);
    let ack = CreateCommand::new("ack")
        .description("Acknowledge a case")
        .add_option(CreateCommandOption::new(serenity::all::CommandOptionType::Integer, "case", "Case").required(true));
    let answered =
        GuildId::new(GUILD).set_commands(&http, vec![ack, CreateCommand::new("status").description("Status")]).await;
    let answered = answered.expect("bulk overwrite");
    assert_eq!(answered.len(), 2);
    let registered = fake.commands(GUILD).expect("registered");
    assert_eq!(registered.iter().map(|c| c["name"].as_str().unwrap()).collect::<Vec<_>>(), ["ack", "status"]);
    assert_eq!(answered[0].id.to_string(), registered[0]["id"].as_str().unwrap());
    fake.slash(GUILD, CHANNEL, USER, "ack", json!([{"name": "case", "type": 4, "value": 1}]));
    let sent = fake.with_state(|s| s.gateway.history.last().map(|d| d.data.clone())).unwrap();
    assert_eq!(sent["data"]["id"], registered[0]["id"]);
    let bad = CreateCommand::new("Bad Name").description("x");
    assert_eq!(discord_error(GuildId::new(GUILD).create_command(&http, bad).await), (400, 50035));
    assert!(fake.commands(4242).is_none());
}

#[tokio::test]
async fn an_interaction_is_acknowledged_once_within_its_window_then_followed_up() {
    let fake = world().await;
    let id = fake.slash(GUILD, CHANNEL, USER, "status", json!([]));
    let token = fake.interaction_token(id).expect("a token");
    let callback = format!("/interactions/{id}/{token}/callback");
    let defer = json!({"type": 5, "data": {"flags": 64}});
    let (status, _, _) = raw(&fake, "POST", &callback, Some(defer.clone())).await;
    assert_eq!(status, 204);
    let (status, _, body) = raw(&fake, "POST", &callback, Some(defer)).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(40060)));
    let (status, _, body) =
        raw(&fake, "POST", &format!("/interactions/{id}/wrong/callback"), Some(json!({"type": 4}))).await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(10062)));

    let original = format!("/webhooks/{}/{token}/messages/@original", FakeDiscord::APP_ID);
    let (status, _, body) = raw(&fake, "PATCH", &original, Some(json!({"content": "all good"}))).await;
    assert_eq!((status, body["content"].as_str()), (200, Some("all good")));
    let followup = format!("/webhooks/{}/{token}", FakeDiscord::APP_ID);
    let (status, _, _) = raw(&fake, "POST", &followup, Some(json!({"content": "details"}))).await;
    assert_eq!(status, 200);
    let kinds: Vec<(u8, bool)> = fake.interaction_responses().iter().map(|r| (r.kind, r.ephemeral)).collect();
    assert_eq!(kinds, [(5, true), (0, true), (1, false)]);
    let visible: Vec<String> = fake.messages(CHANNEL).into_iter().map(|m| m.content).collect();
    assert_eq!(visible, ["details"], "the deferred ephemeral answer is not in the channel");

    fake.fail(Failure::Drop, Scope::route("GET /users/@me").once());
    let me = format!("{}/api/v10/users/@me", fake.base_url());
    let r = reqwest::Client::new().get(&me).header("Authorization", format!("Bot {TOKEN}")).send().await;
    assert!(r.is_err(), "a dropped request gets no answer at all: {r:?}");
    fake.fail(Failure::Hang, Scope::route("GET /users/@me").once());
    let client = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    assert!(client.get(&me).header("Authorization", format!("Bot {TOKEN}")).send().await.is_err());
}

#[tokio::test]
async fn an_answer_after_the_window_is_an_unknown_interaction() {
    let fake = world().await;
    fake.set_interaction_window(Duration::from_millis(100));
    let id = fake.press(GUILD, CHANNEL, USER, 42, "ack:1");
    let (token, dispatched) = fake.with_state(|s| (s.interactions[0].1.clone(), s.interactions[0].2));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let callback = format!("/interactions/{id}/{token}/callback");
    let (status, _, body) = raw(&fake, "POST", &callback, Some(json!({"type": 6}))).await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(10062)));
    assert!(fake.interaction_responses().is_empty());
    assert!(fake.calls()[0].at > dispatched);
}

#[tokio::test]
async fn sends_over_discords_per_channel_limit_are_counted_not_refused() {
    let fake = world().await;
    let http = http(&fake);
    for i in 0..5 {
        ChannelId::new(CHANNEL).send_message(&http, CreateMessage::new().content(format!("{i}"))).await.unwrap();
    }
    ChannelId::new(NEWS).send_message(&http, CreateMessage::new().content("other channel")).await.unwrap();
    assert_eq!(fake.limit_violations(), 0);
    ChannelId::new(CHANNEL).send_message(&http, CreateMessage::new().content("sixth")).await.unwrap();
    assert_eq!(fake.limit_violations(), 1);
    assert_eq!(fake.messages(CHANNEL).len(), 6);
}

#[tokio::test]
async fn odd_requests_get_discord_errors_never_a_crash() {
    let fake = world().await;
    let id = fake.slash(GUILD, CHANNEL, USER, "status", json!([]));
    let token = fake.with_state(|s| s.interactions[0].1.clone());
    let app = FakeDiscord::APP_ID;
    let odd: Vec<(&str, String, Value)> = vec![
        ("POST", format!("/interactions/{id}/{token}/callback"), json!([1, 2])),
        ("POST", format!("/interactions/{id}/{token}/callback"), json!({"type": 7, "data": "x"})),
        ("PATCH", format!("/webhooks/{app}/{token}/messages/@original"), json!("text")),
        ("POST", format!("/interactions/{id}/{token}/callback"), json!({"type": 5, "data": {"flags": 64}})),
        ("PATCH", format!("/webhooks/{app}/{token}/messages/@original"), json!([{"content": 1}])),
        ("PATCH", format!("/webhooks/{app}/{token}/messages/@original"), json!({"content": 5, "embeds": "no"})),
        ("DELETE", format!("/webhooks/{app}/{token}/messages/999"), Value::Null),
        ("POST", format!("/channels/{CHANNEL}/messages"), json!({"components": [{"type": 1}], "content": "x"})),
        ("POST", format!("/channels/{CHANNEL}/messages"), json!({"components": "x", "embeds": [1, "a", null]})),
        ("PUT", format!("/applications/{app}/guilds/{GUILD}/commands"), json!([1, {"name": []}])),
        ("POST", format!("/applications/{app}/commands"), json!("x")),
        ("POST", "/channels/x/messages/y/crosspost".to_string(), Value::Null),
        ("GET", "/channels/18446744073709551616".to_string(), Value::Null),
        ("POST", format!("/interactions/{}/{token}/callback", u64::MAX), json!({"type": 4})),
    ];
    for (method, path, body) in odd {
        let body = if body.is_null() { None } else { Some(body) };
        let (status, _, answer) = raw(&fake, method, &path, body).await;
        assert!((400..500).contains(&status) || status < 300, "{method} {path}: {status} {answer}");
        if status >= 400 {
            assert!(answer["code"].is_u64(), "{method} {path}: a Discord error body, got {answer}");
        }
    }
    let (status, _, me) = raw(&fake, "GET", "/users/@me", None).await;
    assert_eq!((status, me["id"].as_str()), (200, Some(FakeDiscord::BOT_ID.to_string().as_str())));
}

#[tokio::test]
async fn guilds_members_users_and_direct_messages_through_serenity() {
    let fake = world().await;
    let http = http(&fake);
    let guild = GuildId::new(GUILD).to_partial_guild(&http).await.expect("GET /guilds/{id}");
    assert_eq!(guild.name, "Response team");
    let channels = GuildId::new(GUILD).channels(&http).await.expect("GET /guilds/{id}/channels");
    assert_eq!(channels.len(), 2);
    let member = GuildId::new(GUILD).member(&http, UserId::new(USER)).await.expect("GET member");
    assert_eq!(member.user.name, "anna");
    assert_eq!(discord_error(GuildId::new(GUILD).member(&http, UserId::new(7)).await), (404, 10007));
    let user = UserId::new(USER).to_user(&http).await.expect("GET /users/{id}");
    let dm = user.direct_message(&http, CreateMessage::new().content("your case is waiting")).await.expect("DM");
    let channel = fake.dm_channel(USER).expect("a DM channel was opened");
    assert_eq!(dm.channel_id.get(), channel);
    assert_eq!(fake.messages(channel)[0].content, "your case is waiting");
    ChannelId::new(channel).delete_message(&http, dm.id).await.expect("delete");
    assert!(fake.messages(channel).is_empty());
}
