//! A fake Discord, faked at the wire: an axum server on 127.0.0.1 that the real serenity client
//! (or plain reqwest) talks to. REST: `HttpBuilder::new(token).proxy(fake.base_url())
//! .ratelimiter_disabled(true)`; serenity rewrites `https://discord.com` to the proxy, so
//! requests arrive as `/api/v10/..`. Gateway: `GET /api/v10/gateway` answers
//! `ws://127.0.0.1:PORT/ws` (serenity appends `?v=10`), a websocket speaking JSON text frames.
//!
//! REST (`server.rs`, `routes.rs`): users/@me, applications/@me, gateway(/bot), channel messages
//! (create, edit, get, crosspost; Discord's length limits and error codes), channels, guild and
//! global commands, interaction callbacks (3-second window, one acknowledgement) and webhook
//! followups/@original. Anything else is 404 `{"message":"404: Not Found","code":0}`. Every
//! request is recorded ([`Call`]); failures are injected with [`FakeDiscord::fail`].
//!
//! Gateway (`gateway.rs`): HELLO, IDENTIFY → READY + GUILD_CREATE per guild, heartbeats,
//! RESUME with replay, and faults (op 7, op 9, a dropped socket, held dispatches). User actions
//! (`events.rs`) become dispatches: [`FakeDiscord::slash`], [`FakeDiscord::press`],
//! [`FakeDiscord::say`]. MESSAGE_CREATE honours the intents like Discord: none without
//! GUILD_MESSAGES, an empty `content` without MESSAGE_CONTENT. Interactions need no intent.
//!
//! Set-up a test needs: the guilds, channels and users it uses (`add_*`; a message to an unknown
//! channel is 404 10003). Without a gateway READY, serenity's `Http` does not know the
//! application id: give it `HttpBuilder::application_id(FakeDiscord::APP_ID.into())` for
//! commands and interaction webhooks. Any non-empty `Bot ..` token is accepted unless
//! [`FakeDiscord::set_token`] names one; `GET /gateway` needs none, like on Discord, and an
//! injected failure hits it only when its scope names that route: serenity would otherwise
//! fall back to the real gateway.
//!
//! One deliberate difference: dispatches a session never delivered are carried into the next
//! session after an IDENTIFY (Discord would lose them), so a test's user action never races the
//! bot's connect. An interaction's 3-second window still counts from `slash`/`press`.
//!
//! serenity 0.12.5 resumes within milliseconds after op 7, op 9 (resumable), a close frame or a
//! dropped socket, but takes 5 s to IDENTIFY again (BENCHMARKS.md, "serenity's gateway
//! reconnects"). `RUST_LOG=serenity=debug` (see `log_if_asked` in `tests/fake_discord/harness.rs`)
//! shows a payload serenity could not read: it only logs a warning and drops the event.
#![allow(dead_code)]

mod events;
mod faults;
mod gateway;
mod guilds;
mod interactions;
mod listener;
mod routes;
mod server;
mod state;

pub use faults::{Failure, Scope};
#[allow(unused_imports)] // which of these a test uses varies
pub use gateway::{Dispatch, Gateway};
#[allow(unused_imports)]
pub use state::{Call, InteractionResponse, Msg, State};

use faults::Rule;
use gateway::Out;
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub(crate) const APP_ID: u64 = 900_000_000_000_000_001;
pub(crate) const BOT_ID: u64 = 900_000_000_000_000_002;

pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct ServerTask(tokio::task::JoinHandle<()>);

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running fake. Cloning shares the same server; it stops when the last clone is dropped.
#[derive(Clone)]
pub struct FakeDiscord {
    shared: Arc<Shared>,
    port: u16,
    _server: Arc<ServerTask>,
}

impl FakeDiscord {
    pub const APP_ID: u64 = APP_ID;
    pub const BOT_ID: u64 = BOT_ID;

