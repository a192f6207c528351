//! Interaction callbacks (one acknowledgement within 3 seconds), the interaction webhook
//! (@original and followups) and application commands.

use super::APP_ID;
use super::routes::{Reply, apply_edit, id, new_message, with_defaults};
use super::state::{InteractionResponse, State};
use serde_json::{Value, json};
use std::time::Instant;

fn unknown_interaction() -> Reply {
    Reply::error(404, 10062, "Unknown interaction")
}

fn unknown_webhook() -> Reply {
    Reply::error(404, 10015, "Unknown Webhook")
}

fn record(st: &mut State, interaction_id: u64, token: &str, kind: u8, data: Option<Value>, ephemeral: bool) {
    let at = Instant::now();
    st.responses.push(InteractionResponse { interaction_id, token: token.to_string(), kind, data, at, ephemeral });
}

fn is_ephemeral(data: &Value) -> bool {
    data["flags"].as_u64().is_some_and(|f| f & 64 != 0)
}

pub(crate) fn callback(st: &mut State, method: &str, iid: &str, token: &str, body: &Value) -> Reply {
    if method != "POST" {
        return Reply::error(405, 0, "405: Method Not Allowed");
    }
    let Some(iid) = id(iid) else { return unknown_interaction() };
    let Some(p) = st.pending.get(&iid).filter(|p| p.token == token).cloned() else { return unknown_interaction() };
    if p.acked {
        return Reply::error(400, 40060, "Interaction has already been acknowledged.");
    }
    if p.dispatched_at.elapsed() > st.interaction_window {
        return unknown_interaction();
    }
    let kind = body["type"].as_u64().unwrap_or(0);
    let data = body.get("data").cloned().filter(|d| !d.is_null());
    let data_or_null = data.clone().unwrap_or(Value::Null);
    let ephemeral = is_ephemeral(&data_or_null);
    let component = p.kind == 3;
    let mut original = None;
    match kind {
        4 => match new_message(st, p.channel_id, &data_or_null, Some(iid)) {
            Ok(m) => original = Some(m.id),
            Err(reply) => return reply,
        },
        5 | 9 => {}
        6 if component => original = p.message_id,
        7 if component => {
            original = p.message_id;
            if let Err(reply) = apply_edit(st, p.channel_id, p.message_id.unwrap_or(0), &data_or_null) {
                return reply;
            }
        }
        _ => {
            let path = ["type".to_string()];
            return Reply::form(&path, "INTERACTION_CALLBACK_TYPE_INVALID", "Invalid interaction callback type");
        }
    }
    if let Some(pending) = st.pending.get_mut(&iid) {
        pending.acked = true;
        pending.original = original;
        pending.ephemeral = ephemeral;
    }
    record(st, iid, token, kind as u8, data, ephemeral);
    Reply::no_content()
}

pub(crate) fn webhook(st: &mut State, method: &str, app: &str, token: &str, rest: &[&str], body: &Value) -> Reply {
    let found = st.pending.iter().find(|(_, p)| p.token == token).map(|(i, p)| (*i, p.clone()));
    let Some((iid, p)) = found.filter(|_| id(app) == Some(APP_ID)) else { return unknown_webhook() };
    if !p.acked {
        return unknown_webhook();
    }
    let ephemeral = is_ephemeral(body);
    match (method, rest) {
        ("POST", []) => match new_message(st, p.channel_id, body, Some(iid)) {
            Ok(m) => {
                record(st, iid, token, 1, Some(body.clone()), ephemeral);
                Reply::ok(st.message_json(&m))
            }
            Err(reply) => reply,
        },
        ("PATCH", ["messages", "@original"]) => {
            let result = match p.original {
                Some(m) => apply_edit(st, p.channel_id, m, body),
                // A deferred answer: the first edit posts it, ephemeral if the deferral said so.
                None => {
                    let mut body = body.clone();
                    if p.ephemeral && body.is_object() {
                        body["flags"] = json!(body["flags"].as_u64().unwrap_or(0) | 64);
                    }
                    new_message(st, p.channel_id, &body, Some(iid))
                }
            };
            match result {
                Ok(m) => {
                    if let Some(pending) = st.pending.get_mut(&iid) {
                        pending.original = Some(m.id);
                    }
                    record(st, iid, token, 0, Some(body.clone()), m.flags & 64 != 0);
                    Reply::ok(st.message_json(&m))
                }
                Err(reply) => reply,
            }
        }
        (_, ["messages", which]) => {
            let target = if *which == "@original" { p.original } else { id(which) };
            let Some(m) = target.and_then(|m| st.message(p.channel_id, m)) else { return Reply::unknown_message() };
            match method {
                "GET" => Reply::ok(st.message_json(&m)),
                "DELETE" => {
                    st.messages.remove(&(p.channel_id, m.id));
                    Reply::no_content()
                }
                "PATCH" if m.interaction_id == Some(iid) => match apply_edit(st, p.channel_id, m.id, body) {
                    Ok(m) => {
                        record(st, iid, token, 2, Some(body.clone()), m.flags & 64 != 0);
                        Reply::ok(st.message_json(&m))
                    }
                    Err(reply) => reply,
                },
                _ => Reply::unknown_message(),
            }
        }
        _ => Reply::error(404, 0, "404: Not Found"),
    }
}

