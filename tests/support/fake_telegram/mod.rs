//! A fake Telegram Bot API server, faked at the wire: an axum server on 127.0.0.1 that the real
//! teloxide client talks to (`Bot::new(token).set_api_url(fake.api_url().parse()?)`, or
//! `fake.bot(token)`).
//!
//! It answers `POST /bot<token>/<method>` (any token, method names case-insensitive, JSON,
//! form or query parameters) like Telegram does: `{"ok":true,"result":..}` or
//! `{"ok":false,"error_code":N,"description":"..","parameters":{"retry_after":S}}` with the HTTP
//! status equal to `error_code`. Texts go through Telegram's own parse modes (HTML, MarkdownV2,
//! legacy Markdown, ported from tdlib with their error messages), clean-up and length rules, so a
//! test can assert what the user sees: [`Msg::text`] plus [`Msg::entities`] (UTF-16 offsets).
//!
//! Methods: getMe, getUpdates (long poll, offsets, limit, allowed_updates, 409 on a competing
//! poll or an active webhook), sendMessage, editMessageText, editMessageReplyMarkup,
//! deleteMessage, answerCallbackQuery, set/get/deleteMyCommands, setWebhook, deleteWebhook,
//! getWebhookInfo, sendChatAction, logOut, close. Anything else is a 404 "Not Found: method not
//! found". Failures can be injected per method and/or chat, once, n times or for good
//! ([`FakeTelegram::fail`]); every request is recorded ([`Call`]), injected failures included.
//!
//! One fake is one bot: its update queue, messages and polling are shared by every token used
//! on it (the first token's numeric prefix becomes the bot id); start two fakes for two bots.
//! Sends are not throttled here: inject `RetryAfter` to exercise flood control.
//!
//! Files: `state.rs` (what it knows), `server.rs` (HTTP, parameters, failures), `methods.rs`
//! (the Bot API methods), `entities.rs` (text clean-up, auto-detected entities, links),
//! `html.rs` and `markdown.rs` (the parse modes). The parser tests live in
//! `tests/fake_telegram/parsers.rs`, the wire tests in `tests/fake_telegram.rs`.
//!
//! Self-contained on purpose: benches include it with
//! `#[path = "../tests/support/fake_telegram/mod.rs"] mod fake_telegram;`.
#![allow(dead_code)]

mod entities;
mod html;
mod markdown;
mod methods;
mod server;
mod state;

#[allow(unused_imports)] // which of these a test binary uses varies
pub use entities::{
    Entity, Formatted, checked_link, find_entities, fix_text, link_user_id, sort_entities, utf16_len, utf16_slice,
};
#[allow(unused_imports)]
pub use html::parse_html;
#[allow(unused_imports)]
pub use markdown::{parse_markdown, parse_markdown_v2};
#[allow(unused_imports)]
pub use methods::render;
use state::now_unix;
pub use state::{Attempt, Call, CallbackAnswer, ChatInfo, Msg, State};

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A failure to inject instead of (or, for `Hang`, before) the normal answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// 429 "Too Many Requests: retry after S" with `parameters.retry_after = S`.
    RetryAfter(u64),
    /// 403 with this description ("Forbidden: " is prepended when missing).
    Forbidden(String),
    /// 400 with this description ("Bad Request: " is prepended when missing).
    BadRequest(String),
    /// 502 `{"ok":false,"error_code":502,"description":"Bad Gateway"}`.
    ServerError,
    /// Holds the request this long, then handles it normally. The request is processed even if
    /// the client gave up meanwhile (a slow Telegram delivers the message late).
    Hang(Duration),
    /// Closes the connection without a complete answer and without processing the request.
    Disconnect,
}

/// Which requests a failure applies to. `times: None` means every matching request from now on.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scope<'a> {
    pub method: Option<&'a str>,
    pub chat_id: Option<i64>,
    pub times: Option<usize>,
}

impl<'a> Scope<'a> {
    pub fn any() -> Scope<'a> {
        Scope::default()
    }
    pub fn method(method: &'a str) -> Scope<'a> {
        Scope { method: Some(method), ..Scope::default() }
    }
    pub fn chat(chat_id: i64) -> Scope<'a> {
        Scope { chat_id: Some(chat_id), ..Scope::default() }
    }
    pub fn in_chat(self, chat_id: i64) -> Scope<'a> {
        Scope { chat_id: Some(chat_id), ..self }
    }
    pub fn times(self, n: usize) -> Scope<'a> {
        Scope { times: Some(n), ..self }
    }
    pub fn once(self) -> Scope<'a> {
        self.times(1)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Rule {
    failure: Failure,
    method: Option<String>,
    chat_id: Option<i64>,
    left: Option<usize>,
}

pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) notify: tokio::sync::Notify,
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
pub struct FakeTelegram {
    shared: Arc<Shared>,
    addr: SocketAddr,
    _server: Arc<ServerTask>,
}

