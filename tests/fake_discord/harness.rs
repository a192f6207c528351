//! The serenity side of the fake Discord's tests: a real client with a minimal handler, and the
//! fixtures every test uses.

use crate::support::fake_discord::FakeDiscord;
use serde_json::json;
use serenity::all::{
    ClientBuilder, CommandDataOptionValue, Context, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EditInteractionResponse, EventHandler, GatewayIntents, Http, HttpBuilder,
    Interaction, Message, Ready, ResumedEvent,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

pub(super) const TOKEN: &str = "fake-discord-test";
pub(super) const GUILD: u64 = 1_000;
pub(super) const CHANNEL: u64 = 2_000;
pub(super) const NEWS: u64 = 2_001;
pub(super) const USER: u64 = 3_000;
/// serenity takes 5 s to IDENTIFY again (BENCHMARKS.md); everything else is far quicker.
pub(super) const WAIT: Duration = Duration::from_secs(15);

/// What the bot's handler saw.
#[derive(Debug)]
pub(super) enum Seen {
    Ready(Box<Ready>),
    Resumed,
    Command { id: u64, name: String, options: Vec<(String, CommandDataOptionValue)> },
    Component { id: u64, custom_id: String },
    Message(Box<Message>),
}

/// Forwards events to the test and answers interactions like a minimal bot: a message for a
/// slash command, a deferred update for a button.
pub(super) struct Handler(pub(super) UnboundedSender<Seen>);

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _: Context, ready: Ready) {
        let _ = self.0.send(Seen::Ready(Box::new(ready)));
    }
    async fn resume(&self, _: Context, _: ResumedEvent) {
        let _ = self.0.send(Seen::Resumed);
    }
    async fn message(&self, _: Context, message: Message) {
        let _ = self.0.send(Seen::Message(Box::new(message)));
    }
    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            // "slow": defer (ephemeral), then edit the answer and follow up, as a slow command does.
            Interaction::Command(c) if c.data.name == "slow" => {
                let _ = c.defer_ephemeral(&ctx.http).await;
                let _ = c.edit_response(&ctx.http, EditInteractionResponse::new().content("done")).await;
                let _ = c.create_followup(&ctx.http, CreateInteractionResponseFollowup::new().content("more")).await;
                let _ = self.0.send(Seen::Command { id: c.id.get(), name: c.data.name.clone(), options: vec![] });
            }
            Interaction::Command(c) => {
                let answer = CreateInteractionResponseMessage::new().content(format!("pong {}", c.data.name));
                let _ = c.create_response(&ctx.http, CreateInteractionResponse::Message(answer)).await;
                let options = c.data.options.iter().map(|o| (o.name.clone(), o.value.clone())).collect();
                let _ = self.0.send(Seen::Command { id: c.id.get(), name: c.data.name.clone(), options });
            }
            Interaction::Component(c) => {
                let answer = match c.data.custom_id.strip_prefix("update:") {
                    Some(text) => CreateInteractionResponse::UpdateMessage(
                        CreateInteractionResponseMessage::new().content(text).components(vec![]),
                    ),
                    None => CreateInteractionResponse::Acknowledge,
                };
                let _ = c.create_response(&ctx.http, answer).await;
                let _ = self.0.send(Seen::Component { id: c.id.get(), custom_id: c.data.custom_id.clone() });
            }
            _ => {}
        }
    }
}

/// A real serenity client connected to the fake.
pub(super) struct Bot {
    pub(super) http: Arc<Http>,
    pub(super) seen: UnboundedReceiver<Seen>,
}

impl Bot {
    pub(super) async fn connect(fake: &FakeDiscord, intents: GatewayIntents) -> Bot {
        log_if_asked();
        let http = HttpBuilder::new(TOKEN).proxy(fake.base_url()).ratelimiter_disabled(true).build();
        let (tx, seen) = unbounded_channel();
        let mut client = ClientBuilder::new_with_http(http, intents).event_handler(Handler(tx)).await.expect("client");
        let http = client.http.clone();
        // The runtime's end stops the client with the test.
        tokio::spawn(async move { client.start().await });
        Bot { http, seen }
    }

    pub(super) async fn next(&mut self) -> Seen {
        match tokio::time::timeout(WAIT, self.seen.recv()).await {
            Ok(Some(seen)) => seen,
            other => panic!("the handler saw nothing within {WAIT:?}: {other:?}"),
        }
    }

    pub(super) async fn ready(&mut self) -> Ready {
        loop {
            if let Seen::Ready(r) = self.next().await {
                return *r;
            }
        }
    }

    /// The next interaction or message, skipping READY and RESUMED.
    pub(super) async fn next_user_event(&mut self) -> Seen {
        loop {
            match self.next().await {
                Seen::Ready(_) | Seen::Resumed => continue,
                other => return other,
            }
        }
    }
}

/// `RUST_LOG=serenity=debug cargo test fake_discord::` shows what serenity did with the fake's
/// frames (a payload it cannot deserialize is only a warning there).
pub(super) fn log_if_asked() {
    if std::env::var_os("RUST_LOG").is_some() {
        let filter = tracing_subscriber::EnvFilter::from_default_env();
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
}

pub(super) async fn world() -> FakeDiscord {
    let fake = FakeDiscord::start().await;
    fake.add_guild(GUILD, "Response team");
    fake.add_channel(GUILD, CHANNEL, "incidents");
    fake.add_announcement_channel(GUILD, NEWS, "status");
    fake.add_user(USER, "anna");
    fake
}

pub(super) fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT
}

/// Every dispatch of the current session deserializes as serenity's gateway event: a payload
/// serenity rejects would be dropped silently in a test.
pub(super) fn assert_dispatches_parse(fake: &FakeDiscord) {
    let history = fake.with_state(|s| s.gateway.history.clone());
    assert!(!history.is_empty());
    for d in history {
        let frame = json!({"op": 0, "s": d.seq, "t": d.event, "d": d.data});
        if let Err(e) = serde_json::from_value::<serenity::model::event::GatewayEvent>(frame.clone()) {
            panic!("serenity rejects the fake's {}: {e}\n{frame:#}", d.event);
        }
    }
}

pub(super) fn gap(fake: &FakeDiscord, from: &str, to: &str) -> Duration {
    fake.with_state(|s| {
        let start = s.gateway.last(from).expect("the fault was logged");
        let end = s.gateway.last(to).expect("the client came back");
        end.saturating_duration_since(start)
    })
}
