//! The console platform: a team chat in the terminal, for trying tocsin without any token.
//!
//! Lines read from stdin are commands from the configured console person in the configured
//! chat. Everything the bot posts to a console chat is printed to stdout, each line tagged
//! with the chat's name (`[ops] ...`), so a piped session reads like a transcript.

use super::Platform;
use crate::app::{App, Invocation};
use crate::config::{Chat, ConsoleConfig};
use crate::delivery::{Outgoing, SendError, Sender, Worker};
use anyhow::Context as _;
use async_trait::async_trait;
use std::io::Write;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Prints a message for a chat, one tagged line per line of text.
pub fn print(chat: &str, text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for line in text.lines() {
        writeln!(out, "[{chat}] {line}")?;
    }
    out.flush()
}

#[derive(Debug, Default)]
pub struct ConsoleSender;

#[async_trait]
impl Sender for ConsoleSender {
    fn platform(&self) -> Platform {
        Platform::Console
    }

    /// The console shows no cards, so only text ever arrives here.
    async fn send(&self, chat: &Chat, message: &Outgoing) -> Result<usize, SendError> {
        let text = match message {
            Outgoing::Text(text) | Outgoing::Mentioning { text, .. } => text.clone(),
            Outgoing::Card(card) => card.headline.clone(),
        };
        // A closed stdout (the reader of a pipe went away) will not come back.
        print(&chat.name, &text).map(|()| 1).map_err(|e| SendError::Permanent(format!("stdout: {e}")))
    }
}

/// Reads commands until end of input. After each command the outbox is delivered before
/// the next line is read, so the transcript is in the order things happened.
pub async fn run(
    app: &App,
    worker: &Worker,
    console: &ConsoleConfig,
    input: impl AsyncBufRead + Unpin,
) -> anyhow::Result<()> {
    let chat = app.config().chat(&console.chat).expect("checked config names a console chat");
    let mut input = input;
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes).await.context("reading the console")? == 0 {
            break;
        }
        // A line that is not UTF-8 (a binary pasted or piped in) is refused on its own; the
        // console, and the intake and status page running beside it, go on.
        let Ok(line) = std::str::from_utf8(&bytes) else {
            print(&chat.name, &app.not_utf8(chat).await)?;
            continue;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let inv = Invocation {
            platform: Platform::Console,
            user_id: console.person.clone(),
            chat_id: chat.id.clone(),
            text: line.to_string(),
            topic: None,
            bot_username: None,
            dedup_key: None,
        };
        let response = app.handle(&inv).await;
        if let Some(reply) = &response.reply {
            print(&chat.name, reply)?;
        } else if !response.committed {
            print(&chat.name, &app.hint(chat).await)?;
        }
        if response.committed {
            // A failed pass is retried by the worker's own loop; keep taking commands.
            if let Err(e) = worker.deliver_due().await {
                tracing::error!(error = ?e, "delivering to the console failed");
            }
        }
    }
    Ok(())
}