impl FakeTelegram {
    /// Starts the fake on 127.0.0.1 with a free port, on the current tokio runtime.
    pub async fn start() -> FakeTelegram {
        let shared = Arc::new(Shared { state: Mutex::new(State::new()), notify: tokio::sync::Notify::new() });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake Telegram server");
        let addr = listener.local_addr().expect("local address");
        let app = server::router(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTelegram { shared, addr, _server: Arc::new(ServerTask(task)) }
    }

    /// The base URL for `Bot::set_api_url` (`fake.api_url().parse().unwrap()` gives the `Url`).
    pub fn api_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A real teloxide `Bot` pointed at this fake.
    pub fn bot(&self, token: &str) -> teloxide::Bot {
        teloxide::Bot::new(token).set_api_url(self.api_url().parse().expect("fake URL"))
    }

    /// Changes what getMe answers.
    pub fn set_bot(&self, username: &str, first_name: &str) {
        let mut st = self.shared.lock();
        st.bot_username = username.into();
        st.bot_first_name = first_name.into();
    }

    /// Declares a chat: `kind` is "private", "group", "supergroup", "forum" (a supergroup with
    /// topics) or "channel".
    pub fn set_chat(&self, chat_id: i64, kind: &str, title: Option<&str>) {
        let info = ChatInfo {
            kind: if kind == "forum" { "supergroup" } else { kind }.into(),
            title: title.map(str::to_string),
            is_forum: kind == "forum",
        };
        self.shared.lock().chats.insert(chat_id, info);
    }

    pub fn set_user(&self, user_id: i64, first_name: &str, username: Option<&str>) {
        self.shared.lock().users.insert(user_id, (first_name.into(), username.map(str::to_string)));
    }

    /// From now on requests with this token get 401 "Unauthorized".
    pub fn revoke_token(&self, token: &str) {
        self.shared.lock().revoked.insert(token.into());
    }

    /// Queues an update for getUpdates (and wakes a waiting long poll). Messages in it are
    /// stored, so the bot can reply to them; an `update_id` is assigned when missing.
    pub fn push_update(&self, mut update: Value) {
        {
            let mut st = self.shared.lock();
            match update["update_id"].as_i64() {
                Some(id) => st.next_update_id = st.next_update_id.max(id + 1),
                None => update["update_id"] = json!(st.alloc_update_id()),
            }
            st.register(&update);
            st.queue.push_back(update);
        }
        self.shared.notify.notify_waiters();
    }

    /// A user's text message as an update (fresh update and message ids). `chat_type` as in
    /// [`FakeTelegram::set_chat`]; bot commands, mentions and hashtags get their entities.
    pub fn text_update(
        &self,
        chat_id: i64,
        chat_type: &str,
        user_id: i64,
        text: &str,
        thread_id: Option<i64>,
    ) -> Value {
        let mut st = self.shared.lock();
        let kind = if chat_type == "forum" { "supergroup" } else { chat_type };
        let title = st.chats.get(&chat_id).and_then(|c| c.title.clone());
        st.chats.insert(chat_id, ChatInfo { kind: kind.into(), title, is_forum: chat_type == "forum" });
        let update_id = st.alloc_update_id();
        let message_id = st.alloc_message_id(chat_id);
        let mut m = json!({"message_id": message_id, "from": st.user(user_id), "chat": st.chat(chat_id), "date": now_unix(), "text": text});
        let entities = find_entities(text);
        if !entities.is_empty() {
            m["entities"] = Value::Array(entities.iter().map(Entity::to_json).collect());
        }
        if let Some(t) = thread_id {
            m["message_thread_id"] = json!(t);
            if chat_type == "forum" {
                m["is_topic_message"] = json!(true);
            }
        }
        json!({"update_id": update_id, "message": m})
    }

    /// A user pressing an inline button under `message_id` as an update.
    pub fn callback_update(&self, chat_id: i64, user_id: i64, message_id: i64, data: &str) -> Value {
        let mut st = self.shared.lock();
        let update_id = st.alloc_update_id();
        let id = format!("{}{}", st.bot_id, st.next_callback);
        st.next_callback += 1;
        let message = match st.messages.get(&(chat_id, message_id)) {
            Some(m) => st.message_json(m, true),
            None => json!({"chat": st.chat(chat_id), "message_id": message_id, "date": 0}),
        };
        json!({"update_id": update_id, "callback_query": {
            "id": id, "from": st.user(user_id), "message": message,
            "chat_instance": format!("{}", chat_id.unsigned_abs() * 7919), "data": data}})
    }

    /// Injects a failure for the requests `scope` matches (checked in the order they were added).
    pub fn fail(&self, failure: Failure, scope: Scope<'_>) {
        let rule =
            Rule { failure, method: scope.method.map(str::to_string), chat_id: scope.chat_id, left: scope.times };
        self.shared.lock().rules.push(rule);
    }

    pub fn clear_failures(&self) {
        self.shared.lock().rules.clear();
    }

    pub fn messages(&self, chat_id: i64) -> Vec<Msg> {
        self.shared.lock().messages(chat_id)
    }

    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Msg> {
        self.shared.lock().message(chat_id, message_id)
    }

    pub fn sends(&self) -> Vec<Attempt> {
        self.shared.lock().sends()
    }

    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.shared.lock().calls(method)
    }

    pub fn all_calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    pub fn answers(&self) -> Vec<CallbackAnswer> {
        self.shared.lock().answers.clone()
    }

    /// The commands set for a scope (`None`: the default scope) and language ("" for none).
    pub fn commands(&self, scope: Option<Value>, language_code: &str) -> Option<Vec<(String, String)>> {
        let key = (methods::scope_key(scope.as_ref()), language_code.to_string());
        self.shared.lock().commands.get(&key).cloned()
    }

    pub fn pending_updates(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Reads the state under the lock (don't call the fake's methods inside: the lock isn't
    /// reentrant).
    pub fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.shared.lock())
    }

    /// Polls `cond` every 10 ms until it holds (true) or `timeout` passes (false). `cond` runs
    /// under the lock, like [`FakeTelegram::with_state`].
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
}
