//! The gateway: one websocket at `/ws` speaking plain JSON text frames (no compression, whatever
//! the client asks for in IDENTIFY: Discord only compresses on request with `?compress=`).
//!
//! Every dispatch gets the session's next sequence number and stays in `history`, so a RESUME
//! replays what the client missed. Dispatches are written to the socket only while a session is
//! live on it (after READY or RESUMED) and not held; the rest wait in `history`.

use super::Shared;
use super::state::State;
use axum::extract::State as Ax;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// Events that belong to establishing a session: never held, never carried to a new session.
const SESSION_EVENTS: &[&str] = &["READY", "GUILD_CREATE", "RESUMED"];
const GUILD_MESSAGES: u64 = 1 << 9;
const MESSAGE_CONTENT: u64 = 1 << 15;

/// One dispatch of the current session.
#[derive(Clone, Debug)]
pub struct Dispatch {
    pub seq: u64,
    pub event: String,
    pub data: Value,
}

pub(crate) enum Out {
    Text(String),
    Close(u16),
    Drop,
}

/// The gateway's side of the state.
#[derive(Debug)]
pub struct Gateway {
    pub identifies: usize,
    pub resumes: usize,
    pub heartbeats: usize,
    /// Websocket connections accepted so far.
    pub connections: usize,
    /// The intents of the last IDENTIFY.
    pub intents: Option<u64>,
    pub session_id: Option<String>,
    /// The last sequence number given out in this session.
    pub seq: u64,
    pub history: Vec<Dispatch>,
    /// The highest sequence number written to a socket.
    pub sent_upto: u64,
    pub hold: bool,
    /// A READY/RESUMED session is live on the current socket.
    pub live: bool,
    pub heartbeat_interval: u64,
    /// Heartbeats are answered with op 11 (false: a "zombie" connection that never ACKs).
    pub ack_heartbeats: bool,
    /// What happened on the gateway, with when: "connect", "identify", "identify-refused",
    /// "resume", "resume-refused", "op7", "op9", "drop", "close", "disconnect".
    pub log: Vec<(Instant, String)>,
    conn: Option<(u64, UnboundedSender<Out>)>,
    next_conn: u64,
    sessions: u64,
}

impl Default for Gateway {
    fn default() -> Gateway {
        Gateway {
            identifies: 0,
            resumes: 0,
            heartbeats: 0,
            connections: 0,
            intents: None,
            session_id: None,
            seq: 0,
            history: Vec::new(),
            sent_upto: 0,
            hold: false,
            live: false,
            heartbeat_interval: 41_250,
            ack_heartbeats: true,
            log: Vec::new(),
            conn: None,
            next_conn: 0,
            sessions: 0,
        }
    }
}

fn frame(d: &Dispatch) -> String {
    json!({"op": 0, "t": d.event, "s": d.seq, "d": d.data}).to_string()
}

impl Gateway {
    /// Queues a dispatch (sequence number assigned now) and sends what can be sent.
    pub(crate) fn push(&mut self, event: &str, data: Value) -> u64 {
        self.seq += 1;
        self.history.push(Dispatch { seq: self.seq, event: event.to_string(), data });
        self.pump();
        self.seq
    }

    /// Writes the waiting dispatches to the live socket, in order, stopping at a held one.
    pub(crate) fn pump(&mut self) {
        let Some((_, tx)) = self.conn.as_ref().filter(|_| self.live) else { return };
        let mut upto = self.sent_upto;
        let start = upto;
        for d in self.history.iter().filter(|d| d.seq > start) {
            if self.hold && !SESSION_EVENTS.contains(&d.event.as_str()) {
                break;
            }
            let _ = tx.send(Out::Text(frame(d)));
            upto = d.seq;
        }
        self.sent_upto = upto;
    }

    pub(crate) fn note(&mut self, what: &str) {
        self.log.push((Instant::now(), what.to_string()));
    }

    /// When `what` was last logged.
    pub fn last(&self, what: &str) -> Option<Instant> {
        self.log.iter().rev().find(|(_, w)| w == what).map(|(t, _)| *t)
    }

    /// Sends a control frame (or a close/drop) to the current socket; the session stops being live.
    pub(crate) fn interrupt(&mut self, out: Out) {
        if let Some((_, tx)) = &self.conn {
            let _ = tx.send(out);
        }
        self.live = false;
    }

    pub(crate) fn forget_connection(&mut self) {
        self.conn = None;
        self.live = false;
    }

    /// Whether a MESSAGE_CREATE reaches the bot, and whether with its content (the intents of
    /// the last IDENTIFY; before any, everything is delivered).
    pub(crate) fn message_intents(&self) -> (bool, bool) {
        match self.intents {
            Some(i) => (i & GUILD_MESSAGES != 0, i & MESSAGE_CONTENT != 0),
            None => (true, true),
        }
    }
}

pub(crate) async fn upgrade(Ax(shared): Ax<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(1 << 20).on_upgrade(move |socket| connection(shared, socket))
}

