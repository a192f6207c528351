//! The REST routes (paths after `/api/v10`): gateway discovery, the bot user and application,
//! channels and their messages, and Discord's message limits with its error codes. Interaction
//! callbacks, webhooks and commands are in `interactions.rs`.

use super::state::{Msg, State};
use super::{APP_ID, BOT_ID};
use super::{guilds, interactions};
use serde_json::{Map, Value, json};

/// A status with a JSON body (`None`: 204 No Content).
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Option<Value>,
}

impl Reply {
    pub(crate) fn ok(body: Value) -> Reply {
        Reply { status: 200, body: Some(body) }
    }
    pub(crate) fn no_content() -> Reply {
        Reply { status: 204, body: None }
    }
    pub(crate) fn error(status: u16, code: u32, message: &str) -> Reply {
        Reply { status, body: Some(json!({"message": message, "code": code})) }
    }
    pub(crate) fn unknown_channel() -> Reply {
        Reply::error(404, 10003, "Unknown Channel")
    }
    pub(crate) fn unknown_message() -> Reply {
        Reply::error(404, 10008, "Unknown Message")
    }
    /// 400 50035 "Invalid Form Body" with Discord's nested `errors` for one field.
    pub(crate) fn form(path: &[String], code: &str, message: &str) -> Reply {
        let mut errors = json!({"_errors": [{"code": code, "message": message}]});
        for key in path.iter().rev() {
            errors = json!({ key.as_str(): errors });
        }
        Reply { status: 400, body: Some(json!({"message": "Invalid Form Body", "code": 50035, "errors": errors})) }
    }
}

