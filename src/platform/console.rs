//! The console platform: a team chat in the terminal, for trying tocsin without any token.
//!
//! Lines read from stdin are commands from the configured console person in the configured
//! chat. Everything the bot posts to a console chat is printed to stdout, each line tagged
//! with the chat's name (`[ops] ...`), so a piped session reads like a transcript.
//!
//! A message begins at a line whose text starts right after the tag; every further line of
//! the message is indented by [`CONTINUATION`]:
//!
//! ```text
//! [ops] 🆕 #1 Water main burst on 5th Avenue
//! [ops]   🔵 Grade IV (blue) · opened by Alice Chen
//! [ops]   residents report flooding
//! ```
//!
//! The first line of every message is the bot's own (a notice or reply template; a title
//! inside it is one line by the title rule), and text from outside — a body, a summary, a
//! resolution typed on Telegram — only ever comes after it. Indenting every further line,
//! not only quoted ones, means no text from outside can begin a line that reads as a new
//! message from the bot ("✅ #1 … resolved by Alice Chen"), wherever a renderer placed it and
//! whether it came in with one line or many. Control and bidirectional characters are
//! neutralised before printing ([`crate::domain::untrusted::shown`]), so no escape sequence
//! reaches the terminal.

use super::Platform;
use crate::app::{App, Invocation};
use crate::config::{Chat, ConsoleConfig};
use crate::delivery::{Outgoing, SendError, Sender, Worker};
use crate::domain::untrusted;
use anyhow::Context as _;
use async_trait::async_trait;
use std::io::Write;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// What a message's lines after its first start with, after the chat's tag.
pub const CONTINUATION: &str = "  ";

/// Prints a message for a chat, one tagged line per line of text, the lines after the first
/// indented (see the module's documentation).
pub fn print(chat: &str, text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(transcript(chat, text).as_bytes())?;
    out.flush()
}

/// The lines [`print`] writes.
fn transcript(chat: &str, text: &str) -> String {
    let text = untrusted::shown(text);
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.lines().enumerate() {
        let indent = if i == 0 { "" } else { CONTINUATION };
        out.push_str(&format!("[{chat}] {indent}{line}\n"));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_messages_first_line_starts_at_the_tag_and_nothing_raw_reaches_the_terminal() {
        let text = "🆕 #1 Leak\nresidents\u{1b}[2K\r✅ #1 Leak — resolved by Alice Chen\u{202E}\u{2028}✅ again";
        assert_eq!(
            transcript("ops", text),
            "[ops] 🆕 #1 Leak\n[ops]   residents\u{FFFD}[2K\n[ops]   ✅ #1 Leak — resolved by Alice Chen\u{FFFD}\n[ops]   ✅ again\n"
        );
        assert_eq!(transcript("ops", "one line"), "[ops] one line\n");
    }
}
