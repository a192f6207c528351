//! What the fake knows: messages as users see them, every call, updates waiting for getUpdates,
//! commands, chats and users, and how they are rendered as Bot API JSON.

use super::{Entity, Rule, utf16_slice};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Instant;

/// A message as it stands now in a chat.
#[derive(Clone, Debug, PartialEq)]
pub struct Msg {
    pub chat_id: i64,
    pub message_id: i64,
    /// Sent by the bot (false: a user's message pushed with an update).
    pub from_bot: bool,
    pub from_user: Option<i64>,
    /// What the user sees: the text after parsing and Telegram's clean-up.
    pub text: String,
    pub entities: Vec<Entity>,
    /// The `text` and `parse_mode` of the last request that set the text.
    pub raw_text: String,
    pub parse_mode: Option<String>,
    /// The inline keyboard (`{"inline_keyboard": [[..]]}`), if any.
    pub reply_markup: Option<Value>,
    pub thread_id: Option<i64>,
    pub reply_to: Option<i64>,
    pub disable_notification: bool,
    pub link_preview_options: Option<Value>,
    pub date: i64,
    pub edit_date: Option<i64>,
    /// Successful editMessageText / editMessageReplyMarkup calls.
    pub edits: usize,
    /// Earlier texts, oldest first.
    pub history: Vec<String>,
}

impl Msg {
    /// The text an entity covers.
    pub fn slice(&self, e: &Entity) -> String {
        utf16_slice(&self.text, e.offset, e.length)
    }
    /// `(kind, covered text)` for every entity, in Telegram's order.
    pub fn spans(&self) -> Vec<(String, String)> {
        self.entities.iter().map(|e| (e.kind.clone(), self.slice(e))).collect()
    }
    /// `(text, callback_data or url)` of every inline button, row by row.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let rows =
            self.reply_markup.as_ref().and_then(|m| m["inline_keyboard"].as_array().cloned()).unwrap_or_default();
        rows.iter()
            .flat_map(|r| r.as_array().cloned().unwrap_or_default())
            .map(|b| {
                let action = b["callback_data"].as_str().or(b["url"].as_str()).unwrap_or("");
                (b["text"].as_str().unwrap_or("").to_string(), action.to_string())
            })
            .collect()
    }
}

/// One HTTP request to the fake, in arrival order.
#[derive(Clone, Debug)]
pub struct Call {
    /// The canonical (camelCase) method name.
    pub method: String,
    pub token: String,
    /// The parameters as received.
    pub body: Value,
    pub chat_id: Option<i64>,
    /// When the request arrived.
    pub at: Instant,
    /// When the answer was ready (`None` while held or after a disconnect).
    pub answered_at: Option<Instant>,
    /// HTTP status answered; 0 while pending or for a dropped connection.
    pub status: u16,
    pub description: Option<String>,
    pub retry_after: Option<u64>,
    /// An injected failure answered this request.
    pub injected: bool,
    /// For accepted sends and edits: the plain text and the message id.
    pub text: Option<String>,
    pub message_id: Option<i64>,
}

/// A sendMessage / editMessageText / editMessageReplyMarkup attempt.
pub type Attempt = Call;

const SEND_METHODS: [&str; 3] = ["sendMessage", "editMessageText", "editMessageReplyMarkup"];