    /// Starts the fake on 127.0.0.1 with a free port, on the current tokio runtime.
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake Discord server");
        let port = listener.local_addr().expect("local address").port();
        let mut state = State::new();
        state.port = port;
        let shared = Arc::new(Shared { state: Mutex::new(state) });
        let app = server::router(shared.clone()).into_make_service_with_connect_info::<listener::Cut>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener::CuttableListener(listener), app).await;
        });
        FakeDiscord { shared, port, _server: Arc::new(ServerTask(task)) }
    }

    /// `http://127.0.0.1:PORT`, for `HttpBuilder::proxy` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The gateway URL `GET /api/v10/gateway` answers.
    pub fn gateway_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// From now on only this token (with or without "Bot ") is accepted; by default any
    /// non-empty `Bot ..` token is.
    pub fn set_token(&self, token: &str) {
        self.shared.lock().token = Some(token.to_string());
    }

    pub fn add_guild(&self, guild_id: u64, name: &str) {
        self.shared.lock().guilds.insert(guild_id, name.to_string());
    }

    /// A text channel (type 0).
    pub fn add_channel(&self, guild_id: u64, channel_id: u64, name: &str) {
        self.add_channel_of_kind(guild_id, channel_id, name, 0);
    }

    /// An announcement channel (type 5): its messages can be crossposted.
    pub fn add_announcement_channel(&self, guild_id: u64, channel_id: u64, name: &str) {
        self.add_channel_of_kind(guild_id, channel_id, name, 5);
    }

    pub fn add_channel_of_kind(&self, guild_id: u64, channel_id: u64, name: &str, kind: u8) {
        let mut st = self.shared.lock();
        st.guilds.entry(guild_id).or_insert_with(|| format!("guild {guild_id}"));
        st.channels.insert(channel_id, state::Channel { guild_id, name: name.to_string(), kind });
    }

    pub fn add_user(&self, user_id: u64, username: &str) {
        self.shared.lock().users.insert(user_id, username.to_string());
    }

    /// The `locale` this user's interactions carry (default "en-US").
    pub fn set_user_locale(&self, user_id: u64, locale: &str) {
        self.shared.lock().locales.insert(user_id, locale.to_string());
    }

    /// How long after its dispatch an interaction can be acknowledged (Discord: 3 s); later
    /// callbacks get 404 10062 "Unknown interaction". Shorten it to test a late answer fast.
    pub fn set_interaction_window(&self, window: Duration) {
        self.shared.lock().interaction_window = window;
    }

    // ---------- what the bot did

    /// The DM channel the bot opened with this user (`POST /users/@me/channels`), if any.
    pub fn dm_channel(&self, user_id: u64) -> Option<u64> {
        let st = self.shared.lock();
        st.channels.iter().find(|(_, c)| guilds::dm_recipient(c) == Some(user_id)).map(|(id, _)| *id)
    }

    pub fn messages(&self, channel_id: u64) -> Vec<Msg> {
        self.shared.lock().messages(channel_id)
    }

    pub fn message(&self, channel_id: u64, message_id: u64) -> Option<Msg> {
        self.shared.lock().message(channel_id, message_id)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// The calls `route` matches, as in [`Scope::route`]: `calls_to("POST /channels/{id}/messages")`.
    pub fn calls_to(&self, route: &str) -> Vec<Call> {
        let scope = Scope::route(route);
        self.shared.lock().calls.iter().filter(|c| scope.matches(&c.method, &c.path)).cloned().collect()
    }

    /// The token of an interaction `slash` or `press` made.
    pub fn interaction_token(&self, interaction_id: u64) -> Option<String> {
        self.shared.lock().pending.get(&interaction_id).map(|p| p.token.clone())
    }

    pub fn interaction_responses(&self) -> Vec<InteractionResponse> {
        self.shared.lock().responses.clone()
    }

    /// The commands registered for a guild (`0`: the global ones), as Discord answers them.
    pub fn commands(&self, guild_id: u64) -> Option<Vec<Value>> {
        self.shared.lock().commands.get(&guild_id).cloned()
    }

    pub fn global_commands(&self) -> Option<Vec<Value>> {
        self.commands(0)
    }

    pub fn crossposted(&self) -> Vec<(u64, u64)> {
        self.shared.lock().crossposted.clone()
    }

    pub fn identifies(&self) -> usize {
        self.shared.lock().gateway.identifies
    }

    pub fn resumes(&self) -> usize {
        self.shared.lock().gateway.resumes
    }

    pub fn connected(&self) -> bool {
        self.shared.lock().gateway.live
    }

    pub fn limit_violations(&self) -> usize {
        self.shared.lock().limit_violations
    }

    /// Reads the state under the lock (don't call the fake's methods inside: the lock isn't
    /// reentrant).
    pub fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.shared.lock())
    }

    /// Polls `cond` every 10 ms until it holds (true) or `timeout` passes (false). `cond` runs
    /// under the lock, like [`FakeDiscord::with_state`].
    pub async fn wait_until(&self, cond: impl Fn(&State) -> bool, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if cond(&self.shared.lock()) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    // ---------- what users do: see events.rs

    /// Sends a raw dispatch (next sequence number; buffered for RESUME like every dispatch).
    pub fn dispatch(&self, event: &str, data: Value) {
        self.shared.lock().gateway.push(event, data);
    }

    // ---------- gateway faults

    /// The HELLO interval for connections from now on (Discord: 41250 ms).
    pub fn set_heartbeat_interval(&self, ms: u64) {
        self.shared.lock().gateway.heartbeat_interval = ms;
    }

    /// Stops (false) or resumes answering heartbeats: a zombie connection, which the client
    /// should notice by the missing ACK and leave.
    pub fn ack_heartbeats(&self, ack: bool) {
        self.shared.lock().gateway.ack_heartbeats = ack;
    }

    /// op 7 RECONNECT: the client should RESUME on a new socket.
    pub fn reconnect(&self) {
        self.shared.lock().gateway.note("op7");
        self.interrupt(Out::Text(r#"{"op":7,"d":null,"s":null,"t":null}"#.into()));
    }

    /// op 9 INVALID_SESSION; when not resumable the session is gone and a RESUME fails.
    pub fn invalid_session(&self, resumable: bool) {
        let mut st = self.shared.lock();
        st.gateway.note("op9");
        let frame = format!(r#"{{"op":9,"d":{resumable},"s":null,"t":null}}"#);
        st.gateway.interrupt(Out::Text(frame));
        if !resumable {
            st.gateway.session_id = None;
        }
    }

    /// Closes the TCP connection without a close frame.
    pub fn drop_socket(&self) {
        let mut st = self.shared.lock();
        st.gateway.note("drop");
        st.gateway.interrupt(Out::Drop);
        st.gateway.forget_connection();
    }

    /// Closes the websocket with this close code (e.g. 4000 unknown error, 4009 session timeout).
    pub fn close_socket(&self, code: u16) {
        self.shared.lock().gateway.note("close");
        self.interrupt(Out::Close(code));
    }

    /// While held, dispatches get their sequence number but wait; releasing (or a RESUME)
    /// delivers them in order.
    pub fn hold_dispatches(&self, hold: bool) {
        let mut st = self.shared.lock();
        st.gateway.hold = hold;
        st.gateway.pump();
    }

    fn interrupt(&self, out: Out) {
        self.shared.lock().gateway.interrupt(out);
    }

    // ---------- REST faults

    /// Injects a failure for the REST requests `scope` matches (rules are checked in the order
    /// they were added; each match uses one of its `times`).
    pub fn fail(&self, failure: Failure, scope: Scope) {
        self.shared.lock().rules.push(Rule::new(failure, scope));
    }

    pub fn clear_failures(&self) {
        self.shared.lock().rules.clear();
    }
}