async fn connection(shared: Arc<Shared>, mut socket: WebSocket) {
    let (tx, mut rx) = unbounded_channel();
    let id = {
        let mut st = shared.lock();
        let g = &mut st.gateway;
        g.next_conn += 1;
        g.connections += 1;
        g.note("connect");
        g.conn = Some((g.next_conn, tx.clone()));
        g.live = false;
        let hello = json!({"op": 10, "d": {"heartbeat_interval": g.heartbeat_interval}, "s": null, "t": null});
        let _ = tx.send(Out::Text(hello.to_string()));
        g.next_conn
    };
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Out::Text(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(Out::Close(code)) => {
                    // Keep reading afterwards: the client's close frame ends the loop.
                    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: "".into() }))).await;
                }
                // Dropping the socket closes the TCP connection without a close frame.
                Some(Out::Drop) | None => break,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(text))) => {
                    let mut st = shared.lock();
                    receive(&mut st, id, &tx, text.as_str());
                }
                Some(Ok(Message::Binary(_))) => {
                    let _ = tx.send(Out::Close(4002));
                }
                // Pings are answered by the websocket layer; a close frame is answered on the
                // next read, which then ends the stream.
                Some(Ok(_)) => {}
                None | Some(Err(_)) => break,
            },
        }
    }
    let mut st = shared.lock();
    st.gateway.note("disconnect");
    if st.gateway.conn.as_ref().is_some_and(|(c, _)| *c == id) {
        st.gateway.forget_connection();
    }
}

/// Handles one frame from the client on connection `id`.
fn receive(st: &mut State, id: u64, tx: &UnboundedSender<Out>, text: &str) {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        let _ = tx.send(Out::Close(4002)); // DECODE_ERROR
        return;
    };
    match v["op"].as_u64() {
        Some(1) => {
            st.gateway.heartbeats += 1;
            if !st.gateway.ack_heartbeats {
                return;
            }
            let _ = tx.send(Out::Text(json!({"op": 11, "d": null, "s": null, "t": null}).to_string()));
        }
        Some(2) => identify(st, id, tx, &v["d"]),
        Some(6) => resume(st, id, tx, &v["d"]),
        // Presence, voice state, member requests: accepted and ignored.
        Some(3 | 4 | 8 | 31) => {}
        _ => {
            let _ = tx.send(Out::Close(4001)); // UNKNOWN_OPCODE
        }
    }
}

fn identify(st: &mut State, id: u64, tx: &UnboundedSender<Out>, d: &Value) {
    if !st.token_ok(d["token"].as_str().unwrap_or("")) {
        st.gateway.note("identify-refused");
        let _ = tx.send(Out::Close(4004)); // AUTHENTICATION_FAILED
        return;
    }
    let g = &mut st.gateway;
    g.identifies += 1;
    g.note("identify");
    g.intents = d["intents"].as_u64();
    g.sessions += 1;
    let session = format!("fake-session-{}", g.sessions);
    g.session_id = Some(session.clone());
    // Events the old session never delivered are carried over (Discord would lose them): a
    // test's user action must not race the bot's connect.
    let carried: Vec<(String, Value)> = g
        .history
        .drain(..)
        .filter(|x| x.seq > g.sent_upto && !SESSION_EVENTS.contains(&x.event.as_str()))
        .map(|x| (x.event, x.data))
        .collect();
    g.seq = 0;
    g.sent_upto = 0;
    g.conn = Some((id, tx.clone()));
    g.live = true;
    let guilds: Vec<Value> = st.guilds.keys().map(|g| json!({"id": g.to_string(), "unavailable": true})).collect();
    let port = st.port;
    let ready = json!({"v": 10, "user": st.bot_json(), "guilds": guilds, "session_id": session,
        "resume_gateway_url": format!("ws://127.0.0.1:{port}/ws"), "shard": [0, 1],
        "application": {"id": super::APP_ID.to_string(), "flags": 0}, "user_settings": {},
        "private_channels": [], "presences": [], "relationships": [], "guild_join_requests": []});
    let creates: Vec<Value> = st.guilds.keys().map(|g| st.guild_json(*g)).collect();
    st.gateway.push("READY", ready);
    for guild in creates {
        st.gateway.push("GUILD_CREATE", guild);
    }
    for (event, data) in carried {
        st.gateway.push(&event, data);
    }
}

fn resume(st: &mut State, id: u64, tx: &UnboundedSender<Out>, d: &Value) {
    let token_ok = st.token_ok(d["token"].as_str().unwrap_or(""));
    let g = &mut st.gateway;
    let seq = d["seq"].as_u64().unwrap_or(0);
    let known = g.session_id.is_some() && d["session_id"].as_str() == g.session_id.as_deref();
    if !token_ok || !known || seq > g.seq {
        let _ = tx.send(Out::Text(json!({"op": 9, "d": false, "s": null, "t": null}).to_string()));
        g.note("resume-refused");
        return;
    }
    g.resumes += 1;
    g.note("resume");
    g.conn = Some((id, tx.clone()));
    // The replay includes held dispatches: a RESUME is how a held backlog reaches the client.
    for x in g.history.iter().filter(|x| x.seq > seq) {
        let _ = tx.send(Out::Text(frame(x)));
    }
    g.sent_upto = g.seq;
    g.live = true;
    g.push("RESUMED", json!({"_trace": ["fake-discord"]}));
}