#[derive(Clone, Debug, PartialEq)]
pub struct CallbackAnswer {
    pub callback_query_id: String,
    pub text: Option<String>,
    pub show_alert: bool,
    pub url: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChatInfo {
    /// "private", "group", "supergroup" or "channel".
    pub kind: String,
    pub title: Option<String>,
    pub is_forum: bool,
}

/// Everything the fake knows. Read it with [`FakeTelegram::with_state`] or in `wait_until`.
#[derive(Debug)]
pub struct State {
    pub bot_id: i64,
    pub bot_username: String,
    pub bot_first_name: String,
    /// Every token used, in order of first use.
    pub tokens: Vec<String>,
    pub revoked: HashSet<String>,
    /// Updates not confirmed yet (getUpdates with a higher offset drops them).
    pub queue: VecDeque<Value>,
    pub allowed_updates: Option<Vec<String>>,
    pub messages: BTreeMap<(i64, i64), Msg>,
    pub deleted: Vec<(i64, i64)>,
    pub calls: Vec<Call>,
    /// `(scope as JSON text, language_code)` → `(command, description)` pairs.
    pub commands: BTreeMap<(String, String), Vec<(String, String)>>,
    /// The setWebhook parameters while a webhook is set.
    pub webhook: Option<Value>,
    pub answers: Vec<CallbackAnswer>,
    pub chats: HashMap<i64, ChatInfo>,
    /// user id → (first name, username)
    pub users: HashMap<i64, (String, Option<String>)>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) open_callbacks: HashSet<String>,
    /// getUpdates calls that started polling; a newer one ends an older one with 409.
    pub poll_generation: u64,
    /// Polls ended by a newer one: two pollers at once (one bot instance too many).
    pub poll_conflicts: u64,
    pub(crate) next_update_id: i64,
    pub(crate) next_message_id: HashMap<i64, i64>,
    pub(crate) next_callback: u64,
}

impl State {
    pub(crate) fn new() -> State {
        State {
            bot_id: 7_000_000_001,
            bot_username: "tocsin_bot".into(),
            bot_first_name: "Tocsin".into(),
            tokens: Vec::new(),
            revoked: HashSet::new(),
            queue: VecDeque::new(),
            allowed_updates: None,
            messages: BTreeMap::new(),
            deleted: Vec::new(),
            calls: Vec::new(),
            commands: BTreeMap::new(),
            webhook: None,
            answers: Vec::new(),
            chats: HashMap::new(),
            users: HashMap::new(),
            rules: Vec::new(),
            open_callbacks: HashSet::new(),
            poll_generation: 0,
            poll_conflicts: 0,
            next_update_id: 10_001,
            next_message_id: HashMap::new(),
            next_callback: 1,
        }
    }

    /// The bot's messages in a chat, by message id.
    pub fn messages(&self, chat_id: i64) -> Vec<Msg> {
        self.messages
            .range((chat_id, i64::MIN)..=(chat_id, i64::MAX))
            .map(|(_, m)| m)
            .filter(|m| m.from_bot)
            .cloned()
            .collect()
    }

    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Msg> {
        self.messages.get(&(chat_id, message_id)).cloned()
    }

    /// Every sendMessage / editMessageText / editMessageReplyMarkup attempt, in arrival order.
    pub fn sends(&self) -> Vec<Attempt> {
        self.calls.iter().filter(|c| SEND_METHODS.contains(&c.method.as_str())).cloned().collect()
    }