/// `/applications/{app}/commands[/{id}]` and `/applications/{app}/guilds/{g}/commands[/{id}]`.
pub(crate) fn commands(st: &mut State, method: &str, app: &str, rest: &[&str], body: &Value) -> Reply {
    if id(app) != Some(APP_ID) {
        return Reply::error(403, 50001, "Missing Access");
    }
    let (guild, tail) = match rest {
        ["commands", tail @ ..] => (0, tail),
        ["guilds", g, "commands", tail @ ..] => match id(g).filter(|g| st.guilds.contains_key(g)) {
            Some(g) => (g, tail),
            None => return Reply::error(403, 50001, "Missing Access"),
        },
        _ => return Reply::error(404, 0, "404: Not Found"),
    };
    let list = st.commands.get(&guild).cloned().unwrap_or_default();
    match (method, tail) {
        ("GET", []) => Reply::ok(Value::Array(list)),
        ("PUT", []) => {
            let Some(items) = body.as_array() else {
                return Reply::form(&[], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType");
            };
            let mut out = Vec::new();
            for (i, c) in items.iter().enumerate() {
                let existing = list.iter().find(|o| o["name"] == c["name"]);
                match command(st, guild, c, existing, i) {
                    Ok(c) => out.push(c),
                    Err(reply) => return reply,
                }
            }
            st.commands.insert(guild, out.clone());
            Reply::ok(Value::Array(out))
        }
        ("POST", []) => {
            let existing = list.iter().find(|o| o["name"] == body["name"]).cloned();
            let c = match command(st, guild, body, existing.as_ref(), 0) {
                Ok(c) => c,
                Err(reply) => return reply,
            };
            let mut list = list;
            list.retain(|o| o["name"] != c["name"]);
            list.push(c.clone());
            st.commands.insert(guild, list);
            Reply { status: if existing.is_some() { 200 } else { 201 }, body: Some(c) }
        }
        (_, [cid]) => {
            let Some(found) = list.iter().find(|c| c["id"] == *cid).cloned() else {
                return Reply::error(404, 10063, "Unknown application command");
            };
            match method {
                "GET" => Reply::ok(found),
                "DELETE" => {
                    let list = list.into_iter().filter(|c| c["id"] != *cid).collect();
                    st.commands.insert(guild, list);
                    Reply::no_content()
                }
                _ => Reply::error(405, 0, "405: Method Not Allowed"),
            }
        }
        _ => Reply::error(404, 0, "404: Not Found"),
    }
}

/// A command as Discord answers it: the body plus id, application, guild and version.
fn command(st: &mut State, guild: u64, c: &Value, existing: Option<&Value>, index: usize) -> Result<Value, Reply> {
    let at =
        |field: &str| if index == 0 { vec![field.to_string()] } else { vec![index.to_string(), field.to_string()] };
    let name = c["name"].as_str().unwrap_or("");
    let kind = c["type"].as_u64().unwrap_or(1);
    let bad_name = name.is_empty()
        || name.chars().count() > 32
        || (kind == 1 && name.chars().any(|ch| ch.is_uppercase() || !(ch.is_alphanumeric() || ch == '-' || ch == '_')));
    if bad_name {
        return Err(Reply::form(&at("name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"));
    }
    let description = c["description"].as_str().unwrap_or("");
    if kind == 1 && (description.is_empty() || description.chars().count() > 100) {
        return Err(Reply::form(&at("description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."));
    }
    let cid = existing.and_then(|e| e["id"].as_str().map(str::to_string)).unwrap_or_else(|| st.alloc_id().to_string());
    let guild_id = if guild == 0 { Value::Null } else { json!(guild.to_string()) };
    let defaults = json!({"type": 1, "description": "", "options": [], "default_member_permissions": null,
        "nsfw": false, "contexts": null, "integration_types": [0]});
    let mut out = with_defaults(c, defaults);
    out["id"] = json!(cid);
    out["application_id"] = json!(APP_ID.to_string());
    out["guild_id"] = guild_id;
    out["version"] = json!(st.alloc_id().to_string());
    Ok(out)
}