pub(crate) fn route(st: &mut State, method: &str, seg: &[&str], body: Option<Value>) -> Reply {
    let body = body.unwrap_or(Value::Null);
    if let Some(reply) = guilds::route(st, method, seg, &body) {
        return reply;
    }
    let ws = format!("ws://127.0.0.1:{}/ws", st.port);
    match (method, seg) {
        ("GET", ["gateway"]) => Reply::ok(json!({"url": ws})),
        ("GET", ["gateway", "bot"]) => Reply::ok(json!({"url": ws, "shards": 1, "session_start_limit":
            {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}})),
        ("GET", ["users", "@me"]) => Reply::ok(st.bot_json()),
        ("GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]) => Reply::ok(application(st)),
        (_, ["applications", app, rest @ ..]) => interactions::commands(st, method, app, rest, &body),
        (_, ["interactions", id, token, "callback"]) => interactions::callback(st, method, id, token, &body),
        (_, ["webhooks", app, token, rest @ ..]) => interactions::webhook(st, method, app, token, rest, &body),
        ("GET", ["channels", c]) => match id(c).and_then(|c| st.channel_json(c)) {
            Some(v) => Reply::ok(v),
            None => Reply::unknown_channel(),
        },
        ("POST", ["channels", c, "messages"]) => create_message(st, id(c), &body),
        ("GET", ["channels", c, "messages", m]) => with_message(st, c, m, |st, msg| Reply::ok(st.message_json(msg))),
        ("PATCH", ["channels", c, "messages", m]) => edit_message(st, c, m, &body),
        ("POST", ["channels", c, "messages", m, "crosspost"]) => crosspost(st, c, m),
        _ => Reply::error(404, 0, "404: Not Found"),
    }
}

pub(crate) fn id(s: &str) -> Option<u64> {
    s.parse().ok()
}

fn application(st: &State) -> Value {
    json!({"id": APP_ID.to_string(), "name": "tocsin", "icon": null, "description": "", "bot_public": false,
        "bot_require_code_grant": false, "verify_key": "0".repeat(64), "team": null, "flags": 0,
        "owner": st.user_json(1), "bot": st.bot_json(), "summary": "", "rpc_origins": [],
        "approximate_guild_count": st.guilds.len()})
}

fn with_message(st: &mut State, c: &str, m: &str, f: impl FnOnce(&mut State, &Msg) -> Reply) -> Reply {
    let Some(c) = id(c).filter(|c| st.channels.contains_key(c)) else { return Reply::unknown_channel() };
    match id(m).and_then(|m| st.message(c, m)) {
        Some(msg) => f(st, &msg),
        None => Reply::unknown_message(),
    }
}

fn create_message(st: &mut State, channel: Option<u64>, body: &Value) -> Reply {
    let Some(channel) = channel.filter(|c| st.channels.contains_key(c)) else { return Reply::unknown_channel() };
    match new_message(st, channel, body, None) {
        Ok(msg) => Reply::ok(st.message_json(&msg)),
        Err(reply) => reply,
    }
}

/// Checks a message body against Discord's rules and stores it as the bot's message.
pub(crate) fn new_message(st: &mut State, channel: u64, body: &Value, interaction: Option<u64>) -> Result<Msg, Reply> {
    validate(body)?;
    let empty = |k: &str| body[k].as_array().is_none_or(|a| a.is_empty());
    if body["content"].as_str().unwrap_or("").is_empty() && empty("embeds") && empty("components") {
        return Err(Reply::error(400, 50006, "Cannot send an empty message"));
    }
    let msg = Msg {
        id: st.alloc_id(),
        channel_id: channel,
        content: body["content"].as_str().unwrap_or("").to_string(),
        embeds: embeds(body),
        components: body["components"].as_array().cloned().unwrap_or_default(),
        allowed_mentions: body.get("allowed_mentions").cloned().filter(|v| !v.is_null()),
        flags: body["flags"].as_u64().unwrap_or(0),
        edits: 0,
        author_id: BOT_ID,
        interaction_id: interaction,
    };
    st.messages.insert((channel, msg.id), msg.clone());
    Ok(msg)
}

/// Applies the fields present in `body` to a stored message (an edit).
pub(crate) fn apply_edit(st: &mut State, channel: u64, message: u64, body: &Value) -> Result<Msg, Reply> {
    validate(body)?;
    let embeds = embeds(body);
    let Some(msg) = st.messages.get_mut(&(channel, message)) else { return Err(Reply::unknown_message()) };
    if let Some(c) = body.get("content") {
        msg.content = c.as_str().unwrap_or("").to_string();
    }
    if body.get("embeds").is_some() {
        msg.embeds = embeds;
    }
    if let Some(c) = body.get("components") {
        msg.components = c.as_array().cloned().unwrap_or_default();
    }
    if let Some(f) = body["flags"].as_u64() {
        // Only SUPPRESS_EMBEDS can change on an edit.
        msg.flags = (msg.flags & !4) | (f & 4);
    }
    if let Some(a) = body.get("allowed_mentions") {
        msg.allowed_mentions = Some(a.clone()).filter(|v| !v.is_null());
    }
    msg.edits += 1;
    Ok(msg.clone())
}

fn edit_message(st: &mut State, c: &str, m: &str, body: &Value) -> Reply {
    with_message(st, c, m, |st, msg| {
        if msg.author_id != BOT_ID {
            return Reply::error(403, 50005, "Cannot edit a message authored by another user");
        }
        match apply_edit(st, msg.channel_id, msg.id, body) {
            Ok(msg) => Reply::ok(st.message_json(&msg)),
            Err(reply) => reply,
        }
    })
}

fn crosspost(st: &mut State, c: &str, m: &str) -> Reply {
    with_message(st, c, m, |st, msg| {
        if st.channel_kind(msg.channel_id) != Some(5) {
            return Reply::error(400, 50024, "Cannot execute action on this channel type");
        }
        if msg.flags & 1 != 0 {
            return Reply::error(400, 40033, "This message has already been crossposted.");
        }
        st.crossposted.push((msg.channel_id, msg.id));
        let Some(stored) = st.messages.get_mut(&(msg.channel_id, msg.id)) else { return Reply::unknown_message() };
        stored.flags |= 1; // CROSSPOSTED
        let msg = stored.clone();
        Reply::ok(st.message_json(&msg))
    })
}

/// Embeds as Discord stores them: `type` "rich" unless given.
fn embeds(body: &Value) -> Vec<Value> {
    let list = body["embeds"].as_array().cloned().unwrap_or_default();
    list.into_iter()
        .map(|mut e| {
            if let Some(o) = e.as_object_mut() {
                o.entry("type").or_insert(json!("rich"));
            }
            e
        })
        .collect()
}

fn too_long(path: &[&str], max: usize) -> Reply {
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    Reply::form(&path, "BASE_TYPE_MAX_LENGTH", &format!("Must be {max} or fewer in length."))
}

fn check_len(v: &Value, max: usize, path: &[&str]) -> Result<usize, Reply> {
    let n = v.as_str().map_or(0, |s| s.chars().count());
    if n > max { Err(too_long(path, max)) } else { Ok(n) }
}

/// Discord's limits on content, embeds and components (the ones a bot meets in practice).
pub(crate) fn validate(body: &Value) -> Result<(), Reply> {
    if !body.is_object() && !body.is_null() {
        return Err(Reply::error(400, 50109, "The request body contains invalid JSON."));
    }
    check_types(body)?;
    check_len(&body["content"], 2000, &["content"])?;
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    if embeds.len() > 10 {
        return Err(too_long(&["embeds"], 10));
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let i = i.to_string();
        total += check_len(&e["title"], 256, &["embeds", &i, "title"])?;
        total += check_len(&e["description"], 4096, &["embeds", &i, "description"])?;
        total += check_len(&e["footer"]["text"], 2048, &["embeds", &i, "footer", "text"])?;
        total += check_len(&e["author"]["name"], 256, &["embeds", &i, "author", "name"])?;
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        if fields.len() > 25 {
            return Err(too_long(&["embeds", &i, "fields"], 25));
        }
        for (j, f) in fields.iter().enumerate() {
            let j = j.to_string();
            total += check_len(&f["name"], 256, &["embeds", &i, "fields", &j, "name"])?;
            total += check_len(&f["value"], 1024, &["embeds", &i, "fields", &j, "value"])?;
        }
    }
    if total > 6000 {
        return Err(Reply::form(
            &["embeds".into()],
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        ));
    }
    validate_components(body)
}

/// Discord's "Invalid Form Body" for fields of the wrong JSON type.
fn check_types(body: &Value) -> Result<(), Reply> {
    let wrong = |field: &str, code: &str, message: &str| Err(Reply::form(&[field.to_string()], code, message));
    if !matches!(body["content"], Value::Null | Value::String(_)) {
        return wrong("content", "BASE_TYPE_STRING", "Must be a string.");
    }
    for field in ["embeds", "components"] {
        match &body[field] {
            Value::Null => {}
            Value::Array(items) if items.iter().all(Value::is_object) => {}
            _ => return wrong(field, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"),
        }
    }
    Ok(())
}

fn validate_components(body: &Value) -> Result<(), Reply> {
    let rows = body["components"].as_array().cloned().unwrap_or_default();
    if rows.len() > 5 {
        return Err(too_long(&["components"], 5));
    }
    for (i, row) in rows.iter().enumerate() {
        let i = i.to_string();
        let items = row["components"].as_array().cloned().unwrap_or_default();
        if row["type"] != 1 || items.is_empty() {
            let path = ["components".to_string(), i, "components".to_string()];
            return Err(Reply::form(&path, "BASE_TYPE_REQUIRED", "This field is required"));
        }
        if items.len() > 5 {
            return Err(too_long(&["components", &i, "components"], 5));
        }
        for (j, b) in items.iter().enumerate().filter(|(_, b)| b["type"] == 2) {
            let j = j.to_string();
            check_len(&b["label"], 80, &["components", &i, "components", &j, "label"])?;
            check_len(&b["custom_id"], 100, &["components", &i, "components", &j, "custom_id"])?;
            let link = b["style"] == 5;
            if (link && b["url"].as_str().is_none()) || (!link && b["custom_id"].as_str().is_none_or(str::is_empty)) {
                let field = if link { "url" } else { "custom_id" };
                let path: Vec<String> =
                    ["components", &i, "components", &j, field].iter().map(|s| s.to_string()).collect();
                return Err(Reply::form(&path, "BASE_TYPE_REQUIRED", "This field is required"));
            }
        }
    }
    Ok(())
}

/// Merges extra fields into an object (used for command defaults).
pub(crate) fn with_defaults(v: &Value, defaults: Value) -> Value {
    let mut out: Map<String, Value> = defaults.as_object().cloned().unwrap_or_default();
    if let Some(o) = v.as_object() {
        for (k, val) in o {
            out.insert(k.clone(), val.clone());
        }
    }
    Value::Object(out)
}