    /// The parameters of every call of a method (any spelling), in arrival order.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.calls.iter().filter(|c| c.method.eq_ignore_ascii_case(method)).map(|c| c.body.clone()).collect()
    }

    pub(crate) fn alloc_message_id(&mut self, chat_id: i64) -> i64 {
        let next = self.next_message_id.entry(chat_id).or_insert(1);
        *next += 1;
        *next - 1
    }

    pub(crate) fn alloc_update_id(&mut self) -> i64 {
        self.next_update_id += 1;
        self.next_update_id - 1
    }

    pub(crate) fn bot_user(&self) -> Value {
        json!({"id": self.bot_id, "is_bot": true, "first_name": self.bot_first_name, "username": self.bot_username})
    }

    pub(crate) fn user(&self, id: i64) -> Value {
        let (first, username) =
            self.users.get(&id).cloned().unwrap_or((format!("User {id}"), Some(format!("user{id}"))));
        let mut u = json!({"id": id, "is_bot": false, "first_name": first, "language_code": "en"});
        if let Some(name) = username {
            u["username"] = json!(name);
        }
        u
    }

    /// A chat's JSON; unknown chats are typed by their id (positive: private, -100…: supergroup).
    pub(crate) fn chat(&self, id: i64) -> Value {
        let info = self.chats.get(&id).cloned().unwrap_or_else(|| ChatInfo {
            kind: if id > 0 {
                "private"
            } else if id <= -1_000_000_000_000 {
                "supergroup"
            } else {
                "group"
            }
            .into(),
            title: None,
            is_forum: false,
        });
        let mut c = json!({"id": id, "type": info.kind});
        if info.kind == "private" {
            let (first, username) = self.users.get(&id).cloned().unwrap_or((format!("User {id}"), None));
            c["first_name"] = json!(first);
            if let Some(name) = username {
                c["username"] = json!(name);
            }
        } else {
            c["title"] = json!(info.title.unwrap_or_else(|| format!("Chat {id}")));
        }
        if info.is_forum {
            c["is_forum"] = json!(true);
        }
        c
    }

    pub(crate) fn message_json(&self, m: &Msg, with_reply: bool) -> Value {
        let mut v = json!({"message_id": m.message_id, "date": m.date, "chat": self.chat(m.chat_id), "text": m.text});
        v["from"] = if m.from_bot { self.bot_user() } else { self.user(m.from_user.unwrap_or(m.chat_id)) };
        if !m.entities.is_empty() {
            let list = m.entities.iter().map(|e| {
                let mut j = e.to_json();
                if let Some(id) = e.user_id {
                    j["user"] = self.user(id);
                }
                j
            });
            v["entities"] = Value::Array(list.collect());
        }
        if let Some(t) = m.thread_id {
            v["message_thread_id"] = json!(t);
            if self.chats.get(&m.chat_id).is_some_and(|c| c.is_forum) {
                v["is_topic_message"] = json!(true);
            }
        }
        if let Some(markup) = &m.reply_markup {
            v["reply_markup"] = markup.clone();
        }
        if let Some(parent) = m.reply_to.filter(|_| with_reply).and_then(|r| self.messages.get(&(m.chat_id, r))) {
            v["reply_to_message"] = self.message_json(parent, false);
        }
        if let Some(d) = m.edit_date {
            v["edit_date"] = json!(d);
        }
        v
    }

    pub(crate) fn register(&mut self, update: &Value) {
        for key in ["message", "edited_message", "channel_post", "edited_channel_post"] {
            let Some(m) = update.get(key) else { continue };
            let chat_id = m["chat"]["id"].as_i64().unwrap_or(0);
            let chat = &m["chat"];
            self.chats.entry(chat_id).or_insert_with(|| ChatInfo {
                kind: chat["type"].as_str().unwrap_or("private").to_string(),
                title: chat["title"].as_str().map(str::to_string),
                is_forum: chat["is_forum"].as_bool().unwrap_or(false),
            });
            let from = m["from"]["id"].as_i64();
            if let Some(id) = from {
                let first = m["from"]["first_name"].as_str().unwrap_or("").to_string();
                let username = m["from"]["username"].as_str().map(str::to_string);
                self.users.entry(id).or_insert((first, username));
            }
            let id = m["message_id"].as_i64().unwrap_or(0);
            let next = self.next_message_id.entry(chat_id).or_insert(1);
            *next = (*next).max(id + 1);
            let text = m["text"].as_str().unwrap_or("").to_string();
            let entities =
                m["entities"].as_array().map(|l| l.iter().filter_map(Entity::from_json).collect()).unwrap_or_default();
            self.messages.insert(
                (chat_id, id),
                Msg {
                    chat_id,
                    message_id: id,
                    from_bot: false,
                    from_user: from,
                    raw_text: text.clone(),
                    text,
                    entities,
                    parse_mode: None,
                    reply_markup: None,
                    thread_id: m["message_thread_id"].as_i64(),
                    reply_to: m["reply_to_message"]["message_id"].as_i64(),
                    disable_notification: false,
                    link_preview_options: None,
                    date: m["date"].as_i64().unwrap_or(0),
                    edit_date: None,
                    edits: 0,
                    history: Vec::new(),
                },
            );
        }
        if let Some(id) = update["callback_query"]["id"].as_str() {
            self.open_callbacks.insert(id.to_string());
        }
    }
}

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
